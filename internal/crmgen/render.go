package crmgen

import (
	"strings"
	"unicode"
)

// Corruptions an extra record applies (one to three of them, at most one
// of each group).
const (
	kTypo = 1 << iota
	kNick
	kScript
	kOneField
	kSwap
	kCase
	kSpaces
	kNoEmail
	kAltEmail
	kEmailTypo
	kNoPhone
	kPhoneTypo
	kPhoneFormat
	kNewPhone
	kNoAddr
	kAddrAbbrev
	kAddrSpace
	kCity
	kPostal
	kNoBirth
	kBirthSwap
	kBirthDigit
	kLegal
	numKinds = iota
)

var kindGroup = [numKinds]uint32{
	kTypo | kNick, kTypo | kNick, kScript, kOneField | kSwap, kOneField | kSwap, kCase | kSpaces, kCase | kSpaces,
	kNoEmail | kAltEmail | kEmailTypo, kNoEmail | kAltEmail | kEmailTypo, kNoEmail | kAltEmail | kEmailTypo,
	kNoPhone | kPhoneTypo | kPhoneFormat | kNewPhone, kNoPhone | kPhoneTypo | kPhoneFormat | kNewPhone,
	kNoPhone | kPhoneTypo | kPhoneFormat | kNewPhone, kNoPhone | kPhoneTypo | kPhoneFormat | kNewPhone,
	kNoAddr | kAddrAbbrev | kAddrSpace | kCity | kPostal, kNoAddr | kAddrAbbrev | kAddrSpace | kCity | kPostal,
	kNoAddr | kAddrAbbrev | kAddrSpace | kCity | kPostal, kNoAddr | kAddrAbbrev | kAddrSpace | kCity | kPostal,
	kNoAddr | kAddrAbbrev | kAddrSpace | kCity | kPostal,
	kNoBirth | kBirthSwap | kBirthDigit, kNoBirth | kBirthSwap | kBirthDigit, kNoBirth | kBirthSwap | kBirthDigit,
	kLegal,
}

// corruptionsW: one corruption 50%, two 35%, three 15%.
var corruptionsW = newWeighted([]float64{50, 35, 15})

var kindWeight = [numKinds]float64{16, 5, 8, 6, 4, 5, 4, 8, 6, 5, 8, 6, 8, 4, 6, 6, 3, 4, 3, 3, 2, 2, 15}

// corruptions draws the corruptions of one extra record of e.
func (g *gen) corruptions(e *entity) uint32 {
	r := g.r
	n := 1 + corruptionsW.pick(r)
	var set, blocked uint32
	var cand [numKinds]int
	var w [numKinds]float64
	for range n {
		m := 0
		total := 0.0
		for k := range numKinds {
			bit := uint32(1) << k
			if blocked&bit != 0 || !g.applies(e, bit) {
				continue
			}
			x := kindWeight[k]
			if bit == kScript {
				switch e.cult {
				case cZh:
					x = 22
				case cJa, cKo, cRu, cAr:
					x = 10
				default:
					x = 4
				}
			}
			cand[m], w[m] = k, x
			total += x
			m++
		}
		if m == 0 {
			break
		}
		x := r.float() * total
		k := cand[m-1]
		for i := range m {
			if x < w[i] {
				k = cand[i]
				break
			}
			x -= w[i]
		}
		set |= 1 << k
		blocked |= kindGroup[k]
	}
	return set
}

func (g *gen) applies(e *entity, bit uint32) bool {
	company := e.kind == organization
	switch bit {
	case kNick:
		return !company && g.nickname(e, false) != ""
	case kScript:
		if company {
			return e.co.style != coWestern || hasNonASCII(e.co.brand)
		}
		switch e.cult {
		case cZh, cJa, cKo, cRu, cAr:
			return true
		}
		return hasNonASCII(e.giv + e.fam + e.fam2)
	case kOneField, kSwap, kBirthSwap, kBirthDigit, kNoBirth:
		if company {
			return false
		}
		if bit == kBirthSwap {
			return e.birth != "" && e.birth[8:] <= "12" && e.birth[8:] != e.birth[5:7]
		}
		if bit == kBirthDigit || bit == kNoBirth {
			return e.birth != ""
		}
		return true
	case kLegal:
		return company
	case kNoEmail, kEmailTypo:
		return e.email != ""
	case kAltEmail:
		return e.email2 != ""
	case kNoPhone, kPhoneTypo, kPhoneFormat, kNewPhone:
		return e.phones[0].ok()
	case kNoAddr, kAddrAbbrev, kAddrSpace, kCity:
		return e.addr.ok
	case kPostal:
		return e.addr.ok && e.addr.postal != ""
	}
	return true
}

