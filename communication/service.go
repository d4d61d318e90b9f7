package communication

import (
	"context"
	"fmt"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

// Config configures a Service. The zero value means all defaults.
type Config struct {
	// Clock gives every timestamp the service stores. Default:
	// crmtype.SystemClock.
	Clock crmtype.Clock
	// Sender delivers outbound messages (Service.Send); nil means Send
	// returns an error.
	Sender Sender
	// MaxBodyBytes limits an interaction's text and HTML body each.
	// Default: 256 KiB.
	MaxBodyBytes int
	// ReminderLease is how long a reminder claimed by DueReminders stays
	// with the worker that claimed it before another may claim it.
	// Default: one minute.
	ReminderLease time.Duration
	// Secret signs unsubscribe tokens (each workspace's key is derived
	// from it). Keep it stable and private: changing it invalidates every
	// token handed out. At least 32 random bytes; nil disables tokens.
	Secret []byte
	// UnsubscribeTTL is how long an unsubscribe token stays valid.
	// Default: 400 days.
	UnsubscribeTTL time.Duration
}

// Service records and reads the communication of one workspace:
// interactions and their conversations, templates and sending, tasks and
// reminders. crm.Client.Workspace returns a ready one; it is safe for
// concurrent use.
type Service struct {
	store     Store
	customers *customer.Service
	workspace crmtype.WorkspaceID
	clock     crmtype.Clock
	sender    Sender
	maxBody   int
	lease     time.Duration
	secret    []byte
	unsubTTL  time.Duration
}

// NewService returns a Service for workspace ws over st; customers reads
// the customers that templates and sending need.
func NewService(st Store, customers *customer.Service, ws crmtype.WorkspaceID, cfg Config) *Service {
	s := &Service{store: st, customers: customers, workspace: ws, clock: crmtype.StoredClock(cfg.Clock),
		sender: cfg.Sender, maxBody: cfg.MaxBodyBytes, lease: cfg.ReminderLease, secret: cfg.Secret, unsubTTL: cfg.UnsubscribeTTL}
	if s.maxBody <= 0 {
		s.maxBody = 256 << 10
	}
	if s.lease <= 0 {
		s.lease = time.Minute
	}
	if s.unsubTTL <= 0 {
		s.unsubTTL = 400 * 24 * time.Hour
	}
	return s
}

func (s *Service) scope(ctx context.Context, op string) (crmtype.Scope, error) {
	sc, err := crmtype.NewScope(ctx, s.workspace)
	if err != nil {
		return sc, fmt.Errorf("communication: %s: %w", op, err)
	}
	return sc, nil
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("communication: %s: %w", op, err)
}

// Store is what the service needs from storage; package store implements
// it.
type Store interface {
	InteractionStore
	TaskStore
	ContactStore
	SurveyStore
	ResponseStore
}
