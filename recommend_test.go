package crm_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
)

// How a simulated attempt is answered.
const (
	noAnswer      = iota
	answerStatus  // a "replied" delivery status
	answerInbound // an inbound reply on the same channel two hours later
	answerOutcome // outcome "connected"
)

// history builds simulated interactions and ingests them.
type history struct {
	t    *testing.T
	ctx  context.Context
	ws   *crm.Workspace
	rows []communication.InteractionParams
	n    int
}

func newHistory(t *testing.T, ctx context.Context, ws *crm.Workspace) *history {
	return &history{t: t, ctx: ctx, ws: ws}
}

// attempt adds an outbound attempt and, for answerInbound, its reply.
func (h *history) attempt(c crmtype.ID, ch communication.Channel, at time.Time, answer int) {
	h.n++
	pid := fmt.Sprintf("<a%d@crm.test>", h.n)
	p := communication.InteractionParams{CustomerID: c, Channel: ch, Direction: communication.Outbound, OccurredAt: at,
		Subject: "offer", ProviderID: pid, Status: communication.StatusDelivered}
	switch answer {
	case answerStatus:
		p.Status = communication.StatusReplied
	case answerOutcome:
		p.Status, p.Outcome = "", communication.Connected
	}
	h.rows = append(h.rows, p)
	if answer == answerInbound {
		h.rows = append(h.rows, communication.InteractionParams{CustomerID: c, Channel: ch, Direction: communication.Inbound,
			OccurredAt: at.Add(2 * time.Hour), Body: "yes", ProviderID: fmt.Sprintf("<r%d@crm.test>", h.n), ReplyTo: pid})
	}
}

// draw adds an attempt answered with probability p, by status or by reply
// at random; it reports whether it was answered.
func (h *history) draw(r *rand.Rand, c crmtype.ID, ch communication.Channel, at time.Time, p float64) bool {
	if r.Float64() >= p {
		h.attempt(c, ch, at, noAnswer)
		return false
	}
	h.attempt(c, ch, at, answerStatus+r.IntN(2))
	return true
}

func (h *history) ingest() {
	h.t.Helper()
	for i := 0; i < len(h.rows); i += 2000 {
		rep, err := h.ws.Communication.Ingest(h.ctx, h.rows[i:min(i+2000, len(h.rows))])
		require.NoError(h.t, err)
		require.Zero(h.t, rep.Failed, "%+v", rep.Errors)
	}
	h.rows = nil
}

func channelEvidence(t *testing.T, rec communication.Recommendation, ch communication.Channel) communication.ChannelEvidence {
	t.Helper()
	for _, ev := range rec.Channels {
		if ev.Channel == ch {
			return ev
		}
	}
	t.Fatalf("no evidence for %s in %+v", ch, rec.Channels)
	return communication.ChannelEvidence{}
}

