package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/marketing"
)

var _ marketing.SegmentStore = (*Store)(nil)

// errRule is what the compiler returns for a rule that validation should
// have refused: it never guesses.
var errRule = errors.New("store: segment rule is not validated")

// CompileSegment returns the statement that selects the ids of the live
// customers of the scope's workspace (neither deleted, merged away nor
// erased, created at or before at) that the validated rule r selects at
// instant at (see marketing.Rule), with its arguments. The statement is
// one SELECT; every value of the rule is an argument (bun placeholders),
// and every identifier comes from a fixed whitelist, so no text of the
// rule reaches the SQL. The same rule gives the same members on SQLite
// and PostgreSQL.
func (s *Store) CompileSegment(sc crmtype.Scope, r marketing.Rule, at time.Time) (string, []any, error) {
	if sc.Workspace == "" {
		return "", nil, crmtype.ErrNoWorkspace
	}
	at = at.UTC().Truncate(time.Microsecond)
	c := &segCompiler{s: s, ws: string(sc.Workspace), at: at}
	pred, err := c.rule(r, 1)
	if err != nil {
		return "", nil, err
	}
	q := "SELECT c.id FROM crm_customers AS c WHERE c.workspace_id = ? AND c.deleted_at IS NULL AND c.erased_at IS NULL AND c.created_at <= ? AND " + pred
	return q, append([]any{c.ws, at}, c.args...), nil
}

type segCompiler struct {
	s     *Store
	ws    string
	at    time.Time
	args  []any
	nodes int
}

func (c *segCompiler) arg(vs ...any) { c.args = append(c.args, vs...) }

// placeholders returns "?, ?, ..." for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

var cmpOps = map[marketing.Op]string{marketing.OpEq: "=", marketing.OpNe: "<>", marketing.OpLt: "<",
	marketing.OpLte: "<=", marketing.OpGt: ">", marketing.OpGte: ">="}

var fieldColumns = map[string]string{"kind": "c.kind", "stage": "c.stage", "source": "c.source", "owner_id": "c.owner_id",
	"country": "c.country", "region": "c.region", "city": "c.city", "locale": "c.locale", "time_zone": "c.time_zone",
	"created_at": "c.created_at"}

// rule compiles r to a two-valued predicate (true or false, never NULL),
// appending its arguments in order.
func (c *segCompiler) rule(r marketing.Rule, depth int) (string, error) {
	c.nodes++
	if depth > marketing.MaxRuleDepth || c.nodes > marketing.MaxRuleNodes {
		return "", errRule
	}
	switch {
	case len(r.And) > 0 || len(r.Or) > 0:
		list, join := r.And, " AND "
		if len(r.Or) > 0 {
			if len(r.And) > 0 {
				return "", errRule
			}
			list, join = r.Or, " OR "
		}
		parts := make([]string, len(list))
		for i, k := range list {
			p, err := c.rule(k, depth+1)
			if err != nil {
				return "", err
			}
			parts[i] = p
		}
		return "(" + strings.Join(parts, join) + ")", nil
	case r.Not != nil:
		p, err := c.rule(*r.Not, depth+1)
		if err != nil {
			return "", err
		}
		return "(NOT " + p + ")", nil
	case r.Field != nil:
		return c.field(r.Field)
	case r.Attribute != nil:
		return c.attribute(r.Attribute)
	case r.Tag != "":
		c.arg(c.ws, r.Tag)
		return "EXISTS (SELECT 1 FROM crm_customer_tags AS t WHERE t.workspace_id = ? AND t.customer_id = c.id AND t.tag = ?)", nil
	case r.Identity != "":
		c.arg(c.ws, string(r.Identity))
		return "EXISTS (SELECT 1 FROM crm_identities AS i WHERE i.workspace_id = ? AND i.customer_id = c.id AND i.kind = ?)", nil
	case r.Consent != nil:
		return c.consent(r.Consent)
	case r.Purchases != nil:
		return c.purchases(r.Purchases)
	case r.Interactions != nil:
		return c.interactions(r.Interactions)
	case r.Tickets != nil:
		return c.tickets(r.Tickets)
	case r.RFM != nil:
		return c.rfm(r.RFM)
	}
	return "", errRule
}

// strings returns v as a list of strings (a string, []string or []any of
// strings); ok false otherwise.
func ruleStrings(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case []string:
		return x, len(x) > 0 && len(x) <= marketing.MaxRuleList
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, len(out) > 0 && len(out) <= marketing.MaxRuleList
	}
	return nil, false
}

