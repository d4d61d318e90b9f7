package crm_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/privacy"
)

// ---- helpers of the interaction tests (prefixed im) ----

// imTables are the tables the interaction side of communication writes,
// with the log.
var imTables = []string{"crm_interactions", "crm_conversations", "crm_templates", "crm_events"}

// imCounts counts workspace ws's rows in imTables.
func imCounts(t *testing.T, ctx context.Context, db *bun.DB, ws string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range imTables {
		out[table] = countRows(t, ctx, db, table, ws)
	}
	return out
}

// imClient returns a client over db with a manual clock at t0 and the
// given communication configuration.
func imClient(t *testing.T, db *bun.DB, cfg communication.Config) (*crm.Client, *crmtype.ManualClock) {
	t.Helper()
	clock := crmtype.NewManualClock(t0)
	c, err := crm.New(db, &crm.Config{Clock: clock, Communication: cfg})
	require.NoError(t, err)
	return c, clock
}

// imInvalid asserts that err is a *crmtype.ValidationError matching
// crm.ErrInvalid and naming field.
func imInvalid(t *testing.T, err error, field string, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.ErrorIs(t, err, crm.ErrInvalid, msgAndArgs...)
	var ve *crmtype.ValidationError
	require.ErrorAs(t, err, &ve, msgAndArgs...)
	require.Equal(t, field, ve.Field, "%v %v", err, msgAndArgs)
}

// imInteractionsAll walks every page of a customer's interactions with
// p.Limit, checking that a page with a Next cursor is full.
func imInteractionsAll(t *testing.T, ctx context.Context, com *communication.Service, p communication.InteractionListParams) []*communication.Interaction {
	t.Helper()
	var out []*communication.Interaction
	for i := 0; ; i++ {
		require.Less(t, i, 1000, "pagination does not end")
		page, err := com.Interactions(ctx, p)
		require.NoError(t, err)
		out = append(out, page.Items...)
		if page.Next == "" {
			return out
		}
		if p.Limit > 0 {
			require.Len(t, page.Items, p.Limit, "a page with a Next cursor is full")
		}
		p.After = page.Next
	}
}

// imMessagesAll walks every page of a conversation's messages.
func imMessagesAll(t *testing.T, ctx context.Context, com *communication.Service, conv crmtype.ID, limit int) []*communication.Interaction {
	t.Helper()
	var out []*communication.Interaction
	p := communication.ListParams{Limit: limit}
	for i := 0; ; i++ {
		require.Less(t, i, 1000, "pagination does not end")
		page, err := com.Messages(ctx, conv, p)
		require.NoError(t, err)
		out = append(out, page.Items...)
		if page.Next == "" {
			return out
		}
		require.Len(t, page.Items, limit)
		p.After = page.Next
	}
}

// imConversationsAll walks every page of a customer's conversations.
func imConversationsAll(t *testing.T, ctx context.Context, com *communication.Service, cust crmtype.ID, limit int) []*communication.Conversation {
	t.Helper()
	var out []*communication.Conversation
	p := communication.ListParams{Limit: limit}
	for i := 0; ; i++ {
		require.Less(t, i, 1000, "pagination does not end")
		page, err := com.Conversations(ctx, cust, p)
		require.NoError(t, err)
		out = append(out, page.Items...)
		if page.Next == "" {
			return out
		}
		require.Len(t, page.Items, limit)
		p.After = page.Next
	}
}

func imIDs(ins []*communication.Interaction) []crmtype.ID {
	return namesOf(ins, func(in *communication.Interaction) crmtype.ID { return in.ID })
}

func imTypes(evs []crmtype.Event) []string {
	return namesOf(evs, func(e crmtype.Event) string { return e.Type })
}

// imChange returns the change of field in e, and whether there is one.
func imChange(e crmtype.Event, field string) (crmtype.Change, bool) {
	for _, c := range e.Changes {
		if c.Field == field {
			return c, true
		}
	}
	return crmtype.Change{}, false
}

// imNewestFirst sorts interactions as a customer's list shows them: by
// OccurredAt, then ID, descending.
func imNewestFirst(ins []*communication.Interaction) []crmtype.ID {
	s := append([]*communication.Interaction(nil), ins...)
	sort.Slice(s, func(i, j int) bool {
		if !s[i].OccurredAt.Equal(s[j].OccurredAt) {
			return s[i].OccurredAt.After(s[j].OccurredAt)
		}
		return s[i].ID.String() > s[j].ID.String()
	})
	return imIDs(s)
}

// imFixedSender accepts every message and answers with the same provider id.
type imFixedSender struct {
	id   string
	sent []communication.Message
}

func (f *imFixedSender) Send(_ context.Context, m communication.Message) (string, error) {
	f.sent = append(f.sent, m)
	return f.id, nil
}

// ---- 1. bad input ----

// TestInteractionsMoreBadInput: every kind of bad input to Record and
// Ingest is a ValidationError naming the field, and nothing is written.
func TestInteractionsMoreBadInput(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := imClient(t, db, communication.Config{MaxBodyBytes: 100})
		ws := client.Workspace("acme")
		com := ws.Communication
		ivan := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Иван Петров"})
		base := func() communication.InteractionParams {
			return communication.InteractionParams{CustomerID: ivan.ID, Channel: communication.Email, Direction: communication.Outbound,
				OccurredAt: t0, Subject: "Счёт № 7", Body: "Добрый день"}
		}
		cases := []struct {
			name  string
			mod   func(p *communication.InteractionParams)
			field string
		}{
			{"upper-case channel", func(p *communication.InteractionParams) { p.Channel = "Email" }, "channel"},
			{"empty channel", func(p *communication.InteractionParams) { p.Channel = "" }, "channel"},
			{"channel with a space", func(p *communication.InteractionParams) { p.Channel = "a b" }, "channel"},
			{"channel too long", func(p *communication.InteractionParams) { p.Channel = communication.Channel(strings.Repeat("x", 33)) }, "channel"},
			{"unknown direction", func(p *communication.InteractionParams) { p.Direction = "sideways" }, "direction"},
			{"no direction", func(p *communication.InteractionParams) { p.Direction = "" }, "direction"},
			{"end before start", func(p *communication.InteractionParams) { p.EndedAt = t0.Add(-time.Minute) }, "ended_at"},
			{"negative duration", func(p *communication.InteractionParams) { p.Duration = -time.Second }, "duration"},
			{"duration disagrees with ended_at", func(p *communication.InteractionParams) {
				p.Duration, p.EndedAt = 5*time.Minute, t0.Add(10*time.Minute)
			}, "duration"},
			{"body over the limit", func(p *communication.InteractionParams) { p.Body = strings.Repeat("x", 101) }, "body"},
			{"multi-byte body over the limit", func(p *communication.InteractionParams) { p.Body = strings.Repeat("é", 51) }, "body"},
			{"html over the limit", func(p *communication.InteractionParams) { p.HTML = "<p>" + strings.Repeat("x", 98) + "</p>" }, "html"},
			{"subject over 1000 bytes", func(p *communication.InteractionParams) { p.Subject = strings.Repeat("字", 334) }, "subject"},
			{"invalid UTF-8 subject", func(p *communication.InteractionParams) { p.Subject = "bad \xff subject" }, "subject"},
			{"invalid UTF-8 body", func(p *communication.InteractionParams) { p.Body = "caf\xc3\x28" }, "body"},
			{"invalid UTF-8 html", func(p *communication.InteractionParams) { p.HTML = "<p>\xfe</p>" }, "html"},
			{"NUL in body", func(p *communication.InteractionParams) { p.Body = "a\x00b" }, "body"},
			{"HTML on an SMS", func(p *communication.InteractionParams) {
				p.Channel, p.Subject, p.HTML = communication.SMS, "", "<p>hi</p>"
			}, "html"},
			{"HTML on a chat", func(p *communication.InteractionParams) { p.Channel, p.HTML = communication.Chat, "<b>hi</b>" }, "html"},
			{"unknown status", func(p *communication.InteractionParams) { p.Status = "lost" }, "status"},
			{"status on an inbound message", func(p *communication.InteractionParams) {
				p.Direction, p.Status = communication.Inbound, communication.StatusDelivered
			}, "status"},
			{"bad outcome", func(p *communication.InteractionParams) { p.Outcome = "Not Reached" }, "outcome"},
			{"attachment without name", func(p *communication.InteractionParams) {
				p.Attachments = []communication.Attachment{{Name: "  ", URI: "s3://bucket/a.pdf"}}
			}, "attachments[0].name"},
			{"attachment without uri", func(p *communication.InteractionParams) {
				p.Attachments = []communication.Attachment{{Name: "a.pdf", URI: "s3://bucket/a.pdf"}, {Name: "b.pdf"}}
			}, "attachments[1].uri"},
			{"attachment of negative size", func(p *communication.InteractionParams) {
				p.Attachments = []communication.Attachment{{Name: "a.pdf", URI: "s3://a", Size: -1}}
			}, "attachments[0].size"},
			{"zero customer id", func(p *communication.InteractionParams) { p.CustomerID = crmtype.ID{} }, "customer_id"},
			{"zero occurred_at", func(p *communication.InteractionParams) { p.OccurredAt = time.Time{} }, "occurred_at"},
			{"provider id too long", func(p *communication.InteractionParams) { p.ProviderID = strings.Repeat("p", 501) }, "provider_id"},
			{"empty meta key", func(p *communication.InteractionParams) { p.Meta = map[string]string{"": "x"} }, "meta"},
		}
		before := imCounts(t, ctx, db, "acme")
		for _, c := range cases {
			p := base()
			c.mod(&p)
			_, err := com.Record(ctx, p)
			imInvalid(t, err, c.field, c.name)
			require.True(t, strings.HasPrefix(err.Error(), "communication: record: "), err.Error())
			// The same row in a batch is reported as that row's error.
			rep, err := com.Ingest(ctx, []communication.InteractionParams{p})
			require.NoError(t, err, c.name)
			require.Equal(t, 1, rep.Failed, c.name)
			require.Zero(t, rep.Created+rep.Skipped, c.name)
			require.Len(t, rep.Errors, 1, c.name)
			require.Equal(t, 0, rep.Errors[0].Row, c.name)
			require.Equal(t, c.field, rep.Errors[0].Field, c.name)
			require.ErrorIs(t, rep.Errors[0].Err, crm.ErrInvalid, c.name)
			require.Equal(t, []crmtype.ID{{}}, rep.IDs, c.name)
			require.Equal(t, before, imCounts(t, ctx, db, "acme"), "%s: nothing is written", c.name)
		}

		// The limits are inclusive, and length and duration agree when both are given.
		ok := []func(p *communication.InteractionParams){
			func(p *communication.InteractionParams) { p.Body = strings.Repeat("é", 50) },
			func(p *communication.InteractionParams) { p.HTML = "<p>" + strings.Repeat("x", 93) + "</p>" },
			func(p *communication.InteractionParams) {
				p.Duration, p.EndedAt = 10*time.Minute, t0.Add(10*time.Minute)
			},
			func(p *communication.InteractionParams) { p.EndedAt = t0 },
			func(p *communication.InteractionParams) { p.Subject = strings.Repeat("字", 333) },
		}
		for i, mod := range ok {
			p := base()
			mod(&p)
			_, err := com.Record(ctx, p)
			require.NoError(t, err, "case %d", i)
		}
		require.Equal(t, before["crm_interactions"]+len(ok), countRows(t, ctx, db, "crm_interactions", "acme"))

		// An end without a duration gives the duration.
		p := base()
		p.Channel, p.Subject, p.Direction = communication.Phone, "", communication.Inbound
		p.EndedAt = t0.Add(90 * time.Second)
		in, err := com.Record(ctx, p)
		require.NoError(t, err)
		got, err := com.Interaction(ctx, in.ID)
		require.NoError(t, err)
		require.Equal(t, 90*time.Second, got.Duration)

		// No workspace: ErrNoWorkspace, nothing written.
		_, err = client.Workspace("").Communication.Record(ctx, base())
		require.ErrorIs(t, err, crm.ErrNoWorkspace)
		_, err = client.Workspace("").Communication.Ingest(ctx, []communication.InteractionParams{base()})
		require.ErrorIs(t, err, crm.ErrNoWorkspace)
	})
}

