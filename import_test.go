package crm_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
)

// importCSV is a customer file in the default export columns, with a custom
// attribute and customers in several scripts.
func importCSV(n int) string {
	var b strings.Builder
	b.WriteString("name,given_name,family_name,stage,country,city,tags,identities,attr.tier\n")
	names := []string{"张伟", "José Müller", "Анна Петрова", "佐藤 花子", "محمد علي", "Zoë O'Brien"}
	for i := 0; i < n; i++ {
		tier := []string{"gold", "silver", ""}[i%3]
		fmt.Fprintf(&b, "%s %d,,,customer,CN,Shanghai,vip;batch%d,\"[{\"\"kind\"\":\"\"email\"\",\"\"value\"\":\"\"user%d@example.com\"\"},{\"\"kind\"\":\"\"external\"\",\"\"system\"\":\"\"shop\"\",\"\"value\"\":\"\"S%05d\"\"}]\",%s\n",
			names[i%len(names)], i, i%4, i, i, tier)
	}
	return b.String()
}

func importDefineTier(t testing.TB, ctx context.Context, ws *crm.Workspace) {
	_, err := ws.Customers.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold", "silver"}})
	require.NoError(t, err)
}

func TestImportCustomers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		importDefineTier(t, ctx, ws)
		file := importCSV(120)

		// Dry run: the report of a real run, nothing written.
		var progress []customer.Progress
		dry, err := ws.Customers.ImportCustomers(ctx, strings.NewReader(file), customer.CustomerImport{
			ImportOptions: customer.ImportOptions{DryRun: true, BatchSize: 50, Progress: func(p customer.Progress) { progress = append(progress, p) }}})
		require.NoError(t, err)
		require.True(t, dry.DryRun)
		require.Equal(t, 120, dry.Rows)
		require.Equal(t, customer.ImportCounts{Created: 120}, dry.ImportCounts)
		require.Len(t, progress, 3)
		require.Equal(t, 120, progress[2].Rows)
		require.Equal(t, int64(len(file)), progress[2].Bytes)
		n, err := ws.Customers.Count(ctx, customer.Filter{})
		require.NoError(t, err)
		require.Zero(t, n)

		// The real run.
		rep, err := ws.Customers.ImportCustomers(ctx, strings.NewReader(file), customer.CustomerImport{ImportOptions: customer.ImportOptions{BatchSize: 50}})
		require.NoError(t, err)
		require.Equal(t, dry.ImportCounts, rep.ImportCounts)
		require.Equal(t, int64(len(file)), rep.Bytes)
		n, err = ws.Customers.Count(ctx, customer.Filter{})
		require.NoError(t, err)
		require.Equal(t, 120, n)
		c, err := ws.Customers.ByExternalID(ctx, "shop", "S00007")
		require.NoError(t, err)
		require.Equal(t, "José Müller 7", c.Name)
		require.Equal(t, "user7@example.com", c.Email())
		require.Equal(t, []string{"batch3", "vip"}, c.Tags)
		require.Equal(t, "silver", c.Attributes["tier"])
		require.Equal(t, customer.StageCustomer, c.Stage)
		require.Equal(t, "CN", c.Address.Country)

		// A second run creates nothing: every row is unchanged.
		again, err := ws.Customers.ImportCustomers(ctx, strings.NewReader(file), customer.CustomerImport{})
		require.NoError(t, err)
		require.Equal(t, customer.ImportCounts{Skipped: 120}, again.ImportCounts)

		// A changed file updates with the version read; matching by email
		// alone adds the new external id.
		changed := "name,tags,identities\n" +
			"Sato Hanako,,\"[{\"\"kind\"\":\"\"external\"\",\"\"system\"\":\"\"shop\"\",\"\"value\"\":\"\"S00007\"\"}]\"\n" +
			"Анна Петрова 2,,\"[{\"\"kind\"\":\"\"email\"\",\"\"value\"\":\"\"USER2@example.com\"\"},{\"\"kind\"\":\"\"external\"\",\"\"system\"\":\"\"crm2\"\",\"\"value\"\":\"\"A2\"\"}]\"\n"
		// (Overwrite: by default a stored name is never replaced.)
		upd, err := ws.Customers.ImportCustomers(ctx, strings.NewReader(changed), customer.CustomerImport{Overwrite: true})
		require.NoError(t, err)
		require.Equal(t, customer.ImportCounts{Updated: 2}, upd.ImportCounts)
		c2, err := ws.Customers.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "Sato Hanako", c2.Name)
		require.Equal(t, c.Version+1, c2.Version)
		require.Equal(t, c.Tags, c2.Tags, "an empty cell leaves the value")
		a, err := ws.Customers.ByExternalID(ctx, "crm2", "A2")
		require.NoError(t, err)
		require.Equal(t, "user2@example.com", a.Email())
		n, err = ws.Customers.Count(ctx, customer.Filter{})
		require.NoError(t, err)
		require.Equal(t, 120, n)
	})
}

