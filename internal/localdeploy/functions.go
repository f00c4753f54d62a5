package localdeploy

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/cfntemplate"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/gobuild"
)

// TypeFunction is a Lambda function.
const TypeFunction = "AWS::Lambda::Function"

// Function is a Go Lambda function of a template: what to build and how
// Lambda would run it.
type Function struct {
	LogicalID string
	// Source is the package it is built from ("functions/issues", the
	// gofunction construct's metadata); Name its folder ("issues").
	Source, Name string
	// Env is the template's environment, unresolved.
	Env      map[string]any
	Timeout  time.Duration
	MemoryMB int
}

// Template is a parsed CloudFormation template, for the local cloud's
// functions and API.
type Template struct {
	Path      string
	Resources map[string]TemplateResource
}

// TemplateResource is one resource of a Template.
type TemplateResource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	Metadata   map[string]any `json:"Metadata"`
}

// ReadTemplate parses the template at path (a cloud assembly's
// <stack>.template.json or a golden <stack>.json) with its nested stacks
// inlined (cfntemplate.Flatten): the API's methods live in nested stacks,
// and a resource reads as if the platform stack held it.
func ReadTemplate(p string) (*Template, error) {
	name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(p), ".json"), ".template")
	flat, err := cfntemplate.LoadFlat(filepath.Dir(p), name)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", p, err)
	}
	b, err := json.Marshal(flat)
	if err != nil {
		return nil, err
	}
	t := &Template{Path: p}
	if err := json.Unmarshal(b, t); err != nil {
		return nil, fmt.Errorf("template %s: %w", p, err)
	}
	return t, nil
}

