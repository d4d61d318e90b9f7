package customer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kehu/crm/crmtype"
)

// TxStore is the part of Store that runs work in a transaction.
type TxStore interface {
	// InTx runs fn in one transaction (a savepoint when the store already
	// works inside one), passing a Store whose every call shares it: fn's
	// writes through tx are kept when fn returns nil and rolled back when
	// it returns an error or panics. The error is fn's, or the database's.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Store) error) error
}

// Format is the layout of an import or export file.
type Format int

// File formats.
const (
	// CSV is RFC 4180 comma-separated values (ImportOptions.Comma picks
	// another delimiter). Quoted fields may span lines.
	CSV Format = iota
	// JSONLines is one JSON object per line; its keys are the column names.
	// String, number and boolean values are read as their text, null as
	// empty, and arrays and objects as their JSON text.
	JSONLines
	// Fields is whitespace-separated fields without quoting, one record a
	// line, as in the CDNOW purchase files. Import only.
	Fields
)

// Defaults of ImportOptions.
const (
	DefaultBatchSize      = 500
	DefaultMaxRecordBytes = 1 << 20  // 1 MiB
	DefaultMaxFieldBytes  = 64 << 10 // 64 KiB
	DefaultMaxErrors      = 1000
)

// ImportOptions configure how an import reads its file and writes its rows.
// The zero value reads a CSV file with a header row and loads it in batches
// of DefaultBatchSize rows.
type ImportOptions struct {
	// Format of the file. Default CSV.
	Format Format
	// Comma is the CSV delimiter. Default ','.
	Comma rune
	// Header, when set, names the file's columns in order, and the file has
	// no header row. When nil, the first row (CSV, Fields) is the header.
	// JSON Lines takes column names from each object's keys.
	Header []string
	// BatchSize is how many rows go into one transaction. Default
	// DefaultBatchSize.
	BatchSize int
	// DryRun runs the import exactly as it would run, in a transaction
	// that is rolled back at the end: the report says what would be
	// created, updated, skipped and rejected, and nothing is written.
	DryRun bool
	// AllOrNothing runs the whole import in one transaction that is rolled
	// back when any row is rejected (the import then returns an error
	// matching ErrInvalid and the report says why). By default each batch
	// commits on its own and rejected rows are only reported.
	AllOrNothing bool
	// MaxRecordBytes bounds one record (a CSV record with its quoted line
	// breaks, or one line); a longer one ends the import with an error,
	// since the rest of the file cannot be trusted. Default
	// DefaultMaxRecordBytes.
	MaxRecordBytes int
	// MaxFieldBytes bounds one imported field; a longer one rejects its
	// row. Default DefaultMaxFieldBytes.
	MaxFieldBytes int
	// MaxErrors is how many rejected rows the report lists; the import
	// stops with an error after this many. Default DefaultMaxErrors.
	MaxErrors int
	// Progress, when set, is called after every batch with the totals so
	// far (of committed batches, or of the whole run in a DryRun or
	// AllOrNothing import).
	Progress func(Progress)
}

