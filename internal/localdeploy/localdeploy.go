// Package localdeploy applies a synthesized CloudFormation template to the
// local cloud: its DynamoDB tables (name, keys, indexes, TTL) in DynamoDB
// Local and its Cognito user pools, app clients and groups in cognito-local.
// Every other resource is reported as not emulated. Applying a template
// again changes nothing, so onboarding and `make dev` can call it on every
// run; the local tables and pools are then the deployed ones.
package localdeploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Resource types the local cloud emulates.
const (
	TypeTable  = "AWS::DynamoDB::Table"
	TypePool   = "AWS::Cognito::UserPool"
	TypeClient = "AWS::Cognito::UserPoolClient"
	TypeGroup  = "AWS::Cognito::UserPoolGroup"
)

// Resource is one resource of a template.
type Resource struct {
	LogicalID  string `json:"logical_id"`
	Type       string `json:"type"`
	PhysicalID string `json:"physical_id,omitempty"`
}

// Result is what an Apply did.
type Result struct {
	Applied     []Resource        `json:"applied"`
	NotEmulated []Resource        `json:"not_emulated"`
	Outputs     map[string]string `json:"outputs"`
}

// Deployer applies templates to the local services.
type Deployer struct {
	DB      *dynamodb.Client
	Cognito *cip.Client
	// Rename maps a template's table and pool names to local ones (tests run
	// side by side under their own prefixes); nil keeps them.
	Rename func(name string) string
}

func (d Deployer) name(n string) string {
	if d.Rename == nil {
		return n
	}
	return d.Rename(n)
}

// PrefixRename replaces the deployed name prefix (schema.DefaultPrefix,
// the CDK app's default context) by prefix.
func PrefixRename(prefix string) func(string) string {
	from := schema.DefaultPrefix + "-"
	return func(n string) string {
		if prefix == "" || !strings.HasPrefix(n, from) {
			return n
		}
		return prefix + "-" + strings.TrimPrefix(n, from)
	}
}

type template struct {
	Resources map[string]struct {
		Type       string          `json:"Type"`
		Properties json.RawMessage `json:"Properties"`
	} `json:"Resources"`
	Outputs map[string]struct {
		Value any `json:"Value"`
	} `json:"Outputs"`
}

func load(path string) (template, error) {
	var t template
	b, err := os.ReadFile(path)
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("template %s: %w", path, err)
	}
	return t, nil
}

