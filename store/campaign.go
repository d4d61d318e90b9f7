package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/marketing"
	"github.com/uptrace/bun"
)

var _ marketing.CampaignStore = (*Store)(nil)

type campaignRow struct {
	bun.BaseModel `bun:"table:crm_campaigns,alias:cmp"`

	WorkspaceID       string     `bun:"workspace_id,pk"`
	ID                crmtype.ID `bun:"id,pk,type:uuid"`
	Name              string     `bun:"name"`
	Type              string     `bun:"type"`
	Status            string     `bun:"status"`
	Objective         string     `bun:"objective"`
	StartsAt          *time.Time `bun:"starts_at"`
	EndsAt            *time.Time `bun:"ends_at"`
	OwnerID           string     `bun:"owner_id"`
	Channel           string     `bun:"channel"`
	UTMSource         string     `bun:"utm_source"`
	UTMMedium         string     `bun:"utm_medium"`
	UTMCampaign       string     `bun:"utm_campaign"`
	ParentID          crmtype.ID `bun:"parent_id,type:uuid"`
	Currency          string     `bun:"currency"`
	Budget            int64      `bun:"budget_minor"`
	ExpectedRevenue   int64      `bun:"expected_revenue_minor"`
	ExpectedResponses int        `bun:"expected_responses"`
	Version           int64      `bun:"version"`
	CreatedAt         time.Time  `bun:"created_at"`
	UpdatedAt         time.Time  `bun:"updated_at"`
}

func toCampaignRow(sc crmtype.Scope, c *marketing.Campaign) *campaignRow {
	return &campaignRow{WorkspaceID: string(sc.Workspace), ID: c.ID, Name: c.Name, Type: string(c.Type), Status: string(c.Status),
		Objective: c.Objective, StartsAt: timePtr(c.StartsAt), EndsAt: timePtr(c.EndsAt), OwnerID: c.OwnerID, Channel: c.Channel,
		UTMSource: c.UTM.Source, UTMMedium: c.UTM.Medium, UTMCampaign: c.UTM.Campaign, ParentID: c.ParentID, Currency: c.Currency,
		Budget: c.Budget, ExpectedRevenue: c.ExpectedRevenue, ExpectedResponses: c.ExpectedResponses, Version: c.Version,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

func (r *campaignRow) toCampaign() *marketing.Campaign {
	c := &marketing.Campaign{ID: r.ID, Name: r.Name, Type: marketing.CampaignType(r.Type), Status: marketing.Status(r.Status),
		Objective: r.Objective, OwnerID: r.OwnerID, Channel: r.Channel,
		UTM:      marketing.UTM{Source: r.UTMSource, Medium: r.UTMMedium, Campaign: r.UTMCampaign},
		ParentID: r.ParentID, Currency: r.Currency, Budget: r.Budget, ExpectedRevenue: r.ExpectedRevenue,
		ExpectedResponses: r.ExpectedResponses, Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.StartsAt != nil {
		c.StartsAt = r.StartsAt.UTC()
	}
	if r.EndsAt != nil {
		c.EndsAt = r.EndsAt.UTC()
	}
	return c
}

// checkCampaignName returns ErrConflict when another campaign of the
// workspace has the name.
func (s *Store) checkCampaignName(ctx context.Context, sc crmtype.Scope, c *marketing.Campaign) error {
	taken, err := where(s.db.NewSelect().Model((*campaignRow)(nil)).Where("cmp.name = ?", c.Name).Where("cmp.id <> ?", c.ID), "cmp", sc).Exists(ctx)
	if err != nil {
		return err
	}
	if taken {
		return &crmtype.ConflictError{Resource: "campaign", Field: "name", Reason: fmt.Sprintf("%q is the name of another campaign", c.Name)}
	}
	return nil
}

// checkCampaignParent checks that c's parent is a campaign of the
// workspace, that c is not among its ancestors, and that the hierarchy
// stays within MaxHierarchyDepth.
func (s *Store) checkCampaignParent(ctx context.Context, sc crmtype.Scope, c *marketing.Campaign) error {
	depth := 1
	for id := c.ParentID; !id.IsZero(); depth++ {
		if id == c.ID {
			return crmtype.Invalid("parent_id", "would make the campaign its own ancestor")
		}
		if depth > marketing.MaxHierarchyDepth {
			return crmtype.Invalidf("parent_id", "would make the hierarchy deeper than %d", marketing.MaxHierarchyDepth)
		}
		var parent campaignRow
		if err := where(s.db.NewSelect().Model(&parent).Column("cmp.parent_id").Where("cmp.id = ?", id), "cmp", sc).Scan(ctx); err != nil {
			return fmt.Errorf("parent campaign %s: %w", id, mapError(err))
		}
		id = parent.ParentID
	}
	// The campaigns under c move with it: their levels count too.
	var height int
	ws := string(sc.Workspace)
	if err := s.db.NewRaw(campaignTree+`SELECT COALESCE(MAX(d), 0) FROM tree`, ws, c.ID, ws).Scan(ctx, &height); err != nil {
		return err
	}
	if depth+height > marketing.MaxHierarchyDepth {
		return crmtype.Invalidf("parent_id", "would make the hierarchy deeper than %d", marketing.MaxHierarchyDepth)
	}
	return nil
}

// InsertCampaign implements marketing.CampaignStore.
func (s *Store) InsertCampaign(ctx context.Context, sc crmtype.Scope, c *marketing.Campaign, ev crmtype.Event) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		if err := tx.checkCampaignName(ctx, sc, c); err != nil {
			return err
		}
		if err := tx.checkCampaignParent(ctx, sc, c); err != nil {
			return err
		}
		if _, err := tx.db.NewInsert().Model(toCampaignRow(sc, c)).Exec(ctx); err != nil {
			return mapError(err)
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev})
	})
}

