package crm_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/service"
	"github.com/kehu/crm/store"
)

// satFixture is a workspace with a post-ticket survey, its template, a
// customer who consented to research, a fake sender, and a ticket service
// whose satisfaction surveys go through the workspace's communication.
type satFixture struct {
	db     *bun.DB
	clock  *crmtype.ManualClock
	sender *fakeSender
	client *crm.Client
	ws     *crm.Workspace
	svc    *service.Service
	cust   *customer.Customer
}

var satTemplate = communication.Template{Key: "csat-mail", Channel: communication.Email,
	Subject: "How did we do with {{.Data.ticket_key}}?",
	Body:    "Tell us: https://example.com/s/{{.Data.survey_key}}?t={{.Data.survey_token}} ({{.Data.ticket_key}}: {{.Data.ticket_subject}})"}

func satConfig() service.SatisfactionConfig {
	return service.SatisfactionConfig{SurveyKey: "post-ticket", Delay: time.Hour,
		Send: communication.SendParams{RenderParams: communication.RenderParams{Key: "csat-mail", Channel: communication.Email}}}
}

// newSatClient returns a client with a fake sender and a manual clock.
func newSatClient(t *testing.T, db *bun.DB) (*crm.Client, *crmtype.ManualClock, *fakeSender) {
	t.Helper()
	clock := crmtype.NewManualClock(t0)
	sender := &fakeSender{fail: map[string]bool{"bounce@example.com": true}}
	client, err := crm.New(db, &crm.Config{Clock: clock, Communication: communication.Config{Sender: sender}})
	require.NoError(t, err)
	return client, clock, sender
}

func newSatFixture(t *testing.T, db *bun.DB, client *crm.Client, clock *crmtype.ManualClock, sender *fakeSender, ws string, cfg service.SatisfactionConfig) *satFixture {
	t.Helper()
	ctx := context.Background()
	w := client.Workspace(ws)
	_, err := w.Communication.SaveSurvey(ctx, csatSurvey)
	require.NoError(t, err)
	_, err = w.Communication.SaveTemplate(ctx, satTemplate)
	require.NoError(t, err)
	f := &satFixture{db: db, clock: clock, sender: sender, client: client, ws: w}
	f.cust = f.customer(t, "Ann", "ann@"+ws+".example.com", true)
	f.svc = f.service(cfg)
	return f
}

// service returns a ticket service of the fixture's workspace with cfg,
// wired as crm.go wires it.
func (f *satFixture) service(cfg service.SatisfactionConfig) *service.Service {
	return service.NewService(store.New(f.db), f.ws.ID, service.Config{Clock: f.clock, Satisfaction: cfg, Surveys: f.ws.Communication})
}

// customer creates a customer with email (none when ""), consenting to
// research when consent.
func (f *satFixture) customer(t *testing.T, name, email string, consent bool) *customer.Customer {
	t.Helper()
	ctx := context.Background()
	p := customer.CreateParams{Name: name}
	if email != "" {
		p.Identities = []customer.IdentityParams{{Kind: customer.Email, Value: email}}
	}
	c := mustCreate(t, ctx, f.ws.Customers, p)
	if consent {
		_, err := f.ws.Communication.RecordConsent(ctx, communication.ConsentParams{CustomerID: c.ID,
			Purpose: communication.PurposeResearch, State: communication.ConsentGranted, Source: "web_form"})
		require.NoError(t, err)
	}
	return c
}

// solved creates a ticket for c (the fixture's customer when nil) and
// solves it now.
func (f *satFixture) solved(t *testing.T, c *customer.Customer, p service.TicketParams) *service.Ticket {
	t.Helper()
	ctx := context.Background()
	if c == nil {
		c = f.cust
	}
	p.CustomerID = c.ID
	if p.Category == "" {
		p.Category = service.CategoryTechnicalSupport
	}
	if p.Subject == "" {
		p.Subject = "Router drops Wi-Fi"
	}
	tk, err := f.svc.CreateTicket(ctx, p)
	require.NoError(t, err)
	tk, err = f.svc.SetStatus(ctx, tk.ID, tk.Version, service.StatusSolved)
	require.NoError(t, err)
	return tk
}

func (f *satFixture) state(t *testing.T, id crmtype.ID) *service.TicketSurvey {
	t.Helper()
	ts, err := f.svc.TicketSurvey(context.Background(), id)
	require.NoError(t, err)
	return ts
}

func (f *satFixture) run(t *testing.T) service.SurveyRun {
	t.Helper()
	run, err := f.svc.SendSatisfactionSurveys(context.Background(), 0)
	require.NoError(t, err)
	return run
}

var satTokenRE = regexp.MustCompile(`\?t=([A-Za-z0-9_-]+)`)

