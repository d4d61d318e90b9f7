package crmgen

import "strings"

// company is an organisation: its name in the ways records write it, its
// domain, switchboard and address.
type company struct {
	c      *country
	ci     *city
	style  int    // coWestern, coZh, coJa, coKo, coRu
	brand  string // "Acme", "华信", "山田", "한빛", "Вектор"
	latin  string // the brand in Latin letters
	caps   bool   // the brand is styled in capitals: ACME
	ind    [2]string
	legal  string
	domain string
	board  phone
	addr   address
}

const (
	coWestern = iota
	coZh
	coJa
	coKo
	coRu
)

var (
	coBrands = []string{"Acme", "Globex", "Initrode", "Umbra", "Apex", "Summit", "Northwind", "Bluewave", "Redstone", "Silverline",
		"Greenfield", "Brightpath", "Ironbridge", "Northstar", "Oakridge", "Pinecrest", "Riverside", "Sunrise", "Crystal", "Falcon",
		"Orion", "Atlas", "Vertex", "Nova", "Zenith", "Horizon", "Keystone", "Lighthouse", "Meridian", "Pioneer", "Quantum",
		"Sterling", "Titan", "Unity", "Vanguard", "Westwood", "Alpine", "Beacon", "Cascade", "Delta", "Evergreen", "Harbor"}
	coBrandsBy = map[int][]string{
		cDe: {"Nordlicht", "Bergmann", "Rheinland", "Sonnenschein", "Edelweiß", "Alpenblick", "Hansa", "Weser"},
		cFr: {"Lumière", "Soleil", "Étoile", "Belle Rive", "Aube", "Mistral", "Beaulieu"},
		cEs: {"Sol Andino", "Aurora", "Del Valle", "Cumbre", "Brisa", "Montaña Azul", "Río Grande"},
		cIn: {"Sai", "Shree", "Lotus", "Ganga", "Surya", "Akash", "Sagar", "Vayu"},
		cAr: {"Al Noor", "Al Faisal", "Gulf Star", "Al Manar", "Desert Rose", "Al Baraka", "Nile Delta"},
	}
	coIndustry = map[int][]string{
		cEn: {"Systems", "Logistics", "Trading", "Consulting", "Foods", "Media", "Energy", "Labs", "Solutions", "Software", "Partners", "Capital", "Motors", "Technologies", "Industries", "Services", "Group"},
		cDe: {"Logistik", "Maschinenbau", "Software", "Handel", "Bau", "Consulting", "Medien", "Technik", "Systeme"},
		cFr: {"Conseil", "Logistique", "Industries", "Services", "Technologies", "Distribution"},
		cEs: {"Logística", "Consultores", "Comercial", "Servicios", "Tecnología", "Alimentos", "Construcciones"},
		cIn: {"Infotech", "Solutions", "Enterprises", "Industries", "Exports", "Software"},
		cAr: {"Trading", "Contracting", "General Trading", "Logistics", "Real Estate"},
	}
	zhBrands   = []string{"华信", "恒通", "金盛", "宏达", "永泰", "天成", "鼎丰", "瑞祥", "嘉和", "远航", "凯达", "博创", "星辰", "汇通", "盛世", "中科", "新华", "东方"}
	zhIndustry = [][3]string{{"科技", "科技", "Technology"}, {"贸易", "貿易", "Trading"}, {"物流", "物流", "Logistics"},
		{"电子", "電子", "Electronics"}, {"食品", "食品", "Food"}, {"咨询", "諮詢", "Consulting"}, {"建设", "建設", "Construction"}, {"传媒", "傳媒", "Media"}}
	jaIndustry = [][2]string{{"商事", "Shoji"}, {"工業", "Kogyo"}, {"電機", "Denki"}, {"物産", "Bussan"}, {"建設", "Kensetsu"}, {"製作所", "Seisakusho"}}
	koBrands   = [][2]string{{"한빛", "Hanbit"}, {"대한", "Daehan"}, {"미래", "Mirae"}, {"새한", "Saehan"}, {"동방", "Dongbang"}, {"세종", "Sejong"}, {"누리", "Nuri"}}
	ruBrands   = [][2]string{{"Вектор", "Vektor"}, {"Альянс", "Alyans"}, {"Прогресс", "Progress"}, {"Сфера", "Sfera"}, {"Гранит", "Granit"},
		{"Меридиан", "Meridian"}, {"Орион", "Orion"}, {"Стимул", "Stimul"}, {"Восток", "Vostok"}, {"Север", "Sever"}, {"Ромашка", "Romashka"}}
	zhCityShort = map[string][2]string{"北京市": {"北京", "Beijing"}, "上海市": {"上海", "Shanghai"}, "广州市": {"广州", "Guangzhou"},
		"深圳市": {"深圳", "Shenzhen"}, "杭州市": {"杭州", "Hangzhou"}, "成都市": {"成都", "Chengdu"}, "武汉市": {"武汉", "Wuhan"},
		"南京市": {"南京", "Nanjing"}, "天津市": {"天津", "Tianjin"}, "西安市": {"西安", "Xi'an"}, "重庆市": {"重庆", "Chongqing"},
		"臺北市": {"臺北", "Taipei"}, "新北市": {"新北", "New Taipei"}, "臺中市": {"臺中", "Taichung"}, "香港": {"香港", "Hong Kong"}}
)

