package marketing

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/check"
)

// Experiments: A/B tests with an optional holdout on a campaign's
// members, read with significance tests whose level holds however often
// the experiment is checked.
//
// The lifecycle: CreateExperiment on a campaign (one experiment per
// campaign; its planned sample size is computed then); AddMembers as
// usual; Assign, which puts every member without a variant into one,
// deterministically; send each variant its message and RecordExposures
// (holdout members get nothing and are exposed virtually when assigned);
// record responses (SetMemberStatuses) and purchases as they happen;
// Evaluate whenever you like.
//
// Outcomes. A member's outcome window opens at its exposure and lasts the
// experiment's Window. A member is analysed once its window has closed
// (so every analysed outcome is final and early and late members are
// measured alike): it responded if its first response came before the
// window closed, converted if it made a purchase in the campaign's
// currency within the window, and its revenue is the sum of those
// purchases. Revenue needs no manual entry.
//
// Verdicts: see Evaluate and the package's sequential rule (Lan–DeMets
// alpha spending over the information fraction).

// Metric is what an experiment decides on.
type Metric string

// Metrics.
const (
	// MetricResponse: the share of members who responded within the window.
	MetricResponse Metric = "response"
	// MetricConversion: the share of members who made a purchase within
	// the window.
	MetricConversion Metric = "conversion"
	// MetricRevenue: revenue per member within the window, in minor units
	// of the campaign's currency.
	MetricRevenue Metric = "revenue"
)

// HoldoutVariant is the variant of the members in an experiment's holdout
// (crm_campaign_members.variant); no variant may use the key.
const HoldoutVariant = "holdout"

// Limits and defaults of experiments.
const (
	MaxVariants    = 20
	DefaultWindow  = 30 * 24 * time.Hour
	MaxWindow      = 366 * 24 * time.Hour
	DefaultAlpha   = 0.05
	DefaultPower   = 0.80
	MinArmMembers  = 30 // fewer analysed members in a compared arm is "not enough data"
	MinArmOutcomes = 10 // fewer successes (or failures) over the compared arms is too
)

// Variant is an arm of an experiment with its allocation weight.
type Variant struct {
	// Key names the variant: 1 to MaxSlugBytes lowercase letters, digits,
	// '_' or '-', not "holdout".
	Key string
	// Weight is the variant's share of the treated members relative to
	// the other weights: 1, 1 splits them evenly.
	Weight float64
}

// ExperimentParams define an experiment.
type ExperimentParams struct {
	CampaignID crmtype.ID // required
	Name       string     // required, unique in the workspace
	// Variants are the arms, the first the control the others are
	// compared with. One variant is allowed with a holdout: it is then
	// compared with the holdout.
	Variants []Variant
	// Holdout is the share of members, in [0, 1), who receive nothing;
	// the rest are split over Variants by weight.
	Holdout float64
	// Metric decides the winner; default MetricResponse.
	Metric Metric
	// Alpha is the significance level over all looks, default 0.05; with
	// more than two variants it is split evenly over the comparisons
	// with the control (Bonferroni).
	Alpha float64
	// Power is the chance of finding MinDetectableLift, default 0.8.
	Power float64
	// Planning the sample size (members per arm), unless PlannedMembers
	// is set: for the response and conversion metrics the control's
	// expected rate Baseline in (0, 1) and the smallest absolute lift
	// worth finding (0.02 for 10% → 12%); for the revenue metric the
	// smallest difference in revenue per member worth finding, in minor
	// units, and the standard deviation of revenue per member RevenueSD.
	Baseline          float64
	MinDetectableLift float64
	RevenueSD         float64
	// PlannedMembers, when positive, is the planned number of analysed
	// members per arm instead.
	PlannedMembers int
	// Spending is the alpha-spending function of the sequential rule;
	// default analysis.OBrienFleming.
	Spending analysis.Spending
	// Window is how long after exposure responses and purchases count;
	// default DefaultWindow.
	Window time.Duration
}

