package searchtext

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// matches reports whether every term of q matches one of tokens, the way
// the FTS5 and tsquery renderings are evaluated.
func matches(q Query, tokens []string) bool {
	if len(q.Terms) == 0 {
		return false
	}
	for _, t := range q.Terms {
		found := false
		for _, tok := range tokens {
			if tok == t.Text || t.Prefix && strings.HasPrefix(tok, t.Text) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"José", "jose"},
		{"Müller", "muller"},
		{"MÜLLER", "muller"},
		{"Mu\u0308ller", "muller"}, // decomposed input
		{"Nguyễn Văn Anh", "nguyen van anh"},
		{"François Ærøskøbing", "francois ærøskøbing"},
		{"Łódź", "łodz"},
		{"Straße", "strasse"},
		{"İstanbul", "istanbul"},
		{"ＡＢＣ１２３", "abc123"},
		{"ｶﾞｽ", "ガス"}, // half-width katakana with voiced sound mark
		{"が", "が"},    // dakuten U+3099 is kept
		{"ﬁle", "file"},
		{"Иван Петров", "иван петров"},
		{"Ёлкин Андрей", "елкин андреи"}, // breve and diaeresis are U+03xx marks
		{"ΣΩΚΡΑΤΗΣ", "σωκρατησ"},
		{"张三", "张三"},
		{"김철수", "김철수"},
		{"สมศักดิ์", "สมศักดิ์"}, // Thai marks kept
		{"नमस्ते", "नमस्ते"},     // Devanagari marks kept
		{"مُحَمَّد", "مُحَمَّد"}, // Arabic marks kept
		{"Ꮳ", "Ꮳ"},               // Cherokee folds to uppercase
		{"ꮳ", "Ꮳ"},
		{"a\xffb", "a\uFFFDb"},
		{"\xc3", "\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Fold(tt.in)
			require.Equal(t, tt.want, got)
			require.True(t, utf8.ValidString(got))
		})
	}
}

func TestFoldIdempotent(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		f := Fold(string(r))
		require.Equal(t, f, Fold(f), "rune %U", r)
	}
}

func TestDocTokens(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []string
	}{
		{"empty", nil, nil},
		{"empty string", []string{""}, nil},
		{"punctuation only", []string{" -–.,!? @ "}, nil},
		{"Han unigrams and bigrams", []string{"张三丰"}, []string{"张", "三", "丰", "张三", "三丰"}},
		{"Han with email", []string{"张三 <zhang.san@example.cn>"},
			[]string{"张", "三", "张三", "zhang", "san", "example", "cn"}},
		{"Hangul", []string{"김철수"}, []string{"김", "철", "수", "김철", "철수"}},
		{"Kanji", []string{"山田太郎"}, []string{"山", "田", "太", "郎", "山田", "田太", "太郎"}},
		{"Hiragana and Kanji", []string{"やまだ花子"},
			[]string{"や", "ま", "だ", "花", "子", "やま", "まだ", "だ花", "花子"}},
		{"Katakana with prolonged sound mark", []string{"コーヒー"},
			[]string{"コ", "ー", "ヒ", "コー", "ーヒ", "ヒー"}},
		{"half-width Katakana", []string{"ｶﾞｽ"}, []string{"ガ", "ス", "ガス"}},
		{"Thai", []string{"สมชาย"}, []string{"ส", "ม", "ช", "า", "ย", "สม", "มช", "ชา", "าย"}},
		{"Thai marks stay with their letter", []string{"ศักดิ์"},
			[]string{"ศั", "ก", "ดิ์", "ศัก", "กดิ์"}},
		{"Lao", []string{"ລາວ"}, []string{"ລ", "າ", "ວ", "ລາ", "າວ"}},
		{"Khmer", []string{"ខ្មែរ"}, []string{"ខ្", "មែ", "រ", "ខ្មែ", "មែរ"}},
		{"Myanmar", []string{"မြန်မာ"}, []string{"မြ", "န်", "မာ", "မြန်", "န်မာ"}},
		{"Latin diacritics", []string{"José Müller"}, []string{"jose", "muller"}},
		{"Danish", []string{"Ærøskøbing"}, []string{"ærøskøbing"}},
		{"Cyrillic", []string{"Иван Петров"}, []string{"иван", "петров"}},
		{"Arabic", []string{"محمد علي"}, []string{"محمد", "علي"}},
		{"Devanagari", []string{"नमस्ते"}, []string{"नमस्ते"}},
		{"Greek", []string{"Σωκράτης"}, []string{"σωκρατησ"}},
		{"Latin then Han", []string{"abc张三"}, []string{"abc", "张", "三", "张三"}},
		{"Han then Latin", []string{"张三abc"}, []string{"张", "三", "张三", "abc"}},
		{"Latin between Han", []string{"张ab三"}, []string{"张", "ab", "三"}},
		{"digits are not Han", []string{"360安全"}, []string{"360", "安", "全", "安全"}},
		{"full-width", []string{"ＡＢＣ　株式会社"},
			[]string{"abc", "株", "式", "会", "社", "株式", "式会", "会社"}},
		{"email", []string{"zhang.san@example.cn"}, []string{"zhang", "san", "example", "cn"}},
		{"apostrophe and hyphen", []string{"O'Brien-Smith"}, []string{"o", "brien", "smith"}},
		{"phone text", []string{"+86 (138) 0013-8000"}, []string{"86", "138", "0013", "8000"}},
		{"phone digits", []string{DigitsOnly("+86 (138) 0013-8000")}, []string{"8613800138000"}},
		{"distinct across values, first-seen order", []string{"Anna Berg", "berg ANNA", "三三"},
			[]string{"anna", "berg", "三", "三三"}},
		{"invalid UTF-8", []string{"ab\xffcd"}, []string{"ab", "cd"}},
		{"stray marks are dropped", []string{"\u0e31 \u0903 ab"}, []string{"ab"}},
		{"emoji splits, ™ is NFKC TM", []string{"Tom😀Lee™"}, []string{"tom", "leetm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, DocTokens(tt.values...))
		})
	}
}

