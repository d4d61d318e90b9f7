package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
	"github.com/kehu/crm/service"
	"github.com/kehu/crm/store"
)

// segClock is a clock the test moves.
type segClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *segClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *segClock) Set(t time.Time) { c.mu.Lock(); c.t = t.UTC(); c.mu.Unlock() }

// The oracle's model of a customer: what the test wrote.
type gCustomer struct {
	id                                        crmtype.ID
	kind, stage, source, owner, country, city string
	created                                   time.Time
	attrs                                     map[string]any
	tags                                      []string
	idents                                    []customer.IdentityKind
	purchases                                 []gPurchase
	interactions                              []gInteraction
	tickets                                   []gTicket
	consents                                  []communication.ConsentEntry
	deleted                                   bool
}

type gPurchase struct {
	at       time.Time
	amount   int64
	currency string
}

type gInteraction struct {
	at                 time.Time
	channel, direction string
}

type gTicket struct {
	at       time.Time
	category string
	open     bool
}

var (
	segT0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	segAt = segT0.Add(400*24*time.Hour + 13*time.Hour)
)

var segDefs = []customer.AttributeDef{
	{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold", "silver", "bronze"}},
	{Key: "score", Type: customer.TypeNumber},
	{Key: "vip", Type: customer.TypeBool},
	{Key: "birthday", Type: customer.TypeDate},
	{Key: "note", Type: customer.TypeString},
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// seedSegmentData writes n customers with their purchases, tags,
// attributes, identities, consents, interactions and tickets to workspace
// ws and returns the model.
func seedSegmentData(t *testing.T, client *crm.Client, clock *segClock, ws string, n int, r *rand.Rand) []*gCustomer {
	ctx := context.Background()
	w := client.Workspace(ws)
	clock.Set(segT0)
	for _, d := range segDefs {
		_, err := w.Customers.DefineAttribute(ctx, d)
		require.NoError(t, err)
	}
	day := func(d int) time.Time {
		return segT0.Add(time.Duration(d)*24*time.Hour + time.Duration(r.IntN(86400))*time.Second)
	}
	var out []*gCustomer
	for i := range n {
		g := &gCustomer{kind: pick(r, "person", "company"), stage: string(pick(r, customer.Stages...)),
			source: pick(r, "", "web", "import", "webshop"), owner: pick(r, "", "ann", "bob"),
			country: pick(r, "", "CN", "DE", "US"), city: pick(r, "", "Berlin", "Bern", "Shanghai"),
			created: day(r.IntN(430)), attrs: map[string]any{}}
		if r.IntN(3) > 0 {
			g.attrs["tier"] = pick(r, "gold", "silver", "bronze")
		}
		if r.IntN(3) > 0 {
			g.attrs["score"] = float64(r.IntN(21)-5) / 2
		}
		if r.IntN(2) > 0 {
			g.attrs["vip"] = r.IntN(2) == 0
		}
		if r.IntN(2) > 0 {
			g.attrs["birthday"] = segT0.AddDate(-r.IntN(40), 0, r.IntN(365)).Format(time.DateOnly)
		}
		if r.IntN(2) > 0 {
			g.attrs["note"] = pick(r, "a", "b", "it's", "x'); DROP TABLE crm_customers; --")
		}
		for _, tg := range []string{"vip", "news", "b2b", "churn-risk"} {
			if r.IntN(3) == 0 {
				g.tags = append(g.tags, tg)
			}
		}
		var idp []customer.IdentityParams
		if r.IntN(2) == 0 {
			idp = append(idp, customer.IdentityParams{Kind: customer.Email, Value: fmt.Sprintf("c%d-%s@example.com", i, ws)})
			g.idents = append(g.idents, customer.Email)
		}
		if r.IntN(3) == 0 {
			idp = append(idp, customer.IdentityParams{Kind: customer.ExternalID, System: "shop", Value: fmt.Sprintf("%s-%d", ws, i)})
			g.idents = append(g.idents, customer.ExternalID)
		}
		clock.Set(g.created)
		c, err := w.Customers.Create(ctx, customer.CreateParams{Kind: customer.Kind(g.kind), Name: fmt.Sprintf("Customer %d", i),
			Stage: customer.Stage(g.stage), Source: g.source, OwnerID: g.owner, Address: customer.Address{Country: g.country, City: g.city},
			Tags: g.tags, Attributes: g.attrs, Identities: idp})
		require.NoError(t, err)
		g.id = c.ID
		out = append(out, g)
	}
	clock.Set(segT0.Add(500 * 24 * time.Hour))
	for _, g := range out {
		for range r.IntN(6) {
			p := gPurchase{at: day(r.IntN(420)), amount: int64(100 * (1 + r.IntN(30))), currency: pick(r, "USD", "USD", "EUR")}
			if r.IntN(8) == 0 && len(g.purchases) > 0 { // a second purchase on a day
				p.at = g.purchases[0].at.Add(time.Minute)
			}
			_, err := w.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: g.id, OccurredAt: p.at,
				Amount: crmtype.Money{Minor: p.amount, Currency: p.currency}})
			require.NoError(t, err)
			g.purchases = append(g.purchases, p)
		}
		for range r.IntN(4) {
			in := gInteraction{at: day(r.IntN(420)), channel: pick(r, "email", "phone", "chat"), direction: pick(r, "inbound", "outbound")}
			_, err := w.Communication.Record(ctx, communication.InteractionParams{CustomerID: g.id, Channel: communication.Channel(in.channel),
				Direction: communication.Direction(in.direction), OccurredAt: in.at, Subject: "hello"})
			require.NoError(t, err)
			g.interactions = append(g.interactions, in)
		}
	}
	for _, g := range out {
		for range r.IntN(3) {
			tk := gTicket{at: day(r.IntN(420)), category: pick(r, service.CategoryInquiry, service.CategoryComplaint), open: true}
			clock.Set(tk.at)
			ticket, err := w.Service.CreateTicket(ctx, service.TicketParams{CustomerID: g.id, Category: tk.category, Subject: "help"})
			require.NoError(t, err)
			if r.IntN(2) == 0 {
				_, err = w.Service.SetStatus(ctx, ticket.ID, ticket.Version, service.StatusSolved)
				require.NoError(t, err)
				tk.open = false
			}
			g.tickets = append(g.tickets, tk)
		}
		// Consents: a few entries on a few days, so that ties in effective
		// time occur and are broken by recording time.
		for range r.IntN(5) {
			eff := segT0.Add(time.Duration(pick(r, 100, 200, 300, 390, 410)) * 24 * time.Hour)
			clock.Set(eff.Add(time.Duration(r.IntN(3)) * time.Hour))
			e, err := w.Communication.RecordConsent(ctx, communication.ConsentParams{CustomerID: g.id,
				Channel: communication.Channel(pick(r, "", "email", "sms")), Purpose: communication.Purpose(pick(r, "", "marketing", "research")),
				List: pick(r, "", "", "", "news"), State: pick(r, communication.ConsentGranted, communication.ConsentRevoked, communication.ConsentPending),
				EffectiveAt: eff})
			require.NoError(t, err)
			g.consents = append(g.consents, *e)
		}
	}
	clock.Set(segT0.Add(500 * 24 * time.Hour))
	for _, g := range out {
		if r.IntN(10) == 0 {
			require.NoError(t, w.Customers.Delete(ctx, g.id))
			g.deleted = true
		}
	}
	return out
}