// Experiment is an A/B test on a campaign's members.
type Experiment struct {
	ID                crmtype.ID
	CampaignID        crmtype.ID
	Name              string
	Variants          []Variant
	Holdout           float64
	Metric            Metric
	Alpha             float64
	Power             float64
	Baseline          float64
	MinDetectableLift float64
	RevenueSD         float64
	// PlannedMembers is the number of analysed members each compared arm
	// needs (the sample size of a fixed test at Alpha and Power): the
	// information fraction of a look is measured against it.
	PlannedMembers int
	Spending       analysis.Spending
	Window         time.Duration
	Currency       string // the campaign's: revenue counts purchases in it
	CreatedAt      time.Time
}

// Exposure is when a treated member was shown or sent its variant.
type Exposure struct {
	CustomerID crmtype.ID
	At         time.Time // default now
}

// Verdict is what an evaluation concludes.
type Verdict string

// Verdicts.
const (
	// VerdictWinner: a variant (or the control) is better at the chosen
	// level, repeated looks accounted for. Final: later evaluations keep it.
	VerdictWinner Verdict = "winner"
	// VerdictNotYet: no boundary crossed yet; MoreMembers says how many
	// more analysed members reach the planned sample.
	VerdictNotYet Verdict = "not yet"
	// VerdictNoWinner: the planned sample was reached and no boundary
	// was crossed: no difference of the planned size. Final.
	VerdictNoWinner Verdict = "no winner"
	// VerdictNotEnoughData: too few analysed members or outcomes to test
	// (fewer than MinArmMembers in a compared arm, fewer than
	// MinArmOutcomes successes or failures): never a winner, no look.
	VerdictNotEnoughData Verdict = "not enough data"
)

// EvaluateParams set an evaluation.
type EvaluateParams struct {
	// At is the time of the look, default now: members analysed are those
	// added and exposed with their window closed by At. An At later than
	// every earlier look's with new analysed members is a new look, which
	// spends alpha and is recorded; the At of a recorded look replays it;
	// an earlier At is ErrInvalid "at".
	At time.Time
}

// ArmResult are the figures of one arm at a look.
type ArmResult struct {
	Variant string
	// Assigned members (added by At), Exposed (exposure by At) and
	// Members, those analysed: window closed by At.
	Assigned, Exposed, Members int
	Responded, Converted       int
	ResponseRate               float64
	ConversionRate             float64
	// Wilson intervals at level 1 − Alpha; zero when Members is 0.
	ResponseCI, ConversionCI analysis.ConfidenceInterval
	// Revenue is the analysed members' revenue in the window, minor units
	// of the experiment's currency.
	Revenue          int64
	RevenuePerMember float64
	// RevenuePerMemberCI is the t interval at level 1 − Alpha; zero when
	// Members < 2.
	RevenuePerMemberCI analysis.ConfidenceInterval
}

// Comparison is a variant against the control on the experiment's metric.
type Comparison struct {
	Variant, Control string
	// Test is "two-proportion z" (response, conversion) or "welch t"
	// (revenue).
	Test string
	// Statistic is z (or Welch's t), positive when Variant is better.
	Statistic float64
	// P is the fixed-sample two-sided p-value: what a single look would
	// say, not the decision (which compares |Statistic| with Boundary).
	P float64
	// Diff is Variant − Control (rate, or revenue per member in minor
	// units); RelativeLift is Diff / Control's value (0 when that is 0).
	Diff, RelativeLift float64
	// DiffCI is the fixed-sample interval at level 1 − Alpha;
	// RepeatedCI is the repeated confidence interval Diff ± Boundary·SE
	// (Jennison and Turnbull), which holds over all looks; it equals
	// DiffCI's width at the fixed-sample boundary.
	DiffCI, RepeatedCI analysis.ConfidenceInterval
	// Crossed: |Statistic| reached the look's boundary.
	Crossed bool
}

