package marketing

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/check"
)

// CampaignType is what a campaign does. The built-in types are below; a
// workspace may use its own: 1 to MaxSlugBytes lowercase letters, digits,
// '_' and '-'.
type CampaignType string

// Built-in campaign types.
const (
	TypeResearch    CampaignType = "research"    // market research: surveys to the members
	TypeAdvertising CampaignType = "advertising" // paid media, with daily metrics
	TypePromotion   CampaignType = "promotion"   // offers and codes
	TypeOutreach    CampaignType = "outreach"    // email or SMS to the members
	TypeEvent       CampaignType = "event"
	TypeReferral    CampaignType = "referral"
)

// CampaignTypes lists the built-in types.
var CampaignTypes = []CampaignType{TypeResearch, TypeAdvertising, TypePromotion, TypeOutreach, TypeEvent, TypeReferral}

// Status is where a campaign stands.
//
// Allowed transitions (SetCampaignStatus):
//
//	planned → active, aborted
//	active  → paused, completed, aborted
//	paused  → active, completed, aborted
//	completed, aborted → nothing: they are final
type Status string

// Campaign statuses.
const (
	StatusPlanned   Status = "planned"
	StatusActive    Status = "active"
	StatusPaused    Status = "paused"
	StatusCompleted Status = "completed"
	StatusAborted   Status = "aborted"
)

// Statuses lists every campaign status in life-cycle order.
var Statuses = []Status{StatusPlanned, StatusActive, StatusPaused, StatusCompleted, StatusAborted}

var transitions = map[Status][]Status{
	StatusPlanned: {StatusActive, StatusAborted},
	StatusActive:  {StatusPaused, StatusCompleted, StatusAborted},
	StatusPaused:  {StatusActive, StatusCompleted, StatusAborted},
}

// CanTransition reports whether a campaign may move from one status to
// another.
func CanTransition(from, to Status) bool { return slices.Contains(transitions[from], to) }

// Limits of a campaign's fields.
const (
	MaxNameBytes      = 200
	MaxObjectiveBytes = 4000
	MaxSlugBytes      = 64
	MaxRefBytes       = 200 // OwnerID, UTM values, a cost's note and source
	MaxAmountMinor    = 1e15
	MaxHierarchyDepth = 8
)

// UTM are the tags that identify a campaign in links: utm_source,
// utm_medium and utm_campaign.
type UTM struct {
	Source   string
	Medium   string
	Campaign string
}

