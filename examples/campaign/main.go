// Command campaign plans a win-back promotion on the CDNOW customers with
// kehu/crm's marketing module, on a fixed clock so that its output is the
// same every run but for the promotion codes, which are random.
//
//	go run ./examples/campaign                    # the 2,357-customer sample, in a temporary SQLite file
//	go run ./examples/campaign -db /tmp/c.db -data /path/to/cdnow
//
// It loads the CDNOW sample purchases, saves an "at risk" segment written
// in the rule language (the RFM segments At risk and Cannot lose them at
// the end of the data, June 1998, with at least two purchases), previews it and
// takes a snapshot; creates a promotion campaign under an autumn programme
// with a budget, UTM tags and cost lines; adds the snapshot's customers as
// members, each through the contact decision (some of them revoked
// marketing consent or asked not to be contacted: they are excluded and
// counted by reason); defines a 20%-off offer and generates one
// single-use code per member; and prints the plan with the programme's
// roll-up.
//
// Then it runs a simulated A/B test with a holdout: a reactivation email
// to the customers who bought nothing in the last 180 days, half with a
// code, half without, 20% held out; four weeks of simulated purchases
// (more likely with the code, a little more likely with any email), then
// the verdict with its p-value and interval, the lift against the holdout
// (the revenue the campaign caused), the attribution of July's purchases
// to the two campaigns under each model, and the ROI. Assignment hashes
// the experiment's id, which is new every run, so the figures vary a
// little from run to run; the conclusions do not.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/cdnow"
	"github.com/kehu/crm/internal/texttable"
	"github.com/kehu/crm/marketing"
	"github.com/kehu/crm/store/sqlite"
)

const workspace = "cdnow"

// now is the morning after the end of the CDNOW data (30 June 1998):
// the campaign is planned, and the segment evaluated, then.
var now = time.Date(1998, 7, 1, 9, 0, 0, 0, time.UTC)

