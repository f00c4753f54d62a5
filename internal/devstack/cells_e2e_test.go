package devstack_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// TestTwoCellsRouteSignInByTheDirectoryAndIsolateTheirTenants runs two
// local cells side by side (as make dev CELLS=2 does) on one directory:
// acme lives in cell-1, initech in cell-2.
func TestTwoCellsRouteSignInByTheDirectoryAndIsolateTheirTenants(t *testing.T) {
	t.Parallel()
	base := testenv.UniquePrefix(t)
	dir := schema.Names{Prefix: base}.Directory()
	t.Cleanup(func() { _ = dynamo.DeleteTable(context.Background(), testenv.DynamoDB(t), dir) })
	owner := func(id string) devstack.DemoTenant {
		return devstack.DemoTenant{ID: id, Name: id, Tier: tiers.Standard, Users: []devstack.DemoUser{
			{Email: "owner@" + id + ".test", Role: roles.SuperAdmin, TenantID: id}}}
	}
	cell := func(id string, tenants ...devstack.DemoTenant) *platform {
		return startPlatform(t, func(c *devstack.Config) {
			c.Prefix, c.Cell, c.Directory, c.Tenants = base, id, dir, tenants
			c.AuthorizerCacheTTL = time.Second // the offboarding's refusal below within a second
		})
	}
	// umbrella starts in cell-1 and is moved to cell-2 by the directory.
	one, two := cell("cell-1", owner("acme"), owner("umbrella")), cell("cell-2", owner("initech"))
	require.Equal(t, base, one.pl.Prefix, "cell-1 keeps the base names")
	require.Equal(t, base+"-cell-2", two.pl.Prefix)
	home := map[string]*platform{"acme": one, "initech": two}
	devstack.LinkCells(one.s, two.s)

	for slug, want := range home {
		for _, asked := range []*platform{one, two} {
			status, ws := asked.call("GET", "/v1/workspaces/"+slug, "", nil)
			require.Equal(t, 200, status, "%s asked at %s: %v", slug, asked.pl.Cell, ws)
			assert.Equal(t, want.pl.Cell, ws["cell"], "%s asked at %s", slug, asked.pl.Cell)
			assert.Equal(t, want.pl.GatewayURL, ws["api_url"])
			assert.Equal(t, want.pl.TenantPoolID, ws["user_pool_id"])
			assert.Equal(t, want.pl.TenantClientID, ws["client_id"])
		}
	}
	for _, p := range []*platform{one, two} {
		status, missing := p.call("GET", "/v1/workspaces/nosuch", "", nil)
		assert.Equal(t, 404, status)
		assert.Equal(t, "workspace_not_found", missing["code"], "%v", missing)
	}

	t.Run("a token of a tenant the directory places in another cell is refused with that cell's API", func(t *testing.T) {
		// The directory step of a move (cells.Directory.Switch); cell-1
		// still holds umbrella's record and users, as during a move's grace
		// period. Its token verifies at cell-1, whose authorizer refuses it.
		e, err := one.s.Placement.Directory.Get(one.ctx, "umbrella")
		require.NoError(t, err)
		require.NoError(t, one.s.Placement.Directory.Switch(one.ctx, "umbrella", "cell-1", cells.For("umbrella", e.Tier, two.s.Cell())))
		tok, err := cognitotest.PasswordLogin(one.ctx, one.pools.C, one.pl.TenantClientID, "owner@umbrella.test", devstack.DemoPassword)
		require.NoError(t, err)
		status, refused := one.call("GET", "/v1/issues", tok.IDToken, nil)
		assert.Equal(t, 403, status, "%v", refused)
		assert.Equal(t, "tenant_in_other_cell", refused["code"])
		assert.Contains(t, refused["detail"], "cell-2")
		assert.Contains(t, refused["detail"], two.pl.GatewayURL)
		// acme, which the directory keeps in cell-1, is served there.
		acme, err := cognitotest.PasswordLogin(one.ctx, one.pools.C, one.pl.TenantClientID, "owner@acme.test", devstack.DemoPassword)
		require.NoError(t, err)
		status, _ = one.call("GET", "/v1/issues", acme.IDToken, nil)
		assert.Equal(t, 200, status)
	})
	t.Run("registration is placed by the model and a slug is unique across cells", func(t *testing.T) {
		reg := func(slug string) map[string]any {
			return map[string]any{"company_name": slug, "slug": slug, "admin_email": "owner@" + slug + ".test", "tier": "basic"}
		}
		// Availability asks the directory too: every cell answers for
		// every cell's slugs, as registration does.
		available := func(p *platform, slug string) map[string]any {
			status, a := p.call("GET", "/v1/registrations/availability?slug="+slug, "", nil)
			require.Equal(t, 200, status, "%v", a)
			return a
		}
		for slug, home := range map[string]*platform{"acme": one, "initech": two} {
			for _, asked := range []*platform{one, two} {
				a := available(asked, slug)
				assert.Equal(t, false, a["available"], "%s (in %s) asked at %s", slug, home.pl.Cell, asked.pl.Cell)
				assert.Equal(t, "taken", a["reason"], "%s asked at %s", slug, asked.pl.Cell)
			}
		}
		assert.Equal(t, true, available(two, "hooli")["available"], "a free slug")
		status, taken := two.call("POST", "/v1/registrations", "", reg("acme"))
		assert.Equal(t, 409, status, "acme is cell-1's: %v", taken)
		assert.Equal(t, "slug_taken", taken["code"])
		// cell-1 holds one tenant, cell-2 two (umbrella moved): cell-1.
		status, elsewhere := two.call("POST", "/v1/registrations", "", reg("hooli"))
		assert.Equal(t, 409, status, "%v", elsewhere)
		assert.Equal(t, "registration_in_other_cell", elsewhere["code"])
		assert.Contains(t, elsewhere["detail"], one.pl.GatewayURL+"/v1/registrations")
		status, accepted := one.call("POST", "/v1/registrations", "", reg("hooli"))
		require.Equal(t, 202, status, "%v", accepted)
		e, err := one.s.Placement.Directory.Get(one.ctx, "hooli")
		require.NoError(t, err)
		assert.Equal(t, "cell-1", e.Cell)
		assert.Equal(t, one.pl.GatewayURL, e.APIURL)
		status, _ = two.call("POST", "/v1/registrations", "", reg("hooli"))
		assert.Equal(t, 409, status, "hooli is taken in cell-1")
		assert.Equal(t, "taken", available(two, "hooli")["reason"], "hooli's registration in cell-1, asked at cell-2")
	})
	t.Run("sign-in at the pool the directory names reaches the tenant's cell only", func(t *testing.T) {
		for slug, p := range home {
			_, ws := one.call("GET", "/v1/workspaces/"+slug, "", nil)
			tok, err := cognitotest.PasswordLogin(p.ctx, p.pools.C, ws["client_id"].(string), "owner@"+slug+".test", devstack.DemoPassword)
			require.NoError(t, err)
			status, me := p.call("GET", "/v1/me", tok.IDToken, nil)
			require.Equal(t, 200, status, "%v", me)
			assert.Contains(t, jsonString(me), slug)
			other := one
			if p == one {
				other = two
			}
			status, _ = other.call("GET", "/v1/issues", tok.IDToken, nil)
			assert.Equal(t, 401, status, "%s's token at the other cell: its pool is not that cell's", slug)
		}
	})
	t.Run("a cell's Root sees another cell's tenant as a missing one", func(t *testing.T) {
		for slug, p := range home {
			other := one
			if p == one {
				other = two
			}
			root := other.login(other.pl.ProviderClientID, devstack.Demo.Root.Email)
			status, foreign := other.call("GET", "/v1/admin/tenants/"+slug, root, nil)
			_, missing := other.call("GET", "/v1/admin/tenants/nosuch", root, nil)
			assert.Equal(t, 404, status, "%s at %s", slug, other.pl.Cell)
			assert.Equal(t, missing["code"], foreign["code"])
			status, _ = p.call("GET", "/v1/admin/tenants/"+slug, p.login(p.pl.ProviderClientID, devstack.Demo.Root.Email), nil)
			assert.Equal(t, 200, status, "%s at its own cell", slug)
		}
	})
	t.Run("an offboarded tenant routes nowhere, frees its place in its cell and keeps its slug", func(t *testing.T) {
		// initech, in cell-2, signs in before it is offboarded.
		tok, err := cognitotest.PasswordLogin(two.ctx, two.pools.C, two.pl.TenantClientID, "owner@initech.test", devstack.DemoPassword)
		require.NoError(t, err)
		before, err := two.s.Placement.Directory.Counts(two.ctx)
		require.NoError(t, err)
		root := two.login(two.pl.ProviderClientID, devstack.Demo.Root.Email)
		status, body := two.call("POST", "/v1/admin/tenants/initech/offboard", root, map[string]string{"confirm": "initech"})
		require.Equal(t, 202, status, "%v", body)
		require.Eventually(t, func() bool {
			_, v := two.call("GET", "/v1/admin/tenants/initech", root, nil)
			return v["status"] == "deleted"
		}, time.Minute, 200*time.Millisecond, "offboarded")

		// Either cell's lookup answers as for a workspace that never
		// existed (before: cell-1 still named cell-2's pool and API).
		for _, p := range []*platform{one, two} {
			status, gone := p.call("GET", "/v1/workspaces/initech", "", nil)
			_, never := p.call("GET", "/v1/workspaces/nosuch", "", nil)
			assert.Equal(t, 404, status, "initech asked at %s: %v", p.pl.Cell, gone)
			assert.Equal(t, never["code"], gone["code"], "at %s", p.pl.Cell)
			assert.Equal(t, never["detail"], gone["detail"], "at %s", p.pl.Cell)
		}
		// Its token is refused as any token of no known tenant (the
		// gateway's plain 401; the log says tenant_unknown), at either cell.
		time.Sleep(1100 * time.Millisecond) // the authorizer's cache
		for _, p := range []*platform{one, two} {
			status, refused := p.call("GET", "/v1/issues", tok.IDToken, nil)
			assert.Equal(t, 401, status, "at %s: %v", p.pl.Cell, refused)
			assert.Equal(t, "unauthorized", refused["code"], "at %s", p.pl.Cell)
		}
		// cell-2 counts one Standard tenant fewer, so placement sees the
		// room: a new tenant now goes to cell-2 (2 tenants in cell-1, 1 in
		// cell-2; before, 2 and 2, and the tie went to cell-1).
		after, err := two.s.Placement.Directory.Counts(two.ctx)
		require.NoError(t, err)
		assert.Equal(t, before["cell-2"][tiers.Standard]-1, after["cell-2"][tiers.Standard], "cell-2's Standard count")
		assert.Equal(t, before["cell-1"], after["cell-1"], "cell-1's counts")
		reg := map[string]any{"company_name": "Pied Piper", "slug": "piedpiper", "admin_email": "owner@piedpiper.test", "tier": "basic"}
		status, elsewhere := one.call("POST", "/v1/registrations", "", reg)
		assert.Equal(t, 409, status, "%v", elsewhere)
		assert.Equal(t, "registration_in_other_cell", elsewhere["code"], "placed in cell-2, which has the room now")
		// The slug is never another company's, in either cell.
		for _, p := range []*platform{one, two} {
			status, taken := p.call("POST", "/v1/registrations", "", map[string]any{"company_name": "Initech Two", "slug": "initech",
				"admin_email": "owner@initech-two.test", "tier": "basic"})
			assert.Equal(t, 409, status, "initech registered again at %s: %v", p.pl.Cell, taken)
			assert.Equal(t, "slug_taken", taken["code"], "at %s", p.pl.Cell)
		}
	})
	// Last: its registrations change the counts that placement reads above.
	t.Run("an unverified registration's claim expires and frees its slug in every cell", func(t *testing.T) {
		const slug = "vandelay"
		email := "owner@" + base + ".vandelay.test"
		box := testenv.NewMailbox(t, email)
		body := map[string]any{"company_name": "Vandelay", "slug": slug, "admin_email": email, "tier": "basic"}
		register := func() (*platform, string) {
			p := one
			status, got := p.call("POST", "/v1/registrations", "", body)
			if status == 409 && got["code"] == "registration_in_other_cell" {
				p = two
				status, got = p.call("POST", "/v1/registrations", "", body)
			}
			require.Equal(t, 202, status, "%v", got)
			return p, got["status_token"].(string)
		}
		available := func(p *platform) map[string]any {
			status, a := p.call("GET", "/v1/registrations/availability?slug="+slug, "", nil)
			require.Equal(t, 200, status, "%v", a)
			return a
		}
		first, staleToken := register()
		staleCode := box.Next(mail.SubjectVerification).VerificationCode()
		for _, p := range []*platform{one, two} {
			assert.Equal(t, "taken", available(p)["reason"], "claimed, unverified, within its time; asked at %s", p.pl.Cell)
		}
		// A day and a second later: the claim's time and the registration's
		// age in its cell are set back by as much.
		db := testenv.DynamoDB(t)
		past, err := attributevalue.Marshal(time.Now().Add(-time.Second))
		require.NoError(t, err)
		_, err = db.UpdateItem(one.ctx, &dynamodb.UpdateItemInput{TableName: aws.String(dir),
			Key: dynamo.Key(schema.DirectoryTenant+slug, schema.DirectoryEntry), UpdateExpression: aws.String("SET claim_expires_at = :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": past}})
		require.NoError(t, err)
		old, err := attributevalue.Marshal(time.Now().Add(-onboarding.UnverifiedTTL - time.Second))
		require.NoError(t, err)
		_, err = db.UpdateItem(one.ctx, &dynamodb.UpdateItemInput{TableName: aws.String(schema.Names{Prefix: first.pl.Prefix}.Control()),
			Key: dynamo.Key("TENANT#"+slug, tenantdb.MetaSK), UpdateExpression: aws.String("SET created_at = :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": old}})
		require.NoError(t, err)
		for _, p := range []*platform{one, two} {
			assert.Equal(t, true, available(p)["available"], "an expired claim, asked at %s", p.pl.Cell)
		}
		// Registered again (by whoever: here the same address), wherever
		// placement puts it; the stale registration's code comes too late.
		second, token := register()
		status, late := first.call("POST", "/v1/registrations/"+slug+"/verify?token="+staleToken, "", map[string]string{"code": staleCode})
		if second == first { // the cell's registry replaced the stale registration: its token reads nothing
			assert.Equal(t, 404, status, "%v", late)
		} else {
			assert.Equal(t, 409, status, "%v", late)
			assert.Equal(t, "slug_taken", late["code"])
		}
		status, verified := second.call("POST", "/v1/registrations/"+slug+"/verify?token="+token, "", map[string]string{"code": box.Next(mail.SubjectVerification).VerificationCode()})
		require.Equal(t, 200, status, "%v", verified)
		e, err := second.s.Placement.Directory.Get(second.ctx, slug)
		require.NoError(t, err)
		assert.Equal(t, second.pl.Cell, e.Cell)
		assert.Nil(t, e.ClaimExpiresAt, "a verified registration's claim is permanent")
		for _, p := range []*platform{one, two} {
			assert.Equal(t, "taken", available(p)["reason"], "verified; asked at %s", p.pl.Cell)
		}
	})
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