// ids lists logical ids of a type, sorted (a stable order of work).
func (t template) ids(typ string) []string {
	var out []string
	for id, r := range t.Resources {
		if r.Type == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// Apply creates what the template declares and the local cloud emulates.
func (d Deployer) Apply(ctx context.Context, path string) (Result, error) {
	t, err := load(path)
	if err != nil {
		return Result{}, err
	}
	res := Result{Outputs: map[string]string{}}
	phys := map[string]string{}
	done := func(id, typ, p string) {
		phys[id] = p
		res.Applied = append(res.Applied, Resource{LogicalID: id, Type: typ, PhysicalID: p})
	}
	for _, id := range t.ids(TypeTable) {
		name, err := d.table(ctx, t.Resources[id].Properties)
		if err != nil {
			return res, fmt.Errorf("%s: %w", id, err)
		}
		done(id, TypeTable, name)
	}
	for _, id := range t.ids(TypePool) {
		pool, err := d.pool(ctx, t.Resources[id].Properties)
		if err != nil {
			return res, fmt.Errorf("%s: %w", id, err)
		}
		done(id, TypePool, pool)
	}
	for _, id := range t.ids(TypeClient) {
		c, err := d.client(ctx, t.Resources[id].Properties, phys)
		if err != nil {
			return res, fmt.Errorf("%s: %w", id, err)
		}
		done(id, TypeClient, c)
	}
	for _, id := range t.ids(TypeGroup) {
		g, err := d.group(ctx, t.Resources[id].Properties, phys)
		if err != nil {
			return res, fmt.Errorf("%s: %w", id, err)
		}
		done(id, TypeGroup, g)
	}
	for id, r := range t.Resources {
		if _, ok := phys[id]; !ok {
			res.NotEmulated = append(res.NotEmulated, Resource{LogicalID: id, Type: r.Type})
		}
	}
	sort.Slice(res.NotEmulated, func(i, j int) bool { return res.NotEmulated[i].LogicalID < res.NotEmulated[j].LogicalID })
	for name, o := range t.Outputs {
		if v, ok := resolve(o.Value, phys); ok {
			res.Outputs[name] = v
		}
	}
	return res, nil
}

// Destroy deletes the template's tables and user pools (with their clients,
// groups and users), whatever their retention policy: offboarding wants
// nothing left. Missing resources are not an error.
func (d Deployer) Destroy(ctx context.Context, path string) error {
	t, err := load(path)
	if err != nil {
		return err
	}
	for _, id := range t.ids(TypeTable) {
		var p tableProps
		if err := json.Unmarshal(t.Resources[id].Properties, &p); err != nil {
			return err
		}
		p.TableName = d.name(p.TableName)
		_, err := d.DB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(p.TableName)})
		var nf *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &nf) {
			return fmt.Errorf("delete table %s: %w", p.TableName, err)
		}
	}
	pools := cognito.Pools{C: d.Cognito}
	for _, id := range t.ids(TypePool) {
		var p poolProps
		if err := json.Unmarshal(t.Resources[id].Properties, &p); err != nil {
			return err
		}
		pid, err := pools.FindPool(ctx, d.name(p.UserPoolName))
		if err != nil {
			return err
		}
		if pid != "" {
			if err := pools.DeletePool(ctx, pid); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolve turns an output value (a string or {"Ref": id}) into a string.
func resolve(v any, phys map[string]string) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok {
			p, ok := phys[ref]
			return p, ok
		}
	}
	return "", false
}

type keyElem struct{ AttributeName, KeyType string }

type tableProps struct {
	TableName              string
	AttributeDefinitions   []struct{ AttributeName, AttributeType string }
	KeySchema              []keyElem
	GlobalSecondaryIndexes []struct {
		IndexName  string
		KeySchema  []keyElem
		Projection struct {
			ProjectionType   string
			NonKeyAttributes []string
		}
	}
	TimeToLiveSpecification *struct {
		AttributeName string
		Enabled       bool
	}
	StreamSpecification *struct{ StreamViewType string }
}

func keySchema(ks []keyElem) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, len(ks))
	for i, k := range ks {
		out[i] = types.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: types.KeyType(k.KeyType)}
	}
	return out
}

func (d Deployer) table(ctx context.Context, raw json.RawMessage) (string, error) {
	var p tableProps
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", err
	}
	if p.TableName == "" {
		return "", fmt.Errorf("a table without TableName cannot be emulated (names must be known to the runtime)")
	}
	p.TableName = d.name(p.TableName)
	in := &dynamodb.CreateTableInput{TableName: aws.String(p.TableName), BillingMode: types.BillingModePayPerRequest,
		KeySchema: keySchema(p.KeySchema)}
	for _, a := range p.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName), AttributeType: types.ScalarAttributeType(a.AttributeType)})
	}
	for _, g := range p.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName), KeySchema: keySchema(g.KeySchema),
			Projection: &types.Projection{ProjectionType: types.ProjectionType(g.Projection.ProjectionType), NonKeyAttributes: g.Projection.NonKeyAttributes},
		})
	}
	if ss := p.StreamSpecification; ss != nil && ss.StreamViewType != "" {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(ss.StreamViewType)}
	}
	_, err := d.DB.CreateTable(ctx, in)
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return "", fmt.Errorf("create table %s: %w", p.TableName, err)
	}
	if err != nil { // the table exists: bring its indexes and stream up to the template
		if err := d.addMissingIndexes(ctx, in); err != nil {
			return "", err
		}
		if err := d.ensureStream(ctx, in); err != nil {
			return "", err
		}
	}
	w := dynamodb.NewTableExistsWaiter(d.DB, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(p.TableName)}, time.Minute); err != nil {
		return "", err
	}
	if ttl := p.TimeToLiveSpecification; ttl != nil && ttl.Enabled {
		_, err := d.DB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(p.TableName),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(ttl.AttributeName), Enabled: aws.Bool(true)}})
		var ve interface{ ErrorCode() string }
		if err != nil && !(errors.As(err, &ve) && ve.ErrorCode() == "ValidationException") { // already enabled
			return "", fmt.Errorf("ttl on %s: %w", p.TableName, err)
		}
	}
	return p.TableName, nil
}

