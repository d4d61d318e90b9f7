package customer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer/dedup"
)

// matchConfig is a customer import's matching and survivorship settings.
type matchConfig struct {
	matchOn   []IdentityKind
	matches   map[IdentityKind]bool
	invalid   InvalidPolicy
	overwrite bool
}

func newMatchConfig(cfg CustomerImport) (*matchConfig, error) {
	mc := &matchConfig{matchOn: cfg.MatchOn, matches: map[IdentityKind]bool{}, invalid: cfg.Invalid, overwrite: cfg.Overwrite}
	if mc.matchOn == nil {
		mc.matchOn = DefaultMatchOn()
	}
	for i, k := range mc.matchOn {
		switch k {
		case Email, Phone, ExternalID:
		default:
			return nil, crmtype.Invalidf(fmt.Sprintf("match_on[%d]", i), "%q is not an identity kind", k)
		}
		if mc.matches[k] {
			return nil, crmtype.Invalidf(fmt.Sprintf("match_on[%d]", i), "%q is given twice", k)
		}
		mc.matches[k] = true
	}
	switch cfg.Invalid {
	case InvalidKeep, InvalidDrop, InvalidReject:
	default:
		return nil, crmtype.Invalidf("invalid", "%d is not a policy", cfg.Invalid)
	}
	return mc, nil
}

// customerRowData is one customer row, read.
type customerRowData struct {
	line     int
	cp       CreateParams // without identities
	up       UpdateParams
	idCols   []string   // the column of each of ids
	ids      []Identity // canonical (or flagged invalid), without IDs, in column order
	warnings []RowWarning
	rec      dedup.Record // the row's names, to compare with a holder's
}

// importEntry is a customer a batch creates or changes: its state after
// the rows applied so far.
type importEntry struct {
	c      *Customer
	before *Customer // as stored; nil for a customer the import creates
	added  []Identity
	dirty  bool
	failed error
}

// rowOutcome is what became of one row of a batch.
type rowOutcome struct {
	row     *customerRowData
	entry   *importEntry
	created bool
	changed bool
	merge   *ImportMerge
	dup     *ImportDuplicate
}

// maxPairs bounds the possible duplicates one row records: the oldest
// holders of a widely shared key.
const maxPairs = 10

// possiblePair is a possible duplicate a batch records.
type possiblePair struct {
	a, b   *importEntry
	reason string
}

// matcher resolves a batch's rows against the stored customers holding
// their keys (read with one query) and the customers earlier rows of the
// batch made, in memory.
type matcher struct {
	byKey    map[IdentityKey][]*importEntry
	byID     map[crmtype.ID]*importEntry
	created  []*importEntry
	changed  []*importEntry
	outcomes []*rowOutcome
	pairs    []possiblePair
}

func (m *matcher) entryOf(c *Customer) *importEntry {
	if e, ok := m.byID[c.ID]; ok {
		return e
	}
	e := &importEntry{c: cloneCustomer(c), before: c}
	m.byID[c.ID] = e
	return e
}

func (m *matcher) register(mc *matchConfig, e *importEntry, ids []Identity) {
	for _, id := range ids {
		if id.Invalid != "" || !mc.matches[id.Kind] {
			continue
		}
		k := id.Key()
		held := false
		for _, o := range m.byKey[k] {
			held = held || o == e
		}
		if !held {
			m.byKey[k] = append(m.byKey[k], e)
		}
	}
}

