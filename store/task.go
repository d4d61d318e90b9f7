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

var _ communication.TaskStore = (*Store)(nil)

// Reminder states.
const (
	reminderPending   = "pending"
	reminderFired     = "fired"
	reminderCancelled = "cancelled"
)

type taskRow struct {
	bun.BaseModel `bun:"table:crm_tasks,alias:tk"`

	WorkspaceID   string     `bun:"workspace_id,pk"`
	ID            crmtype.ID `bun:"id,pk,type:uuid"`
	CustomerID    crmtype.ID `bun:"customer_id,type:uuid"`
	Subject       string     `bun:"subject"`
	Notes         string     `bun:"notes"`
	DueAt         time.Time  `bun:"due_at"`
	OwnerID       string     `bun:"owner_id"`
	Priority      string     `bun:"priority"`
	Status        string     `bun:"status"`
	InteractionID crmtype.ID `bun:"interaction_id,type:uuid"`
	TicketID      crmtype.ID `bun:"ticket_id,type:uuid"`
	CampaignID    crmtype.ID `bun:"campaign_id,type:uuid"`
	RRule         string     `bun:"rrule"`
	Zone          string     `bun:"zone"`
	RecurStart    *time.Time `bun:"recur_start"`
	Reminders     string     `bun:"reminders"` // JSON array of offsets in seconds
	CompletedAt   *time.Time `bun:"completed_at"`
	Version       int64      `bun:"version"`
	CreatedAt     time.Time  `bun:"created_at"`
	UpdatedAt     time.Time  `bun:"updated_at"`
}

type reminderRow struct {
	bun.BaseModel `bun:"table:crm_task_reminders,alias:rm"`

	WorkspaceID   string     `bun:"workspace_id,pk"`
	ID            crmtype.ID `bun:"id,pk,type:uuid"`
	TaskID        crmtype.ID `bun:"task_id,type:uuid"`
	CustomerID    crmtype.ID `bun:"customer_id,type:uuid"`
	OffsetSeconds int64      `bun:"offset_seconds"`
	FireAt        time.Time  `bun:"fire_at"`
	State         string     `bun:"state"`
	LeaseNo       int64      `bun:"lease_no"`
	LeaseUntil    *time.Time `bun:"lease_until"`
	CreatedAt     time.Time  `bun:"created_at"`
	FiredAt       *time.Time `bun:"fired_at"`
}

func toTaskRow(sc crmtype.Scope, t *communication.Task) (*taskRow, error) {
	offs := make([]int64, len(t.Reminders))
	for i, d := range t.Reminders {
		offs[i] = int64(d / time.Second)
	}
	b, err := json.Marshal(offs)
	if err != nil {
		return nil, err
	}
	r := &taskRow{WorkspaceID: string(sc.Workspace), ID: t.ID, CustomerID: t.CustomerID, Subject: t.Subject,
		Notes: t.Notes, DueAt: t.DueAt.UTC(), OwnerID: t.OwnerID, Priority: string(t.Priority), Status: string(t.Status),
		InteractionID: t.InteractionID, TicketID: t.TicketID, CampaignID: t.CampaignID, Reminders: string(b),
		CompletedAt: t.CompletedAt, Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if t.Recurrence != nil {
		start := t.Recurrence.Start.UTC()
		r.RRule, r.Zone, r.RecurStart = t.Recurrence.Rule, t.Recurrence.Zone, &start
	}
	return r, nil
}

func (r *taskRow) toTask() (*communication.Task, error) {
	t := &communication.Task{ID: r.ID, CustomerID: r.CustomerID, Subject: r.Subject, Notes: r.Notes,
		DueAt: r.DueAt.UTC(), OwnerID: r.OwnerID, Priority: communication.Priority(r.Priority),
		Status: communication.TaskStatus(r.Status), InteractionID: r.InteractionID, TicketID: r.TicketID,
		CampaignID: r.CampaignID, Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.RRule != "" && r.RecurStart != nil {
		t.Recurrence = &communication.Recurrence{Rule: r.RRule, Start: r.RecurStart.UTC(), Zone: r.Zone}
	}
	if r.CompletedAt != nil {
		at := r.CompletedAt.UTC()
		t.CompletedAt = &at
	}
	var offs []int64
	if err := json.Unmarshal([]byte(r.Reminders), &offs); err != nil {
		return nil, fmt.Errorf("store: decode reminders of task %s: %w", r.ID, err)
	}
	for _, o := range offs {
		t.Reminders = append(t.Reminders, time.Duration(o)*time.Second)
	}
	return t, nil
}

func toReminderRows(sc crmtype.Scope, rs []communication.Reminder, now time.Time) []reminderRow {
	rows := make([]reminderRow, len(rs))
	for i, r := range rs {
		rows[i] = reminderRow{WorkspaceID: string(sc.Workspace), ID: r.ID, TaskID: r.TaskID, CustomerID: r.CustomerID,
			OffsetSeconds: int64(r.Offset / time.Second), FireAt: r.FireAt.UTC(), State: reminderPending, CreatedAt: now}
	}
	return rows
}

// InsertTask implements communication.TaskStore.
func (s *Store) InsertTask(ctx context.Context, sc crmtype.Scope, t *communication.Task, rs []communication.Reminder, evs []crmtype.Event) error {
	row, err := toTaskRow(sc, t)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		if err := tx.checkCustomersExist(ctx, sc, map[crmtype.ID]bool{t.CustomerID: true}); err != nil {
			return err
		}
		if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
			return mapError(err)
		}
		if err := insertChunks(ctx, tx.db, toReminderRows(sc, rs, t.CreatedAt)); err != nil {
			return mapError(err)
		}
		return tx.appendEvents(ctx, sc, evs)
	})
}

