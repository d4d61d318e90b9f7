package dedup

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/kehu/crm/internal/crmgen"
)

// crmRecords maps generated rows onto records the way the customer module
// does after an import: phones read in the row's country (E.164), emails
// trimmed, the birth date as the date.
func crmRecords(rows []crmgen.Row, region string) ([]Record, []int) {
	recs := make([]Record, len(rows))
	ents := make([]int, len(rows))
	for i, r := range rows {
		rec := Record{
			ID: strconv.Itoa(i), GivenName: r.GivenName, FamilyName: r.FamilyName, FullName: r.Name,
			Address: Address{Line: r.AddressLine, City: r.City, Region: r.Region, Postcode: r.PostalCode, Country: r.Country},
			Date:    r.BirthDate,
		}
		if e := strings.ToLower(strings.TrimSpace(r.Email)); e != "" {
			rec.Emails = []string{e}
		}
		if p := strings.TrimSpace(r.Phone); p != "" {
			reg := r.Country
			if reg == "" {
				reg = region
			}
			if n, err := phonenumbers.Parse(p, reg); err == nil && phonenumbers.IsValidNumber(n) {
				p = phonenumbers.Format(n, phonenumbers.E164)
			}
			rec.Phones = []string{p}
		}
		recs[i], ents[i] = rec, r.Entity
	}
	return recs, ents
}

func TestCRMList(t *testing.T) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("DEDUP_ENTITIES")); err == nil {
		n = v
	}
	rows := crmgen.Generate(crmgen.Config{Entities: n, Seed: 1})
	recs, ents := crmRecords(rows, "CN")
	t.Logf("true pairs %d", crmgen.TruePairs(rows))
	res, err := Find(context.Background(), recs, Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, r, f1 := quality(res, ents)
	t.Logf("%d records, %d comparisons, %d oversize blocks: precision %.4f recall %.4f F1 %.4f", len(recs), res.Stats.Comparisons, res.Stats.OversizeBlocks, p, r, f1)
	if testing.Verbose() {
		sizes := map[int]int{}
		for _, c := range res.Clusters {
			sizes[min(len(c.Members), 10)]++
		}
		t.Logf("cluster sizes (10 = 10 or more): %v", sizes)
		for _, f := range res.Model.Fields {
			t.Logf("  %-12s m=%.4f u=%.6f", f.Name, f.M, f.U)
		}
		t.Logf("  prior %.3g", res.Model.Prior)
		fp, fn := 0, 0
		for _, pr := range res.Pairs {
			if ents[pr.A] != ents[pr.B] && fp < 15 {
				fp++
				t.Logf("FP %s | %s\n   %s %.3f", show(rows[pr.A]), show(rows[pr.B]), pr.String(), pr.Probability)
			}
		}
		m := DefaultModel()
		*m = *res.Model
		byEnt := map[int][]int{}
		for i, e := range ents {
			byEnt[e] = append(byEnt[e], i)
		}
		found := map[[2]int]bool{}
		for _, c := range res.Clusters {
			for x := range c.Members {
				for y := x + 1; y < len(c.Members); y++ {
					found[[2]int{c.Members[x], c.Members[y]}] = true
				}
			}
		}
		for e := 0; e < len(rows) && fn < 15; e++ {
			g := byEnt[e]
			for x := range g {
				for y := x + 1; y < len(g); y++ {
					if !found[[2]int{g[x], g[y]}] && fn < 15 {
						fn++
						pr := m.Compare(recs[g[x]], recs[g[y]])
						t.Logf("FN %s | %s\n   %s %.3f", show(rows[g[x]]), show(rows[g[y]]), pr.String(), pr.Probability)
					}
				}
			}
		}
	}
	if f1 < 0.95 {
		t.Errorf("F1 %.4f < 0.95", f1)
	}
}

func show(r crmgen.Row) string {
	return strings.Join([]string{r.Name, r.GivenName + "/" + r.FamilyName, r.Email, r.Phone, r.Country, r.AddressLine, r.City, r.PostalCode, r.BirthDate}, ";")
}