// customerBatch loads a batch of customer rows: it reads them, finds the
// stored customers holding their keys with one query, decides every row in
// memory (rows of the batch that share a key see each other), then inserts
// the new customers at once and saves the changed ones at once.
func (b *batch) customerBatch(recs []record, cols *CustomerColumns, mc *matchConfig) error {
	rows := make([]*customerRowData, 0, len(recs))
	for _, rec := range recs {
		if r := b.parseCustomer(rec, cols, mc); r != nil {
			rows = append(rows, r)
		}
	}
	m := &matcher{byKey: map[IdentityKey][]*importEntry{}, byID: map[crmtype.ID]*importEntry{}}
	var keys []IdentityKey
	seen := map[IdentityKey]bool{}
	for _, r := range rows {
		for _, id := range r.ids {
			if k := id.Key(); id.Invalid == "" && mc.matches[id.Kind] && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	if len(keys) > 0 {
		holders, err := b.tx.IdentityHolders(b.ctx, b.sc, keys)
		if err != nil {
			return err
		}
		for _, k := range keys {
			for _, c := range holders[k] {
				m.byKey[k] = append(m.byKey[k], m.entryOf(c))
			}
		}
	}
	for _, r := range rows {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		b.matchRow(m, r, cols, mc)
	}
	return b.flushMatched(m, cols)
}

// parseCustomer reads a row, or rejects it and returns nil.
func (b *batch) parseCustomer(rec record, cols *CustomerColumns, mc *matchConfig) *customerRowData {
	cp, up, idCols, ferr := cols.params(rec, b.im)
	if ferr != nil {
		b.fail(rec.line, ferr.Column, ferr.Err)
		return nil
	}
	// Phones are read in the row's own country.
	region := ""
	if cols.PhoneCountry != "" {
		v, ferr := cell(rec, cols.PhoneCountry, "phone_country", b.im)
		if ferr != nil {
			b.fail(rec.line, ferr.Column, ferr.Err)
			return nil
		}
		if v != "" {
			if region = countryRegion(v); region == "" {
				b.fail(rec.line, cols.PhoneCountry, crmtype.Invalidf("phone_country", "%q is not an ISO 3166-1 alpha-2 country code", v))
				return nil
			}
		}
	}
	if region == "" {
		region = countryRegion(cp.Address.Country)
	}
	if region == "" {
		region = b.im.region
	}
	r := &customerRowData{line: rec.line, up: up}
	seen := map[IdentityKey]bool{}
	for i, ip := range cp.Identities {
		id, err := ip.canonical(region)
		if err != nil {
			ve := err.(*crmtype.ValidationError)
			raw := strings.ToValidUTF8(strings.TrimSpace(ip.Value), "\uFFFD")
			flaggable := (ip.Kind == Email || ip.Kind == Phone) && ve.Field == "value" && ip.System == "" &&
				mc.invalid != InvalidReject && !strings.ContainsRune(raw, 0) && len(raw) <= 512
			if !flaggable {
				b.fail(rec.line, idCols[i], ve.Prefix(fmt.Sprintf("identities[%d]", i)))
				return nil
			}
			reason := ve.Reason
			if raw != strings.TrimSpace(ip.Value) { // not UTF-8: why the text kept is invalid, as hygiene will say
				if _, err := (IdentityParams{Kind: ip.Kind, Value: raw}).canonical(region); err != nil {
					reason = err.(*crmtype.ValidationError).Reason
				}
			}
			r.warnings = append(r.warnings, RowWarning{Line: rec.line, Column: idCols[i], Field: string(ip.Kind),
				Value: raw, Reason: reason, Dropped: mc.invalid == InvalidDrop})
			if mc.invalid == InvalidDrop {
				continue
			}
			id.Value, id.Raw, id.Invalid = raw, raw, reason
		}
		if seen[id.Key()] {
			continue // the same identity given twice in two formats
		}
		seen[id.Key()] = true
		r.ids = append(r.ids, id)
		r.idCols = append(r.idCols, idCols[i])
	}
	if len(r.ids) > 50 {
		b.fail(rec.line, "", crmtype.Invalid("identities", "at most 50 identities are allowed"))
		return nil
	}
	cp.Identities = nil
	r.cp = cp
	name := cp.Name
	if name == "" && (cp.Kind == "" || cp.Kind == Person) {
		name = ComposeName(cp.GivenName, cp.FamilyName, cp.Locale)
	}
	r.rec = DedupRecord(&Customer{Kind: cp.Kind, Name: name, GivenName: cp.GivenName, FamilyName: cp.FamilyName}, "")
	return r
}

// matchRow decides one row: the first key of the row, in MatchOn order,
// that customers hold decides whether it is loaded into one of them or
// creates a customer.
func (b *batch) matchRow(m *matcher, r *customerRowData, cols *CustomerColumns, mc *matchConfig) {
	for _, kind := range mc.matchOn {
		for _, id := range r.ids {
			if id.Kind != kind || id.Invalid != "" {
				continue
			}
			hs := m.byKey[id.Key()]
			if len(hs) == 0 {
				continue
			}
			b.decide(m, r, cols, mc, id.Key(), hs)
			return
		}
	}
	b.createRow(m, r, cols, mc, nil, IdentityKey{}, "")
}

// decide loads row r, whose key k the customers hs hold.
func (b *batch) decide(m *matcher, r *customerRowData, cols *CustomerColumns, mc *matchConfig, k IdentityKey, hs []*importEntry) {
	if k.Kind == ExternalID {
		// An external id names one record of another system: its holder.
		if r.cp.Kind != "" && r.cp.Kind != hs[0].c.Kind {
			b.fail(r.line, cols.Kind, crmtype.Invalidf("kind", "is %q; an import does not change a customer's kind", hs[0].c.Kind))
			return
		}
		b.loadInto(m, r, cols, mc, hs[0], k)
		return
	}
	if len(hs) == 1 && sameCustomer(r, hs[0].c) {
		b.loadInto(m, r, cols, mc, hs[0], k)
		return
	}
	// Not the same person, or a shared key: unless a holder already has
	// everything the row says (a rerun), the row is someone else.
	for _, h := range hs {
		if b.contains(h.c, r) {
			m.outcomes = append(m.outcomes, &rowOutcome{row: r, entry: h, merge: &ImportMerge{Line: r.line, CustomerID: h.c.ID, Key: k}})
			return
		}
	}
	var reason string
	if len(hs) == 1 {
		what := "a customer"
		if hs[0].c.Kind == Company {
			what = "a company"
		}
		reason = fmt.Sprintf("%s held by %s named %s", k, what, hs[0].c.Name)
	} else {
		reason = fmt.Sprintf("%s held by %d customers", k, len(hs))
	}
	b.createRow(m, r, cols, mc, hs, k, reason)
}

// sameCustomer reports whether row r may be customer c: the row's kind, if
// given, is c's, and their names do not clearly differ.
func sameCustomer(r *customerRowData, c *Customer) bool {
	if r.cp.Kind != "" && r.cp.Kind != c.Kind {
		return false
	}
	return !dedup.NamesConflict(r.rec, DedupRecord(c, ""))
}

// contains reports whether c has everything row r says: loading the row
// with overwriting would change nothing.
func (b *batch) contains(c *Customer, r *customerRowData) bool {
	if r.cp.Kind != "" && r.cp.Kind != c.Kind {
		return false
	}
	next := cloneCustomer(c)
	added, err := b.applyRow(next, r, true)
	return err == nil && len(added) == 0 && len(Diff(c, next)) == 0
}

// createRow queues the customer row r creates, recorded as a possible
// duplicate of others (the holders of key k) when there are any.
func (b *batch) createRow(m *matcher, r *customerRowData, cols *CustomerColumns, mc *matchConfig, others []*importEntry, k IdentityKey, reason string) {
	now := b.svc.clock.Now()
	c, err := newCustomerFields(r.cp, b.im.defs, now)
	if err != nil {
		b.fail(r.line, columnOf(err, cols, r.idCols), err)
		return
	}
	for _, id := range r.ids {
		id.ID, id.CustomerID, id.CreatedAt = crmtype.NewID(now), c.ID, now
		c.Identities = append(c.Identities, id)
	}
	e := &importEntry{c: c}
	m.byID[c.ID] = e
	m.created = append(m.created, e)
	m.register(mc, e, c.Identities)
	out := &rowOutcome{row: r, entry: e, created: true}
	if len(others) > maxPairs {
		others = others[:maxPairs] // a switchboard's hundredth caller is no news
	}
	if len(others) > 0 {
		out.dup = &ImportDuplicate{Line: r.line, CustomerID: c.ID, Key: k, Reason: reason}
		for _, o := range others {
			out.dup.OtherIDs = append(out.dup.OtherIDs, o.c.ID)
			m.pairs = append(m.pairs, possiblePair{a: e, b: o, reason: reason})
		}
	}
	m.outcomes = append(m.outcomes, out)
}

// loadInto applies row r to customer e, matched by key k.
func (b *batch) loadInto(m *matcher, r *customerRowData, cols *CustomerColumns, mc *matchConfig, e *importEntry, k IdentityKey) {
	next := cloneCustomer(e.c)
	added, err := b.applyRow(next, r, mc.overwrite)
	if err != nil {
		b.fail(r.line, columnOf(err, cols, r.idCols), err)
		return
	}
	out := &rowOutcome{row: r, entry: e, merge: &ImportMerge{Line: r.line, CustomerID: e.c.ID, Key: k}}
	if len(added) > 0 || len(Diff(e.c, next)) > 0 {
		out.changed = true
		e.c = next
		if e.before != nil {
			next.UpdatedAt = b.svc.clock.Now()
			e.added = append(e.added, added...)
			if !e.dirty {
				m.changed = append(m.changed, e)
			}
		}
		e.dirty = true
		m.register(mc, e, added)
	}
	m.outcomes = append(m.outcomes, out)
}

// applyRow loads row r into c and returns the identities it added.
// Without overwrite, only c's empty fields are filled, tags, attributes
// and identities it lacks added.
func (b *batch) applyRow(c *Customer, r *customerRowData, overwrite bool) ([]Identity, error) {
	up := r.up
	if !overwrite {
		up = fillOnly(c, r.up)
	}
	if err := applyUpdate(c, up, b.im.defs, true); err != nil {
		return nil, err
	}
	held := make(map[IdentityKey]bool, len(c.Identities))
	for _, id := range c.Identities {
		held[id.Key()] = true
	}
	var added []Identity
	now := b.svc.clock.Now()
	for _, id := range r.ids {
		if held[id.Key()] {
			continue
		}
		held[id.Key()] = true
		id.ID, id.CustomerID, id.CreatedAt = crmtype.NewID(now), c.ID, now
		c.Identities = append(c.Identities, id)
		added = append(added, id)
	}
	return added, nil
}

// fillOnly returns the part of up that fills c's empty fields: a
// non-empty field is never replaced by another value; tags and attributes
// are added, never replaced; an address is taken when it only adds lines
// to c's.
func fillOnly(c *Customer, up UpdateParams) UpdateParams {
	out := UpdateParams{Version: up.Version}
	fill := func(cur string, v *string) *string {
		if cur == "" {
			return v
		}
		return nil
	}
	out.Name = fill(c.Name, up.Name)
	out.GivenName = fill(c.GivenName, up.GivenName)
	out.FamilyName = fill(c.FamilyName, up.FamilyName)
	out.Locale = fill(c.Locale, up.Locale)
	out.TimeZone = fill(c.TimeZone, up.TimeZone)
	out.Source = fill(c.Source, up.Source)
	out.OwnerID = fill(c.OwnerID, up.OwnerID)
	if up.Address != nil {
		if a, ok := extendAddress(c.Address, *up.Address); ok {
			out.Address = &a
		}
	}
	if up.Tags != nil {
		tags := append(append([]string(nil), c.Tags...), *up.Tags...)
		out.Tags = &tags
	}
	for k, v := range up.Attributes {
		if _, ok := c.Attributes[k]; !ok {
			if out.Attributes == nil {
				out.Attributes = map[string]any{}
			}
			out.Attributes[k] = v
		}
	}
	return out
}

// extendAddress returns cur with the lines of a it lacks, when a agrees
// with every line cur has (compared as cleaned); false otherwise.
func extendAddress(cur, a Address) (Address, bool) {
	clean, err := cleanAddress(a)
	if err != nil {
		return a, true // let the update report the bad value
	}
	out := cur
	for _, f := range []struct{ cur, next *string }{
		{&out.Line1, &clean.Line1}, {&out.Line2, &clean.Line2}, {&out.City, &clean.City},
		{&out.Region, &clean.Region}, {&out.PostalCode, &clean.PostalCode}, {&out.Country, &clean.Country},
	} {
		switch {
		case *f.next == "" || *f.cur == *f.next:
		case *f.cur == "":
			*f.cur = *f.next
		default:
			return cur, false
		}
	}
	return out, true
}

// flushMatched stores what the batch's rows decided: the new customers
// with one insert, the changed ones with one update, the possible
// duplicates; when a write is refused, it writes customer by customer so
// that only the rows of a refused customer fail. Then it counts the rows.
func (b *batch) flushMatched(m *matcher, cols *CustomerColumns) error {
	creates := make([]*Customer, len(m.created))
	for i, e := range m.created {
		creates[i] = e.c
	}
	changes := make([]CustomerChange, len(m.changed))
	for i, e := range m.changed {
		changes[i] = CustomerChange{Before: e.before, After: e.c, Added: e.added}
	}
	err := b.tx.SaveImport(b.ctx, b.sc, creates, changes, b.pairs(m))
	if err != nil && !rowLevel(err) {
		return err
	}
	if err != nil { // find the customers refused, writing one by one
		if err := b.writeSeparately(m, creates, changes); err != nil {
			return err
		}
	}
	for _, o := range m.outcomes {
		if o.entry.failed != nil {
			var ce *crmtype.ConflictError
			col := columnOf(o.entry.failed, cols, o.row.idCols)
			if col == "" && errors.As(o.entry.failed, &ce) {
				for i, id := range o.row.ids {
					if string(id.Kind) == ce.Field && id.Value == ce.Value {
						col = o.row.idCols[i]
					}
				}
			}
			b.fail(o.row.line, col, o.entry.failed)
			continue
		}
		switch {
		case o.created:
			b.counts.Created++
		case o.changed:
			b.counts.Updated++
		default:
			b.counts.Skipped++
		}
		if len(o.row.warnings) > 0 {
			b.counts.Warned++
			b.warnings = append(b.warnings, o.row.warnings...)
		}
		if o.merge != nil {
			b.merges = append(b.merges, *o.merge)
		}
		if o.dup != nil {
			d := *o.dup
			d.OtherIDs = nil
			for _, id := range o.dup.OtherIDs {
				if e := m.byID[id]; e == nil || e.failed == nil {
					d.OtherIDs = append(d.OtherIDs, id)
				}
			}
			if len(d.OtherIDs) > 0 {
				b.dups = append(b.dups, d)
			}
		}
	}
	return nil
}

// pairs returns the possible duplicates of m whose customers are stored.
func (b *batch) pairs(m *matcher) []PossibleDuplicate {
	var out []PossibleDuplicate
	now := b.svc.clock.Now()
	for _, p := range m.pairs {
		if p.a.failed == nil && p.b.failed == nil {
			out = append(out, PossibleDuplicate{ID: crmtype.NewID(now), CustomerID: p.a.c.ID, OtherID: p.b.c.ID,
				Reason: p.reason, Source: "import", CreatedAt: now})
		}
	}
	return out
}

// writeSeparately writes a batch that SaveImport refused: the new
// customers, then the changed ones, all at once or, when refused, one by
// one, marking those refused; then the pairs of the others.
func (b *batch) writeSeparately(m *matcher, creates []*Customer, changes []CustomerChange) error {
	if len(creates) > 0 {
		if err := b.tx.InsertCustomers(b.ctx, b.sc, creates); err != nil {
			if !rowLevel(err) {
				return err
			}
			for _, e := range m.created {
				if err := b.tx.InsertCustomers(b.ctx, b.sc, []*Customer{e.c}); err != nil {
					if !rowLevel(err) {
						return err
					}
					e.failed = err
				}
			}
		}
	}
	if len(changes) > 0 {
		if err := b.tx.UpdateCustomers(b.ctx, b.sc, changes); err != nil {
			if !rowLevel(err) {
				return err
			}
			for i, e := range m.changed {
				if err := b.tx.UpdateCustomers(b.ctx, b.sc, changes[i:i+1]); err != nil {
					if !rowLevel(err) {
						return err
					}
					e.failed = err
				}
			}
		}
	}
	return b.tx.InsertPossibleDuplicates(b.ctx, b.sc, b.pairs(m))
}
