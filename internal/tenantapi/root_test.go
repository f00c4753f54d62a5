package tenantapi_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/app/workspacewire"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// register signs a company up through the API, verifies the admin email
// with the mailed code, approves a paid tier as Root and expects it active.
// register signs slug up, verifies and (paid tiers) approves it; it
// returns the registration's status token.
func (w *world) register(t *testing.T, slug, tier string) string {
	t.Helper()
	box := testenv.NewMailbox(t, w.owner(slug))
	res := w.api.Anonymous().Do("POST", "/v1/registrations", w.registration(slug, tier))
	require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
	require.Equal(t, "pending_verification", res.Map(t)["status"])
	token, _ := res.Map(t)["status_token"].(string)
	res = w.api.Anonymous().Do("POST", "/v1/registrations/"+slug+"/verify?token="+token, map[string]string{"code": box.Next(mail.SubjectVerification).VerificationCode()})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	if tier != "basic" {
		require.Equal(t, "pending_approval", res.Map(t)["status"])
		res = w.api.As(root).Do("POST", "/v1/admin/tenants/"+slug+"/approve", nil)
		require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
	}
	require.Equal(t, "active", res.Map(t)["status"])
	return token
}

func TestRootSuspendsReactivatesAndChangesTiers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.register(t, "hooli", "basic")
	w.register(t, "piedpiper", "standard")
	az := w.authorizer(t)
	tok := w.signIn(t, w.owner("hooli"))

	t.Run("root lists tenants with status, tier and usage", func(t *testing.T) {
		res := w.api.As(root).Do("GET", "/v1/admin/tenants", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		byID := map[string]map[string]any{}
		for _, v := range res.Map(t)["items"].([]any) {
			byID[v.(map[string]any)["id"].(string)] = v.(map[string]any)
		}
		require.Contains(t, byID, "hooli")
		assert.Equal(t, "active", byID["hooli"]["status"])
		assert.Equal(t, "basic", byID["hooli"]["tier"])
		assert.EqualValues(t, 100000, byID["hooli"]["usage"].(map[string]any)["monthly_quota"])
		assert.NotContains(t, string(res.Body), "api_key\"", "the key value never leaves the registry")
	})
	t.Run("root searches and sorts the tenants table on the server", func(t *testing.T) {
		_, err := app.RefreshTenantRows(ctx, w.deps) // the hourly job: seat counts
		require.NoError(t, err)
		ids := func(path string) []string {
			res := w.api.As(root).Do("GET", path, nil)
			require.Equal(t, http.StatusOK, res.Status, string(res.Body))
			var out []string
			for _, v := range res.Map(t)["items"].([]any) {
				out = append(out, v.(map[string]any)["id"].(string))
			}
			return out
		}
		assert.Equal(t, []string{"piedpiper"}, ids("/v1/admin/tenants?q=company+pi"), "a name prefix")
		assert.Equal(t, []string{"hooli"}, ids("/v1/admin/tenants?q=HOO"), "an id prefix, any case")
		assert.Equal(t, []string{"piedpiper", "hooli"}, ids("/v1/admin/tenants?sort=-name"))
		assert.Equal(t, []string{"hooli", "piedpiper"}, ids("/v1/admin/tenants?sort=tier"))
		assert.Equal(t, []string{"piedpiper"}, ids("/v1/admin/tenants?sort=-created&limit=1"), "newest first, one a page")
		res := w.api.As(root).Do("GET", "/v1/admin/tenants?q=hoo", nil)
		row := res.Map(t)["items"].([]any)[0].(map[string]any)
		assert.EqualValues(t, 1, row["usage"].(map[string]any)["users"], "the admin")
		assert.EqualValues(t, 0, row["mrr_cents"], "Basic pays nothing")
		assert.Equal(t, "pooled", row["isolation"])
		assert.Contains(t, row["usage"], "storage_bytes")
		for path, code := range map[string]string{
			"/v1/admin/tenants?q=hoo&sort=name": "sort_with_search",
			"/v1/admin/tenants?sort=price":      "invalid_request",
			"/v1/admin/tenants?sort=-":          "invalid_request",
		} {
			res := w.api.As(root).Do("GET", path, nil)
			assert.Equal(t, http.StatusBadRequest, res.Status, path)
			if code != "invalid_request" {
				assert.Equal(t, code, res.Map(t)["code"], path)
			}
		}
	})
	t.Run("root gets one tenant with its user count and onboarding steps", func(t *testing.T) {
		res := w.api.As(root).Do("GET", "/v1/admin/tenants/hooli", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		m := res.Map(t)
		assert.EqualValues(t, 1, m["usage"].(map[string]any)["users"])
		lc := m["lifecycle"].(map[string]any)
		assert.Equal(t, true, lc["finished"])
		assert.Len(t, lc["done"], 5)
	})
	t.Run("suspension refuses an existing token with a clear 403 and keeps the data", func(t *testing.T) {
		_, _, err := az.Authorize(ctx, "Bearer "+tok)
		require.NoError(t, err)
		res := w.api.As(root).Do("POST", "/v1/admin/tenants/hooli/suspend", map[string]string{"reason": "unpaid invoice"})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		assert.Equal(t, "suspended", res.Map(t)["status"])
		_, _, err = az.Authorize(ctx, "Bearer "+tok)
		assert.Equal(t, errs.KindForbidden, errs.As(err).Kind)
		assert.Equal(t, "tenant_suspended", errs.As(err).Code)
		n, err := w.api.As(root).Do("GET", "/v1/admin/tenants/hooli", nil), error(nil)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n.Map(t)["usage"].(map[string]any)["users"], "the users are still there")
	})
	t.Run("suspending without a reason or twice is refused", func(t *testing.T) {
		assert.Equal(t, 400, w.api.As(root).Do("POST", "/v1/admin/tenants/piedpiper/suspend", map[string]string{}).Status)
		res := w.api.As(root).Do("POST", "/v1/admin/tenants/hooli/suspend", map[string]string{"reason": "again"})
		assert.Equal(t, 409, res.Status)
		assert.Equal(t, "tenant_already_suspended", res.Map(t)["code"])
	})
	t.Run("reactivation lets the same token in again", func(t *testing.T) {
		res := w.api.As(root).Do("POST", "/v1/admin/tenants/hooli/reactivate", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		_, _, err := az.Authorize(ctx, "Bearer "+tok)
		assert.NoError(t, err)
	})
	t.Run("a pooled tier change switches the tier the gateway meters by", func(t *testing.T) {
		res := w.api.As(root).Do("PUT", "/v1/admin/tenants/hooli/tier", map[string]string{"tier": "premium"})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		p, _, err := az.Authorize(ctx, "Bearer "+tok)
		require.NoError(t, err)
		assert.EqualValues(t, "premium", p.Tier)
	})
	for _, tc := range []struct {
		name, path string
		body       any
		status     int
		code       string
	}{
		{"an unknown tier", "/v1/admin/tenants/hooli/tier", map[string]string{"tier": "gold"}, 400, "validation_failed"},
		{"a move to Platinum where no tenant stack can be provisioned", "/v1/admin/tenants/hooli/tier", map[string]string{"tier": "platinum"}, 422, "tier_unavailable"},
		{"the same tier", "/v1/admin/tenants/hooli/tier", map[string]string{"tier": "premium"}, 409, "tier_unchanged"},
		{"an unknown tenant", "/v1/admin/tenants/nobody/tier", map[string]string{"tier": "basic"}, 404, "tenant_not_found"},
		{"reactivating an active tenant", "/v1/admin/tenants/hooli/reactivate", nil, 409, "tenant_not_suspended"},
	} {
		t.Run(tc.name+" is refused with "+tc.code, func(t *testing.T) {
			method := "POST"
			if strings.HasSuffix(tc.path, "/tier") {
				method = "PUT"
			}
			res := w.api.As(root).Do(method, tc.path, tc.body)
			assert.Equal(t, tc.status, res.Status, string(res.Body))
			assert.Equal(t, tc.code, res.Map(t)["code"])
		})
	}
	t.Run("a tier change while provisioning is refused and changes nothing", func(t *testing.T) {
		tn, err := w.reg.Get(ctx, "piedpiper")
		require.NoError(t, err)
		tn.Status = tenant.StatusProvisioning
		_, err = w.reg.Put(ctx, tn)
		require.NoError(t, err)
		res := w.api.As(root).Do("PUT", "/v1/admin/tenants/piedpiper/tier", map[string]string{"tier": "basic"})
		assert.Equal(t, 409, res.Status)
		assert.Equal(t, "tenant_not_active", res.Map(t)["code"])
		got, _ := w.reg.Get(ctx, "piedpiper")
		assert.EqualValues(t, "standard", got.Tier)
	})
	t.Run("a tenant user may not call root routes", func(t *testing.T) {
		p, _, err := az.Authorize(ctx, "Bearer "+tok)
		require.NoError(t, err)
		assert.Equal(t, 403, w.api.As(p).Do("POST", "/v1/admin/tenants/hooli/suspend", map[string]string{"reason": "x"}).Status)
	})
	t.Run("every root action is audited with who and what", func(t *testing.T) {
		res := w.api.As(root).Do("GET", "/v1/admin/tenants/hooli/audit", nil)
		seen := map[string]map[string]any{}
		for _, r := range res.Map(t)["items"].([]any) {
			rec := r.(map[string]any)
			seen[rec["action"].(string)] = rec
		}
		for _, a := range []string{"tenant.suspended", "tenant.reactivated", "tenant.tier_changed"} {
			require.Contains(t, seen, a)
			assert.Equal(t, "root", seen[a]["actor"].(map[string]any)["kind"])
			assert.Equal(t, root.UserID, seen[a]["actor"].(map[string]any)["id"])
		}
		assert.Equal(t, "unpaid invoice", seen["tenant.suspended"]["detail"].(map[string]any)["reason"])
	})
}

func TestBranding(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.register(t, "brandy", "standard")
	w.register(t, "plain", "basic")
	az := w.authorizer(t)
	owner, _, err := az.Authorize(ctx, "Bearer "+w.signIn(t, w.owner("brandy")))
	require.NoError(t, err)
	user := owner
	user.Role = roles.User
	basicOwner, _, err := az.Authorize(ctx, "Bearer "+w.signIn(t, w.owner("plain")))
	require.NoError(t, err)

	// The in-process platform's operations, and the workspace function's
	// own wiring as its Lambda main builds it (workspacewire: no lifecycle
	// machine, no Cognito; its service has the directory and the audit).
	ownWiring := apitest.New(t, w.deps).Serve(workspacewire.Workspace).PerFunction(func(fn routes.Function, d app.Deps) app.Deps {
		if fn == routes.FnWorkspace {
			d.Lifecycle, d.Cognito = nil, nil
		}
		return d
	})
	for _, c := range []struct {
		name, display string
		api           *apitest.API
	}{
		{"in process", "Brandy & Co", w.api},
		{"the workspace function's wiring", "Brandy & Sons", ownWiring},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Run("the Super Admin sets display name, logo and color, and the workspace reads them", func(t *testing.T) {
				b := map[string]string{"display_name": c.display, "logo_url": testLogo, "primary_color": "#112233"}
				res := c.api.As(owner).Do("PUT", "/v1/branding", b)
				require.Equal(t, http.StatusOK, res.Status, string(res.Body))
				got := c.api.As(user).Do("GET", "/v1/branding", nil).Map(t)
				assert.Equal(t, c.display, got["display_name"])
				assert.Equal(t, "#112233", got["primary_color"])
				assert.Equal(t, true, got["customizable"])
				me := w.api.As(user).Do("GET", "/v1/me", nil).Map(t)
				assert.Equal(t, testLogo, me["tenant"].(map[string]any)["branding"].(map[string]any)["logo_url"])
				assert.Equal(t, c.display, me["tenant"].(map[string]any)["branding"].(map[string]any)["display_name"])
			})
			for _, tc := range []struct {
				name   string
				as     tenancy.Principal
				body   map[string]string
				status int
				code   string
			}{
				{"a User", user, map[string]string{"display_name": "x"}, 403, "role_forbidden"},
				{"a tier without branding", basicOwner, map[string]string{"display_name": "x"}, 403, "feature_not_in_tier"},
				{"a bad color", owner, map[string]string{"primary_color": "red"}, 400, "validation_failed"},
				{"a javascript logo", owner, map[string]string{"logo_url": "javascript:alert(1)"}, 400, "validation_failed"},
				{"a logo on another site", owner, map[string]string{"logo_url": "https://cdn.brandy.test/logo.png"}, 400, "validation_failed"},
				{"an SVG logo", owner, map[string]string{"logo_url": "data:image/svg+xml;base64,PHN2Zy8+"}, 400, "validation_failed"},
			} {
				t.Run(tc.name+" cannot change the branding", func(t *testing.T) {
					res := c.api.As(tc.as).Do("PUT", "/v1/branding", tc.body)
					assert.Equal(t, tc.status, res.Status, string(res.Body))
					assert.Equal(t, tc.code, res.Map(t)["code"])
				})
			}
			t.Run("the branding is unchanged by refused edits and the edit is audited", func(t *testing.T) {
				tn, _ := w.reg.Get(ctx, "brandy")
				assert.Equal(t, "#112233", tn.Branding.PrimaryColor)
				assert.Equal(t, c.display, tn.Branding.DisplayName)
				pg, err := app.Lifecycle(w.deps).Audit.List(ctx, "brandy", list.Request{Limit: 50})
				require.NoError(t, err)
				recs := pg.Items
				assert.Equal(t, "tenant.branding_changed", recs[0].Action)
				assert.Equal(t, c.display, recs[0].Detail["display_name"])
				assert.Equal(t, owner.UserID, recs[0].Actor.ID)
			})
		})
	}
}

