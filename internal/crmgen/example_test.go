package crmgen_test

import (
	"fmt"
	"os"

	"github.com/kehu/crm/internal/crmgen"
)

// Generate a list, write it as CSV without the truth, and look at the
// records of one Chinese person that the truth says are the same: Han and
// pinyin, a mistyped landline, a family e-mail address, a mobile.
func Example() {
	rows := crmgen.Generate(crmgen.Config{Entities: 1000, Seed: 1})
	fmt.Println(len(rows), "rows,", crmgen.TruePairs(rows), "true duplicate pairs")

	if err := crmgen.WriteCSV(os.Stdout, rows[:2]); err != nil {
		panic(err)
	}

	truth := crmgen.Truth(rows)
	records := map[int]int{}
	for _, e := range truth {
		records[e]++
	}
	person := -1
	for i, r := range rows {
		if r.Culture == "zh" && r.Kind == "person" && records[truth[i]] >= 3 {
			person = truth[i]
			break
		}
	}
	for i, r := range rows {
		if truth[i] == person {
			fmt.Printf("%q %q %q | %s | %s | %s\n", r.Name, r.GivenName, r.FamilyName, r.Email, r.Phone, r.City)
		}
	}
	// Output:
	// 1429 rows, 558 true duplicate pairs
	// name,given_name,family_name,email,phone,country,address_line1,city,region,postal_code,birth_date,locale,kind
	// Desert Rose LLC,,,service@desertrose.com,011 422 9241,SA,47 Salah Salem Street,Riyadh,,12866,,,company
	// ,乐婉,陆,ll84@outlook.com,,CN,黄浦区延安西路189号7号楼4单元2005室,上海市,上海市,200070,,zh-CN,person
	// "" "胜宇" "吴" | wujia432@qq.com | 021-5668-7861 | 上海市
	// "" "胜宇" "吴" | wujia432@qq.com | 021-5668-7361 | 上海市
	// "" "Shengyu" "Wu" |  | +86 151-7855-4092 | 上海市
}
