// Command import loads customers from a CSV file into kehu/crm with a
// progress bar, prints the import report (merges with the key that decided
// each, possible duplicates kept apart, values flagged invalid), then scans
// the workspace for probable duplicates and prints each cluster with its
// pairs and their explanations under it, aligned for text in any script.
//
//	go run ./examples/import                       # a generated messy list, in a temporary database
//	go run ./examples/import -file customers.csv -db crm.db
//	go run ./examples/import -dry-run
//
// The file uses the columns customer.DefaultCustomerColumns maps, or these:
// name, given_name, family_name, email, phone, external_id, address_line1,
// city, region, postal_code, country, birth_date, locale, kind, tags
// (joined by ";"); any may be missing. Without -file it imports a
// generated list of 2,000 people and companies (internal/crmgen): names in
// many scripts, Han names also in pinyin and traditional characters,
// households and offices sharing phones and addresses, typos, phones of
// many countries in local formats, junk values. Running it twice on the
// same database creates nothing the second time.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/customer/dedup"
	"github.com/kehu/crm/internal/crmgen"
	"github.com/kehu/crm/internal/texttable"
	"github.com/kehu/crm/store/sqlite"
)

func main() {
	file := flag.String("file", "", "CSV file to import (default: a generated sample)")
	dbPath := flag.String("db", "", "SQLite database file (default: a temporary one)")
	dry := flag.Bool("dry-run", false, "report what would happen, write nothing")
	flag.Parse()
	if err := run(context.Background(), *file, *dbPath, *dry); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, file, dbPath string, dry bool) error {
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "crm-import-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "crm.db")
	}
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	client, err := crm.New(db, nil)
	if err != nil {
		return err
	}
	if err := client.Migrate(ctx); err != nil {
		return err
	}
	ws := client.Workspace("example")
	if err := ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}); err != nil {
		return err
	}

	if _, err := ws.Customers.DefineAttribute(ctx, customer.AttributeDef{
		Key: "birth_date", Label: "Date of birth", Type: customer.TypeString, Match: customer.MatchBirthDate,
	}); err != nil {
		return err
	}
	var data []byte
	if file == "" {
		var buf bytes.Buffer
		if err := crmgen.WriteCSV(&buf, crmgen.Generate(crmgen.Config{Entities: 1400, Seed: 3})); err != nil {
			return err
		}
		data = buf.Bytes()
		fmt.Fprintf(os.Stderr, "no -file given: importing a generated list of %d bytes\n", len(data))
	} else if data, err = os.ReadFile(file); err != nil {
		return err
	}
	header, err := csv.NewReader(bytes.NewReader(data)).Read()
	if err != nil && err != io.EOF {
		return fmt.Errorf("reading the header: %w", err)
	}
	cols := columnsFor(header)

	total := int64(len(data))
	rep, err := ws.Customers.ImportCustomers(ctx, bytes.NewReader(data), customer.CustomerImport{
		Columns: cols,
		ImportOptions: customer.ImportOptions{
			DryRun:   dry,
			Progress: func(p customer.Progress) { bar(os.Stderr, p, total) },
		},
	})
	fmt.Fprintln(os.Stderr)
	if rep != nil {
		printReport(rep)
	}
	if err != nil {
		return err
	}
	if dry {
		return nil
	}

	dups, err := ws.Customers.FindDuplicates(ctx, customer.DuplicateParams{})
	if err != nil {
		return err
	}
	fmt.Printf("%d clusters of probable duplicates (%d pairs, %d comparisons, %d oversized blocks compared by window); the first %d:\n\n",
		len(dups.Clusters), len(dups.Pairs), dups.Stats.Comparisons, dups.Stats.OversizeBlocks, min(12, len(dups.Clusters)))
	for i, cl := range dups.Clusters[:min(12, len(dups.Clusters))] {
		if err := printCluster(ctx, ws, i+1, cl, dups.Pairs); err != nil {
			return err
		}
	}
	return nil
}

