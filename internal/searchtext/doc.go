// Package searchtext turns names, emails, phone numbers and company names
// into search tokens, and user input into queries over those tokens, for
// customer search in any script (张三, 김철수, 山田太郎, José Müller,
// Ærøskøbing, Иван Петров, สมชาย, محمد).
//
// The same rules are used on both sides: text to index goes through
// [DocTokens], user input through [ParseQuery]. Both first [Fold] the text
// (NFKC, Unicode case folding, removal of Latin-style combining accents) and
// split it into words at every rune that is not a letter, mark or digit.
//
// Words in scripts written without spaces between words (Han, Hiragana,
// Katakana, Hangul, Thai, Lao, Khmer, Myanmar) cannot be split into words
// without a dictionary, so they are indexed as overlapping character
// unigrams and bigrams and queried by bigrams: searching 三丰 finds 张三丰,
// and searching the single character 张 finds 张三. Words in other scripts
// are indexed whole and searched by prefix: searching "mül" finds "Müller".
//
// Phone numbers are matched by their digits: index [DigitsOnly] of each
// stored number as an extra value; a query made only of digits and phone
// punctuation becomes a prefix search on its digits.
//
// The guarantee callers rely on: for any text s that is not a phone-style
// query, every term of ParseQuery(s) matches some token of DocTokens(s), so
// searching for a stored name always finds it.
//
// # Storage
//
// Tokens are stored pre-tokenised and rendered for two back ends.
//
// SQLite FTS5: store strings.Join(DocTokens(...), " ") in an FTS5 column and
// search with "WHERE t MATCH ?" bound to q.FTS5(). Create the table with
// tokenize="unicode61 categories 'L* M* N* Co'" so that FTS5 keeps combining
// marks (Thai vowel signs, Devanagari matras) inside tokens. With the default
// categories ("L* N* Co") FTS5 splits such tokens at the marks; matching
// mostly still works, because quoted query terms are split the same way, but
// it is less precise.
//
// PostgreSQL: store TSVector(DocTokens(...)) bound with a ?::tsvector cast
// and search with "col @@ ?::tsquery" bound to q.TSQuery(). Both are literal
// lexemes, so no text search configuration or parser is involved. Both of
// these are true (the first is DocTokens("张三", "O'Brien") searched with
// ParseQuery("张三 o'bri"); the second shows the escaping of ' and \):
//
//	SELECT $$'张' '三' '张三' 'o' 'brien'$$::tsvector @@ $$'张三' & 'o':* & 'bri':*$$::tsquery;
//	SELECT $$'o''brien' 'a\\b'$$::tsvector @@ $$'o''brien':* & 'a\\b'$$::tsquery;
//
// PostgreSQL rejects lexemes longer than 2047 bytes; tokens are words of
// the input, so callers should bound the length of indexed fields.
package searchtext