// Estimate is a difference with its interval at level 1 − Alpha and
// two-sided p-value.
type Estimate struct {
	Value float64
	CI    analysis.ConfidenceInterval
	P     float64
}

// HoldoutLift is what the campaign caused: the treated members (every
// variant pooled) against the holdout, who got nothing.
type HoldoutLift struct {
	Treated, Holdout int // analysed members
	// Response and Conversion are rate differences, treated − holdout
	// (two-proportion z, Wald interval).
	Response, Conversion Estimate
	// RevenuePerMember is the difference in revenue per member, minor
	// units (Welch's t).
	RevenuePerMember Estimate
	// IncrementalRevenue is RevenuePerMember × Treated: the revenue the
	// campaign caused among its analysed treated members, not the revenue
	// they spent, with the interval scaled alike.
	IncrementalRevenue Estimate
	Currency           string
}

// ExperimentResult is an evaluation of an experiment at a time.
type ExperimentResult struct {
	ExperimentID crmtype.ID
	At           time.Time
	Metric       Metric
	Alpha        float64
	Currency     string
	Verdict      Verdict
	// Winner is the better variant's key when Verdict is VerdictWinner.
	Winner string
	// Reason explains the verdict in a sentence.
	Reason string
	// Arms: the variants in order, then the holdout when there is one.
	Arms []ArmResult
	// Control is the arm the others are compared with: the first
	// variant, or the holdout when there is one variant.
	Control     string
	Comparisons []Comparison
	// ChiSquare tests, across all variants (not the holdout), whether they
	// share one rate: with more than two variants on a rate metric; nil
	// otherwise or when every member is a success or every one a failure.
	ChiSquare *analysis.ChiSquareTest
	// Look is the number of this look (1 for the first); 0 when the
	// evaluation is no look (not enough data, nothing new, or decided).
	Look int
	// Looks is the number of looks recorded, this one included.
	Looks int
	// Fraction is the information fraction: analysed members of the
	// compared arms against PlannedMembers per arm (for unequal arms,
	// 1/(1/n₁ + 1/n₂) against PlannedMembers/2), the smallest over the
	// comparisons.
	Fraction float64
	// Boundary is the |statistic| a comparison must reach at this look
	// (+Inf when it spends nothing); Spent the alpha spent so far,
	// per comparison.
	Boundary, Spent float64
	// PlannedMembers is the planned number of analysed members per arm
	// (the fixed-sample size for the target lift and power).
	PlannedMembers int
	// MoreMembers is how many more analysed members the compared arms
	// need to reach the planned sample, with the current split.
	MoreMembers int
	// Holdout is the incremental lift against the holdout; nil without a
	// holdout or with fewer than MinArmMembers analysed in it or treated.
	Holdout *HoldoutLift
}

// Look is one recorded evaluation of an experiment: the sequential rule's
// memory, so the alpha spent accumulates over the looks.
type Look struct {
	N         int // 1, 2, ...
	At        time.Time
	Fraction  float64
	Members   int     // analysed members of the compared arms
	Boundary  float64 // +Inf when the look spent nothing
	Spent     float64
	Statistic float64 // the largest |statistic| over the comparisons
	Verdict   Verdict
	Winner    string
	CreatedAt time.Time
}

// ArmCounts are one variant's counts at a time, as the store aggregates
// them.
type ArmCounts struct {
	Variant                    string
	Assigned, Exposed, Members int
	Responded, Converted       int
	Revenue                    int64   // minor units
	RevenueSq                  float64 // sum of squared revenue per member
}

// Event types of experiments, with SubjectType SubjectExperiment and
// Subject the experiment.
const (
	EventExperimentCreated  = "experiment.created"  // Changes: every field set
	EventExperimentAssigned = "experiment.assigned" // Changes: "assigned", "variant.<key>" counts
	EventExperimentExposed  = "experiment.exposed"  // Changes: "recorded", "missing"
	EventExperimentLook     = "experiment.look"     // Changes: "look", "fraction", "boundary", "verdict", "winner"
	SubjectExperiment       = "experiment"
)

