package crmgen

import (
	"math"
	"strings"
)

// Config sets the size and seed of a generated list.
type Config struct {
	// Entities is the number of distinct people and companies (default 1000).
	Entities int
	// Seed selects the list: the same Config always gives the same rows.
	Seed uint64
	// DuplicateRate is the share of rows that are extra records of an
	// entity already written (default 0.3; negative for none; at most 0.75,
	// when every entity has three extra records). The list has
	// round(Entities/(1-DuplicateRate)) rows, so 700,000 entities at the
	// default rate make 1,000,000 rows.
	DuplicateRate float64
}

// Row is one record of the list: the columns a CSV export would hold, and
// apart from them the truth (Entity, Culture, BadPhone, BadEmail), which
// WriteCSV does not write.
type Row struct {
	// Entity is the truth: rows of the same Entity are the same person or
	// company. It is not written to the CSV.
	Entity int
	// Kind is "person" (nearly all) or "company".
	Kind string
	// Name is a whole name in one field ("王涛", "王 涛", "Wang Tao",
	// "Tao Wang", "ACME GmbH") when the row writes it that way; else "".
	Name string
	// GivenName and FamilyName are the name split in two, as the row has
	// it: possibly swapped, or the whole name in GivenName ("王 涛").
	GivenName, FamilyName string
	// Email and Phone are as a person typed them: any format, sometimes
	// mistyped, sometimes junk (see BadEmail, BadPhone).
	Email, Phone string
	// Country is the ISO 3166-1 alpha-2 code of the row's address, or ""
	// for some rows. A phone written without its country code belongs to
	// this country.
	Country string
	// AddressLine, City, Region and PostalCode are the address as written.
	AddressLine, City, Region, PostalCode string
	// BirthDate is "YYYY-MM-DD" for some person rows, else "".
	BirthDate string
	// Locale is a language tag ("zh-CN", "en-US", sometimes "zh_CN") or "".
	Locale string

	// Culture is the truth about how the entity's name is written: "zh"
	// (Han), "en", "de", "fr", "es", "ru" (Cyrillic), "ja", "ko", "ar" or
	// "in" (Indian). Not written to the CSV.
	Culture string
	// BadPhone and BadEmail are the truth that Phone or Email was written
	// as junk on purpose ("N/A", "123", a number cut short, "zhang@"):
	// every other phone is a valid number when read in the row's Country
	// (or carries its +country code). Not written to the CSV.
	BadPhone, BadEmail bool
}

// Cultures of the names.
const (
	cZh = iota
	cEn
	cDe
	cFr
	cEs
	cRu
	cJa
	cKo
	cIn
	cAr
	numCultures
)

var cultureCode = [numCultures]string{"zh", "en", "de", "fr", "es", "ru", "ja", "ko", "in", "ar"}

// cultureW is the share of each culture among the people of the list.
var cultureW = newWeighted([]float64{28.5, 24, 8, 6, 9, 5, 6, 4, 2.5, 1.5})

// Where the people of each culture live.
var cultureCountries = [numCultures][]struct {
	code string
	w    float64
}{
	cZh: {{"CN", 82}, {"TW", 4}, {"HK", 4}, {"SG", 2}, {"US", 4}, {"CA", 1.5}, {"GB", 1}, {"AU", 1.5}},
	cEn: {{"US", 55}, {"GB", 22}, {"CA", 10}, {"AU", 10}, {"SG", 1}, {"DE", 1}, {"HK", 1}},
	cDe: {{"DE", 82}, {"AT", 10}, {"CH", 8}},
	cFr: {{"FR", 85}, {"CA", 10}, {"CH", 5}},
	cEs: {{"ES", 45}, {"MX", 35}, {"CO", 12}, {"US", 8}},
	cRu: {{"RU", 92}, {"DE", 4}, {"US", 4}},
	cJa: {{"JP", 95}, {"US", 5}},
	cKo: {{"KR", 92}, {"US", 8}},
	cIn: {{"IN", 80}, {"US", 10}, {"GB", 10}},
	cAr: {{"AE", 40}, {"SA", 35}, {"EG", 25}},
}

var cultureCountryW [numCultures]weighted

