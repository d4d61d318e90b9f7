package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
	"github.com/kehu/crm/privacy"
)

func TestCampaignMembers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		require.NoError(t, client.Migrate(ctx))
		ws := client.Workspace("acme")
		mk, com := ws.Marketing, ws.Communication
		require.NoError(t, com.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
		newCustomer := func(name string) crmtype.ID {
			c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: name})
			require.NoError(t, err)
			return c.ID
		}
		ok, revoked, dnc, gone, pending := newCustomer("王芳"), newCustomer("Lukas Müller"), newCustomer("Olivia Brown"), newCustomer("佐藤 花子"), newCustomer("Ana Souza")
		_, err := com.RecordConsent(ctx, communication.ConsentParams{CustomerID: revoked, Purpose: communication.PurposeMarketing,
			State: communication.ConsentRevoked, Source: "unsubscribe_link"})
		require.NoError(t, err)
		_, err = com.RecordConsent(ctx, communication.ConsentParams{CustomerID: pending, Channel: communication.Email,
			State: communication.ConsentPending, Source: "web_form"})
		require.NoError(t, err)
		_, err = com.SetPreferences(ctx, communication.Preferences{CustomerID: dnc, DoNotContact: true, DoNotContactReason: "asked on the phone"})
		require.NoError(t, err)
		require.NoError(t, ws.Customers.Delete(ctx, gone))

		c, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "spring", Type: marketing.TypeOutreach, Currency: "EUR", Channel: "email"})
		require.NoError(t, err)

		// Bad input: nothing written.
		_, err = mk.AddMembers(ctx, c.ID, marketing.AddMembersParams{})
		requireField(t, err, "customer_ids")
		_, err = mk.AddMembers(ctx, c.ID, marketing.AddMembersParams{CustomerIDs: []crmtype.ID{ok, {}}})
		requireField(t, err, "customer_ids[1]")
		_, err = mk.AddMembers(ctx, crmtype.NewID(t0), marketing.AddMembersParams{CustomerIDs: []crmtype.ID{ok}})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		require.Equal(t, 0, ticketRowCount(t, ctx, db, "crm_campaign_members", "acme"))

		// Every candidate passes the contact decision; the excluded are
		// counted by reason.
		res, err := mk.AddMembers(ctx, c.ID, marketing.AddMembersParams{CustomerIDs: []crmtype.ID{ok, revoked, dnc, gone, pending, ok}})
		require.NoError(t, err)
		require.Equal(t, 6, res.Candidates)
		require.Equal(t, 1, res.Added)
		require.Equal(t, 1, res.Already)
		require.Equal(t, map[string]int{communication.ReasonRevoked: 1, communication.ReasonDoNotContact: 1,
			communication.ReasonCustomerDeleted: 1, communication.ReasonPending: 1}, res.Excluded)
		require.Equal(t, 4, res.ExcludedTotal())
		res, err = mk.AddMembers(ctx, c.ID, marketing.AddMembersParams{CustomerIDs: []crmtype.ID{ok}})
		require.NoError(t, err)
		require.Equal(t, 0, res.Added)
		require.Equal(t, 1, res.Already)

		// Statuses: each change logged, the first response kept.
		require.ErrorIs(t, mk.DefineMemberStatus(ctx, "registered", true), nil)
		require.ErrorIs(t, mk.DefineMemberStatus(ctx, "registered", false), crmtype.ErrConflict)
		requireField(t, mk.DefineMemberStatus(ctx, marketing.MemberSent, false), "status")
		_, err = mk.SetMemberStatuses(ctx, c.ID, []marketing.StatusUpdate{{CustomerID: ok, Status: "teleported"}})
		requireField(t, err, "updates[0].status")
		clock.Advance(10 * time.Minute)
		var ups []marketing.StatusUpdate
		for i, st := range []marketing.MemberStatus{marketing.MemberSent, marketing.MemberDelivered, marketing.MemberOpened,
			marketing.MemberClicked, "registered", marketing.MemberConverted} {
			ups = append(ups, marketing.StatusUpdate{CustomerID: ok, Status: st, At: t0.Add(time.Duration(i) * time.Minute)})
		}
		ups = append(ups, marketing.StatusUpdate{CustomerID: revoked, Status: marketing.MemberOpened})
		missing, err := mk.SetMemberStatuses(ctx, c.ID, ups)
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{revoked}, missing)
		log, err := mk.MemberLog(ctx, c.ID, ok)
		require.NoError(t, err)
		require.Len(t, log, 7)
		require.Equal(t, marketing.MemberAdded, log[0].Status)
		require.Equal(t, marketing.MemberConverted, log[6].Status)
		page, err := mk.Members(ctx, c.ID, marketing.MemberListParams{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		m := page.Items[0]
		require.Equal(t, marketing.MemberConverted, m.Status)
		require.Equal(t, t0.Add(4*time.Minute), *m.FirstRespondedAt) // "registered" counts as a response
		f, err := mk.MemberFunnel(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, 1, f.Members)
		require.Equal(t, 1, f.Responded)
		r, err := mk.Rollup(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, 1, r.Members)
		require.Equal(t, 1, r.Responses)

		// Another workspace sees and touches nothing.
		other := client.Workspace("beta").Marketing
		_, err = other.AddMembers(ctx, c.ID, marketing.AddMembersParams{CustomerIDs: []crmtype.ID{ok}})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.SetMemberStatuses(ctx, c.ID, []marketing.StatusUpdate{{CustomerID: ok, Status: marketing.MemberBounced}})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.Members(ctx, c.ID, marketing.MemberListParams{})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.MemberLog(ctx, c.ID, ok)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.MemberFunnel(ctx, c.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		// A beta campaign cannot take acme's customers.
		bc, err := other.CreateCampaign(ctx, marketing.CampaignParams{Name: "b", Type: marketing.TypeOutreach, Currency: "EUR", Channel: "email"})
		require.NoError(t, err)
		res, err = other.AddMembers(ctx, bc.ID, marketing.AddMembersParams{CustomerIDs: []crmtype.ID{ok}})
		require.NoError(t, err)
		require.Equal(t, map[string]int{communication.ReasonCustomerDeleted: 1}, res.Excluded)
		require.NoError(t, other.DefineMemberStatus(ctx, "registered", true)) // statuses are per workspace

		// A completed campaign takes no more members.
		clock.Advance(time.Hour)
		c, err = mk.SetCampaignStatus(ctx, c.ID, c.Version, marketing.StatusActive)
		require.NoError(t, err)
		_, err = mk.SetCampaignStatus(ctx, c.ID, c.Version, marketing.StatusCompleted)
		require.NoError(t, err)
		_, err = mk.AddMembers(ctx, c.ID, marketing.AddMembersParams{CustomerIDs: []crmtype.ID{newCustomer("late")}})
		requireField(t, err, "campaign")
	})
}