// genRule returns a random valid rule of at most depth levels.
func genRule(r *rand.Rand, depth int) marketing.Rule {
	if depth > 1 && r.IntN(3) > 0 {
		switch r.IntN(3) {
		case 0:
			k := genRule(r, depth-1)
			return marketing.Rule{Not: &k}
		default:
			kids := make([]marketing.Rule, 1+r.IntN(3))
			for i := range kids {
				kids[i] = genRule(r, depth-1)
			}
			if r.IntN(2) == 0 {
				return marketing.Rule{And: kids}
			}
			return marketing.Rule{Or: kids}
		}
	}
	cmp := func() marketing.Op {
		return pick(r, marketing.OpEq, marketing.OpNe, marketing.OpLt, marketing.OpLte, marketing.OpGt, marketing.OpGte)
	}
	window := func() string { return pick(r, "", "30d", "90d", "2000h", "20w") }
	instant := func() (marketing.Op, string) {
		op := pick(r, marketing.OpBefore, marketing.OpAfter, marketing.OpWithin)
		if op == marketing.OpWithin {
			return op, pick(r, "30d", "90d", "26w")
		}
		return op, pick(r, "60d", "200d", segT0.Add(150*24*time.Hour).Format(time.RFC3339), "2025-03-01T12:00:00+08:00")
	}
	switch r.IntN(12) {
	case 0:
		name := pick(r, "kind", "stage", "source", "owner_id", "country", "city")
		vals := map[string][]string{"kind": {"person", "company"}, "stage": {"lead", "prospect", "customer", "inactive", "churned"},
			"source": {"", "web", "import", "webshop"}, "owner_id": {"", "ann", "bob"}, "country": {"", "cn", "DE", "US"},
			"city": {"", "Berlin", "Bern", "Shanghai"}}[name]
		op := pick(r, marketing.OpEq, marketing.OpNe, marketing.OpIn, marketing.OpNotIn, marketing.OpPrefix)
		if name == "kind" || name == "stage" {
			op = pick(r, marketing.OpEq, marketing.OpNe, marketing.OpIn, marketing.OpNotIn)
		}
		var v any = pick(r, vals...)
		switch op {
		case marketing.OpIn, marketing.OpNotIn:
			v = []any{pick(r, vals...), pick(r, vals...)}
		case marketing.OpPrefix:
			v = pick(r, "web", "Ber", "Be", "S", "a", "B")
		}
		return marketing.Rule{Field: &marketing.FieldCond{Name: name, Op: op, Value: v}}
	case 1:
		op, v := instant()
		return marketing.Rule{Field: &marketing.FieldCond{Name: "created_at", Op: op, Value: v}}
	case 2:
		a := &marketing.AttributeCond{Key: pick(r, "tier", "score", "vip", "birthday", "note")}
		if r.IntN(5) == 0 {
			a.Op = pick(r, marketing.OpExists, marketing.OpMissing)
			return marketing.Rule{Attribute: a}
		}
		switch a.Key {
		case "tier", "note":
			vals := []string{"gold", "silver", "bronze"}
			if a.Key == "note" {
				vals = []string{"a", "b", "it's", "zz"}
			}
			a.Op = pick(r, marketing.OpEq, marketing.OpNe, marketing.OpIn, marketing.OpNotIn)
			a.Value = pick(r, vals...)
			if a.Op == marketing.OpIn || a.Op == marketing.OpNotIn {
				a.Value = []any{pick(r, vals...), pick(r, vals...)}
			}
		case "score":
			a.Op, a.Value = cmp(), float64(r.IntN(21)-5)/2
		case "vip":
			a.Op, a.Value = marketing.OpEq, r.IntN(2) == 0
		case "birthday":
			a.Op, a.Value = cmp(), segT0.AddDate(-r.IntN(40), 0, 0).Format(time.DateOnly)
		}
		return marketing.Rule{Attribute: a}
	case 3:
		return marketing.Rule{Tag: pick(r, "vip", "news", "b2b", "churn-risk", "none")}
	case 4:
		return marketing.Rule{Identity: pick(r, customer.Email, customer.Phone, customer.ExternalID)}
	case 5:
		return marketing.Rule{Consent: &marketing.ConsentCond{Purpose: pick(r, "marketing", "research", "service"),
			Channel: pick(r, "", "email", "sms"), State: pick(r, "granted", "revoked", "pending", "none")}}
	case 6, 7:
		p := &marketing.PurchaseCond{Metric: pick(r, marketing.MetricCount, marketing.MetricSum, marketing.MetricLast, marketing.MetricFirst),
			Currency: pick(r, "", "USD", "EUR")}
		switch p.Metric {
		case marketing.MetricCount:
			p.Within, p.Op, p.Value = window(), cmp(), r.IntN(4)
		case marketing.MetricSum:
			if p.Currency == "" {
				p.Currency = "USD"
			}
			p.Within, p.Op, p.Value = window(), cmp(), 100*r.IntN(60)
		default:
			p.Op, p.Value = instant()
		}
		return marketing.Rule{Purchases: p}
	case 8:
		return marketing.Rule{Interactions: &marketing.InteractionCond{Channel: pick(r, "", "email", "chat"),
			Direction: pick(r, "", "inbound", "outbound"), Within: window(), Op: cmp(), Value: r.IntN(3)}}
	case 9:
		return marketing.Rule{Tickets: &marketing.TicketCond{Open: r.IntN(2) == 0, Category: pick(r, "", service.CategoryInquiry),
			Within: window(), Op: cmp(), Value: r.IntN(3)}}
	default:
		var segs []string
		for _, s := range analysis.RFMSegments() {
			if r.IntN(3) == 0 {
				segs = append(segs, s.String())
			}
		}
		if len(segs) == 0 {
			segs = []string{analysis.RFMAtRisk.String()}
		}
		return marketing.Rule{RFM: &marketing.RFMCond{Currency: pick(r, "USD", "EUR"), Segments: segs}}
	}
}