func (o ImportOptions) withDefaults() ImportOptions {
	if o.Comma == 0 {
		o.Comma = ','
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if o.MaxFieldBytes <= 0 {
		o.MaxFieldBytes = DefaultMaxFieldBytes
	}
	if o.MaxErrors <= 0 {
		o.MaxErrors = DefaultMaxErrors
	}
	return o
}

// Progress reports how far an import got.
type Progress struct {
	Rows  int   // data rows done
	Bytes int64 // bytes of the file read (the reader buffers ahead)
	ImportCounts
}

// ImportCounts count the rows of an import by outcome.
type ImportCounts struct {
	Created int // rows that created a record (a customer, or a purchase)
	Updated int // rows that changed an existing customer
	Skipped int // rows that changed nothing: the values or the order were already stored
	Failed  int // rejected rows; see ImportReport.Errors
	// Warned counts the rows loaded with a warning (an invalid value kept
	// flagged or dropped); see ImportReport.Warnings.
	Warned int
	// CustomersCreated counts the customers a purchase import created
	// (PurchaseColumns.CreateCustomers).
	CustomersCreated int
}

// ImportReport is the outcome of an import. In a DryRun the counts say what
// would have happened.
type ImportReport struct {
	DryRun bool
	Rows   int   // data rows read and done
	Bytes  int64 // bytes of the file read
	ImportCounts
	// Errors lists the rejected rows in file order, at most
	// ImportOptions.MaxErrors of them.
	Errors []RowError
	// Warnings lists, in file order, the values of loaded rows that could
	// not be read (an invalid email or phone kept flagged or dropped), at
	// most ImportOptions.MaxErrors of them. The rows are not rejected.
	Warnings []RowWarning
	// Merges lists every row of a customer import that matched a customer
	// (stored, or created by an earlier row of the run) and was loaded into
	// it, with the key that decided, in file order.
	Merges []ImportMerge
	// PossibleDuplicates lists every row of a customer import whose key
	// pointed to customers it was not merged with (a name that clearly
	// differs, a key several customers share): the row created a customer,
	// recorded with each of them for review (Service.PossibleDuplicates).
	PossibleDuplicates []ImportDuplicate
}

// RowWarning is a value of a loaded row that could not be read.
type RowWarning struct {
	Line   int    // line of the file where the row starts, from 1
	Column string // the file's column
	Field  string // the kind of value: "email" or "phone"
	Value  string // the text as given (trimmed)
	Reason string // why it is invalid
	// Dropped is true when the value was not stored (InvalidDrop); false
	// when it was kept as an identity flagged invalid.
	Dropped bool
}

// ImportMerge is a row loaded into a customer it matched.
type ImportMerge struct {
	Line       int
	CustomerID crmtype.ID
	Key        IdentityKey // the key that decided the match
}

// ImportDuplicate is a row that created a customer recorded as a possible
// duplicate of others.
type ImportDuplicate struct {
	Line       int
	CustomerID crmtype.ID // the customer the row created
	// OtherIDs are the customers holding Key, oldest first: at most 10 of
	// them (Reason says how many hold a widely shared key).
	OtherIDs []crmtype.ID
	Key      IdentityKey
	Reason   string
}

// RowError says why one row was rejected.
type RowError struct {
	Line   int    // line of the file where the row starts, from 1
	Column string // the file's column, when one is to blame
	Field  string // the record's field (a *crmtype.ValidationError's Field), when known
	Reason string
	Err    error // the underlying error (matches ErrInvalid, ErrConflict or ErrNotFound), when there is one
}

func (e RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d", e.Line)
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %q", e.Column)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ", field %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// IdentityColumn maps a column onto an identity of the customer.
type IdentityColumn struct {
	Column string
	Kind   IdentityKind
	System string // required for ExternalID
	Label  string
}

// CustomerColumns map a file's columns onto customer fields. An empty name
// leaves the field unmapped. A mapped column that is not in the file's
// header is an error for the whole import. A name column is not needed
// when given or family names are mapped: a row without a name takes
// ComposeName of them (with the row's locale). CustomerImport says how rows
// match stored customers.
type CustomerColumns struct {
	Name, GivenName, FamilyName string
	Kind, Stage                 string // Kind applies to new customers only
	Locale, TimeZone            string
	AddressLine1, AddressLine2  string
	City, Region                string
	PostalCode, Country         string
	// PhoneCountry is a column of ISO 3166-1 country codes in which the
	// row's phones without a country code are read. Without it (or with an
	// empty cell) they are read in the row's Country, else in the
	// workspace's default region.
	PhoneCountry    string
	OwnerID, Source string
	// Tags is a column of tags joined by TagSeparator (default ";"), or a
	// JSON array of strings; a non-empty cell replaces the customer's tags.
	Tags         string
	TagSeparator string
	// Identities map columns onto identities; an empty cell adds none.
	Identities []IdentityColumn
	// IdentitiesJSON is a column holding a JSON array of identities
	// ({"kind", "system", "value", "raw", "label"}), as ExportCustomers
	// writes it.
	IdentitiesJSON string
	// Attributes maps attribute keys onto columns. Cells are read by the
	// attribute's type: numbers as decimal, bools as strconv.ParseBool
	// does, dates as 2006-01-02.
	Attributes map[string]string
	// AttributePrefix maps every header column named prefix+key onto the
	// attribute key (e.g. "attr." maps "attr.tier" onto "tier").
	AttributePrefix string
	// DefaultSource is the Source of new customers whose row gives none.
	DefaultSource string
}

// DefaultCustomerColumns returns the mapping of the columns ExportCustomers
// writes, so that an exported file imports as it is.
func DefaultCustomerColumns() CustomerColumns {
	return CustomerColumns{
		Name: "name", GivenName: "given_name", FamilyName: "family_name", Kind: "kind", Stage: "stage",
		Locale: "locale", TimeZone: "time_zone", AddressLine1: "address_line1", AddressLine2: "address_line2",
		City: "city", Region: "region", PostalCode: "postal_code", Country: "country",
		OwnerID: "owner_id", Source: "source", Tags: "tags", TagSeparator: ";",
		IdentitiesJSON: "identities", AttributePrefix: "attr.",
	}
}

// InvalidPolicy says what a customer import does with an email or phone
// cell it cannot read.
type InvalidPolicy int

// Invalid value policies.
const (
	// InvalidKeep loads the row and keeps the value as an identity of its
	// kind flagged invalid (Identity.Invalid says why; its Value is the
	// text as given, trimmed); the report warns (ImportReport.Warnings).
	// The default. A flagged identity is never used to match customers nor
	// sent to; Normalise re-reads it.
	InvalidKeep InvalidPolicy = iota
	// InvalidDrop loads the row without the value; the report warns.
	InvalidDrop
	// InvalidReject rejects the row (ImportReport.Errors).
	InvalidReject
)

// DefaultMatchOn returns the keys rows are matched on by default: external
// ids, then emails. Phones are shared by households and switchboards too
// often to match on unless asked for.
func DefaultMatchOn() []IdentityKind { return []IdentityKind{ExternalID, Email} }

// CustomerImport configures ImportCustomers.
type CustomerImport struct {
	ImportOptions
	// Columns maps columns onto fields. Default DefaultCustomerColumns().
	Columns *CustomerColumns
	// MatchOn lists, in order, the kinds of identity that match a row with
	// a stored customer. nil means DefaultMatchOn (external id, then
	// email); an empty non-nil slice matches nothing (every row creates a
	// customer). Identities of other kinds are stored but never matched.
	MatchOn []IdentityKind
	// Invalid says what happens to an email or phone that cannot be read.
	// Default InvalidKeep.
	Invalid InvalidPolicy
	// Overwrite makes a row that matches a customer overwrite its fields
	// with the row's non-empty cells (a stage, a name), and replace its
	// tags. By default a match only fills the customer's empty fields and
	// adds tags, identities and attributes it lacks: a non-empty value,
	// the name above all, is never replaced by a different one.
	Overwrite bool
}

// errRollback rolls back a DryRun or a failed AllOrNothing import.
var errRollback = errors.New("customer: import: rolled back")

// ImportCustomers reads customers from r and creates or updates them, in
// batches of BatchSize rows, each in one transaction with the validation
// of Create.
//
// Matching never merges people silently. A row's identities of the kinds in
// cfg.MatchOn are tried in that order; the first one that stored customers
// hold (or customers that earlier rows of the run created) decides:
//
//   - an external id, or an email or phone held by exactly one customer
//     whose name does not clearly differ from the row's
//     (dedup.NamesConflict) and whose kind is the row's: the row is loaded
//     into that customer, which it updates (survivorship: see
//     cfg.Overwrite) or leaves as it is (skipped), and ImportReport.Merges
//     lists it with the key;
//   - a key whose holder's name clearly differs (or whose kind is not the
//     row's), or that several customers share: the row creates a customer,
//     recorded as a possible duplicate of each holder for review
//     (ImportReport.PossibleDuplicates, Service.PossibleDuplicates), unless
//     one holder already has everything the row says (the row is skipped,
//     so that a rerun creates nothing).
//
// A row whose keys nobody holds creates a customer. A second run of the
// same file creates nothing: its rows are skipped or update — for rows
// that carry a key to match on. A row without one is created again on
// every run. Phones without a country code are read in the row's
// PhoneCountry, else its Country, else the workspace's default region.
// Invalid emails and phones are kept flagged by default (cfg.Invalid).
//
// Rejected rows (bad values, malformed CSV records, wrong column counts,
// invalid UTF-8, fields over MaxFieldBytes, taken external ids) are listed
// in the report with their line, column, field and reason, and the other
// rows still load, unless AllOrNothing. The returned error is for the file
// or the run as a whole: ErrInvalid for a bad mapping, MatchOn or header, a
// record over MaxRecordBytes, more than MaxErrors rejected rows or, with
// AllOrNothing, any rejected row; the context's error when ctx ends; or a
// database error. The report is returned in every case and counts the
// rows of finished batches (committed ones, except in a DryRun or an
// AllOrNothing import): when ctx is cancelled, every finished batch stays
// committed and running the import again finishes the job.
func (s *Service) ImportCustomers(ctx context.Context, r io.Reader, cfg CustomerImport) (*ImportReport, error) {
	cols := DefaultCustomerColumns()
	if cfg.Columns != nil {
		cols = *cfg.Columns
	}
	if cols.TagSeparator == "" {
		cols.TagSeparator = ";"
	}
	im := &importer{svc: s, opt: cfg.ImportOptions.withDefaults(), op: "import customers"}
	mc, err := newMatchConfig(cfg)
	if err != nil {
		return &im.report, wrap(im.op, err)
	}
	im.batchFn = func(b *batch, recs []record) error { return b.customerBatch(recs, &cols, mc) }
	im.checkHeader = func(header []string, defs []AttributeDef) error { return cols.check(header, defs, cfg.Columns == nil) }
	return im.run(ctx, r)
}

// importer runs one import.
type importer struct {
	svc         *Service
	opt         ImportOptions
	op          string
	rowFn       func(b *batch, rec record) error    // loads one row, or
	batchFn     func(b *batch, recs []record) error // loads the rows of a batch
	checkHeader func(header []string, defs []AttributeDef) error
	finish      func(b *batch) error // flushes a batch's pending writes

	report ImportReport
	// analyzeAt is the count of created customers at which the next
	// AnalyzeCustomers runs.
	analyzeAt int
	defs      []AttributeDef
	region    string
	// known caches identity keys of committed customers (purchase imports).
	known map[string]crmtype.ID
}

func (im *importer) run(ctx context.Context, r io.Reader) (*ImportReport, error) {
	rep, err := im.runErr(ctx, r)
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		err = wrap(im.op, err)
	} else if err != nil {
		err = fmt.Errorf("customer: %s: stopped after %d rows: %w", im.op, rep.Rows, err)
	}
	return rep, err
}

func (im *importer) runErr(ctx context.Context, r io.Reader) (*ImportReport, error) {
	im.report.DryRun = im.opt.DryRun
	im.known = map[string]crmtype.ID{}
	im.analyzeAt = 2000
	sc, err := im.svc.scope(ctx, im.op)
	if err != nil {
		return &im.report, err
	}
	if im.defs, err = im.svc.store.AttributeDefs(ctx, sc); err != nil {
		return &im.report, err
	}
	if im.region, err = im.svc.store.DefaultRegion(ctx, sc); err != nil {
		return &im.report, err
	}
	src, err := newSource(r, im.opt)
	if err != nil {
		return &im.report, err
	}
	if err := im.checkHeader(src.header(), im.defs); err != nil {
		return &im.report, err
	}
	if im.opt.DryRun || im.opt.AllOrNothing {
		err := im.svc.store.InTx(ctx, func(ctx context.Context, tx Store) error {
			if err := im.batches(ctx, sc, src, tx); err != nil {
				return err
			}
			if im.opt.DryRun || im.report.Failed > 0 {
				return errRollback
			}
			return nil
		})
		if errors.Is(err, errRollback) {
			err = nil
			if !im.opt.DryRun {
				err = fmt.Errorf("%d of %d rows rejected, nothing written (all or nothing): %w", im.report.Failed, im.report.Rows, crmtype.ErrInvalid)
			}
		}
		im.report.Bytes = src.bytes()
		return &im.report, err
	}
	err = im.batches(ctx, sc, src, nil)
	im.report.Bytes = src.bytes()
	return &im.report, err
}

// batches reads and loads the file batch by batch: each in its own
// transaction when tx is nil, else in tx.
func (im *importer) batches(ctx context.Context, sc crmtype.Scope, src source, tx Store) error {
	for eof := false; !eof; {
		if err := ctx.Err(); err != nil {
			return err
		}
		var recs []record
		var parseErrs []RowError
		for len(recs)+len(parseErrs) < im.opt.BatchSize {
			rec, err := src.next()
			if err == io.EOF {
				eof = true
				break
			}
			var re *RowError
			if errors.As(err, &re) {
				parseErrs = append(parseErrs, *re)
				continue
			}
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		if len(recs)+len(parseErrs) == 0 {
			break
		}
		load := func(ctx context.Context, tx Store) (*batch, error) {
			b := &batch{im: im, ctx: ctx, sc: sc, tx: tx, svc: NewService(tx, im.svc.workspace, im.svc.clock),
				pendingKeys: map[string]int{}, known: map[string]crmtype.ID{}}
			b.errs = append(b.errs, parseErrs...)
			b.counts.Failed += len(parseErrs)
			if im.batchFn != nil {
				if err := im.batchFn(b, recs); err != nil {
					return nil, err
				}
			}
			for _, rec := range recs {
				if im.rowFn == nil {
					break
				}
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				if err := im.rowFn(b, rec); err != nil {
					return nil, err
				}
			}
			if im.finish != nil {
				if err := im.finish(b); err != nil {
					return nil, err
				}
			}
			return b, nil
		}
		var done *batch
		var err error
		if tx != nil {
			done, err = load(ctx, tx)
		} else {
			err = im.svc.store.InTx(ctx, func(ctx context.Context, tx Store) error {
				done, err = load(ctx, tx)
				return err
			})
		}
		if err != nil {
			return err
		}
		im.commit(done, len(recs)+len(parseErrs))
		if im.analyzeAt > 0 && im.report.Created+im.report.CustomersCreated >= im.analyzeAt {
			// The tables grew a lot: let the planner see it (at 2,000 new
			// customers, then at each fourfold).
			st := im.svc.store
			if tx != nil {
				st = tx
			}
			if err := st.AnalyzeCustomers(ctx, sc); err != nil {
				return err
			}
			im.analyzeAt *= 4
		}
		if im.opt.Progress != nil {
			im.opt.Progress(Progress{Rows: im.report.Rows, Bytes: src.bytes(), ImportCounts: im.report.ImportCounts})
		}
		if im.report.Failed > im.opt.MaxErrors {
			return fmt.Errorf("more than %d rows rejected; stopped: %w", im.opt.MaxErrors, crmtype.ErrInvalid)
		}
	}
	return nil
}

// commit adds a finished batch to the report.
func (im *importer) commit(b *batch, rows int) {
	sort.SliceStable(b.errs, func(i, j int) bool { return b.errs[i].Line < b.errs[j].Line })
	im.report.Rows += rows
	c := &im.report.ImportCounts
	c.Created += b.counts.Created
	c.Updated += b.counts.Updated
	c.Skipped += b.counts.Skipped
	c.Failed += b.counts.Failed
	c.CustomersCreated += b.counts.CustomersCreated
	c.Warned += b.counts.Warned
	for _, e := range b.errs {
		if len(im.report.Errors) < im.opt.MaxErrors {
			im.report.Errors = append(im.report.Errors, e)
		}
	}
	for _, w := range b.warnings {
		if len(im.report.Warnings) < im.opt.MaxErrors {
			im.report.Warnings = append(im.report.Warnings, w)
		}
	}
	im.report.Merges = append(im.report.Merges, b.merges...)
	im.report.PossibleDuplicates = append(im.report.PossibleDuplicates, b.dups...)
	for k, id := range b.known {
		im.known[k] = id
	}
}

// batch is the work of one transaction.
type batch struct {
	im     *importer
	ctx    context.Context
	sc     crmtype.Scope
	tx     Store
	svc    *Service
	counts ImportCounts
	errs   []RowError

	// customers waiting to be inserted, with the lines that made them
	pending     []*Customer
	pendingLine []int
	pendingKeys map[string]int // identity key -> index in pending
	// purchases waiting to be inserted
	purchases    []*Purchase
	purchaseLine []int
	known        map[string]crmtype.ID // identity keys resolved in this batch
	// a customer batch's report entries
	warnings []RowWarning
	merges   []ImportMerge
	dups     []ImportDuplicate
}

func identityKey(id Identity) string {
	return string(id.Kind) + "\x00" + id.System + "\x00" + id.Value
}

// fail records a rejected row. A *crmtype.ValidationError gives the field.
func (b *batch) fail(line int, column string, err error) {
	re := RowError{Line: line, Column: column, Reason: err.Error(), Err: err}
	var ve *crmtype.ValidationError
	var ce *crmtype.ConflictError
	switch {
	case errors.As(err, &ve):
		re.Field, re.Reason = ve.Field, ve.Reason
	case errors.As(err, &ce):
		re.Field = ce.Field
	}
	b.errs = append(b.errs, re)
	b.counts.Failed++
}

// rowLevel reports whether err rejects a row rather than the batch.
func rowLevel(err error) bool {
	return errors.Is(err, crmtype.ErrInvalid) || errors.Is(err, crmtype.ErrConflict) || errors.Is(err, crmtype.ErrNotFound)
}

// flushCustomers inserts the pending customers: all at once, or one by one
// when that fails, so that each bad one is reported on its line.
func (b *batch) flushCustomers() error {
	if len(b.pending) == 0 {
		return nil
	}
	ok := make([]bool, len(b.pending))
	err := b.tx.InsertCustomers(b.ctx, b.sc, b.pending)
	if err == nil {
		for i := range ok {
			ok[i] = true
		}
	} else {
		if !rowLevel(err) {
			return err
		}
		for i, c := range b.pending {
			err := b.tx.InsertCustomers(b.ctx, b.sc, []*Customer{c})
			switch {
			case err == nil:
				ok[i] = true
			case rowLevel(err):
				b.fail(b.pendingLine[i], "", err)
				for _, id := range c.Identities {
					delete(b.known, identityKey(id))
				}
			default:
				return err
			}
		}
	}
	for i, c := range b.pending {
		if !ok[i] {
			continue
		}
		b.counts.Created++
		for _, id := range c.Identities {
			b.known[identityKey(id)] = c.ID
		}
	}
	b.pending, b.pendingLine = b.pending[:0], b.pendingLine[:0]
	clear(b.pendingKeys)
	return nil
}

// lookup returns the live customer holding id, or nil; a key several
// customers share is ErrConflict.
func (b *batch) lookup(id Identity) (*Customer, error) {
	hs, err := b.tx.IdentityHolders(b.ctx, b.sc, []IdentityKey{id.Key()})
	if err != nil {
		return nil, err
	}
	cs := hs[id.Key()]
	switch len(cs) {
	case 0:
		return nil, nil
	case 1:
		return cs[0], nil
	}
	return nil, &crmtype.ConflictError{Resource: "identity", Field: string(id.Kind), Value: id.Value,
		Reason: fmt.Sprintf("is held by %d customers: the row cannot name one", len(cs))}
}

// columnOf names the column behind a validation error's field, if known.
func columnOf(err error, cols *CustomerColumns, idCols []string) string {
	var ve *crmtype.ValidationError
	if !errors.As(err, &ve) {
		return ""
	}
	f := ve.Field
	if strings.HasPrefix(f, "identities[") {
		if end := strings.IndexByte(f, ']'); end > 0 {
			if i, err := strconv.Atoi(f[len("identities["):end]); err == nil && i >= 0 && i < len(idCols) {
				return idCols[i]
			}
		}
	}
	if strings.HasPrefix(f, "attributes.") {
		key := strings.TrimPrefix(f, "attributes.")
		if c, ok := cols.Attributes[key]; ok {
			return c
		}
		if cols.AttributePrefix != "" {
			return cols.AttributePrefix + key
		}
	}
	for _, fc := range cols.fieldColumns() {
		if fc.field == f {
			return fc.column
		}
	}
	return ""
}

type fieldColumn struct {
	field  string
	column string
	dst    func(cp *CreateParams, up *UpdateParams, v string)
}

// fieldColumns lists the mapped plain fields.
func (cols *CustomerColumns) fieldColumns() []fieldColumn {
	str := func(p **string, v string) { *p = &v }
	all := []fieldColumn{
		{"name", cols.Name, func(cp *CreateParams, up *UpdateParams, v string) { cp.Name = v; str(&up.Name, v) }},
		{"given_name", cols.GivenName, func(cp *CreateParams, up *UpdateParams, v string) { cp.GivenName = v; str(&up.GivenName, v) }},
		{"family_name", cols.FamilyName, func(cp *CreateParams, up *UpdateParams, v string) { cp.FamilyName = v; str(&up.FamilyName, v) }},
		{"kind", cols.Kind, func(cp *CreateParams, up *UpdateParams, v string) { cp.Kind = Kind(strings.ToLower(v)) }},
		{"stage", cols.Stage, func(cp *CreateParams, up *UpdateParams, v string) {
			st := Stage(strings.ToLower(v))
			cp.Stage, up.Stage = st, &st
		}},
		{"locale", cols.Locale, func(cp *CreateParams, up *UpdateParams, v string) { cp.Locale = v; str(&up.Locale, v) }},
		{"time_zone", cols.TimeZone, func(cp *CreateParams, up *UpdateParams, v string) { cp.TimeZone = v; str(&up.TimeZone, v) }},
		{"owner_id", cols.OwnerID, func(cp *CreateParams, up *UpdateParams, v string) { cp.OwnerID = v; str(&up.OwnerID, v) }},
		{"source", cols.Source, func(cp *CreateParams, up *UpdateParams, v string) { cp.Source = v; str(&up.Source, v) }},
		{"address.line1", cols.AddressLine1, func(cp *CreateParams, up *UpdateParams, v string) { cp.Address.Line1 = v }},
		{"address.line2", cols.AddressLine2, func(cp *CreateParams, up *UpdateParams, v string) { cp.Address.Line2 = v }},
		{"address.city", cols.City, func(cp *CreateParams, up *UpdateParams, v string) { cp.Address.City = v }},
		{"address.region", cols.Region, func(cp *CreateParams, up *UpdateParams, v string) { cp.Address.Region = v }},
		{"address.postal_code", cols.PostalCode, func(cp *CreateParams, up *UpdateParams, v string) { cp.Address.PostalCode = v }},
		{"address.country", cols.Country, func(cp *CreateParams, up *UpdateParams, v string) { cp.Address.Country = v }},
		{"tags", cols.Tags, nil},
		{"identities", cols.IdentitiesJSON, nil},
	}
	out := all[:0]
	for _, fc := range all {
		if fc.column != "" {
			out = append(out, fc)
		}
	}
	return out
}

// attributeColumns returns the attribute key of every mapped column.
func (cols *CustomerColumns) attributeColumns(header []string) map[string]string {
	out := map[string]string{}
	for k, c := range cols.Attributes {
		out[c] = k
	}
	if cols.AttributePrefix != "" {
		for _, h := range header {
			if k, ok := strings.CutPrefix(h, cols.AttributePrefix); ok {
				if _, mapped := out[h]; !mapped {
					out[h] = k
				}
			}
		}
	}
	return out
}

// check validates the mapping against the header and the attribute schema.
// With lenient (the default mapping), mapped columns other than the name
// may be missing from the header.
func (cols *CustomerColumns) check(header []string, defs []AttributeDef, lenient bool) error {
	byKey := map[string]bool{}
	for _, d := range defs {
		byKey[d.Key] = true
	}
	for col, k := range cols.attributeColumns(header) {
		if !byKey[k] {
			return crmtype.Invalidf("columns", "column %q maps onto attribute %q, which is not defined", col, k)
		}
	}
	for _, ic := range cols.Identities {
		switch ic.Kind {
		case Email, Phone:
		case ExternalID:
			if ic.System == "" {
				return crmtype.Invalidf("columns", "column %q holds external ids but names no system", ic.Column)
			}
		default:
			return crmtype.Invalidf("columns", "column %q has identity kind %q", ic.Column, ic.Kind)
		}
	}
	if header == nil { // JSON Lines: columns are per object
		return nil
	}
	have := map[string]bool{}
	for _, h := range header {
		have[h] = true
	}
	need := []string{}
	for _, fc := range cols.fieldColumns() {
		need = append(need, fc.column)
	}
	for _, ic := range cols.Identities {
		need = append(need, ic.Column)
	}
	for _, c := range cols.Attributes {
		need = append(need, c)
	}
	for _, c := range need {
		if !have[c] && !lenient {
			return crmtype.Invalidf("columns", "column %q is mapped but not in the header", c)
		}
	}
	if cols.Name != "" && !have[cols.Name] && !have[cols.GivenName] && !have[cols.FamilyName] {
		return crmtype.Invalidf("columns", "the name column %q is not in the header, nor are given or family names", cols.Name)
	}
	if cols.PhoneCountry != "" && !have[cols.PhoneCountry] && !lenient {
		return crmtype.Invalidf("columns", "column %q is mapped but not in the header", cols.PhoneCountry)
	}
	return nil
}

// formError is a row rejected while reading its cells.
type formError struct {
	Column string
	Err    error
}

// cell returns the trimmed text of column col, checking its encoding and
// size; field names the record field for errors.
func cell(rec record, col, field string, im *importer) (string, *formError) {
	if col == "" {
		return "", nil
	}
	v := rec.get(col)
	if len(v) > im.opt.MaxFieldBytes {
		return "", &formError{col, crmtype.Invalidf(field, "is %d bytes long; at most %d are allowed", len(v), im.opt.MaxFieldBytes)}
	}
	if !utf8.ValidString(v) {
		return "", &formError{col, crmtype.Invalid(field, "is not valid UTF-8")}
	}
	return strings.TrimSpace(v), nil
}

// params reads a row into the parameters of a create and of an update.
func (cols *CustomerColumns) params(rec record, im *importer) (CreateParams, UpdateParams, []string, *formError) {
	var cp CreateParams
	var up UpdateParams
	var idCols []string
	addr := false
	for _, fc := range cols.fieldColumns() {
		v, ferr := cell(rec, fc.column, fc.field, im)
		if ferr != nil {
			return cp, up, nil, ferr
		}
		if v == "" || fc.dst == nil {
			continue
		}
		fc.dst(&cp, &up, v)
		if strings.HasPrefix(fc.field, "address.") {
			addr = true
		}
	}
	if addr {
		up.Address = &cp.Address
	}
	if cols.Kind != "" && cp.Kind != "" {
		if _, err := cleanKind(cp.Kind); err != nil {
			return cp, up, nil, &formError{cols.Kind, err}
		}
	}
	if cp.Source == "" {
		cp.Source = cols.DefaultSource
	}
	if v, ferr := cell(rec, cols.Tags, "tags", im); ferr != nil {
		return cp, up, nil, ferr
	} else if v != "" {
		tags, err := splitList(v, cols.TagSeparator)
		if err != nil {
			return cp, up, nil, &formError{cols.Tags, crmtype.Invalid("tags", err.Error())}
		}
		cp.Tags = tags
		up.Tags = &tags
	}
	for _, ic := range cols.Identities {
		v, ferr := cell(rec, ic.Column, "identities", im)
		if ferr != nil && (ic.Kind == Email || ic.Kind == Phone) && len(rec.get(ic.Column)) <= im.opt.MaxFieldBytes {
			// Not UTF-8: an invalid email or phone like any other, which the
			// import's InvalidPolicy decides on.
			v, ferr = strings.TrimSpace(rec.get(ic.Column)), nil
		}
		if ferr != nil {
			return cp, up, nil, ferr
		}
		if v != "" {
			cp.Identities = append(cp.Identities, IdentityParams{Kind: ic.Kind, System: ic.System, Label: ic.Label, Value: v})
			idCols = append(idCols, ic.Column)
		}
	}
	if v, ferr := cell(rec, cols.IdentitiesJSON, "identities", im); ferr != nil {
		return cp, up, nil, ferr
	} else if v != "" {
		var ids []struct {
			Kind   IdentityKind `json:"kind"`
			System string       `json:"system"`
			Value  string       `json:"value"`
			Raw    string       `json:"raw"`
			Label  string       `json:"label"`
		}
		if err := json.Unmarshal([]byte(v), &ids); err != nil {
			return cp, up, nil, &formError{cols.IdentitiesJSON, crmtype.Invalid("identities", "is not a JSON array of identities")}
		}
		for _, id := range ids {
			val := id.Raw
			if val == "" {
				val = id.Value
			}
			cp.Identities = append(cp.Identities, IdentityParams{Kind: id.Kind, System: id.System, Value: val, Label: id.Label})
			idCols = append(idCols, cols.IdentitiesJSON)
		}
	}
	attrCols := cols.attributeColumns(rec.columns())
	if len(attrCols) > 0 {
		types := make(map[string]AttributeType, len(im.defs))
		for _, d := range im.defs {
			types[d.Key] = d.Type
		}
		for col, key := range attrCols {
			field := "attributes." + key
			v, ferr := cell(rec, col, field, im)
			if ferr != nil {
				return cp, up, nil, ferr
			}
			if v == "" {
				continue
			}
			var val any = v
			switch types[key] {
			case TypeNumber:
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return cp, up, nil, &formError{col, crmtype.Invalidf(field, "%q is not a number", v)}
				}
				val = f
			case TypeBool:
				bv, err := strconv.ParseBool(v)
				if err != nil {
					return cp, up, nil, &formError{col, crmtype.Invalidf(field, "%q is not true or false", v)}
				}
				val = bv
			}
			if cp.Attributes == nil {
				cp.Attributes, up.Attributes = map[string]any{}, map[string]any{}
			}
			cp.Attributes[key], up.Attributes[key] = val, val
		}
	}
	return cp, up, idCols, nil
}

// splitList reads a JSON array of strings, or text joined by sep.
func splitList(v, sep string) ([]string, error) {
	if strings.HasPrefix(v, "[") {
		var out []string
		if err := json.Unmarshal([]byte(v), &out); err != nil {
			return nil, errors.New("is not a JSON array of strings")
		}
		return out, nil
	}
	var out []string
	for _, t := range strings.Split(v, sep) {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out, nil
}

// record is one data row of the file.
type record struct {
	line   int
	header []string       // CSV and Fields
	index  map[string]int // column -> position in values
	values []string
	object map[string]string // JSON Lines
}

func (r record) get(col string) string {
	if r.object != nil {
		return r.object[col]
	}
	if i, ok := r.index[col]; ok && i < len(r.values) {
		return r.values[i]
	}
	return ""
}

func (r record) columns() []string {
	if r.object == nil {
		return r.header
	}
	cols := make([]string, 0, len(r.object))
	for k := range r.object {
		cols = append(cols, k)
	}
	return cols
}

// source reads records; next returns io.EOF at the end, a *RowError for a
// malformed row (reading can go on), or another error that ends the import.
type source interface {
	header() []string
	next() (record, error)
	bytes() int64
}

// counter counts the bytes read and bounds the bytes of one record.
type counter struct {
	r     io.Reader
	n     int64
	since int // bytes since the last record began
	max   int
}

var errRecordTooLong = errors.New("record too long")

func (c *counter) Read(p []byte) (int, error) {
	if c.since > c.max+64<<10 { // the reader buffers ahead: allow its buffer
		return 0, errRecordTooLong
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.since += n
	return n, err
}

func newSource(r io.Reader, opt ImportOptions) (source, error) {
	cnt := &counter{r: r, max: opt.MaxRecordBytes}
	switch opt.Format {
	case CSV:
		return newCSVSource(cnt, opt)
	case JSONLines, Fields:
		sc := bufio.NewScanner(cnt)
		sc.Buffer(make([]byte, 0, 64<<10), opt.MaxRecordBytes+2)
		ls := &lineSource{sc: sc, cnt: cnt, opt: opt}
		if opt.Format == JSONLines {
			return ls, nil
		}
		if opt.Header != nil {
			ls.hdr = opt.Header
		} else {
			line, err := ls.line()
			if err == io.EOF {
				return nil, crmtype.Invalid("file", "is empty: it has no header row")
			}
			if err != nil {
				return nil, err
			}
			ls.hdr = strings.Fields(strings.TrimPrefix(string(line), "\ufeff"))
		}
		idx, err := headerIndex(ls.hdr)
		if err != nil {
			return nil, err
		}
		ls.index = idx
		return ls, nil
	}
	return nil, crmtype.Invalidf("format", "%d is not a file format", opt.Format)
}

func headerIndex(h []string) (map[string]int, error) {
	idx := make(map[string]int, len(h))
	for i, c := range h {
		if !utf8.ValidString(c) {
			return nil, crmtype.Invalidf("header", "column %d is not valid UTF-8", i+1)
		}
		if _, dup := idx[c]; dup && c != "" {
			return nil, crmtype.Invalidf("header", "column %q appears twice", c)
		}
		idx[c] = i
	}
	return idx, nil
}

type csvSource struct {
	r     *csv.Reader
	cnt   *counter
	hdr   []string
	index map[string]int
}

func newCSVSource(cnt *counter, opt ImportOptions) (*csvSource, error) {
	r := csv.NewReader(cnt)
	r.Comma = opt.Comma
	if opt.Comma == '"' || opt.Comma == '\r' || opt.Comma == '\n' || !utf8.ValidRune(opt.Comma) || opt.Comma == utf8.RuneError {
		return nil, crmtype.Invalidf("comma", "%q cannot separate CSV fields", opt.Comma)
	}
	s := &csvSource{r: r, cnt: cnt}
	if opt.Header != nil {
		s.hdr = opt.Header
		r.FieldsPerRecord = len(opt.Header)
	} else {
		h, err := r.Read()
		if err == io.EOF {
			return nil, crmtype.Invalid("file", "is empty: it has no header row")
		}
		if errors.Is(err, errRecordTooLong) {
			return nil, crmtype.Invalidf("file", "the header is longer than %d bytes", opt.MaxRecordBytes)
		}
		if err != nil {
			return nil, crmtype.Invalidf("header", "cannot be read: %v", err)
		}
		if len(h) > 0 {
			h[0] = strings.TrimPrefix(h[0], "\ufeff")
		}
		for i := range h {
			h[i] = strings.TrimSpace(h[i])
		}
		s.hdr = h
	}
	idx, err := headerIndex(s.hdr)
	if err != nil {
		return nil, err
	}
	s.index = idx
	return s, nil
}

func (s *csvSource) header() []string { return s.hdr }
func (s *csvSource) bytes() int64     { return s.cnt.n }

func (s *csvSource) next() (record, error) {
	s.cnt.since = 0
	vals, err := s.r.Read()
	line := 0
	if len(vals) > 0 {
		line, _ = s.r.FieldPos(0)
	}
	if err != nil {
		if err == io.EOF {
			return record{}, io.EOF
		}
		if errors.Is(err, errRecordTooLong) {
			return record{}, crmtype.Invalidf("file", "a record near line %d is longer than %d bytes", line, s.cnt.max)
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			reason := pe.Err.Error()
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				reason = fmt.Sprintf("has %d fields; the header has %d", len(vals), len(s.hdr))
			}
			return record{}, &RowError{Line: pe.StartLine, Reason: "malformed CSV: " + reason, Err: crmtype.ErrInvalid}
		}
		return record{}, err
	}
	if s.cnt.since > s.cnt.max+64<<10 {
		return record{}, crmtype.Invalidf("file", "the record at line %d is longer than %d bytes", line, s.cnt.max)
	}
	return record{line: line, header: s.hdr, index: s.index, values: vals}, nil
}

type lineSource struct {
	sc     *bufio.Scanner
	cnt    *counter
	opt    ImportOptions
	hdr    []string
	index  map[string]int
	lineNo int
	done   int64 // bytes of the lines consumed
}

func (s *lineSource) header() []string { return s.hdr }
func (s *lineSource) bytes() int64     { return s.done }

// line returns the next line without its end of line.
func (s *lineSource) line() ([]byte, error) {
	if !s.sc.Scan() {
		if err := s.sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				return nil, crmtype.Invalidf("file", "line %d is longer than %d bytes", s.lineNo+1, s.opt.MaxRecordBytes)
			}
			return nil, err
		}
		return nil, io.EOF
	}
	s.lineNo++
	b := s.sc.Bytes()
	s.done += int64(len(b)) + 1
	return bytes.TrimSuffix(b, []byte("\r")), nil
}