type poolProps struct {
	UserPoolName string
	Schema       []struct {
		Name                       string
		AttributeDataType          string
		Mutable                    *bool
		StringAttributeConstraints *struct{ MinLength, MaxLength string }
	}
	Policies *struct {
		PasswordPolicy *struct {
			MinimumLength                                                      int32
			RequireLowercase, RequireUppercase, RequireNumbers, RequireSymbols bool
			TemporaryPasswordValidityDays                                      int32
		}
	}
	AliasAttributes        []string
	UsernameAttributes     []string
	AutoVerifiedAttributes []string
	MfaConfiguration       string
	EnabledMfas            []string
	AdminCreateUserConfig  *struct{ AllowAdminCreateUserOnly bool }
	UserPoolTags           map[string]string
}

func (d Deployer) pool(ctx context.Context, raw json.RawMessage) (string, error) {
	var p poolProps
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", err
	}
	p.UserPoolName = d.name(p.UserPoolName)
	pools := cognito.Pools{C: d.Cognito}
	if id, err := pools.FindPool(ctx, p.UserPoolName); err != nil || id != "" {
		return id, err
	}
	in := &cip.CreateUserPoolInput{PoolName: aws.String(p.UserPoolName), UserPoolTags: p.UserPoolTags}
	for _, a := range p.Schema {
		s := ciptypes.SchemaAttributeType{Name: aws.String(a.Name), AttributeDataType: ciptypes.AttributeDataType(a.AttributeDataType), Mutable: a.Mutable}
		if c := a.StringAttributeConstraints; c != nil {
			s.StringAttributeConstraints = &ciptypes.StringAttributeConstraintsType{MinLength: aws.String(c.MinLength), MaxLength: aws.String(c.MaxLength)}
		}
		in.Schema = append(in.Schema, s)
	}
	if p.Policies != nil && p.Policies.PasswordPolicy != nil {
		pp := p.Policies.PasswordPolicy
		in.Policies = &ciptypes.UserPoolPolicyType{PasswordPolicy: &ciptypes.PasswordPolicyType{MinimumLength: aws.Int32(pp.MinimumLength),
			RequireLowercase: pp.RequireLowercase, RequireUppercase: pp.RequireUppercase, RequireNumbers: pp.RequireNumbers,
			RequireSymbols: pp.RequireSymbols, TemporaryPasswordValidityDays: pp.TemporaryPasswordValidityDays}}
	}
	for _, a := range p.AliasAttributes {
		in.AliasAttributes = append(in.AliasAttributes, ciptypes.AliasAttributeType(a))
	}
	for _, a := range p.UsernameAttributes {
		in.UsernameAttributes = append(in.UsernameAttributes, ciptypes.UsernameAttributeType(a))
	}
	for _, a := range p.AutoVerifiedAttributes {
		in.AutoVerifiedAttributes = append(in.AutoVerifiedAttributes, ciptypes.VerifiedAttributeType(a))
	}
	// MFA "ON" is applied as OPTIONAL: cognito-local can only challenge
	// users who set MFA up, and answers SMS_MFA with "unsupported" for the
	// others, so a required-MFA pool (the provider's) could not sign anyone in
	// locally. Deployed, Cognito walks them through MFA set-up.
	mfa := p.MfaConfiguration
	if mfa == "ON" {
		mfa = "OPTIONAL"
	}
	if c := p.AdminCreateUserConfig; c != nil {
		in.AdminCreateUserConfig = &ciptypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: c.AllowAdminCreateUserOnly}
	}
	out, err := d.Cognito.CreateUserPool(ctx, in)
	if err != nil {
		return "", fmt.Errorf("create user pool %s: %w", p.UserPoolName, err)
	}
	if mfa != "" && mfa != "OFF" {
		mc := &cip.SetUserPoolMfaConfigInput{UserPoolId: out.UserPool.Id, MfaConfiguration: ciptypes.UserPoolMfaType(mfa)}
		if slices.Contains(p.EnabledMfas, "SOFTWARE_TOKEN_MFA") {
			mc.SoftwareTokenMfaConfiguration = &ciptypes.SoftwareTokenMfaConfigType{Enabled: true}
		}
		if _, err := d.Cognito.SetUserPoolMfaConfig(ctx, mc); err != nil {
			return "", fmt.Errorf("MFA config of %s: %w", p.UserPoolName, err)
		}
	}
	return aws.ToString(out.UserPool.Id), nil
}

