package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/marketing"
	"github.com/uptrace/bun"
)

var _ marketing.AttributionStore = (*Store)(nil)

// attributionBatch is how many converting customers one round of
// AttributionJourneys reads.
var attributionBatch = 1000

// touchStatuses are the member statuses that are touches.
var touchStatuses = []string{string(marketing.MemberDelivered), string(marketing.MemberOpened), string(marketing.MemberClicked)}

type attrCampaign struct {
	ID          crmtype.ID `bun:"id"`
	Channel     string     `bun:"channel"`
	UTMCampaign string     `bun:"utm_campaign"`
}

type attrPurchase struct {
	ID          crmtype.ID `bun:"id"`
	CustomerID  crmtype.ID `bun:"customer_id"`
	OccurredAt  time.Time  `bun:"occurred_at"`
	AmountMinor int64      `bun:"amount_minor"`
	Currency    string     `bun:"currency"`
}

type attrLog struct {
	CustomerID crmtype.ID `bun:"customer_id"`
	CampaignID crmtype.ID `bun:"campaign_id"`
	Status     string     `bun:"status"`
	OccurredAt time.Time  `bun:"occurred_at"`
}

type attrInteraction struct {
	CustomerID crmtype.ID `bun:"customer_id"`
	CampaignID crmtype.ID `bun:"campaign_id"`
	Channel    string     `bun:"channel"`
	OccurredAt time.Time  `bun:"occurred_at"`
	Meta       string     `bun:"meta"`
}

