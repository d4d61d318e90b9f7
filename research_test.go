package crm_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
)

var researchSurvey = communication.SurveyParams{Key: "market-fit", Title: "Tell us about you", Questions: []communication.Question{
	{Key: "recommend", Kind: communication.QuestionNPS, Text: "How likely are you to recommend us?", Required: true},
	{Key: "satisfied", Kind: communication.QuestionRating, Text: "How satisfied are you?"},
	{Key: "found", Kind: communication.QuestionSingle, Text: "How did you find us?", Options: []string{"search", "social", "friend"}},
	{Key: "features", Kind: communication.QuestionMultiple, Text: "What matters most?", Options: []string{"price", "speed", "support"}},
	{Key: "comments", Kind: communication.QuestionText, Text: "Anything else?"},
}}

var tokenInBody = regexp.MustCompile(`\?t=([A-Za-z0-9_-]+)`)

func TestResearchSurvey(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		sender := &fakeSender{fail: map[string]bool{"bounce@example.com": true}}
		clock := crmtype.NewManualClock(t0)
		client, err := crm.New(db, &crm.Config{Clock: clock, Communication: communication.Config{Sender: sender}})
		require.NoError(t, err)
		ws := client.Workspace("acme")
		mk, com := ws.Marketing, ws.Communication
		otherWS := client.Workspace("other")
		other := otherWS.Marketing
		for _, w := range []*crm.Workspace{ws, otherWS} {
			require.NoError(t, w.Communication.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
			_, err = w.Communication.SaveSurvey(ctx, researchSurvey)
			require.NoError(t, err)
			_, err = w.Communication.SaveTemplate(ctx, communication.Template{Key: "research", Channel: communication.Email,
				Subject: "A minute for us, {{.Customer.Name}}?", Body: "https://example.com/s/{{.Data.survey_key}}?t={{.Data.survey_token}}"})
			require.NoError(t, err)
		}
		_, err = ws.Customers.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold", "silver"}})
		require.NoError(t, err)
		person := func(name, mail string, stage customer.Stage, tier string) crmtype.ID {
			p := customer.CreateParams{Name: name, Stage: stage, Identities: []customer.IdentityParams{{Kind: customer.Email, Value: mail}}}
			if tier != "" {
				p.Attributes = map[string]any{"tier": tier}
			}
			return mustCreate(t, ctx, ws.Customers, p).ID
		}
		a := person("Ann", "ann@example.com", customer.StageCustomer, "gold")
		b := person("王芳", "wang@example.cn", customer.StageCustomer, "silver")
		c := person("Lukas", "lukas@example.de", customer.StageLead, "gold")
		d := person("Olivia", "olivia@example.com", customer.StageLead, "")
		e := person("Ana", "ana@example.br", customer.StageLead, "")
		f := person("Bounce", "bounce@example.com", customer.StageLead, "")
		emails := map[string]crmtype.ID{"ann@example.com": a, "wang@example.cn": b, "lukas@example.de": c, "olivia@example.com": d}

		camp, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "market fit 2026", Type: marketing.TypeResearch, Currency: "EUR", Channel: "email"})
		require.NoError(t, err)
		outreach, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "newsletter", Type: marketing.TypeOutreach, Currency: "EUR", Channel: "email"})
		require.NoError(t, err)
		res, err := mk.AddMembers(ctx, camp.ID, marketing.AddMembersParams{CustomerIDs: []crmtype.ID{a, b, c, d, e, f}})
		require.NoError(t, err)
		require.Equal(t, 6, res.Added)
		send := marketing.ResearchParams{SurveyKey: "market-fit", Send: communication.SendParams{RenderParams: communication.RenderParams{Key: "research"}}}

		// Bad input, and a campaign not sending yet: nothing sent or written.
		for _, tc := range []struct {
			field string
			id    crmtype.ID
			p     marketing.ResearchParams
		}{
			{"survey_key", camp.ID, marketing.ResearchParams{Send: send.Send}},
			{"send.key", camp.ID, marketing.ResearchParams{SurveyKey: "market-fit"}},
			{"send.customer_id", camp.ID, marketing.ResearchParams{SurveyKey: "market-fit", Send: communication.SendParams{
				RenderParams: communication.RenderParams{Key: "research", CustomerID: a}}}},
			{"limit", camp.ID, marketing.ResearchParams{SurveyKey: "market-fit", Send: send.Send, Limit: -1}},
			{"campaign", camp.ID, send}, // planned
			{"campaign", outreach.ID, send},
		} {
			_, err := mk.SendResearchSurvey(ctx, tc.id, tc.p)
			requireInvalidField(t, err, tc.field)
		}
		camp, err = mk.SetCampaignStatus(ctx, camp.ID, camp.Version, marketing.StatusActive)
		require.NoError(t, err)
		_, err = mk.SendResearchSurvey(ctx, camp.ID, marketing.ResearchParams{SurveyKey: "no-such-survey", Send: send.Send})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = mk.SendResearchSurvey(ctx, crmtype.NewID(t0), send)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.SendResearchSurvey(ctx, camp.ID, send)
		require.ErrorIs(t, err, crmtype.ErrNotFound, "another workspace's campaign")
		require.Empty(t, sender.sent)
		require.Zero(t, countRows(t, ctx, db, "crm_survey_invitations", "acme"))
		require.Zero(t, countRows(t, ctx, db, "crm_survey_invitations", "other"))

		// e unsubscribes from research after joining: the decision skips her.
		_, err = com.RecordConsent(ctx, communication.ConsentParams{CustomerID: e, Purpose: communication.PurposeResearch,
			State: communication.ConsentRevoked, Source: "unsubscribe_link"})
		require.NoError(t, err)

		clock.Advance(time.Minute)
		sres, err := mk.SendResearchSurvey(ctx, camp.ID, send)
		require.NoError(t, err)
		require.Equal(t, 6, sres.Considered)
		require.Equal(t, 4, sres.Sent)
		require.Equal(t, map[string]int{communication.ReasonRevoked: 1}, sres.Skipped)
		require.Equal(t, 1, sres.SkippedTotal())
		require.Equal(t, 1, sres.Failed)
		require.Len(t, sres.Failures, 1)
		require.Equal(t, f, sres.Failures[0].CustomerID)
		require.Len(t, sender.sent, 4)
		funnel, err := mk.MemberFunnel(ctx, camp.ID)
		require.NoError(t, err)
		require.Equal(t, map[marketing.MemberStatus]int{marketing.MemberSent: 4, marketing.MemberAdded: 2}, funnel.ByStatus)
		invs := surveyEvents(t, ctx, db, "acme", communication.EventSurveyInvited)
		require.Len(t, invs, 4)
		require.Contains(t, invs[0].Changes, crmtype.Change{Field: "campaign_id", After: camp.ID.String()})

		// Again: only the members still in status added are tried; Limit
		// bounds them.
		sres, err = mk.SendResearchSurvey(ctx, camp.ID, marketing.ResearchParams{SurveyKey: send.SurveyKey, Send: send.Send, Limit: 1})
		require.NoError(t, err)
		require.Equal(t, 1, sres.Considered)
		require.Zero(t, sres.Sent)
		require.Len(t, sender.sent, 4)

		// Four responses, answered through the links' tokens.
		answers := map[crmtype.ID]map[string]any{
			a: {"recommend": 10, "satisfied": 5, "found": "search", "features": []string{"price", "speed"}, "comments": "love it"},
			b: {"recommend": 9, "satisfied": 4, "found": "social", "features": []string{"speed"}, "comments": "fast"},
			c: {"recommend": 6, "satisfied": 2, "found": "search"},
			d: {"recommend": 8, "found": "friend", "features": []string{"support", "speed"}},
		}
		clock.Advance(time.Hour)
		respondedAt := clock.Now()
		for _, m := range sender.sent {
			tok := tokenInBody.FindStringSubmatch(m.Body)
			require.Len(t, tok, 2, m.Body)
			r, err := com.Respond(ctx, tok[1], answers[emails[m.To]])
			require.NoError(t, err)
			require.Equal(t, camp.ID, r.About.CampaignID)
		}

		// The responders become "responded", once.
		_, err = other.SyncResearchResponses(ctx, camp.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		n, err := mk.SyncResearchResponses(ctx, camp.ID)
		require.NoError(t, err)
		require.Equal(t, 4, n)
		n, err = mk.SyncResearchResponses(ctx, camp.ID)
		require.NoError(t, err)
		require.Zero(t, n, "idempotent")
		funnel, err = mk.MemberFunnel(ctx, camp.ID)
		require.NoError(t, err)
		require.Equal(t, map[marketing.MemberStatus]int{marketing.MemberResponded: 4, marketing.MemberAdded: 2}, funnel.ByStatus)
		require.Equal(t, 4, funnel.Responded)
		page, err := mk.Members(ctx, camp.ID, marketing.MemberListParams{Status: marketing.MemberResponded})
		require.NoError(t, err)
		for _, m := range page.Items {
			require.Equal(t, respondedAt, *m.FirstRespondedAt)
		}
		log, err := mk.MemberLog(ctx, camp.ID, a)
		require.NoError(t, err)
		require.Equal(t, []marketing.MemberStatus{marketing.MemberAdded, marketing.MemberSent, marketing.MemberResponded},
			[]marketing.MemberStatus{log[0].Status, log[1].Status, log[2].Status})

		// Results per question, checked by hand.
		_, err = other.ResearchResults(ctx, camp.ID, marketing.ResearchResultsParams{})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		rr, err := mk.ResearchResults(ctx, camp.ID, marketing.ResearchResultsParams{})
		require.NoError(t, err)
		require.Equal(t, "market-fit", rr.SurveyKey)
		require.Equal(t, 4, rr.Responses)
		require.Len(t, rr.Questions, 5)
		q := rr.Questions[0] // recommend: 10, 9, 6, 8: two promoters, a passive, a detractor
		require.Equal(t, "recommend", q.Key)
		require.Equal(t, 4, q.N)
		require.InDelta(t, 25.0, q.Score.Value, 1e-9)
		nps, err := analysis.NPSFromCounts(2, 1, 1, 0.95)
		require.NoError(t, err)
		require.InDelta(t, nps.CI.Lo, q.Score.Interval.Lo, 1e-12)
		require.InDelta(t, nps.CI.Hi, q.Score.Interval.Hi, 1e-12)
		direct, err := com.SurveyScore(ctx, communication.ScoreParams{SurveyKey: "market-fit", Question: "recommend",
			About: communication.About{CampaignID: camp.ID}})
		require.NoError(t, err)
		require.Equal(t, direct, *q.Score)
		q = rr.Questions[1] // satisfied: 5, 4, 2 → CSAT 2/3
		require.Equal(t, 3, q.N)
		require.InDelta(t, 2.0/3, q.Score.Value, 1e-12)
		q = rr.Questions[2] // found: search 2, social 1, friend 1 of 4
		require.Equal(t, 4, q.N)
		require.Nil(t, q.Score)
		w2, err := analysis.WilsonInterval(2, 4, 0.95)
		require.NoError(t, err)
		w1, err := analysis.WilsonInterval(1, 4, 0.95)
		require.NoError(t, err)
		require.Equal(t, []marketing.OptionResult{{Option: "search", Count: 2, Share: 0.5, Interval: w2},
			{Option: "social", Count: 1, Share: 0.25, Interval: w1}, {Option: "friend", Count: 1, Share: 0.25, Interval: w1}}, q.Options)
		q = rr.Questions[3] // features, by 3 respondents: price 1, speed 3, support 1
		require.Equal(t, 3, q.N)
		w33, err := analysis.WilsonInterval(3, 3, 0.95)
		require.NoError(t, err)
		w13, err := analysis.WilsonInterval(1, 3, 0.95)
		require.NoError(t, err)
		require.Equal(t, []marketing.OptionResult{{Option: "price", Count: 1, Share: 1.0 / 3, Interval: w13},
			{Option: "speed", Count: 3, Share: 1, Interval: w33}, {Option: "support", Count: 1, Share: 1.0 / 3, Interval: w13}}, q.Options)
		q = rr.Questions[4] // comments: counted only
		require.Equal(t, 2, q.N)
		require.Nil(t, q.Options)
		require.Empty(t, rr.Groups)

		// By lifecycle stage: customers a, b (10, 9); leads c, d (6, 8).
		rr, err = mk.ResearchResults(ctx, camp.ID, marketing.ResearchResultsParams{By: marketing.ByStage})
		require.NoError(t, err)
		require.Len(t, rr.Groups, 2)
		cust, lead := rr.Groups[0], rr.Groups[1]
		require.Equal(t, "customer", cust.Key)
		require.Equal(t, 2, cust.Responses)
		require.InDelta(t, 100.0, cust.Questions[0].Score.Value, 1e-9)
		require.Equal(t, "lead", lead.Key)
		require.InDelta(t, -50.0, lead.Questions[0].Score.Value, 1e-9)
		leadNPS, err := analysis.NPSFromCounts(0, 1, 1, 0.95)
		require.NoError(t, err)
		require.Equal(t, leadNPS.CI, lead.Questions[0].Score.Interval)
		require.Equal(t, map[int]int{6: 1, 8: 1}, lead.Questions[0].Score.Counts)
		require.Equal(t, 1, lead.Questions[1].N)                // only c rated
		require.Zero(t, lead.Questions[1].Score.Value)          // a 2
		require.Equal(t, 1, cust.Questions[2].Options[0].Count) // a found us by search
		require.Equal(t, 2, cust.Questions[3].Options[1].Count) // speed matters to a and b

		// By a custom attribute: gold a, c; silver b; none d (last).
		rr, err = mk.ResearchResults(ctx, camp.ID, marketing.ResearchResultsParams{By: "attribute:tier", Level: 0.9})
		require.NoError(t, err)
		require.Equal(t, []string{"gold", "silver", ""}, []string{rr.Groups[0].Key, rr.Groups[1].Key, rr.Groups[2].Key})
		require.Equal(t, 2, rr.Groups[0].Responses)
		require.InDelta(t, 0.0, rr.Groups[0].Questions[0].Score.Value, 1e-9) // 10 and 6
		require.Equal(t, 0.9, rr.Groups[0].Questions[0].Score.Interval.Level)
		_, err = mk.ResearchResults(ctx, camp.ID, marketing.ResearchResultsParams{By: "attribute:shoe_size"})
		requireInvalidField(t, err, "by")
		_, err = mk.ResearchResults(ctx, camp.ID, marketing.ResearchResultsParams{By: "horoscope"})
		requireInvalidField(t, err, "by")
		_, err = mk.ResearchResults(ctx, camp.ID, marketing.ResearchResultsParams{Level: 1})
		requireInvalidField(t, err, "level")

		// By membership of static lists: a respondent counts in each list.
		l1, err := mk.CreateList(ctx, marketing.ListParams{Name: "beta testers"})
		require.NoError(t, err)
		_, err = mk.AddToList(ctx, l1.ID, []crmtype.ID{a, c, e})
		require.NoError(t, err)
		l2, err := mk.CreateList(ctx, marketing.ListParams{Name: "vip"})
		require.NoError(t, err)
		_, err = mk.AddToList(ctx, l2.ID, []crmtype.ID{a})
		require.NoError(t, err)
		rr, err = mk.ResearchResults(ctx, camp.ID, marketing.ResearchResultsParams{By: marketing.ByList, Lists: []crmtype.ID{l1.ID, l2.ID}})
		require.NoError(t, err)
		got := map[string]int{}
		for _, g := range rr.Groups {
			got[g.Key] = g.Responses
		}
		require.Equal(t, map[string]int{l1.ID.String(): 2, l2.ID.String(): 1, "": 2}, got)
		_, err = mk.ResearchResults(ctx, camp.ID, marketing.ResearchResultsParams{By: marketing.ByList})
		requireInvalidField(t, err, "lists")
		_, err = mk.ResearchResults(ctx, camp.ID, marketing.ResearchResultsParams{By: marketing.ByList, Lists: []crmtype.ID{crmtype.NewID(t0)}})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.ResearchResults(ctx, camp.ID, marketing.ResearchResultsParams{})
		require.ErrorIs(t, err, crmtype.ErrNotFound)

		// By membership of a segment snapshot: the customers with a tier
		// (a, b, c) against the rest (d).
		seg, err := mk.SaveSegment(ctx, marketing.SegmentParams{Name: "tiered",
			Rule: marketing.Rule{Attribute: &marketing.AttributeCond{Key: "tier", Op: marketing.OpExists}}})
		require.NoError(t, err)
		snap, err := mk.Snapshot(ctx, seg.ID, time.Time{})
		require.NoError(t, err)
		rr, err = mk.ResearchResults(ctx, camp.ID, marketing.ResearchResultsParams{By: marketing.BySnapshot, Snapshots: []crmtype.ID{snap.ID}})
		require.NoError(t, err)
		require.Len(t, rr.Groups, 2)
		require.Equal(t, snap.ID.String(), rr.Groups[0].Key)
		require.Equal(t, 3, rr.Groups[0].Responses)
		require.InDelta(t, 100.0/3, rr.Groups[0].Questions[0].Score.Value, 1e-9) // 10, 9, 6
		require.Equal(t, "", rr.Groups[1].Key)
		require.Equal(t, 1, rr.Groups[1].Responses)
		_, err = other.ResearchResults(ctx, camp.ID, marketing.ResearchResultsParams{By: marketing.BySnapshot, Snapshots: []crmtype.ID{snap.ID}})
		require.ErrorIs(t, err, crmtype.ErrNotFound)

		// The other workspace's own campaign sees none of this one's
		// responses.
		oc, err := other.CreateCampaign(ctx, marketing.CampaignParams{Name: "market fit 2026", Type: marketing.TypeResearch, Currency: "EUR", Channel: "email"})
		require.NoError(t, err)
		orr, err := other.ResearchResults(ctx, oc.ID, marketing.ResearchResultsParams{SurveyKey: "market-fit", By: marketing.ByStage})
		require.NoError(t, err)
		require.Zero(t, orr.Responses)
		require.Zero(t, orr.Questions[0].N)
		require.Empty(t, orr.Groups)
		n, err = other.SyncResearchResponses(ctx, oc.ID)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}
