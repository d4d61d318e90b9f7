package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
)

var _ communication.ContactStore = (*Store)(nil)

type consentRow struct {
	bun.BaseModel `bun:"table:crm_consents,alias:cn"`

	WorkspaceID  string     `bun:"workspace_id,pk"`
	ID           crmtype.ID `bun:"id,pk,type:uuid"`
	CustomerID   crmtype.ID `bun:"customer_id,type:uuid"`
	Channel      string     `bun:"channel"`
	Purpose      string     `bun:"purpose"`
	List         string     `bun:"list"`
	State        string     `bun:"state"`
	LegalBasis   string     `bun:"legal_basis"`
	Source       string     `bun:"source"`
	EvidenceText string     `bun:"evidence_text"`
	EvidenceIP   string     `bun:"evidence_ip"`
	EffectiveAt  time.Time  `bun:"effective_at"`
	RecordedAt   time.Time  `bun:"recorded_at"`
	Actor        string     `bun:"actor"`
	DedupKey     *string    `bun:"dedup_key"`
}

func (r *consentRow) toEntry() *communication.ConsentEntry {
	return &communication.ConsentEntry{ID: r.ID, CustomerID: r.CustomerID, Channel: communication.Channel(r.Channel),
		Purpose: communication.Purpose(r.Purpose), List: r.List, State: communication.ConsentState(r.State),
		LegalBasis: r.LegalBasis, Source: r.Source, EffectiveAt: r.EffectiveAt.UTC(), RecordedAt: r.RecordedAt.UTC(),
		EvidenceText: r.EvidenceText, EvidenceIP: r.EvidenceIP, Actor: r.Actor}
}

// InsertConsent implements communication.ContactStore.
func (s *Store) InsertConsent(ctx context.Context, sc crmtype.Scope, e *communication.ConsentEntry, dedupKey string) (*communication.ConsentEntry, error) {
	var out *communication.ConsentEntry
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		live, err := tx.existingIDs(ctx, sc, tx.db.NewSelect().Model((*customerRow)(nil)).Column("c.id").Where("c.erased_at IS NULL"), "c", []crmtype.ID{e.CustomerID})
		if err != nil {
			return err
		}
		if !live[e.CustomerID] {
			return fmt.Errorf("customer %s: %w", e.CustomerID, crmtype.ErrNotFound)
		}
		e.Actor = sc.Actor
		r := consentRow{WorkspaceID: string(sc.Workspace), ID: e.ID, CustomerID: e.CustomerID, Channel: string(e.Channel),
			Purpose: string(e.Purpose), List: e.List, State: string(e.State), LegalBasis: e.LegalBasis, Source: e.Source,
			EvidenceText: e.EvidenceText, EvidenceIP: e.EvidenceIP, EffectiveAt: e.EffectiveAt, RecordedAt: e.RecordedAt, Actor: e.Actor}
		if dedupKey != "" {
			r.DedupKey = &dedupKey
		}
		var ids []crmtype.ID
		if err := tx.db.NewInsert().Model(&r).On("CONFLICT (workspace_id, dedup_key) DO NOTHING").Returning("id").Scan(ctx, &ids); err != nil {
			return mapError(err)
		}
		if len(ids) == 0 { // recorded before with this key
			var have consentRow
			if err := where(tx.db.NewSelect().Model(&have).Where("cn.dedup_key = ?", dedupKey), "cn", sc).Scan(ctx); err != nil {
				return mapError(err)
			}
			out = have.toEntry()
			return nil
		}
		out = e
		ch := []crmtype.Change{{Field: "state", After: string(e.State)}, {Field: "effective_at", After: e.EffectiveAt.Format(time.RFC3339Nano)}}
		for _, f := range []struct{ k, v string }{{"channel", string(e.Channel)}, {"purpose", string(e.Purpose)}, {"list", e.List},
			{"legal_basis", e.LegalBasis}, {"source", e.Source}} {
			if f.v != "" {
				ch = append(ch, crmtype.Change{Field: f.k, After: f.v})
			}
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: e.RecordedAt, Type: communication.EventConsentRecorded,
			SubjectType: communication.SubjectConsent, Subject: e.ID, Customer: e.CustomerID, Changes: ch}})
	})
	return out, err
}

// ConsentEntries implements communication.ContactStore.
func (s *Store) ConsentEntries(ctx context.Context, sc crmtype.Scope, customers []crmtype.ID) (map[crmtype.ID][]communication.ConsentEntry, error) {
	out := map[crmtype.ID][]communication.ConsentEntry{}
	for i := 0; i < len(customers); i += batchRows {
		var rows []consentRow
		q := s.db.NewSelect().Model(&rows).Where("cn.customer_id IN (?)", bun.In(customers[i:min(i+batchRows, len(customers))]))
		if err := where(q, "cn", sc).Scan(ctx); err != nil {
			return nil, err
		}
		for k := range rows {
			out[rows[k].CustomerID] = append(out[rows[k].CustomerID], *rows[k].toEntry())
		}
	}
	return out, nil
}