// GetTask implements communication.TaskStore.
func (s *Store) GetTask(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*communication.Task, error) {
	var row taskRow
	if err := where(s.db.NewSelect().Model(&row).Where("tk.id = ?", id), "tk", sc).Scan(ctx); err != nil {
		return nil, mapError(err)
	}
	return row.toTask()
}

// ChangeTask implements communication.TaskStore.
func (s *Store) ChangeTask(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(t *communication.Task) (communication.TaskWrite, error)) (*communication.Task, error) {
	var out *communication.Task
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var row taskRow
		q := tx.db.NewSelect().Model(&row).Where("tk.id = ?", id)
		if tx.pg {
			q = q.For("UPDATE")
		}
		if err := where(q, "tk", sc).Scan(ctx); err != nil {
			return mapError(err)
		}
		if row.Version != version {
			return &crmtype.ConflictError{Resource: "task", Field: "version", HeldBy: id,
				Reason: fmt.Sprintf("is %d, not %d: the task changed since it was read", row.Version, version)}
		}
		t, err := row.toTask()
		if err != nil {
			return err
		}
		w, err := change(t)
		if err != nil {
			return err
		}
		out = t
		if len(w.Events) == 0 {
			was, err := row.toTask()
			out = was
			return err
		}
		if w.Delete {
			// The reminders go by the foreign key's cascade.
			if _, err := where(tx.db.NewDelete().Model((*taskRow)(nil)).Where("tk.id = ?", id), "tk", sc).Exec(ctx); err != nil {
				return mapError(err)
			}
			return tx.appendEvents(ctx, sc, w.Events)
		}
		t.ID, t.CustomerID, t.Version = id, row.CustomerID, row.Version+1
		nrow, err := toTaskRow(sc, t)
		if err != nil {
			return err
		}
		res, err := where(tx.db.NewUpdate().Model(nrow).ExcludeColumn("workspace_id", "id", "customer_id", "created_at").
			Where("tk.id = ?", id).Where("tk.version = ?", version), "tk", sc).Exec(ctx)
		if err != nil {
			return mapError(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &crmtype.ConflictError{Resource: "task", Field: "version", HeldBy: id, Reason: "changed concurrently"}
		}
		if w.Reschedule {
			if err := tx.rescheduleReminders(ctx, sc, id, w.Reminders, t.UpdatedAt); err != nil {
				return err
			}
		}
		return tx.appendEvents(ctx, sc, w.Events)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// rescheduleReminders makes want the pending reminders of task id: pending
// ones not wanted are cancelled, wanted ones not pending or fired yet
// (same fire time and offset) are inserted.
func (s *Store) rescheduleReminders(ctx context.Context, sc crmtype.Scope, id crmtype.ID, want []communication.Reminder, now time.Time) error {
	var have []reminderRow
	q := s.db.NewSelect().Model(&have).Column("rm.id", "rm.fire_at", "rm.offset_seconds", "rm.state").
		Where("rm.task_id = ?", id).Where("rm.state IN (?)", bun.In([]string{reminderPending, reminderFired}))
	if err := where(q, "rm", sc).Scan(ctx); err != nil {
		return err
	}
	type key struct {
		at  int64
		off int64
	}
	wanted := map[key]bool{}
	for _, r := range want {
		wanted[key{r.FireAt.UnixMicro(), int64(r.Offset / time.Second)}] = true
	}
	held := map[key]bool{}
	var cancel []crmtype.ID
	for _, r := range have {
		k := key{r.FireAt.UnixMicro(), r.OffsetSeconds}
		if r.State == reminderPending && !wanted[k] {
			cancel = append(cancel, r.ID)
			continue
		}
		held[k] = true
	}
	for i := 0; i < len(cancel); i += batchRows {
		u := s.db.NewUpdate().Model((*reminderRow)(nil)).Set("state = ?", reminderCancelled).Set("lease_until = NULL").
			Where("rm.id IN (?)", bun.In(cancel[i:min(i+batchRows, len(cancel))])).Where("rm.state = ?", reminderPending)
		if _, err := where(u, "rm", sc).Exec(ctx); err != nil {
			return err
		}
	}
	var add []communication.Reminder
	for _, r := range want {
		if !held[key{r.FireAt.UnixMicro(), int64(r.Offset / time.Second)}] {
			add = append(add, r)
		}
	}
	if err := insertChunks(ctx, s.db, toReminderRows(sc, add, now)); err != nil {
		return mapError(err)
	}
	return nil
}

type taskCursor struct {
	At time.Time  `json:"t"`
	ID crmtype.ID `json:"i"`
}

// ListTasks implements communication.TaskStore.
func (s *Store) ListTasks(ctx context.Context, sc crmtype.Scope, p communication.TaskListParams, limit int) (crmtype.Page[*communication.Task], error) {
	var page crmtype.Page[*communication.Task]
	var rows []taskRow
	q := s.db.NewSelect().Model(&rows)
	if !p.CustomerID.IsZero() {
		q = q.Where("tk.customer_id = ?", p.CustomerID)
	}
	if p.OwnerID != "" {
		q = q.Where("tk.owner_id = ?", p.OwnerID)
	}
	if p.Status != "" {
		q = q.Where("tk.status = ?", string(p.Status))
	}
	if !p.DueBefore.IsZero() {
		q = q.Where("tk.due_at < ?", p.DueBefore.UTC())
	}
	if p.After != "" {
		var cur taskCursor
		if err := crmtype.DecodeCursor(p.After, &cur); err != nil {
			return page, err
		}
		if cur.ID.IsZero() {
			return page, crmtype.Invalid("cursor", "is malformed")
		}
		q = q.Where("tk.due_at > ? OR (tk.due_at = ? AND tk.id > ?)", cur.At.UTC(), cur.At.UTC(), cur.ID)
	}
	if err := where(q, "tk", sc).OrderExpr("tk.due_at, tk.id").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.Next = crmtype.EncodeCursor(taskCursor{At: last.DueAt.UTC(), ID: last.ID})
	}
	page.Items = make([]*communication.Task, len(rows))
	for i := range rows {
		t, err := rows[i].toTask()
		if err != nil {
			return page, err
		}
		page.Items[i] = t
	}
	return page, nil
}

// reminderClaim is what a Reminder's claim carries: the reminder and the
// number of the lease it was handed out under.
type reminderClaim struct {
	ID    crmtype.ID `json:"r"`
	Lease int64      `json:"n"`
}

// ClaimReminders implements communication.TaskStore. On PostgreSQL
// concurrent claimers skip each other's rows (FOR UPDATE SKIP LOCKED); on
// SQLite the transaction holds the one write lock from its start
// (immediate transactions), so the select and the update are atomic.
func (s *Store) ClaimReminders(ctx context.Context, sc crmtype.Scope, now time.Time, lease time.Duration, limit int) ([]communication.Reminder, error) {
	var out []communication.Reminder
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var rows []reminderRow
		q := tx.db.NewSelect().Model(&rows).
			Where("rm.state = 'pending'"). // literally, to match the partial index
			Where("rm.fire_at <= ?", now).
			Where("(rm.lease_until IS NULL OR rm.lease_until <= ?)", now).
			OrderExpr("rm.fire_at, rm.id").Limit(int64(limit))
		if tx.pg {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := where(q, "rm", sc).Scan(ctx); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]crmtype.ID, len(rows))
		taskIDs := make([]crmtype.ID, 0, len(rows))
		seen := map[crmtype.ID]bool{}
		for i, r := range rows {
			ids[i] = r.ID
			if !seen[r.TaskID] {
				seen[r.TaskID] = true
				taskIDs = append(taskIDs, r.TaskID)
			}
		}
		until := now.Add(lease)
		u := tx.db.NewUpdate().Model((*reminderRow)(nil)).Set("lease_until = ?", until).Set("lease_no = lease_no + 1").
			Where("rm.id IN (?)", bun.In(ids))
		if _, err := where(u, "rm", sc).Exec(ctx); err != nil {
			return err
		}
		var trows []taskRow
		if err := where(tx.db.NewSelect().Model(&trows).Where("tk.id IN (?)", bun.In(taskIDs)), "tk", sc).Scan(ctx); err != nil {
			return err
		}
		tasks := make(map[crmtype.ID]*taskRow, len(trows))
		for i := range trows {
			tasks[trows[i].ID] = &trows[i]
		}
		out = make([]communication.Reminder, len(rows))
		for i, r := range rows {
			out[i] = communication.Reminder{ID: r.ID, TaskID: r.TaskID, CustomerID: r.CustomerID,
				Offset: time.Duration(r.OffsetSeconds) * time.Second, FireAt: r.FireAt.UTC(),
				Claim: crmtype.EncodeCursor(reminderClaim{ID: r.ID, Lease: r.LeaseNo + 1})}
			if tr := tasks[r.TaskID]; tr != nil { // always: the reminder's foreign key holds it
				t, err := tr.toTask() // a copy each, for the caller to keep
				if err != nil {
					return err
				}
				out[i].Task = t
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AckReminder implements communication.TaskStore.
func (s *Store) AckReminder(ctx context.Context, sc crmtype.Scope, claim crmtype.Cursor, now time.Time) error {
	var c reminderClaim
	if err := crmtype.DecodeCursor(claim, &c); err != nil || c.ID.IsZero() || c.Lease < 1 {
		return crmtype.Invalid("claim", "is malformed")
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var row reminderRow
		q := tx.db.NewSelect().Model(&row).Where("rm.id = ?", c.ID)
		if tx.pg {
			q = q.For("UPDATE")
		}
		if err := where(q, "rm", sc).Scan(ctx); err != nil {
			return mapError(err)
		}
		switch {
		case c.Lease > row.LeaseNo:
			return crmtype.Invalid("claim", "was never handed out")
		case row.State == reminderFired && c.Lease == row.LeaseNo:
			return nil // acknowledged already
		case c.Lease < row.LeaseNo:
			return &crmtype.ConflictError{Resource: "reminder", Field: "claim", HeldBy: row.ID,
				Reason: "expired and the reminder was claimed by another worker"}
		case row.State == reminderCancelled:
			return &crmtype.ConflictError{Resource: "reminder", Field: "claim", HeldBy: row.ID,
				Reason: "is for a reminder that was cancelled (its task was completed, cancelled or rescheduled)"}
		case row.State != reminderPending:
			return &crmtype.ConflictError{Resource: "reminder", Field: "claim", HeldBy: row.ID, Reason: "is for a reminder that fired already"}
		}
		u := tx.db.NewUpdate().Model((*reminderRow)(nil)).Set("state = ?", reminderFired).Set("fired_at = ?", now).
			Set("lease_until = NULL").Where("rm.id = ?", c.ID).Where("rm.lease_no = ?", c.Lease).Where("rm.state = ?", reminderPending)
		res, err := where(u, "rm", sc).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &crmtype.ConflictError{Resource: "reminder", Field: "claim", HeldBy: row.ID, Reason: "changed concurrently"}
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: now, Type: communication.EventReminderFired,
			SubjectType: communication.SubjectTask, Subject: row.TaskID, Customer: row.CustomerID,
			Changes: []crmtype.Change{
				{Field: "reminder_id", After: row.ID.String()},
				{Field: "fire_at", After: row.FireAt.UTC().Format("2006-01-02T15:04:05.999999Z07:00")},
				{Field: "offset", After: float64(row.OffsetSeconds)},
			}}})
	})
}