// textCond compares the text expression col (whose own arguments are
// colArgs, repeated for each use) with the values of op.
func (c *segCompiler) textCond(col string, colArgs []any, op marketing.Op, v any) (string, error) {
	vals, ok := ruleStrings(v)
	if !ok {
		return "", errRule
	}
	for _, s := range vals {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return "", errRule
		}
	}
	c.arg(colArgs...)
	switch op {
	case marketing.OpEq, marketing.OpNe:
		if _, single := v.(string); !single {
			return "", errRule
		}
		c.arg(vals[0])
		return col + " " + cmpOps[op] + " ?", nil
	case marketing.OpIn, marketing.OpNotIn:
		for _, s := range vals {
			c.arg(s)
		}
		not := ""
		if op == marketing.OpNotIn {
			not = "NOT "
		}
		return col + " " + not + "IN (" + placeholders(len(vals)) + ")", nil
	case marketing.OpPrefix:
		if _, single := v.(string); !single || vals[0] == "" {
			return "", errRule
		}
		// substr counts characters on both databases: no LIKE or GLOB
		// pattern, so nothing to escape.
		c.arg(utf8.RuneCountInString(vals[0]), vals[0])
		return "substr(" + col + ", 1, ?) = ?", nil
	}
	return "", errRule
}

func (c *segCompiler) field(f *marketing.FieldCond) (string, error) {
	col, ok := fieldColumns[f.Name]
	if !ok {
		return "", errRule
	}
	if f.Name == "created_at" {
		return c.instantCond(col, f.Op, f.Value)
	}
	return c.textCond(col, nil, f.Op, f.Value)
}

// instantCond compares the timestamp column col (never NULL) for before,
// after and within.
func (c *segCompiler) instantCond(col string, op marketing.Op, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", errRule
	}
	t, err := c.instant(op, s)
	if err != nil {
		return "", err
	}
	c.arg(t)
	if op == marketing.OpBefore {
		return "(" + col + " < ?)", nil
	}
	return "(" + col + " > ?)", nil // after, within
}

// instant resolves the value of before, after or within.
func (c *segCompiler) instant(op marketing.Op, s string) (time.Time, error) {
	switch op {
	case marketing.OpWithin:
		d, err := marketing.ParseWindow(s)
		if err != nil {
			return time.Time{}, errRule
		}
		return c.at.Add(-d), nil
	case marketing.OpBefore, marketing.OpAfter:
		t, err := marketing.Instant(s, c.at)
		if err != nil {
			return time.Time{}, errRule
		}
		return t.UTC().Truncate(time.Microsecond), nil
	}
	return time.Time{}, errRule
}

func (c *segCompiler) attribute(a *marketing.AttributeCond) (string, error) {
	if a.Key == "" || len(a.Key) > 63 {
		return "", errRule
	}
	for _, r := range a.Key {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return "", errRule
		}
	}
	// The key is an argument too: a JSON path on SQLite, a key on
	// PostgreSQL.
	var key any = a.Key
	var jsonType, value, present string
	if c.s.pg {
		jsonType, value, present = "COALESCE(jsonb_typeof(c.attributes -> ?), '')", "(c.attributes ->> ?)", "(c.attributes -> ?) IS NOT NULL"
	} else {
		key = "$." + a.Key
		jsonType, value, present = "COALESCE(json_type(c.attributes, ?), '')", "json_extract(c.attributes, ?)", "json_type(c.attributes, ?) IS NOT NULL"
	}
	// jsonType is never NULL, so that each comparison below is false, not
	// NULL, for a missing value: NOT must be the exact complement.
	switch a.Op {
	case marketing.OpExists:
		c.arg(key)
		return present, nil
	case marketing.OpMissing:
		c.arg(key)
		return "(NOT " + present + ")", nil
	}
	switch a.Type {
	case customer.TypeNumber:
		f, ok := a.Value.(float64)
		op, okOp := cmpOps[a.Op]
		if !ok || !okOp {
			return "", errRule
		}
		c.arg(key, key, f)
		if c.s.pg {
			return "(CASE WHEN " + jsonType + " = 'number' THEN " + value + "::numeric " + op + " ? ELSE FALSE END)", nil
		}
		return "(" + jsonType + " IN ('integer', 'real') AND " + value + " " + op + " ?)", nil
	case customer.TypeBool:
		b, ok := a.Value.(bool)
		if !ok || a.Op != marketing.OpEq {
			return "", errRule
		}
		lit := "false"
		if b {
			lit = "true"
		}
		if c.s.pg {
			c.arg(key, key, lit)
			return "(" + jsonType + " = 'boolean' AND " + value + " = ?)", nil
		}
		c.arg(key, lit)
		return "(" + jsonType + " = ?)", nil
	case customer.TypeDate:
		s, ok := a.Value.(string)
		op, okOp := cmpOps[a.Op]
		if !ok || !okOp || len(s) != 10 {
			return "", errRule
		}
		c.arg(key, key, s)
		if c.s.pg {
			return "(" + jsonType + " = 'string' AND " + value + ` COLLATE "C" ` + op + " ?)", nil
		}
		return "(" + jsonType + " = 'text' AND " + value + " " + op + " ?)", nil
	case customer.TypeString, customer.TypeEnum:
		if a.Op == marketing.OpPrefix {
			return "", errRule
		}
		c.arg(key)
		str := "'text'"
		if c.s.pg {
			str = "'string'"
		}
		cmp, err := c.textCond(value, []any{key}, a.Op, a.Value)
		if err != nil {
			return "", err
		}
		return "(" + jsonType + " = " + str + " AND " + cmp + ")", nil
	}
	return "", errRule
}

