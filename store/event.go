package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/marketing"
)

var _ event.Store = (*Store)(nil)

type eventRow struct {
	bun.BaseModel `bun:"table:crm_events,alias:e"`

	Seq         int64      `bun:"seq,scanonly"`
	Txn         int64      `bun:"txn,scanonly"`
	WorkspaceID string     `bun:"workspace_id"`
	ID          crmtype.ID `bun:"id,type:uuid"`
	OccurredAt  time.Time  `bun:"occurred_at"`
	Type        string     `bun:"type"`
	SubjectType string     `bun:"subject_type"`
	SubjectID   crmtype.ID `bun:"subject_id,type:uuid"`
	SubjectKey  string     `bun:"subject_key"`
	CustomerID  crmtype.ID `bun:"customer_id,type:uuid"`
	Actor       string     `bun:"actor"`
	Changes     string     `bun:"changes"`
}

func (r *eventRow) toEvent() (crmtype.Event, error) {
	e := crmtype.Event{ID: r.ID, Workspace: crmtype.WorkspaceID(r.WorkspaceID), Time: r.OccurredAt.UTC(),
		Type: r.Type, SubjectType: r.SubjectType, Subject: r.SubjectID, SubjectKey: r.SubjectKey,
		Customer: r.CustomerID, Actor: r.Actor}
	if err := json.Unmarshal([]byte(r.Changes), &e.Changes); err != nil {
		return e, fmt.Errorf("store: decode changes of event %s: %w", r.ID, err)
	}
	return e, nil
}

// appendEvents writes events in the store's transaction, stamping each with
// the scope's workspace and actor and a new ID. It is what every write
// method calls: the events commit or roll back with the change.
func (s *Store) appendEvents(ctx context.Context, sc crmtype.Scope, evs []crmtype.Event) error {
	if len(evs) == 0 || s.noEvents {
		return nil
	}
	rows := make([]eventRow, len(evs))
	for i, e := range evs {
		ch := e.Changes
		if ch == nil {
			ch = []crmtype.Change{}
		}
		b, err := json.Marshal(ch)
		if err != nil {
			return fmt.Errorf("store: encode changes of %s: %w", e.Type, err)
		}
		e.ID, e.Workspace, e.Actor, e.Time, e.Changes = crmtype.NewID(e.Time), sc.Workspace, sc.Actor, e.Time.UTC(), ch
		rows[i] = eventRow{WorkspaceID: string(sc.Workspace), ID: e.ID, OccurredAt: e.Time,
			Type: e.Type, SubjectType: e.SubjectType, SubjectID: e.Subject, SubjectKey: e.SubjectKey,
			CustomerID: e.Customer, Actor: sc.Actor, Changes: string(b)}
		evs[i] = e
	}
	if err := insertChunks(ctx, s.db, rows); err != nil {
		return err
	}
	if s.pend != nil {
		s.pend.evs = append(s.pend.evs, evs...)
	}
	return nil
}