// oracle evaluates rules in plain Go over the model of one workspace.
type oracle struct {
	customers []*gCustomer
	at        time.Time
	rfm       map[string]map[crmtype.ID]analysis.RFMSegment // by currency
}

func newOracle(cs []*gCustomer, at time.Time) *oracle {
	o := &oracle{customers: cs, at: at, rfm: map[string]map[crmtype.ID]analysis.RFMSegment{}}
	y, m, d := at.Date()
	end := time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
	calEnd := end.Unix()/86400 - 1
	for _, cur := range []string{"USD", "EUR"} {
		var in []analysis.RFMCustomer
		var ids []crmtype.ID
		for _, c := range cs { // deleted customers' purchases count, as in analysis
			days := map[int64]bool{}
			var total int64
			last := int64(-1)
			for _, p := range c.purchases {
				if p.currency != cur || !p.at.Before(end) {
					continue
				}
				dd := p.at.Unix() / 86400
				days[dd] = true
				total += p.amount
				last = max(last, dd)
			}
			if len(days) == 0 {
				continue
			}
			in = append(in, analysis.RFMCustomer{Key: c.id.String(), Recency: float64(calEnd - last), Frequency: float64(len(days)), Monetary: float64(total)})
			ids = append(ids, c.id)
		}
		res, err := analysis.RFM(in)
		if err != nil {
			panic(err)
		}
		o.rfm[cur] = map[crmtype.ID]analysis.RFMSegment{}
		for i, s := range res.Scores {
			o.rfm[cur][ids[i]] = s.Segment
		}
	}
	return o
}

