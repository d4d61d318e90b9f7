package dedup

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kehu/crm/internal/searchtext"
)

// JaroWinkler returns the Jaro-Winkler similarity of a and b, in [0, 1],
// compared rune by rune (so it works in any script) with the standard prefix
// scale 0.1 over at most four leading runes. Two empty strings are 1.
// Callers wanting case and accent insensitivity fold first ([Normalize]).
func JaroWinkler(a, b string) float64 {
	var ba, bb [48]rune
	return jaroWinkler(toRunes(ba[:0], a), toRunes(bb[:0], b))
}

func toRunes(buf []rune, s string) []rune {
	for _, r := range s {
		buf = append(buf, r)
	}
	return buf
}

func jaroWinkler(a, b []rune) float64 {
	j := jaro(a, b)
	if j <= 0 {
		return j
	}
	l := 0
	for l < len(a) && l < len(b) && l < 4 && a[l] == b[l] {
		l++
	}
	return j + float64(l)*0.1*(1-j)
}

func jaro(a, b []rune) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	win := len(b)/2 - 1
	if win < 0 {
		win = 0
	}
	var fa, fb [64]bool
	ma, mb := fa[:0], fb[:0]
	if len(a) > 64 || len(b) > 64 {
		ma, mb = make([]bool, len(a)), make([]bool, len(b))
	} else {
		ma, mb = fa[:len(a)], fb[:len(b)]
	}
	m := 0
	for i, r := range a {
		lo, hi := max(0, i-win), min(len(b), i+win+1)
		for k := lo; k < hi; k++ {
			if !mb[k] && b[k] == r {
				ma[i], mb[k] = true, true
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	t, k := 0, 0
	for i := range a {
		if !ma[i] {
			continue
		}
		for !mb[k] {
			k++
		}
		if a[i] != b[k] {
			t++
		}
		k++
	}
	fm := float64(m)
	return (fm/float64(len(a)) + fm/float64(len(b)) + (fm-float64(t/2))/fm) / 3
}

// EditDistance returns the optimal-string-alignment Damerau-Levenshtein
// distance between a and b, counted in runes: insertions, deletions,
// substitutions and transpositions of adjacent runes cost one each.
func EditDistance(a, b string) int {
	var ba, bb [48]rune
	return osa(toRunes(ba[:0], a), toRunes(bb[:0], b), 1<<30)
}

// osa is the OSA distance, giving up with limit+1 once it exceeds limit.
func osa(a, b []rune, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	if len(a) == 0 {
		return len(b)
	}
	if len(b) == 0 {
		return len(a)
	}
	n := len(b) + 1
	var buf [3 * 49]int
	var rows []int
	if 3*n <= len(buf) {
		rows = buf[:3*n]
	} else {
		rows = make([]int, 3*n)
	}
	pp, p, c := rows[:n], rows[n:2*n], rows[2*n:]
	for j := range p {
		p[j] = j
	}
	for i := 1; i <= len(a); i++ {
		c[0] = i
		best := c[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(p[j]+1, c[j-1]+1, p[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, pp[j-2]+1)
			}
			c[j] = v
			best = min(best, v)
		}
		if best > limit {
			return limit + 1
		}
		pp, p, c = p, c, pp
	}
	return p[len(b)]
}

// Normalize folds s for comparison: case and accents folded
// (searchtext.Fold: "José" is "jose", "ＭÜLLER" is "muller"), every run of
// characters that are not letters, marks or digits turned into one space,
// and the result trimmed.
func Normalize(s string) string {
	if s == "" {
		return ""
	}
	if out, ok := normalizeASCII(s); ok {
		return out
	}
	s = searchtext.Fold(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		} else {
			space = true
		}
	}
	return b.String()
}

// normalizeASCII is Normalize for pure ASCII input, where folding is just
// lower-casing. It returns s itself, without allocating, when s is already
// normal; ok is false when s holds non-ASCII bytes.
func normalizeASCII(s string) (out string, ok bool) {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return "", false
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
		case c == ' ' && i > 0 && i < len(s)-1 && s[i-1] != ' ':
		default:
			clean = false
		}
	}
	if clean {
		return s, true
	}
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
		default:
			space = true
			continue
		}
		if space && len(b) > 0 {
			b = append(b, ' ')
		}
		space = false
		b = append(b, c)
	}
	return string(b), true
}

