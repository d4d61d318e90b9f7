package customer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer/dedup"
)

// DuplicateParams configures FindDuplicates and MatchCandidate.
type DuplicateParams struct {
	// Config tunes the engine; the zero value uses its defaults.
	Config dedup.Config
	// Filter narrows the customers scanned (Deleted is ignored: only live
	// customers are scanned).
	Filter Filter
	// DateAttribute names a date (or text) custom attribute compared as a
	// date of birth, e.g. "date_of_birth". Optional: when neither it nor
	// Attributes is set, they come from the workspace's QualitySettings
	// and, when those name none, from the attribute definitions' match
	// roles (MatchBirthDate, MatchID).
	DateAttribute string
	// Attributes names further custom attributes compared with typo
	// tolerance, e.g. an id number. Optional.
	Attributes []string
}

// withDefaults fills p's threshold and compared attributes from the
// workspace's settings q and attribute definitions defs.
func (p DuplicateParams) withDefaults(q QualitySettings, defs []AttributeDef) DuplicateParams {
	if p.Config.Threshold == 0 {
		p.Config.Threshold = q.DuplicateThreshold
	}
	if p.DateAttribute == "" && p.Attributes == nil {
		p.DateAttribute, p.Attributes = q.DuplicateDateAttribute, q.DuplicateAttributes
		if p.DateAttribute == "" && p.Attributes == nil {
			p.DateAttribute, p.Attributes = matchRoles(defs)
		}
	}
	return p
}

// DuplicatePair is two customers judged probable duplicates.
type DuplicatePair struct {
	A, B crmtype.ID
	dedup.Pair
}

// DuplicateCluster is a group of probable duplicates.
type DuplicateCluster struct {
	IDs []crmtype.ID // by creation order
}

// Duplicates is the result of FindDuplicates.
type Duplicates struct {
	Pairs    []DuplicatePair
	Clusters []DuplicateCluster
	// Model is the estimated model; pass it in Config.Model of
	// MatchCandidate to score candidates with what this workspace taught.
	Model *dedup.Model
	Stats dedup.Stats
}

// FindDuplicates scans the workspace's live customers (those p.Filter
// selects) and returns the probable duplicates, each pair with its score
// and explanation, grouped into clusters. Customers are read page by page;
// only their comparable fields are kept in memory.
func (s *Service) FindDuplicates(ctx context.Context, p DuplicateParams) (*Duplicates, error) {
	const op = "find duplicates"
	q, err := s.QualitySettings(ctx)
	if err != nil {
		return nil, err
	}
	defs, err := s.Attributes(ctx)
	if err != nil {
		return nil, err
	}
	p = p.withDefaults(q, defs)
	f := p.Filter
	f.Deleted = ExcludeDeleted
	var recs []dedup.Record
	var ids []crmtype.ID
	lp := ListParams{Filter: f, Limit: crmtype.MaxPageSize}
	for {
		page, err := s.List(ctx, lp)
		if err != nil {
			return nil, err
		}
		for _, c := range page.Items {
			recs = append(recs, DedupRecord(c, p.DateAttribute, p.Attributes...))
			ids = append(ids, c.ID)
		}
		if page.Next == "" {
			break
		}
		lp.After = page.Next
	}
	res, err := dedup.Find(ctx, recs, p.Config)
	if err != nil {
		return nil, wrap(op, err)
	}
	out := &Duplicates{Model: res.Model, Stats: res.Stats}
	for _, pr := range res.Pairs {
		out.Pairs = append(out.Pairs, DuplicatePair{A: ids[pr.A], B: ids[pr.B], Pair: pr})
	}
	for _, c := range res.Clusters {
		dc := DuplicateCluster{}
		for _, m := range c.Members {
			dc.IDs = append(dc.IDs, ids[m])
		}
		out.Clusters = append(out.Clusters, dc)
	}
	return out, nil
}

// DedupRecord maps a customer onto a dedup.Record: names, identities,
// address, the custom attribute dateAttr as its date and the attributes
// attrs as further comparable values.
func DedupRecord(c *Customer, dateAttr string, attrs ...string) dedup.Record {
	r := dedup.Record{
		ID: c.ID.String(), GivenName: c.GivenName, FamilyName: c.FamilyName, FullName: c.Name,
		Address: dedup.Address{
			Line: strings.TrimSpace(c.Address.Line1 + " " + c.Address.Line2), City: c.Address.City,
			Region: c.Address.Region, Postcode: c.Address.PostalCode, Country: c.Address.Country,
		},
	}
	for _, id := range c.Identities {
		if id.Invalid != "" {
			continue // never a match key
		}
		switch id.Kind {
		case Email:
			r.Emails = append(r.Emails, id.Value)
		case Phone:
			r.Phones = append(r.Phones, id.Value)
		case ExternalID:
			r.ExternalIDs = append(r.ExternalIDs, id.System+":"+id.Value)
		}
	}
	if dateAttr != "" {
		r.Date = attrText(c.Attributes[dateAttr])
	}
	for _, k := range attrs {
		if v := attrText(c.Attributes[k]); v != "" {
			if r.Attributes == nil {
				r.Attributes = map[string]string{}
			}
			r.Attributes[k] = v
		}
	}
	return r
}

