package crmgen

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

const testEntities = 20_000

var (
	bigOnce sync.Once
	bigRows []Row
)

// big is the list the rate tests share: 20,000 entities, as the import
// tests use.
func big(t testing.TB) []Row {
	bigOnce.Do(func() { bigRows = Generate(Config{Entities: testEntities, Seed: 42}) })
	return bigRows
}

func TestGenerateIsDeterministic(t *testing.T) {
	a := Generate(Config{Entities: 2000, Seed: 7})
	b := Generate(Config{Entities: 2000, Seed: 7})
	if !slices.Equal(a, b) {
		t.Fatal("the same Config gave different rows")
	}
	c := Generate(Config{Entities: 2000, Seed: 8})
	if slices.Equal(a, c) {
		t.Fatal("another seed gave the same rows")
	}
}

func TestDefaults(t *testing.T) {
	rows := Generate(Config{})
	if got := len(byEntity(rows)); got != 1000 {
		t.Errorf("entities = %d, want the default 1000", got)
	}
	if want := 1429; len(rows) != want { // round(1000 / 0.7)
		t.Errorf("rows = %d, want %d", len(rows), want)
	}
	none := Generate(Config{Entities: 500, DuplicateRate: -1})
	if len(none) != 500 || TruePairs(none) != 0 {
		t.Errorf("negative rate: %d rows, %d pairs; want 500 rows, no pairs", len(none), TruePairs(none))
	}
	most := Generate(Config{Entities: 500, DuplicateRate: 0.9})
	if len(most) != 2000 {
		t.Errorf("rate 0.9 is capped at 0.75: %d rows, want 2000", len(most))
	}
}

func TestRowsAreShuffled(t *testing.T) {
	rows := big(t)
	up := 0
	for i := 1; i < len(rows); i++ {
		if rows[i].Entity == rows[i-1].Entity {
			t.Fatalf("rows %d and %d are records of the same entity %d", i-1, i, rows[i].Entity)
		}
		if rows[i].Entity > rows[i-1].Entity {
			up++
		}
	}
	if f := float64(up) / float64(len(rows)-1); f < 0.45 || f > 0.55 {
		t.Errorf("%.2f of neighbours ascend; a shuffled list has about half", f)
	}
}

func byEntity(rows []Row) map[int][]Row {
	m := map[int][]Row{}
	for _, r := range rows {
		m[r.Entity] = append(m[r.Entity], r)
	}
	return m
}

func within(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s = %.4f, want in [%.3f, %.3f]", what, got, lo, hi)
	} else {
		t.Logf("%s = %.4f", what, got)
	}
}

func TestRates(t *testing.T) {
	rows := big(t)
	ents := byEntity(rows)
	if len(ents) != testEntities {
		t.Fatalf("%d entities, want %d", len(ents), testEntities)
	}
	within(t, "duplicate share", float64(len(rows)-len(ents))/float64(len(rows)), 0.299, 0.301)
	var zh, companies, withBirth, persons, dupEnts, oneExtra int
	for _, rs := range ents {
		switch {
		case rs[0].Kind == "company":
			companies++
		default:
			persons++
			if slices.ContainsFunc(rs, func(r Row) bool { return r.BirthDate != "" }) {
				withBirth++
			}
		}
		if rs[0].Culture == "zh" {
			zh++
		}
		if len(rs) > 1 {
			dupEnts++
			if len(rs) == 2 {
				oneExtra++
			}
		}
		if len(rs) > 4 {
			t.Errorf("entity %d has %d records; at most 3 extra", rs[0].Entity, len(rs))
		}
	}
	n := float64(len(ents))
	within(t, "Han (zh) share of entities", float64(zh)/n, 0.27, 0.33)
	within(t, "company share of entities", float64(companies)/n, 0.02, 0.07)
	within(t, "share of duplicated entities with one extra record", float64(oneExtra)/float64(dupEnts), 0.68, 0.82)
	within(t, "share of people with a birth date", float64(withBirth)/float64(persons), 0.22, 0.32)

	var phones, badPhones, emails, badEmails, noCountry int
	for _, r := range rows {
		if r.Phone != "" {
			phones++
			if r.BadPhone {
				badPhones++
			}
		}
		if r.Email != "" {
			emails++
			if r.BadEmail {
				badEmails++
			}
		}
		if r.Country == "" {
			noCountry++
		}
	}
	within(t, "junk phone share", float64(badPhones)/float64(phones), 0.01, 0.03)
	within(t, "junk e-mail share", float64(badEmails)/float64(emails), 0.005, 0.02)
	within(t, "rows without a country", float64(noCountry)/float64(len(rows)), 0.04, 0.08)
}