// record writes one record of e; an extra record (dup) carries corruptions.
func (g *gen) record(e *entity, dup bool) Row {
	r := g.r
	var k uint32
	if dup {
		k = g.corruptions(e)
	}
	row := Row{Entity: e.id, Kind: "person", Culture: cultureCode[e.cult], Country: e.ctry.code}
	if e.kind == organization {
		row.Kind = "company"
	}
	if r.chance(0.06) {
		row.Country = ""
	}
	if e.kind == organization {
		g.companyFields(e, k, &row)
	} else {
		g.nameFields(e, k, &row)
	}
	g.emailField(e, k, &row)
	g.phoneField(e, k, &row)
	g.addressFields(e, k, &row)
	if e.birth != "" && k&kNoBirth == 0 && r.chance(0.85) {
		row.BirthDate = e.birth
		switch {
		case k&kBirthSwap != 0:
			row.BirthDate = e.birth[:5] + e.birth[8:] + "-" + e.birth[5:7]
		case k&kBirthDigit != 0:
			row.BirthDate = birthTypo(r, e.birth)
		}
	}
	if e.locale != "" && r.chance(0.35) {
		row.Locale = e.locale
		switch u := r.float(); {
		case u < 0.08:
			row.Locale = strings.ReplaceAll(e.locale, "-", "_")
		case u < 0.12:
			row.Locale = strings.ToLower(e.locale)
		}
	}
	return row
}

// birthTypo changes one digit of the year's last place or of the day,
// keeping a valid date.
func birthTypo(r *rng, d string) string {
	b := []byte(d)
	if r.chance(0.5) {
		b[3] = byte('0' + (int(b[3]-'0')+1+r.intn(9))%10)
		return string(b)
	}
	m := int(b[5]-'0')*10 + int(b[6]-'0')
	day := int(b[8]-'0')*10 + int(b[9]-'0')
	for {
		nd := (day/10)*10 + r.intn(10)
		if r.chance(0.3) {
			nd = r.intn(3)*10 + day%10
		}
		if nd != day && nd >= 1 && nd <= monthDays[m] {
			return d[:8] + pad2(nd)
		}
	}
}

// nickname is a short form of e's given name (in e's own script), or an
// English name a Chinese person uses; "" if none.
func (g *gen) nickname(e *entity, draw bool) string {
	if e.cult == cZh {
		return e.eng
	}
	if e.cult == cJa || e.cult == cKo || e.cult == cAr {
		return ""
	}
	l := nicknames[e.giv]
	if len(l) == 0 {
		return ""
	}
	if !draw {
		return l[0]
	}
	return pick(g.r, l)
}

