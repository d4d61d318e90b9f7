package service

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
)

// Service reports.
//
// Report reads, for a period, the SLA attainment per policy, team, month
// and metric; the median and 90th percentile business time of first
// responses and resolutions; the backlog of open tickets by age; the
// reopen rate; CSAT, NPS and CES by agent, team, category and ISO week;
// and the categories whose CSAT fell significantly. Every share, score
// and mean comes with its confidence interval at ReportParams.Level; an
// interval whose Level is 0 means there are too few observations for one
// (none; fewer than two for a mean).
//
// Cost: counts are aggregated in the database (one row per group). Two
// parts read one row per item into memory: the percentiles read the
// business seconds of every fulfilled first-response and resolution
// target that started in the period, and the reopen rate reads the
// activity of every ticket created before To and changed since From.
// The SLA and reopen queries filter on started_at and updated_at, which
// no index leads with: they scan the workspace's targets and tickets.

// Defaults and bounds of ReportParams.
const (
	DefaultReportLevel = 0.95
	DefaultReportAlpha = 0.05
	// MaxReportPeriod bounds To − From (and FallWindow), so that the
	// month and week buckets stay a few hundred at most.
	MaxReportPeriod = 3 * 366 * 24 * time.Hour
)

// ReportParams selects a service report.
type ReportParams struct {
	// From and To bound the period, From ≤ t < To; both are required. The
	// instant t is, per part: an SLA target's start (attainment and
	// response times), a solve recorded in the ticket's activity (reopen
	// rate), a survey response's time (satisfaction). The backlog is not
	// bounded by the period: it is the open tickets at the service clock's
	// now.
	From, To time.Time
	// Zone is the IANA time zone months and ISO weeks are cut in; default
	// "UTC".
	Zone string
	// Level is the confidence level of the intervals, in (0, 1); default
	// DefaultReportLevel.
	Level float64
	// SurveyKey restricts the satisfaction figures to the responses of
	// one survey; "" counts every survey's responses about tickets.
	SurveyKey string
	// FallWindow is the length of the windows the falling-categories test
	// compares: the recent window [To − FallWindow, To) against the
	// previous one [To − 2·FallWindow, To − FallWindow). Default To − From:
	// the period against the equally long period before it.
	FallWindow time.Duration
	// Alpha is the family-wise error rate of the falling-categories test,
	// in (0, 1); default DefaultReportAlpha.
	Alpha float64
}

// Report is a service report as of Now.
type Report struct {
	From, To time.Time
	Zone     string
	Level    float64
	// Now is the service clock's now: an unmet target whose deadline is
	// at or before it is breached; the backlog's ages are counted to it.
	Now time.Time

	// SLA holds the attainment per policy, team, month and metric, by
	// policy name, team, month and metric.
	SLA []SLAAttainment
	// SLAUndecided counts the targets that started in the period but are
	// neither met nor breached yet (their clock running before the
	// deadline, or paused); they are not in any Rate.
	SLAUndecided int
	// ResponseTimes holds, per metric (first response, resolution), the
	// business time of the fulfilled targets that started in the period;
	// ResponseTimesByTeam the same per team (TeamID "" is unassigned).
	ResponseTimes       []ResponseTimes
	ResponseTimesByTeam []ResponseTimes
	Backlog             Backlog
	Reopens             ReopenRate
	Satisfaction        SatisfactionReport
	Falling             CategoryFalls
}

// SLAAttainment is the attainment of one metric's targets of one policy
// and team that started in one month (in ReportParams.Zone). A target is
// decided once it is fulfilled (met when fulfilled at or before its
// deadline, breached when after) or its deadline passed unmet (breached),
// as SLATarget.State says.
type SLAAttainment struct {
	PolicyID crmtype.ID
	// PolicyName is "" when the policy was deleted since.
	PolicyName string
	TeamID     string // "" when unassigned
	// Month is "2026-11": the month the targets started in. The first and
	// last months are cut by the period.
	Month  string
	Metric Metric
	Met    int
	// Breached counts the targets fulfilled late and those whose deadline
	// passed unmet.
	Breached int
	// Undecided counts the group's targets not decided yet; not in Rate.
	Undecided int
	// Rate is Met / (Met + Breached); 0 when none is decided.
	Rate float64
	// Interval is Rate's Wilson interval (analysis.WilsonInterval).
	Interval analysis.ConfidenceInterval
}

