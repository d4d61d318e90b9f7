package customer_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

// memStore is an in-memory customer.Store with the methods an import uses;
// any other method panics (the embedded interface is nil). Transactions do
// not roll back.
type memStore struct {
	customer.Store
	customers map[crmtype.ID]*customer.Customer
	owners    map[string][]crmtype.ID
	orders    map[string]bool
	purchases int
	pairs     []customer.PossibleDuplicate
}

func newMemStore() *memStore {
	return &memStore{customers: map[crmtype.ID]*customer.Customer{}, owners: map[string][]crmtype.ID{}, orders: map[string]bool{}}
}

func memKey(k customer.IdentityKind, system, value string) string {
	return string(k) + "\x00" + system + "\x00" + value
}

func (m *memStore) InTx(ctx context.Context, fn func(ctx context.Context, tx customer.Store) error) error {
	return fn(ctx, m)
}
func (m *memStore) DefaultRegion(context.Context, crmtype.Scope) (string, error) { return "CN", nil }
func (m *memStore) AttributeDefs(context.Context, crmtype.Scope) ([]customer.AttributeDef, error) {
	return []customer.AttributeDef{{Key: "score", Type: customer.TypeNumber}, {Key: "vip", Type: customer.TypeBool}}, nil
}

func (m *memStore) IdentityHolders(_ context.Context, _ crmtype.Scope, keys []customer.IdentityKey) (map[customer.IdentityKey][]*customer.Customer, error) {
	out := map[customer.IdentityKey][]*customer.Customer{}
	for _, k := range keys {
		for _, id := range m.owners[memKey(k.Kind, k.System, k.Value)] {
			c := *m.customers[id]
			out[k] = append(out[k], &c)
		}
	}
	return out, nil
}

func (m *memStore) takeIdentities(cs []*customer.Customer) error {
	seen := map[string]bool{}
	for _, c := range cs {
		for _, id := range c.Identities {
			k := memKey(id.Kind, id.System, id.Value)
			if id.Kind == customer.ExternalID && (len(m.owners[k]) > 0 || seen[k]) {
				return &crmtype.ConflictError{Resource: "identity", Field: string(id.Kind), Value: id.Value}
			}
			seen[k] = true
		}
	}
	return nil
}

func (m *memStore) InsertCustomers(_ context.Context, _ crmtype.Scope, cs []*customer.Customer) error {
	if err := m.takeIdentities(cs); err != nil {
		return err
	}
	for _, c := range cs {
		cc := *c
		m.customers[c.ID] = &cc
		for _, id := range c.Identities {
			if id.Invalid == "" {
				k := memKey(id.Kind, id.System, id.Value)
				m.owners[k] = append(m.owners[k], c.ID)
			}
		}
	}
	return nil
}

func (m *memStore) UpdateCustomers(_ context.Context, _ crmtype.Scope, cs []customer.CustomerChange) error {
	for _, ch := range cs {
		cur, ok := m.customers[ch.Before.ID]
		if !ok {
			return crmtype.ErrNotFound
		}
		if cur.Version != ch.Before.Version {
			return &crmtype.ConflictError{Resource: "customer", Field: "version"}
		}
		c := &customer.Customer{Identities: ch.Added}
		if err := m.takeIdentities([]*customer.Customer{c}); err != nil {
			return err
		}
	}
	for _, ch := range cs {
		c := *ch.After
		c.Version = ch.Before.Version + 1
		m.customers[c.ID] = &c
		for _, id := range ch.Added {
			if id.Invalid == "" {
				k := memKey(id.Kind, id.System, id.Value)
				m.owners[k] = append(m.owners[k], c.ID)
			}
		}
	}
	return nil
}

func (m *memStore) SaveImport(ctx context.Context, sc crmtype.Scope, creates []*customer.Customer, changes []customer.CustomerChange, pairs []customer.PossibleDuplicate) error {
	if err := m.takeIdentities(creates); err != nil {
		return err
	}
	for _, ch := range changes {
		if err := m.takeIdentities([]*customer.Customer{{Identities: ch.Added}}); err != nil {
			return err
		}
	}
	if err := m.InsertCustomers(ctx, sc, creates); err != nil {
		return err
	}
	if err := m.UpdateCustomers(ctx, sc, changes); err != nil {
		return err
	}
	return m.InsertPossibleDuplicates(ctx, sc, pairs)
}

func (m *memStore) AnalyzeCustomers(context.Context, crmtype.Scope) error { return nil }

func (m *memStore) InsertPossibleDuplicates(_ context.Context, _ crmtype.Scope, ds []customer.PossibleDuplicate) error {
	m.pairs = append(m.pairs, ds...)
	return nil
}

