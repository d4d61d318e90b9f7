// Package service will hold the after-sales side of the CRM: tickets
// (after-sales, technical support, training, ...), service engagements
// such as visits and training sessions, SLA policies with their response
// and resolution targets in business minutes, and satisfaction reporting
// over the surveys of package communication.
//
// Today it has the pure building block those SLAs are measured on:
// business calendars.
//
//   - A Calendar is an IANA time zone with weekly working intervals
//     (several a day, e.g. 09:00-12:00 and 13:00-18:00), holidays, and
//     special working days such as the weekends China works to make up
//     for a long holiday, or every minute of the week (24x7).
//   - Add gives the instant a target of so much business time is reached
//     (a deadline); Between measures the business time between two
//     instants; IsWorking and NextWorking tell whether and when the
//     calendar works.
//   - AddExcluding and BetweenExcluding stop the clock during pauses,
//     e.g. while a ticket is pending on the customer, and resume it
//     afterwards; an open-ended pause means the clock is not running.
//
// Arithmetic runs in the calendar's zone across daylight-saving changes
// and returns instants in UTC. Nothing here touches a database, a clock
// or the network.
//
// Bad input is a *crmtype.ValidationError naming the field (errors.Is
// crmtype.ErrInvalid).
package service
