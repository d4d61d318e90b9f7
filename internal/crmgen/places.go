package crmgen

import "strings"

// A city: its name and region as written locally, other names it goes by,
// postcode patterns ('#' a digit, '@' a capital letter, alternatives split
// by '|'), landline area codes ('|'-split) with the length of a landline's
// national number, the first digits a subscriber number may start with and
// how the national number is grouped when written.
type city struct {
	name, region string
	alt          []string
	post         string
	area         string
	land         int
	first        string
	groups       []int
	w            float64
	lang         string   // "fr": a French-speaking city of a bilingual country
	dist, roads  []string // for the Han, Hangul and kana address lines

	posts, areas []string // post and area split at '|'
}

// A country: its calling code, trunk prefix, mobile ranges ("prefix/length"),
// how often each phone style is written locally, its cities, e-mail
// providers, company legal forms and top-level domain.
type country struct {
	code, cc, trunk string
	mobTrunk, idd00 bool
	mobPre          []string
	mobGroups       []int
	styles          map[int]float64
	cities          []city
	domains         []string
	domW            []float64
	legal           []string
	tld             []string
	locale          string

	cw    weighted
	dw    weighted
	stKey []int
	stW   weighted
}

// Phone styles. The national ones are only written in rows whose Country
// is the phone's country.
const (
	stNatSpace    = iota // 138 0013 8000, 020 7123 4567
	stNatDash            // 138-0013-8000, 090-1234-5678
	stNatCompact         // 13800138000
	stNatParen           // (010) 6552 9988, (650) 253-0000, 8 (495) 123-45-67
	stNatMixed           // 010-6552 9988
	stDots               // 650.253.0000, 01.42.68.53.00
	stNatTrunk1          // 1-650-253-0000
	stIDD00              // 0086 13800138000
	stIntlSpace          // +86 138 0013 8000
	stIntlDash           // +86 138-0013-8000
	stIntlCompact        // +8613800138000
	stIntlTrunk0         // +49 (0)30 12345678
	stIntlParen          // +1 (650) 253-0000, +7 (495) 123-45-67
	numStyles
)

func isIntl(st int) bool { return st >= stIntlSpace }

var intlStyles = []int{stIntlSpace, stIntlSpace, stIntlSpace, stIntlDash, stIntlCompact}

var nanp = map[int]float64{stNatParen: 35, stNatDash: 25, stDots: 6, stNatTrunk1: 4, stNatCompact: 8, stIntlSpace: 12, stIntlParen: 6, stIntlCompact: 4}