func scanEvents(rows []eventRow) ([]crmtype.Event, error) {
	out := make([]crmtype.Event, len(rows))
	for i := range rows {
		e, err := rows[i].toEvent()
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// seqCursor is a timeline or audit page's position, bound to the
// workspace and the list (customer or subject) it belongs to.
type seqCursor struct {
	Workspace string `json:"w"`
	List      string `json:"l"`
	Seq       int64  `json:"s"`
}

// eventPage runs q (already filtered to the list named list) newest first
// with keyset paging on seq.
func eventPage(ctx context.Context, sc crmtype.Scope, list string, q *bun.SelectQuery, eq event.Query, limit int) (crmtype.Page[crmtype.Event], error) {
	var page crmtype.Page[crmtype.Event]
	if len(eq.Types) > 0 {
		q = q.Where("e.type IN (?)", bun.In(eq.Types))
	}
	if !eq.From.IsZero() {
		q = q.Where("e.occurred_at >= ?", eq.From.UTC())
	}
	if !eq.To.IsZero() {
		q = q.Where("e.occurred_at < ?", eq.To.UTC())
	}
	if eq.After != "" {
		var cur seqCursor
		if err := crmtype.DecodeCursor(eq.After, &cur); err != nil {
			return page, err
		}
		if cur.Workspace != string(sc.Workspace) || cur.List != list {
			return page, crmtype.Invalid("cursor", "belongs to another list")
		}
		q = q.Where("e.seq < ?", cur.Seq)
	}
	var rows []eventRow
	if err := q.Model(&rows).ColumnExpr("e.*").OrderExpr("e.seq DESC").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = crmtype.EncodeCursor(seqCursor{Workspace: string(sc.Workspace), List: list, Seq: rows[len(rows)-1].Seq})
	}
	evs, err := scanEvents(rows)
	page.Items = evs
	return page, err
}

// A timeline merges, newest first, the customer's events in the log with
// the rows of the tables listed in timelineSources: records kept in bulk
// (purchases, interactions) appear on the timeline from their own rows,
// each read through its table's (workspace_id, customer_id, occurred_at,
// id) index, while the log holds one event per batch of them.

// streamPos is a position in a source: the last entry shown.
type streamPos struct {
	At time.Time  `json:"t"`
	ID crmtype.ID `json:"i"`
}

// timelineCursor is a timeline page's position in each stream: the log (by
// seq; 0 when none of it was shown) and each source (absent when none of
// it was shown).
type timelineCursor struct {
	Workspace string               `json:"w"`
	Customer  crmtype.ID           `json:"c"`
	Filter    string               `json:"f,omitempty"` // the query's types and window: a cursor pages one query
	Seq       int64                `json:"s,omitempty"`
	Pos       map[string]streamPos `json:"p,omitempty"`
}

// timelineEntry is an entry of a stream with its position.
type timelineEntry struct {
	ev  crmtype.Event
	seq int64
	pos streamPos
}

// timelineSource is a table whose rows are timeline entries of one type.
type timelineSource struct {
	name string // its key in the cursor
	typ  string // the event type of its entries
	// read returns up to limit entries of customer cust after pos (nil: from
	// the newest), newest first, within q's time window.
	read func(ctx context.Context, s *Store, sc crmtype.Scope, cust crmtype.ID, q event.Query, pos *streamPos, limit int) ([]timelineEntry, error)
	// row returns the entry of the row with id, ok false when there is none.
	row func(ctx context.Context, s *Store, sc crmtype.Scope, id crmtype.ID) (crmtype.Event, bool, error)
}

var timelineSources = []timelineSource{
	{name: "p", typ: customer.EventPurchaseRecorded,
		read: func(ctx context.Context, s *Store, sc crmtype.Scope, cust crmtype.ID, q event.Query, pos *streamPos, limit int) ([]timelineEntry, error) {
			sel := where(s.db.NewSelect().Model((*purchaseRow)(nil)).Where("p.customer_id = ?", cust), "p", sc)
			return readSource(ctx, sel, "p", q, pos, limit, func(r *purchaseRow) crmtype.Event { return r.purchaseEvent(sc.Workspace) })
		},
		row: func(ctx context.Context, s *Store, sc crmtype.Scope, id crmtype.ID) (crmtype.Event, bool, error) {
			sel := where(s.db.NewSelect().Model((*purchaseRow)(nil)).Where("p.id = ?", id), "p", sc)
			return readRow(ctx, sel, func(r *purchaseRow) crmtype.Event { return r.purchaseEvent(sc.Workspace) })
		}},
	{name: "i", typ: communication.EventInteractionRecorded,
		read: func(ctx context.Context, s *Store, sc crmtype.Scope, cust crmtype.ID, q event.Query, pos *streamPos, limit int) ([]timelineEntry, error) {
			sel := where(s.db.NewSelect().Model((*interactionRow)(nil)).Where("i.customer_id = ?", cust), "i", sc)
			return readSource(ctx, sel, "i", q, pos, limit, func(r *interactionRow) crmtype.Event { return r.interactionEvent(sc.Workspace) })
		},
		row: func(ctx context.Context, s *Store, sc crmtype.Scope, id crmtype.ID) (crmtype.Event, bool, error) {
			sel := where(s.db.NewSelect().Model((*interactionRow)(nil)).Where("i.id = ?", id), "i", sc)
			return readRow(ctx, sel, func(r *interactionRow) crmtype.Event { return r.interactionEvent(sc.Workspace) })
		}},
	{name: "m", typ: marketing.EventMemberStatus,
		read: func(ctx context.Context, s *Store, sc crmtype.Scope, cust crmtype.ID, q event.Query, pos *streamPos, limit int) ([]timelineEntry, error) {
			sel := where(s.db.NewSelect().Model((*memberLogRow)(nil)).Where("mlog.customer_id = ?", cust), "mlog", sc)
			return readSource(ctx, sel, "mlog", q, pos, limit, func(r *memberLogRow) crmtype.Event { return r.memberEvent(sc.Workspace) })
		},
		row: func(ctx context.Context, s *Store, sc crmtype.Scope, id crmtype.ID) (crmtype.Event, bool, error) {
			sel := where(s.db.NewSelect().Model((*memberLogRow)(nil)).Where("mlog.id = ?", id), "mlog", sc)
			return readRow(ctx, sel, func(r *memberLogRow) crmtype.Event { return r.memberEvent(sc.Workspace) })
		}},
}

// readRow returns the entry of the one row sel finds; ok false when none.
func readRow[T any](ctx context.Context, sel *bun.SelectQuery, entry func(*T) crmtype.Event) (crmtype.Event, bool, error) {
	var rows []T
	if err := sel.Limit(1).Scan(ctx, &rows); err != nil || len(rows) == 0 {
		return crmtype.Event{}, false, err
	}
	return entry(&rows[0]), true, nil
}

// readSource reads one source's entries for a timeline page: sel (of
// alias, filtered to the customer) ordered by occurred_at and id, newest
// first, after pos.
func readSource[T any](ctx context.Context, sel *bun.SelectQuery, alias string, q event.Query, pos *streamPos, limit int, entry func(*T) crmtype.Event) ([]timelineEntry, error) {
	if !q.From.IsZero() {
		sel = sel.Where("?.occurred_at >= ?", bun.Ident(alias), q.From.UTC())
	}
	if !q.To.IsZero() {
		sel = sel.Where("?.occurred_at < ?", bun.Ident(alias), q.To.UTC())
	}
	if pos != nil {
		sel = sel.Where("(?.occurred_at, ?.id) < (?, ?)", bun.Ident(alias), bun.Ident(alias), pos.At, pos.ID)
	}
	var rows []T
	if err := sel.OrderExpr("?.occurred_at DESC, ?.id DESC", bun.Ident(alias), bun.Ident(alias)).Limit(int64(limit)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]timelineEntry, len(rows))
	for i := range rows {
		e := entry(&rows[i])
		out[i] = timelineEntry{ev: e, pos: streamPos{At: e.Time, ID: e.Subject}}
	}
	return out, nil
}

