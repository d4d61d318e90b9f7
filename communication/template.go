package communication

import (
	"errors"
	htmltemplate "html/template"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

// Template is a message template for one channel and locale.
//
// Subject and Body are text/template sources and HTML is an html/template
// source (so values are escaped for the HTML context they land in). A
// template sees a TemplateData: {{.Customer.Name}}, {{.Company.Name}},
// {{.Data.order_no}}. Under .Customer only the keys CustomerData produces
// exist (Name, GivenName, FamilyName, Email, Phone, Locale, TimeZone, Stage,
// Tags, Attributes.<key>), under .Company those of CompanyData (Name, Email,
// Phone, Tags, Attributes.<key>); under .Data whatever the caller passes.
//
// A value that is absent, nil or blank is never rendered: printing it is a
// render error naming it. To branch on an optional value use the function
// has, which reports whether a map holds a non-blank value for a key:
//
//	{{if has .Customer "GivenName"}}Dear {{.Customer.GivenName}}{{else}}Hello{{end}},
//
// ({{if .Customer.GivenName}} would itself fail when the key is absent).
// Besides has, the text/template built-in functions are available.
type Template struct {
	// Key is the host's name for the message, e.g. "order-shipped": 1 to 64
	// characters from a-z, 0-9, '.', '_' and '-', starting with a letter or
	// digit.
	Key     string
	Channel Channel
	// Locale is a BCP 47 tag, stored canonical (e.g. "zh-Hant-TW", "en-GB");
	// "" marks the workspace default template of its key and channel.
	Locale string
	// Subject is the email subject (required for Email, optional for other
	// channels). The rendered subject is folded onto one line.
	Subject string
	// Body is the plain-text body; required.
	Body string
	// HTML is the HTML body of an email; optional, and only for Email.
	HTML string
}

// TemplateData is what a template sees: {{.Customer.Name}},
// {{.Company.Name}}, {{.Data.order_no}}.
type TemplateData struct {
	Customer map[string]any // usually CustomerData(c)
	Company  map[string]any // usually CompanyData(company)
	Data     map[string]any // the caller's values
}

// Rendered is a rendered message.
type Rendered struct {
	Key     string
	Channel Channel
	Locale  string
	Subject string // one line; "" when the template has none
	Body    string
	HTML    string // "" when the template has none
}

// Limits of a template.
const (
	maxTemplateSource = 256 << 10 // bytes of each of Subject, Body and HTML
	maxRenderedPart   = 1 << 20   // bytes of each rendered part
)

var templateKeyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Validate checks t and normalises its Locale in place to the canonical
// form of the tag. It returns a *crmtype.ValidationError (errors.Is(err,
// crmtype.ErrInvalid)) with Field
//
//   - "key" when Key is not 1 to 64 of a-z, 0-9, '.', '_', '-' starting with
//     a letter or digit;
//   - "channel" when Channel is not a channel name;
//   - "locale" when Locale is not a BCP 47 tag (or is "und": use "" for the
//     workspace default);
//   - "body" when Body is blank;
//   - "subject" when Subject is blank on the Email channel;
//   - "html" when HTML is set on a channel other than Email;
//   - "subject", "body" or "html" when that source is not valid UTF-8, is
//     longer than 256 KiB, does not parse (the reason carries the parser's
//     message), cannot be escaped safely as HTML, or refers to a field that
//     cannot exist: a root other than .Customer, .Company and .Data, a key
//     under .Customer or .Company that CustomerData or CompanyData never
//     produce, a field of a value that has none (.Customer.Name.x), or
//     prints a whole map ({{.Customer}}). References are followed through
//     if, with, range, variables ($ and $x), {{template}} and {{block}}, and
//     the functions index and has with constant keys. A {{range}} must
//     iterate over a field or variable, not a number or a function result,
//     and a printf format must not ask for a width or precision above 999.
//
// When Validate fails, t is unchanged.
func (t *Template) Validate() error {
	locale, _, err := t.compile()
	if err != nil {
		return err
	}
	t.Locale = locale
	return nil
}

// Render validates t (without changing it) and renders it with d. It
// returns a *crmtype.ValidationError when t is not valid (see Validate) or a
// value it prints is absent, nil or blank: Field names that value, e.g.
// "data.order_no", "customer.GivenName" or "company.Attributes.tier", with
// Reason "is missing" (or "is empty" for a value reached another way, such
// as through index); Field is "subject", "body" or "html" for other
// failures, such as a part rendering to more than 1 MiB or a body
// rendering to blank text.
//
// HTML is rendered with html/template: a customer named
// "<script>alert(1)</script>" appears escaped in HTML and verbatim in Body.
func (t *Template) Render(d TemplateData) (Rendered, error) {
	locale, parts, err := t.compile()
	if err != nil {
		return Rendered{}, err
	}
	root := map[string]any{
		"Customer": cleanTemplateMap(d.Customer),
		"Company":  cleanTemplateMap(d.Company),
		"Data":     cleanTemplateMap(d.Data),
	}
	out := Rendered{Key: t.Key, Channel: t.Channel, Locale: locale}
	for _, p := range parts {
		s, err := p.execute(root)
		if err != nil {
			return Rendered{}, err
		}
		switch p.name {
		case "subject":
			out.Subject = strings.Join(strings.Fields(s), " ")
		case "body":
			out.Body = s
		case "html":
			out.HTML = s
		}
	}
	if strings.TrimSpace(out.Body) == "" {
		return Rendered{}, crmtype.Invalid("body", "renders to blank text")
	}
	if t.Channel == Email && out.Subject == "" {
		return Rendered{}, crmtype.Invalid("subject", "renders to blank text")
	}
	return out, nil
}

// compile checks t and parses its parts, returning the canonical locale and
// the parts that have a source.
func (t *Template) compile() (string, []*templatePart, error) {
	if !templateKeyPattern.MatchString(t.Key) {
		return "", nil, crmtype.Invalidf("key", "%q is not a template key: use 1 to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit", t.Key)
	}
	if err := validateChannel("channel", t.Channel); err != nil {
		return "", nil, err
	}
	locale, err := canonicalLocale(t.Locale)
	if err != nil {
		return "", nil, err
	}
	if strings.TrimSpace(t.Body) == "" {
		return "", nil, crmtype.Invalid("body", "is required")
	}
	if t.Channel == Email && strings.TrimSpace(t.Subject) == "" {
		return "", nil, crmtype.Invalid("subject", "is required for an email")
	}
	if t.HTML != "" && t.Channel != Email {
		return "", nil, crmtype.Invalidf("html", "is only for the %q channel", Email)
	}
	var parts []*templatePart
	for _, src := range []struct {
		name, text string
		html       bool
	}{{"subject", t.Subject, false}, {"body", t.Body, false}, {"html", t.HTML, true}} {
		if src.text == "" {
			continue
		}
		p, err := compilePart(src.name, src.text, src.html)
		if err != nil {
			return "", nil, err
		}
		parts = append(parts, p)
	}
	return locale, parts, nil
}

func canonicalLocale(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	tag, err := language.Parse(s)
	if err != nil {
		return "", crmtype.Invalidf("locale", "%q is not a BCP 47 language tag", s)
	}
	if tag == language.Und {
		return "", crmtype.Invalid("locale", `"und" names no language: use "" for the workspace default`)
	}
	return tag.String(), nil
}

// PickTemplate chooses, from candidates of one key and channel, the
// template for the locale want (a BCP 47 tag, e.g. a customer's Locale). It
// tries, in order:
//
//  1. the canonical tag itself (want "zh-TW" picks Locale "zh-TW");
//  2. the tag with its likely script added, then its CLDR parents one by
//     one, then its bare language: "zh-TW" tries zh-Hant-TW, zh-Hant, zh;
//     "en-AU" tries en-Latn-AU, en-001, en; "es-MX" tries es-Latn-MX,
//     es-419, es (extensions such as -u-co-phonebk are ignored);
//  3. the workspace default, the candidate with Locale "".
//
// A candidate matches a step when its Locale, canonicalised, equals the
// tag of that step with or without the likely script (so Locale "zh-Hant"
// matches the step zh-Hant and "zh-Hans" the step zh). Among candidates
// matching the same step the first wins; candidates whose Locale is not a
// BCP 47 tag are skipped. ok is false when nothing fits, including when want
// is not a tag and there is no default.
func PickTemplate(candidates []Template, want string) (Template, bool) {
	type cand struct {
		i        int
		canon    string // canonical tag
		scripted string // canonical tag with its likely script
	}
	var cands []cand
	def := -1
	for i, c := range candidates {
		if strings.TrimSpace(c.Locale) == "" {
			if def < 0 {
				def = i
			}
			continue
		}
		tag, err := language.Parse(strings.TrimSpace(c.Locale))
		if err != nil {
			continue
		}
		tag = baseTag(tag)
		cands = append(cands, cand{i: i, canon: tag.String(), scripted: withLikelyScript(tag).String()})
	}
	for _, step := range localeChain(want) {
		for _, c := range cands {
			if c.canon == step {
				return candidates[c.i], true
			}
		}
		for _, c := range cands {
			if c.scripted == step {
				return candidates[c.i], true
			}
		}
	}
	if def >= 0 {
		return candidates[def], true
	}
	return Template{}, false
}

// localeChain lists the tags PickTemplate tries for want, most specific
// first, without duplicates.
func localeChain(want string) []string {
	want = strings.TrimSpace(want)
	if want == "" {
		return nil
	}
	tag := baseTag(language.Make(want))
	if tag.IsRoot() {
		return nil
	}
	var chain []string
	add := func(t language.Tag) {
		if !t.IsRoot() && !slices.Contains(chain, t.String()) {
			chain = append(chain, t.String())
		}
	}
	add(tag)
	for t, i := withLikelyScript(tag), 0; !t.IsRoot() && i < 8; t, i = t.Parent(), i+1 {
		add(t)
		add(withLikelyScript(t))
	}
	if b, conf := tag.Base(); conf != language.No {
		if t, err := language.Compose(b); err == nil {
			add(t)
			add(withLikelyScript(t))
		}
	}
	return chain
}

// baseTag drops extensions and private use from t, keeping language,
// script, region and variants.
func baseTag(t language.Tag) language.Tag {
	b, s, r := t.Raw()
	out, err := language.Compose(b, s, r, t.Variants())
	if err != nil {
		return t
	}
	return out
}

// withLikelyScript adds to t the script it is most likely written in,
// when t has none (zh-TW -> zh-Hant-TW, en -> en-Latn).
func withLikelyScript(t language.Tag) language.Tag {
	s, conf := t.Script()
	if conf == language.Exact || conf == language.No {
		return t
	}
	b, _, r := t.Raw()
	out, err := language.Compose(b, s, r, t.Variants())
	if err != nil {
		return t
	}
	return out
}

// The keys CustomerData and CompanyData may produce, in documentation order.
var (
	customerKeys = []string{"Name", "GivenName", "FamilyName", "Email", "Phone", "Locale", "TimeZone", "Stage", "Tags", "Attributes"}
	companyKeys  = []string{"Name", "Email", "Phone", "Tags", "Attributes"}
)

// CustomerData builds the map a template sees as .Customer. Its keys are
// Name, GivenName, FamilyName, Email (c.Email()), Phone (c.Phone()), Locale,
// TimeZone, Stage (a string), Tags ([]string) and Attributes
// (map[string]any); a key is present only when its value is not blank, so
// that {{.Customer.GivenName}} for a customer without a given name is a
// render error rather than an empty greeting. It returns nil when c is nil.
// The map shares nothing with c.
func CustomerData(c *customer.Customer) map[string]any {
	if c == nil {
		return nil
	}
	m := map[string]any{}
	putDataString(m, "Name", c.Name)
	putDataString(m, "GivenName", c.GivenName)
	putDataString(m, "FamilyName", c.FamilyName)
	putDataString(m, "Email", c.Email())
	putDataString(m, "Phone", c.Phone())
	putDataString(m, "Locale", c.Locale)
	putDataString(m, "TimeZone", c.TimeZone)
	putDataString(m, "Stage", string(c.Stage))
	putDataCommon(m, c)
	return m
}

// CompanyData builds the map a template sees as .Company, like CustomerData
// with the keys Name, Email, Phone, Tags and Attributes. It returns nil when
// c is nil.
func CompanyData(c *customer.Customer) map[string]any {
	if c == nil {
		return nil
	}
	m := map[string]any{}
	putDataString(m, "Name", c.Name)
	putDataString(m, "Email", c.Email())
	putDataString(m, "Phone", c.Phone())
	putDataCommon(m, c)
	return m
}

func putDataString(m map[string]any, k, v string) {
	if strings.TrimSpace(v) != "" {
		m[k] = v
	}
}

func putDataCommon(m map[string]any, c *customer.Customer) {
	var tags []string
	for _, t := range c.Tags {
		if strings.TrimSpace(t) != "" {
			tags = append(tags, t)
		}
	}
	if len(tags) > 0 {
		m["Tags"] = tags
	}
	if attrs := cleanTemplateMap(c.Attributes); len(attrs) > 0 {
		m["Attributes"] = attrs
	}
}

// cleanTemplateMap returns a copy of m without blank values (nil, or a string of
// white space only), recursively through map[string]any, map[string]string
// and []any, so that printing such a value fails as a missing key does.
// A nil m becomes an empty map.
func cleanTemplateMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if v = cleanTemplateValue(v); !isBlankValue(v) {
			out[k] = v
		}
	}
	return out
}

func cleanTemplateValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return nil
		}
		return cleanTemplateMap(x)
	case map[string]string:
		if x == nil {
			return nil
		}
		m := make(map[string]any, len(x))
		for k, s := range x {
			if strings.TrimSpace(s) != "" {
				m[k] = s
			}
		}
		return m
	case []any:
		if x == nil {
			return nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cleanTemplateValue(e)
		}
		return out
	}
	return v
}

// isBlankValue reports whether v is nil (including a nil pointer, map, slice,
// function or channel) or a string of white space only.
func isBlankValue(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return strings.TrimSpace(rv.String()) == ""
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Func, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

// templateHas is the template function has: whether m (a map with string keys) holds a
// value for key that is not blank and, for a map or slice, not empty.
func templateHas(m any, key string) bool {
	rv := reflect.ValueOf(m)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return false
	}
	v := rv.MapIndex(reflect.ValueOf(key).Convert(rv.Type().Key()))
	if !v.IsValid() || isBlankValue(v.Interface()) {
		return false
	}
	if e := reflect.ValueOf(v.Interface()); e.Kind() == reflect.Map || e.Kind() == reflect.Slice {
		return e.Len() > 0
	}
	return true
}

// outputGuard is the name of the function appended to every printing
// action: it fails on a blank value, so that nothing blank reaches a
// customer whatever path led to it.
const outputGuard = "_crm_print"