// GetCampaign implements marketing.CampaignStore.
func (s *Store) GetCampaign(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*marketing.Campaign, error) {
	var row campaignRow
	if err := where(s.db.NewSelect().Model(&row).Where("cmp.id = ?", id), "cmp", sc).Scan(ctx); err != nil {
		return nil, fmt.Errorf("campaign %s: %w", id, mapError(err))
	}
	return row.toCampaign(), nil
}

// ChangeCampaign implements marketing.CampaignStore.
func (s *Store) ChangeCampaign(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(c *marketing.Campaign) ([]crmtype.Event, error)) (*marketing.Campaign, error) {
	var out *marketing.Campaign
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var row campaignRow
		q := tx.db.NewSelect().Model(&row).Where("cmp.id = ?", id)
		if tx.pg {
			q = q.For("UPDATE")
		}
		if err := where(q, "cmp", sc).Scan(ctx); err != nil {
			return fmt.Errorf("campaign %s: %w", id, mapError(err))
		}
		if row.Version != version {
			return &crmtype.ConflictError{Resource: "campaign", Field: "version", HeldBy: id,
				Reason: fmt.Sprintf("is %d, not %d: the campaign changed since it was read", row.Version, version)}
		}
		c := row.toCampaign()
		evs, err := change(c)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			out = row.toCampaign()
			return nil
		}
		if c.Name != row.Name {
			if err := tx.checkCampaignName(ctx, sc, c); err != nil {
				return err
			}
		}
		if c.ParentID != row.ParentID {
			if err := tx.checkCampaignParent(ctx, sc, c); err != nil {
				return err
			}
		}
		c.ID, c.CreatedAt, c.Currency, c.Version = row.ID, row.CreatedAt.UTC(), row.Currency, row.Version+1
		if _, err := where(tx.db.NewUpdate().Model(toCampaignRow(sc, c)).ExcludeColumn("workspace_id", "id", "created_at", "currency").
			Where("cmp.id = ?", id), "cmp", sc).Exec(ctx); err != nil {
			return mapError(err)
		}
		out = c
		return tx.appendEvents(ctx, sc, evs)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type campaignCursor struct {
	Name string `json:"n"`
}