var (
	householdW = newWeighted([]float64{40, 30, 20, 10}) // 2-5 people
	extrasW    = newWeighted([]float64{75, 18, 7})      // 1-3 extra records
	pyVarW     = newWeighted([]float64{70, 12, 12, 6})  // Xiuying, Xiu Ying, Xiu-Ying, Xiu-ying
)

var (
	jaFamilyW = newWeighted(zipf(len(jaFamily), 2, 1))
	koFamW    = newWeighted(koFamilyW)
)

func init() {
	for c, l := range cultureCountries {
		w := make([]float64, len(l))
		for i, x := range l {
			w[i] = x.w
		}
		cultureCountryW[c] = newWeighted(w)
	}
}

func countryFor(r *rng, cult int) *country {
	return countries[cultureCountries[cult][cultureCountryW[cult].pick(r)].code]
}

// Scripts a name is written in, and layouts of the name fields.
const (
	sNative = iota // 张伟, Иван, José, 佐藤, 김민준
	sTrad          // 張偉 (Han only)
	sLatin         // Zhang Wei, Ivan, Jose, Sato, Kim Min-jun
)

const (
	lSplit     = iota // given and family in their own fields
	lOne              // the whole name in Name
	lGivenOnly        // the whole name in GivenName, FamilyName empty
)

const (
	person byte = iota
	organization
)

// entity is one person or company and everything its records draw on.
type entity struct {
	id     int
	kind   byte
	cult   int
	male   bool
	extras int

	// Names. Han names are kept simplified; other cultures in their own
	// script, with the table entries for Japanese, Korean and Arabic.
	giv, fam, fam2 string
	ruBase         string
	eng            string
	ja             [2]*jaName // family, given
	ko             [2]*koName
	ar             [2]*arName
	co             *company

	// Habits: how this person's records usually write the name.
	script, layout  int
	oneSpace        bool // "王 涛" rather than "王涛"
	eastern         bool // family first when the Latin name is in one field
	pyVar           int  // Xiuying / Xiu Ying / Xiu-Ying / Xiu-ying
	ruScheme, arVar int
	bothSurnames    bool

	ctry      *country
	ci        *city
	addr      address
	email     string
	email2    string
	phones    [2]phone // the one usually written, another
	pPrimary  float64
	phStyle   int
	intlStyle int
	ext       string // a switchboard extension
	birth     string
	locale    string
	ascii     [2]string // given and family name in lower-case ASCII
}

type address struct {
	line, city, region, postal string
	ok                         bool
}

type gen struct {
	r       *rng
	n       int
	rows    []Row
	used    hashSet  // the e-mails, phones and domains handed out
	scratch []entity // the entities of the group being written
	nextID  int
	dupLeft int // extra records still to hand out
	dupEnts int // entities still to receive them
}

// Generate returns a shuffled list of records of cfg.Entities entities,
// about cfg.DuplicateRate of them extra records of an entity already in the
// list. The same cfg gives the same rows.
func Generate(cfg Config) []Row {
	n := cfg.Entities
	if n <= 0 {
		n = 1000
	}
	d := cfg.DuplicateRate
	switch {
	case d == 0:
		d = 0.3
	case d < 0:
		d = 0
	case d > 0.75:
		d = 0.75
	}
	total := int(math.Round(float64(n) / (1 - d)))
	extra := min(total-n, 3*n)
	// Heavy on one extra record: 75% one, 18% two, 7% three (mean 1.32).
	ents := int(math.Round(float64(extra) / 1.32))
	ents = max(min(ents, n, extra), (extra+2)/3)
	g := &gen{
		r:       newRNG(cfg.Seed),
		n:       n,
		rows:    make([]Row, 0, n+extra),
		used:    newHashSet(5 * n / 2),
		scratch: make([]entity, 0, 64),
		dupLeft: extra,
		dupEnts: ents,
	}
	for g.nextID < n {
		g.group()
	}
	g.shuffle()
	return g.rows
}

// group writes one household, one company with its staff, one company on
// its own or one person, with all their records.
func (g *gen) group() {
	r := g.r
	g.scratch = g.scratch[:0]
	left := g.n - g.nextID
	u := r.float()
	switch {
	case u < 0.048 && left >= 2:
		g.household(min(left, 2+householdW.pick(r)))
	case u < 0.072 && left >= 3:
		x := r.float()
		size := 3 + int(27*x*x*x) // 3-30, most companies small
		g.staff(min(left, size))
	case u < 0.1025:
		c := countryFor(r, cultureW.pick(r))
		co := g.newCompany(c, c.cityIn(r, -1))
		g.emit(g.companyEntity(co))
	default:
		cult := cultureW.pick(r)
		c := countryFor(r, cult)
		e := g.newPerson(cult, r.chance(0.5), c, c.cityIn(r, cult), nil, false)
		g.single(e)
		g.emit(e)
	}
}

