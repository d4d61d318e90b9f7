package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

// customerRow is a crm_customers row, plus the identities and tags that
// reads aggregate into it as JSON.
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
	Version      int64      `bun:"version"`
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
	DeletedAt    *time.Time `bun:"deleted_at"`

	IdentitiesJSON string  `bun:"identities_json,scanonly"`
	TagsJSON       string  `bun:"tags_json,scanonly"`
	Score          float64 `bun:"score,scanonly"`
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
	return &customerRow{
		WorkspaceID: string(sc.Workspace), ID: c.ID, Kind: string(c.Kind),
		Name: c.Name, NameFold: customer.FoldName(c.Name), NameKey: nameKey(c.Name),
		GivenName: c.GivenName, FamilyName: c.FamilyName, CompanyID: c.CompanyID,
		AddressLine1: c.Address.Line1, AddressLine2: c.Address.Line2, City: c.Address.City,
		Region: c.Address.Region, PostalCode: c.Address.PostalCode, Country: c.Address.Country,
		Locale: c.Locale, TimeZone: c.TimeZone, Stage: string(c.Stage), Source: c.Source,
		OwnerID: c.OwnerID, Attributes: string(b), Version: c.Version,
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
	if err := json.Unmarshal([]byte(r.Attributes), &c.Attributes); err != nil {
		return nil, fmt.Errorf("store: decode attributes of %s: %w", r.ID, err)
	}
	if r.TagsJSON != "" {
		if err := json.Unmarshal([]byte(r.TagsJSON), &c.Tags); err != nil {
			return nil, fmt.Errorf("store: decode tags of %s: %w", r.ID, err)
		}
		sort.Strings(c.Tags)
	}
	if len(c.Tags) == 0 {
		c.Tags = nil
	}
	if r.IdentitiesJSON != "" {
		var raw [][]string
		if err := json.Unmarshal([]byte(r.IdentitiesJSON), &raw); err != nil {
			return nil, fmt.Errorf("store: decode identities of %s: %w", r.ID, err)
		}
		for _, f := range raw {
			if len(f) != 7 {
				return nil, fmt.Errorf("store: decode identities of %s: %d fields", r.ID, len(f))
			}
			id, err := crmtype.ParseID(f[0])
			if err != nil {
				return nil, fmt.Errorf("store: decode identities of %s: %w", r.ID, err)
			}
			t, err := parseTime(f[6])
			if err != nil {
				return nil, fmt.Errorf("store: decode identities of %s: %w", r.ID, err)
			}
			c.Identities = append(c.Identities, customer.Identity{ID: id, CustomerID: r.ID,
				Kind: customer.IdentityKind(f[1]), System: f[2], Value: f[3], Label: f[4], Raw: f[5], CreatedAt: t})
		}
		sort.Slice(c.Identities, func(i, j int) bool {
			return string(c.Identities[i].ID[:]) < string(c.Identities[j].ID[:])
		})
	}
	return c, nil
}

// parseTime reads a timestamp as SQLite stores bun's literals or as
// PostgreSQL renders timestamptz in JSON.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("store: unreadable timestamp %q", s)
}

// customerColumns selects a customer with its identities and tags in one
// statement.
func (s *Store) customerColumns(q *bun.SelectQuery) *bun.SelectQuery {
	if s.pg {
		return q.ColumnExpr("c.*").
			ColumnExpr(`(SELECT coalesce(json_agg(json_build_array(i.id::text, i.kind, i.system, i.value, i.label, i.raw, i.created_at)), '[]') FROM crm_identities AS i WHERE i.workspace_id = c.workspace_id AND i.customer_id = c.id) AS identities_json`).
			ColumnExpr(`(SELECT coalesce(json_agg(t.tag), '[]') FROM crm_customer_tags AS t WHERE t.workspace_id = c.workspace_id AND t.customer_id = c.id) AS tags_json`)
	}
	return q.ColumnExpr("c.*").
		ColumnExpr(`(SELECT json_group_array(json_array(i.id, i.kind, i.system, i.value, i.label, i.raw, i.created_at)) FROM crm_identities AS i WHERE i.workspace_id = c.workspace_id AND i.customer_id = c.id) AS identities_json`).
		ColumnExpr(`(SELECT json_group_array(t.tag) FROM crm_customer_tags AS t WHERE t.workspace_id = c.workspace_id AND t.customer_id = c.id) AS tags_json`)
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