// tokenOf returns the survey token in the i-th message sent.
func (f *satFixture) tokenOf(t *testing.T, i int) string {
	t.Helper()
	f.sender.mu.Lock()
	defer f.sender.mu.Unlock()
	m := satTokenRE.FindStringSubmatch(f.sender.sent[i].Body)
	require.NotNil(t, m, f.sender.sent[i].Body)
	return m[1]
}

func (f *satFixture) sentCount() int {
	f.sender.mu.Lock()
	defer f.sender.mu.Unlock()
	return len(f.sender.sent)
}

func TestSatisfactionSurveyAfterSolve(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock, sender := newSatClient(t, db)
		f := newSatFixture(t, db, client, clock, sender, "acme", satConfig())

		tk := f.solved(t, nil, service.TicketParams{Subject: "Router drops Wi-Fi"})
		open, err := f.svc.CreateTicket(ctx, service.TicketParams{CustomerID: f.cust.ID, Category: "inquiry", Subject: "Still open"})
		require.NoError(t, err)
		require.Equal(t, service.SurveyPending, f.state(t, tk.ID).State)

		// Not due before the delay.
		require.Empty(t, f.run(t).Results)
		clock.Advance(59 * time.Minute)
		require.Empty(t, f.run(t).Results)

		clock.Advance(time.Minute)
		run := f.run(t)
		require.Len(t, run.Results, 1)
		res := run.Results[0]
		require.Equal(t, service.OutcomeSent, res.Outcome, "%v", res.Err)
		require.Equal(t, tk.ID, res.TicketID)
		require.Equal(t, tk.Number, res.Number)
		require.NoError(t, res.Err)
		require.Equal(t, 1, run.Count(service.OutcomeSent))
		require.Equal(t, 1, f.sentCount())
		require.Equal(t, "ann@acme.example.com", sender.sent[0].To)
		require.Contains(t, sender.sent[0].Body, fmt.Sprintf("(T-%d: Router drops Wi-Fi)", tk.Number))
		require.Equal(t, fmt.Sprintf("How did we do with T-%d?", tk.Number), sender.sent[0].Subject)

		st := f.state(t, tk.ID)
		require.Equal(t, service.SurveySent, st.State)
		require.Equal(t, res.InvitationID, st.InvitationID)
		require.Equal(t, clock.Now(), *st.At)
		require.Nil(t, st.HeldUntil)
		require.Zero(t, f.state(t, open.ID).Attempts)

		// The invitation is about the ticket, and so is its message.
		inv, _, err := f.ws.Communication.OpenInvitation(ctx, f.tokenOf(t, 0))
		require.NoError(t, err)
		require.Equal(t, st.InvitationID, inv.ID)
		require.Equal(t, tk.ID, inv.About.TicketID)
		msg, err := f.ws.Communication.Interaction(ctx, inv.MessageID)
		require.NoError(t, err)
		require.Equal(t, tk.ID, msg.TicketID)
		require.Equal(t, communication.PurposeResearch, msg.Purpose)

		// Sent once: later runs find nothing.
		clock.Advance(24 * time.Hour)
		require.Empty(t, f.run(t).Results)

		// Reopened and solved again: not surveyed twice.
		cur, err := f.svc.Ticket(ctx, tk.ID)
		require.NoError(t, err)
		cur, err = f.svc.SetStatus(ctx, tk.ID, cur.Version, service.StatusOpen)
		require.NoError(t, err)
		_, err = f.svc.SetStatus(ctx, tk.ID, cur.Version, service.StatusSolved)
		require.NoError(t, err)
		clock.Advance(2 * time.Hour)
		require.Empty(t, f.run(t).Results)
		require.Equal(t, 1, f.sentCount())
		require.Equal(t, st.InvitationID, f.state(t, tk.ID).InvitationID)

		// A ticket reopened before its survey fell due waits for its next
		// solve, and is surveyed after it.
		quick := f.solved(t, nil, service.TicketParams{Subject: "Reopened quickly"})
		clock.Advance(10 * time.Minute)
		quick, err = f.svc.SetStatus(ctx, quick.ID, quick.Version, service.StatusOpen)
		require.NoError(t, err)
		clock.Advance(2 * time.Hour)
		require.Empty(t, f.run(t).Results)
		_, err = f.svc.SetStatus(ctx, quick.ID, quick.Version, service.StatusSolved)
		require.NoError(t, err)
		clock.Advance(time.Hour)
		run = f.run(t)
		require.Len(t, run.Results, 1)
		require.Equal(t, quick.ID, run.Results[0].TicketID)

		// A solved ticket closed before its survey is due is still surveyed.
		closed := f.solved(t, nil, service.TicketParams{Subject: "Closed fast"})
		_, err = f.svc.SetStatus(ctx, closed.ID, closed.Version, service.StatusClosed)
		require.NoError(t, err)
		clock.Advance(time.Hour)
		run = f.run(t)
		require.Len(t, run.Results, 1)
		require.Equal(t, closed.ID, run.Results[0].TicketID)
		require.Equal(t, service.OutcomeSent, run.Results[0].Outcome)

		// Tickets solved longer ago than MaxAge are never surveyed: turning
		// the feature on later does not survey them.
		off := f.service(service.SatisfactionConfig{})
		oldTk, err := off.CreateTicket(ctx, service.TicketParams{CustomerID: f.cust.ID, Category: "inquiry", Subject: "Old"})
		require.NoError(t, err)
		_, err = off.SetStatus(ctx, oldTk.ID, oldTk.Version, service.StatusSolved)
		require.NoError(t, err)
		run, err = off.SendSatisfactionSurveys(ctx, 0)
		require.NoError(t, err, "off: nothing to do")
		require.Empty(t, run.Results)
		clock.Advance(service.DefaultSatisfactionMaxAge + time.Minute)
		require.Empty(t, f.run(t).Results)
		require.Equal(t, service.SurveyPending, f.state(t, oldTk.ID).State)
		require.Equal(t, 3, f.sentCount())
		require.Equal(t, service.SurveyPending, f.state(t, open.ID).State, "never solved: never surveyed")
	})
}

