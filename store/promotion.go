package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/marketing"
)

var _ marketing.PromotionStore = (*Store)(nil)

type offerRow struct {
	bun.BaseModel `bun:"table:crm_promo_offers,alias:po"`

	WorkspaceID      string     `bun:"workspace_id,pk"`
	ID               crmtype.ID `bun:"id,pk,type:uuid"`
	CampaignID       crmtype.ID `bun:"campaign_id,type:uuid"`
	Name             string     `bun:"name"`
	PercentBP        int        `bun:"percent_bp"`
	AmountOff        int64      `bun:"amount_off_minor"`
	MaxDiscount      int64      `bun:"max_discount_minor"`
	Currency         string     `bun:"currency"`
	MinSpend         int64      `bun:"min_spend_minor"`
	ValidFrom        *time.Time `bun:"valid_from"`
	ValidTo          *time.Time `bun:"valid_to"`
	PerCustomerLimit int        `bun:"per_customer_limit"`
	TotalLimit       int        `bun:"total_limit"`
	CodePolicy       string     `bun:"code_policy"`
	SharedCode       string     `bun:"shared_code"`
	RecordCost       bool       `bun:"record_cost"`
	Redemptions      int        `bun:"redemptions"`
	Version          int64      `bun:"version"`
	CreatedAt        time.Time  `bun:"created_at"`
	UpdatedAt        time.Time  `bun:"updated_at"`
}

func toOfferRow(sc crmtype.Scope, o *marketing.Offer) *offerRow {
	return &offerRow{WorkspaceID: string(sc.Workspace), ID: o.ID, CampaignID: o.CampaignID, Name: o.Name,
		PercentBP: o.Discount.PercentBP, AmountOff: o.Discount.AmountOff, MaxDiscount: o.Discount.MaxDiscount,
		Currency: o.Currency, MinSpend: o.MinSpend, ValidFrom: timePtr(o.ValidFrom), ValidTo: timePtr(o.ValidTo),
		PerCustomerLimit: o.PerCustomerLimit, TotalLimit: o.TotalLimit, CodePolicy: string(o.CodePolicy),
		SharedCode: o.SharedCode, RecordCost: o.RecordCost, Redemptions: o.Redemptions, Version: o.Version,
		CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC()}
}

