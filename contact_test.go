package crm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	"github.com/kehu/crm/privacy"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func newContactClient(t *testing.T, db *bun.DB) (*crm.Client, *crmtype.ManualClock, *fakeSender) {
	t.Helper()
	clock := crmtype.NewManualClock(t0)
	sender := &fakeSender{}
	c, err := crm.New(db, &crm.Config{Clock: clock, Communication: communication.Config{Sender: sender, Secret: testSecret}})
	require.NoError(t, err)
	return c, clock, sender
}

// TestContactDecisions is the table of contact decisions: consent history,
// do-not-contact, transactional and service messages, lists, caps, quiet
// hours across midnight and a daylight-saving change, batch counting.
func TestContactDecisions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock, _ := newContactClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		// t0 is 09:00 UTC: 10:00 in Berlin, 17:00 in Shanghai, 01:00 in Los Angeles.
		require.NoError(t, com.SetContactSettings(ctx, communication.ContactSettings{
			NoRecord:          communication.Deny,
			NoRecordByPurpose: map[communication.Purpose]communication.Verdict{"loyalty": communication.Allow},
			Caps: []communication.Cap{
				{Purpose: communication.PurposeMarketing, Max: 2, Window: 7 * 24 * time.Hour},
				{Channel: communication.SMS, Max: 1, Window: 24 * time.Hour},
			},
			QuietHours: []communication.QuietHours{{From: "21:00", To: "08:00"}},
			TimeZone:   "Europe/Berlin",
		}))
		cs := map[string]*customer.Customer{}
		for _, n := range []string{"granted", "revoked", "regranted", "pending", "none", "dnc", "allchan", "everything",
			"lists", "lists2", "pendlater", "capped", "batch", "shanghai", "la", "berlin", "deleted", "erased", "capquiet", "smscap"} {
			p := customer.CreateParams{Name: "客户 " + n}
			switch n {
			case "shanghai":
				p.TimeZone = "Asia/Shanghai"
			case "la", "capquiet":
				p.TimeZone = "America/Los_Angeles"
			}
			cs[n] = mustCreate(t, ctx, ws.Customers, p)
		}
		grant := func(n string, at time.Time, st communication.ConsentState, ch communication.Channel, p communication.Purpose, list string) {
			t.Helper()
			_, err := com.RecordConsent(ctx, communication.ConsentParams{CustomerID: cs[n].ID, Channel: ch, Purpose: p, List: list,
				State: st, Source: "web_form", LegalBasis: "consent", EffectiveAt: at, EvidenceText: "terms v3", EvidenceIP: "203.0.113.7"})
			require.NoError(t, err)
		}
		day := 24 * time.Hour
		mk, em := communication.PurposeMarketing, communication.Email
		for _, n := range []string{"granted", "capped", "batch", "shanghai", "la", "berlin", "deleted", "erased", "capquiet", "smscap"} {
			grant(n, t0.Add(-400*day), communication.ConsentGranted, "", mk, "")
		}
		grant("revoked", t0.Add(-30*day), communication.ConsentGranted, em, mk, "")
		grant("revoked", t0.Add(-2*day), communication.ConsentRevoked, em, mk, "")
		grant("regranted", t0.Add(-30*day), communication.ConsentRevoked, em, mk, "")
		grant("regranted", t0.Add(-day), communication.ConsentGranted, em, mk, "")
		// Recorded later, effective earlier: the effective time decides.
		grant("regranted", t0.Add(-5*day), communication.ConsentRevoked, em, mk, "")
		grant("pending", t0.Add(-day), communication.ConsentPending, em, mk, "")
		grant("dnc", t0.Add(-day), communication.ConsentGranted, "", "", "")
		grant("allchan", t0.Add(-day), communication.ConsentGranted, "", mk, "")
		grant("everything", t0.Add(-30*day), communication.ConsentGranted, em, mk, "")
		grant("everything", t0.Add(-day), communication.ConsentRevoked, "", "", "")
		grant("lists", t0.Add(-day), communication.ConsentGranted, em, mk, "newsletter")
		grant("lists", t0.Add(-day), communication.ConsentRevoked, em, mk, "promo")
		grant("lists2", t0.Add(-2*day), communication.ConsentRevoked, em, mk, "newsletter")
		grant("lists2", t0.Add(-day), communication.ConsentGranted, "", mk, "")
		grant("pendlater", t0.Add(-3*day), communication.ConsentGranted, em, mk, "")
		grant("pendlater", t0.Add(-day), communication.ConsentPending, "", mk, "")
		_, err := com.SetPreferences(ctx, communication.Preferences{CustomerID: cs["dnc"].ID, DoNotContact: true, DoNotContactReason: "asked on the phone"})
		require.NoError(t, err)
		_, err = com.SetPreferences(ctx, communication.Preferences{CustomerID: cs["shanghai"].ID,
			QuietHours: []communication.QuietHours{{Channel: communication.SMS, From: "12:00", To: "18:00"}}})
		require.NoError(t, err)
		// Past marketing emails: capped has 2 this week (3 and 1 days ago),
		// capquiet 2 (6 days 20 hours and 1 day ago), smscap one SMS 2 hours ago.
		past := []struct {
			n   string
			at  time.Time
			ch  communication.Channel
			pur communication.Purpose
		}{{"capped", t0.Add(-3 * day), em, mk}, {"capped", t0.Add(-day), em, mk}, {"capped", t0.Add(-8 * day), em, mk},
			{"capquiet", t0.Add(-6*day - 20*time.Hour), em, mk}, {"capquiet", t0.Add(-day), em, mk},
			{"batch", t0.Add(-2 * day), em, mk}, {"smscap", t0.Add(-2 * time.Hour), communication.SMS, communication.PurposeService}}
		for _, m := range past {
			_, err := com.Record(ctx, communication.InteractionParams{CustomerID: cs[m.n].ID, Channel: m.ch, Direction: communication.Outbound,
				OccurredAt: m.at, Body: "offer", Purpose: m.pur})
			require.NoError(t, err)
		}
		require.NoError(t, ws.Customers.Delete(ctx, cs["deleted"].ID))
		_, err = ws.Privacy.Erase(ctx, cs["erased"].ID, privacy.EraseOptions{})
		require.NoError(t, err)

		berlin, _ := time.LoadLocation("Europe/Berlin")
		la, _ := time.LoadLocation("America/Los_Angeles")
		type want struct {
			v      communication.Verdict
			reason string
			until  time.Time
		}
		cases := []struct {
			name string
			n    string
			p    communication.DecideParams
			want want
		}{
			{"granted marketing email", "granted", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Allow, communication.ReasonConsent, time.Time{}}},
			{"granted covers every channel", "granted", communication.DecideParams{Channel: communication.Chat, Purpose: mk}, want{communication.Allow, communication.ReasonConsent, time.Time{}}},
			{"revoked after grant", "revoked", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Deny, communication.ReasonRevoked, time.Time{}}},
			{"revocation is per channel", "revoked", communication.DecideParams{Channel: communication.Chat, Purpose: mk}, want{communication.Deny, communication.ReasonNoConsent, time.Time{}}},
			{"a past time does not hide a later revocation", "revoked", communication.DecideParams{Channel: em, Purpose: mk, At: t0.Add(-3 * day)}, want{communication.Deny, communication.ReasonRevoked, time.Time{}}},
			{"a broad grant does not lift a list unsubscribe", "lists2", communication.DecideParams{Channel: em, Purpose: mk, List: "newsletter"}, want{communication.Deny, communication.ReasonRevoked, time.Time{}}},
			{"the broad grant covers other lists", "lists2", communication.DecideParams{Channel: em, Purpose: mk, List: "offers"}, want{communication.Allow, communication.ReasonConsent, time.Time{}}},
			{"a later pending request does not undo a grant", "pendlater", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Allow, communication.ReasonConsent, time.Time{}}},
			{"granted again, latest effective wins", "regranted", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Allow, communication.ReasonConsent, time.Time{}}},
			{"pending double opt-in", "pending", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Deny, communication.ReasonPending, time.Time{}}},
			{"no record, opt-in default", "none", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Deny, communication.ReasonNoConsent, time.Time{}}},
			{"no record, service message", "none", communication.DecideParams{Channel: em, Purpose: communication.PurposeService}, want{communication.Allow, communication.ReasonDefaultAllow, time.Time{}}},
			{"no record, purpose the workspace allows", "none", communication.DecideParams{Channel: em, Purpose: "loyalty"}, want{communication.Allow, communication.ReasonDefaultAllow, time.Time{}}},
			{"no record, research", "none", communication.DecideParams{Channel: em, Purpose: communication.PurposeResearch}, want{communication.Deny, communication.ReasonNoConsent, time.Time{}}},
			{"transactional without consent", "none", communication.DecideParams{Channel: communication.SMS, Purpose: communication.PurposeTransactional}, want{communication.Allow, communication.ReasonTransactional, time.Time{}}},
			{"do-not-contact beats consent", "dnc", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Deny, communication.ReasonDoNotContact, time.Time{}}},
			{"do-not-contact beats transactional", "dnc", communication.DecideParams{Channel: em, Purpose: communication.PurposeTransactional}, want{communication.Deny, communication.ReasonDoNotContact, time.Time{}}},
			{"grant for every channel", "allchan", communication.DecideParams{Channel: communication.SMS, Purpose: mk, At: t0.Add(3 * time.Hour)}, want{communication.Allow, communication.ReasonConsent, time.Time{}}},
			{"grant is per purpose", "allchan", communication.DecideParams{Channel: em, Purpose: communication.PurposeResearch}, want{communication.Deny, communication.ReasonNoConsent, time.Time{}}},
			{"revocation of everything", "everything", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Deny, communication.ReasonRevoked, time.Time{}}},
			{"list granted", "lists", communication.DecideParams{Channel: em, Purpose: mk, List: "newsletter"}, want{communication.Allow, communication.ReasonConsent, time.Time{}}},
			{"list unsubscribed", "lists", communication.DecideParams{Channel: em, Purpose: mk, List: "promo"}, want{communication.Deny, communication.ReasonRevoked, time.Time{}}},
			{"list entry does not cover other mail", "lists", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Deny, communication.ReasonNoConsent, time.Time{}}},
			{"cap reached: wait for the oldest to leave the week", "capped", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Defer, communication.ReasonFrequencyCap, t0.Add(4 * day)}},
			{"cap is per purpose", "capped", communication.DecideParams{Channel: em, Purpose: communication.PurposeService}, want{communication.Allow, communication.ReasonDefaultAllow, time.Time{}}},
			{"channel cap counts every purpose", "smscap", communication.DecideParams{Channel: communication.SMS, Purpose: mk}, want{communication.Defer, communication.ReasonFrequencyCap, t0.Add(22 * time.Hour)}},
			{"transactional ignores caps", "smscap", communication.DecideParams{Channel: communication.SMS, Purpose: communication.PurposeTransactional}, want{communication.Allow, communication.ReasonTransactional, time.Time{}}},
			// capquiet's cap frees at t0+4h (6d20h ago + 7d: 13:00 UTC, 05:00 in Los Angeles), inside
			// LA's quiet hours: deferred to 08:00 LA.
			{"cap then quiet hours", "capquiet", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Defer, communication.ReasonQuietHours,
				time.Date(2026, 11, 25, 8, 0, 0, 0, la)}},
			{"quiet hours at 01:00 in Los Angeles", "la", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Defer, communication.ReasonQuietHours,
				time.Date(2026, 11, 25, 8, 0, 0, 0, la)}},
			{"customer's own quiet hours replace the workspace's", "shanghai", communication.DecideParams{Channel: communication.SMS, Purpose: mk}, want{communication.Defer, communication.ReasonQuietHours,
				time.Date(2026, 11, 25, 18, 0, 0, 0, time.FixedZone("CST", 8*3600))}},
			{"quiet hours for another channel", "shanghai", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Allow, communication.ReasonConsent, time.Time{}}},
			{"before midnight: until 08:00 tomorrow", "berlin", communication.DecideParams{Channel: em, Purpose: mk, At: time.Date(2026, 11, 25, 23, 30, 0, 0, berlin)},
				want{communication.Defer, communication.ReasonQuietHours, time.Date(2026, 11, 26, 8, 0, 0, 0, berlin)}},
			{"after midnight: until 08:00 today", "berlin", communication.DecideParams{Channel: em, Purpose: mk, At: time.Date(2026, 11, 26, 7, 59, 0, 0, berlin)},
				want{communication.Defer, communication.ReasonQuietHours, time.Date(2026, 11, 26, 8, 0, 0, 0, berlin)}},
			{"at 08:00 the window is over", "berlin", communication.DecideParams{Channel: em, Purpose: mk, At: time.Date(2026, 11, 26, 8, 0, 0, 0, berlin)},
				want{communication.Allow, communication.ReasonConsent, time.Time{}}},
			// 22:30 CEST on 24 Oct; the clocks go back at 03:00 on 25 Oct, so
			// 08:00 CET is 07:00 UTC, not 06:00.
			{"quiet hours across the autumn DST change", "berlin", communication.DecideParams{Channel: em, Purpose: mk, At: time.Date(2026, 10, 24, 20, 30, 0, 0, time.UTC)},
				want{communication.Defer, communication.ReasonQuietHours, time.Date(2026, 10, 25, 7, 0, 0, 0, time.UTC)}},
			{"quiet hours across the spring DST change", "berlin", communication.DecideParams{Channel: em, Purpose: mk, At: time.Date(2026, 3, 28, 22, 0, 0, 0, time.UTC)},
				want{communication.Defer, communication.ReasonQuietHours, time.Date(2026, 3, 29, 6, 0, 0, 0, time.UTC)}},
			{"deleted customer", "deleted", communication.DecideParams{Channel: em, Purpose: communication.PurposeTransactional}, want{communication.Deny, communication.ReasonCustomerDeleted, time.Time{}}},
			{"erased customer", "erased", communication.DecideParams{Channel: em, Purpose: mk}, want{communication.Deny, communication.ReasonCustomerDeleted, time.Time{}}},
		}
		for _, c := range cases {
			p := c.p
			p.CustomerID = cs[c.n].ID
			d, err := com.Decide(ctx, p)
			require.NoError(t, err, c.name)
			require.Equal(t, c.want.v, d.Verdict, "%s: %+v", c.name, d)
			require.Equal(t, c.want.reason, d.Reason, "%s: %+v", c.name, d)
			require.True(t, c.want.until.Equal(d.Until), "%s: until %v, want %v", c.name, d.Until, c.want.until.UTC())
			require.NotEmpty(t, d.Detail, c.name)
		}
		require.GreaterOrEqual(t, len(cases), 20)

		// A batch counts its own messages: batch has one marketing email
		// this week and a cap of two.
		ds, err := com.DecideBatch(ctx, communication.BatchParams{CustomerIDs: []crmtype.ID{cs["batch"].ID, cs["granted"].ID, cs["batch"].ID, cs["batch"].ID, cs["none"].ID},
			Channel: em, Purpose: mk})
		require.NoError(t, err)
		verdicts := make([]string, len(ds))
		for i, d := range ds {
			verdicts[i] = string(d.Verdict) + ":" + d.Reason
		}
		require.Equal(t, []string{"allow:consent_granted", "allow:consent_granted", "defer:frequency_cap", "defer:frequency_cap", "deny:no_consent"}, verdicts)
		require.Equal(t, t0.Add(5*day), ds[2].Until, "the week's message leaves the window in 5 days")
		// The batch and the single decision agree case by case.
		ids := make([]crmtype.ID, 0, len(cs))
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		batch, err := com.DecideBatch(ctx, communication.BatchParams{CustomerIDs: ids, Channel: em, Purpose: mk})
		require.NoError(t, err)
		for i, id := range ids {
			one, err := com.Decide(ctx, communication.DecideParams{CustomerID: id, Channel: em, Purpose: mk})
			require.NoError(t, err)
			require.Equal(t, one, batch[i])
		}

		// Send refuses what the decision denies or defers, and records the
		// decision of what it sends.
		clock.Set(t0)
		_, err = com.SaveTemplate(ctx, communication.Template{Key: "promo", Channel: em, Subject: "Offer", Body: "Hello {{.Customer.Name}}"})
		require.NoError(t, err)
		_, err = com.Send(ctx, communication.SendParams{RenderParams: communication.RenderParams{Key: "promo", Channel: em, CustomerID: cs["revoked"].ID},
			Purpose: mk, To: "x@example.com"})
		var na *communication.NotAllowedError
		require.ErrorIs(t, err, communication.ErrNotAllowed)
		// A purpose is required: a marketing message sent as a service one
		// would pass without consent.
		_, err2 := com.Send(ctx, communication.SendParams{RenderParams: communication.RenderParams{Key: "promo", Channel: em, CustomerID: cs["none"].ID},
			To: "x@example.com"})
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err2, &ve))
		require.Equal(t, "purpose", ve.Field)
		require.True(t, errors.As(err, &na))
		require.Equal(t, communication.ReasonRevoked, na.Decision.Reason)
		_, err = com.Send(ctx, communication.SendParams{RenderParams: communication.RenderParams{Key: "promo", Channel: em, CustomerID: cs["capped"].ID},
			Purpose: mk, To: "x@example.com"})
		require.ErrorIs(t, err, communication.ErrNotAllowed)
		in, err := com.Send(ctx, communication.SendParams{RenderParams: communication.RenderParams{Key: "promo", Channel: em, CustomerID: cs["granted"].ID},
			Purpose: mk, To: "g@example.com"})
		require.NoError(t, err)
		require.Equal(t, "allow:consent_granted", in.Decision)
		require.Equal(t, mk, in.Purpose)
		got, err := com.Interaction(ctx, in.ID)
		require.NoError(t, err)
		require.Equal(t, "allow:consent_granted", got.Decision)
		// The message sent counts against the cap: one more fits, then none.
		_, err = com.Send(ctx, communication.SendParams{RenderParams: communication.RenderParams{Key: "promo", Channel: em, CustomerID: cs["granted"].ID},
			Purpose: mk, To: "g@example.com"})
		require.NoError(t, err)
		d, err := com.Decide(ctx, communication.DecideParams{CustomerID: cs["granted"].ID, Channel: em, Purpose: mk})
		require.NoError(t, err)
		require.Equal(t, communication.Defer, d.Verdict)
		require.Equal(t, t0.Add(7*day), d.Until)
	})
}

