package dedup

import (
	"context"
	"testing"
)

func TestDebugSynth(t *testing.T) {
	recs, ent := synth(20000, 42)
	res, err := Find(context.Background(), recs, Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, r, f1 := quality(res, ent)
	t.Logf("cmp %d p %.4f r %.4f f1 %.4f oversize %d", res.Stats.Comparisons, p, r, f1, res.Stats.OversizeBlocks)
	for _, f := range res.Model.Fields {
		t.Logf("  %-12s m=%.4f u=%.5f", f.Name, f.M, f.U)
	}
	t.Logf("prior %.5f", res.Model.Prior)
	n := 0
	for _, pr := range res.Pairs {
		if ent[pr.A] != ent[pr.B] && n < 8 {
			n++
			t.Logf("FP %+v | %+v\n   %s %.3f", recs[pr.A], recs[pr.B], pr.String(), pr.Probability)
		}
	}
}
