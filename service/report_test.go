package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

func TestReportQuantileType7(t *testing.T) {
	// R: quantile(1:10, c(.5, .9)) = 5.5, 9.1. By hand, n = 10:
	// p = .5: h = 9·.5 = 4.5 → x[4] + .5·(x[5] − x[4]) = 5 + .5 = 5.5;
	// p = .9: h = 9·.9 = 8.1 → x[8] + .1·(x[9] − x[8]) = 9 + .1 = 9.1.
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	require.InDelta(t, 5.5, quantile(xs, 0.5), 1e-12)
	require.InDelta(t, 9.1, quantile(xs, 0.9), 1e-12)
	require.Equal(t, 1.0, quantile(xs, 0))
	require.Equal(t, 10.0, quantile(xs, 1))
	// n = 3: p = .5: h = 1 → x[1] = 2; p = .9: h = 1.8 → 2 + .8·(10 − 2) = 8.4.
	ys := []float64{0.5, 2, 10}
	require.InDelta(t, 2, quantile(ys, 0.5), 1e-12)
	require.InDelta(t, 8.4, quantile(ys, 0.9), 1e-12)
	// n = 2: p = .9: h = .9 → 1 + .9·(3 − 1) = 2.8. n = 1: the value.
	require.InDelta(t, 2.8, quantile([]float64{1, 3}, 0.9), 1e-12)
	require.Equal(t, 5.0, quantile([]float64{5}, 0.9))
}

func TestReportHolm(t *testing.T) {
	// R: p.adjust(c(.01, .04, .03, .005), "holm") = .03 .06 .06 .02. By
	// hand: sorted .005, .01, .03, .04 times 4, 3, 2, 1 = .02, .03, .06, .04;
	// running maximum .02, .03, .06, .06; back in the input order.
	got := holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		require.InDelta(t, want[i], got[i], 1e-12, "p[%d]", i)
	}
	// Capped at 1, and monotone: .6·2 = 1.2 → 1; .7·1 = .7 → max(1, .7) = 1.
	require.Equal(t, []float64{1, 1}, holm([]float64{0.6, 0.7}))
	require.Equal(t, []float64{0.2}, holm([]float64{0.2}))
	require.Empty(t, holm(nil))
}

func TestReportBuckets(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	from := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) // Friday 08:00 in Shanghai
	to := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	// December starts at 2026-12-01 00:00+08 = 2026-11-30 16:00Z.
	require.Equal(t, []time.Time{from, time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC), to}, monthBounds(from, to, sh))
	// Mondays 00:00+08: Nov 23, Nov 30, Dec 7 = the day before at 16:00Z.
	require.Equal(t, []time.Time{from, time.Date(2026, 11, 22, 16, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 29, 16, 0, 0, 0, time.UTC), time.Date(2026, 12, 6, 16, 0, 0, 0, time.UTC), to}, weekBounds(from, to, sh))
	// 2026 starts on a Thursday, so ISO week 1 starts Monday 2025-12-29;
	// Monday 2026-11-23 is 329 days = 47 weeks later: week 48. Friday
	// 2026-11-20 is in week 47.
	require.Equal(t, "2026-W47", isoWeek(from, sh))
	require.Equal(t, "2026-W48", isoWeek(time.Date(2026, 11, 22, 16, 0, 0, 0, time.UTC), sh))
	// Across Berlin's daylight-saving change (2026-10-25): October starts
	// at 00:00 CEST (+02) = Sep 30 22:00Z, November at 00:00 CET (+01) =
	// Oct 31 23:00Z.
	be, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	f2, t2 := time.Date(2026, 9, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
	require.Equal(t, []time.Time{f2, time.Date(2026, 9, 30, 22, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC), t2},
		monthBounds(f2, t2, be))
	// Mondays around the change: Oct 19 00:00 CEST = Oct 18 22:00Z, Oct 26
	// 00:00 CET = Oct 25 23:00Z.
	wb := weekBounds(time.Date(2026, 10, 18, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 27, 0, 0, 0, 0, time.UTC), be)
	require.Equal(t, []time.Time{time.Date(2026, 10, 18, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 18, 22, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 25, 23, 0, 0, 0, time.UTC), time.Date(2026, 10, 27, 0, 0, 0, 0, time.UTC)}, wb)
	// A period starting on a Monday at midnight: its first week is whole.
	mon := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	require.Equal(t, []time.Time{mon, mon.AddDate(0, 0, 7), mon.AddDate(0, 0, 8)}, weekBounds(mon, mon.AddDate(0, 0, 8), time.UTC))
}

