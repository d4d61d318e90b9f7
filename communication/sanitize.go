package communication

import (
	"net/url"
	"regexp"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

// SanitizeHTML returns s with everything that could run code, load a frame,
// submit a form, reach the host's own pages or restyle them removed. Use it
// on HTML that nobody in the workspace wrote (an inbound email, a chat
// message, a survey answer) before the host shows or stores it for showing.
//
// The policy is bluemonday's UGCPolicy (user-generated content) with three
// changes, marked (*):
//
//   - kept: text formatting (b, i, u, s, em, strong, small, mark, code, pre,
//     sub, sup, abbr, cite, q, time, del, ins, bdi, bdo, ruby, ...),
//     headings, p, div, span, br, hr, blockquote, sections (article,
//     aside, section, details, summary, figure, figcaption, hgroup), lists,
//     tables (table, caption, thead, tbody, tfoot, tr, th, td, col, colgroup
//     with presentational attributes such as align, valign, colspan,
//     rowspan, width, height), the attributes dir, lang and title;
//   - links: a href with an http, https or mailto URL, cid: allowed (*),
//     relative URLs removed (*) because the host would resolve them against
//     its own pages; rel="nofollow" is added;
//   - images: img with alt, width, height, align and a src that is an
//     http, https or cid: URL (*), the latter for images attached to an
//     email; any other src (data:, relative, ...) is removed;
//   - removed with their content: script, style, iframe, object, embed,
//     svg, math and the like; removed, text kept: form, input, button,
//     select, textarea, label and every other element not listed above;
//   - removed attributes: style, class, id (*, it could clobber the host
//     page's own ids), every event handler (onclick, onerror, ...), and any
//     URL with another scheme (javascript:, vbscript:, data:, ...).
//
// SanitizeHTML never fails: invalid markup is repaired or dropped. It is
// idempotent and safe for concurrent use.
func SanitizeHTML(s string) string {
	return sanitizePolicy().Sanitize(s)
}

// sanitizeImgSrc is what an img src must start with: an absolute http(s) URL or a
// cid: reference to a MIME part of the message (RFC 2392).
var sanitizeImgSrc = regexp.MustCompile(`(?i)^\s*(https?://|cid:[^\s])`)

// sanitizePolicy is UGCPolicy spelled out, with the changes SanitizeHTML
// lists: bluemonday adds attribute policies but cannot narrow one, and
// UGCPolicy allows any img src its URL policy allows.
var sanitizePolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()

	// Global attributes and URLs.
	p.AllowAttrs("dir").Matching(bluemonday.Direction).Globally()
	p.AllowAttrs("lang").Matching(regexp.MustCompile(`^[a-zA-Z]{2,20}$`)).Globally()
	p.AllowAttrs("title").Matching(bluemonday.Paragraph).Globally()
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.AllowURLSchemes("mailto", "http", "https")
	p.AllowURLSchemeWithCustomPolicy("cid", func(u *url.URL) bool { return u.Opaque != "" })
	p.RequireNoFollowOnLinks(true)

	// Sections and grouping.
	p.AllowElements("article", "aside", "figure", "section", "summary", "hgroup",
		"h1", "h2", "h3", "h4", "h5", "h6", "br", "div", "hr", "p", "span", "wbr")
	p.AllowAttrs("open").Matching(regexp.MustCompile(`(?i)^(|open)$`)).OnElements("details")
	p.AllowAttrs("cite").OnElements("blockquote", "q")

	// Links.
	p.AllowAttrs("href").OnElements("a")

	// Phrasing and style.
	p.AllowElements("abbr", "acronym", "cite", "code", "dfn", "em", "figcaption",
		"mark", "s", "samp", "strong", "sub", "sup", "var",
		"b", "i", "pre", "small", "strike", "tt", "u", "rp", "rt", "ruby")
	p.AllowAttrs("datetime").Matching(bluemonday.ISO8601).OnElements("time", "del", "ins")
	p.AllowAttrs("cite").Matching(bluemonday.Paragraph).OnElements("del", "ins")
	p.AllowAttrs("dir").Matching(bluemonday.Direction).OnElements("bdi", "bdo")

	// Lists and tables.
	p.AllowLists()
	p.AllowTables()

	// Images.
	p.AllowAttrs("align").Matching(bluemonday.ImageAlign).OnElements("img")
	p.AllowAttrs("alt").Matching(bluemonday.Paragraph).OnElements("img")
	p.AllowAttrs("height", "width").Matching(bluemonday.NumberOrPercent).OnElements("img")
	p.AllowAttrs("src").Matching(sanitizeImgSrc).OnElements("img")
	return p
})
