package localdeploy_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
)

// make dev's template mode answers the gateway's own refusals from the
// template's gateway responses, as API Gateway does: each shared answer is
// the local gateway's problem, the authorizer's Deny its code, any other
// refusal the default's problem with API Gateway's message, and a template
// without gateway responses API Gateway's {"message": ...}.
func TestTheTemplatesGatewayResponsesRenderAsAPIGatewayRendersThem(t *testing.T) {
	tmpl := platformTemplate(t)
	api, err := tmpl.API(locals(tmpl))
	require.NoError(t, err)
	problem := func(a localdeploy.GatewayAnswer) httpapi.Problem {
		t.Helper()
		assert.Equal(t, httpapi.ProblemContentType, a.ContentType)
		var p httpapi.Problem
		require.NoError(t, json.Unmarshal(a.Body, &p), string(a.Body))
		return p
	}
	for _, g := range httpapi.GatewayAnswers {
		a := api.Answer(g.ResponseType, 0, "API Gateway's message", map[string]string{"requestId": "req-1"})
		assert.Equal(t, g.Status(), a.Status, g.ResponseType)
		assert.Equal(t, httpapi.ProblemOf(g.Err(), "", "req-1"), problem(a), g.ResponseType)
	}

	deny := errs.Forbidden("tenant_suspended", `this workspace is "suspended"`)
	a := api.Answer("ACCESS_DENIED", 403, "User is not authorized", map[string]string{
		"requestId": "req-2", "authorizer.code": deny.Code, "authorizer.message": deny.Message})
	assert.Equal(t, 403, a.Status)
	if assert.Equal(t, httpapi.ProblemContentType, a.ContentType) {
		// The template puts the message between quotes unescaped, as API
		// Gateway does: a quote in a Deny's message would break the JSON.
		assert.Contains(t, string(a.Body), `"code":"tenant_suspended"`)
	}

	a = api.Answer("BAD_REQUEST_BODY", 0, `Invalid request body: "title" is required`, map[string]string{"requestId": "req-3"})
	assert.Equal(t, 400, a.Status)
	p := problem(a)
	assert.Equal(t, "gateway_refused", p.Code)
	assert.Equal(t, `Invalid request body: "title" is required`, p.Detail, "messageString is the message as a JSON string")
	assert.Equal(t, "BAD_REQUEST_BODY", p.Title)
	a = api.Answer("REQUEST_TOO_LARGE", 0, "", map[string]string{"requestId": "req-3"})
	assert.Equal(t, 413, a.Status)
	assert.Equal(t, "Request Too Long", problem(a).Detail, "API Gateway's own message")

	a = api.Answer("AUTHORIZER_FAILURE", 0, "Internal server error", map[string]string{"requestId": "req-4"})
	assert.Equal(t, 500, a.Status)
	assert.Equal(t, "gateway_refused", problem(a).Code, "DEFAULT_5XX")

	bare := &localdeploy.API{GatewayBodies: map[string]localdeploy.GatewayBody{}}
	a = bare.Answer("UNAUTHORIZED", 0, "Unauthorized", nil)
	assert.Equal(t, 401, a.Status)
	assert.Equal(t, "application/json", a.ContentType)
	assert.JSONEq(t, `{"message":"Unauthorized"}`, string(a.Body))
	a = bare.Answer("MISSING_AUTHENTICATION_TOKEN", 0, "Missing Authentication Token", nil)
	assert.Equal(t, 403, a.Status, "API Gateway's own status without the template's")
}
