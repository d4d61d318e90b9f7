package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
)

// rawPromoCode is a crm_promo_codes row as plain bun writes it.
type rawPromoCode struct {
	bun.BaseModel `bun:"table:crm_promo_codes,alias:pc"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	Code        string     `bun:"code,pk"`
	OfferID     crmtype.ID `bun:"offer_id,type:uuid"`
	BatchID     crmtype.ID `bun:"batch_id,type:uuid"`
	SingleUse   bool       `bun:"single_use"`
	CreatedAt   time.Time  `bun:"created_at"`
}

// BenchmarkGenerateCodes measures GenerateCodes of 100,000 single-use
// codes ("sdk": validation, crypto/rand, ON CONFLICT DO NOTHING inserts of
// 500 rows, the event) beside "raw": the same rows, drawn by the same
// generator, stored by plain bun multi-row inserts of 500 rows in one
// transaction. Each has its own database, so neither inserts into a table
// the other has grown.
//
//	go test ./store -run '^$' -bench GenerateCodes -benchtime 3x
func BenchmarkGenerateCodes(b *testing.B) {
	const n = 100_000
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			offer := func(db *bun.DB) (*marketing.Service, *marketing.Offer) {
				ctx := context.Background()
				mkt := benchClient(b, db).Marketing
				c, err := mkt.CreateCampaign(ctx, marketing.CampaignParams{Name: "Bench", Type: marketing.TypePromotion, Currency: "USD"})
				if err != nil {
					b.Fatal(err)
				}
				o, err := mkt.CreateOffer(ctx, marketing.OfferParams{CampaignID: c.ID, Name: "Ten off",
					Discount: marketing.Discount{PercentBP: 1000}, CodePolicy: marketing.CodeSingleUse})
				if err != nil {
					b.Fatal(err)
				}
				return mkt, o
			}
			b.Run("raw", func(b *testing.B) {
				ctx := context.Background()
				db := dbtest.Open(b, kind)
				_, o := offer(db)
				rows := make([]rawPromoCode, n)
				codes := 0
				for b.Loop() {
					gen := marketing.NewCodeGenerator("", marketing.DefaultCodeLength)
					now := time.Now().UTC()
					batch := crmtype.NewID(now)
					for i := range rows {
						rows[i] = rawPromoCode{WorkspaceID: benchWorkspace, Code: gen(), OfferID: o.ID, BatchID: batch, SingleUse: true, CreatedAt: now}
					}
					err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
						for i := 0; i < len(rows); i += 500 {
							chunk := rows[i:min(i+500, len(rows))]
							if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
					codes += n
				}
				b.ReportMetric(float64(codes)/b.Elapsed().Seconds(), "codes/s")
			})
			b.Run("sdk", func(b *testing.B) {
				ctx := context.Background()
				db := dbtest.Open(b, kind)
				mkt, o := offer(db)
				codes := 0
				for b.Loop() {
					batch, err := mkt.GenerateCodes(ctx, o.ID, n, marketing.CodeParams{})
					if err != nil {
						b.Fatal(err)
					}
					if len(batch.Codes) != n {
						b.Fatalf("%d codes, want %d", len(batch.Codes), n)
					}
					codes += n
				}
				b.ReportMetric(float64(codes)/b.Elapsed().Seconds(), "codes/s")
			})
		})
	}
}
