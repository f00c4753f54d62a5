// Package api defines the public REST API of IssueTracker from the route
// table in internal/routes, the tier catalog in internal/tiers and the edge
// behaviour in internal/edge: a Lambda authorizer on every non-public route
// (result cache edge.AuthorizerResultTTL), one usage plan per tier,
// per-tenant API keys supplied by the authorizer (usageIdentifierKey), CORS
// preflights, the edge's headers on API Gateway's own answers, access logs
// and stage throttling.
//
// CloudFormation takes at most 500 resources per template and the API's
// path resources and methods alone are near 300, so they live in nested
// stacks (CDK's documented pattern, aws-apigateway integ.restapi-import):
// the parent keeps the RestApi (deploy off), the /v1 resource shared by
// every group, the authorizer, the gateway responses, the usage plans, one
// invoke permission per function, and a Deployment and Stage that depend on
// every nested stack; each nested stack imports the RestApi and adds the
// paths of its route groups (groups.go). The Deployment's logical id hashes
// the route table and every setting a deployment snapshots (fingerprint),
// so any change redeploys the stage, as CDK does for a single-stack API.
//
// Deploying this layout over a stack that still holds the routes in the
// parent takes two deploys: nested stacks create their resources before the
// parent deletes its old ones, and API Gateway refuses a second resource
// with the same path. First deploy with the route groups removed (Routes
// without them), then with them.
package api

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/onboarding/apikeys"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Props configures an API.
type Props struct {
	// Functions maps every function named in Routes to its Lambda. Required.
	Functions map[routes.Function]awslambda.IFunction
	// Authorizer is the Lambda authorizer. Required.
	Authorizer awslambda.IFunction
	// Name is the API name and the prefix of usage plan names and SSM
	// parameters. Default: "issuetracker".
	Name string
	// StageName. Default: "prod".
	StageName string
	// Routes. Default: routes.All().
	Routes []routes.Route
	// Tiers get one usage plan each. Default: tiers.All().
	Tiers []tiers.Tier
	// AuthorizerCacheTTL caches the authorizer's policy per token, so the
	// policy must allow the whole API. Default: edge.AuthorizerResultTTL,
	// which the revocation delay the runtime promises is built on.
	AuthorizerCacheTTL awscdk.Duration
	// CORSOrigins allowed to call the API from a browser. The first one is
	// named in API Gateway's own error answers (a gateway response cannot
	// echo the origin). Default: the Vite dev server, http://localhost:5173.
	CORSOrigins []string
	// StageRateLimit and StageBurstLimit throttle the whole stage, public
	// routes included. Default: 1000 / 2000.
	StageRateLimit  *float64
	StageBurstLimit *float64
	// AccessLogRetention. Default: three months.
	AccessLogRetention awslogs.RetentionDays
	// RouteStacks assigns route groups (groups.go) to nested stacks.
	// Default: DefaultRouteStacks.
	RouteStacks map[string]string
}

// API is the REST API with its stage, authorizer and usage plans.
type API struct {
	constructs.Construct
	RestAPI    awsapigateway.RestApi
	Stage      awsapigateway.Stage
	Authorizer awsapigateway.RequestAuthorizer
	AccessLogs awslogs.LogGroup
	// UsagePlans by tier; tenants' API keys are attached at onboarding.
	UsagePlans map[tiers.Name]awsapigateway.UsagePlan
	// UsagePlanParameters are SSM parameters holding each plan's id, so
	// functions find the plan without a dependency cycle on the API.
	UsagePlanParameters map[tiers.Name]awsssm.StringParameter
	// Methods by "METHOD /path".
	Methods map[string]awsapigateway.Method
	// Deployment is the stage's current deployment; its logical id changes
	// with Fingerprint.
	Deployment awsapigateway.Deployment
	// Fingerprint is the hash of everything a deployment snapshots.
	Fingerprint string
	// RouteStacks are the nested stacks holding the path resources and
	// methods, by name (RouteStackID gives their construct id).
	RouteStacks map[string]awscdk.NestedStack
	// KeyPolicies are the policies GrantPlanKeys and GrantTenantKeys made.
	KeyPolicies []awsiam.Policy
	name        string
	props       Props
}

// UsagePlanParameterName is the SSM parameter that holds the id of the usage
// plan of tier t for the API named apiName.
func UsagePlanParameterName(apiName string, t tiers.Name) string {
	return ParameterPrefix(apiName) + string(t)
}