func TestDocTokensAreWords(t *testing.T) {
	inputs := []string{
		"张三 <zhang.san@example.cn>", "O'Brien \"Bob\" \\ Ltd.", "a\xffb", "ｶﾞｽ・コーヒー",
		"Tom😀Lee", "สมศักดิ์ नमस्ते مُحَمَّد", "\u0e31\u0e31 x",
	}
	for _, in := range inputs {
		for _, tok := range DocTokens(in) {
			require.NotEmpty(t, tok)
			require.Len(t, strings.FieldsFunc(tok, func(r rune) bool { return !isWordRune(r) }), 1,
				"token %q of %q", tok, in)
		}
	}
}

func TestDigitsOnly(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"+86 (138) 0013-8000", "8613800138000"},
		{"１３８　００１３", "1380013"},
		{"tel: 030/1234-5", "03012345"},
		{"٠١٢", ""}, // Arabic-Indic digits are not ASCII digits
		{"no digits", ""},
		{"1\xff2", "12"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, DigitsOnly(tt.in))
		})
	}
}

func TestParseQuery(t *testing.T) {
	exact := func(s string) Term { return Term{Text: s} }
	prefix := func(s string) Term { return Term{Text: s, Prefix: true} }
	tests := []struct {
		in   string
		want []Term
	}{
		{"", nil},
		{"   ", nil},
		{"-- ,. !", nil},
		{"\xff\xfe", nil},
		// Phone queries.
		{"+86 (138) 0013-8000", []Term{prefix("8613800138000")}},
		{"138", []Term{prefix("138")}},
		{"１３８－００１３", []Term{prefix("1380013")}},
		{"030/1234.5", []Term{prefix("03012345")}},
		{"12", []Term{prefix("12")}},                        // too few digits: an ordinary word
		{"1-2", []Term{prefix("1"), prefix("2")}},           // too few digits
		{"138 abc", []Term{prefix("138"), prefix("abc")}},   // not only phone characters
		{"138#0013", []Term{prefix("138"), prefix("0013")}}, // # is not a phone character
		// Words.
		{"José", []Term{prefix("jose")}},
		{"MÜL", []Term{prefix("mul")}},
		{"ＡＢＣ", []Term{prefix("abc")}},
		{"zhang.san@example.cn", []Term{prefix("zhang"), prefix("san"), prefix("example"), prefix("cn")}},
		{"Иван Петров", []Term{prefix("иван"), prefix("петров")}},
		{"محمد", []Term{prefix("محمد")}},
		{"Ærøskøbing", []Term{prefix("ærøskøbing")}},
		{"O'Brien", []Term{prefix("o"), prefix("brien")}},
		{"anna ANNA Anna", []Term{prefix("anna")}},
		// Space-free scripts.
		{"张", []Term{exact("张")}},
		{"张三", []Term{exact("张三")}},
		{"张三丰", []Term{exact("张三"), exact("三丰")}},
		{"张三 张三", []Term{exact("张三")}},
		{"三三三", []Term{exact("三三")}},
		{"김철수", []Term{exact("김철"), exact("철수")}},
		{"山田太郎", []Term{exact("山田"), exact("田太"), exact("太郎")}},
		{"スズキ", []Term{exact("スズ"), exact("ズキ")}},
		{"สมชาย", []Term{exact("สม"), exact("มช"), exact("ชา"), exact("าย")}},
		{"abc张三", []Term{prefix("abc"), exact("张三")}},
		{"张 abc", []Term{exact("张"), prefix("abc")}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, ParseQuery(tt.in).Terms)
		})
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name    string
		q       Query
		fts5    string
		tsquery string
	}{
		{"empty", Query{}, "", ""},
		{"only empty terms", Query{Terms: []Term{{Text: ""}, {Text: "", Prefix: true}}}, "", ""},
		{"exact", Query{Terms: []Term{{Text: "张三"}}}, `"张三"`, `'张三'`},
		{"prefix", Query{Terms: []Term{{Text: "jose", Prefix: true}}}, `"jose"*`, `'jose':*`},
		{"several", Query{Terms: []Term{{Text: "abc", Prefix: true}, {Text: "张三"}, {Text: ""}}},
			`"abc"* AND "张三"`, `'abc':* & '张三'`},
		{"double quote", Query{Terms: []Term{{Text: `say "hi"`}}}, `"say ""hi"""`, `'say "hi"'`},
		{"apostrophe", Query{Terms: []Term{{Text: "o'brien", Prefix: true}}}, `"o'brien"*`, `'o''brien':*`},
		{"backslash", Query{Terms: []Term{{Text: `a\b`}}}, `"a\b"`, `'a\\b'`},
		{"operators stay quoted", Query{Terms: []Term{{Text: "a OR b"}, {Text: "!x|y&z:*"}}},
			`"a OR b" AND "!x|y&z:*"`, `'a OR b' & '!x|y&z:*'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.fts5, tt.q.FTS5())
			require.Equal(t, tt.tsquery, tt.q.TSQuery())
		})
	}
}

func TestTSVector(t *testing.T) {
	tests := []struct {
		name   string
		tokens []string
		want   string
	}{
		{"nil", nil, ""},
		{"empty tokens skipped", []string{"", ""}, ""},
		{"plain", []string{"张", "三", "张三", "zhang"}, `'张' '三' '张三' 'zhang'`},
		{"escaping", []string{"o'brien", `a\b`, `"q"`, "", "x y"}, `'o''brien' 'a\\b' '"q"' 'x y'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, TSVector(tt.tokens))
		})
	}
}

