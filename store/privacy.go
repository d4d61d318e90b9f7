package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/privacy"
)

var _ privacy.Store = (*Store)(nil)

// customerRef is one column of one table that refers to a customer, with
// how a data-subject request treats its rows.
type customerRef struct {
	Table  string
	Column string
	// Delete removes the rows on erasure; otherwise Scrub's columns are set
	// to the given values and the rows kept.
	Delete bool
	Scrub  map[string]any
	// JSON lists columns that hold JSON text, exported as JSON.
	JSON []string
	// Purchases marks the table EraseOptions.DeletePurchases applies to.
	Purchases bool

	// Merge says what a merge does with the absorbed customers' rows (see
	// store/merge.go); the zero value re-points them to the survivor.
	Merge mergeAction
	// Key names the columns that identify a row among one customer's rows
	// (default "id"): the merge log records them for each re-pointed row,
	// so that Unmerge gives back exactly those rows.
	Key []string
	// NoExport leaves the table out of Export (the merge log, whose copies
	// Export already returns from their own tables; a reference that is not
	// personal data); NoErase leaves its rows alone on Erase and purge (a
	// person's company: erasing the company must not touch its people).
	NoExport, NoErase bool
	// Unlink sets the column to NULL when the customer is purged: a
	// reference that outlives its customer (an interaction's company).
	Unlink bool
	// Pair names the table's column that refers to the other customer of
	// a pair (a possible duplicate): with mergeUnion, a row that would
	// pair the survivor with itself is dropped too.
	Pair string
	// BeforeMerge, when set, runs before a merge moves the table's rows
	// from an absorbed customer to the survivor: to carry over what must
	// not be lost with a row the survivor's own replaces.
	BeforeMerge func(ctx context.Context, s *Store, sc crmtype.Scope, from, to crmtype.ID) error
}