func (s *lineSource) next() (record, error) {
	for {
		b, err := s.line()
		if err != nil {
			return record{}, err
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue // blank lines carry no row
		}
		if s.opt.Format == Fields {
			vals := strings.Fields(string(b))
			if len(vals) != len(s.hdr) {
				return record{}, &RowError{Line: s.lineNo, Reason: fmt.Sprintf("has %d fields; the header has %d", len(vals), len(s.hdr)), Err: crmtype.ErrInvalid}
			}
			return record{line: s.lineNo, header: s.hdr, index: s.index, values: vals}, nil
		}
		if !utf8.Valid(b) {
			return record{}, &RowError{Line: s.lineNo, Reason: "is not valid UTF-8", Err: crmtype.ErrInvalid}
		}
		obj, err := jsonObject(b)
		if err != nil {
			return record{}, &RowError{Line: s.lineNo, Reason: "malformed JSON: " + err.Error(), Err: crmtype.ErrInvalid}
		}
		return record{line: s.lineNo, object: obj}, nil
	}
}

// jsonObject reads one JSON object into column texts.
func jsonObject(b []byte) (map[string]string, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]json.RawMessage
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("more than one value on the line")
	}
	if m == nil {
		return nil, errors.New("is not an object")
	}
	out := make(map[string]string, len(m))
	for k, raw := range m {
		raw = bytes.TrimSpace(raw)
		switch {
		case len(raw) == 0 || string(raw) == "null":
			out[k] = ""
		case raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, err
			}
			out[k] = s
		default:
			out[k] = string(raw) // numbers, booleans, arrays, objects
		}
	}
	return out, nil
}