func TestSatisfactionConcurrentWorkers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock, sender := newSatClient(t, db)
		f := newSatFixture(t, db, client, clock, sender, "acme", satConfig())
		const n = 24
		want := map[crmtype.ID]bool{}
		for i := range n {
			tk := f.solved(t, nil, service.TicketParams{Subject: fmt.Sprintf("Ticket %d", i)})
			want[tk.ID] = true
		}
		clock.Advance(time.Hour)

		var mu sync.Mutex
		got := map[crmtype.ID]int{}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				svc := f.service(satConfig()) // each worker its own service, as separate processes
				for {
					run, err := svc.SendSatisfactionSurveys(ctx, 3)
					if err != nil {
						errs <- err
						return
					}
					if len(run.Results) == 0 {
						return
					}
					mu.Lock()
					for _, r := range run.Results {
						if r.Outcome != service.OutcomeSent {
							errs <- fmt.Errorf("ticket %s: %s %v", r.TicketID, r.Outcome, r.Err)
						}
						got[r.TicketID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Len(t, got, n)
		for id, k := range got {
			require.True(t, want[id])
			require.Equal(t, 1, k, "ticket %s claimed %d times", id, k)
			require.Equal(t, service.SurveySent, f.state(t, id).State)
		}
		require.Equal(t, n, f.sentCount())
		require.Equal(t, n, countRows(t, ctx, db, "crm_survey_invitations", "acme"))
	})
}

func TestSatisfactionLease(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock, sender := newSatClient(t, db)
		f := newSatFixture(t, db, client, clock, sender, "acme", satConfig())
		tk := f.solved(t, nil, service.TicketParams{})
		clock.Advance(time.Hour)

		// A worker claims the ticket and crashes.
		st := store.New(db)
		sc := crmtype.Scope{Workspace: "acme"}
		now := clock.Now()
		claims, err := st.ClaimSatisfactionSurveys(ctx, sc, service.SatisfactionClaimParams{SurveyKey: "post-ticket", Now: now,
			SolvedFrom: now.Add(-48 * time.Hour), SolvedTo: now, Lease: service.DefaultSatisfactionLease, Limit: 10})
		require.NoError(t, err)
		require.Len(t, claims, 1)
		require.True(t, claims[0].CustomerLive)
		require.Equal(t, int64(1), claims[0].LeaseNo)
		held := f.state(t, tk.ID)
		require.Equal(t, now.Add(service.DefaultSatisfactionLease), *held.HeldUntil)

		// Held: no one else gets it until the lease ends.
		require.Empty(t, f.run(t).Results)
		clock.Advance(service.DefaultSatisfactionLease)
		run := f.run(t)
		require.Len(t, run.Results, 1)
		require.Equal(t, service.OutcomeSent, run.Results[0].Outcome)
		require.Equal(t, 1, f.sentCount())

		// The crashed worker's late record loses.
		err = st.RecordSatisfactionSurvey(ctx, sc, service.SatisfactionRecord{TicketID: tk.ID, LeaseNo: 1,
			State: service.SurveySkipped, Reason: "late", At: clock.Now()})
		require.ErrorIs(t, err, crm.ErrConflict)
		require.Equal(t, service.SurveySent, f.state(t, tk.ID).State)

		// A worker that crashed after the invitation went out: the next
		// claim records it instead of sending again.
		tk2 := f.solved(t, nil, service.TicketParams{})
		send := satConfig().Send
		send.Data = map[string]any{"ticket_key": "T-2", "ticket_subject": "by hand"}
		inv, err := f.ws.Communication.SendInvitation(ctx, communication.InviteParams{SurveyKey: "post-ticket",
			CustomerID: f.cust.ID, About: communication.About{TicketID: tk2.ID}}, send)
		require.NoError(t, err)
		clock.Advance(time.Hour)
		run = f.run(t)
		require.Len(t, run.Results, 1)
		require.Equal(t, service.OutcomeSent, run.Results[0].Outcome)
		require.Equal(t, service.ReasonAlreadyInvited, run.Results[0].Reason)
		require.Equal(t, inv.ID, f.state(t, tk2.ID).InvitationID)
		require.Equal(t, 2, f.sentCount())
	})
}