// customerRefs is the customer-reference registry: every table that refers
// to a customer is listed here (later modules add theirs), and Export and
// Erase walk it. The customer row itself comes first; erasing it is done
// by eraseCustomerRow.
var customerRefs = []customerRef{
	{Table: "crm_customers", Column: "id", JSON: []string{"attributes", "identities", "tags"}, Merge: mergeKeep},
	// A merge moves the absorbed customers' identities to the survivor but
	// for those it holds already (a shared email or phone), which are
	// dropped (Unmerge gives them back).
	{Table: "crm_identities", Column: "customer_id", Delete: true, Merge: mergeUnion, Key: []string{"kind", "system", "value"}},
	// Possible duplicates (an import's review list) name two customers:
	// deleted when either is erased; a merge re-points both sides and drops
	// a pair that would pair the survivor with itself or that the survivor
	// has already (Unmerge gives them back).
	{Table: "crm_possible_duplicates", Column: "customer_id", Delete: true, Merge: mergeUnion, Key: []string{"other_id"}, Pair: "other_id"},
	{Table: "crm_possible_duplicates", Column: "other_id", Delete: true, Merge: mergeUnion, Key: []string{"customer_id"}, Pair: "customer_id"},
	{Table: "crm_customer_tags", Column: "customer_id", Delete: true, Merge: mergeUnion, Key: []string{"tag"}},
	{Table: "crm_customer_search", Column: "customer_id", Delete: true, Merge: mergeKeep}, // rebuilt by merge and unmerge
	{Table: "crm_purchases", Column: "customer_id", Scrub: map[string]any{"description": ""}, Purchases: true},
	{Table: "crm_events", Column: "customer_id", Scrub: map[string]any{"changes": "[]"}, JSON: []string{"changes"}},
	// Communication: conversations and interactions are kept for counts
	// (contact frequency, campaign responses) without their text.
	// Thread keys and provider ids can carry an address (a chat or
	// WhatsApp id): replaced by keys naming nothing, still unique.
	{Table: "crm_conversations", Column: "customer_id",
		Scrub: map[string]any{"subject": "", "thread_key": bun.Safe("'erased:' || CAST(id AS TEXT)")}},
	{Table: "crm_interactions", Column: "customer_id", JSON: []string{"attachments", "meta"},
		Scrub: map[string]any{"subject": "", "body": "", "html": "", "attachments": "[]", "meta": "{}",
			"status_reason": "", "thread_id": "", "reply_to": "", "provider_id": nil, "purchase_id": nil}},
	// The consent ledger is kept as the record of what the person allowed
	// and revoked, without the evidence that identifies them; preferences
	// go. A merge keeps the survivor's preferences, else takes the
	// absorbed customer's.
	{Table: "crm_consents", Column: "customer_id", Scrub: map[string]any{"evidence_text": "", "evidence_ip": ""}},
	{Table: "crm_contact_preferences", Column: "customer_id", Delete: true, Merge: mergeUnion, Key: []string{"workspace_id"},
		BeforeMerge: carryDoNotContact},
	// Tasks and their reminders exist only to act on the person: deleted on
	// erasure (their history stays in the log, scrubbed). Reminders first,
	// so that Erase counts them before the tasks' foreign key cascades.
	{Table: "crm_task_reminders", Column: "customer_id", Delete: true},
	{Table: "crm_tasks", Column: "customer_id", Delete: true, JSON: []string{"reminders"}},
	// Surveys: a response keeps its scores for the statistics (the rows of
	// crm_survey_answers, which name no one) and loses its answers (free
	// text and choices); invitations expire, so their tokens stop working.
	{Table: "crm_survey_invitations", Column: "customer_id", Scrub: map[string]any{"expires_at": bun.Safe("created_at")}},
	{Table: "crm_survey_responses", Column: "customer_id", JSON: []string{"answers"}, Scrub: map[string]any{"answers": "{}"}},
	// Service: tickets are kept (their numbers, statuses and counts feed
	// service reporting) without their text; a merge re-points them.
	{Table: "crm_tickets", Column: "customer_id", JSON: []string{"tags", "attributes"},
		Scrub: map[string]any{"subject": "", "description": "", "attributes": "{}", "purchase_id": nil}},
	// A ticket's internal notes (customer_id the customer of the ticket
	// they were written on, kept when a ticket merge moves them): exported,
	// their text goes on erasure, a merge re-points them.
	{Table: "crm_ticket_notes", Column: "customer_id", Scrub: map[string]any{"body": ""}},
	// Service engagements are kept (their kinds, times, durations and
	// outcomes feed service reporting) without their free text; a merge
	// re-points them.
	{Table: "crm_engagements", Column: "customer_id", JSON: []string{"host_ids"},
		Scrub: map[string]any{"location": "", "notes": "", "outcome_note": "", "purchase_id": nil}},
	// An attendee's attendance and assessment score are about that person:
	// deleted on erasure. A merge moves the absorbed customer's records but
	// for an engagement the survivor attends too, where the survivor's
	// record stays (Unmerge gives the dropped one back).
	{Table: "crm_engagement_attendees", Column: "customer_id", Delete: true, Merge: mergeUnion, Key: []string{"engagement_id"}},
	// Marketing: a campaign membership and its status log are about the
	// person: exported, deleted on erasure (the campaign's counts drop
	// them). A merge moves the absorbed customer's memberships but for a
	// campaign the survivor is in too, where the survivor's stays; the log
	// follows its membership (ON UPDATE CASCADE).
	{Table: "crm_campaign_member_log", Column: "customer_id", Delete: true, Merge: mergeKeep},
	{Table: "crm_campaign_members", Column: "customer_id", Delete: true, Merge: mergeUnion, Key: []string{"campaign_id"}},
	// Segments: erasing a customer removes them from static lists and
	// snapshots. A merge hands the absorbed customer's list memberships
	// to the survivor; snapshots are a record of who was selected and stay
	// as they were.
	{Table: "crm_list_members", Column: "customer_id", Delete: true, Merge: mergeUnion, Key: []string{"list_id"}},
	{Table: "crm_segment_snapshot_members", Column: "customer_id", Delete: true, Merge: mergeKeep, Key: []string{"snapshot_id"}},
	// An experiment exposure follows its membership (ON UPDATE CASCADE),
	// like the member log.
	{Table: "crm_experiment_exposures", Column: "customer_id", Delete: true, Merge: mergeKeep},
	// Promotions: a redemption keeps its amounts for the campaign's ROI and
	// the offer's limits, and names only the customer (whose erased row
	// stays): erasure leaves it; deleting the purchase or purging the
	// customer cascades. A merge re-points it: its unique keys, (offer,
	// purchase) and the single-use code, do not involve the customer.
	{Table: "crm_promo_redemptions", Column: "customer_id", NoErase: true},
	// The people of a company: a merge of companies moves them to the survivor.
	{Table: "crm_customers", Column: "company_id", NoExport: true, NoErase: true},
	{Table: "crm_interactions", Column: "company_id", NoExport: true, NoErase: true, Unlink: true},
	{Table: "crm_tickets", Column: "company_id", NoExport: true, NoErase: true, Unlink: true},
	// The merge log holds copies of the merged customers: erased with them.
	{Table: "crm_customer_merges", Column: "survivor_id", Delete: true, Merge: mergeKeep, NoExport: true},
	{Table: "crm_customer_merge_items", Column: "customer_id", Delete: true, Merge: mergeKeep, NoExport: true},
}