// nameFields writes the person's name into the row.
func (g *gen) nameFields(e *entity, k uint32, row *Row) {
	r := g.r
	script := e.script
	if k&kScript != 0 {
		script = g.otherScript(e)
	}
	layout := e.layout
	if k&kOneField != 0 {
		if layout == lSplit {
			layout = lOne
			if e.cult == cZh && r.chance(0.3) {
				layout = lGivenOnly
			}
		} else {
			layout = lSplit
		}
	}
	typo := k&kTypo != 0
	typoGiven := r.chance(0.65)
	var giv, fam string
	cjk := false // written in Han, kana or Hangul: no spaces between names
	sep := " "
	eastern := e.eastern
	switch e.cult {
	case cZh:
		gr, fr := []rune(e.giv), []rune(e.fam)
		nick := ""
		if k&kNick != 0 {
			nick = e.eng
			script = sLatin
		}
		if typo && script != sLatin {
			if typoGiven {
				gr = hanTypo(r, gr)
			} else {
				fr = hanTypo(r, fr)
			}
			typo = false
		}
		switch script {
		case sNative, sTrad:
			giv, fam = string(gr), string(fr)
			if script == sTrad {
				giv, fam = toTrad(giv), toTrad(fam)
			}
			cjk = true
			if !e.oneSpace {
				sep = ""
			}
		default:
			giv = g.pinyinGiven(e, gr)
			fam = pinyinJoin(fr, false)
			if len(fr) == 2 && r.chance(0.15) {
				fam = pinyinSplit(fr, pick(r, []string{" ", "-"}), false) // Ou Yang, Ou-Yang
			}
			if nick != "" {
				giv, eastern = nick, false
			}
		}
	case cJa:
		f, gv := e.ja[0], e.ja[1]
		if script == sLatin {
			fam, giv = f.romaji, gv.romaji
			if f.alt != "" && r.chance(0.3) {
				fam = f.alt
			}
			if gv.alt != "" && r.chance(0.3) {
				giv = gv.alt
			}
		} else {
			fam, giv, cjk = f.kanji, gv.kanji, true
			if typo {
				if v := jaVariant[fam]; v != nil {
					fam, typo = pick(r, v), false
				}
			}
			sep = pick(r, []string{" ", " ", "", "\u3000"})
		}
	case cKo:
		f, gv := e.ko[0], e.ko[1]
		if script == sLatin {
			fam = f.roman[0]
			if len(f.roman) > 1 && r.chance(0.25) {
				fam = pick(r, f.roman[1:])
			}
			v := e.pyVar
			if r.chance(0.25) {
				v = r.intn(4)
			}
			giv = koGiven(gv.roman[0], v)
		} else {
			fam, giv, cjk = f.hangul, gv.hangul, true
			sep = ""
			if e.oneSpace {
				sep = " "
			}
		}
	case cRu:
		giv, fam = e.giv, e.fam
		if k&kNick != 0 {
			giv = g.nickname(e, true)
		}
		if typo && script != sLatin && r.chance(0.3) && strings.ContainsRune(giv+fam, 'ё') {
			giv, fam = strings.ReplaceAll(giv, "ё", "е"), strings.ReplaceAll(fam, "ё", "е")
			typo = false
		}
		if script == sLatin {
			s := e.ruScheme
			if r.chance(0.25) {
				s = 1 - s
			}
			giv, fam = translitRu(giv, s), translitRu(fam, s)
		}
	case cAr:
		f, gv := e.ar[0], e.ar[1]
		if script == sLatin {
			v := e.arVar
			if r.chance(0.35) {
				v = r.intn(4)
			}
			fam, giv = f.latin[v%len(f.latin)], gv.latin[v%len(gv.latin)]
		} else {
			fam, giv = f.arabic, gv.arabic
			if typo {
				if a, b := arVariant.Replace(fam), arVariant.Replace(giv); a != fam || b != giv {
					fam, giv, typo = a, b, false
				}
			}
		}
	default:
		giv, fam = e.giv, e.fam
		if k&kNick != 0 {
			giv = g.nickname(e, true)
		}
		if e.fam2 != "" && e.bothSurnames != r.chance(0.2) {
			fam += " " + e.fam2
		}
		if script == sLatin {
			de := e.cult == cDe && r.chance(0.6)
			giv, fam = asciiFold(giv, de), asciiFold(fam, de)
		}
	}
	if typo {
		if typoGiven || cjk {
			giv = latinTypo(r, giv)
		} else {
			fam = latinTypo(r, fam)
		}
	}
	if k&kSwap != 0 && layout == lSplit {
		giv, fam = fam, giv
	}
	switch layout {
	case lSplit:
		row.GivenName, row.FamilyName = giv, fam
	case lGivenOnly:
		if cjk {
			row.GivenName = fam + " " + giv
		} else {
			row.GivenName = fam + " " + giv
			if !eastern {
				row.GivenName = giv + " " + fam
			}
		}
	default:
		row.Name = g.oneField(e, giv, fam, cjk, sep, eastern, k&kSwap != 0)
	}
	// Case and spacing: web forms typed in capitals or in lower case.
	if k&kCase != 0 || r.chance(0.03) {
		f := strings.ToUpper
		if r.chance(0.5) {
			f = strings.ToLower
		}
		row.Name, row.GivenName, row.FamilyName = f(row.Name), f(row.GivenName), f(row.FamilyName)
	}
	if k&kSpaces != 0 {
		switch {
		case row.Name != "":
			row.Name = respace(r, row.Name)
		case r.chance(0.5) && row.FamilyName != "":
			row.FamilyName = respace(r, row.FamilyName)
		default:
			row.GivenName = respace(r, row.GivenName)
		}
	}
}

