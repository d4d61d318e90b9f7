package dedup_test

import (
	"context"
	"fmt"

	"github.com/kehu/crm/customer/dedup"
)

func ExampleFind() {
	recs := []dedup.Record{
		{ID: "1", GivenName: "José", FamilyName: "García", Date: "1980-05-12", Emails: []string{"jose@example.com"}, Address: dedup.Address{Postcode: "28001", City: "Madrid"}},
		{ID: "2", GivenName: "Jose", FamilyName: "Garcia", Date: "1980-12-05", Address: dedup.Address{Postcode: "28001", City: "madrid"}},
		{ID: "3", GivenName: "Maria", FamilyName: "Lopez", Date: "1975-01-30", Address: dedup.Address{Postcode: "08001", City: "Barcelona"}},
		{ID: "4", FullName: "张三", Phones: []string{"+8613800138000"}, Date: "1990-03-04"},
		{ID: "5", FullName: "张三", Phones: []string{"+8613800138000"}},
	}
	res, err := dedup.Find(context.Background(), recs, dedup.Config{})
	if err != nil {
		panic(err)
	}
	for _, c := range res.Clusters {
		fmt.Println(c.IDs)
	}
	// Output:
	// [1 2]
	// [4 5]
}

func ExampleModel_Compare() {
	m := dedup.DefaultModel()
	p := m.Compare(
		dedup.Record{GivenName: "Bob", FamilyName: "Smith", Date: "19700101", Address: dedup.Address{Postcode: "2600"}},
		dedup.Record{GivenName: "Robert", FamilyName: "Smith", Date: "19700101", Address: dedup.Address{Postcode: "2600"}},
	)
	fmt.Printf("%.2f\n", p.Probability)
	for _, f := range p.Fields {
		if f.Level >= 0 {
			fmt.Printf("%s: %s\n", f.Field, f.Agreement)
		}
	}
	// Output:
	// 1.00
	// given_name: close (Jaro-Winkler >= 0.92, nickname or same sound)
	// family_name: exact (in any script)
	// date: exact
	// contact: same postcode
}

func ExampleJaroWinkler() {
	fmt.Printf("%.3f %.3f %.3f\n",
		dedup.JaroWinkler("MARTHA", "MARHTA"),
		dedup.JaroWinkler("DWAYNE", "DUANE"),
		dedup.JaroWinkler(dedup.Normalize("José"), dedup.Normalize("JOSE")))
	// Output: 0.961 0.840 1.000
}
