package store

import (
	"bytes"
	"context"
	"fmt"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/service"
)

var _ service.TicketMergeStore = (*Store)(nil)

// MergeTickets implements service.TicketMergeStore.
func (s *Store) MergeTickets(ctx context.Context, sc crmtype.Scope, sourceID, targetID crmtype.ID, sourceVersion, targetVersion int64,
	change func(src, dst *service.Ticket, m *service.TicketMerge) error) (*service.Ticket, *service.Ticket, error) {
	var src, dst *service.Ticket
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var err error
		src, dst, err = tx.mergeTickets(ctx, sc, sourceID, targetID, sourceVersion, targetVersion, change)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return src, dst, nil
}

func (s *Store) mergeTickets(ctx context.Context, sc crmtype.Scope, sourceID, targetID crmtype.ID, sourceVersion, targetVersion int64,
	change func(src, dst *service.Ticket, m *service.TicketMerge) error) (*service.Ticket, *service.Ticket, error) {
	if sourceID == targetID {
		return nil, nil, crmtype.Invalid("target_id", "is the source ticket itself")
	}
	// Both rows locked in order of id, so that two merges of the same
	// pair (either way round) wait for each other instead of deadlocking
	// on PostgreSQL. (SQLite's write transactions are serial.)
	type locked struct {
		id      crmtype.ID
		version int64
		field   string
		row     ticketRow
	}
	pair := []*locked{{id: sourceID, version: sourceVersion, field: "source_version"}, {id: targetID, version: targetVersion, field: "target_version"}}
	order := pair
	if bytes.Compare(targetID[:], sourceID[:]) < 0 {
		order = []*locked{pair[1], pair[0]}
	}
	for _, l := range order {
		q := s.db.NewSelect().Model(&l.row).Where("tkt.id = ?", l.id)
		if s.pg {
			q = q.For("UPDATE")
		}
		if err := where(q, "tkt", sc).Scan(ctx); err != nil {
			return nil, nil, fmt.Errorf("ticket %s: %w", l.id, mapError(err))
		}
	}
	for _, l := range pair {
		if l.row.Version != l.version {
			return nil, nil, &crmtype.ConflictError{Resource: "ticket", Field: l.field, HeldBy: l.id,
				Reason: fmt.Sprintf("is %d, not %d: the ticket changed since it was read", l.row.Version, l.version)}
		}
	}
	src, err := pair[0].row.toTicket()
	if err != nil {
		return nil, nil, err
	}
	dst, err := pair[1].row.toTicket()
	if err != nil {
		return nil, nil, err
	}
	if err := s.lockSLA(ctx, sc, src, dst); err != nil {
		return nil, nil, err
	}

	// What moves with the source.
	var m service.TicketMerge
	n, err := where(s.db.NewSelect().Model((*interactionRow)(nil)).Where("i.ticket_id = ?", sourceID), "i", sc).Count(ctx)
	if err != nil {
		return nil, nil, err
	}
	m.Replies = int(n)
	if n, err = where(s.db.NewSelect().Model((*ticketNoteRow)(nil)).Where("tn.ticket_id = ?", sourceID), "tn", sc).Count(ctx); err != nil {
		return nil, nil, err
	}
	m.Notes = int(n)
	if err := where(s.db.NewSelect().Model((*ticketRow)(nil)).Column("tkt.id").Where("tkt.parent_id = ?", sourceID), "tkt", sc).
		OrderExpr("tkt.id").Scan(ctx, &m.Children); err != nil {
		return nil, nil, err
	}

	if err := change(src, dst, &m); err != nil {
		return nil, nil, err
	}
	// Neither ticket's identity changes with a merge.
	for i, t := range []*service.Ticket{src, dst} {
		row := &pair[i].row
		t.ID, t.Number, t.CustomerID, t.CreatedAt = row.ID, row.Number, row.CustomerID, row.CreatedAt.UTC()
		t.Version = row.Version + 1
		if err := s.saveLockedTicket(ctx, sc, t, row.Version); err != nil {
			return nil, nil, err
		}
	}

	// Re-point the source's replies, notes and children.
	now := dst.UpdatedAt.UTC()
	if m.Replies > 0 {
		u := s.db.NewUpdate().Model((*interactionRow)(nil)).Set("ticket_id = ?", targetID).Set("updated_at = ?", now).
			Where("i.ticket_id = ?", sourceID)
		if _, err := where(u, "i", sc).Exec(ctx); err != nil {
			return nil, nil, mapError(err)
		}
	}
	if m.Notes > 0 {
		u := s.db.NewUpdate().Model((*ticketNoteRow)(nil)).Set("ticket_id = ?", targetID).Where("tn.ticket_id = ?", sourceID)
		if _, err := where(u, "tn", sc).Exec(ctx); err != nil {
			return nil, nil, mapError(err)
		}
	}
	if len(m.Children) > 0 {
		u := s.db.NewUpdate().Model((*ticketRow)(nil)).Set("parent_id = ?", targetID).Set("version = tkt.version + 1").
			Set("updated_at = ?", now).Where("tkt.parent_id = ?", sourceID)
		if _, err := where(u, "tkt", sc).Exec(ctx); err != nil {
			return nil, nil, mapError(err)
		}
	}
	// Follow-up tasks and engagements follow the case to the target (each
	// a new version, so that an edit read before the merge cannot put its
	// ticket back). Survey answers stay with the ticket they were about.
	for _, table := range []string{"crm_tasks", "crm_engagements"} {
		u := s.db.NewUpdate().TableExpr(table+" AS x").Set("ticket_id = ?", targetID).Set("version = x.version + 1").
			Set("updated_at = ?", now).Where("x.ticket_id = ?", sourceID)
		if _, err := where(u, "x", sc).Exec(ctx); err != nil {
			return nil, nil, mapError(err)
		}
	}
	for _, n := range m.AddNotes {
		t := src
		if n.TicketID == dst.ID {
			t = dst
		} else if n.TicketID != src.ID {
			return nil, nil, fmt.Errorf("store: merge tickets: a note for ticket %s, neither of the merge", n.TicketID)
		}
		_, err := s.db.NewInsert().Model(&ticketNoteRow{WorkspaceID: string(sc.Workspace), ID: n.ID,
			TicketID: t.ID, CustomerID: t.CustomerID, AuthorID: n.AuthorID, Body: n.Body,
			CreatedAt: n.CreatedAt.UTC()}).Exec(ctx)
		if err != nil {
			return nil, nil, mapError(err)
		}
	}
	return src, dst, s.appendEvents(ctx, sc, m.Events)
}

// saveLockedTicket saves t, read at version was under the transaction's
// lock, with its SLA targets.
func (s *Store) saveLockedTicket(ctx context.Context, sc crmtype.Scope, t *service.Ticket, was int64) error {
	row, err := toTicketRow(sc, t)
	if err != nil {
		return err
	}
	res, err := where(s.db.NewUpdate().Model(row).ExcludeColumn("workspace_id", "id", "number", "customer_id", "created_at").
		Where("tkt.id = ?", t.ID).Where("tkt.version = ?", was), "tkt", sc).Exec(ctx)
	if err != nil {
		return mapError(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return &crmtype.ConflictError{Resource: "ticket", Field: "version", HeldBy: t.ID, Reason: "changed concurrently"}
	}
	return s.replaceTicketSLA(ctx, sc, t)
}
