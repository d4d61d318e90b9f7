package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/marketing"
)

var _ marketing.ExperimentStore = (*Store)(nil)

type experimentRow struct {
	bun.BaseModel `bun:"table:crm_experiments,alias:exp"`

	WorkspaceID       string     `bun:"workspace_id,pk"`
	ID                crmtype.ID `bun:"id,pk,type:uuid"`
	CampaignID        crmtype.ID `bun:"campaign_id,type:uuid"`
	Name              string     `bun:"name"`
	Variants          string     `bun:"variants"`
	Holdout           float64    `bun:"holdout"`
	Metric            string     `bun:"metric"`
	Alpha             float64    `bun:"alpha"`
	Power             float64    `bun:"power"`
	Baseline          float64    `bun:"baseline"`
	MinDetectableLift float64    `bun:"min_detectable_lift"`
	RevenueSD         float64    `bun:"revenue_sd"`
	PlannedMembers    int        `bun:"planned_members"`
	Spending          string     `bun:"spending"`
	WindowSeconds     int64      `bun:"window_seconds"`
	Currency          string     `bun:"currency"`
	CreatedAt         time.Time  `bun:"created_at"`
}

type variantJSON struct {
	Key    string  `json:"key"`
	Weight float64 `json:"weight"`
}

func (r *experimentRow) toExperiment() (*marketing.Experiment, error) {
	var vs []variantJSON
	if err := json.Unmarshal([]byte(r.Variants), &vs); err != nil {
		return nil, fmt.Errorf("experiment %s: variants: %w", r.ID, err)
	}
	e := &marketing.Experiment{ID: r.ID, CampaignID: r.CampaignID, Name: r.Name, Holdout: r.Holdout, Metric: marketing.Metric(r.Metric),
		Alpha: r.Alpha, Power: r.Power, Baseline: r.Baseline, MinDetectableLift: r.MinDetectableLift, RevenueSD: r.RevenueSD,
		PlannedMembers: r.PlannedMembers, Window: time.Duration(r.WindowSeconds) * time.Second, Currency: r.Currency,
		CreatedAt: r.CreatedAt.UTC()}
	if r.Spending == analysis.Pocock.String() {
		e.Spending = analysis.Pocock
	}
	for _, v := range vs {
		e.Variants = append(e.Variants, marketing.Variant{Key: v.Key, Weight: v.Weight})
	}
	return e, nil
}

type exposureRow struct {
	bun.BaseModel `bun:"table:crm_experiment_exposures,alias:xp"`

	WorkspaceID  string     `bun:"workspace_id,pk"`
	ExperimentID crmtype.ID `bun:"experiment_id,pk,type:uuid"`
	CampaignID   crmtype.ID `bun:"campaign_id,type:uuid"`
	CustomerID   crmtype.ID `bun:"customer_id,pk,type:uuid"`
	ExposedAt    time.Time  `bun:"exposed_at"`
	WindowEndsAt time.Time  `bun:"window_ends_at"`
	IsVirtual    bool       `bun:"is_virtual"`
}

type lookRow struct {
	bun.BaseModel `bun:"table:crm_experiment_looks,alias:lk"`

	WorkspaceID  string     `bun:"workspace_id,pk"`
	ExperimentID crmtype.ID `bun:"experiment_id,pk,type:uuid"`
	Look         int        `bun:"look,pk"`
	At           time.Time  `bun:"at"`
	Fraction     float64    `bun:"fraction"`
	Members      int        `bun:"members"`
	Boundary     float64    `bun:"boundary"`
	Spent        float64    `bun:"spent"`
	Statistic    float64    `bun:"statistic"`
	Verdict      string     `bun:"verdict"`
	Winner       string     `bun:"winner"`
	CreatedAt    time.Time  `bun:"created_at"`
}