// newID numbers the next entity and decides how many extra records it gets.
func (g *gen) newID(e *entity) {
	e.id = g.nextID
	g.nextID++
	left := g.n - e.id
	if g.dupEnts > 0 && g.r.intn(left) < g.dupEnts {
		k := 1 + extrasW.pick(g.r)
		k = max(k, g.dupLeft-3*(g.dupEnts-1))
		k = min(k, g.dupLeft-(g.dupEnts-1), 3)
		e.extras = k
		g.dupLeft -= k
		g.dupEnts--
	}
}

// newPerson draws a person of the culture living in the city. With like,
// the person shares like's family name (a household).
func (g *gen) newPerson(cult int, male bool, c *country, ci *city, like *entity, sameFamily bool) *entity {
	e := g.alloc()
	*e = entity{kind: person, cult: cult, male: male, ctry: c, ci: ci}
	g.newID(e)
	g.drawName(e, like, sameFamily)
	g.habits(e)
	e.locale = localeFor(cult, c)
	if g.r.chance(0.3) {
		e.birth = birthDate(g.r, 1940, 2006)
	}
	return e
}

// drawName draws the person's name, or the given name only when like is
// the head of the same family.
func (g *gen) drawName(e *entity, like *entity, sameFamily bool) {
	r, cult, male := g.r, e.cult, e.male
	e.giv, e.fam, e.fam2, e.ruBase, e.eng = "", "", "", "", ""
	switch cult {
	case cZh:
		e.fam = zhSurList[zhSurname.pick(r)]
		e.giv = zhGivenName(r, male)
		pEng := 0.05
		if e.ctry.code != "CN" && e.ctry.code != "TW" {
			pEng = 0.3
		}
		if r.chance(pEng) {
			if male {
				e.eng = pick(r, zhEnglishMale)
			} else {
				e.eng = pick(r, zhEnglishFemale)
			}
		}
	case cJa:
		e.ja[0] = &jaFamily[jaFamilyW.pick(r)]
		if male {
			e.ja[1] = &jaMale[r.intn(len(jaMale))]
		} else {
			e.ja[1] = &jaFemale[r.intn(len(jaFemale))]
		}
	case cKo:
		e.ko[0] = &koFamily[koFamW.pick(r)]
		if male {
			e.ko[1] = &koMale[r.intn(len(koMale))]
		} else {
			e.ko[1] = &koFemale[r.intn(len(koFemale))]
		}
	case cRu:
		e.ruBase = ruFamily.pick(r)
		if male {
			e.giv = ruMale.pick(r)
		} else {
			e.giv = ruFemale.pick(r)
		}
	case cAr:
		e.ar[0] = &arFamily[r.intn(len(arFamily))]
		if male {
			e.ar[1] = &arMale[r.intn(len(arMale))]
		} else {
			e.ar[1] = &arFemale[r.intn(len(arFemale))]
		}
	default:
		t := latinTables(cult)
		e.fam = t.family.pick(r)
		if male {
			e.giv = t.male.pick(r)
		} else {
			e.giv = t.female.pick(r)
		}
		if cult == cEs && r.chance(0.6) {
			for e.fam2 == "" || e.fam2 == e.fam {
				e.fam2 = t.family.pick(r)
			}
		}
	}
	if like != nil && sameFamily {
		e.fam, e.ruBase, e.ja[0], e.ko[0], e.ar[0] = like.fam, like.ruBase, like.ja[0], like.ko[0], like.ar[0]
		if cult == cEs {
			e.fam2 = like.fam2
		}
	}
	if cult == cRu {
		e.fam = e.ruBase
		if !male {
			e.fam = ruFeminine(e.ruBase)
		}
	}
	e.ascii = asciiName(e)
}

func latinTables(cult int) *latinNames {
	switch cult {
	case cDe:
		return &deNames
	case cFr:
		return &frNames
	case cEs:
		return &esNames
	case cIn:
		return &inNames
	}
	return &enNames
}

