package dedup

import (
	"math"
	"testing"
)

func TestJaroWinkler(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{
		{"MARTHA", "MARHTA", 0.961},
		{"DWAYNE", "DUANE", 0.840},
		{"DIXON", "DICKSONX", 0.813},
		{"", "", 1},
		{"abc", "", 0},
		{"张三", "张三", 1},
		{"jose", "jose", 1},
	} {
		if got := JaroWinkler(c.a, c.b); math.Abs(got-c.want) > 0.0005 {
			t.Errorf("JaroWinkler(%q, %q) = %.4f, want %.3f", c.a, c.b, got, c.want)
		}
	}
	if JaroWinkler("张三", "李四") != 0 {
		t.Error("张三/李四 should not agree")
	}
}

func TestNormalizeAnyScript(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"José", "jose"},
		{"  MÜLLER-Lüdenscheidt ", "muller ludenscheidt"},
		{"张三", "张三"},
		{"Ｊｏｓé", "jose"},
		{"O'Brien", "o brien"},
	} {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if JaroWinkler(Normalize("José"), Normalize("Jose")) != 1 {
		t.Error("José and Jose should agree after Normalize")
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"kitten", "sitting", 3},
		{"1234567", "1243567", 1},
		{"", "abc", 3},
		{"张三丰", "张三", 1},
		{"abc", "abc", 0},
	} {
		if got := EditDistance(c.a, c.b); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestSoundex(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"robert", "R163"}, {"rupert", "R163"}, {"ashcraft", "A261"}, {"tymczak", "T522"}, {"pfister", "P236"}, {"张三丰", "张三丰"},
	} {
		if got := Soundex(c.in); got != c.want {
			t.Errorf("Soundex(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDateLevel(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int8
	}{
		{"19800512", "19800512", 3},
		{"19800512", "19801205", 2}, // day and month swapped
		{"19800512", "19800513", 2}, // one digit
		{"19800512", "19080512", 2}, // adjacent digits transposed
		{"19800512", "19810612", 1}, // two digits
		{"19800512", "19650321", 0},
	} {
		if got := dateLevel(c.a, c.b); got != c.want {
			t.Errorf("dateLevel(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestOneEdit(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"abc", "abc", true}, {"abc", "abd", true}, {"abc", "ab", true}, {"abc", "abcd", true},
		{"abc", "bac", true}, {"abcd", "abdc", true}, {"abc", "cba", false}, {"abc", "a", false},
		{"zhangwei@163.com", "zhangwie@163.com", true}, {"13800138000", "13800183000", true},
		{"13800138000", "13900138001", false}, {"", "a", true}, {"", "ab", false},
	} {
		if got := oneEdit(c.a, c.b); got != c.want {
			t.Errorf("oneEdit(%q, %q) = %v", c.a, c.b, got)
		}
		if got := EditDistance(c.a, c.b) <= 1; got != c.want {
			t.Errorf("EditDistance(%q, %q) <= 1 is %v", c.a, c.b, got)
		}
	}
}