// InsertExperiment implements marketing.ExperimentStore.
func (s *Store) InsertExperiment(ctx context.Context, sc crmtype.Scope, e *marketing.Experiment, ev crmtype.Event) error {
	vs := make([]variantJSON, len(e.Variants))
	for i, v := range e.Variants {
		vs[i] = variantJSON{Key: v.Key, Weight: v.Weight}
	}
	b, err := json.Marshal(vs)
	if err != nil {
		return err
	}
	row := &experimentRow{WorkspaceID: string(sc.Workspace), ID: e.ID, CampaignID: e.CampaignID, Name: e.Name, Variants: string(b),
		Holdout: e.Holdout, Metric: string(e.Metric), Alpha: e.Alpha, Power: e.Power, Baseline: e.Baseline,
		MinDetectableLift: e.MinDetectableLift, RevenueSD: e.RevenueSD, PlannedMembers: e.PlannedMembers, Spending: e.Spending.String(),
		WindowSeconds: int64(e.Window / time.Second), Currency: e.Currency, CreatedAt: e.CreatedAt.UTC()}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		if _, err := tx.GetCampaign(ctx, sc, e.CampaignID); err != nil {
			return err
		}
		taken, err := where(tx.db.NewSelect().Model((*experimentRow)(nil)).
			Where("exp.campaign_id = ? OR exp.name = ?", e.CampaignID, e.Name), "exp", sc).Exists(ctx)
		if err != nil {
			return err
		}
		if taken {
			return &crmtype.ConflictError{Resource: "experiment", Field: "campaign_id",
				Reason: "the campaign has an experiment already, or the name is taken"}
		}
		if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
			return mapError(err)
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev})
	})
}

// GetExperiment implements marketing.ExperimentStore.
func (s *Store) GetExperiment(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*marketing.Experiment, error) {
	var row experimentRow
	if err := where(s.db.NewSelect().Model(&row).Where("exp.id = ?", id), "exp", sc).Scan(ctx); err != nil {
		return nil, fmt.Errorf("experiment %s: %w", id, mapError(err))
	}
	return row.toExperiment()
}

// AssignVariants implements marketing.ExperimentStore: it reads the
// members without a variant in pages by customer and sets each page's
// variants with one UPDATE per variant.
func (s *Store) AssignVariants(ctx context.Context, sc crmtype.Scope, e *marketing.Experiment, assign func(crmtype.ID) string, at time.Time, ev func(map[string]int) crmtype.Event) (map[string]int, error) {
	const page = 5000
	var counts map[string]int
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		counts = map[string]int{}
		if err := tx.campaignOpen(ctx, sc, e.CampaignID); err != nil {
			return err
		}
		at = at.UTC()
		var after crmtype.ID
		for {
			var ids []crmtype.ID
			q := tx.db.NewSelect().Model((*memberRow)(nil)).Column("mem.customer_id").
				Where("mem.campaign_id = ?", e.CampaignID).Where("mem.variant = ''")
			if !after.IsZero() {
				q = q.Where("mem.customer_id > ?", after)
			}
			if err := where(q, "mem", sc).OrderExpr("mem.customer_id").Limit(page).Scan(ctx, &ids); err != nil {
				return err
			}
			if len(ids) == 0 {
				break
			}
			after = ids[len(ids)-1]
			groups := map[string][]crmtype.ID{}
			for _, id := range ids {
				v := assign(id)
				groups[v] = append(groups[v], id)
			}
			for v, members := range groups {
				for start := 0; start < len(members); start += batchRows {
					chunk := members[start:min(start+batchRows, len(members))]
					q := tx.db.NewUpdate().Model((*memberRow)(nil)).Set("variant = ?", v).
						Where("mem.campaign_id = ?", e.CampaignID).Where("mem.customer_id IN (?)", bun.In(chunk)).Where("mem.variant = ''")
					res, err := where(q, "mem", sc).Exec(ctx)
					if err != nil {
						return mapError(err)
					}
					n, _ := res.RowsAffected()
					counts[v] += int(n)
				}
				if v != marketing.HoldoutVariant {
					continue
				}
				rows := make([]exposureRow, len(members))
				for i, c := range members {
					rows[i] = exposureRow{WorkspaceID: string(sc.Workspace), ExperimentID: e.ID, CampaignID: e.CampaignID, CustomerID: c,
						ExposedAt: at, WindowEndsAt: at.Add(e.Window), IsVirtual: true}
				}
				for start := 0; start < len(rows); start += batchRows {
					chunk := rows[start:min(start+batchRows, len(rows))]
					if _, err := tx.db.NewInsert().Model(&chunk).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
						return mapError(err)
					}
				}
			}
			if len(ids) < page {
				break
			}
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev(counts)})
	})
	return counts, err
}