// names is a sample of stored customer names, emails and company names.
var names = []string{
	"张三", "张三丰", "张", "欧阳娜娜", "김철수", "山田太郎", "やまだ はなこ", "スズキ・イチロー",
	"José Müller", "Ærøskøbing", "Иван Петров", "Ёлкин Андрей", "สมชาย ใจดี", "สมศักดิ์",
	"محمد بن سلمان", "מֹשֶׁה", "नमस्ते", "ລາວ", "ខ្មែរ", "မြန်မာ", "Nguyễn Văn Anh",
	"Σωκράτης", "O'Brien", "d'Artagnan & Co. KG", "Straße", "İstanbul Ltd.",
	"ＡＢＣ株式会社", "abc张三", "360安全卫士", "zhang.san@example.cn", "x\xffy",
	"Ꮳ", "ꮳꮳ", "\u0e31", "12", "A", "Tom😀Lee",
}

func TestSearchFindsStoredName(t *testing.T) {
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			tokens := DocTokens(name)
			q := ParseQuery(name)
			require.Equal(t, len(tokens) > 0, len(q.Terms) > 0)
			for _, term := range q.Terms {
				require.True(t, matches(Query{Terms: []Term{term}}, tokens),
					"term %+v of %q not among %q", term, name, tokens)
			}
		})
	}
}

func TestSearch(t *testing.T) {
	tests := []struct {
		query  string
		stored []string
		want   bool
	}{
		{"张", []string{"张三"}, true},
		{"三", []string{"张三"}, true},
		{"三丰", []string{"张三丰"}, true},
		{"张三丰", []string{"张三丰"}, true},
		{"张丰", []string{"张三丰"}, false},
		{"李", []string{"张三"}, false},
		{"철수", []string{"김철수"}, true},
		{"太郎", []string{"山田太郎"}, true},
		{"ガス", []string{"ｶﾞｽ"}, true},
		{"ใจ", []string{"สมชาย ใจดี"}, true},
		{"jose", []string{"José Müller"}, true},
		{"JOSÉ MÜL", []string{"José Müller"}, true},
		{"mueller", []string{"José Müller"}, false},
		{"ærø", []string{"Ærøskøbing"}, true},
		{"петр", []string{"Иван Петров"}, true},
		{"ИВАН", []string{"иван петров"}, true},
		{"abc", []string{"ＡＢＣ"}, true},
		{"zhang.san@example", []string{"张三", "zhang.san@example.cn"}, true},
		{"张三 zhang", []string{"张三", "zhang.san@example.cn"}, true},
		{"张三 li", []string{"张三", "zhang.san@example.cn"}, false},
		{"obrien", []string{"O'Brien"}, false},
		{"o'bri", []string{"O'Brien"}, true},
		{"Ꮳ", []string{"ꮳ"}, true},
		{"138 0013", []string{"张三", DigitsOnly("+86 138 0013 8000"), DigitsOnly("138 0013 8000")}, true},
		{"+86 138", []string{"张三", DigitsOnly("+86 138 0013 8000")}, true},
		{"+86 139", []string{"张三", DigitsOnly("+86 138 0013 8000")}, false},
		{"", []string{"张三"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			require.Equal(t, tt.want, matches(ParseQuery(tt.query), DocTokens(tt.stored...)))
		})
	}
}