func main() {
	dbPath := flag.String("db", "", "SQLite file (default: a new file in a temporary directory)")
	dataDir := flag.String("data", cdnow.Dir(), "folder holding CDNOW_sample.txt")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("campaign: ")
	if *dataDir == "" {
		log.Fatalf("the CDNOW data folder was not found (../shared/data/cdnow beside the repository); pass -data")
	}
	if *dbPath == "" {
		dir, err := os.MkdirTemp("", "campaign")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		*dbPath = filepath.Join(dir, "campaign.db")
	}
	ctx := crm.WithActor(context.Background(), "marketer:ana")
	db, err := sqlite.Open(ctx, *dbPath)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	clock := crmtype.NewManualClock(now)
	client, err := crm.New(db, &crm.Config{Clock: clock})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	file, ps, err := cdnow.ReadFile(*dataDir, false)
	if err != nil {
		log.Fatal(err)
	}
	loaded, err := cdnow.Load(ctx, client, workspace, file, ps)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("CDNOW sample: %d customers, %d purchases.\n\n", loaded.Customers, loaded.Purchases)
	ws := client.Workspace(workspace)
	mk, com := ws.Marketing, ws.Communication
	must := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}

	// The segment, in the rule language (this is its JSON).
	rule, err := marketing.ParseRule([]byte(`{"and": [
		{"rfm": {"currency": "USD", "segments": ["At risk", "Cannot lose them"]}},
		{"purchases": {"metric": "count", "op": "gte", "value": 2}}]}`))
	must(err)
	seg, err := mk.SaveSegment(ctx, marketing.SegmentParams{Name: "At risk, bought twice", Rule: rule,
		Description: "RFM At risk or Cannot lose them, with at least two purchases"})
	must(err)
	prev, err := mk.PreviewSegment(ctx, marketing.PreviewParams{SegmentID: seg.ID, At: now})
	must(err)
	snap, err := mk.Snapshot(ctx, seg.ID, now)
	must(err)
	fmt.Printf("Segment %q at %s: %d customers (preview %d); a snapshot keeps them.\n\n",
		seg.Name, now.Format(time.DateOnly), snap.Members, prev.Count)

	// The contact rules: customers hear from us unless they said no. Some
	// of the segment's customers did: a revoked marketing consent, a
	// do-not-contact request.
	must(com.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
	members, err := mk.SnapshotMembers(ctx, snap.ID, 0, "")
	must(err)
	for i, id := range members.Items {
		switch i % 12 {
		case 3:
			_, err = com.RecordConsent(ctx, communication.ConsentParams{CustomerID: id, Purpose: communication.PurposeMarketing,
				State: communication.ConsentRevoked, Source: "unsubscribe_link"})
		case 8:
			_, err = com.SetPreferences(ctx, communication.Preferences{CustomerID: id, DoNotContact: true, DoNotContactReason: "asked by phone"})
		}
		must(err)
	}

	// The programme and the campaign, with budget and costs.
	prog, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "Summer 1998", Type: "programme", Currency: "USD",
		Objective: "Bring back lapsed buyers", StartsAt: now, EndsAt: time.Date(1998, 9, 30, 0, 0, 0, 0, time.UTC)})
	must(err)
	camp, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "Win back — 20% off", Type: marketing.TypePromotion,
		Currency: "USD", ParentID: prog.ID, Channel: "email", OwnerID: "ana",
		StartsAt: time.Date(1998, 7, 6, 0, 0, 0, 0, time.UTC), EndsAt: time.Date(1998, 8, 3, 0, 0, 0, 0, time.UTC),
		UTM:    marketing.UTM{Source: "newsletter", Medium: "email", Campaign: "winback-1998-07"},
		Budget: 2_500_00, ExpectedRevenue: 12_000_00, ExpectedResponses: 60,
		Objective: "Second purchase from at-risk customers within four weeks"})
	must(err)
	for _, c := range []marketing.CostParams{
		{Kind: marketing.CostProduction, Amount: usd(450_00), On: "1998-07-01", Note: "email design and copy"},
		{Kind: marketing.CostFee, Amount: usd(120_00), On: "1998-07-02", Note: "email service provider"},
		{Kind: marketing.CostMedia, Amount: usd(300_00), On: "1998-07-06", Note: "retargeting banners", Source: "banners:1998-07-06"},
	} {
		_, _, err := mk.AddCost(ctx, camp.ID, c)
		must(err)
	}

	// Members: every customer of the snapshot, through the contact decision.
	res, err := mk.AddMembers(ctx, camp.ID, marketing.AddMembersParams{SnapshotID: snap.ID})
	must(err)
	fmt.Printf("Members: %d candidates, %d added, %d excluded:\n", res.Candidates, res.Added, res.ExcludedTotal())
	for _, reason := range slices.Sorted(func(yield func(string) bool) {
		for k := range res.Excluded {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Printf("  %-16s %d\n", reason, res.Excluded[reason])
	}
	fmt.Println()

	// The offer and one single-use code per member.
	offer, err := mk.CreateOffer(ctx, marketing.OfferParams{CampaignID: camp.ID, Name: "20% off, $15 minimum",
		Discount: marketing.Discount{PercentBP: 2000, MaxDiscount: 50_00}, MinSpend: 15_00,
		ValidFrom: camp.StartsAt, ValidTo: camp.EndsAt, PerCustomerLimit: 1, CodePolicy: marketing.CodeSingleUse, RecordCost: true})
	must(err)
	batch, err := mk.GenerateCodes(ctx, offer.ID, res.Added, marketing.CodeParams{Prefix: "BACK-"})
	must(err)

	camp, err = mk.SetCampaignStatus(ctx, camp.ID, camp.Version, marketing.StatusActive)
	must(err)
	r, err := mk.Rollup(ctx, prog.ID)
	must(err)
	costs, err := mk.Costs(ctx, camp.ID, 0, "")
	must(err)

	t := texttable.New("Item", "Plan")
	t.Row("Campaign", camp.Name+" ("+string(camp.Type)+", "+string(camp.Status)+")")
	t.Row("Programme", prog.Name)
	t.Row("Period", camp.StartsAt.Format(time.DateOnly)+" to "+camp.EndsAt.Format(time.DateOnly))
	t.Row("Channel, UTM", camp.Channel+", utm_source="+camp.UTM.Source+"&utm_medium="+camp.UTM.Medium+"&utm_campaign="+camp.UTM.Campaign)
	t.Row("Audience", fmt.Sprintf("%d members from segment %q", res.Added, seg.Name))
	t.Row("Offer", fmt.Sprintf("%s, valid %s to %s, once per customer", offer.Name,
		offer.ValidFrom.Format("2 Jan"), offer.ValidTo.Format("2 Jan 2006")))
	t.Row("Codes", fmt.Sprintf("%d single-use, %.0f bits each, e.g. %s", len(batch.Codes), batch.Bits, strings.Join(batch.Codes[:3], ", ")))
	t.Row("Budget", dollars(camp.Budget))
	t.Row("Expected", fmt.Sprintf("%s revenue, %d responses", dollars(camp.ExpectedRevenue), camp.ExpectedResponses))
	t.Print("The plan")

	t = texttable.New("Date", "Kind", "Amount", "Note").Right(2)
	var spent int64
	for _, c := range costs.Items {
		t.Row(c.On, string(c.Kind), dollars(c.Amount.Minor), c.Note)
		spent += c.Amount.Minor
	}
	t.Row("", "total", dollars(spent), fmt.Sprintf("%.0f%% of the budget", 100*float64(spent)/float64(camp.Budget)))
	t.Print("Cost ledger")

	t = texttable.New("Campaigns", "Budget", "Cost", "Expected revenue", "Members", "Responses").Right(0, 1, 2, 3, 4, 5)
	t.Row(fmt.Sprint(r.Campaigns), dollars(r.Budget["USD"]), dollars(r.Cost["USD"]), dollars(r.ExpectedRevenue["USD"]),
		fmt.Sprint(r.Members), fmt.Sprint(r.Responses))
	t.Print("Roll-up of " + prog.Name)

	abTest(ctx, ws, clock, prog, camp)
}

// abTest plans a reactivation campaign with an A/B test and a holdout,
// simulates four weeks, and prints the evaluation.
func abTest(ctx context.Context, ws *crm.Workspace, clock *crmtype.ManualClock, prog, winBack *marketing.Campaign) {
	mk := ws.Marketing
	must := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	rule, err := marketing.ParseRule([]byte(`{"purchases": {"metric": "count", "within": "180d", "op": "eq", "value": 0}}`))
	must(err)
	seg, err := mk.SaveSegment(ctx, marketing.SegmentParams{Name: "Lapsed 180 days", Rule: rule})
	must(err)
	snap, err := mk.Snapshot(ctx, seg.ID, now)
	must(err)
	start := time.Date(1998, 7, 6, 9, 0, 0, 0, time.UTC)
	camp, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "Reactivation A/B", Type: marketing.TypeOutreach,
		Currency: "USD", ParentID: prog.ID, Channel: "email", StartsAt: start, EndsAt: start.AddDate(0, 0, 28),
		UTM: marketing.UTM{Source: "newsletter", Medium: "email", Campaign: "reactivation-1998-07"}, Budget: 1_500_00})
	must(err)
	_, _, err = mk.AddCost(ctx, camp.ID, marketing.CostParams{Kind: marketing.CostProduction, Amount: usd(600_00), On: "1998-07-03", Note: "two email versions"})
	must(err)
	res, err := mk.AddMembers(ctx, camp.ID, marketing.AddMembersParams{SnapshotID: snap.ID})
	must(err)
	exp, err := mk.CreateExperiment(ctx, marketing.ExperimentParams{CampaignID: camp.ID, Name: "code or not",
		Variants: []marketing.Variant{{Key: "email", Weight: 1}, {Key: "email-code", Weight: 1}}, Holdout: 0.2,
		Metric: marketing.MetricConversion, Baseline: 0.06, MinDetectableLift: 0.05, Window: 28 * 24 * time.Hour})
	must(err)
	counts, err := mk.Assign(ctx, exp.ID)
	must(err)
	fmt.Printf("\nA/B test %q on %d lapsed customers (%d excluded by the contact decision): %d email, %d email-code, %d held out.\n",
		exp.Name, res.Added, res.ExcludedTotal(), counts["email"], counts["email-code"], counts["holdout"])

	// Four weeks: every treated member gets the email; some open it, click
	// and buy. The holdout gets nothing and buys at its own rate.
	rng := rand.New(rand.NewPCG(1998, 7))
	buys := map[string]float64{"holdout": 0.05, "email": 0.07, "email-code": 0.14}
	var exposures []marketing.Exposure
	var statuses, winBackStatuses []marketing.StatusUpdate
	var purchases []customer.PurchaseParams
	members, err := mk.Members(ctx, camp.ID, marketing.MemberListParams{Limit: crmtype.MaxPageSize})
	must(err)
	all := members.Items
	for members.Next != "" {
		members, err = mk.Members(ctx, camp.ID, marketing.MemberListParams{Limit: crmtype.MaxPageSize, After: members.Next})
		must(err)
		all = append(all, members.Items...)
	}
	winBackMembers, err := mk.Members(ctx, winBack.ID, marketing.MemberListParams{Limit: crmtype.MaxPageSize})
	must(err)
	for _, m := range winBackMembers.Items {
		winBackStatuses = append(winBackStatuses, marketing.StatusUpdate{CustomerID: m.CustomerID, Status: marketing.MemberDelivered, At: start})
	}
	for i, m := range all {
		sent := start.Add(time.Duration(i%600) * time.Second)
		if m.Variant != "holdout" {
			exposures = append(exposures, marketing.Exposure{CustomerID: m.CustomerID, At: sent})
			statuses = append(statuses, marketing.StatusUpdate{CustomerID: m.CustomerID, Status: marketing.MemberDelivered, At: sent})
		}
		if rng.Float64() >= buys[m.Variant] {
			continue
		}
		at := sent.Add(time.Duration(1+rng.IntN(26*24)) * time.Hour)
		if m.Variant != "holdout" {
			statuses = append(statuses, marketing.StatusUpdate{CustomerID: m.CustomerID, Status: marketing.MemberClicked, At: at.Add(-time.Hour)},
				marketing.StatusUpdate{CustomerID: m.CustomerID, Status: marketing.MemberConverted, At: at})
		}
		amount := int64(1500 + rng.IntN(4500)) // $15 to $60
		purchases = append(purchases, customer.PurchaseParams{CustomerID: m.CustomerID, OccurredAt: at,
			Amount: usd(amount), Quantity: 1, Channel: "web", OrderID: fmt.Sprintf("sim-%d", i)})
	}
	end := start.AddDate(0, 0, 29)
	clock.Set(end)
	_, err = mk.RecordExposures(ctx, exp.ID, exposures)
	must(err)
	_, err = mk.SetMemberStatuses(ctx, camp.ID, statuses)
	must(err)
	_, err = mk.SetMemberStatuses(ctx, winBack.ID, winBackStatuses)
	must(err)
	_, err = ws.Customers.RecordPurchases(ctx, purchases)
	must(err)

	ev, err := mk.Evaluate(ctx, exp.ID, marketing.EvaluateParams{At: end})
	must(err)
	t := texttable.New("Arm", "Members", "Converted", "Rate", "95% interval", "Revenue / member").Right(1, 2, 3, 4, 5)
	for _, a := range ev.Arms {
		t.Row(a.Variant, fmt.Sprint(a.Members), fmt.Sprint(a.Converted), fmt.Sprintf("%.1f%%", 100*a.ConversionRate),
			fmt.Sprintf("%.1f%%–%.1f%%", 100*a.ConversionCI.Lo, 100*a.ConversionCI.Hi), dollars(int64(a.RevenuePerMember)))
	}
	t.Print("Conversion within four weeks")
	for _, c := range ev.Comparisons {
		fmt.Printf("%s vs %s: %+.1f points (95%% interval %+.1f to %+.1f), z = %.2f, p = %.4f\n", c.Variant, c.Control,
			100*c.Diff, 100*c.DiffCI.Lo, 100*c.DiffCI.Hi, c.Statistic, c.P)
	}
	fmt.Printf("Verdict: %s %s. %s\n", ev.Verdict, ev.Winner, ev.Reason)
	if h := ev.Holdout; h != nil {
		fmt.Printf("Against the holdout: conversion %+.1f points (%+.1f to %+.1f); revenue the campaign caused %s (%s to %s).\n",
			100*h.Conversion.Value, 100*h.Conversion.CI.Lo, 100*h.Conversion.CI.Hi,
			dollars(int64(h.IncrementalRevenue.Value)), dollars(int64(h.IncrementalRevenue.CI.Lo)), dollars(int64(h.IncrementalRevenue.CI.Hi)))
	}
	fmt.Println()

	// Attribution of the purchases in the campaign month to the touches
	// before them, under each model.
	t = texttable.New("Model", "Reactivation A/B", "Win back", "Unattributed").Right(1, 2, 3)
	for _, model := range []marketing.AttributionModel{marketing.ModelFirstTouch, marketing.ModelLastTouch, marketing.ModelLinear,
		marketing.ModelTimeDecay, marketing.ModelPositionBased} {
		a, err := mk.Attribute(ctx, marketing.AttributionQuery{From: start, To: end, AttributionParams: marketing.AttributionParams{
			Model: model, Lookback: 30 * 24 * time.Hour, HalfLife: 7 * 24 * time.Hour, Currency: "USD"}})
		must(err)
		t.Row(string(model), dollars(a.Campaign(camp.ID).Revenue), dollars(a.Campaign(winBack.ID).Revenue), dollars(a.UnattributedRevenue))
	}
	t.Print("Revenue attributed, July 6 to August 4 (30-day lookback, 7-day half-life)")

	incremental := int64(0)
	if ev.Holdout != nil {
		incremental = int64(ev.Holdout.IncrementalRevenue.Value)
	}
	rep, err := mk.Report(ctx, camp.ID, marketing.ReportParams{Revenue: incremental, RevenueKind: "incremental (against the holdout)",
		ExperimentID: exp.ID, Attribution: &marketing.AttributionQuery{From: start, To: end, AttributionParams: marketing.AttributionParams{
			Model: marketing.ModelLinear, Lookback: 30 * 24 * time.Hour, Currency: "USD"}}})
	must(err)
	r := rep.ROI
	fmt.Printf("ROI of %s: cost %s, incremental revenue %s, return %+.0f%%; %s per member, %s per attributed conversion (linear).\n",
		camp.Name, dollars(r.Cost), dollars(r.Revenue), 100*r.Return, dollars(int64(r.CostPerMember)), dollars(int64(r.CostPerConversion)))
}

func usd(minor int64) crmtype.Money { return crmtype.Money{Minor: minor, Currency: "USD"} }

func dollars(minor int64) string { return fmt.Sprintf("$%d.%02d", minor/100, minor%100) }