// TestInteractionsMoreSanitizedHTML: unsafe HTML is removed before it is
// stored; what remains is read back from the database.
func TestInteractionsMoreSanitizedHTML(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		amara := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Amara Nwosu"})
		dirty := `<p onclick="steal()">Hello <b>Иван</b> 你好</p>` +
			`<script>alert('x')</script>` +
			`<a href="javascript:alert(1)">click</a> ` +
			`<a href="https://example.com/offer">offer</a>` +
			`<iframe src="https://evil.example/frame"></iframe>` +
			`<img src="https://img.example/a.png" onerror="alert(2)">` +
			`<a href="JaVaScRiPt:alert(3)">x</a><div style="background:url(javascript:alert(4))">styled</div>`
		in, err := com.Record(ctx, communication.InteractionParams{CustomerID: amara.ID, Channel: communication.Email,
			Direction: communication.Inbound, OccurredAt: t0, Subject: "hi", Body: "<script>plain text is kept as text</script>", HTML: dirty})
		require.NoError(t, err)
		var stored string
		require.NoError(t, db.QueryRowContext(ctx, "SELECT html FROM crm_interactions WHERE workspace_id = ? AND id = ?", "acme", in.ID).Scan(&stored))
		got, err := com.Interaction(ctx, in.ID)
		require.NoError(t, err)
		require.Equal(t, stored, got.HTML)
		require.Equal(t, in.HTML, got.HTML)
		low := strings.ToLower(stored)
		for _, bad := range []string{"<script", "alert", "onclick", "onerror", "javascript:", "<iframe", "evil.example", "style="} {
			require.NotContains(t, low, bad, stored)
		}
		for _, good := range []string{"Hello <b>Иван</b> 你好", `href="https://example.com/offer"`, `src="https://img.example/a.png"`, "styled"} {
			require.Contains(t, stored, good, stored)
		}
		require.Equal(t, "<script>plain text is kept as text</script>", got.Body, "the plain-text body is text, not markup")
		require.Equal(t, communication.SanitizeHTML(dirty), stored)
	})
}

// TestInteractionsMoreReferences: a record naming a customer, company or
// purchase that is not in the workspace, or a purchase of another
// customer, is ErrNotFound and writes nothing.
func TestInteractionsMoreReferences(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		a, b := client.Workspace("acme"), client.Workspace("globex")
		coA := mustCreate(t, ctx, a.Customers, customer.CreateParams{Kind: customer.Company, Name: "株式会社テスト"})
		coB := mustCreate(t, ctx, b.Customers, customer.CreateParams{Kind: customer.Company, Name: "Globex"})
		hana := mustCreate(t, ctx, a.Customers, customer.CreateParams{Name: "佐藤花子", CompanyID: coA.ID})
		raj := mustCreate(t, ctx, a.Customers, customer.CreateParams{Name: "राज कुमार"})
		erased := mustCreate(t, ctx, a.Customers, customer.CreateParams{Name: "Zoë Ångström"})
		_, err := a.Privacy.Erase(ctx, erased.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		omar := mustCreate(t, ctx, b.Customers, customer.CreateParams{Name: "عمر خالد"})
		buyHana, err := a.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: hana.ID, OccurredAt: t0,
			Amount: crmtype.Money{Minor: 5000, Currency: "JPY"}, OrderID: "A-1"})
		require.NoError(t, err)
		buyRaj, err := a.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: raj.ID, OccurredAt: t0,
			Amount: crmtype.Money{Minor: 900, Currency: "INR"}, OrderID: "A-2"})
		require.NoError(t, err)
		buyOmar, err := b.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: omar.ID, OccurredAt: t0,
			Amount: crmtype.Money{Minor: 700, Currency: "AED"}, OrderID: "B-1"})
		require.NoError(t, err)

		base := func() communication.InteractionParams {
			return communication.InteractionParams{CustomerID: hana.ID, Channel: communication.Phone, Direction: communication.Inbound,
				OccurredAt: t0, Body: "お問い合わせ", ProviderID: "call-1"}
		}
		bad := map[string]func(p *communication.InteractionParams){
			"customer of another workspace": func(p *communication.InteractionParams) { p.CustomerID = omar.ID },
			"missing customer":              func(p *communication.InteractionParams) { p.CustomerID = crmtype.NewID(t0) },
			"erased customer":               func(p *communication.InteractionParams) { p.CustomerID = erased.ID },
			"company of another workspace":  func(p *communication.InteractionParams) { p.CompanyID = coB.ID },
			"missing company":               func(p *communication.InteractionParams) { p.CompanyID = crmtype.NewID(t0) },
			"a person as the company":       func(p *communication.InteractionParams) { p.CompanyID = raj.ID },
			"purchase of another workspace": func(p *communication.InteractionParams) { p.PurchaseID = buyOmar.ID },
			"purchase of another customer":  func(p *communication.InteractionParams) { p.PurchaseID = buyRaj.ID },
			"missing purchase":              func(p *communication.InteractionParams) { p.PurchaseID = crmtype.NewID(t0) },
		}
		beforeA, beforeB := imCounts(t, ctx, db, "acme"), imCounts(t, ctx, db, "globex")
		for name, mod := range bad {
			p := base()
			mod(&p)
			_, err := a.Communication.Record(ctx, p)
			require.ErrorIs(t, err, crm.ErrNotFound, name)
			require.NotErrorIs(t, err, crm.ErrInvalid, name)
			require.Equal(t, beforeA, imCounts(t, ctx, db, "acme"), name)
			require.Equal(t, beforeB, imCounts(t, ctx, db, "globex"), name)
			_, err = a.Communication.InteractionByProvider(ctx, communication.Phone, "call-1")
			require.ErrorIs(t, err, crm.ErrNotFound, name)
		}

		// The same links inside the workspace are stored and read back.
		p := base()
		p.CompanyID, p.PurchaseID = coA.ID, buyHana.ID
		in, err := a.Communication.Record(ctx, p)
		require.NoError(t, err)
		got, err := a.Communication.Interaction(ctx, in.ID)
		require.NoError(t, err)
		require.Equal(t, coA.ID, got.CompanyID)
		require.Equal(t, buyHana.ID, got.PurchaseID)
		require.Equal(t, hana.ID, got.CustomerID)
		// A company may itself be the customer of an interaction.
		_, err = a.Communication.Record(ctx, communication.InteractionParams{CustomerID: coA.ID, Channel: communication.Meeting,
			Direction: communication.Outbound, OccurredAt: t0, Subject: "Quarterly review"})
		require.NoError(t, err)
		require.Equal(t, beforeB, imCounts(t, ctx, db, "globex"))
	})
}

// TestInteractionsMoreRoundTrip: what Record returns is what is stored,
// every field of it.
func TestInteractionsMoreRoundTrip(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		co := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Kind: customer.Company, Name: "Ωmega Ltd"})
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Νίκος Παπαδόπουλος", CompanyID: co.ID})
		buy, err := ws.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: t0,
			Amount: crmtype.Money{Minor: 1200, Currency: "EUR"}, OrderID: "GR-1"})
		require.NoError(t, err)
		clock.Advance(time.Minute)
		in, err := com.Record(ctx, communication.InteractionParams{CustomerID: c.ID, CompanyID: co.ID, Channel: communication.Email,
			Direction: communication.Outbound, OccurredAt: t0.Add(-time.Hour).In(time.FixedZone("EET", 2*3600)),
			EndedAt: t0.Add(-time.Hour + 2*time.Minute), Subject: "Προσφορά", Body: "Καλημέρα", HTML: "<p>Καλημέρα</p>",
			Outcome: communication.Replied, Status: communication.StatusDelivered, OwnerID: "agent-7",
			Attachments: []communication.Attachment{{Name: "προσφορά.pdf", Type: "application/pdf", Size: 2048, URI: "s3://b/1"}},
			PurchaseID:  buy.ID, TicketID: crmtype.NewID(t0), CampaignID: crmtype.NewID(t0), ProviderID: "<gr-1@mail>",
			ThreadID: "thr-gr", Meta: map[string]string{"utm_source": "newsletter", "lang": "el"}})
		require.NoError(t, err)
		require.Equal(t, t0.Add(-time.Hour), in.OccurredAt, "stored in UTC")
		require.Equal(t, 2*time.Minute, in.Duration)
		require.False(t, in.ConversationID.IsZero())
		require.Equal(t, clock.Now(), in.CreatedAt)
		got, err := com.Interaction(ctx, in.ID)
		require.NoError(t, err)
		require.Equal(t, in, got)
		byProv, err := com.InteractionByProvider(ctx, communication.Email, "<gr-1@mail>")
		require.NoError(t, err)
		require.Equal(t, in, byProv)
		_, err = com.InteractionByProvider(ctx, communication.SMS, "<gr-1@mail>")
		require.ErrorIs(t, err, crm.ErrNotFound, "provider ids are per channel")
		_, err = com.InteractionByProvider(ctx, "E-mail", "<gr-1@mail>")
		imInvalid(t, err, "channel")
		_, err = com.InteractionByProvider(ctx, communication.Email, "")
		imInvalid(t, err, "provider_id")
		_, err = com.Interaction(ctx, crmtype.NewID(t0))
		require.ErrorIs(t, err, crm.ErrNotFound)

		// A minimal record round-trips too: no attachments, no meta.
		minimal, err := com.Record(ctx, communication.InteractionParams{CustomerID: c.ID, Channel: "wechat", Direction: communication.Inbound, OccurredAt: t0})
		require.NoError(t, err)
		got, err = com.Interaction(ctx, minimal.ID)
		require.NoError(t, err)
		require.Equal(t, minimal, got)
		require.Nil(t, got.Attachments)
		require.Nil(t, got.Meta)
	})
}

// TestInteractionsMoreSubMillisecondDuration: a duration finer than a
// millisecond must not come back different from what Record returned.
func TestInteractionsMoreSubMillisecondDuration(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Ли Мин"})
		in, err := ws.Communication.Record(ctx, communication.InteractionParams{CustomerID: c.ID, Channel: communication.Phone,
			Direction: communication.Inbound, OccurredAt: t0, Duration: 90*time.Second + 1500*time.Microsecond})
		require.NoError(t, err)
		got, err := ws.Communication.Interaction(ctx, in.ID)
		require.NoError(t, err)
		if in.Duration != got.Duration {
			t.Errorf("BUG: Record returns Duration %v but %v is stored (duration_ms truncates; newInteraction does not round the returned value)", in.Duration, got.Duration)
		}
	})
}

// ---- 2. ingest ----