func TestImportBadRows(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		importDefineTier(t, ctx, ws)
		cols := &customer.CustomerColumns{
			Name: "name", Stage: "stage", Country: "country", Tags: "tags", TagSeparator: "|",
			Identities: []customer.IdentityColumn{{Column: "email", Kind: customer.Email}, {Column: "phone", Kind: customer.Phone}},
			Attributes: map[string]string{"tier": "tier"},
		}
		file := "name,email,phone,stage,country,tags,tier\n" +
			"Good One,one@example.com,+8613800138000,lead,CN,a|b,gold\n" + // line 2
			",nobody@example.com,,,,,\n" + // 3: no name
			"Bad Mail,not-an-email,,,,,\n" + // 4
			"Bad Stage,st@example.com,,sleeping,,,\n" + // 5
			"Bad Tier,tier@example.com,,,,,platinum\n" + // 6
			"\"Bad \"quote\",q@example.com,,,,,\n" + // 7: bare quote
			"Too,few\n" + // 8: two fields
			"Bad \xff UTF8,u@example.com,,,,,\n" + // 9
			"Huge," + strings.Repeat("x", 70<<10) + "@example.com,,,,,\n" + // 10: over MaxFieldBytes
			"Taken Phone,two@example.com,+86 138 0013 8000,,,,\n" + // 11: Good One's phone, another name: a possible duplicate
			"Bad Country,c@example.com,,,XX,,\n" + // 12
			"Good Two,two2@example.com,,customer,,,silver\n" // 13
		want := map[int]string{3: "name", 4: "identities[0].value", 5: "stage", 6: "attributes.tier", 7: "", 8: "", 9: "name", 10: "identities", 12: "address.country"}
		wantCol := map[int]string{3: "name", 4: "email", 5: "stage", 6: "tier", 9: "name", 10: "email", 12: "country"}

		check := func(rep *customer.ImportReport) {
			t.Helper()
			got := map[int]string{}
			gotCol := map[int]string{}
			for _, e := range rep.Errors {
				require.NotEmpty(t, e.Reason)
				got[e.Line], gotCol[e.Line] = e.Field, e.Column
			}
			require.Equal(t, want, got, "%v", rep.Errors)
			for l, c := range wantCol {
				require.Equal(t, c, gotCol[l], "line %d", l)
			}
			require.Equal(t, 12, rep.Rows)
			require.Equal(t, len(want), rep.Failed)
		}
		// Invalid values rejected (not kept flagged, the default), phones matched too.
		strict := customer.CustomerImport{Columns: cols, Invalid: customer.InvalidReject,
			MatchOn: []customer.IdentityKind{customer.Email, customer.Phone}}

		// All or nothing: nothing is written and the report still says why.
		strict.ImportOptions = customer.ImportOptions{AllOrNothing: true, BatchSize: 4}
		rep, err := ws.Customers.ImportCustomers(ctx, strings.NewReader(file), strict)
		require.ErrorIs(t, err, crm.ErrInvalid)
		check(rep)
		n, err := ws.Customers.Count(ctx, customer.Filter{})
		require.NoError(t, err)
		require.Zero(t, n)
		pd, err := ws.Customers.PossibleDuplicates(ctx, customer.PossibleDuplicateParams{})
		require.NoError(t, err)
		require.Empty(t, pd.Items)

		// By default the good rows load.
		strict.ImportOptions = customer.ImportOptions{BatchSize: 4}
		rep, err = ws.Customers.ImportCustomers(ctx, strings.NewReader(file), strict)
		require.NoError(t, err)
		check(rep)
		require.Equal(t, 3, rep.Created, "line 11 shares a phone with another name: created, not merged")
		require.Zero(t, rep.Updated)
		require.Len(t, rep.PossibleDuplicates, 1)
		require.Equal(t, 11, rep.PossibleDuplicates[0].Line)
		n, err = ws.Customers.Count(ctx, customer.Filter{})
		require.NoError(t, err)
		require.Equal(t, 3, n)
		one, err := ws.Customers.ByEmail(ctx, "one@example.com")
		require.NoError(t, err)
		require.Equal(t, "Good One", one.Name)
		taken, err := ws.Customers.ByEmail(ctx, "two@example.com")
		require.NoError(t, err)
		require.Equal(t, "Taken Phone", taken.Name)
		require.Equal(t, "+8613800138000", taken.Phone())
		require.Equal(t, []crmtype.ID{one.ID}, rep.PossibleDuplicates[0].OtherIDs)

		// A row whose email and phone two customers hold: the email (first
		// in MatchOn) decides, and the phone is shared.
		rep, err = ws.Customers.ImportCustomers(ctx, strings.NewReader("name,email,phone,stage,country,tags,tier\nGood Two,two2@example.com,+8613800138000,,,,\n"), strict)
		require.NoError(t, err)
		require.Equal(t, 1, rep.Updated, "%+v", rep)
		two, err := ws.Customers.ByEmail(ctx, "two2@example.com")
		require.NoError(t, err)
		require.Equal(t, []customer.ImportMerge{{Line: 2, CustomerID: two.ID, Key: customer.IdentityKey{Kind: customer.Email, Value: "two2@example.com"}}}, rep.Merges)
		holders, err := ws.Customers.Holders(ctx, customer.IdentityParams{Kind: customer.Phone, Value: "+8613800138000"})
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{one.ID, taken.ID, two.ID}, custIDs(holders))

		// File-level errors.
		_, err = ws.Customers.ImportCustomers(ctx, strings.NewReader("name,email\nx,y\n"), customer.CustomerImport{Columns: cols})
		require.ErrorIs(t, err, crm.ErrInvalid) // mapped columns missing
		_, err = ws.Customers.ImportCustomers(ctx, strings.NewReader("name,name\n"), customer.CustomerImport{})
		require.ErrorIs(t, err, crm.ErrInvalid) // duplicate header
		_, err = ws.Customers.ImportCustomers(ctx, strings.NewReader("name\n"+strings.Repeat("y", 2<<20)+"\n"), customer.CustomerImport{})
		require.ErrorIs(t, err, crm.ErrInvalid) // record over MaxRecordBytes
		_, err = ws.Customers.ImportCustomers(ctx, strings.NewReader("name\n\"unterminated\n"+strings.Repeat("line\n", 1<<18)), customer.CustomerImport{})
		require.ErrorIs(t, err, crm.ErrInvalid) // an unterminated quote swallows the file
	})
}

