package federation_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/federation"
)

// cognito is an httptest stand-in for the Cognito API (cognito-local has no
// AdminLinkProviderForUser): it records each request as the SDK sends it
// and answers ListUsers with users.
type cognito struct {
	mu    sync.Mutex
	calls []call
	users []map[string]any
	fail  string // an operation that answers an error
}

type call struct {
	op   string
	body map[string]any
}

func (c *cognito) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService.")
	b, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(b, &body)
	c.mu.Lock()
	c.calls = append(c.calls, call{op, body})
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if op == c.fail {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"InternalErrorException","message":"boom"}`)
		return
	}
	switch op {
	case "ListUsers":
		_ = json.NewEncoder(w).Encode(map[string]any{"Users": c.users})
	case "AdminLinkProviderForUser":
		_, _ = io.WriteString(w, `{}`)
	default:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"InvalidParameterException","message":"unexpected `+op+`"}`)
	}
}

func (c *cognito) ops() []string {
	var out []string
	for _, k := range c.calls {
		out = append(out, k.op)
	}
	return out
}

func user(name, status string, enabled bool, attrs map[string]string) map[string]any {
	var list []map[string]string
	for k, v := range attrs {
		list = append(list, map[string]string{"Name": k, "Value": v})
	}
	return map[string]any{"Username": name, "UserStatus": status, "Enabled": enabled, "Attributes": list}
}

func invitedUser() map[string]any {
	return user("6f1c-native", "FORCE_CHANGE_PASSWORD", true, map[string]string{
		"email": "ann@acme.test", "email_verified": "true", federation.TenantClaim: "acme"})
}

func linker(t *testing.T, c *cognito) federation.Linker {
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	client := cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	return federation.Linker{C: client}
}

func signUp(source, userName string, attrs map[string]string) events.CognitoEventUserPoolsPreSignup {
	var ev events.CognitoEventUserPoolsPreSignup
	ev.TriggerSource, ev.UserPoolID, ev.UserName = source, "us-east-1_pool", userName
	ev.Request.UserAttributes = attrs
	return ev
}

func google(email, verified string) events.CognitoEventUserPoolsPreSignup {
	return signUp("PreSignUp_ExternalProvider", "Google_104812345", map[string]string{"email": email, "email_verified": verified})
}

func TestAFirstGoogleSignInIsLinkedToTheInvitedUser(t *testing.T) {
	c := &cognito{users: []map[string]any{
		user("Google_999", "EXTERNAL_PROVIDER", true, map[string]string{"email": "ann@acme.test", "email_verified": "true"}),
		invitedUser(),
	}}
	_, err := linker(t, c).Handle(context.Background(), google("Ann@Acme.test", "true"))
	require.Error(t, err)
	assert.Equal(t, federation.LinkedMessage, err.Error(), "the first sign-in ends with the linked message, so the web app signs in again")

	require.Equal(t, []string{"ListUsers", "AdminLinkProviderForUser"}, c.ops())
	assert.Equal(t, map[string]any{"UserPoolId": "us-east-1_pool", "Filter": `email = "ann@acme.test"`, "Limit": float64(10)}, c.calls[0].body)
	assert.Equal(t, map[string]any{
		"UserPoolId":      "us-east-1_pool",
		"DestinationUser": map[string]any{"ProviderName": "Cognito", "ProviderAttributeValue": "6f1c-native"},
		"SourceUser":      map[string]any{"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "104812345"},
	}, c.calls[1].body)
}

func TestSignUpsThatAreNotLinkedAreRefused(t *testing.T) {
	cases := []struct {
		name  string
		ev    events.CognitoEventUserPoolsPreSignup
		users []map[string]any
		calls []string
	}{
		{"an email nobody invited", google("eve@evil.test", "true"), nil, []string{"ListUsers"}},
		{"an email Google has not verified", google("ann@acme.test", "false"), []map[string]any{invitedUser()}, nil},
		{"a provider that is not configured", signUp("PreSignUp_ExternalProvider", "Facebook_1", map[string]string{"email": "ann@acme.test", "email_verified": "true"}), []map[string]any{invitedUser()}, nil},
		{"an email the filter cannot carry", google(`ann"@acme.test`, "true"), []map[string]any{invitedUser()}, nil},
		{"a disabled user", google("ann@acme.test", "true"), []map[string]any{user("n", "CONFIRMED", false, map[string]string{"email": "ann@acme.test", "email_verified": "true", federation.TenantClaim: "acme"})}, []string{"ListUsers"}},
		{"a user without a tenant", google("ann@acme.test", "true"), []map[string]any{user("n", "CONFIRMED", true, map[string]string{"email": "ann@acme.test", "email_verified": "true"})}, []string{"ListUsers"}},
		{"a user whose email is not verified", google("ann@acme.test", "true"), []map[string]any{user("n", "CONFIRMED", true, map[string]string{"email": "ann@acme.test", "email_verified": "false", federation.TenantClaim: "acme"})}, []string{"ListUsers"}},
		{"only another federated user", google("ann@acme.test", "true"), []map[string]any{user("Google_1", "EXTERNAL_PROVIDER", true, map[string]string{"email": "ann@acme.test", "email_verified": "true", federation.TenantClaim: "acme"})}, []string{"ListUsers"}},
		{"two invited users with that email", google("ann@acme.test", "true"), []map[string]any{invitedUser(), invitedUser()}, []string{"ListUsers"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &cognito{users: tc.users}
			_, err := linker(t, c).Handle(context.Background(), tc.ev)
			require.Error(t, err)
			assert.Equal(t, federation.NotInvitedMessage, err.Error())
			assert.Equal(t, tc.calls, c.ops(), "nothing is linked")
		})
	}
}

func TestUsersCreatedByAdminsPassUntouched(t *testing.T) {
	for _, source := range []string{"PreSignUp_AdminCreateUser", "PreSignUp_SignUp"} {
		c := &cognito{}
		ev := signUp(source, "ann@acme.test", map[string]string{"email": "ann@acme.test"})
		got, err := linker(t, c).Handle(context.Background(), ev)
		require.NoError(t, err)
		assert.Equal(t, ev, got)
		assert.Empty(t, c.calls)
	}
}

func TestACognitoFailureIsAnErrorNotALink(t *testing.T) {
	c := &cognito{users: []map[string]any{invitedUser()}, fail: "AdminLinkProviderForUser"}
	_, err := linker(t, c).Handle(context.Background(), google("ann@acme.test", "true"))
	require.Error(t, err)
	assert.NotEqual(t, federation.LinkedMessage, err.Error())
	c = &cognito{fail: "ListUsers"}
	_, err = linker(t, c).Handle(context.Background(), google("ann@acme.test", "true"))
	require.Error(t, err)
	assert.Equal(t, []string{"ListUsers"}, c.ops())
}

func TestTheProviderNameIsMatchedWhateverItsCase(t *testing.T) {
	c := &cognito{users: []map[string]any{invitedUser()}}
	ev := signUp("PreSignUp_ExternalProvider", "google_77", map[string]string{"email": "ann@acme.test", "email_verified": "true"})
	_, err := linker(t, c).Handle(context.Background(), ev)
	require.EqualError(t, err, federation.LinkedMessage)
	assert.Equal(t, "Google", c.calls[1].body["SourceUser"].(map[string]any)["ProviderName"])
	assert.Equal(t, "77", c.calls[1].body["SourceUser"].(map[string]any)["ProviderAttributeValue"])
}