// Timeline implements event.Store.
func (s *Store) Timeline(ctx context.Context, sc crmtype.Scope, cust crmtype.ID, q event.Query, limit int) (crmtype.Page[crmtype.Event], error) {
	var page crmtype.Page[crmtype.Event]
	filter := fmt.Sprintf("%q|%d|%d", q.Types, q.From.UnixNano(), q.To.UnixNano())
	if len(q.Types) == 0 && q.From.IsZero() && q.To.IsZero() {
		filter = ""
	}
	cur := timelineCursor{Workspace: string(sc.Workspace), Customer: cust, Filter: filter}
	if q.After != "" {
		cur = timelineCursor{}
		if err := crmtype.DecodeCursor(q.After, &cur); err != nil {
			return page, err
		}
		if cur.Workspace != string(sc.Workspace) || cur.Customer != cust || cur.Filter != filter {
			return page, crmtype.Invalid("cursor", "belongs to another list")
		}
	}
	// The streams, each read one entry beyond the page.
	streams := make([][]timelineEntry, 1+len(timelineSources))
	evq := where(s.db.NewSelect().Model((*eventRow)(nil)).Where("e.customer_id = ?", cust), "e", sc)
	if len(q.Types) > 0 {
		evq = evq.Where("e.type IN (?)", bun.In(q.Types))
	}
	if !q.From.IsZero() {
		evq = evq.Where("e.occurred_at >= ?", q.From.UTC())
	}
	if !q.To.IsZero() {
		evq = evq.Where("e.occurred_at < ?", q.To.UTC())
	}
	if cur.Seq > 0 {
		evq = evq.Where("e.seq < ?", cur.Seq)
	}
	var evs []eventRow
	if err := evq.Model(&evs).ColumnExpr("e.*").OrderExpr("e.seq DESC").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	for i := range evs {
		e, err := evs[i].toEvent()
		if err != nil {
			return page, err
		}
		streams[0] = append(streams[0], timelineEntry{ev: e, seq: evs[i].Seq})
	}
	for k, src := range timelineSources {
		if len(q.Types) > 0 && !slices.Contains(q.Types, src.typ) {
			continue
		}
		var pos *streamPos
		if p, ok := cur.Pos[src.name]; ok {
			pos = &p
		}
		entries, err := src.read(ctx, s, sc, cust, q, pos, limit+1)
		if err != nil {
			return page, err
		}
		streams[k+1] = entries
	}
	// Merge newest first; on a tie the log, then the sources in order.
	heads := make([]int, len(streams))
	for len(page.Items) < limit {
		best := -1
		for k, st := range streams {
			if heads[k] < len(st) && (best < 0 || st[heads[k]].ev.Time.After(streams[best][heads[best]].ev.Time)) {
				best = k
			}
		}
		if best < 0 {
			break
		}
		e := streams[best][heads[best]]
		heads[best]++
		page.Items = append(page.Items, e.ev)
		if best == 0 {
			cur.Seq = e.seq
		} else {
			if cur.Pos == nil {
				cur.Pos = map[string]streamPos{}
			}
			cur.Pos[timelineSources[best-1].name] = e.pos
		}
	}
	for k, st := range streams {
		if heads[k] < len(st) {
			page.Next = crmtype.EncodeCursor(cur)
			break
		}
	}
	return page, nil
}