// ResponseTimes summarises the business time of the fulfilled targets of
// one metric, whether on time or late, in hours. The percentiles are
// Hyndman and Fan's type 7, R's and NumPy's default: with the n times
// sorted x[0] ≤ … ≤ x[n−1], the p-quantile is x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] −
// x[⌊h⌋]) with h = (n−1)·p.
type ResponseTimes struct {
	Metric Metric
	TeamID string // in ResponseTimesByTeam; "" when unassigned (and in ResponseTimes)
	N      int
	Median float64 // hours of business time; 0 when N is 0
	P90    float64 // hours of business time; 0 when N is 0
}

// AgeBucket is a range of ticket ages (now − creation, in 24-hour days).
type AgeBucket int

// Age buckets of Backlog.
const (
	AgeUnder1Day  AgeBucket = iota // < 1 day
	Age1To3Days                    // 1 day ≤ age < 3 days
	Age3To7Days                    // 3 days ≤ age < 7 days
	Age7To30Days                   // 7 days ≤ age < 30 days
	Age30DaysPlus                  // ≥ 30 days
	NumAgeBuckets
)

// ageBounds are the lower bounds of the age buckets after the first.
var ageBounds = []time.Duration{24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// String returns "<1d", "1-3d", "3-7d", "7-30d" or ">=30d".
func (b AgeBucket) String() string {
	switch b {
	case AgeUnder1Day:
		return "<1d"
	case Age1To3Days:
		return "1-3d"
	case Age3To7Days:
		return "3-7d"
	case Age7To30Days:
		return "7-30d"
	case Age30DaysPlus:
		return ">=30d"
	}
	return fmt.Sprintf("AgeBucket(%d)", int(b))
}

// AgeCounts counts tickets per age bucket.
type AgeCounts [NumAgeBuckets]int

// Sum returns the number of tickets in all buckets.
func (c AgeCounts) Sum() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Backlog is the open tickets (new, open, pending, on hold) at At, by
// age.
type Backlog struct {
	At       time.Time
	Total    AgeCounts
	ByStatus map[Status]AgeCounts
	ByTeam   map[string]AgeCounts // "" is unassigned
}

// ReopenRate is the share of the tickets solved in the period that were
// reopened: a ticket counts as solved when its activity records a solve
// in the period, and as reopened when the next status change after such
// a solve (at any time up to now) is to open.
type ReopenRate struct {
	Solved   int
	Reopened int
	Rate     float64                     // Reopened / Solved; 0 when Solved is 0
	Interval analysis.ConfidenceInterval // Wilson interval
}

// SatisfactionReport holds the satisfaction figures of the responses
// about tickets given in the period, grouped by the ticket's assignee
// (agent), team, category, and the ISO week (in ReportParams.Zone) of the
// response. Each group is ordered by key (weeks by time).
type SatisfactionReport struct {
	ByAgent    []SatisfactionGroup
	ByTeam     []SatisfactionGroup
	ByCategory []SatisfactionGroup
	ByWeek     []SatisfactionGroup
}

// SatisfactionGroup is the satisfaction of one group. Every numeric answer
// of a kind counts: rating questions for CSAT, nps for NPS, ces for CES.
type SatisfactionGroup struct {
	// Key is the assignee, team or category ("" when the ticket has none),
	// or the ISO week, e.g. "2026-W48".
	Key string
	// WeekStart is, in ByWeek, the start of the week's part in the period:
	// Monday 00:00 in the zone, or From for the first week.
	WeekStart time.Time
	CSAT      CSATScore
	NPS       NPSScore
	CES       CESScore
}

// CSATScore is the share of satisfied answers (4 or 5 of 5) to rating
// questions, with its Wilson interval.
type CSATScore struct {
	N         int
	Satisfied int
	Value     float64
	Interval  analysis.ConfidenceInterval
}

// NPSScore is the Net Promoter Score (−100 to 100) of nps answers, with
// analysis.NPSFromCounts' normal interval.
type NPSScore struct {
	N                               int
	Promoters, Passives, Detractors int
	Value                           float64
	Interval                        analysis.ConfidenceInterval
}

// CESScore is the mean answer (1 to 7, 7 the easiest) to ces questions,
// with its Student t interval (analysis.MeanIntervalFromCounts; Level 0
// when N < 2).
type CESScore struct {
	N        int
	Mean     float64
	Interval analysis.ConfidenceInterval
}

// CategoryFalls is the test for categories whose CSAT fell: for each
// category with rating answers in both windows, the one-sided
// two-proportion z-test (analysis.TwoProportionZTest, alternative: the
// recent share is lower) of the recent window's CSAT against the
// previous window's; the p-values are adjusted for the number of
// categories tested by Holm's step-down method, which bounds the
// family-wise error rate by Alpha. A category falls when its adjusted
// p-value is at most Alpha.
type CategoryFalls struct {
	PreviousFrom, RecentFrom, RecentTo time.Time
	Alpha                              float64
	// Tested is the number of categories tested (the m of the correction).
	Tested int
	// Falling lists the categories that fell significantly, by adjusted
	// p-value then category.
	Falling []CategoryFall
}

// CategoryFall is a category whose CSAT fell.
type CategoryFall struct {
	Category         string
	Previous, Recent CSATScore
	// Diff is Recent.Value − Previous.Value (negative).
	Diff float64
	// P is the test's one-sided p-value; AdjustedP the Holm-adjusted one.
	P, AdjustedP float64
}

// ReportStore reads the aggregates of service reports; package store
// implements it. Every method confines itself to the scope's workspace.
// Bucketed queries take bounds b[0] < b[1] < … < b[n]: they read rows with
// b[0] ≤ t < b[n], and bucket i holds b[i] ≤ t < b[i+1].
type ReportStore interface {
	// SLAOutcomes counts the SLA targets that started within bounds per
	// policy, ticket team, bucket and metric: those met (fulfilled at or
	// before the deadline), breached (fulfilled after it, or unmet with a
	// deadline before now) and undecided (unmet, paused or with a deadline
	// at or after now).
	SLAOutcomes(ctx context.Context, sc crmtype.Scope, bounds []time.Time, now time.Time) ([]SLAOutcomeCount, error)
	// FulfilledTargets returns the metric, ticket team and elapsed
	// business seconds of every fulfilled target of metrics that started
	// in [from, to).
	FulfilledTargets(ctx context.Context, sc crmtype.Scope, from, to time.Time, metrics []Metric) ([]FulfilledTarget, error)
	// BacklogCounts counts the tickets that are new, open, pending or on
	// hold per status, team and age bucket at now: bucket 0 when now −
	// created_at < ages[0], bucket i when ages[i−1] ≤ age < ages[i],
	// bucket len(ages) beyond.
	BacklogCounts(ctx context.Context, sc crmtype.Scope, now time.Time, ages []time.Duration) ([]BacklogCount, error)
	// SolveHistories returns the team and activity of every ticket that
	// may have been solved in [from, to): created before to and changed
	// at or after from.
	SolveHistories(ctx context.Context, sc crmtype.Scope, from, to time.Time) ([]SolveHistory, error)
	// SatisfactionCounts counts the numeric answers (nps, rating, ces) of
	// the survey responses about tickets given within bounds (of survey
	// surveyKey unless ""), per ticket assignee, team and category,
	// bucket, question kind and value.
	SatisfactionCounts(ctx context.Context, sc crmtype.Scope, bounds []time.Time, surveyKey string) ([]SatisfactionCount, error)
}

// SLAOutcomeCount is a group of ReportStore.SLAOutcomes.
type SLAOutcomeCount struct {
	PolicyID                 crmtype.ID
	PolicyName               string
	TeamID                   string
	Bucket                   int
	Metric                   Metric
	Met, Breached, Undecided int
}

// FulfilledTarget is a row of ReportStore.FulfilledTargets.
type FulfilledTarget struct {
	Metric         Metric
	TeamID         string
	ElapsedSeconds int64
}

// BacklogCount is a group of ReportStore.BacklogCounts.
type BacklogCount struct {
	Status Status
	TeamID string
	Bucket int
	N      int
}

// SolveHistory is a row of ReportStore.SolveHistories.
type SolveHistory struct {
	TicketID crmtype.ID
	TeamID   string
	Activity []Activity
}

// SatisfactionCount is a group of ReportStore.SatisfactionCounts.
type SatisfactionCount struct {
	AssigneeID, TeamID, Category string
	Bucket                       int
	Kind                         communication.QuestionKind
	Value                        int
	N                            int
}

// reportParams checks and completes p.
func reportParams(p *ReportParams) (*time.Location, error) {
	if p.Level == 0 {
		p.Level = DefaultReportLevel
	}
	if !(p.Level > 0 && p.Level < 1) {
		return nil, crmtype.Invalidf("level", "is %g, must be in (0, 1)", p.Level)
	}
	if p.Alpha == 0 {
		p.Alpha = DefaultReportAlpha
	}
	if !(p.Alpha > 0 && p.Alpha < 1) {
		return nil, crmtype.Invalidf("alpha", "is %g, must be in (0, 1)", p.Alpha)
	}
	if strings.TrimSpace(p.Zone) == "" {
		p.Zone = "UTC"
	}
	loc, err := loadZone(p.Zone)
	if err != nil {
		return nil, err
	}
	switch {
	case p.From.IsZero():
		return nil, crmtype.Invalid("from", "is required")
	case p.To.IsZero():
		return nil, crmtype.Invalid("to", "is required")
	case !p.From.Before(p.To):
		return nil, crmtype.Invalid("to", "must be after from")
	case p.To.Sub(p.From) > MaxReportPeriod:
		return nil, crmtype.Invalidf("to", "is more than %v after from", MaxReportPeriod)
	}
	p.From, p.To = p.From.UTC(), p.To.UTC()
	if p.FallWindow < 0 || p.FallWindow > MaxReportPeriod {
		return nil, crmtype.Invalidf("fall_window", "is %v, must be between 0 and %v", p.FallWindow, MaxReportPeriod)
	}
	if p.FallWindow == 0 {
		p.FallWindow = p.To.Sub(p.From)
	}
	return loc, nil
}

// Report returns the service report of p's period (see ReportParams and
// Report for what each part counts). Errors: a *crmtype.ValidationError
// naming the field: "from" or "to" when missing, "to" when it is not
// after from or more than MaxReportPeriod after it, "zone" when not an
// IANA zone, "level" or "alpha" when not in (0, 1), "fall_window" when
// negative or longer than MaxReportPeriod.
func (s *Service) Report(ctx context.Context, p ReportParams) (*Report, error) {
	const op = "report"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	loc, err := reportParams(&p)
	if err != nil {
		return nil, wrap(op, err)
	}
	st := s.store
	now := s.clock.Now()
	r := &Report{From: p.From, To: p.To, Zone: p.Zone, Level: p.Level, Now: now}
	steps := []func() error{
		func() error { return s.reportSLA(ctx, sc, st, &p, loc, r) },
		func() error { return s.reportTimes(ctx, sc, st, &p, r) },
		func() error { return s.reportBacklog(ctx, sc, st, r) },
		func() error { return s.reportReopens(ctx, sc, st, &p, r) },
		func() error { return s.reportSatisfaction(ctx, sc, st, &p, loc, r) },
		func() error { return s.reportFalls(ctx, sc, st, &p, r) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, wrap(op, err)
		}
	}
	return r, nil
}

// monthBounds cuts [from, to) at the starts of months in loc.
func monthBounds(from, to time.Time, loc *time.Location) []time.Time {
	b := []time.Time{from}
	l := from.In(loc)
	for m := time.Date(l.Year(), l.Month()+1, 1, 0, 0, 0, 0, loc); m.Before(to); m = time.Date(m.Year(), m.Month()+1, 1, 0, 0, 0, 0, loc) {
		b = append(b, m.UTC())
	}
	return append(b, to)
}

// weekBounds cuts [from, to) at the starts of ISO weeks (Monday 00:00) in
// loc.
func weekBounds(from, to time.Time, loc *time.Location) []time.Time {
	b := []time.Time{from}
	l := from.In(loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	ahead := (int(time.Monday) - int(day.Weekday()) + 7) % 7
	if ahead == 0 {
		ahead = 7
	}
	for m := day.AddDate(0, 0, ahead); m.Before(to); m = time.Date(m.Year(), m.Month(), m.Day()+7, 0, 0, 0, 0, loc) {
		b = append(b, m.UTC())
	}
	return append(b, to)
}

func isoWeek(t time.Time, loc *time.Location) string {
	y, w := t.In(loc).ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

func (s *Service) reportSLA(ctx context.Context, sc crmtype.Scope, st ReportStore, p *ReportParams, loc *time.Location, r *Report) error {
	bounds := monthBounds(p.From, p.To, loc)
	counts, err := st.SLAOutcomes(ctx, sc, bounds, r.Now)
	if err != nil {
		return err
	}
	r.SLA = make([]SLAAttainment, 0, len(counts))
	for _, c := range counts {
		a := SLAAttainment{PolicyID: c.PolicyID, PolicyName: c.PolicyName, TeamID: c.TeamID,
			Month: bounds[c.Bucket].In(loc).Format("2006-01"), Metric: c.Metric,
			Met: c.Met, Breached: c.Breached, Undecided: c.Undecided}
		if a.Rate, a.Interval, err = analysis.Proportion(c.Met, c.Met+c.Breached, p.Level); err != nil {
			return err
		}
		r.SLAUndecided += c.Undecided
		r.SLA = append(r.SLA, a)
	}
	slices.SortFunc(r.SLA, func(a, b SLAAttainment) int {
		return cmp.Or(cmp.Compare(a.PolicyName, b.PolicyName), strings.Compare(a.PolicyID.String(), b.PolicyID.String()),
			cmp.Compare(a.TeamID, b.TeamID), cmp.Compare(a.Month, b.Month),
			cmp.Compare(slices.Index(Metrics, a.Metric), slices.Index(Metrics, b.Metric)))
	})
	return nil
}

// timeMetrics are the metrics ResponseTimes summarises.
var timeMetrics = []Metric{MetricFirstResponse, MetricResolution}

func (s *Service) reportTimes(ctx context.Context, sc crmtype.Scope, st ReportStore, p *ReportParams, r *Report) error {
	rows, err := st.FulfilledTargets(ctx, sc, p.From, p.To, timeMetrics)
	if err != nil {
		return err
	}
	type key struct {
		m    Metric
		team string
	}
	all := map[Metric][]float64{}
	byTeam := map[key][]float64{}
	for _, row := range rows {
		h := float64(row.ElapsedSeconds) / 3600
		all[row.Metric] = append(all[row.Metric], h)
		k := key{row.Metric, row.TeamID}
		byTeam[k] = append(byTeam[k], h)
	}
	summary := func(m Metric, team string, xs []float64) ResponseTimes {
		slices.Sort(xs)
		rt := ResponseTimes{Metric: m, TeamID: team, N: len(xs)}
		if len(xs) > 0 {
			rt.Median, rt.P90 = quantile(xs, 0.5), quantile(xs, 0.9)
		}
		return rt
	}
	for _, m := range timeMetrics {
		r.ResponseTimes = append(r.ResponseTimes, summary(m, "", all[m]))
	}
	keys := make([]key, 0, len(byTeam))
	for k := range byTeam {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(slices.Index(timeMetrics, a.m), slices.Index(timeMetrics, b.m)), cmp.Compare(a.team, b.team))
	})
	for _, k := range keys {
		r.ResponseTimesByTeam = append(r.ResponseTimesByTeam, summary(k.m, k.team, byTeam[k]))
	}
	return nil
}

// quantile returns the p-quantile (0 ≤ p ≤ 1) of sorted, non-empty xs by
// Hyndman and Fan's definition 7 (R's quantile default): linear
// interpolation between the order statistics at h = (n−1)·p.
func quantile(xs []float64, p float64) float64 {
	n := len(xs)
	h := float64(n-1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i >= n-1 {
		return xs[n-1]
	}
	return xs[i] + (h-lo)*(xs[i+1]-xs[i])
}

// holm returns Holm's step-down adjusted p-values of ps, in ps' order:
// with the m p-values sorted p(1) ≤ … ≤ p(m), the adjusted p(i) is
// max over j ≤ i of min(1, (m−j+1)·p(j)), as R's p.adjust(method="holm").
func holm(ps []float64) []float64 {
	m := len(ps)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ps[a], ps[b]) })
	out := make([]float64, m)
	running := 0.0
	for rank, i := range order {
		v := math.Min(1, float64(m-rank)*ps[i])
		running = math.Max(running, v)
		out[i] = running
	}
	return out
}

