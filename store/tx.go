package store

import (
	"context"

	"github.com/kehu/crm/customer"
)

var _ customer.TxStore = (*Store)(nil)

// InTx implements customer.TxStore: fn runs in one transaction, or in a
// savepoint when the store already works inside a transaction, and its
// writes through tx are committed together when fn returns nil and rolled
// back when it returns an error or panics.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx customer.Store) error) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error { return fn(ctx, tx) })
}