// TestRecommendFindsBetterChannel: a customer whose emails are answered
// 30% of the time and SMS 10% (150 attempts each, seeded) is recommended
// email, with an interval that excludes SMS's rate; the rates count
// exactly the simulated answers.
func TestRecommendFindsBetterChannel(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		r := rand.New(rand.NewPCG(2026, 11))
		h := newHistory(t, ctx, ws)
		zhang := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "张三"})
		want := map[communication.Channel]int{}
		for i := range 300 {
			ch, p := communication.Email, 0.3
			if i%2 == 1 {
				ch, p = communication.SMS, 0.1
			}
			if h.draw(r, zhang.ID, ch, t0.Add(-5*24*time.Hour-time.Duration(i)*12*time.Hour), p) {
				want[ch]++
			}
		}
		others := make([]*customer.Customer, 10)
		for k := range others {
			others[k] = mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: fmt.Sprintf("客户 %d", k)})
			for i := range 40 {
				ch, p := communication.Email, 0.25
				if i%2 == 1 {
					ch, p = communication.SMS, 0.15
				}
				h.draw(r, others[k].ID, ch, t0.Add(-5*24*time.Hour-time.Duration(i)*12*time.Hour), p)
			}
		}
		h.ingest()
		com := ws.Communication

		rates, err := com.ResponseRates(ctx, communication.RateParams{CustomerID: zhang.ID})
		require.NoError(t, err)
		require.Equal(t, zhang.ID, rates.CustomerID)
		require.Equal(t, 1, rates.Customers)
		require.Zero(t, rates.Open)
		em, ok := rates.Channel(communication.Email)
		require.True(t, ok)
		sms, _ := rates.Channel(communication.SMS)
		require.Equal(t, 150, em.Trials)
		require.Equal(t, 150, sms.Trials)
		require.Equal(t, want[communication.Email], em.Successes)
		require.Equal(t, want[communication.SMS], sms.Successes)
		require.Equal(t, 300, rates.Total.Trials)
		require.Equal(t, 0.95, em.CI.Level)

		rec, err := com.Recommend(ctx, communication.RecommendParams{CustomerID: zhang.ID, Purpose: communication.PurposeService})
		require.NoError(t, err)
		t.Log(rec.Reason)
		require.Equal(t, communication.Email, rec.Channel)
		require.Equal(t, communication.BasisCustomer, rec.Basis)
		require.Empty(t, rec.Excluded)
		require.Equal(t, communication.Allow, rec.Decision.Verdict)
		ev, evSMS := channelEvidence(t, rec, communication.Email), channelEvidence(t, rec, communication.SMS)
		require.Equal(t, want[communication.Email], ev.Customer.Successes)
		require.False(t, ev.Customer.CI.Contains(evSMS.Customer.Rate), "email's interval %+v excludes SMS's %.3f", ev.Customer.CI, evSMS.Customer.Rate)
		require.Greater(t, ev.LowerBound, evSMS.LowerBound)
		require.Equal(t, 400, ev.Reference.Trials+evSMS.Reference.Trials, "the reference is the workspace without the customer")
		require.Contains(t, rec.Reason, fmt.Sprintf("email: the customer answered %d of 150 attempts", want[communication.Email]))
		require.Equal(t, "UTC", rec.TimeZone)
		require.GreaterOrEqual(t, rec.Hour, 0)
		require.False(t, rec.NextContact.Before(t0))

		// The workspace and a segment: sums of their customers.
		all, err := com.ResponseRates(ctx, communication.RateParams{})
		require.NoError(t, err)
		require.Equal(t, 700, all.Total.Trials)
		require.Equal(t, 11, all.Customers)
		seg, err := com.ResponseRates(ctx, communication.RateParams{CustomerIDs: []crmtype.ID{others[3].ID, zhang.ID, others[3].ID}})
		require.NoError(t, err)
		one, err := com.ResponseRates(ctx, communication.RateParams{CustomerID: others[3].ID})
		require.NoError(t, err)
		require.Equal(t, rates.Total.Trials+one.Total.Trials, seg.Total.Trials)
		require.Equal(t, rates.Total.Successes+one.Total.Successes, seg.Total.Successes)
		require.Equal(t, 2, seg.Customers)
		// A window of attempts: [t0−35 days, t0−5 days) holds attempts 1 to
		// 60, 12 hours apart (attempt 0 is at its end).
		recent, err := com.ResponseRates(ctx, communication.RateParams{CustomerID: zhang.ID, From: t0.Add(-35 * 24 * time.Hour),
			To: t0.Add(-5 * 24 * time.Hour)})
		require.NoError(t, err)
		require.Equal(t, 60, recent.Total.Trials)
		// A reference computed once gives the same recommendation.
		rec2, err := com.Recommend(ctx, communication.RecommendParams{CustomerID: zhang.ID, Purpose: communication.PurposeService,
			Reference: all})
		require.NoError(t, err)
		require.Equal(t, rec.Channel, rec2.Channel)
		require.Equal(t, ev.LowerBound, channelEvidence(t, rec2, communication.Email).LowerBound)
	})
}

