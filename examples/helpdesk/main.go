// Command helpdesk simulates four weeks of a help desk on a fresh SQLite
// file, on a fake clock, so that its output is the same every run.
//
//	go run ./examples/helpdesk
//	go run ./examples/helpdesk -db /tmp/helpdesk.db
//
// Two teams serve customers in two regions on their own business
// calendars: Shanghai (09:00-12:00 and 13:00-18:00, China's 2026 National
// Day holidays and the Saturday worked to make up for them) and Berlin
// (08:00-12:00 and 13:00-17:00, German Unity Day, the change to winter
// time on 25 October). Three SLA policies apply: urgent tickets run around
// the clock, the others on their region's calendar. Tickets arrive during
// each region's day; agents answer, sometimes wait on the customer
// (pending stops the clock), solve; a few customers write again after the
// solve and the ticket reopens. Every simulated hour two workers of the
// host claim the escalations due (each claimed once) and send the
// satisfaction survey of the tickets solved (CSAT and NPS), which some
// customers answer, more happily when their ticket met its targets.
//
// At the end it prints the service report: SLA attainment per policy and
// team, business-hour response-time percentiles, the backlog, the reopen
// rate, CSAT and NPS per team with 95% intervals, and the escalations
// raised.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/texttable"
	"github.com/kehu/crm/service"
	"github.com/kehu/crm/store/sqlite"
)

// tokenSender is the host's mail provider, faked: it keeps the survey
// tokens of the invitations it delivers, by customer in the order sent,
// for the simulated customers to answer with.
type tokenSender struct {
	n      int
	tokens map[crmtype.ID][]string
}

func (s *tokenSender) Send(_ context.Context, m communication.Message) (string, error) {
	s.n++
	if i := strings.Index(m.Body, "?t="); i >= 0 {
		s.tokens[m.CustomerID] = append(s.tokens[m.CustomerID], m.Body[i+3:])
	}
	return fmt.Sprintf("<out-%d@help.example>", s.n), nil
}

// region is a team, its customers and the calendar it works.
type region struct {
	code, team string
	agents     []string
	cal        service.Calendar
	customers  []*customer.Customer
}

// ticketPlan is what the simulation will do next with a ticket.
type ticketPlan struct {
	id       crmtype.ID
	region   *region
	next     time.Time
	step     string // "reply", "customer", "solve", "reopen", "close"
	waits    bool   // goes pending on the customer after the first reply
	reopens  bool
	breached bool
}

var (
	start = time.Date(2026, 9, 28, 0, 0, 0, 0, time.UTC) // a Monday
	end   = start.AddDate(0, 0, 28)
)