// InsertExposures implements marketing.ExperimentStore.
func (s *Store) InsertExposures(ctx context.Context, sc crmtype.Scope, e *marketing.Experiment, xs []marketing.Exposure, ev func(recorded, missing int) crmtype.Event) (int, []crmtype.ID, error) {
	var (
		recorded int
		missing  []crmtype.ID
	)
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		recorded, missing = 0, nil
		for start := 0; start < len(xs); start += batchRows {
			chunk := xs[start:min(start+batchRows, len(xs))]
			ids := make([]crmtype.ID, len(chunk))
			for i, x := range chunk {
				ids[i] = x.CustomerID
			}
			var ms []memberRow
			if err := where(tx.db.NewSelect().Model(&ms).Column("mem.customer_id", "mem.variant").
				Where("mem.campaign_id = ?", e.CampaignID).Where("mem.customer_id IN (?)", bun.In(ids)), "mem", sc).Scan(ctx); err != nil {
				return err
			}
			variant := make(map[crmtype.ID]string, len(ms))
			for _, m := range ms {
				variant[m.CustomerID] = m.Variant
			}
			rows := make([]exposureRow, 0, len(chunk))
			for i, x := range chunk {
				switch v := variant[x.CustomerID]; v {
				case "":
					missing = append(missing, x.CustomerID)
				case marketing.HoldoutVariant:
					return crmtype.Invalidf(fmt.Sprintf("exposures[%d].customer_id", start+i), "%s is in the holdout, which receives nothing", x.CustomerID)
				default:
					rows = append(rows, exposureRow{WorkspaceID: string(sc.Workspace), ExperimentID: e.ID, CampaignID: e.CampaignID,
						CustomerID: x.CustomerID, ExposedAt: x.At.UTC(), WindowEndsAt: x.At.UTC().Add(e.Window)})
				}
			}
			if len(rows) == 0 {
				continue
			}
			var fresh []crmtype.ID
			if err := tx.db.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Returning("customer_id").Scan(ctx, &fresh); err != nil {
				return mapError(err)
			}
			recorded += len(fresh)
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev(recorded, len(missing))})
	})
	return recorded, missing, err
}

