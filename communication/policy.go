package communication

import (
	"context"
	"fmt"
	"time"

	"github.com/kehu/crm/crmtype"
)

// Decide answers whether the message p names may go at p.At (default
// now), and why. In order:
//
//  1. a deleted or erased customer, or one flagged do-not-contact: Deny
//     (for every purpose, transactional included);
//  2. a transactional message: Allow (consent, caps and quiet hours do not
//     apply to receipts and one-time codes);
//  3. the consent ledger as it stands at p.At (or now, when p.At is past):
//     among the entries that apply to the channel, purpose and list (an
//     entry for every channel, purpose or list applies too), the latest
//     revocation stands unless a later grant at least as specific lifts it
//     (a broad grant does not undo a list unsubscribe); a grant passes, a
//     revocation or a pending double opt-in denies; with no entry,
//     ContactSettings.NoRecord decides (service messages pass);
//  4. quiet hours (the customer's, else the workspace's) in the customer's
//     zone: Defer until the window ends;
//  5. frequency caps, counted from the customer's recorded outbound
//     interactions: Defer until the rolling window frees a slot;
//
// then Allow. A Defer's Until is re-checked against quiet hours and caps,
// so it names an instant the message may really go. Errors: ErrInvalid for
// a malformed channel or purpose or a zero customer; not an error but a
// Deny when the customer does not exist in the workspace.
func (s *Service) Decide(ctx context.Context, p DecideParams) (Decision, error) {
	const op = "decide"
	ds, err := s.decide(ctx, op, []crmtype.ID{p.CustomerID}, p)
	if err != nil {
		return Decision{}, err
	}
	return ds[0], nil
}

// BatchParams names a message to many customers.
type BatchParams struct {
	CustomerIDs []crmtype.ID // one message each; a customer listed twice gets two
	Channel     Channel
	Purpose     Purpose
	List        string
	At          time.Time // default now
}

// DecideBatch decides, as Decide, on one message to each of p.CustomerIDs
// (100,000 at once is fine: it reads the database in chunks). The batch
// counts its own messages against the caps: a customer listed twice has
// the first message counted when the second is decided. The decisions are
// in the order of p.CustomerIDs. Errors: as Decide.
func (s *Service) DecideBatch(ctx context.Context, p BatchParams) ([]Decision, error) {
	return s.decide(ctx, "decide batch", p.CustomerIDs, DecideParams{Channel: p.Channel, Purpose: p.Purpose, List: p.List, At: p.At})
}

// decideChunk is how many customers a decision reads from the database at a
// time.
const decideChunk = 500

func (s *Service) decide(ctx context.Context, op string, ids []crmtype.ID, p DecideParams) ([]Decision, error) {
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if err := validateChannel("channel", p.Channel); err != nil {
		return nil, wrap(op, err)
	}
	if err := validatePurpose("purpose", p.Purpose, false); err != nil {
		return nil, wrap(op, err)
	}
	for i, id := range ids {
		if id.IsZero() {
			f := "customer_id"
			if len(ids) > 1 {
				f = fmt.Sprintf("customer_ids[%d]", i)
			}
			return nil, wrap(op, crmtype.Invalid(f, "is required"))
		}
	}
	now := s.clock.Now()
	if p.At.IsZero() {
		p.At = now
	}
	cs, err := s.contactSettings(ctx, sc)
	if err != nil {
		return nil, wrap(op, err)
	}
	var caps []Cap
	for _, c := range cs.Caps {
		if (c.Purpose == "" || c.Purpose == p.Purpose) && (c.Channel == "" || c.Channel == p.Channel) {
			caps = append(caps, c)
		}
	}
	out := make([]Decision, len(ids))
	// Messages of the batch already decided to go, per customer: counted
	// against the caps of the customer's later messages in the batch.
	sent := map[crmtype.ID]int{}
	for start := 0; start < len(ids); start += decideChunk {
		chunk := ids[start:min(start+decideChunk, len(ids))]
		distinct := distinctIDs(chunk)
		zones, err := s.store.ContactCustomers(ctx, sc, distinct)
		if err != nil {
			return nil, wrap(op, err)
		}
		prefs, err := s.store.Preferences(ctx, sc, distinct)
		if err != nil {
			return nil, wrap(op, err)
		}
		var consents map[crmtype.ID][]ConsentEntry
		var recent []map[crmtype.ID][]time.Time // per cap
		if p.Purpose != PurposeTransactional {
			if consents, err = s.store.ConsentEntries(ctx, sc, distinct); err != nil {
				return nil, wrap(op, err)
			}
			for _, c := range caps {
				ts, err := s.store.OutboundTimes(ctx, sc, distinct, p.At.Add(-c.Window), p.At, c.Purpose, c.Channel, c.Max)
				if err != nil {
					return nil, wrap(op, err)
				}
				recent = append(recent, ts)
			}
		}
		for k, id := range chunk {
			d := decideOne(id, p, now, cs, caps, zones, prefs[id], consents[id], recent, sent[id])
			if d.Verdict == Allow {
				sent[id]++
			}
			out[start+k] = d
		}
	}
	return out, nil
}