// PurchaseColumns map a file's columns onto purchases. The customer of a
// row is the one holding its external id (CustomerExternalID with
// CustomerSystem), else its email, else its phone.
type PurchaseColumns struct {
	CustomerExternalID string
	CustomerSystem     string // the external system of CustomerExternalID; required with it
	CustomerEmail      string
	CustomerPhone      string
	// CreateCustomers creates a customer for a row whose customer is not
	// stored, named by CustomerName's cell or else by the row's customer
	// key, with that key as identity and DefaultSource as source. Without
	// it such a row is rejected (field "customer").
	CreateCustomers bool
	CustomerName    string
	DefaultSource   string

	// OccurredAt is the purchase time, read with TimeLayout (default
	// time.RFC3339Nano) in Location (default UTC).
	OccurredAt string
	TimeLayout string
	Location   *time.Location
	// Amount is the amount in major units ("29.33"), converted exactly to
	// minor units with CurrencyDigits; AmountMinor is the amount in minor
	// units. Map one of them.
	Amount      string
	AmountMinor string
	// Currency is a column of ISO 4217 codes; DefaultCurrency is the
	// currency of rows without one.
	Currency        string
	DefaultCurrency string
	Quantity        string // an integer; a decimal with zero fraction ("3.0") is accepted
	Channel         string
	Description     string
	// OrderID is the order's id. A row whose order id is already recorded
	// is skipped, so running a file again adds nothing. For files without
	// order ids, OrderIDPrefix gives each row the id prefix+line number,
	// which makes reruns of the same file safe.
	OrderID       string
	OrderIDPrefix string
}

