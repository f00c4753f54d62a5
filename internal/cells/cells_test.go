package cells_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/capacity"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/cells/placement"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// directory is a fresh directory table in DynamoDB Local.
func directory(t *testing.T) cells.Directory {
	t.Helper()
	db := testenv.DynamoDB(t)
	name := schema.Names{Prefix: testenv.UniquePrefix(t)}.Directory()
	if err := dynamo.EnsureTable(context.Background(), db, schema.Directory, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dynamo.DeleteTable(context.Background(), db, name) })
	return cells.Directory{DB: db, Table: name}
}

func model(t *testing.T) capacity.Model {
	t.Helper()
	root, err := testenv.Root()
	if err != nil {
		t.Fatal(err)
	}
	d, err := capacity.DesignFromDir(filepath.Join(root, "infra", "templates"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := capacity.New(d, capacity.Profiles()["typical"])
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// raised are the two changes docs/scale.md recommends for every cell: an
// SES sender for the pools and the stage throttle at the account's.
var raised = map[string]float64{"cognito.default-email": math.Inf(1), "apigw.method-throttle": 10000}

var (
	one = cells.Cell{ID: "cell-1", Account: "111111111111", Region: "us-east-1", APIURL: "https://one.example/v1", UserPoolID: "us-east-1_One", ClientID: "c1", Applied: raised}
	two = cells.Cell{ID: "cell-2", Account: "222222222222", Region: "eu-west-1", APIURL: "https://two.example/v1", UserPoolID: "eu-west-1_Two", ClientID: "c2", Applied: raised}
)

func TestRegistrationPlacesATenantInTheCellWithHeadroom(t *testing.T) {
	ctx := context.Background()
	dir := directory(t)
	p := placement.Placer{Directory: dir, Model: model(t), Cells: []cells.Cell{one, two}}

	e, err := p.Register(ctx, "acme", tiers.Basic)
	if err != nil {
		t.Fatal(err)
	}
	if e.Cell != "cell-1" || e.APIURL != one.APIURL || e.UserPoolID != one.UserPoolID {
		t.Fatalf("first tenant of two empty cells: %+v, want cell-1 (the first of equals)", e)
	}
	got, err := dir.Get(ctx, "acme")
	if err != nil || got.Cell != "cell-1" || got.ClientID != "c1" || got.Tier != tiers.Basic {
		t.Fatalf("entry read back: %+v, %v", got, err)
	}
	// With 4,500 Basic tenants in cell-1 (45% of its API keys, more than any
	// quota the platform itself takes), its tightest quota is more used
	// than cell-2's: the next tenant goes to cell-2.
	fill(t, dir, "cell-1", tiers.Basic, 4499)
	e, err = p.Register(ctx, "globex", tiers.Basic)
	if err != nil || e.Cell != "cell-2" {
		t.Fatalf("second tenant: %+v, %v; want the less used cell-2", e, err)
	}
	if _, err := p.Register(ctx, "acme", tiers.Basic); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("registering acme again: %v, want a conflict", err)
	}
	counts, err := dir.Counts(ctx)
	if err != nil || counts["cell-1"][tiers.Basic] != 4500 || counts["cell-2"][tiers.Basic] != 1 {
		t.Fatalf("counts %v, %v: a refused registration must not count", counts, err)
	}

	// Fill cell-2 to 8,000 Basic tenants: 80% of its 10,000 API keys (not
	// adjustable), so the model refuses it another and cell-1 takes the
	// next one although it holds more than cell-2 did before.
	fill(t, dir, "cell-2", tiers.Basic, 7999)
	if c, err := p.Place(ctx, tiers.Basic); err != nil || c.ID != "cell-1" {
		t.Fatalf("placement with cell-2 at its API-key target: %v, %v", c.ID, err)
	}
	fill(t, dir, "cell-1", tiers.Basic, 5000)
	_, err = p.Place(ctx, tiers.Basic)
	if !errs.Is(err, errs.KindUnavailable) {
		t.Fatalf("both cells full: %v, want unavailable", err)
	}
	t.Logf("both full: %v", errs.As(err).Err)
}

// fill adds n tenants of tier t to a cell's count (as n registrations would).
func fill(t *testing.T, dir cells.Directory, cell string, tier tiers.Name, n int) {
	t.Helper()
	if err := cells.AddCount(context.Background(), dir, cell, tier, n); err != nil {
		t.Fatal(err)
	}
}

func TestMovingATenantSwitchesItsEntryOnlyFromTheCellItIsIn(t *testing.T) {
	ctx := context.Background()
	dir := directory(t)
	if err := dir.Register(ctx, cells.For("acme", tiers.Premium, one)); err != nil {
		t.Fatal(err)
	}
	to := cells.For("acme", tiers.Premium, two)
	if err := dir.Switch(ctx, "acme", "cell-3", to); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("switch from a cell it is not in: %v, want a conflict", err)
	}
	if err := dir.Switch(ctx, "acme", "cell-1", to); err != nil {
		t.Fatal(err)
	}
	got, err := dir.Get(ctx, "acme")
	if err != nil || got.Cell != "cell-2" || got.APIURL != two.APIURL || got.UserPoolID != two.UserPoolID || got.Region != "eu-west-1" {
		t.Fatalf("after the switch: %+v, %v", got, err)
	}
	if err := dir.Switch(ctx, "acme", "cell-1", to); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("a second switch from cell-1: %v, want a conflict (it moved already)", err)
	}
	counts, _ := dir.Counts(ctx)
	if counts["cell-1"][tiers.Premium] != 0 || counts["cell-2"][tiers.Premium] != 1 {
		t.Fatalf("counts after the move: %v", counts)
	}
	if _, err := dir.Get(ctx, "initech"); !errs.Is(err, errs.KindNotFound) {
		t.Fatalf("a tenant not in the directory: %v", err)
	}
}

