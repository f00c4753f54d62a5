// Command capacity prints the capacity model of one cell (one AWS account
// and Region running this design): which AWS quota binds first, at what
// tenant count, and the headroom of every quota, for a tier mix, a tenant
// count and a traffic profile (internal/capacity).
//
//	go run ./cmd/capacity                      # the default scenarios (make capacity)
//	go run ./cmd/capacity -mix basic=70,standard=20,premium=8,platinum=2 -tenants 5000 -profile typical
//
// The design (resources, roles, pools, tables, the stage throttle, the
// authorizer cache) is counted from the synthesized templates the CDK
// snapshot tests keep current (infra/templates).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/issuetracker/issuetracker/internal/capacity"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "capacity:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("capacity", flag.ContinueOnError)
	mix := fs.String("mix", "", "tier mix as tier=weight,... (e.g. basic=70,standard=20,premium=8,platinum=2); empty prints the default scenarios")
	n := fs.Float64("tenants", 5000, "tenants in the cell")
	profile := fs.String("profile", "typical", "traffic profile: "+strings.Join(capacity.ProfileNames(), ", "))
	dir := fs.String("templates", "infra/templates", "directory of the synthesized platform and tenant templates")
	catalog := fs.Bool("catalog", false, "with -mix: also print the quota catalog and the hot keys")
	raise := fs.String("raise", "", "quota values in force instead of the defaults, as id=value,... (e.g. apigw.method-throttle=10000,cognito.default-email=inf)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := capacity.DesignFromDir(*dir)
	if err != nil {
		return fmt.Errorf("design from %s (run from the repository root, or pass -templates): %w", *dir, err)
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	if *mix == "" {
		return defaults(w, d)
	}
	p, ok := capacity.Profiles()[*profile]
	if !ok {
		return fmt.Errorf("unknown profile %q (want one of %s)", *profile, strings.Join(capacity.ProfileNames(), ", "))
	}
	m, err := capacity.New(d, p)
	if err != nil {
		return err
	}
	if m.Applied, err = parseRaise(*raise); err != nil {
		return err
	}
	shares, err := capacity.ParseMix(*mix)
	if err != nil {
		return err
	}
	r, err := m.Run(capacity.Scenario{Name: "scenario", Mix: shares, Tenants: *n})
	if err != nil {
		return err
	}
	m.WriteLoads(w)
	fmt.Fprintln(w)
	m.WriteReport(w, r)
	if *catalog {
		m.WriteCatalog(w)
		m.WriteHotKeys(w)
	}
	return nil
}

// scenario is one of the default scenarios of `make capacity`.
type scenario struct {
	name, mix, profile string
	tenants            float64
}

var defaultScenarios = []scenario{
	{"smb", "basic=80,standard=15,premium=4,platinum=1", "typical", 5000},
	{"balanced", "basic=70,standard=20,premium=8,platinum=2", "typical", 5000},
	{"enterprise", "basic=40,standard=30,premium=20,platinum=10", "typical", 5000},
	{"balanced", "basic=70,standard=20,premium=8,platinum=2", "heavy", 5000},
	{"balanced", "basic=70,standard=20,premium=8,platinum=2", "limit", 5000},
	{"platinum-only", "platinum=1", "limit", 20},
}

// fixes are the two changes that cost nothing to make (docs/scale.md): a
// verified SES sender for the user pools (Cognito's own 50 emails a day no
// longer apply; SES's sending quota does) and the stage throttle raised to
// the account throttle.
var fixes = map[string]float64{"cognito.default-email": math.Inf(1), "apigw.method-throttle": 10000}

func parseRaise(s string) (map[string]float64, error) {
	out := map[string]float64{}
	known := map[string]bool{}
	for _, q := range capacity.Catalog() {
		known[q.ID] = true
	}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		id, val, ok := strings.Cut(part, "=")
		if !ok || !known[id] {
			return nil, fmt.Errorf("raise %q: want a quota id=value", part)
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("raise %q: value must be a number ≥ 0 or inf", part)
		}
		out[id] = v
	}
	return out, nil
}

