package customer

import (
	"strings"
	"unicode"

	"golang.org/x/text/language"
)

// ComposeName returns the display name of a person from the given and the
// family name, by the rule of the name's script and of locale (a BCP 47
// tag, may be ""): Chinese, Japanese and Korean names are written family
// name first, without a space when both parts are in Han, Kana or Hangul
// ("张" + "三" → "张三", "김" + "민준" → "김민준") and with one otherwise
// (a zh, ja or ko locale: "Zhang" + "San" → "Zhang San" read family
// first); every other name is "Given Family". Either part may be empty;
// both are trimmed.
func ComposeName(given, family, locale string) string {
	given, family = strings.TrimSpace(given), strings.TrimSpace(family)
	switch {
	case given == "":
		return family
	case family == "":
		return given
	}
	cjkGiven, cjkFamily := isCJK(given), isCJK(family)
	if cjkGiven && cjkFamily {
		return family + given
	}
	if cjkGiven || cjkFamily || cjkLocale(locale) {
		return family + " " + given
	}
	return given + " " + family
}

// isCJK reports whether s is written in Han, Kana or Hangul: every letter
// of it is (other characters, such as the middle dot of a transcribed
// name, are ignored), and it has at least one.
func isCJK(s string) bool {
	letters := 0
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		if !unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			return false
		}
		letters++
	}
	return letters > 0
}

// cjkLocale reports whether locale's language is Chinese, Japanese or Korean.
func cjkLocale(locale string) bool {
	if locale = strings.TrimSpace(locale); locale == "" {
		return false
	}
	t, err := language.Parse(locale)
	if err != nil {
		return false
	}
	base, _ := t.Base()
	switch base.String() {
	case "zh", "ja", "ko", "yue", "wuu", "hak", "nan", "gan", "hsn", "cjy":
		return true
	}
	return false
}
