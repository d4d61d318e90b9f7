package customer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/searchtext"
)

// Service manages the customers of one workspace. Its zero value is not
// usable; crm.Client.Workspace returns a ready one. It is safe for
// concurrent use.
type Service struct {
	store     Store
	workspace crmtype.WorkspaceID
	clock     crmtype.Clock
}

// NewService returns a Service for workspace ws over st, reading time from
// clock (crmtype.SystemClock when nil).
func NewService(st Store, ws crmtype.WorkspaceID, clock crmtype.Clock) *Service {
	return &Service{store: st, workspace: ws, clock: crmtype.StoredClock(clock)}
}

func (s *Service) scope(ctx context.Context, op string) (crmtype.Scope, error) {
	sc, err := crmtype.NewScope(ctx, s.workspace)
	if err != nil {
		return sc, fmt.Errorf("customer: %s: %w", op, err)
	}
	return sc, nil
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("customer: %s: %w", op, err)
}

// Create validates p and stores a new customer with its identities, tags and
// attributes, all or nothing. Phones without a country code are read in the
// customer's country (Address.Country), else in the workspace's default
// region. An email or phone that other customers hold is shared with them
// (see Identity). Errors: ErrInvalid naming the field; ErrConflict (a
// *crmtype.ConflictError naming the customer that holds it) when an
// external id is taken; ErrNotFound when CompanyID names no company.
func (s *Service) Create(ctx context.Context, p CreateParams) (*Customer, error) {
	cs, err := s.create(ctx, []CreateParams{p}, false)
	if err != nil {
		return nil, err
	}
	return cs[0], nil
}

// CreateMany stores many customers in one transaction: all of them, or on
// any error none. Fields of the i-th customer are reported as "[i].field".
func (s *Service) CreateMany(ctx context.Context, ps []CreateParams) ([]*Customer, error) {
	return s.create(ctx, ps, true)
}

func (s *Service) create(ctx context.Context, ps []CreateParams, indexed bool) ([]*Customer, error) {
	const op = "create"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	defs, err := s.store.AttributeDefs(ctx, sc)
	if err != nil {
		return nil, wrap(op, err)
	}
	wsRegion, regionRead := "", false
	now := s.clock.Now()
	cs := make([]*Customer, len(ps))
	for i, p := range ps {
		region := countryRegion(p.Address.Country)
		if region == "" && !regionRead && anyNeedsRegion(p.Identities) {
			if wsRegion, err = s.store.DefaultRegion(ctx, sc); err != nil {
				return nil, wrap(op, err)
			}
			regionRead = true
		}
		if region == "" {
			region = wsRegion
		}
		c, err := newCustomer(p, defs, region, now)
		if err != nil {
			var ve *crmtype.ValidationError
			if indexed && errors.As(err, &ve) {
				err = ve.Prefix("[" + strconv.Itoa(i) + "]")
			}
			return nil, wrap(op, err)
		}
		cs[i] = c
	}
	if err := s.store.InsertCustomers(ctx, sc, cs); err != nil {
		return nil, wrap(op, err)
	}
	return cs, nil
}

// countryRegion returns country as a phone region (upper case), or "" when
// it is not a country code.
func countryRegion(country string) string {
	r, err := CleanRegion("country", country)
	if err != nil {
		return ""
	}
	return r
}

func anyNeedsRegion(ids []IdentityParams) bool {
	for _, p := range ids {
		if p.needsRegion() {
			return true
		}
	}
	return false
}

// newCustomer validates p and returns the customer it describes; phones
// without a country code are read in region.
func newCustomer(p CreateParams, defs []AttributeDef, region string, now time.Time) (*Customer, error) {
	c, err := newCustomerFields(p, defs, now)
	if err != nil {
		return nil, err
	}
	if len(p.Identities) > 50 {
		return nil, crmtype.Invalid("identities", "at most 50 identities are allowed")
	}
	seen := map[IdentityKey]bool{}
	for i, ip := range p.Identities {
		id, err := ip.canonical(region)
		if err != nil {
			return nil, err.(*crmtype.ValidationError).Prefix(fmt.Sprintf("identities[%d]", i))
		}
		if seen[id.Key()] {
			continue // the same identity given twice in two formats
		}
		seen[id.Key()] = true
		id.ID, id.CustomerID, id.CreatedAt = crmtype.NewID(now), c.ID, now
		c.Identities = append(c.Identities, id)
	}
	return c, nil
}

