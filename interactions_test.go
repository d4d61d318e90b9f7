package crm_test

import (
	"context"
	"fmt"
	"sync"
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
)

func countRows(t *testing.T, ctx context.Context, db *bun.DB, table, ws string) int {
	t.Helper()
	n, err := db.NewSelect().TableExpr(table).Where("workspace_id = ?", ws).Count(ctx)
	require.NoError(t, err)
	return int(n)
}

// TestIngestConcurrentIdempotent: 8 goroutines ingest the same 10,000
// messages (in batches, in different orders); each is stored once, in one
// conversation per thread, with the conversations' counts exact.
func TestIngestConcurrentIdempotent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		cs := make([]*customer.Customer, 20)
		for i := range cs {
			cs[i] = mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: fmt.Sprintf("客户 %d", i)})
		}
		const n, threads = 10_000, 500
		msgs := make([]communication.InteractionParams, n)
		for i := range msgs {
			th := i % threads
			msgs[i] = communication.InteractionParams{CustomerID: cs[th%len(cs)].ID, Channel: communication.Email,
				Direction: communication.Inbound, OccurredAt: t0.Add(time.Duration(i) * time.Second),
				Subject: fmt.Sprintf("thread %d", th), Body: "hello", ProviderID: fmt.Sprintf("<m%d@example.com>", i),
				ThreadID: fmt.Sprintf("t%d", th)}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				const batch = 1000
				for b := 0; b < n/batch; b++ {
					k := (b + w) % (n / batch) // each worker starts elsewhere
					rep, err := ws.Communication.Ingest(ctx, msgs[k*batch:(k+1)*batch])
					if err != nil {
						errs <- err
						return
					}
					if rep.Created+rep.Skipped != batch || rep.Failed != 0 {
						errs <- fmt.Errorf("worker %d: %+v", w, rep)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Equal(t, n, countRows(t, ctx, db, "crm_interactions", "acme"))
		require.Equal(t, threads, countRows(t, ctx, db, "crm_conversations", "acme"))
		var total int
		require.NoError(t, db.NewSelect().TableExpr("crm_conversations").ColumnExpr("sum(messages)").Where("workspace_id = ?", "acme").Scan(ctx, &total))
		require.Equal(t, n, total)
		conv, err := ws.Communication.Conversations(ctx, cs[3].ID, communication.ListParams{Limit: 100})
		require.NoError(t, err)
		require.Len(t, conv.Items, threads/len(cs))
		for _, c := range conv.Items {
			require.Equal(t, n/threads, c.Messages)
			require.Equal(t, cs[3].ID, c.CustomerID)
		}
		// Every interaction has been recorded exactly once in the log.
		log := eventLog(t, ctx, db, "acme")
		seen := map[string]int{}
		for _, e := range log {
			if e.Type == communication.EventInteractionsRecorded {
				for _, c := range e.Changes {
					seen[c.Field]++
				}
			}
		}
		require.Len(t, seen, n)
		for _, k := range seen {
			require.Equal(t, 1, k)
		}
	})
}