// Campaign is a planned piece of marketing.
type Campaign struct {
	ID        crmtype.ID
	Name      string // unique in the workspace
	Type      CampaignType
	Status    Status
	Objective string
	// StartsAt and EndsAt are the planned period; zero when open.
	StartsAt, EndsAt time.Time
	OwnerID          string // the host's user
	Channel          string // e.g. "email", "sms", "search", "social"; "" when several
	UTM              UTM
	// ParentID is the programme the campaign is part of; zero when none.
	ParentID crmtype.ID
	// Currency is the ISO 4217 code of every amount of the campaign:
	// budget, expected revenue and cost lines.
	Currency          string
	Budget            int64 // minor units
	ExpectedRevenue   int64 // minor units
	ExpectedResponses int
	Version           int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// CampaignParams are a new campaign's fields.
type CampaignParams struct {
	Name              string       // required
	Type              CampaignType // required
	Objective         string
	StartsAt, EndsAt  time.Time
	OwnerID           string
	Channel           string
	UTM               UTM
	ParentID          crmtype.ID
	Currency          string // required: ISO 4217
	Budget            int64
	ExpectedRevenue   int64
	ExpectedResponses int
}

// CampaignUpdate changes the non-nil fields of a campaign whose version is
// still Version. The status changes by SetCampaignStatus.
type CampaignUpdate struct {
	Version           int64
	Name              *string
	Type              *CampaignType
	Objective         *string
	StartsAt, EndsAt  *time.Time
	OwnerID           *string
	Channel           *string
	UTM               *UTM
	ParentID          *crmtype.ID // a pointer to the zero ID clears it
	Budget            *int64
	ExpectedRevenue   *int64
	ExpectedResponses *int
}

// CostKind is what a cost line paid for: media, production, discount,
// fee, or a workspace slug.
type CostKind string

// Built-in cost kinds.
const (
	CostMedia      CostKind = "media"
	CostProduction CostKind = "production"
	CostDiscount   CostKind = "discount" // discounts granted
	CostFee        CostKind = "fee"
)

// Cost is one line of a campaign's cost ledger.
type Cost struct {
	ID         crmtype.ID
	CampaignID crmtype.ID
	Kind       CostKind
	Amount     crmtype.Money // in the campaign's currency; may be negative (a refund)
	// On is the civil date the cost was incurred, "2026-11-25".
	On   string
	Note string
	// Source makes the line idempotent: a second line with the same
	// source on the campaign is not added (e.g. "google-ads:2026-11-25").
	Source    string
	CreatedAt time.Time
}

// CostParams describe a cost line.
type CostParams struct {
	Kind   CostKind      // required
	Amount crmtype.Money // required: the campaign's currency
	On     string        // required: "2026-11-25"
	Note   string
	Source string
}

// Rollup sums a campaign and the campaigns under it.
type Rollup struct {
	CampaignID crmtype.ID
	// Campaigns counts the campaign and its descendants; CampaignIDs lists
	// them, the campaign first, then by level.
	Campaigns   int
	CampaignIDs []crmtype.ID
	// Cost, Budget and ExpectedRevenue are per currency (campaigns of a
	// programme may be in several).
	Cost            map[string]int64
	Budget          map[string]int64
	ExpectedRevenue map[string]int64
	Members         int
	// Responses counts the members whose status counts as a response
	// (they have a FirstRespondedAt).
	Responses int
}

// Event types of campaigns, with SubjectType SubjectCampaign.
const (
	EventCampaignCreated       = "campaign.created"        // Changes: every field set
	EventCampaignUpdated       = "campaign.updated"        // Changes: the fields that differ
	EventCampaignStatusChanged = "campaign.status_changed" // Changes: "status"
	EventCampaignCostAdded     = "campaign.cost_added"     // Changes: the line's fields
	SubjectCampaign            = "campaign"
)

// CampaignEventTypes lists the event types of campaigns.
var CampaignEventTypes = []string{EventCampaignCreated, EventCampaignUpdated, EventCampaignStatusChanged, EventCampaignCostAdded}

// CampaignListParams selects campaigns. Zero fields do not filter.
type CampaignListParams struct {
	Type     CampaignType
	Status   Status
	ParentID crmtype.ID // the children of this campaign
	Limit    int        // page size: 0 means crmtype.DefaultPageSize, at most crmtype.MaxPageSize
	After    crmtype.Cursor
}

// CampaignStore stores campaigns and their costs. Every method confines
// itself to the scope's workspace.
type CampaignStore interface {
	// InsertCampaign stores c and ev, atomically. ErrConflict when the
	// name is taken; ErrNotFound when c.ParentID is not a campaign of the
	// workspace.
	InsertCampaign(ctx context.Context, sc crmtype.Scope, c *Campaign, ev crmtype.Event) error
	// GetCampaign returns campaign id, or ErrNotFound.
	GetCampaign(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*Campaign, error)
	// ChangeCampaign loads campaign id in a transaction, checks its
	// version (ErrConflict), lets change modify it and, when change
	// returns events, checks a new parent (ErrNotFound; ErrInvalid
	// "parent_id" when it would make a cycle or a hierarchy deeper than
	// MaxHierarchyDepth) and the name (ErrConflict), saves it with its
	// version increased by one and appends the events.
	ChangeCampaign(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(c *Campaign) ([]crmtype.Event, error)) (*Campaign, error)
	// ListCampaigns returns one page of p's selection, by name.
	ListCampaigns(ctx context.Context, sc crmtype.Scope, p CampaignListParams, limit int) (crmtype.Page[*Campaign], error)
	// InsertCost stores cost line c of campaign c.CampaignID with ev,
	// unless the campaign has a line with c.Source (not empty): then it
	// returns that line and added false, writing nothing. ErrNotFound
	// when there is no such campaign.
	InsertCost(ctx context.Context, sc crmtype.Scope, c *Cost, ev crmtype.Event) (stored *Cost, added bool, err error)
	// ListCosts returns one page of campaign id's cost lines, by date.
	ListCosts(ctx context.Context, sc crmtype.Scope, id crmtype.ID, limit int, after crmtype.Cursor) (crmtype.Page[*Cost], error)
	// Rollup sums campaign id and its descendants; ErrNotFound.
	Rollup(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*Rollup, error)
}

// CreateCampaign creates a campaign in status planned. Errors: a
// *crmtype.ValidationError naming the field ("name", "type", "objective",
// "ends_at" when it is before StartsAt, "owner_id", "channel",
// "utm.source", "utm.medium", "utm.campaign", "currency", "budget",
// "expected_revenue", "expected_responses"); ErrConflict when the name is
// taken; ErrNotFound when the parent is not a campaign of the workspace.
// Nothing is written on error.
func (s *Service) CreateCampaign(ctx context.Context, p CampaignParams) (*Campaign, error) {
	const op = "create campaign"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	c := &Campaign{}
	if _, err := customer.CurrencyDigits(p.Currency); err != nil {
		return nil, wrap(op, crmtype.Invalidf("currency", "%q is not an ISO 4217 currency code", p.Currency))
	}
	c.Currency = p.Currency
	u := CampaignUpdate{Name: &p.Name, Type: &p.Type, Objective: &p.Objective, StartsAt: &p.StartsAt, EndsAt: &p.EndsAt,
		OwnerID: &p.OwnerID, Channel: &p.Channel, UTM: &p.UTM, ParentID: &p.ParentID, Budget: &p.Budget,
		ExpectedRevenue: &p.ExpectedRevenue, ExpectedResponses: &p.ExpectedResponses}
	if err := applyCampaignUpdate(c, u); err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	c.ID, c.Status, c.Version, c.CreatedAt, c.UpdatedAt = crmtype.NewID(now), StatusPlanned, 1, now, now
	ev := campaignEvent(EventCampaignCreated, c, now, crmtype.DiffFields(nil, campaignFields(c)))
	if err := s.store.InsertCampaign(ctx, sc, c, ev); err != nil {
		return nil, wrap(op, err)
	}
	return c, nil
}

// Campaign returns campaign id; ErrNotFound when the workspace has none.
func (s *Service) Campaign(ctx context.Context, id crmtype.ID) (*Campaign, error) {
	const op = "campaign"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	c, err := s.store.GetCampaign(ctx, sc, id)
	return c, wrap(op, err)
}

// UpdateCampaign applies p to campaign id if its version is still
// p.Version and records EventCampaignUpdated with the fields that changed
// (none and no event when nothing changes). A completed or aborted
// campaign cannot change. Errors: those of CreateCampaign, ErrInvalid
// "version", "status" (final), "parent_id" (the campaign itself, a cycle,
// or deeper than MaxHierarchyDepth); ErrConflict when the version is
// stale. Nothing is written on error.
func (s *Service) UpdateCampaign(ctx context.Context, id crmtype.ID, p CampaignUpdate) (*Campaign, error) {
	const op = "update campaign"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.Version < 1 {
		return nil, wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	if p.ParentID != nil && *p.ParentID == id {
		return nil, wrap(op, crmtype.Invalid("parent_id", "is the campaign itself"))
	}
	if err := applyCampaignUpdate(&Campaign{}, p); err != nil && !isField(err, "ends_at") {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	c, err := s.store.ChangeCampaign(ctx, sc, id, p.Version, func(c *Campaign) ([]crmtype.Event, error) {
		if c.Status == StatusCompleted || c.Status == StatusAborted {
			return nil, crmtype.Invalidf("status", "is %s: the campaign is final", c.Status)
		}
		before := campaignFields(c)
		if err := applyCampaignUpdate(c, p); err != nil {
			return nil, err
		}
		changes := crmtype.DiffFields(before, campaignFields(c))
		if len(changes) == 0 {
			return nil, nil
		}
		c.UpdatedAt = now
		return []crmtype.Event{campaignEvent(EventCampaignUpdated, c, now, changes)}, nil
	})
	return c, wrap(op, err)
}

// SetCampaignStatus moves campaign id to status to along the allowed
// transitions (see Status) if its version is still version, and records
// EventCampaignStatusChanged; the current status changes nothing. Errors:
// ErrInvalid "version", "status"; ErrNotFound; ErrConflict.
func (s *Service) SetCampaignStatus(ctx context.Context, id crmtype.ID, version int64, to Status) (*Campaign, error) {
	const op = "set campaign status"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if version < 1 {
		return nil, wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	if !slices.Contains(Statuses, to) {
		return nil, wrap(op, crmtype.Invalidf("status", "%q is not a campaign status", to))
	}
	now := s.clock.Now()
	c, err := s.store.ChangeCampaign(ctx, sc, id, version, func(c *Campaign) ([]crmtype.Event, error) {
		from := c.Status
		if from == to {
			return nil, nil
		}
		if !CanTransition(from, to) {
			return nil, crmtype.Invalidf("status", "cannot change from %s to %s", from, to)
		}
		c.Status, c.UpdatedAt = to, now
		return []crmtype.Event{campaignEvent(EventCampaignStatusChanged, c, now,
			[]crmtype.Change{{Field: "status", Before: string(from), After: string(to)}})}, nil
	})
	return c, wrap(op, err)
}

// Campaigns returns one page of the workspace's campaigns that p selects,
// by name. Errors: ErrInvalid "limit", "status", "cursor".
func (s *Service) Campaigns(ctx context.Context, p CampaignListParams) (crmtype.Page[*Campaign], error) {
	const op = "campaigns"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Campaign]{}, err
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*Campaign]{}, wrap(op, err)
	}
	if p.Status != "" && !slices.Contains(Statuses, p.Status) {
		return crmtype.Page[*Campaign]{}, wrap(op, crmtype.Invalidf("status", "%q is not a campaign status", p.Status))
	}
	page, err := s.store.ListCampaigns(ctx, sc, p, limit)
	return page, wrap(op, err)
}

// AddCost adds a line to campaign id's cost ledger and records
// EventCampaignCostAdded. A line whose Source the campaign already has is
// not added again: AddCost returns the stored line and added false.
// Errors: ErrInvalid "kind", "amount" (zero, or beyond MaxAmountMinor),
// "amount.currency" (not an ISO 4217 code, or not the campaign's
// currency), "on" (not a date), "note", "source"; ErrNotFound when the
// workspace has no campaign id. Nothing is written on error.
func (s *Service) AddCost(ctx context.Context, id crmtype.ID, p CostParams) (cost *Cost, added bool, err error) {
	const op = "add cost"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, false, err
	}
	kind := CostKind(strings.ToLower(strings.TrimSpace(string(p.Kind))))
	if !check.Slug(string(kind), MaxSlugBytes) {
		return nil, false, wrap(op, crmtype.Invalidf("kind", "must be 1 to %d lowercase letters, digits, '_' or '-'", MaxSlugBytes))
	}
	if p.Amount.Minor == 0 || p.Amount.Minor > MaxAmountMinor || p.Amount.Minor < -MaxAmountMinor {
		return nil, false, wrap(op, crmtype.Invalidf("amount", "is %d: give a non-zero amount of at most %d minor units", p.Amount.Minor, int64(MaxAmountMinor)))
	}
	if _, err := customer.CurrencyDigits(p.Amount.Currency); err != nil {
		return nil, false, wrap(op, crmtype.Invalidf("amount.currency", "%q is not an ISO 4217 currency code", p.Amount.Currency))
	}
	if _, err := time.Parse(time.DateOnly, p.On); err != nil {
		return nil, false, wrap(op, crmtype.Invalidf("on", "%q is not a date such as 2026-11-25", p.On))
	}
	note, err := check.Line("note", p.Note, MaxRefBytes, false)
	if err != nil {
		return nil, false, wrap(op, err)
	}
	source, err := check.Line("source", p.Source, MaxRefBytes, false)
	if err != nil {
		return nil, false, wrap(op, err)
	}
	c, err := s.store.GetCampaign(ctx, sc, id)
	if err != nil {
		return nil, false, wrap(op, err)
	}
	if c.Currency != p.Amount.Currency {
		return nil, false, wrap(op, crmtype.Invalidf("amount.currency", "is %s: the campaign's amounts are in %s", p.Amount.Currency, c.Currency))
	}
	now := s.clock.Now()
	line := &Cost{ID: crmtype.NewID(now), CampaignID: id, Kind: kind, Amount: p.Amount, On: p.On, Note: note, Source: source, CreatedAt: now}
	ev := crmtype.Event{Time: now, Type: EventCampaignCostAdded, SubjectType: SubjectCampaign, Subject: id,
		Changes: crmtype.DiffFields(nil, map[string]any{"cost_id": line.ID.String(), "kind": string(kind),
			"amount": float64(p.Amount.Minor), "currency": p.Amount.Currency, "on": p.On, "note": note, "source": source})}
	stored, added, err := s.store.InsertCost(ctx, sc, line, ev)
	if err != nil {
		return nil, false, wrap(op, err)
	}
	return stored, added, nil
}

