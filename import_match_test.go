package crm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/privacy"
)

// matchColumns map the columns of the files of these tests.
var matchColumns = &customer.CustomerColumns{
	Name: "name", GivenName: "given", FamilyName: "family", Country: "country", PhoneCountry: "phone_country",
	Locale: "locale", City: "city", Stage: "stage", Kind: "kind", Tags: "tags",
	Identities: []customer.IdentityColumn{{Column: "email", Kind: customer.Email}, {Column: "phone", Kind: customer.Phone},
		{Column: "ext", Kind: customer.ExternalID, System: "shop"}},
}

const matchHeader = "name,given,family,country,phone_country,locale,city,stage,kind,tags,email,phone,ext\n"

func importRows(t *testing.T, ctx context.Context, ws *crm.Workspace, rows string, cfg customer.CustomerImport) *customer.ImportReport {
	t.Helper()
	cfg.Columns = matchColumns
	rep, err := ws.Customers.ImportCustomers(ctx, strings.NewReader(matchHeader+rows), cfg)
	require.NoError(t, err)
	return rep
}

func allCustomers(t *testing.T, ctx context.Context, ws *crm.Workspace) []*customer.Customer {
	t.Helper()
	page, err := ws.Customers.List(ctx, customer.ListParams{Limit: 1000})
	require.NoError(t, err)
	return page.Items
}

func TestImportPhonesInTheRowsCountry(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}))
		for _, tc := range []struct {
			name, row, want string
		}{
			{"the workspace's region", "A,,,,,,,,,,a@x.cn,138 0013 8000,\n", "+8613800138000"},
			{"the address country", "B,,,US,,,,,,,b@x.cn,(650) 253-0000,\n", "+16502530000"},
			{"the phone country over the address", "C,,,US,GB,,,,,,c@x.cn,020 7946 0958,\n", "+442079460958"},
			{"a country code wins", "D,,,US,,,,,,,d@x.cn,+49 30 901820,\n", "+4930901820"},
			{"lower-case country", "E,,,de,,,,,,,e@x.cn,030 901820,\n", "+4930901820"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rep := importRows(t, ctx, ws, tc.row, customer.CustomerImport{})
				require.Equal(t, 1, rep.Created, "%+v", rep.Errors)
				require.Empty(t, rep.Warnings)
				email := strings.ToLower(tc.row[:1]) + "@x.cn"
				c, err := ws.Customers.ByEmail(ctx, email)
				require.NoError(t, err)
				require.Equal(t, tc.want, c.Phone())
			})
		}
		// Create and AddIdentity read a phone in the customer's country too.
		c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "F", Address: customer.Address{Country: "JP"},
			Identities: []customer.IdentityParams{{Kind: customer.Phone, Value: "03-1234-5678"}}})
		require.NoError(t, err)
		require.Equal(t, "+81312345678", c.Phone())
		id, err := ws.Customers.AddIdentity(ctx, c.ID, customer.IdentityParams{Kind: customer.Phone, Value: "090-1234-5678"})
		require.NoError(t, err)
		require.Equal(t, "+819012345678", id.Value)
		// A bad phone country rejects its row.
		rep := importRows(t, ctx, ws, "G,,,,China,,,,,,g@x.cn,138 0013 8001,\n", customer.CustomerImport{})
		require.Equal(t, 1, rep.Failed)
		require.Equal(t, "phone_country", rep.Errors[0].Column)
	})
}