func TestSatisfactionSkipsAndFailures(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock, sender := newSatClient(t, db)
		cfg := satConfig()
		cfg.MaxAttempts = 3
		f := newSatFixture(t, db, client, clock, sender, "acme", cfg)

		noConsent := f.customer(t, "Bo", "bo@example.com", false)
		revoked := f.customer(t, "Cy", "cy@example.com", true)
		_, err := f.ws.Communication.RecordConsent(ctx, communication.ConsentParams{CustomerID: revoked.ID,
			Purpose: communication.PurposeResearch, State: communication.ConsentRevoked, Source: "unsubscribe_link"})
		require.NoError(t, err)
		noEmail := f.customer(t, "Di", "", true)
		gone := f.customer(t, "Ed", "ed@example.com", true)
		bounce := f.customer(t, "Fay", "bounce@example.com", true)

		tNoConsent := f.solved(t, noConsent, service.TicketParams{})
		tRevoked := f.solved(t, revoked, service.TicketParams{})
		tNoEmail := f.solved(t, noEmail, service.TicketParams{})
		tGone := f.solved(t, gone, service.TicketParams{})
		tBounce := f.solved(t, bounce, service.TicketParams{})
		require.NoError(t, f.ws.Customers.Delete(ctx, gone.ID))
		clock.Advance(time.Hour)

		run := f.run(t)
		require.Len(t, run.Results, 5)
		by := map[crmtype.ID]service.SurveyResult{}
		for _, r := range run.Results {
			by[r.TicketID] = r
		}
		for id, reason := range map[crmtype.ID]string{tNoConsent.ID: "contact:" + communication.ReasonNoConsent,
			tRevoked.ID: "contact:" + communication.ReasonRevoked, tNoEmail.ID: service.ReasonNoAddress,
			tGone.ID: service.ReasonCustomerInactive} {
			require.Equal(t, service.OutcomeSkipped, by[id].Outcome, reason)
			require.Equal(t, reason, by[id].Reason)
			st := f.state(t, id)
			require.Equal(t, service.SurveySkipped, st.State)
			require.Equal(t, reason, st.Reason)
			require.True(t, st.InvitationID.IsZero())
		}
		require.Zero(t, countRows(t, ctx, db, "crm_survey_invitations", "acme"), "skipped: no invitation kept")

		// The bouncing address is retried after RetryDelay, doubling, and
		// fails for good after MaxAttempts.
		require.Equal(t, service.OutcomeRetry, by[tBounce.ID].Outcome)
		require.Error(t, by[tBounce.ID].Err)
		st := f.state(t, tBounce.ID)
		require.Equal(t, service.SurveyPending, st.State)
		require.Equal(t, 1, st.Attempts)
		require.Equal(t, "send:error", st.Reason)
		require.NotContains(t, st.Reason, "bounce@", "no address is stored")
		require.Equal(t, clock.Now().Add(service.DefaultSatisfactionRetryDelay), *st.HeldUntil)

		clock.Advance(service.DefaultSatisfactionRetryDelay - time.Second)
		require.Empty(t, f.run(t).Results)
		clock.Advance(time.Second)
		run = f.run(t)
		require.Len(t, run.Results, 1)
		require.Equal(t, service.OutcomeRetry, run.Results[0].Outcome)
		require.Equal(t, clock.Now().Add(2*service.DefaultSatisfactionRetryDelay), *f.state(t, tBounce.ID).HeldUntil)
		clock.Advance(2 * service.DefaultSatisfactionRetryDelay)
		run = f.run(t)
		require.Len(t, run.Results, 1)
		require.Equal(t, service.OutcomeFailed, run.Results[0].Outcome)
		st = f.state(t, tBounce.ID)
		require.Equal(t, service.SurveyFailed, st.State)
		require.Equal(t, 3, st.Attempts)

		// Skipped and failed are final: nothing is retried.
		clock.Advance(3 * 24 * time.Hour)
		require.Empty(t, f.run(t).Results)
		require.Zero(t, f.sentCount())

		// Without a sender the sends fail and are retried.
		noSender, err := crm.New(db, &crm.Config{Clock: clock})
		require.NoError(t, err)
		ws := noSender.Workspace("acme")
		svc := service.NewService(store.New(db), "acme", service.Config{Clock: clock, Satisfaction: cfg, Surveys: ws.Communication})
		tk := f.solved(t, nil, service.TicketParams{})
		clock.Advance(time.Hour)
		run, err = svc.SendSatisfactionSurveys(ctx, 0)
		require.NoError(t, err)
		require.Len(t, run.Results, 1)
		require.Equal(t, service.OutcomeRetry, run.Results[0].Outcome)
		require.ErrorIs(t, run.Results[0].Err, communication.ErrNoSender)
		require.Equal(t, "send:no_sender", f.state(t, tk.ID).Reason)
	})
}

