package cdnow

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

// System is the external system of the CDNOW customers' ids, and Currency
// the currency of their purchases.
const (
	System   = "cdnow"
	Currency = "USD"
)

const (
	customerBatch = 500
	purchaseBatch = 1000
)

// ReadFile reads CDNOW_sample.txt (the 2,357-customer sample) or, with
// full, CDNOW_master.txt (23,570 customers) from dir. It returns the
// file's name and its purchases; the i-th purchase is on line i+1 of the
// sample, i+2 of the master (after its header).
func ReadFile(dir string, full bool) (string, []Purchase, error) {
	name, read := "CDNOW_sample.txt", ReadSample
	if full {
		name, read = "CDNOW_master.txt", ReadMaster
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return name, nil, err
	}
	defer f.Close()
	ps, err := read(f)
	if err != nil {
		return name, nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(ps) == 0 {
		return name, nil, fmt.Errorf("read %s: no purchases", name)
	}
	return name, ps, nil
}

// Loaded says what Load did.
type Loaded struct {
	Customers, Purchases int
	// Skipped is true when the workspace held the file's customers
	// already and nothing was written.
	Skipped bool
}

// Load stores the customers and purchases ps of file (as ReadFile returns
// them) in workspace ws, unless it holds them already. Each customer has
// the external id (System) of its CDNOW id and each purchase the order id
// "cdnow-<customer>-<line>", so a second run changes nothing. It runs in
// one transaction: all or nothing. It fails when the workspace holds other
// customers.
func Load(ctx context.Context, client *crm.Client, ws, file string, ps []Purchase) (Loaded, error) {
	var keys []string // distinct customers, in order of first appearance
	seen := map[string]bool{}
	for _, p := range ps {
		if !seen[p.Customer] {
			seen[p.Customer] = true
			keys = append(keys, p.Customer)
		}
	}
	out := Loaded{Customers: len(keys), Purchases: len(ps)}
	w := client.Workspace(ws)
	n, err := w.Customers.Count(ctx, customer.Filter{})
	if err != nil {
		return out, fmt.Errorf("count customers of workspace %q: %w", ws, err)
	}
	if n > 0 {
		// Already loaded (the loading is all or nothing): check that it is
		// this file's data, by the count and by looking up the last customer.
		if n != len(keys) {
			return out, fmt.Errorf("workspace %q holds %d customers, not the %d of %s; use another database for a different data set", ws, n, len(keys), file)
		}
		last := keys[len(keys)-1]
		if _, err := w.Customers.ByExternalID(ctx, System, last); err != nil {
			return out, fmt.Errorf("workspace %q holds %d customers, but not CDNOW customer %s of %s: %w", ws, n, last, file, err)
		}
		out.Skipped = true
		return out, nil
	}
	lineOffset := 1 // the sample has no header line
	if file == "CDNOW_master.txt" {
		lineOffset = 2
	}
	err = client.RunInTx(ctx, func(ctx context.Context, tx *crm.Client) error {
		w := tx.Workspace(ws)
		params := make([]customer.CreateParams, len(keys))
		for i, k := range keys {
			params[i] = customer.CreateParams{Name: "CDNOW " + k, Stage: customer.StageCustomer, Source: "import:cdnow",
				Identities: []customer.IdentityParams{{Kind: customer.ExternalID, System: System, Value: k}}}
		}
		ids := make(map[string]crmtype.ID, len(keys))
		for i := 0; i < len(params); i += customerBatch {
			cs, err := w.Customers.CreateMany(ctx, params[i:min(i+customerBatch, len(params))])
			if err != nil {
				return fmt.Errorf("create customers %d–%d: %w", i+1, min(i+customerBatch, len(params)), err)
			}
			for j, c := range cs {
				ids[keys[i+j]] = c.ID
			}
		}
		batch := make([]customer.PurchaseParams, 0, purchaseBatch)
		for i, p := range ps {
			line := i + lineOffset
			batch = append(batch, customer.PurchaseParams{CustomerID: ids[p.Customer], OccurredAt: p.Date,
				Amount: crmtype.Money{Minor: p.Cents, Currency: Currency}, Quantity: p.CDs, Channel: "web",
				OrderID: fmt.Sprintf("cdnow-%s-%d", p.Customer, line)})
			if len(batch) == purchaseBatch || i == len(ps)-1 {
				if _, err := w.Customers.RecordPurchases(ctx, batch); err != nil {
					return fmt.Errorf("record purchases of lines %d–%d: %w", line-len(batch)+1, line, err)
				}
				batch = batch[:0]
			}
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("load %s into workspace %q: %w", file, ws, err)
	}
	return out, nil
}