func TestContactBadInput(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _, _ := newContactClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Ana"})
		before := countRows(t, ctx, db, "crm_consents", "acme") + countRows(t, ctx, db, "crm_events", "acme") +
			countRows(t, ctx, db, "crm_contact_preferences", "acme") + countRows(t, ctx, db, "crm_contact_settings", "acme")
		for _, tc := range []struct {
			field string
			run   func() error
		}{
			{"channel", func() error {
				_, err := com.RecordConsent(ctx, communication.ConsentParams{CustomerID: c.ID, Channel: "E-mail", State: communication.ConsentGranted})
				return err
			}},
			{"purpose", func() error {
				_, err := com.RecordConsent(ctx, communication.ConsentParams{CustomerID: c.ID, Purpose: "Marketing!", State: communication.ConsentGranted})
				return err
			}},
			{"state", func() error {
				_, err := com.RecordConsent(ctx, communication.ConsentParams{CustomerID: c.ID, State: "maybe"})
				return err
			}},
			{"effective_at", func() error {
				_, err := com.RecordConsent(ctx, communication.ConsentParams{CustomerID: c.ID, State: communication.ConsentGranted, EffectiveAt: t0.Add(time.Hour)})
				return err
			}},
			{"customer_id", func() error {
				_, err := com.RecordConsent(ctx, communication.ConsentParams{State: communication.ConsentGranted})
				return err
			}},
			{"time_zone", func() error {
				_, err := com.SetPreferences(ctx, communication.Preferences{CustomerID: c.ID, TimeZone: "Mars/Olympus"})
				return err
			}},
			{"quiet_hours[0].from", func() error {
				_, err := com.SetPreferences(ctx, communication.Preferences{CustomerID: c.ID, QuietHours: []communication.QuietHours{{From: "25:00", To: "08:00"}}})
				return err
			}},
			{"quiet_hours[0].to", func() error {
				_, err := com.SetPreferences(ctx, communication.Preferences{CustomerID: c.ID, QuietHours: []communication.QuietHours{{From: "22:00", To: "8am"}}})
				return err
			}},
			{"preferred_channel", func() error {
				_, err := com.SetPreferences(ctx, communication.Preferences{CustomerID: c.ID, PreferredChannel: "Fax Machine"})
				return err
			}},
			{"caps[0].max", func() error {
				return com.SetContactSettings(ctx, communication.ContactSettings{Caps: []communication.Cap{{Max: 0, Window: time.Hour}}})
			}},
			{"caps[0].window", func() error {
				return com.SetContactSettings(ctx, communication.ContactSettings{Caps: []communication.Cap{{Max: 3, Window: -time.Hour}}})
			}},
			{"time_zone", func() error {
				return com.SetContactSettings(ctx, communication.ContactSettings{TimeZone: "Nowhere/Town"})
			}},
			{"no_record", func() error {
				return com.SetContactSettings(ctx, communication.ContactSettings{NoRecord: "perhaps"})
			}},
			{"quiet_hours[0].to", func() error {
				return com.SetContactSettings(ctx, communication.ContactSettings{QuietHours: []communication.QuietHours{{From: "22:00", To: "22:00"}}})
			}},
			{"channel", func() error {
				_, err := com.Decide(ctx, communication.DecideParams{CustomerID: c.ID, Channel: "", Purpose: communication.PurposeMarketing})
				return err
			}},
			{"purpose", func() error {
				_, err := com.Decide(ctx, communication.DecideParams{CustomerID: c.ID, Channel: communication.Email})
				return err
			}},
			{"customer_ids[1]", func() error {
				_, err := com.DecideBatch(ctx, communication.BatchParams{CustomerIDs: []crmtype.ID{c.ID, {}}, Channel: communication.Email, Purpose: communication.PurposeMarketing})
				return err
			}},
		} {
			err := tc.run()
			var ve *crmtype.ValidationError
			require.ErrorIs(t, err, crm.ErrInvalid, tc.field)
			require.True(t, errors.As(err, &ve), tc.field)
			require.Equal(t, tc.field, ve.Field, "%v", err)
		}
		after := countRows(t, ctx, db, "crm_consents", "acme") + countRows(t, ctx, db, "crm_events", "acme") +
			countRows(t, ctx, db, "crm_contact_preferences", "acme") + countRows(t, ctx, db, "crm_contact_settings", "acme")
		require.Equal(t, before, after, "nothing written")
	})
}