// ParameterPrefix is the SSM path under which the usage plan ids of the API
// named apiName live.
func ParameterPrefix(apiName string) string { return schema.UsagePlanParameterPrefix(apiName) }

// UsagePlanName is the name of the usage plan of tier t.
func UsagePlanName(apiName string, t tiers.Name) string { return apiName + "-" + string(t) }

// New defines the API. It panics when a route's function is missing.
func New(scope constructs.Construct, id string, props *Props) *API {
	if props == nil || props.Authorizer == nil || props.Functions == nil {
		panic(fmt.Sprintf("api %s: Functions and Authorizer are required", id))
	}
	p := withDefaults(*props)
	c := constructs.NewConstruct(scope, jsii.String(id))
	a := &API{Construct: c, name: p.Name, props: p,
		UsagePlans:          map[tiers.Name]awsapigateway.UsagePlan{},
		UsagePlanParameters: map[tiers.Name]awsssm.StringParameter{},
		Methods:             map[string]awsapigateway.Method{},
	}
	a.addRestAPI()
	a.addGatewayResponses()
	// One authorizer for every nested stack: CDK binds an Authorizer to
	// the first API it is attached to and compares the next one by
	// restApiId, which every imported copy shares (it is the parent's
	// RestApi id), so the L2 authorizer serves methods in any nested stack.
	a.Authorizer = awsapigateway.NewRequestAuthorizer(c, jsii.String("Authorizer"), &awsapigateway.RequestAuthorizerProps{
		AuthorizerName:  jsii.String(p.Name + "-authorizer"),
		Handler:         p.Authorizer,
		IdentitySources: &[]*string{awsapigateway.IdentitySource_Header(jsii.String(authorizerHeader))},
		ResultsCacheTtl: p.AuthorizerCacheTTL,
	})
	a.addMethods(id)
	a.securePreflights()
	a.addStage()
	a.addUsagePlans()
	return a
}

func withDefaults(p Props) Props {
	if p.Name == "" {
		p.Name = "issuetracker"
	}
	if p.StageName == "" {
		p.StageName = "prod"
	}
	if p.Routes == nil {
		p.Routes = routes.All()
	}
	if p.Tiers == nil {
		p.Tiers = tiers.All()
	}
	if p.AuthorizerCacheTTL == nil {
		p.AuthorizerCacheTTL = awscdk.Duration_Seconds(jsii.Number(edge.AuthorizerResultTTL.Seconds()))
	}
	if len(p.CORSOrigins) == 0 {
		p.CORSOrigins = []string{"http://localhost:5173"}
	}
	if p.StageRateLimit == nil {
		p.StageRateLimit = jsii.Number(1000)
	}
	if p.StageBurstLimit == nil {
		p.StageBurstLimit = jsii.Number(2000)
	}
	if p.AccessLogRetention == "" {
		p.AccessLogRetention = awslogs.RetentionDays_THREE_MONTHS
	}
	if p.RouteStacks == nil {
		p.RouteStacks = DefaultRouteStacks
	}
	return p
}

// addRestAPI adds the REST API (deployed by addStage once every nested
// stack's methods exist), its access log group, and the root's CORS
// preflight.
func (a *API) addRestAPI() {
	p := a.props
	a.AccessLogs = awslogs.NewLogGroup(a.Construct, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention:     p.AccessLogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	a.RestAPI = awsapigateway.NewRestApi(a.Construct, jsii.String("RestApi"), &awsapigateway.RestApiProps{
		RestApiName: jsii.String(p.Name),
		Description: jsii.String("IssueTracker public API"),
		// Usage plans meter the tenant's own key, returned by the authorizer.
		ApiKeySourceType:            awsapigateway.ApiKeySourceType_AUTHORIZER,
		EndpointTypes:               &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		CloudWatchRole:              jsii.Bool(true),
		DefaultCorsPreflightOptions: a.cors(),
		Deploy:                      jsii.Bool(false),
	})
}

// cors is the CORS preflight of internal/edge, for every path resource.
func (a *API) cors() *awsapigateway.CorsOptions {
	return &awsapigateway.CorsOptions{
		AllowOrigins: jsii.Strings(a.props.CORSOrigins...),
		AllowMethods: jsii.Strings(edge.CORSAllowMethods...),
		AllowHeaders: jsii.Strings(edge.CORSAllowHeaders...),
		MaxAge:       awscdk.Duration_Seconds(jsii.Number(edge.CORSMaxAge.Seconds())),
	}
}

// securePreflights puts the edge's security headers on every CORS preflight
// (the OPTIONS methods CDK's CorsOptions make, a MOCK integration on each
// resource), which CorsOptions cannot: the preflight is an answer of the API
// like any other (TestCORSPreflightsAreTheEdges). Each header is a static
// value of the integration response, declared in the method response.
func (a *API) securePreflights() {
	for _, c := range *a.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		m, ok := c.(awsapigateway.CfnMethod)
		if !ok || m.HttpMethod() == nil || *m.HttpMethod() != "OPTIONS" {
			continue
		}
		for _, k := range sortedKeys(edge.SecurityHeaders()) {
			v := edge.SecurityHeaders()[k]
			param := `method\.response\.header\.` + k
			m.AddPropertyOverride(jsii.String("Integration.IntegrationResponses.0.ResponseParameters."+param), jsii.String("'"+v+"'"))
			m.AddPropertyOverride(jsii.String("MethodResponses.0.ResponseParameters."+param), jsii.Bool(true))
		}
	}
}

