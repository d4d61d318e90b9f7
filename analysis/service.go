package analysis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/kehu/crm/crmtype"
)

// Store is what the workspace analysis service needs from the database:
// aggregates computed where the purchases are, never the purchases
// themselves.
type Store interface {
	// PurchaseSummaries returns the buy-till-you-die summary (as Summarize
	// defines it) of every customer with purchases in currency whose first
	// purchase day is not after cfg.CalibrationEnd, by customer ID.
	PurchaseSummaries(ctx context.Context, s crmtype.Scope, currency string, cfg SummaryConfig) ([]CustomerSummary, error)
	// PurchaseMonths returns, per customer and calendar month in loc, the
	// value bought in currency, as one CohortPurchase dated the first of
	// the month.
	PurchaseMonths(ctx context.Context, s crmtype.Scope, currency string, loc *time.Location) ([]CohortPurchase[string], error)
}

// Service runs the analyses over one workspace's purchases. Get one from
// crm.Client.Workspace. Safe for concurrent use.
type Service struct {
	store     Store
	workspace crmtype.WorkspaceID
}

// NewService returns a Service for workspace ws over st.
func NewService(st Store, ws crmtype.WorkspaceID) *Service {
	return &Service{store: st, workspace: ws}
}

// Params selects the purchases an analysis runs on.
type Params struct {
	// Currency is the ISO 4217 code of the purchases to use: values in
	// different currencies are not added up. Required.
	Currency string
	// AsOf is the last calendar day of the data used: the calendar day, in
	// Location, of the instant AsOf (so 2026-11-25T00:00Z read in New York
	// is November 24th). Later purchases are ignored. Required.
	AsOf time.Time
	// Location decides which calendar day a purchase falls on. Nil means UTC.
	Location *time.Location
	// Unit is the time unit of the models (recency, T, CLV periods). Zero
	// means UnitWeek.
	Unit time.Duration
}

func (p Params) check() error {
	if len(p.Currency) != 3 {
		return crmtype.Invalid("currency", "is required: an ISO 4217 code")
	}
	if p.AsOf.IsZero() {
		return crmtype.Invalid("as_of", "is required")
	}
	return nil
}

func (p Params) summaryConfig() SummaryConfig {
	return SummaryConfig{CalibrationEnd: p.AsOf, Unit: p.Unit, Location: p.Location}
}

func (s *Service) scope(ctx context.Context, op string) (crmtype.Scope, error) {
	sc, err := crmtype.NewScope(ctx, s.workspace)
	if err != nil {
		return sc, fmt.Errorf("analysis: %s: %w", op, err)
	}
	return sc, nil
}

// Summaries returns the buy-till-you-die summary of every customer who
// bought in p.Currency up to p.AsOf, with a hold-out period up to
// holdoutEnd (zero for none), computed in the database.
func (s *Service) Summaries(ctx context.Context, p Params, holdoutEnd time.Time) ([]CustomerSummary, error) {
	sc, err := s.scope(ctx, "summaries")
	if err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("analysis: summaries: %w", err)
	}
	cfg := p.summaryConfig()
	cfg.HoldoutEnd = holdoutEnd
	if _, _, err := cfg.Days(); err != nil {
		return nil, fmt.Errorf("analysis: summaries: %w", err)
	}
	out, err := s.store.PurchaseSummaries(ctx, sc, p.Currency, cfg)
	if err != nil {
		return nil, fmt.Errorf("analysis: summaries: %w", err)
	}
	return out, nil
}

// RFM scores every customer who bought in p.Currency up to p.AsOf:
// recency is the time from the last purchase day to AsOf, frequency the
// number of purchase days, monetary the total spent (minor units).
func (s *Service) RFM(ctx context.Context, p Params) (*RFMResult, error) {
	sums, err := s.Summaries(ctx, p, time.Time{})
	if err != nil {
		return nil, err
	}
	res, err := RFM(rfmCustomers(sums))
	if err != nil {
		return nil, fmt.Errorf("analysis: rfm: %w", err)
	}
	return res, nil
}

func rfmCustomers(sums []CustomerSummary) []RFMCustomer {
	out := make([]RFMCustomer, len(sums))
	for i, c := range sums {
		out[i] = RFMCustomer{Key: c.Customer, Recency: c.T - c.Tx, Frequency: float64(c.X + 1),
			Monetary: float64(c.FirstValue + c.RepeatValue)}
	}
	return out
}