func distinctIDs(ids []crmtype.ID) []crmtype.ID {
	seen := make(map[crmtype.ID]bool, len(ids))
	out := make([]crmtype.ID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// decideOne applies the rules of Decide to one customer. batch is how many
// of the batch's messages to the customer were allowed before this one.
func decideOne(id crmtype.ID, p DecideParams, now time.Time, cs ContactSettings, caps []Cap, zones map[crmtype.ID]string,
	pref *Preferences, entries []ConsentEntry, recent []map[crmtype.ID][]time.Time, batch int) Decision {
	d := Decision{CustomerID: id}
	zone, live := zones[id]
	if !live {
		d.Verdict, d.Reason, d.Detail = Deny, ReasonCustomerDeleted, "the customer is deleted, erased or not in the workspace"
		return d
	}
	if pref != nil && pref.DoNotContact {
		d.Verdict, d.Reason, d.Detail = Deny, ReasonDoNotContact, pref.DoNotContactReason
		return d
	}
	if p.Purpose == PurposeTransactional {
		d.Verdict, d.Reason, d.Detail = Allow, ReasonTransactional, "transactional: consent, caps and quiet hours do not apply"
		return d
	}
	// Consent as it stands at the later of the message's time and now: a
	// revocation since a scheduled time counts.
	asOf := p.At
	if now.After(asOf) {
		asOf = now
	}
	if e := effective(entries, p.Channel, p.Purpose, p.List, asOf); e != nil {
		switch e.State {
		case ConsentRevoked:
			d.Verdict, d.Reason, d.Detail = Deny, ReasonRevoked, describeEntry(e)
			return d
		case ConsentPending:
			d.Verdict, d.Reason, d.Detail = Deny, ReasonPending, describeEntry(e)
			return d
		}
		d.Reason, d.Detail = ReasonConsent, describeEntry(e)
	} else if cs.noRecord(p.Purpose) == Deny {
		d.Verdict, d.Reason, d.Detail = Deny, ReasonNoConsent, "no consent entry applies and the workspace's default denies"
		return d
	} else {
		d.Reason, d.Detail = ReasonDefaultAllow, "no consent entry applies and the workspace's default allows"
	}
	prefZone := ""
	if pref != nil {
		prefZone = pref.TimeZone
	}
	loc, _ := contactZone(prefZone, zone, cs.TimeZone)
	quiet := cs.QuietHours
	if pref != nil && len(pref.QuietHours) > 0 {
		quiet = pref.QuietHours
	}
	// The earliest instant both the quiet hours and every cap allow; a few
	// rounds suffice, as each moves the instant forward.
	at, reason, detail := p.At, "", ""
	for round := 0; round < 8; round++ {
		moved := false
		if end := quietUntil(quiet, p.Channel, at, loc); end.After(at) {
			if reason == "" {
				reason, detail = ReasonQuietHours, fmt.Sprintf("quiet hours in %s until %s", loc, end.In(loc).Format("15:04"))
			}
			at, moved = end, true
		}
		for k, c := range caps {
			if next := capFree(c, recent[k][id], batch, p.At, at); next.After(at) {
				if reason == "" {
					reason, detail = ReasonFrequencyCap, fmt.Sprintf("at most %d %s messages per %v", c.Max, capName(c), c.Window)
				}
				at, moved = next, true
			}
		}
		if !moved {
			break
		}
	}
	if reason != "" {
		d.Verdict, d.Reason, d.Detail, d.Until = Defer, reason, detail, at.UTC()
		return d
	}
	d.Verdict = Allow
	return d
}

func capName(c Cap) string {
	s := ""
	if c.Purpose != "" {
		s = string(c.Purpose) + " "
	}
	if c.Channel != "" {
		s += string(c.Channel) + " "
	}
	if s == "" {
		return "outbound"
	}
	return s[:len(s)-1]
}

// capFree returns the earliest instant at or after at when one more
// message fits cap c, given the customer's earlier messages times (latest
// first, those in the window before the decision's instant now) and batch
// more messages of this batch, sent at now.
func capFree(c Cap, times []time.Time, batch int, now, at time.Time) time.Time {
	// The batch's messages are the newest.
	all := make([]time.Time, 0, batch+len(times))
	for i := 0; i < batch; i++ {
		all = append(all, now)
	}
	all = append(all, times...)
	// In the window ending at t, the messages after t-Window count. At most
	// Max-1 may: the Max-th latest must have left the window.
	if len(all) < c.Max {
		return at
	}
	free := all[c.Max-1].Add(c.Window)
	if free.After(at) {
		return free
	}
	return at
}

func describeEntry(e *ConsentEntry) string {
	s := fmt.Sprintf("%s since %s", e.State, e.EffectiveAt.Format(time.RFC3339))
	if e.Source != "" {
		s += " (" + e.Source + ")"
	}
	return s
}
