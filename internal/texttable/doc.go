// Package texttable prints aligned text tables for the example programs.
// Columns are aligned by display width: East Asian wide and full-width
// characters take two terminal columns and combining marks none, which
// text/tabwriter (counting runes) gets wrong for names such as 张三.
package texttable