// consent compiles communication's effective-state rule (see
// marketing.ConsentCond) for the customer c.
func (c *segCompiler) consent(k *marketing.ConsentCond) (string, error) {
	applies := func(a string) string {
		c.arg(c.ws, c.at, k.Channel, k.Purpose)
		return a + ".workspace_id = ? AND " + a + ".customer_id = c.id AND " + a + ".effective_at <= ? AND (" +
			a + ".channel = '' OR " + a + ".channel = ?) AND (" + a + ".purpose = '' OR " + a + ".purpose = ?) AND " + a + ".list = ''"
	}
	later := func(a, b string) string {
		return "(" + a + ".effective_at > " + b + ".effective_at OR (" + a + ".effective_at = " + b + ".effective_at AND (" +
			a + ".recorded_at > " + b + ".recorded_at OR (" + a + ".recorded_at = " + b + ".recorded_at AND " + a + ".id > " + b + ".id))))"
	}
	// latest: a is the latest entry of its state.
	latest := func(a, a2 string) string {
		return "NOT EXISTS (SELECT 1 FROM crm_consents AS " + a2 + " WHERE " + applies(a2) + " AND " + a2 + ".state = " + a + ".state AND " + later(a2, a) + ")"
	}
	revoked := func() string {
		head := "EXISTS (SELECT 1 FROM crm_consents AS r WHERE " + applies("r") + " AND r.state = 'revoked' AND " + latest("r", "r2")
		lift := " AND NOT EXISTS (SELECT 1 FROM crm_consents AS g WHERE " + applies("g") + " AND g.state = 'granted' AND " + latest("g", "g2") +
			" AND " + later("g", "r") + " AND (r.channel = '' OR g.channel = r.channel) AND (r.purpose = '' OR g.purpose = r.purpose)))"
		return head + lift
	}
	exists := func(state string) string {
		s := "EXISTS (SELECT 1 FROM crm_consents AS e WHERE " + applies("e")
		if state != "" {
			c.arg(state)
			s += " AND e.state = ?"
		}
		return s + ")"
	}
	switch k.State {
	case "revoked":
		return "(" + revoked() + ")", nil
	case "granted":
		r := revoked()
		return "(NOT " + r + " AND " + exists("granted") + ")", nil
	case "pending":
		r := revoked()
		g := exists("granted")
		return "(NOT " + r + " AND NOT " + g + " AND " + exists("pending") + ")", nil
	case "none":
		return "(NOT " + exists("") + ")", nil
	}
	return "", errRule
}

func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true
		}
	}
	return 0, false
}

// countCond compares the count or sum subquery sub with the rule's value.
func (c *segCompiler) countCond(sub string, op marketing.Op, v any) (string, error) {
	n, ok := intValue(v)
	o, okOp := cmpOps[op]
	if !ok || !okOp {
		return "", errRule
	}
	c.arg(n)
	return "(" + sub + " " + o + " ?)", nil
}

// window adds "AND a.col > ?" for a window ("" for none).
func (c *segCompiler) window(col, within string) (string, error) {
	if within == "" {
		return "", nil
	}
	d, err := marketing.ParseWindow(within)
	if err != nil {
		return "", errRule
	}
	c.arg(c.at.Add(-d))
	return " AND " + col + " > ?", nil
}

