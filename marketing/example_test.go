package marketing_test

import (
	"errors"
	"fmt"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/marketing"
)

// A segment rule is JSON: here the customers with at least two purchases
// in the last 90 days who have an email address and have not revoked
// marketing email. ParseRule reads it strictly and ValidateRule checks
// its values (against the workspace's attribute definitions, none here);
// an error names the path of what is wrong.
func ExampleParseRule() {
	rule, err := marketing.ParseRule([]byte(`{"and": [
		{"purchases": {"metric": "count", "within": "90d", "op": "gte", "value": 2}},
		{"identity": "email"},
		{"not": {"consent": {"purpose": "marketing", "channel": "email", "state": "revoked"}}}]}`))
	fmt.Println(len(rule.And), err)

	rule, err = marketing.ParseRule([]byte(`{"and": [{"tag": "vip"}, {"purchases": {"metric": "count", "op": "gte", "value": "two"}}]}`))
	if err == nil {
		_, err = marketing.ValidateRule(rule, nil)
	}
	var ve *crmtype.ValidationError
	fmt.Println(errors.As(err, &ve), ve.Field)
	// Output:
	// 3 <nil>
	// true rule.and[1].purchases.value
}

// A campaign moves planned → active ⇄ paused → completed (or aborted);
// completed and aborted are final.
func ExampleCanTransition() {
	fmt.Println(marketing.CanTransition(marketing.StatusPlanned, marketing.StatusActive))
	fmt.Println(marketing.CanTransition(marketing.StatusCompleted, marketing.StatusActive))
	// Output:
	// true
	// false
}