// squash removes spaces: names compare as one word ("van der berg" and
// "vanderberg" agree).
func squash(s string) string {
	if strings.IndexByte(s, ' ') < 0 {
		return s
	}
	return strings.ReplaceAll(s, " ", "")
}

// Soundex returns the American Soundex code of a folded Latin name ("robert"
// and "rupert" give "R163"). For a name that does not start with a Latin
// letter it returns the first three runes of the name itself, so names in
// other scripts still block sensibly.
func Soundex(s string) string {
	if s == "" {
		return ""
	}
	c := s[0]
	if c < 'a' || c > 'z' {
		n, i := 0, 0
		for i < len(s) && n < 3 {
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
			n++
		}
		return s[:i]
	}
	code := func(c byte) byte {
		switch c {
		case 'b', 'f', 'p', 'v':
			return '1'
		case 'c', 'g', 'j', 'k', 'q', 's', 'x', 'z':
			return '2'
		case 'd', 't':
			return '3'
		case 'l':
			return '4'
		case 'm', 'n':
			return '5'
		case 'r':
			return '6'
		case 'h', 'w':
			return 'h'
		case 'a', 'e', 'i', 'o', 'u', 'y':
			return 'v'
		}
		return 0
	}
	out := []byte{c - 'a' + 'A', '0', '0', '0'}
	n := 1
	last := code(c)
	for i := 1; i < len(s) && n < 4; i++ {
		k := code(s[i])
		switch k {
		case 0, 'v':
			last = k
		case 'h':
		default:
			if k != last {
				out[n] = k
				n++
			}
			last = k
		}
	}
	return string(out)
}