func ref(v any, phys map[string]string) (string, error) {
	s, ok := resolve(v, phys)
	if !ok {
		return "", fmt.Errorf("cannot resolve %v", v)
	}
	return s, nil
}

// ErrStaleTable is returned when an existing local table lacks indexes the
// template declares.
var ErrStaleTable = errors.New("local table is older than the template")

// addMissingIndexes checks that an existing table has every index of the
// template. Deployed, CloudFormation adds a new index online; DynamoDB Local
// 1.25 accepts the UpdateTable but leaves the index CREATING forever and
// fails queries on it (measured), so locally the answer is a clear message:
// reset the local state.
func (d Deployer) addMissingIndexes(ctx context.Context, want *dynamodb.CreateTableInput) error {
	out, err := d.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: want.TableName})
	if err != nil {
		return fmt.Errorf("describe table %s: %w", aws.ToString(want.TableName), err)
	}
	have := map[string]bool{}
	for _, g := range out.Table.GlobalSecondaryIndexes {
		have[aws.ToString(g.IndexName)] = true
	}
	var missing []string
	for _, g := range want.GlobalSecondaryIndexes {
		if !have[aws.ToString(g.IndexName)] {
			missing = append(missing, aws.ToString(g.IndexName))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: table %s lacks the indexes %v; DynamoDB Local cannot add indexes to an existing table, so wipe the local state (`make dev-reset`) and start again",
			ErrStaleTable, aws.ToString(want.TableName), missing)
	}
	return nil
}

// ensureStream turns on the template's stream on an existing table (a
// table made before the template had one), as CloudFormation would; DynamoDB
// Local implements UpdateTable's StreamSpecification.
func (d Deployer) ensureStream(ctx context.Context, want *dynamodb.CreateTableInput) error {
	if want.StreamSpecification == nil {
		return nil
	}
	out, err := d.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: want.TableName})
	if err != nil {
		return fmt.Errorf("describe table %s: %w", aws.ToString(want.TableName), err)
	}
	if ss := out.Table.StreamSpecification; ss != nil && aws.ToBool(ss.StreamEnabled) {
		if ss.StreamViewType != want.StreamSpecification.StreamViewType {
			return fmt.Errorf("%w: table %s streams %s, the template wants %s; wipe the local state (`make dev-reset`)",
				ErrStaleTable, aws.ToString(want.TableName), ss.StreamViewType, want.StreamSpecification.StreamViewType)
		}
		return nil
	}
	if _, err := d.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: want.TableName, StreamSpecification: want.StreamSpecification}); err != nil {
		return fmt.Errorf("enable the stream of %s: %w", aws.ToString(want.TableName), err)
	}
	return nil
}