// ListConsents implements communication.ContactStore.
func (s *Store) ListConsents(ctx context.Context, sc crmtype.Scope, cust crmtype.ID, after crmtype.Cursor, limit int) (crmtype.Page[*communication.ConsentEntry], error) {
	q := where(s.db.NewSelect().Model((*consentRow)(nil)).Where("cn.customer_id = ?", cust), "cn", sc)
	rows, next, err := timePage(ctx, q, "cn", "effective_at", fmt.Sprintf("%s:consents:%s", sc.Workspace, cust), true, after, limit,
		func(r *consentRow) (time.Time, crmtype.ID) { return r.EffectiveAt, r.ID })
	page := crmtype.Page[*communication.ConsentEntry]{Next: next}
	for i := range rows {
		page.Items = append(page.Items, rows[i].toEntry())
	}
	return page, err
}

type preferencesRow struct {
	bun.BaseModel `bun:"table:crm_contact_preferences,alias:pf"`

	WorkspaceID      string     `bun:"workspace_id,pk"`
	CustomerID       crmtype.ID `bun:"customer_id,pk,type:uuid"`
	PreferredChannel string     `bun:"preferred_channel"`
	Language         string     `bun:"language"`
	TimeZone         string     `bun:"time_zone"`
	QuietHours       string     `bun:"quiet_hours"`
	DoNotContact     bool       `bun:"do_not_contact"`
	DNCReason        string     `bun:"dnc_reason"`
	UpdatedAt        time.Time  `bun:"updated_at"`
}

// Preferences implements communication.ContactStore.
func (s *Store) Preferences(ctx context.Context, sc crmtype.Scope, customers []crmtype.ID) (map[crmtype.ID]*communication.Preferences, error) {
	out := map[crmtype.ID]*communication.Preferences{}
	for i := 0; i < len(customers); i += batchRows {
		var rows []preferencesRow
		q := s.db.NewSelect().Model(&rows).Where("pf.customer_id IN (?)", bun.In(customers[i:min(i+batchRows, len(customers))]))
		if err := where(q, "pf", sc).Scan(ctx); err != nil {
			return nil, err
		}
		for _, r := range rows {
			p := &communication.Preferences{CustomerID: r.CustomerID, PreferredChannel: communication.Channel(r.PreferredChannel),
				Language: r.Language, TimeZone: r.TimeZone, DoNotContact: r.DoNotContact, DoNotContactReason: r.DNCReason,
				UpdatedAt: r.UpdatedAt.UTC()}
			if err := json.Unmarshal([]byte(r.QuietHours), &p.QuietHours); err != nil {
				return nil, fmt.Errorf("store: decode quiet hours of %s: %w", r.CustomerID, err)
			}
			out[r.CustomerID] = p
		}
	}
	return out, nil
}

// SavePreferences implements communication.ContactStore.
func (s *Store) SavePreferences(ctx context.Context, sc crmtype.Scope, p *communication.Preferences, now time.Time) error {
	qh := p.QuietHours
	if qh == nil {
		qh = []communication.QuietHours{}
	}
	b, err := json.Marshal(qh)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		before, err := tx.Preferences(ctx, sc, []crmtype.ID{p.CustomerID})
		if err != nil {
			return err
		}
		r := preferencesRow{WorkspaceID: string(sc.Workspace), CustomerID: p.CustomerID, PreferredChannel: string(p.PreferredChannel),
			Language: p.Language, TimeZone: p.TimeZone, QuietHours: string(b), DoNotContact: p.DoNotContact,
			DNCReason: p.DoNotContactReason, UpdatedAt: now}
		if before[p.CustomerID] != nil {
			q := tx.db.NewUpdate().Model(&r).ExcludeColumn("workspace_id", "customer_id").WherePK()
			if _, err := where(q, "pf", sc).Exec(ctx); err != nil {
				return mapError(err)
			}
		} else if _, err := tx.db.NewInsert().Model(&r).Exec(ctx); err != nil {
			return mapError(err)
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: now, Type: communication.EventPreferencesUpdated,
			SubjectType: communication.SubjectPreferences, Subject: p.CustomerID, Customer: p.CustomerID,
			Changes: crmtype.DiffFields(preferenceFields(before[p.CustomerID]), preferenceFields(p))}})
	})
}

func preferenceFields(p *communication.Preferences) map[string]any {
	if p == nil {
		return nil
	}
	qh := make([]any, len(p.QuietHours))
	for i, q := range p.QuietHours {
		qh[i] = map[string]any{"channel": string(q.Channel), "from": q.From, "to": q.To}
	}
	return map[string]any{"preferred_channel": string(p.PreferredChannel), "language": p.Language, "time_zone": p.TimeZone,
		"quiet_hours": qh, "do_not_contact": p.DoNotContact, "do_not_contact_reason": p.DoNotContactReason}
}