func TestSatisfactionDeferred(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock, sender := newSatClient(t, db)
		f := newSatFixture(t, db, client, clock, sender, "acme", satConfig())
		// t0 is 09:00 UTC; quiet until 12:00 UTC defers the survey.
		require.NoError(t, f.ws.Communication.SetContactSettings(ctx, communication.ContactSettings{
			QuietHours: []communication.QuietHours{{From: "08:00", To: "12:00"}}, TimeZone: "UTC"}))
		tk := f.solved(t, nil, service.TicketParams{})
		clock.Advance(time.Hour)
		run := f.run(t)
		require.Len(t, run.Results, 1)
		require.Equal(t, service.OutcomeDeferred, run.Results[0].Outcome)
		st := f.state(t, tk.ID)
		require.Equal(t, service.SurveyPending, st.State)
		require.Zero(t, st.Attempts, "a deferral is no failure")
		require.Equal(t, "deferred:"+communication.ReasonQuietHours, st.Reason)
		require.Equal(t, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), *st.HeldUntil)
		require.Empty(t, f.run(t).Results)
		clock.Set(*st.HeldUntil)
		run = f.run(t)
		require.Len(t, run.Results, 1)
		require.Equal(t, service.OutcomeSent, run.Results[0].Outcome)
	})
}

func TestSatisfactionDetractorFollowUp(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock, sender := newSatClient(t, db)
		f := newSatFixture(t, db, client, clock, sender, "acme", satConfig())
		com := f.ws.Communication

		bad := f.solved(t, nil, service.TicketParams{AssigneeID: "agent-7", TeamID: "tier-1"})
		good := f.solved(t, nil, service.TicketParams{AssigneeID: "agent-8"})
		unassigned := f.solved(t, nil, service.TicketParams{})
		clock.Advance(time.Hour)
		run := f.run(t)
		require.Equal(t, 3, run.Count(service.OutcomeSent))
		tokens := map[crmtype.ID]string{}
		for i := range 3 {
			inv, _, err := com.OpenInvitation(ctx, f.tokenOf(t, i))
			require.NoError(t, err)
			tokens[inv.About.TicketID] = f.tokenOf(t, i)
		}
		followUps := func(ticket crmtype.ID) []*communication.Task {
			page, err := com.Tasks(ctx, communication.TaskListParams{CustomerID: f.cust.ID, Limit: 100})
			require.NoError(t, err)
			var out []*communication.Task
			for _, tk := range page.Items {
				if tk.TicketID == ticket {
					out = append(out, tk)
				}
			}
			return out
		}

		// A detractor: one follow-up task, linked to the ticket, for its
		// assignee, due a day later, created with the response.
		clock.Advance(10 * time.Minute)
		before := countRows(t, ctx, db, "crm_tasks", "acme")
		resp, err := com.Respond(ctx, tokens[bad.ID], map[string]any{"nps": 3, "csat": 1, "effort": 2, "comment": "Too slow"})
		require.NoError(t, err)
		require.Equal(t, bad.ID, resp.About.TicketID)
		tasks := followUps(bad.ID)
		require.Len(t, tasks, 1)
		task := tasks[0]
		require.Equal(t, before+1, countRows(t, ctx, db, "crm_tasks", "acme"))
		require.Equal(t, "agent-7", task.OwnerID)
		require.Equal(t, f.cust.ID, task.CustomerID)
		require.Equal(t, communication.TaskOpen, task.Status)
		require.Equal(t, communication.PriorityHigh, task.Priority)
		require.Equal(t, clock.Now().Add(communication.FollowUpDue), task.DueAt)
		require.Contains(t, task.Subject, fmt.Sprintf("T-%d", bad.Number))
		require.Contains(t, task.Notes, "nps (nps) = 3")
		var created []crmtype.Event
		for _, e := range eventLog(t, ctx, db, "acme") {
			if e.Type == communication.EventTaskCreated && e.Subject == task.ID {
				created = append(created, e)
			}
		}
		require.Len(t, created, 1)
		require.Contains(t, created[0].Changes, crmtype.Change{Field: "ticket_id", After: bad.ID.String()})

		// A promoter: none.
		_, err = com.Respond(ctx, tokens[good.ID], map[string]any{"nps": 10, "csat": 5})
		require.NoError(t, err)
		require.Empty(t, followUps(good.ID))
		require.Equal(t, before+1, countRows(t, ctx, db, "crm_tasks", "acme"))

		// A detractor on an unassigned ticket: an unassigned task; a
		// passive NPS with a low CES still counts.
		_, err = com.Respond(ctx, tokens[unassigned.ID], map[string]any{"nps": 8, "effort": 1})
		require.NoError(t, err)
		tasks = followUps(unassigned.ID)
		require.Len(t, tasks, 1)
		require.Empty(t, tasks[0].OwnerID)

		// A detractor's response about no ticket makes no task.
		inv, err := com.Invite(ctx, communication.InviteParams{SurveyKey: "post-ticket", CustomerID: f.cust.ID})
		require.NoError(t, err)
		n := countRows(t, ctx, db, "crm_tasks", "acme")
		_, err = com.Respond(ctx, inv.Token, map[string]any{"nps": 0})
		require.NoError(t, err)
		require.Equal(t, n, countRows(t, ctx, db, "crm_tasks", "acme"))

		// A rejected response writes no task either.
		inv, err = com.Invite(ctx, communication.InviteParams{SurveyKey: "post-ticket", CustomerID: f.cust.ID,
			About: communication.About{TicketID: bad.ID}})
		require.NoError(t, err)
		_, err = com.Respond(ctx, inv.Token, map[string]any{"nps": 0, "csat": 9})
		requireInvalidField(t, err, "answers.csat")
		require.Equal(t, n, countRows(t, ctx, db, "crm_tasks", "acme"))
	})
}

