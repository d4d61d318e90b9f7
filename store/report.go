package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/service"
	"github.com/uptrace/bun"
)

var _ service.ReportStore = (*Store)(nil)

// bucketExpr returns a CASE expression numbering the bucket of col within
// bounds b[0] < … < b[n]: i when b[i] ≤ col < b[i+1] (the caller bounds
// col to [b[0], b[n])).
func bucketExpr(col string, bounds []time.Time) (string, []any) {
	if len(bounds) <= 2 {
		return "0", nil
	}
	var b strings.Builder
	args := make([]any, 0, len(bounds)-2)
	b.WriteString("CASE")
	for i := 1; i < len(bounds)-1; i++ {
		b.WriteString(" WHEN " + col + " < ? THEN " + strconv.Itoa(i-1))
		args = append(args, bounds[i].UTC())
	}
	b.WriteString(" ELSE " + strconv.Itoa(len(bounds)-2) + " END")
	return b.String(), args
}

func checkBounds(bounds []time.Time) error {
	if len(bounds) < 2 {
		return fmt.Errorf("store: report bounds: need at least two, got %d", len(bounds))
	}
	return nil
}

type slaOutcomeRow struct {
	PolicyID   crmtype.ID `bun:"policy_id"`
	PolicyName string     `bun:"policy_name"`
	TeamID     string     `bun:"team_id"`
	Metric     string     `bun:"metric"`
	Bucket     int        `bun:"bucket"`
	Met        int        `bun:"met"`
	Breached   int        `bun:"breached"`
	Undecided  int        `bun:"undecided"`
}

// SLAOutcomes implements service.ReportStore: one aggregate over the
// targets started in the period, joined to their tickets (for the team)
// and policies (for the name) by primary key.
func (s *Store) SLAOutcomes(ctx context.Context, sc crmtype.Scope, bounds []time.Time, now time.Time) ([]service.SLAOutcomeCount, error) {
	if err := checkBounds(bounds); err != nil {
		return nil, err
	}
	bucket, args := bucketExpr("sla.started_at", bounds)
	now = now.UTC()
	q := s.db.NewSelect().TableExpr("crm_ticket_slas AS sla").
		Join("JOIN crm_tickets AS tkt ON tkt.workspace_id = sla.workspace_id AND tkt.id = sla.ticket_id").
		Join("LEFT JOIN crm_sla_policies AS pol ON pol.workspace_id = sla.workspace_id AND pol.id = sla.policy_id").
		ColumnExpr("sla.policy_id, COALESCE(pol.name, '') AS policy_name, tkt.team_id, sla.metric").
		ColumnExpr(bucket+" AS bucket", args...).
		ColumnExpr("SUM(CASE WHEN sla.met_at IS NOT NULL AND NOT (sla.met_at > sla.deadline) THEN 1 ELSE 0 END) AS met").
		ColumnExpr("SUM(CASE WHEN (sla.met_at IS NOT NULL AND sla.met_at > sla.deadline) "+
			"OR (sla.met_at IS NULL AND sla.deadline < ?) THEN 1 ELSE 0 END) AS breached", now).
		ColumnExpr("SUM(CASE WHEN sla.met_at IS NULL AND (sla.deadline IS NULL OR sla.deadline >= ?) THEN 1 ELSE 0 END) AS undecided", now).
		Where("sla.started_at >= ?", bounds[0].UTC()).Where("sla.started_at < ?", bounds[len(bounds)-1].UTC())
	q = where(where(q, "sla", sc), "tkt", sc).GroupExpr("1, 2, 3, 4, 5")
	var rows []slaOutcomeRow
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]service.SLAOutcomeCount, len(rows))
	for i, r := range rows {
		out[i] = service.SLAOutcomeCount{PolicyID: r.PolicyID, PolicyName: r.PolicyName, TeamID: r.TeamID, Bucket: r.Bucket,
			Metric: service.Metric(r.Metric), Met: r.Met, Breached: r.Breached, Undecided: r.Undecided}
	}
	return out, nil
}

type fulfilledRow struct {
	Metric  string `bun:"metric"`
	TeamID  string `bun:"team_id"`
	Elapsed int64  `bun:"elapsed_seconds"`
}

// FulfilledTargets implements service.ReportStore: one row per fulfilled
// target started in the period.
func (s *Store) FulfilledTargets(ctx context.Context, sc crmtype.Scope, from, to time.Time, metrics []service.Metric) ([]service.FulfilledTarget, error) {
	if len(metrics) == 0 {
		return nil, nil
	}
	ms := make([]string, len(metrics))
	for i, m := range metrics {
		ms[i] = string(m)
	}
	q := s.db.NewSelect().TableExpr("crm_ticket_slas AS sla").
		Join("JOIN crm_tickets AS tkt ON tkt.workspace_id = sla.workspace_id AND tkt.id = sla.ticket_id").
		ColumnExpr("sla.metric, tkt.team_id, sla.elapsed_seconds").
		Where("sla.met_at IS NOT NULL").Where("sla.metric IN (?)", bun.In(ms)).
		Where("sla.started_at >= ?", from.UTC()).Where("sla.started_at < ?", to.UTC())
	var rows []fulfilledRow
	if err := where(where(q, "sla", sc), "tkt", sc).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]service.FulfilledTarget, len(rows))
	for i, r := range rows {
		out[i] = service.FulfilledTarget{Metric: service.Metric(r.Metric), TeamID: r.TeamID, ElapsedSeconds: r.Elapsed}
	}
	return out, nil
}

