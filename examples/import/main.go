// Command import loads customers from a CSV file into kehu/crm with a
// progress bar, prints the import report, then scans the workspace for
// probable duplicates and prints their clusters.
//
//	go run ./examples/import                       # a generated sample, in a temporary database
//	go run ./examples/import -file customers.csv -db crm.db
//	go run ./examples/import -dry-run
//
// The file uses the columns customer.DefaultCustomerColumns maps, or these:
// name, given_name, family_name, email, phone, external_id, address_line1,
// city, country,
// tags (joined by ";"). Without -file it writes a sample of a few hundred
// customers in many scripts, some of them near-duplicates of others (a
// typo in the name, another email), and imports that. Running it twice on
// the same database creates nothing the second time.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/kehu/crm"
	"github.com/kehu/crm/customer"
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

	var data []byte
	if file == "" {
		data = sample(250)
		fmt.Fprintf(os.Stderr, "no -file given: importing a generated sample of %d bytes\n", len(data))
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
			DryRun:    dry,
			BatchSize: 100,
			Progress:  func(p customer.Progress) { bar(os.Stderr, p, total) },
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
	fmt.Printf("\n%d clusters of probable duplicates (%d pairs):\n", len(dups.Clusters), len(dups.Pairs))
	for i, cl := range dups.Clusters {
		fmt.Printf("cluster %d:\n", i+1)
		for _, id := range cl.IDs {
			c, err := ws.Customers.Get(ctx, id)
			if err != nil {
				return err
			}
			fmt.Printf("  %-28s %-32s %s\n", c.Name, c.Email(), c.Address.City)
		}
	}
	for _, p := range dups.Pairs {
		var why []string
		for _, f := range p.Fields {
			if f.Level >= 0 {
				why = append(why, fmt.Sprintf("%s %s (%+.1f)", f.Field, f.Agreement, f.Weight))
			}
		}
		fmt.Printf("pair p=%.3f: %s\n", p.Probability, strings.Join(why, ", "))
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
	return &customer.CustomerColumns{
		Name: "name", GivenName: "given_name", FamilyName: "family_name", AddressLine1: "address_line1", City: "city", Country: "country",
		Tags: "tags", TagSeparator: ";", DefaultSource: "import:example",
		Identities: []customer.IdentityColumn{
			{Column: "external_id", Kind: customer.ExternalID, System: "example"},
			{Column: "email", Kind: customer.Email},
			{Column: "phone", Kind: customer.Phone},
		},
	}
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
	for _, e := range rep.Errors {
		fmt.Printf("  %v\n", e)
	}
}

// sample returns a CSV file of n (at most 256) customers in many scripts; about one in
// eight is followed by a near-duplicate of itself.
func sample(n int) []byte {
	type script struct {
		given, family []string
		join          func(given, family string) string
		city, country string
		street        string
		phone         string // format of a local mobile number, "" for none
	}
	western := func(g, f string) string { return g + " " + f }
	eastern := func(g, f string) string { return f + g }
	scripts := []script{
		{[]string{"伟", "秀英", "娜", "敏", "静", "磊", "洋", "艳"}, []string{"张", "王", "李", "刘", "陈", "杨", "黄", "赵"}, eastern, "上海", "CN", "南京西路%d号", "138%04d%04d"},
		{[]string{"José", "María", "Lukas", "Sofia", "Jonas", "Lea"}, []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber"}, western, "München", "DE", "Leopoldstraße %d", ""},
		{[]string{"Анна", "Иван", "Ольга", "Дмитрий", "Мария"}, []string{"Петрова", "Иванов", "Смирнова", "Кузнецов", "Попова"}, western, "Москва", "RU", "ул. Тверская, %d", ""},
		{[]string{"花子", "太郎", "陽菜", "蓮", "結衣"}, []string{"佐藤", "鈴木", "高橋", "田中", "伊藤"}, eastern, "東京", "JP", "銀座%d丁目", ""},
		{[]string{"محمد", "فاطمة", "أحمد", "مريم"}, []string{"علي", "حسن", "إبراهيم", "محمود"}, western, "القاهرة", "EG", "شارع التحرير %d", ""},
		{[]string{"Zoë", "Seán", "Aoife", "Ciarán"}, []string{"O'Brien", "Murphy", "Kelly", "Walsh"}, western, "Dublin", "IE", "%d Grafton Street", ""},
		{[]string{"민준", "서연", "지호", "하은"}, []string{"김", "이", "박", "최"}, eastern, "서울", "KR", "세종대로 %d", ""},
		{[]string{"Αλέξανδρος", "Μαρία", "Γιώργος", "Ελένη"}, []string{"Παπαδόπουλος", "Παπαδοπούλου", "Νικολάου", "Γεωργίου"}, western, "Αθήνα", "GR", "Ερμού %d", ""},
		{[]string{"Priya", "Arjun", "Ananya", "Rahul"}, []string{"Sharma", "Patel", "Singh", "Gupta"}, western, "मुंबई", "IN", "%d Marine Drive", ""},
		{[]string{"François", "Chloé", "Théo", "Inès"}, []string{"Lefèvre", "Dubois", "Moreau", "Laurent"}, western, "Paris", "FR", "%d rue de Rivoli", ""},
		{[]string{"An", "Bình", "Hoa", "Minh"}, []string{"Nguyễn", "Trần", "Lê", "Phạm"}, func(g, f string) string { return f + " " + g }, "Hà Nội", "VN", "%d Phố Huế", ""},
	}
	r := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"external_id", "name", "given_name", "family_name", "email", "phone", "address_line1", "city", "country", "tags"})
	// Every person a distinct name, so that only the near-duplicates are
	// duplicates.
	type person struct {
		sc   *script
		g, f string
	}
	var people []person
	for i := range scripts {
		for _, g := range scripts[i].given {
			for _, f := range scripts[i].family {
				people = append(people, person{&scripts[i], g, f})
			}
		}
	}
	r.Shuffle(len(people), func(i, j int) { people[i], people[j] = people[j], people[i] })
	for i := 0; i < min(n, len(people)); i++ {
		sc, g, f := people[i].sc, people[i].g, people[i].f
		full := sc.join(g, f)
		street := fmt.Sprintf(sc.street, 1+r.IntN(400))
		phone := ""
		if sc.phone != "" {
			phone = fmt.Sprintf(sc.phone, 1000+i, r.IntN(10000))
		}
		email := fmt.Sprintf("customer%d@example.com", i)
		tags := []string{"imported", []string{"retail", "wholesale", "online"}[r.IntN(3)]}
		w.Write([]string{fmt.Sprintf("C%04d", i), full, g, f, email, phone, street, sc.city, sc.country, strings.Join(tags, ";")})
		if r.IntN(8) == 0 {
			// A near-duplicate: the same person typed again with a typo and
			// another email, from another system (no external id).
			typo := []rune(g)
			if len(typo) > 1 {
				k := r.IntN(len(typo) - 1)
				typo[k], typo[k+1] = typo[k+1], typo[k]
			} else {
				typo = append(typo, typo[0])
			}
			dg := string(typo)
			w.Write([]string{"", sc.join(dg, f), dg, f, fmt.Sprintf("c%d.dup@example.org", i), "", street, sc.city, sc.country, "imported"})
		}
	}
	w.Flush()
	return buf.Bytes()
}
