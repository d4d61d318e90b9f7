package communication

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

func requireField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *crmtype.ValidationError
	require.True(t, errors.As(err, &ve), "want a validation error of %s, got %v", field, err)
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	require.Equal(t, field, ve.Field, err.Error())
}

// testSurvey asks one question of every kind.
func testSurvey() *Survey {
	return &Survey{ID: crmtype.NewID(time.Now()), Key: "post-ticket", Version: 2, Questions: []Question{
		{Key: "nps", Kind: QuestionNPS, Text: "Recommend us?", Required: true},
		{Key: "csat", Kind: QuestionRating, Text: "Satisfied?"},
		{Key: "effort", Kind: QuestionCES, Text: "Easy?"},
		{Key: "channel", Kind: QuestionSingle, Text: "How did you reach us?", Options: []string{"phone", "email", "chat"}},
		{Key: "liked", Kind: QuestionMultiple, Text: "What did you like?", Options: []string{"speed", "tone", "result"}},
		{Key: "comment", Kind: QuestionText, Text: "Anything else?"},
	}}
}

func TestSurveyDefinitionValidation(t *testing.T) {
	ok := SurveyParams{Key: "post-ticket", Title: "  After your ticket ", Questions: []Question{
		{Key: "nps", Kind: QuestionNPS, Text: " How likely…? "},
		{Key: "pick", Kind: QuestionSingle, Text: "Pick", Options: []string{" a ", "b"}},
	}}
	title, qs, err := newSurveyDef(ok)
	require.NoError(t, err)
	require.Equal(t, "After your ticket", title)
	require.Equal(t, "How likely…?", qs[0].Text)
	require.Nil(t, qs[0].Options)
	require.Equal(t, []string{"a", "b"}, qs[1].Options)

	q := func(qs ...Question) SurveyParams { return SurveyParams{Key: "k", Questions: qs} }
	for _, tc := range []struct {
		p     SurveyParams
		field string
	}{
		{SurveyParams{Questions: ok.Questions}, "key"},
		{SurveyParams{Key: "Post Ticket", Questions: ok.Questions}, "key"},
		{SurveyParams{Key: "k", Title: "a\nb", Questions: ok.Questions}, "title"},
		{SurveyParams{Key: "k"}, "questions"},
		{q(make([]Question, MaxSurveyQuestions+1)...), "questions"},
		{q(Question{Key: "", Kind: QuestionNPS, Text: "x"}), "questions[0].key"},
		{q(Question{Key: "a.b", Kind: QuestionNPS, Text: "x"}), "questions[0].key"},
		{q(Question{Key: "a", Kind: QuestionNPS, Text: "x"}, Question{Key: "a", Kind: QuestionCES, Text: "y"}), "questions[1].key"},
		{q(Question{Key: "a", Kind: "stars", Text: "x"}), "questions[0].kind"},
		{q(Question{Key: "a", Kind: QuestionText, Text: "  "}), "questions[0].text"},
		{q(Question{Key: "a", Kind: QuestionSingle, Text: "x", Options: []string{"only"}}), "questions[0].options"},
		{q(Question{Key: "a", Kind: QuestionMultiple, Text: "x", Options: []string{"p", " p"}}), "questions[0].options[1]"},
		{q(Question{Key: "a", Kind: QuestionMultiple, Text: "x", Options: []string{"p", ""}}), "questions[0].options[1]"},
		{q(Question{Key: "a", Kind: QuestionRating, Text: "x", Options: []string{"p", "q"}}), "questions[0].options"},
	} {
		_, _, err := newSurveyDef(tc.p)
		requireField(t, err, tc.field)
	}
}

