package texttable

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Table is a header and rows of cells.
type Table struct {
	head  []string
	rows  [][]string
	right []bool
}

// New returns a table with the given column headings.
func New(head ...string) *Table {
	return &Table{head: head, right: make([]bool, len(head))}
}

// Right right-aligns the given columns (numbers) and returns t.
func (t *Table) Right(cols ...int) *Table {
	for _, c := range cols {
		t.right[c] = true
	}
	return t
}

// Row appends a row.
func (t *Table) Row(cells ...string) { t.rows = append(t.rows, cells) }

// Print writes the table to standard output under title.
func (t *Table) Print(title string) { t.Write(os.Stdout, title) }

// Write writes the table to w under title, indented by two spaces, with a
// rule under the headings and a blank line after it.
func (t *Table) Write(w io.Writer, title string) {
	widths := make([]int, len(t.head))
	for _, r := range append([][]string{t.head}, t.rows...) {
		for i, c := range r {
			widths[i] = max(widths[i], Width(c))
		}
	}
	rule := make([]string, len(t.head))
	for i := range rule {
		rule[i] = strings.Repeat("-", widths[i])
	}
	fmt.Fprintf(w, "%s\n", title)
	for _, r := range append([][]string{t.head, rule}, t.rows...) {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-Width(c))
			if t.right[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
			if i < len(r)-1 {
				b.WriteString("  ")
			}
		}
		fmt.Fprintln(w, "  "+strings.TrimRight(b.String(), " "))
	}
	fmt.Fprintln(w)
}

// Width returns how many terminal columns s takes.
func Width(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == '\u200b':
		case width.LookupRune(r).Kind() == width.EastAsianWide, width.LookupRune(r).Kind() == width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}