func TestUnsubscribeTokens(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock, sender := newContactClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Zoë", Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "zoe@example.com"}}})
		_, err := com.RecordConsent(ctx, communication.ConsentParams{CustomerID: c.ID, Purpose: communication.PurposeMarketing, State: communication.ConsentGranted})
		require.NoError(t, err)
		_, err = com.SaveTemplate(ctx, communication.Template{Key: "news", Channel: communication.Email, Subject: "News",
			Body: "Hi {{.Customer.Name}}. Unsubscribe: {{.Data.unsubscribe_url}}"})
		require.NoError(t, err)
		in, err := com.Send(ctx, communication.SendParams{RenderParams: communication.RenderParams{Key: "news", Channel: communication.Email, CustomerID: c.ID},
			Purpose: communication.PurposeMarketing, List: "newsletter", UnsubscribeURL: "https://shop.example/u?t={token}"})
		require.NoError(t, err)
		m := sender.sent[len(sender.sent)-1]
		require.Equal(t, "List-Unsubscribe=One-Click", m.Headers["List-Unsubscribe-Post"])
		require.True(t, strings.HasPrefix(m.Headers["List-Unsubscribe"], "<https://shop.example/u?t="), m.Headers["List-Unsubscribe"])
		require.Contains(t, in.Body, "https://shop.example/u?t=")
		tok := strings.TrimSuffix(strings.TrimPrefix(m.Headers["List-Unsubscribe"], "<https://shop.example/u?t="), ">")
		req, err := com.ParseUnsubscribe(tok)
		require.NoError(t, err)
		require.Equal(t, c.ID, req.CustomerID)
		require.Equal(t, "newsletter", req.Scope.List)

		// Forged, altered, of another workspace, expired: ErrInvalid "token".
		other := client.Workspace("other").Communication
		oc := mustCreate(t, ctx, client.Workspace("other").Customers, customer.CreateParams{Name: "Other"})
		otherTok, err := other.UnsubscribeToken(oc.ID, communication.UnsubscribeScope{})
		require.NoError(t, err)
		body, sig, _ := strings.Cut(tok, ".")
		flip := func(s string) string {
			b := []byte(s)
			if b[5] == 'A' {
				b[5] = 'B'
			} else {
				b[5] = 'A'
			}
			return string(b)
		}
		for name, bad := range map[string]string{"forged": "eyJ3IjoiYWNtZSJ9.c2lnbmF0dXJl", "altered payload": flip(body) + "." + sig,
			"altered signature": body + "." + flip(sig), "other workspace": otherTok, "garbage": "not a token", "empty": "",
			"another spelling": tok[:5] + "\n" + tok[5:]} {
			_, err := com.Unsubscribe(ctx, bad, "198.51.100.1")
			var ve *crmtype.ValidationError
			require.True(t, errors.As(err, &ve), "%s: %v", name, err)
			require.Equal(t, "token", ve.Field, name)
		}
		require.Equal(t, 1, countRows(t, ctx, db, "crm_consents", "acme"), "nothing recorded")

		// Processed by 8 concurrent hits: one revocation.
		var wg sync.WaitGroup
		entries := make([]*communication.ConsentEntry, 8)
		errs := make([]error, 8)
		for i := range entries {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				entries[i], errs[i] = com.Unsubscribe(ctx, tok, "198.51.100.1")
			}(i)
		}
		wg.Wait()
		for i := range entries {
			require.NoError(t, errs[i])
			require.Equal(t, entries[0].ID, entries[i].ID)
		}
		require.Equal(t, communication.ConsentRevoked, entries[0].State)
		require.Equal(t, "unsubscribe_link", entries[0].Source)
		require.Equal(t, "newsletter", entries[0].List)
		require.Equal(t, 2, countRows(t, ctx, db, "crm_consents", "acme"))
		d, err := com.Decide(ctx, communication.DecideParams{CustomerID: c.ID, Channel: communication.Email, Purpose: communication.PurposeMarketing, List: "newsletter"})
		require.NoError(t, err)
		require.Equal(t, communication.ReasonRevoked, d.Reason)
		d, err = com.Decide(ctx, communication.DecideParams{CustomerID: c.ID, Channel: communication.Email, Purpose: communication.PurposeMarketing, List: "offers"})
		require.NoError(t, err)
		require.Equal(t, communication.Allow, d.Verdict, "only the newsletter was left")
		tl := timelineAll(t, ctx, ws, c.ID, event.Query{Types: []string{communication.EventConsentRecorded}})
		require.Len(t, tl, 2)

		// Expired.
		clock.Advance(401 * 24 * time.Hour)
		_, err = com.Unsubscribe(ctx, tok, "")
		require.ErrorIs(t, err, crm.ErrInvalid)
		require.Contains(t, err.Error(), "expired")
		// Without a secret there are no tokens.
		plain, _ := newClient(t, db)
		_, err = plain.Workspace("acme").Communication.UnsubscribeToken(c.ID, communication.UnsubscribeScope{})
		require.ErrorIs(t, err, communication.ErrNoSecret)
	})
}

