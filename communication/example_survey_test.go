package communication_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/store/sqlite"
)

// printSender stands in for the host's mail provider.
type printSender struct{}

func (printSender) Send(_ context.Context, m communication.Message) (string, error) {
	link := m.Body[strings.Index(m.Body, "https://"):]
	fmt.Printf("mail to %s: %s %s…\n", m.To, m.Subject, link[:len("https://example.com/survey?t=")])
	return "", nil
}

// A post-ticket survey: sent by email through the contact decision,
// answered with the link's token, and read as a Net Promoter Score with its
// confidence interval. A token answers once, and an answer off the scale
// names its question.
func ExampleService_SurveyScore() {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	clock := crmtype.NewManualClock(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	client, err := crm.New(db, &crm.Config{Clock: clock, Communication: communication.Config{Sender: printSender{}}})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	com := client.Workspace("acme").Communication
	customers := client.Workspace("acme").Customers

	sv, err := com.SaveSurvey(ctx, communication.SurveyParams{Key: "post-ticket", Title: "How did we do?",
		Questions: []communication.Question{
			{Key: "recommend", Kind: communication.QuestionNPS, Text: "How likely are you to recommend us?", Required: true},
			{Key: "comment", Kind: communication.QuestionText, Text: "Anything else?"},
		}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sv.Key, "version", sv.Version)
	_, err = com.SaveTemplate(ctx, communication.Template{Key: "survey", Channel: communication.Email,
		Subject: "How did we do?", Body: "Tell us: https://example.com/survey?t={{.Data.survey_token}}"})
	if err != nil {
		log.Fatal(err)
	}

	// One invitation by email, the others handed out by the host.
	anna, err := customers.Create(ctx, customer.CreateParams{Name: "Anna",
		Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "anna@example.com"}}})
	if err != nil {
		log.Fatal(err)
	}
	// Surveys are research: Anna agreed to take part.
	_, err = com.RecordConsent(ctx, communication.ConsentParams{CustomerID: anna.ID, Purpose: communication.PurposeResearch,
		State: communication.ConsentGranted, Source: "web_form"})
	if err != nil {
		log.Fatal(err)
	}
	inv, err := com.SendInvitation(ctx, communication.InviteParams{SurveyKey: "post-ticket", CustomerID: anna.ID},
		communication.SendParams{RenderParams: communication.RenderParams{Key: "survey", Channel: communication.Email}})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := com.Respond(ctx, inv.Token, map[string]any{"recommend": 10, "comment": "Quick and kind."}); err != nil {
		log.Fatal(err)
	}
	for _, score := range []int{9, 9, 8, 6, 10, 3, 9} {
		c, err := customers.Create(ctx, customer.CreateParams{Name: "Customer"})
		if err != nil {
			log.Fatal(err)
		}
		inv, err := com.Invite(ctx, communication.InviteParams{SurveyKey: "post-ticket", CustomerID: c.ID})
		if err != nil {
			log.Fatal(err)
		}
		if _, err := com.Respond(ctx, inv.Token, map[string]any{"recommend": score}); err != nil {
			log.Fatal(err)
		}
	}

	// The same link again, and an answer off the scale.
	_, err = com.Respond(ctx, inv.Token, map[string]any{"recommend": 0})
	fmt.Println("again:", errors.Is(err, crm.ErrConflict))
	c, _ := customers.Create(ctx, customer.CreateParams{Name: "Customer"})
	bad, _ := com.Invite(ctx, communication.InviteParams{SurveyKey: "post-ticket", CustomerID: c.ID})
	_, err = com.Respond(ctx, bad.Token, map[string]any{"recommend": 11})
	fmt.Println(err)

	s, err := com.SurveyScore(ctx, communication.ScoreParams{SurveyKey: "post-ticket", Question: "recommend"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("NPS %.1f from %d answers (%d promoters, %d detractors), 95%% CI %.1f to %.1f\n",
		s.Value, s.N, s.NPS.Promoters, s.NPS.Detractors, s.Interval.Lo, s.Interval.Hi)
	// Output:
	// post-ticket version 1
	// mail to anna@example.com: How did we do? https://example.com/survey?t=…
	// again: true
	// communication: respond: invalid answers.recommend: is 11, outside the nps scale 0–10
	// NPS 37.5 from 8 answers (5 promoters, 2 detractors), 95% CI -21.9 to 96.9
}