// TestConversationsThreading covers the threading rules: a thread id, a
// reply to a stored message, a reply ingested before its parent, and
// messages without provider ids.
func TestConversationsThreading(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		zhang := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "张三"})
		li := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "李四"})
		com := ws.Communication
		at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

		first, err := com.Record(ctx, communication.InteractionParams{CustomerID: zhang.ID, Channel: communication.Email,
			Direction: communication.Inbound, OccurredAt: at(0), Subject: "订单问题", Body: "我的订单没有到", ProviderID: "<a@x>"})
		require.NoError(t, err)
		reply, err := com.Record(ctx, communication.InteractionParams{CustomerID: zhang.ID, Channel: communication.Email,
			Direction: communication.Outbound, OccurredAt: at(5), Subject: "Re: 订单问题", Body: "we are on it", ProviderID: "<b@x>", ReplyTo: "<a@x>"})
		require.NoError(t, err)
		require.Equal(t, first.ConversationID, reply.ConversationID)
		again, err := com.Record(ctx, communication.InteractionParams{CustomerID: zhang.ID, Channel: communication.Email,
			Direction: communication.Outbound, OccurredAt: at(5), Body: "a different body", ProviderID: "<b@x>"})
		require.NoError(t, err, "recording a stored message again returns it")
		require.Equal(t, reply.ID, again.ID)
		require.Equal(t, "we are on it", again.Body)

		// A reply ingested before its parent: both end in one conversation.
		rep, err := com.Ingest(ctx, []communication.InteractionParams{
			{CustomerID: li.ID, Channel: communication.Email, Direction: communication.Inbound, OccurredAt: at(20), Body: "re", ProviderID: "<d@x>", ReplyTo: "<c@x>"},
			{CustomerID: li.ID, Channel: communication.Chat, Direction: communication.Inbound, OccurredAt: at(21), Body: "hi", ThreadID: "session-1"},
			{CustomerID: li.ID, Channel: communication.Chat, Direction: communication.Outbound, OccurredAt: at(22), Body: "hello", ThreadID: "session-1"},
			{CustomerID: li.ID, Channel: communication.Phone, Direction: communication.Outbound, OccurredAt: at(23), Duration: 3 * time.Minute, Outcome: communication.Connected},
		})
		require.NoError(t, err)
		require.Equal(t, 4, rep.Created)
		clock.Advance(time.Hour)
		parent, err := com.Record(ctx, communication.InteractionParams{CustomerID: li.ID, Channel: communication.Email,
			Direction: communication.Outbound, OccurredAt: at(10), Subject: "Offer", Body: "offer", ProviderID: "<c@x>"})
		require.NoError(t, err)
		child, err := com.Interaction(ctx, rep.IDs[0])
		require.NoError(t, err)
		require.Equal(t, child.ConversationID, parent.ConversationID)
		conv, err := com.Conversation(ctx, parent.ConversationID)
		require.NoError(t, err)
		require.Equal(t, 2, conv.Messages)
		require.Equal(t, at(10), conv.StartedAt)
		require.Equal(t, at(20), conv.LastAt)
		require.Equal(t, "Offer", conv.Subject, "the subject of the first message that has one")

		// Li's conversations, latest activity first, one per page.
		var got []*communication.Conversation
		for after := crmtype.Cursor(""); ; {
			page, err := com.Conversations(ctx, li.ID, communication.ListParams{Limit: 1, After: after})
			require.NoError(t, err)
			got = append(got, page.Items...)
			if after = page.Next; after == "" {
				break
			}
		}
		require.Len(t, got, 3)
		require.Equal(t, communication.Phone, got[0].Channel)
		require.Equal(t, communication.Chat, got[1].Channel)
		require.Equal(t, 2, got[1].Messages)
		require.Equal(t, parent.ConversationID, got[2].ID)
		msgs, err := com.Messages(ctx, got[1].ID, communication.ListParams{Limit: 1})
		require.NoError(t, err)
		require.Len(t, msgs.Items, 1)
		require.Equal(t, "hi", msgs.Items[0].Body, "oldest first")
		msgs, err = com.Messages(ctx, got[1].ID, communication.ListParams{Limit: 1, After: msgs.Next})
		require.NoError(t, err)
		require.Equal(t, "hello", msgs.Items[0].Body)

		// The timeline shows the interactions where they occurred, among the
		// customer's events.
		tl := timelineAll(t, ctx, ws, li.ID, event.Query{Limit: 2})
		var types []string
		for _, e := range tl {
			types = append(types, e.Type)
		}
		require.Equal(t, []string{communication.EventInteractionRecorded, communication.EventInteractionRecorded,
			communication.EventInteractionRecorded, communication.EventInteractionRecorded, communication.EventInteractionRecorded,
			customer.EventCustomerCreated}, types)
		require.Equal(t, at(23), tl[0].Time)
		audit, err := ws.Events.Audit(ctx, event.AuditQuery{Subject: parent.ID})
		require.NoError(t, err)
		require.Len(t, audit.Items, 1)
		require.Equal(t, communication.EventInteractionRecorded, audit.Items[0].Type)
		require.Equal(t, li.ID, audit.Items[0].Customer)
	})
}

// fakeSender records what it is asked to send; it fails for addresses in fail.
type fakeSender struct {
	mu   sync.Mutex
	sent []communication.Message
	fail map[string]bool
}

func (f *fakeSender) Send(_ context.Context, m communication.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail[m.To] {
		return "", fmt.Errorf("mailbox %s unavailable", m.To)
	}
	f.sent = append(f.sent, m)
	return fmt.Sprintf("prov-%d", len(f.sent)), nil
}