// oneField writes the whole name in one field: 王涛, 王 涛, Wang Tao, Tao
// Wang, ZHANG Wei, Smith, John. Han, kana and Hangul names are written
// family first unless swapped; Latin ones in the person's usual order.
func (g *gen) oneField(e *entity, giv, fam string, cjk bool, sep string, eastern, swap bool) string {
	r := g.r
	if cjk {
		if swap {
			return giv + sep + fam
		}
		return fam + sep + giv
	}
	eastern = eastern != swap
	switch {
	case (e.cult == cZh || e.cult == cJa) && eastern && r.chance(0.3):
		return strings.ToUpper(fam) + " " + giv
	case eastern:
		return fam + " " + giv
	case e.cult != cZh && e.cult != cJa && e.cult != cKo && r.chance(0.08):
		return fam + ", " + giv
	}
	return giv + " " + fam
}

// pinyinGiven writes a Han given name in pinyin the person's usual way:
// Xiuying, Xiu Ying, Xiu-Ying, Xiu-ying.
func (g *gen) pinyinGiven(e *entity, s []rune) string {
	v := e.pyVar
	if g.r.chance(0.2) {
		v = g.r.intn(4)
	}
	if len(s) < 2 {
		return pinyinJoin(s, true)
	}
	switch v {
	case 1:
		return pinyinSplit(s, " ", false)
	case 2:
		return pinyinSplit(s, "-", false)
	case 3:
		return pinyinSplit(s, "-", true)
	}
	return pinyinJoin(s, true)
}

// koGiven writes a romanised Korean given name: Min-jun, Minjun, Min Jun,
// Min-Jun.
func koGiven(s string, v int) string {
	i := strings.IndexByte(s, '-')
	if i < 0 {
		return s
	}
	a, b := s[:i], s[i+1:]
	switch v {
	case 1:
		return a + b
	case 2:
		return a + " " + title(b)
	case 3:
		return a + "-" + title(b)
	}
	return s
}

// otherScript picks a script for the name other than the person's usual.
func (g *gen) otherScript(e *entity) int {
	r := g.r
	switch e.cult {
	case cZh:
		switch e.script {
		case sNative:
			if r.chance(0.3) {
				return sTrad
			}
			return sLatin
		case sTrad:
			if r.chance(0.4) {
				return sNative
			}
			return sLatin
		}
		if r.chance(0.8) {
			return sNative
		}
		return sTrad
	}
	if e.script == sLatin {
		return sNative
	}
	return sLatin
}

// companyFields writes a company's name.
func (g *gen) companyFields(e *entity, k uint32, row *Row) {
	r := g.r
	script := e.script
	if k&kScript != 0 {
		switch {
		case script == sLatin:
			script = sNative
			if e.co.c.code == "TW" || e.co.c.code == "HK" {
				script = sTrad
			}
		case e.co.style == coZh && r.chance(0.3) && script == sNative:
			script = sTrad
		case e.co.style == coZh && r.chance(0.3) && script == sTrad:
			script = sNative
		default:
			script = sLatin
		}
	}
	v := 0
	if k&kLegal != 0 {
		v = 1 + r.intn(4)
	}
	name := companyName(e.co, script, v, r)
	if k&kTypo != 0 {
		name = latinTypo(r, name)
	}
	if k&kCase != 0 {
		if r.chance(0.5) {
			name = strings.ToUpper(name)
		} else {
			name = strings.ToLower(name)
		}
	}
	if k&kSpaces != 0 {
		name = respace(r, name)
	}
	row.Name = name
}