// Costs returns one page of campaign id's cost lines by date. Errors:
// ErrInvalid "limit", "cursor"; ErrNotFound.
func (s *Service) Costs(ctx context.Context, id crmtype.ID, limit int, after crmtype.Cursor) (crmtype.Page[*Cost], error) {
	const op = "costs"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Cost]{}, err
	}
	n, err := crmtype.PageSize(limit)
	if err != nil {
		return crmtype.Page[*Cost]{}, wrap(op, err)
	}
	page, err := s.store.ListCosts(ctx, sc, id, n, after)
	return page, wrap(op, err)
}

// Rollup sums campaign id and every campaign under it: cost (the sum of
// the cost lines), budget and expected revenue per currency, members and
// responses. ErrNotFound when the workspace has no campaign id.
func (s *Service) Rollup(ctx context.Context, id crmtype.ID) (*Rollup, error) {
	const op = "rollup"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	r, err := s.store.Rollup(ctx, sc, id)
	return r, wrap(op, err)
}

func campaignEvent(typ string, c *Campaign, now time.Time, changes []crmtype.Change) crmtype.Event {
	return crmtype.Event{Time: now, Type: typ, SubjectType: SubjectCampaign, Subject: c.ID, SubjectKey: c.Name, Changes: changes}
}

func campaignFields(c *Campaign) map[string]any {
	t := func(v time.Time) any {
		if v.IsZero() {
			return nil
		}
		return v.UTC().Format(time.RFC3339Nano)
	}
	m := map[string]any{"name": c.Name, "type": string(c.Type), "status": string(c.Status), "objective": c.Objective,
		"starts_at": t(c.StartsAt), "ends_at": t(c.EndsAt), "owner_id": c.OwnerID, "channel": c.Channel,
		"utm_source": c.UTM.Source, "utm_medium": c.UTM.Medium, "utm_campaign": c.UTM.Campaign, "currency": c.Currency,
		"budget": float64(c.Budget), "expected_revenue": float64(c.ExpectedRevenue), "expected_responses": float64(c.ExpectedResponses)}
	if !c.ParentID.IsZero() {
		m["parent_id"] = c.ParentID.String()
	}
	return m
}

