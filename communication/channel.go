package communication

import (
	"regexp"

	"github.com/kehu/crm/crmtype"
)

// Channel is the medium of an exchange. The constants are the built-in
// channels; a workspace may use its own (lower-case letters, digits, '_'
// and '-', at most 32 bytes, e.g. "wechat" or "line").
type Channel string

// Built-in channels.
const (
	Phone   Channel = "phone"   // a phone call
	Email   Channel = "email"   //
	SMS     Channel = "sms"     // SMS or MMS
	Chat    Channel = "chat"    // chat and instant messaging
	Meeting Channel = "meeting" // a meeting, in person or online
	Visit   Channel = "visit"   // a visit at the customer's site or the shop
	Social  Channel = "social"  // a social network
	Other   Channel = "other"   //
)

var channelPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// validateChannel returns a *crmtype.ValidationError for field when c is not
// a well-formed channel name.
func validateChannel(field string, c Channel) error {
	if c == "" {
		return crmtype.Invalid(field, "is required")
	}
	if !channelPattern.MatchString(string(c)) {
		return crmtype.Invalidf(field, "%q is not a channel: use lower-case letters, digits, '_' or '-', at most 32 bytes", string(c))
	}
	return nil
}

// String returns the channel's name.
func (c Channel) String() string { return string(c) }