// TestCampaignMembersMerge: a customer merge moves the absorbed customer's
// memberships with their logs, keeps the survivor's where both were
// members, and an unmerge gives them back; erasure removes them.
func TestCampaignMembersMerge(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		require.NoError(t, client.Migrate(ctx))
		ws := client.Workspace("acme")
		mk := ws.Marketing
		require.NoError(t, ws.Communication.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
		x, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "张三"})
		require.NoError(t, err)
		y, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "张 三"})
		require.NoError(t, err)
		both, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "both", Type: marketing.TypeOutreach, Currency: "CNY", Channel: "sms"})
		require.NoError(t, err)
		only, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "only y", Type: marketing.TypeOutreach, Currency: "CNY", Channel: "sms"})
		require.NoError(t, err)
		_, err = mk.AddMembers(ctx, both.ID, marketing.AddMembersParams{CustomerIDs: []crmtype.ID{x.ID, y.ID}})
		require.NoError(t, err)
		_, err = mk.AddMembers(ctx, only.ID, marketing.AddMembersParams{CustomerIDs: []crmtype.ID{y.ID}})
		require.NoError(t, err)
		clock.Advance(time.Minute)
		_, err = mk.SetMemberStatuses(ctx, only.ID, []marketing.StatusUpdate{{CustomerID: y.ID, Status: marketing.MemberResponded}})
		require.NoError(t, err)

		m, err := ws.Customers.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{x.ID, y.ID}, Survivor: x.ID})
		require.NoError(t, err)
		log, err := mk.MemberLog(ctx, only.ID, x.ID)
		require.NoError(t, err)
		require.Len(t, log, 2, "the log follows its membership")
		f, err := mk.MemberFunnel(ctx, both.ID)
		require.NoError(t, err)
		require.Equal(t, 1, f.Members, "the survivor's membership stays")

		_, err = ws.Customers.Unmerge(ctx, m.ID)
		require.NoError(t, err)
		_, err = mk.MemberLog(ctx, only.ID, x.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		log, err = mk.MemberLog(ctx, only.ID, y.ID)
		require.NoError(t, err)
		require.Len(t, log, 2)
		f, err = mk.MemberFunnel(ctx, both.ID)
		require.NoError(t, err)
		require.Equal(t, 2, f.Members)

		_, err = ws.Privacy.Erase(ctx, y.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		_, err = mk.MemberLog(ctx, only.ID, y.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		require.Equal(t, 1, ticketRowCount(t, ctx, db, "crm_campaign_members", "acme"))
		require.Equal(t, 1, ticketRowCount(t, ctx, db, "crm_campaign_member_log", "acme"))
	})
}

