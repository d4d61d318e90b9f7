package store

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

// customerRow is a crm_customers row. Identities and Tags are JSON copies of
// the customer's crm_identities and crm_customer_tags rows, written in the
// same transaction: those tables enforce uniqueness and serve lookups and
// filters, the copies let a customer be read with one single-table
// statement.
type customerRow struct {
	bun.BaseModel `bun:"table:crm_customers,alias:c"`

	WorkspaceID  string     `bun:"workspace_id,pk"`
	ID           crmtype.ID `bun:"id,pk,type:uuid"`
	Kind         string     `bun:"kind"`
	Name         string     `bun:"name"`
	NameFold     string     `bun:"name_fold"`
	NameKey      []byte     `bun:"name_key"`
	GivenName    string     `bun:"given_name"`
	FamilyName   string     `bun:"family_name"`
	CompanyID    crmtype.ID `bun:"company_id,type:uuid"`
	AddressLine1 string     `bun:"address_line1"`
	AddressLine2 string     `bun:"address_line2"`
	City         string     `bun:"city"`
	Region       string     `bun:"region"`
	PostalCode   string     `bun:"postal_code"`
	Country      string     `bun:"country"`
	Locale       string     `bun:"locale"`
	TimeZone     string     `bun:"time_zone"`
	Stage        string     `bun:"stage"`
	Source       string     `bun:"source"`
	OwnerID      string     `bun:"owner_id"`
	Attributes   string     `bun:"attributes"`
	Identities   string     `bun:"identities"`
	Tags         string     `bun:"tags"`
	Version      int64      `bun:"version"`
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
	DeletedAt    *time.Time `bun:"deleted_at"`
	ErasedAt     *time.Time `bun:"erased_at"`

	Score float64 `bun:"score,scanonly"`
}

type identityRow struct {
	bun.BaseModel `bun:"table:crm_identities,alias:i"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ID          crmtype.ID `bun:"id,pk,type:uuid"`
	CustomerID  crmtype.ID `bun:"customer_id,type:uuid"`
	Kind        string     `bun:"kind"`
	System      string     `bun:"system"`
	Value       string     `bun:"value"`
	Label       string     `bun:"label"`
	Raw         string     `bun:"raw"`
	CreatedAt   time.Time  `bun:"created_at"`
	// InvalidReason flags a value that is not a valid email or phone.
	InvalidReason string `bun:"invalid_reason"`
}

type tagRow struct {
	bun.BaseModel `bun:"table:crm_customer_tags,alias:t"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	CustomerID  crmtype.ID `bun:"customer_id,pk,type:uuid"`
	Tag         string     `bun:"tag,pk"`
}

// nameKey is the binary sort key of a name under the Unicode collation
// algorithm (root locale): byte order of keys is collation order of names,
// the same on every database.
func nameKey(name string) []byte {
	k := keyers.Get().(*keyer)
	key := append([]byte(nil), k.c.KeyFromString(&k.buf, name)...)
	k.buf.Reset()
	keyers.Put(k)
	return key
}

// keyer is a collator with its buffer. A collate.Collator is not safe for
// concurrent use and costly to build, so each goroutine borrows one.
type keyer struct {
	c   *collate.Collator
	buf collate.Buffer
}

var keyers = sync.Pool{New: func() any { return &keyer{c: collate.New(language.Und)} }}

func toCustomerRow(sc crmtype.Scope, c *customer.Customer) (*customerRow, error) {
	attrs := c.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		return nil, fmt.Errorf("store: encode attributes: %w", err)
	}
	ids, err := encodeIdentities(c.Identities)
	if err != nil {
		return nil, err
	}
	tags := c.Tags
	if tags == nil {
		tags = []string{}
	}
	tb, err := json.Marshal(tags)
	if err != nil {
		return nil, fmt.Errorf("store: encode tags: %w", err)
	}
	return &customerRow{
		WorkspaceID: string(sc.Workspace), ID: c.ID, Kind: string(c.Kind),
		Name: c.Name, NameFold: customer.FoldName(c.Name), NameKey: nameKey(c.Name),
		GivenName: c.GivenName, FamilyName: c.FamilyName, CompanyID: c.CompanyID,
		AddressLine1: c.Address.Line1, AddressLine2: c.Address.Line2, City: c.Address.City,
		Region: c.Address.Region, PostalCode: c.Address.PostalCode, Country: c.Address.Country,
		Locale: c.Locale, TimeZone: c.TimeZone, Stage: string(c.Stage), Source: c.Source,
		OwnerID: c.OwnerID, Attributes: string(b), Identities: ids, Tags: string(tb), Version: c.Version,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, DeletedAt: c.DeletedAt,
	}, nil
}

func (r *customerRow) toCustomer() (*customer.Customer, error) {
	c := &customer.Customer{
		ID: r.ID, Kind: customer.Kind(r.Kind), Name: r.Name, GivenName: r.GivenName,
		FamilyName: r.FamilyName, CompanyID: r.CompanyID,
		Address: customer.Address{Line1: r.AddressLine1, Line2: r.AddressLine2, City: r.City,
			Region: r.Region, PostalCode: r.PostalCode, Country: r.Country},
		Locale: r.Locale, TimeZone: r.TimeZone, Stage: customer.Stage(r.Stage), Source: r.Source,
		OwnerID: r.OwnerID, Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.DeletedAt != nil {
		t := r.DeletedAt.UTC()
		c.DeletedAt = &t
	}
	if r.ErasedAt != nil {
		t := r.ErasedAt.UTC()
		c.ErasedAt = &t
	}
	if err := json.Unmarshal([]byte(r.Attributes), &c.Attributes); err != nil {
		return nil, fmt.Errorf("store: decode attributes of %s: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Tags), &c.Tags); err != nil {
		return nil, fmt.Errorf("store: decode tags of %s: %w", r.ID, err)
	}
	if len(c.Tags) == 0 {
		c.Tags = nil
	}
	var ids []storedIdentity
	if err := json.Unmarshal([]byte(r.Identities), &ids); err != nil {
		return nil, fmt.Errorf("store: decode identities of %s: %w", r.ID, err)
	}
	for _, id := range ids {
		c.Identities = append(c.Identities, customer.Identity{ID: id.ID, CustomerID: r.ID, Kind: id.Kind,
			System: id.System, Value: id.Value, Label: id.Label, Raw: id.Raw, Invalid: id.Invalid, CreatedAt: id.CreatedAt.UTC()})
	}
	return c, nil
}

// storedIdentity is the JSON form of an identity inside crm_customers.identities.
type storedIdentity struct {
	ID        crmtype.ID            `json:"i"`
	Kind      customer.IdentityKind `json:"k"`
	System    string                `json:"s,omitempty"`
	Value     string                `json:"v"`
	Label     string                `json:"l,omitempty"`
	Raw       string                `json:"r,omitempty"`
	Invalid   string                `json:"x,omitempty"`
	CreatedAt time.Time             `json:"t"`
}

func encodeIdentities(ids []customer.Identity) (string, error) {
	out := make([]storedIdentity, len(ids))
	for i, id := range ids {
		out[i] = storedIdentity{ID: id.ID, Kind: id.Kind, System: id.System, Value: id.Value,
			Label: id.Label, Raw: id.Raw, Invalid: id.Invalid, CreatedAt: id.CreatedAt}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("store: encode identities: %w", err)
	}
	return string(b), nil
}

func rowsToCustomers(rows []customerRow) ([]*customer.Customer, error) {
	out := make([]*customer.Customer, len(rows))
	for i := range rows {
		c, err := rows[i].toCustomer()
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}
