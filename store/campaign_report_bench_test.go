package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
	"github.com/kehu/crm/store"
)

// BenchmarkCampaignReport: the report of a campaign of 100,000 members (a
// third responded, two log entries each) — funnel, response rate, and the
// response by stage — beside the hand-written SQL of the same counts.
//
//	go test ./store -run '^$' -bench CampaignReport -benchtime 20x
func BenchmarkCampaignReport(b *testing.B) {
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, kind)
			client, err := crm.New(db, &crm.Config{Clock: crmtype.NewManualClock(planNow)})
			require.NoError(b, err)
			require.NoError(b, client.Migrate(ctx))
			_, err = db.DB.ExecContext(ctx, planCustomersSQL(db.Dialect().Name() == dialect.PG, 2*benchMembers))
			require.NoError(b, err)
			_, err = db.DB.ExecContext(ctx, "ANALYZE") // the customers' statistics, for the members' foreign-key checks
			require.NoError(b, err)
			ws := client.Workspace("acme")
			require.NoError(b, ws.Communication.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
			c, err := ws.Marketing.CreateCampaign(ctx, marketing.CampaignParams{Name: "big", Type: marketing.TypeOutreach, Currency: "EUR", Channel: "email"})
			require.NoError(b, err)
			sc, err := crmtype.NewScope(ctx, "acme")
			require.NoError(b, err)
			ms := make([]marketing.Member, benchMembers)
			for i := range ms {
				ms[i] = marketing.Member{CampaignID: c.ID, CustomerID: planCustomer(2 * i), Status: marketing.MemberAdded, StatusAt: planNow, AddedAt: planNow}
			}
			st := store.New(db)
			_, err = st.InsertMembers(ctx, sc, c.ID, ms, func(int) crmtype.Event {
				return crmtype.Event{Time: planNow, Type: marketing.EventMembersAdded, SubjectType: marketing.SubjectCampaign, Subject: c.ID}
			})
			require.NoError(b, err)
			var ups []marketing.StatusUpdate
			for i := 0; i < benchMembers; i += 3 {
				ups = append(ups, marketing.StatusUpdate{CustomerID: planCustomer(2 * i), Status: marketing.MemberResponded, At: planNow})
			}
			_, err = ws.Marketing.SetMemberStatuses(ctx, c.ID, ups)
			require.NoError(b, err)
			_, err = db.DB.ExecContext(ctx, "ANALYZE")
			require.NoError(b, err)
			b.Run("sdk", func(b *testing.B) {
				for b.Loop() {
					r, err := ws.Marketing.Report(ctx, c.ID, marketing.ReportParams{})
					require.NoError(b, err)
					require.Equal(b, benchMembers, r.Members)
				}
			})
			b.Run("raw-sql", func(b *testing.B) {
				for b.Loop() {
					var n int
					rows, err := db.QueryContext(ctx, `SELECT status, COUNT(DISTINCT customer_id) FROM crm_campaign_member_log
WHERE workspace_id = ? AND campaign_id = ? GROUP BY status`, "acme", c.ID)
					require.NoError(b, err)
					for rows.Next() {
						var s string
						require.NoError(b, rows.Scan(&s, &n))
					}
					rows.Close()
					var members, responded int
					require.NoError(b, db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(first_responded_at) FROM crm_campaign_members
WHERE workspace_id = ? AND campaign_id = ?`, "acme", c.ID).Scan(&members, &responded))
					rows, err = db.QueryContext(ctx, `SELECT c.stage, COUNT(*), COUNT(m.first_responded_at) FROM crm_campaign_members AS m
JOIN crm_customers AS c ON c.workspace_id = m.workspace_id AND c.id = m.customer_id
WHERE m.workspace_id = ? AND m.campaign_id = ? GROUP BY c.stage`, "acme", c.ID)
					require.NoError(b, err)
					for rows.Next() {
						var s string
						var a, r int
						require.NoError(b, rows.Scan(&s, &a, &r))
					}
					rows.Close()
					require.Equal(b, benchMembers, members)
				}
			})
		})
	}
}