// SegmentParams configures Segments.
type SegmentParams struct {
	Params
	// K is the number of segments; 0 chooses it by silhouette among 2..8.
	K int
	// Seed makes the clustering reproducible; the same seed gives the same
	// segments.
	Seed uint64
}

// Segmentation is the result of Segments.
type Segmentation struct {
	// Customers are the customer IDs, in the order of Result.Labels.
	Customers []string
	// Features names the columns of the centroids: recency (in the unit),
	// frequency (purchase days), monetary (minor units).
	Features []string
	// Selection holds the chosen k, the clustering, the centroids in
	// original units and the elbow and silhouette curve.
	Selection *KMeansSelection
}

// Segments clusters the customers by recency, frequency and monetary value
// (log1p then z-score) with k-means.
func (s *Service) Segments(ctx context.Context, p SegmentParams) (*Segmentation, error) {
	sums, err := s.Summaries(ctx, p.Params, time.Time{})
	if err != nil {
		return nil, err
	}
	if p.K < 0 || p.K == 1 {
		return nil, fmt.Errorf("analysis: segments: %w", crmtype.Invalid("k", "must be 0 (choose by silhouette) or at least 2"))
	}
	if len(sums) < 3 {
		return nil, fmt.Errorf("analysis: segments: %w", crmtype.Invalid("customers", "at least 3 customers with purchases are needed"))
	}
	x := mat.NewDense(len(sums), 3, nil)
	ids := make([]string, len(sums))
	for i, c := range sums {
		ids[i] = c.Customer
		x.Set(i, 0, c.T-c.Tx)
		x.Set(i, 1, float64(c.X+1))
		x.Set(i, 2, math.Max(0, float64(c.FirstValue+c.RepeatValue)))
	}
	cfg := KMeansSelectConfig{MinK: p.K, MaxK: p.K, Scaler: NewLogZScaler(),
		KMeans: KMeansConfig{Src: rand.NewPCG(p.Seed, 0x6b656875)}}
	if p.K == 0 {
		cfg.MinK, cfg.MaxK = 0, 0
	}
	sel, err := KMeansSelect(x, cfg)
	if err != nil {
		return nil, fmt.Errorf("analysis: segments: %w", err)
	}
	return &Segmentation{Customers: ids, Features: []string{"recency", "frequency", "monetary"}, Selection: sel}, nil
}

// ValueParams configures LifetimeValue.
type ValueParams struct {
	Params
	// Model is the purchase model: "bgnbd" (the default) or "paretonbd".
	Model string
	// CLV sets the horizon, margin and discounting. Zero Periods means 12
	// periods of 52/12 weeks (a year in months) when Unit is a week.
	CLV CLVConfig
}

// CustomerValue is one customer's predicted value.
type CustomerValue struct {
	Customer string
	Summary  CustomerSummary
	// PAlive is the probability that the customer is still active.
	PAlive float64
	// ChurnRisk is 1 − PAlive.
	ChurnRisk float64
	// ExpectedPurchases over the CLV horizon.
	ExpectedPurchases float64
	// ExpectedSpend is the expected value of one future purchase, minor units.
	ExpectedSpend float64
	// CLV is the discounted value over the horizon, in minor units, times
	// the margin.
	CLV float64
}

// Valuation is the result of LifetimeValue.
type Valuation struct {
	PurchaseModel PurchaseModel
	PurchaseFit   FitInfo
	Spend         GammaGamma
	SpendFit      FitInfo
	// Customers, by CLV, highest first.
	Customers []CustomerValue
}

