package customer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

func TestPlanMergeRules(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &Customer{ID: crmtype.NewID(t0), Kind: Person, Name: "Ann", Stage: StageLead, Tags: []string{"x"},
		Attributes: map[string]any{"n": 1.0}, UpdatedAt: t0, CreatedAt: t0,
		Identities: []Identity{{ID: crmtype.NewID(t0), Kind: Email, Value: "a@x.io"}}}
	b := &Customer{ID: crmtype.NewID(t0.Add(time.Second)), Kind: Person, Name: "Ann Marie Lee", Locale: "en",
		Address: Address{City: "Oslo"}, Stage: StageCustomer, Tags: []string{"y", "x"}, UpdatedAt: t0.Add(time.Hour), CreatedAt: t0.Add(time.Second),
		Identities: []Identity{{ID: crmtype.NewID(t0), Kind: Phone, Value: "+4722222222"}}}
	c := &Customer{ID: crmtype.NewID(t0.Add(2 * time.Second)), Kind: Person, Name: "A. Lee",
		Address: Address{City: "Bergen", Line1: "Main 1"}, Stage: StageProspect, UpdatedAt: t0.Add(2 * time.Hour), CreatedAt: t0.Add(2 * time.Second)}

	get := func(pv *MergePreview, f string) FieldChoice {
		for _, fc := range pv.Fields {
			if fc.Field == f {
				return fc
			}
		}
		t.Fatalf("no %s", f)
		return FieldChoice{}
	}
	pv, err := planMerge([]*Customer{a, b, c}, PreferSurvivor, nil)
	require.NoError(t, err)
	require.Equal(t, "Ann", pv.Result.Name)
	require.Equal(t, "Bergen", pv.Result.Address.City, "survivor empty: most recent")
	require.Equal(t, "en", pv.Result.Locale)
	require.Equal(t, "only value", get(pv, "locale").Reason)
	require.Equal(t, []string{"x", "y"}, pv.Result.Tags)
	require.Len(t, pv.Result.Identities, 2)
	require.Equal(t, a.ID, pv.Result.Identities[1].CustomerID)
	require.Equal(t, 1.0, pv.Result.Attributes["n"])
	require.Equal(t, []crmtype.ID{b.ID, c.ID}, pv.Absorbed)

	pv, err = planMerge([]*Customer{a, b, c}, MostRecent, map[string]crmtype.ID{"stage": a.ID})
	require.NoError(t, err)
	require.Equal(t, "A. Lee", pv.Result.Name)
	require.Equal(t, StageLead, pv.Result.Stage)
	require.Equal(t, "override", get(pv, "stage").Reason)

	pv, err = planMerge([]*Customer{a, b, c}, MostComplete, nil)
	require.NoError(t, err)
	require.Equal(t, "Ann Marie Lee", pv.Result.Name)
	require.Equal(t, "Bergen", pv.Result.Address.City, "two lines beat one")
	require.Equal(t, c.ID, chooseSurvivor([]*Customer{a, b, c}, SurvivorMostRecent))
	require.Equal(t, a.ID, chooseSurvivor([]*Customer{c, b, a}, SurvivorOldest))
	require.Equal(t, b.ID, chooseSurvivor([]*Customer{a, b, c}, SurvivorMostComplete))
	require.Equal(t, "Ann", a.Name, "inputs are not changed")
	require.Equal(t, []string{"x"}, a.Tags)
}

func TestUnmergeFields(t *testing.T) {
	before := &Customer{Name: "Ann", Locale: "de", Attributes: map[string]any{"k": "old"}}
	after := &Customer{Name: "Ann Lee", Locale: "en", Attributes: map[string]any{"k": "new", "m": 2.0}}
	cur := &Customer{Name: "Ann Lee", Locale: "fr", Attributes: map[string]any{"k": "new", "m": 2.0}, Tags: []string{"t"}}
	got := UnmergeFields(cur, before, after)
	require.Equal(t, "Ann", got.Name, "unchanged since the merge: reverted")
	require.Equal(t, "fr", got.Locale, "changed since: kept")
	require.Equal(t, map[string]any{"k": "old"}, got.Attributes)
	require.Equal(t, []string{"t"}, got.Tags)
	require.Equal(t, "Ann Lee", cur.Name, "cur is not changed")
}
