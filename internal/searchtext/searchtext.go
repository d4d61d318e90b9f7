package searchtext

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Fold returns s in the form used for matching: each run of invalid UTF-8 is
// replaced by U+FFFD, then the text is NFKC normalised and Unicode case folded
// (golang.org/x/text/cases.Fold, so "ß" becomes "ss" and "ＡＢＣ" becomes
// "abc"), then the combining diacritical marks of block U+0300–U+036F are
// removed after NFD decomposition and the result is recomposed to NFC.
// So "José" folds to "jose" and "Müller" to "muller". Letters without a
// decomposition keep their identity ("ø", "æ", "ł"), as do marks outside
// that block (Devanagari, Thai, Arabic, Japanese dakuten, ...). Note that
// Cyrillic "й" and "ё" decompose to "и" and "е" plus a U+03xx mark, so they
// fold to "и" and "е".
//
// Cherokee is folded to its uppercase letters as Unicode's CaseFolding.txt
// specifies; cases.Fold gets this backwards (golang/go#46101), which Fold
// corrects.
func Fold(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = norm.NFKC.String(s)
	s = cases.Fold().String(s)
	s = norm.NFD.String(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 0x0300 && r <= 0x036F: // combining diacritical marks
			return -1
		case r >= 0xAB70 && r <= 0xABBF: // Cherokee small letters
			return r - 0xAB70 + 0x13A0
		case r >= 0x13F8 && r <= 0x13FD: // Cherokee small letters ye..mv
			return r - 8
		}
		return r
	}, s)
	return norm.NFC.String(s)
}

// DigitsOnly returns the ASCII digits of s, in order, after NFKC
// normalisation (so full-width ０-９ count). For example
// "+86 (138) 0013-8000" gives "8613800138000". Index DigitsOnly of each
// stored phone number as an extra [DocTokens] value so that phone queries
// (see [ParseQuery]) find it.
func DigitsOnly(s string) string {
	s = norm.NFKC.String(strings.ToValidUTF8(s, "\uFFFD"))
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// DocTokens returns the distinct tokens to index for the given field values,
// in first-seen order, or nil if there are none.
//
// Each value is [Fold]ed and split into words at every rune that is not a
// letter, mark or digit; "zhang.san@example.cn" gives zhang, san, example and
// cn. Inside a word, maximal runs of runes of the scripts written without
// spaces (Han, Hiragana, Katakana, Hangul, Thai, Lao, Khmer, Myanmar) are
// emitted as character unigrams and then bigrams: 张三丰 gives 张, 三, 丰,
// 张三, 三丰. A word mixing such a script with another splits at the script
// boundary: "abc张三" gives abc, 张, 三, 张三. Digits always belong to the
// other side, so "360安全" gives 360, 安, 全, 安全. Script-neutral runes
// (Unicode scripts Common and Inherited, e.g. the prolonged sound mark ー)
// stay with the run they follow, and a "character" is a rune together with
// the combining marks after it. Other words are emitted whole. Runs with no
// letter or digit (stray combining marks) are dropped.
//
// Every token consists only of letters, marks and digits, so a tokenizer
// that splits at other runes keeps it as one token.
func DocTokens(values ...string) []string {
	var toks []string
	seen := make(map[string]bool)
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			toks = append(toks, t)
		}
	}
	for _, v := range values {
		eachRun(Fold(v), func(text string, chars []string) {
			if chars == nil {
				add(text)
				return
			}
			for _, c := range chars {
				add(c)
			}
			for i := 1; i < len(chars); i++ {
				add(chars[i-1] + chars[i])
			}
		})
	}
	return toks
}

// isWordRune reports whether r belongs to a word: a letter, mark or digit.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
}

// Rune classes for splitting a word into runs.
const (
	neutral  = iota // Common or Inherited script (not a digit): joins the current run
	spaced          // scripts that separate words with spaces, and all digits
	unspaced        // scripts written without spaces between words
)

// unspacedScripts are the scripts whose words are indexed as character
// unigrams and bigrams.
var unspacedScripts = []*unicode.RangeTable{
	unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
	unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar,
}

func class(r rune) int {
	switch {
	case unicode.IsDigit(r):
		return spaced
	case unicode.In(r, unspacedScripts...):
		return unspaced
	case unicode.In(r, unicode.Common, unicode.Inherited):
		return neutral
	default:
		return spaced
	}
}

// eachRun splits the folded text s into words and the words into script
// runs, calling fn for each run that contains a letter or digit. For runs of
// unspaced scripts chars holds the run's characters (each a rune plus the
// marks after it); for other runs chars is nil.
func eachRun(s string, fn func(text string, chars []string)) {
	emit := func(text string, kind int) {
		if strings.IndexFunc(text, func(r rune) bool { return !unicode.IsMark(r) }) < 0 {
			return // only marks: nothing to search for
		}
		if kind == unspaced {
			fn(text, characters(text))
		} else {
			fn(text, nil)
		}
	}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !isWordRune(r) }) {
		start, kind := 0, neutral
		for i, r := range w {
			c := class(r)
			switch {
			case c == neutral || c == kind:
			case kind == neutral:
				kind = c
			default:
				emit(w[start:i], kind)
				start, kind = i, c
			}
		}
		emit(w[start:], kind)
	}
}

// characters splits s into characters: each non-mark rune together with the
// marks that follow it (marks at the start join the first character).
func characters(s string) []string {
	var out []string
	start, haveBase := 0, false
	for i, r := range s {
		if unicode.IsMark(r) {
			continue
		}
		if haveBase {
			out = append(out, s[start:i])
			start = i
		}
		haveBase = true
	}
	return append(out, s[start:])
}
