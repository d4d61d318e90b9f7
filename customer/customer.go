package customer

import (
	"time"

	"github.com/kehu/crm/crmtype"
)

// Kind says whether a customer is a person or a company.
type Kind string

// Kinds of customer.
const (
	Person  Kind = "person"
	Company Kind = "company"
)

// Stage is a customer's lifecycle stage.
type Stage string

// Lifecycle stages, in their usual order.
const (
	StageLead     Stage = "lead"     // known, not yet qualified
	StageProspect Stage = "prospect" // qualified, in conversation
	StageCustomer Stage = "customer" // has bought
	StageInactive Stage = "inactive" // bought before, not lately
	StageChurned  Stage = "churned"  // gone
)

// Stages lists the valid stages in lifecycle order.
var Stages = []Stage{StageLead, StageProspect, StageCustomer, StageInactive, StageChurned}

// Address is a postal address in any country.
type Address struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"` // state, province, prefecture
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"` // ISO 3166-1 alpha-2, upper case, e.g. "CN"
}

// IsZero reports whether no field of a is set.
func (a Address) IsZero() bool { return a == Address{} }

// Customer is a person or a company the workspace does business with.
type Customer struct {
	ID   crmtype.ID
	Kind Kind
	// Name is the display name, written as the customer writes it: "张三",
	// "José Müller", "ACME GmbH".
	Name       string
	GivenName  string // persons only; optional
	FamilyName string // persons only; optional
	// CompanyID is the company a person belongs to; zero when none.
	CompanyID crmtype.ID
	Address   Address
	Locale    string // BCP 47 tag, canonical form, e.g. "zh-Hans-CN"; "" when unknown
	TimeZone  string // IANA zone, e.g. "Asia/Shanghai"; "" when unknown
	Stage     Stage
	Source    string   // where the customer came from, e.g. "web-form", "import:shopify"
	OwnerID   string   // the host's id of the user who owns the relationship
	Tags      []string // sorted, distinct
	// Attributes holds the custom attribute values, keyed by attribute key.
	// Values are string (string and enum attributes), float64 (number),
	// bool, or a "2006-01-02" string (date).
	Attributes map[string]any
	Identities []Identity
	// Version increases by one on every update; pass it back in UpdateParams.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time // set while the customer is soft-deleted
	// ErasedAt is set when the customer's personal data was erased (a
	// data-subject request): the record stays, deleted and empty, so that
	// what must be kept (purchases for accounting) still has its customer.
	ErasedAt *time.Time
}

// Email returns the customer's first valid email identity, or "".
func (c *Customer) Email() string { return c.identity(Email) }

// Phone returns the customer's first valid phone identity in E.164, or "".
func (c *Customer) Phone() string { return c.identity(Phone) }

func (c *Customer) identity(k IdentityKind) string {
	for _, id := range c.Identities {
		if id.Kind == k && id.Invalid == "" {
			return id.Value
		}
	}
	return ""
}

// CreateParams describes a new customer. Zero fields take their defaults.
type CreateParams struct {
	Kind Kind // default Person
	// Name is the display name, 1–200 characters after trimming. It is
	// required, except for a person with a GivenName or a FamilyName: then
	// an empty Name is composed from them by ComposeName with Locale.
	Name       string
	GivenName  string
	FamilyName string
	CompanyID  crmtype.ID // must name a company of the same workspace
	Address    Address
	Locale     string // any BCP 47 tag; stored canonical
	TimeZone   string // IANA zone name
	Stage      Stage  // default StageLead
	Source     string
	OwnerID    string
	Tags       []string
	Attributes map[string]any // validated against the workspace's attribute definitions
	Identities []IdentityParams
}

// UpdateParams changes a customer. Nil fields are left as they are.
type UpdateParams struct {
	// Version is the version the caller read. Required: if the customer has
	// changed since, Update returns ErrConflict and changes nothing.
	Version    int64
	Name       *string
	GivenName  *string
	FamilyName *string
	CompanyID  *crmtype.ID // a zero ID removes the company
	Address    *Address
	Locale     *string
	TimeZone   *string
	Stage      *Stage
	Source     *string
	OwnerID    *string
	Tags       *[]string // replaces the whole set
	// Attributes are merged into the existing values; a nil value removes
	// the attribute (a required one cannot be removed).
	Attributes map[string]any
}

// Ptr returns a pointer to v, for UpdateParams fields.
func Ptr[T any](v T) *T { return &v }