type contactSettingsRow struct {
	bun.BaseModel `bun:"table:crm_contact_settings,alias:cst"`

	WorkspaceID string    `bun:"workspace_id,pk"`
	Settings    string    `bun:"settings"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

// ContactSettings implements communication.ContactStore.
func (s *Store) ContactSettings(ctx context.Context, sc crmtype.Scope) (communication.ContactSettings, bool, error) {
	var cs communication.ContactSettings
	var rows []contactSettingsRow
	if err := where(s.db.NewSelect().Model(&rows), "cst", sc).Scan(ctx); err != nil || len(rows) == 0 {
		return cs, false, err
	}
	if err := json.Unmarshal([]byte(rows[0].Settings), &cs); err != nil {
		return cs, false, fmt.Errorf("store: decode contact settings: %w", err)
	}
	return cs, true, nil
}

// SaveContactSettings implements communication.ContactStore.
func (s *Store) SaveContactSettings(ctx context.Context, sc crmtype.Scope, cs communication.ContactSettings, now time.Time) error {
	b, err := json.Marshal(cs)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		before, ok, err := tx.ContactSettings(ctx, sc)
		if err != nil {
			return err
		}
		r := contactSettingsRow{WorkspaceID: string(sc.Workspace), Settings: string(b), UpdatedAt: now}
		if ok {
			q := tx.db.NewUpdate().Model(&r).Column("settings", "updated_at").WherePK()
			if _, err := where(q, "cst", sc).Exec(ctx); err != nil {
				return err
			}
		} else if _, err := tx.db.NewInsert().Model(&r).Exec(ctx); err != nil {
			return mapError(err)
		}
		var bm, am map[string]any
		if ok {
			bb, _ := json.Marshal(before)
			_ = json.Unmarshal(bb, &bm)
		}
		_ = json.Unmarshal(b, &am)
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: now, Type: communication.EventContactSettingsUpdated,
			SubjectType: "workspace", SubjectKey: string(sc.Workspace), Changes: crmtype.DiffFields(bm, am)}})
	})
}

// ContactCustomers implements communication.ContactStore.
func (s *Store) ContactCustomers(ctx context.Context, sc crmtype.Scope, ids []crmtype.ID) (map[crmtype.ID]string, error) {
	out := make(map[crmtype.ID]string, len(ids))
	for i := 0; i < len(ids); i += batchRows {
		var rows []customerRow
		q := s.db.NewSelect().Model(&rows).Column("c.id", "c.time_zone").Where("c.id IN (?)", bun.In(ids[i:min(i+batchRows, len(ids))])).
			Where("c.deleted_at IS NULL")
		if err := where(q, "c", sc).Scan(ctx); err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.ID] = r.TimeZone
		}
	}
	return out, nil
}

// OutboundTimes implements communication.ContactStore. For one customer it
// reads the crm_interactions_outbound index range of the window; for many,
// one statement per chunk.
func (s *Store) OutboundTimes(ctx context.Context, sc crmtype.Scope, customers []crmtype.ID, since, until time.Time, purpose communication.Purpose, ch communication.Channel, limit int) (map[crmtype.ID][]time.Time, error) {
	out := map[crmtype.ID][]time.Time{}
	for i := 0; i < len(customers); i += batchRows {
		chunk := customers[i:min(i+batchRows, len(customers))]
		var rows []struct {
			CustomerID crmtype.ID `bun:"customer_id"`
			OccurredAt time.Time  `bun:"occurred_at"`
		}
		q := s.db.NewSelect().TableExpr("crm_interactions AS i").Column("i.customer_id", "i.occurred_at").
			Where("i.direction = 'outbound'"). // literally, to match the partial index
			Where("i.status <> 'failed'").     // a message that never left counts for nothing
			Where("i.occurred_at > ?", since.UTC()).Where("i.occurred_at <= ?", until.UTC())
		if len(chunk) == 1 {
			q = q.Where("i.customer_id = ?", chunk[0]).Limit(int64(limit))
		} else {
			q = q.Where("i.customer_id IN (?)", bun.In(chunk))
		}
		if purpose != "" {
			q = q.Where("i.purpose = ?", string(purpose))
		}
		if ch != "" {
			q = q.Where("i.channel = ?", string(ch))
		}
		if err := where(q, "i", sc).OrderExpr("i.customer_id, i.occurred_at DESC").Scan(ctx, &rows); err != nil {
			return nil, err
		}
		for _, r := range rows {
			if ts := out[r.CustomerID]; len(ts) < limit {
				out[r.CustomerID] = append(ts, r.OccurredAt.UTC())
			}
		}
	}
	return out, nil
}