func (s *Service) reportBacklog(ctx context.Context, sc crmtype.Scope, st ReportStore, r *Report) error {
	rows, err := st.BacklogCounts(ctx, sc, r.Now, ageBounds)
	if err != nil {
		return err
	}
	b := Backlog{At: r.Now, ByStatus: map[Status]AgeCounts{}, ByTeam: map[string]AgeCounts{}}
	for _, row := range rows {
		if row.Bucket < 0 || row.Bucket >= int(NumAgeBuckets) {
			return fmt.Errorf("backlog: age bucket %d out of range", row.Bucket)
		}
		b.Total[row.Bucket] += row.N
		c := b.ByStatus[row.Status]
		c[row.Bucket] += row.N
		b.ByStatus[row.Status] = c
		c = b.ByTeam[row.TeamID]
		c[row.Bucket] += row.N
		b.ByTeam[row.TeamID] = c
	}
	r.Backlog = b
	return nil
}

// solvedAndReopened reports whether activity records a solve in [from, to)
// and whether the next status change after such a solve is a reopen.
func solvedAndReopened(activity []Activity, from, to time.Time) (solved, reopened bool) {
	inSolve := false // the last status change was a solve in the period
	for _, a := range activity {
		if a.Kind != ActivityStatus {
			continue
		}
		if inSolve && a.Status == StatusOpen {
			reopened = true
		}
		inSolve = a.Status == StatusSolved && !a.At.Before(from) && a.At.Before(to)
		solved = solved || inSolve
	}
	return solved, reopened
}

