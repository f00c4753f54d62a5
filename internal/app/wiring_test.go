package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app/adminwire"
	"github.com/issuetracker/issuetracker/internal/app/analyticswire"
	"github.com/issuetracker/issuetracker/internal/app/billingwire"
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/filewire"
	"github.com/issuetracker/issuetracker/internal/app/metawire"
	"github.com/issuetracker/issuetracker/internal/app/notifywire"
	"github.com/issuetracker/issuetracker/internal/app/peoplewire"
	"github.com/issuetracker/issuetracker/internal/app/registrationwire"
	"github.com/issuetracker/issuetracker/internal/app/trackerwire"
	"github.com/issuetracker/issuetracker/internal/app/workspacewire"
	"github.com/issuetracker/issuetracker/internal/gobuild"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// wirings are the route functions' own wirings, the ones their mains
// serve (functions/<fn>/main.go).
var wirings = []core.Wiring{
	metawire.Meta, trackerwire.Issues, notifywire.Comments, peoplewire.Users, peoplewire.Teams,
	analyticswire.Analytics, filewire.Attachments, registrationwire.Registration, adminwire.Tenants,
	workspacewire.Workspace, billingwire.Billing,
}

// Each route function is served by its own wiring, which holds an
// operation for every route the route table gives it and no other: the handler a
// deployed function builds (core.Boot) is the route table's, not only the
// in-process platform's (TestEveryRouteHasAnOperation).
func TestEveryFunctionsWiringServesAllItsRoutes(t *testing.T) {
	t.Parallel()
	byFn := map[routes.Function]core.Wiring{}
	for _, w := range wirings {
		_, dup := byFn[w.Fn]
		require.False(t, dup, "two wirings of %s", w.Fn)
		byFn[w.Fn] = w
	}
	d := core.Deps{Names: schema.Names{Prefix: "unit"}}
	for _, fn := range routes.Functions() {
		t.Run(string(fn), func(t *testing.T) {
			w, ok := byFn[fn]
			require.True(t, ok, "no wiring for function %s: add one (docs/architecture.md, Wiring)", fn)
			ops := w.Operations(d)
			own := map[string]bool{}
			for _, rt := range routes.ForFunction(fn) {
				assert.Contains(t, ops, rt.OperationID, "%s %s of %s", rt.Method, rt.Path, fn)
				own[rt.OperationID] = true
			}
			// And nothing else: the linker keeps every handler the map
			// names, whatever the route table sends the function (the
			// workspace function linked the whole tenant lifecycle for its
			// two branding routes, comments every issue operation).
			for id := range ops {
				assert.True(t, own[id], "%s builds operation %s of another function: build only its own (docs/architecture.md, Wiring)", fn, id)
			}
			_, err := w.Handler(d)
			require.NoError(t, err)
		})
	}
}

// wiringPackage is the import path of the package that declares w's
// operations (the function's wiring package).
func wiringPackage(w core.Wiring) string {
	name := runtime.FuncForPC(reflect.ValueOf(w.Operations).Pointer()).Name()
	slash := strings.LastIndex(name, "/")
	return name[:slash+strings.Index(name[slash:], ".")]
}

