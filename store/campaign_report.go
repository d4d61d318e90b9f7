package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/marketing"
)

var _ marketing.ReportStore = (*Store)(nil)

// MemberReach implements marketing.ReportStore: one aggregate over the
// campaign's status log and one over its members.
func (s *Store) MemberReach(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (map[marketing.MemberStatus]int, int, int, error) {
	if _, err := s.GetCampaign(ctx, sc, id); err != nil {
		return nil, 0, 0, err
	}
	var rows []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	if err := where(s.db.NewSelect().Model((*memberLogRow)(nil)).ColumnExpr("mlog.status, COUNT(DISTINCT mlog.customer_id) AS n").
		Where("mlog.campaign_id = ?", id), "mlog", sc).GroupExpr("mlog.status").Scan(ctx, &rows); err != nil {
		return nil, 0, 0, err
	}
	reach := make(map[marketing.MemberStatus]int, len(rows))
	for _, r := range rows {
		reach[marketing.MemberStatus(r.Status)] = r.N
	}
	var totals struct {
		N         int `bun:"n"`
		Responded int `bun:"responded"`
	}
	if err := where(s.db.NewSelect().Model((*memberRow)(nil)).ColumnExpr("COUNT(*) AS n, COUNT(mem.first_responded_at) AS responded").
		Where("mem.campaign_id = ?", id), "mem", sc).Scan(ctx, &totals); err != nil {
		return nil, 0, 0, err
	}
	return reach, totals.N, totals.Responded, nil
}

// MemberResponses implements marketing.ReportStore.
func (s *Store) MemberResponses(ctx context.Context, sc crmtype.Scope, id crmtype.ID) ([]marketing.MemberResponse, error) {
	var rows []struct {
		CustomerID crmtype.ID `bun:"customer_id"`
		Responded  bool       `bun:"responded"`
	}
	if err := where(s.db.NewSelect().Model((*memberRow)(nil)).
		ColumnExpr("mem.customer_id, CASE WHEN mem.first_responded_at IS NULL THEN 0 ELSE 1 END = 1 AS responded").
		Where("mem.campaign_id = ?", id), "mem", sc).OrderExpr("mem.customer_id").Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]marketing.MemberResponse, len(rows))
	for i, r := range rows {
		out[i] = marketing.MemberResponse{CustomerID: r.CustomerID, Responded: r.Responded}
	}
	return out, nil
}

// ResponseBy implements marketing.ReportStore: the members joined to their
// customers by primary key, grouped by a column or an attribute's value
// as text (the key is a bound argument).
func (s *Store) ResponseBy(ctx context.Context, sc crmtype.Scope, id crmtype.ID, group string) ([]marketing.GroupCount, error) {
	if _, err := s.GetCampaign(ctx, sc, id); err != nil {
		return nil, err
	}
	var expr string
	var args []any
	switch group {
	case marketing.GroupStage:
		expr = "c.stage"
	case marketing.GroupKind:
		expr = "c.kind"
	case marketing.GroupCountry:
		expr = "c.country"
	case marketing.GroupSource:
		expr = "c.source"
	default:
		key, ok := strings.CutPrefix(group, marketing.GroupAttribute)
		if !ok || key == "" {
			return nil, crmtype.Invalidf("by", "%q is not a grouping", group)
		}
		if s.pg {
			expr, args = "c.attributes ->> ?", []any{key}
		} else {
			// json_extract of a quoted path: the key is data, never SQL.
			// Booleans read "true" and "false", as PostgreSQL's ->> gives
			// them (json_extract gives 1 and 0).
			path := `'$."' || ? || '"'`
			key = strings.ReplaceAll(key, `"`, `\"`)
			expr = `CASE json_type(c.attributes, ` + path + `) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ` +
				`ELSE CAST(json_extract(c.attributes, ` + path + `) AS TEXT) END`
			args = []any{key, key}
		}
	}
	var rows []struct {
		Value     *string `bun:"value"`
		N         int     `bun:"n"`
		Responded int     `bun:"responded"`
	}
	q := s.db.NewSelect().TableExpr("crm_campaign_members AS mem").
		Join("JOIN crm_customers AS c ON c.workspace_id = mem.workspace_id AND c.id = mem.customer_id").
		ColumnExpr(fmt.Sprintf("%s AS value", expr), args...).
		ColumnExpr("COUNT(*) AS n, COUNT(mem.first_responded_at) AS responded").
		Where("mem.campaign_id = ?", id).Where("c.workspace_id = ?", string(sc.Workspace))
	if err := where(q, "mem", sc).GroupExpr("1").OrderExpr("1").Scan(ctx, &rows); err != nil {
		return nil, err
	}
	merged := map[string]*marketing.GroupCount{}
	var order []string
	for _, r := range rows {
		v := ""
		if r.Value != nil {
			v = *r.Value
		}
		g := merged[v]
		if g == nil {
			g = &marketing.GroupCount{Value: v}
			merged[v] = g
			order = append(order, v)
		}
		g.Members += r.N
		g.Responded += r.Responded
	}
	out := make([]marketing.GroupCount, len(order))
	for i, v := range order {
		out[i] = *merged[v]
	}
	return out, nil
}