func TestImportInvalidValues(t *testing.T) {
	rows := "Ann,,,CN,,,,,,,ann@example.cn,12345,\n" + // line 2: a phone too short
		"Bob,,,,,,,,,,bob@@example,+86 138 0013 8000,\n" + // line 3: an email that is not one
		"Cy,,,,,,,,,,cy@ex\xffample.com,,\n" // line 4: not even UTF-8
	for _, tc := range []struct {
		name    string
		policy  customer.InvalidPolicy
		created int
		failed  int
		kept    bool
	}{
		{"kept flagged (default)", customer.InvalidKeep, 3, 0, true},
		{"dropped", customer.InvalidDrop, 3, 0, false},
		{"rejected", customer.InvalidReject, 0, 3, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, db *bun.DB) {
				ctx := context.Background()
				client, _ := newClient(t, db)
				ws := client.Workspace("acme")
				require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}))
				rep := importRows(t, ctx, ws, rows, customer.CustomerImport{Invalid: tc.policy,
					MatchOn: []customer.IdentityKind{customer.Email, customer.Phone}})
				require.Equal(t, tc.created, rep.Created)
				require.Equal(t, tc.failed, rep.Failed)
				if tc.policy == customer.InvalidReject {
					require.Empty(t, rep.Warnings)
					require.Equal(t, "phone", rep.Errors[0].Column)
					require.Equal(t, "email", rep.Errors[1].Column)
					require.Equal(t, "email", rep.Errors[2].Column)
					require.ErrorIs(t, rep.Errors[0].Err, crm.ErrInvalid)
					return
				}
				require.Empty(t, rep.Errors)
				require.Equal(t, 3, rep.Warned)
				require.Equal(t, []customer.RowWarning{
					{Line: 2, Column: "phone", Field: "phone", Value: "12345", Reason: "is not a valid phone number", Dropped: !tc.kept},
					{Line: 3, Column: "email", Field: "email", Value: "bob@@example", Reason: "is not an email address", Dropped: !tc.kept},
					{Line: 4, Column: "email", Field: "email", Value: "cy@ex\uFFFDample.com", Reason: "has an invalid domain", Dropped: !tc.kept},
				}, rep.Warnings)
				ann, err := ws.Customers.ByEmail(ctx, "ann@example.cn")
				require.NoError(t, err)
				require.Empty(t, ann.Phone(), "an invalid phone is never the one to call")
				if !tc.kept {
					require.Len(t, ann.Identities, 1)
					return
				}
				require.Len(t, ann.Identities, 2)
				require.Equal(t, customer.Identity{Kind: customer.Phone, Value: "12345", Raw: "12345", Invalid: "is not a valid phone number"},
					customer.Identity{Kind: ann.Identities[1].Kind, Value: ann.Identities[1].Value, Raw: ann.Identities[1].Raw, Invalid: ann.Identities[1].Invalid})
				// Never a match key: another row with the same bad phone is
				// someone else, and Lookup does not find it.
				rep = importRows(t, ctx, ws, "Ann,,,CN,,,,,,,,12345,\n", customer.CustomerImport{MatchOn: []customer.IdentityKind{customer.Phone}})
				require.Equal(t, 1, rep.Created)
				require.Empty(t, rep.Merges)
				_, err = ws.Customers.Lookup(ctx, customer.IdentityParams{Kind: customer.Email, Value: "bob@@example"})
				require.ErrorIs(t, err, crm.ErrInvalid)
				// Hygiene reads flagged values and keeps their flag.
				norm, err := ws.Customers.Normalise(ctx, customer.NormaliseParams{})
				require.NoError(t, err)
				require.Empty(t, norm.Updated)
				require.Empty(t, norm.Flagged, "already flagged with the same reason")
				require.Empty(t, norm.Conflicts)
			})
		})
	}
}

func TestImportComposesNames(t *testing.T) {
	require.Equal(t, "张三", customer.ComposeName("三", "张", ""))
	require.Equal(t, "김민준", customer.ComposeName("민준", "김", ""))
	require.Equal(t, "山田太郎", customer.ComposeName("太郎", "山田", "ja"))
	require.Equal(t, "Zhang San", customer.ComposeName("San", "Zhang", "zh-CN"))
	require.Equal(t, "José Müller", customer.ComposeName(" José ", "Müller", "de"))
	require.Equal(t, "Müller", customer.ComposeName("", "Müller", ""))
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		c, err := ws.Customers.Create(ctx, customer.CreateParams{GivenName: "민준", FamilyName: "김"})
		require.NoError(t, err)
		require.Equal(t, "김민준", c.Name)
		_, err = ws.Customers.Create(ctx, customer.CreateParams{Locale: "zh"})
		requireInvalid(t, err, "name")
		_, err = ws.Customers.Create(ctx, customer.CreateParams{Kind: customer.Company})
		requireInvalid(t, err, "name")

		// A file without a name column imports by given and family name.
		file := "given,family,locale,email\n三,张,,zs@example.cn\nSan,Zhang,zh-CN,zs2@example.cn\nJosé,Müller,,jm@example.de\n,,,nobody@example.com\n"
		cols := &customer.CustomerColumns{GivenName: "given", FamilyName: "family", Locale: "locale",
			Identities: []customer.IdentityColumn{{Column: "email", Kind: customer.Email}}}
		rep, err := ws.Customers.ImportCustomers(ctx, strings.NewReader(file), customer.CustomerImport{Columns: cols})
		require.NoError(t, err)
		require.Equal(t, 3, rep.Created)
		require.Equal(t, 1, rep.Failed)
		require.Equal(t, 5, rep.Errors[0].Line)
		require.Equal(t, "name", rep.Errors[0].Field, "a row with no name at all names the field")
		require.ErrorIs(t, rep.Errors[0].Err, crm.ErrInvalid)
		for email, name := range map[string]string{"zs@example.cn": "张三", "zs2@example.cn": "Zhang San", "jm@example.de": "José Müller"} {
			c, err := ws.Customers.ByEmail(ctx, email)
			require.NoError(t, err)
			require.Equal(t, name, c.Name)
		}
		// The default mapping needs no name column when given names are there.
		rep, err = ws.Customers.ImportCustomers(ctx, strings.NewReader("given_name,family_name\n伟,王\n"), customer.CustomerImport{})
		require.NoError(t, err)
		require.Equal(t, 1, rep.Created)
	})
}