func main() {
	path := flag.String("db", "", "SQLite file (default: a new file in a temporary directory)")
	flag.Parse()
	if *path == "" {
		dir, err := os.MkdirTemp("", "helpdesk")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		*path = filepath.Join(dir, "helpdesk.db")
	}
	ctx := crm.WithActor(context.Background(), "helpdesk-sim")
	db, err := sqlite.Open(ctx, *path)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	clock := crmtype.NewManualClock(start)
	sender := &tokenSender{tokens: map[crmtype.ID][]string{}}
	client, err := crm.New(db, &crm.Config{Clock: clock,
		Communication: communication.Config{Sender: sender, Secret: []byte("helpdesk-demo-secret: use 32 random bytes")},
		Service: service.Config{Satisfaction: service.SatisfactionConfig{SurveyKey: "after-ticket", Delay: time.Hour,
			Send: communication.SendParams{RenderParams: communication.RenderParams{Key: "survey", Channel: communication.Email}}}}})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	ws := client.Workspace("demo")
	svc, com := ws.Service, ws.Communication
	must := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}

	// The survey sent after a solve, and the contact rule: customers
	// hear from us unless they said no (opt-out).
	must(com.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
	_, err = com.SaveSurvey(ctx, communication.SurveyParams{Key: "after-ticket", Title: "How did we do?",
		Questions: []communication.Question{
			{Key: "csat", Kind: communication.QuestionRating, Text: "How satisfied are you with our help?", Required: true},
			{Key: "nps", Kind: communication.QuestionNPS, Text: "How likely are you to recommend us?"}}})
	must(err)
	_, err = com.SaveTemplate(ctx, communication.Template{Key: "survey", Channel: communication.Email,
		Subject: "How did we do on {{.Data.ticket_key}}?", Body: "Two questions: https://help.example/survey?t={{.Data.survey_token}}"})
	must(err)

	shanghai := &region{code: "cn", team: "shanghai", agents: []string{"li.na", "wang.fang", "chen.jie"}, cal: chinaCalendar()}
	berlin := &region{code: "eu", team: "berlin", agents: []string{"anna", "jonas"}, cal: berlinCalendar()}
	regions := []*region{shanghai, berlin}
	for _, p := range []service.Policy{
		{Name: "urgent", Position: 1, Calendar: service.Calendar{Zone: "UTC", AllHours: true},
			Conditions: service.Conditions{Priorities: []service.Priority{service.PriorityUrgent}},
			Targets:    service.Targets{FirstResponse: 60, NextResponse: 120, Resolution: 8 * 60}},
		{Name: "china", Position: 2, Calendar: shanghai.cal, Conditions: service.Conditions{TicketAttributes: map[string]string{"region": "cn"}},
			Targets: service.Targets{FirstResponse: 120, NextResponse: 240, Resolution: 3 * 8 * 60}},
		{Name: "europe", Position: 3, Calendar: berlin.cal, Conditions: service.Conditions{TicketAttributes: map[string]string{"region": "eu"}},
			Targets: service.Targets{FirstResponse: 240, NextResponse: 480, Resolution: 5 * 8 * 60}},
	} {
		_, err := svc.SavePolicy(ctx, p)
		must(err)
	}

	cn := []string{"张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞", "徐明", "孙丽", "马超", "朱琳", "胡斌", "郭婷", "何强", "林悦", "高峰", "罗敏"}
	eu := []string{"Lukas Müller", "Sophie Schmidt", "Élodie Martin", "Jan Kowalski", "María García", "Lars Nielsen", "Giulia Rossi", "Niamh O'Brien", "Mehmet Yılmaz", "Anna Novák",
		"Jonas Weber", "Chloé Dubois", "Piotr Nowak", "Lucía Fernández", "Emil Johansson", "Marco Bianchi", "Zoë de Vries", "Ivan Horvat", "Eva Svoboda", "Ole Hansen"}
	for i, name := range cn {
		c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: name, Identities: []customer.IdentityParams{
			{Kind: customer.Email, Value: fmt.Sprintf("cn%02d@kehu.example", i)}}})
		must(err)
		shanghai.customers = append(shanghai.customers, c)
	}
	for i, name := range eu {
		c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: name, Identities: []customer.IdentityParams{
			{Kind: customer.Email, Value: fmt.Sprintf("eu%02d@kehu.example", i)}}})
		must(err)
		berlin.customers = append(berlin.customers, c)
	}

	rng := rand.New(rand.NewPCG(2026, 9))
	categories := []string{service.CategoryTechnicalSupport, service.CategoryAfterSales, service.CategoryInquiry, service.CategoryTraining}
	var plans []*ticketPlan
	escalations := map[string]int{}
	var answered, surveysSent int
	// A working minute somewhere in the region's day, about delay of
	// business time after t: how quickly agents get to things.
	after := func(r *region, t time.Time, minutes int) time.Time {
		return r.cal.Add(t, time.Duration(minutes)*time.Minute)
	}

	for now := start; now.Before(end); now = now.Add(15 * time.Minute) {
		clock.Set(now)
		// Arrivals: during each region's working hours, a new ticket now
		// and then; one in twelve is urgent.
		for _, r := range regions {
			if !r.cal.IsWorking(now) || rng.Float64() > 0.14 {
				continue
			}
			prio := service.PriorityNormal
			switch x := rng.Float64(); {
			case x < 1.0/12:
				prio = service.PriorityUrgent
			case x < 0.3:
				prio = service.PriorityHigh
			}
			c := r.customers[rng.IntN(len(r.customers))]
			tk, err := svc.CreateTicket(ctx, service.TicketParams{CustomerID: c.ID, Category: categories[rng.IntN(len(categories))],
				Priority: prio, Channel: "email", Subject: "Help needed", AssigneeID: r.agents[rng.IntN(len(r.agents))],
				TeamID: r.team, Attributes: map[string]string{"region": r.code}})
			must(err)
			delay := 15 + rng.IntN(200) // business minutes to the first reply
			if prio == service.PriorityUrgent {
				delay = 5 + rng.IntN(50)
			}
			plans = append(plans, &ticketPlan{id: tk.ID, region: r, next: after(r, now, delay), step: "reply",
				waits: rng.Float64() < 0.4, reopens: rng.Float64() < 0.08})
		}
		// The planned steps that are due.
		for _, p := range plans {
			if p.step == "" || p.next.After(now) {
				continue
			}
			tk, err := svc.Ticket(ctx, p.id)
			must(err)
			for _, g := range tk.SLA {
				p.breached = p.breached || g.State == service.SLABreached
			}
			switch p.step {
			case "reply":
				tk, _, err = svc.Reply(ctx, p.id, service.ReplyParams{AuthorID: tk.AssigneeID, Body: "We are looking into it."})
				must(err)
				if p.waits {
					_, err = svc.SetStatus(ctx, p.id, tk.Version, service.StatusPending)
					must(err)
					p.waits = false
					p.step, p.next = "customer", now.Add(time.Duration(2+rng.IntN(40))*time.Hour)
				} else {
					if tk.Status == service.StatusNew {
						_, err = svc.SetStatus(ctx, p.id, tk.Version, service.StatusOpen)
						must(err)
					}
					p.step, p.next = "solve", after(p.region, now, 60+rng.IntN(16*60))
				}
			case "customer":
				tk, _, err = svc.Reply(ctx, p.id, service.ReplyParams{FromCustomer: true, Body: "Here are the details you asked for."})
				must(err)
				if tk.Status == service.StatusPending {
					_, err = svc.SetStatus(ctx, p.id, tk.Version, service.StatusOpen)
					must(err)
				}
				p.step, p.next = "reply", after(p.region, now, 10+rng.IntN(300))
			case "solve":
				_, err = svc.SetStatus(ctx, p.id, tk.Version, service.StatusSolved)
				must(err)
				p.step, p.next = "close", now.Add(4*24*time.Hour)
				if p.reopens {
					p.reopens = false
					p.step, p.next = "reopen", now.Add(time.Duration(3+rng.IntN(40))*time.Hour)
				}
			case "reopen": // the customer writes again: the ticket reopens
				_, _, err = svc.Reply(ctx, p.id, service.ReplyParams{FromCustomer: true, Body: "It broke again."})
				must(err)
				p.step, p.next = "reply", after(p.region, now, 10+rng.IntN(240))
			case "close":
				if tk.Status == service.StatusSolved {
					_, err = svc.SetStatus(ctx, p.id, tk.Version, service.StatusClosed)
					must(err)
				}
				p.step = ""
			}
		}
		if now.Minute() != 0 {
			continue
		}
		// Every hour: two workers claim the escalations due, and the
		// satisfaction surveys go out; customers answer some.
		for range 2 {
			es, err := svc.ClaimEscalations(ctx, 100)
			must(err)
			for _, e := range es {
				escalations[fmt.Sprintf("%s %s", levelName(e.Level), e.Metric)]++
			}
		}
		run, err := svc.SendSatisfactionSurveys(ctx, 100)
		must(err)
		for _, res := range run.Results {
			if res.Outcome != service.OutcomeSent {
				continue
			}
			surveysSent++
			p := planOf(plans, res.TicketID)
			tk, err := svc.Ticket(ctx, res.TicketID)
			must(err)
			queue := sender.tokens[tk.CustomerID]
			if len(queue) == 0 {
				continue
			}
			token := queue[0]
			sender.tokens[tk.CustomerID] = queue[1:]
			if rng.Float64() > 0.55 {
				continue
			}
			csat, nps := 4+rng.IntN(2), 7+rng.IntN(4)
			if p != nil && p.breached {
				csat, nps = 1+rng.IntN(4), 2+rng.IntN(8)
			}
			if _, err := com.Respond(ctx, token, map[string]any{"csat": csat, "nps": nps}); err != nil {
				log.Fatal(err)
			}
			answered++
		}
	}

	fmt.Printf("Four weeks from %s to %s: %d tickets, %d surveys sent, %d answered.\n\n",
		start.Format("2 Jan"), end.Add(-time.Minute).Format("2 Jan 2006"), len(plans), surveysSent, answered)
	rep, err := svc.Report(ctx, service.ReportParams{From: start, To: end, Zone: "UTC", FallWindow: 14 * 24 * time.Hour})
	must(err)
	printReport(rep, escalations)
}

