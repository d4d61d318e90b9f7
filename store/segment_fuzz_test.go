package store_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
	"github.com/kehu/crm/store"
)

// literalPattern finds the quoted literals of a compiled statement, and
// safeLiterals are the ones the compiler may write: every other value is
// an argument.
var (
	literalPattern = regexp.MustCompile(`'[^']*'`)
	safeLiterals   = map[string]bool{"''": true, "'revoked'": true, "'granted'": true, "'solved'": true, "'closed'": true,
		"'integer'": true, "'real'": true, "'text'": true, "'string'": true, "'number'": true, "'boolean'": true, "'%s'": true}
	identLike = regexp.MustCompile(`^[a-z_]+$`)
)

// FuzzSegmentRule feeds arbitrary bytes to the rule parser, the
// validation and the compiler: nothing panics, bad input is ErrInvalid,
// and a rule that passes compiles, on both dialects, to one SELECT whose
// text holds only the compiler's own words (every value of the rule is an
// argument), which SQLite then runs.
//
//	go test ./store -run '^$' -fuzz FuzzSegmentRule -fuzztime 30s
func FuzzSegmentRule(f *testing.F) {
	for _, seed := range []string{
		`{"tag":"vip"}`,
		`{"and":[{"field":{"name":"stage","op":"in","value":["lead","customer"]}},{"not":{"identity":"email"}}]}`,
		`{"or":[{"attribute":{"key":"tier","op":"eq","value":"gold"}},{"attribute":{"key":"score","op":"gte","value":2.5}}]}`,
		`{"attribute":{"key":"note","op":"in","value":["x'); DROP TABLE crm_customers; --","it''s"]}}`,
		`{"field":{"name":"source","op":"prefix","value":"web%_*?[\\"}}`,
		`{"consent":{"purpose":"marketing","channel":"email","state":"revoked"}}`,
		`{"purchases":{"metric":"sum","currency":"USD","within":"90d","op":"gt","value":10000}}`,
		`{"purchases":{"metric":"last","op":"before","value":"2025-03-01T12:00:00+08:00"}}`,
		`{"interactions":{"channel":"email","direction":"inbound","within":"4w","op":"gte","value":1}}`,
		`{"tickets":{"open":true,"category":"complaint","op":"eq","value":0}}`,
		`{"rfm":{"currency":"EUR","segments":["At risk","Cannot lose them"]}}`,
		`{"tag":"a\u0000b"}`,
		`{"tag":"vip","or":[]}`,
		`{"field":{"name":"name; DROP TABLE x","op":"eq","value":"a"}}`,
		`{"not":{"not":{"not":{"not":{"not":{"not":{"not":{"not":{"tag":"x"}}}}}}}}}`,
		`[1,2,3]`, `null`, `{"and":{"tag":"x"}}`, `{"attribute":{"key":"vip","op":"eq","value":"true"}}`,
	} {
		f.Add([]byte(seed))
	}
	db := dbtest.Open(f, dbtest.SQLite)
	sqlite := store.New(db)
	pg := store.New(bun.NewDB(db.DB, pgdialect.New()))
	sc := crmtype.Scope{Workspace: "fuzz"}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := marketing.ParseRule(data)
		if err != nil {
			if !errors.Is(err, crmtype.ErrInvalid) {
				t.Fatalf("parse error is not ErrInvalid: %v", err)
			}
			return
		}
		v, err := marketing.ValidateRule(r, segDefs)
		if err != nil {
			if !errors.Is(err, crmtype.ErrInvalid) {
				t.Fatalf("validation error is not ErrInvalid: %v", err)
			}
			return
		}
		for _, st := range []*store.Store{sqlite, pg} {
			q, args, err := st.CompileSegment(sc, v, at)
			if err != nil {
				t.Fatalf("a valid rule does not compile: %v\n%s", err, data)
			}
			if !strings.HasPrefix(q, "SELECT c.id FROM crm_customers AS c WHERE c.workspace_id = ? ") || strings.Contains(q, ";") {
				t.Fatalf("not one SELECT: %s", q)
			}
			if n := strings.Count(q, "?"); n != len(args) {
				t.Fatalf("%d placeholders, %d arguments: %s", n, len(args), q)
			}
			for _, lit := range literalPattern.FindAllString(q, -1) {
				if !safeLiterals[lit] {
					t.Fatalf("literal %s in the statement: %s", lit, q)
				}
			}
			for _, s := range inputStrings(data) {
				if len(s) >= 4 && !identLike.MatchString(s) && strings.Contains(q, s) {
					t.Fatalf("input %q reaches the statement text: %s", s, q)
				}
			}
		}
		// Run it on SQLite, past the tenancy guard (whose text matching
		// would count a table name inside a quoted value as a table).
		q, args, _ := sqlite.CompileSegment(sc, v, at)
		b, err := db.NewRaw("SELECT COUNT(*) FROM ("+q+") AS m", args...).AppendQuery(db.QueryGen(), nil)
		if err != nil {
			t.Fatalf("format: %v", err)
		}
		var n int
		if err := db.DB.QueryRowContext(ctx, string(b)).Scan(&n); err != nil {
			t.Fatalf("the statement fails on SQLite: %v\n%s", err, b)
		}
	})
}

// inputStrings returns the strings of a JSON text (roughly: what lies
// between quotes).
func inputStrings(data []byte) []string {
	parts := strings.Split(string(data), `"`)
	var out []string
	for i := 1; i < len(parts); i += 2 {
		out = append(out, parts[i])
	}
	return out
}