func zhGivenName(r *rng, male bool) string {
	if r.chance(0.28) {
		for {
			g := zhCommonGiven[zhGiven.pick(r)]
			if g.male == male {
				return g.s
			}
		}
	}
	pool := zhFemR
	if male {
		pool = zhMaleR
	}
	a := pick(r, pool)
	if r.chance(0.25) {
		return string(a)
	}
	if !male && r.chance(0.04) {
		return string([]rune{a, a}) // 婷婷, 丹丹
	}
	b := pick(r, pool)
	for b == a {
		b = pick(r, pool)
	}
	return string([]rune{a, b})
}

// habits draws how the person's records usually write the name.
func (g *gen) habits(e *entity) {
	r := g.r
	home := true
	switch e.cult {
	case cZh:
		home = e.ctry.code == "CN" || e.ctry.code == "TW" || e.ctry.code == "HK"
	case cJa:
		home = e.ctry.code == "JP"
	case cKo:
		home = e.ctry.code == "KR"
	case cRu:
		home = e.ctry.code == "RU"
	}
	e.script = sNative
	switch e.cult {
	case cZh:
		switch {
		case e.ctry.code == "TW" || e.ctry.code == "HK":
			if r.chance(0.85) {
				e.script = sTrad
			} else {
				e.script = sLatin
			}
		case home:
			if r.chance(0.12) {
				e.script = sLatin
			}
		case e.ctry.code == "SG":
			if r.chance(0.7) {
				e.script = sLatin
			}
		default:
			if r.chance(0.75) {
				e.script = sLatin
			}
		}
	case cJa, cKo, cRu:
		if (home && r.chance(0.15)) || (!home && r.chance(0.75)) {
			e.script = sLatin
		}
	case cAr:
		if r.chance(0.65) {
			e.script = sLatin
		}
	case cIn:
		e.script = sNative
	default:
		if r.chance(0.06) {
			e.script = sLatin
		}
	}
	e.layout = lSplit
	switch u := r.float(); {
	case e.cult == cZh && u < 0.08:
		e.layout = lGivenOnly
	case e.cult == cZh && u < 0.28, (e.cult == cJa || e.cult == cKo) && u < 0.3, u < 0.12:
		e.layout = lOne
	}
	e.oneSpace = r.chance(0.3)
	e.eastern = (e.cult == cZh || e.cult == cJa || e.cult == cKo) && r.chance(0.5)
	e.pyVar = pyVarW.pick(r)
	e.ruScheme = r.intn(2)
	e.arVar = r.intn(3)
	e.bothSurnames = r.chance(0.7)
}

// cultureLang is the language of each culture and homeLocale its locale
// at home.
var (
	cultureLang = [numCultures]string{"zh", "en", "de", "fr", "es", "ru", "ja", "ko", "en", "ar"}
	homeLocale  = [numCultures]string{"zh-CN", "en-US", "de-DE", "fr-FR", "es-ES", "ru-RU", "ja-JP", "ko-KR", "en-IN", "ar"}
)

// localeFor is the locale of a person of the culture living in c: the
// country's own where the language matches (de-AT, fr-CA, es-MX), the
// language in the country for the European languages (en-DE, es-US), else
// the culture's home locale.
func localeFor(cult int, c *country) string {
	lang := cultureLang[cult]
	switch {
	case strings.HasPrefix(c.locale, lang+"-"):
		return c.locale
	case lang == "zh" && c.code == "SG":
		return "zh-SG"
	case lang == "en" || lang == "fr" || lang == "es" || lang == "de":
		return lang + "-" + c.code
	}
	return homeLocale[cult]
}