func TestSatisfactionResponses(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock, sender := newSatClient(t, db)
		f := newSatFixture(t, db, client, clock, sender, "acme", satConfig())
		com := f.ws.Communication

		a := f.solved(t, nil, service.TicketParams{AssigneeID: "agent-7", TeamID: "tier-1", Category: "complaint",
			Priority: service.PriorityHigh})
		b := f.solved(t, nil, service.TicketParams{AssigneeID: "agent-8", TeamID: "tier-2"})
		clock.Advance(time.Hour)
		require.Equal(t, 2, f.run(t).Count(service.OutcomeSent))
		tokens := map[crmtype.ID]string{}
		for i := range 2 {
			inv, _, err := com.OpenInvitation(ctx, f.tokenOf(t, i))
			require.NoError(t, err)
			tokens[inv.About.TicketID] = f.tokenOf(t, i)
		}
		clock.Advance(time.Minute)
		ra, err := com.Respond(ctx, tokens[a.ID], map[string]any{"nps": 4, "csat": 2, "effort": 6, "comment": "meh"})
		require.NoError(t, err)
		clock.Advance(time.Minute)
		rb, err := com.Respond(ctx, tokens[b.ID], map[string]any{"nps": 9})
		require.NoError(t, err)
		// A response about no ticket is not a ticket's.
		inv, err := com.Invite(ctx, communication.InviteParams{SurveyKey: "post-ticket", CustomerID: f.cust.ID})
		require.NoError(t, err)
		_, err = com.Respond(ctx, inv.Token, map[string]any{"nps": 1})
		require.NoError(t, err)

		page, err := f.svc.SatisfactionResponses(ctx, service.SatisfactionParams{})
		require.NoError(t, err)
		require.Empty(t, page.Next)
		require.Len(t, page.Items, 4)
		want := []service.SatisfactionResponse{
			{ResponseID: ra.ID, TicketID: a.ID, Number: a.Number, AssigneeID: "agent-7", TeamID: "tier-1", Category: "complaint",
				Priority: service.PriorityHigh, SurveyKey: "post-ticket", SurveyVersion: 1, Question: "csat", Kind: service.KindCSAT,
				Score: 2, Detractor: true, RespondedAt: ra.CreatedAt},
			{ResponseID: ra.ID, TicketID: a.ID, Number: a.Number, AssigneeID: "agent-7", TeamID: "tier-1", Category: "complaint",
				Priority: service.PriorityHigh, SurveyKey: "post-ticket", SurveyVersion: 1, Question: "effort", Kind: service.KindCES,
				Score: 6, RespondedAt: ra.CreatedAt},
			{ResponseID: ra.ID, TicketID: a.ID, Number: a.Number, AssigneeID: "agent-7", TeamID: "tier-1", Category: "complaint",
				Priority: service.PriorityHigh, SurveyKey: "post-ticket", SurveyVersion: 1, Question: "nps", Kind: service.KindNPS,
				Score: 4, Detractor: true, RespondedAt: ra.CreatedAt},
			{ResponseID: rb.ID, TicketID: b.ID, Number: b.Number, AssigneeID: "agent-8", TeamID: "tier-2",
				Category: service.CategoryTechnicalSupport, Priority: service.PriorityNormal, SurveyKey: "post-ticket",
				SurveyVersion: 1, Question: "nps", Kind: service.KindNPS, Score: 9, RespondedAt: rb.CreatedAt},
		}
		require.Equal(t, want, page.Items)

		// Paging, across the answers of one response.
		var all []service.SatisfactionResponse
		p := service.SatisfactionParams{Limit: 1}
		for {
			pg, err := f.svc.SatisfactionResponses(ctx, p)
			require.NoError(t, err)
			all = append(all, pg.Items...)
			if pg.Next == "" {
				break
			}
			p.After = pg.Next
		}
		require.Equal(t, want, all)

		// Filters.
		pg, err := f.svc.SatisfactionResponses(ctx, service.SatisfactionParams{TeamID: "tier-2"})
		require.NoError(t, err)
		require.Equal(t, want[3:], pg.Items)
		pg, err = f.svc.SatisfactionResponses(ctx, service.SatisfactionParams{AssigneeID: "agent-7", Category: "complaint"})
		require.NoError(t, err)
		require.Equal(t, want[:3], pg.Items)
		pg, err = f.svc.SatisfactionResponses(ctx, service.SatisfactionParams{From: rb.CreatedAt, To: rb.CreatedAt.Add(time.Second)})
		require.NoError(t, err)
		require.Equal(t, want[3:], pg.Items)
		pg, err = f.svc.SatisfactionResponses(ctx, service.SatisfactionParams{To: rb.CreatedAt})
		require.NoError(t, err)
		require.Equal(t, want[:3], pg.Items)
		pg, err = f.svc.SatisfactionResponses(ctx, service.SatisfactionParams{SurveyKey: "other"})
		require.NoError(t, err)
		require.Empty(t, pg.Items)

		// The ticket's assignee as it is now.
		cur, err := f.svc.Ticket(ctx, b.ID)
		require.NoError(t, err)
		agent := "agent-9"
		_, err = f.svc.UpdateTicket(ctx, b.ID, service.TicketUpdate{Version: cur.Version, AssigneeID: &agent})
		require.NoError(t, err)
		pg, err = f.svc.SatisfactionResponses(ctx, service.SatisfactionParams{AssigneeID: "agent-9"})
		require.NoError(t, err)
		require.Len(t, pg.Items, 1)
		require.Equal(t, rb.ID, pg.Items[0].ResponseID)
	})
}