// TestChineseNameFrequencies: 王 李 张 刘 陈 take 5-7% of Chinese family
// names each; 王伟 and John Smith are many people.
func TestChineseNameFrequencies(t *testing.T) {
	rows := big(t)
	fam := map[string]int{}
	zh := 0
	wangWei, johnSmith := map[int]bool{}, map[int]bool{}
	for id, rs := range byEntity(rows) {
		r := rs[0]
		if r.Culture == "zh" && r.Kind == "person" {
			if e := firstHan(rs); e != nil {
				zh++
				f := e.FamilyName
				if f == "" {
					f = string([]rune(strings.TrimSpace(e.Name + e.GivenName))[:1])
				}
				fam[strings.TrimSpace(f)]++
			}
		}
		for _, r := range rs {
			if r.GivenName == "伟" && r.FamilyName == "王" || r.Name == "王伟" {
				wangWei[id] = true
			}
			if r.GivenName == "John" && r.FamilyName == "Smith" || r.Name == "John Smith" {
				johnSmith[id] = true
			}
		}
	}
	for _, f := range []string{"王", "李", "张", "刘"} {
		within(t, "share of Chinese family name "+f, float64(fam[f])/float64(zh), 0.04, 0.085)
	}
	if len(wangWei) < 2 || len(johnSmith) < 2 {
		t.Errorf("%d distinct 王伟 and %d distinct John Smith; want several of each", len(wangWei), len(johnSmith))
	}
}

func firstHan(rs []Row) *Row {
	for i := range rs {
		if hasHan(rs[i].FamilyName) && !strings.ContainsRune(rs[i].FamilyName, ' ') {
			return &rs[i]
		}
	}
	return nil
}

func hasHan(s string) bool {
	for _, c := range s {
		if unicode.Is(unicode.Han, c) {
			return true
		}
	}
	return false
}

func latinLetters(s string) bool {
	n := 0
	for _, c := range s {
		if unicode.IsLetter(c) {
			if !unicode.Is(unicode.Latin, c) {
				return false
			}
			n++
		}
	}
	return n > 0
}

func fullName(r Row) string { return r.Name + r.GivenName + r.FamilyName }

// TestPhenomena checks that the traps and variants are there.
func TestPhenomena(t *testing.T) {
	rows := big(t)
	ents := byEntity(rows)

	var bothScripts, trad, oneField, inGiven, compound, homophone, nickname, swapped int
	for _, rs := range ents {
		if rs[0].Kind != "person" {
			continue
		}
		han, latin := false, false
		for _, r := range rs {
			n := fullName(r)
			han = han || hasHan(n)
			latin = latin || latinLetters(n)
			if r.Culture == "zh" && strings.ContainsFunc(n, func(c rune) bool { return zhTradSet[c] && hanTab[c].trad != c }) {
				trad++
			}
			if r.Name != "" && r.GivenName == "" && r.FamilyName == "" {
				oneField++
			}
			if r.Culture == "zh" && r.FamilyName == "" && strings.Contains(r.GivenName, " ") && hasHan(r.GivenName) {
				inGiven++
			}
			for _, c := range zhCompound {
				if strings.HasPrefix(strings.TrimSpace(r.FamilyName+r.Name), c) {
					compound++
				}
			}
		}
		if rs[0].Culture == "zh" && han && latin {
			bothScripts++
		}
		if rs[0].Culture == "zh" && hasHomophonePair(rs) {
			homophone++
		}
		if hasNicknamePair(rs) {
			nickname++
		}
		if hasSwap(rs) {
			swapped++
		}
	}
	t.Logf("zh entities in Han and Latin: %d; traditional records: %d; one-field: %d; whole name in given: %d; compound surnames: %d; homophone typos: %d; nicknames: %d; swapped: %d",
		bothScripts, trad, oneField, inGiven, compound, homophone, nickname, swapped)
	for what, n := range map[string]int{"an entity in Han and Latin script": bothScripts, "a traditional-character record": trad,
		"a whole name in one field": oneField, "a whole Han name in GivenName": inGiven, "a compound surname": compound,
		"a homophone typo": homophone, "a nickname": nickname, "given and family swapped": swapped} {
		if n < 5 {
			t.Errorf("%s: %d records or entities, want many", what, n)
		}
	}
}