// nicknames maps common English diminutives and variants to one canonical
// name. It is general knowledge, not fitted to any data set.
var nicknames = func() map[string]string {
	groups := [][]string{
		{"robert", "rob", "robbie", "bob", "bobby", "bert"},
		{"william", "will", "willie", "bill", "billy", "liam"},
		{"richard", "rich", "rick", "ricky", "dick"},
		{"james", "jim", "jimmy", "jamie"},
		{"john", "jack", "johnny", "jon"},
		{"jonathan", "jon", "jonny"},
		{"michael", "mike", "mick", "mickey", "micky"},
		{"thomas", "tom", "tommy"},
		{"joseph", "joe", "joey"},
		{"charles", "charlie", "chuck", "chas"},
		{"christopher", "chris", "kit"},
		{"daniel", "dan", "danny"},
		{"matthew", "matt", "matty"},
		{"anthony", "tony"},
		{"andrew", "andy", "drew"},
		{"edward", "ed", "eddie", "ted", "teddy", "ned"},
		{"benjamin", "ben", "benny"},
		{"samuel", "sam", "sammy"},
		{"nicholas", "nick", "nicky"},
		{"alexander", "alex", "sandy", "xander"},
		{"alexandra", "alex", "sandra", "lexi"},
		{"patrick", "pat", "paddy"},
		{"patricia", "pat", "patty", "trish"},
		{"peter", "pete"},
		{"timothy", "tim", "timmy"},
		{"stephen", "steve", "steven", "stevie"},
		{"gregory", "greg"},
		{"jeffrey", "jeff", "geoffrey", "geoff"},
		{"kenneth", "ken", "kenny"},
		{"ronald", "ron", "ronnie"},
		{"donald", "don", "donnie"},
		{"douglas", "doug"},
		{"frederick", "fred", "freddie"},
		{"henry", "harry", "hank"},
		{"lawrence", "larry"},
		{"leonard", "len", "lenny", "leo"},
		{"nathan", "nate", "nathaniel"},
		{"raymond", "ray"},
		{"zachary", "zach", "zack"},
		{"elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "elise", "libby"},
		{"margaret", "maggie", "meg", "peggy", "marge", "margie"},
		{"katherine", "kate", "katie", "kathy", "kath", "catherine", "cathy", "kathryn", "kat"},
		{"jennifer", "jen", "jenny"},
		{"jessica", "jess", "jessie"},
		{"rebecca", "becky", "becca"},
		{"susan", "sue", "susie", "suzanne"},
		{"deborah", "deb", "debbie", "debra"},
		{"victoria", "vicky", "vikki", "tori"},
		{"christine", "chris", "christina", "tina"},
		{"abigail", "abby", "abbie"},
		{"samantha", "sam", "sammy"},
		{"jacqueline", "jackie"},
		{"josephine", "jo", "josie"},
		{"dorothy", "dot", "dottie"},
		{"barbara", "barb", "babs"},
		{"emily", "em", "emmy"},
		{"isabella", "bella", "izzy", "isabel", "isobel"},
		{"madeline", "maddie", "madison", "madeleine"},
		{"amanda", "mandy"},
		{"kimberley", "kim", "kimberly"},
		{"joshua", "josh"},
		{"jacob", "jake"},
		{"nicole", "nikki"},
		{"natalie", "nat"},
		{"lachlan", "lachie"},
		{"mitchell", "mitch"},
		{"cameron", "cam"},
		{"bradley", "brad"},
		{"phillip", "philip", "phil"},
		{"gabrielle", "gabby", "gabriella"},
		{"mathew", "matthew", "matt"},
	}
	m := map[string]string{}
	for _, g := range groups {
		for _, n := range g {
			if _, ok := m[n]; !ok {
				m[n] = g[0]
			}
		}
	}
	return m
}()

// sameNickname reports whether a and b are variants of one name
// ("bob" and "robert").
func sameNickname(a, b string) bool {
	ca, ok := nicknames[a]
	if !ok {
		return false
	}
	cb, ok := nicknames[b]
	return ok && ca == cb
}

// tokenSimilarity is the symmetric Monge-Elkan similarity of two token
// lists with Jaro-Winkler as the inner measure: every token is matched with
// its best partner on the other side and the two directions are averaged.
func tokenSimilarity(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	return (mongeElkan(a, b) + mongeElkan(b, a)) / 2
}

// letters returns the letters of s (an email's dots, dashes, underscores
// and digits left out).
func letters(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || r == '@' {
			return r
		}
		return -1
	}, s)
}