func TestImportNeverMergesSilently(t *testing.T) {
	phoneOn := []customer.IdentityKind{customer.ExternalID, customer.Email, customer.Phone}
	for _, tc := range []struct {
		name     string
		first    string // rows loaded first
		rows     string // the rows under test
		matchOn  []customer.IdentityKind
		created  int // by rows
		updated  int
		skipped  int
		merges   []int // lines of rows that merged
		dupLines []int // lines of rows recorded as possible duplicates
		reason   string
		noKey    bool // the rows carry no key to match on: a rerun creates them again
	}{
		{name: "a household shares a phone", matchOn: phoneOn,
			rows:    "张伟,伟,张,CN,,,,,,,,138 0013 8000,\n张芳,芳,张,CN,,,,,,,,13800138000,\n",
			created: 2, dupLines: []int{3}, reason: "phone +8613800138000 held by a customer named 张伟"},
		{name: "phone matching is opt-in", first: "张伟,伟,张,CN,,,,,,,,138 0013 8000,\n",
			rows:    "张伟,伟,张,CN,,,,,,,,13800138000,\n",
			created: 1, noKey: true},
		{name: "the same person by phone when asked", matchOn: phoneOn, first: "张伟,伟,张,CN,,,,,,,,138 0013 8000,\n",
			rows:    "张伟,伟,张,CN,,,北京,,,,,13800138000,\n",
			updated: 1, merges: []int{2}},
		{name: "a name that clearly differs", first: "Anna Smith,,,,,,,,,,a@example.com,,\n",
			rows:    "Bob Jones,,,,,,,,,,A@Example.com,,\n",
			created: 1, dupLines: []int{2}, reason: "email a@example.com held by a customer named Anna Smith"},
		{name: "a typo is the same person", first: "Anna Smith,,,,,,,,,,a@example.com,,\n",
			rows:    "Ana Smith,,,,,,Boston,,,,a@example.com,,\n",
			updated: 1, merges: []int{2}},
		{name: "a shared key never merges",
			first:   "Anna Smith,,,,,,,,,,office@example.com,,\nBob Jones,,,,,,,,,,office@example.com,,\n",
			rows:    "Anna Smith,,,,,,Boston,,,,office@example.com,,\n",
			created: 1, dupLines: []int{2}, reason: "email office@example.com held by 2 customers"},
		{name: "a person and a company", first: "ACME,,,,,,,,company,,info@acme.example,,\n",
			rows:    "ACME,,,,,,,,person,,info@acme.example,,\n",
			created: 1, dupLines: []int{2}, reason: "email info@acme.example held by a company named ACME"},
		{name: "rows of one file see each other",
			rows:    "Anna Smith,,,,,,,,,,a@example.com,,\nAnna Smith,,,,,,Boston,,,,a@example.com,,\nBob Jones,,,,,,,,,,a@example.com,,\n",
			created: 2, updated: 1, merges: []int{3}, dupLines: []int{4}},
		{name: "an external id decides before an email", first: "Anna Smith,,,,,,,,,,a@example.com,,S1\nCarl Weiss,,,,,,,,,,c@example.com,,\n",
			rows:    "Anna Smith,,,,,,,,,,c@example.com,,S1\n",
			updated: 1, merges: []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, db *bun.DB) {
				ctx := context.Background()
				client, _ := newClient(t, db)
				ws := client.Workspace("acme")
				require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}))
				if tc.first != "" {
					rep := importRows(t, ctx, ws, tc.first, customer.CustomerImport{MatchOn: []customer.IdentityKind{}})
					require.Zero(t, rep.Failed, "%+v", rep.Errors)
				}
				before := len(allCustomers(t, ctx, ws))
				rep := importRows(t, ctx, ws, tc.rows, customer.CustomerImport{MatchOn: tc.matchOn})
				require.Empty(t, rep.Errors)
				require.Equal(t, customer.ImportCounts{Created: tc.created, Updated: tc.updated, Skipped: tc.skipped}, rep.ImportCounts)
				require.Len(t, allCustomers(t, ctx, ws), before+tc.created)
				var merges, dups []int
				for _, m := range rep.Merges {
					merges = append(merges, m.Line)
				}
				for _, d := range rep.PossibleDuplicates {
					dups = append(dups, d.Line)
					if tc.reason != "" {
						require.Equal(t, tc.reason, d.Reason)
					}
				}
				require.Equal(t, tc.merges, merges)
				require.Equal(t, tc.dupLines, dups)
				// Every possible duplicate is there for review.
				page, err := ws.Customers.PossibleDuplicates(ctx, customer.PossibleDuplicateParams{})
				require.NoError(t, err)
				n := 0
				for _, d := range rep.PossibleDuplicates {
					n += len(d.OtherIDs)
				}
				require.Len(t, page.Items, n)
				for i, p := range page.Items {
					require.Equal(t, "import", p.Source)
					require.NotEqual(t, p.CustomerID, p.OtherID)
					if i == 0 {
						require.Equal(t, rep.PossibleDuplicates[0].CustomerID, p.CustomerID)
						require.Equal(t, rep.PossibleDuplicates[0].Reason, p.Reason)
					}
				}
				if tc.noKey {
					return
				}
				// Running the same rows again creates nothing.
				again := importRows(t, ctx, ws, tc.rows, customer.CustomerImport{MatchOn: tc.matchOn})
				require.Zero(t, again.Created, "%+v", again)
				require.Zero(t, again.Updated, "%+v", again)
				require.Empty(t, again.PossibleDuplicates)
				require.Len(t, allCustomers(t, ctx, ws), before+tc.created)
			})
		})
	}
}

