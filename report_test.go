package crm_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/service"
)

// reportPolicy is a 24x7 policy: business minutes are minutes.
var reportPolicy = service.Policy{Name: "24x7", Calendar: allHours,
	Targets: service.Targets{FirstResponse: 60, Resolution: 480}}

// z975 is Φ⁻¹(0.975), from the normal table.
const z975 = 1.959963984540054

// wilsonByHand is the Wilson score interval at 95%, from its formula.
func wilsonByHand(x, n int) (lo, hi float64) {
	p, fn, z2 := float64(x)/float64(n), float64(n), z975*z975
	den := 1 + z2/fn
	center := (p + z2/(2*fn)) / den
	half := z975 * math.Sqrt(p*(1-p)/fn+z2/(4*fn*fn)) / den
	return center - half, center + half
}

// normalCDF is Φ by the error function.
func normalCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

type reportTickets struct {
	f   *ticketFixture
	com *communication.Service
}

func (r *reportTickets) create(t *testing.T, team, assignee, category string) *service.Ticket {
	t.Helper()
	tk, err := r.f.svc.CreateTicket(context.Background(), service.TicketParams{CustomerID: r.f.cust.ID,
		Category: category, Subject: "report " + category, TeamID: team, AssigneeID: assignee})
	require.NoError(t, err)
	return tk
}

func (r *reportTickets) reply(t *testing.T, tk *service.Ticket) *service.Ticket {
	t.Helper()
	got, _, err := r.f.svc.Reply(context.Background(), tk.ID, service.ReplyParams{AuthorID: "agent", Body: "on it"})
	require.NoError(t, err)
	return got
}

func (r *reportTickets) status(t *testing.T, tk *service.Ticket, s service.Status) *service.Ticket {
	t.Helper()
	cur, err := r.f.svc.Ticket(context.Background(), tk.ID)
	require.NoError(t, err)
	got, err := r.f.svc.SetStatus(context.Background(), tk.ID, cur.Version, s)
	require.NoError(t, err)
	return got
}

// respond records a response about ticket tk (none when nil) now.
func (r *reportTickets) respond(t *testing.T, tk *service.Ticket, answers map[string]any) {
	t.Helper()
	ctx := context.Background()
	p := communication.InviteParams{SurveyKey: csatSurvey.Key, CustomerID: r.f.cust.ID}
	if tk != nil {
		p.About.TicketID = tk.ID
	}
	inv, err := r.com.Invite(ctx, p)
	require.NoError(t, err)
	_, err = r.com.Respond(ctx, inv.Token, answers)
	require.NoError(t, err)
}

func newReportTickets(t *testing.T, db *bun.DB, ws string) *reportTickets {
	t.Helper()
	f := newTicketFixture(t, db, ws, 0)
	f.withMessages(t, ws)
	r := &reportTickets{f: f, com: newWorkspaceComm(t, f, ws)}
	_, err := r.com.SaveSurvey(context.Background(), csatSurvey)
	require.NoError(t, err)
	return r
}

