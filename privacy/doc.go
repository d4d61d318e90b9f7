// Package privacy answers data-subject requests: export everything held
// about one customer, or erase their personal data everywhere.
//
// Both walk the store's customer-reference registry, in which every table
// that refers to a customer declares how to export and how to erase its
// rows; a module joins them by registering its tables.
package privacy