// hasHomophonePair: two Han records of the entity whose names differ in one
// character of the same pinyin (伟/玮).
func hasHomophonePair(rs []Row) bool {
	for i := range rs {
		for j := range rs {
			a, b := []rune(fullName(rs[i])), []rune(fullName(rs[j]))
			if i == j || len(a) != len(b) || !hasHan(string(a)) {
				continue
			}
			diff := 0
			same := true
			for k := range a {
				if a[k] != b[k] {
					diff++
					same = same && hanTab[a[k]].py != "" && hanTab[a[k]].py == hanTab[b[k]].py
				}
			}
			if diff == 1 && same {
				return true
			}
		}
	}
	return false
}

func hasNicknamePair(rs []Row) bool {
	for _, a := range rs {
		for _, b := range rs {
			if slices.Contains(nicknames[a.GivenName], b.GivenName) {
				return true
			}
		}
	}
	return false
}

func hasSwap(rs []Row) bool {
	for _, a := range rs {
		for _, b := range rs {
			if a.GivenName != "" && a.GivenName != a.FamilyName && a.GivenName == b.FamilyName && a.FamilyName == b.GivenName {
				return true
			}
		}
	}
	return false
}

// TestSharedContactPoints: households and colleagues share phones, and
// the shared numbers belong to different entities.
func TestSharedContactPoints(t *testing.T) {
	rows := big(t)
	owners := map[string]map[int]bool{}
	for _, r := range rows {
		if r.Phone == "" || r.BadPhone {
			continue
		}
		num, err := phonenumbers.Parse(r.Phone, r.Country)
		if err != nil {
			continue
		}
		k := phonenumbers.Format(num, phonenumbers.E164)
		if owners[k] == nil {
			owners[k] = map[int]bool{}
		}
		owners[k][r.Entity] = true
	}
	shared, big := 0, 0
	for _, o := range owners {
		if len(o) >= 2 {
			shared++
		}
		if len(o) >= 5 {
			big++ // a switchboard
		}
	}
	t.Logf("%d phones held by two or more entities, %d by five or more", shared, big)
	if shared < 100 || big < 10 {
		t.Errorf("%d phones shared by several entities, %d by five or more; want households and switchboards", shared, big)
	}
	domains := map[string]map[int]bool{}
	for _, r := range rows {
		if i := strings.LastIndexByte(r.Email, '@'); i > 0 && !r.BadEmail {
			d := strings.ToLower(r.Email[i+1:])
			if domains[d] == nil {
				domains[d] = map[int]bool{}
			}
			domains[d][r.Entity] = true
		}
	}
	companyDomains := 0
	for d, o := range domains {
		if len(o) >= 3 && !slices.Contains(countries["CN"].domains, d) && !strings.Contains(d, "mail") && !strings.Contains(d, "yahoo") {
			companyDomains++
		}
	}
	if companyDomains < 20 {
		t.Errorf("%d company domains with three or more people; want colleagues", companyDomains)
	}
}