// A Platinum tenant's own pool replaces the cell's shared pool in its
// entry, only while the entry places it in that cell.
func TestAPlatinumTenantsOwnPoolReachesItsEntry(t *testing.T) {
	ctx := context.Background()
	dir := directory(t)
	if err := dir.Register(ctx, cells.For("initech", tiers.Platinum, two)); err != nil {
		t.Fatal(err)
	}
	if err := dir.SetPool(ctx, "initech", "cell-1", "us-east-1_Other", "x"); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("from a cell it is not in: %v, want a conflict", err)
	}
	if err := dir.SetPool(ctx, "initech", "cell-2", "eu-west-1_Initech", "initech-client"); err != nil {
		t.Fatal(err)
	}
	got, err := dir.Get(ctx, "initech")
	if err != nil || got.UserPoolID != "eu-west-1_Initech" || got.ClientID != "initech-client" || got.Cell != "cell-2" || got.APIURL != two.APIURL {
		t.Fatalf("after SetPool: %+v, %v", got, err)
	}
	if err := dir.SetPool(ctx, "initech", "cell-2", "eu-west-1_Initech", "initech-client"); err != nil {
		t.Fatalf("again: %v", err)
	}
	if err := dir.SetPool(ctx, "umbrella", "cell-2", "p", "c"); !errs.Is(err, errs.KindNotFound) {
		t.Fatalf("a tenant not in the directory: %v, want not found", err)
	}
	if _, err := dir.Get(ctx, "umbrella"); !errs.Is(err, errs.KindNotFound) {
		t.Fatalf("SetPool created an entry: %v", err)
	}
}

// A tier migration's switch names the tenant's new tier and pool in its
// entry and moves it between its cell's tier counts, so placement counts
// it as what it is now; again, it changes nothing more; from a cell it is
// not in, or without an entry, nothing changes.
func TestATierMigrationSetsTheEntrysTierPoolAndCounts(t *testing.T) {
	ctx := context.Background()
	dir := directory(t)
	if err := dir.Register(ctx, cells.For("globex", tiers.Basic, two)); err != nil {
		t.Fatal(err)
	}
	check := func(tier tiers.Name, pool, client string, basic, platinum float64) {
		t.Helper()
		got, err := dir.Get(ctx, "globex")
		if err != nil || got.Tier != tier || got.UserPoolID != pool || got.ClientID != client || got.Cell != "cell-2" {
			t.Fatalf("entry %+v, %v: want %s in %s (%s)", got, err, tier, pool, client)
		}
		counts, err := dir.Counts(ctx)
		if err != nil || counts["cell-2"][tiers.Basic] != basic || counts["cell-2"][tiers.Platinum] != platinum {
			t.Fatalf("counts %v, %v: want basic %v, platinum %v", counts, err, basic, platinum)
		}
	}
	for range 2 { // the second time as a retried step
		if err := dir.SetHome(ctx, "globex", "cell-2", tiers.Platinum, "eu-west-1_Globex", "globex-web"); err != nil {
			t.Fatal(err)
		}
		check(tiers.Platinum, "eu-west-1_Globex", "globex-web", 0, 1)
	}
	if err := dir.SetHome(ctx, "globex", "cell-2", tiers.Basic, two.UserPoolID, two.ClientID); err != nil {
		t.Fatal(err)
	}
	check(tiers.Basic, two.UserPoolID, two.ClientID, 1, 0)
	if err := dir.SetHome(ctx, "globex", "cell-1", tiers.Platinum, "x", "y"); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("from a cell it is not in: %v, want a conflict", err)
	}
	if err := dir.SetHome(ctx, "umbrella", "cell-2", tiers.Platinum, "x", "y"); !errs.Is(err, errs.KindNotFound) {
		t.Fatalf("a tenant not in the directory: %v, want not found", err)
	}
	check(tiers.Basic, two.UserPoolID, two.ClientID, 1, 0)
}

