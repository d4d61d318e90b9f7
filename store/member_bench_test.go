package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
	"github.com/kehu/crm/store"
)

const benchMembers = 100_000

// BenchmarkAddMembers adds 100,000 customers to a fresh campaign each
// round: "insert" is the store's member insertion (members and their
// first log entries, in chunks, ON CONFLICT DO NOTHING RETURNING) beside
// "raw", plain bun inserts of the same rows; "add" is the whole
// AddMembers call, the contact decision for every candidate included.
//
//	go test ./store -run '^$' -bench AddMembers -benchtime 3x
func BenchmarkAddMembers(b *testing.B) {
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, kind)
			client, err := crm.New(db, &crm.Config{Clock: crmtype.NewManualClock(planNow)})
			require.NoError(b, err)
			require.NoError(b, client.Migrate(ctx))
			_, err = db.DB.ExecContext(ctx, planCustomersSQL(db.Dialect().Name() == dialect.PG, 2*benchMembers))
			require.NoError(b, err)
			_, err = db.DB.ExecContext(ctx, "ANALYZE")
			require.NoError(b, err)
			ids := make([]crmtype.ID, benchMembers)
			for i := range ids {
				ids[i] = planCustomer(2 * i) // even: workspace "acme"
			}
			ws := client.Workspace("acme")
			require.NoError(b, ws.Communication.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
			st := store.New(db)
			sc, err := crmtype.NewScope(ctx, "acme")
			require.NoError(b, err)
			n := 0
			campaign := func() crmtype.ID {
				n++
				c, err := ws.Marketing.CreateCampaign(ctx, marketing.CampaignParams{Name: fmt.Sprintf("c%d", n), Type: marketing.TypeOutreach,
					Currency: "EUR", Channel: "email"})
				require.NoError(b, err)
				return c.ID
			}
			members := func(id crmtype.ID) []marketing.Member {
				ms := make([]marketing.Member, len(ids))
				for i, c := range ids {
					ms[i] = marketing.Member{CampaignID: id, CustomerID: c, Status: marketing.MemberAdded, StatusAt: planNow, Source: "ids", AddedAt: planNow}
				}
				return ms
			}
			// Warm up: a first campaign's members, then fresh statistics, so
			// that no variant pays for PostgreSQL planning the foreign-key
			// checks against empty tables.
			warm := campaign()
			_, err = st.InsertMembers(ctx, sc, warm, members(warm)[:2000], func(int) crmtype.Event {
				return crmtype.Event{Time: planNow, Type: marketing.EventMembersAdded, SubjectType: marketing.SubjectCampaign, Subject: warm}
			})
			require.NoError(b, err)
			_, err = db.DB.ExecContext(ctx, "ANALYZE")
			require.NoError(b, err)
			rate := func(b *testing.B, start time.Time) {
				b.ReportMetric(float64(benchMembers*b.N)/time.Since(start).Seconds(), "members/s")
			}
			b.Run("raw", func(b *testing.B) {
				start := time.Now()
				for b.Loop() {
					id := campaign()
					require.NoError(b, db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
						type row struct {
							bun.BaseModel `bun:"table:crm_campaign_members"`
							WorkspaceID   string     `bun:"workspace_id"`
							CampaignID    crmtype.ID `bun:"campaign_id,type:uuid"`
							CustomerID    crmtype.ID `bun:"customer_id,type:uuid"`
							Status        string     `bun:"status"`
							StatusAt      time.Time  `bun:"status_at"`
							Source        string     `bun:"source"`
							AddedAt       time.Time  `bun:"added_at"`
						}
						type logRow struct {
							bun.BaseModel `bun:"table:crm_campaign_member_log"`
							WorkspaceID   string     `bun:"workspace_id"`
							ID            crmtype.ID `bun:"id,type:uuid"`
							CampaignID    crmtype.ID `bun:"campaign_id,type:uuid"`
							CustomerID    crmtype.ID `bun:"customer_id,type:uuid"`
							Status        string     `bun:"status"`
							At            time.Time  `bun:"occurred_at"`
						}
						for i := 0; i < len(ids); i += 500 {
							chunk := ids[i:min(i+500, len(ids))]
							rows := make([]row, len(chunk))
							logs := make([]logRow, len(chunk))
							for k, c := range chunk {
								rows[k] = row{WorkspaceID: "acme", CampaignID: id, CustomerID: c, Status: "added", StatusAt: planNow, Source: "ids", AddedAt: planNow}
								logs[k] = logRow{WorkspaceID: "acme", ID: crmtype.NewID(planNow), CampaignID: id, CustomerID: c, Status: "added", At: planNow}
							}
							if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
								return err
							}
							if _, err := tx.NewInsert().Model(&logs).Exec(ctx); err != nil {
								return err
							}
						}
						return nil
					}))
				}
				rate(b, start)
			})
			b.Run("insert", func(b *testing.B) {
				start := time.Now()
				for b.Loop() {
					id := campaign()
					added, err := st.InsertMembers(ctx, sc, id, members(id), func(int) crmtype.Event {
						return crmtype.Event{Time: planNow, Type: marketing.EventMembersAdded, SubjectType: marketing.SubjectCampaign, Subject: id}
					})
					require.NoError(b, err)
					require.Equal(b, benchMembers, added)
				}
				rate(b, start)
			})
			b.Run("add", func(b *testing.B) {
				start := time.Now()
				for b.Loop() {
					res, err := ws.Marketing.AddMembers(ctx, campaign(), marketing.AddMembersParams{CustomerIDs: ids})
					require.NoError(b, err)
					require.Equal(b, benchMembers, res.Added)
				}
				rate(b, start)
			})
		})
	}
}
