// Package customer manages customer data: people and companies, their
// identities (emails, phones, external ids), tags, custom attributes and
// purchases; and keeps it clean: bulk import and export (importer.go,
// exporter.go), duplicate detection over package dedup (duplicates.go),
// merge and unmerge (merge.go), and hygiene: re-normalising identities,
// flagging invalid ones, and acting on stale customers (hygiene.go).
//
// A Service is bound to one workspace; get one from crm.Client.Workspace.
// Every method takes a context first, validates its input before writing
// anything (a bad field is a *crmtype.ValidationError that matches
// crmtype.ErrInvalid), and reports a missing record as crmtype.ErrNotFound,
// a taken unique value or a stale version as crmtype.ErrConflict.
//
// Names may be in any script; search, prefix filters and sorting by name fold
// case and accents and order by the Unicode collation algorithm, so 张三,
// José and Ærø are as ordinary as John Smith. Phones are stored in E.164,
// parsed from any common format with the workspace's default region;
// emails are stored lower-cased with an IDNA (punycode) domain.
package customer