func TestImportSurvivorship(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}))
		rep := importRows(t, ctx, ws, "王伟,,,CN,,,,customer,,vip,ww@example.cn,,\n", customer.CustomerImport{})
		require.Equal(t, 1, rep.Created)
		c, err := ws.Customers.ByEmail(ctx, "ww@example.cn")
		require.NoError(t, err)

		// A later row fills empty fields, adds tags and identities, and never
		// replaces the name or the stage.
		rep = importRows(t, ctx, ws, "王 伟,伟,王,CN,,zh-CN,北京,lead,,new,WW@example.cn,138 0013 8000,W1\n", customer.CustomerImport{})
		require.Equal(t, 1, rep.Updated, "%+v", rep.Errors)
		require.Equal(t, []customer.ImportMerge{{Line: 2, CustomerID: c.ID, Key: customer.IdentityKey{Kind: customer.Email, Value: "ww@example.cn"}}}, rep.Merges)
		got, err := ws.Customers.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "王伟", got.Name, "the first non-empty name stays")
		require.Equal(t, customer.StageCustomer, got.Stage)
		require.Equal(t, "伟", got.GivenName)
		require.Equal(t, "zh-CN", got.Locale)
		require.Equal(t, "北京", got.Address.City)
		require.Equal(t, []string{"new", "vip"}, got.Tags)
		require.Equal(t, "+8613800138000", got.Phone())
		require.Len(t, got.Identities, 3)
		require.Equal(t, c.Version+1, got.Version, "one new version for the row")

		// Overwrite keeps the behaviour of replacing.
		rep = importRows(t, ctx, ws, "Wang Wei,,,,,,,lead,,,ww@example.cn,,\n", customer.CustomerImport{Overwrite: true})
		require.Equal(t, 1, rep.Updated)
		got, err = ws.Customers.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "Wang Wei", got.Name)
		require.Equal(t, customer.StageLead, got.Stage)

		// An address that contradicts the stored one is left alone.
		rep = importRows(t, ctx, ws, ",,,CN,,,上海,,,,ww@example.cn,,\n", customer.CustomerImport{})
		require.Equal(t, 1, rep.Skipped)
		got, err = ws.Customers.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "北京", got.Address.City)
	})
}