var monthDays = [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func birthDate(r *rng, from, to int) string {
	y := from + int(float64(to-from+1)*(r.float()+r.float())/2)
	m := r.between(1, 12)
	d := r.between(1, monthDays[m])
	return itoa(y) + "-" + pad2(m) + "-" + pad2(d)
}

// single gives a person living alone an address, a phone and e-mails.
func (g *gen) single(e *entity) {
	r := g.r
	e.addr = g.homeAddress(e.ctry, e.ci)
	if r.chance(0.85) {
		e.phones[0] = g.uniqueMobile(e.ctry, e.ci)
	} else {
		e.phones[0] = g.uniqueLandline(e.ctry, e.ci)
	}
	if r.chance(0.25) {
		e.phones[1] = g.uniqueMobile(e.ctry, e.ci)
	}
	e.pPrimary = 0.92
	g.phoneHabit(e)
	if r.chance(0.9) {
		e.email = g.personalEmail(e)
	}
	if r.chance(0.3) {
		if r.chance(0.5) {
			e.email2 = g.workEmail(e)
		} else {
			e.email2 = g.personalEmail(e)
		}
	}
}

func (g *gen) phoneHabit(e *entity) {
	c := e.ctry
	if e.phones[0].ok() {
		c = e.phones[0].c
	}
	e.phStyle = c.localStyle(g.r)
	e.intlStyle = pick(g.r, intlStyles)
	if isIntl(e.phStyle) {
		e.intlStyle = e.phStyle
	}
}

func (g *gen) homeAddress(c *country, ci *city) address {
	return address{line: addressLine(g.r, c, ci, false), city: ci.name, region: ci.region, postal: postcode(g.r, ci), ok: true}
}

func (g *gen) uniqueMobile(c *country, ci *city) phone {
	for {
		p := newMobile(g.r, c, ci)
		if g.claim(p.key()) {
			return p
		}
	}
}

func (g *gen) uniqueLandline(c *country, ci *city) phone {
	for {
		p := newLandline(g.r, c, ci)
		if g.claim(p.key()) {
			return p
		}
	}
}

// claim reserves an e-mail address, phone number or domain for one owner.
func (g *gen) claim(k string) bool {
	h := uint64(14695981039346656037) // FNV-1a
	for i := 0; i < len(k); i++ {
		h ^= uint64(k[i])
		h *= 1099511628211
	}
	return g.used.add(h)
}

// hashSet is a set of 32-bit hashes, open addressing with linear probing
// in a table small enough for a cache (a map of strings costs several
// misses a look-up). Two keys with the same hash (a few hundred among a
// million rows' keys) count as one, which only means that a person draws
// another address or number.
type hashSet struct {
	slots []uint32
	shift uint // 64 - log2(len(slots))
	n     int
}

func newHashSet(n int) hashSet {
	size, shift := 1024, uint(54)
	for size < 2*n {
		size, shift = 2*size, shift-1
	}
	return hashSet{slots: make([]uint32, size), shift: shift}
}

// add reports whether the key hashing to h was not in the set, and adds it.
func (s *hashSet) add(h uint64) bool {
	fp := uint32(h>>32) ^ uint32(h)
	if fp == 0 {
		fp = 1
	}
	if 2*(s.n+1) > len(s.slots) {
		old := s.slots
		s.slots, s.shift, s.n = make([]uint32, 2*len(old)), s.shift-1, 0
		for _, v := range old {
			if v != 0 {
				s.insert(v)
			}
		}
	}
	return s.insert(fp)
}

func (s *hashSet) insert(fp uint32) bool {
	mask := uint64(len(s.slots) - 1)
	for i := (uint64(fp) * 0x9e3779b97f4a7c15) >> s.shift; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = fp
			s.n++
			return true
		case fp:
			return false
		}
	}
}

// alloc returns a cleared entity of the current group. The group's
// entities are written before the next group reuses them.
func (g *gen) alloc() *entity {
	if len(g.scratch) == cap(g.scratch) {
		g.scratch = make([]entity, 0, 2*cap(g.scratch))
	}
	g.scratch = g.scratch[:len(g.scratch)+1]
	e := &g.scratch[len(g.scratch)-1]
	*e = entity{}
	return e
}