// addStage deploys the API: a Deployment that depends on the authorizer,
// the parent's methods and every nested stack, with the fingerprint in its
// logical id, and the stage with access logs and throttling. Both keep the
// construct paths RestApi gives them with deploy on, so the stage keeps its
// logical id (a new logical id would create a second stage of the same name,
// which API Gateway refuses).
func (a *API) addStage() {
	p := a.props
	a.Fingerprint = a.fingerprint()
	a.Deployment = awsapigateway.NewDeployment(a.RestAPI, jsii.String("Deployment"), &awsapigateway.DeploymentProps{
		Api:         a.RestAPI,
		Description: jsii.String("IssueTracker public API"),
	})
	a.Deployment.AddToLogicalId(jsii.String(a.Fingerprint))
	a.Deployment.Node().AddDependency(a.Authorizer)
	for _, m := range *a.RestAPI.Methods() {
		a.Deployment.Node().AddDependency(m)
	}
	for _, name := range sortedKeys(a.RouteStacks) {
		a.Deployment.Node().AddDependency(a.RouteStacks[name].NestedStackResource())
	}
	a.Stage = awsapigateway.NewStage(a.RestAPI, jsii.String("DeploymentStage."+p.StageName), &awsapigateway.StageProps{
		Deployment:           a.Deployment,
		StageName:            jsii.String(p.StageName),
		AccessLogDestination: awsapigateway.NewLogGroupLogDestination(a.AccessLogs),
		AccessLogFormat:      awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat)),
		LoggingLevel:         awsapigateway.MethodLoggingLevel_ERROR,
		DataTraceEnabled:     jsii.Bool(false), // bodies hold tenant data
		MetricsEnabled:       jsii.Bool(true),
		TracingEnabled:       jsii.Bool(true),
		ThrottlingRateLimit:  p.StageRateLimit,
		ThrottlingBurstLimit: p.StageBurstLimit,
	})
	// The stage's logging needs the account's CloudWatch role first.
	if account := a.RestAPI.Node().TryFindChild(jsii.String("Account")); account != nil {
		a.Stage.Node().AddDependency(account)
	}
	a.RestAPI.SetDeploymentStage(a.Stage)
}