// ExperimentCounts implements marketing.ExperimentStore: one statement
// that aggregates each member (its exposure, response and purchases in its
// window) and then each variant, so its cost grows with the members and
// their purchases in the window, not with the customers' histories.
func (s *Store) ExperimentCounts(ctx context.Context, sc crmtype.Scope, e *marketing.Experiment, at time.Time) ([]marketing.ArmCounts, error) {
	sum := func(expr string) string {
		if s.pg {
			return "SUM(" + expr + ")::bigint"
		}
		return "SUM(" + expr + ")"
	}
	at = at.UTC()
	ws := string(sc.Workspace)
	query := `SELECT e.variant AS variant, COUNT(*) AS assigned, ` + sum("e.exposed") + ` AS exposed, ` + sum("e.mature") + ` AS members,
  ` + sum("e.responded") + ` AS responded, ` + sum("CASE WHEN e.buys > 0 THEN 1 ELSE 0 END") + ` AS converted,
  ` + sum("e.revenue") + ` AS revenue,
  SUM(CAST(e.revenue AS DOUBLE PRECISION) * CAST(e.revenue AS DOUBLE PRECISION)) AS revenue_sq
FROM (
  SELECT mem.customer_id, mem.variant,
    MAX(CASE WHEN xp.exposed_at IS NOT NULL THEN 1 ELSE 0 END) AS exposed,
    MAX(CASE WHEN xp.window_ends_at <= ? THEN 1 ELSE 0 END) AS mature,
    MAX(CASE WHEN xp.window_ends_at <= ? AND mem.first_responded_at IS NOT NULL AND mem.first_responded_at >= xp.exposed_at AND mem.first_responded_at < xp.window_ends_at THEN 1 ELSE 0 END) AS responded,
    COUNT(p.id) AS buys,
    COALESCE(SUM(p.amount_minor), 0) AS revenue
  FROM crm_campaign_members AS mem
  LEFT JOIN crm_experiment_exposures AS xp ON xp.workspace_id = ? AND xp.experiment_id = ? AND xp.customer_id = mem.customer_id
    AND xp.exposed_at <= ?
  LEFT JOIN crm_purchases AS p ON p.workspace_id = ? AND p.customer_id = mem.customer_id AND xp.window_ends_at <= ?
    AND p.currency = ? AND p.occurred_at >= xp.exposed_at AND p.occurred_at < xp.window_ends_at
  WHERE mem.workspace_id = ? AND mem.campaign_id = ? AND mem.variant <> '' AND mem.added_at <= ?
  GROUP BY mem.customer_id, mem.variant
) AS e
GROUP BY e.variant
ORDER BY e.variant`
	var rows []struct {
		Variant   string   `bun:"variant"`
		Assigned  int      `bun:"assigned"`
		Exposed   int      `bun:"exposed"`
		Members   int      `bun:"members"`
		Responded int      `bun:"responded"`
		Converted int      `bun:"converted"`
		Revenue   int64    `bun:"revenue"`
		RevenueSq *float64 `bun:"revenue_sq"`
	}
	if err := s.db.NewRaw(query, at, at, ws, e.ID, at, ws, at, e.Currency, ws, e.CampaignID, at).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]marketing.ArmCounts, len(rows))
	for i, r := range rows {
		out[i] = marketing.ArmCounts{Variant: r.Variant, Assigned: r.Assigned, Exposed: r.Exposed, Members: r.Members,
			Responded: r.Responded, Converted: r.Converted, Revenue: r.Revenue}
		if r.RevenueSq != nil {
			out[i].RevenueSq = *r.RevenueSq
		}
	}
	return out, nil
}

// ExperimentLooks implements marketing.ExperimentStore.
func (s *Store) ExperimentLooks(ctx context.Context, sc crmtype.Scope, id crmtype.ID) ([]marketing.Look, error) {
	var rows []lookRow
	if err := where(s.db.NewSelect().Model(&rows).Where("lk.experiment_id = ?", id), "lk", sc).OrderExpr("lk.look").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]marketing.Look, len(rows))
	for i, r := range rows {
		b := r.Boundary
		if b <= 0 {
			b = math.Inf(1)
		}
		out[i] = marketing.Look{N: r.Look, At: r.At.UTC(), Fraction: r.Fraction, Members: r.Members, Boundary: b, Spent: r.Spent,
			Statistic: r.Statistic, Verdict: marketing.Verdict(r.Verdict), Winner: r.Winner, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// InsertLook implements marketing.ExperimentStore.
func (s *Store) InsertLook(ctx context.Context, sc crmtype.Scope, id crmtype.ID, l marketing.Look, ev crmtype.Event) error {
	b := l.Boundary
	if math.IsInf(b, 0) || math.IsNaN(b) {
		b = 0
	}
	row := &lookRow{WorkspaceID: string(sc.Workspace), ExperimentID: id, Look: l.N, At: l.At.UTC(), Fraction: l.Fraction, Members: l.Members,
		Boundary: b, Spent: l.Spent, Statistic: l.Statistic, Verdict: string(l.Verdict), Winner: l.Winner, CreatedAt: l.CreatedAt.UTC()}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
			return mapError(err)
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev})
	})
}