// Offboarding closes a tenant's entry: it routes nowhere (Get answers as
// for a tenant that never existed), the cell's count drops so placement
// sees the headroom, the slug stays claimed (a new registration of it is a
// conflict), and nothing writes the closed entry again.
func TestAnOffboardedTenantsEntryStopsRoutingFreesItsCountAndKeepsItsSlug(t *testing.T) {
	ctx := context.Background()
	dir := directory(t)
	if err := dir.Register(ctx, cells.For("hooli", tiers.Premium, two)); err != nil {
		t.Fatal(err)
	}
	if err := dir.Close(ctx, "hooli", "cell-1"); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("closed from a cell it is not in: %v, want a conflict", err)
	}
	for range 2 { // the second time as a retried step
		if err := dir.Close(ctx, "hooli", "cell-2"); err != nil {
			t.Fatal(err)
		}
	}
	_, gone := dir.Get(ctx, "hooli")
	_, never := dir.Get(ctx, "never-registered")
	if !errs.Is(gone, errs.KindNotFound) || errs.As(gone).Code != errs.As(never).Code || gone.Error() != never.Error() {
		t.Fatalf("an offboarded tenant's entry: %v; one that never existed: %v (want the same not found)", gone, never)
	}
	counts, err := dir.Counts(ctx)
	if err != nil || counts["cell-2"][tiers.Premium] != 0 {
		t.Fatalf("counts after offboarding: %v, %v (want cell-2 premium 0, once)", counts, err)
	}
	if claimed, err := dir.Claimed(ctx, "hooli"); err != nil || !claimed {
		t.Fatalf("the offboarded slug claimed: %v, %v", claimed, err)
	}
	if claimed, err := dir.Claimed(ctx, "never-registered"); err != nil || claimed {
		t.Fatalf("a slug never registered claimed: %v, %v", claimed, err)
	}
	if err := dir.Register(ctx, cells.For("hooli", tiers.Basic, one)); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("another company registering the offboarded slug: %v, want a conflict", err)
	}
	// Nothing routes the closed entry again or counts it twice.
	if err := dir.Switch(ctx, "hooli", "cell-2", cells.For("hooli", tiers.Premium, one)); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("switch of a closed entry: %v, want a conflict", err)
	}
	if err := dir.SetPool(ctx, "hooli", "cell-2", "p", "c"); !errs.Is(err, errs.KindNotFound) {
		t.Fatalf("SetPool of a closed entry: %v, want not found", err)
	}
	if err := dir.SetHome(ctx, "hooli", "cell-2", tiers.Platinum, "p", "c"); !errs.Is(err, errs.KindNotFound) {
		t.Fatalf("SetHome of a closed entry: %v, want not found", err)
	}
	if err := dir.Remove(ctx, "hooli", "cell-2", tiers.Premium); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("Remove of a closed entry: %v, want a conflict (the slug stays claimed)", err)
	}
	if err := dir.Close(ctx, "umbrella", "cell-2"); !errs.Is(err, errs.KindNotFound) {
		t.Fatalf("closing a tenant not in the directory: %v, want not found", err)
	}
	counts, _ = dir.Counts(ctx)
	if counts["cell-2"][tiers.Premium] != 0 || counts["cell-1"][tiers.Basic] != 0 {
		t.Fatalf("counts after the refused writes: %v", counts)
	}
	if claimed, _ := dir.Claimed(ctx, "hooli"); !claimed {
		t.Fatal("the slug was freed")
	}
}

