package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

var _ communication.InteractionStore = (*Store)(nil)

type interactionRow struct {
	bun.BaseModel `bun:"table:crm_interactions,alias:i"`

	WorkspaceID    string     `bun:"workspace_id,pk"`
	ID             crmtype.ID `bun:"id,pk,type:uuid"`
	CustomerID     crmtype.ID `bun:"customer_id,type:uuid"`
	CompanyID      crmtype.ID `bun:"company_id,type:uuid"`
	ConversationID crmtype.ID `bun:"conversation_id,type:uuid"`
	Channel        string     `bun:"channel"`
	Direction      string     `bun:"direction"`
	OccurredAt     time.Time  `bun:"occurred_at"`
	DurationMS     int64      `bun:"duration_ms"`
	Subject        string     `bun:"subject"`
	Body           string     `bun:"body"`
	HTML           string     `bun:"html"`
	Outcome        string     `bun:"outcome"`
	Status         string     `bun:"status"`
	StatusReason   string     `bun:"status_reason"`
	OwnerID        string     `bun:"owner_id"`
	Attachments    string     `bun:"attachments"`
	PurchaseID     crmtype.ID `bun:"purchase_id,type:uuid"`
	TicketID       crmtype.ID `bun:"ticket_id,type:uuid"`
	CampaignID     crmtype.ID `bun:"campaign_id,type:uuid"`
	ProviderID     *string    `bun:"provider_id"`
	ThreadID       string     `bun:"thread_id"`
	ReplyTo        string     `bun:"reply_to"`
	Meta           string     `bun:"meta"`
	Purpose        string     `bun:"purpose"`
	Decision       string     `bun:"decision"`
	CreatedAt      time.Time  `bun:"created_at"`
	UpdatedAt      time.Time  `bun:"updated_at"`
}

func newInteractionRow(ws crmtype.WorkspaceID, in *communication.Interaction) (interactionRow, error) {
	att := in.Attachments
	if att == nil {
		att = []communication.Attachment{}
	}
	ab, err := json.Marshal(att)
	if err != nil {
		return interactionRow{}, err
	}
	meta := in.Meta
	if meta == nil {
		meta = map[string]string{}
	}
	mb, err := json.Marshal(meta)
	if err != nil {
		return interactionRow{}, err
	}
	r := interactionRow{WorkspaceID: string(ws), ID: in.ID, CustomerID: in.CustomerID, CompanyID: in.CompanyID,
		ConversationID: in.ConversationID, Channel: string(in.Channel), Direction: string(in.Direction),
		OccurredAt: in.OccurredAt, DurationMS: in.Duration.Milliseconds(), Subject: in.Subject, Body: in.Body,
		HTML: in.HTML, Outcome: string(in.Outcome), Status: string(in.Status), StatusReason: in.StatusReason,
		OwnerID: in.OwnerID, Attachments: string(ab), PurchaseID: in.PurchaseID, TicketID: in.TicketID,
		CampaignID: in.CampaignID, ThreadID: in.ThreadID, ReplyTo: in.ReplyTo, Meta: string(mb),
		Purpose: string(in.Purpose), Decision: in.Decision, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt}
	if in.ProviderID != "" {
		r.ProviderID = &in.ProviderID
	}
	return r, nil
}