// testLogo is a 1×1 PNG as the web app uploads it.
const testLogo = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

func TestOffboardingLeavesNothingOfThePooledTenant(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	gonerToken := w.register(t, "goner", "premium")
	w.register(t, "stayer", "basic")
	az := w.authorizer(t)
	tok := w.signIn(t, w.owner("goner"))
	// A second person of the tenant, as the people API would add them.
	sub, err := w.pools.EnsureUser(ctx, w.deps.TenantPoolID, cognito.UserSpec{Email: "dev@" + w.domain, TenantID: "goner", Role: "user"})
	require.NoError(t, err)
	require.NoError(t, peopledb.UserDB{DB: w.deps.DB}.Put(ctx, tenancy.Scope{Table: w.deps.Names.App(), TenantID: "goner"}, people.User{ID: sub, TenantID: "goner",
		Username: "dev@" + w.domain, Email: "dev@" + w.domain, Role: roles.User, Status: people.UserActive}))
	// A file on an issue of each tenant.
	objects := func(tenantID string) int {
		out, err := w.files.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(w.files.Bucket), Prefix: aws.String(tenantID + "/")})
		require.NoError(t, err)
		return len(out.Contents)
	}
	for _, id := range []string{"goner", "stayer"} {
		as := w.api.As(tenancy.Principal{TenantID: id, UserID: "u-" + id, Role: roles.SuperAdmin, Tier: tiers.Basic, Table: w.deps.Names.App()})
		res := as.Do("POST", "/v1/issues", map[string]any{"title": "with a file"})
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		as.Attach(t, res.Map(t)["id"].(string), "notes.txt", "text/plain", []byte("notes of "+id))
		require.Equal(t, 1, objects(id))
	}

	t.Run("offboarding without the confirmation is refused and changes nothing", func(t *testing.T) {
		for _, body := range []any{nil, map[string]string{"confirm": "yes"}} {
			res := w.api.As(root).Do("POST", "/v1/admin/tenants/goner/offboard", body)
			assert.Equal(t, 400, res.Status, string(res.Body))
			assert.Equal(t, "confirmation_required", res.Map(t)["code"])
		}
		_, _, err := az.Authorize(ctx, "Bearer "+tok)
		assert.NoError(t, err)
	})
	var archive string
	t.Run("a confirmed offboarding exports, then deletes", func(t *testing.T) {
		res := w.api.As(root).Do("POST", "/v1/admin/tenants/goner/offboard", map[string]string{"confirm": "goner"})
		require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
		lc := res.Map(t)
		assert.Equal(t, true, lc["finished"], lc)
		archive = lc["archive"].(string)
	})
	t.Run("the archive holds the tenant record, both users and every other item", func(t *testing.T) {
		key, ok := strings.CutPrefix(archive, "s3://"+w.archive.Bucket+"/")
		require.True(t, ok, "the archive is an object of the exports bucket: %s", archive)
		assert.Regexp(t, `^goner/goner-\d{8}T\d{6}Z\.jsonl\.gz$`, key, "one key per tenant and time")
		obj, err := testenv.S3(t).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(w.archive.Bucket), Key: aws.String(key)})
		require.NoError(t, err)
		defer obj.Body.Close()
		zr, err := gzip.NewReader(obj.Body)
		require.NoError(t, err)
		dec := json.NewDecoder(zr)
		var head map[string]any
		require.NoError(t, dec.Decode(&head))
		assert.Equal(t, "goner", head["tenant"].(map[string]any)["id"])
		lines, users := 0, 0
		for dec.More() {
			var line struct {
				Item map[string]map[string]any `json:"item"`
			}
			require.NoError(t, dec.Decode(&line))
			lines++
			pk, _ := line.Item["pk"]["S"].(string)
			assert.True(t, strings.HasPrefix(pk, "T#goner#"), "only the tenant's items: %s", pk)
			if strings.HasPrefix(pk, "T#goner#USER#") {
				users++
			}
		}
		assert.Equal(t, 2, users)
		assert.EqualValues(t, lines, head["items"], "the header counts every item line")
	})
	t.Run("its token is refused", func(t *testing.T) {
		_, _, err := az.Authorize(ctx, "Bearer "+tok)
		assert.Error(t, err)
	})
	t.Run("no item of the tenant is left in the pooled table", func(t *testing.T) {
		// The analytics consumer reads the deletes (and any late record)
		// after the sweep: they must not bring the tenant's rollups back.
		an := &analytics.Service{Store: analyticsdb.Store{DB: w.deps.DB}}
		late := func(tenantID string) []analytics.Event {
			now := time.Now().UTC()
			i := issue.Issue{ID: "01LATE0000000000000000000" + strings.ToUpper(tenantID[:1]), TenantID: tenantID, Title: "late",
				Status: issue.Open, Category: issue.Unstarted, Priority: issue.PriorityMedium, Type: issue.Task, CreatedAt: now, UpdatedAt: now, Version: 1}
			return []analytics.Event{{IssueID: i.ID, Issue: &i}}
		}
		require.NoError(t, an.Apply(ctx, tenancy.Scope{Table: w.deps.Names.App(), TenantID: "goner"}, late("goner")), "dropped, not failed")
		before := len(tenantItems(t, w.deps.DB, w.deps.Names.App(), "stayer"))
		require.NoError(t, an.Apply(ctx, tenancy.Scope{Table: w.deps.Names.App(), TenantID: "stayer"}, late("stayer")))
		assert.Greater(t, len(tenantItems(t, w.deps.DB, w.deps.Names.App(), "stayer")), before, "the same record writes rollups of a live tenant")

		left := tenantItems(t, w.deps.DB, w.deps.Names.App(), "goner")
		require.Len(t, left, 1, "only the analytics closed marker, which expires: %v", left)
		assert.Contains(t, left[0], "T#goner#AN#CLOSED")
		assert.Contains(t, left[0], "expires_at")
	})
	t.Run("no attachment of the tenant is left in the bucket", func(t *testing.T) {
		assert.Zero(t, objects("goner"))
		assert.Equal(t, 1, objects("stayer"), "other tenants keep theirs")
	})
	t.Run("no user of the tenant is left in the shared pool", func(t *testing.T) {
		out, err := w.pools.C.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(w.deps.TenantPoolID)})
		require.NoError(t, err)
		for _, u := range out.Users {
			for _, a := range u.Attributes {
				assert.False(t, aws.ToString(a.Name) == "custom:tenant_id" && aws.ToString(a.Value) == "goner", "user %s left", aws.ToString(u.Username))
			}
		}
	})
	t.Run("the control plane keeps only a tombstone without name or key, so the slug is never reused", func(t *testing.T) {
		tn, err := w.reg.Get(ctx, "goner")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusDeleted, tn.Status)
		assert.Empty(t, tn.Name)
		assert.Empty(t, tn.APIKey)
		st, err := w.svc.States.Get(ctx, "goner")
		require.NoError(t, err)
		assert.Empty(t, st.AdminEmail)
		res := w.api.Anonymous().Do("POST", "/v1/registrations", registration("goner", "basic"))
		assert.Equal(t, 409, res.Status)
		assert.Equal(t, 404, w.api.Anonymous().Do("GET", "/v1/registrations/goner?token="+gonerToken, nil).Status,
			"a deleted registration is not found, even by its registrant")
	})
	t.Run("offboarding a deleted tenant is a conflict", func(t *testing.T) {
		res := w.api.As(root).Do("POST", "/v1/admin/tenants/goner/offboard", map[string]string{"confirm": "goner"})
		assert.Equal(t, 409, res.Status)
	})
	_ = onboarding.PhaseOffboarding
	_ = time.Second
}

// tenantItems scans a test table for items whose key names the tenant (tests may Scan).
func tenantItems(t *testing.T, db *dynamodb.Client, table, tenantID string) []string {
	out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table)})
	require.NoError(t, err)
	var keys []string
	for _, it := range out.Items {
		b, _ := json.Marshal(it)
		if strings.Contains(string(b), "T#"+tenantID+"#") || strings.Contains(string(b), "\""+tenantID+"\"") {
			keys = append(keys, string(b))
		}
	}
	return keys
}