// newCustomerFields is newCustomer without p's identities.
func newCustomerFields(p CreateParams, defs []AttributeDef, now time.Time) (*Customer, error) {
	c := &Customer{ID: crmtype.NewID(now), Version: 1, CreatedAt: now, UpdatedAt: now, CompanyID: p.CompanyID}
	var err error
	if c.Kind, err = cleanKind(p.Kind); err != nil {
		return nil, err
	}
	if c.GivenName, err = singleLine("given_name", p.GivenName, 100, false); err != nil {
		return nil, err
	}
	if c.FamilyName, err = singleLine("family_name", p.FamilyName, 100, false); err != nil {
		return nil, err
	}
	if c.Locale, err = cleanLocale(p.Locale); err != nil {
		return nil, err
	}
	name := p.Name
	if strings.TrimSpace(name) == "" && c.Kind == Person {
		name = ComposeName(c.GivenName, c.FamilyName, c.Locale)
	}
	if c.Name, err = singleLine("name", name, 200, true); err != nil {
		if c.Kind == Person && strings.TrimSpace(name) == "" {
			return nil, crmtype.Invalid("name", "is required: give a name, or a given or family name")
		}
		return nil, err
	}
	if c.Kind == Company && (c.GivenName != "" || c.FamilyName != "" || !c.CompanyID.IsZero()) {
		return nil, crmtype.Invalid("kind", "a company has no given or family name and belongs to no company")
	}
	if c.Address, err = cleanAddress(p.Address); err != nil {
		return nil, err
	}
	if c.TimeZone, err = cleanTimeZone(p.TimeZone); err != nil {
		return nil, err
	}
	if c.Stage, err = cleanStage(p.Stage); err != nil {
		return nil, err
	}
	if c.Source, err = singleLine("source", p.Source, 100, false); err != nil {
		return nil, err
	}
	if c.OwnerID, err = singleLine("owner_id", p.OwnerID, 100, false); err != nil {
		return nil, err
	}
	if c.Tags, err = cleanTags(p.Tags); err != nil {
		return nil, err
	}
	if c.Attributes, err = applyAttributes(defs, nil, p.Attributes, true); err != nil {
		return nil, err
	}
	return c, nil
}

// Get returns the live customer id with its identities, tags and attributes.
// A soft-deleted or unknown customer is ErrNotFound.
func (s *Service) Get(ctx context.Context, id crmtype.ID) (*Customer, error) {
	return s.get(ctx, "get", id, false)
}

// GetIncludingDeleted is Get that also returns a soft-deleted (or erased)
// customer.
func (s *Service) GetIncludingDeleted(ctx context.Context, id crmtype.ID) (*Customer, error) {
	return s.get(ctx, "get", id, true)
}

func (s *Service) get(ctx context.Context, op string, id crmtype.ID, includeDeleted bool) (*Customer, error) {
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	c, err := s.store.GetCustomer(ctx, sc, id, includeDeleted)
	return c, wrap(op, err)
}

// Lookup finds the live customer holding an identity given in any common
// format ("Zhang <ZHANG@example.cn>", "+86 138 0013 8000", a local number
// in the workspace's default region). ErrNotFound when nobody holds it;
// ErrInvalid when the value cannot be an identity of that kind. An email
// or a phone may be shared: when several live customers hold it, Lookup
// returns a *crmtype.ConflictError (matching ErrConflict) whose Reason says
// how many ("is held by 3 customers"); Holders lists them.
func (s *Service) Lookup(ctx context.Context, p IdentityParams) (*Customer, error) {
	const op = "lookup"
	cs, key, err := s.holders(ctx, op, p)
	if err != nil {
		return nil, err
	}
	switch len(cs) {
	case 0:
		return nil, wrap(op, crmtype.ErrNotFound)
	case 1:
		return cs[0], nil
	}
	return nil, wrap(op, &crmtype.ConflictError{Resource: "identity", Field: string(key.Kind), Value: key.Value,
		Reason: fmt.Sprintf("is held by %d customers: list them with Holders", len(cs))})
}

// Holders returns every live customer holding an identity given in any
// common format (as for Lookup), oldest first; none when nobody holds it.
// Identities flagged invalid are not matched. ErrInvalid when the value
// cannot be an identity of that kind.
func (s *Service) Holders(ctx context.Context, p IdentityParams) ([]*Customer, error) {
	cs, _, err := s.holders(ctx, "holders", p)
	return cs, err
}