func (r *interactionRow) toInteraction() (*communication.Interaction, error) {
	in := &communication.Interaction{ID: r.ID, CustomerID: r.CustomerID, CompanyID: r.CompanyID,
		ConversationID: r.ConversationID, Channel: communication.Channel(r.Channel),
		Direction: communication.Direction(r.Direction), OccurredAt: r.OccurredAt.UTC(),
		Duration: time.Duration(r.DurationMS) * time.Millisecond, Subject: r.Subject, Body: r.Body, HTML: r.HTML,
		Outcome: communication.Outcome(r.Outcome), Status: communication.Status(r.Status), StatusReason: r.StatusReason,
		OwnerID: r.OwnerID, PurchaseID: r.PurchaseID, TicketID: r.TicketID, CampaignID: r.CampaignID,
		ThreadID: r.ThreadID, ReplyTo: r.ReplyTo, Purpose: communication.Purpose(r.Purpose), Decision: r.Decision,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.ProviderID != nil {
		in.ProviderID = *r.ProviderID
	}
	if err := json.Unmarshal([]byte(r.Attachments), &in.Attachments); err != nil {
		return nil, fmt.Errorf("store: decode attachments of interaction %s: %w", r.ID, err)
	}
	if len(in.Attachments) == 0 {
		in.Attachments = nil
	}
	if err := json.Unmarshal([]byte(r.Meta), &in.Meta); err != nil {
		return nil, fmt.Errorf("store: decode meta of interaction %s: %w", r.ID, err)
	}
	if len(in.Meta) == 0 {
		in.Meta = nil
	}
	return in, nil
}

// interactionEvent is the interaction.recorded entry an interaction row
// stands for on its customer's timeline and in its audit trail.
func (r *interactionRow) interactionEvent(ws crmtype.WorkspaceID) crmtype.Event {
	ch := []crmtype.Change{{Field: "channel", After: r.Channel}, {Field: "direction", After: r.Direction},
		{Field: "conversation_id", After: r.ConversationID.String()}}
	for _, f := range []struct{ k, v string }{{"subject", r.Subject}, {"outcome", r.Outcome}, {"status", r.Status},
		{"owner_id", r.OwnerID}, {"purpose", r.Purpose}, {"decision", r.Decision}} {
		if f.v != "" {
			ch = append(ch, crmtype.Change{Field: f.k, After: f.v})
		}
	}
	if r.DurationMS > 0 {
		ch = append(ch, crmtype.Change{Field: "duration_ms", After: float64(r.DurationMS)})
	}
	for _, f := range []struct {
		k  string
		id crmtype.ID
	}{{"company_id", r.CompanyID}, {"purchase_id", r.PurchaseID}, {"ticket_id", r.TicketID}, {"campaign_id", r.CampaignID}} {
		if !f.id.IsZero() {
			ch = append(ch, crmtype.Change{Field: f.k, After: f.id.String()})
		}
	}
	return crmtype.Event{ID: r.ID, Workspace: ws, Time: r.OccurredAt.UTC(), Type: communication.EventInteractionRecorded,
		SubjectType: communication.SubjectInteraction, Subject: r.ID, Customer: r.CustomerID, Changes: ch}
}

type conversationRow struct {
	bun.BaseModel `bun:"table:crm_conversations,alias:v"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ID          crmtype.ID `bun:"id,pk,type:uuid"`
	CustomerID  crmtype.ID `bun:"customer_id,type:uuid"`
	Channel     string     `bun:"channel"`
	ThreadKey   string     `bun:"thread_key"`
	Subject     string     `bun:"subject"`
	StartedAt   time.Time  `bun:"started_at"`
	LastAt      time.Time  `bun:"last_at"`
	Messages    int        `bun:"messages"`
}

func (r *conversationRow) toConversation() *communication.Conversation {
	return &communication.Conversation{ID: r.ID, CustomerID: r.CustomerID, Channel: communication.Channel(r.Channel),
		ThreadKey: r.ThreadKey, Subject: r.Subject, StartedAt: r.StartedAt.UTC(), LastAt: r.LastAt.UTC(), Messages: r.Messages}
}

// chanKey names a message or a thread on a channel.
type chanKey struct{ channel, key string }

// InsertInteractions implements communication.InteractionStore.
func (s *Store) InsertInteractions(ctx context.Context, sc crmtype.Scope, ins []*communication.Interaction, perRow bool) ([]communication.InsertResult, error) {
	res := make([]communication.InsertResult, len(ins))
	if len(ins) == 0 {
		return res, nil
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		if err := tx.checkInteractionRefs(ctx, sc, ins, res, perRow); err != nil {
			return err
		}
		// A message given twice in the batch is stored once, the first;
		// one already stored is found by the insert's conflict below.
		byProvider := map[chanKey]*communication.Interaction{}
		var fresh []int // indexes of the interactions to store
		for i, in := range ins {
			if res[i].Err != nil {
				continue
			}
			if in.ProviderID != "" {
				k := chanKey{string(in.Channel), in.ProviderID}
				if have, ok := byProvider[k]; ok {
					res[i] = communication.InsertResult{Interaction: have, Existing: true}
					continue
				}
				byProvider[k] = in
			}
			res[i].Interaction = in
			fresh = append(fresh, i)
		}
		if len(fresh) == 0 {
			return nil
		}
		created, err := tx.placeInConversations(ctx, sc, ins, fresh)
		if err != nil {
			return err
		}
		rows := make([]interactionRow, len(fresh))
		for k, i := range fresh {
			if rows[k], err = newInteractionRow(sc.Workspace, ins[i]); err != nil {
				return err
			}
		}
		stored := make(map[crmtype.ID]bool, len(rows))
		for c := 0; c < len(rows); c += batchRows {
			chunk := rows[c:min(c+batchRows, len(rows))]
			var ids []crmtype.ID
			if err := tx.db.NewInsert().Model(&chunk).On("CONFLICT (workspace_id, channel, provider_id) DO NOTHING").
				Returning("id").Scan(ctx, &ids); err != nil {
				return mapError(err)
			}
			for _, id := range ids {
				stored[id] = true
			}
		}
		// A row stored before (by an earlier call or a concurrent writer)
		// is that one.
		var lost []*communication.Interaction
		for _, i := range fresh {
			if !stored[ins[i].ID] {
				lost = append(lost, ins[i])
			}
		}
		if len(lost) > 0 {
			won, err := tx.interactionsByProvider(ctx, sc, lost)
			if err != nil {
				return err
			}
			// Every row that named a lost one, itself or a later copy of it
			// in the batch, is the stored one.
			for i := range res {
				if r := res[i]; r.Err == nil && !stored[r.Interaction.ID] {
					have := won[chanKey{string(r.Interaction.Channel), r.Interaction.ProviderID}]
					if have == nil {
						return fmt.Errorf("store: interaction %s was neither stored nor found", r.Interaction.ID)
					}
					res[i] = communication.InsertResult{Interaction: have, Existing: true}
				}
			}
		}
		if err := tx.countMessages(ctx, sc, ins, fresh, stored, created); err != nil {
			return err
		}
		var entries []crmtype.Change
		for _, i := range fresh {
			if in := ins[i]; stored[in.ID] {
				m := map[string]any{"customer_id": in.CustomerID.String(), "conversation_id": in.ConversationID.String(),
					"channel": string(in.Channel), "direction": string(in.Direction),
					"occurred_at": in.OccurredAt.Format(time.RFC3339Nano)}
				if in.ProviderID != "" {
					m["provider_id"] = in.ProviderID
				}
				entries = append(entries, crmtype.Change{Field: in.ID.String(), After: m})
			}
		}
		if len(entries) == 0 {
			return nil
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: ins[fresh[0]].CreatedAt,
			Type: communication.EventInteractionsRecorded, SubjectType: communication.SubjectInteraction, Changes: entries}})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkInteractionRefs sets res[i].Err for an interaction whose customer,
// company or purchase is not in the workspace; without perRow, it returns
// the first such error instead.
func (s *Store) checkInteractionRefs(ctx context.Context, sc crmtype.Scope, ins []*communication.Interaction, res []communication.InsertResult, perRow bool) error {
	customers := map[crmtype.ID]bool{}
	companies := map[crmtype.ID]bool{}
	purchases := map[crmtype.ID]bool{}
	for _, in := range ins {
		customers[in.CustomerID] = true
		if !in.CompanyID.IsZero() {
			companies[in.CompanyID] = true
		}
		if !in.PurchaseID.IsZero() {
			purchases[in.PurchaseID] = true
		}
	}
	liveCustomers, err := s.existingIDs(ctx, sc, s.db.NewSelect().Model((*customerRow)(nil)).Column("c.id").Where("c.erased_at IS NULL"), "c", keys(customers))
	if err != nil {
		return err
	}
	liveCompanies, err := s.existingIDs(ctx, sc, s.db.NewSelect().Model((*customerRow)(nil)).Column("c.id").
		Where("c.kind = ?", string(customer.Company)).Where("c.erased_at IS NULL"), "c", keys(companies))
	if err != nil {
		return err
	}
	purchaseOwner := map[crmtype.ID]crmtype.ID{}
	pids := keys(purchases)
	for i := 0; i < len(pids); i += batchRows {
		var rows []purchaseRow
		q := s.db.NewSelect().Model(&rows).Column("p.id", "p.customer_id").Where("p.id IN (?)", bun.In(pids[i:min(i+batchRows, len(pids))]))
		if err := where(q, "p", sc).Scan(ctx); err != nil {
			return err
		}
		for _, r := range rows {
			purchaseOwner[r.ID] = r.CustomerID
		}
	}
	for i, in := range ins {
		var err error
		field := ""
		switch {
		case !liveCustomers[in.CustomerID]:
			field, err = "customer_id", fmt.Errorf("customer %s: %w", in.CustomerID, crmtype.ErrNotFound)
		case !in.CompanyID.IsZero() && !liveCompanies[in.CompanyID]:
			field, err = "company_id", fmt.Errorf("company %s: %w", in.CompanyID, crmtype.ErrNotFound)
		case !in.PurchaseID.IsZero() && purchaseOwner[in.PurchaseID] != in.CustomerID:
			field, err = "purchase_id", fmt.Errorf("purchase %s of customer %s: %w", in.PurchaseID, in.CustomerID, crmtype.ErrNotFound)
		}
		if err != nil {
			if !perRow {
				return err
			}
			res[i].Err, res[i].Field = err, field
		}
	}
	return nil
}

// existingIDs returns which of ids the select q (of alias, selecting one
// id column) finds in the workspace.
func (s *Store) existingIDs(ctx context.Context, sc crmtype.Scope, q *bun.SelectQuery, alias string, ids []crmtype.ID) (map[crmtype.ID]bool, error) {
	found := make(map[crmtype.ID]bool, len(ids))
	for i := 0; i < len(ids); i += batchRows {
		var got []crmtype.ID
		qq := q.Clone().Where("?.id IN (?)", bun.Ident(alias), bun.In(ids[i:min(i+batchRows, len(ids))]))
		if err := where(qq, alias, sc).Scan(ctx, &got); err != nil {
			return nil, err
		}
		for _, id := range got {
			found[id] = true
		}
	}
	return found, nil
}

func keys(m map[crmtype.ID]bool) []crmtype.ID {
	out := make([]crmtype.ID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i][:]) < string(out[j][:]) })
	return out
}

// interactionsByProvider returns the stored interactions among the
// provider ids of ins, by channel and provider id.
func (s *Store) interactionsByProvider(ctx context.Context, sc crmtype.Scope, ins []*communication.Interaction) (map[chanKey]*communication.Interaction, error) {
	var want []chanKey
	for _, in := range ins {
		if in.ProviderID != "" {
			want = append(want, chanKey{string(in.Channel), in.ProviderID})
		}
	}
	out := map[chanKey]*communication.Interaction{}
	err := byChannel(want, func(ch string, pids []string) error {
		var rows []interactionRow
		q := s.db.NewSelect().Model(&rows).Where("i.channel = ?", ch).Where("i.provider_id IN (?)", bun.In(pids))
		if err := where(q, "i", sc).Scan(ctx); err != nil {
			return err
		}
		for k := range rows {
			in, err := rows[k].toInteraction()
			if err != nil {
				return err
			}
			out[chanKey{ch, in.ProviderID}] = in
		}
		return nil
	})
	return out, err
}

// byChannel calls fn with the distinct keys of each channel, sorted, in
// chunks of at most batchRows: so that lookups read the (workspace_id,
// channel, key) unique indexes.
func byChannel(keys []chanKey, fn func(channel string, keys []string) error) error {
	per := map[string][]string{}
	for _, k := range keys {
		per[k.channel] = append(per[k.channel], k.key)
	}
	chans := make([]string, 0, len(per))
	for ch := range per {
		chans = append(chans, ch)
	}
	sort.Strings(chans)
	for _, ch := range chans {
		ks := per[ch]
		sort.Strings(ks)
		ks = compactStrings(ks)
		for i := 0; i < len(ks); i += batchRows {
			if err := fn(ch, ks[i:min(i+batchRows, len(ks))]); err != nil {
				return err
			}
		}
	}
	return nil
}

// placeInConversations sets the ConversationID of ins[fresh...], creating
// the conversations they start. It returns the conversations it created,
// with the number of messages it counted in each.
func (s *Store) placeInConversations(ctx context.Context, sc crmtype.Scope, ins []*communication.Interaction, fresh []int) (map[crmtype.ID]int, error) {
	// Replies whose parent was stored earlier join the parent's conversation.
	parentOf := map[chanKey]crmtype.ID{}
	var replyTos []chanKey
	for _, i := range fresh {
		if in := ins[i]; in.ThreadID == "" && in.ReplyTo != "" {
			replyTos = append(replyTos, chanKey{string(in.Channel), in.ReplyTo})
		}
	}
	err := byChannel(replyTos, func(ch string, pids []string) error {
		var rows []interactionRow
		q := s.db.NewSelect().Model(&rows).Column("i.provider_id", "i.conversation_id").
			Where("i.channel = ?", ch).Where("i.provider_id IN (?)", bun.In(pids))
		if err := where(q, "i", sc).Scan(ctx); err != nil {
			return err
		}
		for _, r := range rows {
			parentOf[chanKey{ch, *r.ProviderID}] = r.ConversationID
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Each message's thread key, unless it joins a known conversation.
	keyOf := make(map[int]chanKey, len(fresh))
	batchKey := map[chanKey]chanKey{} // a provider id of the batch -> its thread key
	var need []chanKey
	spans := map[chanKey]*convSpan{}
	for _, i := range fresh {
		in := ins[i]
		ch := string(in.Channel)
		var k chanKey
		switch {
		case in.ThreadID != "":
			k = chanKey{ch, "t:" + in.ThreadID}
		case in.ReplyTo != "":
			if conv, ok := parentOf[chanKey{ch, in.ReplyTo}]; ok {
				in.ConversationID = conv
				continue
			}
			if pk, ok := batchKey[chanKey{ch, in.ReplyTo}]; ok {
				k = pk
			} else {
				k = chanKey{ch, "m:" + in.ReplyTo}
			}
		case in.ProviderID != "":
			k = chanKey{ch, "m:" + in.ProviderID}
		default:
			k = chanKey{ch, "i:" + in.ID.String()}
		}
		if in.ProviderID != "" {
			batchKey[chanKey{ch, in.ProviderID}] = k
		}
		keyOf[i] = k
		if sp, ok := spans[k]; ok {
			sp.add(in)
		} else {
			need = append(need, k)
			spans[k] = newSpan(in)
		}
	}
	convOf, err := s.conversationsByKey(ctx, sc, need)
	if err != nil {
		return nil, err
	}
	// New conversations are inserted with this batch's messages counted.
	var rows []conversationRow
	for _, k := range need {
		if _, ok := convOf[k]; !ok {
			sp := spans[k]
			rows = append(rows, conversationRow{WorkspaceID: string(sc.Workspace), ID: crmtype.NewID(sp.created),
				CustomerID: sp.customer, Channel: k.channel, ThreadKey: k.key, Subject: sp.subject,
				StartedAt: sp.first, LastAt: sp.last, Messages: sp.n})
		}
	}
	created := map[crmtype.ID]int{}
	if len(rows) > 0 {
		for c := 0; c < len(rows); c += batchRows {
			chunk := rows[c:min(c+batchRows, len(rows))]
			var ids []crmtype.ID
			if err := s.db.NewInsert().Model(&chunk).On("CONFLICT (workspace_id, channel, thread_key) DO NOTHING").
				Returning("id").Scan(ctx, &ids); err != nil {
				return nil, mapError(err)
			}
			for _, id := range ids {
				created[id] = 0
			}
		}
		var missing []chanKey
		for _, r := range rows {
			if _, ok := created[r.ID]; ok {
				convOf[chanKey{r.Channel, r.ThreadKey}] = r.ID
				created[r.ID] = r.Messages
			} else {
				missing = append(missing, chanKey{r.Channel, r.ThreadKey})
			}
		}
		if len(missing) > 0 { // created concurrently by another writer
			more, err := s.conversationsByKey(ctx, sc, missing)
			if err != nil {
				return nil, err
			}
			for k, id := range more {
				convOf[k] = id
			}
		}
	}
	for i, k := range keyOf {
		id, ok := convOf[k]
		if !ok {
			return nil, fmt.Errorf("store: conversation %q on %s was neither created nor found", k.key, k.channel)
		}
		ins[i].ConversationID = id
	}
	return created, nil
}

// convSpan is what a batch adds to one conversation.
type convSpan struct {
	n           int
	first, last time.Time
	customer    crmtype.ID // of the earliest message
	subject     string     // of the earliest message with one
	subjectAt   time.Time
	created     time.Time
}

func newSpan(in *communication.Interaction) *convSpan {
	sp := &convSpan{n: 1, first: in.OccurredAt, last: in.OccurredAt, customer: in.CustomerID, created: in.CreatedAt}
	if in.Subject != "" {
		sp.subject, sp.subjectAt = in.Subject, in.OccurredAt
	}
	return sp
}

func (sp *convSpan) add(in *communication.Interaction) {
	sp.n++
	if in.OccurredAt.Before(sp.first) {
		sp.first, sp.customer = in.OccurredAt, in.CustomerID
	}
	if in.OccurredAt.After(sp.last) {
		sp.last = in.OccurredAt
	}
	if in.Subject != "" && (sp.subject == "" || in.OccurredAt.Before(sp.subjectAt)) {
		sp.subject, sp.subjectAt = in.Subject, in.OccurredAt
	}
}

// conversationsByKey returns the ids of the stored conversations among keys.
func (s *Store) conversationsByKey(ctx context.Context, sc crmtype.Scope, keys []chanKey) (map[chanKey]crmtype.ID, error) {
	out := map[chanKey]crmtype.ID{}
	err := byChannel(keys, func(ch string, tks []string) error {
		var rows []conversationRow
		q := s.db.NewSelect().Model(&rows).Column("v.id", "v.thread_key").
			Where("v.channel = ?", ch).Where("v.thread_key IN (?)", bun.In(tks))
		if err := where(q, "v", sc).Scan(ctx); err != nil {
			return err
		}
		for _, r := range rows {
			out[chanKey{ch, r.ThreadKey}] = r.ID
		}
		return nil
	})
	return out, err
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// countMessages adds the stored interactions to the message counts and
// time spans of the conversations they joined. A conversation this call
// created (created: its id and the messages counted when it was inserted)
// already holds them, unless some of those messages were stored before:
// then it is counted again from its rows, or deleted when it has none.
func (s *Store) countMessages(ctx context.Context, sc crmtype.Scope, ins []*communication.Interaction, fresh []int, stored map[crmtype.ID]bool, created map[crmtype.ID]int) error {
	spans := map[crmtype.ID]*convSpan{}
	for _, i := range fresh {
		in := ins[i]
		if !stored[in.ID] {
			continue
		}
		if sp, ok := spans[in.ConversationID]; ok {
			sp.add(in)
		} else {
			spans[in.ConversationID] = newSpan(in)
		}
	}
	var ids, empty []crmtype.ID
	for id, sp := range spans {
		if n, ok := created[id]; !ok || n != sp.n {
			ids = append(ids, id)
		}
	}
	for id := range created {
		if _, ok := spans[id]; !ok { // every message of it was stored before
			empty = append(empty, id)
		}
	}
	if len(empty) > 0 {
		q := s.db.NewDelete().Model((*conversationRow)(nil)).Where("v.id IN (?)", bun.In(empty))
		if _, err := where(q, "v", sc).Exec(ctx); err != nil {
			return mapError(err)
		}
	}
	// One order for every writer, so that concurrent ingests do not deadlock.
	sort.Slice(ids, func(i, j int) bool { return string(ids[i][:]) < string(ids[j][:]) })
	greatest, least := "max", "min"
	if s.pg {
		greatest, least = "GREATEST", "LEAST"
	}
	for _, id := range ids {
		q := s.db.NewUpdate().Model((*conversationRow)(nil)).Where("v.id = ?", id)
		if _, ok := created[id]; ok {
			count := func(expr string) string {
				return "(SELECT " + expr + " FROM crm_interactions AS i WHERE i.workspace_id = v.workspace_id AND i.conversation_id = v.id)"
			}
			q = q.Set("messages = " + count("count(*)")).Set("started_at = " + count("min(i.occurred_at)")).
				Set("last_at = " + count("max(i.occurred_at)"))
		} else {
			sp := spans[id]
			q = q.Set("messages = messages + ?", sp.n).
				Set("last_at = "+greatest+"(last_at, ?)", sp.last).
				Set("started_at = "+least+"(started_at, ?)", sp.first)
			if sp.subject != "" {
				q = q.Set("subject = CASE WHEN subject = '' THEN ? ELSE subject END", sp.subject)
			}
		}
		if _, err := where(q, "v", sc).Exec(ctx); err != nil {
			return mapError(err)
		}
	}
	return nil
}

// Interaction implements communication.InteractionStore.
func (s *Store) Interaction(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*communication.Interaction, error) {
	var r interactionRow
	if err := where(s.db.NewSelect().Model(&r).Where("i.id = ?", id), "i", sc).Scan(ctx); err != nil {
		return nil, mapError(err)
	}
	return r.toInteraction()
}

// InteractionByProvider implements communication.InteractionStore.
func (s *Store) InteractionByProvider(ctx context.Context, sc crmtype.Scope, ch communication.Channel, providerID string) (*communication.Interaction, error) {
	var r interactionRow
	q := s.db.NewSelect().Model(&r).Where("i.channel = ?", string(ch)).Where("i.provider_id = ?", providerID)
	if err := where(q, "i", sc).Scan(ctx); err != nil {
		return nil, mapError(err)
	}
	return r.toInteraction()
}

// timeCursor is a position in a list ordered by a time and an id.
type timeCursor struct {
	List string     `json:"l"`
	At   time.Time  `json:"t"`
	ID   crmtype.ID `json:"i"`
}

// timePage runs q (of alias, already filtered to list) ordered by
// (col, id), descending or ascending, with keyset paging.
func timePage[T any](ctx context.Context, q *bun.SelectQuery, alias, col, list string, desc bool, after crmtype.Cursor, limit int,
	pos func(*T) (time.Time, crmtype.ID)) ([]T, crmtype.Cursor, error) {
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if after != "" {
		var cur timeCursor
		if err := crmtype.DecodeCursor(after, &cur); err != nil {
			return nil, "", err
		}
		if cur.List != list {
			return nil, "", crmtype.Invalid("cursor", "belongs to another list")
		}
		q = q.Where(fmt.Sprintf("(%s.%s, %s.id) %s (?, ?)", alias, col, alias, op), cur.At, cur.ID)
	}
	var rows []T
	if err := q.OrderExpr(fmt.Sprintf("%s.%s %s, %s.id %s", alias, col, dir, alias, dir)).Limit(int64(limit+1)).Scan(ctx, &rows); err != nil {
		return nil, "", err
	}
	var next crmtype.Cursor
	if len(rows) > limit {
		rows = rows[:limit]
		at, id := pos(&rows[limit-1])
		next = crmtype.EncodeCursor(timeCursor{List: list, At: at.UTC(), ID: id})
	}
	return rows, next, nil
}

func interactionPage(rows []interactionRow, next crmtype.Cursor) (crmtype.Page[*communication.Interaction], error) {
	page := crmtype.Page[*communication.Interaction]{Items: make([]*communication.Interaction, len(rows)), Next: next}
	for i := range rows {
		in, err := rows[i].toInteraction()
		if err != nil {
			return page, err
		}
		page.Items[i] = in
	}
	return page, nil
}

func interactionPos(r *interactionRow) (time.Time, crmtype.ID) { return r.OccurredAt, r.ID }

// ListInteractions implements communication.InteractionStore.
func (s *Store) ListInteractions(ctx context.Context, sc crmtype.Scope, p communication.InteractionListParams, limit int) (crmtype.Page[*communication.Interaction], error) {
	q := where(s.db.NewSelect().Model((*interactionRow)(nil)).Where("i.customer_id = ?", p.CustomerID), "i", sc)
	if p.Channel != "" {
		q = q.Where("i.channel = ?", string(p.Channel))
	}
	if p.Direction != "" {
		q = q.Where("i.direction = ?", string(p.Direction))
	}
	if !p.From.IsZero() {
		q = q.Where("i.occurred_at >= ?", p.From.UTC())
	}
	if !p.To.IsZero() {
		q = q.Where("i.occurred_at < ?", p.To.UTC())
	}
	list := fmt.Sprintf("%s:interactions:%s:%s:%s:%d:%d", sc.Workspace, p.CustomerID, p.Channel, p.Direction,
		p.From.UnixNano(), p.To.UnixNano())
	rows, next, err := timePage(ctx, q, "i", "occurred_at", list, true, p.After, limit, interactionPos)
	if err != nil {
		return crmtype.Page[*communication.Interaction]{}, err
	}
	return interactionPage(rows, next)
}

// Conversation implements communication.InteractionStore.
func (s *Store) Conversation(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*communication.Conversation, error) {
	var r conversationRow
	if err := where(s.db.NewSelect().Model(&r).Where("v.id = ?", id), "v", sc).Scan(ctx); err != nil {
		return nil, mapError(err)
	}
	return r.toConversation(), nil
}

// ListConversations implements communication.InteractionStore.
func (s *Store) ListConversations(ctx context.Context, sc crmtype.Scope, cust crmtype.ID, after crmtype.Cursor, limit int) (crmtype.Page[*communication.Conversation], error) {
	q := where(s.db.NewSelect().Model((*conversationRow)(nil)).Where("v.customer_id = ?", cust), "v", sc)
	list := fmt.Sprintf("%s:conversations:%s", sc.Workspace, cust)
	rows, next, err := timePage(ctx, q, "v", "last_at", list, true, after, limit,
		func(r *conversationRow) (time.Time, crmtype.ID) { return r.LastAt, r.ID })
	page := crmtype.Page[*communication.Conversation]{Next: next}
	for i := range rows {
		page.Items = append(page.Items, rows[i].toConversation())
	}
	return page, err
}

// ListMessages implements communication.InteractionStore.
func (s *Store) ListMessages(ctx context.Context, sc crmtype.Scope, conv crmtype.ID, after crmtype.Cursor, limit int) (crmtype.Page[*communication.Interaction], error) {
	q := where(s.db.NewSelect().Model((*interactionRow)(nil)).Where("i.conversation_id = ?", conv), "i", sc)
	list := fmt.Sprintf("%s:messages:%s", sc.Workspace, conv)
	rows, next, err := timePage(ctx, q, "i", "occurred_at", list, false, after, limit, interactionPos)
	if err != nil {
		return crmtype.Page[*communication.Interaction]{}, err
	}
	return interactionPage(rows, next)
}

// SetStatus implements communication.InteractionStore.
func (s *Store) SetStatus(ctx context.Context, sc crmtype.Scope, u communication.StatusUpdate, now time.Time) (*communication.Interaction, error) {
	var out *communication.Interaction
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var r interactionRow
		q := tx.db.NewSelect().Model(&r)
		if !u.InteractionID.IsZero() {
			q = q.Where("i.id = ?", u.InteractionID)
		} else {
			q = q.Where("i.channel = ?", string(u.Channel)).Where("i.provider_id = ?", u.ProviderID)
		}
		if tx.pg {
			q = q.For("UPDATE")
		}
		if err := where(q, "i", sc).Scan(ctx); err != nil {
			return mapError(err)
		}
		if r.Direction != string(communication.Outbound) {
			return crmtype.Invalid("status", "is for outbound messages only")
		}
		before := communication.Status(r.Status)
		applied := before.Advances(u.Status)
		ch := []crmtype.Change{{Field: "status", Before: string(before), After: string(before)},
			{Field: "at", After: u.At.Format(time.RFC3339Nano)}}
		upd := tx.db.NewUpdate().Model((*interactionRow)(nil)).Where("i.id = ?", r.ID).Set("updated_at = ?", now)
		if applied {
			ch[0].After = string(u.Status)
			r.Status = string(u.Status)
			upd = upd.Set("status = ?", r.Status)
			if u.Reason != "" {
				r.StatusReason = u.Reason
				upd = upd.Set("status_reason = ?", u.Reason)
			}
			switch u.Status {
			case communication.StatusReplied:
				r.Outcome = string(communication.Replied)
			case communication.StatusBounced:
				r.Outcome = string(communication.Bounced)
			}
			upd = upd.Set("outcome = ?", r.Outcome)
		}
		if u.Reason != "" {
			ch = append(ch, crmtype.Change{Field: "reason", After: u.Reason})
		}
		if u.ProviderID != "" && r.ProviderID == nil {
			r.ProviderID = &u.ProviderID
			upd = upd.Set("provider_id = ?", u.ProviderID)
			ch = append(ch, crmtype.Change{Field: "provider_id", After: u.ProviderID})
		}
		if _, err := where(upd, "i", sc).Exec(ctx); err != nil {
			if constraintKind(err) == "unique" {
				return &crmtype.ConflictError{Resource: "interaction", Field: "provider_id", Value: u.ProviderID,
					Reason: "is already recorded on this channel"}
			}
			return mapError(err)
		}
		r.UpdatedAt = now
		in, err := r.toInteraction()
		if err != nil {
			return err
		}
		out = in
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: now, Type: communication.EventInteractionStatusChanged,
			SubjectType: communication.SubjectInteraction, Subject: r.ID, Customer: r.CustomerID, Changes: ch}})
	})
	return out, err
}