// heavy are packages (and the packages under them; exactly the package
// when the key ends with "$") that only some functions may link, with who
// may.
var heavy = map[string][]string{
	// Billing's eight Stripe calls and the webhook's signature are
	// stripebilling's own (form-encoded REST): stripe-go's resource types
	// were 1.25 MB of the billing binary. stripe-go is the tests' oracle.
	"github.com/stripe/stripe-go": {},
	// Platinum stacks are followed with one signed DescribeStacks
	// (awsstacks.CFN, in the onboarding function).
	"github.com/aws/aws-sdk-go-v2/service/cloudformation": {},
	// Run requests and stack requests are one signed PutEvents (awsx/eventbus).
	"github.com/aws/aws-sdk-go-v2/service/eventbridge": {},
	// The usage plan ids are one signed GetParameters (apikeys.SSM).
	"github.com/aws/aws-sdk-go-v2/service/ssm": {},
	// Tenants' API keys are six signed restJson1 calls (apikeys.AWS).
	"github.com/aws/aws-sdk-go-v2/service/apigateway": {},
	// Platform health (adminwire) is one signed DescribeAlarms (cwalarms.Signed).
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch": {},
	// Mail is one signed SendEmail (sesmail.SES).
	"github.com/aws/aws-sdk-go-v2/service/sesv2": {},
	// The cursor key, Stripe's secrets and the CloudFront signing key are
	// one signed GetSecretValue each (awsjson.SecretsManager).
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager": {},
	// Roles are assumed with one signed AssumeRole (awsx/assumerole), not
	// the STS client and stscreds, which were ~200 KB in every function.
	"github.com/aws/aws-sdk-go-v2/service/sts":          {},
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds": {},
	// Only the SDK's XML clients need it: STS's, S3's and
	// CloudFormation's answers are read by hand (awsx/xmltext).
	"encoding/xml$": {},
	// Object storage is hand-signed (awsx/s3signed): the attachments'
	// calls, presigned URLs and file moves (s3objects), the lifecycle's
	// export archive (s3archive), the stream consumer's purge (s3delete).
	// The SDK client (awss3) is the tools' and tests'.
	"github.com/aws/aws-sdk-go-v2/service/s3": {},
	// The user pools' client: the functions' user calls are hand-signed
	// (cognito/signed, through cognitowire; core's Deps holds
	// identity.Pools). Only federation's PreSignUp trigger (presignupwire)
	// and the user-migration trigger keep the SDK client; the authorizer
	// reads the pools' MFA state with the signed calls. Billing has no
	// pools at all: its runs' steps (users) are the onboarding function's.
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider$": {"presignup", "usermigration"},
	// Google sign-in's PreSignUp trigger: its own function's only (it
	// shared authwire with the authorizer, which linked it and, through
	// it, the SDK's Cognito client).
	"github.com/issuetracker/issuetracker/internal/federation": {"presignup"},
	// The webhook queue's SendMessage is one signed call (sqsqueue.Client).
	"github.com/aws/aws-sdk-go-v2/service/sqs":              {},
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams$": {}, // the local pollers' (its schemas are DynamoDB's too)
	// Label names fold with text.Fold (a table), not x/text/cases, which
	// links x/text/language's tables and their initialisation.
	"golang.org/x/text/cases":    {},
	"golang.org/x/text/language": {},
	// Text is normalised to NFC by text.NFC (generated tables checked
	// against x/text by TestNFCIsXTextNorm), not x/text/unicode/norm.
	"golang.org/x/text/unicode/norm": {},
	// The local metrics log's rotation (package metricslog): the in-process
	// platform's only; in Lambda the lines go to stdout.
	"gopkg.in/natefinch/lumberjack.v2": {},
	// The SDK's default credential chain (sso, ssooidc, signin, imds):
	// functions read Lambda's environment credentials (awsx.LoadFunction).
	"github.com/aws/aws-sdk-go-v2/config": {},
	// The domains of a few functions, which package core (every
	// function's) once imported for its Deps' field types: the issues
	// function linked the lifecycle, billing, health and webhooks for
	// nothing (issue 19). Their Deps fields are untyped slots now, read
	// by the wirings that own them (core.As). meta serves the OpenAPI
	// document, which describes their bodies.
	"github.com/issuetracker/issuetracker/internal/onboarding$": {"billing", "meta", "onboarding", "registration", "tenants", "workspace"},
	"github.com/issuetracker/issuetracker/internal/billing$":    {"billing", "meta", "onboarding", "registration", "tenants"},
	"github.com/issuetracker/issuetracker/internal/health$":     {"billing", "meta", "onboarding", "registration", "tenants", "workspace"},
	"github.com/issuetracker/issuetracker/internal/webhook$":    {"comments", "meta", "stream-activity", "webhook-delivery"},
	// The capacity model (and the template reader under it) places new
	// tenants among the cells: package cells/placement, not package cells,
	// which every function's core reads the directory with (issue 19: 7 KB
	// of read-only data in issues).
	"github.com/issuetracker/issuetracker/internal/capacity$": {"billing", "meta", "onboarding", "registration", "tenants", "workspace"},
	// The in-process composition root imports every wiring.
	"github.com/issuetracker/issuetracker/internal/app$": {},
}

