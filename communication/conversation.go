package communication

import (
	"context"
	"time"

	"github.com/kehu/crm/crmtype"
)

// Conversation is a thread of interactions on one channel: an email
// thread, a chat session, a call and its follow-up.
type Conversation struct {
	ID         crmtype.ID
	CustomerID crmtype.ID // the customer of its first message
	Channel    Channel
	// ThreadKey is what joins messages to it: "t:" + the provider's thread
	// id, "m:" + the provider id of its first message, or "i:" + the id
	// of its only interaction when that has no provider id.
	ThreadKey string
	Subject   string    // of its first message with a subject
	StartedAt time.Time // the earliest message
	LastAt    time.Time // the latest message
	Messages  int       // how many interactions it holds
}

// ListParams pages through a list.
type ListParams struct {
	Limit int            // page size; default crmtype.DefaultPageSize, at most crmtype.MaxPageSize
	After crmtype.Cursor // the Next of the previous page; "" for the first page
}

// Conversation returns one conversation. ErrNotFound when it is not in
// the workspace.
func (s *Service) Conversation(ctx context.Context, id crmtype.ID) (*Conversation, error) {
	const op = "conversation"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	c, err := s.store.Conversation(ctx, sc, id)
	return c, wrap(op, err)
}

// Conversations returns one page of a customer's conversations, the most
// recently active first; follow Page.Next for more. Errors: ErrInvalid for
// a zero customer id or a malformed cursor.
func (s *Service) Conversations(ctx context.Context, customerID crmtype.ID, p ListParams) (crmtype.Page[*Conversation], error) {
	const op = "conversations"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Conversation]{}, err
	}
	n, err := crmtype.PageSize(p.Limit)
	if err == nil && customerID.IsZero() {
		err = crmtype.Invalid("customer_id", "is required")
	}
	if err != nil {
		return crmtype.Page[*Conversation]{}, wrap(op, err)
	}
	page, err := s.store.ListConversations(ctx, sc, customerID, p.After, n)
	return page, wrap(op, err)
}

// Messages returns one page of a conversation's interactions, oldest
// first. Errors: ErrInvalid for a malformed cursor.
func (s *Service) Messages(ctx context.Context, conversationID crmtype.ID, p ListParams) (crmtype.Page[*Interaction], error) {
	const op = "messages"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Interaction]{}, err
	}
	n, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*Interaction]{}, wrap(op, err)
	}
	page, err := s.store.ListMessages(ctx, sc, conversationID, p.After, n)
	return page, wrap(op, err)
}