// ExperimentEventTypes lists the event types of experiments.
var ExperimentEventTypes = []string{EventExperimentCreated, EventExperimentAssigned, EventExperimentExposed, EventExperimentLook}

// ExperimentStore stores experiments, their exposures and looks. Every
// method confines itself to the scope's workspace.
type ExperimentStore interface {
	// InsertExperiment stores e and ev, atomically. ErrNotFound when its
	// campaign is not in the workspace; ErrConflict when the campaign has
	// an experiment or the name is taken.
	InsertExperiment(ctx context.Context, sc crmtype.Scope, e *Experiment, ev crmtype.Event) error
	// GetExperiment returns experiment id, or ErrNotFound.
	GetExperiment(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*Experiment, error)
	// AssignVariants gives each member of e's campaign without a variant
	// the variant assign returns and records holdout members' virtual
	// exposure at at, with ev(counts) appended, atomically; it returns
	// the counts by variant. ErrInvalid "campaign" when the campaign is
	// completed or aborted.
	AssignVariants(ctx context.Context, sc crmtype.Scope, e *Experiment, assign func(customerID crmtype.ID) string, at time.Time, ev func(counts map[string]int) crmtype.Event) (map[string]int, error)
	// InsertExposures records the first exposure of each treated member
	// of xs (a member exposed already keeps its first) with
	// ev(recorded, missing), atomically, and returns the customers that
	// are not assigned members. ErrInvalid "exposures[i].customer_id"
	// when one is in the holdout.
	InsertExposures(ctx context.Context, sc crmtype.Scope, e *Experiment, xs []Exposure, ev func(recorded, missing int) crmtype.Event) (recorded int, missing []crmtype.ID, err error)
	// ExperimentCounts returns e's counts by variant at time at (see
	// ArmCounts and the package's outcome rules), by variant key.
	ExperimentCounts(ctx context.Context, sc crmtype.Scope, e *Experiment, at time.Time) ([]ArmCounts, error)
	// ExperimentLooks returns experiment id's looks, oldest first.
	ExperimentLooks(ctx context.Context, sc crmtype.Scope, id crmtype.ID) ([]Look, error)
	// InsertLook stores look l of experiment id with ev, atomically;
	// ErrConflict when its number or time is taken (a concurrent look).
	InsertLook(ctx context.Context, sc crmtype.Scope, id crmtype.ID, l Look, ev crmtype.Event) error
}

// CreateExperiment defines an experiment on a campaign and computes its
// planned sample size. Errors: a *crmtype.ValidationError naming the
// field: "campaign_id", "name", "variants" (none, more than MaxVariants,
// weights that do not sum to a positive number, one variant without a
// holdout), "variants[i].key" (not a slug, "holdout", repeated),
// "variants[i].weight" (negative or not finite), "holdout" (outside
// [0, 1): a holdout of 100% leaves nobody to treat), "metric", "alpha"
// (outside (0, 0.5]), "power", "spending", "window" (negative or above
// MaxWindow), "planned_members", "baseline", "min_detectable_lift",
// "revenue_sd"; ErrNotFound when the workspace has no such campaign;
// ErrConflict when the campaign has an experiment or the name is taken.
// Nothing is written on error.
func (s *Service) CreateExperiment(ctx context.Context, p ExperimentParams) (*Experiment, error) {
	const op = "create experiment"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	e, err := newExperiment(p)
	if err != nil {
		return nil, wrap(op, err)
	}
	c, err := s.store.GetCampaign(ctx, sc, p.CampaignID)
	if err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	e.ID, e.Currency, e.CreatedAt = crmtype.NewID(now), c.Currency, now
	variants := make([]any, len(e.Variants))
	for i, v := range e.Variants {
		variants[i] = map[string]any{"key": v.Key, "weight": v.Weight}
	}
	ev := crmtype.Event{Time: now, Type: EventExperimentCreated, SubjectType: SubjectExperiment, Subject: e.ID, SubjectKey: e.Name,
		Changes: crmtype.DiffFields(nil, map[string]any{"campaign_id": e.CampaignID.String(), "name": e.Name, "variants": variants,
			"holdout": e.Holdout, "metric": string(e.Metric), "alpha": e.Alpha, "power": e.Power, "baseline": e.Baseline,
			"min_detectable_lift": e.MinDetectableLift, "revenue_sd": e.RevenueSD, "planned_members": float64(e.PlannedMembers),
			"spending": e.Spending.String(), "window_seconds": e.Window.Seconds(), "currency": e.Currency})}
	if err := s.store.InsertExperiment(ctx, sc, e, ev); err != nil {
		return nil, wrap(op, err)
	}
	return e, nil
}

