package capacity

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/issuetracker/issuetracker/internal/cfntemplate"
)

// Design is what one deployment of the platform puts into an account and
// Region, counted from the synthesized CloudFormation templates
// (infra/templates, which the snapshot tests of test/infra keep equal to a
// fresh synth), so the model cannot drift from the CDK app.
type Design struct {
	// The platform stack (IssueTracker-Platform) and its nested stacks
	// (the API's routes, the alarms): counts below are across all of them,
	// except PlatformResources and PlatformOutputs, which CloudFormation
	// limits per template.
	PlatformResources int // CloudFormation resources in the largest platform template
	// PlatformLargest names the largest template (the stack, or
	// stack/nested construct id).
	PlatformLargest        string
	PlatformTemplates      int // the stack and its nested stacks
	PlatformTotalResources int // across every platform template
	PlatformOutputs        int // of the parent template
	PlatformRoles          int // AWS::IAM::Role
	PlatformTables         int // AWS::DynamoDB::Table (pooled + control)
	PlatformPools          int // AWS::Cognito::UserPool (shared tenant pool + provider pool)
	PlatformBuckets        int // AWS::S3::Bucket
	PooledGSIs             int // global secondary indexes of the pooled table
	UsagePlans             int // one per tier
	APIResources           int // AWS::ApiGateway::Resource (path segments)
	APIMethods             int // AWS::ApiGateway::Method (routes + CORS preflight)
	Functions              int // AWS::Lambda::Function
	EventRules             int // AWS::Events::Rule on the platform bus
	// StageRateLimit is the stage's default method throttle (requests/s per
	// method, constructs/api StageRateLimit).
	StageRateLimit float64
	// AuthorizerTTL is API Gateway's authorizer result cache, seconds.
	AuthorizerTTL float64
	// TokenHours is the ID token lifetime: a signed-in user refreshes it
	// (one UserAuthentication call) this often.
	TokenHours float64

	// One Platinum tenant's stack (IssueTracker-Tenant-<id>).
	TenantResources int
	TenantRoles     int
	TenantTables    int
	TenantPools     int
	TenantAlarms    int
}

// CDK bootstrap (`cdk bootstrap`, once per account and Region) adds one
// stack (CDKToolkit), one staging bucket and five roles (cfn-exec, deploy,
// file-publishing, image-publishing, lookup) that the provisioning
// pipeline deploys tenant stacks through.
const (
	bootstrapStacks  = 1
	bootstrapBuckets = 1
	bootstrapRoles   = 5
)

// Template file names of the synthesized stacks (infra/templates, kept equal
// to a fresh synth by the snapshot tests of test/infra).
const (
	PlatformTemplate = "IssueTracker-Platform.json"
	TenantTemplate   = "IssueTracker-Tenant-acme.json"
)

// DesignFromDir reads the platform template with its nested stacks, and
// the tenant template, from dir (infra/templates or a cloud assembly).
func DesignFromDir(dir string) (Design, error) {
	p, err := cfntemplate.Load(dir, strings.TrimSuffix(PlatformTemplate, ".json"))
	if err != nil {
		return Design{}, err
	}
	t, err := cfntemplate.Load(dir, strings.TrimSuffix(TenantTemplate, ".json"))
	if err != nil {
		return Design{}, err
	}
	return DesignFromStacks(p, t)
}

type template struct {
	Resources map[string]struct {
		Type       string          `json:"Type"`
		Properties json.RawMessage `json:"Properties"`
	} `json:"Resources"`
	Outputs map[string]json.RawMessage `json:"Outputs"`
}

// DesignFromTemplates counts a Design from the platform and Platinum tenant
// CloudFormation templates (JSON), each without nested stacks.
func DesignFromTemplates(platform, tenant []byte) (Design, error) {
	var p, t map[string]any
	if err := json.Unmarshal(platform, &p); err != nil {
		return Design{}, fmt.Errorf("platform template: %w", err)
	}
	if err := json.Unmarshal(tenant, &t); err != nil {
		return Design{}, fmt.Errorf("tenant template: %w", err)
	}
	return DesignFromStacks(&cfntemplate.Stack{Name: "platform", Template: p}, &cfntemplate.Stack{Name: "tenant", Template: t})
}