func (o *oracle) members(r marketing.Rule) []crmtype.ID {
	var out []crmtype.ID
	for _, c := range o.customers {
		if !c.deleted && !c.created.After(o.at) && o.eval(r, c) {
			out = append(out, c.id)
		}
	}
	slices.SortFunc(out, func(a, b crmtype.ID) int { return strings.Compare(a.String(), b.String()) })
	return out
}

func cmpInt(op marketing.Op, a, b int64) bool {
	switch op {
	case marketing.OpEq:
		return a == b
	case marketing.OpNe:
		return a != b
	case marketing.OpLt:
		return a < b
	case marketing.OpLte:
		return a <= b
	case marketing.OpGt:
		return a > b
	case marketing.OpGte:
		return a >= b
	}
	panic("op " + op)
}

func cmpOrdered[T int64 | float64 | string](op marketing.Op, a, b T) bool {
	switch op {
	case marketing.OpEq:
		return a == b
	case marketing.OpNe:
		return a != b
	case marketing.OpLt:
		return a < b
	case marketing.OpLte:
		return a <= b
	case marketing.OpGt:
		return a > b
	case marketing.OpGte:
		return a >= b
	}
	panic("op " + op)
}

func textMatch(op marketing.Op, have string, v any) bool {
	switch op {
	case marketing.OpEq:
		return have == v.(string)
	case marketing.OpNe:
		return have != v.(string)
	case marketing.OpPrefix:
		return strings.HasPrefix(have, v.(string))
	case marketing.OpIn, marketing.OpNotIn:
		return slices.Contains(v.([]string), have) == (op == marketing.OpIn)
	}
	panic("op " + op)
}

func (o *oracle) instant(op marketing.Op, v string) time.Time {
	if op == marketing.OpWithin {
		d, _ := marketing.ParseWindow(v)
		return o.at.Add(-d)
	}
	t, err := marketing.Instant(v, o.at)
	if err != nil {
		panic(err)
	}
	return t
}