// TestInteractionsMoreIngestReport: row errors are reported per row while
// the valid rows are stored; duplicates in a batch are stored once;
// re-running the batch skips every row with a provider id and returns the
// same IDs; rows without one are stored again.
func TestInteractionsMoreIngestReport(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		zhang := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "张伟"})
		olga := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Ольга Смирнова"})
		buyOlga, err := ws.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: olga.ID, OccurredAt: t0,
			Amount: crmtype.Money{Minor: 100, Currency: "RUB"}})
		require.NoError(t, err)
		at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
		row := func(c crmtype.ID, ch communication.Channel, m int, body, pid string) communication.InteractionParams {
			return communication.InteractionParams{CustomerID: c, Channel: ch, Direction: communication.Inbound, OccurredAt: at(m), Body: body, ProviderID: pid}
		}
		rows := []communication.InteractionParams{
			0:  row(zhang.ID, communication.Email, 0, "第一封", "<m1@x>"),
			1:  row(zhang.ID, "Email", 1, "bad channel", "<bad@x>"),
			2:  row(zhang.ID, communication.SMS, 2, "no provider id", ""),
			3:  row(crmtype.NewID(t0), communication.Email, 3, "unknown customer", "<m3@x>"),
			4:  row(olga.ID, communication.Email, 4, "Привет", "<m2@x>"),
			5:  row(zhang.ID, communication.Email, 5, "duplicate of row 0", "<m1@x>"),
			6:  row(zhang.ID, communication.Chat, 6, "same provider id, other channel", "<m1@x>"),
			7:  {CustomerID: olga.ID, Channel: communication.Email, Direction: communication.Inbound, OccurredAt: at(7), Status: communication.StatusSent, ProviderID: "<m7@x>"},
			8:  row(olga.ID, communication.Phone, 8, "", ""),
			9:  row(olga.ID, communication.Email, 9, "duplicate of row 4", "<m2@x>"),
			10: {CustomerID: zhang.ID, Channel: communication.Email, Direction: communication.Inbound, OccurredAt: at(10), PurchaseID: buyOlga.ID, ProviderID: "<m10@x>"},
			11: {CustomerID: zhang.ID, Channel: communication.Email, Direction: communication.Inbound, OccurredAt: time.Time{}, ProviderID: "<m11@x>"},
		}
		before := imCounts(t, ctx, db, "acme")
		rep, err := com.Ingest(ctx, rows)
		require.NoError(t, err)
		require.Equal(t, 5, rep.Created, "%+v", rep)
		require.Equal(t, 2, rep.Skipped)
		require.Equal(t, 5, rep.Failed)
		require.Len(t, rep.IDs, len(rows))
		require.Equal(t, []int{1, 3, 7, 10, 11}, namesOf(rep.Errors, func(e communication.IngestError) int { return e.Row }), "in row order")
		want := map[int]struct {
			field string
			err   error
		}{1: {"channel", crm.ErrInvalid}, 3: {"", crm.ErrNotFound}, 7: {"status", crm.ErrInvalid}, 10: {"", crm.ErrNotFound}, 11: {"occurred_at", crm.ErrInvalid}}
		for _, e := range rep.Errors {
			w := want[e.Row]
			require.ErrorIs(t, e.Err, w.err, "row %d", e.Row)
			if w.field != "" {
				require.Equal(t, w.field, e.Field, "row %d", e.Row)
			}
			require.True(t, strings.HasPrefix(e.Error(), fmt.Sprintf("row %d: ", e.Row)), e.Error())
			require.True(t, rep.IDs[e.Row].IsZero(), "a failed row has no id")
		}
		for _, i := range []int{0, 2, 4, 6, 8} {
			require.False(t, rep.IDs[i].IsZero(), "row %d", i)
		}
		require.Equal(t, rep.IDs[0], rep.IDs[5], "a duplicate in the batch is the first row's message")
		require.Equal(t, rep.IDs[4], rep.IDs[9])
		require.NotEqual(t, rep.IDs[0], rep.IDs[6], "another channel is another message")
		require.Equal(t, before["crm_interactions"]+5, countRows(t, ctx, db, "crm_interactions", "acme"))
		first, err := com.Interaction(ctx, rep.IDs[0])
		require.NoError(t, err)
		require.Equal(t, "第一封", first.Body, "the first of the duplicates wins")
		conv, err := com.Conversation(ctx, first.ConversationID)
		require.NoError(t, err)
		require.Equal(t, 1, conv.Messages, "a skipped duplicate is not counted")
		for i, id := range rep.IDs {
			if id.IsZero() {
				continue
			}
			in, err := com.Interaction(ctx, id)
			require.NoError(t, err)
			require.Equal(t, rows[i].Channel, in.Channel, "row %d", i)
			require.Equal(t, rows[i].CustomerID, in.CustomerID, "row %d", i)
		}
		// One log event for the call, one entry per stored message.
		log := eventLog(t, ctx, db, "acme")
		last := log[len(log)-1]
		require.Equal(t, communication.EventInteractionsRecorded, last.Type)
		require.Equal(t, before["crm_events"]+1, len(log))
		require.ElementsMatch(t, []string{rep.IDs[0].String(), rep.IDs[2].String(), rep.IDs[4].String(), rep.IDs[6].String(), rep.IDs[8].String()},
			namesOf(last.Changes, func(c crmtype.Change) string { return c.Field }))
		for _, c := range last.Changes {
			m, ok := c.After.(map[string]any)
			require.True(t, ok, "%#v", c.After)
			require.NotContains(t, m, "body", "message text is not copied into the log")
		}

		// Re-running the batch: every row with a provider id is skipped with
		// the same id; the rows without one are stored again.
		clock.Advance(time.Hour)
		again, err := com.Ingest(ctx, rows)
		require.NoError(t, err)
		require.Equal(t, 2, again.Created, "%+v", again)
		require.Equal(t, 5, again.Skipped)
		require.Equal(t, 5, again.Failed)
		for _, i := range []int{0, 4, 6} { // rows 5 and 9: see TestInteractionsMoreIngestRerunDuplicates
			require.Equal(t, rep.IDs[i], again.IDs[i], "row %d", i)
		}
		for _, i := range []int{2, 8} {
			require.False(t, again.IDs[i].IsZero())
			require.NotEqual(t, rep.IDs[i], again.IDs[i], "row %d is stored again", i)
		}
		require.Equal(t, rep.Errors, again.Errors)
		require.Equal(t, before["crm_interactions"]+7, countRows(t, ctx, db, "crm_interactions", "acme"))
		// A third run of only the provider-id rows stores and logs nothing.
		events := countRows(t, ctx, db, "crm_events", "acme")
		third, err := com.Ingest(ctx, []communication.InteractionParams{rows[0], rows[4], rows[6]})
		require.NoError(t, err)
		require.Equal(t, 3, third.Skipped)
		require.Equal(t, []crmtype.ID{rep.IDs[0], rep.IDs[4], rep.IDs[6]}, third.IDs)
		require.Equal(t, events, countRows(t, ctx, db, "crm_events", "acme"), "nothing stored, nothing logged")
		// Record of a stored provider id returns the stored message.
		in, err := com.Record(ctx, rows[5])
		require.NoError(t, err)
		require.Equal(t, rep.IDs[0], in.ID)

		// An empty batch is an empty report.
		empty, err := com.Ingest(ctx, nil)
		require.NoError(t, err)
		require.Zero(t, empty.Created+empty.Skipped+empty.Failed)
		require.Empty(t, empty.IDs)
		require.Equal(t, events, countRows(t, ctx, db, "crm_events", "acme"))
	})
}

// ---- 3. templates ----

// TestInteractionsMoreTemplates: SaveTemplate validation, locale fallback
// through Render with real customers, missing values, Templates and
// DeleteTemplate, and the template events in the audit trail.
func TestInteractionsMoreTemplates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crm.WithActor(context.Background(), "editor:9")
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		before := imCounts(t, ctx, db, "acme")
		bad := []struct {
			name  string
			tp    communication.Template
			field string
		}{
			{"unknown customer field", communication.Template{Key: "welcome", Channel: communication.Email, Subject: "Hi", Body: "Hi {{.Customer.Nope}}"}, "body"},
			{"unknown root", communication.Template{Key: "welcome", Channel: communication.Email, Subject: "Hi {{.User.Name}}", Body: "x"}, "subject"},
			{"parse error", communication.Template{Key: "welcome", Channel: communication.Email, Subject: "{{.Data.x", Body: "x"}, "subject"},
			{"html parse error", communication.Template{Key: "welcome", Channel: communication.Email, Subject: "s", Body: "b", HTML: "<p>{{if}}</p>"}, "html"},
			{"HTML on SMS", communication.Template{Key: "welcome", Channel: communication.SMS, Body: "Hi", HTML: "<p>Hi</p>"}, "html"},
			{"bad key", communication.Template{Key: "Welcome Mail", Channel: communication.Email, Subject: "s", Body: "b"}, "key"},
			{"bad channel", communication.Template{Key: "welcome", Channel: "E-Mail", Subject: "s", Body: "b"}, "channel"},
			{"bad locale", communication.Template{Key: "welcome", Channel: communication.Email, Locale: "not a tag!", Subject: "s", Body: "b"}, "locale"},
			{"und locale", communication.Template{Key: "welcome", Channel: communication.Email, Locale: "und", Subject: "s", Body: "b"}, "locale"},
			{"blank body", communication.Template{Key: "welcome", Channel: communication.Email, Subject: "s", Body: "  "}, "body"},
			{"email without subject", communication.Template{Key: "welcome", Channel: communication.Email, Body: "b"}, "subject"},
			{"invalid UTF-8", communication.Template{Key: "welcome", Channel: communication.SMS, Body: "b\xff"}, "body"},
		}
		for _, c := range bad {
			_, err := com.SaveTemplate(ctx, c.tp)
			imInvalid(t, err, c.field, c.name)
			require.Equal(t, before, imCounts(t, ctx, db, "acme"), "%s: nothing stored", c.name)
		}
		ts, err := com.Templates(ctx, "welcome", communication.Email)
		require.NoError(t, err)
		require.Empty(t, ts)

		hant := communication.Template{Key: "welcome", Channel: communication.Email, Locale: "zh-hant",
			Subject: "歡迎 {{.Customer.Name}}", Body: "{{.Customer.GivenName}}，您好！代碼 {{.Data.x}}"}
		zh := communication.Template{Key: "welcome", Channel: communication.Email, Locale: "zh",
			Subject: "欢迎", Body: "{{.Customer.GivenName}}，你好！代码 {{.Data.x}}"}
		def := communication.Template{Key: "welcome", Channel: communication.Email,
			Subject: "Welcome {{.Customer.Name}}", Body: "Hello {{.Customer.Name}}, code {{.Data.x}}", HTML: "<p>Hello {{.Customer.Name}}</p>"}
		for _, tp := range []communication.Template{hant, zh, def} {
			saved, err := com.SaveTemplate(ctx, tp)
			require.NoError(t, err)
			require.Equal(t, tp.Body, saved.Body)
			clock.Advance(time.Minute)
		}
		ts, err = com.Templates(ctx, "welcome", communication.Email)
		require.NoError(t, err)
		require.Equal(t, []string{"", "zh", "zh-Hant"}, namesOf(ts, func(t communication.Template) string { return t.Locale }), "stored canonical")
		ts, err = com.Templates(ctx, "welcome", communication.SMS)
		require.NoError(t, err)
		require.Empty(t, ts, "templates are per channel")
		_, err = com.Templates(ctx, "welcome", "SMS")
		imInvalid(t, err, "channel")

		chen := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "陳大文", GivenName: "大文", Locale: "zh-Hant-TW"})
		wei := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "张伟", GivenName: "伟", Locale: "zh-Hans-CN"})
		emilie := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Émilie Dubois", GivenName: "Émilie", Locale: "fr"})
		ivan := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Иван"})
		data := map[string]any{"x": "Q-42"}
		render := func(c *customer.Customer, locale string) communication.Rendered {
			t.Helper()
			r, err := com.Render(ctx, communication.RenderParams{Key: "welcome", Channel: communication.Email, CustomerID: c.ID, Locale: locale, Data: data})
			require.NoError(t, err, c.Name)
			return r
		}
		r := render(chen, "")
		require.Equal(t, "zh-Hant", r.Locale)
		require.Equal(t, "歡迎 陳大文", r.Subject)
		require.Equal(t, "大文，您好！代碼 Q-42", r.Body)
		r = render(wei, "")
		require.Equal(t, "zh", r.Locale)
		require.Equal(t, "伟，你好！代码 Q-42", r.Body)
		r = render(emilie, "")
		require.Equal(t, "", r.Locale)
		require.Equal(t, "Hello Émilie Dubois, code Q-42", r.Body)
		require.Equal(t, "<p>Hello Émilie Dubois</p>", r.HTML)
		r = render(ivan, "")
		require.Equal(t, "", r.Locale, "no locale: the default")
		// RenderParams.Locale overrides the customer's.
		r = render(emilie, "zh-TW")
		require.Equal(t, "zh-Hant", r.Locale)
		require.Equal(t, "Émilie，您好！代碼 Q-42", r.Body)
		r = render(chen, "zh-SG")
		require.Equal(t, "zh", r.Locale)
		r = render(chen, "fr-CA")
		require.Equal(t, "", r.Locale)

		// Missing values name the field.
		_, err = com.Render(ctx, communication.RenderParams{Key: "welcome", Channel: communication.Email, CustomerID: chen.ID})
		imInvalid(t, err, "data.x")
		_, err = com.Render(ctx, communication.RenderParams{Key: "welcome", Channel: communication.Email, CustomerID: chen.ID,
			Data: map[string]any{"x": "   "}})
		imInvalid(t, err, "data.x", "a blank value is missing")
		_, err = com.Render(ctx, communication.RenderParams{Key: "welcome", Channel: communication.Email, CustomerID: ivan.ID, Locale: "zh-Hant", Data: data})
		imInvalid(t, err, "customer.GivenName")
		_, err = com.Render(ctx, communication.RenderParams{Key: "goodbye", Channel: communication.Email, CustomerID: chen.ID, Data: data})
		imInvalid(t, err, "key")
		_, err = com.Render(ctx, communication.RenderParams{Key: "welcome", Channel: communication.Email, CustomerID: crmtype.NewID(t0), Data: data})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = com.Render(ctx, communication.RenderParams{Key: "welcome", Channel: communication.Email, Data: data})
		imInvalid(t, err, "customer_id")
		_, err = com.Render(ctx, communication.RenderParams{Key: "welcome", Channel: "", CustomerID: chen.ID, Data: data})
		imInvalid(t, err, "channel")
		require.Equal(t, before["crm_interactions"], countRows(t, ctx, db, "crm_interactions", "acme"), "Render records nothing")

		// Saving again replaces, in place, and logs the difference.
		hant2 := hant
		hant2.Locale = "ZH-HANT"
		hant2.Body = "{{.Customer.GivenName}}，歡迎回來 {{.Data.x}}"
		saved, err := com.SaveTemplate(ctx, hant2)
		require.NoError(t, err)
		require.Equal(t, "zh-Hant", saved.Locale)
		ts, err = com.Templates(ctx, "welcome", communication.Email)
		require.NoError(t, err)
		require.Len(t, ts, 3)
		require.Equal(t, "大文，歡迎回來 Q-42", render(chen, "").Body)
		clock.Advance(time.Minute)

		// Delete: the fallback moves on; a missing template is ErrNotFound.
		require.NoError(t, com.DeleteTemplate(ctx, "welcome", communication.Email, "zh"))
		r = render(wei, "")
		require.Equal(t, "", r.Locale, "zh is gone: zh-Hans-CN falls back to the default")
		require.ErrorIs(t, com.DeleteTemplate(ctx, "welcome", communication.Email, "zh"), crm.ErrNotFound)
		require.ErrorIs(t, com.DeleteTemplate(ctx, "nope", communication.Email, ""), crm.ErrNotFound)
		require.ErrorIs(t, com.DeleteTemplate(ctx, "welcome", communication.SMS, ""), crm.ErrNotFound)
		imInvalid(t, com.DeleteTemplate(ctx, "welcome", communication.Email, "not a tag!"), "locale")
		clock.Advance(time.Minute)
		require.NoError(t, com.DeleteTemplate(ctx, "welcome", communication.Email, "zh-hant"), "the locale is canonicalised")
		ts, err = com.Templates(ctx, "welcome", communication.Email)
		require.NoError(t, err)
		require.Equal(t, []string{""}, namesOf(ts, func(t communication.Template) string { return t.Locale }))

		// The audit trail of each template, newest first, with field diffs.
		trail := auditAll(t, ctx, ws, event.AuditQuery{SubjectKey: "welcome/email/zh-Hant", SubjectType: communication.SubjectTemplate})
		require.Equal(t, []string{communication.EventTemplateDeleted, communication.EventTemplateSaved, communication.EventTemplateSaved}, imTypes(trail))
		for _, e := range trail {
			require.Equal(t, "editor:9", e.Actor)
			require.Equal(t, communication.SubjectTemplate, e.SubjectType)
			require.Equal(t, "welcome/email/zh-Hant", e.SubjectKey)
			require.True(t, e.Customer.IsZero())
		}
		require.ElementsMatch(t, []crmtype.Change{{Field: "subject", Before: hant.Subject, After: ""}, {Field: "body", Before: hant2.Body, After: ""}}, trail[0].Changes)
		require.Equal(t, []crmtype.Change{{Field: "body", Before: hant.Body, After: hant2.Body}}, trail[1].Changes, "only what changed")
		require.ElementsMatch(t, []crmtype.Change{{Field: "subject", Before: "", After: hant.Subject}, {Field: "body", Before: "", After: hant.Body}}, trail[2].Changes)
		require.True(t, trail[0].Time.After(trail[1].Time))
		require.True(t, trail[1].Time.After(trail[2].Time))
		trail = auditAll(t, ctx, ws, event.AuditQuery{SubjectKey: "welcome/email/", SubjectType: communication.SubjectTemplate})
		require.Equal(t, []string{communication.EventTemplateSaved}, imTypes(trail))
		require.ElementsMatch(t, []crmtype.Change{{Field: "subject", Before: "", After: def.Subject}, {Field: "body", Before: "", After: def.Body},
			{Field: "html", Before: "", After: def.HTML}}, trail[0].Changes)
		trail = auditAll(t, ctx, ws, event.AuditQuery{SubjectKey: "welcome/email/zh", SubjectType: communication.SubjectTemplate, Query: event.Query{Limit: 1}})
		require.Equal(t, []string{communication.EventTemplateDeleted, communication.EventTemplateSaved}, imTypes(trail))
	})
}

