package crmgen

import (
	"encoding/csv"
	"io"
)

var columns = []string{"name", "given_name", "family_name", "email", "phone", "country", "address_line1",
	"city", "region", "postal_code", "birth_date", "locale", "kind"}

// Columns lists the CSV header WriteCSV writes. It has no entity column:
// the truth stays in the rows (see Truth).
func Columns() []string { return append([]string(nil), columns...) }

// WriteCSV writes the header Columns and one record per row, without the
// truth fields (Entity, Culture, BadPhone, BadEmail).
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(columns); err != nil {
		return err
	}
	rec := make([]string, len(columns))
	for i := range rows {
		x := &rows[i]
		rec[0], rec[1], rec[2], rec[3], rec[4] = x.Name, x.GivenName, x.FamilyName, x.Email, x.Phone
		rec[5], rec[6], rec[7], rec[8], rec[9] = x.Country, x.AddressLine, x.City, x.Region, x.PostalCode
		rec[10], rec[11], rec[12] = x.BirthDate, x.Locale, x.Kind
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Truth returns the entity of each row, in the rows' order: the labels that
// the CSV leaves out.
func Truth(rows []Row) []int {
	t := make([]int, len(rows))
	for i := range rows {
		t[i] = rows[i].Entity
	}
	return t
}

// TruePairs counts the true duplicate pairs: the sum over entities of
// k(k-1)/2 for an entity with k rows.
func TruePairs(rows []Row) int {
	n := map[int]int{}
	for i := range rows {
		n[rows[i].Entity]++
	}
	pairs := 0
	for _, k := range n {
		pairs += k * (k - 1) / 2
	}
	return pairs
}