func (c *segCompiler) purchases(p *marketing.PurchaseCond) (string, error) {
	// base is the purchases of c up to At, in the currency when given.
	base := func() string {
		c.arg(c.ws, c.at)
		s := "FROM crm_purchases AS p WHERE p.workspace_id = ? AND p.customer_id = c.id AND p.occurred_at <= ?"
		if p.Currency != "" {
			c.arg(p.Currency)
			s += " AND p.currency = ?"
		}
		return s
	}
	switch p.Metric {
	case marketing.MetricCount, marketing.MetricSum:
		if p.Metric == marketing.MetricSum && p.Currency == "" {
			return "", errRule
		}
		agg := "COUNT(*)"
		if p.Metric == marketing.MetricSum {
			agg = "COALESCE(SUM(p.amount_minor), 0)"
		}
		b := base()
		w, err := c.window("p.occurred_at", p.Within)
		if err != nil {
			return "", err
		}
		return c.countCond("(SELECT "+agg+" "+b+w+")", p.Op, p.Value)
	case marketing.MetricLast, marketing.MetricFirst:
		s, ok := p.Value.(string)
		if !ok || p.Within != "" {
			return "", errRule
		}
		t, err := c.instant(p.Op, s)
		if err != nil {
			return "", err
		}
		after := p.Op != marketing.OpBefore // within d is after At − d
		switch {
		case p.Metric == marketing.MetricLast && after: // max > t
			b := base()
			c.arg(t)
			return "EXISTS (SELECT 1 " + b + " AND p.occurred_at > ?)", nil
		case p.Metric == marketing.MetricLast: // max < t
			b1 := base()
			b2 := base()
			c.arg(t)
			return "(EXISTS (SELECT 1 " + b1 + ") AND NOT EXISTS (SELECT 1 " + b2 + " AND p.occurred_at >= ?))", nil
		case after: // min > t
			b1 := base()
			b2 := base()
			c.arg(t)
			return "(EXISTS (SELECT 1 " + b1 + ") AND NOT EXISTS (SELECT 1 " + b2 + " AND p.occurred_at <= ?))", nil
		default: // min < t
			b := base()
			c.arg(t)
			return "EXISTS (SELECT 1 " + b + " AND p.occurred_at < ?)", nil
		}
	}
	return "", errRule
}

func (c *segCompiler) interactions(k *marketing.InteractionCond) (string, error) {
	c.arg(c.ws, c.at)
	s := "SELECT COUNT(*) FROM crm_interactions AS i WHERE i.workspace_id = ? AND i.customer_id = c.id AND i.occurred_at <= ?"
	w, err := c.window("i.occurred_at", k.Within)
	if err != nil {
		return "", err
	}
	s += w
	if k.Channel != "" {
		c.arg(k.Channel)
		s += " AND i.channel = ?"
	}
	switch k.Direction {
	case "":
	case "inbound", "outbound":
		c.arg(k.Direction)
		s += " AND i.direction = ?"
	default:
		return "", errRule
	}
	return c.countCond("("+s+")", k.Op, k.Value)
}

func (c *segCompiler) tickets(k *marketing.TicketCond) (string, error) {
	c.arg(c.ws, c.at)
	s := "SELECT COUNT(*) FROM crm_tickets AS t WHERE t.workspace_id = ? AND t.customer_id = c.id AND t.created_at <= ?"
	w, err := c.window("t.created_at", k.Within)
	if err != nil {
		return "", err
	}
	s += w
	if k.Category != "" {
		c.arg(k.Category)
		s += " AND t.category = ?"
	}
	if k.Open {
		s += " AND t.status NOT IN ('solved', 'closed')"
	}
	return c.countCond("("+s+")", k.Op, k.Value)
}