// emailField writes the e-mail address the record has, if any.
func (g *gen) emailField(e *entity, k uint32, row *Row) {
	r := g.r
	a := e.email
	switch {
	case k&kNoEmail != 0:
		a = ""
	case k&kAltEmail != 0:
		a = e.email2
	case a != "" && !r.chance(0.95):
		a = ""
	}
	if a == "" {
		return
	}
	switch {
	case r.chance(0.01):
		row.Email, row.BadEmail = junkEmail(r, e), true
		return
	case k&kEmailTypo != 0:
		a = emailTypo(r, a)
	}
	if r.chance(0.03) {
		a = title(a) // John.smith@gmail.com
	} else if k&kCase != 0 && r.chance(0.3) {
		a = strings.ToUpper(a)
	}
	row.Email = a
}

// phoneField writes the phone the record has, if any, in the owner's
// style, or with its country code where the row's Country is another.
func (g *gen) phoneField(e *entity, k uint32, row *Row) {
	r := g.r
	if !e.phones[0].ok() || k&kNoPhone != 0 || !r.chance(0.93) {
		return
	}
	p := e.phones[0]
	board := true
	if e.phones[1].ok() && !r.chance(e.pPrimary) {
		p, board = e.phones[1], false
	}
	if k&kNewPhone != 0 {
		if p.nsn == e.phones[0].nsn && e.phones[1].ok() {
			p = e.phones[1]
		} else {
			p = g.uniqueMobile(e.ctry, e.ci)
		}
		board = false
	}
	if r.chance(0.02) {
		row.Phone, row.BadPhone = junkPhone(r, p), true
		return
	}
	if k&kPhoneTypo != 0 {
		p = p.typo(r)
	}
	st := e.phStyle
	if p.c != e.phones[0].c {
		st = p.c.localStyle(r)
	}
	if k&kPhoneFormat != 0 {
		for range 8 {
			n := p.c.localStyle(r)
			if r.chance(0.3) {
				n = pick(r, intlStyles)
			}
			if p.format(n) != p.format(st) {
				st = n
				break
			}
		}
	}
	if row.Country != p.c.code && !isIntl(st) {
		st = e.intlStyle
		if k&kPhoneFormat != 0 {
			st = pick(r, intlStyles)
		}
	}
	s := p.format(st)
	if board && e.ext != "" && r.chance(0.6) {
		s += pick(r, []string{" ext. ", " x", " ext ", " x "}) + e.ext
	}
	row.Phone = s
}

// addressFields writes the address the record has, if any.
func (g *gen) addressFields(e *entity, k uint32, row *Row) {
	r := g.r
	a := e.addr
	if !a.ok || !r.chance(0.88) {
		return
	}
	if k&kNoAddr != 0 {
		if r.chance(0.3) {
			row.City = a.city // only the city is left
		}
		return
	}
	row.AddressLine, row.City, row.PostalCode = a.line, a.city, a.postal
	if r.chance(0.8) {
		row.Region = a.region
	}
	switch {
	case k&kAddrAbbrev != 0:
		row.AddressLine = abbreviate(r, e.ctry, e.ci, a.line)
	case k&kAddrSpace != 0:
		row.AddressLine = respace(r, a.line)
	case k&kCity != 0:
		row.City = cityVariant(r, e.ci, a.city)
	case k&kPostal != 0:
		row.PostalCode = postalVariant(r, e.ctry.code, a.postal)
	}
}