func TestImportCancelAndRerun(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		importDefineTier(t, context.Background(), ws)
		file := importCSV(300)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rep, err := ws.Customers.ImportCustomers(ctx, strings.NewReader(file), customer.CustomerImport{ImportOptions: customer.ImportOptions{
			BatchSize: 40,
			Progress: func(p customer.Progress) {
				if p.Rows >= 80 {
					cancel()
				}
			},
		}})
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, 80, rep.Rows)
		require.Equal(t, 80, rep.Created)
		bg := context.Background()
		n, err := ws.Customers.Count(bg, customer.Filter{})
		require.NoError(t, err)
		require.Equal(t, 80, n, "every finished batch is committed")

		rep, err = ws.Customers.ImportCustomers(bg, strings.NewReader(file), customer.CustomerImport{ImportOptions: customer.ImportOptions{BatchSize: 40}})
		require.NoError(t, err)
		require.Equal(t, customer.ImportCounts{Created: 220, Skipped: 80}, rep.ImportCounts)
		n, err = ws.Customers.Count(bg, customer.Filter{})
		require.NoError(t, err)
		require.Equal(t, 300, n)
		c, err := ws.Customers.ByEmail(bg, "user299@example.com")
		require.NoError(t, err)
		require.Equal(t, "Zoë O'Brien 299", c.Name)
	})
}