// errBlankOutput is what the output guard returns.
var errBlankOutput = errors.New("blank value")

func guardOutput(v any) (any, error) {
	if isBlankValue(v) {
		return nil, errBlankOutput
	}
	return v, nil
}

var templateFuncs = map[string]any{
	"has":       templateHas,
	outputGuard: guardOutput,
}

// templatePart is one parsed source: Subject, Body or HTML.
type templatePart struct {
	name   string // "subject", "body" or "html"
	text   *template.Template
	html   *htmltemplate.Template
	fields map[string]string // parse location ("body:1:14") of a field reference -> its name ("data.order_no")
	prints map[string]string // parse location of an output guard -> the name of what it prints, "" when unnamed
}

func compilePart(name, src string, isHTML bool) (*templatePart, error) {
	if !utf8.ValidString(src) {
		return nil, crmtype.Invalid(name, "is not valid UTF-8")
	}
	if len(src) > maxTemplateSource {
		return nil, crmtype.Invalidf(name, "is %d bytes long; at most %d are allowed", len(src), maxTemplateSource)
	}
	p := &templatePart{name: name}
	trees := map[string]*parse.Tree{}
	var err error
	if isHTML {
		p.html, err = htmltemplate.New(name).Option("missingkey=error").Funcs(templateFuncs).Parse(src)
		if err == nil {
			for _, t := range p.html.Templates() {
				trees[t.Name()] = t.Tree
			}
		}
	} else {
		p.text, err = template.New(name).Option("missingkey=error").Funcs(templateFuncs).Parse(src)
		if err == nil {
			for _, t := range p.text.Templates() {
				trees[t.Name()] = t.Tree
			}
		}
	}
	if err != nil {
		return nil, crmtype.Invalidf(name, "does not parse: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	w := &refWalker{part: name, trees: trees, fields: map[string]string{}, actions: map[*parse.ActionNode]*printAction{}, seen: map[string]bool{}}
	if tree := trees[name]; tree != nil && tree.Root != nil {
		if err := w.walkTree(tree, fieldRef{kind: refRoot}); err != nil {
			return nil, err
		}
	}
	p.fields = w.fields
	p.prints = map[string]string{}
	for _, a := range w.order {
		// Add "| _crm_print" to the action's pipeline: at the end, or in
		// HTML before trailing html and urlquery escapers, which
		// html/template accepts only last. The new command is a copy of an
		// existing one so that it belongs to the same parse tree.
		cmds := a.node.Pipe.Cmds
		at := len(cmds)
		for isHTML && at > 0 && isPredefinedEscaper(cmds[at-1]) {
			at--
		}
		if at == 0 {
			continue // {{html .X}}: nothing to guard before the escaper
		}
		cmd := cmds[0].Copy().(*parse.CommandNode)
		cmd.Pos = a.node.Pos
		cmd.Args = []parse.Node{parse.NewIdentifier(outputGuard).SetTree(a.tree).SetPos(a.node.Pos)}
		a.node.Pipe.Cmds = slices.Insert(cmds, at, cmd)
		loc, _ := a.tree.ErrorContext(cmd)
		p.prints[loc] = a.name
	}
	if isHTML {
		// html/template escapes on the first execution; run one on no data
		// to surface escaping errors now. Execution errors are expected.
		var herr *htmltemplate.Error
		if err := p.html.Execute(io.Discard, nil); errors.As(err, &herr) {
			return nil, crmtype.Invalidf(name, "cannot be escaped safely: %s", strings.TrimPrefix(herr.Error(), "html/template:"))
		}
	}
	return p, nil
}

// isPredefinedEscaper reports whether cmd calls html or urlquery, which
// html/template accepts only as the last command of a pipeline.
func isPredefinedEscaper(cmd *parse.CommandNode) bool {
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	return ok && (id.Ident == "html" || id.Ident == "urlquery")
}

// errRenderTooLong is what limitWriter returns past its limit.
var errRenderTooLong = errors.New("too long")

type limitWriter struct {
	b   strings.Builder
	max int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > w.max {
		return 0, errRenderTooLong
	}
	return w.b.Write(p)
}

var missingKeyMessage = regexp.MustCompile(`no entry for key "([^"]*)"`)

func (p *templatePart) execute(root map[string]any) (string, error) {
	w := &limitWriter{max: maxRenderedPart}
	var err error
	if p.html != nil {
		err = p.html.Execute(w, root)
	} else {
		err = p.text.Execute(w, root)
	}
	if err == nil {
		return w.b.String(), nil
	}
	msg := err.Error()
	switch {
	case errors.Is(err, errRenderTooLong):
		return "", crmtype.Invalidf(p.name, "renders to more than %d bytes", maxRenderedPart)
	case errors.Is(err, errBlankOutput):
		if name := lookupLocation(p.prints, msg); name != "" {
			return "", crmtype.Invalid(name, "is empty")
		}
		return "", crmtype.Invalid(p.name, "prints an empty value")
	}
	if m := missingKeyMessage.FindStringSubmatch(msg); m != nil {
		if name := lookupLocation(p.fields, msg); name != "" {
			return "", crmtype.Invalid(cutAtKey(name, m[1]), "is missing")
		}
		return "", crmtype.Invalidf(p.name, "has no value for the key %q", m[1])
	}
	if name := lookupLocation(p.fields, msg); name != "" {
		return "", crmtype.Invalidf(name, "cannot be rendered: %s", execDetail(msg))
	}
	return "", crmtype.Invalidf(p.name, "cannot be rendered: %s", execDetail(msg))
}

// lookupLocation returns the name recorded for the parse location an
// execution error message starts with ("template: body:1:14: ...").
func lookupLocation(names map[string]string, msg string) string {
	for loc, name := range names {
		if strings.HasPrefix(msg, "template: "+loc+": ") {
			return name
		}
	}
	return ""
}

// execDetail strips the location prefix of an execution error message.
func execDetail(msg string) string {
	if i := strings.Index(msg, ">: "); i >= 0 && strings.HasPrefix(msg, "template: ") {
		return msg[i+3:]
	}
	return strings.TrimPrefix(msg, "template: ")
}

// cutAtKey shortens the dotted name to the segment naming key: the key
// "order" missing in "data.order.number" makes "data.order" the missing
// value.
func cutAtKey(name, key string) string {
	segs := strings.Split(name, ".")
	if strings.EqualFold(segs[0], key) && rootNames[key] {
		return segs[0]
	}
	for i := 1; i < len(segs); i++ {
		if strings.TrimSuffix(segs[i], "[]") == key {
			return strings.Join(segs[:i+1], ".")
		}
	}
	return name
}

var rootNames = map[string]bool{"Customer": true, "Company": true, "Data": true}

// fieldRefKind says what the walker knows about a value.
type fieldRefKind uint8

const (
	refUnknown fieldRefKind = iota // anything: a range element, a function result
	refRoot                        // the TemplateData root
	refPath                        // a value under the root, at path
	refNil                         // no data: the dot of {{template "x"}} without a pipeline
)

// fieldRef is the walker's idea of a value.
type fieldRef struct {
	kind fieldRefKind
	// path is the dotted path from the root as written (["Customer",
	// "GivenName"]); for refUnknown it may still name where the value came
	// from (["Data", "items[]", "sku"]) for error messages.
	path []string
}

// name is the field name used in errors: "customer.GivenName",
// "data.items[].sku"; "" when unknown.
func (r fieldRef) name() string {
	if len(r.path) == 0 {
		return ""
	}
	segs := slices.Clone(r.path)
	if rootNames[segs[0]] {
		segs[0] = strings.ToLower(segs[0])
	}
	return strings.Join(segs, ".")
}

// isMap reports whether r is certainly a map: the root, .Customer,
// .Company, .Data or an Attributes map.
func (r fieldRef) isMap() bool {
	switch r.kind {
	case refRoot:
		return true
	case refPath:
		return len(r.path) == 1 || (len(r.path) == 2 && r.path[0] != "Data" && r.path[1] == "Attributes")
	}
	return false
}

func (r fieldRef) key() string {
	return string(rune('0'+r.kind)) + strings.Join(r.path, ".")
}

// printAction is an action that prints, with the name of what it prints.
type printAction struct {
	node *parse.ActionNode
	tree *parse.Tree
	name string
}

// refWalker follows the field references of a part's parse trees.
type refWalker struct {
	part    string
	trees   map[string]*parse.Tree
	fields  map[string]string
	actions map[*parse.ActionNode]*printAction
	order   []*printAction
	seen    map[string]bool // template name + dot walked already
	depth   int             // of {{template}} calls being walked
	walks   int             // {{template}} calls walked so far
}

// The walker follows {{template}} calls at most maxWalkDepth deep and
// maxWalks in all with a known dot; beyond, the dot is unknown, which ends
// any recursion (a template is walked once with an unknown dot).
const (
	maxWalkDepth = 16
	maxWalks     = 256
)

type walkScope struct {
	dot  fieldRef
	vars map[string]fieldRef
}

func (s *walkScope) child() *walkScope {
	return &walkScope{dot: s.dot, vars: maps.Clone(s.vars)}
}

func (w *refWalker) fail(tree *parse.Tree, n parse.Node, format string, args ...any) error {
	loc, _ := tree.ErrorContext(n)
	if i := strings.IndexByte(loc, ':'); i >= 0 && loc[:i] == w.part {
		loc = "line " + strings.Replace(loc[i+1:], ":", ", column ", 1)
	}
	return crmtype.Invalidf(w.part, "%s: "+format, append([]any{loc}, args...)...)
}

func (w *refWalker) walkTree(tree *parse.Tree, dot fieldRef) error {
	sc := &walkScope{dot: dot, vars: map[string]fieldRef{"$": dot}}
	return w.walkList(tree, tree.Root, sc)
}

func (w *refWalker) walkList(tree *parse.Tree, list *parse.ListNode, sc *walkScope) error {
	if list == nil {
		return nil
	}
	for _, n := range list.Nodes {
		if err := w.walkNode(tree, n, sc); err != nil {
			return err
		}
	}
	return nil
}

func (w *refWalker) walkNode(tree *parse.Tree, n parse.Node, sc *walkScope) error {
	switch n := n.(type) {
	case *parse.ListNode:
		return w.walkList(tree, n, sc.child())
	case *parse.ActionNode:
		r, err := w.walkPipe(tree, n.Pipe, sc, true)
		if err != nil {
			return err
		}
		if len(n.Pipe.Decl) > 0 {
			return nil // an assignment prints nothing
		}
		if r.isMap() {
			return w.fail(tree, n, "%s is a map; print one of its fields", pipeText(n.Pipe))
		}
		name := w.printedName(n.Pipe, r)
		if a := w.actions[n]; a != nil {
			if a.name != name {
				a.name = ""
			}
			return nil
		}
		a := &printAction{node: n, tree: tree, name: name}
		w.actions[n] = a
		w.order = append(w.order, a)
	case *parse.IfNode:
		return w.walkBranch(tree, &n.BranchNode, sc, nil)
	case *parse.WithNode:
		return w.walkBranch(tree, &n.BranchNode, sc, func(r fieldRef) fieldRef { return r })
	case *parse.RangeNode:
		if err := w.checkRangeSource(tree, n); err != nil {
			return err
		}
		return w.walkBranch(tree, &n.BranchNode, sc, func(r fieldRef) fieldRef {
			elem := fieldRef{kind: refUnknown, path: slices.Clone(r.path)}
			if len(elem.path) > 0 {
				elem.path[len(elem.path)-1] += "[]"
			}
			return elem
		})
	case *parse.TemplateNode:
		dot := fieldRef{kind: refNil}
		if n.Pipe != nil {
			var err error
			if dot, err = w.walkPipe(tree, n.Pipe, sc, true); err != nil {
				return err
			}
		}
		t := w.trees[n.Name]
		if t == nil {
			return w.fail(tree, n, "there is no template %q", n.Name)
		}
		if w.depth >= maxWalkDepth || w.walks >= maxWalks {
			dot = fieldRef{kind: refUnknown} // deep or wide recursion: stop following
		}
		k := n.Name + "\x00" + dot.key()
		if w.seen[k] || t.Root == nil {
			return nil
		}
		w.seen[k] = true
		w.walks++
		w.depth++
		defer func() { w.depth-- }()
		return w.walkTree(t, dot)
	}
	return nil
}

// walkBranch walks an if, with or range. inner, when not nil, gives the dot
// inside the branch from the value of the pipeline (and, for range, the
// value of its declared variables).
func (w *refWalker) walkBranch(tree *parse.Tree, b *parse.BranchNode, sc *walkScope, inner func(fieldRef) fieldRef) error {
	outer := sc.child()
	isRange := b.NodeType == parse.NodeRange
	r, err := w.walkPipe(tree, b.Pipe, outer, !isRange)
	if err != nil {
		return err
	}
	if isRange {
		for _, v := range b.Pipe.Decl {
			outer.vars[v.Ident[0]] = inner(r)
		}
	}
	body := outer.child()
	if inner != nil {
		body.dot = inner(r)
	}
	if err := w.walkList(tree, b.List, body); err != nil {
		return err
	}
	return w.walkList(tree, b.ElseList, outer.child())
}

// checkRangeSource rejects a range over anything but data: a range over a
// number ({{range 1000000000}}) or a function result could spin without
// end.
func (w *refWalker) checkRangeSource(tree *parse.Tree, n *parse.RangeNode) error {
	cmds := n.Pipe.Cmds
	if len(cmds) == 1 {
		switch a := cmds[0].Args[0].(type) {
		case *parse.FieldNode, *parse.VariableNode, *parse.ChainNode, *parse.DotNode:
			if len(cmds[0].Args) == 1 {
				return nil
			}
		case *parse.IdentifierNode:
			if a.Ident == "index" {
				return nil
			}
		}
	}
	return w.fail(tree, n, "range must iterate over a field or variable such as .Data.items")
}

func (w *refWalker) walkPipe(tree *parse.Tree, p *parse.PipeNode, sc *walkScope, declare bool) (fieldRef, error) {
	r := fieldRef{kind: refUnknown}
	if p == nil {
		return r, nil
	}
	for _, cmd := range p.Cmds {
		var err error
		if r, err = w.walkCommand(tree, cmd, sc); err != nil {
			return r, err
		}
	}
	if len(p.Cmds) > 1 {
		r = fieldRef{kind: refUnknown} // the last command is a function of the previous value
	}
	if declare {
		for _, v := range p.Decl {
			sc.vars[v.Ident[0]] = r
		}
	}
	return r, nil
}

// printfWidth finds a width or precision of four digits or more, or one
// taken from an argument, in a printf format.
var printfWidth = regexp.MustCompile(`%[-+# 0]*(\*|\d{4,}|\d*\.(\*|\d{4,}))`)

func (w *refWalker) walkCommand(tree *parse.Tree, cmd *parse.CommandNode, sc *walkScope) (fieldRef, error) {
	refs := make([]fieldRef, len(cmd.Args))
	for i, a := range cmd.Args {
		var err error
		if refs[i], err = w.walkArg(tree, a, sc); err != nil {
			return fieldRef{}, err
		}
	}
	if len(cmd.Args) == 1 {
		return refs[0], nil
	}
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	if !ok {
		return fieldRef{kind: refUnknown}, nil
	}
	switch id.Ident {
	case "index", "has":
		var keys []string
		for _, a := range cmd.Args[2:] {
			s, ok := a.(*parse.StringNode)
			if !ok {
				return fieldRef{kind: refUnknown}, nil
			}
			keys = append(keys, s.Text)
		}
		if len(keys) == 0 {
			return fieldRef{kind: refUnknown}, nil
		}
		r, err := w.follow(tree, cmd, refs[1], keys)
		if err != nil || id.Ident == "has" {
			return fieldRef{kind: refUnknown}, err
		}
		return r, nil
	case "printf":
		if s, ok := cmd.Args[1].(*parse.StringNode); ok && printfWidth.MatchString(s.Text) {
			return fieldRef{}, w.fail(tree, cmd, "printf widths and precisions must be literal and below 1000")
		}
	}
	return fieldRef{kind: refUnknown}, nil
}

func (w *refWalker) walkArg(tree *parse.Tree, a parse.Node, sc *walkScope) (fieldRef, error) {
	switch a := a.(type) {
	case *parse.FieldNode:
		return w.record(tree, a, sc.dot, a.Ident)
	case *parse.VariableNode:
		base, ok := sc.vars[a.Ident[0]]
		if !ok {
			base = fieldRef{kind: refUnknown}
		}
		if len(a.Ident) == 1 {
			return base, nil
		}
		return w.record(tree, a, base, a.Ident[1:])
	case *parse.ChainNode:
		base, err := w.walkArg(tree, a.Node, sc)
		if err != nil {
			return fieldRef{}, err
		}
		return w.record(tree, a, base, a.Field)
	case *parse.PipeNode:
		return w.walkPipe(tree, a, sc.child(), false)
	case *parse.DotNode:
		return sc.dot, nil
	}
	return fieldRef{kind: refUnknown}, nil
}

// record follows idents from base and remembers the name of the value at
// the node's location, for naming it in execution errors.
func (w *refWalker) record(tree *parse.Tree, n parse.Node, base fieldRef, idents []string) (fieldRef, error) {
	r, err := w.follow(tree, n, base, idents)
	if err != nil {
		return r, err
	}
	loc, _ := tree.ErrorContext(n)
	if old, ok := w.fields[loc]; ok && old != r.name() {
		w.fields[loc] = "" // a template used with different dots: the name is unknown
	} else {
		w.fields[loc] = r.name()
	}
	return r, nil
}

// follow resolves the field chain idents from base, failing when it names a
// field that cannot exist.
func (w *refWalker) follow(tree *parse.Tree, n parse.Node, base fieldRef, idents []string) (fieldRef, error) {
	r := fieldRef{kind: base.kind, path: slices.Clone(base.path)}
	for _, id := range idents {
		switch r.kind {
		case refNil:
			return r, w.fail(tree, n, "%s has no data here: pass it to the template, e.g. {{template \"name\" .}}", "."+id)
		case refRoot:
			if !rootNames[id] {
				return r, w.fail(tree, n, ".%s is not a template field: use .Customer, .Company or .Data", id)
			}
			r = fieldRef{kind: refPath, path: []string{id}}
			continue
		case refPath:
			if reason := checkFieldKey(r.path, id); reason != "" {
				return r, w.fail(tree, n, "%s", reason)
			}
		}
		r.path = append(r.path, id)
	}
	return r, nil
}

// checkFieldKey says why path cannot have the key id, or "" when it can.
func checkFieldKey(path []string, id string) string {
	var keys []string
	var what string
	switch path[0] {
	case "Customer":
		keys, what = customerKeys, "customer"
	case "Company":
		keys, what = companyKeys, "company"
	default:
		return "" // .Data: the caller's values
	}
	dotted := "." + strings.Join(path, ".")
	switch {
	case len(path) == 1:
		if !slices.Contains(keys, id) {
			return dotted + "." + id + " is not a " + what + " field: use one of " + strings.Join(keys, ", ")
		}
	case path[1] == "Attributes":
		if len(path) > 2 {
			return dotted + " is an attribute value and has no fields"
		}
	default:
		return dotted + " has no fields"
	}
	return ""
}

// printedName names what an action prints, for the error when it is
// blank: the field it ends with, or the value index reads.
func (w *refWalker) printedName(p *parse.PipeNode, r fieldRef) string {
	if len(p.Cmds) != 1 {
		return ""
	}
	if r.kind == refPath || (r.kind == refUnknown && len(r.path) > 0) {
		return r.name()
	}
	return ""
}

func pipeText(p *parse.PipeNode) string {
	return "{{" + p.String() + "}}"
}
