package communication_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

// requireValidationError asserts that err is a *crmtype.ValidationError on field
// whose reason contains reason.
func requireValidationError(t *testing.T, err error, field, reason string) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	var ve *crmtype.ValidationError
	require.True(t, errors.As(err, &ve), "%T is not a *crmtype.ValidationError", err)
	require.Equal(t, field, ve.Field, "reason: %s", ve.Reason)
	require.Contains(t, ve.Reason, reason)
}

func TestTemplateValidate(t *testing.T) {
	ok := communication.Template{Key: "order-shipped", Channel: communication.SMS, Body: "Hi {{.Customer.Name}}"}
	tests := []struct {
		name   string
		edit   func(*communication.Template)
		field  string // "" when valid
		reason string
	}{
		{name: "minimal", edit: func(*communication.Template) {}},
		{name: "key with dots and digits", edit: func(t *communication.Template) { t.Key = "2fa.code_v2" }},
		{name: "key of 64", edit: func(t *communication.Template) { t.Key = strings.Repeat("a", 64) }},
		{name: "custom channel", edit: func(t *communication.Template) { t.Channel = "wechat" }},
		{name: "email with all parts", edit: func(t *communication.Template) {
			t.Channel, t.Subject, t.HTML = communication.Email, "Order {{.Data.order_no}}", "<p>Hi {{.Customer.Name}}</p>"
		}},
		{name: "all customer keys", edit: func(t *communication.Template) {
			t.Body = "{{.Customer.Name}}{{.Customer.GivenName}}{{.Customer.FamilyName}}{{.Customer.Email}}{{.Customer.Phone}}" +
				"{{.Customer.Locale}}{{.Customer.TimeZone}}{{.Customer.Stage}}{{.Customer.Tags}}{{.Customer.Attributes.tier}}"
		}},
		{name: "all company keys", edit: func(t *communication.Template) {
			t.Body = "{{.Company.Name}}{{.Company.Email}}{{.Company.Phone}}{{.Company.Tags}}{{.Company.Attributes.size}}"
		}},
		{name: "data anything", edit: func(t *communication.Template) { t.Body = "{{.Data.order.lines.first}}" }},
		{name: "with customer", edit: func(t *communication.Template) { t.Body = "{{with .Customer}}{{.GivenName}}{{end}}" }},
		{name: "range tags", edit: func(t *communication.Template) { t.Body = "{{range .Customer.Tags}}{{.}} {{end}}" }},
		{name: "range data with $", edit: func(t *communication.Template) {
			t.Body = "{{range $i, $x := .Data.items}}{{$x.sku}} for {{$.Customer.Name}}{{end}}"
		}},
		{name: "variable", edit: func(t *communication.Template) { t.Body = "{{$c := .Company}}{{$c.Name}}" }},
		{name: "has and index", edit: func(t *communication.Template) {
			t.Body = `{{if has .Customer "GivenName"}}{{index .Customer "GivenName"}}{{else}}Hi{{end}}`
		}},
		{name: "define and template", edit: func(t *communication.Template) {
			t.Body = `{{define "sig"}}{{.Name}}{{end}}Hi {{template "sig" .Customer}} from {{template "sig" .Company}}`
		}},
		{name: "block", edit: func(t *communication.Template) { t.Body = `{{block "greet" .}}Hi {{.Customer.Name}}{{end}}` }},
		{name: "printf", edit: func(t *communication.Template) { t.Body = `{{printf "%05d" .Data.n}}` }},

		{name: "empty key", edit: func(t *communication.Template) { t.Key = "" }, field: "key", reason: "not a template key"},
		{name: "upper-case key", edit: func(t *communication.Template) { t.Key = "Order" }, field: "key", reason: "not a template key"},
		{name: "key starting with dash", edit: func(t *communication.Template) { t.Key = "-x" }, field: "key", reason: "not a template key"},
		{name: "key of 65", edit: func(t *communication.Template) { t.Key = strings.Repeat("a", 65) }, field: "key", reason: "not a template key"},
		{name: "no channel", edit: func(t *communication.Template) { t.Channel = "" }, field: "channel", reason: "required"},
		{name: "bad channel", edit: func(t *communication.Template) { t.Channel = "E-mail" }, field: "channel", reason: "not a channel"},
		{name: "bad locale", edit: func(t *communication.Template) { t.Locale = "not a tag" }, field: "locale", reason: "BCP 47"},
		{name: "und locale", edit: func(t *communication.Template) { t.Locale = "und" }, field: "locale", reason: "workspace default"},
		{name: "no body", edit: func(t *communication.Template) { t.Body = " \n " }, field: "body", reason: "required"},
		{name: "email without subject", edit: func(t *communication.Template) { t.Channel = communication.Email }, field: "subject", reason: "required"},
		{name: "html on sms", edit: func(t *communication.Template) { t.HTML = "<p>x</p>" }, field: "html", reason: "only for"},
		{name: "invalid UTF-8 body", edit: func(t *communication.Template) { t.Body = "Hi \xff" }, field: "body", reason: "UTF-8"},
		{name: "invalid UTF-8 subject", edit: func(t *communication.Template) { t.Subject = "\xc3\x28" }, field: "subject", reason: "UTF-8"},
		{name: "invalid UTF-8 html", edit: func(t *communication.Template) {
			t.Channel, t.Subject, t.HTML = communication.Email, "s", "<p>\xe2\x82</p>"
		}, field: "html", reason: "UTF-8"},
		{name: "too long", edit: func(t *communication.Template) { t.Body = strings.Repeat("x", 256<<10+1) }, field: "body", reason: "at most"},
		{name: "does not parse", edit: func(t *communication.Template) { t.Body = "Hi {{.Customer.Name" }, field: "body", reason: "does not parse: body:1: unclosed action"},
		{name: "subject does not parse", edit: func(t *communication.Template) { t.Subject = "{{end}}" }, field: "subject", reason: "does not parse"},
		{name: "unknown function", edit: func(t *communication.Template) { t.Body = "{{upper .Customer.Name}}" }, field: "body", reason: `function "upper" not defined`},
		{name: "html does not parse", edit: func(t *communication.Template) {
			t.Channel, t.Subject, t.HTML = communication.Email, "s", "<p>{{if .Data.x}}</p>"
		}, field: "html", reason: "does not parse"},
		{name: "html escaping", edit: func(t *communication.Template) {
			t.Channel, t.Subject, t.HTML = communication.Email, "s", `{{if has .Data "x"}}<a href="{{end}}x">`
		}, field: "html", reason: "cannot be escaped safely"},
		{name: "unknown root", edit: func(t *communication.Template) { t.Body = "{{.Name}}" }, field: "body", reason: "line 1, column 2: .Name is not a template field"},
		{name: "unknown customer key", edit: func(t *communication.Template) { t.Body = "Hi\n  {{.Customer.Nmae}}" }, field: "body", reason: "line 2, column 13: .Customer.Nmae is not a customer field"},
		{name: "company has no given name", edit: func(t *communication.Template) { t.Body = "{{.Company.GivenName}}" }, field: "body", reason: "not a company field"},
		{name: "field of a string", edit: func(t *communication.Template) { t.Body = "{{.Customer.Name.First}}" }, field: "body", reason: ".Customer.Name has no fields"},
		{name: "field of an attribute", edit: func(t *communication.Template) { t.Body = "{{.Customer.Attributes.tier.x}}" }, field: "body", reason: "attribute value and has no fields"},
		{name: "inside if", edit: func(t *communication.Template) { t.Body = "{{if true}}{{else}}{{.Customer.Nmae}}{{end}}" }, field: "body", reason: ".Customer.Nmae"},
		{name: "inside with", edit: func(t *communication.Template) { t.Body = "{{with .Customer}}{{.Nmae}}{{end}}" }, field: "body", reason: ".Customer.Nmae"},
		{name: "inside range via $", edit: func(t *communication.Template) { t.Body = "{{range .Data.items}}{{$.Customer.Nmae}}{{end}}" }, field: "body", reason: ".Customer.Nmae"},
		{name: "via variable", edit: func(t *communication.Template) { t.Body = "{{$c := .Customer}}{{$c.Nmae}}" }, field: "body", reason: ".Customer.Nmae"},
		{name: "inside template", edit: func(t *communication.Template) {
			t.Body = `{{define "x"}}{{.GivenName}}{{end}}{{template "x" .Company}}`
		}, field: "body", reason: "not a company field"},
		{name: "$ inside template", edit: func(t *communication.Template) { t.Body = `{{define "x"}}{{$.Nope}}{{end}}{{template "x" .}}` }, field: "body", reason: ".Nope is not a template field"},
		{name: "template without data", edit: func(t *communication.Template) { t.Body = `{{define "x"}}{{.Data.x}}{{end}}{{template "x"}}` }, field: "body", reason: "no data here"},
		{name: "no such template", edit: func(t *communication.Template) { t.Body = `{{template "nope" .}}` }, field: "body", reason: `no template "nope"`},
		{name: "inside html", edit: func(t *communication.Template) {
			t.Channel, t.Subject, t.HTML = communication.Email, "s", "<b>{{.Company.Stage}}</b>"
		}, field: "html", reason: "not a company field"},
		{name: "index unknown key", edit: func(t *communication.Template) { t.Body = `{{index .Customer "Nmae"}}` }, field: "body", reason: ".Customer.Nmae"},
		{name: "has unknown key", edit: func(t *communication.Template) { t.Body = `{{if has .Customer "Nmae"}}x{{end}}` }, field: "body", reason: ".Customer.Nmae"},
		{name: "prints a map", edit: func(t *communication.Template) { t.Body = "{{.Customer}}" }, field: "body", reason: "is a map"},
		{name: "prints the root", edit: func(t *communication.Template) { t.Body = "{{.}}" }, field: "body", reason: "is a map"},
		{name: "range over a number", edit: func(t *communication.Template) { t.Body = "{{range 1000000000}}x{{end}}" }, field: "body", reason: "range must iterate"},
		{name: "range over a function", edit: func(t *communication.Template) { t.Body = "{{range len .Data.x}}x{{end}}" }, field: "body", reason: "range must iterate"},
		{name: "printf huge width", edit: func(t *communication.Template) { t.Body = `{{printf "%999999999s" "x"}}` }, field: "body", reason: "printf widths"},
		{name: "printf star width", edit: func(t *communication.Template) { t.Body = `{{printf "%*s" 5 "x"}}` }, field: "body", reason: "printf widths"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl := ok
			tc.edit(&tpl)
			err := tpl.Validate()
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			requireValidationError(t, err, tc.field, tc.reason)
		})
	}
}