// ---- 4. send ----

// TestInteractionsMoreSend: no Sender, no address, an address override,
// and a provider id the channel already has.
func TestInteractionsMoreSend(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		plain, clock := newClient(t, db)
		ws := plain.Workspace("acme")
		ahmed := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "أحمد منصور", Locale: "ar",
			Identities: []customer.IdentityParams{email("ahmed@example.ae")}})
		priya := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "प्रिया शर्मा",
			Identities: []customer.IdentityParams{email("priya@example.in"), phone("+91 98765 43210")}})
		for _, tp := range []communication.Template{
			{Key: "otp", Channel: communication.SMS, Body: "{{.Customer.Name}}: code {{.Data.code}}"},
			{Key: "otp", Channel: communication.Email, Subject: "Your code", Body: "Code {{.Data.code}}"},
			{Key: "otp", Channel: communication.Chat, Body: "Code {{.Data.code}}"},
		} {
			_, err := ws.Communication.SaveTemplate(ctx, tp)
			require.NoError(t, err)
		}
		params := func(c *customer.Customer, ch communication.Channel) communication.SendParams {
			return communication.SendParams{Purpose: communication.PurposeService, RenderParams: communication.RenderParams{Key: "otp", Channel: ch, CustomerID: c.ID,
				Data: map[string]any{"code": "1234"}}}
		}

		// Without a Sender: ErrNoSender, nothing recorded.
		before := imCounts(t, ctx, db, "acme")
		_, err := ws.Communication.Send(ctx, params(priya, communication.SMS))
		require.ErrorIs(t, err, communication.ErrNoSender)
		require.Equal(t, before, imCounts(t, ctx, db, "acme"))

		sender := &fakeSender{}
		client, err := crm.New(db, &crm.Config{Clock: clock, Communication: communication.Config{Sender: sender}})
		require.NoError(t, err)
		com := client.Workspace("acme").Communication

		// No phone: ErrInvalid "to", nothing sent or recorded.
		_, err = com.Send(ctx, params(ahmed, communication.SMS))
		imInvalid(t, err, "to")
		_, err = com.Send(ctx, params(priya, communication.Chat))
		imInvalid(t, err, "to", "a chat needs To")
		require.Empty(t, sender.sent)
		require.Equal(t, before, imCounts(t, ctx, db, "acme"))

		// The default address, and SendParams.To overriding it.
		in, err := com.Send(ctx, params(priya, communication.SMS))
		require.NoError(t, err)
		require.Equal(t, "+919876543210", sender.sent[0].To)
		p := params(ahmed, communication.SMS)
		p.To = "+971501234567"
		in2, err := com.Send(ctx, p)
		require.NoError(t, err)
		require.Equal(t, "+971501234567", sender.sent[1].To)
		require.Equal(t, "أحمد منصور: code 1234", sender.sent[1].Body)
		require.Equal(t, communication.SMS, sender.sent[1].Channel)
		require.Equal(t, in2.ID, sender.sent[1].InteractionID)
		require.Equal(t, crmtype.WorkspaceID("acme"), sender.sent[1].Workspace)
		p = params(ahmed, communication.Email)
		p.To = "alt@example.ae"
		_, err = com.Send(ctx, p)
		require.NoError(t, err)
		require.Equal(t, "alt@example.ae", sender.sent[2].To, "To overrides the customer's email")
		p = params(ahmed, communication.Chat)
		p.To = "wa:+971501234567"
		_, err = com.Send(ctx, p)
		require.NoError(t, err)
		got, err := com.Interaction(ctx, in2.ID)
		require.NoError(t, err)
		require.Equal(t, communication.Outbound, got.Direction)
		require.Equal(t, communication.StatusSent, got.Status)
		require.Equal(t, "prov-2", got.ProviderID)
		require.Equal(t, ahmed.ID, got.CustomerID)
		require.Equal(t, "أحمد منصور: code 1234", got.Body)
		require.Equal(t, before["crm_interactions"]+4, countRows(t, ctx, db, "crm_interactions", "acme"))
		require.Equal(t, priya.ID, in.CustomerID)

		// A Sender answering with a provider id the channel already has.
		fixed := &imFixedSender{id: "dup-1"}
		dupClient, err := crm.New(db, &crm.Config{Clock: clock, Communication: communication.Config{Sender: fixed}})
		require.NoError(t, err)
		dcom := dupClient.Workspace("acme").Communication
		first, err := dcom.Send(ctx, params(priya, communication.Email))
		require.NoError(t, err)
		require.Equal(t, "dup-1", first.ProviderID)
		_, err = dcom.Send(ctx, params(ahmed, communication.Email))
		require.ErrorIs(t, err, crm.ErrConflict)
		var ce *crmtype.ConflictError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "provider_id", ce.Field)
		owner, err := dcom.InteractionByProvider(ctx, communication.Email, "dup-1")
		require.NoError(t, err)
		require.Equal(t, first.ID, owner.ID, "the provider id stays with the first message")
		onSMS, err := dcom.Send(ctx, params(priya, communication.SMS))
		require.NoError(t, err, "the same provider id on another channel is another message")
		require.Equal(t, "dup-1", onSMS.ProviderID)
	})
}

// ---- 5. two workspaces ----