func TestSurveyAnswerValidation(t *testing.T) {
	sv := testSurvey()
	got, err := CheckAnswers(sv, map[string]any{
		"nps": 9, "csat": float64(4), "effort": json.Number("7"), "channel": " chat ",
		"liked": []any{"result", "speed"}, "comment": "  Quick and kind.  ",
	})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"nps": 9, "csat": 4, "effort": 7, "channel": "chat",
		"liked": []string{"speed", "result"}, "comment": "Quick and kind."}, got, "normalised, options in survey order")

	// Scale ends are fine; empty optional answers are dropped.
	got, err = CheckAnswers(sv, map[string]any{"nps": int64(0), "csat": uint8(1), "effort": 1, "comment": "", "liked": []string{}, "channel": nil})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"nps": 0, "csat": 1, "effort": 1}, got)
	got, err = CheckAnswers(sv, map[string]any{"nps": 10, "csat": 5, "effort": 7})
	require.NoError(t, err)
	require.Len(t, got, 3)

	for _, tc := range []struct {
		name    string
		answers map[string]any
		field   string
	}{
		{"nps above the scale", map[string]any{"nps": 11}, "answers.nps"},
		{"nps below the scale", map[string]any{"nps": -1}, "answers.nps"},
		{"rating 0", map[string]any{"nps": 5, "csat": 0}, "answers.csat"},
		{"rating 6", map[string]any{"nps": 5, "csat": 6}, "answers.csat"},
		{"ces 8", map[string]any{"nps": 5, "effort": 8}, "answers.effort"},
		{"ces 0", map[string]any{"nps": 5, "effort": 0}, "answers.effort"},
		{"fraction", map[string]any{"nps": 7.5}, "answers.nps"},
		{"number as a string", map[string]any{"nps": "9"}, "answers.nps"},
		{"boolean", map[string]any{"nps": true}, "answers.nps"},
		{"huge", map[string]any{"nps": uint64(math.MaxUint64)}, "answers.nps"},
		{"unknown option", map[string]any{"nps": 5, "channel": "fax"}, "answers.channel"},
		{"single as a list", map[string]any{"nps": 5, "channel": []string{"chat"}}, "answers.channel"},
		{"unknown option in a list", map[string]any{"nps": 5, "liked": []string{"speed", "price"}}, "answers.liked"},
		{"repeated option", map[string]any{"nps": 5, "liked": []string{"speed", "speed"}}, "answers.liked"},
		{"list of numbers", map[string]any{"nps": 5, "liked": []any{1}}, "answers.liked"},
		{"multiple as a string", map[string]any{"nps": 5, "liked": "speed"}, "answers.liked"},
		{"text as a number", map[string]any{"nps": 5, "comment": 42}, "answers.comment"},
		{"text too long", map[string]any{"nps": 5, "comment": strings.Repeat("x", MaxAnswerTextBytes+1)}, "answers.comment"},
		{"text with NUL", map[string]any{"nps": 5, "comment": "a\x00b"}, "answers.comment"},
		{"missing required", map[string]any{"csat": 5}, "answers.nps"},
		{"required given as empty", map[string]any{"nps": nil, "csat": 5}, "answers.nps"},
		{"unknown question", map[string]any{"nps": 5, "price": 3}, "answers.price"},
		{"nothing", map[string]any{}, "answers"},
		{"nothing but blanks", nil, "answers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sv
			if tc.name == "nothing but blanks" {
				s = &Survey{Key: "k", Version: 1, Questions: []Question{{Key: "c", Kind: QuestionText, Text: "?"}}}
				tc.answers = map[string]any{"c": "  "}
			}
			_, err := CheckAnswers(s, tc.answers)
			requireField(t, err, tc.field)
		})
	}
}

func TestSurveyScale(t *testing.T) {
	for k, want := range map[QuestionKind][2]int{QuestionNPS: {0, 10}, QuestionRating: {1, 5}, QuestionCES: {1, 7}} {
		lo, hi, ok := k.Scale()
		require.True(t, ok)
		require.Equal(t, want, [2]int{lo, hi})
	}
	for _, k := range []QuestionKind{QuestionSingle, QuestionMultiple, QuestionText, "x"} {
		_, _, ok := k.Scale()
		require.False(t, ok)
	}
}

// secretStore serves a fixed token secret.
type secretStore struct {
	SurveyStore
	secret []byte
}

func (s secretStore) SurveySecret(context.Context, crmtype.Scope) ([]byte, error) {
	if s.secret == nil {
		return nil, crmtype.ErrNotFound
	}
	return s.secret, nil
}

