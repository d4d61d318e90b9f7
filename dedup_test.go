package crm_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
)

// febrlRows reads a FEBRL file from ../shared/data/febrl, without its
// header. The data sets are part of the test: a missing file fails it.
func febrlRows(t *testing.T, name string) [][]string {
	f, err := os.Open(filepath.Join("..", "shared", "data", "febrl", name))
	require.NoError(t, err, "the FEBRL data sets are read from ../shared/data/febrl")
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	rows, err := r.ReadAll()
	require.NoError(t, err)
	return rows[1:]
}

func febrlParams(row []string) customer.CreateParams {
	name := strings.TrimSpace(row[1] + " " + row[2])
	if name == "" {
		name = "?"
	}
	p := customer.CreateParams{
		Name: name, GivenName: row[1], FamilyName: row[2],
		Address: customer.Address{
			Line1: strings.TrimSpace(row[3] + " " + row[4]), Line2: row[5],
			City: row[6], PostalCode: row[7], Region: row[8],
		},
		Attributes: map[string]any{},
	}
	if row[9] != "" {
		p.Attributes["date_of_birth"] = row[9]
	}
	if row[10] != "" {
		p.Attributes["soc_sec_id"] = row[10]
	}
	return p
}

// TestDedupFEBRL loads the FEBRL data sets through the public API, with
// the date of birth and the social security number defined as attributes
// whose match roles tell FindDuplicates to compare them, and scans them
// with default settings.
func TestDedupFEBRL(t *testing.T) {
	for _, name := range []string{"dataset1.csv", "dataset2.csv"} {
		rows := febrlRows(t, name)
		t.Run(name, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, db *bun.DB) { febrlScan(t, db, rows, name == "dataset1.csv") })
		})
	}
}

func febrlScan(t *testing.T, db *bun.DB, rows [][]string, candidates bool) {
	ctx := context.Background()
	client, _ := newClient(t, db)
	ws := client.Workspace("febrl")
	for k, role := range map[string]customer.MatchRole{"date_of_birth": customer.MatchBirthDate, "soc_sec_id": customer.MatchID} {
		_, err := ws.Customers.DefineAttribute(ctx, customer.AttributeDef{Key: k, Type: customer.TypeString, Match: role})
		require.NoError(t, err)
	}
	_, err := ws.Customers.DefineAttribute(ctx, customer.AttributeDef{Key: "passport", Type: customer.TypeString, Match: customer.MatchBirthDate})
	require.ErrorIs(t, err, crmtype.ErrInvalid, "a second date of birth")
	entity := map[crmtype.ID]string{}
	size := map[string]int{}
	var dupRow []string
	for i := 0; i < len(rows); i += 500 {
		var ps []customer.CreateParams
		for _, row := range rows[i:min(i+500, len(rows))] {
			ps = append(ps, febrlParams(row))
		}
		cs, err := ws.Customers.CreateMany(ctx, ps)
		require.NoError(t, err)
		for j, c := range cs {
			e := strings.Split(rows[i+j][0], "-")[1]
			entity[c.ID] = e
			size[e]++
			if dupRow == nil && strings.Contains(rows[i+j][0], "-dup-") {
				dupRow = rows[i+j]
			}
		}
	}
	// Another workspace's customers are never scanned.
	other := febrlParams(rows[0])
	other.Attributes = nil
	_, err = client.Workspace("other").Customers.Create(ctx, other)
	require.NoError(t, err)

	p := customer.DuplicateParams{}
	dups, err := ws.Customers.FindDuplicates(ctx, p)
	require.NoError(t, err)
	truePairs := 0
	for _, n := range size {
		truePairs += n * (n - 1) / 2
	}
	var groups [][]string
	for _, c := range dups.Clusters {
		var g []string
		for _, id := range c.IDs {
			g = append(g, entity[id])
		}
		groups = append(groups, g)
	}
	prec, rec, f1 := pairQuality(groups, truePairs)
	require.NotZero(t, f1)
	t.Logf("FindDuplicates: %d customers, precision %.4f recall %.4f F1 %.4f", len(entity), prec, rec, f1)
	require.GreaterOrEqual(t, f1, 0.995)
	require.NotEmpty(t, dups.Pairs[0].Fields)
	require.Contains(t, entity, dups.Pairs[0].A)
	if !candidates {
		return
	}

	// A duplicate record, before it is created, finds its original.
	want := strings.Split(dupRow[0], "-")[1]
	for _, model := range []bool{false, true} {
		mp := p
		if model {
			mp.Config.Model = dups.Model
		}
		ms, err := ws.Customers.MatchCandidate(ctx, febrlParams(dupRow), mp)
		require.NoError(t, err)
		require.NotEmpty(t, ms, "model from scan: %v", model)
		require.Equal(t, want, entity[ms[0].Customer.ID], "%v", ms[0].Pair)
		require.GreaterOrEqual(t, ms[0].Probability, 0.5)
	}
}