// rfm compiles an RFM condition: analysis.RFM's quintile scores over the
// workspace's customers with purchases in the currency up to the end of
// At's UTC day, computed with window functions (see marketing.RFMCond).
func (c *segCompiler) rfm(k *marketing.RFMCond) (string, error) {
	if len(k.Currency) != 3 || len(k.Segments) == 0 || len(k.Segments) > marketing.MaxRuleList {
		return "", errRule
	}
	want := map[analysis.RFMSegment]bool{}
	for _, name := range k.Segments {
		seg, ok := marketing.RFMSegmentByName(name)
		if !ok {
			return "", errRule
		}
		want[seg] = true
	}
	// The cells r*10 + fm of the grid that fall in the wanted segments.
	var cells []any
	seen := map[int]bool{}
	for r := 1; r <= 5; r++ {
		for f := 1; f <= 5; f++ {
			for m := 1; m <= 5; m++ {
				cell := r*10 + (f+m+1)/2
				if want[analysis.RFMSegmentFor(r, f, m)] && !seen[cell] {
					seen[cell] = true
					cells = append(cells, cell)
				}
			}
		}
	}
	if len(cells) == 0 {
		return "", errRule
	}
	y, mo, d := c.at.Date()
	end := time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC) // the first instant after At's UTC day
	secs, secArgs := c.s.localSeconds(time.UTC, end)
	if len(secArgs) > 0 {
		return "", errRule
	}
	day := "(" + secs + " / 86400)"
	score := func(col string) string {
		return "1 + (5 * (RANK() OVER (ORDER BY q." + col + ") - 1)) / COUNT(*) OVER ()"
	}
	c.arg(c.ws, k.Currency, end)
	c.arg(cells...)
	return "c.id IN (SELECT x.customer_id FROM (SELECT q.customer_id, " + score("last_day") + " AS r, " + score("days") + " AS f, " + score("total") + " AS m" +
		" FROM (SELECT d.customer_id, MAX(d.day) AS last_day, COUNT(*) AS days, SUM(d.v) AS total" +
		" FROM (SELECT p.customer_id, " + day + " AS day, SUM(p.amount_minor) AS v FROM crm_purchases AS p" +
		" WHERE p.workspace_id = ? AND p.currency = ? AND p.occurred_at < ? GROUP BY p.customer_id, " + day + ") AS d" +
		" GROUP BY d.customer_id) AS q) AS x WHERE x.r * 10 + (x.f + x.m + 1) / 2 IN (" + placeholders(len(cells)) + "))", nil
}

// EvaluateRule implements marketing.SegmentStore.
func (s *Store) EvaluateRule(ctx context.Context, sc crmtype.Scope, r marketing.Rule, at time.Time, sample int) (int, []crmtype.ID, error) {
	q, args, err := s.CompileSegment(sc, r, at)
	if err != nil {
		return 0, nil, err
	}
	var count int
	if err := s.db.NewRaw("SELECT COUNT(*) FROM ("+q+") AS m", args...).Scan(ctx, &count); err != nil {
		return 0, nil, err
	}
	var ids []crmtype.ID
	if sample > 0 && count > 0 {
		if err := s.db.NewRaw("SELECT m.id FROM ("+q+") AS m ORDER BY m.id LIMIT ?", append(args, sample)...).Scan(ctx, &ids); err != nil {
			return 0, nil, err
		}
	}
	return count, ids, nil
}

type segmentRow struct {
	bun.BaseModel `bun:"table:crm_segments,alias:seg"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ID          crmtype.ID `bun:"id,pk,type:uuid"`
	Name        string     `bun:"name"`
	Description string     `bun:"description"`
	Rule        string     `bun:"rule"`
	Version     int64      `bun:"version"`
	CreatedAt   time.Time  `bun:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at"`
	DeletedAt   *time.Time `bun:"deleted_at"`
}

func toSegmentRow(sc crmtype.Scope, seg *marketing.Segment) (*segmentRow, error) {
	rule, err := json.Marshal(seg.Rule)
	if err != nil {
		return nil, fmt.Errorf("store: encode segment rule: %w", err)
	}
	return &segmentRow{WorkspaceID: string(sc.Workspace), ID: seg.ID, Name: seg.Name, Description: seg.Description, Rule: string(rule),
		Version: seg.Version, CreatedAt: seg.CreatedAt.UTC(), UpdatedAt: seg.UpdatedAt.UTC()}, nil
}

func (r *segmentRow) toSegment() (*marketing.Segment, error) {
	seg := &marketing.Segment{ID: r.ID, Name: r.Name, Description: r.Description, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.Rule), &seg.Rule); err != nil {
		return nil, fmt.Errorf("store: decode rule of segment %s: %w", r.ID, err)
	}
	return seg, nil
}

func (s *Store) checkSegmentName(ctx context.Context, sc crmtype.Scope, seg *marketing.Segment) error {
	taken, err := where(s.db.NewSelect().Model((*segmentRow)(nil)).Where("seg.name = ?", seg.Name).Where("seg.id <> ?", seg.ID).
		Where("seg.deleted_at IS NULL"), "seg", sc).Exists(ctx)
	if err != nil {
		return err
	}
	if taken {
		return &crmtype.ConflictError{Resource: "segment", Field: "name", Reason: fmt.Sprintf("%q is the name of another segment", seg.Name)}
	}
	return nil
}

