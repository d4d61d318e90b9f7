package service

import (
	"context"
	"fmt"
	"time"

	"github.com/kehu/crm/crmtype"
)

// DefaultReopenWindow is how long after a ticket is solved it may be
// reopened when Config.ReopenWindow is zero.
const DefaultReopenWindow = 7 * 24 * time.Hour

// Config configures a Service. The zero value means all defaults.
type Config struct {
	// Clock gives every timestamp the service stores. Default:
	// crmtype.SystemClock.
	Clock crmtype.Clock
	// ReopenWindow is how long after it was solved a ticket may be
	// reopened (solved → open). Default: DefaultReopenWindow.
	ReopenWindow time.Duration
	// Messages records the public replies of tickets as interactions
	// (Reply); crm.Open sets it to the workspace's communication service.
	// Default: nil, and Reply returns ErrNoMessages.
	Messages Messages
	// Satisfaction configures the satisfaction survey of solved tickets
	// (SendSatisfactionSurveys); the zero value turns it off.
	Satisfaction SatisfactionConfig
	// Surveys sends the satisfaction surveys: the workspace's
	// *communication.Service. Default nil: SendSatisfactionSurveys returns
	// ErrNoSurveySender when a survey key is configured.
	Surveys SurveySender
}

// Service keeps the tickets of one workspace. It is safe for concurrent
// use.
type Service struct {
	store     Store
	workspace crmtype.WorkspaceID
	clock     crmtype.Clock
	cfg       Config
}

// NewService returns a Service for workspace ws over st.
func NewService(st Store, ws crmtype.WorkspaceID, cfg Config) *Service {
	if cfg.ReopenWindow <= 0 {
		cfg.ReopenWindow = DefaultReopenWindow
	}
	cfg.Satisfaction.defaults()
	return &Service{store: st, workspace: ws, clock: crmtype.StoredClock(cfg.Clock), cfg: cfg}
}

// Store is what the service needs from storage; package store implements
// it.
type Store interface {
	TicketStore
	ReplyStore
	SLAStore
	EngagementStore
	TicketMergeStore
	ReportStore
	SatisfactionStore
}

func (s *Service) scope(ctx context.Context, op string) (crmtype.Scope, error) {
	sc, err := crmtype.NewScope(ctx, s.workspace)
	if err != nil {
		return sc, fmt.Errorf("service: %s: %w", op, err)
	}
	return sc, nil
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("service: %s: %w", op, err)
}