func attrText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// Match is a stored customer that may be the same as a candidate record.
type Match struct {
	Customer *Customer
	dedup.Pair
}

// MatchCandidate scores a record that is not yet created against the
// stored live customers and returns those at or above the threshold, most
// probable first. Candidates are found through the identities of p (exact
// lookup) and a name search, not a full scan. The model is p's
// Config.Model, or dedup.DefaultModel when nil (pass Duplicates.Model from
// a FindDuplicates run for weights learnt from the workspace).
func (s *Service) MatchCandidate(ctx context.Context, cp CreateParams, p DuplicateParams) ([]Match, error) {
	const op = "match candidate"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	q, err := s.store.QualitySettings(ctx, sc)
	if err != nil {
		return nil, wrap(op, err)
	}
	defs, err := s.store.AttributeDefs(ctx, sc)
	if err != nil {
		return nil, wrap(op, err)
	}
	p = p.withDefaults(q, defs)
	// Phones are read in the candidate's country, else the workspace's region.
	region := countryRegion(cp.Address.Country)
	if region == "" {
		if region, err = s.store.DefaultRegion(ctx, sc); err != nil {
			return nil, wrap(op, err)
		}
	}
	seen := map[crmtype.ID]*Customer{}
	var order []crmtype.ID
	add := func(c *Customer) {
		if c != nil && seen[c.ID] == nil {
			seen[c.ID] = c
			order = append(order, c.ID)
		}
	}
	var keys []IdentityKey
	for _, ip := range cp.Identities {
		if id, err := ip.canonical(region); err == nil {
			keys = append(keys, id.Key())
		}
	}
	if len(keys) > 0 {
		hs, err := s.store.IdentityHolders(ctx, sc, keys)
		if err != nil {
			return nil, wrap(op, err)
		}
		for _, k := range keys {
			for _, c := range hs[k] {
				add(c)
			}
		}
	}
	sp := SearchParams{Filter: p.Filter, Limit: 50}
	sp.Deleted = ExcludeDeleted
	var queries []string
	given, family := cp.GivenName, cp.FamilyName
	if family != "" {
		queries = append(queries, family)
	}
	if given != "" {
		queries = append(queries, given)
	}
	if given == "" && family == "" {
		queries = append(queries, cp.Name)
	}
	for _, q := range queries {
		hits, err := s.Search(ctx, q, sp)
		if err != nil {
			if errors.Is(err, crmtype.ErrInvalid) {
				continue
			}
			return nil, err
		}
		for _, h := range hits {
			add(h.Customer)
		}
	}
	if len(order) == 0 {
		return nil, nil
	}
	cand := &Customer{Name: cp.Name, GivenName: cp.GivenName, FamilyName: cp.FamilyName, Address: cp.Address, Attributes: cp.Attributes}
	for _, ip := range cp.Identities {
		id := Identity{Kind: ip.Kind, System: ip.System, Value: ip.Value}
		switch ip.Kind {
		case Email:
			if v, err := CanonicalEmail(ip.Value); err == nil {
				id.Value = v
			}
		case Phone:
			if v, err := CanonicalPhone(ip.Value, region); err == nil {
				id.Value = v
			}
		}
		cand.Identities = append(cand.Identities, id)
	}
	rec := DedupRecord(cand, p.DateAttribute, p.Attributes...)
	model := p.Config.Model
	if model == nil {
		model = dedup.DefaultModel(p.Attributes...)
	}
	threshold := p.Config.Threshold
	if threshold == 0 {
		threshold = 0.5
	}
	var out []Match
	for _, id := range order {
		c := seen[id]
		pr := model.Compare(rec, DedupRecord(c, p.DateAttribute, p.Attributes...))
		if pr.Probability >= threshold {
			out = append(out, Match{Customer: c, Pair: pr})
		}
	}
	sortMatches(out)
	return out, wrap(op, nil)
}

func sortMatches(ms []Match) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].Score > ms[j-1].Score; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}
