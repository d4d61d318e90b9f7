package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
)

type templateRow struct {
	bun.BaseModel `bun:"table:crm_templates,alias:tp"`

	WorkspaceID string    `bun:"workspace_id,pk"`
	Key         string    `bun:"key,pk"`
	Channel     string    `bun:"channel,pk"`
	Locale      string    `bun:"locale,pk"`
	Subject     string    `bun:"subject"`
	Body        string    `bun:"body"`
	HTML        string    `bun:"html"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

func (r *templateRow) toTemplate() communication.Template {
	return communication.Template{Key: r.Key, Channel: communication.Channel(r.Channel), Locale: r.Locale,
		Subject: r.Subject, Body: r.Body, HTML: r.HTML}
}

func templateKey(key string, ch communication.Channel, locale string) string {
	return key + "/" + string(ch) + "/" + locale
}

// templateChanges lists the parts of a template that differ between
// before (nil: none) and after (nil: deleted).
func templateChanges(before, after *communication.Template) []crmtype.Change {
	var b, a communication.Template
	if before != nil {
		b = *before
	}
	if after != nil {
		a = *after
	}
	var out []crmtype.Change
	for _, f := range []struct{ k, b, a string }{{"subject", b.Subject, a.Subject}, {"body", b.Body, a.Body}, {"html", b.HTML, a.HTML}} {
		if f.b != f.a {
			out = append(out, crmtype.Change{Field: f.k, Before: f.b, After: f.a})
		}
	}
	return out
}

func (s *Store) templateRows(ctx context.Context, sc crmtype.Scope, key string, ch communication.Channel, locale *string) ([]templateRow, error) {
	var rows []templateRow
	q := s.db.NewSelect().Model(&rows).Where("tp.key = ?", key).Where("tp.channel = ?", string(ch))
	if locale != nil {
		q = q.Where("tp.locale = ?", *locale)
	}
	if s.pg && locale != nil {
		q = q.For("UPDATE")
	}
	err := where(q, "tp", sc).OrderExpr("tp.locale").Scan(ctx)
	return rows, err
}

// SaveTemplate implements communication.TemplateStore.
func (s *Store) SaveTemplate(ctx context.Context, sc crmtype.Scope, t communication.Template, now time.Time) (*communication.Template, error) {
	var prev *communication.Template
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		rows, err := tx.templateRows(ctx, sc, t.Key, t.Channel, &t.Locale)
		if err != nil {
			return err
		}
		row := templateRow{WorkspaceID: string(sc.Workspace), Key: t.Key, Channel: string(t.Channel), Locale: t.Locale,
			Subject: t.Subject, Body: t.Body, HTML: t.HTML, UpdatedAt: now}
		if len(rows) > 0 {
			p := rows[0].toTemplate()
			prev = &p
			q := tx.db.NewUpdate().Model(&row).Column("subject", "body", "html", "updated_at").WherePK()
			if _, err := where(q, "tp", sc).Exec(ctx); err != nil {
				return mapError(err)
			}
		} else if _, err := tx.db.NewInsert().Model(&row).Exec(ctx); err != nil {
			return mapError(err)
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: now, Type: communication.EventTemplateSaved,
			SubjectType: communication.SubjectTemplate, SubjectKey: templateKey(t.Key, t.Channel, t.Locale),
			Changes: templateChanges(prev, &t)}})
	})
	return prev, err
}

// Templates implements communication.TemplateStore.
func (s *Store) Templates(ctx context.Context, sc crmtype.Scope, key string, ch communication.Channel) ([]communication.Template, error) {
	rows, err := s.templateRows(ctx, sc, key, ch, nil)
	if err != nil {
		return nil, err
	}
	out := make([]communication.Template, len(rows))
	for i := range rows {
		out[i] = rows[i].toTemplate()
	}
	return out, nil
}

// DeleteTemplate implements communication.TemplateStore.
func (s *Store) DeleteTemplate(ctx context.Context, sc crmtype.Scope, key string, ch communication.Channel, locale string, now time.Time) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		rows, err := tx.templateRows(ctx, sc, key, ch, &locale)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return crmtype.ErrNotFound
		}
		q := tx.db.NewDelete().Model((*templateRow)(nil)).Where("tp.key = ?", key).Where("tp.channel = ?", string(ch)).Where("tp.locale = ?", locale)
		if _, err := where(q, "tp", sc).Exec(ctx); err != nil {
			return err
		}
		prev := rows[0].toTemplate()
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: now, Type: communication.EventTemplateDeleted,
			SubjectType: communication.SubjectTemplate, SubjectKey: templateKey(key, ch, locale),
			Changes: templateChanges(&prev, nil)}})
	})
}
