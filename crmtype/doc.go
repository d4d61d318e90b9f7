// Package crmtype is the kernel every kehu/crm package shares: identifiers,
// workspaces and scopes, pages and cursors, the clock, and the sentinel errors
// callers test with errors.Is.
//
// It imports the standard library only, so any package (including a host's own)
// can depend on it without pulling in a database driver.
package crmtype
