// Package marketing plans and carries out a workspace's marketing:
// campaigns (market research, advertising, promotions, outreach, events,
// referrals, or the workspace's own types) with a status life cycle, a
// programme hierarchy, UTM tags for attribution and a cost ledger; segments
// written in a serialisable rule language and evaluated in the database;
// campaign members, each passing the contact decision of package
// communication, with a status log; promotions with unique codes; daily
// advertising metrics; market research through surveys.
//
// Bad input is a *crmtype.ValidationError naming the field (errors.Is
// crmtype.ErrInvalid) and nothing is written.
package marketing