func (s *Service) holders(ctx context.Context, op string, p IdentityParams) ([]*Customer, IdentityKey, error) {
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, IdentityKey{}, err
	}
	region := ""
	if p.needsRegion() {
		if region, err = s.store.DefaultRegion(ctx, sc); err != nil {
			return nil, IdentityKey{}, wrap(op, err)
		}
	}
	id, err := p.canonical(region)
	if err != nil {
		return nil, IdentityKey{}, wrap(op, err)
	}
	hs, err := s.store.IdentityHolders(ctx, sc, []IdentityKey{id.Key()})
	if err != nil {
		return nil, IdentityKey{}, wrap(op, err)
	}
	return hs[id.Key()], id.Key(), nil
}

// ByEmail is Lookup of an email.
func (s *Service) ByEmail(ctx context.Context, email string) (*Customer, error) {
	return s.Lookup(ctx, IdentityParams{Kind: Email, Value: email})
}

// ByPhone is Lookup of a phone number.
func (s *Service) ByPhone(ctx context.Context, phone string) (*Customer, error) {
	return s.Lookup(ctx, IdentityParams{Kind: Phone, Value: phone})
}

// ByExternalID is Lookup of an id in another system.
func (s *Service) ByExternalID(ctx context.Context, system, id string) (*Customer, error) {
	return s.Lookup(ctx, IdentityParams{Kind: ExternalID, System: system, Value: id})
}

// Update applies p to the live customer id if its version is still
// p.Version, and returns the customer as saved (version increased by one).
// Errors: ErrInvalid; ErrNotFound; ErrConflict when the version is stale.
func (s *Service) Update(ctx context.Context, id crmtype.ID, p UpdateParams) (*Customer, error) {
	const op = "update"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.Version < 1 {
		return nil, wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	var defs []AttributeDef
	if len(p.Attributes) > 0 {
		if defs, err = s.store.AttributeDefs(ctx, sc); err != nil {
			return nil, wrap(op, err)
		}
	}
	// Validate everything that does not depend on the stored record first,
	// so that bad input fails without touching the database.
	next := &Customer{}
	if err := applyUpdate(next, p, nil, false); err != nil {
		return nil, wrap(op, err)
	}
	if _, err := applyAttributes(defs, nil, withoutNil(p.Attributes), false); err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	c, err := s.store.UpdateCustomer(ctx, sc, id, p.Version, func(c *Customer) error {
		if err := applyUpdate(c, p, defs, true); err != nil {
			return err
		}
		c.UpdatedAt = now
		return nil
	})
	return c, wrap(op, err)
}

func withoutNil(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

// applyUpdate writes p's set fields into c. With attrs it also merges the
// attributes against defs.
func applyUpdate(c *Customer, p UpdateParams, defs []AttributeDef, attrs bool) error {
	var err error
	set := func(dst *string, src *string, f func(string) (string, error)) {
		if err == nil && src != nil {
			*dst, err = f(*src)
		}
	}
	line := func(field string, max int, required bool) func(string) (string, error) {
		return func(v string) (string, error) { return singleLine(field, v, max, required) }
	}
	set(&c.Name, p.Name, line("name", 200, true))
	set(&c.GivenName, p.GivenName, line("given_name", 100, false))
	set(&c.FamilyName, p.FamilyName, line("family_name", 100, false))
	set(&c.Locale, p.Locale, cleanLocale)
	set(&c.TimeZone, p.TimeZone, cleanTimeZone)
	set(&c.Source, p.Source, line("source", 100, false))
	set(&c.OwnerID, p.OwnerID, line("owner_id", 100, false))
	if err != nil {
		return err
	}
	if p.CompanyID != nil {
		c.CompanyID = *p.CompanyID
	}
	if p.Address != nil {
		if c.Address, err = cleanAddress(*p.Address); err != nil {
			return err
		}
	}
	if p.Stage != nil {
		if *p.Stage == "" {
			return crmtype.Invalid("stage", "cannot be empty")
		}
		if c.Stage, err = cleanStage(*p.Stage); err != nil {
			return err
		}
	}
	if p.Tags != nil {
		if c.Tags, err = cleanTags(*p.Tags); err != nil {
			return err
		}
	}
	if c.Kind == Company && (c.GivenName != "" || c.FamilyName != "" || !c.CompanyID.IsZero()) {
		return crmtype.Invalid("kind", "a company has no given or family name and belongs to no company")
	}
	if attrs && len(p.Attributes) > 0 {
		if c.Attributes, err = applyAttributes(defs, c.Attributes, p.Attributes, false); err != nil {
			return err
		}
	}
	return nil
}

// Delete soft-deletes the live customer id: it disappears from Get, lists
// and search, keeps its identities (its external ids stay taken) and purchases, and can
// be restored. ErrNotFound when there is no live customer id.
func (s *Service) Delete(ctx context.Context, id crmtype.ID) error {
	const op = "delete"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	_, err = s.store.SetCustomerDeleted(ctx, sc, id, &now, now)
	return wrap(op, err)
}

// Restore brings back a soft-deleted customer. ErrNotFound when customer id
// is not deleted.
func (s *Service) Restore(ctx context.Context, id crmtype.ID) (*Customer, error) {
	const op = "restore"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	c, err := s.store.SetCustomerDeleted(ctx, sc, id, nil, s.clock.Now())
	return c, wrap(op, err)
}

// Purge deletes customer id (live or soft-deleted) for good, with its
// identities, tags and purchases, and empties the values of its events
// (their types and times stay), so no personal data outlives it. A company
// that people still belong to is ErrConflict.
func (s *Service) Purge(ctx context.Context, id crmtype.ID) error {
	const op = "purge"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return err
	}
	return wrap(op, s.store.PurgeCustomer(ctx, sc, id, s.clock.Now()))
}

// List returns one page of the customers p selects, in p's order. Follow
// Page.Next to read every customer; there is no cap.
func (s *Service) List(ctx context.Context, p ListParams) (crmtype.Page[*Customer], error) {
	const op = "list"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Customer]{}, err
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*Customer]{}, wrap(op, err)
	}
	if p.Sort != ByCreated && p.Sort != ByName {
		return crmtype.Page[*Customer]{}, wrap(op, crmtype.Invalid("sort", "is not a known order"))
	}
	if p.Filter, err = s.cleanFilter(ctx, sc, p.Filter); err != nil {
		return crmtype.Page[*Customer]{}, wrap(op, err)
	}
	page, err := s.store.ListCustomers(ctx, sc, p, limit)
	return page, wrap(op, err)
}