// Audit implements event.Store. The history of a record kept in bulk (a
// purchase, an interaction) ends with the entry its row stands for, after
// the log's events about it.
func (s *Store) Audit(ctx context.Context, sc crmtype.Scope, q event.AuditQuery, limit int) (crmtype.Page[crmtype.Event], error) {
	sel := where(s.db.NewSelect().Model((*eventRow)(nil)), "e", sc)
	if !q.Subject.IsZero() {
		sel = sel.Where("e.subject_id = ?", q.Subject)
	} else {
		// The second predicate names the partial index's condition, so
		// that both databases see the index applies.
		sel = sel.Where("e.subject_key = ?", q.SubjectKey).Where("e.subject_key <> ''")
	}
	if q.SubjectType != "" {
		sel = sel.Where("e.subject_type = ?", q.SubjectType)
	}
	if q.Actor != "" {
		sel = sel.Where("e.actor = ?", q.Actor)
	}
	list := fmt.Sprintf("audit:%s:%s:%s:%s", q.Subject, q.SubjectKey, q.SubjectType, q.Actor)
	page, err := eventPage(ctx, sc, list, sel, q.Query, limit)
	if err != nil || q.Subject.IsZero() || page.Next != "" {
		return page, err
	}
	for _, src := range timelineSources {
		e, ok, err := src.row(ctx, s, sc, q.Subject)
		if err != nil {
			return page, err
		}
		if !ok {
			continue
		}
		if (q.SubjectType == "" || q.SubjectType == e.SubjectType) && (len(q.Types) == 0 || slices.Contains(q.Types, e.Type)) &&
			(q.Actor == "" || q.Actor == e.Actor) && (q.From.IsZero() || !e.Time.Before(q.From)) && (q.To.IsZero() || e.Time.Before(q.To)) {
			if len(page.Items) < limit {
				page.Items = append(page.Items, e)
			} else {
				// One more page, past every event of the log (seq >= 1).
				page.Next = crmtype.EncodeCursor(seqCursor{Workspace: string(sc.Workspace), List: list, Seq: 1})
			}
		}
		break
	}
	return page, nil
}