func (s *Service) reportReopens(ctx context.Context, sc crmtype.Scope, st ReportStore, p *ReportParams, r *Report) error {
	hs, err := st.SolveHistories(ctx, sc, p.From, p.To)
	if err != nil {
		return err
	}
	var rr ReopenRate
	for _, h := range hs {
		solved, reopened := solvedAndReopened(h.Activity, p.From, p.To)
		if solved {
			rr.Solved++
			if reopened {
				rr.Reopened++
			}
		}
	}
	if rr.Rate, rr.Interval, err = analysis.Proportion(rr.Reopened, rr.Solved, p.Level); err != nil {
		return err
	}
	r.Reopens = rr
	return nil
}

// satCounts accumulates the answers of one group.
type satCounts struct {
	csat, ces map[int]int
	nps       [3]int // promoters, passives, detractors
}

func (c *satCounts) add(kind communication.QuestionKind, value, n int) {
	switch kind {
	case communication.QuestionRating:
		if c.csat == nil {
			c.csat = map[int]int{}
		}
		c.csat[value] += n
	case communication.QuestionCES:
		if c.ces == nil {
			c.ces = map[int]int{}
		}
		c.ces[value] += n
	case communication.QuestionNPS:
		switch {
		case value >= 9:
			c.nps[0] += n
		case value >= 7:
			c.nps[1] += n
		default:
			c.nps[2] += n
		}
	}
}