// A registration that is never verified claims its slug until its claim
// expires (ClaimExpiresAt, UnverifiedTTL after registering): then the slug
// is free in every cell, the next registration replaces the entry and the
// counts follow it, and the stale registration can no longer confirm it.
// A confirmed (verified) claim never expires; a failed verification's undo
// gives the claim its time back. Before, an unverified registration kept
// its slug in the directory for good.
func TestAnUnverifiedRegistrationsClaimExpiresAndFreesItsSlug(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	dir := directory(t)
	dir.Now = func() time.Time { return now }
	claim := func(id string, tier tiers.Name, c cells.Cell) cells.Entry {
		e := cells.For(id, tier, c)
		exp := now.Add(24 * time.Hour)
		e.ClaimExpiresAt = &exp
		return e
	}
	claimed := func(id string) bool {
		t.Helper()
		ok, err := dir.Claimed(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	count := func(cell string, tier tiers.Name) float64 {
		t.Helper()
		c, err := dir.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c[cell][tier]
	}
	if err := dir.Register(ctx, claim("stale", tiers.Standard, one)); err != nil {
		t.Fatal(err)
	}
	if err := dir.Register(ctx, claim("kept", tiers.Standard, one)); err != nil {
		t.Fatal(err)
	}
	if err := dir.Register(ctx, claim("stale", tiers.Basic, two)); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("a second registration of a claimed slug: %v, want a conflict", err)
	}
	if !claimed("stale") {
		t.Fatal("an unverified registration's slug within its time is not claimed")
	}
	// kept is verified: its claim is permanent (twice: a retried verify).
	for range 2 {
		if _, err := dir.Confirm(ctx, "kept", "cell-1"); err != nil {
			t.Fatal(err)
		}
	}
	// A wrong code: confirmed, then given its time back.
	undo, err := dir.Confirm(ctx, "stale", "cell-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := undo(); err != nil {
		t.Fatal(err)
	}

	now = now.Add(24*time.Hour + time.Second)
	if claimed("stale") {
		t.Fatal("an unverified registration's slug is still claimed after its time")
	}
	if !claimed("kept") {
		t.Fatal("a verified registration's slug expired")
	}
	if err := dir.Register(ctx, claim("kept", tiers.Basic, two)); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("registering a verified slug: %v, want a conflict", err)
	}
	if got := count("cell-1", tiers.Standard); got != 2 {
		t.Fatalf("cell-1 standard %v within the hour its claim expired in, want 2", got)
	}
	// Once that hour is over the abandoned claim no longer counts for
	// placement (nothing swept it: its claims' count is no longer read);
	// the verified tenant does.
	now = now.Add(time.Hour)
	if got := count("cell-1", tiers.Standard); got != 1 {
		t.Fatalf("cell-1 standard %v after the abandoned claim's hour, want 1 (the verified tenant)", got)
	}
	// Another company takes the slug in cell-2: the entry is its, and the
	// stale claim's count leaves cell-1.
	if err := dir.Register(ctx, claim("stale", tiers.Basic, two)); err != nil {
		t.Fatalf("registering an expired claim's slug: %v", err)
	}
	e, err := dir.Get(ctx, "stale")
	if err != nil || e.Cell != "cell-2" || e.Tier != tiers.Basic || e.Expired(now) {
		t.Fatalf("the new claim: %+v, %v", e, err)
	}
	if a, b := count("cell-1", tiers.Standard), count("cell-2", tiers.Basic); a != 1 || b != 1 {
		t.Fatalf("counts after the slug was taken again: cell-1 standard %v, cell-2 basic %v; want 1 and 1", a, b)
	}
	if !claimed("stale") {
		t.Fatal("the new registration's claim is not a claim")
	}
	// The stale registration's verification comes too late.
	if _, err := dir.Confirm(ctx, "stale", "cell-1"); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("confirming a claim another registration took: %v, want a conflict", err)
	}
	// An expired claim taken again in the same cell and tier: one count.
	now = now.Add(25 * time.Hour)
	if err := dir.Register(ctx, claim("stale", tiers.Basic, two)); err != nil {
		t.Fatalf("registering again in the same cell and tier: %v", err)
	}
	if b := count("cell-2", tiers.Basic); b != 1 {
		t.Fatalf("cell-2 basic %v after a claim replaced in place, want 1", b)
	}
	// Verified, it counts among the cell's tenants for good; abandoned
	// (another claim), it stops counting after its hour.
	if _, err := dir.Confirm(ctx, "stale", "cell-2"); err != nil {
		t.Fatal(err)
	}
	if err := dir.Register(ctx, claim("gone", tiers.Basic, two)); err != nil {
		t.Fatal(err)
	}
	if b := count("cell-2", tiers.Basic); b != 2 {
		t.Fatalf("cell-2 basic %v with a verified tenant and a claim, want 2", b)
	}
	now = now.Add(26 * time.Hour)
	if b := count("cell-2", tiers.Basic); b != 1 {
		t.Fatalf("cell-2 basic %v after the claim's hour, want 1 (the verified tenant)", b)
	}
	if a := count("cell-1", tiers.Standard); a != 1 {
		t.Fatalf("cell-1 standard %v, want 1", a)
	}
}
