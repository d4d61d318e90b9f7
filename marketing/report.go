package marketing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/crmtype"
)

// RFMSource scores customers for the report's response by RFM segment;
// *analysis.Service has it.
type RFMSource interface {
	RFM(ctx context.Context, p analysis.Params) (*analysis.RFMResult, error)
}

// ReportStore reads what campaign reports aggregate. Every method confines
// itself to the scope's workspace.
type ReportStore interface {
	// MemberReach returns how many of campaign id's members ever reached
	// each status (from the status log), the members and the responded.
	MemberReach(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (reach map[MemberStatus]int, members, responded int, err error)
	// MemberResponses returns campaign id's members and whether each
	// responded, by customer.
	MemberResponses(ctx context.Context, sc crmtype.Scope, id crmtype.ID) ([]MemberResponse, error)
	// ResponseBy groups campaign id's members by the customer's value of
	// group (GroupStage, GroupKind, GroupCountry, GroupSource, or
	// "attribute:<key>"), counting members and the responded per value.
	ResponseBy(ctx context.Context, sc crmtype.Scope, id crmtype.ID, group string) ([]GroupCount, error)
}

// MemberResponse is a member and whether it responded.
type MemberResponse struct {
	CustomerID crmtype.ID
	Responded  bool
}

// GroupCount counts the members of one group and those who responded.
type GroupCount struct {
	Value     string // "" when the customer has no value
	Members   int
	Responded int
}

// Groupings of the report's response by customer attribute.
const (
	GroupStage   = "stage"
	GroupKind    = "kind"
	GroupCountry = "country"
	GroupSource  = "source"
	// GroupAttribute prefixes a custom attribute's key: "attribute:tier".
	GroupAttribute = "attribute:"
)

// ReportParams configure Report.
type ReportParams struct {
	// Level is the confidence level of the intervals, in (0, 1); default
	// 0.95.
	Level float64
	// RFMAsOf is the day the members' RFM segments are scored as of (in
	// the campaign's currency); default the campaign's start, else now.
	// The response by RFM segment needs Config.RFM.
	RFMAsOf time.Time
	// By lists the groupings of the response by customer attribute;
	// default GroupStage.
	By []string
	// Revenue is the revenue the ROI counts, in the campaign's currency
	// (the attributed or incremental revenue of the evaluation, see
	// Attribute and Evaluate), with what it is; zero for none.
	Revenue     int64
	RevenueKind string // e.g. "attributed (linear)", "incremental"
	// Conversions is the number of conversions the cost per conversion
	// divides by (attributed conversions); 0 for none.
	Conversions float64
	// ExperimentID, when set, adds the verdict of the experiment's last
	// look (replayed: the report records no look); none before its first.
	ExperimentID crmtype.ID
	// Attribution, when set, attributes the purchases of its window
	// (Attribute) and, unless Revenue is given, takes the ROI's revenue
	// and conversions from the credits of the campaign and the campaigns
	// under it.
	Attribution *AttributionQuery
}

// CampaignReport is a campaign's report.
type CampaignReport struct {
	Campaign *Campaign
	Level    float64
	// Rollup sums the campaign and the campaigns under it.
	Rollup *Rollup
	// Funnel is, per status any member reached, how many reached it ever
	// and their share of the members with its interval, in funnel order
	// (the built-in statuses first).
	Funnel    []StatusRate
	Members   int
	Responded int
	// ResponseRate is Responded / Members with its Wilson interval.
	ResponseRate Rate
	// ByRFM is the response per RFM segment of the members (customers
	// without purchases in the currency form the group "No purchases").
	ByRFM []GroupRate
	// ByAttribute is the response per value of each grouping of By.
	ByAttribute map[string][]GroupRate
	// Ads sums the campaign's daily ad metrics; nil when it has none.
	Ads *AdSummary
	ROI ROI
	// Experiment is the verdict of ReportParams.ExperimentID's last look,
	// with lift against the holdout; nil without one.
	Experiment *ExperimentResult
	// Attribution is the run of ReportParams.Attribution; Attributed sums
	// its credits to the campaign and the campaigns under it.
	Attribution *Attribution
	Attributed  AttributionTotal
}

// Rate is a proportion with its Wilson interval.
type Rate struct {
	N, Successes int
	Value        float64
	Interval     analysis.ConfidenceInterval
}

// StatusRate is the share of members that reached a status.
type StatusRate struct {
	Status MemberStatus
	Rate
}

// GroupRate is the response rate of one group of members.
type GroupRate struct {
	Group string
	Rate
}

// ROI sets the campaign's revenue against its cost (the cost ledger of the
// campaign and the campaigns under it, in its currency).
type ROI struct {
	Currency    string
	Cost        int64
	Revenue     int64
	RevenueKind string
	// Return is (Revenue − Cost) / Cost; 0 when Cost is 0.
	Return float64
	// CostPerMember, CostPerResponse and CostPerConversion are in minor
	// units; 0 when the divisor is 0.
	CostPerMember, CostPerResponse, CostPerConversion float64
	// ROAS is the return on ad spend from the ad platforms' conversion
	// values (Ads.Total.ROAS); 0 without ad metrics.
	ROAS float64
}

// Report returns campaign id's report: the funnel with the share of
// members that reached each status, the response rate, the response by
// RFM segment and by the groupings of p.By (which kinds of customers
// answered), the ad metrics, and the ROI of p.Revenue against the cost
// ledger. Errors: ErrInvalid "level", "by[i]"; ErrNotFound.
func (s *Service) Report(ctx context.Context, id crmtype.ID, p ReportParams) (*CampaignReport, error) {
	const op = "report"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.Level == 0 {
		p.Level = 0.95
	}
	if !(p.Level > 0 && p.Level < 1) {
		return nil, wrap(op, crmtype.Invalidf("level", "is %g: give a level in (0, 1)", p.Level))
	}
	if len(p.By) == 0 {
		p.By = []string{GroupStage}
	}
	for i, g := range p.By {
		if !validGroup(g) {
			return nil, wrap(op, crmtype.Invalidf(fmt.Sprintf("by[%d]", i), "%q is not stage, kind, country, source or attribute:<key>", g))
		}
	}
	c, err := s.store.GetCampaign(ctx, sc, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	r := &CampaignReport{Campaign: c, Level: p.Level, ByAttribute: map[string][]GroupRate{}}
	if r.Rollup, err = s.store.Rollup(ctx, sc, id); err != nil {
		return nil, wrap(op, err)
	}
	reach, members, responded, err := s.store.MemberReach(ctx, sc, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	r.Members, r.Responded = members, responded
	if r.ResponseRate, err = rate(responded, members, p.Level); err != nil {
		return nil, wrap(op, err)
	}
	for _, st := range funnelOrder(reach) {
		sr := StatusRate{Status: st}
		if sr.Rate, err = rate(reach[st], members, p.Level); err != nil {
			return nil, wrap(op, err)
		}
		r.Funnel = append(r.Funnel, sr)
	}
	if s.cfg.RFM != nil && members > 0 {
		if r.ByRFM, err = s.responseByRFM(ctx, sc, c, p); err != nil {
			return nil, wrap(op, err)
		}
	}
	for _, g := range p.By {
		counts, err := s.store.ResponseBy(ctx, sc, id, g)
		if err != nil {
			return nil, wrap(op, err)
		}
		rows := make([]GroupRate, 0, len(counts))
		for _, gc := range counts {
			gr := GroupRate{Group: gc.Value}
			if gr.Rate, err = rate(gc.Responded, gc.Members, p.Level); err != nil {
				return nil, wrap(op, err)
			}
			rows = append(rows, gr)
		}
		r.ByAttribute[g] = rows
	}
	ads, err := s.store.AdTotals(ctx, sc, id, AdMetricsParams{})
	if err != nil {
		return nil, wrap(op, err)
	}
	if len(ads) > 0 {
		r.Ads = SummarizeAds(id, c.Currency, AdMetricsParams{}, ads)
	}
	if p.Attribution != nil {
		if r.Attribution, err = s.Attribute(ctx, *p.Attribution); err != nil {
			return nil, err // already "marketing: attribute: ..."
		}
		r.Attributed = AttributionTotal{CampaignID: id}
		for _, cid := range r.Rollup.CampaignIDs {
			t := r.Attribution.Campaign(cid)
			r.Attributed.Revenue += t.Revenue
			r.Attributed.Conversions += t.Conversions
			r.Attributed.Touches += t.Touches
		}
		if p.Revenue == 0 && p.Attribution.Currency == c.Currency {
			p.Revenue, p.RevenueKind = r.Attributed.Revenue, "attributed ("+string(p.Attribution.Model)+")"
		}
		if p.Conversions == 0 {
			p.Conversions = r.Attributed.Conversions
		}
	}
	r.ROI = roi(c.Currency, r.Rollup.Cost[c.Currency], p.Revenue, p.RevenueKind, r.Rollup.Members, r.Rollup.Responses, p.Conversions, r.Ads)
	if !p.ExperimentID.IsZero() {
		e, err := s.store.GetExperiment(ctx, sc, p.ExperimentID)
		if err != nil {
			return nil, wrap(op, err)
		}
		if e.CampaignID != id {
			return nil, wrap(op, crmtype.Invalid("experiment_id", "is an experiment of another campaign"))
		}
		looks, err := s.store.ExperimentLooks(ctx, sc, e.ID)
		if err != nil {
			return nil, wrap(op, err)
		}
		if len(looks) > 0 {
			if r.Experiment, err = s.Evaluate(ctx, e.ID, EvaluateParams{At: looks[len(looks)-1].At}); err != nil {
				return nil, err // already "marketing: evaluate: ..."
			}
		}
	}
	return r, nil
}

// CampaignComparison sets campaigns side by side.
type CampaignComparison struct {
	Level     float64
	Campaigns []CampaignFigures
	// ChiSquare tests whether the campaigns share one response rate; nil
	// with fewer than two campaigns with members, or when every member
	// responded or none did.
	ChiSquare *analysis.ChiSquareTest
}

// CampaignFigures are one campaign's figures in a comparison, each over
// the campaign and the campaigns under it (as Rollup sums them).
type CampaignFigures struct {
	CampaignID   crmtype.ID
	Name         string
	Currency     string
	Members      int
	ResponseRate Rate
	// Cost sums the campaign's ledger and those of the campaigns under it.
	Cost int64
	// CostPerResponse is in minor units; 0 without responses.
	CostPerResponse float64
}

// CompareCampaigns returns the figures of campaigns ids side by side and
// tests whether their response rates differ (chi-square). Errors:
// ErrInvalid "ids" (fewer than 2 or more than 100, or repeated), "level";
// ErrNotFound when one is not a campaign of the workspace.
func (s *Service) CompareCampaigns(ctx context.Context, ids []crmtype.ID, level float64) (*CampaignComparison, error) {
	const op = "compare campaigns"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if len(ids) < 2 || len(ids) > 100 || len(distinct(ids)) != len(ids) {
		return nil, wrap(op, crmtype.Invalid("ids", "give 2 to 100 distinct campaigns"))
	}
	if level == 0 {
		level = 0.95
	}
	if !(level > 0 && level < 1) {
		return nil, wrap(op, crmtype.Invalidf("level", "is %g: give a level in (0, 1)", level))
	}
	out := &CampaignComparison{Level: level}
	var successes, trials []int
	for _, id := range ids {
		c, err := s.store.GetCampaign(ctx, sc, id)
		if err != nil {
			return nil, wrap(op, err)
		}
		r, err := s.store.Rollup(ctx, sc, id)
		if err != nil {
			return nil, wrap(op, err)
		}
		members, responded := r.Members, r.Responses
		f := CampaignFigures{CampaignID: id, Name: c.Name, Currency: c.Currency, Members: members, Cost: r.Cost[c.Currency]}
		if f.ResponseRate, err = rate(responded, members, level); err != nil {
			return nil, wrap(op, err)
		}
		if responded > 0 {
			f.CostPerResponse = float64(f.Cost) / float64(responded)
		}
		out.Campaigns = append(out.Campaigns, f)
		if members > 0 {
			successes, trials = append(successes, responded), append(trials, members)
		}
	}
	if len(trials) >= 2 {
		if t, err := analysis.ChiSquareProportions(successes, trials); err == nil {
			out.ChiSquare = &t
		}
	}
	return out, nil
}

// roi sets revenue against cost.
func roi(currency string, cost, revenue int64, kind string, members, responses int, conversions float64, ads *AdSummary) ROI {
	per := func(n float64) float64 {
		if n <= 0 {
			return 0
		}
		return float64(cost) / n
	}
	out := ROI{Currency: currency, Cost: cost, Revenue: revenue, RevenueKind: kind,
		CostPerMember: per(float64(members)), CostPerResponse: per(float64(responses)), CostPerConversion: per(conversions)}
	if cost > 0 {
		out.Return = float64(revenue-cost) / float64(cost)
	}
	if ads != nil {
		out.ROAS = ads.Total.ROAS
	}
	return out
}

func rate(successes, n int, level float64) (Rate, error) {
	r := Rate{N: n, Successes: successes}
	var err error
	r.Value, r.Interval, err = analysis.Proportion(successes, n, level)
	return r, err
}

// funnelOrder lists the statuses of reach: the built-in ones in funnel
// order, then the workspace's by name.
func funnelOrder(reach map[MemberStatus]int) []MemberStatus {
	builtin := []MemberStatus{MemberAdded, MemberSent, MemberDelivered, MemberOpened, MemberClicked, MemberResponded,
		MemberConverted, MemberUnsubscribed, MemberBounced}
	var out, own []MemberStatus
	for _, st := range builtin {
		if _, ok := reach[st]; ok {
			out = append(out, st)
		}
	}
	for st := range reach {
		if !slices.Contains(builtin, st) {
			own = append(own, st)
		}
	}
	slices.Sort(own)
	return append(out, own...)
}

func validGroup(g string) bool {
	switch g {
	case GroupStage, GroupKind, GroupCountry, GroupSource:
		return true
	}
	key, ok := strings.CutPrefix(g, GroupAttribute)
	return ok && key != "" && len(key) <= 64
}

// noPurchases names the RFM group of members without purchases.
const noPurchases = "No purchases"

// responseByRFM groups the members by their RFM segment as of p.RFMAsOf.
func (s *Service) responseByRFM(ctx context.Context, sc crmtype.Scope, c *Campaign, p ReportParams) ([]GroupRate, error) {
	asOf := p.RFMAsOf
	if asOf.IsZero() {
		asOf = c.StartsAt
	}
	if asOf.IsZero() {
		asOf = s.clock.Now()
	}
	res, err := s.cfg.RFM.RFM(ctx, analysis.Params{Currency: c.Currency, AsOf: asOf})
	if err != nil {
		return nil, err
	}
	segOf := make(map[string]string, len(res.Scores))
	for _, sc := range res.Scores {
		segOf[sc.Key] = sc.Segment.String()
	}
	ms, err := s.store.MemberResponses(ctx, sc, c.ID)
	if err != nil {
		return nil, err
	}
	type count struct{ n, responded int }
	by := map[string]*count{}
	for _, m := range ms {
		seg, ok := segOf[m.CustomerID.String()]
		if !ok {
			seg = noPurchases
		}
		if by[seg] == nil {
			by[seg] = &count{}
		}
		by[seg].n++
		if m.Responded {
			by[seg].responded++
		}
	}
	order := map[string]int{noPurchases: len(analysis.RFMSegments())}
	for i, seg := range analysis.RFMSegments() {
		order[seg.String()] = i
	}
	out := make([]GroupRate, 0, len(by))
	for seg, n := range by {
		gr := GroupRate{Group: seg}
		if gr.Rate, err = rate(n.responded, n.n, p.Level); err != nil {
			return nil, err
		}
		out = append(out, gr)
	}
	slices.SortFunc(out, func(a, b GroupRate) int { return cmp.Compare(order[a.Group], order[b.Group]) })
	return out, nil
}
