package searchtext

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Query is a parsed search query. A record matches when every term matches
// one of its indexed tokens (AND).
type Query struct {
	Terms []Term
}

// Term is one query term. It matches an indexed token equal to Text, or,
// when Prefix is true, an indexed token starting with Text.
type Term struct {
	Text   string
	Prefix bool
}

// ParseQuery parses user search input.
//
// If the input consists only of digits, white space and the characters
// + - ( ) . / (after NFKC, so full-width forms count) and has at least 3
// digits, it is a phone query: a single prefix term of its digits, as
// returned by [DigitsOnly]. Phone matching is by digits only; the query
// "138 0013" does not find a number stored as +86 138 0013 8000 unless the
// caller also indexes the national form.
//
// Otherwise the input is folded and split exactly like [DocTokens]. Runs of
// scripts written without spaces give their character bigrams (or the single
// character for a one-character run) as exact terms; other words become
// prefix terms. Duplicate terms are removed, keeping the first.
//
// Empty or all-punctuation input gives a Query with no terms; callers should
// report that as invalid input rather than run it.
func ParseQuery(s string) Query {
	if d, ok := phoneQuery(s); ok {
		return Query{Terms: []Term{{Text: d, Prefix: true}}}
	}
	var q Query
	seen := make(map[Term]bool)
	add := func(t Term) {
		if !seen[t] {
			seen[t] = true
			q.Terms = append(q.Terms, t)
		}
	}
	eachRun(Fold(s), func(text string, chars []string) {
		switch {
		case chars == nil:
			add(Term{Text: text, Prefix: true})
		case len(chars) == 1:
			add(Term{Text: chars[0]})
		default:
			for i := 1; i < len(chars); i++ {
				add(Term{Text: chars[i-1] + chars[i]})
			}
		}
	})
	return q
}

// phoneQuery returns the digits of s and true if s looks like a phone
// number query.
func phoneQuery(s string) (string, bool) {
	s = norm.NFKC.String(strings.ToValidUTF8(s, "\uFFFD"))
	var digits strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case unicode.IsSpace(r) || strings.ContainsRune("+-()./", r):
		default:
			return "", false
		}
	}
	if digits.Len() < 3 {
		return "", false
	}
	return digits.String(), true
}

// FTS5 renders q as an SQLite FTS5 MATCH expression: the terms joined by
// " AND ", each a double-quoted string (with " doubled) followed by * when
// Prefix. Terms with empty Text are skipped. It returns "" when there are
// no terms; FTS5 rejects an empty MATCH expression, so callers must check.
func (q Query) FTS5() string {
	var b strings.Builder
	for _, t := range q.Terms {
		if t.Text == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(" AND ")
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(t.Text, `"`, `""`))
		b.WriteByte('"')
		if t.Prefix {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// TSQuery renders q as PostgreSQL tsquery input text, for use as a bound
// parameter cast with ?::tsquery: each term a single-quoted lexeme (see
// [TSVector] for the escaping) followed by ":*" when Prefix, joined by
// " & ". Terms with empty Text are skipped, since PostgreSQL rejects empty
// lexemes. It returns "" when there are no terms.
func (q Query) TSQuery() string {
	var b strings.Builder
	for _, t := range q.Terms {
		if t.Text == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(" & ")
		}
		writeLexeme(&b, t.Text)
		if t.Prefix {
			b.WriteString(":*")
		}
	}
	return b.String()
}

// TSVector renders tokens as PostgreSQL tsvector input text, for use as a
// bound parameter cast with ?::tsvector, so that PostgreSQL's text search
// parser never sees the raw text: each token a single-quoted lexeme, with
// ' and \ doubled as the tsvector input syntax requires, separated by
// spaces. Empty tokens are skipped, since PostgreSQL rejects empty lexemes.
// PostgreSQL sorts and deduplicates the lexemes itself.
func TSVector(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		if t == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		writeLexeme(&b, t)
	}
	return b.String()
}

var lexemeEscaper = strings.NewReplacer(`'`, `''`, `\`, `\\`)

// writeLexeme writes s as a quoted tsvector/tsquery lexeme.
func writeLexeme(b *strings.Builder, s string) {
	b.WriteByte('\'')
	lexemeEscaper.WriteString(b, s)
	b.WriteByte('\'')
}
