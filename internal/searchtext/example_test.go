package searchtext_test

import (
	"fmt"

	"github.com/kehu/crm/internal/searchtext"
)

func ExampleFold() {
	fmt.Println(searchtext.Fold("José MÜLLER"))
	fmt.Println(searchtext.Fold("ＡＢＣ Straße"))
	// Output:
	// jose muller
	// abc strasse
}

func ExampleDocTokens() {
	tokens := searchtext.DocTokens("张三 <zhang.san@example.cn>", searchtext.DigitsOnly("+86 138 0013 8000"))
	fmt.Printf("%q\n", tokens)
	// Output:
	// ["张" "三" "张三" "zhang" "san" "example" "cn" "8613800138000"]
}

func ExampleDigitsOnly() {
	fmt.Println(searchtext.DigitsOnly("+86 (138) 0013-8000"))
	// Output:
	// 8613800138000
}

func ExampleParseQuery() {
	for _, in := range []string{"张三丰", "José Mü", "abc张三", "+86 138", "  !? "} {
		q := searchtext.ParseQuery(in)
		fmt.Printf("%q: %+v\n", in, q.Terms)
	}
	// Output:
	// "张三丰": [{Text:张三 Prefix:false} {Text:三丰 Prefix:false}]
	// "José Mü": [{Text:jose Prefix:true} {Text:mu Prefix:true}]
	// "abc张三": [{Text:abc Prefix:true} {Text:张三 Prefix:false}]
	// "+86 138": [{Text:86138 Prefix:true}]
	// "  !? ": []
}

func ExampleQuery_FTS5() {
	q := searchtext.ParseQuery("O'Brien 张三")
	fmt.Println(q.FTS5())
	// Output:
	// "o"* AND "brien"* AND "张三"
}

func ExampleQuery_TSQuery() {
	q := searchtext.ParseQuery("O'Brien 张三")
	fmt.Println(q.TSQuery())
	fmt.Println(searchtext.Query{Terms: []searchtext.Term{{Text: `it's a\b`, Prefix: true}}}.TSQuery())
	// Output:
	// 'o':* & 'brien':* & '张三'
	// 'it''s a\\b':*
}

func ExampleTSVector() {
	fmt.Println(searchtext.TSVector(searchtext.DocTokens("张三", "O'Brien")))
	fmt.Println(searchtext.TSVector([]string{"o'brien", `a\b`}))
	// Output:
	// '张' '三' '张三' 'o' 'brien'
	// 'o''brien' 'a\\b'
}
