package capacity

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Num formats a number for the report: thousands separated, fewer digits
// as it grows, "∞" for no limit.
func Num(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "∞"
	case math.IsNaN(v):
		return "—"
	case v == 0:
		return "0"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return group(strconv.FormatFloat(v, 'f', 0, 64))
	case math.Abs(v) >= 100:
		return group(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	case math.Abs(v) >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) >= 0.01:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
}

func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func pct(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return "—"
	}
	if v < 0.001 && v > 0 {
		return "<0.1%"
	}
	return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
}

func tenants(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "no limit"
	case v >= 1e7:
		return "> 10 million"
	}
	return Num(math.Floor(v))
}

// WriteLoads writes the per-tenant peak load of every tier under the profile.
func (m Model) WriteLoads(w io.Writer) {
	p := m.Profile
	fmt.Fprintf(w, "Profile **%s**: %s.\n\n", p.Name, p.About)
	fmt.Fprintln(w, "| tier | seats | requests/s at peak (rate limit) | busiest route | signed in | authorizer calls/s | Cognito auth/s | AdminGetUser/s | emails/day | WRU/s | RRU/s | Lambda concurrency |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, t := range tiers.All() {
		l := m.loads[t.Name]
		fmt.Fprintf(w, "| %s | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", t.Name, Num(l.Seats), Num(l.RPS), Num(t.RateLimit),
			Num(l.HotMethodRPS), Num(l.ActiveUsers), Num(l.AuthorizerRPS), Num(l.AuthRPS), Num(l.AdminGetUserRPS),
			Num(l.EmailsPerDay), Num(l.WRU), Num(l.RRU), Num(l.Concurrency))
	}
	c := p.Mix.Cost(p.Sizes)
	fmt.Fprintf(w, "\nCost of one request in the mix: %s WRU, %s RRU (", Num(c.WRU), Num(c.RRU))
	var parts []string
	for _, k := range OpKinds {
		oc := p.Sizes.Cost(k)
		parts = append(parts, fmt.Sprintf("%s %s%%: %s WRU / %s RRU", k, Num(100*p.Mix[k]), Num(oc.WRU), Num(oc.RRU)))
	}
	fmt.Fprintf(w, "%s).\n", strings.Join(parts, "; "))
}

