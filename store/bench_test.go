package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
)

// The benchmarks set each SDK call beside the plain bun statements that
// store the same rows (or read them back), on the same database, so that
// the ratio is the SDK's overhead: validation, identity checks, the search
// index, JSON aggregation of identities and tags, decoding.
//
//	go test ./store -run '^$' -bench . -benchtime 2s

const benchWorkspace = "bench"

// rawCustomer is a crm_customers row as plain bun writes and reads it.
type rawCustomer struct {
	bun.BaseModel `bun:"table:crm_customers,alias:c"`

	WorkspaceID  string     `bun:"workspace_id,pk"`
	ID           crmtype.ID `bun:"id,pk,type:uuid"`
	Kind         string     `bun:"kind"`
	Name         string     `bun:"name"`
	NameFold     string     `bun:"name_fold"`
	NameKey      []byte     `bun:"name_key"`
	GivenName    string     `bun:"given_name"`
	FamilyName   string     `bun:"family_name"`
	CompanyID    crmtype.ID `bun:"company_id,type:uuid,nullzero"`
	AddressLine1 string     `bun:"address_line1"`
	AddressLine2 string     `bun:"address_line2"`
	City         string     `bun:"city"`
	Region       string     `bun:"region"`
	PostalCode   string     `bun:"postal_code"`
	Country      string     `bun:"country"`
	Locale       string     `bun:"locale"`
	TimeZone     string     `bun:"time_zone"`
	Stage        string     `bun:"stage"`
	Source       string     `bun:"source"`
	OwnerID      string     `bun:"owner_id"`
	Attributes   string     `bun:"attributes"`
	Version      int64      `bun:"version"`
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
	DeletedAt    *time.Time `bun:"deleted_at"`
}