// addGatewayResponses puts the edge's headers on the answers API Gateway
// makes itself (401 from the authorizer, 429 from a usage plan, 403 from the
// WAF...): without CORS a browser could not even read them. The functions
// send the same headers on their own answers (internal/app), which API
// Gateway passes through as they are.
func (a *API) addGatewayResponses() {
	headers := map[string]*string{
		"Access-Control-Allow-Origin":   jsii.String("'" + a.props.CORSOrigins[0] + "'"),
		"Access-Control-Expose-Headers": jsii.String("'" + edge.List(edge.CORSExposeHeaders) + "'"),
		"Vary":                          jsii.String("'Origin'"),
	}
	for k, v := range edge.SecurityHeaders() {
		headers[k] = jsii.String("'" + v + "'")
	}
	// Every answer API Gateway makes itself is problem+json, as the
	// functions' and the local gateway's are: the ones the local gateway
	// also makes (no session, no route, a usage plan's limit, a timeout)
	// with the same status, code and detail (httpapi.GatewayAnswers), the
	// rest with API Gateway's message.
	problem := func() *map[string]*string {
		return &map[string]*string{httpapi.ProblemContentType: jsii.String(httpapi.GatewayDefaultTemplate)}
	}
	for _, r := range []struct {
		id  string
		typ awsapigateway.ResponseType
	}{{"Default4xx", awsapigateway.ResponseType_DEFAULT_4XX()}, {"Default5xx", awsapigateway.ResponseType_DEFAULT_5XX()}} {
		a.RestAPI.AddGatewayResponse(jsii.String(r.id), &awsapigateway.GatewayResponseOptions{Type: r.typ, ResponseHeaders: &headers, Templates: problem()})
	}
	for _, g := range httpapi.GatewayAnswers {
		a.RestAPI.AddGatewayResponse(jsii.String(GatewayResponseID(g.ResponseType)), &awsapigateway.GatewayResponseOptions{
			Type: awsapigateway.ResponseType_Of(jsii.String(g.ResponseType)), StatusCode: jsii.String(strconv.Itoa(g.Status())),
			ResponseHeaders: &headers, Templates: &map[string]*string{httpapi.ProblemContentType: jsii.String(g.Template())},
		})
	}
	// The authorizer's Deny (internal/authorizer.Handle: a suspended
	// tenant, a disabled user, a tenant living in another cell) carries
	// the problem's code and message in its context: the 403 renders them
	// as the problem+json the functions and the local gateway answer.
	a.RestAPI.AddGatewayResponse(jsii.String("AccessDenied"), &awsapigateway.GatewayResponseOptions{
		Type: awsapigateway.ResponseType_ACCESS_DENIED(), StatusCode: jsii.String("403"), ResponseHeaders: &headers,
		Templates: &map[string]*string{httpapi.ProblemContentType: jsii.String(AccessDeniedTemplate)},
	})
}