// WriteReport writes one scenario: the binding quota and every quota's use.
func (m Model) WriteReport(w io.Writer, r Report) {
	s := r.Scenario
	fmt.Fprintf(w, "#### %s: %s tenants, mix %s, profile %s\n\n", s.Name, Num(s.Tenants), FormatMix(s.Mix), r.Profile.Name)
	if r.Binding != nil {
		fmt.Fprintf(w, "First to bind: **%s** (%s, %s %s) at **%s tenants** (%s).\n", r.Binding.Quota.Name, r.Binding.Quota.Service,
			Num(r.Binding.Limit), r.Binding.Quota.Unit, tenants(r.Binding.MaxTenants), cellString(r.Cell))
	}
	if r.FirstFixed != nil {
		fmt.Fprintf(w, "First that AWS will not raise: **%s** (%s) at **%s tenants**.\n", r.FirstFixed.Quota.Name, r.FirstFixed.Quota.Service, tenants(r.FirstFixed.MaxTenants))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| quota | scope | limit | adjustable | used at %s tenants | headroom | binds at (tenants, this mix) |\n", Num(s.Tenants))
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, u := range r.Usages {
		limit := Num(u.Limit) + " " + u.Quota.Unit
		bind := tenants(u.MaxTenants)
		if !u.Binds() {
			limit, bind = "unpublished", "—"
		}
		fmt.Fprintf(w, "| %s: %s | %s | %s | %s | %s | %s | %s |\n", u.Quota.Service, u.Quota.Name, u.Quota.Scope, limit, u.Quota.Adjustable,
			Num(u.Used), headroom(u), bind)
	}
	fmt.Fprintln(w)
}

func headroom(u Usage) string {
	if !u.Binds() {
		return "—"
	}
	if u.Headroom < 0 {
		return fmt.Sprintf("**over by %s** (%s)", Num(-u.Headroom), pct(u.Utilisation))
	}
	return fmt.Sprintf("%s (%s used)", Num(u.Headroom), pct(u.Utilisation))
}

func cellString(c map[tiers.Name]float64) string {
	var parts []string
	for _, n := range sortedTierNames(c) {
		parts = append(parts, fmt.Sprintf("%s %s", Num(math.Floor(c[n])), n))
	}
	return strings.Join(parts, ", ")
}

// WriteSummary writes one line per report: where the cell fills up.
func WriteSummary(w io.Writer, rs []Report) {
	fmt.Fprintln(w, "| scenario | profile | mix | first to bind | at tenants | tenants per tier then | next two | first fixed (AWS will not raise) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		first, at, cell, next, fixed := "—", "no limit", "—", "—", "—"
		if r.Binding != nil {
			first, at, cell = r.Binding.Quota.ID, tenants(r.Binding.MaxTenants), cellString(r.Cell)
		}
		var ns []string
		for _, u := range r.Usages {
			if len(ns) == 2 || !u.Binds() || math.IsInf(u.MaxTenants, 1) {
				continue
			}
			if r.Binding != nil && u.Quota.ID == r.Binding.Quota.ID {
				continue
			}
			ns = append(ns, fmt.Sprintf("%s at %s", u.Quota.ID, tenants(u.MaxTenants)))
		}
		if len(ns) > 0 {
			next = strings.Join(ns, "; ")
		}
		if r.FirstFixed != nil {
			fixed = fmt.Sprintf("%s at %s", r.FirstFixed.Quota.ID, tenants(r.FirstFixed.MaxTenants))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Scenario.Name, r.Profile.Name, FormatMix(r.Scenario.Mix), first, at, cell, next, fixed)
	}
	fmt.Fprintln(w)
}

// WriteTierCapacities writes how many tenants of each tier alone one cell
// holds, and the three quotas that bind first for that tier.
func (m Model) WriteTierCapacities(w io.Writer) {
	fmt.Fprintf(w, "| tier (profile %s) | tenants one cell holds | first to bind | then |\n", m.Profile.Name)
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, t := range tiers.All() {
		r, _ := m.Run(Scenario{Mix: map[tiers.Name]float64{t.Name: 1}})
		first, at := "—", "no limit"
		var then []string
		for _, u := range r.Usages {
			if !u.Binds() || math.IsInf(u.MaxTenants, 1) {
				continue
			}
			if first == "—" {
				first, at = fmt.Sprintf("%s (%s %s)", u.Quota.ID, Num(u.Limit), u.Quota.Unit), tenants(u.MaxTenants)
				continue
			}
			if len(then) < 2 {
				then = append(then, fmt.Sprintf("%s at %s", u.Quota.ID, tenants(u.MaxTenants)))
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", t.Name, at, first, strings.Join(then, "; "))
	}
	fmt.Fprintln(w)
}

// WriteCatalog writes every quota with its default, adjustability, the
// tenants of each tier alone it allows under the profile, and its source.
func (m Model) WriteCatalog(w io.Writer) {
	fmt.Fprintf(w, "| id | quota | scope | default | adjustable | basic | standard | premium | platinum | consumed by | source |\n")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, u := range m.Evaluate(nil) {
		q := u.Quota
		def := Num(u.Limit) + " " + q.Unit
		per := []string{}
		for _, t := range tiers.All() {
			v := tenants(u.PerTier[t.Name])
			if !q.binds() {
				v = "—"
			}
			per = append(per, v)
		}
		if !q.binds() {
			def = "unpublished"
		}
		src := fmt.Sprintf("[doc](%s)", q.URL)
		if q.Source != "" {
			src += "; " + q.Source
		}
		fmt.Fprintf(w, "| `%s` | %s: %s | %s | %s | %s | %s | %s |\n", q.ID, q.Service, q.Name, q.Scope, def, q.Adjustable,
			strings.Join(per, " | "), q.Consumes+" | "+src)
	}
	fmt.Fprintln(w)
}

// WriteHotKeys writes the hot partitions of one tenant, per tier.
func (m Model) WriteHotKeys(w io.Writer) {
	fmt.Fprintf(w, "Per-partition limit: %s WCU/s and %s RCU/s ([doc](%s)). Units/s on each partition for one tenant at the profile's peak and at its tier's rate limit (same mix), the tenant rate at which the partition binds, and the rate of a pure stream of the request kind that loads it most.\n\n",
		Num(PartitionWCU), Num(PartitionRCU), urlPartition)
	fmt.Fprintln(w, "| partition | key | unit | basic peak / at limit | standard | premium | platinum | binds at (tenant requests/s, mix) | pure stream that binds |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	uses := m.HotKeyUses()
	for i := 0; i < len(uses); i += len(tiers.All()) {
		h := uses[i].HotKey
		var cols []string
		for _, u := range uses[i : i+len(tiers.All())] {
			cols = append(cols, fmt.Sprintf("%s / %s", Num(u.AtPeak), Num(u.AtLimit)))
		}
		pure := "—"
		if !math.IsInf(uses[i].PureOpRate, 1) {
			pure = fmt.Sprintf("%s %s/s", Num(uses[i].PureOpRate), h.Op)
		}
		binds := "never"
		if !math.IsInf(uses[i].BindsAtRPS, 1) {
			binds = Num(uses[i].BindsAtRPS)
		}
		fmt.Fprintf(w, "| %s | `%s` | %s | %s | %s | %s |\n", h.Name, h.Key, h.Unit(), strings.Join(cols, " | "), binds, pure)
	}
	fmt.Fprintln(w)
}
