package communication

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kehu/crm/crmtype"
)

// ErrNoSecret is returned by UnsubscribeToken and Unsubscribe when the
// client was configured without Config.Secret.
var ErrNoSecret = errors.New("no secret configured for unsubscribe tokens")

// UnsubscribeScope is what an unsubscribe token revokes: one list (a
// campaign or mailing list), one purpose, one channel, or, all empty,
// everything.
type UnsubscribeScope struct {
	Channel Channel `json:"ch,omitempty"`
	Purpose Purpose `json:"p,omitempty"`
	List    string  `json:"l,omitempty"`
}

// UnsubscribeRequest is what a valid token says.
type UnsubscribeRequest struct {
	Workspace  crmtype.WorkspaceID
	CustomerID crmtype.ID
	Scope      UnsubscribeScope
	IssuedAt   time.Time
	ExpiresAt  time.Time
	sig        string // the token's signature, canonically encoded: what identifies it
}

// unsubPayload is a token's signed content.
type unsubPayload struct {
	W string     `json:"w"`
	C crmtype.ID `json:"c"`
	UnsubscribeScope
	I int64 `json:"i"` // issued, Unix seconds
	E int64 `json:"e"` // expires, Unix seconds
}

// workspaceKey derives the workspace's signing key from the client's
// secret: a token of one workspace does not verify in another.
func (s *Service) workspaceKey() ([]byte, error) {
	if len(s.secret) == 0 {
		return nil, ErrNoSecret
	}
	if len(s.secret) < 32 {
		return nil, fmt.Errorf("%w: Config.Secret has %d bytes, at least 32 are needed", ErrNoSecret, len(s.secret))
	}
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("kehu/crm unsubscribe\x00" + string(s.workspace)))
	return m.Sum(nil), nil
}

// UnsubscribeToken returns a token for customer id that revokes scope
// when presented to Unsubscribe: signed with the workspace's key (derived
// from Config.Secret), so it cannot be forged, altered or used in another
// workspace, and checked without a database lookup. It is valid for
// Config.UnsubscribeTTL (default 400 days). Errors: ErrNoSecret; ErrInvalid
// for a zero customer or a malformed scope.
func (s *Service) UnsubscribeToken(customerID crmtype.ID, scope UnsubscribeScope) (string, error) {
	const op = "unsubscribe token"
	key, err := s.workspaceKey()
	if err != nil {
		return "", wrap(op, err)
	}
	if customerID.IsZero() {
		return "", wrap(op, crmtype.Invalid("customer_id", "is required"))
	}
	if scope.Channel != "" {
		if err := validateChannel("channel", scope.Channel); err != nil {
			return "", wrap(op, err)
		}
	}
	if err := validatePurpose("purpose", scope.Purpose, true); err != nil {
		return "", wrap(op, err)
	}
	if err := checkText("list", scope.List, 200); err != nil {
		return "", wrap(op, err)
	}
	now := s.clock.Now()
	b, err := json.Marshal(unsubPayload{W: string(s.workspace), C: customerID, UnsubscribeScope: scope,
		I: now.Unix(), E: now.Add(s.unsubTTL).Unix()})
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write(b)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(b) + "." + enc.EncodeToString(m.Sum(nil)), nil
}

// ParseUnsubscribe checks token and returns what it says, without touching
// the database. Errors: ErrNoSecret; ErrInvalid (Field "token") for a
// token that is malformed, forged or altered, of another workspace, or
// expired.
func (s *Service) ParseUnsubscribe(token string) (UnsubscribeRequest, error) {
	const op = "parse unsubscribe"
	key, err := s.workspaceKey()
	if err != nil {
		return UnsubscribeRequest{}, wrap(op, err)
	}
	bad := func(reason string) (UnsubscribeRequest, error) {
		return UnsubscribeRequest{}, wrap(op, crmtype.Invalid("token", reason))
	}
	body, sig, ok := strings.Cut(token, ".")
	enc := base64.RawURLEncoding.Strict()
	b, err1 := enc.DecodeString(body)
	mac, err2 := enc.DecodeString(sig)
	// One spelling per token: the decoder skips newlines, so a token must
	// also be its own canonical encoding.
	if !ok || err1 != nil || err2 != nil || enc.EncodeToString(b) != body || enc.EncodeToString(mac) != sig {
		return bad("is malformed")
	}
	m := hmac.New(sha256.New, key)
	m.Write(b)
	if !hmac.Equal(mac, m.Sum(nil)) {
		return bad("is not signed by this workspace (forged, altered, or of another workspace)")
	}
	var p unsubPayload
	if err := json.Unmarshal(b, &p); err != nil || p.W != string(s.workspace) || p.C.IsZero() {
		return bad("is malformed")
	}
	exp := time.Unix(p.E, 0).UTC()
	if !s.clock.Now().Before(exp) {
		return bad("has expired")
	}
	return UnsubscribeRequest{Workspace: s.workspace, CustomerID: p.C, Scope: p.UnsubscribeScope,
		IssuedAt: time.Unix(p.I, 0).UTC(), ExpiresAt: exp, sig: sig}, nil
}

// Unsubscribe processes token: it records a revocation of the token's
// scope in the customer's consent ledger (source "unsubscribe_link", with
// the given evidence, e.g. the request's IP address) and returns it. The
// same token processed again, even concurrently, records nothing more and
// returns the first revocation. Errors: those of ParseUnsubscribe;
// ErrNotFound when the customer no longer exists.
func (s *Service) Unsubscribe(ctx context.Context, token, evidenceIP string) (*ConsentEntry, error) {
	const op = "unsubscribe"
	req, err := s.ParseUnsubscribe(token)
	if err != nil {
		return nil, err
	}
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	cs, err := s.contactSettings(ctx, sc)
	if err != nil {
		return nil, wrap(op, err)
	}
	e, err := s.newConsent(ConsentParams{CustomerID: req.CustomerID, Channel: req.Scope.Channel, Purpose: req.Scope.Purpose,
		List: req.Scope.List, State: ConsentRevoked, Source: "unsubscribe_link", EvidenceIP: evidenceIP}, cs)
	if err != nil {
		return nil, wrap(op, err)
	}
	// The key names the verified token (its signature), not its spelling.
	out, err := s.store.InsertConsent(ctx, sc, e, "unsubscribe:"+req.sig)
	return out, wrap(op, err)
}

// UnsubscribeHeaders returns the RFC 8058 one-click unsubscribe headers
// for an email whose unsubscribe link is url (an https URL that accepts a
// POST of "List-Unsubscribe=One-Click"): List-Unsubscribe and
// List-Unsubscribe-Post.
func UnsubscribeHeaders(url string) map[string]string {
	return map[string]string{"List-Unsubscribe": "<" + url + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
}
