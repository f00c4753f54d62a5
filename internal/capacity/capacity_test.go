package capacity_test

import (
	"math"
	"net/url"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/capacity"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// design is a hand-written Design, so the arithmetic below does not move
// when the CDK app grows a resource.
func design() capacity.Design {
	return capacity.Design{
		PlatformResources: 300, PlatformOutputs: 10, PlatformRoles: 17, PlatformTables: 2, PlatformPools: 2,
		PlatformBuckets: 2, PooledGSIs: 6, UsagePlans: 4, APIResources: 49, APIMethods: 112, Functions: 10, EventRules: 3,
		StageRateLimit: 1000, AuthorizerTTL: 300, TokenHours: 1,
		TenantResources: 11, TenantRoles: 1, TenantTables: 1, TenantPools: 1, TenantAlarms: 3,
	}
}

func model(t *testing.T, p capacity.Profile) capacity.Model {
	t.Helper()
	m, err := capacity.New(design(), p)
	require.NoError(t, err)
	return m
}

func usage(t *testing.T, us []capacity.Usage, id string) capacity.Usage {
	t.Helper()
	for _, u := range us {
		if u.Quota.ID == id {
			return u
		}
	}
	t.Fatalf("no quota %s", id)
	return capacity.Usage{}
}

func only(n tiers.Name) map[tiers.Name]float64 { return map[tiers.Name]float64{n: 1} }

func TestHandComputedCases(t *testing.T) {
	cases := []struct {
		name    string
		profile capacity.Profile
		mix     map[tiers.Name]float64
		tenants float64
		quota   string
		used    float64 // at tenants
		binds   float64 // tenants at which the quota is full
	}{
		{"twenty Platinum tenants at 500 requests/s fill the 10,000 requests/s account throttle",
			capacity.Limit(), only(tiers.Platinum), 20, "apigw.account-throttle", 20 * 500, 20},
		{"a thousand Basic tenants at their 10 requests/s use a tenth of it",
			capacity.Limit(), only(tiers.Basic), 100, "apigw.account-throttle", 1000, 1000},
		{"the stage throttle is per method: the busiest route takes 30% of a Platinum tenant's 500 requests/s",
			capacity.Limit(), only(tiers.Platinum), 2, "apigw.method-throttle", 2 * 500 * 0.30, 1000 / 150.0},
		// typical Basic: 25% of 100,000 requests a 30-day month, ×4 at peak.
		{"a typical Basic tenant's peak is its quota share of the month",
			capacity.Typical(), only(tiers.Basic), 2592, "apigw.account-throttle", 2592 * 0.25 * 100000 * 4 / 2592000, 259200},
		{"every tenant has its own API key, 10,000 per Region",
			capacity.Typical(), map[tiers.Name]float64{tiers.Basic: 0.5, tiers.Platinum: 0.5}, 4000, "apigw.api-keys", 4000, 10000},
		{"a Platinum tenant adds a table to the pooled and control tables",
			capacity.Typical(), only(tiers.Platinum), 10, "dynamodb.tables", 12, 2498},
		{"a Platinum tenant adds a user pool to the shared and provider pools",
			capacity.Typical(), only(tiers.Platinum), 10, "cognito.user-pools", 12, 998},
		{"a Platinum tenant adds its pool's SMS role to 17 platform and 5 bootstrap roles",
			capacity.Typical(), only(tiers.Platinum), 100, "iam.roles", 122, 978},
		{"a Platinum tenant adds a stack to the platform's and CDKToolkit",
			capacity.Typical(), only(tiers.Platinum), 100, "cfn.stacks", 102, 1998},
		{"pooled tenants add no table",
			capacity.Typical(), only(tiers.Premium), 100, "dynamodb.tables", 2, math.Inf(1)},
		// 4 seats × (3% turnover / 30 days + 0.2% growth) invitations and
		// 4 × 2% / 30 password resets a day.
		{"Basic tenants' invitations and resets against Cognito's 50 emails a day",
			capacity.Typical(), only(tiers.Basic), 1000, "cognito.default-email", 1000 * (4*(0.03/30+0.002) + 4*0.02/30), 50 / (4*(0.03/30+0.002) + 4*0.02/30)},
		{"Platinum seats are not in the shared pool",
			capacity.Typical(), only(tiers.Platinum), 100, "cognito.users-per-pool", 0, math.Inf(1)},
		{"Standard seats are",
			capacity.Typical(), only(tiers.Standard), 100, "cognito.users-per-pool", 2000, 2_000_000},
		// 8.5 WRU per request in the typical mix (TestOpCosts), 10 requests/s.
		{"pooled writes at the rate limit",
			capacity.Limit(), only(tiers.Basic), 100, "dynamodb.table-write", 100 * 10 * 8.5, 40000 / (10 * 8.5)},
		{"Platinum writes its own table, not the pooled one",
			capacity.Limit(), only(tiers.Platinum), 10, "dynamodb.table-write", 0, math.Inf(1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := model(t, c.profile)
			r, err := m.Run(capacity.Scenario{Name: c.name, Mix: c.mix, Tenants: c.tenants})
			require.NoError(t, err)
			u := usage(t, r.Usages, c.quota)
			assert.InDelta(t, c.used, u.Used, 1e-6*math.Max(1, c.used), "used")
			if math.IsInf(c.binds, 1) {
				assert.True(t, math.IsInf(u.MaxTenants, 1), "binds at %v, want never", u.MaxTenants)
			} else {
				assert.InDelta(t, c.binds, u.MaxTenants, 1e-6*c.binds, "binds at")
			}
		})
	}
}

func TestOpCosts(t *testing.T) {
	s := capacity.DefaultSizes()
	cases := []struct {
		op       capacity.OpKind
		wru, rru float64
	}{
		// issue 2 KB strongly consistent: 1 unit.
		{capacity.OpGetIssue, 0, 1},
		// 25 entries × 2 KB = 50 KB from a GSI: ⌈50/4⌉ = 13 units, halved.
		{capacity.OpListIssues, 0, 6.5},
		// 2 words × ⌈300 × 0.15 / 4⌉ = 12 units halved, + 50 issues × 1.
		{capacity.OpSearch, 0, 2*6 + 50},
		// counter 1 + 2 × (issue 2 + alias 1 + history 1 + activity 1 +
		// 2 labels × (use 1 + check 1) + 24 postings) + 7 GSI entries × 2
		// + half an idempotency claim and response (1 + 3).
		{capacity.OpCreateIssue, 1 + 2*33 + 14 + 2, 2 * 0.5},
		// 2 × (issue 2 + activity 1 + half a history item + 2 postings)
		// + 5 moving GSI entries × 2 writes × 2 + 2 others × 2.
		{capacity.OpUpdateIssue, 2*5.5 + 20 + 4, 1},
		// 2 × (comment 1 + issue check 2 + 10 postings) + idempotency 2.
		{capacity.OpComment, 26 + 2, 1},
	}
	for _, c := range cases {
		t.Run(string(c.op), func(t *testing.T) {
			got := s.Cost(c.op)
			assert.InDelta(t, c.wru, got.WRU, 1e-9, "WRU")
			assert.InDelta(t, c.rru, got.RRU, 1e-9, "RRU")
		})
	}
	mix := capacity.Typical().Mix
	assert.InDelta(t, 1, mix.Total(), 1e-9)
	assert.InDelta(t, 0.04*83+0.10*35+0.06*28, mix.Cost(s).WRU, 1e-9, "mix WRU per request")
}

func TestMoreTenantsNeverMeanMoreHeadroom(t *testing.T) {
	mixes := []map[tiers.Name]float64{
		only(tiers.Basic), only(tiers.Platinum),
		{tiers.Basic: 0.7, tiers.Standard: 0.2, tiers.Premium: 0.08, tiers.Platinum: 0.02},
	}
	for _, name := range capacity.ProfileNames() {
		m := model(t, capacity.Profiles()[name])
		for _, mix := range mixes {
			prev := m.Evaluate(capacity.Counts(mix, 0))
			for _, n := range []float64{1, 10, 100, 1000, 5000, 20000} {
				cur := m.Evaluate(capacity.Counts(mix, n))
				for i := range cur {
					assert.LessOrEqual(t, cur[i].Headroom, prev[i].Headroom, "%s %s at %v tenants", name, cur[i].Quota.ID, n)
					assert.GreaterOrEqual(t, cur[i].Utilisation, prev[i].Utilisation, "%s %s at %v tenants", name, cur[i].Quota.ID, n)
				}
				prev = cur
			}
		}
		t.Run(name+": one more tenant of any tier takes headroom, never gives it", func(t *testing.T) {
			base := map[tiers.Name]float64{tiers.Basic: 300, tiers.Standard: 100, tiers.Premium: 30, tiers.Platinum: 5}
			before := m.Evaluate(base)
			for _, tr := range tiers.All() {
				more := map[tiers.Name]float64{}
				for k, v := range base {
					more[k] = v
				}
				more[tr.Name]++
				after := m.Evaluate(more)
				for i := range after {
					assert.LessOrEqual(t, after[i].Headroom, before[i].Headroom, "%s + one %s", after[i].Quota.ID, tr.Name)
				}
			}
		})
	}
}

func TestEveryQuotaHasASourceAndAConsumer(t *testing.T) {
	seen := map[string]bool{}
	for _, q := range capacity.Catalog() {
		t.Run(q.ID, func(t *testing.T) {
			assert.False(t, seen[q.ID], "duplicate id")
			seen[q.ID] = true
			u, err := url.Parse(q.URL)
			require.NoError(t, err)
			assert.Equal(t, "https", u.Scheme, "source URL")
			assert.True(t, strings.HasSuffix(u.Host, "aws.amazon.com") || u.Host == "repost.aws", "an AWS page: %s", q.URL)
			assert.NotEmpty(t, q.Name)
			assert.NotEmpty(t, q.Unit)
			assert.NotEmpty(t, q.Consumes, "how the design consumes it")
			assert.Contains(t, []capacity.Adjustable{capacity.Yes, capacity.No, capacity.DesignSetting}, q.Adjustable)
			require.NotNil(t, q.Fixed)
			require.NotNil(t, q.PerTenant)
			if q.Unpublished {
				assert.NotEmpty(t, q.Source, "say what the docs do say")
			} else if q.Adjustable == capacity.DesignSetting {
				require.NotNil(t, q.FromDesign, "a design setting reads its value from the templates")
			} else {
				assert.Positive(t, q.Default, "a published default")
			}
		})
	}
}

func TestRunReportsTheFirstQuotaToBind(t *testing.T) {
	m := model(t, capacity.Limit())
	r, err := m.Run(capacity.Scenario{Name: "platinum", Mix: only(tiers.Platinum), Tenants: 20})
	require.NoError(t, err)
	require.NotNil(t, r.Binding)
	// 150 requests/s per tenant on the busiest route: the stage's 1,000 is full at 6.67.
	assert.Equal(t, "apigw.method-throttle", r.Binding.Quota.ID)
	assert.InDelta(t, 1000/150.0, r.Binding.MaxTenants, 1e-9)
	assert.InDelta(t, 1000/150.0, r.Cell[tiers.Platinum], 1e-9)
	require.NotNil(t, r.FirstFixed)
	assert.Equal(t, capacity.No, r.FirstFixed.Quota.Adjustable)
	for i := 1; i < len(r.Usages); i++ {
		if r.Usages[i].Binds() && r.Usages[i-1].Binds() {
			assert.LessOrEqual(t, r.Usages[i-1].MaxTenants, r.Usages[i].MaxTenants, "ordered by where they bind")
		}
	}
	assert.False(t, r.Usages[len(r.Usages)-1].Binds(), "unpublished quotas last")

	t.Run("raising the stage throttle moves the binding to the account throttle at 20 (the Lambda invocations just before)", func(t *testing.T) {
		m.Applied = map[string]float64{"apigw.method-throttle": 10000, "lambda.invocations": 100000, "cognito.default-email": 1e6}
		r, err := m.Run(capacity.Scenario{Mix: only(tiers.Platinum), Tenants: 20})
		require.NoError(t, err)
		assert.Equal(t, "apigw.account-throttle", r.Binding.Quota.ID)
		assert.InDelta(t, 20, r.Binding.MaxTenants, 1e-9)
	})

	t.Run("with no tenants the mix still says where each quota binds", func(t *testing.T) {
		r, err := model(t, capacity.Limit()).Run(capacity.Scenario{Mix: only(tiers.Platinum)})
		require.NoError(t, err)
		assert.InDelta(t, 1000/150.0, r.Binding.MaxTenants, 1e-9)
	})
}

func TestTierCapacities(t *testing.T) {
	m := model(t, capacity.Limit())
	caps := m.TierCapacities()
	require.Len(t, caps, len(tiers.All()))
	for _, c := range caps {
		tr := tiers.MustGet(c.Tier)
		// At the rate limit the busiest route takes 30% of the tier's rate.
		assert.InDelta(t, 1000/(0.3*tr.RateLimit), c.Tenants, 1e-6, c.Tier)
		assert.Equal(t, "apigw.method-throttle", c.Binding.Quota.ID)
	}
}

func TestParseMix(t *testing.T) {
	got, err := capacity.ParseMix("basic=70, standard=20,premium=8,platinum=2")
	require.NoError(t, err)
	assert.InDelta(t, 0.7, got[tiers.Basic], 1e-12)
	assert.InDelta(t, 0.02, got[tiers.Platinum], 1e-12)
	got, err = capacity.ParseMix("basic=1,platinum=3")
	require.NoError(t, err)
	assert.Equal(t, map[tiers.Name]float64{tiers.Basic: 0.25, tiers.Platinum: 0.75}, got)
	assert.Equal(t, "basic=25,platinum=75", capacity.FormatMix(got))
	for _, bad := range []string{"", "gold=1", "basic", "basic=-1", "basic=x", "basic=0", "basic=NaN"} {
		_, err := capacity.ParseMix(bad)
		assert.Error(t, err, bad)
	}
}

func TestProfilesAreValid(t *testing.T) {
	for name, p := range capacity.Profiles() {
		assert.NoError(t, p.Validate(), name)
		assert.Equal(t, name, p.Name)
	}
	p := capacity.Typical()
	p.Mix[capacity.OpSearch] += 0.5
	assert.ErrorContains(t, p.Validate(), "mix")
	_, err := capacity.New(design(), p)
	assert.Error(t, err)
}

func TestLoadIsCappedByTheTierRateLimit(t *testing.T) {
	p := capacity.Typical()
	p.PeakFactor = 1e6
	m := model(t, p)
	for _, tr := range tiers.All() {
		assert.InDelta(t, tr.RateLimit, m.Load(tr.Name).RPS, 1e-9, tr.Name)
	}
}