// TestInteractionsMoreTwoWorkspaces: workspace B can neither see nor touch
// A's interactions, conversations and templates through any method; the
// same provider id lives in both independently; cursors do not cross
// workspaces or customers.
func TestInteractionsMoreTwoWorkspaces(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		sender := &fakeSender{}
		client, clock := imClient(t, db, communication.Config{Sender: sender})
		A, B := client.Workspace("acme"), client.Workspace("globex")
		ca, cb := A.Communication, B.Communication
		kim := mustCreate(t, ctx, A.Customers, customer.CreateParams{Name: "김민준", GivenName: "민준",
			Identities: []customer.IdentityParams{email("minjun@example.kr"), phone("+82 10 1234 5678")}})
		kim2 := mustCreate(t, ctx, A.Customers, customer.CreateParams{Name: "이서연"})
		lars := mustCreate(t, ctx, B.Customers, customer.CreateParams{Name: "Lars Ødegård", GivenName: "Lars",
			Identities: []customer.IdentityParams{email("lars@example.no")}})
		rec := func(com *communication.Service, c crmtype.ID, m int, pid, thread string) *communication.Interaction {
			t.Helper()
			in, err := com.Record(ctx, communication.InteractionParams{CustomerID: c, Channel: communication.Email, Direction: communication.Outbound,
				OccurredAt: t0.Add(time.Duration(m) * time.Minute), Subject: "s", Body: fmt.Sprintf("m%d", m), Status: communication.StatusSent,
				ProviderID: pid, ThreadID: thread})
			require.NoError(t, err)
			return in
		}
		a1 := rec(ca, kim.ID, 1, "shared-1", "th")
		a2 := rec(ca, kim.ID, 2, "only-a", "th")
		for m := 3; m < 6; m++ {
			rec(ca, kim.ID, m, "", "")
		}
		rec(ca, kim2.ID, 7, "", "")
		b1 := rec(cb, lars.ID, 1, "shared-1", "th")
		require.NotEqual(t, a1.ID, b1.ID, "the same provider id in two workspaces is two messages")
		require.NotEqual(t, a1.ConversationID, b1.ConversationID, "and two conversations, though their thread ids match")
		_, err := ca.SaveTemplate(ctx, communication.Template{Key: "hello", Channel: communication.Email, Subject: "Hi", Body: "안녕하세요 {{.Customer.GivenName}}"})
		require.NoError(t, err)
		snapA := dumpEventTables(t, ctx, db, "acme")
		countsA := imCounts(t, ctx, db, "acme")

		// Record and Ingest in B naming A's customer.
		_, err = cb.Record(ctx, communication.InteractionParams{CustomerID: kim.ID, Channel: communication.Email, Direction: communication.Inbound, OccurredAt: t0})
		require.ErrorIs(t, err, crm.ErrNotFound)
		rep, err := cb.Ingest(ctx, []communication.InteractionParams{
			{CustomerID: kim.ID, Channel: communication.Email, Direction: communication.Inbound, OccurredAt: t0, ProviderID: "only-a"},
			{CustomerID: lars.ID, Channel: communication.Email, Direction: communication.Outbound, OccurredAt: t0, ProviderID: "only-a"},
		})
		require.NoError(t, err)
		require.Equal(t, 1, rep.Failed)
		require.Equal(t, 0, rep.Errors[0].Row)
		require.ErrorIs(t, rep.Errors[0].Err, crm.ErrNotFound)
		require.Equal(t, 1, rep.Created, "B's own row with A's provider id is new in B")
		require.NotEqual(t, a2.ID, rep.IDs[1])
		// Reading A's records from B.
		_, err = cb.Interaction(ctx, a1.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		got, err := cb.InteractionByProvider(ctx, communication.Email, "shared-1")
		require.NoError(t, err)
		require.Equal(t, b1.ID, got.ID, "B sees its own message with the shared provider id")
		got, err = ca.InteractionByProvider(ctx, communication.Email, "shared-1")
		require.NoError(t, err)
		require.Equal(t, a1.ID, got.ID)
		_, err = cb.Conversation(ctx, a1.ConversationID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		page, err := cb.Interactions(ctx, communication.InteractionListParams{CustomerID: kim.ID})
		require.NoError(t, err)
		require.Empty(t, page.Items)
		convs, err := cb.Conversations(ctx, kim.ID, communication.ListParams{})
		require.NoError(t, err)
		require.Empty(t, convs.Items)
		msgs, err := cb.Messages(ctx, a1.ConversationID, communication.ListParams{})
		require.NoError(t, err)
		require.Empty(t, msgs.Items)
		// Changing A's records from B.
		_, err = cb.UpdateStatus(ctx, communication.StatusUpdate{InteractionID: a1.ID, Status: communication.StatusDelivered})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = cb.UpdateStatus(ctx, communication.StatusUpdate{Channel: communication.Email, ProviderID: "only-a", Status: communication.StatusBounced})
		require.NoError(t, err, "B's own only-a, ingested above")
		_, err = cb.UpdateStatus(ctx, communication.StatusUpdate{Channel: communication.Email, ProviderID: "shared-1", Status: communication.StatusOpened})
		require.NoError(t, err)
		got, err = ca.Interaction(ctx, a1.ID)
		require.NoError(t, err)
		require.Equal(t, communication.StatusSent, got.Status, "A's message with the shared provider id is untouched")
		got, err = ca.Interaction(ctx, a2.ID)
		require.NoError(t, err)
		require.Equal(t, communication.StatusSent, got.Status)
		got, err = cb.Interaction(ctx, b1.ID)
		require.NoError(t, err)
		require.Equal(t, communication.StatusOpened, got.Status)
		// Templates.
		ts, err := cb.Templates(ctx, "hello", communication.Email)
		require.NoError(t, err)
		require.Empty(t, ts)
		require.ErrorIs(t, cb.DeleteTemplate(ctx, "hello", communication.Email, ""), crm.ErrNotFound)
		_, err = cb.Render(ctx, communication.RenderParams{Key: "hello", Channel: communication.Email, CustomerID: lars.ID})
		imInvalid(t, err, "key", "A's template is not B's")
		_, err = cb.Render(ctx, communication.RenderParams{Key: "hello", Channel: communication.Email, CustomerID: kim.ID})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = cb.Send(ctx, communication.SendParams{Purpose: communication.PurposeService, RenderParams: communication.RenderParams{Key: "hello", Channel: communication.Email, CustomerID: kim.ID}})
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.Empty(t, sender.sent)
		_, err = cb.SaveTemplate(ctx, communication.Template{Key: "hello", Channel: communication.Email, Subject: "Hei", Body: "Hei {{.Customer.GivenName}}"})
		require.NoError(t, err)
		rb, err := cb.Render(ctx, communication.RenderParams{Key: "hello", Channel: communication.Email, CustomerID: lars.ID})
		require.NoError(t, err)
		require.Equal(t, "Hei Lars", rb.Body)
		sent, err := cb.Send(ctx, communication.SendParams{Purpose: communication.PurposeService, RenderParams: communication.RenderParams{Key: "hello", Channel: communication.Email, CustomerID: lars.ID}})
		require.NoError(t, err)
		require.Equal(t, "lars@example.no", sender.sent[0].To)
		_, err = ca.Interaction(ctx, sent.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		ra, err := ca.Render(ctx, communication.RenderParams{Key: "hello", Channel: communication.Email, CustomerID: kim.ID})
		require.NoError(t, err)
		require.Equal(t, "안녕하세요 민준", ra.Body, "A's template is untouched by B's of the same key")
		require.NoError(t, cb.DeleteTemplate(ctx, "hello", communication.Email, ""))
		ts, err = ca.Templates(ctx, "hello", communication.Email)
		require.NoError(t, err)
		require.Len(t, ts, 1)

		// A is byte for byte as it was, log included.
		require.Equal(t, countsA, imCounts(t, ctx, db, "acme"))
		require.Equal(t, snapA, dumpEventTables(t, ctx, db, "acme"))
		require.Empty(t, timelineAll(t, ctx, B, kim.ID, event.Query{}))
		audit, err := B.Events.Audit(ctx, event.AuditQuery{Subject: a1.ID})
		require.NoError(t, err)
		require.Empty(t, audit.Items, "B's audit does not show A's interaction")

		// Cursors do not cross workspaces, customers or lists.
		clock.Advance(time.Minute)
		pa, err := ca.Interactions(ctx, communication.InteractionListParams{CustomerID: kim.ID, Limit: 2})
		require.NoError(t, err)
		require.NotEmpty(t, pa.Next)
		_, err = cb.Interactions(ctx, communication.InteractionListParams{CustomerID: kim.ID, Limit: 2, After: pa.Next})
		imInvalid(t, err, "cursor", "A's cursor in B")
		_, err = cb.Interactions(ctx, communication.InteractionListParams{CustomerID: lars.ID, Limit: 2, After: pa.Next})
		imInvalid(t, err, "cursor", "A's cursor for B's customer")
		_, err = ca.Interactions(ctx, communication.InteractionListParams{CustomerID: kim2.ID, Limit: 2, After: pa.Next})
		imInvalid(t, err, "cursor", "another customer's cursor")
		_, err = ca.Interactions(ctx, communication.InteractionListParams{CustomerID: kim.ID, Channel: communication.Email, Limit: 2, After: pa.Next})
		imInvalid(t, err, "cursor", "another filter's cursor")
		_, err = ca.Messages(ctx, a1.ConversationID, communication.ListParams{Limit: 2, After: pa.Next})
		imInvalid(t, err, "cursor", "an interactions cursor for messages")
		_, err = ca.Interactions(ctx, communication.InteractionListParams{CustomerID: kim.ID, Limit: 2, After: pa.Next})
		require.NoError(t, err, "the cursor works where it came from")
		pc, err := ca.Conversations(ctx, kim.ID, communication.ListParams{Limit: 1})
		require.NoError(t, err)
		require.NotEmpty(t, pc.Next)
		_, err = cb.Conversations(ctx, kim.ID, communication.ListParams{Limit: 1, After: pc.Next})
		imInvalid(t, err, "cursor")
		_, err = ca.Conversations(ctx, kim2.ID, communication.ListParams{Limit: 1, After: pc.Next})
		imInvalid(t, err, "cursor")
		pm, err := ca.Messages(ctx, a1.ConversationID, communication.ListParams{Limit: 1})
		require.NoError(t, err)
		require.NotEmpty(t, pm.Next)
		_, err = cb.Messages(ctx, a1.ConversationID, communication.ListParams{Limit: 1, After: pm.Next})
		imInvalid(t, err, "cursor")
		_, err = ca.Messages(ctx, a2.ConversationID, communication.ListParams{Limit: 1, After: pm.Next})
		require.NoError(t, err, "a1 and a2 share their thread")
		other := rec(ca, kim.ID, 9, "", "")
		_, err = ca.Messages(ctx, other.ConversationID, communication.ListParams{Limit: 1, After: pm.Next})
		imInvalid(t, err, "cursor", "another conversation's cursor")
		tl, err := A.Events.Timeline(ctx, kim.ID, event.Query{Limit: 1})
		require.NoError(t, err)
		_, err = B.Events.Timeline(ctx, kim.ID, event.Query{Limit: 1, After: tl.Next})
		imInvalid(t, err, "cursor")
	})
}

// ---- 6. listing ----

// TestInteractionsMoreListing: filters by channel, direction and time;
// keyset paging sees every interaction once, newest first; a
// conversation's messages come oldest first.
func TestInteractionsMoreListing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		kat := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Катерина Шевченко"})
		noise := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Noise"})
		channels := []communication.Channel{communication.Email, communication.SMS, communication.Phone}
		var all []*communication.Interaction
		for i := 0; i < 25; i++ {
			dir := communication.Inbound
			if i%2 == 1 {
				dir = communication.Outbound
			}
			// Pairs share an OccurredAt: ties are broken by id. The order of
			// recording is not the order of occurrence.
			k := (i * 7) % 25
			in, err := com.Record(ctx, communication.InteractionParams{CustomerID: kat.ID, Channel: channels[i%3], Direction: dir,
				OccurredAt: t0.Add(time.Duration(k/2) * time.Hour), Body: fmt.Sprintf("сообщение %d", i)})
			require.NoError(t, err)
			all = append(all, in)
			clock.Advance(time.Second)
			_, err = com.Record(ctx, communication.InteractionParams{CustomerID: noise.ID, Channel: channels[i%3], Direction: dir,
				OccurredAt: t0.Add(time.Duration(k/2) * time.Hour), Body: "noise"})
			require.NoError(t, err)
		}
		filter := func(keep func(*communication.Interaction) bool) []*communication.Interaction {
			var out []*communication.Interaction
			for _, in := range all {
				if keep(in) {
					out = append(out, in)
				}
			}
			return out
		}

		// Every one once, newest first, over pages of 4.
		got := imInteractionsAll(t, ctx, com, communication.InteractionListParams{CustomerID: kat.ID, Limit: 4})
		require.Len(t, got, 25)
		require.Equal(t, imNewestFirst(all), imIDs(got))
		one, err := com.Interactions(ctx, communication.InteractionListParams{CustomerID: kat.ID})
		require.NoError(t, err)
		require.Equal(t, imIDs(got), imIDs(one.Items), "the default page holds them all")
		require.Empty(t, one.Next)

		// Filters, also paged.
		for _, ch := range channels {
			got := imInteractionsAll(t, ctx, com, communication.InteractionListParams{CustomerID: kat.ID, Channel: ch, Limit: 4})
			want := filter(func(in *communication.Interaction) bool { return in.Channel == ch })
			require.Equal(t, imNewestFirst(want), imIDs(got), ch)
		}
		got = imInteractionsAll(t, ctx, com, communication.InteractionListParams{CustomerID: kat.ID, Direction: communication.Outbound, Limit: 4})
		require.Equal(t, imNewestFirst(filter(func(in *communication.Interaction) bool { return in.Direction == communication.Outbound })), imIDs(got))
		from, to := t0.Add(3*time.Hour), t0.Add(8*time.Hour)
		got = imInteractionsAll(t, ctx, com, communication.InteractionListParams{CustomerID: kat.ID, From: from, To: to, Limit: 4})
		want := filter(func(in *communication.Interaction) bool {
			return !in.OccurredAt.Before(from) && in.OccurredAt.Before(to)
		})
		require.Len(t, want, 10, "[From, To) holds 5 pairs")
		require.Equal(t, imNewestFirst(want), imIDs(got))
		got = imInteractionsAll(t, ctx, com, communication.InteractionListParams{CustomerID: kat.ID, From: from.In(time.FixedZone("MSK", 3*3600)), Limit: 3})
		require.Equal(t, imNewestFirst(filter(func(in *communication.Interaction) bool { return !in.OccurredAt.Before(from) })), imIDs(got), "From in another zone")
		got = imInteractionsAll(t, ctx, com, communication.InteractionListParams{CustomerID: kat.ID, To: to, Limit: 5})
		require.Equal(t, imNewestFirst(filter(func(in *communication.Interaction) bool { return in.OccurredAt.Before(to) })), imIDs(got))
		got = imInteractionsAll(t, ctx, com, communication.InteractionListParams{CustomerID: kat.ID, Channel: communication.SMS,
			Direction: communication.Inbound, From: t0.Add(2 * time.Hour), Limit: 1})
		require.Equal(t, imNewestFirst(filter(func(in *communication.Interaction) bool {
			return in.Channel == communication.SMS && in.Direction == communication.Inbound && !in.OccurredAt.Before(t0.Add(2*time.Hour))
		})), imIDs(got))
		got = imInteractionsAll(t, ctx, com, communication.InteractionListParams{CustomerID: kat.ID, Channel: "wechat"})
		require.Empty(t, got)
		got = imInteractionsAll(t, ctx, com, communication.InteractionListParams{CustomerID: crmtype.NewID(t0)})
		require.Empty(t, got)

		// Bad list parameters.
		for _, c := range []struct {
			p     communication.InteractionListParams
			field string
		}{
			{communication.InteractionListParams{}, "customer_id"},
			{communication.InteractionListParams{CustomerID: kat.ID, Limit: -1}, "limit"},
			{communication.InteractionListParams{CustomerID: kat.ID, Limit: crmtype.MaxPageSize + 1}, "limit"},
			{communication.InteractionListParams{CustomerID: kat.ID, Channel: "E mail"}, "channel"},
			{communication.InteractionListParams{CustomerID: kat.ID, Direction: "up"}, "direction"},
			{communication.InteractionListParams{CustomerID: kat.ID, From: to, To: to}, "to"},
			{communication.InteractionListParams{CustomerID: kat.ID, From: to, To: from}, "to"},
			{communication.InteractionListParams{CustomerID: kat.ID, After: "!!not a cursor"}, "cursor"},
		} {
			_, err := com.Interactions(ctx, c.p)
			imInvalid(t, err, c.field, "%+v", c.p)
		}
		_, err = com.Conversations(ctx, crmtype.ID{}, communication.ListParams{})
		imInvalid(t, err, "customer_id")
		_, err = com.Conversations(ctx, kat.ID, communication.ListParams{Limit: -5})
		imInvalid(t, err, "limit")
		_, err = com.Messages(ctx, all[0].ConversationID, communication.ListParams{After: "%%%"})
		imInvalid(t, err, "cursor")

		// A conversation's messages, oldest first, ingested out of order.
		at := []int{40, 10, 30, 50, 20, 10}
		var rows []communication.InteractionParams
		for i, m := range at {
			rows = append(rows, communication.InteractionParams{CustomerID: kat.ID, Channel: communication.Chat, Direction: communication.Inbound,
				OccurredAt: t0.Add(time.Duration(m) * time.Minute), Body: fmt.Sprintf("чат %d", i), ThreadID: "session-42"})
		}
		rep, err := com.Ingest(ctx, rows)
		require.NoError(t, err)
		require.Equal(t, 6, rep.Created)
		first, err := com.Interaction(ctx, rep.IDs[0])
		require.NoError(t, err)
		msgs := imMessagesAll(t, ctx, com, first.ConversationID, 2)
		require.Len(t, msgs, 6)
		for i := 1; i < len(msgs); i++ {
			a, b := msgs[i-1], msgs[i]
			require.True(t, a.OccurredAt.Before(b.OccurredAt) || (a.OccurredAt.Equal(b.OccurredAt) && a.ID.String() < b.ID.String()), "oldest first")
		}
		require.ElementsMatch(t, rep.IDs, imIDs(msgs))
		conv, err := com.Conversation(ctx, first.ConversationID)
		require.NoError(t, err)
		require.Equal(t, 6, conv.Messages)
		require.Equal(t, t0.Add(10*time.Minute), conv.StartedAt)
		require.Equal(t, t0.Add(50*time.Minute), conv.LastAt)
		require.Equal(t, kat.ID, conv.CustomerID)
		require.Equal(t, communication.Chat, conv.Channel)
		require.Equal(t, "t:session-42", conv.ThreadKey)
		// A second batch into the same thread extends it.
		clock.Advance(time.Minute)
		rep, err = com.Ingest(ctx, []communication.InteractionParams{{CustomerID: kat.ID, Channel: communication.Chat, Direction: communication.Outbound,
			OccurredAt: t0.Add(5 * time.Minute), Body: "раньше всех", ThreadID: "session-42"}})
		require.NoError(t, err)
		msgs = imMessagesAll(t, ctx, com, first.ConversationID, 4)
		require.Len(t, msgs, 7)
		require.Equal(t, rep.IDs[0], msgs[0].ID)
		conv, err = com.Conversation(ctx, first.ConversationID)
		require.NoError(t, err)
		require.Equal(t, 7, conv.Messages)
		require.Equal(t, t0.Add(5*time.Minute), conv.StartedAt)
		_, err = com.Conversation(ctx, crmtype.NewID(t0))
		require.ErrorIs(t, err, crm.ErrNotFound)
		empty, err := com.Messages(ctx, crmtype.NewID(t0), communication.ListParams{})
		require.NoError(t, err)
		require.Empty(t, empty.Items)

		// Conversations: one per message without thread, plus the chat
		// thread, latest activity first.
		convs := imConversationsAll(t, ctx, com, kat.ID, 3)
		require.Len(t, convs, 26)
		for i := 1; i < len(convs); i++ {
			a, b := convs[i-1], convs[i]
			require.True(t, a.LastAt.After(b.LastAt) || (a.LastAt.Equal(b.LastAt) && a.ID.String() > b.ID.String()), "latest first")
		}
	})
}