// carryDoNotContact sets the survivor's do-not-contact flag when the
// absorbed customer had it: the merge keeps the survivor's preferences,
// and the flag beats every consent, so it must not be lost with the
// absorbed customer's. (An unmerge leaves the survivor flagged.)
func carryDoNotContact(ctx context.Context, s *Store, sc crmtype.Scope, from, to crmtype.ID) error {
	q := s.db.NewUpdate().TableExpr("crm_contact_preferences AS x").Set("do_not_contact = ?", true).
		Set("dnc_reason = CASE WHEN x.dnc_reason = '' THEN ? ELSE x.dnc_reason END", "carried over from merged customer "+from.String()).
		Where("x.customer_id = ?", to).
		Where("EXISTS (SELECT 1 FROM crm_contact_preferences AS y WHERE y.workspace_id = x.workspace_id AND y.customer_id = ? AND y.do_not_contact)", from)
	_, err := where(q, "x", sc).Exec(ctx)
	return err
}

// ExportCustomer implements privacy.Store.
func (s *Store) ExportCustomer(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (map[string][]map[string]any, error) {
	out := map[string][]map[string]any{}
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		for i, ref := range customerRefs {
			if ref.NoExport {
				continue
			}
			var rows []map[string]any
			q := tx.db.NewSelect().TableExpr("? AS x", bun.Ident(ref.Table)).ColumnExpr("x.*").
				Where("x.? = ?", bun.Ident(ref.Column), id)
			if err := where(q, "x", sc).Scan(ctx, &rows); err != nil {
				return fmt.Errorf("export %s: %w", ref.Table, err)
			}
			if i == 0 && len(rows) == 0 {
				return crmtype.ErrNotFound
			}
			for _, r := range rows {
				normaliseRow(r, ref.JSON)
			}
			if rows == nil {
				rows = []map[string]any{}
			}
			out[ref.Table] = append(out[ref.Table], rows...) // a table may refer to the customer twice (a pair)
			if out[ref.Table] == nil {
				out[ref.Table] = rows
			}
		}
		return nil
	})
	return out, err
}

// normaliseRow makes a scanned row JSON-friendly: text for bytes, decoded
// JSON for JSON columns.
func normaliseRow(r map[string]any, jsonCols []string) {
	for k, v := range r {
		if b, ok := v.([]byte); ok && k != "name_key" {
			r[k] = string(b)
		}
	}
	for _, k := range jsonCols {
		if s, ok := r[k].(string); ok && json.Valid([]byte(s)) {
			r[k] = json.RawMessage(s)
		}
	}
	delete(r, "name_key") // a collation key, derived from the name
}

// EraseCustomer implements privacy.Store.
func (s *Store) EraseCustomer(ctx context.Context, sc crmtype.Scope, id crmtype.ID, opts privacy.EraseOptions, now time.Time) (privacy.EraseReport, error) {
	rep := privacy.EraseReport{Customer: id, ErasedAt: now, Deleted: map[string]int64{}, Scrubbed: map[string]int64{}}
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		// A merged-away id is the same person as its survivor, whose rows
		// now hold its data: erase the survivor's whole group.
		id, err := tx.ResolveMerged(ctx, sc, id)
		if err != nil {
			return err
		}
		rep.Customer = id
		// The customers merged into this one are the same person: they
		// are erased with it (found before the merge log goes).
		absorbed, err := tx.absorbedInto(ctx, sc, id)
		if err != nil {
			return err
		}
		n, err := tx.eraseCustomerRow(ctx, sc, id, now)
		if err != nil {
			return err
		}
		rep.Scrubbed["crm_customers"] = n
		if err := tx.eraseReferences(ctx, sc, id, opts, &rep); err != nil {
			return err
		}
		evs := []crmtype.Event{{Time: now, Type: customer.EventCustomerErased,
			SubjectType: customer.SubjectCustomer, Subject: id, Customer: id}}
		for _, a := range absorbed {
			n, err := tx.eraseCustomerRow(ctx, sc, a, now)
			if err != nil {
				return err
			}
			rep.Scrubbed["crm_customers"] += n
			more := privacy.EraseReport{Deleted: map[string]int64{}, Scrubbed: map[string]int64{}}
			if err := tx.eraseReferences(ctx, sc, a, opts, &more); err != nil {
				return err
			}
			for k, v := range more.Deleted {
				rep.Deleted[k] += v
			}
			for k, v := range more.Scrubbed {
				rep.Scrubbed[k] += v
			}
			evs = append(evs, crmtype.Event{Time: now, Type: customer.EventCustomerErased,
				SubjectType: customer.SubjectCustomer, Subject: a, Customer: a})
		}
		return tx.appendEvents(ctx, sc, evs)
	})
	return rep, err
}

