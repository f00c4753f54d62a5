package localdeploy

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/gobuild"
)

// API is a template's REST API as the local gateway serves it: its methods
// and the functions behind them, its authorizer, usage plans, CORS answer
// and gateway responses.
type API struct {
	Methods []APIMethod
	// Authorizer of the methods that have one.
	Authorizer *APIAuthorizer
	// APIKeySource is AUTHORIZER (the authorizer names each caller's API
	// key) or HEADER (x-api-key).
	APIKeySource string
	// Plans by usage plan name ("issuetracker-basic").
	Plans map[string]UsagePlan
	// CORS is the answer of the OPTIONS methods (MOCK integrations).
	CORS *CORS
	// Preflights are the paths of the resources with an OPTIONS MOCK
	// method (their CORS preflight), sorted.
	Preflights []string
	// GatewayResponses maps a response type (DEFAULT_4XX, DEFAULT_5XX,
	// UNAUTHORIZED...) to the headers API Gateway adds to it.
	GatewayResponses map[string]map[string]string
	// GatewayBodies maps a response type to its status and body template,
	// for the types whose gateway response has them (Answer renders them).
	GatewayBodies map[string]GatewayBody
}

// GatewayBody is a gateway response's status (empty: the type's own) and
// body template by content type.
type GatewayBody struct {
	StatusCode string
	Templates  map[string]string
}

// APIMethod is one method of a resource, integrated with a function
// (AWS_PROXY).
type APIMethod struct {
	LogicalID string
	Method    string
	// Path is the resource path ("/v1/issues/{issueId}").
	Path string
	// Function is the integration's function (its folder name).
	Function string
	// Authorized is true when the method has the Lambda authorizer.
	Authorized     bool
	APIKeyRequired bool
	OperationName  string
}

// APIAuthorizer is a Lambda authorizer.
type APIAuthorizer struct {
	Function string
	Type     string // REQUEST or TOKEN
	// IdentityHeader is the header of the identity source
	// (method.request.header.Authorization).
	IdentityHeader string
	ResultTTL      time.Duration
}

// UsagePlan is a usage plan's throttle and quota.
type UsagePlan struct {
	Name        string
	Rate        float64
	Burst       int
	Quota       int64
	QuotaPeriod string
}

// CORS is the preflight answer.
type CORS struct {
	AllowOrigin, AllowHeaders, AllowMethods, MaxAge string
	// Headers are every static header of the answer, the ones above and
	// the rest (the security headers), by name.
	Headers map[string]string
}

// API reads the template's REST API (one per template) with l resolving
// its references. Methods that are not MOCK or AWS_PROXY to a Go function of
// the template are an error naming the method.
func (t *Template) API(l Locals) (*API, error) {
	apis := t.IDs("AWS::ApiGateway::RestApi")
	if len(apis) != 1 {
		return nil, fmt.Errorf("template %s has %d REST APIs; the local gateway serves one", t.Path, len(apis))
	}
	api := &API{Plans: map[string]UsagePlan{}, GatewayResponses: map[string]map[string]string{}, GatewayBodies: map[string]GatewayBody{}}
	api.APIKeySource, _ = t.Resources[apis[0]].Properties["ApiKeySourceType"].(string)
	if api.APIKeySource == "" {
		api.APIKeySource = "HEADER"
	}
	paths, err := t.resourcePaths()
	if err != nil {
		return nil, err
	}
	authorizers, err := t.apiAuthorizers()
	if err != nil {
		return nil, err
	}
	if err := t.apiMethods(l, api, paths, authorizers); err != nil {
		return nil, err
	}
	t.usagePlans(api)
	if err := t.gatewayResponses(l, api); err != nil {
		return nil, err
	}
	return api, nil
}

// apiAuthorizers reads the template's Lambda authorizers by logical id.
func (t *Template) apiAuthorizers() (map[string]*APIAuthorizer, error) {
	authorizers := map[string]*APIAuthorizer{}
	for _, id := range t.IDs("AWS::ApiGateway::Authorizer") {
		p := t.Resources[id].Properties
		fn, err := t.lambdaIn(p["AuthorizerUri"])
		if err != nil {
			return nil, fmt.Errorf("authorizer %s: %w", id, err)
		}
		a := &APIAuthorizer{Function: fn}
		a.Type, _ = p["Type"].(string)
		src, _ := p["IdentitySource"].(string)
		a.IdentityHeader, _ = strings.CutPrefix(src, "method.request.header.")
		ttl, ok := p["AuthorizerResultTtlInSeconds"].(float64)
		if !ok {
			ttl = 300 // API Gateway's default
		}
		a.ResultTTL = time.Duration(ttl) * time.Second
		authorizers[id] = a
	}
	return authorizers, nil
}