func (c *satCounts) csatScore(level float64) (CSATScore, error) {
	var sc CSATScore
	for v, n := range c.csat {
		sc.N += n
		if v >= 4 {
			sc.Satisfied += n
		}
	}
	var err error
	sc.Value, sc.Interval, err = analysis.Proportion(sc.Satisfied, sc.N, level)
	return sc, err
}

func (c *satCounts) group(key string, level float64) (SatisfactionGroup, error) {
	g := SatisfactionGroup{Key: key}
	var err error
	if g.CSAT, err = c.csatScore(level); err != nil {
		return g, err
	}
	g.NPS = NPSScore{Promoters: c.nps[0], Passives: c.nps[1], Detractors: c.nps[2], N: c.nps[0] + c.nps[1] + c.nps[2]}
	if g.NPS.N > 0 {
		res, err := analysis.NPSFromCounts(c.nps[0], c.nps[1], c.nps[2], level)
		if err != nil {
			return g, err
		}
		g.NPS.Value, g.NPS.Interval = res.Score, res.CI
	}
	values := make([]int, 0, len(c.ces))
	for v := range c.ces {
		values = append(values, v)
	}
	slices.Sort(values)
	var sum float64
	xs, ns := make([]float64, len(values)), make([]int, len(values))
	for i, v := range values {
		xs[i], ns[i] = float64(v), c.ces[v]
		g.CES.N += ns[i]
		sum += xs[i] * float64(ns[i])
	}
	if g.CES.N > 0 {
		g.CES.Mean = sum / float64(g.CES.N)
	}
	if g.CES.N >= 2 {
		res, err := analysis.MeanIntervalFromCounts(xs, ns, level)
		if err != nil {
			return g, err
		}
		g.CES.Interval = res.CI
	}
	return g, nil
}