// LifetimeValue fits a purchase model (BG/NBD or Pareto/NBD) and the
// Gamma-Gamma spend model to the workspace's purchases up to p.AsOf and
// predicts each customer's P(alive), churn risk, purchases and discounted
// CLV over the horizon. Errors: ErrInvalid for bad parameters, or for data
// the models cannot be fitted to (too little history, a fit that does not
// converge, spend too heavy-tailed for Gamma-Gamma).
func (s *Service) LifetimeValue(ctx context.Context, p ValueParams) (*Valuation, error) {
	sums, err := s.Summaries(ctx, p.Params, time.Time{})
	if err != nil {
		return nil, err
	}
	if p.CLV.Periods == 0 {
		p.CLV.Periods = 12
		p.CLV.PeriodLength = 52.0 / 12
		if p.Unit != 0 && p.Unit != UnitWeek {
			p.CLV.PeriodLength = float64(365*UnitDay) / 12 / float64(p.Unit)
		}
	}
	hist := make([]History, len(sums))
	var spends []Spend
	for i, c := range sums {
		hist[i] = c.History()
		if c.X > 0 && c.ZBar > 0 { // Gamma-Gamma needs a positive mean spend
			spends = append(spends, c.Spend())
		}
	}
	if !canFitPurchases(hist) {
		return nil, fmt.Errorf("analysis: lifetime value: %w", crmtype.Invalid("customers", "too little purchase history to fit: need repeat buyers and customers observed for some time"))
	}
	v := &Valuation{}
	switch p.Model {
	case "", "bgnbd":
		m, info, err := FitBGNBD(hist, FitConfig{})
		if err != nil {
			return nil, fitError(err)
		}
		v.PurchaseModel, v.PurchaseFit = m, info
	case "paretonbd":
		m, info, err := FitParetoNBD(hist, FitConfig{})
		if err != nil {
			return nil, fitError(err)
		}
		v.PurchaseModel, v.PurchaseFit = m, info
	default:
		return nil, fmt.Errorf("analysis: lifetime value: %w", crmtype.Invalidf("model", "%q is not bgnbd or paretonbd", p.Model))
	}
	if len(spends) < 2 {
		return nil, fmt.Errorf("analysis: lifetime value: %w", crmtype.Invalid("customers", "at least 2 repeat buyers are needed to fit spend"))
	}
	if v.Spend, v.SpendFit, err = FitGammaGamma(spends, FitConfig{}); err != nil {
		return nil, fitError(err)
	}
	if v.Spend.Q <= 1 {
		// The expected spend of a customer with no repeat purchase is
		// infinite: the data are too heavy-tailed for Gamma-Gamma.
		return nil, fmt.Errorf("analysis: lifetime value: %w", crmtype.Invalidf("customers", "spend is too heavy-tailed for the Gamma-Gamma model (q = %.3g <= 1)", v.Spend.Q))
	}
	horizon := float64(p.CLV.Periods) * p.CLV.PeriodLength
	v.Customers = make([]CustomerValue, len(sums))
	for i, c := range sums {
		h := hist[i]
		clv, err := CLV(v.PurchaseModel, v.Spend, h, c.ZBar, p.CLV)
		if err != nil {
			return nil, fmt.Errorf("analysis: lifetime value: %w", err)
		}
		alive := v.PurchaseModel.PAlive(h)
		v.Customers[i] = CustomerValue{Customer: c.Customer, Summary: c, PAlive: alive, ChurnRisk: 1 - alive,
			ExpectedPurchases: v.PurchaseModel.ConditionalExpectedPurchases(horizon, h),
			ExpectedSpend:     v.Spend.ConditionalExpectedSpend(h.X, c.ZBar), CLV: clv}
	}
	sort.SliceStable(v.Customers, func(i, j int) bool { return v.Customers[i].CLV > v.Customers[j].CLV })
	return v, nil
}

// Cohorts returns the retention and revenue matrices of the customers who
// bought in currency, by month of first purchase in loc (nil means UTC).
func (s *Service) Cohorts(ctx context.Context, currency string, loc *time.Location) (*CohortTable, error) {
	sc, err := s.scope(ctx, "cohorts")
	if err != nil {
		return nil, err
	}
	if len(currency) != 3 {
		return nil, fmt.Errorf("analysis: cohorts: %w", crmtype.Invalid("currency", "is required: an ISO 4217 code"))
	}
	if loc == nil {
		loc = time.UTC
	}
	rows, err := s.store.PurchaseMonths(ctx, sc, currency, loc)
	if err != nil {
		return nil, fmt.Errorf("analysis: cohorts: %w", err)
	}
	t, err := Cohorts(rows, loc)
	if err != nil {
		return nil, fmt.Errorf("analysis: cohorts: %w", err)
	}
	return t, nil
}