// apiMethods reads the template's methods into api.Methods (sorted by path,
// then method), taking the CORS answer from the first OPTIONS MOCK method
// and the authorizer from the CUSTOM methods.
func (t *Template) apiMethods(l Locals, api *API, paths map[string]string, authorizers map[string]*APIAuthorizer) error {
	for _, id := range t.IDs("AWS::ApiGateway::Method") {
		p := t.Resources[id].Properties
		m := APIMethod{LogicalID: id}
		m.Method, _ = p["HttpMethod"].(string)
		m.OperationName, _ = p["OperationName"].(string)
		m.APIKeyRequired, _ = p["ApiKeyRequired"].(bool)
		rid, err := refID(p["ResourceId"])
		if err != nil {
			return fmt.Errorf("method %s: %w", id, err)
		}
		var ok bool
		if m.Path, ok = paths[rid]; !ok {
			return fmt.Errorf("method %s: resource %s is not in the template", id, rid)
		}
		mock, err := t.integrate(l, api, &m, p)
		if err != nil {
			return err
		}
		if mock {
			if m.Method == "OPTIONS" {
				api.Preflights = append(api.Preflights, m.Path)
			}
			continue
		}
		if err := authorize(api, authorizers, &m, p); err != nil {
			return err
		}
		api.Methods = append(api.Methods, m)
	}
	sort.Strings(api.Preflights)
	sort.Slice(api.Methods, func(i, j int) bool {
		a, b := api.Methods[i], api.Methods[j]
		return a.Path < b.Path || a.Path == b.Path && a.Method < b.Method
	})
	return nil
}

// integrate reads the integration of method m (properties p). A MOCK
// integration answers true (the method is not served by a function; the
// first OPTIONS one gives api.CORS); an AWS_PROXY one sets m.Function; any
// other is an error.
func (t *Template) integrate(l Locals, api *API, m *APIMethod, p map[string]any) (mock bool, err error) {
	id := m.LogicalID
	integ, _ := p["Integration"].(map[string]any)
	switch typ, _ := integ["Type"].(string); typ {
	case "MOCK":
		if m.Method == "OPTIONS" && api.CORS == nil {
			if api.CORS, err = t.cors(l, integ); err != nil {
				return false, fmt.Errorf("method %s: %w", id, err)
			}
		}
		return true, nil
	case "AWS_PROXY":
		if m.Function, err = t.lambdaIn(integ["Uri"]); err != nil {
			return false, fmt.Errorf("method %s %s (%s): %w", m.Method, m.Path, id, err)
		}
		return false, nil
	default:
		return false, fmt.Errorf("method %s %s (%s): integration %q is not emulated locally", m.Method, m.Path, id, typ)
	}
}

// authorize reads the authorization of method m (properties p): CUSTOM
// marks m authorized and sets api.Authorizer (one for the whole API), NONE
// or none leaves it open, any other is an error.
func authorize(api *API, authorizers map[string]*APIAuthorizer, m *APIMethod, p map[string]any) error {
	at, _ := p["AuthorizationType"].(string)
	if at != "CUSTOM" {
		if at != "" && at != "NONE" {
			return fmt.Errorf("method %s %s: authorization %q is not emulated locally", m.Method, m.Path, at)
		}
		return nil
	}
	aid, err := refID(p["AuthorizerId"])
	if err != nil {
		return fmt.Errorf("method %s: %w", m.LogicalID, err)
	}
	a, ok := authorizers[aid]
	if !ok {
		return fmt.Errorf("method %s %s: authorizer %s is not in the template", m.Method, m.Path, aid)
	}
	if api.Authorizer != nil && api.Authorizer != a {
		return fmt.Errorf("method %s %s: a second authorizer %s; the local gateway runs one", m.Method, m.Path, aid)
	}
	api.Authorizer, m.Authorized = a, true
	return nil
}

// usagePlans reads the template's usage plans into api.Plans by name.
func (t *Template) usagePlans(api *API) {
	for _, id := range t.IDs("AWS::ApiGateway::UsagePlan") {
		p := t.Resources[id].Properties
		u := UsagePlan{}
		u.Name, _ = p["UsagePlanName"].(string)
		if th, ok := p["Throttle"].(map[string]any); ok {
			u.Rate, _ = th["RateLimit"].(float64)
			b, _ := th["BurstLimit"].(float64)
			u.Burst = int(b)
		}
		if q, ok := p["Quota"].(map[string]any); ok {
			n, _ := q["Limit"].(float64)
			u.Quota = int64(n)
			u.QuotaPeriod, _ = q["Period"].(string)
		}
		api.Plans[u.Name] = u
	}
}