var abbrevs = map[string][][2]string{
	"en": {{" Street", " St"}, {" Street", " St."}, {" Avenue", " Ave"}, {" Road", " Rd"}, {" Drive", " Dr"}, {" Lane", " Ln"},
		{" Boulevard", " Blvd"}, {" Court", " Ct"}, {" Place", " Pl"}, {"Suite", "Ste"}, {"Apt ", "#"}, {"Apt ", "Apartment "}, {"Flat ", "Flat no. "}},
	"DE": {{"straße", "str."}, {"Straße", "Str."}, {"straße", "strasse"}, {"Straße", "Strasse"}, {"Allee", "Al."}, {"platz", "pl."}},
	"FR": {{"avenue", "av."}, {"boulevard", "bd"}, {" rue ", " r. "}, {" rue ", " Rue "}, {"place", "pl."}, {"allée", "all."}, {"impasse", "imp."}},
	"ES": {{"Calle", "C/"}, {"Calle", "c/"}, {"Avenida", "Avda."}, {"Plaza", "Pza."}, {"Paseo", "Pº"}, {"º", "o"}},
	"MX": {{"Avenida", "Av."}, {"Colonia", "Col."}, {"Avenida ", ""}},
	"CO": {{"Calle", "Cl."}, {"Carrera", "Cra."}, {"Carrera", "Kr"}, {" # ", " No. "}, {" # ", " #"}},
	"RU": {{"ул.", "улица"}, {"д.", "дом"}, {"кв.", "квартира"}, {", д. ", " "}},
	"IN": {{" Road", " Rd"}, {" Street", " St"}, {" Nagar", " Ngr"}},
	"AR": {{" Street", " St."}, {" Road", " Rd"}, {"Building", "Bldg"}, {"Sheikh", "Shaikh"}},
}

// abbreviate writes the street address with its words shortened (Street ->
// St, Straße -> Str.), its digits full-width (８８号), or its city or
// district added or dropped, as another record of the same place would.
func abbreviate(r *rng, c *country, ci *city, line string) string {
	key := c.code
	switch key {
	case "US", "GB", "CA", "AU", "SG":
		key = "en"
	case "AT", "CH":
		key = "DE"
	case "AE", "SA", "EG":
		key = "AR"
	case "CN", "TW", "HK", "JP", "KR":
		switch r.intn(3) {
		case 0:
			if c.code == "JP" {
				return japaneseBlocks(line)
			}
			return fullWidthDigits(line)
		case 1:
			if c.code == "TW" {
				if strings.Contains(line, "台") {
					return strings.ReplaceAll(line, "台", "臺")
				}
				return strings.ReplaceAll(line, "臺", "台")
			}
			if c.code == "KR" {
				return strings.Replace(line, " ", "", 1)
			}
			return ci.name + line // 北京市朝阳区建国路88号
		}
		for _, d := range ci.dist {
			if strings.HasPrefix(line, d) && d != line && c.code != "JP" {
				return strings.TrimSpace(strings.TrimPrefix(line, d)) // district dropped
			}
		}
		return fullWidthDigits(line)
	}
	l := abbrevs[key]
	start := r.intn(len(l) + 1)
	for i := range l {
		a := l[(start+i)%len(l)]
		if strings.Contains(line, a[0]) {
			return strings.Replace(line, a[0], a[1], 1)
		}
	}
	return respace(r, line)
}

func fullWidthDigits(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= '0' && c <= '9' {
			return c - '0' + '０'
		}
		if c == '-' {
			return '－'
		}
		return c
	}, s)
}

// japaneseBlocks writes 1-9-1 as 1丁目9番1号.
func japaneseBlocks(s string) string {
	i := strings.IndexFunc(s, unicode.IsDigit)
	if i < 0 {
		return s
	}
	p := strings.Split(s[i:], "-")
	if len(p) != 3 {
		return s
	}
	return s[:i] + p[0] + "丁目" + p[1] + "番" + p[2] + "号"
}

// respace adds, doubles or drops a space.
func respace(r *rng, s string) string {
	rs := []rune(s)
	if len(rs) < 2 {
		return s + " "
	}
	switch r.intn(4) {
	case 0:
		return " " + s
	case 1:
		return s + " "
	}
	for range len(rs) {
		i := 1 + r.intn(len(rs)-1)
		if rs[i] == ' ' {
			if r.chance(0.5) {
				return string(rs[:i]) + string(rs[i+1:]) // Hauptstraße12
			}
			return string(rs[:i]) + " " + string(rs[i:])
		}
	}
	i := 1 + r.intn(len(rs)-1)
	return string(rs[:i]) + " " + string(rs[i:]) // 王 涛, 北京 市
}

