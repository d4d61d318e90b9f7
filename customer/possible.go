package customer

import (
	"context"
	"time"

	"github.com/kehu/crm/crmtype"
)

// PossibleDuplicate is a pair of customers that may be one person,
// recorded for review rather than merged: an import records one when a
// row's key (an email, a phone) points to a customer whose name clearly
// differs, or to a key several customers share. Merge the pair
// (Service.Merge) or dismiss it (Service.DismissPossibleDuplicate).
type PossibleDuplicate struct {
	ID         crmtype.ID
	CustomerID crmtype.ID // the customer recorded, e.g. the one an import created
	OtherID    crmtype.ID // the customer it may duplicate
	// Reason says why, e.g. `email a@b.com held by a customer named 王伟`.
	Reason    string
	Source    string // what recorded it: "import"
	CreatedAt time.Time
}

// PossibleDuplicateParams selects possible duplicates.
type PossibleDuplicateParams struct {
	Limit int
	After crmtype.Cursor
	// CustomerID, when set, selects the pairs it is in (on either side).
	CustomerID crmtype.ID
}

// CustomerChange is one stored customer an import changes: Before as it
// was read (its version is checked), After as it is to be saved (its
// version and update time are set by the store), Added the identities of
// After that Before did not hold.
type CustomerChange struct {
	Before, After *Customer
	Added         []Identity
}

// PossibleDuplicates returns one page of the pairs recorded for review,
// oldest first. Merging a pair's customers drops it; erasing or purging
// either customer deletes it.
func (s *Service) PossibleDuplicates(ctx context.Context, p PossibleDuplicateParams) (crmtype.Page[PossibleDuplicate], error) {
	const op = "possible duplicates"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[PossibleDuplicate]{}, err
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[PossibleDuplicate]{}, wrap(op, err)
	}
	page, err := s.store.ListPossibleDuplicates(ctx, sc, p, limit)
	return page, wrap(op, err)
}

// DismissPossibleDuplicate removes pair id from review (the customers are
// not the same), with a customer.duplicate_dismissed event. ErrNotFound
// when there is no such pair.
func (s *Service) DismissPossibleDuplicate(ctx context.Context, id crmtype.ID) error {
	const op = "dismiss possible duplicate"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return err
	}
	return wrap(op, s.store.DeletePossibleDuplicate(ctx, sc, id, s.clock.Now()))
}