// sameDigits reports whether a and b hold the same digits in the same
// order.
func sameDigits(a, b string) bool {
	i, j := 0, 0
	for {
		for i < len(a) && (a[i] < '0' || a[i] > '9') {
			i++
		}
		for j < len(b) && (b[j] < '0' || b[j] > '9') {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if a[i] != b[j] {
			return false
		}
		i++
		j++
	}
}

// shareNumber reports whether a and b share a number token, or either
// has none.
func shareNumber(a, b []string) bool {
	na, nb := false, false
	for _, x := range a {
		if !isDigits(x) {
			continue
		}
		na = true
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	if !na {
		return true
	}
	for _, y := range b {
		nb = nb || isDigits(y)
	}
	return !nb
}

// shareToken reports whether a and b have a token in common.
func shareToken(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

func mongeElkan(a, b []string) float64 {
	sum := 0.0
	for _, x := range a {
		best := 0.0
		for _, y := range b {
			var s float64
			switch {
			case x == y:
				s = 1
			case isDigits(x) || isDigits(y):
				// Numbers agree or not; one typo keeps half.
				if len(x) > 1 && len(y) > 1 && editWithin(x, y, 1) {
					s = 0.5
				}
			default:
				s = JaroWinkler(x, y)
			}
			best = max(best, s)
		}
		sum += best
	}
	return sum / float64(len(a))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func strconvF(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// NamesConflict reports whether a and b both name a person and the names
// clearly differ: after folding case, accents and script, allowing
// nicknames, typos and swapped given and family names, the given or the
// family name does not agree at all. Records whose names are missing, or
// only similar, do not conflict.
func NamesConflict(a, b Record) bool {
	pa, pb := prepare(&a, nil), prepare(&b, nil)
	g, f := namesLevels(&pa, &pb)
	return g == 0 || f == 0
}

// nameLevel compares one name of two records, each given in canonical
// (a, b) and romanised (ar, br) form. Names in two scripts with no common
// reading (Arabic and Latin, Japanese kanji and rōmaji) are not compared
// (-1) unless their readings agree.
func nameLevel(a, ar, b, br string) int8 {
	switch {
	case a == "" || b == "":
		return -1
	case a == b:
		return 3
	case ar == br && ar != "":
		if ar == a || br == b {
			return 3 // the same name in another script: 王 and wang
		}
		return 2 // two Han names read alike: 伟 and 玮
	case sameNickname(ar, br):
		return 2
	case hasHan(a) && hasHan(b):
		// Two Han names that differ: their readings being alike says
		// nothing (陽翔 and 陽菜 are siblings), but a character typed
		// twice or left out does.
		if la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b); la != lb && min(la, lb) >= 2 && editWithin(a, b, 1) {
			return 1
		}
		return 0
	}
	var ba, bb [48]rune
	ra, rb := toRunes(ba[:0], ar), toRunes(bb[:0], br)
	jw := jaroWinkler(ra, rb)
	cross := isLatin(a) != isLatin(b)
	switch {
	case jw >= 0.92:
		return 2
	case cross && (!isLatin(ar) || !isLatin(br)):
		// No reading in Latin letters to compare (Arabic).
		return -1
	case cross:
		// Across scripts, readings that are merely alike (ping, jing)
		// are different names.
		return 0
	case jw >= 0.80:
		return 1
	}
	return 0
}

// isLatin reports whether every letter of s is a Latin letter.
func isLatin(s string) bool {
	for _, r := range s {
		if r >= 0x80 && unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r) {
			return false
		}
	}
	return true
}

func dateLevel(a, b string) int8 {
	switch {
	case a == "" || b == "":
		return -1
	case a == b:
		return 3
	}
	if len(a) == 8 && len(b) == 8 && a[:4] == b[:4] && a[4:6] == b[6:8] && a[6:8] == b[4:6] {
		return 2
	}
	var ba, bb [8]rune
	d := osa(toRunes(ba[:0], a), toRunes(bb[:0], b), 2)
	switch {
	case d <= 1:
		return 2
	case d == 2:
		return 1
	}
	if len(a) == 8 && len(b) == 8 {
		n := 0
		if a[:4] == b[:4] {
			n++
		}
		if a[4:6] == b[4:6] {
			n++
		}
		if a[6:8] == b[6:8] {
			n++
		}
		if n >= 2 {
			return 1
		}
	}
	return 0
}

// graded compares two short values: -1 when either is missing, 2 when
// they are equal, 1 when near says they are close, else 0.
func graded(a, b string, near func(a, b string) bool) int8 {
	switch {
	case a == "" || b == "":
		return -1
	case a == b:
		return 2
	case near(a, b):
		return 1
	}
	return 0
}

// oneTypo reports whether postcodes a and b are one edit apart.
func oneTypo(a, b string) bool { return editWithin(a, b, 1) }

// closeName reports whether cities a and b are spelt alike.
func closeName(a, b string) bool { return JaroWinkler(a, b) >= 0.88 }

// editWithin reports whether a and b are at most k edits apart (OSA
// distance in runes).
func editWithin(a, b string, k int) bool {
	if d := len(a) - len(b); d > 4*k || -d > 4*k {
		return false // k runes of at most four bytes each
	}
	if k == 1 && isASCII(a) && isASCII(b) {
		return oneEdit(a, b)
	}
	var ba, bb [48]rune
	return osa(toRunes(ba[:0], a), toRunes(bb[:0], b), k) <= k
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// oneEdit reports whether ASCII strings a and b are equal or one
// substitution, insertion, deletion or swap of adjacent bytes apart.
func oneEdit(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if i == len(a) {
		return len(b)-len(a) <= 1
	}
	switch len(b) - len(a) {
	case 0:
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case 1:
		return a[i:] == b[i+1:]
	}
	return false
}

// addrLevel compares street addresses: -1 missing, 0 different, 1 similar
// tokens, 2 close tokens, 3 the same tokens.
func addrLevel(a, b []string) int8 {
	if len(a) == 0 || len(b) == 0 {
		return -1
	}
	if !shareToken(a, b) || !shareNumber(a, b) {
		return 0 // not one word in common, or other house numbers: a different address
	}
	s := tokenSimilarity(a, b)
	switch {
	case s >= 0.999:
		return 3
	case s >= 0.90:
		return 2
	case s >= 0.75:
		return 1
	}
	return 0
}

// emailLevel compares email addresses: -1 missing, 0 different, 1 one
// typo, 2 a shared address.
func emailLevel(a, b []string) int8 {
	if len(a) == 0 || len(b) == 0 {
		return -1
	}
	best := int8(0)
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return 2
			}
			// A local part alone is often made of the name, so it is no
			// evidence beyond the name: only a typo counts, and not in
			// the digits (jamesjones1992 and jamesjones1999 are two
			// people).
			if len(x) >= 8 && editWithin(x, y, 1) && sameDigits(x, y) && letters(x) != letters(y) {
				best = 1
			}
		}
	}
	return best
}

// phoneLevel compares phone numbers (digits): -1 missing, 0 different, 1
// one digit wrong or two adjacent digits swapped, 2 shared.
func phoneLevel(a, b []string) int8 {
	if len(a) == 0 || len(b) == 0 {
		return -1
	}
	best := int8(0)
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return 2
			}
			if len(x) == len(y) && len(x) >= 7 && editWithin(x, y, 1) {
				best = 1
			}
		}
	}
	return best
}