// DesignFromStacks counts a Design from the platform and Platinum tenant
// stacks, nested stacks included: resources are counted once across every
// template of a stack (the API's methods live in nested stacks), the
// per-template limit against the largest template.
func DesignFromStacks(platform, tenant *cfntemplate.Stack) (Design, error) {
	p, err := flat(platform)
	if err != nil {
		return Design{}, fmt.Errorf("platform template: %w", err)
	}
	t, err := flat(tenant)
	if err != nil {
		return Design{}, fmt.Errorf("tenant template: %w", err)
	}
	if len(p.Resources) == 0 || len(t.Resources) == 0 {
		return Design{}, fmt.Errorf("templates without resources")
	}
	outputs, _ := platform.Template["Outputs"].(map[string]any)
	d := Design{
		PlatformOutputs: len(outputs),
		PlatformRoles:   p.count("AWS::IAM::Role"),
		PlatformTables:  p.count("AWS::DynamoDB::Table"),
		PlatformPools:   p.count("AWS::Cognito::UserPool"),
		PlatformBuckets: p.count("AWS::S3::Bucket"),
		UsagePlans:      p.count("AWS::ApiGateway::UsagePlan"),
		APIResources:    p.count("AWS::ApiGateway::Resource"),
		APIMethods:      p.count("AWS::ApiGateway::Method"),
		Functions:       p.count("AWS::Lambda::Function"),
		EventRules:      p.count("AWS::Events::Rule"),
		TenantResources: len(t.Resources),
		TenantRoles:     t.count("AWS::IAM::Role"),
		TenantTables:    t.count("AWS::DynamoDB::Table"),
		TenantPools:     t.count("AWS::Cognito::UserPool"),
		TenantAlarms:    t.count("AWS::CloudWatch::Alarm"),
		TokenHours:      1,
	}
	for _, s := range platform.All() {
		d.PlatformTemplates++
		n := len(s.Resources())
		d.PlatformTotalResources += n
		if n > d.PlatformResources {
			d.PlatformResources, d.PlatformLargest = n, s.Name
		}
	}
	for _, r := range p.Resources {
		if read, ok := settingReaders[r.Type]; ok {
			read(r.Properties, &d)
		}
	}
	if d.StageRateLimit == 0 || d.AuthorizerTTL == 0 {
		return Design{}, fmt.Errorf("platform template: no stage throttle or authorizer cache found")
	}
	return d, nil
}

// settingReaders read the settings the model needs from the platform's
// resources, by resource type; a property that does not decode is skipped.
var settingReaders = map[string]func(props json.RawMessage, d *Design){
	"AWS::DynamoDB::Table":         readPooledGSIs,
	"AWS::ApiGateway::Stage":       readStageThrottle,
	"AWS::ApiGateway::Authorizer":  readAuthorizerTTL,
	"AWS::Cognito::UserPoolClient": readTokenHours,
}

// readPooledGSIs counts the pooled table's global secondary indexes.
func readPooledGSIs(raw json.RawMessage, d *Design) {
	var props struct {
		TableName string            `json:"TableName"`
		GSIs      []json.RawMessage `json:"GlobalSecondaryIndexes"`
	}
	if err := json.Unmarshal(raw, &props); err == nil && strings.HasSuffix(props.TableName, "-app") {
		d.PooledGSIs = len(props.GSIs)
	}
}

// readStageThrottle reads the stage's default method throttle.
func readStageThrottle(raw json.RawMessage, d *Design) {
	var props struct {
		MethodSettings []struct {
			ThrottlingRateLimit float64 `json:"ThrottlingRateLimit"`
		} `json:"MethodSettings"`
	}
	if err := json.Unmarshal(raw, &props); err == nil && len(props.MethodSettings) > 0 {
		d.StageRateLimit = props.MethodSettings[0].ThrottlingRateLimit
	}
}

// readAuthorizerTTL reads the authorizer's result cache.
func readAuthorizerTTL(raw json.RawMessage, d *Design) {
	var props struct {
		TTL float64 `json:"AuthorizerResultTtlInSeconds"`
	}
	if err := json.Unmarshal(raw, &props); err == nil {
		d.AuthorizerTTL = props.TTL
	}
}

// readTokenHours reads an app client's ID token validity in hours.
func readTokenHours(raw json.RawMessage, d *Design) {
	var props struct {
		IDToken float64 `json:"IdTokenValidity"`
		Units   struct {
			IDToken string `json:"IdToken"`
		} `json:"TokenValidityUnits"`
	}
	if err := json.Unmarshal(raw, &props); err != nil || props.IDToken <= 0 {
		return
	}
	switch props.Units.IDToken {
	case "minutes":
		d.TokenHours = props.IDToken / 60
	case "hours", "":
		d.TokenHours = props.IDToken
	case "days":
		d.TokenHours = props.IDToken * 24
	}
}

// flat is s with its nested stacks inlined, as a template.
func flat(s *cfntemplate.Stack) (template, error) {
	var t template
	m, err := s.Flatten()
	if err != nil {
		return t, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return t, err
	}
	return t, json.Unmarshal(b, &t)
}

func (t template) count(typ string) int {
	n := 0
	for _, r := range t.Resources {
		if r.Type == typ {
			n++
		}
	}
	return n
}