// printCluster prints a cluster's customers, then each pair of them that
// scored at or above the threshold with its explanation.
func printCluster(ctx context.Context, ws *crm.Workspace, n int, cl customer.DuplicateCluster, pairs []customer.DuplicatePair) error {
	t := texttable.New("#", "name", "given / family", "email", "phone", "address")
	label := map[crmtype.ID]string{}
	for i, id := range cl.IDs {
		c, err := ws.Customers.Get(ctx, id)
		if err != nil {
			return err
		}
		label[id] = string(rune('A' + i))
		addr := strings.TrimSpace(strings.Join([]string{c.Address.Line1, c.Address.PostalCode, c.Address.City, c.Address.Country}, " "))
		t.Row(label[id], c.Name, c.GivenName+" / "+c.FamilyName, c.Email(), c.Phone(), addr)
	}
	t.Print(fmt.Sprintf("cluster %d", n))
	for _, p := range pairs {
		la, lb := label[p.A], label[p.B]
		if la == "" || lb == "" {
			continue
		}
		fs := slices.Clone(p.Fields)
		slices.SortFunc(fs, func(a, b dedup.FieldScore) int {
			switch {
			case a.Weight > b.Weight:
				return -1
			case a.Weight < b.Weight:
				return 1
			}
			return 0
		})
		w := texttable.New("field", "agreement", "weight").Right(2)
		for _, f := range fs {
			w.Row(f.Field, f.Agreement, fmt.Sprintf("%+.1f", f.Weight))
		}
		w.Print(fmt.Sprintf("    %s–%s: match probability %.3f", la, lb, p.Probability))
	}
	return nil
}

// columnsFor returns nil (the default mapping, for files ExportCustomers
// wrote) when the header has an "identities" column, else the mapping of
// the simple columns this example documents.
func columnsFor(header []string) *customer.CustomerColumns {
	for _, h := range header {
		if h == "identities" {
			return nil
		}
	}
	have := map[string]bool{}
	for _, h := range header {
		have[h] = true
	}
	col := func(c string) string {
		if have[c] {
			return c
		}
		return ""
	}
	cols := &customer.CustomerColumns{
		Name: col("name"), GivenName: col("given_name"), FamilyName: col("family_name"), Kind: col("kind"), Locale: col("locale"),
		AddressLine1: col("address_line1"), City: col("city"), Region: col("region"), PostalCode: col("postal_code"), Country: col("country"),
		Tags: col("tags"), TagSeparator: ";", DefaultSource: "import:example",
	}
	for _, ic := range []customer.IdentityColumn{
		{Column: "external_id", Kind: customer.ExternalID, System: "example"},
		{Column: "email", Kind: customer.Email},
		{Column: "phone", Kind: customer.Phone},
	} {
		if have[ic.Column] {
			cols.Identities = append(cols.Identities, ic)
		}
	}
	if have["birth_date"] {
		cols.Attributes = map[string]string{"birth_date": "birth_date"}
	}
	return cols
}

// bar draws a progress bar of the bytes done.
func bar(w io.Writer, p customer.Progress, total int64) {
	const width = 40
	frac := 1.0
	if total > 0 {
		frac = min(float64(p.Bytes)/float64(total), 1)
	}
	n := int(frac * width)
	fmt.Fprintf(w, "\r[%s%s] %3.0f%% %6d rows  created %d, updated %d, skipped %d, failed %d",
		strings.Repeat("#", n), strings.Repeat(".", width-n), frac*100, p.Rows, p.Created, p.Updated, p.Skipped, p.Failed)
}

func printReport(rep *customer.ImportReport) {
	verb := ""
	if rep.DryRun {
		verb = "would be "
	}
	fmt.Printf("%d rows, %d bytes: %s%d created, %d updated, %d skipped (unchanged), %d failed\n",
		rep.Rows, rep.Bytes, verb, rep.Created, rep.Updated, rep.Skipped, rep.Failed)
	fmt.Printf("%d rows merged into a customer they matched, %d kept apart as possible duplicates, %d values flagged invalid\n\n",
		len(rep.Merges), len(rep.PossibleDuplicates), len(rep.Warnings))
	const show = 5
	if len(rep.Merges) > 0 {
		t := texttable.New("line", "customer", "matched on").Right(0)
		for _, m := range rep.Merges[:min(show, len(rep.Merges))] {
			t.Row(fmt.Sprint(m.Line), m.CustomerID.String(), m.Key.String())
		}
		t.Print("merges (the first few)")
	}
	if len(rep.PossibleDuplicates) > 0 {
		t := texttable.New("line", "key", "why not merged").Right(0)
		for _, d := range rep.PossibleDuplicates[:min(show, len(rep.PossibleDuplicates))] {
			t.Row(fmt.Sprint(d.Line), d.Key.String(), d.Reason)
		}
		t.Print("possible duplicates kept apart for review (the first few)")
	}
	if len(rep.Warnings) > 0 {
		t := texttable.New("line", "column", "value", "reason").Right(0)
		for _, w := range rep.Warnings[:min(show, len(rep.Warnings))] {
			t.Row(fmt.Sprint(w.Line), w.Column, w.Value, w.Reason)
		}
		t.Print("values flagged invalid (kept, never used to match or send; the first few)")
	}
	for _, e := range rep.Errors {
		fmt.Printf("  %v\n", e)
	}
}