func TestSurveyTokens(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	secret := []byte(strings.Repeat("k", 32))
	st := secretStore{secret: secret}
	acme := &Service{workspace: "acme"}
	sc := crmtype.Scope{Workspace: "acme"}
	id := crmtype.NewID(now)
	exp := now.Add(time.Hour)
	tok := signSurveyToken(secret, "acme", id, exp)
	require.Len(t, tok, tokenChars)
	require.Equal(t, tok, signSurveyToken(secret, "acme", id, exp), "deterministic")

	got, err := acme.checkToken(ctx, sc, st, tok, now)
	require.NoError(t, err)
	require.Equal(t, id, got)
	_, err = acme.checkToken(ctx, sc, st, " "+tok+"\n", now)
	require.NoError(t, err, "surrounding white space from a pasted link")

	// Expired: at and after the expiry.
	_, err = acme.checkToken(ctx, sc, st, tok, exp)
	requireField(t, err, "token")
	require.Contains(t, err.Error(), "expired")

	// Every altered byte, of the payload or the MAC, breaks it.
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	require.NoError(t, err)
	for i := range raw {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		_, err := acme.checkToken(ctx, sc, st, base64.RawURLEncoding.EncodeToString(b), now)
		requireField(t, err, "token")
	}
	// A later expiry written into the payload does not extend it.
	b := append([]byte(nil), raw...)
	b[tokenPayload-1]++
	_, err = acme.checkToken(ctx, sc, st, base64.RawURLEncoding.EncodeToString(b), now)
	requireField(t, err, "token")
	require.Contains(t, err.Error(), "not valid")

	// Another workspace, even with the same secret; another secret; no secret.
	other := &Service{workspace: "other"}
	_, err = other.checkToken(ctx, crmtype.Scope{Workspace: "other"}, st, tok, now)
	requireField(t, err, "token")
	_, err = acme.checkToken(ctx, sc, secretStore{secret: []byte(strings.Repeat("j", 32))}, tok, now)
	requireField(t, err, "token")
	_, err = acme.checkToken(ctx, sc, secretStore{}, tok, now)
	requireField(t, err, "token")

	// Malformed.
	for _, bad := range []string{"", "x", strings.Repeat("A", tokenChars), tok[:tokenChars-1], tok + "A", strings.Replace(tok, tok[:1], "*", 1)} {
		_, err := acme.checkToken(ctx, sc, st, bad, now)
		requireField(t, err, "token")
	}
}

func TestSurveyScoreFromCounts(t *testing.T) {
	p := ScoreParams{SurveyKey: "k", Question: "q", Level: 0.95}
	z := 1.959963984540054 // Φ⁻¹(0.975)

	// NPS of 10,10,9,9,9 (promoters), 8,7 (passives), 6,3,0 (detractors):
	// 100·(5−3)/10 = 20; SE = 100·sqrt((0.5+0.3−0.2²)/10).
	counts := []AnswerCount{{1, 10, 2}, {1, 9, 1}, {2, 9, 2}, {2, 8, 1}, {2, 7, 1}, {1, 6, 1}, {2, 3, 1}, {2, 0, 1}}
	s, err := scoreOf(p, QuestionNPS, counts)
	require.NoError(t, err)
	require.Equal(t, 10, s.N)
	require.InDelta(t, 20, s.Value, 1e-9)
	se := 100 * math.Sqrt((0.5+0.3-0.2*0.2)/10)
	require.InDelta(t, 20-z*se, s.Interval.Lo, 1e-9)
	require.InDelta(t, 20+z*se, s.Interval.Hi, 1e-9)
	require.Equal(t, 0.95, s.Interval.Level)
	require.Equal(t, map[int]int{1: 4, 2: 6}, s.Versions)
	require.Equal(t, 2, s.Counts[10])
	require.Equal(t, 5, s.NPS.Promoters)
	require.Equal(t, 2, s.NPS.Passives)
	require.Equal(t, 3, s.NPS.Detractors)
	require.InDelta(t, 7.1, s.Mean, 1e-12) // 71/10

	// CSAT: 81 of 263 answers are 4 or 5. Newcombe (1998), method 3: the
	// 95% Wilson interval of 81/263 is 0.2553 to 0.3662.
	s, err = scoreOf(p, QuestionRating, []AnswerCount{{1, 5, 30}, {1, 4, 51}, {1, 3, 100}, {1, 2, 50}, {1, 1, 32}})
	require.NoError(t, err)
	require.Equal(t, 263, s.N)
	require.InDelta(t, 81.0/263, s.Value, 1e-12)
	require.InDelta(t, 0.2553, s.Interval.Lo, 5e-5)
	require.InDelta(t, 0.3662, s.Interval.Hi, 5e-5)

	// CES: 2, 3, 3, 4, 4, 4, 5, 5, 6, 6: mean 4.2, s² = 15.6/9, t(0.975, 9)
	// = 2.2621571628 (tables: 2.262).
	s, err = scoreOf(p, QuestionCES, []AnswerCount{{1, 2, 1}, {1, 3, 2}, {1, 4, 3}, {1, 5, 2}, {1, 6, 2}})
	require.NoError(t, err)
	require.InDelta(t, 4.2, s.Value, 1e-12)
	half := 2.2621571628 * math.Sqrt(15.6/9) / math.Sqrt(10)
	require.InDelta(t, 4.2-half, s.Interval.Lo, 1e-8)
	require.InDelta(t, 4.2+half, s.Interval.Hi, 1e-8)

	// One CES answer has a mean but no interval; none has nothing.
	s, err = scoreOf(p, QuestionCES, []AnswerCount{{1, 3, 1}})
	require.NoError(t, err)
	require.Equal(t, 3.0, s.Value)
	require.Zero(t, s.Interval.Level)
	s, err = scoreOf(p, QuestionNPS, nil)
	require.NoError(t, err)
	require.Zero(t, s.N)
	require.Zero(t, s.Interval.Level)
	require.Nil(t, s.NPS)
}