func (m *memStore) InsertPurchases(_ context.Context, _ crmtype.Scope, ps []*customer.Purchase) error {
	for _, p := range ps {
		if _, ok := m.customers[p.CustomerID]; !ok {
			return crmtype.ErrNotFound
		}
		if p.OrderID != "" && m.orders[p.OrderID] {
			return &crmtype.ConflictError{Resource: "purchase", Field: "order_id", Value: p.OrderID}
		}
	}
	for _, p := range ps {
		m.orders[p.OrderID] = p.OrderID != ""
		m.purchases++
	}
	return nil
}

var testColumns = &customer.CustomerColumns{
	Name: "name", Kind: "kind", Stage: "stage", Country: "country", Tags: "tags",
	Identities: []customer.IdentityColumn{{Column: "email", Kind: customer.Email}, {Column: "phone", Kind: customer.Phone}, {Column: "ext", Kind: customer.ExternalID, System: "shop"}},
	Attributes: map[string]string{"score": "score", "vip": "vip"},
}

const testHeader = "name,kind,stage,country,tags,email,phone,ext,score,vip\n"

func importMem(t testing.TB, m *memStore, file string, opt customer.ImportOptions) (*customer.ImportReport, error) {
	svc := customer.NewService(m, "acme", crmtype.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	return svc.ImportCustomers(context.Background(), strings.NewReader(file), customer.CustomerImport{Columns: testColumns, ImportOptions: opt})
}

func TestImportMalformed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		row   string
		line  int
		field string
	}{
		{"bare quote", "a\"b,,,,,,,,,\n", 2, ""},
		{"too few columns", "a,b\n", 2, ""},
		{"too many columns", "a,,,,,,,,,,,\n", 2, ""},
		{"invalid UTF-8", "\xffname,,,,,,,,,\n", 2, "name"},
		{"huge field", strings.Repeat("n", 70<<10) + ",,,,,,,,,\n", 2, "name"},
		{"bad number", "n,,,,,,,,x1,\n", 2, "attributes.score"},
		{"bad bool", "n,,,,,,,,,perhaps\n", 2, "attributes.vip"},
		{"bad kind", "n,robot,,,,,,,,\n", 2, "kind"},
		{"no name", ",,,,,a@b.cn,,,,\n", 2, "name"},
		{"control char", "n\x01,,,,,,,,,\n", 2, "name"},
		{"multi-line name", "\"n\nm\",,,,,,,,,\n", 2, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemStore()
			rep, err := importMem(t, m, testHeader+tc.row+"good,,,,,good@example.cn,,,1.5,true\n", customer.ImportOptions{})
			require.NoError(t, err)
			require.Equal(t, 1, rep.Failed, "%v", rep.Errors)
			require.Equal(t, 1, rep.Created, "the good row still loads")
			require.Len(t, rep.Errors, 1)
			require.Equal(t, tc.line, rep.Errors[0].Line)
			require.Equal(t, tc.field, rep.Errors[0].Field)
			require.NotEmpty(t, rep.Errors[0].Reason)
			require.Contains(t, rep.Errors[0].Error(), "line 2")
		})
	}
}

func TestImportFileErrors(t *testing.T) {
	for name, file := range map[string]string{
		"empty":            "",
		"missing column":   "name,kind\n",
		"duplicate header": strings.Replace(testHeader, "kind", "name", 1),
		"record too long":  testHeader + "\"" + strings.Repeat("x\n", 600<<10) + "\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := importMem(t, newMemStore(), file, customer.ImportOptions{})
			require.ErrorIs(t, err, crmtype.ErrInvalid)
		})
	}
	// More rejected rows than MaxErrors stop the import.
	rep, err := importMem(t, newMemStore(), testHeader+strings.Repeat(",,,,,,,,,\n", 30), customer.ImportOptions{MaxErrors: 5, BatchSize: 10})
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	require.Len(t, rep.Errors, 5)
}

func TestImportJSONLines(t *testing.T) {
	m := newMemStore()
	svc := customer.NewService(m, "acme", nil)
	file := `{"name":"张三","email":"ZS@example.cn","score":3.25,"vip":true,"tags":["a","b"]}
{"name":"Bad","email":"x@example.cn","score":"many"}

not json
{"name":"Ivan","phone":"138 0013 8000","ext":42}
["an","array"]
` + "{\"name\":\"\xff\"}\n"
	rep, err := svc.ImportCustomers(context.Background(), strings.NewReader(file), customer.CustomerImport{Columns: testColumns, ImportOptions: customer.ImportOptions{Format: customer.JSONLines}})
	require.NoError(t, err)
	require.Equal(t, customer.ImportCounts{Created: 2, Failed: 4}, rep.ImportCounts, "%v", rep.Errors)
	lines := []int{}
	for _, e := range rep.Errors {
		lines = append(lines, e.Line)
	}
	require.Equal(t, []int{2, 4, 6, 7}, lines)
	c, err := svc.ByEmail(context.Background(), "zs@example.cn")
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, c.Tags)
	require.Equal(t, 3.25, c.Attributes["score"])
	ivan, err := svc.ByExternalID(context.Background(), "shop", "42")
	require.NoError(t, err)
	require.Equal(t, "+8613800138000", ivan.Phone())
}

