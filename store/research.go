package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/marketing"
)

var _ marketing.ResearchStore = (*Store)(nil)

// ResearchSurveyKeys implements marketing.ResearchStore.
func (s *Store) ResearchSurveyKeys(ctx context.Context, sc crmtype.Scope, id crmtype.ID) ([]string, error) {
	var keys []string
	if err := where(s.db.NewSelect().Model((*responseRow)(nil)).ColumnExpr("DISTINCT sr.survey_key").
		Where("sr.campaign_id = ?", id), "sr", sc).OrderExpr("sr.survey_key").Scan(ctx, &keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// ResearchRespondents implements marketing.ResearchStore.
func (s *Store) ResearchRespondents(ctx context.Context, sc crmtype.Scope, id crmtype.ID) ([]marketing.StatusUpdate, error) {
	var rows []struct {
		CustomerID crmtype.ID `bun:"customer_id,type:uuid"`
		At         time.Time  `bun:"at"`
	}
	w := string(sc.Workspace)
	if err := s.db.NewRaw(`SELECT mem.customer_id, MIN(sr.created_at) AS at
FROM crm_campaign_members AS mem
JOIN crm_survey_responses AS sr ON sr.workspace_id = mem.workspace_id AND sr.customer_id = mem.customer_id AND sr.campaign_id = mem.campaign_id
WHERE mem.workspace_id = ? AND mem.campaign_id = ? AND mem.first_responded_at IS NULL
GROUP BY mem.customer_id ORDER BY mem.customer_id`, w, id).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]marketing.StatusUpdate, len(rows))
	for i, r := range rows {
		out[i] = marketing.StatusUpdate{CustomerID: r.CustomerID, At: r.At.UTC()}
	}
	return out, nil
}

// ResearchResponses implements marketing.ResearchStore.
func (s *Store) ResearchResponses(ctx context.Context, sc crmtype.Scope, q marketing.ResearchQuery) ([]marketing.ResearchResponse, error) {
	w := string(sc.Workspace)
	var rows []struct {
		ID         crmtype.ID `bun:"id,type:uuid"`
		CustomerID crmtype.ID `bun:"customer_id,type:uuid"`
		Version    int        `bun:"version"`
		Answers    string     `bun:"answers"`
		Stage      *string    `bun:"stage"`
		Attributes *string    `bun:"attributes"`
	}
	if err := s.db.NewRaw(`SELECT sr.id, sr.customer_id, sr.version, sr.answers, c.stage, c.attributes
FROM crm_survey_responses AS sr
LEFT JOIN crm_customers AS c ON c.workspace_id = sr.workspace_id AND c.id = sr.customer_id
WHERE sr.workspace_id = ? AND sr.campaign_id = ? AND sr.survey_key = ?
ORDER BY sr.created_at, sr.id`, w, q.CampaignID, q.SurveyKey).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]marketing.ResearchResponse, len(rows))
	byID := make(map[crmtype.ID]*marketing.ResearchResponse, len(rows))
	byCustomer := map[crmtype.ID][]*marketing.ResearchResponse{}
	for i, r := range rows {
		answers, err := decodeAnswers(r.Answers)
		if err != nil {
			return nil, fmt.Errorf("store: decode answers of response %s: %w", r.ID, err)
		}
		out[i] = marketing.ResearchResponse{ID: r.ID, CustomerID: r.CustomerID, Version: r.Version, Answers: answers}
		if r.Stage != nil {
			out[i].Stage = *r.Stage
		}
		if r.Attributes != nil {
			out[i].Attributes = *r.Attributes
		}
		byID[r.ID] = &out[i]
		byCustomer[r.CustomerID] = append(byCustomer[r.CustomerID], &out[i])
	}
	if len(rows) == 0 {
		return out, nil
	}
	var scores []struct {
		ResponseID crmtype.ID `bun:"response_id,type:uuid"`
		Question   string     `bun:"question"`
		Kind       string     `bun:"kind"`
		Value      int        `bun:"value"`
	}
	if err := s.db.NewRaw(`SELECT sa.response_id, sa.question, sa.kind, sa.value
FROM crm_survey_answers AS sa
JOIN crm_survey_responses AS sr ON sr.workspace_id = sa.workspace_id AND sr.id = sa.response_id
WHERE sa.workspace_id = ? AND sr.campaign_id = ? AND sr.survey_key = ?`, w, q.CampaignID, q.SurveyKey).Scan(ctx, &scores); err != nil {
		return nil, err
	}
	for _, a := range scores {
		if r := byID[a.ResponseID]; r != nil {
			r.Scores = append(r.Scores, marketing.ScoredAnswer{Question: a.Question, Kind: communication.QuestionKind(a.Kind), Value: a.Value})
		}
	}
	var in string
	var groups []crmtype.ID
	switch {
	case len(q.Snapshots) > 0:
		in, groups = `SELECT DISTINCT sr.customer_id, g.snapshot_id AS group_id
FROM crm_survey_responses AS sr
JOIN crm_segment_snapshot_members AS g ON g.workspace_id = sr.workspace_id AND g.customer_id = sr.customer_id
WHERE sr.workspace_id = ? AND sr.campaign_id = ? AND sr.survey_key = ? AND g.snapshot_id IN (?)`, q.Snapshots
	case len(q.Lists) > 0:
		in, groups = `SELECT DISTINCT sr.customer_id, g.list_id AS group_id
FROM crm_survey_responses AS sr
JOIN crm_list_members AS g ON g.workspace_id = sr.workspace_id AND g.customer_id = sr.customer_id
WHERE sr.workspace_id = ? AND sr.campaign_id = ? AND sr.survey_key = ? AND g.list_id IN (?)`, q.Lists
	default:
		return out, nil
	}
	var member []struct {
		CustomerID crmtype.ID `bun:"customer_id,type:uuid"`
		GroupID    crmtype.ID `bun:"group_id,type:uuid"`
	}
	if err := s.db.NewRaw(in+` ORDER BY group_id`, w, q.CampaignID, q.SurveyKey, bun.In(groups)).Scan(ctx, &member); err != nil {
		return nil, err
	}
	for _, m := range member {
		for _, r := range byCustomer[m.CustomerID] {
			r.In = append(r.In, m.GroupID)
		}
	}
	return out, nil
}