// TestRecommendIgnoresLuckyReplies: two SMS attempts, both answered, do not
// beat 200 emails answered 25% of the time, and the reason says why; a
// customer with almost no history gets the workspace's best channel.
func TestRecommendIgnoresLuckyReplies(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		h := newHistory(t, ctx, ws)
		li := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "李四"})
		at := func(i int) time.Time { return t0.Add(-4*24*time.Hour - time.Duration(i)*7*time.Hour) }
		r := rand.New(rand.NewPCG(7, 7))
		for i, k := range r.Perm(200) {
			answer := noAnswer
			if k < 50 {
				answer = answerStatus + k%2
			}
			h.attempt(li.ID, communication.Email, at(i), answer)
		}
		h.attempt(li.ID, communication.SMS, at(3).Add(time.Hour), answerStatus)
		h.attempt(li.ID, communication.SMS, at(40).Add(time.Hour), answerInbound)
		h.ingest()
		com := ws.Communication
		rec, err := com.Recommend(ctx, communication.RecommendParams{CustomerID: li.ID, Purpose: communication.PurposeService})
		require.NoError(t, err)
		t.Log(rec.Reason)
		require.Equal(t, communication.Email, rec.Channel)
		require.Equal(t, communication.BasisCustomer, rec.Basis)
		sms := channelEvidence(t, rec, communication.SMS)
		require.Equal(t, 2, sms.Customer.Successes)
		require.Equal(t, 2, sms.Customer.Trials)
		require.Contains(t, rec.Reason, "sms answered more often (2 of 2, 100.0%) but on too little evidence")
		require.Contains(t, rec.Reason, "email: the customer answered 50 of 200 attempts (25.0%")

		// A new customer with one answered SMS: too little to go on; the
		// workspace's best channel is chosen.
		wang := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "王五"})
		h.attempt(wang.ID, communication.SMS, at(5), answerStatus)
		h.ingest()
		rec, err = com.Recommend(ctx, communication.RecommendParams{CustomerID: wang.ID, Purpose: communication.PurposeService})
		require.NoError(t, err)
		t.Log(rec.Reason)
		require.Equal(t, communication.BasisReference, rec.Basis)
		require.Equal(t, communication.Email, rec.Channel)
		require.Contains(t, rec.Reason, "too little evidence from this customer (1 attempt on the allowed channels, fewer than 10 on any): chose the workspace's best channel email")
		// ... unless they prefer another channel.
		_, err = com.SetPreferences(ctx, communication.Preferences{CustomerID: wang.ID, PreferredChannel: communication.Chat})
		require.NoError(t, err)
		rec, err = com.Recommend(ctx, communication.RecommendParams{CustomerID: wang.ID, Purpose: communication.PurposeService})
		require.NoError(t, err)
		require.Equal(t, communication.BasisPreference, rec.Basis)
		require.Equal(t, communication.Chat, rec.Channel)
		require.Contains(t, rec.Reason, "chose their preferred channel chat")
		// With no history and no candidates there is nothing to recommend.
		zhao := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "赵六"})
		rec, err = com.Recommend(ctx, communication.RecommendParams{CustomerID: zhao.ID, Purpose: communication.PurposeService,
			Reference: &communication.ResponseRates{}})
		require.NoError(t, err)
		require.Empty(t, rec.Channel)
		require.Contains(t, rec.Reason, "no channel to recommend")
		rec, err = com.Recommend(ctx, communication.RecommendParams{CustomerID: zhao.ID, Purpose: communication.PurposeService,
			Reference: &communication.ResponseRates{}, Channels: []communication.Channel{communication.Phone, communication.Email}})
		require.NoError(t, err)
		require.Equal(t, communication.Phone, rec.Channel)
		require.Equal(t, communication.BasisNone, rec.Basis)
		require.Equal(t, -1, rec.Hour)
		require.Equal(t, t0, rec.NextContact)
	})
}

