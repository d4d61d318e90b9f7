package communication_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

func ExampleTemplate_Render() {
	tpl := communication.Template{
		Key:     "order-shipped",
		Channel: communication.Email,
		Locale:  "de",
		Subject: "Ihre Bestellung {{.Data.order_no}} ist unterwegs",
		Body:    `{{if has .Customer "GivenName"}}Hallo {{.Customer.GivenName}}{{else}}Guten Tag{{end}}, Bestellung {{.Data.order_no}} wurde versandt.`,
		HTML:    `<p>Hallo <b>{{.Customer.Name}}</b>, <a href="{{.Data.url}}">Sendung verfolgen</a></p>`,
	}
	if err := tpl.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	c := &customer.Customer{Name: "José Müller <Chef>", GivenName: "José"}
	msg, err := tpl.Render(communication.TemplateData{
		Customer: communication.CustomerData(c),
		Data:     map[string]any{"order_no": "A-1042", "url": "https://shop.example/track?o=A-1042&lang=de"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(msg.Subject)
	fmt.Println(msg.Body)
	fmt.Println(msg.HTML)

	// A value the template prints but the data lacks is an error naming it.
	_, err = tpl.Render(communication.TemplateData{Customer: communication.CustomerData(c)})
	var ve *crmtype.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Field, ve.Reason, errors.Is(err, crmtype.ErrInvalid))
	}
	// Output:
	// Ihre Bestellung A-1042 ist unterwegs
	// Hallo José, Bestellung A-1042 wurde versandt.
	// <p>Hallo <b>José Müller &lt;Chef&gt;</b>, <a href="https://shop.example/track?o=A-1042&amp;lang=de">Sendung verfolgen</a></p>
	// data.order_no is missing true
}

func ExamplePickTemplate() {
	var candidates []communication.Template
	for _, locale := range []string{"", "en", "zh-Hans", "zh-Hant"} {
		candidates = append(candidates, communication.Template{Key: "welcome", Channel: communication.SMS, Locale: locale, Body: "…"})
	}
	for _, want := range []string{"zh-TW", "zh-CN", "en-AU", "fr-FR", ""} {
		t, _ := communication.PickTemplate(candidates, want)
		fmt.Printf("%q -> %q\n", want, t.Locale)
	}
	// Output:
	// "zh-TW" -> "zh-Hant"
	// "zh-CN" -> "zh-Hans"
	// "en-AU" -> "en"
	// "fr-FR" -> ""
	// "" -> ""
}

func ExampleRecurrence_Next() {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		fmt.Println(err)
		return
	}
	// Every day at 02:30 Berlin time, five times, across the change to
	// summer time on 29 March 2026, when 02:30 does not exist.
	r := communication.Recurrence{
		Rule:  "FREQ=DAILY;COUNT=5",
		Start: time.Date(2026, 3, 27, 2, 30, 0, 0, berlin),
		Zone:  "Europe/Berlin",
	}
	if err := r.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	for t, ok := r.Next(time.Time{}); ok; t, ok = r.Next(t) {
		fmt.Println(t.Format(time.RFC3339), "=", t.In(berlin).Format("Mon 15:04 MST"))
	}
	// Output:
	// 2026-03-27T01:30:00Z = Fri 02:30 CET
	// 2026-03-28T01:30:00Z = Sat 02:30 CET
	// 2026-03-29T01:30:00Z = Sun 03:30 CEST
	// 2026-03-30T00:30:00Z = Mon 02:30 CEST
	// 2026-03-31T00:30:00Z = Tue 02:30 CEST
}

func ExampleSanitizeHTML() {
	fmt.Println(communication.SanitizeHTML(`<p onclick="steal()">Hi <b>张三</b><script>alert(1)</script> <a href="javascript:alert(1)">click</a> <img src="cid:logo@acme.example" alt="ACME"></p>`))
	// Output:
	// <p>Hi <b>张三</b> click <img src="cid:logo@acme.example" alt="ACME"></p>
}