func TestContactTwoWorkspaces(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _, _ := newContactClient(t, db)
		a, b := client.Workspace("ws-a"), client.Workspace("ws-b")
		ca := mustCreate(t, ctx, a.Customers, customer.CreateParams{Name: "甲"})
		cb := mustCreate(t, ctx, b.Customers, customer.CreateParams{Name: "乙"})
		_, err := a.Communication.RecordConsent(ctx, communication.ConsentParams{CustomerID: ca.ID, Purpose: communication.PurposeMarketing, State: communication.ConsentGranted})
		require.NoError(t, err)
		require.NoError(t, a.Communication.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow,
			Caps: []communication.Cap{{Max: 1, Window: time.Hour}}}))
		_, err = a.Communication.SetPreferences(ctx, communication.Preferences{CustomerID: ca.ID, DoNotContact: true})
		require.NoError(t, err)
		_, err = a.Communication.Record(ctx, communication.InteractionParams{CustomerID: ca.ID, Channel: communication.Email,
			Direction: communication.Outbound, OccurredAt: t0.Add(-time.Minute), Body: "x", Purpose: communication.PurposeMarketing})
		require.NoError(t, err)

		// B cannot see or touch A's.
		_, err = b.Communication.RecordConsent(ctx, communication.ConsentParams{CustomerID: ca.ID, State: communication.ConsentRevoked})
		require.ErrorIs(t, err, crm.ErrNotFound)
		page, err := b.Communication.ConsentHistory(ctx, ca.ID, communication.ListParams{})
		require.NoError(t, err)
		require.Empty(t, page.Items)
		_, err = b.Communication.Preferences(ctx, ca.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = b.Communication.SetPreferences(ctx, communication.Preferences{CustomerID: ca.ID})
		require.ErrorIs(t, err, crm.ErrNotFound)
		d, err := b.Communication.Decide(ctx, communication.DecideParams{CustomerID: ca.ID, Channel: communication.Email, Purpose: communication.PurposeTransactional})
		require.NoError(t, err)
		require.Equal(t, communication.ReasonCustomerDeleted, d.Reason, "not a customer of B")
		bs, err := b.Communication.ContactSettings(ctx)
		require.NoError(t, err)
		require.Equal(t, communication.Deny, bs.NoRecord, "B keeps its defaults")
		require.Empty(t, bs.Caps)
		// B's own customer: A's settings, consents and messages do not apply.
		d, err = b.Communication.Decide(ctx, communication.DecideParams{CustomerID: cb.ID, Channel: communication.Email, Purpose: communication.PurposeMarketing})
		require.NoError(t, err)
		require.Equal(t, communication.ReasonNoConsent, d.Reason)
		tok, err := a.Communication.UnsubscribeToken(ca.ID, communication.UnsubscribeScope{})
		require.NoError(t, err)
		_, err = b.Communication.Unsubscribe(ctx, tok, "")
		require.ErrorIs(t, err, crm.ErrInvalid)
		// A's view is whole.
		page, err = a.Communication.ConsentHistory(ctx, ca.ID, communication.ListParams{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		p, err := a.Communication.Preferences(ctx, ca.ID)
		require.NoError(t, err)
		require.True(t, p.DoNotContact)
		d, err = a.Communication.Decide(ctx, communication.DecideParams{CustomerID: ca.ID, Channel: communication.Email, Purpose: communication.PurposeMarketing})
		require.NoError(t, err)
		require.Equal(t, communication.ReasonDoNotContact, d.Reason)
		require.Zero(t, countRows(t, ctx, db, "crm_consents", "ws-b"))
		require.Zero(t, countRows(t, ctx, db, "crm_contact_preferences", "ws-b"))
	})
}