func TestSatisfactionWorkspaces(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock, sender := newSatClient(t, db)
		acme := newSatFixture(t, db, client, clock, sender, "acme", satConfig())
		other := newSatFixture(t, db, client, clock, sender, "other", satConfig())
		ta := acme.solved(t, nil, service.TicketParams{AssigneeID: "agent-7"})
		clock.Advance(time.Hour)

		// Another workspace's worker claims nothing of acme's.
		run := other.run(t)
		require.Empty(t, run.Results)
		require.Equal(t, service.SurveyPending, acme.state(t, ta.ID).State)
		_, err := other.svc.TicketSurvey(ctx, ta.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		// Nor does a store claim scoped to it.
		claims, err := store.New(db).ClaimSatisfactionSurveys(ctx, crmtype.Scope{Workspace: "other"},
			service.SatisfactionClaimParams{SurveyKey: "post-ticket", Now: clock.Now(), SolvedFrom: t0.Add(-time.Hour),
				SolvedTo: clock.Now(), Lease: time.Minute, Limit: 10})
		require.NoError(t, err)
		require.Empty(t, claims)
		err = store.New(db).RecordSatisfactionSurvey(ctx, crmtype.Scope{Workspace: "other"},
			service.SatisfactionRecord{TicketID: ta.ID, LeaseNo: 0, State: service.SurveySkipped, Reason: "x", At: clock.Now()})
		require.ErrorIs(t, err, crm.ErrConflict)

		tb := other.solved(t, nil, service.TicketParams{AssigneeID: "agent-7"})
		clock.Advance(time.Hour)
		run = acme.run(t)
		require.Len(t, run.Results, 1)
		require.Equal(t, ta.ID, run.Results[0].TicketID)
		run = other.run(t)
		require.Len(t, run.Results, 1)
		require.Equal(t, tb.ID, run.Results[0].TicketID)

		// Responses: each workspace sees its own.
		for i, f := range []*satFixture{acme, other} {
			_, err := f.ws.Communication.Respond(ctx, f.tokenOf(t, i), map[string]any{"nps": 2})
			require.NoError(t, err)
		}
		for _, c := range []struct {
			f  *satFixture
			tk *service.Ticket
		}{{acme, ta}, {other, tb}} {
			pg, err := c.f.svc.SatisfactionResponses(ctx, service.SatisfactionParams{AssigneeID: "agent-7"})
			require.NoError(t, err)
			require.Len(t, pg.Items, 1)
			require.Equal(t, c.tk.ID, pg.Items[0].TicketID)
			require.Equal(t, 1, countRows(t, ctx, db, "crm_tasks", string(c.f.ws.ID)), "one follow-up each")
		}
		// A response in other about acme's ticket id is not joined to it.
		inv, err := other.ws.Communication.Invite(ctx, communication.InviteParams{SurveyKey: "post-ticket",
			CustomerID: other.cust.ID, About: communication.About{TicketID: ta.ID}})
		require.NoError(t, err)
		_, err = other.ws.Communication.Respond(ctx, inv.Token, map[string]any{"nps": 1})
		require.NoError(t, err)
		page, err := other.svc.SatisfactionResponses(ctx, service.SatisfactionParams{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		page, err = acme.svc.SatisfactionResponses(ctx, service.SatisfactionParams{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		var tasks []*communication.Task
		pt, err := other.ws.Communication.Tasks(ctx, communication.TaskListParams{})
		require.NoError(t, err)
		for _, tk := range pt.Items {
			if tk.TicketID == ta.ID {
				tasks = append(tasks, tk)
			}
		}
		require.Len(t, tasks, 1, "a follow-up in other")
		require.Empty(t, tasks[0].OwnerID, "acme's ticket and its assignee are not read from other")
		require.NotContains(t, tasks[0].Subject, fmt.Sprintf("T-%d", ta.Number))
	})
}

func TestSatisfactionValidation(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock, sender := newSatClient(t, db)
		f := newSatFixture(t, db, client, clock, sender, "acme", satConfig())

		for _, limit := range []int{-1, service.MaxSatisfactionBatch + 1} {
			_, err := f.svc.SendSatisfactionSurveys(ctx, limit)
			requireInvalidField(t, err, "limit")
		}
		for field, mod := range map[string]func(c *service.SatisfactionConfig){
			"satisfaction.delay":        func(c *service.SatisfactionConfig) { c.Delay = -time.Minute },
			"satisfaction.max_age":      func(c *service.SatisfactionConfig) { c.MaxAge = c.Delay },
			"satisfaction.send.key":     func(c *service.SatisfactionConfig) { c.Send.Key = "" },
			"satisfaction.send.channel": func(c *service.SatisfactionConfig) { c.Send.Channel = "" },
			"satisfaction.ttl":          func(c *service.SatisfactionConfig) { c.TTL = time.Second },
		} {
			cfg := satConfig()
			mod(&cfg)
			_, err := f.service(cfg).SendSatisfactionSurveys(ctx, 0)
			requireInvalidField(t, err, field)
		}
		noSender := service.NewService(store.New(db), "acme", service.Config{Clock: clock, Satisfaction: satConfig()})
		_, err := noSender.SendSatisfactionSurveys(ctx, 0)
		require.ErrorIs(t, err, service.ErrNoSurveySender)

		for _, p := range []service.SatisfactionParams{{Limit: -1}, {Limit: crmtype.MaxPageSize + 1}} {
			_, err := f.svc.SatisfactionResponses(ctx, p)
			requireInvalidField(t, err, "limit")
		}
		_, err = f.svc.SatisfactionResponses(ctx, service.SatisfactionParams{From: t0, To: t0})
		requireInvalidField(t, err, "to")
		_, err = f.svc.SatisfactionResponses(ctx, service.SatisfactionParams{After: "garbage"})
		requireInvalidField(t, err, "cursor")

		_, err = f.svc.TicketSurvey(ctx, crmtype.NewID(t0))
		require.ErrorIs(t, err, crm.ErrNotFound)

		bad := service.NewService(store.New(db), "", service.Config{Clock: clock, Satisfaction: satConfig(), Surveys: f.ws.Communication})
		_, err = bad.SendSatisfactionSurveys(ctx, 0)
		require.ErrorIs(t, err, crm.ErrNoWorkspace)
		_, err = bad.TicketSurvey(ctx, crmtype.NewID(t0))
		require.ErrorIs(t, err, crm.ErrNoWorkspace)
		_, err = bad.SatisfactionResponses(ctx, service.SatisfactionParams{})
		require.ErrorIs(t, err, crm.ErrNoWorkspace)
		require.True(t, errors.Is(err, crm.ErrNoWorkspace))
	})
}