// TestRecommendHourOfDay: a customer in Shanghai answers emails sent at
// 19:00 local time (11:00 UTC) far more often than at 10:00 or 14:00; the
// best hour is 19 local and the next contact is the next 19:00 in
// Shanghai. Quiet hours over 19:00 move it to their end.
func TestRecommendHourOfDay(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		h := newHistory(t, ctx, ws)
		wang := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "王芳", TimeZone: "Asia/Shanghai"})
		sh, err := time.LoadLocation("Asia/Shanghai")
		require.NoError(t, err)
		for d := range 30 {
			day := time.Date(2026, 10, 1+d, 0, 0, 0, 0, sh)
			for _, hr := range []int{10, 14, 19} {
				answer := noAnswer
				if hr == 19 && d%5 < 3 || hr != 19 && d%10 == 0 { // 60% at 19:00, 10% otherwise
					answer = answerStatus + d%2
				}
				h.attempt(wang.ID, communication.Email, day.Add(time.Duration(hr)*time.Hour), answer)
			}
		}
		h.ingest()
		com := ws.Communication
		rates, err := com.ResponseRates(ctx, communication.RateParams{CustomerID: wang.ID})
		require.NoError(t, err)
		em, _ := rates.Channel(communication.Email)
		require.Equal(t, 18, em.ByHour[19].Successes)
		require.Equal(t, 30, em.ByHour[19].Trials)
		require.Equal(t, 3, em.ByHour[10].Successes)
		require.Equal(t, 30, rates.ByHour[14].Trials)
		require.Zero(t, rates.ByHour[11].Trials, "hours are local, not UTC")
		require.Equal(t, 90, rates.ByWeekday[time.Sunday].Trials+rates.ByWeekday[time.Monday].Trials+rates.ByWeekday[time.Tuesday].Trials+
			rates.ByWeekday[time.Wednesday].Trials+rates.ByWeekday[time.Thursday].Trials+rates.ByWeekday[time.Friday].Trials+
			rates.ByWeekday[time.Saturday].Trials)
		require.Equal(t, 15, rates.ByWeekday[time.Thursday].Trials, "1 October 2026 is a Thursday: five of them in the 1st–30th")

		// t0 is 17:00 in Shanghai: the next 19:00 there is 11:00 UTC today.
		rec, err := com.Recommend(ctx, communication.RecommendParams{CustomerID: wang.ID, Purpose: communication.PurposeService})
		require.NoError(t, err)
		t.Log(rec.Reason)
		require.Equal(t, communication.Email, rec.Channel)
		require.Equal(t, 19, rec.Hour)
		require.Equal(t, "Asia/Shanghai", rec.TimeZone)
		require.Equal(t, communication.BasisCustomer, rec.HourBasis)
		require.Equal(t, time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC), rec.NextContact)
		require.Equal(t, 19, rec.Hours[0].Hour)
		require.Equal(t, 18, rec.Hours[0].Customer.Successes)
		require.Contains(t, rec.Reason, "best hour 19:00 Asia/Shanghai")
		// At 19:30 Shanghai, now is the time.
		at := time.Date(2026, 11, 26, 19, 30, 0, 0, sh)
		rec, err = com.Recommend(ctx, communication.RecommendParams{CustomerID: wang.ID, Purpose: communication.PurposeService, At: at})
		require.NoError(t, err)
		require.Equal(t, at.UTC(), rec.NextContact)
		// At 20:00 it is 19:00 tomorrow.
		at = time.Date(2026, 11, 26, 20, 0, 0, 0, sh)
		rec, err = com.Recommend(ctx, communication.RecommendParams{CustomerID: wang.ID, Purpose: communication.PurposeService, At: at})
		require.NoError(t, err)
		require.Equal(t, time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC), rec.NextContact)

		// Quiet hours 18:00–22:00 cover 19:00 every day: the contact goes at
		// their end, 22:00 Shanghai.
		_, err = com.SetPreferences(ctx, communication.Preferences{CustomerID: wang.ID,
			QuietHours: []communication.QuietHours{{From: "18:00", To: "22:00"}}})
		require.NoError(t, err)
		clock.Advance(time.Minute)
		rec, err = com.Recommend(ctx, communication.RecommendParams{CustomerID: wang.ID, Purpose: communication.PurposeService})
		require.NoError(t, err)
		t.Log(rec.Reason)
		require.Equal(t, 19, rec.Hour)
		require.Equal(t, time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC), rec.NextContact)
		require.Equal(t, communication.Allow, rec.Decision.Verdict)
		require.Contains(t, rec.Reason, "deferred (quiet_hours)")
	})
}