// gatewayResponses reads the headers of the template's gateway responses
// into api.GatewayResponses by response type, with l resolving them.
func (t *Template) gatewayResponses(l Locals, api *API) error {
	for _, id := range t.IDs("AWS::ApiGateway::GatewayResponse") {
		p := t.Resources[id].Properties
		typ, _ := p["ResponseType"].(string)
		h := map[string]string{}
		params, _ := p["ResponseParameters"].(map[string]any)
		for k, v := range params {
			name, ok := strings.CutPrefix(k, "gatewayresponse.header.")
			if !ok {
				continue
			}
			s, err := l.Resolve(t, v)
			if err != nil {
				return fmt.Errorf("gateway response %s header %s: %w", typ, name, err)
			}
			h[name] = strings.Trim(s, "'")
		}
		api.GatewayResponses[typ] = h
		b := GatewayBody{Templates: map[string]string{}}
		b.StatusCode, _ = p["StatusCode"].(string)
		templates, _ := p["ResponseTemplates"].(map[string]any)
		for ct, v := range templates {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("gateway response %s: the %s template is not a string", typ, ct)
			}
			b.Templates[ct] = s
		}
		api.GatewayBodies[typ] = b
	}
	return nil
}

// resourcePaths maps each API resource (and the root) to its path.
func (t *Template) resourcePaths() (map[string]string, error) {
	paths := map[string]string{"/": "/"} // GetAtt RootResourceId resolves to "/"
	var walk func(id string, depth int) (string, error)
	walk = func(id string, depth int) (string, error) {
		if p, ok := paths[id]; ok {
			return p, nil
		}
		r, ok := t.Resources[id]
		if !ok || r.Type != "AWS::ApiGateway::Resource" || depth > 64 {
			return "", fmt.Errorf("API resource %s is not in the template", id)
		}
		parent, err := refID(r.Properties["ParentId"])
		if err != nil {
			return "", fmt.Errorf("API resource %s: %w", id, err)
		}
		pp, err := walk(parent, depth+1)
		if err != nil {
			return "", err
		}
		part, _ := r.Properties["PathPart"].(string)
		p := strings.TrimSuffix(pp, "/") + "/" + part
		paths[id] = p
		return p, nil
	}
	for _, id := range t.IDs("AWS::ApiGateway::Resource") {
		if _, err := walk(id, 0); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// refID reads a {"Ref": id} or the root's {"Fn::GetAtt": [api, "RootResourceId"]} ("/").
func refID(v any) (string, error) {
	m, _ := v.(map[string]any)
	if id, ok := m["Ref"].(string); ok {
		return id, nil
	}
	if a, ok := m["Fn::GetAtt"].([]any); ok && len(a) == 2 && a[1] == "RootResourceId" {
		return "/", nil
	}
	return "", fmt.Errorf("unsupported reference %v", v)
}

// lambdaIn finds the Go function an integration or authorizer URI invokes
// (the Fn::GetAtt [fn, Arn] inside its Fn::Join).
func (t *Template) lambdaIn(v any) (string, error) {
	var found []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if a, ok := v["Fn::GetAtt"].([]any); ok && len(a) == 2 && a[1] == "Arn" {
				if id, ok := a[0].(string); ok && t.Resources[id].Type == TypeFunction {
					found = append(found, id)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	if len(found) == 0 {
		return "", fmt.Errorf("its URI names no Lambda function of the template")
	}
	for _, id := range found[1:] {
		if id != found[0] {
			return "", fmt.Errorf("its URI names two functions (%s, %s)", found[0], id)
		}
	}
	src, _ := t.Resources[found[0]].Metadata[gobuild.SourceMetadata].(string)
	if src == "" {
		return "", fmt.Errorf("function %s is not a Go function of this project", found[0])
	}
	return src[strings.LastIndex(src, "/")+1:], nil
}

func (t *Template) cors(l Locals, integ map[string]any) (*CORS, error) {
	rs, _ := integ["IntegrationResponses"].([]any)
	if len(rs) == 0 {
		return nil, fmt.Errorf("a MOCK OPTIONS method without an integration response")
	}
	r0, _ := rs[0].(map[string]any)
	params, _ := r0["ResponseParameters"].(map[string]any)
	get := func(h string) (string, error) {
		v, ok := params["method.response.header."+h]
		if !ok {
			return "", nil
		}
		s, err := l.Resolve(t, v)
		return strings.Trim(s, "'"), err
	}
	c := &CORS{Headers: map[string]string{}}
	for k, v := range params {
		name, ok := strings.CutPrefix(k, "method.response.header.")
		if !ok {
			continue
		}
		s, err := l.Resolve(t, v)
		if err != nil {
			return nil, fmt.Errorf("CORS %s: %w", name, err)
		}
		c.Headers[name] = strings.Trim(s, "'")
	}
	var err error
	for _, f := range []struct {
		h string
		v *string
	}{{"Access-Control-Allow-Origin", &c.AllowOrigin}, {"Access-Control-Allow-Headers", &c.AllowHeaders},
		{"Access-Control-Allow-Methods", &c.AllowMethods}, {"Access-Control-Max-Age", &c.MaxAge}} {
		if *f.v, err = get(f.h); err != nil {
			return nil, fmt.Errorf("CORS %s: %w", f.h, err)
		}
	}
	return c, nil
}