func TestIsDetractor(t *testing.T) {
	for _, tc := range []struct {
		kind   QuestionKind
		answer int
		want   bool
	}{
		{QuestionNPS, 0, true}, {QuestionNPS, 6, true}, {QuestionNPS, 7, false}, {QuestionNPS, 8, false},
		{QuestionNPS, 9, false}, {QuestionNPS, 10, false}, {QuestionNPS, -1, false}, {QuestionNPS, 11, false},
		{QuestionRating, 1, true}, {QuestionRating, 2, true}, {QuestionRating, 3, false}, {QuestionRating, 5, false},
		{QuestionRating, 0, false}, {QuestionRating, 6, false},
		{QuestionCES, 1, true}, {QuestionCES, 2, true}, {QuestionCES, 3, false}, {QuestionCES, 7, false},
		{QuestionCES, 0, false},
		{QuestionSingle, 1, false}, {QuestionText, 0, false}, {"x", 1, false},
	} {
		require.Equal(t, tc.want, IsDetractor(tc.kind, tc.answer), "%s %d", tc.kind, tc.answer)
	}
	sv := testSurvey()
	require.Equal(t, []string{"nps", "effort"}, DetractorAnswers(sv, map[string]any{"nps": 6, "csat": 3, "effort": 2, "comment": "1"}))
	require.Nil(t, DetractorAnswers(sv, map[string]any{"nps": 7, "csat": 3, "effort": 3}))
}

func TestFollowUpTask(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	sv := testSurvey()
	ticket := crmtype.NewID(now)
	r := &Response{ID: crmtype.NewID(now), CustomerID: crmtype.NewID(now), About: About{TicketID: ticket},
		Answers: map[string]any{"nps": 3, "csat": 1, "comment": "slow"}, CreatedAt: now}
	task := followUpTask(r, sv, &TicketRef{Number: 42, AssigneeID: "agent-7"}, now)
	require.NotNil(t, task)
	require.Equal(t, ticket, task.TicketID)
	require.Equal(t, "agent-7", task.OwnerID)
	require.Equal(t, now.Add(FollowUpDue), task.DueAt)
	require.Equal(t, PriorityHigh, task.Priority)
	require.Contains(t, task.Subject, "T-42")
	require.Contains(t, task.Notes, "nps (nps) = 3")
	require.Contains(t, task.Notes, "csat (rating) = 1")
	require.NotContains(t, task.Notes, "slow", "free text stays in the response")

	noTicket := followUpTask(r, sv, nil, now)
	require.NotNil(t, noTicket, "a ticket id that names no ticket still gets its follow-up")
	require.Empty(t, noTicket.OwnerID)

	r.Answers = map[string]any{"nps": 9}
	require.Nil(t, followUpTask(r, sv, nil, now), "a promoter needs none")
	r.Answers, r.About = map[string]any{"nps": 0}, About{}
	require.Nil(t, followUpTask(r, sv, nil, now), "only responses about a ticket")
}