// TestRecommendRespectsConsent: SMS answers more often, but once the
// customer revokes marketing by SMS it is excluded, with its reason; with
// no consent at all nothing may be recommended.
func TestRecommendRespectsConsent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		h := newHistory(t, ctx, ws)
		zhou := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "周七"})
		r := rand.New(rand.NewPCG(3, 4))
		for i := range 200 {
			ch, p := communication.SMS, 0.4
			if i%2 == 1 {
				ch, p = communication.Email, 0.1
			}
			h.draw(r, zhou.ID, ch, t0.Add(-4*24*time.Hour-time.Duration(i)*13*time.Hour), p)
		}
		h.ingest()
		com := ws.Communication
		mk := communication.PurposeMarketing
		// No consent recorded: marketing is denied on every channel.
		rec, err := com.Recommend(ctx, communication.RecommendParams{CustomerID: zhou.ID, Purpose: mk})
		require.NoError(t, err)
		require.Empty(t, rec.Channel)
		require.Len(t, rec.Excluded, 2)
		require.Contains(t, rec.Reason, "every candidate is denied")
		require.True(t, rec.NextContact.IsZero())

		for _, ch := range []communication.Channel{communication.Email, communication.SMS} {
			_, err := com.RecordConsent(ctx, communication.ConsentParams{CustomerID: zhou.ID, Channel: ch, Purpose: mk,
				State: communication.ConsentGranted, Source: "web_form"})
			require.NoError(t, err)
		}
		clock.Advance(time.Minute)
		rec, err = com.Recommend(ctx, communication.RecommendParams{CustomerID: zhou.ID, Purpose: mk})
		require.NoError(t, err)
		require.Equal(t, communication.SMS, rec.Channel)
		require.Empty(t, rec.Excluded)
		require.Equal(t, communication.ReasonConsent, channelEvidence(t, rec, communication.SMS).Decision.Reason)

		_, err = com.RecordConsent(ctx, communication.ConsentParams{CustomerID: zhou.ID, Channel: communication.SMS, Purpose: mk,
			State: communication.ConsentRevoked, Source: "unsubscribe_link"})
		require.NoError(t, err)
		clock.Advance(time.Minute)
		rec, err = com.Recommend(ctx, communication.RecommendParams{CustomerID: zhou.ID, Purpose: mk})
		require.NoError(t, err)
		t.Log(rec.Reason)
		require.Equal(t, communication.Email, rec.Channel)
		require.Len(t, rec.Excluded, 1)
		require.Equal(t, communication.SMS, rec.Excluded[0].Channel)
		require.Equal(t, communication.Deny, rec.Excluded[0].Decision.Verdict)
		require.Equal(t, communication.ReasonRevoked, rec.Excluded[0].Decision.Reason)
		require.Len(t, rec.Channels, 1, "an excluded channel is not scored")
		require.Contains(t, rec.Reason, "excluded: sms (consent_revoked)")
		// Service messages need no consent: SMS is back.
		rec, err = com.Recommend(ctx, communication.RecommendParams{CustomerID: zhou.ID, Purpose: communication.PurposeService})
		require.NoError(t, err)
		require.Equal(t, communication.SMS, rec.Channel)
	})
}

// TestRecommendTwoWorkspaces: another workspace's history never counts,
// and its customers are not found.
func TestRecommendTwoWorkspaces(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		a, b := client.Workspace("ws-a"), client.Workspace("ws-b")
		ha, hb := newHistory(t, ctx, a), newHistory(t, ctx, b)
		ca := mustCreate(t, ctx, a.Customers, customer.CreateParams{Name: "张三"})
		cb := mustCreate(t, ctx, b.Customers, customer.CreateParams{Name: "张三"})
		for i := range 40 {
			at := t0.Add(-4*24*time.Hour - time.Duration(i)*10*time.Hour)
			answer := noAnswer
			if i%4 == 0 {
				answer = answerInbound
			}
			ha.attempt(ca.ID, communication.Email, at, answer)
			ha.attempt(ca.ID, communication.SMS, at.Add(time.Hour), noAnswer)
			// ws-b: SMS always answered, at the same instants.
			hb.attempt(cb.ID, communication.SMS, at.Add(time.Hour), answerInbound)
			hb.attempt(cb.ID, communication.Email, at, noAnswer)
		}
		ha.ingest()
		before, err := a.Communication.ResponseRates(ctx, communication.RateParams{})
		require.NoError(t, err)
		hb.ingest()
		after, err := a.Communication.ResponseRates(ctx, communication.RateParams{})
		require.NoError(t, err)
		require.Equal(t, before, after)
		require.Equal(t, 80, after.Total.Trials)
		require.Equal(t, 10, after.Total.Successes)
		require.Equal(t, 1, after.Customers)
		inB, err := b.Communication.ResponseRates(ctx, communication.RateParams{})
		require.NoError(t, err)
		require.Equal(t, 40, inB.Total.Successes)

		rec, err := a.Communication.Recommend(ctx, communication.RecommendParams{CustomerID: ca.ID, Purpose: communication.PurposeService})
		require.NoError(t, err)
		require.Equal(t, communication.Email, rec.Channel)
		require.Zero(t, channelEvidence(t, rec, communication.SMS).Reference.Trials, "ws-b's SMS history is not ws-a's reference")

		_, err = a.Communication.ResponseRates(ctx, communication.RateParams{CustomerID: cb.ID})
		require.True(t, errors.Is(err, crm.ErrNotFound), "%v", err)
		_, err = a.Communication.Recommend(ctx, communication.RecommendParams{CustomerID: cb.ID, Purpose: communication.PurposeService})
		require.True(t, errors.Is(err, crm.ErrNotFound), "%v", err)
		seg, err := a.Communication.ResponseRates(ctx, communication.RateParams{CustomerIDs: []crmtype.ID{cb.ID}})
		require.NoError(t, err)
		require.Zero(t, seg.Total.Trials)
		_, err = a.Communication.ResponseRates(ctx, communication.RateParams{CustomerID: ca.ID, CustomerIDs: []crmtype.ID{ca.ID}})
		require.True(t, errors.Is(err, crm.ErrInvalid), "%v", err)
		_, err = client.Workspace("").Communication.ResponseRates(ctx, communication.RateParams{})
		require.True(t, errors.Is(err, crm.ErrNoWorkspace), "%v", err)
	})
}