// GatewayResponseID is the construct id of a response type's gateway
// response: MISSING_AUTHENTICATION_TOKEN -> MissingAuthenticationToken.
func GatewayResponseID(responseType string) string {
	var b strings.Builder
	for _, part := range strings.Split(strings.ToLower(responseType), "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// AccessDeniedTemplate is the body of the authorizer's 403 in AWS: the
// problem (internal/httpapi.Problem) from the Deny policy's context.
const AccessDeniedTemplate = `{"type":"` + httpapi.ProblemTypeBase + `$context.authorizer.code","title":"Forbidden","status":403,` +
	`"detail":"$context.authorizer.message","code":"$context.authorizer.code","request_id":"$context.requestId"}`

// addMethods adds one method per route, behind the authorizer unless the
// route is public; tenant routes are metered by the tenant's API key. Each
// route group's paths go to its nested stack; paths shared by groups (/v1)
// stay in the parent.
func (a *API) addMethods(id string) {
	for _, r := range a.props.Routes {
		if _, ok := a.props.Functions[r.Function]; !ok {
			panic(fmt.Sprintf("api %s: no function %q for %s %s", id, r.Function, r.Method, r.Path))
		}
	}
	a.addPermissions()
	plan := planRoutes(a.props.Routes, a.props.RouteStacks)
	shared := map[string]awsapigateway.IResource{"/": a.RestAPI.Root()}
	for _, path := range plan.shared {
		shared[path] = a.RestAPI.Root().ResourceForPath(jsii.String(path))
	}
	a.RouteStacks = map[string]awscdk.NestedStack{}
	for _, name := range plan.stackNames() {
		ns := awscdk.NewNestedStack(a.Construct, jsii.String(RouteStackID(name)), &awscdk.NestedStackProps{
			Description: jsii.String("IssueTracker public API: routes " + strings.Join(plan.groupsOf(name), ", ")),
		})
		a.RouteStacks[name] = ns
		api := awsapigateway.RestApi_FromRestApiAttributes(ns, jsii.String("RestApi"), &awsapigateway.RestApiAttributes{
			RestApiId: a.RestAPI.RestApiId(), RootResourceId: a.RestAPI.RestApiRootResourceId(),
		})
		parents := map[string]awsapigateway.IResource{"/": api.Root()}
		for _, g := range plan.groupsOf(name) {
			parentPath, part := splitPath(g)
			parent, ok := parents[parentPath]
			if !ok {
				parent = awsapigateway.Resource_FromResourceAttributes(ns, jsii.String("Shared"+strings.ReplaceAll(parentPath, "/", "-")), &awsapigateway.ResourceAttributes{
					ResourceId: shared[parentPath].ResourceId(), RestApi: api, Path: jsii.String(parentPath),
				})
				parents[parentPath] = parent
			}
			// An imported resource has no CORS defaults to hand down.
			top := parent.AddResource(jsii.String(part), &awsapigateway.ResourceOptions{DefaultCorsPreflightOptions: a.cors()})
			for _, r := range plan.routes[g] {
				res := awsapigateway.IResource(top)
				if rest := strings.TrimPrefix(strings.TrimPrefix(r.Path, g), "/"); rest != "" {
					res = top.ResourceForPath(jsii.String(rest))
				}
				a.addMethod(res, r)
			}
		}
	}
	for _, r := range plan.parentRoutes {
		a.addMethod(shared[r.Path], r)
	}
}

// addMethod adds route r's method on res.
func (a *API) addMethod(res awsapigateway.IResource, r routes.Route) {
	opts := &awsapigateway.MethodOptions{OperationName: jsii.String(r.OperationID)}
	if r.Access.Kind == routes.Public {
		opts.AuthorizationType = awsapigateway.AuthorizationType_NONE
	} else {
		opts.AuthorizationType = awsapigateway.AuthorizationType_CUSTOM
		opts.Authorizer = a.Authorizer
		// Tenant calls are metered against the tenant's own key; root
		// users have no tenant key.
		opts.ApiKeyRequired = jsii.Bool(r.Access.Kind == routes.Tenant)
	}
	a.Methods[r.Method+" "+r.Path] = res.AddMethod(jsii.String(r.Method), a.integration(r.Function), opts)
}

// integration is the Lambda proxy integration of function f. It is the
// integration LambdaIntegration renders, without the invoke permission
// LambdaIntegration would add in every nested stack that uses the function:
// addPermissions adds one per function for the whole API.
func (a *API) integration(f routes.Function) awsapigateway.Integration {
	fn := a.props.Functions[f]
	arn := awscdk.Arn_Split(fn.FunctionArn(), awscdk.ArnFormat_COLON_RESOURCE_NAME)
	return awsapigateway.NewIntegration(&awsapigateway.IntegrationProps{
		Type:                  awsapigateway.IntegrationType_AWS_PROXY,
		IntegrationHttpMethod: jsii.String("POST"),
		Uri: jsii.String(fmt.Sprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations",
			*arn.Partition, *arn.Region, *fn.FunctionArn())),
	})
}

// addPermissions lets API Gateway invoke each routed function from any
// method and stage of this API: one permission per function instead of two
// per method, so the templates stay small as routes grow (and no
// test-invoke permission, which needs per-method scope).
func (a *API) addPermissions() {
	seen := map[routes.Function]bool{}
	for _, r := range a.props.Routes {
		if seen[r.Function] {
			continue
		}
		seen[r.Function] = true
		a.props.Functions[r.Function].AddPermission(jsii.String("ApiInvoke-"+*awscdk.Names_UniqueId(a.Construct)), &awslambda.Permission{
			Principal: awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
			SourceArn: a.RestAPI.ArnForExecuteApi(jsii.String("*"), jsii.String("/*"), jsii.String("*")),
		})
	}
}

// addUsagePlans adds one usage plan per tier, with the catalog's limits,
// and an SSM parameter with its id for the functions.
func (a *API) addUsagePlans() {
	for _, t := range a.props.Tiers {
		plan := a.RestAPI.AddUsagePlan(jsii.String("Plan-"+string(t.Name)), &awsapigateway.UsagePlanProps{
			Name:        jsii.String(UsagePlanName(a.name, t.Name)),
			Description: jsii.String(t.DisplayName + " tier"),
			Throttle: &awsapigateway.ThrottleSettings{
				RateLimit:  jsii.Number(t.RateLimit),
				BurstLimit: jsii.Number(float64(t.Burst)),
			},
			Quota: &awsapigateway.QuotaSettings{
				Limit:  jsii.Number(float64(t.MonthlyQuota)),
				Period: awsapigateway.Period_MONTH,
			},
			ApiStages: &[]*awsapigateway.UsagePlanPerApiStage{{Api: a.RestAPI, Stage: a.Stage}},
		})
		a.UsagePlans[t.Name] = plan
		a.UsagePlanParameters[t.Name] = awsssm.NewStringParameter(a.Construct, jsii.String("PlanId-"+string(t.Name)), &awsssm.StringParameterProps{
			ParameterName: jsii.String(UsagePlanParameterName(a.name, t.Name)),
			StringValue:   plan.UsagePlanId(),
			Description:   jsii.String("Usage plan id of the " + t.DisplayName + " tier"),
		})
	}
}

// TenantKeyTag is the tag every tenant's API key carries (its value is the
// tenant id; internal/onboarding/apikeys sets it): only keys with it may be
// deleted by the platform's functions.
const TenantKeyTag = apikeys.TenantTag

// GrantPlanKeys lets role put a tenant's API key on a tier's usage plan, or
// move it between plans, on the plans of this API only, and read the plans'
// ids from their SSM parameters. The statements are a policy of their own:
// the API depends on the functions, and a function depends on its role's
// default policy, which therefore cannot name the plans.
func (a *API) GrantPlanKeys(role awsiam.IRole) {
	stack := awscdk.Stack_Of(a.Construct)
	var plans, planKeys, params []*string
	for _, t := range a.props.Tiers {
		id := *a.UsagePlans[t.Name].UsagePlanId()
		plans = append(plans, a.gatewayArn("/usageplans/"+id+"/keys"))
		planKeys = append(planKeys, a.gatewayArn("/usageplans/"+id+"/keys/*"))
		params = append(params, stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ssm"), Resource: jsii.String("parameter"),
			ResourceName: jsii.String(strings.TrimPrefix(UsagePlanParameterName(a.name, t.Name), "/"))}))
	}
	a.policy(role, "PlanKeys",
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{ // CreateUsagePlanKey
			Actions: jsii.Strings("apigateway:POST"), Resources: &plans,
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{ // GetUsagePlanKey, DeleteUsagePlanKey
			Actions: jsii.Strings("apigateway:GET", "apigateway:DELETE"), Resources: &planKeys,
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("ssm:GetParameters"), Resources: &params,
		}))
}