// cancelReader cancels its context once it has given n bytes.
type cancelReader struct {
	r      *strings.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	k, err := c.r.Read(p[:min(len(p), 512)])
	c.n -= k
	return k, err
}

func TestImportCancelMidBatch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		bg := context.Background()
		importDefineTier(t, bg, ws)
		file := importCSV(300)
		ctx, cancel := context.WithCancel(bg)
		defer cancel()
		// Cancelled while the reader is half-way through a batch of 64 rows.
		rep, err := ws.Customers.ImportCustomers(ctx, &cancelReader{r: strings.NewReader(file), n: len(file) / 2, cancel: cancel},
			customer.CustomerImport{ImportOptions: customer.ImportOptions{BatchSize: 64}})
		require.ErrorIs(t, err, context.Canceled)
		require.Zero(t, rep.Rows%64, "only whole batches are done")
		n, err := ws.Customers.Count(bg, customer.Filter{})
		require.NoError(t, err)
		require.Equal(t, rep.Created, n)
		require.Positive(t, n)
		require.Less(t, n, 300)

		rep2, err := ws.Customers.ImportCustomers(bg, strings.NewReader(file), customer.CustomerImport{ImportOptions: customer.ImportOptions{BatchSize: 64}})
		require.NoError(t, err)
		require.Equal(t, customer.ImportCounts{Created: 300 - n, Skipped: n}, rep2.ImportCounts)
		n, err = ws.Customers.Count(bg, customer.Filter{})
		require.NoError(t, err)
		require.Equal(t, 300, n)
	})
}

// importedData is what an export carries of a customer, for comparison.
func importedData(c *customer.Customer) string {
	ids := make([]string, len(c.Identities))
	for i, id := range c.Identities {
		ids[i] = fmt.Sprintf("%s|%s|%s|%s|%s", id.Kind, id.System, id.Value, id.Raw, id.Label)
	}
	sort.Strings(ids)
	keys := make([]string, 0, len(c.Attributes))
	for k := range c.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]string, len(keys))
	for i, k := range keys {
		attrs[i] = fmt.Sprintf("%s=%#v", k, c.Attributes[k])
	}
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%+v|%s|%s|%q|%q|%q", c.Kind, c.Name, c.GivenName, c.FamilyName, c.Stage, c.Locale, c.TimeZone,
		c.Address, c.Source, c.OwnerID, c.Tags, ids, attrs)
}

func importedCustomers(t *testing.T, ctx context.Context, ws *crm.Workspace) []string {
	var out []string
	p := customer.ListParams{Limit: crmtype.MaxPageSize}
	for {
		page, err := ws.Customers.List(ctx, p)
		require.NoError(t, err)
		for _, c := range page.Items {
			out = append(out, importedData(c))
		}
		if page.Next == "" {
			break
		}
		p.After = page.Next
	}
	return out
}

