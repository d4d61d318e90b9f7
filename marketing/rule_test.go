package marketing_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/marketing"
)

var ruleDefs = []customer.AttributeDef{
	{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold", "silver"}},
	{Key: "score", Type: customer.TypeNumber},
	{Key: "vip", Type: customer.TypeBool},
	{Key: "birthday", Type: customer.TypeDate},
	{Key: "note", Type: customer.TypeString},
}

func nest(depth int) string {
	return strings.Repeat(`{"not":`, depth-1) + `{"tag":"x"}` + strings.Repeat("}", depth-1)
}

// TestSegmentRuleValidation: bad rules are ErrInvalid naming the path.
func TestSegmentRuleValidation(t *testing.T) {
	wide := `{"or":[` + strings.TrimSuffix(strings.Repeat(`{"tag":"x"},`, marketing.MaxRuleNodes), ",") + `]}`
	for _, tc := range []struct{ rule, field string }{
		{`{"colour":"red"}`, "rule.colour"},
		{`{"and":[{"tag":"a"},{"field":{"name":"stage","op":"eq","value":"lead","extra":1}}]}`, "rule.and[1].field.extra"},
		{`{"and":[{"tag":"a"},{"tag":"b"},{"field":{"name":"shoe_size","op":"eq","value":"9"}}]}`, "rule.and[2].field.name"},
		{`{"field":{"name":"stage","op":"eq","value":"king"}}`, "rule.field.value"},
		{`{"field":{"name":"stage","op":"like","value":"lead"}}`, "rule.field.op"},
		{`{"field":{"name":"stage","op":"in","value":["lead",3]}}`, "rule.field.value[1]"},
		{`{"attribute":{"key":"score","op":"gt","value":"10"}}`, "rule.attribute.value"},
		{`{"attribute":{"key":"vip","op":"eq","value":"true"}}`, "rule.attribute.value"},
		{`{"attribute":{"key":"tier","op":"eq","value":"platinum"}}`, "rule.attribute.value"},
		{`{"attribute":{"key":"birthday","op":"lt","value":"1990-13-01"}}`, "rule.attribute.value"},
		{`{"attribute":{"key":"nope","op":"exists"}}`, "rule.attribute.key"},
		{`{"attribute":{"key":"vip","op":"gt","value":true}}`, "rule.attribute.op"},
		{`{"or":[{"tag":"a"},{"not":{"purchases":{"metric":"count","op":"gte","value":1.5}}}]}`, "rule.or[1].not.purchases.value"},
		{`{"purchases":{"metric":"sum","op":"gte","value":1}}`, "rule.purchases.currency"},
		{`{"purchases":{"metric":"sum","currency":"XXZ","op":"gte","value":1}}`, "rule.purchases.currency"},
		{`{"purchases":{"metric":"count","within":"90 days","op":"gte","value":1}}`, "rule.purchases.within"},
		{`{"purchases":{"metric":"last","op":"within","value":"forever"}}`, "rule.purchases.value"},
		{`{"purchases":{"metric":"avg","op":"gte","value":1}}`, "rule.purchases.metric"},
		{`{"interactions":{"direction":"sideways","op":"gte","value":1}}`, "rule.interactions.direction"},
		{`{"tickets":{"open":"yes","op":"gte","value":1}}`, "rule.tickets.open"},
		{`{"consent":{"purpose":"marketing","state":"maybe"}}`, "rule.consent.state"},
		{`{"rfm":{"currency":"USD","segments":["Champions","Whales"]}}`, "rule.rfm.segments[1]"},
		{`{"identity":"fax"}`, "rule.identity"},
		{`{"tag":"a","not":{"tag":"b"}}`, "rule"},
		{`{}`, "rule"},
		{`{"and":[]}`, "rule.and"},
		{`{"and":{"tag":"x"}}`, "rule.and"},
		{nest(marketing.MaxRuleDepth + 1), "rule" + strings.Repeat(".not", marketing.MaxRuleDepth)},
		{wide, "rule"},
		{`{"tag":"a\u0000b"}`, "rule.tag"},
		{`{"tag":"` + strings.Repeat("x", 65) + `"}`, "rule.tag"},
		{`{"field":{"name":"source","op":"eq","value":"x' OR '1'='1\u0000"}}`, "rule.field.value"},
		{`{"attribute":{"key":"note","op":"eq","value":"` + strings.Repeat("a", marketing.MaxRuleString+1) + `"}}`, "rule.attribute.value"},
		{`{"attribute":{"key":"note'); DROP TABLE crm_customers; --","op":"exists"}}`, "rule.attribute.key"},
		{`{"tag":"x"} {"tag":"y"}`, "rule"},
		{`not json`, "rule"},
	} {
		r, err := marketing.ParseRule([]byte(tc.rule))
		if err == nil {
			_, err = marketing.ValidateRule(r, ruleDefs)
		}
		require.Error(t, err, tc.rule)
		require.True(t, errors.Is(err, crmtype.ErrInvalid), "%s: %v", tc.rule, err)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve))
		require.Equal(t, tc.field, ve.Field, "%s: %v", tc.rule, err)
	}
	// At the limits: accepted.
	r, err := marketing.ParseRule([]byte(nest(marketing.MaxRuleDepth)))
	require.NoError(t, err)
	_, err = marketing.ValidateRule(r, ruleDefs)
	require.NoError(t, err)
	// A Go-built rule too deep, with a cycle through Not, fails without
	// looping or panicking.
	loop := &marketing.Rule{}
	loop.Not = loop
	_, err = marketing.ValidateRule(*loop, ruleDefs)
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	_, err = marketing.ValidateRule(marketing.Rule{}, ruleDefs)
	require.ErrorIs(t, err, crmtype.ErrInvalid)
}

// TestSegmentRuleJSON: a rule round-trips through its JSON form.
func TestSegmentRuleJSON(t *testing.T) {
	in := `{"and":[{"purchases":{"metric":"count","within":"90d","op":"gte","value":2}},{"identity":"email"},` +
		`{"not":{"consent":{"purpose":"marketing","channel":"email","state":"revoked"}}},` +
		`{"or":[{"attribute":{"key":"tier","op":"in","value":["gold","silver"]}},{"field":{"name":"country","op":"eq","value":"de"}},` +
		`{"rfm":{"currency":"USD","segments":["At risk"]}},{"tickets":{"open":true,"op":"eq","value":0}},` +
		`{"interactions":{"channel":"email","direction":"inbound","op":"gt","value":0}},{"tag":"vip"}]}]}`
	r, err := marketing.ParseRule([]byte(in))
	require.NoError(t, err)
	v, err := marketing.ValidateRule(r, ruleDefs)
	require.NoError(t, err)
	require.Equal(t, "DE", v.And[3].Or[1].Field.Value)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	back, err := marketing.ParseRule(b)
	require.NoError(t, err)
	v2, err := marketing.ValidateRule(back, ruleDefs)
	require.NoError(t, err)
	require.Equal(t, v, v2)
	b2, err := json.Marshal(v2)
	require.NoError(t, err)
	require.JSONEq(t, string(b), string(b2))
}