func TestImportPurchasesMem(t *testing.T) {
	m := newMemStore()
	svc := customer.NewService(m, "acme", crmtype.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	cols := &customer.PurchaseColumns{CustomerExternalID: "c", CustomerSystem: "cdnow", CreateCustomers: true,
		OccurredAt: "d", TimeLayout: "20060102", Amount: "v", DefaultCurrency: "USD", Quantity: "q", OrderIDPrefix: "x:"}
	file := " 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n00018 0002 19970102 1 10\r\n1 2 3\r\n9 0003 1997-01-01 1 1\r\n"
	run := func() *customer.ImportReport {
		rep, err := svc.ImportPurchases(context.Background(), strings.NewReader(file), customer.PurchaseImport{Columns: cols,
			ImportOptions: customer.ImportOptions{Format: customer.Fields, Header: []string{"m", "c", "d", "q", "v"}, BatchSize: 2}})
		require.NoError(t, err)
		return rep
	}
	rep := run()
	require.Equal(t, customer.ImportCounts{Created: 3, Failed: 2, CustomersCreated: 2}, rep.ImportCounts, "%v", rep.Errors)
	require.Equal(t, 4, rep.Errors[0].Line)
	require.Equal(t, "occurred_at", rep.Errors[1].Field)
	require.Equal(t, 3, m.purchases)
	rep = run()
	require.Equal(t, customer.ImportCounts{Skipped: 3, Failed: 2}, rep.ImportCounts)
	require.Equal(t, 3, m.purchases)
}

func TestMinorUnits(t *testing.T) {
	for _, tc := range []struct {
		in     string
		digits int
		want   int64
		ok     bool
	}{
		{"29.33", 2, 2933, true}, {"0", 2, 0, true}, {"10", 2, 1000, true}, {"1.5", 2, 150, true},
		{"-5", 2, -500, true}, {".5", 2, 50, true}, {"1.230", 2, 123, true}, {"1200", 0, 1200, true},
		{"1.234", 3, 1234, true}, {"1.234", 2, 0, false}, {"", 2, 0, false}, {"1e3", 2, 0, false},
		{"1,5", 2, 0, false}, {".", 2, 0, false}, {"--1", 2, 0, false}, {"99999999999999999999", 2, 0, false},
	} {
		got, err := customer.MinorUnits(tc.in, tc.digits)
		if !tc.ok {
			require.ErrorIs(t, err, crmtype.ErrInvalid, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

// FuzzImportCSV feeds arbitrary bytes to the CSV importer: it must never
// panic, and every row it reads is counted exactly once.
func FuzzImportCSV(f *testing.F) {
	f.Add([]byte(testHeader + "张三,person,lead,CN,a;b,zs@example.cn,+8613800138000,S1,1.5,true\n"))
	f.Add([]byte(testHeader + "\"a\"\"b\",company,,,,,,,,\n\"unterminated\n"))
	f.Add([]byte(testHeader + "x,,,,,,,,,\n,\xff,,\n\"\",\"\"\"\n"))
	f.Add([]byte("\ufeff" + testHeader + "a,b\r\nc,,,,,,,,,\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opt := range []customer.ImportOptions{{BatchSize: 3}, {BatchSize: 2, DryRun: true}, {AllOrNothing: true, MaxFieldBytes: 16, MaxRecordBytes: 64}} {
			rep, err := importMem(t, newMemStore(), string(data), opt)
			require.NotNil(t, rep)
			if err == nil || errors.Is(err, crmtype.ErrInvalid) {
				c := rep.ImportCounts
				if err == nil {
					require.Equal(t, rep.Rows, c.Created+c.Updated+c.Skipped+c.Failed, "%+v", rep)
				}
				require.LessOrEqual(t, len(rep.Errors), c.Failed)
			} else {
				t.Fatalf("unexpected error kind: %v", err)
			}
		}
		// JSON Lines and whitespace fields on the same bytes.
		svc := customer.NewService(newMemStore(), "acme", nil)
		for _, f := range []customer.Format{customer.JSONLines, customer.Fields} {
			_, err := svc.ImportCustomers(context.Background(), bytes.NewReader(data), customer.CustomerImport{Columns: &customer.CustomerColumns{Name: "name"}, ImportOptions: customer.ImportOptions{Format: f}})
			if err != nil {
				require.ErrorIs(t, err, crmtype.ErrInvalid)
			}
		}
	})
}
