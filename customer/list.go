package customer

import (
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/searchtext"
)

// Deleted chooses how a list treats soft-deleted customers.
type Deleted int

// Choices for Filter.Deleted.
const (
	ExcludeDeleted Deleted = iota // the default: live customers only
	IncludeDeleted                // live and deleted
	OnlyDeleted                   // deleted only
)

// Filter selects customers. Zero fields do not filter; set fields combine with AND.
type Filter struct {
	Kind      Kind
	Stage     Stage
	Tags      []string // customers having every one of these tags
	OwnerID   string
	CompanyID crmtype.ID // people of this company
	// Attributes filter on custom attribute values.
	Attributes []AttributeFilter
	// CreatedFrom and CreatedTo bound the creation time: From <= created < To.
	CreatedFrom time.Time
	CreatedTo   time.Time
	// NamePrefix matches names starting with it, ignoring case and accents
	// ("jo" finds "José"; "张" finds "张三").
	NamePrefix string
	// EmailPrefix matches customers with an email starting with it, ignoring case.
	EmailPrefix string
	Deleted     Deleted
}

// Op compares a custom attribute with a value.
type Op string

// Attribute comparison operators. Lt, Lte, Gt and Gte apply to number and
// date attributes; Exists and Missing take no value.
const (
	Eq      Op = "eq"
	Ne      Op = "ne"
	Lt      Op = "lt"
	Lte     Op = "lte"
	Gt      Op = "gt"
	Gte     Op = "gte"
	Exists  Op = "exists"
	Missing Op = "missing"
)

// AttributeFilter compares the custom attribute Key with Value.
type AttributeFilter struct {
	Key   string
	Op    Op // default Eq
	Value any
	// Type is filled in by the service from the attribute's definition.
	Type AttributeType
}

// SortBy chooses a list's order.
type SortBy int

// Orders for ListParams.Sort.
const (
	ByCreated SortBy = iota // creation order (the default)
	ByName                  // name by the Unicode collation algorithm (root locale), then creation
)

// ListParams selects and orders one page of customers.
type ListParams struct {
	Filter
	Sort  SortBy
	Desc  bool
	Limit int            // page size; default crmtype.DefaultPageSize, at most crmtype.MaxPageSize
	After crmtype.Cursor // the Next of the previous page; "" for the first page
}

// SearchHit is one search result.
type SearchHit struct {
	Customer *Customer
	// Score orders hits: higher is a better match. Scores compare only within
	// one result set.
	Score float64
}

// SearchParams configures Search.
type SearchParams struct {
	Filter     // narrows the hits; Deleted is honoured
	Limit  int // at most this many hits, best first; default 20, at most crmtype.MaxPageSize
}

// FoldName returns the form of a name used for prefix matching: case and
// accents folded. Stores use it.
func FoldName(s string) string { return searchtext.Fold(s) }
