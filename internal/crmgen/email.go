package crmgen

import "strings"

// asciiName is the person's given and family name in lower-case ASCII, as
// e-mail local parts write them (pinyin, romaji, transliteration).
func asciiName(e *entity) [2]string {
	var gv, fm string
	switch e.cult {
	case cZh:
		gv, fm = pinyinJoin([]rune(e.giv), false), pinyinJoin([]rune(e.fam), false)
	case cJa:
		gv, fm = e.ja[1].romaji, e.ja[0].romaji
	case cKo:
		gv, fm = e.ko[1].roman[0], e.ko[0].roman[0]
	case cRu:
		gv, fm = translitRu(e.giv, 0), translitRu(e.fam, 0)
	case cAr:
		gv, fm = e.ar[1].latin[0], e.ar[0].latin[0]
	default:
		gv, fm = asciiFold(e.giv, e.cult == cDe), asciiFold(e.fam, e.cult == cDe)
	}
	return [2]string{asciiClean.Replace(strings.ToLower(gv)), asciiClean.Replace(strings.ToLower(fm))}
}

var asciiClean = strings.NewReplacer(" ", "", "-", "", "'", "")

var handles = []string{"sunny", "bluesky", "tiger", "happy", "dragon", "angel", "star", "lucky", "coolcat", "music", "panda", "rainbow", "shadow", "ocean", "summer", "phoenix"}

// personalEmail makes an address at one of the country's providers that
// nobody else in the list holds.
func (g *gen) personalEmail(e *entity) string {
	r := g.r
	c := e.ctry
	dom := c.domains[c.dw.pick(r)]
	if r.chance(0.06) {
		dom = pick(r, []string{"gmail.com", "outlook.com", "hotmail.com", "yahoo.com"})
	}
	gv, fm := e.ascii[0], e.ascii[1]
	year := ""
	if e.birth != "" {
		year = e.birth[:4]
	} else {
		year = itoa(r.between(1950, 2005))
	}
	num := func() string {
		switch r.intn(4) {
		case 0:
			return year
		case 1:
			return year[2:]
		case 2:
			return itoa(r.between(1, 99))
		}
		return itoa(r.between(100, 9999))
	}
	var local string
	switch {
	case dom == "qq.com" && r.chance(0.6):
		local = string(r.digitFrom("123456789")) + r.digits(r.between(5, 9)) // a QQ number
	case e.cult == cZh:
		switch r.intn(10) {
		case 0, 1, 2:
			local = fm + gv
		case 3, 4, 5:
			local = fm + gv + num()
		case 6:
			local = gv + "." + fm
		case 7:
			local = fm + "_" + gv
		case 8:
			local = initials(fm, gv) + num()
		default:
			local = pick(r, handles) + num()
		}
	default:
		switch r.intn(20) {
		case 0, 1, 2, 3, 4, 5:
			local = gv + "." + fm
		case 6, 7, 8:
			local = gv + fm
		case 9, 10:
			local = gv[:1] + fm
		case 11:
			local = gv + "_" + fm
		case 12:
			local = fm + "." + gv
		case 13, 14, 15:
			local = gv + fm + num()
		case 16, 17:
			local = gv + "." + fm + num()
		default:
			local = pick(r, handles) + num()
		}
	}
	for i := 0; ; i++ {
		a := local + "@" + dom
		if i > 0 {
			a = local + itoa(r.between(1, 99*i*i)) + "@" + dom
		}
		if g.claim(a) {
			return a
		}
	}
}

func initials(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a[:1] + b[:1]
}

// workEmail is an address at an employer that is not itself in the list.
func (g *gen) workEmail(e *entity) string {
	r := g.r
	dom := strings.ToLower(pick(r, coBrands)) + "-" + strings.ToLower(pick(r, coIndustry[cEn])) + pick(r, e.ctry.tld)
	local := e.ascii[0] + "." + e.ascii[1]
	for i := 0; ; i++ {
		a := local + "@" + dom
		if i > 0 {
			a = local + itoa(i+1) + "@" + dom
		}
		if g.claim(a) {
			return a
		}
	}
}

// familyEmail is one address a household shares: thesmiths@, wangjia@.
func (g *gen) familyEmail(e *entity) string {
	r := g.r
	c := e.ctry
	dom := c.domains[c.dw.pick(r)]
	var local string
	switch {
	case e.cult == cZh:
		local = e.ascii[1] + "jia" + itoa(r.between(1, 999))
	case r.chance(0.5):
		local = "the" + e.ascii[1] + "s"
	default:
		local = e.ascii[1] + ".family"
	}
	for i := 0; ; i++ {
		a := local + "@" + dom
		if i > 0 {
			a = local + itoa(r.between(1, 99*i*i)) + "@" + dom
		}
		if g.claim(a) {
			return a
		}
	}
}