// newExperiment validates p and returns the experiment it defines, with
// defaults and the planned sample size.
func newExperiment(p ExperimentParams) (*Experiment, error) {
	if p.CampaignID.IsZero() {
		return nil, crmtype.Invalid("campaign_id", "is required")
	}
	name, err := check.Line("name", p.Name, MaxNameBytes, true)
	if err != nil {
		return nil, err
	}
	e := &Experiment{CampaignID: p.CampaignID, Name: name, Holdout: p.Holdout, Metric: p.Metric, Alpha: p.Alpha, Power: p.Power,
		Baseline: p.Baseline, MinDetectableLift: p.MinDetectableLift, RevenueSD: p.RevenueSD, PlannedMembers: p.PlannedMembers,
		Spending: p.Spending, Window: p.Window}
	if len(p.Variants) == 0 || len(p.Variants) > MaxVariants {
		return nil, crmtype.Invalidf("variants", "has %d variants: give 1 to %d", len(p.Variants), MaxVariants)
	}
	var sum float64
	for i, v := range p.Variants {
		switch {
		case !check.Slug(v.Key, MaxSlugBytes):
			return nil, crmtype.Invalidf(fmt.Sprintf("variants[%d].key", i), "must be 1 to %d lowercase letters, digits, '_' or '-'", MaxSlugBytes)
		case v.Key == HoldoutVariant:
			return nil, crmtype.Invalidf(fmt.Sprintf("variants[%d].key", i), "%q names the holdout", HoldoutVariant)
		case slices.ContainsFunc(p.Variants[:i], func(o Variant) bool { return o.Key == v.Key }):
			return nil, crmtype.Invalidf(fmt.Sprintf("variants[%d].key", i), "%q is repeated", v.Key)
		case !(v.Weight >= 0) || math.IsInf(v.Weight, 0):
			return nil, crmtype.Invalidf(fmt.Sprintf("variants[%d].weight", i), "is %g, must be a non-negative number", v.Weight)
		}
		sum += v.Weight
	}
	if !(sum > 0) || math.IsInf(sum, 0) {
		return nil, crmtype.Invalid("variants", "the weights must sum to a positive number")
	}
	e.Variants = slices.Clone(p.Variants)
	if !(p.Holdout >= 0 && p.Holdout < 1) {
		return nil, crmtype.Invalidf("holdout", "is %g, must be in [0, 1): a holdout of 100%% leaves nobody to treat", p.Holdout)
	}
	if len(e.Variants) == 1 && e.Holdout == 0 {
		return nil, crmtype.Invalid("variants", "one variant needs a holdout to be compared with: give two variants or a holdout")
	}
	switch e.Metric {
	case "":
		e.Metric = MetricResponse
	case MetricResponse, MetricConversion, MetricRevenue:
	default:
		return nil, crmtype.Invalidf("metric", "%q is not response, conversion or revenue", e.Metric)
	}
	if e.Alpha == 0 {
		e.Alpha = DefaultAlpha
	}
	if !(e.Alpha > 0 && e.Alpha <= 0.5) {
		return nil, crmtype.Invalidf("alpha", "is %g, must be in (0, 0.5]", e.Alpha)
	}
	if e.Power == 0 {
		e.Power = DefaultPower
	}
	if !(e.Power > 0 && e.Power < 1) {
		return nil, crmtype.Invalidf("power", "is %g, must be in (0, 1)", e.Power)
	}
	if e.Spending != analysis.OBrienFleming && e.Spending != analysis.Pocock {
		return nil, crmtype.Invalidf("spending", "unknown spending function %d", int(e.Spending))
	}
	if e.Window == 0 {
		e.Window = DefaultWindow
	}
	if e.Window < time.Second || e.Window > MaxWindow {
		return nil, crmtype.Invalidf("window", "is %s, must be 1s to %s", e.Window, MaxWindow)
	}
	e.Window = e.Window.Truncate(time.Second)
	for _, f := range []*float64{&e.Baseline, &e.MinDetectableLift, &e.RevenueSD} {
		if math.IsNaN(*f) || math.IsInf(*f, 0) {
			*f = math.NaN() // rejected below with the field's name
		}
	}
	switch {
	case e.PlannedMembers < 0 || e.PlannedMembers > MaxAddMembers:
		return nil, crmtype.Invalidf("planned_members", "is %d, must be 0 (computed) to %d", e.PlannedMembers, MaxAddMembers)
	case e.PlannedMembers > 0:
		return e, nil
	}
	cfg := analysis.SampleSizeConfig{Alpha: e.Alpha / float64(comparisons(e)), Power: e.Power}
	if e.Metric == MetricRevenue {
		if !(e.MinDetectableLift > 0) {
			return nil, crmtype.Invalid("min_detectable_lift", "must be a positive revenue per member in minor units (or set planned_members)")
		}
		if !(e.RevenueSD > 0) {
			return nil, crmtype.Invalid("revenue_sd", "must be positive: the standard deviation of revenue per member (or set planned_members)")
		}
		n, err := analysis.SampleSizeTwoMeans(e.RevenueSD, e.MinDetectableLift, cfg)
		if err != nil {
			return nil, crmtype.Invalidf("min_detectable_lift", "%v", err)
		}
		e.PlannedMembers = n
	} else {
		if !(e.Baseline > 0 && e.Baseline < 1) {
			return nil, crmtype.Invalid("baseline", "must be the control's expected rate, in (0, 1) (or set planned_members)")
		}
		if p2 := e.Baseline + e.MinDetectableLift; e.MinDetectableLift == 0 || !(p2 > 0 && p2 < 1) {
			return nil, crmtype.Invalid("min_detectable_lift", "must be a non-zero absolute lift keeping baseline + lift in (0, 1) (or set planned_members)")
		}
		n, err := analysis.SampleSizeAbsoluteLift(e.Baseline, e.MinDetectableLift, cfg)
		if err != nil {
			return nil, crmtype.Invalidf("min_detectable_lift", "%v", err)
		}
		e.PlannedMembers = n
	}
	if e.PlannedMembers > MaxAddMembers {
		return nil, crmtype.Invalidf("min_detectable_lift", "needs %d members per arm, more than %d", e.PlannedMembers, MaxAddMembers)
	}
	return e, nil
}

