package service

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

// TestMergeTicketsValidation: bad input is refused before the store is
// touched.
func TestMergeTicketsValidation(t *testing.T) {
	ctx := context.Background()
	svc := NewService(refusingStore{t: t}, "acme", Config{})
	now := crmtype.SystemClock{}.Now()
	a, b := crmtype.NewID(now), crmtype.NewID(now)
	ok := MergeTicketsParams{SourceVersion: 1, TargetVersion: 1}
	for field, c := range map[string]struct {
		src, dst crmtype.ID
		mut      func(p *MergeTicketsParams)
	}{
		"source_id":      {src: crmtype.ID{}, dst: b},
		"target_id":      {src: a, dst: a},
		"source_version": {src: a, dst: b, mut: func(p *MergeTicketsParams) { p.SourceVersion = 0 }},
		"target_version": {src: a, dst: b, mut: func(p *MergeTicketsParams) { p.TargetVersion = -1 }},
		"note":           {src: a, dst: b, mut: func(p *MergeTicketsParams) { p.Note = strings.Repeat("x", MaxNoteBytes+1) }},
		"author_id":      {src: a, dst: b, mut: func(p *MergeTicketsParams) { p.AuthorID = "two\nlines" }},
	} {
		p := ok
		if c.mut != nil {
			c.mut(&p)
		}
		_, _, err := svc.MergeTickets(ctx, c.src, c.dst, p)
		var ve *crmtype.ValidationError
		require.ErrorAs(t, err, &ve, field)
		require.ErrorIs(t, err, crmtype.ErrInvalid, field)
		require.Equal(t, field, ve.Field)
	}
	_, _, err := svc.MergeTickets(ctx, a, crmtype.ID{}, ok)
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	_, _, err = NewService(refusingStore{t: t}, "", Config{}).MergeTickets(ctx, a, b, ok)
	require.ErrorIs(t, err, crmtype.ErrNoWorkspace)
}

// TestMergeTicketsChange checks the change a merge makes to both tickets.
func TestMergeTicketsChange(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	pol := &policySet{policies: []*Policy{{ID: crmtype.NewID(t0), Name: "p", Calendar: Calendar{Zone: "UTC", AllHours: true},
		Targets: Targets{FirstResponse: 60, NextResponse: 30, Resolution: 480}}}}
	mk := func() (*Ticket, *Ticket) {
		src := &Ticket{ID: crmtype.NewID(t0), CustomerID: crmtype.NewID(t0), Status: StatusPending, CreatedAt: at(0),
			Tags: []string{"printer", "vip"}, Activity: []Activity{
				{At: at(10), Kind: ActivityAgentReply}, {At: at(11), Kind: ActivityStatus, Status: StatusPending},
				{At: at(30), Kind: ActivityCustomerReply}}}
		dst := &Ticket{ID: crmtype.NewID(t0), CustomerID: crmtype.NewID(t0), Status: StatusOpen, CreatedAt: at(5),
			Tags: []string{"network"}, Activity: []Activity{{At: at(6), Kind: ActivityStatus, Status: StatusOpen},
				{At: at(20), Kind: ActivityAgentReply}}}
		return src, dst
	}
	now := at(40)
	src, dst := mk()
	m := &TicketMerge{Replies: 2, Notes: 1, Children: []crmtype.ID{crmtype.NewID(t0)}}
	require.NoError(t, mergeTickets(src, dst, m, now, "duplicate of the outage", "agent-1", pol, pol))
	require.Equal(t, StatusClosed, src.Status)
	require.Equal(t, dst.ID, src.MergedIntoID)
	require.Equal(t, now, *src.ClosedAt)
	require.Nil(t, src.SolvedAt, "a merge solves nothing")
	require.Equal(t, Activity{At: now, Kind: ActivityStatus, Status: StatusClosed}, src.Activity[len(src.Activity)-1])
	require.Equal(t, []string{"network", "printer", "vip"}, dst.Tags)
	require.Equal(t, []Activity{{At: at(6), Kind: ActivityStatus, Status: StatusOpen}, {At: at(10), Kind: ActivityAgentReply},
		{At: at(20), Kind: ActivityAgentReply}, {At: at(30), Kind: ActivityCustomerReply}}, dst.Activity)
	require.Equal(t, StatusOpen, dst.Status)
	// The target's first response is the source's earlier reply; the
	// customer's last reply awaits an answer.
	var fr, nr *SLATarget
	for i, g := range dst.SLA {
		switch g.Metric {
		case MetricFirstResponse:
			fr = &dst.SLA[i]
		case MetricNextResponse:
			nr = &dst.SLA[i]
		}
	}
	require.NotNil(t, fr)
	require.Equal(t, at(10), *fr.MetAt)
	require.NotNil(t, nr)
	require.Equal(t, SLARunning, nr.State)
	require.Len(t, m.AddNotes, 2)
	require.Len(t, m.Events, 4)
	require.Equal(t, EventTicketMerged, m.Events[0].Type)
	require.Equal(t, src.ID, m.Events[0].Subject)
	require.Equal(t, src.CustomerID, m.Events[0].Customer)
	require.Equal(t, EventTicketMerged, m.Events[1].Type)
	require.Equal(t, dst.CustomerID, m.Events[1].Customer)
	fields := map[string]crmtype.Change{}
	for _, c := range m.Events[1].Changes {
		fields[c.Field] = c
	}
	require.Equal(t, src.ID.String(), fields["merged_from_id"].After)
	require.Equal(t, float64(2), fields["replies"].After)
	require.Len(t, fields["children"].After, 1)
	require.Equal(t, []any{"network"}, fields["tags"].Before)
	require.Equal(t, EventTicketNoteAdded, m.Events[2].Type)

	// Refusals.
	for field, mut := range map[string]func(src, dst *Ticket, m *TicketMerge){
		"source_id": func(src, _ *Ticket, _ *TicketMerge) { src.Status = StatusClosed },
		"target_id": func(_, dst *Ticket, _ *TicketMerge) { dst.Status = StatusClosed },
		"tags": func(src, _ *Ticket, _ *TicketMerge) {
			for i := range MaxTicketTags {
				src.Tags = append(src.Tags, "t"+strings.Repeat("x", i))
			}
		},
	} {
		src, dst := mk()
		m := &TicketMerge{}
		mut(src, dst, m)
		err := mergeTickets(src, dst, m, now, "", "", pol, pol)
		var ve *crmtype.ValidationError
		require.ErrorAs(t, err, &ve, field)
		require.Equal(t, field, ve.Field)
	}
	// A child target cannot adopt children; with none to adopt it may
	// take the merge.
	src, dst = mk()
	dst.ParentID = crmtype.NewID(t0)
	err := mergeTickets(src, dst, &TicketMerge{Children: []crmtype.ID{crmtype.NewID(t0)}}, now, "", "", pol, pol)
	var ve *crmtype.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "target_id", ve.Field)
	src, dst = mk()
	dst.ParentID = crmtype.NewID(t0)
	require.NoError(t, mergeTickets(src, dst, &TicketMerge{}, now, "", "", pol, pol))
}
