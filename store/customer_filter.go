package store

import (
	"fmt"
	"strings"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

// cond is one SQL predicate with its arguments.
type cond struct {
	sql  string
	args []any
}

func joinConds(cs []cond) (string, []any) {
	parts := make([]string, len(cs))
	var args []any
	for i, c := range cs {
		parts[i] = "(" + c.sql + ")"
		args = append(args, c.args...)
	}
	return strings.Join(parts, " AND "), args
}

// prefixMatch is the operator that matches a column against prefixPattern:
// case-sensitive, so that an index on the (already folded) column serves it
// — GLOB on SQLite (whose LIKE ignores ASCII case and so skips a binary
// index), LIKE on PostgreSQL (with text_pattern_ops indexes).
func (s *Store) prefixMatch() string {
	if s.pg {
		return `LIKE ? ESCAPE '\'`
	}
	return "GLOB ?"
}

// prefixPattern escapes p for prefixMatch and appends the wildcard.
func (s *Store) prefixPattern(p string) string {
	if s.pg {
		return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(p) + "%"
	}
	return strings.NewReplacer(`*`, `[*]`, `?`, `[?]`, `[`, `[[]`).Replace(p) + "*"
}

// customerFilter returns the predicates of f on alias c, the workspace
// predicate first.
func (s *Store) customerFilter(sc crmtype.Scope, f customer.Filter) []cond {
	expr, args := ws("c", sc)
	cs := []cond{{expr, args}}
	add := func(sql string, args ...any) { cs = append(cs, cond{sql, args}) }
	switch f.Deleted {
	case customer.ExcludeDeleted:
		add("c.deleted_at IS NULL")
	case customer.OnlyDeleted:
		add("c.deleted_at IS NOT NULL")
	}
	if f.Kind != "" {
		add("c.kind = ?", string(f.Kind))
	}
	if f.Stage != "" {
		add("c.stage = ?", string(f.Stage))
	}
	if f.OwnerID != "" {
		add("c.owner_id = ?", f.OwnerID)
	}
	if !f.CompanyID.IsZero() {
		add("c.company_id = ?", f.CompanyID)
	}
	for _, t := range f.Tags {
		add("EXISTS (SELECT 1 FROM crm_customer_tags AS t WHERE t.workspace_id = c.workspace_id AND t.customer_id = c.id AND t.tag = ?)", t)
	}
	if !f.CreatedFrom.IsZero() {
		add("c.created_at >= ?", f.CreatedFrom.UTC())
	}
	if !f.CreatedTo.IsZero() {
		add("c.created_at < ?", f.CreatedTo.UTC())
	}
	if f.NamePrefix != "" {
		add("c.name_fold "+s.prefixMatch(), s.prefixPattern(f.NamePrefix))
	}
	if f.EmailPrefix != "" {
		add(`EXISTS (SELECT 1 FROM crm_identities AS i WHERE i.workspace_id = c.workspace_id AND i.customer_id = c.id AND i.kind = 'email' AND i.system = '' AND i.value `+s.prefixMatch()+`)`, s.prefixPattern(f.EmailPrefix))
	}
	for _, af := range f.Attributes {
		cs = append(cs, s.attributeCond(af))
	}
	return cs
}

var sqlOps = map[customer.Op]string{customer.Eq: "=", customer.Lt: "<", customer.Lte: "<=", customer.Gt: ">", customer.Gte: ">="}

// attributeCond compares a custom attribute. The service has validated the
// key (so it is safe inside a JSON path) and coerced the value to the
// attribute's type. A value of another JSON type (left from a redefined
// attribute) never matches a comparison.
func (s *Store) attributeCond(af customer.AttributeFilter) cond {
	k := af.Key
	// typed is an expression that is the attribute's value when it has the
	// right JSON type, and NULL otherwise.
	var typed string
	var val any = af.Value
	if s.pg {
		path := "c.attributes->'" + k + "'"
		switch af.Type {
		case customer.TypeNumber:
			typed = fmt.Sprintf("CASE WHEN jsonb_typeof(%s) = 'number' THEN (c.attributes->>'%s')::numeric END", path, k)
		case customer.TypeBool:
			typed = fmt.Sprintf("CASE WHEN jsonb_typeof(%s) = 'boolean' THEN (c.attributes->>'%s')::boolean END", path, k)
		default:
			typed = fmt.Sprintf("CASE WHEN jsonb_typeof(%s) = 'string' THEN c.attributes->>'%s' END", path, k)
		}
		switch af.Op {
		case customer.Exists:
			return cond{sql: path + " IS NOT NULL"}
		case customer.Missing:
			return cond{sql: path + " IS NULL"}
		case customer.Ne:
			return cond{sql: typed + " IS DISTINCT FROM ?", args: []any{val}}
		}
		return cond{sql: typed + " " + sqlOps[af.Op] + " ?", args: []any{val}}
	}
	path := "'$." + k + "'"
	switch af.Type {
	case customer.TypeNumber:
		typed = fmt.Sprintf("CASE WHEN json_type(c.attributes, %s) IN ('integer', 'real') THEN json_extract(c.attributes, %s) END", path, path)
	case customer.TypeBool:
		typed = fmt.Sprintf("CASE WHEN json_type(c.attributes, %s) IN ('true', 'false') THEN json_extract(c.attributes, %s) END", path, path)
		if b, _ := val.(bool); b {
			val = 1
		} else {
			val = 0
		}
	default:
		typed = fmt.Sprintf("CASE WHEN json_type(c.attributes, %s) = 'text' THEN json_extract(c.attributes, %s) END", path, path)
	}
	switch af.Op {
	case customer.Exists:
		return cond{sql: "json_type(c.attributes, " + path + ") IS NOT NULL"}
	case customer.Missing:
		return cond{sql: "json_type(c.attributes, " + path + ") IS NULL"}
	case customer.Ne:
		return cond{sql: typed + " IS NOT ?", args: []any{val}}
	}
	return cond{sql: typed + " " + sqlOps[af.Op] + " ?", args: []any{val}}
}
