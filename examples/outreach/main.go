// Command outreach walks through the communication module on a fresh
// SQLite file, on a fixed clock so that its output is the same every run.
//
//	go run ./examples/outreach
//	go run ./examples/outreach -db /tmp/outreach.db
//
// It records a day of calls, emails and chats with three customers (in
// Shanghai, Taipei and London) as the host's providers would report them,
// sends an "order shipped" email through a fake Sender from one template
// in two locales (the Taipei customer gets the zh-Hant version, the London
// one the default), applies the provider's delivery callbacks, schedules
// follow-up tasks with reminders (one recurring weekly in the customer's
// zone), and prints one customer's conversations and timeline. Then the
// contact strategy: a marketing email decided for each customer (deferred
// by quiet hours, denied for a pending double opt-in, allowed), sent with
// a one-click unsubscribe link that is then processed (once, however often
// it is hit); an NPS survey whose invitation the decision defers, its
// answers (a token answers once) and its score with a 95% interval; and,
// at the end of the day, the reminders due, as two workers of the host
// would claim them.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/internal/texttable"
	"github.com/kehu/crm/store/sqlite"
)

// printSender is the host's provider, faked: it prints what it would send
// and returns a provider id.
type printSender struct {
	n    int
	last communication.Message
}

func (p *printSender) Send(_ context.Context, m communication.Message) (string, error) {
	p.n++
	p.last = m
	fmt.Printf("  → %s to %s [%s]: %q\n", m.Channel, m.To, localeName(m.Locale), m.Subject)
	return fmt.Sprintf("<out-%d@mail.example>", p.n), nil
}

func localeName(l string) string {
	if l == "" {
		return "default"
	}
	return l
}