// TestPhonesAreValid: every phone not marked junk is a valid number when
// read in the row's Country, and a row without a Country writes it with
// its country code.
func TestPhonesAreValid(t *testing.T) {
	rows := big(t)
	bad := 0
	for _, r := range rows {
		if r.Phone == "" || r.BadPhone {
			continue
		}
		if r.Country == "" && !strings.HasPrefix(r.Phone, "+") {
			t.Errorf("row without a country has a national phone %q", r.Phone)
		}
		num, err := phonenumbers.Parse(r.Phone, r.Country)
		if err != nil || !phonenumbers.IsValidNumber(num) {
			if bad++; bad <= 20 {
				t.Errorf("phone %q in %q is not valid (%v)", r.Phone, r.Country, err)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d invalid phones", bad)
	}
}

// TestJunkPhonesAreInvalid: what is marked junk does not pass as a number.
func TestJunkPhonesAreInvalid(t *testing.T) {
	passed, junk := 0, 0
	for _, r := range big(t) {
		if !r.BadPhone {
			continue
		}
		junk++
		if num, err := phonenumbers.Parse(r.Phone, r.Country); err == nil && phonenumbers.IsValidNumber(num) {
			passed++
		}
	}
	if passed > junk/20 {
		t.Errorf("%d of %d junk phones are valid numbers", passed, junk)
	}
}

func TestTruePairs(t *testing.T) {
	rows := []Row{{Entity: 1}, {Entity: 2}, {Entity: 1}, {Entity: 3}, {Entity: 1}, {Entity: 3}, {Entity: 4}}
	// entity 1: 3 rows, 3 pairs; entity 3: 2 rows, 1 pair; 2 and 4 none.
	if got := TruePairs(rows); got != 4 {
		t.Errorf("TruePairs = %d, want 4", got)
	}
	if got := Truth(rows); !slices.Equal(got, []int{1, 2, 1, 3, 1, 3, 4}) {
		t.Errorf("Truth = %v", got)
	}
	gen := Generate(Config{Entities: 300, Seed: 1})
	want := 0
	for _, rs := range byEntity(gen) {
		want += len(rs) * (len(rs) - 1) / 2
	}
	if got := TruePairs(gen); got != want || got == 0 {
		t.Errorf("TruePairs = %d, want %d", got, want)
	}
}

func TestWriteCSV(t *testing.T) {
	rows := Generate(Config{Entities: 500, Seed: 3})
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], Columns()) {
		t.Fatalf("header %v, want %v", recs[0], Columns())
	}
	for _, c := range recs[0] {
		if strings.Contains(c, "entity") || strings.Contains(c, "culture") || strings.Contains(c, "bad") {
			t.Errorf("the CSV has a truth column %q", c)
		}
	}
	if len(recs) != len(rows)+1 {
		t.Fatalf("%d records, want %d rows and the header", len(recs), len(rows))
	}
	for i, r := range rows {
		got := recs[i+1]
		want := []string{r.Name, r.GivenName, r.FamilyName, r.Email, r.Phone, r.Country, r.AddressLine, r.City,
			r.Region, r.PostalCode, r.BirthDate, r.Locale, r.Kind}
		if !slices.Equal(got, want) {
			t.Fatalf("record %d = %q, want %q", i+1, got, want)
		}
	}
}

// TestTables: the Han tables cover every character the generator writes,
// and the family-name weights have the documented shape.
func TestTables(t *testing.T) {
	var all []string
	all = append(all, zhTop100, zhTail, zhMalePool, zhFemalePool, strings.Join(zhCompound, ""), strings.Join(zhBrands, ""))
	for _, g := range zhCommonGiven {
		all = append(all, g.s)
	}
	for k, v := range zhVisual {
		all = append(all, string(k)+string(v))
	}
	for _, s := range all {
		for _, c := range s {
			if hanTab[c].py == "" {
				t.Errorf("%c has no pinyin in the tables", c)
			}
		}
	}
	if n := len([]rune(zhTop100)); n != 100 {
		t.Errorf("%d top family names, want 100", n)
	}
	total := zhSurname.cum[len(zhSurname.cum)-1]
	within(t, "share of 王", zhSurname.cum[0]/total, 0.05, 0.075)
	within(t, "share of the top 100 family names", zhSurname.cum[99]/total, 0.83, 0.87)
	if got := pinyinJoin([]rune("秀英"), true); got != "Xiuying" {
		t.Errorf("pinyin of 秀英 = %q", got)
	}
	if got := pinyinJoin([]rune("嘉安"), true); got != "Jia'an" {
		t.Errorf("pinyin of 嘉安 = %q", got)
	}
	if got := toTrad("张伟"); got != "張偉" {
		t.Errorf("traditional 张伟 = %q", got)
	}
	if got := translitRu("Наталья", 0) + " " + translitRu("Наталья", 1); got != "Natalya Natalia" {
		t.Errorf("transliterations of Наталья = %q", got)
	}
}

func BenchmarkGenerate1M(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		rows := Generate(Config{Entities: 700_000, Seed: 1})
		if len(rows) != 1_000_000 {
			b.Fatalf("%d rows", len(rows))
		}
	}
}