// ListCampaigns implements marketing.CampaignStore.
func (s *Store) ListCampaigns(ctx context.Context, sc crmtype.Scope, p marketing.CampaignListParams, limit int) (crmtype.Page[*marketing.Campaign], error) {
	var page crmtype.Page[*marketing.Campaign]
	var rows []campaignRow
	q := s.db.NewSelect().Model(&rows)
	if p.Type != "" {
		q = q.Where("cmp.type = ?", string(p.Type))
	}
	if p.Status != "" {
		q = q.Where("cmp.status = ?", string(p.Status))
	}
	if !p.ParentID.IsZero() {
		q = q.Where("cmp.parent_id = ?", p.ParentID)
	}
	if p.After != "" {
		var cur campaignCursor
		if err := crmtype.DecodeCursor(p.After, &cur); err != nil {
			return page, err
		}
		q = q.Where("cmp.name > ?", cur.Name)
	}
	if err := where(q, "cmp", sc).OrderExpr("cmp.name").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = crmtype.EncodeCursor(campaignCursor{Name: rows[len(rows)-1].Name})
	}
	for i := range rows {
		page.Items = append(page.Items, rows[i].toCampaign())
	}
	return page, nil
}

type costRow struct {
	bun.BaseModel `bun:"table:crm_campaign_costs,alias:cst"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ID          crmtype.ID `bun:"id,pk,type:uuid"`
	CampaignID  crmtype.ID `bun:"campaign_id,type:uuid"`
	Kind        string     `bun:"kind"`
	AmountMinor int64      `bun:"amount_minor"`
	Currency    string     `bun:"currency"`
	IncurredOn  string     `bun:"incurred_on"`
	Note        string     `bun:"note"`
	Source      string     `bun:"source"`
	CreatedAt   time.Time  `bun:"created_at"`
}

func (r *costRow) toCost() *marketing.Cost {
	return &marketing.Cost{ID: r.ID, CampaignID: r.CampaignID, Kind: marketing.CostKind(r.Kind),
		Amount: crmtype.Money{Minor: r.AmountMinor, Currency: r.Currency}, On: r.IncurredOn, Note: r.Note, Source: r.Source,
		CreatedAt: r.CreatedAt.UTC()}
}

// InsertCost implements marketing.CampaignStore.
func (s *Store) InsertCost(ctx context.Context, sc crmtype.Scope, c *marketing.Cost, ev crmtype.Event) (*marketing.Cost, bool, error) {
	var stored *marketing.Cost
	added := false
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		ok, err := where(tx.db.NewSelect().Model((*campaignRow)(nil)).Where("cmp.id = ?", c.CampaignID), "cmp", sc).Exists(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("campaign %s: %w", c.CampaignID, crmtype.ErrNotFound)
		}
		row := &costRow{WorkspaceID: string(sc.Workspace), ID: c.ID, CampaignID: c.CampaignID, Kind: string(c.Kind),
			AmountMinor: c.Amount.Minor, Currency: c.Amount.Currency, IncurredOn: c.On, Note: c.Note, Source: c.Source,
			CreatedAt: c.CreatedAt.UTC()}
		q := tx.db.NewInsert().Model(row)
		if c.Source != "" {
			q = q.On("CONFLICT (workspace_id, campaign_id, source) WHERE source <> '' DO NOTHING")
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return mapError(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var have costRow
			if err := where(tx.db.NewSelect().Model(&have).Where("cst.campaign_id = ?", c.CampaignID).Where("cst.source = ?", c.Source), "cst", sc).Scan(ctx); err != nil {
				return err
			}
			stored = have.toCost()
			return nil
		}
		stored, added = c, true
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev})
	})
	if err != nil {
		return nil, false, err
	}
	return stored, added, nil
}

type costCursor struct {
	On string     `json:"d"`
	ID crmtype.ID `json:"i"`
}

// ListCosts implements marketing.CampaignStore.
func (s *Store) ListCosts(ctx context.Context, sc crmtype.Scope, id crmtype.ID, limit int, after crmtype.Cursor) (crmtype.Page[*marketing.Cost], error) {
	var page crmtype.Page[*marketing.Cost]
	if _, err := s.GetCampaign(ctx, sc, id); err != nil {
		return page, err
	}
	var rows []costRow
	q := s.db.NewSelect().Model(&rows).Where("cst.campaign_id = ?", id)
	if after != "" {
		var cur costCursor
		if err := crmtype.DecodeCursor(after, &cur); err != nil {
			return page, err
		}
		if cur.ID.IsZero() {
			return page, crmtype.Invalid("cursor", "is malformed")
		}
		q = q.Where("cst.incurred_on > ? OR (cst.incurred_on = ? AND cst.id > ?)", cur.On, cur.On, cur.ID)
	}
	if err := where(q, "cst", sc).OrderExpr("cst.incurred_on, cst.id").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.Next = crmtype.EncodeCursor(costCursor{On: last.IncurredOn, ID: last.ID})
	}
	for i := range rows {
		page.Items = append(page.Items, rows[i].toCost())
	}
	return page, nil
}

// campaignTree is a recursive CTE of campaign ? and its descendants, with
// their distance d below it, in workspace ? (the arguments, in that order:
// workspace, id, workspace).
const campaignTree = `WITH RECURSIVE tree(id, d) AS (
  SELECT id, 0 FROM crm_campaigns WHERE workspace_id = ? AND id = ?
  UNION ALL
  SELECT c.id, tree.d + 1 FROM crm_campaigns AS c JOIN tree ON c.parent_id = tree.id WHERE c.workspace_id = ?)
`

// Rollup implements marketing.CampaignStore.
func (s *Store) Rollup(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*marketing.Rollup, error) {
	if _, err := s.GetCampaign(ctx, sc, id); err != nil {
		return nil, err
	}
	ws := string(sc.Workspace)
	r := &marketing.Rollup{CampaignID: id, Cost: map[string]int64{}, Budget: map[string]int64{}, ExpectedRevenue: map[string]int64{}}
	if err := s.db.NewRaw(campaignTree+`SELECT id FROM tree ORDER BY d, id`, ws, id, ws).Scan(ctx, &r.CampaignIDs); err != nil {
		return nil, err
	}
	var plans []struct {
		Currency string `bun:"currency"`
		N        int    `bun:"n"`
		Budget   int64  `bun:"budget"`
		Revenue  int64  `bun:"revenue"`
	}
	if err := s.db.NewRaw(campaignTree+`SELECT c.currency, COUNT(*) AS n, SUM(c.budget_minor) AS budget, SUM(c.expected_revenue_minor) AS revenue
FROM crm_campaigns AS c JOIN tree ON tree.id = c.id WHERE c.workspace_id = ? GROUP BY c.currency`, ws, id, ws, ws).Scan(ctx, &plans); err != nil {
		return nil, err
	}
	for _, p := range plans {
		r.Campaigns += p.N
		r.Budget[p.Currency] += p.Budget
		r.ExpectedRevenue[p.Currency] += p.Revenue
	}
	var costs []struct {
		Currency string `bun:"currency"`
		Total    int64  `bun:"total"`
	}
	if err := s.db.NewRaw(campaignTree+`SELECT x.currency, SUM(x.amount_minor) AS total
FROM crm_campaign_costs AS x JOIN tree ON tree.id = x.campaign_id WHERE x.workspace_id = ? GROUP BY x.currency`, ws, id, ws, ws).Scan(ctx, &costs); err != nil {
		return nil, err
	}
	for _, c := range costs {
		r.Cost[c.Currency] += c.Total
	}
	var members struct {
		N         int `bun:"n"`
		Responses int `bun:"responses"`
	}
	if err := s.db.NewRaw(campaignTree+`SELECT COUNT(*) AS n, COUNT(m.first_responded_at) AS responses
FROM crm_campaign_members AS m JOIN tree ON tree.id = m.campaign_id WHERE m.workspace_id = ?`, ws, id, ws, ws).Scan(ctx, &members); err != nil {
		return nil, err
	}
	r.Members, r.Responses = members.N, members.Responses
	return r, nil
}