// IDs lists the logical ids of a type, sorted.
func (t *Template) IDs(typ string) []string {
	var out []string
	for id, r := range t.Resources {
		if r.Type == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// Functions are the template's Go functions (those built by gofunction,
// which records their package); others (CDK's own handlers) are not.
func (t *Template) Functions() ([]Function, error) {
	var out []Function
	for _, id := range t.IDs(TypeFunction) {
		r := t.Resources[id]
		src, _ := r.Metadata[gobuild.SourceMetadata].(string)
		if src == "" {
			continue
		}
		f := Function{LogicalID: id, Source: src, Name: path.Base(src), Env: map[string]any{}, MemoryMB: 128}
		if env, ok := r.Properties["Environment"].(map[string]any); ok {
			if vars, ok := env["Variables"].(map[string]any); ok {
				f.Env = vars
			}
		}
		secs, ok := r.Properties["Timeout"].(float64)
		if !ok {
			secs = 3 // CloudFormation's default
		}
		f.Timeout = time.Duration(secs * float64(time.Second))
		if m, ok := r.Properties["MemorySize"].(float64); ok {
			f.MemoryMB = int(m)
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("template %s declares no Go function (no %s metadata): synthesize it again (go test ./test/infra -update)", t.Path, gobuild.SourceMetadata)
	}
	return out, nil
}

// FunctionByLogicalID finds a function.
func FunctionByLogicalID(fns []Function, id string) (Function, bool) {
	for _, f := range fns {
		if f.LogicalID == id {
			return f, true
		}
	}
	return Function{}, false
}

// Locals are what the local cloud has in place of a template's resources.
type Locals struct {
	// Physical maps logical ids to what Apply made (tables, pools, clients).
	Physical map[string]string
	// Values maps logical ids to the local stand-ins the platform made
	// another way (a bucket it created, a bus it runs in process).
	Values map[string]string
	// URLs maps what a deployed URL becomes locally: "https://" + the
	// distribution's domain and the API's execute-api URL become the
	// gateway's plain-HTTP URL.
	URLs map[string]string
	// WebDomain is the local value of a CloudFront distribution's
	// DomainName; APIID the local REST API id.
	WebDomain, APIID string
	// Rename maps deployed names to local ones (tables, pools, buses).
	Rename func(string) string
	// Literals replace a variable's literal value by the local stand-in's,
	// keyed "NAME=value": "ITR_MAIL_SENDER=ses" -> "smtp" (mailpit stands
	// in for SES), "ITR_TABLE_PREFIX=issuetracker" -> the local prefix.
	Literals map[string]string
}

// ErrUnresolvable is a reference the local cloud cannot resolve.
type ErrUnresolvable struct {
	Function, Variable string
	Value              any
	Reason             string
}

func (e *ErrUnresolvable) Error() string {
	b, _ := json.Marshal(e.Value)
	return fmt.Sprintf("function %s: environment variable %s = %s cannot be resolved locally: %s", e.Function, e.Variable, b, e.Reason)
}

// Env resolves fn's environment against the local cloud. Every value must
// resolve: a reference to something the local cloud does not have is an
// *ErrUnresolvable naming the function and the variable. The attachment
// download distribution's variables are left out: the local cloud has no
// CloudFront, and downloads stay presigned GETs of the local S3 served by
// the gateway's /files, which adds the same headers.
func (l Locals) Env(t *Template, fn Function) (map[string]string, error) {
	out := make(map[string]string, len(fn.Env))
	names := make([]string, 0, len(fn.Env))
	for k := range fn.Env {
		if slices.Contains(envvars.CloudFrontDownloads, k) {
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v, err := l.resolve(t, fn.Env[k])
		if err != nil {
			return nil, &ErrUnresolvable{Function: fn.Name, Variable: k, Value: fn.Env[k], Reason: err.Error()}
		}
		if lit, ok := fn.Env[k].(string); ok {
			if local, ok := l.Literals[k+"="+lit]; ok {
				v = local
			}
		}
		for from, to := range l.URLs {
			v = strings.ReplaceAll(v, from, to)
		}
		out[k] = v
	}
	return out, nil
}

// Resolve resolves one template value (a string, Ref, Fn::GetAtt, Fn::Join,
// Fn::Select, Fn::Split, Fn::Sub without variables, Fn::ImportValue).
func (l Locals) Resolve(t *Template, v any) (string, error) {
	s, err := l.resolve(t, v)
	if err != nil {
		return "", err
	}
	for from, to := range l.URLs {
		s = strings.ReplaceAll(s, from, to)
	}
	return s, nil
}

// resolve resolves v without rewriting local URLs: a string or a scalar as
// is, a one-key map as the intrinsic function it names.
func (l Locals) resolve(t *Template, v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case float64, bool:
		return fmt.Sprint(v), nil
	case map[string]any:
		if len(v) != 1 {
			break
		}
		for fnName, arg := range v {
			if s, ok, err := l.intrinsic(t, fnName, arg); ok {
				return s, err
			}
		}
	}
	return "", fmt.Errorf("unsupported value %v", v)
}

// intrinsic resolves the intrinsic function fnName with its argument arg.
// ok is false when the function, or the shape of its argument, is not
// resolved locally.
func (l Locals) intrinsic(t *Template, fnName string, arg any) (s string, ok bool, err error) {
	switch fnName {
	case "Ref":
		id, _ := arg.(string)
		s, err = l.ref(t, id)
		return s, true, err
	case "Fn::GetAtt":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return "", false, nil
		}
		id, _ := a[0].(string)
		attr, _ := a[1].(string)
		s, err = l.getAtt(t, id, attr)
		return s, true, err
	case "Fn::Join":
		return l.join(t, arg)
	case "Fn::Select":
		return l.selectOf(t, arg)
	case "Fn::ImportValue":
		s, err = l.importValue(t, arg)
		return s, true, err
	case "Fn::Sub":
		if sub, isString := arg.(string); isString && !strings.Contains(sub, "${") {
			return sub, true, nil
		}
		return "", true, fmt.Errorf("Fn::Sub with variables is not resolved locally")
	}
	return "", false, nil
}

// join resolves Fn::Join's argument [separator, [values...]]; ok is false
// when the argument is not a pair.
func (l Locals) join(t *Template, arg any) (s string, ok bool, err error) {
	a, _ := arg.([]any)
	if len(a) != 2 {
		return "", false, nil
	}
	sep, _ := a[0].(string)
	parts, _ := a[1].([]any)
	var ss []string
	for _, p := range parts {
		s, err := l.resolve(t, p)
		if err != nil {
			return "", true, err
		}
		ss = append(ss, s)
	}
	return strings.Join(ss, sep), true, nil
}

// selectOf resolves Fn::Select's argument [index, list]; ok is false when
// the argument is not a pair.
func (l Locals) selectOf(t *Template, arg any) (s string, ok bool, err error) {
	a, _ := arg.([]any)
	if len(a) != 2 {
		return "", false, nil
	}
	i, _ := a[0].(float64)
	list, err := l.list(t, a[1])
	if err != nil {
		return "", true, err
	}
	if int(i) < 0 || int(i) >= len(list) {
		return "", true, fmt.Errorf("Fn::Select index %v out of range", a[0])
	}
	return list[int(i)], true, nil
}

// importValue resolves Fn::ImportValue from the exports of the local
// stacks.
func (l Locals) importValue(t *Template, arg any) (string, error) {
	name, err := l.resolve(t, arg)
	if err != nil {
		return "", err
	}
	if val, ok := l.Values["Export:"+name]; ok {
		return val, nil
	}
	return "", fmt.Errorf("no local stack exports %q", name)
}

func (l Locals) list(t *Template, v any) ([]string, error) {
	if m, ok := v.(map[string]any); ok {
		if a, ok := m["Fn::Split"].([]any); ok && len(a) == 2 {
			sep, _ := a[0].(string)
			s, err := l.resolve(t, a[1])
			if err != nil {
				return nil, err
			}
			return strings.Split(s, sep), nil
		}
	}
	return nil, fmt.Errorf("unsupported list %v", v)
}

// Pseudo parameters of the local cloud.
var pseudo = map[string]string{
	"AWS::Region": "us-east-1", "AWS::AccountId": "000000000000", "AWS::URLSuffix": "amazonaws.com",
	"AWS::Partition": "aws", "AWS::StackName": "IssueTracker-Platform",
}

func (l Locals) ref(t *Template, id string) (string, error) {
	if v, ok := pseudo[id]; ok {
		return v, nil
	}
	if v, ok := l.Values[id]; ok {
		return v, nil
	}
	if v, ok := l.Physical[id]; ok {
		return v, nil
	}
	r, ok := t.Resources[id]
	if !ok {
		return "", fmt.Errorf("%s is not a resource of the template", id)
	}
	switch r.Type {
	case "AWS::SecretsManager::Secret":
		// The secret's value reaches the function through its local
		// stand-in variable (ITR_CURSOR_KEY, ITR_STRIPE_API_KEY...).
		return "arn:aws:secretsmanager:us-east-1:000000000000:secret:" + id, nil
	case "AWS::Events::EventBus":
		if n, ok := r.Properties["Name"].(string); ok {
			return l.rename(n), nil
		}
	case "AWS::ApiGateway::RestApi":
		return l.APIID, nil
	case "AWS::SQS::Queue":
		// Queues are not emulated as a service: the local platform runs
		// their consumers in process (the webhook queue is a MemQueue). A
		// function process gets a stand-in URL it cannot send to.
		return "https://sqs.us-east-1.amazonaws.com/000000000000/" + id, nil
	case "AWS::ApiGateway::Stage":
		if n, ok := r.Properties["StageName"].(string); ok {
			return n, nil
		}
	case "AWS::Lambda::Function":
		if f, ok := r.Metadata[gobuild.SourceMetadata].(string); ok {
			return path.Base(f), nil
		}
	}
	return "", fmt.Errorf("%s (%s) is not emulated locally", id, r.Type)
}

func (l Locals) getAtt(t *Template, id, attr string) (string, error) {
	r, ok := t.Resources[id]
	if !ok {
		return "", fmt.Errorf("%s is not a resource of the template", id)
	}
	switch {
	case r.Type == "AWS::IAM::Role" && attr == "Arn":
		// No IAM locally: the tenant-scoped access the role grants is
		// enforced in process (tenantcreds.RequireTenant).
		return "arn:aws:iam::000000000000:role/" + id, nil
	case r.Type == "AWS::KMS::Key" && attr == "Arn":
		return "arn:aws:kms:us-east-1:000000000000:key/" + id, nil
	case r.Type == "AWS::CloudFront::Distribution" && attr == "DomainName" && l.WebDomain != "":
		return l.WebDomain, nil
	case r.Type == "AWS::Lambda::Function" && attr == "Arn":
		name, err := l.ref(t, id)
		if err != nil {
			return "", err
		}
		return "arn:aws:lambda:us-east-1:000000000000:function:" + name, nil
	case r.Type == "AWS::ApiGateway::RestApi" && attr == "RootResourceId":
		return "/", nil
	}
	return "", fmt.Errorf("%s.%s (%s) is not emulated locally", id, attr, r.Type)
}

func (l Locals) rename(n string) string {
	if l.Rename == nil {
		return n
	}
	return l.Rename(n)
}