func TestImportExportRoundTrip(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		src := client.Workspace("src")
		defs := []customer.AttributeDef{
			{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold", "silver"}},
			{Key: "score", Type: customer.TypeNumber}, {Key: "vip", Type: customer.TypeBool},
			{Key: "birthday", Type: customer.TypeDate}, {Key: "note", Type: customer.TypeString},
		}
		var ps []customer.CreateParams
		for i := 0; i < 30; i++ {
			p := customer.CreateParams{
				Name: fmt.Sprintf("Kunde, \"%d\" 客户", i), GivenName: "Given", FamilyName: "Family",
				Stage: customer.Stages[i%len(customer.Stages)], Locale: "zh-Hans-CN", TimeZone: "Asia/Shanghai",
				Address: customer.Address{Line1: "1 Road; x", Line2: "Apt \"2\"", City: "上海", Region: "SH", PostalCode: "200000", Country: "CN"},
				Source:  "web", OwnerID: "user:1", Tags: []string{"a b", fmt.Sprintf("t%d", i%3)},
				Attributes: map[string]any{"tier": "gold", "score": 0.1 * float64(i), "vip": i%2 == 0, "birthday": "1990-01-02", "note": "line one\nline two, \"quoted\""},
				Identities: []customer.IdentityParams{
					{Kind: customer.Email, Value: fmt.Sprintf("Kunde %d <KUNDE%d@Example.com>", i, i), Label: "work"},
					{Kind: customer.Phone, Value: fmt.Sprintf("+86 138 0013 %04d", i)},
					{Kind: customer.ExternalID, System: "erp", Value: fmt.Sprintf("E-%d", i)},
				},
			}
			if i%5 == 0 {
				p = customer.CreateParams{Kind: customer.Company, Name: fmt.Sprintf("公司 %d", i)}
			}
			ps = append(ps, p)
		}
		for _, ws := range []*crm.Workspace{src, client.Workspace("csv"), client.Workspace("jsonl")} {
			for _, d := range defs {
				_, err := ws.Customers.DefineAttribute(ctx, d)
				require.NoError(t, err)
			}
		}
		_, err := src.Customers.CreateMany(ctx, ps)
		require.NoError(t, err)
		want := importedCustomers(t, ctx, src)
		require.Len(t, want, 30)

		for _, f := range []struct {
			ws     string
			format customer.Format
		}{{"csv", customer.CSV}, {"jsonl", customer.JSONLines}} {
			var buf bytes.Buffer
			n, err := src.Customers.ExportCustomers(ctx, &buf, customer.ExportOptions{Format: f.format, PageSize: 7})
			require.NoError(t, err)
			require.Equal(t, 30, n)
			dst := client.Workspace(f.ws)
			rep, err := dst.Customers.ImportCustomers(ctx, bytes.NewReader(buf.Bytes()), customer.CustomerImport{ImportOptions: customer.ImportOptions{Format: f.format}})
			require.NoError(t, err, "%v", rep.Errors)
			require.Equal(t, customer.ImportCounts{Created: 30}, rep.ImportCounts, "%v", rep.Errors)
			require.Equal(t, want, importedCustomers(t, ctx, dst), f.ws)
			// Importing the export again changes nothing.
			rep, err = dst.Customers.ImportCustomers(ctx, bytes.NewReader(buf.Bytes()), customer.CustomerImport{ImportOptions: customer.ImportOptions{Format: f.format}})
			require.NoError(t, err)
			require.Equal(t, customer.ImportCounts{Skipped: 24, Created: 6}, rep.ImportCounts, "companies have no identity to match: %v", rep.Errors)
		}
	})
}

// cdnowColumns maps CDNOW_sample.txt onto purchases.
var cdnowColumns = &customer.PurchaseColumns{
	CustomerExternalID: "customer", CustomerSystem: "cdnow", CreateCustomers: true, DefaultSource: "import:cdnow",
	OccurredAt: "date", TimeLayout: "20060102", Amount: "dollars", DefaultCurrency: "USD", Quantity: "cds",
	OrderIDPrefix: "cdnow-sample:",
}

