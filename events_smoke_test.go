package crm_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/privacy"
)

func TestEventsSmoke(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crm.WithActor(context.Background(), "user:42")
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "张三", Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "zhang@example.cn"}}})
		require.NoError(t, err)
		clock.Advance(1)
		_, err = ws.Customers.Update(ctx, c.ID, customer.UpdateParams{Version: 1, Name: customer.Ptr("张三丰")})
		require.NoError(t, err)
		_, err = ws.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 100, Currency: "CNY"}, Description: "张三's order"})
		require.NoError(t, err)
		tl, err := ws.Events.Timeline(ctx, c.ID, event.Query{})
		require.NoError(t, err)
		require.Len(t, tl.Items, 3)
		require.Equal(t, customer.EventCustomerUpdated, tl.Items[0].Type)
		require.Equal(t, []crmtype.Change{{Field: "name", Before: "张三", After: "张三丰"}}, tl.Items[0].Changes)
		require.Equal(t, "user:42", tl.Items[0].Actor)
		require.Equal(t, customer.EventPurchaseRecorded, tl.Items[2].Type, "placed when it occurred, t0")
		require.Equal(t, "user:42", tl.Items[2].Actor)

		b := nextBatch(t, ws, "hooks", 2)
		require.Len(t, b.Events, 2)
		b2, err := ws.Events.Next(ctx, "hooks", 2)
		require.NoError(t, err)
		require.Empty(t, b2.Events, "leased to the first worker")
		require.NoError(t, ws.Events.Ack(ctx, "hooks", b.Cursor))
		b3 := nextBatch(t, ws, "hooks", 10)
		require.Len(t, b3.Events, 1)
		require.Equal(t, customer.EventPurchasesRecorded, b3.Events[0].Type)

		bundle, err := ws.Privacy.Export(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, bundle.Tables["crm_purchases"], 1)
		js, err := bundle.JSON()
		require.NoError(t, err)
		require.Contains(t, string(js), "zhang@example.cn")

		rep, err := ws.Privacy.Erase(ctx, c.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		require.Equal(t, int64(1), rep.Deleted["crm_identities"])
		require.Equal(t, int64(1), rep.Scrubbed["crm_purchases"])
		bundle, err = ws.Privacy.Export(ctx, c.ID)
		require.NoError(t, err)
		js, err = bundle.JSON()
		require.NoError(t, err)
		require.NotContains(t, string(js), "zhang")
		require.NotContains(t, string(js), "张")
		_, err = ws.Customers.ByEmail(ctx, "zhang@example.cn")
		require.ErrorIs(t, err, crm.ErrNotFound)
	})
}

// nextBatch calls Next until it returns events. On PostgreSQL the outbox
// holds back events while any older writing transaction on the server is
// still running (another test's, when packages run in parallel), so an
// empty batch right after a commit is correct; it must not stay empty.
func nextBatch(t *testing.T, ws *crm.Workspace, consumer string, limit int) event.Batch {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, err := ws.Events.Next(context.Background(), consumer, limit)
		require.NoError(t, err)
		if len(b.Events) > 0 || time.Now().After(deadline) {
			return b
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Subscribers hear of events after their transaction commits, never of
// rolled-back ones, and not of writes in a host's own transaction.
func TestSubscribers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crm.WithActor(context.Background(), "user:7")
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		var got []crmtype.Event
		cancel := client.Subscribe(func(e crmtype.Event) { got = append(got, e) })

		c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "A"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, customer.EventCustomerCreated, got[0].Type)
		require.Equal(t, c.ID, got[0].Customer)
		require.Equal(t, "user:7", got[0].Actor)
		require.Equal(t, crmtype.WorkspaceID("acme"), got[0].Workspace)
		require.False(t, got[0].ID.IsZero())
		tl, err := ws.Events.Timeline(ctx, c.ID, event.Query{})
		require.NoError(t, err)
		require.Equal(t, tl.Items[0].ID, got[0].ID, "the event delivered is the one stored")

		got = nil
		require.Error(t, client.RunInTx(ctx, func(ctx context.Context, tx *crm.Client) error {
			_, err := tx.Workspace("acme").Customers.Create(ctx, customer.CreateParams{Name: "B"})
			require.NoError(t, err)
			return errors.New("roll back")
		}))
		require.Empty(t, got, "a rolled-back transaction delivers nothing")

		require.NoError(t, client.RunInTx(ctx, func(ctx context.Context, tx *crm.Client) error {
			s := tx.Workspace("acme").Customers
			if _, err := s.Create(ctx, customer.CreateParams{Name: "C"}); err != nil {
				return err
			}
			// A savepoint that rolls back takes its events with it.
			require.Error(t, tx.RunInTx(ctx, func(ctx context.Context, inner *crm.Client) error {
				_, err := inner.Workspace("acme").Customers.Create(ctx, customer.CreateParams{Name: "D"})
				require.NoError(t, err)
				return errors.New("roll back the savepoint")
			}))
			_, err := s.Create(ctx, customer.CreateParams{Name: "E"})
			require.Empty(t, got, "nothing before the commit")
			return err
		}))
		require.Len(t, got, 2)
		require.Equal(t, "C", got[0].Changes[len(got[0].Changes)-2].After, "name of the first")

		got = nil
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = client.WithTx(tx).Workspace("acme").Customers.Create(ctx, customer.CreateParams{Name: "F"})
		require.NoError(t, err)
		require.NoError(t, tx.Commit())
		require.Empty(t, got, "the host's transaction is the host's to report")

		cancel()
		_, err = ws.Customers.Create(ctx, customer.CreateParams{Name: "G"})
		require.NoError(t, err)
		require.Empty(t, got)
	})
}
