// Package service holds the after-sales side of the CRM: tickets
// (after-sales, technical support, training, ...), service engagements
// such as visits and training sessions, SLA policies with their response
// and resolution targets in business minutes, and satisfaction reporting
// over the surveys of package communication.
//
//   - A Ticket has a category (after-sales, technical support, training,
//     complaint, inquiry, or the workspace's own), a priority, the channel
//     it came in on, the customer, company and purchase or product it
//     concerns, an assignee and team, tags and attributes, and a number
//     per workspace ("T-1042") that stays unique under concurrent creation.
//     Its status moves new, open, pending (on the customer), on hold,
//     solved, closed along the allowed transitions only; a solved ticket
//     reopens within Config.ReopenWindow; closed is final. Every change is
//     an event on the customer's timeline.
//
//   - Reply records a public reply (the team's or the customer's) as an
//     interaction of package communication linked to the ticket, so that
//     it shows in the customer's conversation and timeline; AddNote keeps
//     internal notes the customer never sees. A ticket may have a parent
//     (one level: problem and incidents).
//
//   - A Policy is an SLA policy: conditions (category, priority, channel,
//     ticket or customer attributes such as a tier) choose it, the first
//     by Position; Targets give first response, next response and
//     resolution in business minutes on its Calendar; PauseStatuses stop
//     the clocks. Measure computes a ticket's targets from its Activity
//     as if the policy had applied from the start, so a priority or
//     policy change re-measures; solving fulfils running targets and a
//     reopen resumes the resolution clock. Each target is running (with
//     its deadline), paused, met (with the instant) or breached (with the
//     instant).
//
//   - AtRisk is the breach forecast: the open targets whose deadline falls
//     within a horizon, from an index. ClaimEscalations hands out each
//     warning (a share of the target used) and each breach exactly once,
//     however many workers of the host ask.
//
//   - A Calendar is an IANA time zone with weekly working intervals
//     (several a day, e.g. 09:00-12:00 and 13:00-18:00), holidays, and
//     special working days such as the weekends China works to make up
//     for a long holiday, or every minute of the week (24x7).
//
//   - Add gives the instant a target of so much business time is reached
//     (a deadline); Between measures the business time between two
//     instants; IsWorking and NextWorking tell whether and when the
//     calendar works.
//
//   - AddExcluding and BetweenExcluding stop the clock during pauses,
//     e.g. while a ticket is pending on the customer, and resume it
//     afterwards; an open-ended pause means the clock is not running.
//
// Calendar arithmetic runs in the calendar's zone across daylight-saving
// changes and returns instants in UTC; it touches no database, clock or
// network.
//
// Bad input is a *crmtype.ValidationError naming the field (errors.Is
// crmtype.ErrInvalid).
package service
