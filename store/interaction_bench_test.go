package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/dbtest"
)

// rawConversation and rawInteraction are the rows Ingest stores, as plain
// bun writes them.
type rawConversation struct {
	bun.BaseModel `bun:"table:crm_conversations"`

	WorkspaceID string     `bun:"workspace_id"`
	ID          crmtype.ID `bun:"id,type:uuid"`
	CustomerID  crmtype.ID `bun:"customer_id,type:uuid"`
	Channel     string     `bun:"channel"`
	ThreadKey   string     `bun:"thread_key"`
	Subject     string     `bun:"subject"`
	StartedAt   time.Time  `bun:"started_at"`
	LastAt      time.Time  `bun:"last_at"`
	Messages    int        `bun:"messages"`
}

type rawInteraction struct {
	bun.BaseModel `bun:"table:crm_interactions"`

	WorkspaceID    string     `bun:"workspace_id"`
	ID             crmtype.ID `bun:"id,type:uuid"`
	CustomerID     crmtype.ID `bun:"customer_id,type:uuid"`
	ConversationID crmtype.ID `bun:"conversation_id,type:uuid"`
	Channel        string     `bun:"channel"`
	Direction      string     `bun:"direction"`
	OccurredAt     time.Time  `bun:"occurred_at"`
	Subject        string     `bun:"subject"`
	Body           string     `bun:"body"`
	ProviderID     string     `bun:"provider_id"`
	ThreadID       string     `bun:"thread_id"`
	CreatedAt      time.Time  `bun:"created_at"`
	UpdatedAt      time.Time  `bun:"updated_at"`
}

// BenchmarkIngest sets Ingest of 1,000 emails (threads of 5, for 2,000
// customers) beside plain bun inserts of the same interaction and
// conversation rows in one transaction. With -benchtime 100x each side
// stores 100,000 interactions; the target is at least half the raw rate.
//
//	go test ./store -run '^$' -bench Ingest -benchtime 100x
func BenchmarkIngest(b *testing.B) {
	const batch, perThread = 1000, 5
	body := "Hello, I would like to know when my order ships. 你好，我想知道我的订单什么时候发货。 Thanks!"
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			rawDB, sdkDB := dbtest.Open(b, kind), dbtest.Open(b, kind)
			rawCustomers, _ := seedReads(b, rawDB, 2000)
			sdkCustomers, _ := seedReads(b, sdkDB, 2000)
			b.Run("raw", func(b *testing.B) {
				ctx := context.Background()
				ins := make([]rawInteraction, batch)
				convs := make([]rawConversation, batch/perThread)
				n := 0
				for b.Loop() {
					now := time.Now().UTC()
					for j := range ins {
						k := benchSeq.Add(1)
						t := j / perThread
						if j%perThread == 0 {
							convs[t] = rawConversation{WorkspaceID: benchWorkspace, ID: crmtype.NewID(now),
								CustomerID: rawCustomers[int(k)%len(rawCustomers)], Channel: "email",
								ThreadKey: fmt.Sprintf("t:%d", k), Subject: "Order", StartedAt: now, LastAt: now, Messages: perThread}
						}
						ins[j] = rawInteraction{WorkspaceID: benchWorkspace, ID: crmtype.NewID(now), CustomerID: convs[t].CustomerID,
							ConversationID: convs[t].ID, Channel: "email", Direction: "inbound", OccurredAt: now,
							Subject: "Order", Body: body, ProviderID: fmt.Sprintf("<%d@example.com>", k),
							ThreadID: convs[t].ThreadKey, CreatedAt: now, UpdatedAt: now}
					}
					err := rawDB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
						if _, err := tx.NewInsert().Model(&convs).Exec(ctx); err != nil {
							return err
						}
						_, err := tx.NewInsert().Model(&ins).Exec(ctx)
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
					n += batch
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
			})
			b.Run("sdk", func(b *testing.B) {
				ctx := context.Background()
				ws := benchClient(b, sdkDB)
				ps := make([]communication.InteractionParams, batch)
				n := 0
				for b.Loop() {
					now := time.Now().UTC()
					var thread string
					var cust crmtype.ID
					for j := range ps {
						k := benchSeq.Add(1)
						if j%perThread == 0 {
							thread, cust = fmt.Sprintf("t%d", k), sdkCustomers[int(k)%len(sdkCustomers)]
						}
						ps[j] = communication.InteractionParams{CustomerID: cust, Channel: communication.Email,
							Direction: communication.Inbound, OccurredAt: now, Subject: "Order", Body: body,
							ProviderID: fmt.Sprintf("<%d@example.com>", k), ThreadID: thread}
					}
					rep, err := ws.Communication.Ingest(ctx, ps)
					if err != nil {
						b.Fatal(err)
					}
					if rep.Created != batch {
						b.Fatalf("stored %d of %d: %+v", rep.Created, batch, rep.Errors)
					}
					n += batch
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
			})
		})
	}
}