func TestImportPossibleDuplicatesLifecycle(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}))
		rep := importRows(t, ctx, ws, "张伟,伟,张,CN,,,,,,,zw@example.cn,138 0013 8000,\n"+
			"张芳,芳,张,CN,,,,,,,zf@example.cn,13800138000,\n"+
			"李娜,娜,李,CN,,,,,,,ln@example.cn,13800138000,\n", customer.CustomerImport{MatchOn: []customer.IdentityKind{customer.Email, customer.Phone}})
		require.Equal(t, 3, rep.Created)
		require.Len(t, rep.PossibleDuplicates, 2)
		zw, err := ws.Customers.ByEmail(ctx, "zw@example.cn")
		require.NoError(t, err)
		zf, err := ws.Customers.ByEmail(ctx, "zf@example.cn")
		require.NoError(t, err)
		ln, err := ws.Customers.ByEmail(ctx, "ln@example.cn")
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{zw.ID, zf.ID}, rep.PossibleDuplicates[1].OtherIDs)
		pairs := func(p customer.PossibleDuplicateParams) [][2]crmtype.ID {
			t.Helper()
			var out [][2]crmtype.ID
			for {
				page, err := ws.Customers.PossibleDuplicates(ctx, p)
				require.NoError(t, err)
				for _, d := range page.Items {
					out = append(out, [2]crmtype.ID{d.CustomerID, d.OtherID})
				}
				if page.Next == "" {
					return out
				}
				p.After = page.Next
			}
		}
		require.Equal(t, [][2]crmtype.ID{{zf.ID, zw.ID}, {ln.ID, zw.ID}, {ln.ID, zf.ID}}, pairs(customer.PossibleDuplicateParams{Limit: 1}))
		require.Equal(t, [][2]crmtype.ID{{zf.ID, zw.ID}, {ln.ID, zf.ID}}, pairs(customer.PossibleDuplicateParams{CustomerID: zf.ID}))

		// Merging 张芳 into 张伟 drops their own pair and re-points the
		// other; both share the phone, which the survivor then holds once.
		m, err := ws.Customers.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{zw.ID, zf.ID}})
		require.NoError(t, err)
		require.Equal(t, [][2]crmtype.ID{{ln.ID, zw.ID}}, pairs(customer.PossibleDuplicateParams{}), "the pair of ln with zf joined the one with zw")
		surv, err := ws.Customers.Get(ctx, zw.ID)
		require.NoError(t, err)
		var phones int
		for _, id := range surv.Identities {
			if id.Kind == customer.Phone {
				phones++
			}
		}
		require.Equal(t, 1, phones)
		require.Len(t, surv.Identities, 3)
		hs, err := ws.Customers.Holders(ctx, customer.IdentityParams{Kind: customer.Phone, Value: "+8613800138000"})
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{zw.ID, ln.ID}, custIDs(hs))

		// Unmerge gives everything back.
		_, err = ws.Customers.Unmerge(ctx, m.ID)
		require.NoError(t, err)
		require.ElementsMatch(t, [][2]crmtype.ID{{zf.ID, zw.ID}, {ln.ID, zw.ID}, {ln.ID, zf.ID}}, pairs(customer.PossibleDuplicateParams{}))
		back, err := ws.Customers.Get(ctx, zf.ID)
		require.NoError(t, err)
		require.Equal(t, "+8613800138000", back.Phone())
		hs, err = ws.Customers.Holders(ctx, customer.IdentityParams{Kind: customer.Phone, Value: "+8613800138000"})
		require.NoError(t, err)
		require.Len(t, hs, 3)

		// A data-subject export has the pairs on either side.
		bundle, err := ws.Privacy.Export(ctx, zf.ID)
		require.NoError(t, err)
		require.Len(t, bundle.Tables["crm_possible_duplicates"], 2)

		// Dismissing a pair removes it; erasing a customer deletes its pairs.
		page, err := ws.Customers.PossibleDuplicates(ctx, customer.PossibleDuplicateParams{CustomerID: ln.ID})
		require.NoError(t, err)
		require.NoError(t, ws.Customers.DismissPossibleDuplicate(ctx, page.Items[0].ID))
		require.ErrorIs(t, ws.Customers.DismissPossibleDuplicate(ctx, page.Items[0].ID), crm.ErrNotFound)
		_, err = ws.Privacy.Erase(ctx, zw.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		require.Equal(t, [][2]crmtype.ID{{ln.ID, zf.ID}}, pairs(customer.PossibleDuplicateParams{}))
		// Another workspace sees none of them.
		other, err := client.Workspace("other").Customers.PossibleDuplicates(ctx, customer.PossibleDuplicateParams{})
		require.NoError(t, err)
		require.Empty(t, other.Items)
	})
}
