package crmtype

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the SDK returns wraps at most one of them;
// test with errors.Is.
var (
	// ErrNotFound: the record does not exist in this workspace (a record of
	// another workspace is reported exactly like a missing one).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique value is already taken, or the record changed
	// since the version the caller read (optimistic locking).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input is not acceptable; the error is a *ValidationError
	// naming the field. Nothing was written.
	ErrInvalid = errors.New("invalid input")
	// ErrNoWorkspace: the call was not scoped to a valid workspace.
	ErrNoWorkspace = errors.New("no workspace")
)

// ValidationError reports one unacceptable input field. It matches ErrInvalid
// under errors.Is.
type ValidationError struct {
	Field  string // dotted path of the field, e.g. "identities[1].value" or "attributes.tier"
	Reason string // what is wrong, in words, e.g. "is not a valid phone number"
}

// Invalid returns a *ValidationError for field with the given reason.
func Invalid(field, reason string) *ValidationError {
	return &ValidationError{Field: field, Reason: reason}
}

// Invalidf is Invalid with a formatted reason.
func Invalidf(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return "invalid input: " + e.Reason
	}
	return "invalid " + e.Field + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Prefix returns a copy of e whose field is prefix + "." + field (or prefix +
// field when field starts with "["), for errors found inside a nested value.
func (e *ValidationError) Prefix(prefix string) *ValidationError {
	switch {
	case e.Field == "":
		return &ValidationError{Field: prefix, Reason: e.Reason}
	case e.Field[0] == '[':
		return &ValidationError{Field: prefix + e.Field, Reason: e.Reason}
	}
	return &ValidationError{Field: prefix + "." + e.Field, Reason: e.Reason}
}

// ConflictError reports a unique value that is already taken, or a stale
// version. It matches ErrConflict under errors.Is.
type ConflictError struct {
	Resource string // e.g. "customer", "identity", "purchase"
	Field    string // the field whose value is taken, e.g. "email" or "version"
	Value    string // the value that collided, when it is safe to show
	HeldBy   ID     // the record that holds the value, when known
	Reason   string // optional detail
}

func (e *ConflictError) Error() string {
	msg := "conflict: " + e.Resource
	if e.Field != "" {
		msg += " " + e.Field
	}
	if e.Value != "" {
		msg += " " + fmt.Sprintf("%q", e.Value)
	}
	if e.Reason != "" {
		msg += " " + e.Reason
	}
	if !e.HeldBy.IsZero() {
		msg += " (held by " + e.HeldBy.String() + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
