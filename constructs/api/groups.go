package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// A route group is the subtree of paths under one first segment: /health,
// or /v1/<segment> for the versioned API (/v1/issues holds /v1/issues,
// /v1/issues/{issueId}, ...). Every path resource belongs to exactly one
// group, so one nested stack creates it; the paths above the groups (the
// root and /v1) stay in the parent stack.
//
// DefaultRouteStacks assigns the groups to nested stacks by name, balanced
// so that each holds about seventy resources and methods of its limit of
// 500 (TestTheAPIIsSplitAcrossNestedStacks in test/infra keeps each under
// stacks.MaxTemplateResources). A group missing here gets a nested stack of
// its own, named after it, so a new feature's routes deploy without an edit
// here. A group's stack is part of its resources' identity: moving a group
// to another stack takes two deploys (remove it from one, then add it to
// the other), because both nested stacks update at once and API Gateway
// refuses a second resource with the same path.
var DefaultRouteStacks = map[string]string{
	"/v1/issues": "Issues", "/v1/labels": "Issues", "/v1/workflow": "Issues", "/v1/search": "Issues",
	"/v1/projects": "Issues", "/v1/views": "Issues", "/v1/imports": "Issues", "/v1/cycles": "Issues",
	"/v1/admin": "Admin", "/v1/registrations": "Admin",
	"/v1/users": "People", "/v1/teams": "People", "/v1/me": "People", "/v1/notifications": "People",
	"/v1/webhooks": "People", "/v1/audit": "People",
	"/v1/analytics": "Account", "/v1/billing": "Account", "/v1/settings": "Account", "/v1/branding": "Account",
	"/v1/workspaces": "Account", "/v1/usage": "Account", "/v1/storage": "Account", "/v1/tiers": "Account",
	"/v1/openapi.json": "Account", "/health": "Account",
}

// RouteStackID is the construct id of the nested stack named name.
func RouteStackID(name string) string { return "Routes" + name }

// authorizerHeader is the authorizer's identity source (and cache key).
const authorizerHeader = "Authorization"

// routePlan places every route: in a group of a nested stack, or in the
// parent when its path is above the groups.
type routePlan struct {
	shared       []string                  // paths the parent creates (besides the root), shortest first
	parentRoutes []routes.Route            // routes on the root or a shared path
	routes       map[string][]routes.Route // by group path
	stackOf      map[string]string         // group path -> nested stack name
}

// groupOf is the group of path, or "" when the path is above the groups.
func groupOf(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case segs[0] == "":
		return ""
	case segs[0] == "v1" && len(segs) == 1:
		return ""
	case segs[0] == "v1":
		return "/v1/" + segs[1]
	}
	return "/" + segs[0]
}

// splitPath splits a group path into its parent path and last segment.
func splitPath(p string) (parent, part string) {
	i := strings.LastIndex(p, "/")
	if i == 0 {
		return "/", p[1:]
	}
	return p[:i], p[i+1:]
}

func planRoutes(rs []routes.Route, assigned map[string]string) routePlan {
	p := routePlan{routes: map[string][]routes.Route{}, stackOf: map[string]string{}}
	shared := map[string]bool{}
	for _, r := range rs {
		g := groupOf(r.Path)
		if g == "" {
			p.parentRoutes = append(p.parentRoutes, r)
			if r.Path != "/" {
				shared[r.Path] = true
			}
			continue
		}
		p.routes[g] = append(p.routes[g], r)
		if parent, _ := splitPath(g); parent != "/" {
			shared[parent] = true
		}
		if _, ok := p.stackOf[g]; !ok {
			name, ok := assigned[g]
			if !ok {
				name = stackName(g)
			}
			p.stackOf[g] = name
		}
	}
	p.shared = slices.Sorted(maps.Keys(shared))
	return p
}

// stackName is the name of the nested stack of an unassigned group:
// /v1/saved-views is SavedViews.
func stackName(group string) string {
	_, part := splitPath(group)
	var b strings.Builder
	upper := true
	for _, c := range part {
		switch {
		case c >= 'a' && c <= 'z' && upper:
			b.WriteRune(c - 'a' + 'A')
			upper = false
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			b.WriteRune(c)
			upper = false
		default:
			upper = true
		}
	}
	return b.String()
}

// stackNames are the nested stacks of the plan, sorted.
func (p routePlan) stackNames() []string {
	set := map[string]bool{}
	for _, s := range p.stackOf {
		set[s] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// groupsOf are the groups of nested stack name, sorted.
func (p routePlan) groupsOf(name string) []string {
	var out []string
	for g, s := range p.stackOf {
		if s == name {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// localPath is c's construct path inside its stack: the function an
// integration invokes, whatever the app calls the stack.
func localPath(c constructs.IConstruct) string {
	return strings.TrimPrefix(*c.Node().Path(), *awscdk.Stack_Of(c).Node().Path()+"/")
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// deploymentVersion goes into the fingerprint: bump it when a change to
// this package's code alters what every method or resource renders (an
// option of addMethod, the integration, the preflight) without a change to
// the data hashed below, so the stage gets a new deployment.
const deploymentVersion = 2 // 2: the preflights carry the security headers

// fingerprint hashes everything an API Gateway deployment snapshots: every
// route (method, path, function, access), the authorizer, the CORS
// preflights, the gateway responses and where each group lives. It goes
// into the Deployment's logical id, so any change gives CloudFormation a
// new deployment and the stage moves to it; without it the stage would
// keep serving the routes of the first deployment (CDK hashes a
// single-stack API's methods the same way, but cannot see methods that
// live in nested stacks).
func (a *API) fingerprint() string {
	p := a.props
	type route struct {
		Method, Path, Function, Access, Operation string
		APIKey                                    bool
	}
	var rs []route
	for _, r := range p.Routes {
		rs = append(rs, route{Method: r.Method, Path: r.Path, Function: localPath(p.Functions[r.Function]),
			Access: string(r.Access.Kind), Operation: r.OperationID, APIKey: r.Access.Kind == routes.Tenant})
	}
	slices.SortFunc(rs, func(x, y route) int { return strings.Compare(x.Method+" "+x.Path, y.Method+" "+y.Path) })
	doc := map[string]any{
		"routes": rs,
		"authorizer": map[string]any{
			"name": p.Name + "-authorizer", "handler": localPath(p.Authorizer),
			"identitySource": authorizerHeader, "ttlSeconds": *p.AuthorizerCacheTTL.ToSeconds(nil),
		},
		"cors": map[string]any{
			"origins": p.CORSOrigins, "methods": edge.CORSAllowMethods, "headers": edge.CORSAllowHeaders,
			"maxAge": edge.CORSMaxAge.Seconds(),
		},
		"gatewayResponses": map[string]any{"expose": edge.CORSExposeHeaders, "security": edge.SecurityHeaders()},
		"integration":      "AWS_PROXY POST",
		"version":          deploymentVersion,
		"stacks":           planRoutes(p.Routes, p.RouteStacks).stackOf,
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
