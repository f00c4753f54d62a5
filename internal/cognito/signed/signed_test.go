package signed_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/cognito/identity"
	"github.com/issuetracker/issuetracker/internal/cognito/signed"
)

// call is one request the fake Cognito received.
type call struct {
	Action string
	Body   map[string]any
	// Signed: it carried a SigV4 Authorization; Valid: re-signing it with
	// the same credentials, region, service and time gives the same one.
	Signed, Valid bool
}

// fakeCognito answers Cognito's awsJson1.1 actions with canned answers
// and records every request. A signed request must re-sign to the same
// Authorization for service cognito-idp in eu-west-1, as Cognito checks.
func fakeCognito(t *testing.T) (aws.Config, func() []call) {
	var mu sync.Mutex
	var got []call
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c := call{Action: strings.TrimPrefix(r.Header.Get("X-Amz-Target"), signed.Target), Signed: r.Header.Get("Authorization") != ""}
		_ = json.Unmarshal(b, &c.Body)
		if c.Signed {
			at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
			again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.Path, bytes.NewReader(b))
			for _, h := range []string{"Content-Type", "X-Amz-Target"} {
				again.Header.Set(h, r.Header.Get(h))
			}
			sum := sha256.Sum256(b)
			c.Valid = err == nil && r.Header.Get("X-Amz-Security-Token") == "token" &&
				v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), "cognito-idp", "eu-west-1", at) == nil &&
				again.Header.Get("Authorization") == r.Header.Get("Authorization")
		}
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fail := func(typ string) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"__type":%q,"message":"%s"}`, typ, typ)
		}
		switch {
		case c.Signed && !c.Valid:
			fail("InvalidSignatureException")
		case c.Body["Username"] == "nobody@acme.test":
			fail("UserNotFoundException")
		case c.Action == "AdminCreateUser" && c.Body["Username"] == "exists@acme.test":
			fail("UsernameExistsException")
		case c.Action == "AdminGetUser":
			fmt.Fprintf(w, `{"Username":%q,"Enabled":true,"UserStatus":"FORCE_CHANGE_PASSWORD","UserAttributes":[{"Name":"sub","Value":"sub-1"},{"Name":"custom:tenant_id","Value":"acme"},{"Name":"custom:role","Value":"user"}],"UserMFASettingList":["SOFTWARE_TOKEN_MFA"],"PreferredMfaSetting":"SOFTWARE_TOKEN_MFA"}`, c.Body["Username"])
		case c.Action == "AdminCreateUser":
			fmt.Fprintf(w, `{"User":{"Username":%q,"Enabled":true,"UserStatus":"FORCE_CHANGE_PASSWORD","Attributes":[{"Name":"sub","Value":"sub-new"}]}}`, c.Body["Username"])
		case c.Action == "AssociateSoftwareToken":
			fmt.Fprint(w, `{"SecretCode":"JBSWY3DPEHPK3PXP"}`)
		case c.Action == "VerifySoftwareToken" && c.Body["UserCode"] == "000000":
			fail("CodeMismatchException")
		case c.Action == "VerifySoftwareToken":
			fmt.Fprint(w, `{"Status":"SUCCESS"}`)
		default:
			fmt.Fprint(w, `{}`)
		}
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)}
	return cfg, func() []call {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
}

// Every action the functions make is the request the SDK's Cognito client
// makes for the same input (action, JSON body; signed for the admin
// actions, unsigned for the access-token ones), and the answers and
// errors mean what they meant with the client.
func TestTheSignedCallsAreTheSDKClientsRequests(t *testing.T) {
	ctx := context.Background()
	cfg, calls := fakeCognito(t)
	p := signed.Pools{Config: cfg}
	sdk := cip.NewFromConfig(cfg)
	const pool = "eu-west-1_pool"
	ref := func(u string) (*string, *string) { return aws.String(pool), aws.String(u) }

	// same runs ours and the SDK's request and compares what was sent.
	same := func(name string, ours func() error, theirs func() error, ignore ...string) {
		t.Helper()
		require.NoError(t, ours(), name)
		a := calls()
		_ = theirs()
		b := calls()
		require.Len(t, b, 1, name)
		require.NotEmpty(t, a, name)
		var mine *call
		for i := range a {
			if a[i].Action == b[0].Action {
				mine = &a[i]
			}
		}
		require.NotNil(t, mine, "%s: no %s among %v", name, b[0].Action, a)
		for _, k := range ignore {
			assert.Contains(t, mine.Body, k, name)
			delete(mine.Body, k)
			delete(b[0].Body, k)
		}
		assert.Equal(t, b[0].Body, mine.Body, "%s: the body of %s", name, b[0].Action)
		assert.Equal(t, b[0].Signed, mine.Signed, "%s: signed as the SDK signs %s", name, b[0].Action)
		assert.Equal(t, mine.Signed, mine.Valid, "%s: a valid signature", name)
	}

	spec := identity.UserSpec{Email: "ann@acme.test", TenantID: "acme", Role: "admin", Tier: "standard"}
	attrs := []types.AttributeType{{Name: aws.String("email"), Value: aws.String(spec.Email)}, {Name: aws.String("email_verified"), Value: aws.String("true")},
		{Name: aws.String("custom:tenant_id"), Value: aws.String("acme")}, {Name: aws.String("custom:role"), Value: aws.String("admin")}, {Name: aws.String("custom:tier"), Value: aws.String("standard")}}

	same("TenantOf", func() error {
		tenant, found, err := p.TenantOf(ctx, pool, "ann@acme.test")
		assert.Equal(t, "acme", tenant)
		assert.True(t, found)
		return err
	}, func() error {
		id, u := ref("ann@acme.test")
		_, err := sdk.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: id, Username: u})
		return err
	})
	same("Invite", func() error {
		inv, err := p.Invite(ctx, pool, spec)
		assert.Equal(t, "sub-new", inv.Sub)
		assert.Len(t, inv.TemporaryPassword, identity.TemporaryPasswordLength)
		return err
	}, func() error {
		id, u := ref(spec.Email)
		_, err := sdk.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: id, Username: u, UserAttributes: attrs,
			TemporaryPassword: aws.String("x"), MessageAction: types.MessageActionTypeSuppress})
		return err
	}, "TemporaryPassword")
	ensure := spec
	ensure.Password = "Correct-Horse-9!"
	same("EnsureUser creates", func() error {
		sub, err := p.EnsureUser(ctx, pool, ensure)
		assert.Equal(t, "sub-new", sub)
		return err
	}, func() error {
		id, u := ref(spec.Email)
		_, err := sdk.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: id, Username: u, UserAttributes: attrs, MessageAction: types.MessageActionTypeSuppress})
		return err
	})
	same("EnsureUser sets the password", func() error { _, err := p.EnsureUser(ctx, pool, ensure); return err }, func() error {
		id, u := ref(spec.Email)
		_, err := sdk.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: id, Username: u, Password: aws.String(ensure.Password), Permanent: true})
		return err
	})
	same("SetRole", func() error { return p.SetRole(ctx, pool, "acme", "ann@acme.test", "admin") }, func() error {
		id, u := ref("ann@acme.test")
		_, err := sdk.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: id, Username: u,
			UserAttributes: []types.AttributeType{{Name: aws.String("custom:role"), Value: aws.String("admin")}}})
		return err
	})
	same("SetEnabled false", func() error { return p.SetEnabled(ctx, pool, "acme", "ann@acme.test", false) }, func() error {
		id, u := ref("ann@acme.test")
		_, err := sdk.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: id, Username: u})
		return err
	})
	same("SetEnabled true", func() error { return p.SetEnabled(ctx, pool, "acme", "ann@acme.test", true) }, func() error {
		id, u := ref("ann@acme.test")
		_, err := sdk.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: id, Username: u})
		return err
	})
	same("DeleteUser", func() error { return p.DeleteUser(ctx, pool, "acme", "ann@acme.test") }, func() error {
		id, u := ref("ann@acme.test")
		_, err := sdk.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: id, Username: u})
		return err
	})
	same("AssociateTOTP", func() error {
		secret, err := p.AssociateTOTP(ctx, "access-token")
		assert.Equal(t, "JBSWY3DPEHPK3PXP", secret)
		return err
	}, func() error {
		_, err := sdk.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: aws.String("access-token")})
		return err
	})
	same("VerifyTOTP", func() error { return p.VerifyTOTP(ctx, "access-token", "123456", "phone") }, func() error {
		_, err := sdk.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: aws.String("access-token"), UserCode: aws.String("123456"), FriendlyDeviceName: aws.String("phone")})
		return err
	})
	same("VerifyTOTP's preference", func() error { return p.VerifyTOTP(ctx, "access-token", "123456", "") }, func() error {
		_, err := sdk.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: aws.String("access-token"),
			SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}})
		return err
	})

	// The answers' meaning.
	mfa, err := p.MFA(ctx, pool, "ann@acme.test")
	require.NoError(t, err)
	assert.Equal(t, identity.MFAState{Methods: []string{"SOFTWARE_TOKEN_MFA"}, Preferred: "SOFTWARE_TOKEN_MFA"}, mfa)
	_, found, err := p.TenantOf(ctx, pool, "nobody@acme.test")
	require.NoError(t, err)
	assert.False(t, found, "UserNotFoundException is no user")
	assert.NoError(t, p.DeleteUser(ctx, pool, "acme", "nobody@acme.test"), "deleting no user is not an error")
	assert.ErrorIs(t, p.SetRole(ctx, pool, "acme", "nobody@acme.test", "user"), identity.ErrUserNotFound)
	assert.ErrorIs(t, p.SetRole(ctx, pool, "globex", "ann@acme.test", "user"), identity.ErrOtherTenant)
	assert.ErrorIs(t, p.VerifyTOTP(ctx, "access-token", "000000", ""), identity.ErrCodeMismatch)
	calls()
	inv, err := p.Invite(ctx, pool, identity.UserSpec{Email: "exists@acme.test", TenantID: "acme"})
	require.NoError(t, err)
	assert.Equal(t, "sub-1", inv.Sub, "an invited user who has not signed in")
	assert.Len(t, inv.TemporaryPassword, identity.TemporaryPasswordLength, "gets a new temporary password")
	var actions []string
	for _, c := range calls() {
		actions = append(actions, c.Action)
	}
	assert.Equal(t, []string{"AdminCreateUser", "AdminGetUser", "AdminSetUserPassword"}, actions)
	_, err = p.Invite(ctx, pool, identity.UserSpec{Email: "exists@acme.test", TenantID: "globex"})
	assert.ErrorIs(t, err, identity.ErrOtherTenant)
}