func TestTemplateValidateLocale(t *testing.T) {
	for in, want := range map[string]string{
		"":           "",
		"zh_tw":      "zh-TW",
		"zh-hant-tw": "zh-Hant-TW",
		" EN-gb ":    "en-GB",
		"iw":         "he",
	} {
		tpl := communication.Template{Key: "k", Channel: communication.Chat, Locale: in, Body: "x"}
		require.NoError(t, tpl.Validate(), in)
		require.Equal(t, want, tpl.Locale, in)
	}
	// A failed Validate leaves t as it was.
	tpl := communication.Template{Key: "k", Channel: communication.Chat, Locale: "zh_tw", Body: "{{.Nope}}"}
	require.Error(t, tpl.Validate())
	require.Equal(t, "zh_tw", tpl.Locale)
}

func testPerson(name, given string) *customer.Customer {
	return &customer.Customer{
		Kind: customer.Person, Name: name, GivenName: given, Locale: "de-DE", Stage: customer.StageCustomer,
		Tags: []string{"vip"},
		Identities: []customer.Identity{
			{Kind: customer.Phone, Value: "+4930123456"},
			{Kind: customer.Email, Value: "jose@example.de"},
		},
	}
}

func TestTemplateRender(t *testing.T) {
	email := communication.Template{
		Key: "order-shipped", Channel: communication.Email, Locale: "de_de",
		Subject: "Bestellung {{.Data.order_no}}\n für {{.Customer.Name}}",
		Body:    "Hallo {{.Customer.Name}}, Ihre Bestellung {{.Data.order_no}} ist unterwegs.",
		HTML:    `<p>Hallo <b>{{.Customer.Name}}</b>, <a href="{{.Data.url}}">Bestellung {{.Data.order_no}}</a></p>`,
	}
	tests := []struct {
		name     string
		tpl      communication.Template
		data     communication.TemplateData
		want     communication.Rendered // when err is ""
		errField string
		errWhy   string
	}{
		{
			name: "Chinese name",
			tpl:  communication.Template{Key: "hi", Channel: communication.SMS, Locale: "zh-CN", Body: "{{.Customer.Name}}，您好！订单{{.Data.order_no}}已发货。"},
			data: communication.TemplateData{Customer: communication.CustomerData(&customer.Customer{Name: "张三"}), Data: map[string]any{"order_no": "A-1"}},
			want: communication.Rendered{Key: "hi", Channel: communication.SMS, Locale: "zh-CN", Body: "张三，您好！订单A-1已发货。"},
		},
		{
			name: "German name, email with every part",
			tpl:  email,
			data: communication.TemplateData{Customer: communication.CustomerData(testPerson("José Müller", "José")), Data: map[string]any{"order_no": 1042, "url": "https://shop.example/o/1042?a=1&b=2"}},
			want: communication.Rendered{
				Key: "order-shipped", Channel: communication.Email, Locale: "de-DE",
				Subject: "Bestellung 1042 für José Müller",
				Body:    "Hallo José Müller, Ihre Bestellung 1042 ist unterwegs.",
				HTML:    `<p>Hallo <b>José Müller</b>, <a href="https://shop.example/o/1042?a=1&amp;b=2">Bestellung 1042</a></p>`,
			},
		},
		{
			name: "Greek name with an optional given name",
			tpl:  communication.Template{Key: "hi", Channel: communication.Chat, Locale: "el", Body: `{{if has .Customer "GivenName"}}Αγαπητή {{.Customer.GivenName}}{{else}}Γεια σας{{end}}`},
			data: communication.TemplateData{Customer: communication.CustomerData(&customer.Customer{Name: "Ελένη Παπαδοπούλου", GivenName: "Ελένη"})},
			want: communication.Rendered{Key: "hi", Channel: communication.Chat, Locale: "el", Body: "Αγαπητή Ελένη"},
		},
		{
			name: "has falls back when the given name is absent",
			tpl:  communication.Template{Key: "hi", Channel: communication.Chat, Body: `{{if has .Customer "GivenName"}}Dear {{.Customer.GivenName}}{{else}}Hello{{end}}`},
			data: communication.TemplateData{Customer: communication.CustomerData(&customer.Customer{Name: "ACME"})},
			want: communication.Rendered{Key: "hi", Channel: communication.Chat, Body: "Hello"},
		},
		{
			name: "script in a name is escaped in HTML only",
			tpl:  communication.Template{Key: "x", Channel: communication.Email, Subject: "Hi {{.Customer.Name}}", Body: "Hi {{.Customer.Name}}", HTML: "<p>Hi {{.Customer.Name}}</p>"},
			data: communication.TemplateData{Customer: communication.CustomerData(&customer.Customer{Name: "<script>alert(1)</script>"})},
			want: communication.Rendered{
				Key: "x", Channel: communication.Email,
				Subject: "Hi <script>alert(1)</script>", Body: "Hi <script>alert(1)</script>",
				HTML: "<p>Hi &lt;script&gt;alert(1)&lt;/script&gt;</p>",
			},
		},
		{
			name: "javascript URL from data is neutralised in HTML",
			tpl:  communication.Template{Key: "x", Channel: communication.Email, Subject: "s", Body: "b", HTML: `<a href="{{.Data.url}}">x</a>`},
			data: communication.TemplateData{Data: map[string]any{"url": "javascript:alert(1)"}},
			want: communication.Rendered{Key: "x", Channel: communication.Email, Subject: "s", Body: "b", HTML: `<a href="#ZgotmplZ">x</a>`},
		},
		{
			name: "html and urlquery as the last command in HTML",
			tpl:  communication.Template{Key: "x", Channel: communication.Email, Subject: "s", Body: "b", HTML: `<a href="/s?q={{.Data.q | urlquery}}">{{.Data.q | html}}</a>{{html .Data.q}}`},
			data: communication.TemplateData{Data: map[string]any{"q": "a&b"}},
			want: communication.Rendered{Key: "x", Channel: communication.Email, Subject: "s", Body: "b", HTML: `<a href="/s?q=a%26b">a&amp;b</a>a&amp;b`},
		},
		{
			name:     "urlquery of a missing value",
			tpl:      communication.Template{Key: "x", Channel: communication.Email, Subject: "s", Body: "b", HTML: `<a href="/s?q={{.Data.q | urlquery}}">x</a>`},
			errField: "data.q", errWhy: "is missing",
		},
		{
			name: "company, attributes, tags, range, template and $",
			tpl: communication.Template{Key: "x", Channel: communication.Chat, Body: `{{define "sig"}}{{.Name}}{{end}}` +
				`{{range .Data.items}}{{.qty}}× {{.sku}}, {{end}}{{.Customer.Attributes.tier}} {{range .Customer.Tags}}#{{.}}{{end}} – {{template "sig" .Company}}`},
			data: communication.TemplateData{
				Customer: communication.CustomerData(&customer.Customer{Name: "Zhang", Tags: []string{"a", "b"}, Attributes: map[string]any{"tier": "gold", "gone": nil}}),
				Company:  communication.CompanyData(&customer.Customer{Kind: customer.Company, Name: "ACME GmbH"}),
				Data:     map[string]any{"items": []any{map[string]any{"sku": "X1", "qty": 2}, map[string]string{"sku": "Y2", "qty": "1"}}},
			},
			want: communication.Rendered{Key: "x", Channel: communication.Chat, Body: "2× X1, 1× Y2, gold #a#b – ACME GmbH"},
		},

		{
			name:     "missing data key",
			tpl:      email,
			data:     communication.TemplateData{Customer: communication.CustomerData(testPerson("José Müller", "")), Data: map[string]any{"url": "https://x"}},
			errField: "data.order_no", errWhy: "is missing",
		},
		{
			name:     "empty data value",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: "Code {{.Data.code}}"},
			data:     communication.TemplateData{Data: map[string]any{"code": "  "}},
			errField: "data.code", errWhy: "is missing",
		},
		{
			name:     "nil data value",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: "Code {{.Data.code}}"},
			data:     communication.TemplateData{Data: map[string]any{"code": nil}},
			errField: "data.code", errWhy: "is missing",
		},
		{
			name:     "no data at all",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: "Code {{.Data.code}}"},
			errField: "data.code", errWhy: "is missing",
		},
		{
			name:     "missing parent of a nested key",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: "{{.Data.order.number}}"},
			data:     communication.TemplateData{Data: map[string]any{"other": 1}},
			errField: "data.order", errWhy: "is missing",
		},
		{
			name:     "missing given name",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: "Dear {{.Customer.GivenName}}"},
			data:     communication.TemplateData{Customer: communication.CustomerData(&customer.Customer{Name: "张三"})},
			errField: "customer.GivenName", errWhy: "is missing",
		},
		{
			name:     "missing given name inside if",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: "{{if .Customer.GivenName}}Dear {{.Customer.GivenName}}{{end}}"},
			data:     communication.TemplateData{Customer: communication.CustomerData(&customer.Customer{Name: "张三"})},
			errField: "customer.GivenName", errWhy: "is missing",
		},
		{
			name:     "missing attribute",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: "{{.Customer.Attributes.tier}}"},
			data:     communication.TemplateData{Customer: communication.CustomerData(&customer.Customer{Name: "A", Attributes: map[string]any{"x": true}})},
			errField: "customer.Attributes.tier", errWhy: "is missing",
		},
		{
			name:     "no attributes at all",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: "{{.Customer.Attributes.tier}}"},
			data:     communication.TemplateData{Customer: communication.CustomerData(&customer.Customer{Name: "A"})},
			errField: "customer.Attributes", errWhy: "is missing",
		},
		{
			name:     "no company",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: "{{.Company.Name}}"},
			data:     communication.TemplateData{Customer: communication.CustomerData(&customer.Customer{Name: "A"})},
			errField: "company.Name", errWhy: "is missing",
		},
		{
			name:     "missing via $ inside range",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: "{{range .Data.items}}{{.}} {{$.Customer.Name}}{{end}}"},
			data:     communication.TemplateData{Data: map[string]any{"items": []any{1}}},
			errField: "customer.Name", errWhy: "is missing",
		},
		{
			name:     "missing inside a range element",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: "{{range .Data.items}}{{.sku}} {{end}}"},
			data:     communication.TemplateData{Data: map[string]any{"items": []any{map[string]any{"sku": "A"}, map[string]any{"sku": ""}}}},
			errField: "data.items[].sku", errWhy: "is missing",
		},
		{
			name:     "missing inside a template",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: `{{define "sig"}}{{.Phone}}{{end}}{{template "sig" .Company}}`},
			data:     communication.TemplateData{Company: map[string]any{"Name": "ACME"}},
			errField: "company.Phone", errWhy: "is missing",
		},
		{
			name: "missing inside a template used with two dots",
			tpl:  communication.Template{Key: "x", Channel: communication.SMS, Body: `{{define "tel"}}{{.Phone}}{{end}}{{template "tel" .Customer}} / {{template "tel" .Company}}`},
			data: communication.TemplateData{
				Customer: communication.CustomerData(testPerson("José Müller", "José")),
				Company:  map[string]any{"Name": "ACME"},
			},
			errField: "body", errWhy: `has no value for the key "Phone"`,
		},
		{
			name:     "missing in html",
			tpl:      communication.Template{Key: "x", Channel: communication.Email, Subject: "s", Body: "b", HTML: "<p>{{.Data.x}}</p>"},
			errField: "data.x", errWhy: "is missing",
		},
		{
			name:     "missing in subject",
			tpl:      communication.Template{Key: "x", Channel: communication.Email, Subject: "Re: {{.Data.topic}}", Body: "b"},
			errField: "data.topic", errWhy: "is missing",
		},
		{
			name:     "empty through index",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: `Code {{index .Data "code"}}`},
			errField: "data.code", errWhy: "is empty",
		},
		{
			name:     "empty range element",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: `{{range .Data.codes}}{{.}}{{end}}`},
			data:     communication.TemplateData{Data: map[string]any{"codes": []any{"a", ""}}},
			errField: "data.codes[]", errWhy: "is empty",
		},
		{
			name:     "body renders blank",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: `{{if has .Data "x"}}{{.Data.x}}{{end}}`},
			errField: "body", errWhy: "blank",
		},
		{
			name:     "wrong type",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: `{{.Data.code.digits}}`},
			data:     communication.TemplateData{Data: map[string]any{"code": "123"}},
			errField: "data.code.digits", errWhy: "cannot be rendered: can't evaluate field digits",
		},
		{
			name:     "too long",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: `{{range .Data.items}}{{$.Data.big}}{{end}}`},
			data:     communication.TemplateData{Data: map[string]any{"items": make([]any, 2000), "big": strings.Repeat("x", 1000)}},
			errField: "body", errWhy: "more than 1048576 bytes",
		},
		{
			name:     "invalid template",
			tpl:      communication.Template{Key: "x", Channel: communication.SMS, Body: `{{.Customer.Nmae}}`},
			errField: "body", errWhy: "not a customer field",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.tpl
			got, err := tc.tpl.Render(tc.data)
			require.Equal(t, before, tc.tpl, "Render changed the template")
			if tc.errField != "" {
				requireValidationError(t, err, tc.errField, tc.errWhy)
				require.Zero(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestCustomerData(t *testing.T) {
	c := &customer.Customer{
		Kind: customer.Person, Name: "Ελένη Παπαδοπούλου", GivenName: "Ελένη", FamilyName: " ",
		Locale: "el-GR", TimeZone: "Europe/Athens", Stage: customer.StageLead,
		Tags:       []string{"newsletter"},
		Attributes: map[string]any{"tier": "gold", "score": 4.5, "opt_in": false, "empty": ""},
		Identities: []customer.Identity{{Kind: customer.Email, Value: "eleni@example.gr"}, {Kind: customer.Phone, Value: "+302101234567"}},
	}
	got := communication.CustomerData(c)
	require.Equal(t, map[string]any{
		"Name": "Ελένη Παπαδοπούλου", "GivenName": "Ελένη",
		"Email": "eleni@example.gr", "Phone": "+302101234567",
		"Locale": "el-GR", "TimeZone": "Europe/Athens", "Stage": "lead",
		"Tags":       []string{"newsletter"},
		"Attributes": map[string]any{"tier": "gold", "score": 4.5, "opt_in": false},
	}, got)
	// The map shares nothing with the customer.
	got["Tags"].([]string)[0] = "changed"
	got["Attributes"].(map[string]any)["tier"] = "changed"
	require.Equal(t, "newsletter", c.Tags[0])
	require.Equal(t, "gold", c.Attributes["tier"])

	require.Equal(t, map[string]any{"Name": "张三"}, communication.CustomerData(&customer.Customer{Name: "张三"}))
	require.Nil(t, communication.CustomerData(nil))

	co := &customer.Customer{Kind: customer.Company, Name: "ACME GmbH", GivenName: "ignored", Stage: customer.StageCustomer,
		Identities: []customer.Identity{{Kind: customer.Email, Value: "info@acme.de"}}}
	require.Equal(t, map[string]any{"Name": "ACME GmbH", "Email": "info@acme.de"}, communication.CompanyData(co))
	require.Nil(t, communication.CompanyData(nil))
}

func TestPickTemplate(t *testing.T) {
	tpl := func(locale string) communication.Template {
		return communication.Template{Key: "k", Channel: communication.Email, Locale: locale, Body: "body " + locale}
	}
	tests := []struct {
		name       string
		candidates []string
		want       string
		pick       string // Locale of the pick; "-" for none
	}{
		{"exact", []string{"", "en", "zh-TW", "zh"}, "zh-TW", "zh-TW"},
		{"exact is canonicalised", []string{"", "zh-TW"}, "zh_tw", "zh-TW"},
		{"zh-TW reaches zh-Hant", []string{"", "zh", "zh-Hant"}, "zh-TW", "zh-Hant"},
		{"zh-HK reaches zh-Hant", []string{"", "zh-Hans", "zh-Hant"}, "zh-HK", "zh-Hant"},
		{"zh-TW then zh", []string{"", "en", "zh"}, "zh-TW", "zh"},
		{"zh-Hant-TW matches zh-TW", []string{"zh-Hant", "zh-TW"}, "zh-Hant-TW", "zh-TW"},
		{"zh-CN matches zh-Hans", []string{"zh-Hant", "zh-Hans"}, "zh-CN", "zh-Hans"},
		{"zh-CN prefers zh over zh-Hant", []string{"zh-Hant", "zh"}, "zh-CN", "zh"},
		{"region to language", []string{"", "de", "de-AT"}, "de-CH", "de"},
		{"en-AU via en-001", []string{"en", "en-001", "en-US"}, "en-AU", "en-001"},
		{"es-MX via es-419", []string{"es", "es-419"}, "es-MX", "es-419"},
		{"extensions ignored", []string{"", "de-DE"}, "de-DE-u-co-phonebk", "de-DE"},
		{"deprecated code", []string{"", "he"}, "iw", "he"},
		{"default when nothing fits", []string{"en", "", "de"}, "fr-FR", ""},
		{"default for no locale", []string{"en", ""}, "", ""},
		{"default for a bad tag", []string{"en", ""}, "!!", ""},
		{"none", []string{"en", "de"}, "fr", "-"},
		{"bad candidate skipped", []string{"not a tag", "fr"}, "fr-CA", "fr"},
		{"first of equals wins", []string{"fr", "FR"}, "fr", "fr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cands []communication.Template
			for _, l := range tc.candidates {
				cands = append(cands, tpl(l))
			}
			got, ok := communication.PickTemplate(cands, tc.want)
			if tc.pick == "-" {
				require.False(t, ok)
				require.Zero(t, got)
				return
			}
			require.True(t, ok)
			require.Equal(t, tpl(tc.pick), got)
		})
	}
	_, ok := communication.PickTemplate(nil, "en")
	require.False(t, ok)
}