// TestCampaignMembersFromSegments: members come from a segment snapshot or
// a static list, through the contact decision; every status change is an
// entry of the member's timeline.
func TestCampaignMembersFromSegments(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		require.NoError(t, client.Migrate(ctx))
		ws := client.Workspace("acme")
		mk := ws.Marketing
		require.NoError(t, ws.Communication.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
		var vip []crmtype.ID
		for i, name := range []string{"陈静", "Jan Kowalski", "María García", "Ole Hansen"} {
			p := customer.CreateParams{Name: name}
			if i < 3 {
				p.Tags = []string{"vip"}
			}
			c, err := ws.Customers.Create(ctx, p)
			require.NoError(t, err)
			if i < 3 {
				vip = append(vip, c.ID)
			}
		}
		_, err := ws.Communication.RecordConsent(ctx, communication.ConsentParams{CustomerID: vip[2], State: communication.ConsentRevoked, Source: "call"})
		require.NoError(t, err)
		seg, err := mk.SaveSegment(ctx, marketing.SegmentParams{Name: "vip", Rule: marketing.Rule{Tag: "vip"}})
		require.NoError(t, err)
		snap, err := mk.Snapshot(ctx, seg.ID, clock.Now())
		require.NoError(t, err)
		c, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "vip day", Type: marketing.TypeEvent, Currency: "EUR", Channel: "email"})
		require.NoError(t, err)
		_, err = mk.AddMembers(ctx, c.ID, marketing.AddMembersParams{SnapshotID: snap.ID, CustomerIDs: vip})
		requireField(t, err, "customer_ids")
		_, err = mk.AddMembers(ctx, c.ID, marketing.AddMembersParams{SnapshotID: crmtype.NewID(t0)})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		res, err := mk.AddMembers(ctx, c.ID, marketing.AddMembersParams{SnapshotID: snap.ID})
		require.NoError(t, err)
		require.Equal(t, 3, res.Candidates)
		require.Equal(t, 2, res.Added)
		require.Equal(t, map[string]int{communication.ReasonRevoked: 1}, res.Excluded)
		page, err := mk.Members(ctx, c.ID, marketing.MemberListParams{})
		require.NoError(t, err)
		require.Equal(t, "snapshot:"+snap.ID.String(), page.Items[0].Source)

		list, err := mk.CreateList(ctx, marketing.ListParams{Name: "walk-ins"})
		require.NoError(t, err)
		_, err = mk.AddToList(ctx, list.ID, vip[:1])
		require.NoError(t, err)
		res, err = mk.AddMembers(ctx, c.ID, marketing.AddMembersParams{ListID: list.ID})
		require.NoError(t, err)
		require.Equal(t, 1, res.Already)

		// The timeline shows each status change of the membership.
		clock.Advance(time.Hour)
		_, err = mk.SetMemberStatuses(ctx, c.ID, []marketing.StatusUpdate{{CustomerID: vip[0], Status: marketing.MemberSent}})
		require.NoError(t, err)
		tl, err := ws.Events.Timeline(ctx, vip[0], event.Query{Types: []string{marketing.EventMemberStatus}})
		require.NoError(t, err)
		require.Len(t, tl.Items, 2)
		require.Equal(t, c.ID, tl.Items[0].Subject)
		require.Equal(t, "sent", tl.Items[0].Changes[0].After)
		require.Equal(t, "added", tl.Items[1].Changes[0].After)
		other, err := client.Workspace("beta").Events.Timeline(ctx, vip[0], event.Query{})
		require.NoError(t, err)
		require.Empty(t, other.Items)
	})
}