// contactLevel compares where two records can be reached, phone and
// postal address together, so that one shared home counts once: see the
// labels of the contact field.
func contactLevel(a, b *prepared) int8 {
	ph := phoneLevel(a.phones, b.phones)
	ad := addrLevel(a.addr, b.addr)
	pc := graded(a.postcode, b.postcode, oneTypo)
	ci := graded(a.city, b.city, closeName)
	if ph < 0 && ad < 0 && pc < 0 && ci < 0 {
		return -1
	}
	place := pc == 2 || ci == 2 || pc == 1 && ci >= 1
	switch {
	case ph == 2 && (ad >= 2 || ad < 0 && pc == 2):
		return 6
	case ph == 2:
		return 5
	case ad >= 2 && place:
		return 4
	case ph == 1 || ad >= 2 || ad == 1 && pc == 2:
		return 3
	case ad == 1 || pc == 2 && ci == 2:
		return 2
	case pc == 2:
		return 1
	}
	// A city alone, or a postcode one digit off (the next district), is
	// shared by too many people (and by the people whose names come from
	// its country) to count.
	return 0
}

func extLevel(a, b []string) int8 {
	lv := int8(-1)
	for _, x := range a {
		sx, _, _ := strings.Cut(x, ":")
		for _, y := range b {
			if x == y {
				return 1
			}
			if sy, _, _ := strings.Cut(y, ":"); sx == sy {
				lv = 0
			}
		}
	}
	return lv
}

func attrLevel(a, b string) int8 {
	switch {
	case a == "" || b == "":
		return -1
	case a == b:
		return 3
	}
	var ba, bb [48]rune
	ra, rb := toRunes(ba[:0], a), toRunes(bb[:0], b)
	switch d := osa(ra, rb, 2); {
	case d <= 1 && min(len(ra), len(rb)) >= 3:
		return 2
	case d == 2 && min(len(ra), len(rb)) >= 5:
		return 1
	}
	return 0
}
