package customer

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kehu/crm/crmtype"
)

// ExportOptions configure ExportCustomers and ExportPurchases.
type ExportOptions struct {
	// Format is CSV (with a header row) or JSONLines. Default CSV.
	Format Format
	// Comma is the CSV delimiter. Default ','.
	Comma rune
	// Filter selects the customers (ExportPurchases: whose purchases) to
	// export. Default: every live customer.
	Filter Filter
	// PageSize is how many customers are read per query. Default 500, at
	// most crmtype.MaxPageSize.
	PageSize int
}

// Columns of ExportCustomers, before one "attr.<key>" column per attribute
// definition.
var customerExportColumns = []string{
	"id", "kind", "name", "given_name", "family_name", "stage", "locale", "time_zone",
	"address_line1", "address_line2", "city", "region", "postal_code", "country",
	"owner_id", "source", "tags", "identities", "company_id", "version", "created_at", "updated_at",
}

// Columns of ExportPurchases.
var purchaseExportColumns = []string{
	"id", "customer_id", "customer_email", "order_id", "occurred_at", "amount_minor", "currency",
	"quantity", "channel", "description", "created_at",
}

// exportIdentity is one identity in the "identities" column.
type exportIdentity struct {
	Kind   IdentityKind `json:"kind"`
	System string       `json:"system,omitempty"`
	Value  string       `json:"value"`
	Raw    string       `json:"raw,omitempty"`
	Label  string       `json:"label,omitempty"`
}

// ExportCustomers writes the customers opt.Filter selects to w in creation
// order, reading them page by page, and returns how many it wrote. The
// columns are those DefaultCustomerColumns maps (so the file imports as it
// is) plus id, company_id, version, created_at and updated_at; tags are
// joined by ";" in CSV and an array in JSON Lines; identities are a JSON
// array; each attribute is a column "attr.<key>". Errors: those of List,
// and w's.
func (s *Service) ExportCustomers(ctx context.Context, w io.Writer, opt ExportOptions) (int, error) {
	const op = "export customers"
	defs, err := s.Attributes(ctx)
	if err != nil {
		return 0, err
	}
	keys := make([]string, len(defs))
	for i, d := range defs {
		keys[i] = d.Key
	}
	sort.Strings(keys)
	cols := append([]string(nil), customerExportColumns...)
	for _, k := range keys {
		cols = append(cols, "attr."+k)
	}
	ew, err := newExportWriter(w, opt, cols)
	if err != nil {
		return 0, wrap(op, err)
	}
	n := 0
	err = s.eachCustomer(ctx, opt, func(c *Customer) error {
		ids := make([]exportIdentity, len(c.Identities))
		for i, id := range c.Identities {
			ids[i] = exportIdentity{Kind: id.Kind, System: id.System, Value: id.Value, Label: id.Label}
			if id.Raw != id.Value {
				ids[i].Raw = id.Raw
			}
		}
		idsJSON, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		company := ""
		if !c.CompanyID.IsZero() {
			company = c.CompanyID.String()
		}
		vals := []any{c.ID.String(), string(c.Kind), c.Name, c.GivenName, c.FamilyName, string(c.Stage), c.Locale, c.TimeZone,
			c.Address.Line1, c.Address.Line2, c.Address.City, c.Address.Region, c.Address.PostalCode, c.Address.Country,
			c.OwnerID, c.Source, tagsValue(c.Tags, opt.Format), json.RawMessage(idsJSON), company, c.Version,
			c.CreatedAt.Format(time.RFC3339Nano), c.UpdatedAt.Format(time.RFC3339Nano)}
		for _, k := range keys {
			vals = append(vals, c.Attributes[k])
		}
		n++
		return ew.write(vals)
	})
	if err == nil {
		err = ew.flush()
	}
	return n, wrap(op, err)
}

func tagsValue(tags []string, f Format) any {
	if f == JSONLines {
		if tags == nil {
			return []string{}
		}
		return tags
	}
	return strings.Join(tags, ";")
}

// ExportPurchases writes the purchases of the customers opt.Filter selects
// to w, customer by customer in creation order and newest first within a
// customer, and returns how many it wrote. Its columns are those
// DefaultPurchaseColumns maps (the customer by email, amounts in minor
// units, RFC 3339 times) plus id, customer_id and created_at.
func (s *Service) ExportPurchases(ctx context.Context, w io.Writer, opt ExportOptions) (int, error) {
	const op = "export purchases"
	ew, err := newExportWriter(w, opt, purchaseExportColumns)
	if err != nil {
		return 0, wrap(op, err)
	}
	n := 0
	err = s.eachCustomer(ctx, opt, func(c *Customer) error {
		var after crmtype.Cursor
		for {
			page, err := s.Purchases(ctx, c.ID, PurchaseListParams{Limit: crmtype.MaxPageSize, After: after})
			if err != nil {
				return err
			}
			for _, p := range page.Items {
				n++
				if err := ew.write([]any{p.ID.String(), c.ID.String(), c.Email(), p.OrderID, p.OccurredAt.Format(time.RFC3339Nano),
					p.Amount.Minor, p.Amount.Currency, p.Quantity, p.Channel, p.Description, p.CreatedAt.Format(time.RFC3339Nano)}); err != nil {
					return err
				}
			}
			if page.Next == "" {
				return nil
			}
			after = page.Next
		}
	})
	if err == nil {
		err = ew.flush()
	}
	return n, wrap(op, err)
}

// eachCustomer calls fn for every customer opt selects, in creation order,
// reading them page by page.
func (s *Service) eachCustomer(ctx context.Context, opt ExportOptions, fn func(*Customer) error) error {
	size := opt.PageSize
	if size == 0 {
		size = 500
	}
	p := ListParams{Filter: opt.Filter, Sort: ByCreated, Limit: size}
	for {
		page, err := s.List(ctx, p)
		if err != nil {
			return err
		}
		for _, c := range page.Items {
			if err := fn(c); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		p.After = page.Next
	}
}

// exportWriter writes rows as CSV or JSON Lines.
type exportWriter struct {
	cols []string
	csv  *csv.Writer
	enc  *json.Encoder
}

func newExportWriter(w io.Writer, opt ExportOptions, cols []string) (*exportWriter, error) {
	switch opt.Format {
	case CSV:
		cw := csv.NewWriter(w)
		if opt.Comma != 0 {
			cw.Comma = opt.Comma
		}
		if err := cw.Write(cols); err != nil {
			return nil, err
		}
		return &exportWriter{cols: cols, csv: cw}, nil
	case JSONLines:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return &exportWriter{cols: cols, enc: enc}, nil
	}
	return nil, crmtype.Invalidf("format", "%d is not an export format; use CSV or JSONLines", opt.Format)
}

func (ew *exportWriter) write(vals []any) error {
	if ew.enc != nil {
		m := make(map[string]any, len(vals))
		for i, v := range vals {
			if v == nil || v == "" {
				continue
			}
			m[ew.cols[i]] = v
		}
		return ew.enc.Encode(m)
	}
	rec := make([]string, len(vals))
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
		case string:
			rec[i] = v
		case json.RawMessage:
			rec[i] = string(v)
		case float64:
			rec[i] = strconv.FormatFloat(v, 'g', -1, 64)
		case int64:
			rec[i] = strconv.FormatInt(v, 10)
		case bool:
			rec[i] = strconv.FormatBool(v)
		default:
			rec[i] = fmt.Sprint(v)
		}
	}
	return ew.csv.Write(rec)
}

func (ew *exportWriter) flush() error {
	if ew.csv != nil {
		ew.csv.Flush()
		return ew.csv.Error()
	}
	return nil
}
