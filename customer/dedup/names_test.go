package dedup

import "testing"

func TestPersonNames(t *testing.T) {
	for _, c := range []struct {
		given, family, full   string
		wantGiven, wantFamily string
	}{
		{"三", "张", "", "三", "张"},
		{"", "", "张三", "三", "张"},
		{"", "", "王 涛", "涛", "王"},
		{"王 涛", "", "", "涛", "王"},
		{"王涛", "", "", "涛", "王"},
		{"秀英", "", "", "秀英", ""}, // a given name alone: 秀 is no surname
		{"", "王涛", "", "涛", "王"},
		{"", "欧阳", "", "", "欧阳"},
		{"", "", "欧阳娜娜", "娜娜", "欧阳"},
		{"", "", "諸葛亮", "亮", "诸葛"},
		{"偉", "張", "", "伟", "张"},
		{"王涛", "王", "", "涛", "王"},
		{"", "", "Wang Tao", "wang", "tao"},
		{"Xiu Ying", "Wang", "", "xiuying", "wang"},
		{"", "", "김민준", "민준", "김"},
		{"", "", "남궁민수", "민수", "남궁"},
		{"", "", "佐藤 太郎", "太郎", "佐藤"},
		{"", "", "Mary Ann Smith", "maryann", "smith"},
		{"José", "Müller", "", "jose", "muller"},
	} {
		g, f := personNames(c.given, c.family, c.full)
		if g != c.wantGiven || f != c.wantFamily {
			t.Errorf("personNames(%q, %q, %q) = %q, %q; want %q, %q", c.given, c.family, c.full, g, f, c.wantGiven, c.wantFamily)
		}
	}
}

func TestRomanise(t *testing.T) {
	for _, c := range []struct {
		in     string
		family bool
		want   string
	}{
		{"张伟", false, "zhangwei"},
		{"单", true, "shan"},
		{"单", false, "dan"},
		{"曾", true, "zeng"},
		{"秀英", false, "xiuying"},
		{"иван", false, "ivan"},
		{"петров", true, "petrov"},
		{"smith", false, "smith"},
	} {
		if got := romanise(c.in, c.family); got != c.want {
			t.Errorf("romanise(%q, %v) = %q, want %q", c.in, c.family, got, c.want)
		}
	}
}

func TestNamesAcrossScripts(t *testing.T) {
	for _, c := range []struct {
		a, b     Record
		conflict bool
		given    int8
	}{
		{Record{FullName: "张伟"}, Record{GivenName: "Wei", FamilyName: "Zhang"}, false, 3},
		{Record{FullName: "张伟"}, Record{FullName: "Zhang Wei"}, false, 3},
		{Record{FullName: "张伟"}, Record{FullName: "Wei Zhang"}, false, 3},
		{Record{FullName: "张伟"}, Record{FullName: "張偉"}, false, 3},
		{Record{FullName: "张伟"}, Record{FullName: "张玮"}, false, 2}, // same sound
		{Record{FullName: "王秀英"}, Record{FullName: "Wang Xiu Ying"}, false, 3},
		{Record{FullName: "王秀英"}, Record{GivenName: "Xiu-Ying", FamilyName: "WANG"}, false, 3},
		{Record{FullName: "张伟"}, Record{FullName: "张敏"}, true, 0},
		{Record{FullName: "张伟"}, Record{FullName: "李伟"}, true, 3},
		{Record{GivenName: "Bob", FamilyName: "Smith"}, Record{GivenName: "Robert", FamilyName: "Smith"}, false, 2},
		{Record{FullName: "Иван Петров"}, Record{FullName: "Ivan Petrov"}, false, 3},
		{Record{FullName: "Иван Петров"}, Record{FullName: "Ivan"}, false, -1},
	} {
		pa, pb := prepare(&c.a, nil), prepare(&c.b, nil)
		g, _ := namesLevels(&pa, &pb)
		if got := NamesConflict(c.a, c.b); got != c.conflict || g != c.given {
			t.Errorf("%v vs %v: conflict %v given level %d; want %v, %d", c.a, c.b, got, g, c.conflict, c.given)
		}
	}
}

func TestAddressTokens(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"12 Main St.", []string{"12", "main", "street"}},
		{"北京市朝阳区建国路88号", []string{"北京市朝阳区建国路", "88", "号"}},
		{"建國路 88 號", []string{"建国路", "88", "号"}},
		{"Flat 3b, 7 High Rd", []string{"flat", "3", "b", "7", "high", "road"}},
	} {
		got := addressTokens(c.in)
		if len(got) != len(c.want) {
			t.Errorf("addressTokens(%q) = %q, want %q", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("addressTokens(%q) = %q, want %q", c.in, got, c.want)
				break
			}
		}
	}
}

func TestHouseholdSharesNoEvidence(t *testing.T) {
	m := DefaultModel()
	home := Address{Line: "8 Garden Road", City: "Springfield", Postcode: "12345"}
	phone := []string{"+15556667777"}
	a := Record{GivenName: "Anna", FamilyName: "Berg", Phones: phone, Address: home}
	b := Record{GivenName: "Lars", FamilyName: "Berg", Phones: phone, Address: home}
	p := m.Compare(a, b)
	for _, f := range p.Fields {
		if f.Field == "contact" && f.Level >= 0 {
			t.Errorf("a household's shared phone and address count: %v", p)
		}
	}
	if p.Probability >= 0.5 {
		t.Errorf("household scored %.3f", p.Probability)
	}
	b.GivenName = "Ana"
	if p := m.Compare(a, b); p.Probability < 0.5 {
		t.Errorf("one person with a typo scored %.3f: %v", p.Probability, p)
	}
}