// DefaultPurchaseColumns returns the mapping of the columns ExportPurchases
// writes: the customer by email, minor units and RFC 3339 times.
func DefaultPurchaseColumns() PurchaseColumns {
	return PurchaseColumns{
		CustomerEmail: "customer_email", OccurredAt: "occurred_at", AmountMinor: "amount_minor",
		Currency: "currency", Quantity: "quantity", Channel: "channel", Description: "description", OrderID: "order_id",
	}
}

// PurchaseImport configures ImportPurchases.
type PurchaseImport struct {
	ImportOptions
	// Columns maps columns onto purchase fields. Default
	// DefaultPurchaseColumns().
	Columns *PurchaseColumns
}

// ImportPurchases reads purchases from r and records them in batches, each
// in one transaction, with the validation of RecordPurchase. A row whose
// order id is already recorded is skipped. Rows, errors and the report are
// as for ImportCustomers.
//
// The CDNOW purchase files (whitespace-separated, no header) import with
// Format Fields, a Header naming their columns, CustomerExternalID with a
// system, CreateCustomers, TimeLayout "20060102", Amount in dollars,
// DefaultCurrency "USD" and an OrderIDPrefix.
func (s *Service) ImportPurchases(ctx context.Context, r io.Reader, cfg PurchaseImport) (*ImportReport, error) {
	cols := DefaultPurchaseColumns()
	if cfg.Columns != nil {
		cols = *cfg.Columns
	}
	if cols.TimeLayout == "" {
		cols.TimeLayout = time.RFC3339Nano
	}
	if cols.Location == nil {
		cols.Location = time.UTC
	}
	im := &importer{svc: s, opt: cfg.ImportOptions.withDefaults(), op: "import purchases"}
	im.rowFn = func(b *batch, rec record) error { return b.purchaseRow(rec, &cols) }
	im.checkHeader = func(header []string, _ []AttributeDef) error { return cols.check(header, cfg.Columns == nil) }
	im.finish = func(b *batch) error { return b.flushPurchases() }
	return im.run(ctx, r)
}