func (r *offerRow) toOffer() *marketing.Offer {
	o := &marketing.Offer{ID: r.ID, CampaignID: r.CampaignID, Name: r.Name,
		Discount: marketing.Discount{PercentBP: r.PercentBP, AmountOff: r.AmountOff, MaxDiscount: r.MaxDiscount},
		Currency: r.Currency, MinSpend: r.MinSpend, PerCustomerLimit: r.PerCustomerLimit, TotalLimit: r.TotalLimit,
		CodePolicy: marketing.CodePolicy(r.CodePolicy), SharedCode: r.SharedCode, RecordCost: r.RecordCost,
		Redemptions: r.Redemptions, Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.ValidFrom != nil {
		o.ValidFrom = r.ValidFrom.UTC()
	}
	if r.ValidTo != nil {
		o.ValidTo = r.ValidTo.UTC()
	}
	return o
}

type promoCodeRow struct {
	bun.BaseModel `bun:"table:crm_promo_codes,alias:pc"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	Code        string     `bun:"code,pk"`
	OfferID     crmtype.ID `bun:"offer_id,type:uuid"`
	BatchID     crmtype.ID `bun:"batch_id,type:uuid"`
	SingleUse   bool       `bun:"single_use"`
	RedeemedAt  *time.Time `bun:"redeemed_at"`
	Redemptions int        `bun:"redemptions"`
	CreatedAt   time.Time  `bun:"created_at"`
}

func (r *promoCodeRow) toCode() *marketing.Code {
	c := &marketing.Code{Code: r.Code, OfferID: r.OfferID, BatchID: r.BatchID, SingleUse: r.SingleUse,
		Status: marketing.CodeUnused, Redemptions: r.Redemptions, CreatedAt: r.CreatedAt.UTC()}
	if r.RedeemedAt != nil {
		c.RedeemedAt = r.RedeemedAt.UTC()
	}
	if r.Redemptions > 0 {
		c.Status = marketing.CodeRedeemed
	}
	return c
}

type redemptionRow struct {
	bun.BaseModel `bun:"table:crm_promo_redemptions,alias:pr"`

	WorkspaceID   string     `bun:"workspace_id,pk"`
	ID            crmtype.ID `bun:"id,pk,type:uuid"`
	OfferID       crmtype.ID `bun:"offer_id,type:uuid"`
	CampaignID    crmtype.ID `bun:"campaign_id,type:uuid"`
	Code          string     `bun:"code"`
	SingleUse     bool       `bun:"single_use"`
	CustomerID    crmtype.ID `bun:"customer_id,type:uuid"`
	PurchaseID    crmtype.ID `bun:"purchase_id,type:uuid"`
	PurchaseMinor int64      `bun:"purchase_minor"`
	DiscountMinor int64      `bun:"discount_minor"`
	Currency      string     `bun:"currency"`
	CostID        crmtype.ID `bun:"cost_id,type:uuid"`
	RedeemedAt    time.Time  `bun:"redeemed_at"`
}

func (r *redemptionRow) toRedemption() *marketing.Redemption {
	return &marketing.Redemption{ID: r.ID, OfferID: r.OfferID, CampaignID: r.CampaignID, Code: r.Code, CustomerID: r.CustomerID,
		PurchaseID: r.PurchaseID, Purchase: crmtype.Money{Minor: r.PurchaseMinor, Currency: r.Currency},
		Discount: crmtype.Money{Minor: r.DiscountMinor, Currency: r.Currency}, CostID: r.CostID, RedeemedAt: r.RedeemedAt.UTC()}
}

// checkOfferName returns ErrConflict when another offer of o's campaign
// has the name.
func (s *Store) checkOfferName(ctx context.Context, sc crmtype.Scope, o *marketing.Offer) error {
	taken, err := where(s.db.NewSelect().Model((*offerRow)(nil)).Where("po.campaign_id = ?", o.CampaignID).
		Where("po.name = ?", o.Name).Where("po.id <> ?", o.ID), "po", sc).Exists(ctx)
	if err != nil {
		return err
	}
	if taken {
		return &crmtype.ConflictError{Resource: "offer", Field: "name", Reason: fmt.Sprintf("%q is the name of another offer of the campaign", o.Name)}
	}
	return nil
}

// InsertOffer implements marketing.PromotionStore.
func (s *Store) InsertOffer(ctx context.Context, sc crmtype.Scope, o *marketing.Offer, code *marketing.Code, ev crmtype.Event) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		ok, err := where(tx.db.NewSelect().Model((*campaignRow)(nil)).Where("cmp.id = ?", o.CampaignID), "cmp", sc).Exists(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("campaign %s: %w", o.CampaignID, crmtype.ErrNotFound)
		}
		if err := tx.checkOfferName(ctx, sc, o); err != nil {
			return err
		}
		if _, err := tx.db.NewInsert().Model(toOfferRow(sc, o)).Exec(ctx); err != nil {
			return mapError(err)
		}
		if code != nil {
			row := &promoCodeRow{WorkspaceID: string(sc.Workspace), Code: code.Code, OfferID: o.ID, BatchID: code.BatchID,
				CreatedAt: code.CreatedAt.UTC()}
			res, err := tx.db.NewInsert().Model(row).On("CONFLICT DO NOTHING").Exec(ctx)
			if err != nil {
				return mapError(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return &crmtype.ConflictError{Resource: "offer", Field: "code", Value: code.Code, Reason: "is a code of the workspace already"}
			}
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev})
	})
}

// GetOffer implements marketing.PromotionStore.
func (s *Store) GetOffer(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*marketing.Offer, error) {
	var row offerRow
	if err := where(s.db.NewSelect().Model(&row).Where("po.id = ?", id), "po", sc).Scan(ctx); err != nil {
		return nil, fmt.Errorf("offer %s: %w", id, mapError(err))
	}
	return row.toOffer(), nil
}

// lockOffer reads offer id, locking its row on PostgreSQL until the
// transaction ends (SQLite's immediate transactions already exclude every
// other writer).
func (s *Store) lockOffer(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*offerRow, error) {
	var row offerRow
	q := s.db.NewSelect().Model(&row).Where("po.id = ?", id)
	if s.pg {
		q = q.For("UPDATE")
	}
	if err := where(q, "po", sc).Scan(ctx); err != nil {
		return nil, fmt.Errorf("offer %s: %w", id, mapError(err))
	}
	return &row, nil
}

// ChangeOffer implements marketing.PromotionStore.
func (s *Store) ChangeOffer(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(o *marketing.Offer) ([]crmtype.Event, error)) (*marketing.Offer, error) {
	var out *marketing.Offer
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		row, err := tx.lockOffer(ctx, sc, id)
		if err != nil {
			return err
		}
		if row.Version != version {
			return &crmtype.ConflictError{Resource: "offer", Field: "version", HeldBy: id,
				Reason: fmt.Sprintf("is %d, not %d: the offer changed since it was read", row.Version, version)}
		}
		o := row.toOffer()
		evs, err := change(o)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			out = row.toOffer()
			return nil
		}
		// What an update does not change.
		o.ID, o.CampaignID, o.Currency, o.CodePolicy, o.SharedCode = row.ID, row.CampaignID, row.Currency, marketing.CodePolicy(row.CodePolicy), row.SharedCode
		o.Redemptions, o.CreatedAt, o.Version = row.Redemptions, row.CreatedAt.UTC(), row.Version+1
		if o.Name != row.Name {
			if err := tx.checkOfferName(ctx, sc, o); err != nil {
				return err
			}
		}
		if _, err := where(tx.db.NewUpdate().Model(toOfferRow(sc, o)).
			ExcludeColumn("workspace_id", "id", "campaign_id", "currency", "code_policy", "shared_code", "redemptions", "created_at").
			Where("po.id = ?", id), "po", sc).Exec(ctx); err != nil {
			return mapError(err)
		}
		out = o
		return tx.appendEvents(ctx, sc, evs)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type offerCursor struct {
	Name string     `json:"n"`
	ID   crmtype.ID `json:"i"`
}

// ListOffers implements marketing.PromotionStore.
func (s *Store) ListOffers(ctx context.Context, sc crmtype.Scope, p marketing.OfferListParams, limit int) (crmtype.Page[*marketing.Offer], error) {
	var page crmtype.Page[*marketing.Offer]
	var rows []offerRow
	q := s.db.NewSelect().Model(&rows)
	if !p.CampaignID.IsZero() {
		q = q.Where("po.campaign_id = ?", p.CampaignID)
	}
	if p.After != "" {
		var cur offerCursor
		if err := crmtype.DecodeCursor(p.After, &cur); err != nil {
			return page, err
		}
		if cur.ID.IsZero() {
			return page, crmtype.Invalid("cursor", "is malformed")
		}
		q = q.Where("po.name > ? OR (po.name = ? AND po.id > ?)", cur.Name, cur.Name, cur.ID)
	}
	if err := where(q, "po", sc).OrderExpr("po.name, po.id").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.Next = crmtype.EncodeCursor(offerCursor{Name: last.Name, ID: last.ID})
	}
	for i := range rows {
		page.Items = append(page.Items, rows[i].toOffer())
	}
	return page, nil
}

// codeChunk is how many codes one INSERT carries.
const codeChunk = batchRows

// InsertCodes implements marketing.PromotionStore. Each chunk goes in
// with ON CONFLICT DO NOTHING; when it stores fewer rows than it carries
// (a generated code the workspace holds already: with 2^49 or more
// possible codes, rare), the codes of this batch that did go in are read
// back and the missing ones drawn again.
func (s *Store) InsertCodes(ctx context.Context, sc crmtype.Scope, p marketing.NewCodes, ev crmtype.Event) ([]string, error) {
	out := make([]string, 0, p.N)
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		ok, err := where(tx.db.NewSelect().Model((*offerRow)(nil)).Where("po.id = ?", p.OfferID), "po", sc).Exists(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("offer %s: %w", p.OfferID, crmtype.ErrNotFound)
		}
		seen := make(map[string]struct{}, p.N)
		rows := make([]promoCodeRow, 0, min(codeChunk, p.N))
		at := p.CreatedAt.UTC()
		misses := 0
		for len(out) < p.N {
			rows = rows[:0]
			for want := min(codeChunk, p.N-len(out)); len(rows) < want; {
				c := p.Generate()
				if _, dup := seen[c]; dup {
					continue
				}
				seen[c] = struct{}{}
				rows = append(rows, promoCodeRow{WorkspaceID: string(sc.Workspace), Code: c, OfferID: p.OfferID,
					BatchID: p.BatchID, SingleUse: true, CreatedAt: at})
			}
			res, err := tx.db.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Exec(ctx)
			if err != nil {
				return mapError(err)
			}
			if n, _ := res.RowsAffected(); int(n) == len(rows) {
				for i := range rows {
					out = append(out, rows[i].Code)
				}
				continue
			}
			if misses++; misses > 100 {
				return fmt.Errorf("generate codes: too many collisions: the code space is nearly full")
			}
			codes := make([]string, len(rows))
			for i := range rows {
				codes[i] = rows[i].Code
			}
			var stored []string
			q := tx.db.NewSelect().Model((*promoCodeRow)(nil)).Column("pc.code").Where("pc.batch_id = ?", p.BatchID).
				Where("pc.code IN (?)", bun.In(codes))
			if err := where(q, "pc", sc).Scan(ctx, &stored); err != nil {
				return err
			}
			out = append(out, stored...)
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type codeCursor struct {
	Code string `json:"c"`
}

// ListCodes implements marketing.PromotionStore.
func (s *Store) ListCodes(ctx context.Context, sc crmtype.Scope, id crmtype.ID, p marketing.CodeListParams, limit int) (crmtype.Page[*marketing.Code], error) {
	var page crmtype.Page[*marketing.Code]
	if _, err := s.GetOffer(ctx, sc, id); err != nil {
		return page, err
	}
	var rows []promoCodeRow
	q := s.db.NewSelect().Model(&rows).Where("pc.offer_id = ?", id)
	switch p.Status {
	case marketing.CodeUnused:
		q = q.Where("pc.redemptions = 0")
	case marketing.CodeRedeemed:
		q = q.Where("pc.redemptions > 0")
	}
	if p.After != "" {
		var cur codeCursor
		if err := crmtype.DecodeCursor(p.After, &cur); err != nil {
			return page, err
		}
		q = q.Where("pc.code > ?", cur.Code)
	}
	if err := where(q, "pc", sc).OrderExpr("pc.code").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = crmtype.EncodeCursor(codeCursor{Code: rows[len(rows)-1].Code})
	}
	for i := range rows {
		page.Items = append(page.Items, rows[i].toCode())
	}
	return page, nil
}

// Redeem implements marketing.PromotionStore. Every redemption of an
// offer locks the offer's row first (PostgreSQL: SELECT ... FOR UPDATE;
// SQLite: the immediate transaction holds the database's write lock), so
// redemptions of one offer run one after another and each reads the
// counts the previous one committed. The conditional update of a
// single-use code (WHERE redeemed_at IS NULL) and the unique keys of
// crm_promo_redemptions hold the invariants even without the lock.
func (s *Store) Redeem(ctx context.Context, sc crmtype.Scope, code string, purchaseID, customerID crmtype.ID, decide func(marketing.RedeemCheck) (*marketing.RedeemPlan, error)) (*marketing.Redemption, error) {
	var out *marketing.Redemption
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var cr promoCodeRow
		readCode := func() error {
			err := where(tx.db.NewSelect().Model(&cr).Where("pc.code = ?", code), "pc", sc).Scan(ctx)
			if errors.Is(err, sql.ErrNoRows) {
				return crmtype.Invalid("code", "is not a code of this workspace")
			}
			return err
		}
		if err := readCode(); err != nil {
			return err
		}
		or, err := tx.lockOffer(ctx, sc, cr.OfferID)
		if err != nil {
			return err
		}
		if tx.pg { // read the code again: a redemption may have committed while we waited for the lock
			if err := readCode(); err != nil {
				return err
			}
		}
		var pu purchaseRow
		if err := where(tx.db.NewSelect().Model(&pu).Where("p.id = ?", purchaseID), "p", sc).Scan(ctx); err != nil {
			return fmt.Errorf("purchase %s: %w", purchaseID, mapError(err))
		}
		n, err := where(tx.db.NewSelect().Model((*redemptionRow)(nil)).Where("pr.offer_id = ?", cr.OfferID).
			Where("pr.customer_id = ?", customerID), "pr", sc).Count(ctx)
		if err != nil {
			return err
		}
		used, err := where(tx.db.NewSelect().Model((*redemptionRow)(nil)).Where("pr.offer_id = ?", cr.OfferID).
			Where("pr.purchase_id = ?", purchaseID), "pr", sc).Exists(ctx)
		if err != nil {
			return err
		}
		plan, err := decide(marketing.RedeemCheck{Offer: or.toOffer(), Code: cr.toCode(), Purchase: pu.toPurchase(),
			CustomerRedemptions: int(n), PurchaseRedeemed: used})
		if err != nil {
			return err
		}
		r := plan.Redemption
		at := r.RedeemedAt.UTC()
		uq := tx.db.NewUpdate().Model((*promoCodeRow)(nil)).Set("redemptions = pc.redemptions + 1").
			Set("redeemed_at = COALESCE(pc.redeemed_at, ?)", at).Where("pc.code = ?", code)
		if cr.SingleUse {
			uq = uq.Where("pc.redeemed_at IS NULL")
		}
		res, err := where(uq, "pc", sc).Exec(ctx)
		if err != nil {
			return mapError(err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return &crmtype.ConflictError{Resource: "offer", Field: "code", Value: code, Reason: "is used up: a single-use code is redeemed once"}
		}
		if _, err := where(tx.db.NewUpdate().Model((*offerRow)(nil)).Set("redemptions = po.redemptions + 1").
			Where("po.id = ?", or.ID), "po", sc).Exec(ctx); err != nil {
			return mapError(err)
		}
		if plan.Cost != nil {
			if _, _, err := tx.InsertCost(ctx, sc, plan.Cost, plan.CostEvent); err != nil {
				return fmt.Errorf("cost line: %w", err)
			}
		}
		row := &redemptionRow{WorkspaceID: string(sc.Workspace), ID: r.ID, OfferID: r.OfferID, CampaignID: r.CampaignID,
			Code: r.Code, SingleUse: cr.SingleUse, CustomerID: r.CustomerID, PurchaseID: r.PurchaseID,
			PurchaseMinor: r.Purchase.Minor, DiscountMinor: r.Discount.Minor, Currency: r.Discount.Currency, CostID: r.CostID, RedeemedAt: at}
		if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
			if constraintKind(err) == "unique" {
				field := "purchase_id"
				if cr.SingleUse {
					field = "code"
				}
				return &crmtype.ConflictError{Resource: "offer", Field: field, Reason: "is redeemed already (a concurrent redemption)"}
			}
			return mapError(err)
		}
		out = row.toRedemption()
		return tx.appendEvents(ctx, sc, []crmtype.Event{plan.Event})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type redemptionCursor struct {
	At time.Time  `json:"t"`
	ID crmtype.ID `json:"i"`
}

// ListRedemptions implements marketing.PromotionStore.
func (s *Store) ListRedemptions(ctx context.Context, sc crmtype.Scope, p marketing.RedemptionListParams, limit int) (crmtype.Page[*marketing.Redemption], error) {
	var page crmtype.Page[*marketing.Redemption]
	if !p.OfferID.IsZero() {
		if _, err := s.GetOffer(ctx, sc, p.OfferID); err != nil {
			return page, err
		}
	}
	var rows []redemptionRow
	q := s.db.NewSelect().Model(&rows)
	if !p.OfferID.IsZero() {
		q = q.Where("pr.offer_id = ?", p.OfferID)
	}
	if !p.CustomerID.IsZero() {
		q = q.Where("pr.customer_id = ?", p.CustomerID)
	}
	if p.After != "" {
		var cur redemptionCursor
		if err := crmtype.DecodeCursor(p.After, &cur); err != nil {
			return page, err
		}
		if cur.ID.IsZero() {
			return page, crmtype.Invalid("cursor", "is malformed")
		}
		q = q.Where("pr.redeemed_at > ? OR (pr.redeemed_at = ? AND pr.id > ?)", cur.At, cur.At, cur.ID)
	}
	if err := where(q, "pr", sc).OrderExpr("pr.redeemed_at, pr.id").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.Next = crmtype.EncodeCursor(redemptionCursor{At: last.RedeemedAt.UTC(), ID: last.ID})
	}
	for i := range rows {
		page.Items = append(page.Items, rows[i].toRedemption())
	}
	return page, nil
}