func defaults(w io.Writer, d capacity.Design) error {
	models := map[string]capacity.Model{}
	for _, name := range capacity.ProfileNames() {
		m, err := capacity.New(d, capacity.Profiles()[name])
		if err != nil {
			return err
		}
		models[name] = m
	}
	fmt.Fprintf(w, "## Output of `make capacity`: one cell (one account and Region)\n\n")
	fmt.Fprintf(w, "Design counted from the templates: platform stack %d resources in %d templates (the largest, %s, %d), with %d roles, %d tables, %d user pools, %d API resources, %d methods, %d functions; stage throttle %s requests/s per method, authorizer cache %s s, ID token %s h; a Platinum tenant stack %d resources (%d role, %d table, %d user pool, %d alarms).\n\n",
		d.PlatformTotalResources, d.PlatformTemplates, d.PlatformLargest, d.PlatformResources, d.PlatformRoles, d.PlatformTables, d.PlatformPools, d.APIResources, d.APIMethods, d.Functions,
		capacity.Num(d.StageRateLimit), capacity.Num(d.AuthorizerTTL), capacity.Num(d.TokenHours),
		d.TenantResources, d.TenantRoles, d.TenantTables, d.TenantPools, d.TenantAlarms)

	var reports []capacity.Report
	for _, s := range defaultScenarios {
		shares, err := capacity.ParseMix(s.mix)
		if err != nil {
			return err
		}
		r, err := models[s.profile].Run(capacity.Scenario{Name: s.name, Mix: shares, Tenants: s.tenants})
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	fmt.Fprintf(w, "### Summary\n\n")
	capacity.WriteSummary(w, reports)

	fixed := map[string]capacity.Model{}
	var fixedReports []capacity.Report
	for name, m := range models {
		m.Applied = fixes
		fixed[name] = m
	}
	for _, s := range defaultScenarios {
		shares, _ := capacity.ParseMix(s.mix)
		r, err := fixed[s.profile].Run(capacity.Scenario{Name: s.name, Mix: shares, Tenants: s.tenants})
		if err != nil {
			return err
		}
		fixedReports = append(fixedReports, r)
	}
	fmt.Fprintf(w, "### Summary with an SES sender for Cognito and the stage throttle at 10,000 requests/s\n\n")
	capacity.WriteSummary(w, fixedReports)

	fmt.Fprintf(w, "### Tenants of one tier per cell\n\n")
	for _, name := range capacity.ProfileNames() {
		models[name].WriteTierCapacities(w)
	}
	fmt.Fprintf(w, "With an SES sender and the stage throttle at 10,000 requests/s:\n\n")
	for _, name := range capacity.ProfileNames() {
		fixed[name].WriteTierCapacities(w)
	}

	fmt.Fprintf(w, "### Per-tenant load\n\n")
	for _, name := range capacity.ProfileNames() {
		models[name].WriteLoads(w)
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "### Scenarios\n\n")
	for i, r := range reports {
		models[defaultScenarios[i].profile].WriteReport(w, r)
	}

	fmt.Fprintf(w, "### Growth of the balanced mix (typical profile): utilisation of the first quotas\n\n")
	growth(w, models["typical"], reports[1])

	fmt.Fprintf(w, "### Quota catalog (tenants of one tier alone each quota allows, typical profile)\n\n")
	models["typical"].WriteCatalog(w)

	fmt.Fprintf(w, "### Hot partitions of one tenant (typical profile)\n\n")
	models["typical"].WriteHotKeys(w)
	return nil
}

func growth(w io.Writer, m capacity.Model, r capacity.Report) {
	var ids []string
	for _, u := range r.Usages {
		if u.Binds() && len(ids) < 6 {
			ids = append(ids, u.Quota.ID)
		}
	}
	counts := []float64{500, 1000, 2000, 5000, 10000, 20000}
	fmt.Fprintf(w, "| tenants | %s |\n|---|%s\n", strings.Join(ids, " | "), strings.Repeat("---|", len(ids)))
	for i, row := range m.Growth(r.Scenario.Mix, counts, ids) {
		cells := make([]string, len(row))
		for j, v := range row {
			cells[j] = fmt.Sprintf("%.0f%%", 100*v)
		}
		fmt.Fprintf(w, "| %s | %s |\n", capacity.Num(counts[i]), strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
}
