// Package marketing plans, carries out and evaluates a workspace's
// marketing.
//
//   - Campaigns (market research, advertising, promotions, outreach,
//     events, referrals, or the workspace's own types) move planned →
//     active ⇄ paused → completed or aborted, form programme hierarchies,
//     carry UTM tags for attribution, a budget and expected figures, and a
//     cost ledger; Rollup sums a programme.
//
//   - Segments are written in a JSON rule language (Rule: and, or, not over
//     customer fields, attributes, tags, identities, consent, purchase,
//     interaction and ticket aggregates, the RFM segment), evaluated in the
//     database with the same members on SQLite and PostgreSQL; a Snapshot
//     freezes a segment's members so that a run can be reproduced; static
//     lists sit beside them.
//
//   - Members come from ids, a snapshot or a list, each through the
//     contact decision of package communication (the excluded are counted
//     by reason), with a status log (sent, delivered, opened, clicked,
//     responded, converted, ... and the workspace's own) on the customer's
//     timeline.
//
//   - Promotions: offers with unguessable single-use or shared codes,
//     redeemed against purchases once, limits held under concurrency.
//     Advertising: daily platform metrics whose spend feeds the cost
//     ledger. Research: surveys to the members, results per question and
//     group.
//
//   - Evaluation: experiments with variants and a holdout, deterministic
//     assignment, verdicts under alpha spending over repeated looks (a
//     winner only when the data says so), incremental lift; attribution of
//     purchases to touches under five models with credits that sum exactly;
//     the campaign report (funnel, response by RFM segment and attribute,
//     verdict, attribution, ROI) and comparisons across campaigns.
//
// Bad input is a *crmtype.ValidationError naming the field (errors.Is
// crmtype.ErrInvalid) and nothing is written. Every call is confined to
// the service's workspace.
package marketing