var countries = map[string]*country{
	"CN": {code: "CN", cc: "86", trunk: "0", idd00: true, locale: "zh-CN",
		mobPre: []string{"130/11", "131/11", "132/11", "133/11", "134/11", "135/11", "136/11", "137/11", "138/11", "139/11",
			"150/11", "151/11", "152/11", "153/11", "155/11", "156/11", "157/11", "158/11", "159/11", "166/11", "173/11",
			"176/11", "177/11", "178/11", "180/11", "181/11", "182/11", "183/11", "185/11", "186/11", "187/11", "188/11", "189/11", "198/11", "199/11"},
		mobGroups: []int{3, 4, 4},
		styles:    map[int]float64{stNatSpace: 20, stNatCompact: 35, stNatDash: 10, stNatMixed: 8, stNatParen: 3, stIDD00: 4, stIntlSpace: 10, stIntlDash: 5, stIntlCompact: 5},
		cities: []city{
			{name: "北京市", region: "北京市", alt: []string{"北京", "Beijing"}, post: "1000#0|1000##|10001#", area: "10", land: 10, first: "5678", groups: []int{2, 4, 4}, w: 16,
				dist: []string{"朝阳区", "海淀区", "东城区", "西城区", "丰台区"}, roads: []string{"建国路", "长安街", "中关村大街", "学院路", "三里屯路", "望京街", "知春路"}},
			{name: "上海市", region: "上海市", alt: []string{"上海", "Shanghai"}, post: "2000#0|2001#0", area: "21", land: 10, first: "5678", groups: []int{2, 4, 4}, w: 15,
				dist: []string{"浦东新区", "徐汇区", "静安区", "黄浦区", "长宁区"}, roads: []string{"南京西路", "淮海中路", "世纪大道", "陆家嘴环路", "漕溪北路", "延安西路"}},
			{name: "广州市", region: "广东省", alt: []string{"广州", "Guangzhou"}, post: "5106#0|5100#0", area: "20", land: 10, first: "38", groups: []int{2, 4, 4}, w: 9,
				dist: []string{"天河区", "越秀区", "海珠区"}, roads: []string{"天河路", "中山大道", "环市东路", "体育西路"}},
			{name: "深圳市", region: "广东省", alt: []string{"深圳", "Shenzhen"}, post: "5180#0|5180##", area: "755", land: 11, first: "28", groups: []int{3, 4, 4}, w: 9,
				dist: []string{"南山区", "福田区", "罗湖区"}, roads: []string{"深南大道", "科技园路", "华强北路", "滨海大道"}},
			{name: "杭州市", region: "浙江省", alt: []string{"杭州", "Hangzhou"}, post: "3100#0|3100##", area: "571", land: 11, first: "8", groups: []int{3, 4, 4}, w: 6,
				dist: []string{"西湖区", "滨江区", "上城区"}, roads: []string{"文三路", "江南大道", "延安路"}},
			{name: "成都市", region: "四川省", alt: []string{"成都", "Chengdu"}, post: "6100#0|6100##", area: "28", land: 10, first: "68", groups: []int{2, 4, 4}, w: 6,
				dist: []string{"武侯区", "锦江区", "青羊区"}, roads: []string{"人民南路", "天府大道", "春熙路"}},
			{name: "武汉市", region: "湖北省", alt: []string{"武汉", "Wuhan"}, post: "4300#0", area: "27", land: 10, first: "58", groups: []int{2, 4, 4}, w: 5,
				dist: []string{"洪山区", "江汉区", "武昌区"}, roads: []string{"珞喻路", "解放大道", "中山路"}},
			{name: "南京市", region: "江苏省", alt: []string{"南京", "Nanjing"}, post: "2100#0", area: "25", land: 10, first: "58", groups: []int{2, 4, 4}, w: 5,
				dist: []string{"鼓楼区", "玄武区", "秦淮区"}, roads: []string{"中山路", "北京东路", "汉中路"}},
			{name: "天津市", region: "天津市", alt: []string{"天津", "Tianjin"}, post: "3000#0", area: "22", land: 10, first: "2358", groups: []int{2, 4, 4}, w: 4,
				dist: []string{"和平区", "南开区", "河西区"}, roads: []string{"南京路", "卫津路", "友谊路"}},
			{name: "西安市", region: "陕西省", alt: []string{"西安", "Xi'an"}, post: "7100#0", area: "29", land: 10, first: "8", groups: []int{2, 4, 4}, w: 4,
				dist: []string{"雁塔区", "碑林区"}, roads: []string{"长安南路", "高新路", "南大街"}},
			{name: "重庆市", region: "重庆市", alt: []string{"重庆", "Chongqing"}, post: "4000#0", area: "23", land: 10, first: "6", groups: []int{2, 4, 4}, w: 4,
				dist: []string{"渝中区", "江北区"}, roads: []string{"解放碑路", "建新北路"}},
		},
		domains: []string{"qq.com", "163.com", "126.com", "sina.com", "gmail.com", "foxmail.com", "outlook.com", "139.com", "sohu.com", "yeah.net", "hotmail.com"},
		domW:    []float64{35, 25, 10, 5, 5, 5, 5, 3, 2, 2, 3},
		legal:   []string{"有限公司"}, tld: []string{".com.cn", ".cn", ".com"}},
	"TW": {code: "TW", cc: "886", trunk: "0", locale: "zh-TW", mobTrunk: true,
		mobPre: []string{"91/9", "92/9", "93/9", "95/9", "96/9", "97/9", "98/9"}, mobGroups: []int{3, 3, 3},
		styles: map[int]float64{stNatDash: 40, stNatCompact: 25, stNatSpace: 10, stNatParen: 5, stIntlSpace: 12, stIntlCompact: 8},
		cities: []city{
			{name: "臺北市", region: "", alt: []string{"台北市", "台北", "Taipei"}, post: "106|110|104|10#", area: "2", land: 9, first: "2", groups: []int{1, 4, 4}, w: 5,
				dist: []string{"大安區", "信義區", "中山區"}, roads: []string{"忠孝東路四段", "信義路五段", "敦化南路一段", "南京東路三段"}},
			{name: "新北市", region: "", alt: []string{"New Taipei"}, post: "220|231", area: "2", land: 9, first: "2", groups: []int{1, 4, 4}, w: 3,
				dist: []string{"板橋區", "新店區"}, roads: []string{"文化路一段", "中正路"}},
			{name: "臺中市", region: "", alt: []string{"台中市", "Taichung"}, post: "403|407", area: "4", land: 9, first: "2", groups: []int{1, 4, 4}, w: 2,
				dist: []string{"西區", "西屯區"}, roads: []string{"台灣大道二段", "公益路"}},
		},
		domains: []string{"gmail.com", "yahoo.com.tw", "hotmail.com", "pchome.com.tw", "outlook.com"}, domW: []float64{45, 25, 12, 8, 10},
		legal: []string{"股份有限公司", "有限公司"}, tld: []string{".com.tw"}},
	"HK": {code: "HK", cc: "852", locale: "zh-HK",
		mobPre: []string{"61/8", "63/8", "64/8", "65/8", "69/8", "94/8", "96/8", "97/8"}, mobGroups: []int{4, 4},
		styles: map[int]float64{stNatSpace: 45, stNatCompact: 25, stIntlSpace: 20, stIntlCompact: 5, stIntlDash: 5},
		cities: []city{
			{name: "香港", region: "九龍", alt: []string{"Hong Kong", "HK"}, area: "2", land: 8, first: "1345689", groups: []int{4, 4}, w: 5,
				roads: []string{"彌敦道", "廣東道", "亞皆老街"}},
			{name: "香港", region: "香港島", alt: []string{"Hong Kong", "HK"}, area: "2", land: 8, first: "5678", groups: []int{4, 4}, w: 4,
				roads: []string{"皇后大道中", "軒尼詩道", "德輔道中"}},
		},
		domains: []string{"gmail.com", "yahoo.com.hk", "hotmail.com", "netvigator.com", "outlook.com"}, domW: []float64{45, 20, 15, 10, 10},
		legal: []string{"Limited", "有限公司"}, tld: []string{".com.hk", ".hk"}},
	"SG": {code: "SG", cc: "65", locale: "en-SG",
		mobPre:    []string{"81/8", "82/8", "83/8", "84/8", "85/8", "86/8", "87/8", "88/8", "90/8", "91/8", "92/8", "93/8", "94/8", "96/8", "97/8", "98/8"},
		mobGroups: []int{4, 4},
		styles:    map[int]float64{stNatSpace: 50, stNatCompact: 25, stIntlSpace: 20, stIntlCompact: 5},
		cities:    []city{{name: "Singapore", alt: []string{"SINGAPORE", "S'pore"}, post: "0#####|1#####|2#####|5#####", area: "6", land: 8, first: "1234578", groups: []int{4, 4}, w: 1}},
		domains:   []string{"gmail.com", "yahoo.com.sg", "hotmail.com", "singnet.com.sg", "outlook.com"}, domW: []float64{50, 15, 15, 10, 10},
		legal: []string{"Pte. Ltd.", "Pte Ltd"}, tld: []string{".com.sg", ".sg"}},
	"US": {code: "US", cc: "1", trunk: "1", locale: "en-US", mobGroups: []int{3, 3, 4}, styles: nanp,
		cities: []city{
			{name: "New York", region: "NY", alt: []string{"New York City", "NYC", "Manhattan"}, post: "100##|101##", area: "212|646|917|718", w: 18},
			{name: "Los Angeles", region: "CA", alt: []string{"LA", "L.A."}, post: "900##", area: "213|310|323", w: 12},
			{name: "Chicago", region: "IL", post: "606##", area: "312|773", w: 8},
			{name: "Houston", region: "TX", post: "770##", area: "713|832", w: 6},
			{name: "Phoenix", region: "AZ", post: "850##", area: "602", w: 4},
			{name: "Philadelphia", region: "PA", alt: []string{"Phila"}, post: "191##", area: "215|267", w: 4},
			{name: "San Diego", region: "CA", post: "921##", area: "619|858", w: 4},
			{name: "Dallas", region: "TX", post: "752##", area: "214|972", w: 4},
			{name: "San Jose", region: "CA", post: "951##", area: "408", w: 3},
			{name: "Seattle", region: "WA", post: "981##", area: "206", w: 4},
			{name: "Boston", region: "MA", post: "021##", area: "617", w: 4},
			{name: "San Francisco", region: "CA", alt: []string{"SF", "San Fran"}, post: "941##", area: "415", w: 5},
			{name: "Mountain View", region: "CA", post: "940##", area: "650", w: 2},
			{name: "Denver", region: "CO", post: "802##", area: "303|720", w: 3},
			{name: "Miami", region: "FL", post: "331##", area: "305|786", w: 3},
			{name: "Atlanta", region: "GA", post: "303##", area: "404|678", w: 3},
		},
		domains: []string{"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com", "comcast.net", "msn.com"},
		domW:    []float64{45, 15, 10, 10, 5, 10, 3, 2},
		legal:   []string{"Inc.", "LLC", "Corp.", "Co."}, tld: []string{".com", ".com", ".io", ".us"}},
	"CA": {code: "CA", cc: "1", trunk: "1", locale: "en-CA", mobGroups: []int{3, 3, 4}, styles: nanp,
		cities: []city{
			{name: "Toronto", region: "ON", post: "M#@ #@#", area: "416|647", w: 10},
			{name: "Vancouver", region: "BC", post: "V#@ #@#", area: "604|778", w: 6},
			{name: "Calgary", region: "AB", post: "T#@ #@#", area: "403", w: 3},
			{name: "Ottawa", region: "ON", post: "K#@ #@#", area: "613", w: 3},
			{name: "Montréal", region: "QC", alt: []string{"Montreal"}, post: "H#@ #@#", area: "514|438", w: 5, lang: "fr"},
			{name: "Québec", region: "QC", alt: []string{"Quebec City", "Quebec"}, post: "G1@ #@#", area: "418", w: 2, lang: "fr"},
		},
		domains: []string{"gmail.com", "hotmail.com", "yahoo.ca", "outlook.com", "rogers.com", "shaw.ca", "videotron.ca"},
		domW:    []float64{45, 15, 10, 10, 8, 6, 6},
		legal:   []string{"Inc.", "Ltd.", "Corp."}, tld: []string{".ca", ".com"}},
	"GB": {code: "GB", cc: "44", trunk: "0", mobTrunk: true, idd00: true, locale: "en-GB",
		mobPre: []string{"74/10", "75/10", "771/10", "772/10", "773/10", "774/10", "775/10", "776/10", "777/10", "778/10", "779/10", "78/10", "792/10", "793/10", "794/10", "795/10", "796/10", "797/10", "798/10", "799/10"}, mobGroups: []int{4, 6},
		styles: map[int]float64{stNatSpace: 50, stNatCompact: 15, stIntlSpace: 20, stIntlTrunk0: 5, stIDD00: 3, stIntlCompact: 7},
		cities: []city{
			{name: "London", post: "SW1@ #@@|W1@ #@@|EC#@ #@@|N# #@@|E# #@@|SE# #@@|NW# #@@|SW# #@@", area: "20", land: 10, first: "378", groups: []int{2, 4, 4}, w: 20},
			{name: "Manchester", post: "M# #@@|M## #@@", area: "161", land: 10, first: "2345789", groups: []int{3, 3, 4}, w: 5},
			{name: "Birmingham", post: "B# #@@|B## #@@", area: "121", land: 10, first: "23457", groups: []int{3, 3, 4}, w: 5},
			{name: "Leeds", post: "LS# #@@", area: "113", land: 10, first: "2345", groups: []int{3, 3, 4}, w: 3},
			{name: "Glasgow", region: "Scotland", post: "G# #@@|G## #@@", area: "141", land: 10, first: "2345789", groups: []int{3, 3, 4}, w: 3},
			{name: "Edinburgh", region: "Scotland", post: "EH# #@@", area: "131", land: 10, first: "2345", groups: []int{3, 3, 4}, w: 3},
			{name: "Liverpool", post: "L# #@@|L## #@@", area: "151", land: 10, first: "2345", groups: []int{3, 3, 4}, w: 2},
			{name: "Bristol", post: "BS# #@@", area: "117", land: 10, first: "29", groups: []int{3, 3, 4}, w: 2},
		},
		domains: []string{"gmail.com", "hotmail.co.uk", "yahoo.co.uk", "btinternet.com", "outlook.com", "icloud.com", "sky.com", "live.co.uk"},
		domW:    []float64{40, 15, 10, 8, 10, 8, 5, 4},
		legal:   []string{"Ltd", "Limited", "PLC", "LLP"}, tld: []string{".co.uk", ".com", ".uk"}},
	"AU": {code: "AU", cc: "61", trunk: "0", mobTrunk: true, locale: "en-AU",
		mobPre: []string{"40/9", "41/9", "42/9", "43/9", "46/9"}, mobGroups: []int{3, 3, 3},
		styles: map[int]float64{stNatSpace: 50, stNatParen: 15, stNatCompact: 15, stIntlSpace: 15, stIntlCompact: 5},
		cities: []city{
			{name: "Sydney", region: "NSW", post: "2000|20##|21##", area: "2", land: 9, first: "89", groups: []int{1, 4, 4}, w: 8},
			{name: "Melbourne", region: "VIC", post: "3000|30##|31##", area: "3", land: 9, first: "9", groups: []int{1, 4, 4}, w: 7},
			{name: "Brisbane", region: "QLD", post: "4000|40##|41##", area: "7", land: 9, first: "3", groups: []int{1, 4, 4}, w: 4},
			{name: "Perth", region: "WA", post: "6000|60##|61##", area: "8", land: 9, first: "9", groups: []int{1, 4, 4}, w: 3},
			{name: "Adelaide", region: "SA", post: "5000|50##", area: "8", land: 9, first: "8", groups: []int{1, 4, 4}, w: 2},
		},
		domains: []string{"gmail.com", "bigpond.com", "hotmail.com", "outlook.com", "yahoo.com.au", "icloud.com", "optusnet.com.au"},
		domW:    []float64{45, 12, 12, 10, 8, 8, 5},
		legal:   []string{"Pty Ltd", "Pty. Ltd.", "Limited"}, tld: []string{".com.au"}},
	"DE": {code: "DE", cc: "49", trunk: "0", mobTrunk: true, idd00: true, locale: "de-DE",
		mobPre:    []string{"151/11", "152/11", "157/11", "159/11", "176/11", "160/10", "170/10", "171/10", "172/10", "173/10", "174/10", "175/10"},
		mobGroups: []int{3, 8},
		styles:    map[int]float64{stNatSpace: 45, stNatCompact: 15, stNatParen: 5, stIntlSpace: 20, stIntlTrunk0: 5, stIDD00: 5, stIntlCompact: 5},
		cities: []city{
			{name: "Berlin", region: "Berlin", post: "10###|12###|13###", area: "30", land: 10, first: "2345678", groups: []int{2, 8}, w: 14},
			{name: "Hamburg", region: "Hamburg", post: "20###|22###", area: "40", land: 10, first: "2345678", groups: []int{2, 8}, w: 8},
			{name: "München", region: "Bayern", alt: []string{"Muenchen", "Munich", "Munchen"}, post: "80###|81###", area: "89", land: 10, first: "2345679", groups: []int{2, 8}, w: 8},
			{name: "Köln", region: "Nordrhein-Westfalen", alt: []string{"Koeln", "Cologne"}, post: "50###|51###", area: "221", land: 10, first: "2345679", groups: []int{3, 7}, w: 5},
			{name: "Frankfurt am Main", region: "Hessen", alt: []string{"Frankfurt", "Frankfurt a.M.", "Frankfurt/Main"}, post: "60###", area: "69", land: 10, first: "2345679", groups: []int{2, 8}, w: 5},
			{name: "Stuttgart", region: "Baden-Württemberg", post: "70###", area: "711", land: 10, first: "2345679", groups: []int{3, 7}, w: 4},
			{name: "Düsseldorf", region: "Nordrhein-Westfalen", alt: []string{"Duesseldorf", "Dusseldorf"}, post: "40###", area: "211", land: 10, first: "2345679", groups: []int{3, 7}, w: 4},
			{name: "Leipzig", region: "Sachsen", post: "04###", area: "341", land: 10, first: "2345679", groups: []int{3, 7}, w: 3},
		},
		domains: []string{"gmx.de", "web.de", "t-online.de", "gmail.com", "gmx.net", "outlook.de", "yahoo.de", "posteo.de"},
		domW:    []float64{22, 22, 15, 20, 8, 6, 4, 3},
		legal:   []string{"GmbH", "GmbH", "AG", "GmbH & Co. KG", "UG"}, tld: []string{".de", ".com"}},
	"AT": {code: "AT", cc: "43", trunk: "0", mobTrunk: true, idd00: true, locale: "de-AT",
		mobPre: []string{"664/10", "676/10", "650/10", "660/10", "699/11"}, mobGroups: []int{3, 7},
		styles: map[int]float64{stNatSpace: 55, stNatCompact: 15, stIntlSpace: 20, stIntlTrunk0: 5, stIntlCompact: 5},
		cities: []city{
			{name: "Wien", region: "Wien", alt: []string{"Vienna"}, post: "1010|1020|1030|1040|1050|1060|1070|1080|1090|1100|1110|1120|1130|1140|1150|1160|1170|1180|1190|1200|1210|1220|1230", area: "1", land: 8, first: "2345", groups: []int{1, 7}, w: 6},
			{name: "Graz", region: "Steiermark", post: "8010|8020|8036", area: "316", land: 9, first: "2345678", groups: []int{3, 6}, w: 2},
			{name: "Linz", region: "Oberösterreich", post: "4020|4030", area: "732", land: 9, first: "2345678", groups: []int{3, 6}, w: 1},
		},
		domains: []string{"gmx.at", "gmail.com", "aon.at", "chello.at", "a1.net", "outlook.com"}, domW: []float64{25, 30, 15, 10, 10, 10},
		legal: []string{"GmbH", "AG"}, tld: []string{".at"}},
	"CH": {code: "CH", cc: "41", trunk: "0", mobTrunk: true, idd00: true, locale: "de-CH",
		mobPre: []string{"76/9", "77/9", "78/9", "79/9"}, mobGroups: []int{2, 3, 2, 2},
		styles: map[int]float64{stNatSpace: 55, stNatCompact: 10, stIntlSpace: 25, stIntlTrunk0: 5, stIntlCompact: 5},
		cities: []city{
			{name: "Zürich", region: "ZH", alt: []string{"Zurich", "Zuerich"}, post: "80##", area: "44", land: 9, first: "2345", groups: []int{2, 3, 2, 2}, w: 5},
			{name: "Basel", region: "BS", post: "40##", area: "61", land: 9, first: "2345", groups: []int{2, 3, 2, 2}, w: 2},
			{name: "Bern", region: "BE", alt: []string{"Berne"}, post: "30##", area: "31", land: 9, first: "3", groups: []int{2, 3, 2, 2}, w: 2},
			{name: "Genève", region: "GE", alt: []string{"Geneva", "Geneve", "Genf"}, post: "12##", area: "22", land: 9, first: "37", groups: []int{2, 3, 2, 2}, w: 3, lang: "fr"},
		},
		domains: []string{"bluewin.ch", "gmail.com", "gmx.ch", "hotmail.com", "sunrise.ch"}, domW: []float64{30, 35, 15, 10, 10},
		legal: []string{"AG", "GmbH", "SA", "Sàrl"}, tld: []string{".ch"}},
	"FR": {code: "FR", cc: "33", trunk: "0", mobTrunk: true, idd00: true, locale: "fr-FR",
		mobPre: []string{"60/9", "61/9", "62/9", "64/9", "65/9", "66/9", "67/9", "68/9", "75/9", "76/9", "77/9", "78/9"}, mobGroups: []int{1, 2, 2, 2, 2},
		styles: map[int]float64{stNatSpace: 55, stNatCompact: 12, stDots: 10, stIntlSpace: 15, stIntlTrunk0: 4, stIntlCompact: 4},
		cities: []city{
			{name: "Paris", region: "Île-de-France", post: "75001|75002|75003|75004|75005|75006|75007|75008|75009|75010|75011|75012|75013|75014|75015|75016|75017|75018|75019|75020", area: "14|15|18", land: 9, first: "0123456789", groups: []int{1, 2, 2, 2, 2}, w: 16},
			{name: "Lyon", region: "Auvergne-Rhône-Alpes", post: "6900#", area: "47", land: 9, first: "2345678", groups: []int{1, 2, 2, 2, 2}, w: 5},
			{name: "Marseille", region: "Provence-Alpes-Côte d'Azur", post: "130##", area: "491", land: 9, first: "0123456789", groups: []int{1, 2, 2, 2, 2}, w: 5},
			{name: "Toulouse", region: "Occitanie", post: "31000|31100|31200|31300|31400|31500", area: "561", land: 9, first: "0123456789", groups: []int{1, 2, 2, 2, 2}, w: 3},
			{name: "Nice", region: "Provence-Alpes-Côte d'Azur", post: "06000|06100|06200|06300", area: "493", land: 9, first: "0123456789", groups: []int{1, 2, 2, 2, 2}, w: 2},
			{name: "Bordeaux", region: "Nouvelle-Aquitaine", post: "33000|33100|33200|33300|33800", area: "556", land: 9, first: "0123456789", groups: []int{1, 2, 2, 2, 2}, w: 2},
			{name: "Lille", region: "Hauts-de-France", post: "59000|59160|59260|59800", area: "320", land: 9, first: "0123456789", groups: []int{1, 2, 2, 2, 2}, w: 2},
		},
		domains: []string{"gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "sfr.fr", "wanadoo.fr", "yahoo.fr", "outlook.fr"},
		domW:    []float64{35, 15, 10, 8, 10, 6, 6, 5, 5},
		legal:   []string{"SA", "SARL", "SAS"}, tld: []string{".fr", ".com"}},
	"ES": {code: "ES", cc: "34", idd00: true, locale: "es-ES",
		mobPre: []string{"6/9", "6/9", "6/9", "71/9", "72/9", "73/9", "74/9"}, mobGroups: []int{3, 3, 3},
		styles: map[int]float64{stNatSpace: 55, stNatCompact: 20, stIntlSpace: 15, stIDD00: 3, stIntlCompact: 7},
		cities: []city{
			{name: "Madrid", region: "Madrid", post: "280##", area: "91", land: 9, first: "2345", groups: []int{2, 3, 2, 2}, w: 10},
			{name: "Barcelona", region: "Cataluña", post: "080##", area: "93", land: 9, first: "2345", groups: []int{2, 3, 2, 2}, w: 8},
			{name: "Valencia", region: "Comunidad Valenciana", alt: []string{"València"}, post: "460##", area: "96", land: 9, first: "3", groups: []int{2, 3, 2, 2}, w: 4},
			{name: "Sevilla", region: "Andalucía", alt: []string{"Seville"}, post: "410##", area: "954", land: 9, first: "2345", groups: []int{3, 3, 3}, w: 3},
			{name: "Bilbao", region: "País Vasco", post: "480##", area: "94", land: 9, first: "4", groups: []int{2, 3, 2, 2}, w: 2},
			{name: "Zaragoza", region: "Aragón", post: "500##", area: "976", land: 9, first: "2345", groups: []int{3, 3, 3}, w: 2},
		},
		domains: []string{"gmail.com", "hotmail.com", "hotmail.es", "yahoo.es", "outlook.es", "telefonica.net"}, domW: []float64{45, 15, 12, 10, 10, 8},
		legal: []string{"S.L.", "S.A.", "SL", "S.L.U."}, tld: []string{".es", ".com"}},
	"MX": {code: "MX", cc: "52", locale: "es-MX", idd00: true, mobGroups: []int{2, 4, 4},
		styles: map[int]float64{stNatSpace: 40, stNatCompact: 20, stNatParen: 10, stIntlSpace: 25, stIntlCompact: 5},
		cities: []city{
			{name: "Ciudad de México", region: "CDMX", alt: []string{"CDMX", "Mexico City", "México D.F.", "Ciudad de Mexico"}, post: "03100|06600|06700|11000|11560|04510|01000", area: "55", land: 10, first: "12345689", groups: []int{2, 4, 4}, w: 10},
			{name: "Guadalajara", region: "Jalisco", post: "44###", area: "33", land: 10, first: "123689", groups: []int{2, 4, 4}, w: 4},
			{name: "Monterrey", region: "Nuevo León", post: "64###", area: "81", land: 10, first: "123489", groups: []int{2, 4, 4}, w: 4},
			{name: "Puebla", region: "Puebla", post: "72###", area: "222", land: 10, first: "2345", groups: []int{3, 3, 4}, w: 2},
		},
		domains: []string{"gmail.com", "hotmail.com", "outlook.com", "yahoo.com.mx", "prodigy.net.mx", "live.com.mx"}, domW: []float64{45, 25, 10, 10, 5, 5},
		legal: []string{"S.A. de C.V.", "S. de R.L. de C.V.", "S.A.P.I. de C.V."}, tld: []string{".com.mx", ".mx"}},
	"CO": {code: "CO", cc: "57", locale: "es-CO",
		mobPre:    []string{"300/10", "301/10", "302/10", "304/10", "305/10", "310/10", "311/10", "312/10", "313/10", "314/10", "315/10", "316/10", "317/10", "318/10", "319/10", "320/10", "321/10", "350/10"},
		mobGroups: []int{3, 3, 4},
		styles:    map[int]float64{stNatSpace: 50, stNatCompact: 25, stIntlSpace: 20, stIntlCompact: 5},
		cities: []city{
			{name: "Bogotá", region: "Bogotá D.C.", alt: []string{"Bogota", "Bogotá D.C."}, post: "1100##|1102##|1101##", w: 5},
			{name: "Medellín", region: "Antioquia", alt: []string{"Medellin"}, post: "0500##", w: 3},
			{name: "Cali", region: "Valle del Cauca", alt: []string{"Santiago de Cali"}, post: "7600##", w: 2},
		},
		domains: []string{"gmail.com", "hotmail.com", "outlook.com", "yahoo.com", "une.net.co"}, domW: []float64{50, 25, 10, 10, 5},
		legal: []string{"S.A.S.", "S.A.", "Ltda."}, tld: []string{".com.co", ".co"}},
	"RU": {code: "RU", cc: "7", trunk: "8", mobTrunk: true, locale: "ru-RU",
		mobPre:    []string{"903/10", "905/10", "906/10", "909/10", "910/10", "915/10", "916/10", "917/10", "919/10", "925/10", "926/10", "929/10", "962/10", "963/10", "965/10", "977/10", "985/10", "999/10"},
		mobGroups: []int{3, 3, 2, 2},
		styles:    map[int]float64{stNatParen: 30, stNatCompact: 15, stNatSpace: 10, stIntlSpace: 15, stIntlParen: 20, stIntlCompact: 10},
		cities: []city{
			{name: "Москва", region: "Москва", alt: []string{"Moscow", "Moskva", "г. Москва"}, post: "101###|105###|107###|109###|115###|117###|119###|123###|125###|127###|129###", area: "495|499", land: 10, first: "2345679", groups: []int{3, 3, 2, 2}, w: 14},
			{name: "Санкт-Петербург", region: "Санкт-Петербург", alt: []string{"Saint Petersburg", "St. Petersburg", "СПб", "С.-Петербург"}, post: "190###|191###|194###|196###|197###|198###", area: "812", land: 10, first: "2345679", groups: []int{3, 3, 2, 2}, w: 7},
			{name: "Новосибирск", region: "Новосибирская область", alt: []string{"Novosibirsk"}, post: "630###", area: "383", land: 10, first: "2", groups: []int{3, 3, 2, 2}, w: 2},
			{name: "Екатеринбург", region: "Свердловская область", alt: []string{"Yekaterinburg", "Ekaterinburg"}, post: "620###", area: "343", land: 10, first: "23", groups: []int{3, 3, 2, 2}, w: 2},
			{name: "Казань", region: "Республика Татарстан", alt: []string{"Kazan"}, post: "420###", area: "843", land: 10, first: "25", groups: []int{3, 3, 2, 2}, w: 2},
			{name: "Нижний Новгород", region: "Нижегородская область", alt: []string{"Nizhny Novgorod", "Н. Новгород"}, post: "603###", area: "831", land: 10, first: "24", groups: []int{3, 3, 2, 2}, w: 2},
		},
		domains: []string{"mail.ru", "yandex.ru", "gmail.com", "rambler.ru", "bk.ru", "list.ru", "inbox.ru", "ya.ru"}, domW: []float64{35, 25, 15, 6, 6, 5, 4, 4},
		legal: []string{"ООО"}, tld: []string{".ru"}},
	"JP": {code: "JP", cc: "81", trunk: "0", mobTrunk: true, locale: "ja-JP",
		mobPre: []string{"901/10", "902/10", "903/10", "904/10", "905/10", "906/10", "907/10", "908/10", "909/10", "801/10", "802/10", "803/10", "804/10", "805/10", "806/10", "807/10", "808/10", "809/10", "701/10", "702/10", "703/10", "704/10", "705/10", "706/10", "707/10", "708/10", "709/10"}, mobGroups: []int{2, 4, 4},
		styles: map[int]float64{stNatDash: 60, stNatCompact: 15, stNatSpace: 5, stIntlSpace: 10, stIntlDash: 5, stIntlCompact: 5},
		cities: []city{
			{name: "千代田区", region: "東京都", alt: []string{"Chiyoda-ku", "東京都千代田区"}, post: "100-00##|101-00##|102-00##", area: "3", land: 9, first: "3456", groups: []int{1, 4, 4}, w: 4,
				dist: []string{"丸の内", "大手町", "神田", "有楽町"}},
			{name: "港区", region: "東京都", alt: []string{"Minato-ku", "東京都港区"}, post: "105-00##|106-00##|107-00##|108-00##", area: "3", land: 9, first: "3456", groups: []int{1, 4, 4}, w: 4,
				dist: []string{"六本木", "赤坂", "芝浦", "南青山"}},
			{name: "新宿区", region: "東京都", alt: []string{"Shinjuku-ku", "東京都新宿区"}, post: "160-00##|162-00##|169-00##", area: "3", land: 9, first: "3456", groups: []int{1, 4, 4}, w: 4,
				dist: []string{"西新宿", "新宿", "高田馬場"}},
			{name: "渋谷区", region: "東京都", alt: []string{"Shibuya-ku", "東京都渋谷区"}, post: "150-00##|151-00##", area: "3", land: 9, first: "3456", groups: []int{1, 4, 4}, w: 3,
				dist: []string{"神南", "恵比寿", "代々木"}},
			{name: "大阪市", region: "大阪府", alt: []string{"Osaka", "Ōsaka"}, post: "530-00##|541-00##|542-00##", area: "6", land: 9, first: "3456", groups: []int{1, 4, 4}, w: 6,
				dist: []string{"北区梅田", "中央区本町", "中央区心斎橋筋", "西区靱本町"}},
			{name: "横浜市", region: "神奈川県", alt: []string{"Yokohama"}, post: "220-00##|231-00##", area: "45", land: 9, first: "2345689", groups: []int{2, 3, 4}, w: 4,
				dist: []string{"西区みなとみらい", "中区山下町", "港北区新横浜"}},
			{name: "名古屋市", region: "愛知県", alt: []string{"Nagoya"}, post: "450-00##|460-00##", area: "52", land: 9, first: "2345789", groups: []int{2, 3, 4}, w: 3,
				dist: []string{"中村区名駅", "中区栄", "東区東桜"}},
			{name: "札幌市", region: "北海道", alt: []string{"Sapporo"}, post: "060-00##", area: "11", land: 9, first: "235678", groups: []int{2, 3, 4}, w: 2,
				dist: []string{"中央区北一条西", "北区北七条西"}},
			{name: "福岡市", region: "福岡県", alt: []string{"Fukuoka"}, post: "810-00##|812-00##", area: "92", land: 9, first: "2345678", groups: []int{2, 3, 4}, w: 2,
				dist: []string{"中央区天神", "博多区博多駅前"}},
		},
		domains: []string{"gmail.com", "yahoo.co.jp", "docomo.ne.jp", "ezweb.ne.jp", "softbank.ne.jp", "icloud.com", "outlook.jp"}, domW: []float64{35, 25, 10, 8, 7, 10, 5},
		legal: []string{"株式会社"}, tld: []string{".co.jp", ".jp"}},
	"KR": {code: "KR", cc: "82", trunk: "0", mobTrunk: true, locale: "ko-KR",
		mobPre: []string{"102/10", "103/10", "104/10", "106/10", "107/10", "108/10", "109/10"}, mobGroups: []int{2, 4, 4},
		styles: map[int]float64{stNatDash: 60, stNatCompact: 15, stNatSpace: 5, stIntlSpace: 10, stIntlDash: 5, stIntlCompact: 5},
		cities: []city{
			{name: "서울특별시", alt: []string{"서울", "서울시", "Seoul"}, post: "06###|04###|03###|07###", area: "2", land: 9, first: "2345678", groups: []int{1, 4, 4}, w: 10,
				dist: []string{"강남구", "서초구", "종로구", "마포구", "송파구"}, roads: []string{"테헤란로", "강남대로", "세종대로", "월드컵북로", "올림픽로"}},
			{name: "부산광역시", alt: []string{"부산", "Busan"}, post: "48###|47###", area: "51", land: 10, first: "2345678", groups: []int{2, 4, 4}, w: 4,
				dist: []string{"해운대구", "부산진구", "중구"}, roads: []string{"해운대로", "중앙대로", "센텀중앙로"}},
			{name: "인천광역시", alt: []string{"인천", "Incheon"}, post: "21###|22###", area: "32", land: 10, first: "2345678", groups: []int{2, 4, 4}, w: 3,
				dist: []string{"연수구", "남동구"}, roads: []string{"컨벤시아대로", "인하로"}},
			{name: "대구광역시", alt: []string{"대구", "Daegu"}, post: "41###|42###", area: "53", land: 10, first: "2345678", groups: []int{2, 4, 4}, w: 2,
				dist: []string{"중구", "수성구"}, roads: []string{"동성로", "달구벌대로"}},
		},
		domains: []string{"naver.com", "gmail.com", "daum.net", "hanmail.net", "kakao.com", "nate.com"}, domW: []float64{45, 20, 10, 10, 8, 7},
		legal: []string{"Co., Ltd.", "Corp."}, tld: []string{".co.kr", ".kr", ".com"}},
	"IN": {code: "IN", cc: "91", trunk: "0", mobTrunk: true, locale: "en-IN",
		mobPre:    []string{"98/10", "99/10", "97/10", "96/10", "94/10", "93/10", "91/10", "90/10", "88/10", "89/10", "87/10", "85/10", "80/10", "70/10", "73/10", "75/10", "77/10", "78/10", "79/10", "63/10", "62/10"},
		mobGroups: []int{5, 5},
		styles:    map[int]float64{stNatSpace: 30, stNatCompact: 40, stIntlSpace: 20, stIntlCompact: 5, stIntlDash: 5},
		cities: []city{
			{name: "Bengaluru", region: "Karnataka", alt: []string{"Bangalore"}, post: "5600##", w: 5},
			{name: "Mumbai", region: "Maharashtra", alt: []string{"Bombay"}, post: "4000##", w: 5},
			{name: "New Delhi", region: "Delhi", alt: []string{"Delhi"}, post: "1100##", w: 4},
			{name: "Chennai", region: "Tamil Nadu", alt: []string{"Madras"}, post: "6000##", w: 3},
			{name: "Hyderabad", region: "Telangana", post: "5000##", w: 3},
			{name: "Pune", region: "Maharashtra", post: "4110##", w: 2},
		},
		domains: []string{"gmail.com", "yahoo.co.in", "rediffmail.com", "outlook.com", "hotmail.com"}, domW: []float64{60, 15, 8, 10, 7},
		legal: []string{"Pvt. Ltd.", "Private Limited", "Ltd."}, tld: []string{".in", ".co.in", ".com"}},
	"AE": {code: "AE", cc: "971", trunk: "0", mobTrunk: true, locale: "ar-AE",
		mobPre: []string{"50/9", "52/9", "54/9", "55/9", "56/9", "58/9"}, mobGroups: []int{2, 3, 4},
		styles: map[int]float64{stNatSpace: 40, stNatCompact: 20, stIntlSpace: 30, stIntlCompact: 10},
		cities: []city{
			{name: "Dubai", region: "Dubai", alt: []string{"دبي", "DUBAI"}, area: "4", land: 8, first: "2345", groups: []int{1, 3, 4}, w: 3},
			{name: "Abu Dhabi", region: "Abu Dhabi", alt: []string{"أبو ظبي", "Abudhabi"}, area: "2", land: 8, first: "5", groups: []int{1, 3, 4}, w: 2},
		},
		domains: []string{"gmail.com", "hotmail.com", "yahoo.com", "outlook.com", "eim.ae"}, domW: []float64{50, 20, 10, 15, 5},
		legal: []string{"LLC", "FZ-LLC", "FZE"}, tld: []string{".ae", ".com"}},
	"SA": {code: "SA", cc: "966", trunk: "0", mobTrunk: true, locale: "ar-SA",
		mobPre: []string{"50/9", "53/9", "54/9", "55/9", "56/9", "58/9", "59/9"}, mobGroups: []int{2, 3, 4},
		styles: map[int]float64{stNatSpace: 40, stNatCompact: 25, stIntlSpace: 25, stIntlCompact: 10},
		cities: []city{
			{name: "Riyadh", region: "Riyadh", alt: []string{"الرياض", "Ar Riyad"}, post: "11###|12###", area: "11", land: 9, first: "24", groups: []int{2, 3, 4}, w: 3},
			{name: "Jeddah", region: "Makkah", alt: []string{"جدة", "Jidda"}, post: "21###|23###", area: "12", land: 9, first: "26", groups: []int{2, 3, 4}, w: 2},
		},
		domains: []string{"gmail.com", "hotmail.com", "yahoo.com", "outlook.com"}, domW: []float64{55, 20, 10, 15},
		legal: []string{"Co.", "Company", "LLC"}, tld: []string{".com.sa", ".sa", ".com"}},
	"EG": {code: "EG", cc: "20", trunk: "0", mobTrunk: true, locale: "ar-EG",
		mobPre: []string{"10/10", "11/10", "12/10", "15/10"}, mobGroups: []int{2, 4, 4},
		styles: map[int]float64{stNatSpace: 35, stNatCompact: 35, stIntlSpace: 25, stIntlCompact: 5},
		cities: []city{
			{name: "Cairo", region: "Cairo", alt: []string{"القاهرة", "El Qahira"}, post: "11###", area: "2", land: 9, first: "23", groups: []int{1, 4, 4}, w: 4},
			{name: "Alexandria", region: "Alexandria", alt: []string{"الإسكندرية", "Alex"}, post: "21###", area: "3", land: 8, first: "45", groups: []int{1, 3, 4}, w: 2},
		},
		domains: []string{"gmail.com", "yahoo.com", "hotmail.com", "outlook.com"}, domW: []float64{60, 15, 15, 10},
		legal: []string{"S.A.E.", "LLC"}, tld: []string{".com.eg", ".com"}},
}

// Street names of the countries that write addresses in Latin or Cyrillic.
var (
	enStreet     = []string{"Main", "Oak", "Maple", "Cedar", "Park", "Washington", "Lake", "Hill", "Elm", "Pine", "Church", "High", "Station", "Victoria", "King", "Queen", "George", "Market", "Mill", "Bridge", "Sunset", "Madison", "Lincoln", "Jackson", "Franklin", "River", "Spring", "Chestnut", "Walnut", "Highland", "Mission", "Orchard"}
	enStreetType = []string{"Street", "Street", "Street", "Avenue", "Road", "Road", "Drive", "Lane", "Boulevard", "Court", "Place", "Way"}
	deStreet     = []string{"Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schulstraße", "Dorfstraße", "Bergstraße", "Kirchstraße", "Lindenstraße", "Waldweg", "Ringstraße", "Goethestraße", "Schillerstraße", "Friedrichstraße", "Berliner Straße", "Mozartstraße", "Birkenweg", "Eichenallee", "Am Markt", "Marktplatz", "Rosengasse", "Kantstraße", "Münchner Straße", "Lange Gasse", "Parkallee"}
	frStreetType = []string{"rue", "rue", "rue", "avenue", "boulevard", "place", "allée", "impasse", "chemin"}
	frStreet     = []string{"de la Paix", "Victor Hugo", "de la République", "Jean Jaurès", "du Général de Gaulle", "Pasteur", "des Lilas", "de Paris", "Voltaire", "Gambetta", "Foch", "Saint-Honoré", "de Rivoli", "Haussmann", "des Écoles", "Émile Zola", "du Moulin", "de la Gare"}
	esStreetType = []string{"Calle", "Calle", "Calle", "Avenida", "Plaza", "Paseo"}
	esStreet     = []string{"Mayor", "de Alcalá", "Gran Vía", "del Prado", "de la Constitución", "San Juan", "Real", "Nueva", "Santa María", "de Cervantes", "del Sol", "de la Paz", "Serrano", "de Goya", "Diagonal"}
	mxStreet     = []string{"Insurgentes Sur", "Reforma", "Revolución", "Juárez", "Hidalgo", "Morelos", "Chapultepec", "Universidad", "Patriotismo", "Constituyentes"}
	mxColonia    = []string{"Del Valle", "Roma Norte", "Condesa", "Polanco", "Centro", "Narvarte", "Coyoacán", "Juárez", "San Ángel", "Providencia"}
	ruStreet     = []string{"Ленина", "Тверская", "Мира", "Советская", "Садовая", "Гагарина", "Пушкина", "Лесная", "Школьная", "Новая", "Центральная", "Молодёжная", "Профсоюзная", "Арбат"}
	inStreet     = []string{"MG Road", "Brigade Road", "Residency Road", "Linking Road", "Nehru Street", "Gandhi Nagar", "Park Street", "Church Street", "Anna Salai", "Banjara Hills Road", "FC Road", "Koramangala 5th Block"}
	arStreet     = []string{"Sheikh Zayed Road", "King Fahd Road", "Al Wasl Road", "Tahrir Street", "Olaya Street", "Corniche Road", "Al Maktoum Road", "Salah Salem Street", "Prince Sultan Road", "Al Nahda Street"}
	sgStreet     = []string{"Orchard Road", "Raffles Place", "Ang Mo Kio Avenue 3", "Tampines Street 21", "Jurong West Street 42", "Bukit Timah Road", "Serangoon Road", "Clementi Avenue 2"}
)

// cityIn draws a city of the country for a person of culture cult (-1 for
// a company): the French-speaking cities of bilingual countries go to
// French speakers.
func (c *country) cityIn(r *rng, cult int) *city {
	for range 8 {
		ci := &c.cities[c.cw.pick(r)]
		if cult < 0 || (cult == cFr) == (ci.lang == "fr") || !c.hasLang() {
			return ci
		}
	}
	return &c.cities[c.cw.pick(r)]
}

func (c *country) hasLang() bool {
	for i := range c.cities {
		if c.cities[i].lang != "" {
			return true
		}
	}
	return false
}

func init() {
	for _, c := range countries {
		w := make([]float64, len(c.cities))
		for i, ci := range c.cities {
			w[i] = ci.w
		}
		c.cw = newWeighted(w)
		c.dw = newWeighted(c.domW)
		var sw []float64
		for st := range numStyles {
			if x, ok := c.styles[st]; ok {
				c.stKey = append(c.stKey, st)
				sw = append(sw, x)
			}
		}
		c.stW = newWeighted(sw)
		for i := range c.cities {
			ci := &c.cities[i]
			if ci.post != "" {
				ci.posts = strings.Split(ci.post, "|")
			}
			ci.areas = strings.Split(ci.area, "|")
		}
	}
}

// postcode fills one of the city's patterns: '#' a digit, '@' a capital
// letter.
func postcode(r *rng, ci *city) string {
	if len(ci.posts) == 0 {
		return ""
	}
	b := []byte(pick(r, ci.posts))
	for i, x := range b {
		switch x {
		case '#':
			b[i] = byte('0' + r.intn(10))
		case '@':
			b[i] = "ABDEFGHJLNPRSTUWXYZ"[r.intn(19)]
		}
	}
	return string(b)
}

// addressLine writes a street address the way the country writes it.
func addressLine(r *rng, c *country, ci *city, company bool) string {
	n := itoa(r.between(1, 250))
	switch c.code {
	case "US", "CA", "AU", "GB":
		s := n + " " + pick(r, enStreet) + " " + pick(r, enStreetType)
		switch {
		case company && r.chance(0.4):
			s += ", Suite " + itoa(r.between(1, 30)*100)
		case company:
		case c.code == "GB" && r.chance(0.12):
			s = "Flat " + itoa(r.between(1, 40)) + ", " + s
		case c.code == "AU" && r.chance(0.12):
			s = "Unit " + itoa(r.between(1, 40)) + "/" + s
		case r.chance(0.15):
			s += ", Apt " + itoa(r.between(1, 30)) + string(rune('A'+r.intn(6)))
		}
		return s
	case "SG":
		return n + " " + pick(r, sgStreet) + ", #" + pad2(r.between(2, 30)) + "-" + pad2(r.between(1, 99))
	case "IN":
		return n + ", " + pick(r, inStreet)
	case "AE", "SA", "EG":
		if r.chance(0.5) {
			return "Building " + n + ", " + pick(r, arStreet)
		}
		return n + " " + pick(r, arStreet)
	case "DE", "AT", "CH":
		s := pick(r, deStreet) + " " + n
		if r.chance(0.08) {
			s += string(rune('a' + r.intn(3)))
		}
		return s
	case "FR":
		s := itoa(r.between(1, 120))
		if r.chance(0.05) {
			s += " bis"
		}
		return s + " " + pick(r, frStreetType) + " " + pick(r, frStreet)
	case "ES":
		s := pick(r, esStreetType) + " " + pick(r, esStreet) + ", " + itoa(r.between(1, 150))
		if !company && r.chance(0.6) {
			s += ", " + itoa(r.between(1, 9)) + "º " + string(rune('A'+r.intn(4)))
		}
		return s
	case "MX":
		return "Avenida " + pick(r, mxStreet) + " " + itoa(r.between(10, 3000)) + ", Colonia " + pick(r, mxColonia)
	case "CO":
		t := "Calle"
		if r.chance(0.45) {
			t = "Carrera"
		}
		return t + " " + itoa(r.between(1, 140)) + " # " + itoa(r.between(1, 120)) + "-" + itoa(r.between(1, 99))
	case "RU":
		s := "ул. " + pick(r, ruStreet) + ", д. " + itoa(r.between(1, 120))
		if !company && r.chance(0.8) {
			s += ", кв. " + itoa(r.between(1, 300))
		}
		return s
	case "CN":
		s := pick(r, ci.dist) + pick(r, ci.roads) + n + "号"
		if r.chance(0.3) {
			s += itoa(r.between(1, 20)) + "号楼" + itoa(r.between(1, 6)) + "单元" + itoa(r.between(1, 30)) + pad2(r.between(1, 8)) + "室"
		} else if company && r.chance(0.5) {
			s += pick(r, []string{"大厦", "中心", "广场"}) + itoa(r.between(2, 40)) + "层"
		}
		return s
	case "TW":
		s := pick(r, ci.dist) + pick(r, ci.roads) + n + "號"
		if r.chance(0.4) {
			s += itoa(r.between(2, 20)) + "樓"
		}
		return s
	case "HK":
		return pick(r, ci.roads) + n + "號" + itoa(r.between(2, 40)) + "樓"
	case "JP":
		return pick(r, ci.dist) + itoa(r.between(1, 5)) + "-" + itoa(r.between(1, 20)) + "-" + itoa(r.between(1, 30))
	case "KR":
		return pick(r, ci.dist) + " " + pick(r, ci.roads) + " " + n
	}
	return n + " Main Street"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func pad2(n int) string {
	if n < 10 {
		return "0" + itoa(n)
	}
	return itoa(n)
}