// A function links only what its routes need: its main imports its own
// wiring and no package of heavy that another function needs (go list,
// no build: fast). A wiring that starts importing, say, the lifecycle's
// CloudFormation client into the issues function fails here.
func TestFunctionsImportOnlyWhatTheirRoutesNeed(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs go list")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	mains, err := exec.Command("go", "list", "-C", root, "./functions/...").Output()
	require.NoError(t, err)
	deps := map[string][]string{}
	for _, m := range strings.Fields(string(mains)) {
		// As deployed: Lambda's OS and the functions' build tags
		// (without lambda.norpc, aws-lambda-go links net/rpc, whose debug
		// page is an html/template).
		list := exec.Command("go", "list", "-C", root, "-tags", gobuild.Tags, "-deps", "-f", "{{.ImportPath}}", m)
		list.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
		out, err := list.Output()
		require.NoError(t, err, m)
		deps[filepath.Base(m)] = strings.Fields(string(out))
	}
	require.NotEmpty(t, deps["issues"])
	for fn, ds := range deps {
		// Executing a text/template (html/template's engine) makes the
		// linker keep every exported method of every reachable type
		// (reflect's MethodByName): 10-25 MB per function. The mails
		// are Go functions (internal/mail/render.go).
		assert.NotContains(t, ds, "text/template", "functions/%s links text/template", fn)
		assert.NotContains(t, ds, "html/template", "functions/%s links html/template", fn)
	}
	for fn, ds := range deps {
		for prefix, allowed := range heavy {
			for _, d := range ds {
				exact, ok := strings.CutSuffix(prefix, "$")
				if d == exact || !ok && strings.HasPrefix(d, prefix+"/") {
					assert.Contains(t, allowed, fn, "functions/%s links %s", fn, d)
					break
				}
			}
		}
	}
	for _, w := range wirings {
		assert.Contains(t, deps[string(w.Fn)], wiringPackage(w), "functions/%s serves its wiring", w.Fn)
	}
	// The functions that send mail (core.WithMail) get the sender from
	// mailwire, which their mains import.
	for _, fn := range []string{"users", "registration", "billing", "onboarding", "stream-activity", "webhook-delivery"} {
		assert.Contains(t, deps[fn], "github.com/issuetracker/issuetracker/internal/app/mailwire", "functions/%s sends mail", fn)
	}
	// Nothing of ours that a function links compiles a regexp at package
	// initialisation: every cold start would pay for it (sync.OnceValue,
	// compiled on first use).
	const module = "github.com/issuetracker/issuetracker/"
	seen := map[string]bool{}
	for _, ds := range deps {
		for _, d := range ds {
			rel, ok := strings.CutPrefix(d, module)
			if !ok || seen[rel] {
				continue
			}
			seen[rel] = true
			for _, at := range regexpsAtInit(t, filepath.Join(root, rel)) {
				t.Errorf("%s: regexp compiled at package initialisation; compile it on first use (sync.OnceValue)", at)
			}
		}
	}
}

// regexpsAtInit are the places in dir's non-test Go files where a
// package-level variable is initialised with a regexp.MustCompile or
// regexp.Compile call.
func regexpsAtInit(t *testing.T, dir string) []string {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	var at []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, decl := range file.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, v := range spec.(*ast.ValueSpec).Values {
					// Only direct calls: a function literal (OnceValue's)
					// runs later.
					call, ok := v.(*ast.CallExpr)
					if !ok {
						continue
					}
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
						if x, ok := sel.X.(*ast.Ident); ok && x.Name == "regexp" && (sel.Sel.Name == "MustCompile" || sel.Sel.Name == "Compile") {
							at = append(at, fset.Position(call.Pos()).String())
						}
					}
				}
			}
		}
	}
	return at
}
