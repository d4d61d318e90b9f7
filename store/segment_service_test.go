package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
	"github.com/kehu/crm/store"
)

func countRows(t *testing.T, db *bun.DB, table string) int {
	var n int
	require.NoError(t, db.NewRaw("SELECT COUNT(*) FROM "+table+" AS x WHERE x.workspace_id = ? OR x.workspace_id <> ?", "a", "a").Scan(context.Background(), &n))
	return n
}

// TestSegmentService covers every segment, snapshot and list method in two
// workspaces: nothing of one is visible from the other, invalid rules
// write nothing, and a snapshot keeps its members when customers change.
func TestSegmentService(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		clock := &segClock{}
		clock.Set(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
		client, err := crm.New(db, &crm.Config{Clock: clock})
		require.NoError(t, err)
		a, b := client.Workspace("seg-a"), client.Workspace("seg-b")
		mk := func(w *crm.Workspace, name string, tags ...string) crmtype.ID {
			c, err := w.Customers.Create(ctx, customer.CreateParams{Name: name, Tags: tags})
			require.NoError(t, err)
			return c.ID
		}
		a1, a2, a3 := mk(a, "A1", "vip"), mk(a, "A2", "vip"), mk(a, "A3")
		b1 := mk(b, "B1", "vip")

		vip := marketing.Rule{Tag: "vip"}
		seg, err := a.Marketing.SaveSegment(ctx, marketing.SegmentParams{Name: "VIPs", Description: "tagged vip", Rule: vip})
		require.NoError(t, err)
		require.EqualValues(t, 1, seg.Version)
		segB, err := b.Marketing.SaveSegment(ctx, marketing.SegmentParams{Name: "VIPs", Rule: vip}) // same name, other workspace
		require.NoError(t, err)
		_, err = a.Marketing.SaveSegment(ctx, marketing.SegmentParams{Name: "VIPs", Rule: vip})
		require.ErrorIs(t, err, crmtype.ErrConflict)

		// Invalid rules: ErrInvalid naming the path, nothing written.
		before := countRows(t, db, "crm_segments")
		for _, bad := range []marketing.Rule{
			{And: []marketing.Rule{{Tag: "x"}, {Attribute: &marketing.AttributeCond{Key: "ghost", Op: marketing.OpExists}}}},
			{Field: &marketing.FieldCond{Name: "source", Op: marketing.OpEq, Value: "x'; DELETE FROM crm_customers; --\x00"}},
		} {
			_, err = a.Marketing.SaveSegment(ctx, marketing.SegmentParams{Name: "Bad", Rule: bad})
			require.ErrorIs(t, err, crmtype.ErrInvalid)
		}
		require.Equal(t, before, countRows(t, db, "crm_segments"))

		// Read, list, update across workspaces.
		got, err := a.Marketing.Segment(ctx, seg.ID)
		require.NoError(t, err)
		require.Equal(t, vip, got.Rule)
		_, err = b.Marketing.Segment(ctx, seg.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		page, err := a.Marketing.Segments(ctx, 0, "")
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		require.Equal(t, seg.ID, page.Items[0].ID)
		_, err = b.Marketing.SaveSegment(ctx, marketing.SegmentParams{ID: seg.ID, Version: 1, Name: "Mine", Rule: vip})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = a.Marketing.SaveSegment(ctx, marketing.SegmentParams{ID: seg.ID, Version: 7, Name: "VIPs", Rule: vip})
		require.ErrorIs(t, err, crmtype.ErrConflict)

		// Preview: count and sample, per workspace.
		pv, err := a.Marketing.PreviewSegment(ctx, marketing.PreviewParams{SegmentID: seg.ID, Sample: 1})
		require.NoError(t, err)
		require.Equal(t, 2, pv.Count)
		require.Len(t, pv.Sample, 1)
		pv, err = b.Marketing.PreviewSegment(ctx, marketing.PreviewParams{Rule: &vip})
		require.NoError(t, err)
		require.Equal(t, 1, pv.Count)
		require.Equal(t, []crmtype.ID{b1}, pv.Sample)
		_, err = b.Marketing.PreviewSegment(ctx, marketing.PreviewParams{SegmentID: seg.ID})
		require.ErrorIs(t, err, crmtype.ErrNotFound)

		// Snapshot, then change the customers: the snapshot stays.
		snap, err := a.Marketing.Snapshot(ctx, seg.ID, time.Time{})
		require.NoError(t, err)
		require.Equal(t, 2, snap.Members)
		_, err = b.Marketing.Snapshot(ctx, seg.ID, time.Time{})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		c3, err := a.Customers.Get(ctx, a3)
		require.NoError(t, err)
		_, err = a.Customers.Update(ctx, a3, customer.UpdateParams{Version: c3.Version, Tags: &[]string{"vip"}})
		require.NoError(t, err)
		require.NoError(t, a.Customers.Delete(ctx, a1))
		// The segment moved on...
		seg2, err := a.Marketing.SaveSegment(ctx, marketing.SegmentParams{ID: seg.ID, Version: 1, Name: "VIP customers", Rule: vip})
		require.NoError(t, err)
		require.EqualValues(t, 2, seg2.Version)
		pv, err = a.Marketing.PreviewSegment(ctx, marketing.PreviewParams{SegmentID: seg.ID})
		require.NoError(t, err)
		require.ElementsMatch(t, []crmtype.ID{a2, a3}, pv.Sample)
		// ...the snapshot did not.
		all := func(w *crm.Workspace, get func(crmtype.Cursor) (crmtype.Page[crmtype.ID], error)) []crmtype.ID {
			var out []crmtype.ID
			for cur := crmtype.Cursor(""); ; {
				p, err := get(cur)
				require.NoError(t, err)
				out = append(out, p.Items...)
				if p.Next == "" {
					return out
				}
				cur = p.Next
			}
		}
		members := all(a, func(c crmtype.Cursor) (crmtype.Page[crmtype.ID], error) {
			return a.Marketing.SnapshotMembers(ctx, snap.ID, 1, c)
		})
		require.ElementsMatch(t, []crmtype.ID{a1, a2}, members)
		again, err := a.Marketing.SegmentSnapshot(ctx, snap.ID)
		require.NoError(t, err)
		require.Equal(t, 2, again.Members)
		require.Equal(t, vip, again.Rule)
		require.EqualValues(t, 1, again.SegmentVersion)
		_, err = b.Marketing.SegmentSnapshot(ctx, snap.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = b.Marketing.SnapshotMembers(ctx, snap.ID, 0, "")
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		// The store's streaming method, as the members code calls it.
		sc, _ := crmtype.NewScope(ctx, "seg-a")
		st := store.New(db)
		ids, err := st.SnapshotMemberIDs(ctx, sc, snap.ID, crmtype.ID{}, 10)
		require.NoError(t, err)
		require.Len(t, ids, 2)
		ids, err = st.SnapshotMemberIDs(ctx, sc, snap.ID, ids[0], 10)
		require.NoError(t, err)
		require.Len(t, ids, 1)

		// Delete: versioned, per workspace; the snapshot stays.
		require.ErrorIs(t, b.Marketing.DeleteSegment(ctx, seg.ID, 2), crmtype.ErrNotFound)
		require.ErrorIs(t, a.Marketing.DeleteSegment(ctx, seg.ID, 1), crmtype.ErrConflict)
		require.NoError(t, a.Marketing.DeleteSegment(ctx, seg.ID, 2))
		_, err = a.Marketing.Segment(ctx, seg.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = a.Marketing.SegmentSnapshot(ctx, snap.ID)
		require.NoError(t, err)
		_, err = b.Marketing.Segment(ctx, segB.ID)
		require.NoError(t, err)
		_, err = a.Marketing.SaveSegment(ctx, marketing.SegmentParams{Name: "VIP customers", Rule: vip}) // the name is free again
		require.NoError(t, err)

		// Static lists.
		l, err := a.Marketing.CreateList(ctx, marketing.ListParams{Name: "Press"})
		require.NoError(t, err)
		_, err = a.Marketing.CreateList(ctx, marketing.ListParams{Name: "Press"})
		require.ErrorIs(t, err, crmtype.ErrConflict)
		_, err = b.Marketing.CreateList(ctx, marketing.ListParams{Name: "Press"})
		require.NoError(t, err)
		_, err = b.Marketing.List(ctx, l.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = a.Marketing.AddToList(ctx, l.ID, []crmtype.ID{a2, b1}) // b1 is another workspace's
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = a.Marketing.AddToList(ctx, l.ID, []crmtype.ID{a1}) // deleted
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = b.Marketing.AddToList(ctx, l.ID, []crmtype.ID{b1})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		n, err := a.Marketing.AddToList(ctx, l.ID, []crmtype.ID{a2, a3, a2})
		require.NoError(t, err)
		require.Equal(t, 2, n)
		n, err = a.Marketing.AddToList(ctx, l.ID, []crmtype.ID{a2})
		require.NoError(t, err)
		require.Equal(t, 0, n)
		lm := all(a, func(c crmtype.Cursor) (crmtype.Page[crmtype.ID], error) {
			return a.Marketing.ListMembers(ctx, l.ID, 1, c)
		})
		require.ElementsMatch(t, []crmtype.ID{a2, a3}, lm)
		_, err = b.Marketing.ListMembers(ctx, l.ID, 0, "")
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = b.Marketing.RemoveFromList(ctx, l.ID, []crmtype.ID{a2})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		n, err = a.Marketing.RemoveFromList(ctx, l.ID, []crmtype.ID{a2, b1})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		ids, err = st.ListMemberIDs(ctx, sc, l.ID, crmtype.ID{}, 10)
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{a3}, ids)
		_, err = st.ListMemberIDs(ctx, sc, crmtype.NewID(time.Now()), crmtype.ID{}, 10)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = a.Marketing.AddToList(ctx, l.ID, nil)
		require.ErrorIs(t, err, crmtype.ErrInvalid)

		// Events: one per change, in their own workspace.
		events := func(ws string) map[string]int {
			var rows []struct {
				Type string `bun:"type"`
				N    int    `bun:"n"`
			}
			require.NoError(t, db.NewRaw("SELECT e.type, COUNT(*) AS n FROM crm_events AS e WHERE e.workspace_id = ? AND (e.type LIKE 'segment.%' OR e.type LIKE 'snapshot.%' OR e.type LIKE 'list.%') GROUP BY e.type", ws).Scan(ctx, &rows))
			m := map[string]int{}
			for _, r := range rows {
				m[r.Type] = r.N
			}
			return m
		}
		require.Equal(t, map[string]int{marketing.EventSegmentSaved: 3, marketing.EventSegmentDeleted: 1, marketing.EventSnapshotTaken: 1,
			marketing.EventListCreated: 1, marketing.EventListMembersAdded: 1, marketing.EventListMembersRemoved: 1}, events("seg-a"))
		require.Equal(t, map[string]int{marketing.EventSegmentSaved: 1, marketing.EventListCreated: 1}, events("seg-b"))
	})
}
