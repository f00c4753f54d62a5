package capacity

import (
	"fmt"
	"math"
	"sort"

	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Model evaluates the quota catalog for a design and a traffic profile.
type Model struct {
	Design  Design
	Profile Profile
	Quotas  []Quota
	// Applied are quota values raised above their defaults, by quota ID
	// (what Service Quotas shows as "applied").
	Applied map[string]float64
	loads   map[tiers.Name]Load
}

// New builds a model over the whole catalog.
func New(d Design, p Profile) (Model, error) {
	if err := p.Validate(); err != nil {
		return Model{}, err
	}
	m := Model{Design: d, Profile: p, Quotas: Catalog(), loads: map[tiers.Name]Load{}}
	for _, t := range tiers.All() {
		m.loads[t.Name] = p.Load(t, d)
	}
	return m, nil
}

// Load is the peak load of one tenant of tier n.
func (m Model) Load(n tiers.Name) Load { return m.loads[n] }

// Usage is one quota evaluated for a set of tenants.
type Usage struct {
	Quota Quota
	// Limit is the value in force (default or applied), Used the platform's
	// share plus the tenants' at the peak, Headroom what is left.
	Limit, Used, Headroom float64
	// Utilisation is Used / Limit.
	Utilisation float64
	// MaxTenants is the number of tenants, in the evaluated proportions, at
	// which Used reaches Limit (+Inf when the tenants consume none of it).
	MaxTenants float64
	// PerTier is the number of tenants of one tier alone the quota allows.
	PerTier map[tiers.Name]float64
}

// Binds reports whether the usage counts as a limit (a published number).
func (u Usage) Binds() bool { return u.Quota.binds() }

// Evaluate computes every quota's usage for the given tenant counts per tier
// (fractions allowed: the model is linear).
func (m Model) Evaluate(counts map[tiers.Name]float64) []Usage {
	total := 0.0
	for _, t := range tiers.All() {
		total += counts[t.Name]
	}
	out := make([]Usage, 0, len(m.Quotas))
	for _, q := range m.Quotas {
		u := Usage{Quota: q, Limit: q.limit(m.Applied, m.Design), PerTier: map[tiers.Name]float64{}}
		fixed := q.Fixed(m.Design)
		tenants := 0.0
		for _, t := range tiers.All() {
			if c := counts[t.Name]; c != 0 {
				tenants += c * q.PerTenant(m.loads[t.Name], m.Design)
			}
		}
		u.Used = fixed + tenants
		u.Headroom = u.Limit - u.Used
		if u.Limit > 0 {
			u.Utilisation = u.Used / u.Limit
		}
		u.MaxTenants = maxTenants(u.Limit, fixed, tenants, total)
		for _, t := range tiers.All() {
			u.PerTier[t.Name] = maxTenants(u.Limit, fixed, q.PerTenant(m.loads[t.Name], m.Design), 1)
		}
		out = append(out, u)
	}
	return out
}

// maxTenants solves limit = fixed + n × (use/count) for n. A quota the
// platform alone already exceeds allows no tenant.
func maxTenants(limit, fixed, use, count float64) float64 {
	if limit <= fixed {
		return 0
	}
	if use <= 0 || count <= 0 {
		return inf
	}
	return (limit - fixed) / (use / count)
}

// Scenario is a tier mix and a tenant count under the model's profile.
type Scenario struct {
	Name    string
	Mix     map[tiers.Name]float64 // shares, summing to 1
	Tenants float64
}

// Report is a scenario evaluated: the quotas ordered by the tenant count at
// which they bind, the first to bind and the first fixed one.
type Report struct {
	Scenario Scenario
	Profile  Profile
	Usages   []Usage
	// Binding is the first quota to bind as tenants are added in the mix's
	// proportions; FirstFixed the first that cannot be raised (AWS-fixed).
	Binding, FirstFixed *Usage
	// Cell is the tenant count per tier at which Binding binds.
	Cell map[tiers.Name]float64
}

// Run evaluates a scenario.
func (m Model) Run(s Scenario) (Report, error) {
	if len(s.Mix) == 0 || s.Tenants < 0 {
		return Report{}, fmt.Errorf("scenario %s: a mix and a tenant count ≥ 0 are required", s.Name)
	}
	us := m.Evaluate(Counts(s.Mix, s.Tenants))
	if s.Tenants == 0 {
		// With no tenants the proportions still decide where each quota binds.
		unit := m.Evaluate(Counts(s.Mix, 1))
		for i := range us {
			us[i].MaxTenants = unit[i].MaxTenants
		}
	}
	SortByBinding(us)
	r := Report{Scenario: s, Profile: m.Profile, Usages: us}
	for i := range us {
		u := &r.Usages[i]
		if !u.Binds() || math.IsInf(u.MaxTenants, 1) {
			continue
		}
		if r.Binding == nil {
			r.Binding = u
		}
		if r.FirstFixed == nil && u.Quota.Adjustable == No {
			r.FirstFixed = u
		}
	}
	if r.Binding != nil {
		r.Cell = Counts(s.Mix, r.Binding.MaxTenants)
	}
	return r, nil
}

// SortByBinding orders usages by the tenant count at which they bind (the
// unpublished ones last), then by utilisation.
func SortByBinding(us []Usage) {
	sort.SliceStable(us, func(i, j int) bool {
		a, b := us[i], us[j]
		if a.Binds() != b.Binds() {
			return a.Binds()
		}
		if a.MaxTenants != b.MaxTenants {
			return a.MaxTenants < b.MaxTenants
		}
		return a.Utilisation > b.Utilisation
	})
}

// TierCapacity is, for each tier alone, the first quota to bind and the
// number of tenants of that tier one cell holds.
type TierCapacity struct {
	Tier    tiers.Name
	Tenants float64
	Binding Usage
}

// TierCapacities evaluates a cell holding tenants of one tier only.
func (m Model) TierCapacities() []TierCapacity {
	var out []TierCapacity
	for _, t := range tiers.All() {
		r, _ := m.Run(Scenario{Mix: map[tiers.Name]float64{t.Name: 1}})
		tc := TierCapacity{Tier: t.Name, Tenants: inf}
		if r.Binding != nil {
			tc.Tenants, tc.Binding = r.Binding.MaxTenants, *r.Binding
		}
		out = append(out, tc)
	}
	return out
}

// Growth evaluates the mix at increasing tenant counts: the utilisation of
// the quotas named by ids at each count (for the growth table of a report).
func (m Model) Growth(mix map[tiers.Name]float64, counts []float64, ids []string) [][]float64 {
	out := make([][]float64, len(counts))
	for i, n := range counts {
		byID := map[string]float64{}
		for _, u := range m.Evaluate(Counts(mix, n)) {
			byID[u.Quota.ID] = u.Utilisation
		}
		for _, id := range ids {
			out[i] = append(out[i], byID[id])
		}
	}
	return out
}
