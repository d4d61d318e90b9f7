package service

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
)

func TestSatisfactionConfigDefaults(t *testing.T) {
	s := NewService(nil, "acme", Config{})
	c := s.cfg.Satisfaction
	require.Empty(t, c.SurveyKey, "off by default")
	require.Zero(t, c.Delay)
	require.Equal(t, DefaultSatisfactionMaxAge, c.MaxAge)
	require.Equal(t, DefaultSatisfactionLease, c.Lease)
	require.Equal(t, DefaultSatisfactionAttempts, c.MaxAttempts)
	require.Equal(t, DefaultSatisfactionRetryDelay, c.RetryDelay)
	require.Equal(t, communication.PurposeResearch, c.Send.Purpose)
}

func TestSatisfactionClassifySendError(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	s := NewService(nil, "acme", Config{Clock: crmtype.NewManualClock(now)})
	cfg := s.cfg.Satisfaction
	until := now.Add(3 * time.Hour)
	for _, tc := range []struct {
		name     string
		err      error
		attempts int
		state    SurveyState
		reason   string
		hold     *time.Time
		tries    int
	}{
		{"deny", fmt.Errorf("wrapped: %w", &communication.NotAllowedError{Decision: communication.Decision{
			Verdict: communication.Deny, Reason: communication.ReasonNoConsent}}), 0, SurveySkipped, "contact:no_consent", nil, 0},
		{"defer", &communication.NotAllowedError{Decision: communication.Decision{Verdict: communication.Defer,
			Reason: communication.ReasonFrequencyCap, Until: until}}, 2, SurveyPending, "deferred:frequency_cap", &until, 2},
		{"no address", crmtype.Invalid("to", "no email"), 0, SurveySkipped, ReasonNoAddress, nil, 0},
		{"no sender", communication.ErrNoSender, 0, SurveyPending, "send:no_sender", satPtr(now.Add(cfg.RetryDelay)), 1},
		{"bad template", crmtype.Invalid("data.x", "is missing"), 1, SurveyPending, "send:invalid:data.x",
			satPtr(now.Add(2 * cfg.RetryDelay)), 2},
		{"not found", crmtype.ErrNotFound, 3, SurveyPending, "send:not_found", satPtr(now.Add(8 * cfg.RetryDelay)), 4},
		{"last", errors.New("smtp: 550"), cfg.MaxAttempts - 1, SurveyFailed, "send:error", nil, cfg.MaxAttempts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := SatisfactionRecord{Attempts: tc.attempts}
			s.classifySendError(&cfg, &rec, tc.err)
			require.Equal(t, tc.state, rec.State)
			require.Equal(t, tc.reason, rec.Reason)
			require.Equal(t, tc.hold, rec.HoldUntil)
			require.Equal(t, tc.tries, rec.Attempts)
		})
	}
	// The wait doubles up to its cap.
	rec := SatisfactionRecord{Attempts: 20}
	big := cfg
	big.MaxAttempts = 100
	s.classifySendError(&big, &rec, errors.New("x"))
	require.Equal(t, now.Add(MaxSatisfactionRetryDelay), *rec.HoldUntil)
}

func TestSatisfactionKinds(t *testing.T) {
	for q, k := range map[communication.QuestionKind]SatisfactionKind{communication.QuestionNPS: KindNPS,
		communication.QuestionRating: KindCSAT, communication.QuestionCES: KindCES} {
		got, ok := SatisfactionKindOf(q)
		require.True(t, ok)
		require.Equal(t, k, got)
		require.Equal(t, q, k.QuestionKind())
	}
	_, ok := SatisfactionKindOf(communication.QuestionText)
	require.False(t, ok)
}

func satPtr(t time.Time) *time.Time { return &t }
