package crmtype

import (
	"context"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// WorkspaceID names one tenant. Every record belongs to exactly one
// workspace, and no call can read or change another workspace's records.
// A valid ID is 1–64 bytes of printable UTF-8 (no control characters).
type WorkspaceID string

// Validate returns an error wrapping ErrNoWorkspace when w is not a valid ID.
func (w WorkspaceID) Validate() error {
	if w == "" {
		return fmt.Errorf("%w: workspace id is empty", ErrNoWorkspace)
	}
	if len(w) > 64 || !utf8.ValidString(string(w)) {
		return fmt.Errorf("%w: workspace id is longer than 64 bytes or not UTF-8", ErrNoWorkspace)
	}
	for _, r := range w {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: workspace id contains a control character", ErrNoWorkspace)
		}
	}
	return nil
}

// Scope is what every store operation is bound to: one workspace, and the
// actor on whose behalf the change is made.
type Scope struct {
	Workspace WorkspaceID
	Actor     string // who acts, from WithActor; "" when unknown
}

// NewScope returns the scope of workspace w for the actor recorded in ctx.
// It returns an error wrapping ErrNoWorkspace when w is not valid.
func NewScope(ctx context.Context, w WorkspaceID) (Scope, error) {
	if err := w.Validate(); err != nil {
		return Scope{}, err
	}
	return Scope{Workspace: w, Actor: ActorFrom(ctx)}, nil
}

type actorKey struct{}

// WithActor returns a context that records actor (for example "user:42" or
// "system:import") as the one responsible for the changes made with it.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor recorded by WithActor, or "".
func ActorFrom(ctx context.Context) string {
	s, _ := ctx.Value(actorKey{}).(string)
	return s
}