// applyCampaignUpdate checks and applies the non-nil fields of p to c.
func applyCampaignUpdate(c *Campaign, p CampaignUpdate) error {
	if p.Name != nil {
		v, err := check.Line("name", *p.Name, MaxNameBytes, true)
		if err != nil {
			return err
		}
		c.Name = v
	}
	if p.Type != nil {
		v := CampaignType(strings.ToLower(strings.TrimSpace(string(*p.Type))))
		if v == "" {
			return crmtype.Invalid("type", "is required")
		}
		if !check.Slug(string(v), MaxSlugBytes) {
			return crmtype.Invalidf("type", "must be 1 to %d lowercase letters, digits, '_' or '-'", MaxSlugBytes)
		}
		c.Type = v
	}
	if p.Objective != nil {
		v := strings.TrimSpace(*p.Objective)
		if !utf8.ValidString(v) || len(v) > MaxObjectiveBytes {
			return crmtype.Invalidf("objective", "is not UTF-8 or longer than %d bytes", MaxObjectiveBytes)
		}
		c.Objective = v
	}
	if p.StartsAt != nil {
		c.StartsAt = utc(*p.StartsAt)
	}
	if p.EndsAt != nil {
		c.EndsAt = utc(*p.EndsAt)
	}
	if !c.StartsAt.IsZero() && !c.EndsAt.IsZero() && !c.EndsAt.After(c.StartsAt) {
		return crmtype.Invalid("ends_at", "is not after starts_at: a campaign ends after it starts")
	}
	for _, f := range []struct {
		field string
		in    *string
		out   *string
	}{{"owner_id", p.OwnerID, &c.OwnerID}} {
		if f.in != nil {
			v, err := check.Line(f.field, *f.in, MaxRefBytes, false)
			if err != nil {
				return err
			}
			*f.out = v
		}
	}
	if p.Channel != nil {
		v := strings.ToLower(strings.TrimSpace(*p.Channel))
		if v != "" && !check.Slug(v, MaxSlugBytes) {
			return crmtype.Invalidf("channel", "must be at most %d lowercase letters, digits, '_' or '-'", MaxSlugBytes)
		}
		c.Channel = v
	}
	if p.UTM != nil {
		var u UTM
		for _, f := range []struct {
			field   string
			in, out *string
		}{{"utm.source", &p.UTM.Source, &u.Source}, {"utm.medium", &p.UTM.Medium, &u.Medium}, {"utm.campaign", &p.UTM.Campaign, &u.Campaign}} {
			v, err := check.Line(f.field, *f.in, MaxRefBytes, false)
			if err != nil {
				return err
			}
			*f.out = v
		}
		c.UTM = u
	}
	if p.ParentID != nil {
		c.ParentID = *p.ParentID
	}
	for _, f := range []struct {
		field string
		in    *int64
		out   *int64
	}{{"budget", p.Budget, &c.Budget}, {"expected_revenue", p.ExpectedRevenue, &c.ExpectedRevenue}} {
		if f.in != nil {
			if *f.in < 0 || *f.in > MaxAmountMinor {
				return crmtype.Invalidf(f.field, "is %d: give 0 to %d minor units", *f.in, int64(MaxAmountMinor))
			}
			*f.out = *f.in
		}
	}
	if p.ExpectedResponses != nil {
		if *p.ExpectedResponses < 0 {
			return crmtype.Invalid("expected_responses", "is negative")
		}
		c.ExpectedResponses = *p.ExpectedResponses
	}
	return nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

func isField(err error, field string) bool {
	ve, ok := err.(*crmtype.ValidationError)
	return ok && ve.Field == field
}