// InsertSegment implements marketing.SegmentStore.
func (s *Store) InsertSegment(ctx context.Context, sc crmtype.Scope, seg *marketing.Segment, ev crmtype.Event) error {
	row, err := toSegmentRow(sc, seg)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		if err := tx.checkSegmentName(ctx, sc, seg); err != nil {
			return err
		}
		if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
			return mapError(err)
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev})
	})
}

// GetSegment implements marketing.SegmentStore.
func (s *Store) GetSegment(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*marketing.Segment, error) {
	var row segmentRow
	if err := where(s.db.NewSelect().Model(&row).Where("seg.id = ?", id).Where("seg.deleted_at IS NULL"), "seg", sc).Scan(ctx); err != nil {
		return nil, fmt.Errorf("segment %s: %w", id, mapError(err))
	}
	return row.toSegment()
}

// ChangeSegment implements marketing.SegmentStore.
func (s *Store) ChangeSegment(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(seg *marketing.Segment) ([]crmtype.Event, bool, error)) (*marketing.Segment, error) {
	var out *marketing.Segment
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var row segmentRow
		q := tx.db.NewSelect().Model(&row).Where("seg.id = ?", id).Where("seg.deleted_at IS NULL")
		if tx.pg {
			q = q.For("UPDATE")
		}
		if err := where(q, "seg", sc).Scan(ctx); err != nil {
			return fmt.Errorf("segment %s: %w", id, mapError(err))
		}
		if row.Version != version {
			return &crmtype.ConflictError{Resource: "segment", Field: "version", HeldBy: id,
				Reason: fmt.Sprintf("is %d, not %d: the segment changed since it was read", row.Version, version)}
		}
		seg, err := row.toSegment()
		if err != nil {
			return err
		}
		evs, del, err := change(seg)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			out, err = row.toSegment()
			return err
		}
		seg.ID, seg.CreatedAt, seg.Version = row.ID, row.CreatedAt.UTC(), row.Version+1
		if !del && seg.Name != row.Name {
			if err := tx.checkSegmentName(ctx, sc, seg); err != nil {
				return err
			}
		}
		nrow, err := toSegmentRow(sc, seg)
		if err != nil {
			return err
		}
		if del {
			at := seg.UpdatedAt.UTC()
			nrow.DeletedAt = &at
		}
		if _, err := where(tx.db.NewUpdate().Model(nrow).ExcludeColumn("workspace_id", "id", "created_at").
			Where("seg.id = ?", id), "seg", sc).Exec(ctx); err != nil {
			return mapError(err)
		}
		out = seg
		return tx.appendEvents(ctx, sc, evs)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type segmentCursor struct {
	Name string `json:"n"`
}

// ListSegments implements marketing.SegmentStore.
func (s *Store) ListSegments(ctx context.Context, sc crmtype.Scope, limit int, after crmtype.Cursor) (crmtype.Page[*marketing.Segment], error) {
	var page crmtype.Page[*marketing.Segment]
	var rows []segmentRow
	q := s.db.NewSelect().Model(&rows).Where("seg.deleted_at IS NULL")
	if after != "" {
		var cur segmentCursor
		if err := crmtype.DecodeCursor(after, &cur); err != nil {
			return page, err
		}
		q = q.Where("seg.name > ?", cur.Name)
	}
	if err := where(q, "seg", sc).OrderExpr("seg.name").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = crmtype.EncodeCursor(segmentCursor{Name: rows[len(rows)-1].Name})
	}
	for i := range rows {
		seg, err := rows[i].toSegment()
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, seg)
	}
	return page, nil
}

type snapshotRow struct {
	bun.BaseModel `bun:"table:crm_segment_snapshots,alias:snp"`

	WorkspaceID    string     `bun:"workspace_id,pk"`
	ID             crmtype.ID `bun:"id,pk,type:uuid"`
	SegmentID      crmtype.ID `bun:"segment_id,type:uuid"`
	SegmentVersion int64      `bun:"segment_version"`
	Rule           string     `bun:"rule"`
	At             time.Time  `bun:"at"`
	Members        int        `bun:"members"`
	TakenAt        time.Time  `bun:"taken_at"`
}