// staffEmail follows the company's one pattern; a second John Smith gets
// john.smith2.
func (g *gen) staffEmail(e *entity, co *company, taken map[string]bool) string {
	gv, fm := e.ascii[0], e.ascii[1]
	if gv == "" {
		gv = "x"
	}
	if fm == "" {
		fm = "x"
	}
	var local string
	switch len(co.domain) % 6 {
	case 0, 1, 2:
		local = gv + "." + fm
	case 3:
		local = gv[:1] + fm
	case 4:
		local = gv
	default:
		local = fm + "." + gv
	}
	if co.style == coZh && len(co.domain)%2 == 0 {
		local = fm + gv
	}
	for i := 0; ; i++ {
		a := local
		if i > 0 {
			a += itoa(i + 1)
		}
		a += "@" + co.domain
		if !taken[a] && g.claim(a) {
			taken[a] = true
			return a
		}
	}
}

var domainTypos = map[string][]string{
	"gmail.com":   {"gmial.com", "gmai.com", "gmail.con", "gamil.com", "gmail.co", "gmaill.com", "gnail.com"},
	"hotmail.com": {"hotmial.com", "hotmail.co", "hotmai.com", "hotmal.com"},
	"yahoo.com":   {"yahooo.com", "yaho.com", "yahoo.co", "yhaoo.com"},
	"outlook.com": {"outlok.com", "outlook.co", "outllok.com"},
	"qq.com":      {"qq.con", "qq.cm", "qq.co", "qq.comm"},
	"163.com":     {"163.con", "136.com", "163.cm", "162.com"},
	"126.com":     {"126.con", "216.com", "126.cm"},
	"mail.ru":     {"mail.ry", "mai.ru", "mail.r"},
	"naver.com":   {"naver.con", "navr.com", "never.com"},
	"gmx.de":      {"gmx.ed", "gxm.de", "gmx.d"},
	"web.de":      {"web.ed", "wed.de", "weeb.de"},
}

// emailTypo mistypes the local part or the domain of an address.
func emailTypo(r *rng, a string) string {
	at := strings.LastIndexByte(a, '@')
	if at < 0 {
		return a
	}
	local, dom := a[:at], a[at+1:]
	if r.chance(0.5) {
		if t := domainTypos[dom]; t != nil {
			return local + "@" + pick(r, t)
		}
		// Drop or double a letter of the domain name.
		i := strings.IndexByte(dom, '.')
		if i > 2 {
			j := r.intn(i)
			if r.chance(0.5) {
				return local + "@" + dom[:j] + dom[j+1:]
			}
			return local + "@" + dom[:j+1] + dom[j:]
		}
	}
	return asciiTypo(r, local) + "@" + dom
}

// asciiTypo changes, drops, doubles or swaps one character of an ASCII
// word (an e-mail local part).
func asciiTypo(r *rng, s string) string {
	if s == "" {
		return s
	}
	if len(s) < 3 {
		return s + s[len(s)-1:]
	}
	b := []byte(s)
	i := 1 + r.intn(len(b)-2)
	switch r.intn(4) {
	case 0:
		if n := qwerty[b[i]]; n != "" {
			b[i] = n[r.intn(len(n))]
			return string(b)
		}
		fallthrough
	case 1:
		if b[i] != b[i+1] {
			b[i], b[i+1] = b[i+1], b[i]
			return string(b)
		}
		fallthrough
	case 2:
		return string(b[:i]) + string(b[i+1:])
	}
	return string(b[:i+1]) + string(b[i:])
}

var junkEmails = []string{"none", "n/a", "-", "no email", "unknown", "na", "test", "x"}

// junkEmail writes an address that cannot work.
func junkEmail(r *rng, e *entity) string {
	a := e.email
	if a == "" {
		a = e.ascii[1] + "@" + e.ctry.domains[0]
	}
	at := strings.LastIndexByte(a, '@')
	local, dom := a[:at], a[at+1:]
	switch r.intn(7) {
	case 0:
		return local + "@"
	case 1:
		if i := strings.IndexByte(dom, '.'); i > 0 {
			return local + "@" + dom[:i]
		}
		return local + "@"
	case 2:
		return local + " @" + dom
	case 3:
		return local + "@@" + dom
	case 4:
		return local + "." + dom
	case 5:
		return "@" + dom
	}
	return pick(r, junkEmails)
}