func (s *Service) reportSatisfaction(ctx context.Context, sc crmtype.Scope, st ReportStore, p *ReportParams, loc *time.Location, r *Report) error {
	bounds := weekBounds(p.From, p.To, loc)
	rows, err := st.SatisfactionCounts(ctx, sc, bounds, p.SurveyKey)
	if err != nil {
		return err
	}
	agents, teams, cats := map[string]*satCounts{}, map[string]*satCounts{}, map[string]*satCounts{}
	weeks := map[int]*satCounts{}
	get := func(m map[string]*satCounts, k string) *satCounts {
		c := m[k]
		if c == nil {
			c = &satCounts{}
			m[k] = c
		}
		return c
	}
	for _, row := range rows {
		if row.Bucket < 0 || row.Bucket >= len(bounds)-1 {
			return fmt.Errorf("satisfaction: week bucket %d out of range", row.Bucket)
		}
		get(agents, row.AssigneeID).add(row.Kind, row.Value, row.N)
		get(teams, row.TeamID).add(row.Kind, row.Value, row.N)
		get(cats, row.Category).add(row.Kind, row.Value, row.N)
		if weeks[row.Bucket] == nil {
			weeks[row.Bucket] = &satCounts{}
		}
		weeks[row.Bucket].add(row.Kind, row.Value, row.N)
	}
	groups := func(m map[string]*satCounts) ([]SatisfactionGroup, error) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := make([]SatisfactionGroup, 0, len(keys))
		for _, k := range keys {
			g, err := m[k].group(k, p.Level)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		return out, nil
	}
	sr := &r.Satisfaction
	if sr.ByAgent, err = groups(agents); err != nil {
		return err
	}
	if sr.ByTeam, err = groups(teams); err != nil {
		return err
	}
	if sr.ByCategory, err = groups(cats); err != nil {
		return err
	}
	for i := range len(bounds) - 1 {
		c := weeks[i]
		if c == nil {
			continue
		}
		g, err := c.group(isoWeek(bounds[i], loc), p.Level)
		if err != nil {
			return err
		}
		g.WeekStart = bounds[i]
		sr.ByWeek = append(sr.ByWeek, g)
	}
	return nil
}