func (r *snapshotRow) toSnapshot() (*marketing.Snapshot, error) {
	snap := &marketing.Snapshot{ID: r.ID, SegmentID: r.SegmentID, SegmentVersion: r.SegmentVersion, At: r.At.UTC(),
		Members: r.Members, TakenAt: r.TakenAt.UTC()}
	if err := json.Unmarshal([]byte(r.Rule), &snap.Rule); err != nil {
		return nil, fmt.Errorf("store: decode rule of snapshot %s: %w", r.ID, err)
	}
	return snap, nil
}

// InsertSnapshot implements marketing.SegmentStore: the members go from
// the compiled rule straight into the table, in the database.
func (s *Store) InsertSnapshot(ctx context.Context, sc crmtype.Scope, snap *marketing.Snapshot, events func(*marketing.Snapshot) []crmtype.Event) error {
	q, args, err := s.CompileSegment(sc, snap.Rule, snap.At)
	if err != nil {
		return err
	}
	rule, err := json.Marshal(snap.Rule)
	if err != nil {
		return fmt.Errorf("store: encode snapshot rule: %w", err)
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		row := &snapshotRow{WorkspaceID: string(sc.Workspace), ID: snap.ID, SegmentID: snap.SegmentID, SegmentVersion: snap.SegmentVersion,
			Rule: string(rule), At: snap.At.UTC(), TakenAt: snap.TakenAt.UTC()}
		if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
			return mapError(err)
		}
		res, err := tx.db.NewRaw("INSERT INTO crm_segment_snapshot_members (workspace_id, snapshot_id, customer_id) SELECT ?, ?, m.id FROM ("+q+") AS m",
			append([]any{string(sc.Workspace), snap.ID}, args...)...).Exec(ctx)
		if err != nil {
			return mapError(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		snap.Members = int(n)
		if _, err := where(tx.db.NewUpdate().Model((*snapshotRow)(nil)).Set("members = ?", n).Where("snp.id = ?", snap.ID), "snp", sc).Exec(ctx); err != nil {
			return err
		}
		return tx.appendEvents(ctx, sc, events(snap))
	})
}

// GetSnapshot implements marketing.SegmentStore.
func (s *Store) GetSnapshot(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*marketing.Snapshot, error) {
	var row snapshotRow
	if err := where(s.db.NewSelect().Model(&row).Where("snp.id = ?", id), "snp", sc).Scan(ctx); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", id, mapError(err))
	}
	return row.toSnapshot()
}

// memberIDs pages the customer ids of a member table after checking that
// its parent exists.
func (s *Store) memberIDs(ctx context.Context, sc crmtype.Scope, what, parentTable, table, parentCol string, id, after crmtype.ID, limit int) ([]crmtype.ID, error) {
	if limit < 1 {
		return nil, crmtype.Invalid("limit", "must be positive")
	}
	var ok bool
	if err := s.db.NewRaw("SELECT EXISTS (SELECT 1 FROM "+parentTable+" AS x WHERE x.workspace_id = ? AND x.id = ?)", string(sc.Workspace), id).Scan(ctx, &ok); err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s %s: %w", what, id, crmtype.ErrNotFound)
	}
	q := "SELECT m.customer_id FROM " + table + " AS m WHERE m.workspace_id = ? AND m." + parentCol + " = ?"
	args := []any{string(sc.Workspace), id}
	if !after.IsZero() {
		q += " AND m.customer_id > ?"
		args = append(args, after)
	}
	var ids []crmtype.ID
	if err := s.db.NewRaw(q+" ORDER BY m.customer_id LIMIT ?", append(args, limit)...).Scan(ctx, &ids); err != nil {
		return nil, err
	}
	return ids, nil
}

// SnapshotMemberIDs implements marketing.SegmentStore.
func (s *Store) SnapshotMemberIDs(ctx context.Context, sc crmtype.Scope, snapshotID crmtype.ID, after crmtype.ID, limit int) ([]crmtype.ID, error) {
	return s.memberIDs(ctx, sc, "snapshot", "crm_segment_snapshots", "crm_segment_snapshot_members", "snapshot_id", snapshotID, after, limit)
}

// ListMemberIDs implements marketing.SegmentStore.
func (s *Store) ListMemberIDs(ctx context.Context, sc crmtype.Scope, listID crmtype.ID, after crmtype.ID, limit int) ([]crmtype.ID, error) {
	return s.memberIDs(ctx, sc, "list", "crm_lists", "crm_list_members", "list_id", listID, after, limit)
}