// ---- 7. privacy ----

// TestInteractionsMorePrivacy: Export holds a customer's interactions and
// conversations; Erase keeps the interaction rows without their text, and
// no crm_ table holds the person's name, email, phone or message text;
// the timeline keeps the interaction entries without subject.
func TestInteractionsMorePrivacy(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crm.WithActor(context.Background(), "dpo")
		sender := &fakeSender{fail: map[string]bool{"wang.xm@example.cn": true}}
		client, clock := imClient(t, db, communication.Config{Sender: sender})
		ws := client.Workspace("acme")
		com := ws.Communication
		wang := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "王小明", GivenName: "小明",
			Identities: []customer.IdentityParams{email("wang.xm@example.cn"), phone("+86 137 1234 5678")}})
		amara := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Amara Nwosu",
			Identities: []customer.IdentityParams{email("amara@example.ng")}})
		clock.Advance(time.Minute)
		mail, err := com.Record(ctx, communication.InteractionParams{CustomerID: wang.ID, Channel: communication.Email, Direction: communication.Inbound,
			OccurredAt: t0.Add(-time.Hour), Subject: "丢失的包裹 ZX-9041", Body: "我的快递丢了，单号 ZX-9041，请回复 wang.xm@example.cn 或 13712345678",
			HTML: "<p>快递 <b>ZX-9041</b> 丢了</p>", Attachments: []communication.Attachment{{Name: "wang-receipt.pdf", Type: "application/pdf", URI: "s3://bucket/wang-receipt.pdf"}},
			Meta: map[string]string{"utm_source": "wang-newsletter"}, ProviderID: "<msg-1@mail.example>", ThreadID: "thr-0001"})
		require.NoError(t, err)
		reply, err := com.Record(ctx, communication.InteractionParams{CustomerID: wang.ID, Channel: communication.Email, Direction: communication.Outbound,
			OccurredAt: t0, Subject: "Re: 丢失的包裹 ZX-9041", Body: "Dear 小明, we found parcel ZX-9041 in Shenzhen", Status: communication.StatusSent,
			ProviderID: "<msg-2@mail.example>", ReplyTo: "<msg-1@mail.example>"})
		require.NoError(t, err)
		require.Equal(t, mail.ConversationID, reply.ConversationID)
		call, err := com.Record(ctx, communication.InteractionParams{CustomerID: wang.ID, Channel: communication.Phone, Direction: communication.Outbound,
			OccurredAt: t0.Add(10 * time.Minute), Duration: 3 * time.Minute, Outcome: communication.Connected, Subject: "Call re ZX-9041",
			Body: "小明 confirmed the new address"})
		require.NoError(t, err)
		clock.Advance(time.Minute)
		_, err = com.UpdateStatus(ctx, communication.StatusUpdate{Channel: communication.Email, ProviderID: "<msg-2@mail.example>",
			Status: communication.StatusBounced, Reason: "550 mailbox wang.xm@example.cn full"})
		require.NoError(t, err)
		_, err = com.SaveTemplate(ctx, communication.Template{Key: "notice", Channel: communication.Email, Subject: "Notice for {{.Customer.Name}}",
			Body: "Hello {{.Customer.GivenName}}, parcel {{.Data.parcel}} is ready"})
		require.NoError(t, err)
		clock.Advance(time.Minute)
		failed, err := com.Send(ctx, communication.SendParams{Purpose: communication.PurposeService, RenderParams: communication.RenderParams{Key: "notice", Channel: communication.Email,
			CustomerID: wang.ID, Data: map[string]any{"parcel": "ZX-9041"}}})
		require.Error(t, err, "the sender refuses the address")
		require.Equal(t, communication.StatusFailed, failed.Status)
		require.Contains(t, failed.StatusReason, "wang.xm@example.cn")
		require.Contains(t, failed.Body, "小明")
		kept, err := com.Record(ctx, communication.InteractionParams{CustomerID: amara.ID, Channel: communication.Chat, Direction: communication.Inbound,
			OccurredAt: t0, Subject: "bicycle", Body: "Amara's note: the blue bicycle", ThreadID: "thr-amara"})
		require.NoError(t, err)
		wangIDs := []crmtype.ID{mail.ID, reply.ID, call.ID, failed.ID}

		// Export: every interaction and conversation of the customer, and only those.
		bundle, err := ws.Privacy.Export(ctx, wang.ID)
		require.NoError(t, err)
		rows := bundle.Tables["crm_interactions"]
		require.ElementsMatch(t, namesOf(wangIDs, func(id crmtype.ID) any { return id.String() }), namesOf(rows, func(r map[string]any) any { return fmt.Sprint(r["id"]) }))
		bodies := namesOf(rows, func(r map[string]any) string { return fmt.Sprint(r["body"]) })
		require.Contains(t, bodies, mail.Body)
		convs := bundle.Tables["crm_conversations"]
		require.Len(t, convs, 3, "the email thread, the call, the sent notice")
		require.Contains(t, namesOf(convs, func(r map[string]any) string { return fmt.Sprint(r["subject"]) }), "丢失的包裹 ZX-9041")
		js, err := bundle.JSON()
		require.NoError(t, err)
		require.Contains(t, string(js), "wang-receipt.pdf")
		require.Contains(t, string(js), "wang-newsletter")
		require.NotContains(t, string(js), "blue bicycle", "another customer's message")
		require.NotContains(t, string(js), kept.ID.String())

		needles := []string{"王小明", "小明", "wang.xm@example.cn", "+8613712345678", "13712345678", "ZX-9041", "丢了", "快递",
			"wang-receipt", "wang-newsletter", "Shenzhen", "confirmed the new address", "mailbox wang", "包裹"}
		keptNeedles := []string{"Amara Nwosu", "amara@example.ng", "blue bicycle"}
		found := whereFound(crmText(t, ctx, db), append(append([]string{}, needles...), keptNeedles...))
		for _, n := range append(append([]string{}, needles...), keptNeedles...) {
			require.NotEmpty(t, found[n], "%q is nowhere before the erasure: the walk must see it", n)
		}
		timelineBefore := timelineAll(t, ctx, ws, wang.ID, event.Query{Types: []string{communication.EventInteractionRecorded}})
		require.Len(t, timelineBefore, 4)
		amaraBefore, err := com.Interaction(ctx, kept.ID)
		require.NoError(t, err)

		clock.Advance(time.Hour)
		rep, err := ws.Privacy.Erase(ctx, wang.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		require.Equal(t, int64(4), rep.Scrubbed["crm_interactions"])
		require.Equal(t, int64(3), rep.Scrubbed["crm_conversations"])

		// The rows are kept for the counts, without their text.
		require.Equal(t, 4, rowCount(t, ctx, db, "crm_interactions", "acme", wang.ID))
		require.Equal(t, 3, rowCount(t, ctx, db, "crm_conversations", "acme", wang.ID))
		for _, was := range []*communication.Interaction{mail, reply, call, failed} {
			got, err := com.Interaction(ctx, was.ID)
			require.NoError(t, err)
			require.Empty(t, got.Subject)
			require.Empty(t, got.Body)
			require.Empty(t, got.HTML)
			require.Empty(t, got.Attachments)
			require.Empty(t, got.Meta)
			require.Empty(t, got.StatusReason)
			require.Equal(t, was.Channel, got.Channel)
			require.Equal(t, was.Direction, got.Direction)
			require.Equal(t, was.OccurredAt, got.OccurredAt)
			require.Equal(t, was.Duration, got.Duration)
			require.Equal(t, was.ConversationID, got.ConversationID)
			require.Equal(t, wang.ID, got.CustomerID)
		}
		var raw struct {
			Attachments, Meta string
		}
		require.NoError(t, db.QueryRowContext(ctx, "SELECT attachments, meta FROM crm_interactions WHERE workspace_id = ? AND id = ?", "acme", mail.ID).
			Scan(&raw.Attachments, &raw.Meta))
		require.Equal(t, "[]", raw.Attachments)
		require.Equal(t, "{}", raw.Meta)
		list := imInteractionsAll(t, ctx, com, communication.InteractionListParams{CustomerID: wang.ID})
		require.ElementsMatch(t, wangIDs, imIDs(list), "still listed")
		for _, c := range imConversationsAll(t, ctx, com, wang.ID, 10) {
			require.Empty(t, c.Subject)
		}

		// No crm_ table holds the person or the messages.
		requireNowhere(t, ctx, db, needles)
		require.Len(t, whereFound(crmText(t, ctx, db), keptNeedles), len(keptNeedles), "Amara is kept")
		amaraAfter, err := com.Interaction(ctx, kept.ID)
		require.NoError(t, err)
		require.Equal(t, amaraBefore, amaraAfter)

		// The timeline still shows the interactions, without their subjects.
		tl := timelineAll(t, ctx, ws, wang.ID, event.Query{Types: []string{communication.EventInteractionRecorded}})
		require.Len(t, tl, 4)
		for i, e := range tl {
			require.Equal(t, timelineBefore[i].Subject, e.Subject)
			require.Equal(t, timelineBefore[i].Time, e.Time)
			_, has := imChange(e, "subject")
			require.False(t, has, "%+v", e.Changes)
			ch, ok := imChange(e, "channel")
			require.True(t, ok)
			require.NotEmpty(t, ch.After)
		}
		full := timelineAll(t, ctx, ws, wang.ID, event.Query{})
		require.Equal(t, customer.EventCustomerErased, full[0].Type)
		for _, e := range full {
			if e.Type == communication.EventInteractionStatusChanged {
				require.Empty(t, e.Changes, "the callback's reason is gone with the rest")
			}
		}
		// Export after erasure holds the rows, without the person.
		bundle, err = ws.Privacy.Export(ctx, wang.ID)
		require.NoError(t, err)
		require.Len(t, bundle.Tables["crm_interactions"], 4)
		js, err = bundle.JSON()
		require.NoError(t, err)
		for _, n := range needles {
			require.NotContains(t, strings.ToLower(string(js)), strings.ToLower(n))
		}
		// Nothing new can be recorded for the erased person.
		_, err = com.Record(ctx, communication.InteractionParams{CustomerID: wang.ID, Channel: communication.SMS, Direction: communication.Inbound, OccurredAt: t0})
		require.ErrorIs(t, err, crm.ErrNotFound)
	})
}