// cityVariant writes the city another way: another name, case or spacing.
func cityVariant(r *rng, ci *city, name string) string {
	if len(ci.alt) > 0 && r.chance(0.6) {
		return pick(r, ci.alt)
	}
	switch r.intn(3) {
	case 0:
		if up := strings.ToUpper(name); up != name {
			return up
		}
	case 1:
		if lo := strings.ToLower(name); lo != name {
			return lo
		}
	}
	if len(ci.alt) > 0 {
		return pick(r, ci.alt)
	}
	return respace(r, name)
}

// postalVariant writes the postcode another way: no space, lower case,
// a leading zero lost to a spreadsheet, ZIP+4, or one digit wrong.
func postalVariant(r *rng, cc, p string) string {
	switch {
	case strings.Contains(p, " ") && r.chance(0.6):
		if r.chance(0.3) {
			return strings.ToLower(p)
		}
		return strings.ReplaceAll(p, " ", "")
	case p[0] == '0' && r.chance(0.7):
		return strings.TrimLeft(p, "0")
	case cc == "US" && r.chance(0.6):
		return p + "-" + r.digits(4)
	case cc == "JP":
		if r.chance(0.5) {
			return "〒" + p
		}
		return strings.ReplaceAll(p, "-", "")
	}
	b := []byte(p)
	for range 8 {
		i := r.intn(len(b))
		if b[i] >= '0' && b[i] <= '9' {
			b[i] = byte('0' + (int(b[i]-'0')+1+r.intn(9))%10)
			return string(b)
		}
	}
	return p + " "
}

var qwerty = map[byte]string{
	'q': "wa", 'w': "qes", 'e': "wrd", 'r': "etf", 't': "ryg", 'y': "tuh", 'u': "yij", 'i': "uok", 'o': "ipl", 'p': "ol",
	'a': "qsz", 's': "awdz", 'd': "sefx", 'f': "drgc", 'g': "fthv", 'h': "gyjb", 'j': "hukn", 'k': "jilm", 'l': "kop",
	'z': "asx", 'x': "zsdc", 'c': "xdfv", 'v': "cfgb", 'b': "vghn", 'n': "bhjm", 'm': "njk",
	'0': "9", '1': "2", '2': "13", '3': "24", '4': "35", '5': "46", '6': "57", '7': "68", '8': "79", '9': "80",
}

// latinTypo makes one keyboard error in a name: a neighbouring key, two
// letters swapped, a letter dropped or doubled. It works on any alphabet
// (Cyrillic, Hangul) by runes.
func latinTypo(r *rng, s string) string {
	rs := []rune(s)
	if len(rs) < 2 {
		return s + s
	}
	if len(rs) < 4 {
		i := r.intn(len(rs))
		return string(rs[:i+1]) + string(rs[i:]) // doubled
	}
	i := 1 + r.intn(len(rs)-2)
	for range 4 {
		switch r.intn(4) {
		case 0:
			c := unicode.ToLower(rs[i])
			if c < 128 && qwerty[byte(c)] != "" {
				n := rune(pick(r, []byte(qwerty[byte(c)])))
				if unicode.IsUpper(rs[i]) {
					n = unicode.ToUpper(n)
				}
				rs[i] = n
				return string(rs)
			}
		case 1:
			if rs[i] != rs[i+1] && rs[i] != ' ' && rs[i+1] != ' ' {
				rs[i], rs[i+1] = rs[i+1], rs[i]
				return string(rs)
			}
		case 2:
			if rs[i] != ' ' {
				return string(rs[:i]) + string(rs[i+1:])
			}
		default:
			if rs[i] != ' ' {
				return string(rs[:i+1]) + string(rs[i:])
			}
		}
	}
	return string(rs[:i]) + string(rs[i+1:])
}