// nameCulture is the culture whose words a company of the country uses.
func nameCulture(c *country, ci *city) int {
	switch c.code {
	case "DE", "AT":
		return cDe
	case "CH":
		if ci.lang == "fr" {
			return cFr
		}
		return cDe
	case "FR":
		return cFr
	case "CA":
		if ci.lang == "fr" {
			return cFr
		}
	case "ES", "MX", "CO":
		return cEs
	case "IN":
		return cIn
	case "AE", "SA", "EG":
		return cAr
	}
	return cEn
}

func (g *gen) newCompany(c *country, ci *city) *company {
	r := g.r
	co := &company{c: c, ci: ci, legal: pick(r, c.legal)}
	switch c.code {
	case "CN", "TW":
		co.style = coZh
	case "HK":
		if r.chance(0.5) {
			co.style = coZh
		} else {
			co.legal = "Limited"
		}
	case "JP":
		co.style = coJa
	case "KR":
		co.style = coKo
	case "RU":
		co.style = coRu
	}
	if co.style == coWestern && co.legal == "有限公司" {
		co.legal = "Limited"
	}
	var dom string
	switch co.style {
	case coZh:
		co.brand = pick(r, zhBrands)
		co.latin = pinyinJoin([]rune(co.brand), false)
		ind := pick(r, zhIndustry)
		co.ind = [2]string{ind[0], ind[2]}
		if c.code == "TW" {
			co.ind[0] = ind[1]
		}
		dom = strings.ToLower(co.latin)
	case coJa:
		f := &jaFamily[r.intn(len(jaFamily))]
		ind := pick(r, jaIndustry)
		co.brand, co.latin, co.ind = f.kanji, f.romaji, [2]string{ind[0], ind[1]}
		dom = strings.ToLower(f.romaji) + "-" + strings.ToLower(ind[1])
	case coKo:
		b := pick(r, koBrands)
		co.brand, co.latin = b[0], b[1]
		dom = strings.ToLower(b[1])
	case coRu:
		b := pick(r, ruBrands)
		co.brand, co.latin = b[0], b[1]
		dom = strings.ToLower(b[1])
	default:
		nc := nameCulture(c, ci)
		brands := coBrands
		if l := coBrandsBy[nc]; l != nil && r.chance(0.6) {
			brands = l
		}
		co.brand = pick(r, brands)
		co.latin = asciiFold(co.brand, true)
		co.caps = r.chance(0.25)
		if r.chance(0.7) {
			inds := coIndustry[nc]
			if inds == nil {
				inds = coIndustry[cEn]
			}
			co.ind[0] = pick(r, inds)
			co.ind[1] = asciiFold(co.ind[0], true)
		}
		dom = strings.ToLower(strings.ReplaceAll(co.latin, " ", ""))
		if co.ind[1] != "" && r.chance(0.5) {
			dom += "-" + strings.ToLower(strings.ReplaceAll(co.ind[1], " ", ""))
		}
	}
	dom = strings.ReplaceAll(dom, "'", "")
	for i := 0; ; i++ {
		d := dom
		if i > 0 {
			d += itoa(i + 1)
			if i > 3 {
				d = dom + "-" + strings.ToLower(ci.alt0()) + itoa(i)
			}
		}
		d += pick(r, c.tld)
		if g.claim("@" + d) {
			co.domain = d
			break
		}
	}
	co.board = g.uniqueLandline(c, ci)
	co.addr = address{line: addressLine(r, c, ci, true), city: ci.name, region: ci.region, postal: postcode(r, ci), ok: true}
	return co
}