// client creates the template's app client with the settings that decide
// how sessions behave, as CloudFormation would: token validity (and its
// units), token revocation and user existence errors. cognito-local honours
// them; without them its tokens lasted 24 hours where the deployed ID token
// lasts one. A client made before (found by name) is brought to the
// template's settings, as a stack update would.
func (d Deployer) client(ctx context.Context, raw json.RawMessage, phys map[string]string) (string, error) {
	var p struct {
		ClientName                 string
		UserPoolId                 any
		ExplicitAuthFlows          []string
		GenerateSecret             bool
		AccessTokenValidity        *int32
		IdTokenValidity            *int32
		RefreshTokenValidity       *int32
		TokenValidityUnits         *ciptypes.TokenValidityUnitsType
		EnableTokenRevocation      *bool
		PreventUserExistenceErrors ciptypes.PreventUserExistenceErrorTypes
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", err
	}
	pool, err := ref(p.UserPoolId, phys)
	if err != nil {
		return "", err
	}
	var flows []ciptypes.ExplicitAuthFlowsType
	for _, f := range p.ExplicitAuthFlows {
		flows = append(flows, ciptypes.ExplicitAuthFlowsType(f))
	}
	out, err := d.Cognito.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(pool), MaxResults: aws.Int32(60)})
	if err != nil {
		return "", err
	}
	for _, c := range out.UserPoolClients {
		if aws.ToString(c.ClientName) != p.ClientName {
			continue
		}
		_, err := d.Cognito.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{
			UserPoolId: aws.String(pool), ClientId: c.ClientId, ClientName: aws.String(p.ClientName), ExplicitAuthFlows: flows,
			AccessTokenValidity: p.AccessTokenValidity, IdTokenValidity: p.IdTokenValidity, RefreshTokenValidity: aws.ToInt32(p.RefreshTokenValidity),
			TokenValidityUnits: p.TokenValidityUnits, EnableTokenRevocation: p.EnableTokenRevocation, PreventUserExistenceErrors: p.PreventUserExistenceErrors,
		})
		if err != nil {
			return "", fmt.Errorf("update client %s: %w", p.ClientName, err)
		}
		return aws.ToString(c.ClientId), nil
	}
	cr, err := d.Cognito.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(pool), ClientName: aws.String(p.ClientName), GenerateSecret: p.GenerateSecret, ExplicitAuthFlows: flows,
		AccessTokenValidity: p.AccessTokenValidity, IdTokenValidity: p.IdTokenValidity, RefreshTokenValidity: aws.ToInt32(p.RefreshTokenValidity),
		TokenValidityUnits: p.TokenValidityUnits, EnableTokenRevocation: p.EnableTokenRevocation, PreventUserExistenceErrors: p.PreventUserExistenceErrors,
	})
	if err != nil {
		return "", fmt.Errorf("create client %s: %w", p.ClientName, err)
	}
	return aws.ToString(cr.UserPoolClient.ClientId), nil
}

func (d Deployer) group(ctx context.Context, raw json.RawMessage, phys map[string]string) (string, error) {
	var p struct {
		GroupName  string
		UserPoolId any
		Precedence json.Number
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", err
	}
	pool, err := ref(p.UserPoolId, phys)
	if err != nil {
		return "", err
	}
	in := &cip.CreateGroupInput{UserPoolId: aws.String(pool), GroupName: aws.String(p.GroupName)}
	if n, err := strconv.Atoi(p.Precedence.String()); err == nil {
		in.Precedence = aws.Int32(int32(n))
	}
	_, err = d.Cognito.CreateGroup(ctx, in)
	var exists *ciptypes.GroupExistsException
	if err != nil && !errors.As(err, &exists) {
		return "", fmt.Errorf("create group %s: %w", p.GroupName, err)
	}
	return p.GroupName, nil
}