func TestImportPurchasesCDNOW(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("cdnow")
		cfg := customer.PurchaseImport{Columns: cdnowColumns, ImportOptions: customer.ImportOptions{
			Format: customer.Fields, Header: []string{"master", "customer", "date", "cds", "dollars"}}}
		open := func() *os.File {
			f, err := os.Open("../shared/data/cdnow/CDNOW_sample.txt")
			require.NoError(t, err)
			t.Cleanup(func() { f.Close() })
			return f
		}
		rep, err := ws.Customers.ImportPurchases(ctx, open(), cfg)
		require.NoError(t, err, "%v", rep.Errors)
		require.Equal(t, customer.ImportCounts{Created: 6919, CustomersCreated: 2357}, rep.ImportCounts)
		n, err := ws.Customers.Count(ctx, customer.Filter{})
		require.NoError(t, err)
		require.Equal(t, 2357, n)
		c, err := ws.Customers.ByExternalID(ctx, "cdnow", "0001")
		require.NoError(t, err)
		st, err := ws.Customers.PurchaseStats(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, 4, st.Count)
		var total int64
		var count int
		p := customer.ListParams{Limit: crmtype.MaxPageSize}
		for {
			page, err := ws.Customers.List(ctx, p)
			require.NoError(t, err)
			for _, c := range page.Items {
				st, err := ws.Customers.PurchaseStats(ctx, c.ID)
				require.NoError(t, err)
				count += st.Count
				total += st.Totals[0].Minor
			}
			if page.Next == "" {
				break
			}
			p.After = page.Next
		}
		require.Equal(t, 6919, count)
		require.Equal(t, int64(24409194), total) // sum of the dollar column, in cents

		// A rerun adds nothing.
		rep, err = ws.Customers.ImportPurchases(ctx, open(), cfg)
		require.NoError(t, err)
		require.Equal(t, customer.ImportCounts{Skipped: 6919}, rep.ImportCounts)

		// Export, then import into another workspace by email-less external
		// ids is not possible: the export names customers by email. Check
		// the export's size instead.
		var buf bytes.Buffer
		n, err = ws.Customers.ExportPurchases(ctx, &buf, customer.ExportOptions{Format: customer.JSONLines})
		require.NoError(t, err)
		require.Equal(t, 6919, n)
		require.Equal(t, 6919, bytes.Count(buf.Bytes(), []byte("\n")))
	})
}

func TestImportPurchasesRoundTrip(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		src, dst := client.Workspace("src"), client.Workspace("dst")
		csvFile := importCSV(10)
		for _, ws := range []*crm.Workspace{src, dst} {
			importDefineTier(t, ctx, ws)
			_, err := ws.Customers.ImportCustomers(ctx, strings.NewReader(csvFile), customer.CustomerImport{})
			require.NoError(t, err)
		}
		c, err := src.Customers.ByEmail(ctx, "user3@example.com")
		require.NoError(t, err)
		for i := 0; i < 5; i++ {
			_, err := src.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: clock.Now().AddDate(0, 0, -i),
				Amount: crmtype.Money{Minor: int64(100 * i), Currency: []string{"USD", "JPY"}[i%2]}, Quantity: int64(i), OrderID: fmt.Sprintf("o%d", i), Channel: "web"})
			require.NoError(t, err)
		}
		var buf bytes.Buffer
		_, err = src.Customers.ExportPurchases(ctx, &buf, customer.ExportOptions{})
		require.NoError(t, err)
		rep, err := dst.Customers.ImportPurchases(ctx, bytes.NewReader(buf.Bytes()), customer.PurchaseImport{})
		require.NoError(t, err, "%v", rep.Errors)
		require.Equal(t, customer.ImportCounts{Created: 5}, rep.ImportCounts)
		d, err := dst.Customers.ByEmail(ctx, "user3@example.com")
		require.NoError(t, err)
		a, err := src.Customers.Purchases(ctx, c.ID, customer.PurchaseListParams{Limit: 10})
		require.NoError(t, err)
		b, err := dst.Customers.Purchases(ctx, d.ID, customer.PurchaseListParams{Limit: 10})
		require.NoError(t, err)
		require.Len(t, b.Items, 5)
		for i := range a.Items {
			x, y := *a.Items[i], *b.Items[i]
			x.ID, y.ID, x.CustomerID, y.CustomerID, x.CreatedAt = crmtype.ID{}, crmtype.ID{}, crmtype.ID{}, crmtype.ID{}, y.CreatedAt
			require.Equal(t, x, y)
		}
		// Bad purchase rows are reported.
		bad := "customer_email,occurred_at,amount_minor,currency,order_id\n" +
			"nobody@example.com,2026-01-01T00:00:00Z,1,USD,\n" +
			"user3@example.com,yesterday,1,USD,\n" +
			"user3@example.com,2026-01-01T00:00:00Z,-1,USD,\n" +
			"user3@example.com,2026-01-01T00:00:00Z,1,XYZ,\n" +
			"user3@example.com,2026-01-01T00:00:00Z,1,USD,o1\n"
		rep, err = dst.Customers.ImportPurchases(ctx, strings.NewReader(bad), customer.PurchaseImport{})
		require.NoError(t, err)
		require.Equal(t, customer.ImportCounts{Failed: 4, Skipped: 1}, rep.ImportCounts)
		fields := []string{}
		for _, e := range rep.Errors {
			fields = append(fields, fmt.Sprintf("%d:%s", e.Line, e.Field))
		}
		require.Equal(t, []string{"2:customer", "3:occurred_at", "4:amount.minor", "5:amount.currency"}, fields)
	})
}