func (s *Service) reportFalls(ctx context.Context, sc crmtype.Scope, st ReportStore, p *ReportParams, r *Report) error {
	recent := p.To.Add(-p.FallWindow)
	f := CategoryFalls{PreviousFrom: recent.Add(-p.FallWindow), RecentFrom: recent, RecentTo: p.To, Alpha: p.Alpha}
	rows, err := st.SatisfactionCounts(ctx, sc, []time.Time{f.PreviousFrom, f.RecentFrom, f.RecentTo}, p.SurveyKey)
	if err != nil {
		return err
	}
	byCat := map[string]*[2]satCounts{} // previous, recent
	for _, row := range rows {
		if row.Kind != communication.QuestionRating {
			continue
		}
		if row.Bucket < 0 || row.Bucket > 1 {
			return fmt.Errorf("satisfaction: window bucket %d out of range", row.Bucket)
		}
		c := byCat[row.Category]
		if c == nil {
			c = &[2]satCounts{}
			byCat[row.Category] = c
		}
		c[row.Bucket].add(row.Kind, row.Value, row.N)
	}
	var tested []CategoryFall
	for cat, c := range byCat {
		prev, err := c[0].csatScore(p.Level)
		if err != nil {
			return err
		}
		rec, err := c[1].csatScore(p.Level)
		if err != nil {
			return err
		}
		if prev.N == 0 || rec.N == 0 {
			continue
		}
		t, err := analysis.TwoProportionZTest(rec.Satisfied, rec.N, prev.Satisfied, prev.N, analysis.Less, p.Level)
		if err != nil {
			return err
		}
		tested = append(tested, CategoryFall{Category: cat, Previous: prev, Recent: rec, Diff: rec.Value - prev.Value, P: t.P})
	}
	ps := make([]float64, len(tested))
	for i := range tested {
		ps[i] = tested[i].P
	}
	for i, adj := range holm(ps) {
		tested[i].AdjustedP = adj
	}
	f.Tested = len(tested)
	for _, c := range tested {
		if c.AdjustedP <= p.Alpha {
			f.Falling = append(f.Falling, c)
		}
	}
	slices.SortFunc(f.Falling, func(a, b CategoryFall) int {
		return cmp.Or(cmp.Compare(a.AdjustedP, b.AdjustedP), cmp.Compare(a.Category, b.Category))
	})
	r.Falling = f
	return nil
}
