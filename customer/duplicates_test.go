package customer

import (
	"testing"

	"github.com/kehu/crm/customer/dedup"
)

func TestDedupRecord(t *testing.T) {
	c := &Customer{
		Name: "José García", GivenName: "José", FamilyName: "García",
		Address:    Address{Line1: "1 Calle Mayor", Line2: "2B", City: "Madrid", PostalCode: "28001", Country: "ES"},
		Attributes: map[string]any{"dob": "1980-05-12", "ssn": float64(123456)},
		Identities: []Identity{{Kind: Email, Value: "jose@example.com"}, {Kind: Phone, Value: "+34600000000"}, {Kind: ExternalID, System: "shop", Value: "42"}},
	}
	r := DedupRecord(c, "dob", "ssn")
	if r.Date != "1980-05-12" || r.Attributes["ssn"] != "123456" || r.Address.Line != "1 Calle Mayor 2B" ||
		len(r.Emails) != 1 || len(r.Phones) != 1 || r.ExternalIDs[0] != "shop:42" {
		t.Fatalf("%+v", r)
	}
	p := dedup.DefaultModel("ssn").Compare(r, DedupRecord(c, "dob", "ssn"))
	if p.Probability < 0.99 {
		t.Fatalf("a customer should match itself: %v", p)
	}
}