// Count returns how many customers f selects.
func (s *Service) Count(ctx context.Context, f Filter) (int, error) {
	const op = "count"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return 0, err
	}
	if f, err = s.cleanFilter(ctx, sc, f); err != nil {
		return 0, wrap(op, err)
	}
	n, err := s.store.CountCustomers(ctx, sc, f)
	return n, wrap(op, err)
}

// Search finds customers whose names, company, emails or phones match the
// query text, best match first. Every word must match, as a word prefix
// ("jo smi" finds John Smith); names in scripts written without spaces match
// by characters ("张" and "三丰" find 张三丰); a query of digits finds phones
// written in any format. An empty query is ErrInvalid.
func (s *Service) Search(ctx context.Context, query string, p SearchParams) ([]SearchHit, error) {
	const op = "search"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.Limit == 0 {
		p.Limit = 20
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	if len(query) > 1000 {
		return nil, wrap(op, crmtype.Invalid("query", "is longer than 1000 bytes"))
	}
	q := searchtext.ParseQuery(query)
	if len(q.Terms) == 0 {
		return nil, wrap(op, crmtype.Invalid("query", "has no letters or digits to search for"))
	}
	if p.Filter, err = s.cleanFilter(ctx, sc, p.Filter); err != nil {
		return nil, wrap(op, err)
	}
	hits, err := s.store.SearchCustomers(ctx, sc, q, p.Filter, limit)
	return hits, wrap(op, err)
}

// cleanFilter validates f and resolves attribute types from the schema.
func (s *Service) cleanFilter(ctx context.Context, sc crmtype.Scope, f Filter) (Filter, error) {
	var err error
	if f.Kind != "" {
		if _, err = cleanKind(f.Kind); err != nil {
			return f, err
		}
	}
	if f.Stage != "" {
		if _, err = cleanStage(f.Stage); err != nil {
			return f, err
		}
	}
	if f.Tags, err = cleanTags(f.Tags); err != nil {
		return f, err
	}
	if f.NamePrefix, err = singleLine("name_prefix", f.NamePrefix, 200, false); err != nil {
		return f, err
	}
	f.NamePrefix = FoldName(f.NamePrefix)
	if f.EmailPrefix, err = singleLine("email_prefix", f.EmailPrefix, 254, false); err != nil {
		return f, err
	}
	f.EmailPrefix = strings.ToLower(f.EmailPrefix) // as CanonicalEmail lower-cases stored emails
	if f.Deleted < ExcludeDeleted || f.Deleted > OnlyDeleted {
		return f, crmtype.Invalid("deleted", "is not a known choice")
	}
	if len(f.Attributes) == 0 {
		return f, nil
	}
	defs, err := s.store.AttributeDefs(ctx, sc)
	if err != nil {
		return f, err
	}
	byKey := make(map[string]AttributeDef, len(defs))
	for _, d := range defs {
		byKey[d.Key] = d
	}
	out := make([]AttributeFilter, len(f.Attributes))
	for i, af := range f.Attributes {
		field := fmt.Sprintf("attributes[%d]", i)
		d, ok := byKey[af.Key]
		if !ok {
			return f, crmtype.Invalidf(field+".key", "%q is not a defined attribute", af.Key)
		}
		if af.Op == "" {
			af.Op = Eq
		}
		af.Type = d.Type
		switch af.Op {
		case Exists, Missing:
			if af.Value != nil {
				return f, crmtype.Invalid(field+".value", "must be nil for exists and missing")
			}
		case Lt, Lte, Gt, Gte:
			if d.Type != TypeNumber && d.Type != TypeDate {
				return f, crmtype.Invalidf(field+".op", "%s applies to number and date attributes only", af.Op)
			}
			fallthrough
		case Eq, Ne:
			v, err := d.coerce(af.Value)
			if err != nil {
				return f, crmtype.Invalid(field+".value", err.(*crmtype.ValidationError).Reason)
			}
			af.Value = v
		default:
			return f, crmtype.Invalidf(field+".op", "%q is not an operator", af.Op)
		}
		out[i] = af
	}
	f.Attributes = out
	return f, nil
}

// AddIdentity gives customer id another identity. A phone without a
// country code is read in the customer's country, else in the workspace's
// default region. An email or phone other customers hold is shared with
// them. ErrConflict (naming the holder) when the external id is taken, or
// when the customer holds the identity already.
func (s *Service) AddIdentity(ctx context.Context, customerID crmtype.ID, p IdentityParams) (Identity, error) {
	const op = "add identity"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return Identity{}, err
	}
	region := ""
	if p.needsRegion() {
		c, err := s.store.GetCustomer(ctx, sc, customerID, false)
		if err != nil {
			return Identity{}, wrap(op, err)
		}
		if region = countryRegion(c.Address.Country); region == "" {
			if region, err = s.store.DefaultRegion(ctx, sc); err != nil {
				return Identity{}, wrap(op, err)
			}
		}
	}
	id, err := p.canonical(region)
	if err != nil {
		return Identity{}, wrap(op, err)
	}
	now := s.clock.Now()
	id.ID, id.CustomerID, id.CreatedAt = crmtype.NewID(now), customerID, now
	if err := s.store.AddIdentity(ctx, sc, &id); err != nil {
		return Identity{}, wrap(op, err)
	}
	return id, nil
}