// household writes 2-5 people sharing a landline and an address and,
// mostly, the family name of the first; each has an own e-mail or none,
// a few share one family address.
func (g *gen) household(size int) {
	r := g.r
	cult := cultureW.pick(r)
	c := countryFor(r, cult)
	ci := c.cityIn(r, cult)
	addr := g.homeAddress(c, ci)
	land := g.uniqueLandline(c, ci)
	familyEmail := ""
	shareEmail := r.chance(0.12)
	var members []*entity
	for i := range size {
		male := r.chance(0.5)
		if i < 2 {
			male = i == 0
			if r.chance(0.1) {
				male = !male
			}
		}
		// The spouse (the second member) keeps an own family name where
		// the culture has it so; the children take the first's.
		same := true
		if i == 1 {
			switch cult {
			case cZh:
				same = r.chance(0.1)
			case cKo:
				same = false
			case cAr, cEs:
				same = r.chance(0.3)
			case cJa, cRu:
			default:
				same = r.chance(0.8)
			}
		}
		var like *entity
		if i > 0 {
			like = members[0]
		}
		e := g.newPerson(cult, male, c, ci, like, same)
		for try := 0; try < 8 && sameGiven(e, members); try++ {
			g.drawName(e, like, same) // siblings are not named alike
		}
		if i >= 2 && cult == cEs && members[1].fam != members[0].fam {
			e.fam2 = members[1].fam // apellido paterno y materno
			e.ascii = asciiName(e)
		}
		if e.birth != "" {
			if i < 2 {
				e.birth = birthDate(r, 1945, 1992)
			} else {
				e.birth = birthDate(r, 1975, 2012)
			}
		}
		e.addr = addr
		e.phones[0] = land
		if i < 2 || r.chance(0.5) {
			e.phones[1] = g.uniqueMobile(c, ci)
		}
		e.pPrimary = 0.7
		g.phoneHabit(e)
		switch u := r.float(); {
		case shareEmail && u < 0.6:
			if familyEmail == "" {
				familyEmail = g.familyEmail(e)
			}
			e.email = familyEmail
		case u < 0.8:
			e.email = g.personalEmail(e)
		}
		if r.chance(0.2) {
			e.email2 = g.personalEmail(e)
		}
		members = append(members, e)
	}
	for _, e := range members {
		g.emit(e)
	}
}

func sameGiven(e *entity, ms []*entity) bool {
	for _, m := range ms {
		if m.giv == e.giv && m.ja[1] == e.ja[1] && m.ko[1] == e.ko[1] && m.ar[1] == e.ar[1] {
			return true
		}
	}
	return false
}

// staff writes the people of one company (and, usually, the company):
// they share its switchboard, its address and its e-mail domain.
func (g *gen) staff(size int) {
	r := g.r
	cult := cultureW.pick(r)
	c := countryFor(r, cult)
	ci := c.cityIn(r, cult)
	co := g.newCompany(c, ci)
	if size > 3 && r.chance(0.6) {
		g.emit(g.companyEntity(co))
		size--
	}
	taken := map[string]bool{}
	for range size {
		pc := cult
		if r.chance(0.25) {
			pc = cultureW.pick(r)
		}
		e := g.newPerson(pc, r.chance(0.5), c, ci, nil, false)
		if r.chance(0.7) {
			e.addr = co.addr
		}
		if r.chance(0.65) {
			e.phones[0] = co.board
			if r.chance(0.3) {
				e.ext = itoa(r.between(100, 899))
			}
		} else if r.chance(0.5) {
			e.phones[0] = g.uniqueLandline(c, ci)
		} else {
			e.phones[0] = g.uniqueMobile(c, ci)
		}
		e.phones[1] = g.uniqueMobile(c, ci)
		e.pPrimary = 0.75
		g.phoneHabit(e)
		if r.chance(0.9) {
			e.email = g.staffEmail(e, co, taken)
		}
		if r.chance(0.4) {
			e.email2 = g.personalEmail(e)
			if e.email == "" {
				e.email, e.email2 = e.email2, ""
			}
		}
		g.emit(e)
	}
}

// emit writes the entity's first record and its extra ones.
func (g *gen) emit(e *entity) {
	g.rows = append(g.rows, g.record(e, false))
	for range e.extras {
		g.rows = append(g.rows, g.record(e, true))
	}
}

// shuffle puts the rows in random order, then moves any row that sits next
// to another record of its entity.
func (g *gen) shuffle() {
	rows, r := g.rows, g.r
	for i := len(rows) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		rows[i], rows[j] = rows[j], rows[i]
	}
	n := len(rows)
	clash := func(i int) bool {
		return (i > 0 && rows[i-1].Entity == rows[i].Entity) || (i+1 < n && rows[i+1].Entity == rows[i].Entity)
	}
	for i := 1; i < n; i++ {
		if rows[i].Entity != rows[i-1].Entity {
			continue
		}
		for range 32 {
			j := r.intn(n)
			rows[i], rows[j] = rows[j], rows[i]
			if !clash(i) && !clash(j) {
				break
			}
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
}