// check validates the mapping against the header. With lenient (the
// default mapping), optional columns may be missing from the header.
func (cols *PurchaseColumns) check(header []string, lenient bool) error {
	if cols.CustomerExternalID == "" && cols.CustomerEmail == "" && cols.CustomerPhone == "" {
		return crmtype.Invalid("columns", "map a customer column: external id, email or phone")
	}
	if cols.CustomerExternalID != "" && cols.CustomerSystem == "" {
		return crmtype.Invalid("columns", "the customer external id needs CustomerSystem")
	}
	if cols.OccurredAt == "" {
		return crmtype.Invalid("columns", "map the occurred_at column")
	}
	if (cols.Amount == "") == (cols.AmountMinor == "") {
		return crmtype.Invalid("columns", "map exactly one of Amount and AmountMinor")
	}
	if cols.Currency == "" && cols.DefaultCurrency == "" {
		return crmtype.Invalid("columns", "map the currency column or set DefaultCurrency")
	}
	if cols.DefaultCurrency != "" {
		if _, err := CurrencyDigits(cols.DefaultCurrency); err != nil {
			return err
		}
	}
	if header == nil {
		return nil
	}
	have := map[string]bool{}
	for _, h := range header {
		have[h] = true
	}
	need := []string{cols.CustomerExternalID, cols.CustomerEmail, cols.CustomerPhone, cols.OccurredAt, cols.Amount, cols.AmountMinor}
	if !lenient {
		need = append(need, cols.CustomerName, cols.Currency, cols.Quantity, cols.Channel, cols.Description, cols.OrderID)
	}
	for _, c := range need {
		if c != "" && !have[c] {
			return crmtype.Invalidf("columns", "column %q is mapped but not in the header", c)
		}
	}
	return nil
}