// inWindow reports whether t is at or before At and, for a window, after
// At − window.
func (o *oracle) inWindow(t time.Time, within string) bool {
	if t.After(o.at) {
		return false
	}
	if within == "" {
		return true
	}
	d, _ := marketing.ParseWindow(within)
	return t.After(o.at.Add(-d))
}

func (o *oracle) eval(r marketing.Rule, c *gCustomer) bool {
	switch {
	case r.And != nil:
		for _, k := range r.And {
			if !o.eval(k, c) {
				return false
			}
		}
		return true
	case r.Or != nil:
		for _, k := range r.Or {
			if o.eval(k, c) {
				return true
			}
		}
		return false
	case r.Not != nil:
		return !o.eval(*r.Not, c)
	case r.Field != nil:
		f := r.Field
		if f.Name == "created_at" {
			t := o.instant(f.Op, f.Value.(string))
			if f.Op == marketing.OpBefore {
				return c.created.Before(t)
			}
			return c.created.After(t)
		}
		have := map[string]string{"kind": c.kind, "stage": c.stage, "source": c.source, "owner_id": c.owner, "country": c.country, "city": c.city}[f.Name]
		return textMatch(f.Op, have, f.Value)
	case r.Attribute != nil:
		a := r.Attribute
		v, ok := c.attrs[a.Key]
		switch a.Op {
		case marketing.OpExists:
			return ok
		case marketing.OpMissing:
			return !ok
		}
		if !ok {
			return false
		}
		switch a.Type {
		case customer.TypeNumber:
			return cmpOrdered(a.Op, v.(float64), a.Value.(float64))
		case customer.TypeBool:
			return v.(bool) == a.Value.(bool)
		case customer.TypeDate:
			return cmpOrdered(a.Op, v.(string), a.Value.(string))
		default:
			return textMatch(a.Op, v.(string), a.Value)
		}
	case r.Tag != "":
		return slices.Contains(c.tags, r.Tag)
	case r.Identity != "":
		return slices.Contains(c.idents, r.Identity)
	case r.Consent != nil:
		return o.consent(r.Consent, c) == r.Consent.State
	case r.Purchases != nil:
		p := r.Purchases
		var n, sum int64
		var first, last time.Time
		for _, x := range c.purchases {
			if x.at.After(o.at) || (p.Currency != "" && x.currency != p.Currency) {
				continue
			}
			if first.IsZero() || x.at.Before(first) {
				first = x.at
			}
			if x.at.After(last) {
				last = x.at
			}
			if o.inWindow(x.at, p.Within) {
				n++
				sum += x.amount
			}
		}
		switch p.Metric {
		case marketing.MetricCount:
			return cmpInt(p.Op, n, p.Value.(int64))
		case marketing.MetricSum:
			return cmpInt(p.Op, sum, p.Value.(int64))
		}
		if first.IsZero() {
			return false
		}
		t := o.instant(p.Op, p.Value.(string))
		x := first
		if p.Metric == marketing.MetricLast {
			x = last
		}
		if p.Op == marketing.OpBefore {
			return x.Before(t)
		}
		return x.After(t)
	case r.Interactions != nil:
		k := r.Interactions
		var n int64
		for _, x := range c.interactions {
			if o.inWindow(x.at, k.Within) && (k.Channel == "" || k.Channel == x.channel) && (k.Direction == "" || k.Direction == x.direction) {
				n++
			}
		}
		return cmpInt(k.Op, n, k.Value.(int64))
	case r.Tickets != nil:
		k := r.Tickets
		var n int64
		for _, x := range c.tickets {
			if o.inWindow(x.at, k.Within) && (k.Category == "" || k.Category == x.category) && (!k.Open || x.open) {
				n++
			}
		}
		return cmpInt(k.Op, n, k.Value.(int64))
	case r.RFM != nil:
		seg, ok := o.rfm[r.RFM.Currency][c.id]
		return ok && slices.Contains(r.RFM.Segments, seg.String())
	}
	panic("empty rule")
}

