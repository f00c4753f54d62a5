package devstack_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/require"
)

// TestPlatinumOnboardingFigures is `make onboarding-bench`: with the tenant
// templates warmed as make dev warms them, ITR_PLATINUM_RUNS (default 5)
// Platinum companies are approved one after the other; each prints the
// time from Root's approval to the tenant being active (its stack's
// template, the local deploy of its table and pool, its admin, API key and
// invitation), then the median. Skipped unless ITR_PLATINUM_RUNS is set.
func TestPlatinumOnboardingFigures(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv("ITR_PLATINUM_RUNS"))
	if runs <= 0 {
		t.Skip("set ITR_PLATINUM_RUNS (make onboarding-bench)")
	}
	w := startPlatform(t)
	warm := time.Now()
	require.NoError(t, w.s.WarmTenantTemplates())
	fmt.Printf("onboarding-figures: warm-up (CDK build if needed, one synth) %s\n", time.Since(warm).Round(time.Millisecond))
	cog := testenv.Cognito(t)
	rootTok, err := cognitotest.PasswordLogin(w.ctx, cog, w.pl.ProviderClientID, devstack.Demo.Root.Email, devstack.DemoPassword)
	require.NoError(t, err)
	var took []time.Duration
	for n := range runs {
		id := fmt.Sprintf("p%d%s", n, w.prefix)
		owner := "owner@" + id + ".test"
		box := testenv.NewMailbox(t, owner)
		code, body := w.call("POST", "/v1/registrations", "", map[string]string{"company_name": "Initech " + strconv.Itoa(n), "slug": id,
			"admin_email": owner, "tier": "platinum"})
		require.Equal(t, 202, code, body)
		token, _ := body["status_token"].(string)
		code, body = w.call("POST", "/v1/registrations/"+id+"/verify?token="+token, "", map[string]string{"code": box.Next(mail.SubjectVerification).VerificationCode()})
		require.Equal(t, 200, code, body)
		start := time.Now()
		code, body = w.call("POST", "/v1/admin/tenants/"+id+"/approve", rootTok.IDToken, nil)
		require.Equal(t, 202, code, body)
		var status string
		for time.Since(start) < 5*time.Minute {
			_, reg := w.call("GET", "/v1/registrations/"+id+"?token="+token, "", nil)
			if status, _ = reg["status"].(string); status == "active" || status == "failed" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		require.Equal(t, "active", status)
		took = append(took, time.Since(start))
		fmt.Printf("onboarding-figures: run %d: approval to active %s\n", n+1, took[n].Round(time.Millisecond))
	}
	slices.Sort(took)
	fmt.Printf("onboarding-figures: median of %d: %s\n", runs, took[len(took)/2].Round(time.Millisecond))
}