// TestReport builds a workspace's tickets on a 24x7 policy and a manual
// clock, so that every figure of the report can be worked out by hand
// (below), next to another workspace whose tickets must not appear.
func TestReport(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		// Another workspace, with a ticket, a breach and a response in the
		// same period: none of it may appear in acme's report.
		g := newReportTickets(t, db, "globex")
		_, err := g.f.svc.SavePolicy(ctx, reportPolicy)
		require.NoError(t, err)
		gt := g.create(t, "t1", "a1", service.CategoryTechnicalSupport)
		g.f.clock.Advance(5 * time.Minute)
		g.reply(t, gt)
		g.create(t, "t2", "a2", service.CategoryComplaint) // breached at now
		g.f.clock.Set(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
		g.respond(t, gt, map[string]any{"nps": 0, "csat": 1, "effort": 1})

		r := newReportTickets(t, db, "acme")
		clock := r.f.clock
		// T0: created 2026-10-21 09:00, before the period, on hold since.
		clock.Set(t0.Add(-35 * 24 * time.Hour))
		_, err = r.f.svc.SavePolicy(ctx, reportPolicy)
		require.NoError(t, err)
		tk0 := r.create(t, "t2", "a3", service.CategoryInquiry)
		r.status(t, tk0, service.StatusOnHold)

		// t0 = Wed 2026-11-25 09:00Z.
		clock.Set(t0)
		tk1 := r.create(t, "t1", "a1", service.CategoryTechnicalSupport)
		tk2 := r.create(t, "t1", "a1", service.CategoryTechnicalSupport)
		tk3 := r.create(t, "t2", "a2", service.CategoryComplaint)
		tk4 := r.create(t, "t2", "a2", service.CategoryComplaint)
		tk5 := r.create(t, "t2", "a3", service.CategoryInquiry)
		at := func(d time.Duration) { clock.Set(t0.Add(d)) }
		at(10 * time.Minute)
		r.status(t, tk5, service.StatusPending) // every clock of T5 stops
		at(30 * time.Minute)
		r.reply(t, tk1) // T1 first response: 30m, met
		at(45 * time.Minute)
		r.reply(t, tk2) // T2 first response: 45m, met
		at(90 * time.Minute)
		r.reply(t, tk3) // T3 first response: 90m > 60m, breached
		at(2 * time.Hour)
		r.status(t, tk1, service.StatusSolved) // T1 resolution: 120m, met
		at(3 * time.Hour)
		r.status(t, tk2, service.StatusSolved)
		at(4 * time.Hour)
		r.status(t, tk2, service.StatusOpen) // the reopen: the solved hour is a pause
		at(5 * time.Hour)
		r.status(t, tk2, service.StatusSolved) // T2 resolution: 5h − 1h = 240m, met
		at(6 * time.Hour)
		r.status(t, tk4, service.StatusSolved) // T4: first response ends at the solve, 360m, breached; resolution 360m, met
		at(10 * time.Hour)
		r.status(t, tk3, service.StatusSolved) // T3 resolution: 600m > 480m, breached
		at(11 * time.Hour)
		r.status(t, tk3, service.StatusClosed)

		// Satisfaction in ISO week 48 (Thu 2026-11-26 10:00Z).
		clock.Set(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
		for i := range 10 { // T1 (a1, t1, technical_support): csat all 5
			nps := []int{10, 10, 10, 10, 10, 8, 8, 8, 3, 3}[i]
			effort := []int{7, 7, 7, 7, 7, 5, 5, 5, 5, 5}[i]
			r.respond(t, tk1, map[string]any{"nps": nps, "csat": 5, "effort": effort})
		}
		for i := range 5 { // T3 (a2, t2, complaint)
			r.respond(t, tk3, map[string]any{"nps": []int{9, 9, 6, 6, 6}[i], "csat": []int{5, 5, 4, 4, 2}[i],
				"effort": []int{2, 3, 4, 5, 6}[i]})
		}
		r.respond(t, nil, map[string]any{"nps": 0, "csat": 1}) // about no ticket: not counted

		// T8: Sun 2026-11-29 10:00Z, unassigned, open: both targets breached by now.
		clock.Set(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
		tk8 := r.create(t, "", "", service.CategoryInquiry)
		r.status(t, tk8, service.StatusOpen)
		// T7: Mon 2026-11-30 10:00Z, new: both targets breached by now.
		clock.Set(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
		r.create(t, "t2", "a2", service.CategoryInquiry)
		// T6: Wed 2026-12-02 09:00Z, answered in 15m; resolution running.
		clock.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
		tk6 := r.create(t, "t1", "a1", service.CategoryTechnicalSupport)
		clock.Advance(15 * time.Minute)
		r.reply(t, tk6)
		// Satisfaction in ISO week 49 (09:30Z).
		clock.Advance(15 * time.Minute)
		for i := range 10 { // T6 (a1, t1, technical_support)
			r.respond(t, tk6, map[string]any{"nps": []int{0, 1, 2, 3, 4, 5, 6, 7, 9, 10}[i], "csat": []int{5, 4, 1, 1, 1, 1, 2, 2, 3, 3}[i], "effort": 1})
		}
		for i := range 5 { // T4 (a2, t2, complaint): no effort answer
			r.respond(t, tk4, map[string]any{"nps": 10, "csat": []int{5, 4, 4, 1, 2}[i]})
		}
		now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
		clock.Set(now)

		from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
		rep, err := r.f.svc.Report(ctx, service.ReportParams{From: from, To: to, FallWindow: 7 * 24 * time.Hour})
		require.NoError(t, err)
		require.Equal(t, now, rep.Now)
		require.Equal(t, "UTC", rep.Zone)
		require.Equal(t, 0.95, rep.Level)

		// SLA attainment. T0's targets started in October: out. In
		// November: team t1 FR T1, T2 met; resolution T1, T2 met. Team t2
		// FR T3 (late), T4 (at the solve), T7 (deadline passed) breached,
		// T5 paused; resolution T4 met, T3 (late), T7 breached, T5 paused.
		// Unassigned: T8 breached twice. December: T6 FR met, resolution
		// running (deadline 17:00 > now).
		type row struct {
			team, month string
			metric      service.Metric
			met, br, un int
		}
		want := []row{
			{"", "2026-11", service.MetricFirstResponse, 0, 1, 0},
			{"", "2026-11", service.MetricResolution, 0, 1, 0},
			{"t1", "2026-11", service.MetricFirstResponse, 2, 0, 0},
			{"t1", "2026-11", service.MetricResolution, 2, 0, 0},
			{"t1", "2026-12", service.MetricFirstResponse, 1, 0, 0},
			{"t1", "2026-12", service.MetricResolution, 0, 0, 1},
			{"t2", "2026-11", service.MetricFirstResponse, 0, 3, 1},
			{"t2", "2026-11", service.MetricResolution, 1, 2, 1},
		}
		require.Len(t, rep.SLA, len(want))
		for i, w := range want {
			got := rep.SLA[i]
			require.Equal(t, "24x7", got.PolicyName, i)
			require.Equal(t, row{got.TeamID, got.Month, got.Metric, got.Met, got.Breached, got.Undecided}, w, i)
		}
		require.Equal(t, 3, rep.SLAUndecided) // T5 twice, T6's resolution
		// Wilson at the ends: x = n gives [n/(n+z²), 1], x = 0 gives [0, z²/(n+z²)].
		z2 := z975 * z975
		t1fr := rep.SLA[2]
		require.Equal(t, 1.0, t1fr.Rate)
		require.InDelta(t, 2/(2+z2), t1fr.Interval.Lo, 1e-9) // 0.3424
		require.Equal(t, 1.0, t1fr.Interval.Hi)
		t2fr := rep.SLA[6]
		require.Equal(t, 0.0, t2fr.Rate)
		require.Equal(t, 0.0, t2fr.Interval.Lo)
		require.InDelta(t, z2/(3+z2), t2fr.Interval.Hi, 1e-9) // 0.5615
		t2res := rep.SLA[7]
		require.InDelta(t, 1.0/3, t2res.Rate, 1e-12)
		lo, hi := wilsonByHand(1, 3)
		require.InDelta(t, lo, t2res.Interval.Lo, 1e-9)
		require.InDelta(t, hi, t2res.Interval.Hi, 1e-9)
		require.Equal(t, analysis.ConfidenceInterval{}, rep.SLA[5].Interval) // nothing decided: no interval

		// Response times of fulfilled targets, hours, type 7.
		// First response: 0.25 (T6), 0.5 (T1), 0.75 (T2), 1.5 (T3), 6 (T4):
		// median h = 4·.5 = 2 → 0.75; P90 h = 3.6 → 1.5 + .6·4.5 = 4.2.
		// Resolution: 2 (T1), 4 (T2), 6 (T4), 10 (T3): median h = 1.5 → 5;
		// P90 h = 2.7 → 6 + .7·4 = 8.8.
		requireTimes(t, rep.ResponseTimes[0], service.MetricFirstResponse, "", 5, 0.75, 4.2)
		requireTimes(t, rep.ResponseTimes[1], service.MetricResolution, "", 4, 5, 8.8)
		// By team. FR t1: .25, .5, .75 → .5; P90 h = 1.8 → .5 + .8·.25 = .7.
		// FR t2: 1.5, 6 → h = .5 → 3.75; h = .9 → 1.5 + .9·4.5 = 5.55.
		// Res t1: 2, 4 → 3; 2 + .9·2 = 3.8. Res t2: 6, 10 → 8; 6 + .9·4 = 9.6.
		require.Len(t, rep.ResponseTimesByTeam, 4)
		requireTimes(t, rep.ResponseTimesByTeam[0], service.MetricFirstResponse, "t1", 3, 0.5, 0.7)
		requireTimes(t, rep.ResponseTimesByTeam[1], service.MetricFirstResponse, "t2", 2, 3.75, 5.55)
		requireTimes(t, rep.ResponseTimesByTeam[2], service.MetricResolution, "t1", 2, 3, 3.8)
		requireTimes(t, rep.ResponseTimesByTeam[3], service.MetricResolution, "t2", 2, 8, 9.6)

		// Backlog at Wed 2026-12-02 10:00Z: T6 new, 1h (<1d); T7 new, 2d
		// (1–3d); T8 open, exactly 3d (3–7d); T5 pending, 7d 1h (7–30d);
		// T0 on hold, 42d 1h (≥30d). T1–T4 are solved or closed.
		b := rep.Backlog
		require.Equal(t, now, b.At)
		require.Equal(t, service.AgeCounts{1, 1, 1, 1, 1}, b.Total)
		require.Equal(t, map[service.Status]service.AgeCounts{
			service.StatusNew:     {1, 1, 0, 0, 0},
			service.StatusOpen:    {0, 0, 1, 0, 0},
			service.StatusPending: {0, 0, 0, 1, 0},
			service.StatusOnHold:  {0, 0, 0, 0, 1},
		}, b.ByStatus)
		require.Equal(t, map[string]service.AgeCounts{
			"t1": {1, 0, 0, 0, 0},
			"t2": {0, 1, 0, 1, 1},
			"":   {0, 0, 1, 0, 0},
		}, b.ByTeam)

		// Reopens: T1, T2, T3, T4 solved in the period; T2 reopened.
		require.Equal(t, 4, rep.Reopens.Solved)
		require.Equal(t, 1, rep.Reopens.Reopened)
		require.Equal(t, 0.25, rep.Reopens.Rate)
		lo, hi = wilsonByHand(1, 4)
		require.InDelta(t, lo, rep.Reopens.Interval.Lo, 1e-9)
		require.InDelta(t, hi, rep.Reopens.Interval.Hi, 1e-9)

		// Satisfaction. a1 (= t1 = technical_support): week 48 T1, week 49
		// T6. CSAT: 10 + 2 satisfied of 20 = .6. NPS: promoters 5 (10s) +
		// 2 (9, 10) = 7, passives 3 (8s) + 1 (7) = 4, detractors 2 + 7 (0–6)
		// = 9: 100·(7 − 9)/20 = −10, SE = 100·√((.35 + .45 − .1²)/20) =
		// 19.8746. CES: 5·7 + 5·5 + 10·1 = 70 of 20 = 3.5; squared
		// deviations 5·3.5² + 5·1.5² + 10·2.5² = 135, s = √(135/19),
		// t(19, .975) = 2.093024.
		sat := rep.Satisfaction
		require.Equal(t, []string{"a1", "a2"}, groupKeys(sat.ByAgent))
		require.Equal(t, []string{"t1", "t2"}, groupKeys(sat.ByTeam))
		require.Equal(t, []string{service.CategoryComplaint, service.CategoryTechnicalSupport}, groupKeys(sat.ByCategory))
		for _, a1 := range []service.SatisfactionGroup{sat.ByAgent[0], sat.ByTeam[0], sat.ByCategory[1]} {
			require.Equal(t, 20, a1.CSAT.N)
			require.Equal(t, 12, a1.CSAT.Satisfied)
			require.InDelta(t, 0.6, a1.CSAT.Value, 1e-12)
			lo, hi := wilsonByHand(12, 20)
			require.InDelta(t, lo, a1.CSAT.Interval.Lo, 1e-9)
			require.InDelta(t, hi, a1.CSAT.Interval.Hi, 1e-9)
			require.Equal(t, [4]int{20, 7, 4, 9}, [4]int{a1.NPS.N, a1.NPS.Promoters, a1.NPS.Passives, a1.NPS.Detractors})
			require.InDelta(t, -10, a1.NPS.Value, 1e-9)
			se := 100 * math.Sqrt((0.35+0.45-0.01)/20)
			require.InDelta(t, -10-z975*se, a1.NPS.Interval.Lo, 1e-9)
			require.InDelta(t, -10+z975*se, a1.NPS.Interval.Hi, 1e-9)
			require.Equal(t, 20, a1.CES.N)
			require.InDelta(t, 3.5, a1.CES.Mean, 1e-12)
			half := 2.093024 * math.Sqrt(135.0/19) / math.Sqrt(20)
			require.InDelta(t, 3.5-half, a1.CES.Interval.Lo, 1e-5)
			require.InDelta(t, 3.5+half, a1.CES.Interval.Hi, 1e-5)
		}
		// a2 (= t2 = complaint): T3 in week 48, T4 in week 49. CSAT 4 + 3
		// of 10. NPS: promoters 2 + 5, detractors 3: 100·(7 − 3)/10 = 40.
		// CES: only T3's 2, 3, 4, 5, 6: mean 4, s = √(10/4), t(4, .975) =
		// 2.776445.
		a2 := sat.ByAgent[1]
		require.Equal(t, [2]int{10, 7}, [2]int{a2.CSAT.N, a2.CSAT.Satisfied})
		require.InDelta(t, 0.7, a2.CSAT.Value, 1e-12)
		require.InDelta(t, 40, a2.NPS.Value, 1e-9)
		require.Equal(t, [3]int{7, 0, 3}, [3]int{a2.NPS.Promoters, a2.NPS.Passives, a2.NPS.Detractors})
		require.Equal(t, 5, a2.CES.N)
		require.InDelta(t, 4, a2.CES.Mean, 1e-12)
		half := 2.776445 * math.Sqrt(10.0/4) / math.Sqrt(5)
		require.InDelta(t, 4-half, a2.CES.Interval.Lo, 1e-5)
		require.InDelta(t, 4+half, a2.CES.Interval.Hi, 1e-5)
		for _, g := range []service.SatisfactionGroup{sat.ByTeam[1], sat.ByCategory[0]} {
			g.Key = a2.Key
			require.Equal(t, a2, g)
		}

		// Weeks: 48 (T1, T3): CSAT 14 of 15; NPS promoters 5 + 2, passives
		// 3, detractors 2 + 3: 100·2/15; CES (60 + 20)/15. 49 (T6, T4):
		// CSAT 5 of 15; NPS promoters 2 + 5, passives 1, detractors 7: 0;
		// CES 10 ones: 1, interval [1, 1].
		require.Equal(t, []string{"2026-W48", "2026-W49"}, groupKeys(sat.ByWeek))
		w48, w49 := sat.ByWeek[0], sat.ByWeek[1]
		require.Equal(t, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), w48.WeekStart)
		require.Equal(t, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), w49.WeekStart)
		require.Equal(t, [2]int{15, 14}, [2]int{w48.CSAT.N, w48.CSAT.Satisfied})
		require.InDelta(t, 100*2.0/15, w48.NPS.Value, 1e-9)
		require.InDelta(t, 80.0/15, w48.CES.Mean, 1e-12)
		require.Equal(t, [2]int{15, 5}, [2]int{w49.CSAT.N, w49.CSAT.Satisfied})
		require.Equal(t, [4]int{15, 7, 1, 7}, [4]int{w49.NPS.N, w49.NPS.Promoters, w49.NPS.Passives, w49.NPS.Detractors})
		require.InDelta(t, 0, w49.NPS.Value, 1e-9)
		require.Equal(t, service.CESScore{N: 10, Mean: 1, Interval: analysis.ConfidenceInterval{Lo: 1, Hi: 1, Level: 0.95}}, w49.CES)

		// Falling: recent week [Nov 30, Dec 7) against [Nov 23, Nov 30).
		// technical_support: 2/10 after 10/10; pooled .6, SE = √(.6·.4·(2/10))
		// = √.048, z = −.8/√.048 = −3.6515, one-sided p = Φ(z) ≈ 1.3e-4.
		// complaint: 3/5 after 4/5; pooled .7, SE = √(.21·.4) = √.084, z =
		// −.2/√.084 = −.6901, p ≈ .245. Holm over 2: 2·1.3e-4 ≤ .05 falls;
		// max(2.6e-4, .245) does not.
		fall := rep.Falling
		require.Equal(t, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), fall.PreviousFrom)
		require.Equal(t, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), fall.RecentFrom)
		require.Equal(t, to, fall.RecentTo)
		require.Equal(t, 2, fall.Tested)
		require.Len(t, fall.Falling, 1)
		ts := fall.Falling[0]
		require.Equal(t, service.CategoryTechnicalSupport, ts.Category)
		require.Equal(t, [4]int{10, 10, 10, 2}, [4]int{ts.Previous.N, ts.Previous.Satisfied, ts.Recent.N, ts.Recent.Satisfied})
		require.InDelta(t, -0.8, ts.Diff, 1e-12)
		p := normalCDF(-0.8 / math.Sqrt(0.048))
		require.InDelta(t, p, ts.P, 1e-12)
		require.InDelta(t, 1.3e-4, ts.P, 0.01e-4)
		require.InDelta(t, 2*p, ts.AdjustedP, 1e-12)

		// With the period as the window (the default), the previous window
		// [Sep 26, Nov 1) has no answers: nothing is tested.
		rep2, err := r.f.svc.Report(ctx, service.ReportParams{From: from, To: to})
		require.NoError(t, err)
		require.Equal(t, 0, rep2.Falling.Tested)
		require.Empty(t, rep2.Falling.Falling)

		// In Shanghai (UTC+8) December starts at 2026-11-30 16:00Z, before
		// T6; the weeks start on Mondays 00:00+08, so the responses fall in
		// the same weeks.
		rep3, err := r.f.svc.Report(ctx, service.ReportParams{From: from, To: to, Zone: "Asia/Shanghai"})
		require.NoError(t, err)
		months := map[string]bool{}
		for _, a := range rep3.SLA {
			months[a.Month] = true
		}
		require.Equal(t, map[string]bool{"2026-11": true, "2026-12": true}, months)
		require.Equal(t, []string{"2026-W48", "2026-W49"}, groupKeys(rep3.Satisfaction.ByWeek))
		require.Equal(t, time.Date(2026, 11, 29, 16, 0, 0, 0, time.UTC), rep3.Satisfaction.ByWeek[1].WeekStart)

		// A survey key filter: another survey has no responses.
		rep4, err := r.f.svc.Report(ctx, service.ReportParams{From: from, To: to, SurveyKey: "other"})
		require.NoError(t, err)
		require.Empty(t, rep4.Satisfaction.ByAgent)

		// The other workspace sees only its own: one FR met (5m); breached
		// by its now (2026-11-26 10:00Z) the first ticket's resolution
		// (deadline 11-25 17:00) and both targets of the second; one
		// response.
		grep, err := g.f.svc.Report(ctx, service.ReportParams{From: from, To: to})
		require.NoError(t, err)
		var met, breached int
		for _, a := range grep.SLA {
			met += a.Met
			breached += a.Breached
		}
		require.Equal(t, 1, met)
		require.Equal(t, 3, breached)
		requireTimes(t, grep.ResponseTimes[0], service.MetricFirstResponse, "", 1, 5.0/60, 5.0/60)
		require.Equal(t, 2, grep.Backlog.Total.Sum())
		require.Equal(t, 0, grep.Reopens.Solved)
		require.Len(t, grep.Satisfaction.ByAgent, 1)
		require.Equal(t, 1, grep.Satisfaction.ByAgent[0].CSAT.N)
	})
}