func TestReportSolvedAndReopened(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	from, to := t0, t0.Add(24*time.Hour)
	st := func(h int, s Status) Activity {
		return Activity{At: t0.Add(time.Duration(h) * time.Hour), Kind: ActivityStatus, Status: s}
	}
	reply := Activity{At: t0.Add(2 * time.Hour), Kind: ActivityCustomerReply}
	for name, c := range map[string]struct {
		act              []Activity
		solved, reopened bool
	}{
		"never solved":                {[]Activity{st(1, StatusOpen)}, false, false},
		"solved":                      {[]Activity{st(1, StatusSolved)}, true, false},
		"solved then closed":          {[]Activity{st(1, StatusSolved), st(3, StatusClosed)}, true, false},
		"reopened":                    {[]Activity{st(1, StatusSolved), reply, st(3, StatusOpen), st(4, StatusSolved)}, true, true},
		"reopened after the period":   {[]Activity{st(1, StatusSolved), st(30, StatusOpen)}, true, true},
		"solved before the period":    {[]Activity{st(-2, StatusSolved), st(3, StatusOpen)}, false, false},
		"solved after the period":     {[]Activity{st(25, StatusSolved), st(26, StatusOpen)}, false, false},
		"solved at from, not at to":   {[]Activity{st(0, StatusSolved), st(24, StatusSolved)}, true, false},
		"solved in, reopened, solved": {[]Activity{st(-2, StatusSolved), st(1, StatusOpen), st(5, StatusSolved)}, true, false},
	} {
		solved, reopened := solvedAndReopened(c.act, from, to)
		require.Equal(t, c.solved, solved, name)
		require.Equal(t, c.reopened, reopened, name)
	}
}

func TestReportBadInput(t *testing.T) {
	ctx := context.Background()
	svc := NewService(refusingStore{t: t}, "acme", Config{})
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	ok := func() ReportParams { return ReportParams{From: t0, To: t0.AddDate(0, 1, 0)} }
	for field, mod := range map[string]func(p *ReportParams){
		"from":        func(p *ReportParams) { p.From = time.Time{} },
		"to":          func(p *ReportParams) { p.From, p.To = p.To, p.From },
		"zone":        func(p *ReportParams) { p.Zone = "Mars/Olympus" },
		"level":       func(p *ReportParams) { p.Level = 1 },
		"alpha":       func(p *ReportParams) { p.Alpha = -0.1 },
		"fall_window": func(p *ReportParams) { p.FallWindow = -time.Hour },
	} {
		p := ok()
		mod(&p)
		_, err := svc.Report(ctx, p)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve), "%s: %v", field, err)
		require.Equal(t, field, ve.Field)
		require.ErrorIs(t, err, crmtype.ErrInvalid)
	}
	for _, p := range []ReportParams{{From: t0, To: t0}, {From: t0, To: t0.Add(MaxReportPeriod + time.Hour)}, {To: t0}} {
		_, err := svc.Report(ctx, p)
		require.ErrorIs(t, err, crmtype.ErrInvalid)
	}
	for _, lvl := range []float64{-0.5, 1.5} {
		p := ok()
		p.Level = lvl
		_, err := svc.Report(ctx, p)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve))
		require.Equal(t, "level", ve.Field)
	}
	_, err := NewService(refusingStore{t: t}, "", Config{}).Report(ctx, ok())
	require.ErrorIs(t, err, crmtype.ErrNoWorkspace)
}
