package localdeploy

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// defaultStatus is the status API Gateway gives a response type whose
// gateway response does not set one
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
var defaultStatus = map[string]int{
	"ACCESS_DENIED": 403, "API_CONFIGURATION_ERROR": 500, "AUTHORIZER_CONFIGURATION_ERROR": 500,
	"AUTHORIZER_FAILURE": 500, "BAD_REQUEST_PARAMETERS": 400, "BAD_REQUEST_BODY": 400,
	"EXPIRED_TOKEN": 403, "INTEGRATION_FAILURE": 504, "INTEGRATION_TIMEOUT": 504, "INVALID_API_KEY": 403,
	"INVALID_SIGNATURE": 403, "MISSING_AUTHENTICATION_TOKEN": 403, "QUOTA_EXCEEDED": 429,
	"REQUEST_TOO_LARGE": 413, "RESOURCE_NOT_FOUND": 404, "THROTTLED": 429, "UNAUTHORIZED": 401,
	"UNSUPPORTED_MEDIA_TYPE": 415, "WAF_FILTERED": 403,
}

// defaultMessage is API Gateway's $context.error.message of a response
// type, where it does not depend on the request.
var defaultMessage = map[string]string{
	"ACCESS_DENIED":                "User is not authorized to access this resource with an explicit deny",
	"INTEGRATION_TIMEOUT":          "Endpoint request timed out",
	"MISSING_AUTHENTICATION_TOKEN": "Missing Authentication Token",
	"QUOTA_EXCEEDED":               "Limit Exceeded",
	"REQUEST_TOO_LARGE":            "Request Too Long",
	"THROTTLED":                    "Too Many Requests",
	"UNAUTHORIZED":                 "Unauthorized",
}

// GatewayAnswer is what API Gateway sends for one of its own answers.
type GatewayAnswer struct {
	Status      int
	ContentType string
	Body        []byte
}

// Answer renders the answer API Gateway makes itself for a response type,
// as the template's gateway responses define it: the type's own gateway
// response, else DEFAULT_4XX or DEFAULT_5XX by its status, else API
// Gateway's default body ({"message": ...}) where the response has no template. status is the type's status
// where API Gateway's is the request's (DEFAULT_4XX/5XX); message is API
// Gateway's $context.error.message for the types whose message depends on
// the request (the others have API Gateway's own); vars are the other $context variables
// (requestId, authorizer.code...) without the "$context." prefix.
//
// A gateway response template is not VTL: API Gateway only substitutes the
// $context variables, which is all this does (longest name first, so
// $context.error.messageString is not read as $context.error.message).
func (api *API) Answer(responseType string, status int, message string, vars map[string]string) GatewayAnswer {
	if s, ok := defaultStatus[responseType]; ok {
		status = s
	}
	if m, ok := defaultMessage[responseType]; ok {
		message = m
	}
	b, ok := api.GatewayBodies[responseType]
	if !ok {
		def := "DEFAULT_4XX"
		if status >= 500 {
			def = "DEFAULT_5XX"
		}
		b = api.GatewayBodies[def]
	}
	if n, err := strconv.Atoi(b.StatusCode); err == nil {
		status = n
	}
	quoted, _ := json.Marshal(message)
	all := map[string]string{"error.message": message, "error.messageString": string(quoted), "error.responseType": responseType}
	for k, v := range vars {
		all[k] = v
	}
	names := make([]string, 0, len(all))
	for k := range all {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	var pairs []string
	for _, k := range names {
		pairs = append(pairs, "$context."+k, all[k])
	}
	ct, tmpl := pick(b.Templates)
	if tmpl == "" {
		body, _ := json.Marshal(map[string]string{"message": message})
		return GatewayAnswer{Status: status, ContentType: "application/json", Body: body}
	}
	return GatewayAnswer{Status: status, ContentType: ct, Body: []byte(strings.NewReplacer(pairs...).Replace(tmpl))}
}

// pick chooses the template API Gateway uses without an Accept header the
// map names: application/json if present, else the only (or first) one.
func pick(templates map[string]string) (string, string) {
	if t, ok := templates["application/json"]; ok {
		return "application/json", t
	}
	cts := make([]string, 0, len(templates))
	for ct := range templates {
		cts = append(cts, ct)
	}
	sort.Strings(cts)
	if len(cts) == 0 {
		return "", ""
	}
	return cts[0], templates[cts[0]]
}