type consumerRow struct {
	bun.BaseModel `bun:"table:crm_event_consumers,alias:k"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	Name        string     `bun:"name,pk"`
	AckedTxn    int64      `bun:"acked_txn"`
	AckedSeq    int64      `bun:"acked_seq"`
	LeasedTxn   int64      `bun:"leased_txn"`
	LeasedSeq   int64      `bun:"leased_seq"`
	Secret      string     `bun:"secret"`
	LeaseNo     int64      `bun:"lease_no"`
	LeaseToken  string     `bun:"lease_token"`
	LeaseUntil  *time.Time `bun:"lease_until"`
	UpdatedAt   time.Time  `bun:"updated_at"`
}

// outboxCursor is what a Batch's cursor carries: whose lease it is and
// where it ends.
type outboxCursor struct {
	Workspace string `json:"w"`
	Consumer  string `json:"c"`
	Lease     int64  `json:"n"`
	Token     string `json:"k"` // HMAC of the fields above and the position, under the consumer's secret
	Txn       int64  `json:"t"`
	Seq       int64  `json:"s"`
}

// sign returns the token of cursor c under secret.
func (c outboxCursor) sign(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%s\x00%s\x00%d\x00%d\x00%d", c.Workspace, c.Consumer, c.Lease, c.Txn, c.Seq)
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// lockConsumer reads (creating if needed) a consumer's row for update
// inside a transaction.
func (s *Store) lockConsumer(ctx context.Context, sc crmtype.Scope, name string, now time.Time, create bool) (*consumerRow, error) {
	if create {
		secret := make([]byte, 32)
		_, _ = rand.Read(secret)
		if _, err := s.db.NewRaw(`INSERT INTO crm_event_consumers (workspace_id, name, secret, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (workspace_id, name) DO NOTHING`,
			string(sc.Workspace), name, hex.EncodeToString(secret), now).Exec(ctx); err != nil {
			return nil, err
		}
	}
	var row consumerRow
	q := where(s.db.NewSelect().Model(&row).Where("k.name = ?", name), "k", sc)
	if s.pg {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, mapError(err)
	}
	return &row, nil
}

// NextEvents implements event.Store.
func (s *Store) NextEvents(ctx context.Context, sc crmtype.Scope, consumer string, limit int, lease time.Duration, now time.Time) (event.Batch, error) {
	var batch event.Batch
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		k, err := tx.lockConsumer(ctx, sc, consumer, now, true)
		if err != nil {
			return err
		}
		if k.LeaseToken != "" && k.LeaseUntil != nil && k.LeaseUntil.After(now) {
			return nil // another worker holds the current batch
		}
		var rows []eventRow
		q := where(tx.db.NewSelect().Model(&rows).ColumnExpr("e.*"), "e", sc)
		if tx.pg {
			q = q.Where("(e.txn, e.seq) > (?, ?)", k.AckedTxn, k.AckedSeq)
		} else {
			// SQLite has one writer at a time: txn is always 0 and seq is
			// commit order; this form is an index range.
			q = q.Where("e.txn = 0 AND e.seq > ?", k.AckedSeq)
		}
		if tx.pg {
			// Only transactions older than every running one: their events
			// are all committed (or gone), so none can appear later below
			// the cursor.
			q = q.Where("e.txn < pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
		}
		if err := q.OrderExpr("e.txn, e.seq").Limit(int64(limit)).Scan(ctx); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		last := rows[len(rows)-1]
		cur := outboxCursor{Workspace: string(sc.Workspace), Consumer: consumer, Lease: k.LeaseNo + 1, Txn: last.Txn, Seq: last.Seq}
		cur.Token = cur.sign(k.Secret)
		until := now.Add(lease)
		k.LeaseNo, k.LeasedTxn, k.LeasedSeq, k.LeaseToken, k.LeaseUntil, k.UpdatedAt = cur.Lease, last.Txn, last.Seq, cur.Token, &until, now
		if _, err := where(tx.db.NewUpdate().Model(k).Column("lease_no", "leased_txn", "leased_seq", "lease_token", "lease_until", "updated_at").
			Where("k.name = ?", consumer), "k", sc).Exec(ctx); err != nil {
			return err
		}
		if batch.Events, err = scanEvents(rows); err != nil {
			return err
		}
		batch.Cursor = crmtype.EncodeCursor(cur)
		return nil
	})
	return batch, err
}

// AckEvents implements event.Store.
func (s *Store) AckEvents(ctx context.Context, sc crmtype.Scope, consumer string, cursor crmtype.Cursor, now time.Time) error {
	var cur outboxCursor
	if err := crmtype.DecodeCursor(cursor, &cur); err != nil {
		return err
	}
	notDelivered := crmtype.Invalid("cursor", "was not delivered to this consumer of this workspace")
	if cur.Workspace != string(sc.Workspace) || cur.Consumer != consumer || cur.Token == "" {
		return notDelivered
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		k, err := tx.lockConsumer(ctx, sc, consumer, now, false)
		if errors.Is(err, crmtype.ErrNotFound) {
			return notDelivered
		}
		if err != nil {
			return err
		}
		if !hmac.Equal([]byte(cur.sign(k.Secret)), []byte(cur.Token)) || cur.Lease > k.LeaseNo {
			return notDelivered
		}
		if k.AckedTxn > cur.Txn || (k.AckedTxn == cur.Txn && k.AckedSeq >= cur.Seq) {
			return nil // already acknowledged: acknowledging twice is harmless
		}
		if cur.Lease < k.LeaseNo || k.LeaseToken != cur.Token {
			return &crmtype.ConflictError{Resource: "consumer", Field: "cursor", Value: consumer,
				Reason: "belongs to a lease that expired and was given to another worker"}
		}
		k.AckedTxn, k.AckedSeq, k.LeaseToken, k.LeaseUntil, k.UpdatedAt = cur.Txn, cur.Seq, "", nil, now
		_, err = where(tx.db.NewUpdate().Model(k).Column("acked_txn", "acked_seq", "lease_token", "lease_until", "updated_at").
			Where("k.name = ?", consumer), "k", sc).Exec(ctx)
		return err
	})
}

// PruneEvents implements event.Store.
func (s *Store) PruneEvents(ctx context.Context, sc crmtype.Scope, before time.Time) (int64, error) {
	res, err := where(s.db.NewDelete().Model((*eventRow)(nil)).Where("e.occurred_at < ?", before), "e", sc).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