// AttributionJourneys implements marketing.AttributionStore. It loads the
// workspace's campaigns (id, channel, UTM campaign) once, then, per batch
// of attributionBatch converting customers (keyset on customer_id), runs
// three range reads on the (workspace_id, customer_id, occurred_at, id)
// indexes of purchases, the member log and interactions, and groups them
// per customer in memory: memory is bounded by the batch, not the
// workspace.
func (s *Store) AttributionJourneys(ctx context.Context, sc crmtype.Scope, q marketing.JourneyQuery, fn func(j *marketing.Journey) error) error {
	var cmps []attrCampaign
	if err := where(s.db.NewSelect().Model((*campaignRow)(nil)).Column("cmp.id", "cmp.channel", "cmp.utm_campaign"), "cmp", sc).
		Scan(ctx, &cmps); err != nil {
		return err
	}
	channel := make(map[crmtype.ID]string, len(cmps))
	byUTM := map[string]crmtype.ID{}
	ambiguous := map[string]bool{}
	for _, c := range cmps {
		channel[c.ID] = c.Channel
		if c.UTMCampaign == "" {
			continue
		}
		if _, ok := byUTM[c.UTMCampaign]; ok {
			ambiguous[c.UTMCampaign] = true
		}
		byUTM[c.UTMCampaign] = c.ID
	}
	for k := range ambiguous {
		delete(byUTM, k)
	}
	touchFrom := q.From.Add(-q.Lookback)

	var (
		after     crmtype.ID
		first     = true
		ids       []crmtype.ID
		purchases []attrPurchase
		logs      []attrLog
		inters    []attrInteraction
		j         marketing.Journey
	)
	touches := map[crmtype.ID][]marketing.Touch{}
	for {
		// The next batch of converting customers.
		ids = ids[:0]
		bq := s.db.NewSelect().Model((*purchaseRow)(nil)).ColumnExpr("DISTINCT p.customer_id").
			Where("p.occurred_at >= ?", q.From).Where("p.occurred_at < ?", q.To)
		if !first {
			bq = bq.Where("p.customer_id > ?", after)
		}
		if err := where(bq, "p", sc).OrderExpr("p.customer_id").Limit(int64(attributionBatch)).Scan(ctx, &ids); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		last := ids[len(ids)-1]
		lo, hi := after, last

		// Their purchases in the window.
		purchases = purchases[:0]
		pq := s.db.NewSelect().Model((*purchaseRow)(nil)).Column("p.id", "p.customer_id", "p.occurred_at", "p.amount_minor", "p.currency").
			Where("p.occurred_at >= ?", q.From).Where("p.occurred_at < ?", q.To).Where("p.customer_id <= ?", hi)
		if !first {
			pq = pq.Where("p.customer_id > ?", lo)
		}
		if err := where(pq, "p", sc).OrderExpr("p.customer_id, p.occurred_at, p.id").Scan(ctx, &purchases); err != nil {
			return err
		}

		// Member log touches.
		logs = logs[:0]
		lq := s.db.NewSelect().Model((*memberLogRow)(nil)).Column("mlog.customer_id", "mlog.campaign_id", "mlog.status", "mlog.occurred_at").
			Where("mlog.status IN (?)", bun.In(touchStatuses)).
			Where("mlog.occurred_at >= ?", touchFrom).Where("mlog.occurred_at < ?", q.To).Where("mlog.customer_id <= ?", hi)
		if !first {
			lq = lq.Where("mlog.customer_id > ?", lo)
		}
		if err := where(lq, "mlog", sc).OrderExpr("mlog.customer_id, mlog.occurred_at, mlog.id").Scan(ctx, &logs); err != nil {
			return err
		}

		// Interactions tied to a campaign or tagged with a UTM campaign.
		inters = inters[:0]
		iq := s.db.NewSelect().Model((*interactionRow)(nil)).Column("i.customer_id", "i.campaign_id", "i.channel", "i.occurred_at").
			ColumnExpr("CASE WHEN i.campaign_id IS NULL THEN i.meta ELSE '' END AS meta").
			Where("i.occurred_at >= ?", touchFrom).Where("i.occurred_at < ?", q.To).Where("i.customer_id <= ?", hi).
			Where("(i.campaign_id IS NOT NULL OR i.meta LIKE ?)", `%"utm_campaign"%`)
		if !first {
			iq = iq.Where("i.customer_id > ?", lo)
		}
		if err := where(iq, "i", sc).OrderExpr("i.customer_id, i.occurred_at, i.id").Scan(ctx, &inters); err != nil {
			return err
		}

		// Group the touches per customer, in time order: member log
		// entries before interactions at the same instant.
		clear(touches)
		for _, l := range logs {
			ch, ok := channel[l.CampaignID]
			if !ok {
				continue
			}
			touches[l.CustomerID] = append(touches[l.CustomerID], marketing.Touch{CampaignID: l.CampaignID, Channel: ch,
				At: l.OccurredAt.UTC(), Kind: marketing.TouchKind(l.Status)})
		}
		for _, in := range inters {
			id := in.CampaignID
			if id.IsZero() {
				id = utmCampaign(in.Meta, byUTM)
			} else if _, ok := channel[id]; !ok {
				id = crmtype.ID{}
			}
			if id.IsZero() {
				continue
			}
			ts := touches[in.CustomerID]
			t := marketing.Touch{CampaignID: id, Channel: in.Channel, At: in.OccurredAt.UTC(), Kind: marketing.TouchInteraction}
			// insert after every touch at or before t (the member log
			// touches are sorted, and so are the interactions)
			k := len(ts)
			ts = append(ts, t)
			for k > 0 && ts[k-1].At.After(t.At) {
				ts[k] = ts[k-1]
				k--
			}
			ts[k] = t
			touches[in.CustomerID] = ts
		}

		for i := 0; i < len(purchases); {
			c := purchases[i].CustomerID
			j.CustomerID = c
			j.Conversions = j.Conversions[:0]
			for ; i < len(purchases) && purchases[i].CustomerID == c; i++ {
				p := &purchases[i]
				j.Conversions = append(j.Conversions, marketing.Conversion{ID: p.ID, CustomerID: c, At: p.OccurredAt.UTC(),
					Amount: crmtype.Money{Minor: p.AmountMinor, Currency: p.Currency}})
			}
			j.Touches = touches[c]
			if err := fn(&j); err != nil {
				return err
			}
		}
		if len(ids) < attributionBatch {
			return nil
		}
		after, first = last, false
	}
}

// utmCampaign returns the campaign whose UTM campaign is meta's
// "utm_campaign"; zero when none or several.
func utmCampaign(meta string, byUTM map[string]crmtype.ID) crmtype.ID {
	if meta == "" || !strings.Contains(meta, "utm_campaign") {
		return crmtype.ID{}
	}
	var m struct {
		UTMCampaign string `json:"utm_campaign"`
	}
	if err := json.Unmarshal([]byte(meta), &m); err != nil || m.UTMCampaign == "" {
		return crmtype.ID{}
	}
	return byUTM[m.UTMCampaign]
}
