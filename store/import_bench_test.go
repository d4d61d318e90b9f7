package store_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
)

// messyRow is one row of a messy customer list.
type messyRow struct {
	name, given, family, country, email, phone string
}

var (
	hanFamily = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "欧阳"}
	hanGiven  = []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞"}
	latFamily = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Müller", "Schmidt", "Martin", "Dubois", "Rossi", "Silva", "Kowalski", "Nguyen"}
	latGiven  = []string{"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "José", "Zoë", "Anna", "Lukas", "Sophie", "Mateo", "Olga", "Amir"}
)

// messyRows makes n rows of a customer list as it arrives from a shop: 30%
// of the rows repeat an earlier person (the same email, the name written
// again in another form, a phone missing or another one), 30% of the people have
// Han names, a fifth of the people share their phone with the person
// before them (a household), phones are written in their country's
// national format. Seeded: the same n and seed give the same rows.
func messyRows(n int, seed uint64) []messyRow {
	r := rand.New(rand.NewPCG(seed, 0x6b656875))
	var people []messyRow
	rows := make([]messyRow, 0, n)
	for len(rows) < n {
		if len(people) > 0 && r.Float64() < 0.3 {
			p := people[r.IntN(len(people))]
			switch r.IntN(5) {
			case 0: // the name in one field only
				p.given, p.family = "", ""
			case 1: // no phone this time
				p.phone = ""
			case 2: // the name with a space or in another order
				if p.country == "CN" {
					p.name = p.family + " " + p.given
				} else {
					p.name = p.family + ", " + p.given
				}
			case 3: // another phone: the customer gets a second one
				if p.country == "CN" {
					p.phone = fmt.Sprintf("13%d %04d %04d", r.IntN(10), r.IntN(10000), r.IntN(10000))
				} else {
					p.phone = fmt.Sprintf("(415) 876-%04d", r.IntN(10000))
				}
			}
			rows = append(rows, p)
			continue
		}
		k := len(people)
		var p messyRow
		if r.Float64() < 0.3 {
			p.family, p.given = hanFamily[r.IntN(len(hanFamily))], hanGiven[r.IntN(len(hanGiven))]
			p.name, p.country = p.family+p.given, "CN"
			p.email = "u" + strconv.Itoa(k) + "@example.cn"
			p.phone = fmt.Sprintf("13%d %04d %04d", r.IntN(10), r.IntN(10000), r.IntN(10000))
		} else {
			p.family, p.given = latFamily[r.IntN(len(latFamily))], latGiven[r.IntN(len(latGiven))]
			p.name, p.country = p.given+" "+p.family, "US"
			p.email = "user" + strconv.Itoa(k) + "@example.com"
			p.phone = fmt.Sprintf("(650) 253-%04d", r.IntN(10000))
		}
		if k > 0 && r.Float64() < 0.2 && people[k-1].country == p.country { // a household
			p.family, p.phone = people[k-1].family, people[k-1].phone
			if p.country == "CN" {
				p.name = p.family + p.given
			} else {
				p.name = p.given + " " + p.family
			}
		}
		people = append(people, p)
		rows = append(rows, p)
	}
	return rows
}

func messyCSV(rows []messyRow) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"name", "given_name", "family_name", "country", "email", "phone"})
	for _, r := range rows {
		_ = w.Write([]string{r.name, r.given, r.family, r.country, r.email, r.phone})
	}
	w.Flush()
	return buf.Bytes()
}

var messyColumns = &customer.CustomerColumns{Name: "name", GivenName: "given_name", FamilyName: "family_name", Country: "country",
	Identities: []customer.IdentityColumn{{Column: "email", Kind: customer.Email}, {Column: "phone", Kind: customer.Phone}}}

// BenchmarkImportMessy imports 100,000 rows of a messy list (30%
// duplicates, 30% Han names, shared phones) with the default matching
// (external id, then email), and stores the same rows with CreateMany in
// batches of the import's size, each into a fresh database seeded with
// 2,000 customers and analysed (as the other benchmarks do: a fresh
// schema's plans are not the code's cost; the import refreshes statistics
// itself as it grows the tables, CreateMany does not), and reports both
// rates and their ratio:
//
//	go test ./store -run '^$' -bench ImportMessy -benchtime 1x
func BenchmarkImportMessy(b *testing.B) {
	const n = 100_000
	rows := messyRows(n, 1)
	file := messyCSV(rows)
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
				cs := client.Workspace(ws).Customers
				start := time.Now()
				batch := make([]customer.CreateParams, 0, customer.DefaultBatchSize)
				for i, r := range rows {
					p := customer.CreateParams{Name: r.name, GivenName: r.given, FamilyName: r.family, Address: customer.Address{Country: r.country}}
					for _, id := range []customer.IdentityParams{{Kind: customer.Email, Value: r.email}, {Kind: customer.Phone, Value: r.phone}} {
						if id.Value != "" {
							p.Identities = append(p.Identities, id)
						}
					}
					batch = append(batch, p)
					if len(batch) == cap(batch) || i == len(rows)-1 {
						if _, err := cs.CreateMany(ctx, batch); err != nil {
							b.Fatal(err)
						}
						batch = batch[:0]
					}
				}
				createRate = float64(n) / time.Since(start).Seconds()

				importDB := dbtest.Open(b, kind)
				seedReads(b, importDB, 2000)
				client, err = crm.New(importDB, nil)
				if err != nil {
					b.Fatal(err)
				}
				start = time.Now()
				rep, err := client.Workspace(ws).Customers.ImportCustomers(ctx, bytes.NewReader(file), customer.CustomerImport{Columns: messyColumns})
				if err != nil {
					b.Fatal(err)
				}
				importRate = float64(n) / time.Since(start).Seconds()
				if rep.Failed > 0 || rep.Rows != n {
					b.Fatalf("%d of %d rows failed: %v", rep.Failed, rep.Rows, rep.Errors[:min(3, len(rep.Errors))])
				}
				b.Logf("%s: created %d, updated %d, skipped %d, %d merges, %d possible duplicates", kind,
					rep.Created, rep.Updated, rep.Skipped, len(rep.Merges), len(rep.PossibleDuplicates))
			}
			b.ReportMetric(importRate, "import-rows/s")
			b.ReportMetric(createRate, "createmany-rows/s")
			b.ReportMetric(importRate/createRate, "ratio")
		})
	}
}