// TestContactPrivacyAndMerge: consent entries and preferences follow the
// customer through export, erasure and merge.
func TestContactPrivacyAndMerge(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _, _ := newContactClient(t, db)
		ws := client.Workspace("acme")
		com := ws.Communication
		mk := func(name string) *customer.Customer {
			return mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: name})
		}
		x, y, z := mk("Xavier"), mk("Yannick"), mk("Zelda")
		// The survivor's own preferences do not lose the absorbed
		// customer's do-not-contact.
		w, v := mk("Wanda"), mk("Viktor")
		_, err0 := com.SetPreferences(ctx, communication.Preferences{CustomerID: w.ID, TimeZone: "Europe/Paris"})
		require.NoError(t, err0)
		_, err0 = com.SetPreferences(ctx, communication.Preferences{CustomerID: v.ID, DoNotContact: true})
		require.NoError(t, err0)
		_, err0 = ws.Customers.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{w.ID, v.ID}, Survivor: w.ID})
		require.NoError(t, err0)
		pw, err0 := com.Preferences(ctx, w.ID)
		require.NoError(t, err0)
		require.True(t, pw.DoNotContact)
		require.Equal(t, "Europe/Paris", pw.TimeZone)
		dw, err0 := com.Decide(ctx, communication.DecideParams{CustomerID: w.ID, Channel: communication.SMS, Purpose: communication.PurposeTransactional})
		require.NoError(t, err0)
		require.Equal(t, communication.ReasonDoNotContact, dw.Reason)
		for _, c := range []*customer.Customer{x, y, z} {
			_, err := com.RecordConsent(ctx, communication.ConsentParams{CustomerID: c.ID, Purpose: communication.PurposeMarketing,
				State: communication.ConsentGranted, EvidenceText: "I agree, " + c.Name, EvidenceIP: "192.0.2." + fmt.Sprint(len(c.Name))})
			require.NoError(t, err)
		}
		_, err := com.SetPreferences(ctx, communication.Preferences{CustomerID: y.ID, DoNotContact: true, DoNotContactReason: "asked by " + y.Name})
		require.NoError(t, err)
		bundle, err := ws.Privacy.Export(ctx, x.ID)
		require.NoError(t, err)
		require.Len(t, bundle.Tables["crm_consents"], 1)
		// Merging y into x: y's consent and preferences go to x.
		res, err := ws.Customers.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{x.ID, y.ID}, Survivor: x.ID})
		require.NoError(t, err)
		h, err := com.ConsentHistory(ctx, x.ID, communication.ListParams{})
		require.NoError(t, err)
		require.Len(t, h.Items, 2)
		p, err := com.Preferences(ctx, x.ID)
		require.NoError(t, err)
		require.True(t, p.DoNotContact, "the absorbed customer's do-not-contact carries over")
		_, err = ws.Customers.Unmerge(ctx, res.ID)
		require.NoError(t, err)
		p, err = com.Preferences(ctx, y.ID)
		require.NoError(t, err)
		require.True(t, p.DoNotContact)
		p, err = com.Preferences(ctx, x.ID)
		require.NoError(t, err)
		require.False(t, p.DoNotContact)
		// Erasure keeps the ledger's states without the evidence; the
		// preferences go.
		_, err = ws.Privacy.Erase(ctx, y.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		n, err := db.NewSelect().TableExpr("crm_contact_preferences").Where("workspace_id = ?", "acme").Where("customer_id = ?", y.ID).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		requireNowhere(t, ctx, db, []string{"I agree, Yannick", "asked by Yannick"})
		var states []string
		require.NoError(t, db.NewSelect().TableExpr("crm_consents").Column("state").Where("workspace_id = ?", "acme").
			Where("customer_id = ?", y.ID).Scan(ctx, &states))
		require.Equal(t, []string{"granted"}, states)
	})
}