// RemoveIdentity removes one identity from customer id. ErrNotFound when the
// customer does not hold it.
func (s *Service) RemoveIdentity(ctx context.Context, customerID, identityID crmtype.ID) error {
	const op = "remove identity"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return err
	}
	return wrap(op, s.store.RemoveIdentity(ctx, sc, customerID, identityID, s.clock.Now()))
}

// DefineAttribute adds a custom attribute to the workspace's schema, or
// changes its label, requiredness or enum options. ErrConflict when the
// type would change (define a new key instead), when it would become
// required while live customers have no value, or when it would drop an
// enum option that customers hold.
func (s *Service) DefineAttribute(ctx context.Context, d AttributeDef) (AttributeDef, error) {
	const op = "define attribute"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return d, err
	}
	if d, err = validateDef(d); err != nil {
		return d, wrap(op, err)
	}
	defs, err := s.store.AttributeDefs(ctx, sc)
	if err != nil {
		return d, wrap(op, err)
	}
	if err := checkMatchRole(defs, d); err != nil {
		return d, wrap(op, err)
	}
	d.CreatedAt = s.clock.Now()
	if err := s.store.PutAttributeDef(ctx, sc, d); err != nil {
		return d, wrap(op, err)
	}
	return d, nil
}

// Attributes returns the workspace's custom attribute definitions by key.
func (s *Service) Attributes(ctx context.Context) ([]AttributeDef, error) {
	const op = "attributes"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	defs, err := s.store.AttributeDefs(ctx, sc)
	return defs, wrap(op, err)
}

// RemoveAttribute deletes a custom attribute definition and every
// customer's value for it (their versions increase), so that the key can be
// defined again with another type. ErrNotFound when it is not defined.
func (s *Service) RemoveAttribute(ctx context.Context, key string) error {
	const op = "remove attribute"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return err
	}
	return wrap(op, s.store.DeleteAttributeDef(ctx, sc, key, s.clock.Now()))
}