func main() {
	path := flag.String("db", "", "SQLite file (default: a new file in a temporary directory)")
	flag.Parse()
	if *path == "" {
		dir, err := os.MkdirTemp("", "outreach")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		*path = filepath.Join(dir, "outreach.db")
	}
	ctx := crm.WithActor(context.Background(), "agent:mei")
	db, err := sqlite.Open(ctx, *path)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	clock := crmtype.NewManualClock(day.Add(8 * time.Hour))
	sender := &printSender{}
	client, err := crm.New(db, &crm.Config{Clock: clock, Communication: communication.Config{Sender: sender,
		Secret: []byte("outreach-demo-secret: use 32 random bytes")}})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	ws := client.Workspace("demo")
	com := ws.Communication

	// Three customers.
	mk := func(p customer.CreateParams) *customer.Customer {
		c, err := ws.Customers.Create(ctx, p)
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	zhang := mk(customer.CreateParams{Name: "张伟", GivenName: "伟", FamilyName: "张", Locale: "zh-Hans-CN", TimeZone: "Asia/Shanghai",
		Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "zhang.wei@example.cn"}, {Kind: customer.Phone, Value: "+86 138 0013 8000"}}})
	lin := mk(customer.CreateParams{Name: "林美玲", GivenName: "美玲", FamilyName: "林", Locale: "zh-TW", TimeZone: "Asia/Taipei",
		Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "meiling@example.tw"}}})
	emma := mk(customer.CreateParams{Name: "Emma Thompson", GivenName: "Emma", Locale: "en-GB", TimeZone: "Europe/London",
		Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "emma@example.co.uk"}}})

	// A day of exchanges, as the providers report them (ingesting the same
	// feed twice stores each message once).
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	feed := []communication.InteractionParams{
		{CustomerID: zhang.ID, Channel: communication.Email, Direction: communication.Inbound, OccurredAt: at(1, 12),
			Subject: "发票问题", Body: "您好，我需要上个月订单的增值税发票。", ProviderID: "<a1@mail.example>"},
		{CustomerID: zhang.ID, Channel: communication.Email, Direction: communication.Outbound, OccurredAt: at(2, 5),
			Subject: "Re: 发票问题", Body: "张先生您好，发票已开具，请查收附件。", ProviderID: "<a2@mail.example>", ReplyTo: "<a1@mail.example>",
			Attachments: []communication.Attachment{{Name: "发票-1042.pdf", Type: "application/pdf", Size: 48213, URI: "s3://invoices/1042.pdf"}}},
		{CustomerID: zhang.ID, Channel: communication.Phone, Direction: communication.Outbound, OccurredAt: at(3, 0),
			Duration: 7 * time.Minute, Outcome: communication.Connected, Subject: "确认发票收到", ProviderID: "call-7781"},
		{CustomerID: lin.ID, Channel: communication.Chat, Direction: communication.Inbound, OccurredAt: at(5, 30),
			Body: "請問這款耳機有現貨嗎？", ThreadID: "line-session-55", ProviderID: "line-1"},
		{CustomerID: lin.ID, Channel: communication.Chat, Direction: communication.Outbound, OccurredAt: at(5, 32),
			Body: "有的，今天下單明天到貨。", ThreadID: "line-session-55", ProviderID: "line-2"},
		{CustomerID: emma.ID, Channel: communication.Phone, Direction: communication.Outbound, OccurredAt: at(9, 15),
			Outcome: communication.Voicemail, Subject: "Renewal call", ProviderID: "call-7790"},
		{CustomerID: emma.ID, Channel: communication.Meeting, Direction: communication.Outbound, OccurredAt: at(14, 0),
			EndedAt: at(14, 45), Outcome: communication.Completed, Subject: "Quarterly review", ProviderID: "cal-evt-311"},
	}
	for run := 1; run <= 2; run++ {
		rep, err := com.Ingest(ctx, feed)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("ingest run %d: %d stored, %d already stored, %d rejected\n", run, rep.Created, rep.Skipped, rep.Failed)
	}

	// One template, two locales; each customer gets the one that fits.
	for _, t := range []communication.Template{
		{Key: "order-shipped", Channel: communication.Email, Subject: "Your order {{.Data.order}} is on its way",
			Body: "Dear {{.Customer.GivenName}},\n\nOrder {{.Data.order}} left our warehouse today.",
			HTML: "<p>Dear {{.Customer.GivenName}},</p><p>Order <b>{{.Data.order}}</b> left our warehouse today.</p>"},
		{Key: "order-shipped", Channel: communication.Email, Locale: "zh-Hant", Subject: "您的訂單 {{.Data.order}} 已出貨",
			Body: "{{.Customer.GivenName}} 您好：\n\n訂單 {{.Data.order}} 今天已從倉庫出貨。"},
	} {
		if _, err := com.SaveTemplate(ctx, t); err != nil {
			log.Fatal(err)
		}
	}
	clock.Set(at(10, 0))
	fmt.Println("\nsending:")
	sent := map[string]*communication.Interaction{}
	for i, c := range []*customer.Customer{lin, emma} {
		in, err := com.Send(ctx, communication.SendParams{Purpose: communication.PurposeTransactional, RenderParams: communication.RenderParams{
			Key: "order-shipped", Channel: communication.Email, CustomerID: c.ID, Data: map[string]any{"order": fmt.Sprintf("SO-%d", 7001+i)}}})
		if err != nil {
			log.Fatal(err)
		}
		sent[c.Name] = in
	}
	// A missing variable is refused before anything is sent.
	_, err = com.Send(ctx, communication.SendParams{Purpose: communication.PurposeTransactional, RenderParams: communication.RenderParams{
		Key: "order-shipped", Channel: communication.Email, CustomerID: emma.ID}})
	fmt.Println("  without the order number:", err)
	// The provider's callbacks.
	for _, cb := range []communication.StatusUpdate{
		{Channel: communication.Email, ProviderID: sent[lin.Name].ProviderID, Status: communication.StatusDelivered, At: at(10, 1)},
		{Channel: communication.Email, ProviderID: sent[lin.Name].ProviderID, Status: communication.StatusOpened, At: at(11, 20)},
		{Channel: communication.Email, ProviderID: sent[emma.Name].ProviderID, Status: communication.StatusDelivered, At: at(10, 1)},
	} {
		clock.Set(cb.At)
		if _, err := com.UpdateStatus(ctx, cb); err != nil {
			log.Fatal(err)
		}
	}

	// Follow-up tasks with reminders; the weekly one runs in Shanghai time.
	for _, p := range []communication.TaskParams{
		{CustomerID: zhang.ID, Subject: "寄送纸质发票", DueAt: at(16, 0), Priority: communication.PriorityHigh, Reminders: []time.Duration{30 * time.Minute}},
		{CustomerID: zhang.ID, Subject: "每周回访", DueAt: at(1, 0), Rule: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0",
			Reminders: []time.Duration{15 * time.Minute}},
		{CustomerID: emma.ID, Subject: "Call back about renewal", DueAt: at(17, 0), OwnerID: "agent:tom", Reminders: []time.Duration{0, time.Hour}},
	} {
		if _, err := com.CreateTask(ctx, p); err != nil {
			log.Fatal(err)
		}
	}

	// Zhang's conversations, latest activity first.
	convs, err := com.Conversations(ctx, zhang.ID, communication.ListParams{})
	if err != nil {
		log.Fatal(err)
	}
	t := texttable.New("Channel", "Subject", "Messages", "Started", "Last").Right(2)
	for _, c := range convs.Items {
		t.Row(string(c.Channel), c.Subject, fmt.Sprint(c.Messages), c.StartedAt.Format("15:04"), c.LastAt.Format("15:04"))
	}
	fmt.Println()
	t.Print("Conversations of " + zhang.Name)

	// Lin's timeline: her chat, the email sent and its callbacks.
	tl, err := ws.Events.Timeline(ctx, lin.ID, event.Query{})
	if err != nil {
		log.Fatal(err)
	}
	t = texttable.New("Time", "Event", "Details")
	for _, e := range tl.Items {
		var parts []string
		for _, c := range e.Changes {
			if c.Field == "channel" || c.Field == "direction" || c.Field == "status" || c.Field == "subject" {
				parts = append(parts, fmt.Sprintf("%s=%v", c.Field, c.After))
			}
		}
		t.Row(e.Time.Format("15:04"), e.Type, strings.Join(parts, " "))
	}
	fmt.Println()
	t.Print("Timeline of " + lin.Name)

	// The contact policy: opt-in (no record denies marketing), one
	// marketing message a week, quiet hours 21:00-08:00 in each customer's
	// zone. Zhang and Emma agreed to marketing email; Lin's sign-up awaits
	// her confirmation (double opt-in).
	if err := com.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Deny,
		Caps:       []communication.Cap{{Purpose: communication.PurposeMarketing, Max: 1, Window: 7 * 24 * time.Hour}},
		QuietHours: []communication.QuietHours{{From: "21:00", To: "08:00"}}}); err != nil {
		log.Fatal(err)
	}
	for _, c := range []struct {
		who   *customer.Customer
		state communication.ConsentState
	}{{zhang, communication.ConsentGranted}, {emma, communication.ConsentGranted}, {lin, communication.ConsentPending}} {
		if _, err := com.RecordConsent(ctx, communication.ConsentParams{CustomerID: c.who.ID, Channel: communication.Email,
			Purpose: communication.PurposeMarketing, State: c.state, Source: "web_form", LegalBasis: "consent",
			EffectiveAt: day, EvidenceText: "newsletter sign-up, terms v3", EvidenceIP: "203.0.113.7"}); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := com.SaveTemplate(ctx, communication.Template{Key: "winter-sale", Channel: communication.Email,
		Subject: "Winter sale", Body: "Hello {{.Customer.Name}}, 20% off this week. Unsubscribe: {{.Data.unsubscribe_url}}"}); err != nil {
		log.Fatal(err)
	}
	clock.Set(at(16, 30))
	decide := func(title string) {
		t := texttable.New("Customer", "Local time", "Verdict", "Reason", "Until (local)")
		for _, c := range []*customer.Customer{zhang, lin, emma} {
			d, err := com.Decide(ctx, communication.DecideParams{CustomerID: c.ID, Channel: communication.Email,
				Purpose: communication.PurposeMarketing, List: "winter-sale"})
			if err != nil {
				log.Fatal(err)
			}
			loc, _ := time.LoadLocation(c.TimeZone)
			until := ""
			if !d.Until.IsZero() {
				until = d.Until.In(loc).Format("Mon 15:04")
			}
			t.Row(c.Name, clock.Now().In(loc).Format("15:04"), string(d.Verdict), d.Reason, until)
		}
		fmt.Println()
		t.Print(title)
	}
	decide("A marketing email at 16:30 UTC")
	// Emma's goes, with a one-click unsubscribe link.
	promo, err := com.Send(ctx, communication.SendParams{RenderParams: communication.RenderParams{Key: "winter-sale",
		Channel: communication.Email, CustomerID: emma.ID}, Purpose: communication.PurposeMarketing, List: "winter-sale",
		UnsubscribeURL: "https://shop.example/unsubscribe?t={token}"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("  recorded with decision %s\n", promo.Decision)
	last := sender.last
	fmt.Printf("  List-Unsubscribe-Post: %s\n", last.Headers["List-Unsubscribe-Post"])
	token := strings.TrimSuffix(strings.TrimPrefix(last.Headers["List-Unsubscribe"], "<https://shop.example/unsubscribe?t="), ">")
	// Emma clicks it (her mail client posts it twice): one revocation.
	for i := 0; i < 2; i++ {
		e, err := com.Unsubscribe(ctx, token, "198.51.100.23")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("  unsubscribe %d: %s of list %q (entry %s...)\n", i+1, e.State, e.List, e.ID.String()[:8])
	}
	_, err = com.Unsubscribe(ctx, token[:len(token)-2]+"xx", "198.51.100.23")
	fmt.Println("  an altered token:", err)
	decide("The same email again")

	// An NPS survey after the day's conversations. Sending an invitation
	// goes through the contact decision: at this hour Zhang is in his quiet
	// hours (research needs consent, which he gave).
	if _, err := com.SaveSurvey(ctx, communication.SurveyParams{Key: "after-contact", Title: "How did we do?",
		Questions: []communication.Question{
			{Key: "recommend", Kind: communication.QuestionNPS, Text: "How likely are you to recommend us to a friend?", Required: true},
			{Key: "comment", Kind: communication.QuestionText, Text: "Anything else?"}}}); err != nil {
		log.Fatal(err)
	}
	if _, err := com.RecordConsent(ctx, communication.ConsentParams{CustomerID: zhang.ID, Purpose: communication.PurposeResearch,
		State: communication.ConsentGranted, Source: "call"}); err != nil {
		log.Fatal(err)
	}
	if _, err := com.SaveTemplate(ctx, communication.Template{Key: "survey", Channel: communication.Email, Subject: "How did we do?",
		Body: "Tell us: https://shop.example/survey?t={{.Data.survey_token}}"}); err != nil {
		log.Fatal(err)
	}
	_, err = com.SendInvitation(ctx, communication.InviteParams{SurveyKey: "after-contact", CustomerID: zhang.ID},
		communication.SendParams{RenderParams: communication.RenderParams{Key: "survey", Channel: communication.Email}})
	fmt.Println("\nsurvey invitation to", zhang.Name+":", err)
	// Answers collected through invitations handed out by the host's own
	// pages (Invite makes the token; Respond takes it once).
	respondents := []*customer.Customer{zhang, lin, emma}
	for i, name := range []string{"Ana Souza", "Иван Петров", "佐藤 花子", "김민준", "Fatima Zahra", "Lukas Müller", "Priya Sharma", "Nguyễn Văn An", "Olivia Brown"} {
		respondents = append(respondents, mk(customer.CreateParams{Name: name, Source: fmt.Sprintf("survey-panel-%d", i)}))
	}
	for i, c := range respondents {
		inv, err := com.Invite(ctx, communication.InviteParams{SurveyKey: "after-contact", CustomerID: c.ID})
		if err != nil {
			log.Fatal(err)
		}
		score := []int{10, 9, 7, 10, 6, 9, 8, 10, 3, 9, 10, 9}[i]
		if _, err := com.Respond(ctx, inv.Token, map[string]any{"recommend": score}); err != nil {
			log.Fatal(err)
		}
		if i == 0 {
			_, err := com.Respond(ctx, inv.Token, map[string]any{"recommend": 0})
			fmt.Println("the same token again:", err)
		}
	}
	nps, err := com.SurveyScore(ctx, communication.ScoreParams{SurveyKey: "after-contact", Question: "recommend"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("NPS %.1f from %d answers, 95%% interval %.1f to %.1f\n", nps.Value, nps.N, nps.Interval.Lo, nps.Interval.Hi)

	// At the end of the day two workers claim the due reminders: each is
	// handed to one of them only.
	clock.Set(at(18, 0))
	t = texttable.New("Worker", "Fire at", "Task", "Customer")
	for _, worker := range []string{"worker-1", "worker-2"} {
		due, err := com.DueReminders(ctx, clock.Now(), 2)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range due {
			name := map[crmtype.ID]string{zhang.ID: zhang.Name, lin.ID: lin.Name, emma.ID: emma.Name}[r.CustomerID]
			t.Row(worker, r.FireAt.Format("15:04"), r.Task.Subject, name)
			if err := com.AckReminder(ctx, r.Claim); err != nil {
				log.Fatal(err)
			}
		}
	}
	fmt.Println()
	t.Print("Reminders due by 18:00 UTC")
	left, err := com.DueReminders(ctx, clock.Now(), 10)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\nreminders still due after both workers: %d\n", len(left))
}