// BenchmarkImportCSV imports 20,000 customers from CSV into SQLite, beside
// the raw CreateMany of the same customers in batches of 500, and measures
// a rerun of the same file (every row matched and skipped).
//
//	go test -run '^$' -bench ImportCSV -benchtime 1x -count 3 .
func BenchmarkImportCSV(b *testing.B) {
	const rows = 20000
	file := importCSV(rows)
	b.Run("ImportCustomers", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			db := dbtest.Open(b, dbtest.SQLite)
			client, err := crm.New(db, nil)
			require.NoError(b, err)
			ws := client.Workspace("bench")
			importDefineTier(b, context.Background(), ws)
			b.StartTimer()
			rep, err := ws.Customers.ImportCustomers(context.Background(), strings.NewReader(file), customer.CustomerImport{})
			if err != nil || rep.Created != rows {
				b.Fatal(err, rep.ImportCounts)
			}
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("Rerun", func(b *testing.B) { // every row matches and is skipped
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			db := dbtest.Open(b, dbtest.SQLite)
			client, err := crm.New(db, nil)
			require.NoError(b, err)
			ws := client.Workspace("bench")
			importDefineTier(b, context.Background(), ws)
			_, err = ws.Customers.ImportCustomers(context.Background(), strings.NewReader(file), customer.CustomerImport{})
			require.NoError(b, err)
			b.StartTimer()
			rep, err := ws.Customers.ImportCustomers(context.Background(), strings.NewReader(file), customer.CustomerImport{})
			if err != nil || rep.Skipped != rows {
				b.Fatal(err, rep.ImportCounts)
			}
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("CreateMany", func(b *testing.B) {
		ps := make([]customer.CreateParams, rows)
		names := []string{"张伟", "José Müller", "Анна Петрова", "佐藤 花子", "محمد علي", "Zoë O'Brien"}
		for i := range ps {
			ps[i] = customer.CreateParams{Name: fmt.Sprintf("%s %d", names[i%len(names)], i), Stage: customer.StageCustomer,
				Address: customer.Address{Country: "CN", City: "Shanghai"}, Tags: []string{"vip", fmt.Sprintf("batch%d", i%4)},
				Identities: []customer.IdentityParams{{Kind: customer.Email, Value: fmt.Sprintf("user%d@example.com", i)}, {Kind: customer.ExternalID, System: "shop", Value: fmt.Sprintf("S%05d", i)}}}
			if t := []string{"gold", "silver", ""}[i%3]; t != "" {
				ps[i].Attributes = map[string]any{"tier": t}
			}
		}
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			db := dbtest.Open(b, dbtest.SQLite)
			client, err := crm.New(db, nil)
			require.NoError(b, err)
			ws := client.Workspace("bench")
			importDefineTier(b, context.Background(), ws)
			b.StartTimer()
			for j := 0; j < rows; j += 500 {
				if _, err := ws.Customers.CreateMany(context.Background(), ps[j:j+500]); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