// TestResponseRatesSegmentPaging: a segment read in windows of customer ids
// and pages of rows (one customer alone fills more than a page) gives the
// sums of its customers; the workspace gives the same, and an empty
// segment nothing.
func TestResponseRatesSegmentPaging(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		h := newHistory(t, ctx, ws)
		r := rand.New(rand.NewPCG(5, 6))
		whale := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "大客户"})
		for i := range 6000 {
			h.draw(r, whale.ID, communication.Email, t0.Add(-4*24*time.Hour-time.Duration(i)*time.Hour), 0.2)
		}
		ids := []crmtype.ID{whale.ID}
		zones := []string{"", "Asia/Shanghai", "America/New_York", "Asia/Kolkata"}
		for k := range 40 {
			c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: fmt.Sprintf("客户 %d", k), TimeZone: zones[k%4]})
			ids = append(ids, c.ID)
			for i := range 20 {
				ch := []communication.Channel{communication.Email, communication.SMS, communication.Phone}[i%3]
				at := t0.Add(-4*24*time.Hour - time.Duration(i)*17*time.Hour)
				if ch == communication.Phone && r.IntN(2) == 0 {
					h.attempt(c.ID, ch, at, answerOutcome)
					continue
				}
				h.draw(r, c.ID, ch, at, 0.3)
			}
		}
		h.ingest()
		com := ws.Communication
		all, err := com.ResponseRates(ctx, communication.RateParams{})
		require.NoError(t, err)
		require.Equal(t, 6000+40*20, all.Total.Trials)
		// The segment: every customer among 1,200 unknown ids, so that it
		// spans several windows.
		seg := append([]crmtype.ID{}, ids...)
		for i := range 1200 {
			seg = append(seg, crmtype.NewID(t0.Add(time.Duration(i)*time.Millisecond)))
		}
		r.Shuffle(len(seg), func(i, j int) { seg[i], seg[j] = seg[j], seg[i] })
		got, err := com.ResponseRates(ctx, communication.RateParams{CustomerIDs: seg})
		require.NoError(t, err)
		require.Equal(t, all.Total, got.Total)
		require.Equal(t, all.ByHour, got.ByHour)
		require.Equal(t, all.ByChannel, got.ByChannel)
		require.Equal(t, 41, got.Customers)
		var sum, sumHour19 communication.Rate
		for _, id := range ids {
			one, err := com.ResponseRates(ctx, communication.RateParams{CustomerID: id})
			require.NoError(t, err)
			sum.Successes += one.Total.Successes
			sum.Trials += one.Total.Trials
			sumHour19.Trials += one.ByHour[19].Trials
		}
		require.Equal(t, all.Total.Successes, sum.Successes)
		require.Equal(t, all.Total.Trials, sum.Trials)
		require.Equal(t, all.ByHour[19].Trials, sumHour19.Trials)
		ph, ok := all.Channel(communication.Phone)
		require.True(t, ok)
		require.Positive(t, ph.Successes, "connected calls are answered")
		// One channel only.
		sms, err := com.ResponseRates(ctx, communication.RateParams{CustomerIDs: seg, Channels: []communication.Channel{communication.SMS}})
		require.NoError(t, err)
		smsAll, _ := all.Channel(communication.SMS)
		require.Equal(t, smsAll.Rate, sms.Total)
		require.Len(t, sms.ByChannel, 1)
		// An empty segment is empty, not the workspace.
		empty, err := com.ResponseRates(ctx, communication.RateParams{CustomerIDs: []crmtype.ID{}})
		require.NoError(t, err)
		require.Zero(t, empty.Total.Trials)
	})
}