func TestSendAndCallbacks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		sender := &fakeSender{fail: map[string]bool{"bad@example.com": true}}
		clock := crmtype.NewManualClock(t0)
		client, err := crm.New(db, &crm.Config{Clock: clock, Communication: communication.Config{Sender: sender}})
		require.NoError(t, err)
		ws := client.Workspace("acme")
		com := ws.Communication
		zhang := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "张三", GivenName: "三", Locale: "zh-Hant-TW",
			Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "zhang@example.cn"}}})
		ann := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Ann <b>Lee</b>", Locale: "en-GB",
			Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "bad@example.com"}}})
		for _, tp := range []communication.Template{
			{Key: "shipped", Channel: communication.Email, Subject: "Order {{.Data.order}} shipped", Body: "Hi {{.Customer.Name}}, order {{.Data.order}} is on its way.",
				HTML: "<p>Hi {{.Customer.Name}}, order {{.Data.order}} is on its way.</p>"},
			{Key: "shipped", Channel: communication.Email, Locale: "zh-Hant", Subject: "訂單 {{.Data.order}} 已發貨", Body: "{{.Customer.GivenName}}，您的訂單 {{.Data.order}} 已發貨。"},
		} {
			_, err := com.SaveTemplate(ctx, tp)
			require.NoError(t, err)
		}
		in, err := com.Send(ctx, communication.SendParams{Purpose: communication.PurposeService, RenderParams: communication.RenderParams{Key: "shipped", Channel: communication.Email,
			CustomerID: zhang.ID, Data: map[string]any{"order": "A-1"}}})
		require.NoError(t, err)
		require.Equal(t, communication.StatusSent, in.Status)
		require.Equal(t, "prov-1", in.ProviderID)
		require.Equal(t, "三，您的訂單 A-1 已發貨。", in.Body)
		require.Equal(t, "zhang@example.cn", sender.sent[0].To)
		require.Equal(t, "zh-Hant", sender.sent[0].Locale)

		// A missing variable is an error, and nothing is sent or recorded.
		_, err = com.Send(ctx, communication.SendParams{Purpose: communication.PurposeService, RenderParams: communication.RenderParams{Key: "shipped", Channel: communication.Email,
			CustomerID: zhang.ID}})
		require.ErrorIs(t, err, crm.ErrInvalid)
		require.Len(t, sender.sent, 1)
		require.Equal(t, 1, countRows(t, ctx, db, "crm_interactions", "acme"))

		// The default template, HTML escaped; the sender fails: recorded as failed.
		failed, err := com.Send(ctx, communication.SendParams{Purpose: communication.PurposeService, RenderParams: communication.RenderParams{Key: "shipped", Channel: communication.Email,
			CustomerID: ann.ID, Data: map[string]any{"order": "B-2"}}})
		require.Error(t, err)
		require.Contains(t, err.Error(), "mailbox bad@example.com unavailable")
		require.Equal(t, communication.StatusFailed, failed.Status)
		require.Contains(t, failed.HTML, "Ann &lt;b&gt;Lee&lt;/b&gt;")
		require.Equal(t, "Hi Ann <b>Lee</b>, order B-2 is on its way.", failed.Body)

		// Delivery callbacks, out of order: the status only moves forward.
		for _, st := range []communication.Status{communication.StatusOpened, communication.StatusDelivered, communication.StatusReplied} {
			clock.Advance(time.Minute)
			_, err := com.UpdateStatus(ctx, communication.StatusUpdate{Channel: communication.Email, ProviderID: "prov-1", Status: st})
			require.NoError(t, err)
		}
		got, err := com.Interaction(ctx, in.ID)
		require.NoError(t, err)
		require.Equal(t, communication.StatusReplied, got.Status)
		require.Equal(t, communication.Replied, got.Outcome)
		_, err = com.UpdateStatus(ctx, communication.StatusUpdate{Channel: communication.Email, ProviderID: "nope", Status: communication.StatusOpened})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = client.Workspace("other").Communication.UpdateStatus(ctx, communication.StatusUpdate{Channel: communication.Email, ProviderID: "prov-1", Status: communication.StatusBounced})
		require.ErrorIs(t, err, crm.ErrNotFound, "another workspace's message")
		changes := timelineAll(t, ctx, ws, zhang.ID, event.Query{Types: []string{communication.EventInteractionStatusChanged}})
		require.Len(t, changes, 4, "sent, opened, delivered (not applied), replied")
		require.Equal(t, crmtype.Change{Field: "status", Before: "opened", After: "opened"}, changes[1].Changes[0])
	})
}