// GrantTenantKeys lets role find, create and delete tenants' API keys: it
// may create a key only with the tenant tag (and no other tag), and delete
// only keys that carry it. Finding a key by name lists the account's keys:
// API Gateway has no narrower resource for that query.
func (a *API) GrantTenantKeys(role awsiam.IRole) {
	a.policy(role, "TenantKeys",
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("apigateway:GET"), Resources: &[]*string{a.gatewayArn("/apikeys")},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("apigateway:POST"), Resources: &[]*string{a.gatewayArn("/apikeys")},
			Conditions: &map[string]any{
				"Null":                      map[string]any{"aws:RequestTag/" + TenantKeyTag: "false"},
				"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": []string{TenantKeyTag}},
			},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("apigateway:DELETE"), Resources: &[]*string{a.gatewayArn("/apikeys/*")},
			Conditions: &map[string]any{"Null": map[string]any{"aws:ResourceTag/" + TenantKeyTag: "false"}},
		}))
}

// policy attaches statements to role as a policy of this construct.
func (a *API) policy(role awsiam.IRole, what string, statements ...awsiam.PolicyStatement) {
	id := what + "-" + *awscdk.Names_UniqueId(role)
	a.KeyPolicies = append(a.KeyPolicies, awsiam.NewPolicy(a.Construct, jsii.String(id), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{role}, Statements: &statements,
	}))
}

// gatewayArn is the ARN of an API Gateway management path in this region.
func (a *API) gatewayArn(path string) *string {
	stack := awscdk.Stack_Of(a.Construct)
	return jsii.String(fmt.Sprintf("arn:%s:apigateway:%s::%s", *stack.Partition(), *stack.Region(), path))
}

// ParameterPrefix is the SSM path under which the usage plan ids live.
func (a *API) ParameterPrefix() string { return ParameterPrefix(a.name) }

// URL is the invoke URL of the stage.
func (a *API) URL() *string { return a.RestAPI.Url() }

// BaseURL is the stage's invoke URL without the trailing slash, built from
// the REST API's id and the stage's name only, so a function the API
// integrates may hold it: URL names the stage, which depends on the
// deployment and so on every method and its function (a cycle).
func (a *API) BaseURL() *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), a.RestAPI.RestApiId(),
		jsii.String(".execute-api."), awscdk.Aws_REGION(), jsii.String("."), awscdk.Aws_URL_SUFFIX(), jsii.String("/" + a.props.StageName)})
}

// accessLogFormat is one JSON line per request, with the tenant from the
// authorizer context so access logs can be read per tenant.
const accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"requestTime":"$context.requestTime","method":"$context.httpMethod","path":"$context.path",` +
	`"resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol",` +
	`"responseLength":"$context.responseLength","latencyMs":"$context.responseLatency",` +
	`"integrationLatencyMs":"$context.integrationLatency","tenantId":"$context.authorizer.tenantId",` +
	`"userId":"$context.authorizer.userId","apiKeyId":"$context.identity.apiKeyId",` +
	`"error":"$context.error.messageString","authorizerError":"$context.authorizer.error"}`