type backlogRow struct {
	Status string `bun:"status"`
	TeamID string `bun:"team_id"`
	Bucket int    `bun:"bucket"`
	N      int    `bun:"n"`
}

// BacklogCounts implements service.ReportStore over the index
// crm_tickets_status.
func (s *Store) BacklogCounts(ctx context.Context, sc crmtype.Scope, now time.Time, ages []time.Duration) ([]service.BacklogCount, error) {
	bucket := "0"
	var args []any
	if len(ages) > 0 {
		var b strings.Builder
		b.WriteString("CASE")
		for i, a := range ages {
			b.WriteString(" WHEN tkt.created_at > ? THEN " + strconv.Itoa(i))
			args = append(args, now.Add(-a).UTC())
		}
		b.WriteString(" ELSE " + strconv.Itoa(len(ages)) + " END")
		bucket = b.String()
	}
	open := []string{string(service.StatusNew), string(service.StatusOpen), string(service.StatusPending), string(service.StatusOnHold)}
	q := s.db.NewSelect().TableExpr("crm_tickets AS tkt").
		ColumnExpr("tkt.status, tkt.team_id").ColumnExpr(bucket+" AS bucket", args...).ColumnExpr("COUNT(*) AS n").
		Where("tkt.status IN (?)", bun.In(open))
	var rows []backlogRow
	if err := where(q, "tkt", sc).GroupExpr("1, 2, 3").Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]service.BacklogCount, len(rows))
	for i, r := range rows {
		out[i] = service.BacklogCount{Status: service.Status(r.Status), TeamID: r.TeamID, Bucket: r.Bucket, N: r.N}
	}
	return out, nil
}

type solveHistoryRow struct {
	ID       crmtype.ID `bun:"id"`
	TeamID   string     `bun:"team_id"`
	Activity string     `bun:"activity"`
}

// SolveHistories implements service.ReportStore: the tickets created
// before to and updated at or after from (a solve in [from, to) updates
// the ticket, and updated_at only grows).
func (s *Store) SolveHistories(ctx context.Context, sc crmtype.Scope, from, to time.Time) ([]service.SolveHistory, error) {
	q := s.db.NewSelect().TableExpr("crm_tickets AS tkt").ColumnExpr("tkt.id, tkt.team_id, tkt.activity").
		Where("tkt.updated_at >= ?", from.UTC()).Where("tkt.created_at < ?", to.UTC())
	var rows []solveHistoryRow
	if err := where(q, "tkt", sc).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]service.SolveHistory, len(rows))
	for i, r := range rows {
		out[i] = service.SolveHistory{TicketID: r.ID, TeamID: r.TeamID}
		if err := json.Unmarshal([]byte(r.Activity), &out[i].Activity); err != nil {
			return nil, fmt.Errorf("store: decode activity of ticket %s: %w", r.ID, err)
		}
	}
	return out, nil
}

type satisfactionCountRow struct {
	AssigneeID string `bun:"assignee_id"`
	TeamID     string `bun:"team_id"`
	Category   string `bun:"category"`
	Kind       string `bun:"kind"`
	Value      int    `bun:"value"`
	Bucket     int    `bun:"bucket"`
	N          int    `bun:"n"`
}

// SatisfactionCounts implements service.ReportStore: the responses about
// tickets by time (index crm_survey_responses_ticket_time), joined to
// their numeric answers and their tickets by primary key, counted per
// group.
func (s *Store) SatisfactionCounts(ctx context.Context, sc crmtype.Scope, bounds []time.Time, surveyKey string) ([]service.SatisfactionCount, error) {
	if err := checkBounds(bounds); err != nil {
		return nil, err
	}
	bucket, args := bucketExpr("sr.created_at", bounds)
	q := s.db.NewSelect().TableExpr("crm_survey_responses AS sr").
		Join("JOIN crm_survey_answers AS sa ON sa.workspace_id = sr.workspace_id AND sa.response_id = sr.id").
		Join("JOIN crm_tickets AS tkt ON tkt.workspace_id = sr.workspace_id AND tkt.id = sr.ticket_id").
		ColumnExpr("tkt.assignee_id, tkt.team_id, tkt.category, sa.kind, sa.value").
		ColumnExpr(bucket+" AS bucket", args...).ColumnExpr("COUNT(*) AS n").
		Where("sr.ticket_id IS NOT NULL").
		Where("sr.created_at >= ?", bounds[0].UTC()).Where("sr.created_at < ?", bounds[len(bounds)-1].UTC())
	if surveyKey != "" {
		q = q.Where("sr.survey_key = ?", surveyKey)
	}
	q = where(where(where(q, "sr", sc), "sa", sc), "tkt", sc).GroupExpr("1, 2, 3, 4, 5, 6")
	var rows []satisfactionCountRow
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]service.SatisfactionCount, len(rows))
	for i, r := range rows {
		out[i] = service.SatisfactionCount{AssigneeID: r.AssigneeID, TeamID: r.TeamID, Category: r.Category,
			Bucket: r.Bucket, Kind: communication.QuestionKind(r.Kind), Value: r.Value, N: r.N}
	}
	return out, nil
}