type listRow struct {
	bun.BaseModel `bun:"table:crm_lists,alias:lst"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ID          crmtype.ID `bun:"id,pk,type:uuid"`
	Name        string     `bun:"name"`
	Description string     `bun:"description"`
	CreatedAt   time.Time  `bun:"created_at"`
}

type listMemberRow struct {
	bun.BaseModel `bun:"table:crm_list_members,alias:lm"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ListID      crmtype.ID `bun:"list_id,pk,type:uuid"`
	CustomerID  crmtype.ID `bun:"customer_id,pk,type:uuid"`
	AddedAt     time.Time  `bun:"added_at"`
}

// InsertList implements marketing.SegmentStore.
func (s *Store) InsertList(ctx context.Context, sc crmtype.Scope, l *marketing.List, ev crmtype.Event) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		taken, err := where(tx.db.NewSelect().Model((*listRow)(nil)).Where("lst.name = ?", l.Name), "lst", sc).Exists(ctx)
		if err != nil {
			return err
		}
		if taken {
			return &crmtype.ConflictError{Resource: "list", Field: "name", Reason: fmt.Sprintf("%q is the name of another list", l.Name)}
		}
		row := &listRow{WorkspaceID: string(sc.Workspace), ID: l.ID, Name: l.Name, Description: l.Description, CreatedAt: l.CreatedAt.UTC()}
		if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
			return mapError(err)
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev})
	})
}

// GetList implements marketing.SegmentStore.
func (s *Store) GetList(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*marketing.List, error) {
	var row listRow
	if err := where(s.db.NewSelect().Model(&row).Where("lst.id = ?", id), "lst", sc).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list %s: %w", id, mapError(err))
	}
	return &marketing.List{ID: row.ID, Name: row.Name, Description: row.Description, CreatedAt: row.CreatedAt.UTC()}, nil
}

func idStrings(ids []crmtype.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

// AddListMembers implements marketing.SegmentStore.
func (s *Store) AddListMembers(ctx context.Context, sc crmtype.Scope, id crmtype.ID, ids []crmtype.ID, at time.Time, ev func(added int) []crmtype.Event) (int, error) {
	added := 0
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		if _, err := tx.GetList(ctx, sc, id); err != nil {
			return err
		}
		var live []crmtype.ID
		if err := tx.db.NewRaw("SELECT c.id FROM crm_customers AS c WHERE c.workspace_id = ? AND c.id IN (?) AND c.deleted_at IS NULL AND c.erased_at IS NULL",
			string(sc.Workspace), bun.In(idStrings(ids))).Scan(ctx, &live); err != nil {
			return err
		}
		have := make(map[crmtype.ID]bool, len(live))
		for _, l := range live {
			have[l] = true
		}
		rows := make([]listMemberRow, 0, len(ids))
		for _, c := range ids {
			if !have[c] {
				return fmt.Errorf("customer %s: %w", c, crmtype.ErrNotFound)
			}
			rows = append(rows, listMemberRow{WorkspaceID: string(sc.Workspace), ListID: id, CustomerID: c, AddedAt: at.UTC()})
		}
		for i := 0; i < len(rows); i += batchRows {
			chunk := rows[i:min(i+batchRows, len(rows))]
			res, err := tx.db.NewInsert().Model(&chunk).On("CONFLICT DO NOTHING").Exec(ctx)
			if err != nil {
				return mapError(err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added += int(n)
		}
		if added == 0 {
			return nil
		}
		return tx.appendEvents(ctx, sc, ev(added))
	})
	if err != nil {
		return 0, err
	}
	return added, nil
}

// RemoveListMembers implements marketing.SegmentStore.
func (s *Store) RemoveListMembers(ctx context.Context, sc crmtype.Scope, id crmtype.ID, ids []crmtype.ID, ev func(removed int) []crmtype.Event) (int, error) {
	removed := 0
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		if _, err := tx.GetList(ctx, sc, id); err != nil {
			return err
		}
		res, err := where(tx.db.NewDelete().Model((*listMemberRow)(nil)).Where("lm.list_id = ?", id).
			Where("lm.customer_id IN (?)", bun.In(idStrings(ids))), "lm", sc).Exec(ctx)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		removed = int(n)
		if removed == 0 {
			return nil
		}
		return tx.appendEvents(ctx, sc, ev(removed))
	})
	if err != nil {
		return 0, err
	}
	return removed, nil
}