// consent is communication's effective-state rule, written out again.
func (o *oracle) consent(k *marketing.ConsentCond, c *gCustomer) string {
	later := func(e, f *communication.ConsentEntry) bool {
		if !e.EffectiveAt.Equal(f.EffectiveAt) {
			return e.EffectiveAt.After(f.EffectiveAt)
		}
		if !e.RecordedAt.Equal(f.RecordedAt) {
			return e.RecordedAt.After(f.RecordedAt)
		}
		return e.ID.String() > f.ID.String()
	}
	latest := map[communication.ConsentState]*communication.ConsentEntry{}
	any := false
	for i := range c.consents {
		e := &c.consents[i]
		if e.EffectiveAt.After(o.at) || (e.Channel != "" && string(e.Channel) != k.Channel) ||
			(e.Purpose != "" && string(e.Purpose) != k.Purpose) || e.List != "" {
			continue
		}
		any = true
		if b := latest[e.State]; b == nil || later(e, b) {
			latest[e.State] = e
		}
	}
	rv, g := latest[communication.ConsentRevoked], latest[communication.ConsentGranted]
	switch {
	case !any:
		return "none"
	case rv != nil && (g == nil || !later(g, rv) || !((rv.Channel == "" || g.Channel == rv.Channel) && (rv.Purpose == "" || g.Purpose == rv.Purpose))):
		return "revoked"
	case g != nil:
		return "granted"
	}
	return "pending"
}

// TestSegmentProperty checks random rules three ways: compiled to SQL on
// SQLite, on PostgreSQL, and by the Go oracle above, over the same
// generated customers in two workspaces.
func TestSegmentProperty(t *testing.T) {
	const perWorkspace, rules = 60, 300
	var mu sync.Mutex
	got := map[string][][]int{} // by database, per rule and workspace: positions of the members in the model
	var want [][]int
	ruleSet := func() []marketing.Rule {
		r := rand.New(rand.NewPCG(7, 11))
		out := make([]marketing.Rule, rules)
		for i := range out {
			out[i] = genRule(r, 4)
		}
		return out
	}()
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		clock := &segClock{}
		client, err := crm.New(db, &crm.Config{Clock: clock})
		require.NoError(t, err)
		r := rand.New(rand.NewPCG(1, 2))
		model := map[string][]*gCustomer{"seg-a": seedSegmentData(t, client, clock, "seg-a", perWorkspace, r),
			"seg-b": seedSegmentData(t, client, clock, "seg-b", perWorkspace, r)}
		st := store.New(db)
		var res, exp [][]int
		nonTrivial := 0
		for i, rule := range ruleSet {
			for _, ws := range []string{"seg-a", "seg-b"} {
				valid, err := marketing.ValidateRule(rule, segDefs)
				require.NoError(t, err, "rule %d", i)
				sc, err := crmtype.NewScope(ctx, crmtype.WorkspaceID(ws))
				require.NoError(t, err)
				q, args, err := st.CompileSegment(sc, valid, segAt)
				require.NoError(t, err)
				var ids []crmtype.ID
				require.NoError(t, db.NewRaw("SELECT m.id FROM ("+q+") AS m ORDER BY m.id", args...).Scan(ctx, &ids), "rule %d: %s", i, q)
				o := newOracle(model[ws], segAt).members(valid)
				if len(o) > 0 && len(o) < perWorkspace*8/10 {
					nonTrivial++
				}
				rj, _ := json.Marshal(rule)
				require.Equal(t, fmt.Sprint(o), fmt.Sprint(ids), "rule %d in %s: %s", i, ws, rj)
				res = append(res, positions(model[ws], ids))
				exp = append(exp, positions(model[ws], o))
			}
		}
		require.Greater(t, nonTrivial, rules/3, "too few rules select a proper subset")
		mu.Lock()
		got[t.Name()] = res
		want = exp
		mu.Unlock()
	})
	// The databases agree with each other too: the same generated
	// customers (by position) for every rule.
	var names []string
	for k := range got {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, n := range names {
		require.Equal(t, want, got[n], n)
	}
	t.Logf("%d rules × 2 workspaces agree on %v", rules, names)
}

// positions maps member ids to their customers' positions in the model.
func positions(model []*gCustomer, ids []crmtype.ID) []int {
	out := make([]int, 0, len(ids))
	for _, id := range ids {
		for i, c := range model {
			if c.id == id {
				out = append(out, i)
			}
		}
	}
	sort.Ints(out)
	return out
}