// TestInteractionsMoreEraseThreadIDs: the registry scrubs an interaction's
// thread_id and reply_to on erasure, so they must not survive elsewhere,
// e.g. in its conversation's thread key. A chat provider's thread id is
// often the person's own address (a WhatsApp number).
func TestInteractionsMoreEraseThreadIDs(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		p := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Mei Chen", Identities: []customer.IdentityParams{phone("+852 9123 4567")}})
		in, err := com.Record(ctx, communication.InteractionParams{CustomerID: p.ID, Channel: "whatsapp", Direction: communication.Inbound,
			OccurredAt: t0, Body: "hi", ThreadID: "whatsapp:+85291234567"})
		require.NoError(t, err)
		_, err = ws.Privacy.Erase(ctx, p.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		got, err := com.Interaction(ctx, in.ID)
		require.NoError(t, err)
		require.Empty(t, got.ThreadID, "the registry scrubs thread_id")
		found := whereFound(crmText(t, ctx, db), []string{"85291234567"})
		if len(found) > 0 {
			t.Errorf("BUG: the erased person's thread id survives erasure in %v: store/privacy.go scrubs crm_interactions.thread_id "+
				"but not crm_conversations.thread_key (\"t:\" + thread id, set by store/interaction.go placeInConversations)", found["85291234567"])
		}
	})
}

// ---- 8. merge ----

// TestInteractionsMoreMerge: a merge moves the absorbed customer's
// interactions and conversations to the survivor; Unmerge gives them back;
// a merge of companies moves the interactions' company.
func TestInteractionsMoreMerge(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		co1 := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Kind: customer.Company, Name: "北京科技有限公司"})
		clock.Advance(time.Minute)
		co2 := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Kind: customer.Company, Name: "Beijing Tech Ltd"})
		clock.Advance(time.Minute)
		ann := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Ann Lee", Identities: []customer.IdentityParams{email("ann@example.com")}})
		clock.Advance(time.Minute)
		anna := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Анна Ли", Identities: []customer.IdentityParams{email("anna@example.ru")}})
		at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
		call, err := com.Record(ctx, communication.InteractionParams{CustomerID: ann.ID, Channel: communication.Phone, Direction: communication.Inbound, OccurredAt: at(1)})
		require.NoError(t, err)
		rep, err := com.Ingest(ctx, []communication.InteractionParams{
			{CustomerID: anna.ID, Channel: communication.Email, Direction: communication.Inbound, OccurredAt: at(2), Subject: "Заказ", ThreadID: "t-anna", CompanyID: co2.ID},
			{CustomerID: anna.ID, Channel: communication.Email, Direction: communication.Outbound, OccurredAt: at(3), Subject: "Re: Заказ", ThreadID: "t-anna"},
			{CustomerID: anna.ID, Channel: communication.SMS, Direction: communication.Outbound, OccurredAt: at(4), Body: "Спасибо"},
		})
		require.NoError(t, err)
		require.Equal(t, 3, rep.Created)
		annaIDs := rep.IDs
		annaConvs := imConversationsAll(t, ctx, com, anna.ID, 10)
		require.Len(t, annaConvs, 2)
		interactionsOf := func(c crmtype.ID) []crmtype.ID {
			return imIDs(imInteractionsAll(t, ctx, com, communication.InteractionListParams{CustomerID: c, Limit: 2}))
		}
		timelineIDs := func(c crmtype.ID) []crmtype.ID {
			return namesOf(timelineAll(t, ctx, ws, c, event.Query{Types: []string{communication.EventInteractionRecorded}, Limit: 2}),
				func(e crmtype.Event) crmtype.ID { return e.Subject })
		}
		require.Equal(t, []crmtype.ID{annaIDs[2], annaIDs[1], annaIDs[0]}, interactionsOf(anna.ID))

		clock.Advance(time.Hour)
		res, err := ws.Customers.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{ann.ID, anna.ID}, Survivor: ann.ID})
		require.NoError(t, err)
		require.Equal(t, int64(3), res.Moved["crm_interactions"], "%v", res.Moved)
		require.Equal(t, int64(2), res.Moved["crm_conversations"], "%v", res.Moved)
		want := []crmtype.ID{annaIDs[2], annaIDs[1], annaIDs[0], call.ID}
		require.Equal(t, want, interactionsOf(ann.ID))
		require.Empty(t, interactionsOf(anna.ID))
		for _, id := range annaIDs {
			in, err := com.Interaction(ctx, id)
			require.NoError(t, err)
			require.Equal(t, ann.ID, in.CustomerID)
		}
		convs := imConversationsAll(t, ctx, com, ann.ID, 1)
		require.Len(t, convs, 3)
		for _, c := range convs {
			require.Equal(t, ann.ID, c.CustomerID)
		}
		require.Empty(t, imConversationsAll(t, ctx, com, anna.ID, 10))
		require.Equal(t, want, timelineIDs(ann.ID))
		require.Empty(t, timelineIDs(anna.ID))
		// A reply after the merge joins the moved thread.
		clock.Advance(time.Minute)
		late, err := com.Record(ctx, communication.InteractionParams{CustomerID: ann.ID, Channel: communication.Email, Direction: communication.Inbound,
			OccurredAt: at(5), Subject: "Re: Re: Заказ", ThreadID: "t-anna"})
		require.NoError(t, err)
		first, err := com.Interaction(ctx, annaIDs[0])
		require.NoError(t, err)
		require.Equal(t, first.ConversationID, late.ConversationID)

		// Unmerge gives the absorbed customer's records back.
		clock.Advance(time.Hour)
		_, err = ws.Customers.Unmerge(ctx, res.ID)
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{annaIDs[2], annaIDs[1], annaIDs[0]}, interactionsOf(anna.ID))
		require.Equal(t, []crmtype.ID{late.ID, call.ID}, interactionsOf(ann.ID), "what the survivor recorded after the merge stays")
		back := imConversationsAll(t, ctx, com, anna.ID, 10)
		require.ElementsMatch(t, namesOf(annaConvs, func(c *communication.Conversation) crmtype.ID { return c.ID }),
			namesOf(back, func(c *communication.Conversation) crmtype.ID { return c.ID }))
		require.Equal(t, []crmtype.ID{annaIDs[2], annaIDs[1], annaIDs[0]}, timelineIDs(anna.ID))
		require.Equal(t, []crmtype.ID{late.ID, call.ID}, timelineIDs(ann.ID))

		// A merge of companies moves the interactions' company, and back.
		clock.Advance(time.Hour)
		cres, err := ws.Customers.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{co1.ID, co2.ID}, Survivor: co1.ID})
		require.NoError(t, err)
		in, err := com.Interaction(ctx, annaIDs[0])
		require.NoError(t, err)
		require.Equal(t, co1.ID, in.CompanyID)
		clock.Advance(time.Hour)
		_, err = ws.Customers.Unmerge(ctx, cres.ID)
		require.NoError(t, err)
		in, err = com.Interaction(ctx, annaIDs[0])
		require.NoError(t, err)
		require.Equal(t, co2.ID, in.CompanyID)
	})
}

// ---- 9. timeline and audit ----