// TestContactCapsSkipFailedSends: a message whose sending failed does not
// count against a cap; one that was sent does.
func TestContactCapsSkipFailedSends(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _, _ := newContactClient(t, db)
		com := client.Workspace("acme").Communication
		c := mustCreate(t, ctx, client.Workspace("acme").Customers, customer.CreateParams{Name: "Kofi"})
		require.NoError(t, com.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow,
			Caps: []communication.Cap{{Channel: communication.SMS, Max: 1, Window: 24 * time.Hour}}}))
		decide := func() communication.Decision {
			d, err := com.Decide(ctx, communication.DecideParams{CustomerID: c.ID, Channel: communication.SMS, Purpose: communication.PurposeMarketing})
			require.NoError(t, err)
			return d
		}
		_, err := com.Record(ctx, communication.InteractionParams{CustomerID: c.ID, Channel: communication.SMS, Direction: communication.Outbound,
			OccurredAt: t0.Add(-time.Hour), Body: "x", Status: communication.StatusFailed})
		require.NoError(t, err)
		require.Equal(t, communication.Allow, decide().Verdict)
		_, err = com.Record(ctx, communication.InteractionParams{CustomerID: c.ID, Channel: communication.SMS, Direction: communication.Outbound,
			OccurredAt: t0.Add(-time.Hour), Body: "y", Status: communication.StatusDelivered})
		require.NoError(t, err)
		d := decide()
		require.Equal(t, communication.Defer, d.Verdict)
		require.Equal(t, t0.Add(23*time.Hour), d.Until)
	})
}
