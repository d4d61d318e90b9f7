package marketing

import (
	"context"
	"fmt"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
)

// Config configures a Service. The zero value means all defaults.
type Config struct {
	// Clock gives every timestamp the service stores. Default:
	// crmtype.SystemClock.
	Clock crmtype.Clock
	// RFM scores customers for the campaign report's response by RFM
	// segment; crm.Client sets it to the workspace's analysis service.
	// Default nil: reports leave that part out.
	RFM RFMSource
}

// Service plans, runs and measures the marketing of one workspace:
// campaigns and their costs, segments, members, promotions. crm.Client's
// Workspace returns a ready one; it is safe for concurrent use.
type Service struct {
	store     Store
	comm      *communication.Service
	workspace crmtype.WorkspaceID
	clock     crmtype.Clock
	cfg       Config
}

// NewService returns a Service for workspace ws over st; comm is the
// workspace's communication service, which decides whom a campaign may
// contact and sends research surveys.
func NewService(st Store, comm *communication.Service, ws crmtype.WorkspaceID, cfg Config) *Service {
	return &Service{store: st, comm: comm, workspace: ws, clock: crmtype.StoredClock(cfg.Clock), cfg: cfg}
}

// Store is what the service needs from storage; package store implements
// it.
type Store interface {
	CampaignStore
	ReportStore
	MemberStore
	PromotionStore
	SegmentStore
	AdStore
	ResearchStore
	AttributionStore
	ExperimentStore
}

func (s *Service) scope(ctx context.Context, op string) (crmtype.Scope, error) {
	sc, err := crmtype.NewScope(ctx, s.workspace)
	if err != nil {
		return sc, fmt.Errorf("marketing: %s: %w", op, err)
	}
	return sc, nil
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("marketing: %s: %w", op, err)
}