// comparisons returns how many comparisons with the control e makes.
func comparisons(e *Experiment) int {
	if len(e.Variants) == 1 {
		return 1
	}
	return len(e.Variants) - 1
}

// Experiment returns experiment id; ErrNotFound when the workspace has
// none.
func (s *Service) Experiment(ctx context.Context, id crmtype.ID) (*Experiment, error) {
	const op = "experiment"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	e, err := s.store.GetExperiment(ctx, sc, id)
	return e, wrap(op, err)
}

// AssignVariant returns the variant (or HoldoutVariant) of a customer in
// experiment e: the first 53 bits of SHA-256(experiment id ‖ customer id)
// give u uniform in [0, 1); u < Holdout is the holdout, and the rest of
// [0, 1) is cut into the variants by cumulative weight. The same customer
// always gets the same variant, whoever else is a member.
func AssignVariant(e *Experiment, customerID crmtype.ID) string {
	var buf [32]byte
	copy(buf[:16], e.ID[:])
	copy(buf[16:], customerID[:])
	sum := sha256.Sum256(buf[:])
	u := float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
	if u < e.Holdout {
		return HoldoutVariant
	}
	v := (u - e.Holdout) / (1 - e.Holdout)
	var total float64
	for _, x := range e.Variants {
		total += x.Weight
	}
	var cum float64
	for _, x := range e.Variants {
		cum += x.Weight / total
		if v < cum && x.Weight > 0 {
			return x.Key
		}
	}
	for i := len(e.Variants) - 1; i >= 0; i-- { // rounding: the last weighted variant
		if e.Variants[i].Weight > 0 {
			return e.Variants[i].Key
		}
	}
	return e.Variants[0].Key
}