func groupKeys(gs []service.SatisfactionGroup) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Key
	}
	return out
}

func requireTimes(t *testing.T, got service.ResponseTimes, m service.Metric, team string, n int, median, p90 float64) {
	t.Helper()
	require.Equal(t, m, got.Metric)
	require.Equal(t, team, got.TeamID)
	require.Equal(t, n, got.N)
	require.InDelta(t, median, got.Median, 1e-9)
	require.InDelta(t, p90, got.P90, 1e-9)
}

// TestReportBadInput: bad parameters are typed errors naming the field.
func TestReportBadInput(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		ok := service.ReportParams{From: t0, To: t0.Add(24 * time.Hour)}
		for field, p := range map[string]service.ReportParams{
			"to":    {From: ok.To, To: ok.From},
			"zone":  {From: ok.From, To: ok.To, Zone: "Nowhere/Land"},
			"level": {From: ok.From, To: ok.To, Level: 1.5},
			"alpha": {From: ok.From, To: ok.To, Alpha: 2},
		} {
			_, err := f.svc.Report(ctx, p)
			requireField(t, err, field)
			require.ErrorIs(t, err, crmtype.ErrInvalid)
		}
		_, err := f.svc.Report(ctx, service.ReportParams{From: ok.From, To: ok.To, Level: -0.1})
		requireField(t, err, "level")
		rep, err := f.svc.Report(ctx, ok)
		require.NoError(t, err)
		require.Empty(t, rep.SLA)
		require.Equal(t, 0, rep.Backlog.Total.Sum())
	})
}
