package tiers_test

import (
	"testing"

	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCatalogIsOrderedAndConsistent(t *testing.T) {
	all := tiers.All()
	require.Len(t, all, 4)
	for i, tr := range all {
		assert.Positive(t, tr.RateLimit, tr.Name)
		assert.Positive(t, tr.MaxFileBytes, tr.Name)
		assert.Less(t, tr.MaxFileBytes, tr.StorageBytes, "a file fits in the storage of %s", tr.Name)
		assert.GreaterOrEqual(t, float64(tr.Burst), tr.RateLimit, "burst of %s must cover one second of its rate", tr.Name)
		if i > 0 {
			prev := all[i-1]
			assert.Greater(t, tr.RateLimit, prev.RateLimit, "%s must allow more than %s", tr.Name, prev.Name)
			assert.Greater(t, tr.MonthlyQuota, prev.MonthlyQuota)
			assert.Greater(t, tr.StorageBytes, prev.StorageBytes)
			assert.GreaterOrEqual(t, tr.MaxFileBytes, prev.MaxFileBytes)
		}
		assert.Equal(t, tr.Isolation == tiers.Silo, tr.Has(tiers.FeatureDedicatedStack), "only silo tiers get a dedicated stack: %s", tr.Name)
	}
}

func TestAllReturnsACopy(t *testing.T) {
	a := tiers.All()
	a[0].RateLimit = 1e9
	a[1].Features[0] = "hacked"
	assert.Equal(t, 10.0, tiers.MustGet(tiers.Basic).RateLimit)
	assert.True(t, tiers.MustGet(tiers.Standard).Has(tiers.FeatureBranding))
}

func TestParse(t *testing.T) {
	n, err := tiers.Parse("premium")
	require.NoError(t, err)
	assert.Equal(t, tiers.Premium, n)
	for _, bad := range []string{"", "Premium", "gold"} {
		_, err := tiers.Parse(bad)
		assert.Error(t, err, bad)
	}
}

func TestEveryPaidTierHasOnePriceAndBasicIsFree(t *testing.T) {
	_, ok := tiers.PriceOf(tiers.Basic)
	assert.False(t, ok, "Basic is free: no subscription")
	keys := map[string]bool{}
	for _, tr := range tiers.All() {
		p, ok := tiers.PriceOf(tr.Name)
		assert.Equal(t, !tr.Free(), ok, tr.Name)
		if !ok {
			continue
		}
		assert.Equal(t, int64(tr.PriceUSD)*100, p.AmountCents, "the price is the catalog's list price")
		assert.Equal(t, "month", p.Interval)
		assert.False(t, keys[p.LookupKey], "lookup keys are unique")
		keys[p.LookupKey] = true
		back, ok := tiers.ByLookupKey(p.LookupKey)
		assert.True(t, ok)
		assert.Equal(t, tr.Name, back.Tier)
	}
	assert.Len(t, tiers.Prices(), 3)
}