// ChurnModelParams configures ChurnModel.
type ChurnModelParams struct {
	// Params.AsOf ends the period whose behaviour explains churn.
	Params
	// Until ends the outcome period (AsOf, Until]: a customer who buys
	// nothing in it has churned. Required, after AsOf.
	Until time.Time
	// L2 is the ridge penalty of the fit (see LogisticConfig). Default 0.
	L2 float64
}

// ChurnFeatures names the features of the churn model, in column order:
// weeks (or units) since the last purchase day, purchase days, log1p of the
// total spent (minor units), and tenure (units since the first purchase).
var ChurnFeatures = []string{"recency", "frequency", "log_monetary", "tenure"}

// ChurnScore is one customer's current churn probability and its drivers.
type ChurnScore struct {
	Customer string
	Explanation
}

// ChurnModelResult is the result of ChurnModel.
type ChurnModelResult struct {
	// Model is the logistic regression of "bought nothing in (AsOf, Until]"
	// on ChurnFeatures as of AsOf, with standard errors and p-values.
	Model *LogisticModel
	// Scores apply the model to every customer's features as of Until: the
	// probability of churning over the next period as long as the one
	// observed, highest first, each with the features that drive it.
	Scores []ChurnScore
}

func churnRow(c CustomerSummary) []float64 {
	return []float64{c.T - c.Tx, float64(c.X + 1), math.Log1p(math.Max(0, float64(c.FirstValue+c.RepeatValue))), c.T}
}

// ChurnModel fits a logistic-regression churn model over the customers'
// purchase behaviour up to p.AsOf, with churn observed up to p.Until, and
// scores every customer with its explanation. Errors: ErrInvalid for bad
// parameters or too few customers; ErrSeparation when the features
// predict churn perfectly.
func (s *Service) ChurnModel(ctx context.Context, p ChurnModelParams) (*ChurnModelResult, error) {
	if !p.Until.After(p.AsOf) {
		return nil, fmt.Errorf("analysis: churn model: %w", crmtype.Invalid("until", "must be after as_of"))
	}
	train, err := s.Summaries(ctx, p.Params, p.Until)
	if err != nil {
		return nil, err
	}
	if len(train) < len(ChurnFeatures)+2 {
		return nil, fmt.Errorf("analysis: churn model: %w", crmtype.Invalid("customers", "too few customers with purchases"))
	}
	x := mat.NewDense(len(train), len(ChurnFeatures), nil)
	y := make([]bool, len(train))
	for i, c := range train {
		x.SetRow(i, churnRow(c))
		y[i] = c.HoldoutX == 0
	}
	m, err := FitLogistic(x, y, LogisticConfig{L2: p.L2, Features: ChurnFeatures})
	if err != nil {
		return nil, fmt.Errorf("analysis: churn model: %w", err)
	}
	now := p.Params
	now.AsOf = p.Until
	current, err := s.Summaries(ctx, now, time.Time{})
	if err != nil {
		return nil, err
	}
	res := &ChurnModelResult{Model: m, Scores: make([]ChurnScore, len(current))}
	for i, c := range current {
		e, err := m.Explain(churnRow(c))
		if err != nil {
			return nil, fmt.Errorf("analysis: churn model: %w", err)
		}
		res.Scores[i] = ChurnScore{Customer: c.Customer, Explanation: e}
	}
	sort.SliceStable(res.Scores, func(i, j int) bool { return res.Scores[i].Probability > res.Scores[j].Probability })
	return res, nil
}

// canFitPurchases reports whether hist can identify a purchase model: some
// repeat purchases, some time observed, and more than one distinct history.
func canFitPurchases(hist []History) bool {
	repeat, observed := false, false
	for _, h := range hist {
		repeat = repeat || h.X > 0
		observed = observed || h.T > 0
	}
	return repeat && observed && len(Compress(hist)) > 1
}

// fitError reports a model that cannot be fitted to the data as invalid
// input (the data, not the caller's code, is at fault).
func fitError(err error) error {
	if errors.Is(err, crmtype.ErrInvalid) {
		return fmt.Errorf("analysis: lifetime value: %w", err)
	}
	return fmt.Errorf("analysis: lifetime value: %w: %v", crmtype.Invalid("customers", "the model cannot be fitted to these purchases"), err)
}