// purchaseRow reads one purchase row and queues it.
func (b *batch) purchaseRow(rec record, cols *PurchaseColumns) error {
	get := func(col, field string) (string, bool) {
		v, ferr := cell(rec, col, field, b.im)
		if ferr != nil {
			b.fail(rec.line, ferr.Column, ferr.Err)
			return "", false
		}
		return v, true
	}
	// The customer.
	var key *Identity
	var keyCol string
	for _, k := range []struct {
		col    string
		kind   IdentityKind
		system string
	}{{cols.CustomerExternalID, ExternalID, cols.CustomerSystem}, {cols.CustomerEmail, Email, ""}, {cols.CustomerPhone, Phone, ""}} {
		v, ok := get(k.col, "customer")
		if !ok {
			return nil
		}
		if v == "" {
			continue
		}
		id, err := IdentityParams{Kind: k.kind, System: k.system, Value: v}.canonical(b.im.region)
		if err != nil {
			b.fail(rec.line, k.col, err.(*crmtype.ValidationError).Prefix("customer"))
			return nil
		}
		key, keyCol = &id, k.col
		break
	}
	if key == nil {
		b.fail(rec.line, "", crmtype.Invalid("customer", "the row names no customer"))
		return nil
	}
	var p PurchaseParams
	var err error
	// The purchase.
	at, ok := get(cols.OccurredAt, "occurred_at")
	if !ok {
		return nil
	}
	if p.OccurredAt, err = time.ParseInLocation(cols.TimeLayout, at, cols.Location); err != nil {
		b.fail(rec.line, cols.OccurredAt, crmtype.Invalidf("occurred_at", "%q is not a time in the layout %q", at, cols.TimeLayout))
		return nil
	}
	cur := cols.DefaultCurrency
	if v, ok := get(cols.Currency, "amount.currency"); !ok {
		return nil
	} else if v != "" {
		cur = strings.ToUpper(v)
	}
	p.Amount.Currency = cur
	if cols.Amount != "" {
		v, ok := get(cols.Amount, "amount")
		if !ok {
			return nil
		}
		digits, err := CurrencyDigits(cur)
		if err != nil {
			b.fail(rec.line, cols.Currency, err.(*crmtype.ValidationError).Prefix("amount"))
			return nil
		}
		if p.Amount.Minor, err = MinorUnits(v, digits); err != nil {
			b.fail(rec.line, cols.Amount, err)
			return nil
		}
	} else {
		v, ok := get(cols.AmountMinor, "amount.minor")
		if !ok {
			return nil
		}
		if p.Amount.Minor, err = strconv.ParseInt(v, 10, 64); err != nil {
			b.fail(rec.line, cols.AmountMinor, crmtype.Invalidf("amount.minor", "%q is not a whole number", v))
			return nil
		}
	}
	if v, ok := get(cols.Quantity, "quantity"); !ok {
		return nil
	} else if v != "" {
		q, err := MinorUnits(v, 0)
		if err != nil {
			b.fail(rec.line, cols.Quantity, crmtype.Invalidf("quantity", "%q is not a whole number", v))
			return nil
		}
		p.Quantity = q
	}
	if p.Channel, ok = get(cols.Channel, "channel"); !ok {
		return nil
	}
	if p.Description, ok = get(cols.Description, "description"); !ok {
		return nil
	}
	if p.OrderID, ok = get(cols.OrderID, "order_id"); !ok {
		return nil
	}
	if p.OrderID == "" && cols.OrderIDPrefix != "" {
		p.OrderID = cols.OrderIDPrefix + strconv.Itoa(rec.line)
	}
	p.CustomerID = crmtype.ID{1} // resolved below, once the purchase is valid
	pu, err := newPurchase(p, b.svc.clock.Now())
	if err != nil {
		b.fail(rec.line, "", err)
		return nil
	}
	if pu.CustomerID, err = b.resolve(rec, cols, *key); err != nil {
		if rowLevel(err) {
			b.fail(rec.line, keyCol, err)
			return nil
		}
		return err
	}
	b.purchases = append(b.purchases, pu)
	b.purchaseLine = append(b.purchaseLine, rec.line)
	return nil
}