// Assign puts every member of the experiment's campaign that has no
// variant yet into one (AssignVariant), so it is idempotent and members
// added later keep the earlier members' variants; holdout members are
// exposed virtually now, which opens their outcome window. It returns the
// number assigned by variant in this call. Errors: ErrNotFound; ErrInvalid
// "campaign" when it is completed or aborted.
func (s *Service) Assign(ctx context.Context, experimentID crmtype.ID) (map[string]int, error) {
	const op = "assign"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	e, err := s.store.GetExperiment(ctx, sc, experimentID)
	if err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	counts, err := s.store.AssignVariants(ctx, sc, e, func(c crmtype.ID) string { return AssignVariant(e, c) }, now,
		func(counts map[string]int) crmtype.Event {
			m := map[string]any{}
			n := 0
			for k, v := range counts {
				m["variant."+k] = float64(v)
				n += v
			}
			m["assigned"] = float64(n)
			return crmtype.Event{Time: now, Type: EventExperimentAssigned, SubjectType: SubjectExperiment, Subject: e.ID,
				SubjectKey: e.Name, Changes: crmtype.DiffFields(nil, m)}
		})
	return counts, wrap(op, err)
}

// RecordExposures records when treated members were exposed to their
// variant (sent, shown): their outcome window opens then. A member's
// first recorded exposure counts; later ones are ignored. It returns the
// customers of xs that are not assigned members of the experiment
// (nothing is recorded for them). Errors: ErrInvalid "exposures" (empty or
// more than MaxAddMembers), "exposures[i].customer_id" (missing, or in the
// holdout, which receives nothing), "exposures[i].at" (in the future);
// ErrNotFound. Nothing is written on error.
func (s *Service) RecordExposures(ctx context.Context, experimentID crmtype.ID, xs []Exposure) (notAssigned []crmtype.ID, err error) {
	const op = "record exposures"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if len(xs) == 0 || len(xs) > MaxAddMembers {
		return nil, wrap(op, crmtype.Invalidf("exposures", "has %d exposures: give 1 to %d", len(xs), MaxAddMembers))
	}
	now := s.clock.Now()
	xs = slices.Clone(xs)
	for i := range xs {
		x := &xs[i]
		if x.CustomerID.IsZero() {
			return nil, wrap(op, crmtype.Invalid(fmt.Sprintf("exposures[%d].customer_id", i), "is required"))
		}
		if x.At.IsZero() {
			x.At = now
		}
		x.At = utc(x.At)
		if x.At.After(now.Add(time.Minute)) {
			return nil, wrap(op, crmtype.Invalid(fmt.Sprintf("exposures[%d].at", i), "is in the future"))
		}
	}
	e, err := s.store.GetExperiment(ctx, sc, experimentID)
	if err != nil {
		return nil, wrap(op, err)
	}
	_, missing, err := s.store.InsertExposures(ctx, sc, e, xs, func(recorded, missing int) crmtype.Event {
		return crmtype.Event{Time: now, Type: EventExperimentExposed, SubjectType: SubjectExperiment, Subject: e.ID, SubjectKey: e.Name,
			Changes: crmtype.DiffFields(nil, map[string]any{"recorded": float64(recorded), "missing": float64(missing)})}
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return missing, nil
}

// Looks returns the recorded looks of experiment id, oldest first.
func (s *Service) Looks(ctx context.Context, id crmtype.ID) ([]Look, error) {
	const op = "looks"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.GetExperiment(ctx, sc, id); err != nil {
		return nil, wrap(op, err)
	}
	looks, err := s.store.ExperimentLooks(ctx, sc, id)
	return looks, wrap(op, err)
}

// Evaluate reads experiment id at p.At: for each arm its members and
// rates with Wilson intervals and revenue per member with its t interval;
// each variant against the control with the two-proportion z-test
// (response, conversion) or Welch's t-test (revenue), the lift and its
// fixed-sample and repeated intervals; the chi-square test across more
// than two variants; the incremental lift against the holdout; and the
// verdict of the sequential rule.
//
// The sequential rule: each evaluation with a new At and new analysed
// members is a look, recorded with its information fraction t (analysed
// members of the compared arms against the planned sample). The look's
// boundary spends the Lan–DeMets function of t (O'Brien–Fleming type by
// default) less what earlier looks spent (analysis.SequentialBoundaries),
// at level Alpha/(number of comparisons); a comparison whose |statistic|
// reaches it wins: the better of the crossing variants, or the control
// when every variant is worse. The first winner is final (later calls
// report it with the current figures), as is "no winner" once t reaches 1;
// otherwise the verdict is "not yet" with MoreMembers. Too few members or
// outcomes is "not enough data", never a winner and no look.
//
// Revenue is tested with Welch's t-test rather than a bootstrap: it needs
// only each arm's count, sum and sum of squares, computed in SQL over any
// number of members, it is deterministic, and with at least MinArmMembers
// per arm (hundreds in practice) the means of skewed, zero-inflated
// revenue are close enough to normal for its level to hold (the A/A test
// of analysis.WelchTTest on log-normal spend with 70% zeros shows it).
//
// Errors: ErrInvalid "members" when the experiment has no assigned
// members by At (add members and call Assign first), "at" (in the future,
// or before the last look without being one); ErrNotFound.
func (s *Service) Evaluate(ctx context.Context, id crmtype.ID, p EvaluateParams) (*ExperimentResult, error) {
	const op = "evaluate"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	at := p.At
	if at.IsZero() {
		at = now
	}
	at = utc(at)
	if at.After(now.Add(time.Minute)) {
		return nil, wrap(op, crmtype.Invalid("at", "is in the future"))
	}
	e, err := s.store.GetExperiment(ctx, sc, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	counts, err := s.store.ExperimentCounts(ctx, sc, e, at)
	if err != nil {
		return nil, wrap(op, err)
	}
	assigned := 0
	for _, c := range counts {
		assigned += c.Assigned
	}
	if assigned == 0 {
		return nil, wrap(op, crmtype.Invalid("members", "the experiment has no assigned members yet: add members to the campaign and call Assign"))
	}
	looks, err := s.store.ExperimentLooks(ctx, sc, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	res, look, err := evaluate(e, counts, looks, at)
	if err != nil {
		return nil, wrap(op, err)
	}
	if look != nil {
		look.CreatedAt = now
		boundary := look.Boundary
		if math.IsInf(boundary, 1) {
			boundary = 0
		}
		ev := crmtype.Event{Time: now, Type: EventExperimentLook, SubjectType: SubjectExperiment, Subject: e.ID, SubjectKey: e.Name,
			Changes: crmtype.DiffFields(nil, map[string]any{"look": float64(look.N), "at": look.At.Format(time.RFC3339Nano),
				"fraction": look.Fraction, "boundary": boundary, "spent": look.Spent, "verdict": string(look.Verdict), "winner": look.Winner})}
		if err := s.store.InsertLook(ctx, sc, id, *look, ev); err != nil {
			return nil, wrap(op, err)
		}
	}
	return res, nil
}