// alt0 is the city's Latin name for domains.
func (ci *city) alt0() string {
	for _, a := range ci.alt {
		if !hasNonASCII(a) && !strings.ContainsAny(a, " .'") {
			return a
		}
	}
	return strings.ReplaceAll(asciiFold(ci.name, true), " ", "")
}

// companyEntity makes the company itself an entity: its name, a general
// e-mail address of its domain and its switchboard.
func (g *gen) companyEntity(co *company) *entity {
	r := g.r
	e := g.alloc()
	*e = entity{kind: organization, cult: cEn, co: co, ctry: co.c, ci: co.ci}
	switch co.style {
	case coZh:
		e.cult = cZh
	case coJa:
		e.cult = cJa
	case coKo:
		e.cult = cKo
	case coRu:
		e.cult = cRu
	default:
		e.cult = nameCulture(co.c, co.ci)
	}
	g.newID(e)
	e.script = sNative
	if co.style != coWestern && r.chance(0.15) {
		e.script = sLatin
	}
	if co.c.code == "TW" || (co.c.code == "HK" && co.style == coZh) {
		e.script = sTrad
	}
	e.layout = lOne
	e.addr = co.addr
	e.phones[0] = co.board
	e.phones[1] = g.uniqueLandline(co.c, co.ci)
	e.pPrimary = 0.9
	g.phoneHabit(e)
	boxes := []string{"info", "contact", "sales", "office", "service", "hello", "mail", "kontakt"}
	a := pick(r, boxes[:6])
	b := pick(r, boxes)
	for b == a {
		b = pick(r, boxes)
	}
	e.email = a + "@" + co.domain
	if r.chance(0.5) {
		e.email2 = b + "@" + co.domain
	}
	e.locale = localeFor(e.cult, co.c)
	return e
}