func planOf(plans []*ticketPlan, id crmtype.ID) *ticketPlan {
	for _, p := range plans {
		if p.id == id {
			return p
		}
	}
	return nil
}

func levelName(l int) string {
	if l == service.LevelBreach {
		return "breach"
	}
	return "warning"
}

func printReport(rep *service.Report, escalations map[string]int) {
	// SLA attainment per policy, team and metric over both months.
	type key struct {
		policy, team string
		metric       service.Metric
	}
	sum := map[key][2]int{}
	var keys []key
	for _, a := range rep.SLA {
		k := key{a.PolicyName, a.TeamID, a.Metric}
		if _, ok := sum[k]; !ok {
			keys = append(keys, k)
		}
		v := sum[k]
		sum[k] = [2]int{v[0] + a.Met, v[1] + a.Breached}
	}
	t := texttable.New("Policy", "Team", "Target", "Met", "Breached", "Attainment").Right(3, 4, 5)
	for _, k := range keys {
		v := sum[k]
		t.Row(k.policy, k.team, string(k.metric), fmt.Sprint(v[0]), fmt.Sprint(v[1]),
			fmt.Sprintf("%.0f%%", 100*float64(v[0])/float64(max(1, v[0]+v[1]))))
	}
	t.Print("SLA attainment (targets decided; per month with Wilson intervals in Report.SLA)")
	fmt.Printf("%d targets still running or paused.\n\n", rep.SLAUndecided)

	t = texttable.New("Team", "Target", "N", "Median (business h)", "P90 (business h)").Right(2, 3, 4)
	for _, r := range rep.ResponseTimesByTeam {
		t.Row(r.TeamID, string(r.Metric), fmt.Sprint(r.N), fmt.Sprintf("%.2f", r.Median), fmt.Sprintf("%.2f", r.P90))
	}
	t.Print("Response times")

	t = texttable.New("Team", "Open tickets by age").Right()
	for _, team := range slices.Sorted(mapKeys(rep.Backlog.ByTeam)) {
		c := rep.Backlog.ByTeam[team]
		var parts []string
		for b := service.AgeBucket(0); b < service.NumAgeBuckets; b++ {
			parts = append(parts, fmt.Sprintf("%s: %d", b, c[b]))
		}
		t.Row(team, strings.Join(parts, ", "))
	}
	t.Print("Backlog at " + rep.Now.Format("2 Jan 15:04 MST"))
	r := rep.Reopens
	fmt.Printf("Reopened: %d of %d solved (%.1f%%, 95%% interval %.1f%%–%.1f%%)\n\n",
		r.Reopened, r.Solved, 100*r.Rate, 100*r.Interval.Lo, 100*r.Interval.Hi)

	t = texttable.New("Team", "CSAT answers", "CSAT", "95% interval", "NPS answers", "NPS", "95% interval").Right(1, 2, 3, 4, 5, 6)
	for _, g := range rep.Satisfaction.ByTeam {
		t.Row(g.Key, fmt.Sprint(g.CSAT.N), fmt.Sprintf("%.0f%%", 100*g.CSAT.Value),
			fmt.Sprintf("%.0f%%–%.0f%%", 100*g.CSAT.Interval.Lo, 100*g.CSAT.Interval.Hi),
			fmt.Sprint(g.NPS.N), fmt.Sprintf("%.0f", g.NPS.Value), fmt.Sprintf("%.0f to %.0f", g.NPS.Interval.Lo, g.NPS.Interval.Hi))
	}
	t.Print("Satisfaction")
	if len(rep.Falling.Falling) == 0 {
		fmt.Printf("No category's CSAT fell significantly in the last two weeks (%d tested, Holm-adjusted α = %.2f).\n\n",
			rep.Falling.Tested, rep.Falling.Alpha)
	}
	for _, f := range rep.Falling.Falling {
		fmt.Printf("CSAT of %s fell from %.0f%% to %.0f%% (adjusted p = %.3f).\n", f.Category, 100*f.Previous.Value, 100*f.Recent.Value, f.AdjustedP)
	}

	t = texttable.New("Escalation", "Claimed").Right(1)
	for _, k := range slices.Sorted(mapKeys(escalations)) {
		t.Row(k, fmt.Sprint(escalations[k]))
	}
	t.Print("Escalations raised (each claimed by one of the two workers)")
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// chinaCalendar is the Shanghai team's week with China's 2026 National
// Day arrangement (State Council notice): 1-7 October off, with
// Saturday 10 October worked (as a Friday) to make up; Mid-Autumn falls
// inside the holiday.
func chinaCalendar() service.Calendar {
	day := []service.Interval{{From: "09:00", To: "12:00"}, {From: "13:00", To: "18:00"}}
	cal := service.Calendar{Zone: "Asia/Shanghai", Week: map[time.Weekday][]service.Interval{
		time.Monday: day, time.Tuesday: day, time.Wednesday: day, time.Thursday: day, time.Friday: day},
		WorkingDays: []service.WorkingDay{{Date: "2026-10-10", Name: "国庆节调休", AsWeekday: time.Friday}}}
	for d := 1; d <= 7; d++ {
		cal.Holidays = append(cal.Holidays, service.Day{Date: fmt.Sprintf("2026-10-%02d", d), Name: "国庆节"})
	}
	return cal
}

// berlinCalendar is the Berlin team's week with German Unity Day.
func berlinCalendar() service.Calendar {
	day := []service.Interval{{From: "08:00", To: "12:00"}, {From: "13:00", To: "17:00"}}
	return service.Calendar{Zone: "Europe/Berlin", Week: map[time.Weekday][]service.Interval{
		time.Monday: day, time.Tuesday: day, time.Wednesday: day, time.Thursday: day, time.Friday: day},
		Holidays: []service.Day{{Date: "2026-10-03", Name: "Tag der Deutschen Einheit"}}}
}