// TestInteractionsMoreTimelineAudit: interactions appear on the timeline
// at OccurredAt and filter by type; status changes appear too; the audit
// trail of an interaction lists its status changes newest first and ends
// with its recording, also one entry per page.
func TestInteractionsMoreTimelineAudit(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crm.WithActor(context.Background(), "agent:7")
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		sofia := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Sofía Martínez"})
		other := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Ole Nordmann"})
		i1, err := com.Record(ctx, communication.InteractionParams{CustomerID: sofia.ID, Channel: communication.Phone, Direction: communication.Inbound,
			OccurredAt: t0.Add(-48 * time.Hour), Duration: 2 * time.Minute, Outcome: communication.Connected})
		require.NoError(t, err)
		i2, err := com.Record(ctx, communication.InteractionParams{CustomerID: sofia.ID, Channel: communication.Email, Direction: communication.Outbound,
			OccurredAt: t0.Add(-24 * time.Hour), Subject: "Propuesta", Body: "Hola", Status: communication.StatusQueued, ProviderID: "<s1@x>", OwnerID: "agent:7"})
		require.NoError(t, err)
		i3, err := com.Record(ctx, communication.InteractionParams{CustomerID: sofia.ID, Channel: communication.Chat, Direction: communication.Inbound,
			OccurredAt: t0.Add(30 * time.Minute), Body: "¿Hola?"})
		require.NoError(t, err)
		_, err = com.Record(ctx, communication.InteractionParams{CustomerID: other.ID, Channel: communication.Chat, Direction: communication.Inbound,
			OccurredAt: t0.Add(31 * time.Minute), Body: "hei"})
		require.NoError(t, err)
		var statusAt []time.Time
		for _, st := range []communication.Status{communication.StatusSent, communication.StatusDelivered, communication.StatusOpened, communication.StatusDelivered} {
			statusAt = append(statusAt, clock.Advance(time.Hour))
			_, err := com.UpdateStatus(ctx, communication.StatusUpdate{Channel: communication.Email, ProviderID: "<s1@x>", Status: st})
			require.NoError(t, err)
		}

		// Only the interactions, at OccurredAt, newest first.
		tl := timelineAll(t, ctx, ws, sofia.ID, event.Query{Types: []string{communication.EventInteractionRecorded}})
		require.Equal(t, []crmtype.ID{i3.ID, i2.ID, i1.ID}, namesOf(tl, func(e crmtype.Event) crmtype.ID { return e.Subject }))
		for i, in := range []*communication.Interaction{i3, i2, i1} {
			e := tl[i]
			require.Equal(t, in.OccurredAt, e.Time)
			require.Equal(t, in.ID, e.ID)
			require.Equal(t, sofia.ID, e.Customer)
			require.Equal(t, communication.SubjectInteraction, e.SubjectType)
			require.Equal(t, crmtype.WorkspaceID("acme"), e.Workspace)
			ch, ok := imChange(e, "channel")
			require.True(t, ok)
			require.Equal(t, string(in.Channel), ch.After)
			ch, ok = imChange(e, "conversation_id")
			require.True(t, ok)
			require.Equal(t, in.ConversationID.String(), ch.After)
		}
		sub, ok := imChange(tl[1], "subject")
		require.True(t, ok)
		require.Equal(t, "Propuesta", sub.After)
		st, ok := imChange(tl[1], "status")
		require.True(t, ok)
		require.Equal(t, "opened", st.After, "the entry shows the current status")
		dur, ok := imChange(tl[2], "duration_ms")
		require.True(t, ok)
		require.Equal(t, float64(120000), dur.After)

		// The status changes, newest first, every callback recorded.
		sc := timelineAll(t, ctx, ws, sofia.ID, event.Query{Types: []string{communication.EventInteractionStatusChanged}})
		require.Len(t, sc, 4)
		wantStatus := []crmtype.Change{{Field: "status", Before: "opened", After: "opened"}, {Field: "status", Before: "delivered", After: "opened"},
			{Field: "status", Before: "sent", After: "delivered"}, {Field: "status", Before: "queued", After: "sent"}}
		for i, e := range sc {
			require.Equal(t, i2.ID, e.Subject)
			require.Equal(t, "agent:7", e.Actor)
			require.Equal(t, statusAt[3-i], e.Time)
			c, ok := imChange(e, "status")
			require.True(t, ok)
			require.Equal(t, wantStatus[i], c)
		}

		// The whole timeline: the log's events and the interactions merged
		// by time, the same one entry per page.
		full := timelineAll(t, ctx, ws, sofia.ID, event.Query{})
		require.Equal(t, []string{communication.EventInteractionStatusChanged, communication.EventInteractionStatusChanged,
			communication.EventInteractionStatusChanged, communication.EventInteractionStatusChanged, communication.EventInteractionRecorded,
			customer.EventCustomerCreated, communication.EventInteractionRecorded, communication.EventInteractionRecorded}, imTypes(full))
		paged := timelineAll(t, ctx, ws, sofia.ID, event.Query{Limit: 1})
		require.Equal(t, full, paged)
		both := timelineAll(t, ctx, ws, sofia.ID, event.Query{Types: []string{communication.EventInteractionRecorded, communication.EventInteractionStatusChanged}, Limit: 3})
		require.Len(t, both, 7)
		window := timelineAll(t, ctx, ws, sofia.ID, event.Query{From: t0.Add(-30 * time.Hour), To: t0})
		require.Equal(t, []crmtype.ID{i2.ID}, namesOf(window, func(e crmtype.Event) crmtype.ID { return e.Subject }), "[From, To) applies to interactions")
		window = timelineAll(t, ctx, ws, sofia.ID, event.Query{From: t0, To: t0.Add(45 * time.Minute), Limit: 1})
		require.Equal(t, []string{communication.EventInteractionRecorded, customer.EventCustomerCreated}, imTypes(window))

		// The audit trail of the message: status changes newest first, then its recording.
		trail := auditAll(t, ctx, ws, event.AuditQuery{Subject: i2.ID})
		require.Equal(t, []string{communication.EventInteractionStatusChanged, communication.EventInteractionStatusChanged,
			communication.EventInteractionStatusChanged, communication.EventInteractionStatusChanged, communication.EventInteractionRecorded}, imTypes(trail))
		require.Equal(t, i2.OccurredAt, trail[4].Time)
		require.Equal(t, sc, trail[:4])
		for _, limit := range []int{1, 2, 4, 5} {
			paged := auditAll(t, ctx, ws, event.AuditQuery{Subject: i2.ID, Query: event.Query{Limit: limit}})
			require.Equal(t, trail, paged, "limit %d", limit)
		}
		only := auditAll(t, ctx, ws, event.AuditQuery{Subject: i2.ID, Query: event.Query{Types: []string{communication.EventInteractionRecorded}}})
		require.Equal(t, []string{communication.EventInteractionRecorded}, imTypes(only))
		only = auditAll(t, ctx, ws, event.AuditQuery{Subject: i2.ID, Query: event.Query{Types: []string{communication.EventInteractionStatusChanged}, Limit: 1}})
		require.Len(t, only, 4)
		only = auditAll(t, ctx, ws, event.AuditQuery{Subject: i2.ID, SubjectType: communication.SubjectInteraction, Query: event.Query{Limit: 2}})
		require.Equal(t, trail, only)
		only = auditAll(t, ctx, ws, event.AuditQuery{Subject: i2.ID, SubjectType: customer.SubjectCustomer})
		require.Empty(t, only)
		only = auditAll(t, ctx, ws, event.AuditQuery{Subject: i1.ID, Query: event.Query{Limit: 1}})
		require.Equal(t, []string{communication.EventInteractionRecorded}, imTypes(only))
		require.Equal(t, i1.OccurredAt, only[0].Time)

		// The log holds one interactions.recorded event per call, without text.
		var recorded []crmtype.Event
		for _, e := range eventLog(t, ctx, db, "acme") {
			if e.Type == communication.EventInteractionsRecorded {
				recorded = append(recorded, e)
			}
		}
		require.Len(t, recorded, 4)
		require.Equal(t, i2.ID.String(), recorded[1].Changes[0].Field)
		m, ok := recorded[1].Changes[0].After.(map[string]any)
		require.True(t, ok)
		require.Equal(t, sofia.ID.String(), m["customer_id"])
		require.Equal(t, "<s1@x>", m["provider_id"])
		require.NotContains(t, m, "subject")
		require.True(t, recorded[1].Customer.IsZero())
	})
}

// TestInteractionsMoreStatusCallbacks: UpdateStatus validation, final
// states, and a callback naming an inbound message.
func TestInteractionsMoreStatusCallbacks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Tanaka Yūki 田中"})
		out, err := com.Record(ctx, communication.InteractionParams{CustomerID: c.ID, Channel: communication.Email, Direction: communication.Outbound,
			OccurredAt: t0, Status: communication.StatusSent, ProviderID: "<o@x>"})
		require.NoError(t, err)
		before := imCounts(t, ctx, db, "acme")
		for _, bad := range []struct {
			u     communication.StatusUpdate
			field string
		}{
			{communication.StatusUpdate{InteractionID: out.ID, Status: "lost"}, "status"},
			{communication.StatusUpdate{InteractionID: out.ID}, "status"},
			{communication.StatusUpdate{Status: communication.StatusOpened}, "channel"},
			{communication.StatusUpdate{Channel: communication.Email, Status: communication.StatusOpened}, "provider_id"},
			{communication.StatusUpdate{InteractionID: out.ID, Status: communication.StatusBounced, Reason: "\xff"}, "reason"},
			{communication.StatusUpdate{InteractionID: out.ID, Status: communication.StatusBounced, Reason: strings.Repeat("r", 1001)}, "reason"},
		} {
			_, err := com.UpdateStatus(ctx, bad.u)
			imInvalid(t, err, bad.field, "%+v", bad.u)
		}
		_, err = com.UpdateStatus(ctx, communication.StatusUpdate{InteractionID: crmtype.NewID(t0), Status: communication.StatusOpened})
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.Equal(t, before, imCounts(t, ctx, db, "acme"))

		// Bounced is final; the reason is kept; later callbacks are logged only.
		clock.Advance(time.Minute)
		got, err := com.UpdateStatus(ctx, communication.StatusUpdate{InteractionID: out.ID, Status: communication.StatusBounced, Reason: "550 no such user"})
		require.NoError(t, err)
		require.Equal(t, communication.StatusBounced, got.Status)
		require.Equal(t, communication.Bounced, got.Outcome)
		require.Equal(t, "550 no such user", got.StatusReason)
		got, err = com.UpdateStatus(ctx, communication.StatusUpdate{Channel: communication.Email, ProviderID: "<o@x>", Status: communication.StatusReplied})
		require.NoError(t, err)
		require.Equal(t, communication.StatusBounced, got.Status, "nothing moves a final state")
		stored, err := com.Interaction(ctx, out.ID)
		require.NoError(t, err)
		require.Equal(t, got, stored)
		require.Equal(t, clock.Now(), stored.UpdatedAt)
		require.Equal(t, before["crm_events"]+2, countRows(t, ctx, db, "crm_events", "acme"))
	})
}

// TestInteractionsMoreStatusOnInbound: a delivery callback for an inbound
// message must not give it a delivery status, which Record refuses for
// inbound messages ("status is for outbound messages only").
func TestInteractionsMoreStatusOnInbound(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Kwame Mensah"})
		in, err := com.Record(ctx, communication.InteractionParams{CustomerID: c.ID, Channel: communication.Email, Direction: communication.Inbound,
			OccurredAt: t0, Body: "hello", ProviderID: "<in@x>"})
		require.NoError(t, err)
		got, err := com.UpdateStatus(ctx, communication.StatusUpdate{Channel: communication.Email, ProviderID: "<in@x>", Status: communication.StatusDelivered})
		if err == nil && got.Status != "" {
			t.Errorf("BUG: UpdateStatus gives inbound interaction %s the delivery status %q (store/interaction.go SetStatus applies any "+
				"status that Advances from \"\"; Record rejects a status on an inbound message)", in.ID, got.Status)
		}
		if err != nil {
			require.ErrorIs(t, err, crm.ErrInvalid)
		}
		stored, err := com.Interaction(ctx, in.ID)
		require.NoError(t, err)
		require.Empty(t, stored.Status)
	})
}

// TestInteractionsMoreIngestRerunDuplicates: re-running a batch that holds
// a stored message twice reports, for both rows, the stored message's id.
func TestInteractionsMoreIngestRerunDuplicates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Nguyễn Văn An"})
		row := communication.InteractionParams{CustomerID: c.ID, Channel: communication.Email, Direction: communication.Inbound,
			OccurredAt: t0, Body: "Xin chào", ProviderID: "<dup@x>"}
		batch := []communication.InteractionParams{row, row, row}
		rep, err := com.Ingest(ctx, batch)
		require.NoError(t, err)
		require.Equal(t, 1, rep.Created)
		require.Equal(t, 2, rep.Skipped)
		require.Equal(t, []crmtype.ID{rep.IDs[0], rep.IDs[0], rep.IDs[0]}, rep.IDs)
		clock.Advance(time.Hour)
		again, err := com.Ingest(ctx, batch)
		require.NoError(t, err)
		require.Equal(t, 3, again.Skipped)
		require.Equal(t, 1, countRows(t, ctx, db, "crm_interactions", "acme"))
		require.Equal(t, rep.IDs[0], again.IDs[0])
		for i, id := range again.IDs {
			if id != rep.IDs[0] {
				_, err := com.Interaction(ctx, id)
				t.Errorf("BUG: re-ingesting a stored message given %d times in one batch reports for row %d the id %s of an interaction "+
					"that was never stored (Interaction: %v); store/interaction.go InsertInteractions points later duplicates at the first "+
					"row's in-memory interaction, and only the first row is corrected to the stored one after the insert conflicts", len(batch), i, id, err)
			}
		}
	})
}

// TestInteractionsMoreRerunNewThreadID: re-recording a stored message
// that now names another thread stores nothing, so it must not leave an
// empty conversation behind.
func TestInteractionsMoreRerunNewThreadID(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Fatima Zahra"})
		row := communication.InteractionParams{CustomerID: c.ID, Channel: communication.Email, Direction: communication.Inbound,
			OccurredAt: t0, Body: "Salam", ProviderID: "<p1@x>", ThreadID: "T1"}
		first, err := com.Record(ctx, row)
		require.NoError(t, err)
		clock.Advance(time.Hour)
		row.ThreadID = "T2"
		again, err := com.Record(ctx, row)
		require.NoError(t, err)
		require.Equal(t, first.ID, again.ID)
		require.Equal(t, first.ConversationID, again.ConversationID)
		row.ThreadID, row.ReplyTo = "", "<never-seen@x>"
		_, err = com.Ingest(ctx, []communication.InteractionParams{row})
		require.NoError(t, err)
		convs := imConversationsAll(t, ctx, com, c.ID, 10)
		if len(convs) != 1 {
			t.Errorf("BUG: re-recording a stored message under another thread leaves %d conversations, %d of them empty "+
				"(store/interaction.go InsertInteractions runs placeInConversations, which inserts the conversation, before the "+
				"insert finds the message already stored)", len(convs), len(convs)-1)
		}
		require.Equal(t, 1, convs[0].Messages)
	})
}

// TestInteractionsMorePurgeCompany: purging a company that interactions
// name must not leave them naming a customer that no longer exists (the
// design: children reference parents through composite foreign keys).
func TestInteractionsMorePurgeCompany(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		co := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Kind: customer.Company, Name: "Société Générale de Test"})
		p := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Jean Dupont"})
		in, err := ws.Communication.Record(ctx, communication.InteractionParams{CustomerID: p.ID, CompanyID: co.ID, Channel: communication.Visit,
			Direction: communication.Outbound, OccurredAt: t0, Subject: "Visite"})
		require.NoError(t, err)
		err = ws.Customers.Purge(ctx, co.ID)
		if err != nil {
			require.ErrorIs(t, err, crm.ErrConflict, "the company is still referenced")
			return
		}
		got, err := ws.Communication.Interaction(ctx, in.ID)
		require.NoError(t, err)
		if !got.CompanyID.IsZero() {
			_, gerr := ws.Customers.GetIncludingDeleted(ctx, got.CompanyID)
			t.Errorf("BUG: after Purge of company %s, interaction %s still names it as CompanyID (Get: %v): crm_interactions.company_id "+
				"has no foreign key (store/migrations/*/20261125000005_interactions.tx.up.sql) and PurgeCustomer neither refuses nor clears it",
				co.ID, in.ID, gerr)
		}
	})
}
