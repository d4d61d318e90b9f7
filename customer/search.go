package customer

import (
	"github.com/nyaruka/phonenumbers"

	"github.com/kehu/crm/internal/searchtext"
)

// SearchTokens returns the tokens a store indexes for c: its names, its
// company's name, its emails, and its phones as E.164 digits and as the
// digits of the national format (so "020 7946" and "+44 20 7946" both find
// +442079460958). Stores use it.
func SearchTokens(c *Customer, companyName string) []string {
	vals := []string{c.Name, c.GivenName, c.FamilyName, companyName}
	var phones []string
	for _, id := range c.Identities {
		switch id.Kind {
		case Email:
			vals = append(vals, id.Value)
		case Phone:
			phones = append(phones, searchtext.DigitsOnly(id.Value))
			if n, err := phonenumbers.Parse(id.Value, ""); err == nil {
				phones = append(phones,
					searchtext.DigitsOnly(phonenumbers.Format(n, phonenumbers.NATIONAL)),
					phonenumbers.GetNationalSignificantNumber(n))
			}
		}
	}
	toks := searchtext.DocTokens(vals...)
	seen := make(map[string]bool, len(toks)+len(phones))
	for _, t := range toks {
		seen[t] = true
	}
	for _, p := range phones {
		if p != "" && !seen[p] {
			seen[p] = true
			toks = append(toks, p)
		}
	}
	return toks
}
