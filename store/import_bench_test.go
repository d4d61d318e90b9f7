package store_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/crmgen"
	"github.com/kehu/crm/internal/dbtest"
)

// messyColumns map the columns crmgen.WriteCSV writes (but the birth date).
var messyColumns = &customer.CustomerColumns{Name: "name", GivenName: "given_name", FamilyName: "family_name",
	Country: "country", AddressLine1: "address_line1", City: "city", Region: "region", PostalCode: "postal_code",
	Locale: "locale", Kind: "kind",
	Identities: []customer.IdentityColumn{{Column: "email", Kind: customer.Email}, {Column: "phone", Kind: customer.Phone}}}

// messyParams are the rows as CreateMany takes them: the values the import
// would keep flagged as invalid (crmgen's junk phones and emails) are left
// out, since CreateMany rejects them.
func messyParams(rows []crmgen.Row, region string) []customer.CreateParams {
	ps := make([]customer.CreateParams, len(rows))
	for i, r := range rows {
		p := customer.CreateParams{Kind: customer.Kind(r.Kind), Name: r.Name, GivenName: r.GivenName, FamilyName: r.FamilyName,
			Locale: r.Locale, Address: customer.Address{Line1: r.AddressLine, City: r.City, Region: r.Region, PostalCode: r.PostalCode, Country: r.Country}}
		if p.Kind == customer.Company {
			p.GivenName, p.FamilyName = "", ""
		}
		if _, err := customer.CanonicalEmail(r.Email); err == nil {
			p.Identities = append(p.Identities, customer.IdentityParams{Kind: customer.Email, Value: r.Email})
		}
		phoneRegion := region
		if c, err := customer.CleanRegion("country", r.Country); err == nil && c != "" {
			phoneRegion = c
		}
		if _, err := customer.CanonicalPhone(r.Phone, phoneRegion); err == nil {
			p.Identities = append(p.Identities, customer.IdentityParams{Kind: customer.Phone, Value: r.Phone})
		}
		ps[i] = p
	}
	return ps
}

// BenchmarkImportMessy imports 100,000 rows of a messy list from
// internal/crmgen (70,000 people and companies, 30% of the rows duplicates,
// names in several scripts, a third of them Han, households sharing
// phones, junk and mistyped values) with the default matching (external
// id, then email), and stores the same rows with CreateMany in batches of
// the import's size, each into a fresh database seeded with 2,000
// customers and analysed (as the other benchmarks do: a fresh schema's
// plans are not the code's cost; the import refreshes statistics itself as
// it grows the tables, CreateMany does not), and reports both rates and
// their ratio:
//
//	go test ./store -run '^$' -bench ImportMessy -benchtime 1x
func BenchmarkImportMessy(b *testing.B) {
	rows := crmgen.Generate(crmgen.Config{Entities: 70_000, Seed: 1})
	n := len(rows)
	var file bytes.Buffer
	if err := crmgen.WriteCSV(&file, rows); err != nil {
		b.Fatal(err)
	}
	const region = "CN"
	params := messyParams(rows, region)
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			ctx := context.Background()
			var importRate, createRate float64
			iter := 0
			for b.Loop() {
				iter++
				ws := "bench" + strconv.Itoa(iter)
				// CreateMany of the same rows: every row a new customer.
				createDB := dbtest.Open(b, kind)
				seedReads(b, createDB, 2000)
				client, err := crm.New(createDB, nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := client.Workspace(ws).UpdateSettings(ctx, crm.Settings{DefaultRegion: region}); err != nil {
					b.Fatal(err)
				}
				cs := client.Workspace(ws).Customers
				start := time.Now()
				for i := 0; i < len(params); i += customer.DefaultBatchSize {
					if _, err := cs.CreateMany(ctx, params[i:min(i+customer.DefaultBatchSize, len(params))]); err != nil {
						b.Fatal(err)
					}
				}
				createRate = float64(n) / time.Since(start).Seconds()

				importDB := dbtest.Open(b, kind)
				seedReads(b, importDB, 2000)
				client, err = crm.New(importDB, nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := client.Workspace(ws).UpdateSettings(ctx, crm.Settings{DefaultRegion: region}); err != nil {
					b.Fatal(err)
				}
				start = time.Now()
				rep, err := client.Workspace(ws).Customers.ImportCustomers(ctx, bytes.NewReader(file.Bytes()), customer.CustomerImport{Columns: messyColumns})
				if err != nil {
					b.Fatal(err)
				}
				importRate = float64(n) / time.Since(start).Seconds()
				if rep.Failed > 0 || rep.Rows != n {
					b.Fatalf("%d of %d rows failed: %v", rep.Failed, rep.Rows, rep.Errors[:min(3, len(rep.Errors))])
				}
				b.Logf("%s: %d rows: created %d, updated %d, skipped %d, %d merges, %d possible duplicates, %d rows with invalid values kept", kind,
					n, rep.Created, rep.Updated, rep.Skipped, len(rep.Merges), len(rep.PossibleDuplicates), rep.Warned)
			}
			b.ReportMetric(importRate, "import-rows/s")
			b.ReportMetric(createRate, "createmany-rows/s")
			b.ReportMetric(importRate/createRate, "ratio")
		})
	}
}