// companyName writes the company's name: variant 0 is its usual form,
// the others the ways other records write it.
func companyName(co *company, script int, variant int, r *rng) string {
	switch co.style {
	case coZh:
		city := zhCityShort[co.ci.name]
		if script == sLatin {
			n := co.latin + " " + co.ind[1] + " Co., Ltd."
			if city[1] != "" && variant != 2 {
				n = city[1] + " " + n
			}
			if variant == 1 {
				n = strings.ToUpper(n)
			}
			return n
		}
		legal := co.legal
		if legal == "Limited" {
			legal = "有限公司"
		}
		full := city[0] + co.brand + co.ind[0] + legal
		switch variant {
		case 1:
			full = co.brand + co.ind[0] + legal // no city
		case 2:
			full = city[0] + co.brand + co.ind[0] // no legal form
		case 3:
			full = co.brand + co.ind[0]
		}
		if script == sTrad {
			return toTrad(full)
		}
		return full
	case coJa:
		if script == sLatin {
			n := co.latin + " " + co.ind[1] + " Co., Ltd."
			if variant == 1 {
				n = co.latin + " " + co.ind[1] + " K.K."
			}
			return n
		}
		switch variant {
		case 1:
			return "株式会社" + co.brand + co.ind[0]
		case 2:
			return "(株)" + co.brand + co.ind[0]
		case 3:
			return co.brand + co.ind[0]
		}
		return co.brand + co.ind[0] + "株式会社"
	case coKo:
		if script == sLatin {
			return co.latin + " Co., Ltd."
		}
		switch variant {
		case 1:
			return "주식회사 " + co.brand
		case 2:
			return co.brand
		}
		return "(주)" + co.brand
	case coRu:
		if script == sLatin {
			if variant == 1 {
				return co.latin + " LLC"
			}
			return "OOO " + co.latin
		}
		switch variant {
		case 1:
			return "ООО \"" + co.brand + "\""
		case 2:
			return co.brand + ", ООО"
		case 3:
			return co.brand
		}
		return "ООО «" + co.brand + "»"
	}
	brand := co.brand
	if script == sLatin {
		brand = co.latin
	}
	if co.caps {
		brand = strings.ToUpper(brand)
	}
	base := brand
	if co.ind[0] != "" {
		base += " " + co.ind[0]
	}
	legal := co.legal
	switch variant {
	case 1: // the brand alone: ACME
		return brand
	case 2: // case changed: Acme GmbH / ACME GMBH
		if co.caps {
			return title(strings.ToLower(base)) + " " + legal
		}
		return strings.ToUpper(base + " " + legal)
	case 3: // another spelling of the legal form
		return base + " " + legalVariant(r, legal)
	case 4: // no legal form
		return base
	}
	return base + " " + legal
}

var legalVariants = map[string][]string{
	"Inc.": {"Inc", "Incorporated", "INC"}, "LLC": {"L.L.C.", "Llc"}, "Corp.": {"Corp", "Corporation"}, "Co.": {"Company", "Co"},
	"Ltd": {"Ltd.", "Limited", "LTD"}, "Ltd.": {"Ltd", "Limited"}, "Limited": {"Ltd", "Ltd."}, "PLC": {"plc", "Plc"}, "LLP": {"L.L.P."},
	"Pty Ltd": {"Pty. Ltd.", "PTY LTD"}, "Pty. Ltd.": {"Pty Ltd"}, "GmbH": {"Gmbh", "GMBH", "G.m.b.H."}, "AG": {"A.G."},
	"GmbH & Co. KG": {"GmbH & Co KG", "GmbH u. Co. KG"}, "UG": {"UG (haftungsbeschränkt)"}, "SA": {"S.A."}, "SARL": {"S.A.R.L.", "Sarl"},
	"SAS": {"S.A.S."}, "Sàrl": {"SARL", "Sarl"}, "S.L.": {"SL", "S.L"}, "S.A.": {"SA", "S.A"}, "SL": {"S.L."}, "S.L.U.": {"SLU"},
	"S.A. de C.V.": {"SA de CV", "S.A. DE C.V."}, "S. de R.L. de C.V.": {"S de RL de CV"}, "S.A.P.I. de C.V.": {"SAPI de CV"},
	"S.A.S.": {"SAS"}, "Ltda.": {"Ltda", "Limitada"}, "Pvt. Ltd.": {"Pvt Ltd", "Private Limited"}, "Private Limited": {"Pvt. Ltd."},
	"FZ-LLC": {"FZ LLC", "FZLLC"}, "FZE": {"F.Z.E."}, "Company": {"Co."}, "S.A.E.": {"SAE"}, "Pte. Ltd.": {"Pte Ltd", "PTE. LTD."},
	"Pte Ltd": {"Pte. Ltd."}, "Co., Ltd.": {"Co. Ltd.", "Company Limited"},
}

func legalVariant(r *rng, legal string) string {
	if v := legalVariants[legal]; len(v) > 0 {
		return pick(r, v)
	}
	return strings.ToUpper(legal)
}