// eraseReferences deletes or scrubs, as the registry says, the rows of every
// table that refers to customer id (all but the customer row itself), and
// counts them in rep. Erase and purge both use it.
func (s *Store) eraseReferences(ctx context.Context, sc crmtype.Scope, id crmtype.ID, opts privacy.EraseOptions, rep *privacy.EraseReport) error {
	for _, ref := range customerRefs[1:] {
		if ref.NoErase {
			continue
		}
		if ref.Delete || (ref.Purchases && opts.DeletePurchases) {
			q := s.db.NewDelete().TableExpr("? AS x", bun.Ident(ref.Table)).Where("x.? = ?", bun.Ident(ref.Column), id)
			res, err := where(q, "x", sc).Exec(ctx)
			if err != nil {
				return fmt.Errorf("erase %s: %w", ref.Table, err)
			}
			rep.Deleted[ref.Table], _ = res.RowsAffected()
			continue
		}
		q := s.db.NewUpdate().TableExpr("? AS x", bun.Ident(ref.Table)).Where("x.? = ?", bun.Ident(ref.Column), id)
		for col, v := range ref.Scrub {
			q = q.Set("? = ?", bun.Ident(col), v)
		}
		res, err := where(q, "x", sc).Exec(ctx)
		if err != nil {
			return fmt.Errorf("erase %s: %w", ref.Table, err)
		}
		rep.Scrubbed[ref.Table], _ = res.RowsAffected()
	}
	return s.erasePurchaseBatches(ctx, sc, id, opts.DeletePurchases)
}

// erasePurchaseBatches treats customer id's entries in the log's
// purchases.recorded events as its purchase rows were treated: dropped
// when they were deleted, otherwise stripped of the fields the registry
// scrubs from crm_purchases.
func (s *Store) erasePurchaseBatches(ctx context.Context, sc crmtype.Scope, id crmtype.ID, drop bool) error {
	var rows []eventRow
	q := s.db.NewSelect().Model(&rows).Column("e.seq", "e.changes").
		Where("e.type = ?", customer.EventPurchasesRecorded).Where("CAST(e.changes AS TEXT) LIKE ?", "%"+id.String()+"%")
	if err := where(q, "e", sc).Scan(ctx); err != nil {
		return fmt.Errorf("erase purchase events: %w", err)
	}
	var scrub map[string]any
	for _, ref := range customerRefs {
		if ref.Purchases {
			scrub = ref.Scrub
		}
	}
	for _, r := range rows {
		var chs []crmtype.Change
		if err := json.Unmarshal([]byte(r.Changes), &chs); err != nil {
			return fmt.Errorf("erase purchase events: decode event %d: %w", r.Seq, err)
		}
		kept := chs[:0]
		for _, c := range chs {
			m, _ := c.After.(map[string]any)
			if m["customer_id"] == id.String() {
				if drop {
					continue
				}
				for f := range scrub {
					delete(m, f)
				}
			}
			kept = append(kept, c)
		}
		b, err := json.Marshal(kept)
		if err != nil {
			return err
		}
		u := s.db.NewUpdate().Model((*eventRow)(nil)).Set("changes = ?", string(b)).Where("e.seq = ?", r.Seq)
		if _, err := where(u, "e", sc).Exec(ctx); err != nil {
			return fmt.Errorf("erase purchase events: %w", err)
		}
	}
	return nil
}

// eraseCustomerRow empties the personal fields of the customer row and
// marks it erased and deleted.
func (s *Store) eraseCustomerRow(ctx context.Context, sc crmtype.Scope, id crmtype.ID, now time.Time) (int64, error) {
	q := s.db.NewUpdate().Model((*customerRow)(nil)).Where("c.id = ?", id).
		Set("name = ''").Set("name_fold = ''").Set("name_key = ?", []byte{}).
		Set("given_name = ''").Set("family_name = ''").
		Set("address_line1 = ''").Set("address_line2 = ''").Set("city = ''").Set("region = ''").
		Set("postal_code = ''").Set("country = ''").Set("locale = ''").Set("time_zone = ''").
		Set("source = ''").Set("attributes = '{}'").Set("identities = '[]'").Set("tags = '[]'").
		Set("deleted_at = coalesce(deleted_at, ?)", now).Set("erased_at = coalesce(erased_at, ?)", now).
		Set("updated_at = ?", now).Set("version = version + 1")
	res, err := where(q, "c", sc).Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return 0, crmtype.ErrNotFound
	}
	return n, nil
}