// rawIdentity is a crm_identities row.
type rawIdentity struct {
	bun.BaseModel `bun:"table:crm_identities,alias:i"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ID          crmtype.ID `bun:"id,pk,type:uuid"`
	CustomerID  crmtype.ID `bun:"customer_id,type:uuid"`
	Kind        string     `bun:"kind"`
	System      string     `bun:"system"`
	Value       string     `bun:"value"`
	Label       string     `bun:"label"`
	Raw         string     `bun:"raw"`
	CreatedAt   time.Time  `bun:"created_at"`
}

// benchSeq keeps emails distinct across runs of a benchmark function.
var benchSeq atomic.Int64

func benchName(n int64) string { return fmt.Sprintf("Customer Nummer %d", n) }

func benchEmail(n int64) string { return fmt.Sprintf("customer%d@example.com", n) }

func benchClient(b *testing.B, db *bun.DB) *crm.Workspace {
	client, err := crm.New(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	return client.Workspace(benchWorkspace)
}

func BenchmarkCreateBatch(b *testing.B) {
	const batch = 500
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			// A database each, so that neither writes into a table the
			// other has grown.
			rawDB, sdkDB := dbtest.Open(b, kind), dbtest.Open(b, kind)
			seedReads(b, rawDB, 2000)
			seedReads(b, sdkDB, 2000)
			b.Run("raw", func(b *testing.B) {
				ctx := context.Background()
				cs := make([]rawCustomer, batch)
				ids := make([]rawIdentity, batch)
				n := 0
				for b.Loop() {
					now := time.Now().UTC()
					for j := range cs {
						k := benchSeq.Add(1)
						name := benchName(k)
						cs[j] = rawCustomer{WorkspaceID: benchWorkspace, ID: crmtype.NewID(now), Kind: "person",
							Name: name, NameFold: strings.ToLower(name), NameKey: []byte(name), Stage: "lead",
							Attributes: "{}", Version: 1, CreatedAt: now, UpdatedAt: now}
						ids[j] = rawIdentity{WorkspaceID: benchWorkspace, ID: crmtype.NewID(now), CustomerID: cs[j].ID,
							Kind: "email", Value: benchEmail(k), Raw: benchEmail(k), CreatedAt: now}
					}
					err := rawDB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
						if _, err := tx.NewInsert().Model(&cs).Exec(ctx); err != nil {
							return err
						}
						_, err := tx.NewInsert().Model(&ids).Exec(ctx)
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
					n += batch
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
			})
			b.Run("sdk", func(b *testing.B) {
				ctx := context.Background()
				ws := benchClient(b, sdkDB)
				ps := make([]customer.CreateParams, batch)
				n := 0
				for b.Loop() {
					for j := range ps {
						k := benchSeq.Add(1)
						ps[j] = customer.CreateParams{Name: benchName(k),
							Identities: []customer.IdentityParams{{Kind: customer.Email, Value: benchEmail(k)}}}
					}
					if _, err := ws.Customers.CreateMany(ctx, ps); err != nil {
						b.Fatal(err)
					}
					n += batch
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
			})
		})
	}
}

// seedReads stores customers through the SDK, each with one email and two
// tags, and returns their ids and emails.
func seedReads(b *testing.B, db *bun.DB, n int) ([]crmtype.ID, []string) {
	ctx := context.Background()
	ws := benchClient(b, db)
	ps := make([]customer.CreateParams, n)
	emails := make([]string, n)
	for i := range ps {
		k := benchSeq.Add(1)
		emails[i] = benchEmail(k)
		ps[i] = customer.CreateParams{Name: benchName(k), Tags: []string{"vip", "beta"},
			Identities: []customer.IdentityParams{{Kind: customer.Email, Value: emails[i]}}}
	}
	cs, err := ws.Customers.CreateMany(ctx, ps)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]crmtype.ID, n)
	for i, c := range cs {
		ids[i] = c.ID
	}
	analyze(b, db)
	return ids, emails
}

// analyze refreshes PostgreSQL's statistics. Without it the plans of the
// foreign-key checks, which each connection caches while the tables are
// nearly empty, stay sequential scans, and every batch inserted slows down
// in proportion to the table's size until autovacuum's ANALYZE replaces
// them: a cost of a fresh schema, not of the code measured.
func analyze(b *testing.B, db *bun.DB) {
	if db.Dialect().Name() != dialect.PG {
		return
	}
	// db.DB is the *sql.DB: bun's query hooks (the tenancy guard) do not
	// see this maintenance statement.
	if _, err := db.DB.ExecContext(context.Background(), "ANALYZE crm_customers, crm_identities, crm_customer_tags, crm_customer_search"); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkGetByID(b *testing.B) {
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			db := dbtest.Open(b, kind)
			ids, _ := seedReads(b, db, 1000)
			b.Run("raw", func(b *testing.B) {
				ctx := context.Background()
				i := 0
				for b.Loop() {
					var c rawCustomer
					if err := db.NewSelect().Model(&c).
						Where("c.workspace_id = ?", benchWorkspace).Where("c.id = ?", ids[i%len(ids)]).
						Scan(ctx); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			b.Run("sdk", func(b *testing.B) {
				ctx := context.Background()
				ws := benchClient(b, db)
				i := 0
				for b.Loop() {
					if _, err := ws.Customers.Get(ctx, ids[i%len(ids)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		})
	}
}

func BenchmarkGetByEmail(b *testing.B) {
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			db := dbtest.Open(b, kind)
			_, emails := seedReads(b, db, 1000)
			b.Run("raw", func(b *testing.B) {
				ctx := context.Background()
				i := 0
				for b.Loop() {
					var c rawCustomer
					if err := db.NewSelect().Model(&c).
						Join("JOIN crm_identities AS i ON i.workspace_id = c.workspace_id AND i.customer_id = c.id").
						Where("c.workspace_id = ?", benchWorkspace).Where("i.workspace_id = ?", benchWorkspace).
						Where("i.kind = 'email'").Where("i.system = ''").Where("i.value = ?", emails[i%len(emails)]).
						Scan(ctx); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			b.Run("sdk", func(b *testing.B) {
				ctx := context.Background()
				ws := benchClient(b, db)
				i := 0
				for b.Loop() {
					if _, err := ws.Customers.ByEmail(ctx, emails[i%len(emails)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		})
	}
}