// resolve returns the id of the customer holding key, creating it when
// cols.CreateCustomers.
func (b *batch) resolve(rec record, cols *PurchaseColumns, key Identity) (crmtype.ID, error) {
	k := identityKey(key)
	if id, ok := b.known[k]; ok {
		return id, nil
	}
	if id, ok := b.im.known[k]; ok {
		return id, nil
	}
	c, err := b.lookup(key)
	if err != nil {
		return crmtype.ID{}, err
	}
	if c != nil {
		b.known[k] = c.ID
		return c.ID, nil
	}
	if !cols.CreateCustomers {
		return crmtype.ID{}, crmtype.Invalidf("customer", "no customer has %s %q", key.Kind, key.Value)
	}
	name, ferr := cell(rec, cols.CustomerName, "name", b.im)
	if ferr != nil {
		return crmtype.ID{}, ferr.Err
	}
	if name == "" {
		name = key.Value
	}
	nc, err := newCustomer(CreateParams{Name: name, Source: cols.DefaultSource, Stage: StageCustomer,
		Identities: []IdentityParams{{Kind: key.Kind, System: key.System, Value: key.Raw}}}, b.im.defs, b.im.region, b.svc.clock.Now())
	if err != nil {
		return crmtype.ID{}, err
	}
	b.pending = append(b.pending, nc)
	b.pendingLine = append(b.pendingLine, rec.line)
	b.known[k] = nc.ID
	return nc.ID, nil
}

// flushPurchases stores the batch's new customers, then its purchases: all
// at once, or one by one when that fails.
func (b *batch) flushPurchases() error {
	created, failed := b.counts.Created, b.counts.Failed
	if err := b.flushCustomers(); err != nil {
		return err
	}
	// A customer that cannot be created is reported, but the rows that
	// count as failed are its purchases, which then fail too.
	b.counts.Failed = failed
	// flushCustomers counts customers as created rows; here they are not rows.
	b.counts.CustomersCreated += b.counts.Created - created
	b.counts.Created = created
	if len(b.purchases) == 0 {
		return nil
	}
	err := b.tx.InsertPurchases(b.ctx, b.sc, b.purchases)
	if err == nil {
		b.counts.Created += len(b.purchases)
		return nil
	}
	if !rowLevel(err) {
		return err
	}
	for i, p := range b.purchases {
		err := b.tx.InsertPurchases(b.ctx, b.sc, []*Purchase{p})
		var ce *crmtype.ConflictError
		switch {
		case err == nil:
			b.counts.Created++
		case errors.As(err, &ce) && ce.Field == "order_id":
			b.counts.Skipped++ // already recorded
		case rowLevel(err):
			b.fail(b.purchaseLine[i], "", err)
		default:
			return err
		}
	}
	return nil
}

// MinorUnits converts a decimal amount in major units ("29.33", "-5",
// "1200.5") exactly into minor units of a currency with digits decimals
// (2933, -500, 120050 for digits 2). More decimals than digits are an
// error unless they are zeros; so is anything but an optional sign, digits
// and one '.'. Errors are a *crmtype.ValidationError for field "amount".
func MinorUnits(s string, digits int) (int64, error) {
	bad := func() (int64, error) { return 0, crmtype.Invalidf("amount", "%q is not a decimal number", s) }
	v := strings.TrimSpace(s)
	neg := false
	if v != "" && (v[0] == '-' || v[0] == '+') {
		neg = v[0] == '-'
		v = v[1:]
	}
	whole, frac, _ := strings.Cut(v, ".")
	if whole == "" && frac == "" {
		return bad()
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return bad()
			}
		}
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > digits {
		return 0, crmtype.Invalidf("amount", "%q has more than %d decimals", s, digits)
	}
	frac += strings.Repeat("0", digits-len(frac))
	digitsStr := strings.TrimLeft(whole+frac, "0")
	if digitsStr == "" {
		return 0, nil
	}
	if len(digitsStr) > 18 {
		return 0, crmtype.Invalidf("amount", "%q is too large", s)
	}
	n, err := strconv.ParseInt(digitsStr, 10, 64)
	if err != nil {
		return bad()
	}
	if neg {
		n = -n
	}
	return n, nil
}
