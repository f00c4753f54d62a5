// Package identity defines a Cognito user pool of IssueTracker: the shared
// tenant pool, the provider (root) pool, or a Platinum tenant's dedicated
// pool. Each comes with its groups, the custom claims the runtime reads
// (custom:tenant_id, custom:role, custom:tier), a web/CLI app client, a hosted
// UI domain and, when configured, Google sign-in for invited people: a
// PreSignUp trigger (functions/presignup, internal/federation) links a first
// Google sign-in to the user a tenant invited with the same verified email,
// so it carries that user's tenant claim, and refuses anyone not invited.
package identity

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/internal/passwordpolicy"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// Custom attribute names without the "custom:" prefix Cognito adds to claims.
const (
	AttrTenantID = "tenant_id"
	AttrRole     = "role"
	AttrTier     = "tier"
)

// Kind is what a pool is for.
type Kind string

const (
	// Tenants is a pool of tenant users: the shared pool or a dedicated one.
	// Groups user, admin, super_admin.
	Tenants Kind = "tenants"
	// Provider is the SaaS provider's pool. Group root.
	Provider Kind = "provider"
)

// MFA is the multi-factor policy of a pool.
type MFA string

const (
	MFAOptional MFA = "optional" // users may enrol SMS or TOTP
	MFARequired MFA = "required" // every user must use SMS or TOTP
)

// Google configures the Google identity provider.
type Google struct {
	// ClientID is the Google OAuth client id. Required.
	ClientID string
	// ClientSecretName is the name or ARN of the Secrets Manager secret that
	// holds the client secret as a plain string. Required.
	ClientSecretName string
	// RepoRoot holds functions/presignup, the linking trigger, built like
	// every function. Default: found from the working directory.
	RepoRoot string
	// TriggerName is the trigger function's physical name. Default: generated.
	TriggerName string
}

// Props configures a Pool.
type Props struct {
	// PoolName is the user pool name. Required.
	PoolName string
	// Kind selects the groups. Default: Tenants.
	Kind Kind
	// MFA is the MFA policy. Default: MFARequired for Provider, MFAOptional
	// for Tenants (Premium and Platinum tenants enforce it in the app, per
	// tenant, because a shared pool has one policy for everyone).
	MFA MFA
	// DomainPrefix is the hosted UI domain prefix
	// (https://<prefix>.auth.<region>.amazoncognito.com). Required.
	DomainPrefix string
	// CallbackURLs of the web app for the authorization code flow.
	// Default: the Vite dev server, http://localhost:5173/auth/callback.
	CallbackURLs []string
	// LogoutURLs of the web app. Default: http://localhost:5173/.
	LogoutURLs []string
	// Google enables "Sign in with Google". Default: nil, no Google.
	Google *Google
	// FeaturePlan is the Cognito feature plan. Default: ESSENTIALS (threat
	// protection needs PLUS, billed per MAU).
	FeaturePlan awscognito.FeaturePlan
	// RemovalPolicy when the pool leaves the stack. Default: RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
	// DeletionProtection blocks DeleteUserPool. Default: true.
	DeletionProtection *bool
}

// Pool is a user pool with its groups, app client and domain.
type Pool struct {
	constructs.Construct
	UserPool awscognito.UserPool
	Client   awscognito.UserPoolClient
	Domain   awscognito.UserPoolDomain
	// Groups by role name.
	Groups map[roles.Role]awscognito.CfnUserPoolGroup
	// Google is nil unless configured.
	Google awscognito.UserPoolIdentityProviderGoogle
	// LinkTrigger is the PreSignUp trigger that links Google sign-ins to
	// invited users; nil without Google.
	LinkTrigger *gofunction.Function
	Kind        Kind
	MFA         MFA
}

// New defines a user pool. It panics when a required prop is missing.
func New(scope constructs.Construct, id string, props *Props) *Pool {
	if props == nil || props.PoolName == "" || props.DomainPrefix == "" {
		panic(fmt.Sprintf("identity %s: PoolName and DomainPrefix are required", id))
	}
	p := *props
	if p.Kind == "" {
		p.Kind = Tenants
	}
	if p.MFA == "" {
		p.MFA = MFAOptional
		if p.Kind == Provider {
			p.MFA = MFARequired
		}
	}
	if p.CallbackURLs == nil {
		p.CallbackURLs = []string{"http://localhost:5173/auth/callback"}
	}
	if p.LogoutURLs == nil {
		p.LogoutURLs = []string{"http://localhost:5173/"}
	}
	if p.FeaturePlan == "" {
		p.FeaturePlan = awscognito.FeaturePlan_ESSENTIALS
	}
	if p.RemovalPolicy == "" {
		p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	if p.DeletionProtection == nil {
		p.DeletionProtection = jsii.Bool(true)
	}

	c := constructs.NewConstruct(scope, jsii.String(id))
	out := &Pool{Construct: c, Kind: p.Kind, MFA: p.MFA, Groups: map[roles.Role]awscognito.CfnUserPoolGroup{}}

	out.UserPool = newUserPool(c, p)
	stableSMSExternalID(out.UserPool, p.PoolName)
	out.addGroups()
	idps := []awscognito.UserPoolClientIdentityProvider{awscognito.UserPoolClientIdentityProvider_COGNITO()}
	if p.Google != nil {
		out.addGoogle(id, p.Google)
		idps = append(idps, awscognito.UserPoolClientIdentityProvider_GOOGLE())
	}
	out.addClient(p, idps)
	out.Domain = out.UserPool.AddDomain(jsii.String("Domain"), &awscognito.UserPoolDomainOptions{
		CognitoDomain: &awscognito.CognitoDomainOptions{DomainPrefix: jsii.String(p.DomainPrefix)},
	})
	return out
}

// newUserPool is the pool: email as the username, a strong password policy,
// MFA by SMS or TOTP, and the custom claims the runtime reads.
func newUserPool(c constructs.Construct, p Props) awscognito.UserPool {
	mfa := awscognito.Mfa_OPTIONAL
	if p.MFA == MFARequired {
		mfa = awscognito.Mfa_REQUIRED
	}
	return awscognito.NewUserPool(c, jsii.String("UserPool"), &awscognito.UserPoolProps{
		UserPoolName: jsii.String(p.PoolName),
		// Users are created by onboarding and by tenant admins, never by
		// sign-up (a first Google sign-in is linked to such a user: addGoogle).
		SelfSignUpEnabled: jsii.Bool(false),
		// Email IS the username (UsernameAttributes), as the runtime assumes: admin
		// calls and sign-in pass the email; Cognito keeps the sub as the name.
		SignInAliases:   &awscognito.SignInAliases{Email: jsii.Bool(true)},
		AutoVerify:      &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		AccountRecovery: awscognito.AccountRecovery_EMAIL_ONLY,
		// The one policy (internal/passwordpolicy): the web app's first
		// sign-in form and the platform's sign-in check it too.
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:            jsii.Number(passwordpolicy.Pools.MinLength),
			RequireDigits:        jsii.Bool(passwordpolicy.Pools.RequireDigits),
			RequireLowercase:     jsii.Bool(passwordpolicy.Pools.RequireLowercase),
			RequireUppercase:     jsii.Bool(passwordpolicy.Pools.RequireUppercase),
			RequireSymbols:       jsii.Bool(passwordpolicy.Pools.RequireSymbols),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(passwordpolicy.Pools.TempPasswordDays)),
		},
		Mfa:             mfa,
		MfaSecondFactor: &awscognito.MfaSecondFactor{Sms: jsii.Bool(true), Otp: jsii.Bool(true)},
		CustomAttributes: &map[string]awscognito.ICustomAttribute{
			// The tenant of a user never changes: immutable after creation.
			AttrTenantID: awscognito.NewStringAttribute(&awscognito.StringAttributeProps{Mutable: jsii.Bool(false), MinLen: jsii.Number(1), MaxLen: jsii.Number(64)}),
			AttrRole:     awscognito.NewStringAttribute(&awscognito.StringAttributeProps{Mutable: jsii.Bool(true), MinLen: jsii.Number(1), MaxLen: jsii.Number(32)}),
			AttrTier:     awscognito.NewStringAttribute(&awscognito.StringAttributeProps{Mutable: jsii.Bool(true), MinLen: jsii.Number(1), MaxLen: jsii.Number(32)}),
		},
		FeaturePlan:                  p.FeaturePlan,
		StandardThreatProtectionMode: threatMode(p.FeaturePlan),
		DeletionProtection:           p.DeletionProtection,
		RemovalPolicy:                p.RemovalPolicy,
	})
}

// addGroups adds one group per role of the pool's kind.
func (out *Pool) addGroups() {
	for i, r := range groupsOf(out.Kind) {
		out.Groups[r] = awscognito.NewCfnUserPoolGroup(out.Construct, jsii.String("Group-"+string(r)), &awscognito.CfnUserPoolGroupProps{
			UserPoolId: out.UserPool.UserPoolId(),
			GroupName:  jsii.String(string(r)),
			// Highest role first: lower precedence wins in cognito:preferred_role.
			Precedence: jsii.Number(float64(len(groupsOf(out.Kind)) - i)),
		})
	}
}

// addClient adds the web/CLI app client (authorization code with PKCE).
func (out *Pool) addClient(p Props, idps []awscognito.UserPoolClientIdentityProvider) {
	// Clients may read the custom claims but never write them: a user must
	// not be able to change their own tenant, role or tier.
	read := awscognito.NewClientAttributes().
		WithStandardAttributes(&awscognito.StandardAttributesMask{Email: jsii.Bool(true), EmailVerified: jsii.Bool(true), Fullname: jsii.Bool(true), PhoneNumber: jsii.Bool(true)}).
		WithCustomAttributes(jsii.String(AttrTenantID), jsii.String(AttrRole), jsii.String(AttrTier))
	write := awscognito.NewClientAttributes().
		WithStandardAttributes(&awscognito.StandardAttributesMask{Fullname: jsii.Bool(true), PhoneNumber: jsii.Bool(true)})

	out.Client = out.UserPool.AddClient(jsii.String("WebClient"), &awscognito.UserPoolClientOptions{
		UserPoolClientName: jsii.String(p.PoolName + "-web"),
		// A public client (browser SPA and CLI): PKCE, no secret.
		GenerateSecret: jsii.Bool(false),
		// A tenant pool's users may move to another pool (a tier migration
		// or a move between cells): the new pool's user-migration trigger
		// checks the password here with AdminInitiateAuth, whose flow
		// (ADMIN_USER_PASSWORD_AUTH) Cognito refuses on a client without
		// it. IAM credentials only: the browser cannot use it.
		AuthFlows: &awscognito.AuthFlow{UserPassword: jsii.Bool(true), UserSrp: jsii.Bool(true), AdminUserPassword: jsii.Bool(p.Kind == Tenants)},
		OAuth: &awscognito.OAuthSettings{
			Flows:        &awscognito.OAuthFlows{AuthorizationCodeGrant: jsii.Bool(true)},
			Scopes:       &[]awscognito.OAuthScope{awscognito.OAuthScope_OPENID(), awscognito.OAuthScope_EMAIL(), awscognito.OAuthScope_PROFILE()},
			CallbackUrls: jsii.Strings(p.CallbackURLs...),
			LogoutUrls:   jsii.Strings(p.LogoutURLs...),
		},
		SupportedIdentityProviders: &idps,
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
		RefreshTokenValidity:       awscdk.Duration_Days(jsii.Number(30)),
		ReadAttributes:             read,
		WriteAttributes:            write,
	})
	if out.Google != nil {
		out.Client.Node().AddDependency(out.Google)
	}
}

// addGoogle adds Google as an identity provider and the PreSignUp trigger
// that links a first Google sign-in to the invited user of the same
// verified email (and refuses the others).
func (out *Pool) addGoogle(id string, g *Google) {
	if g.ClientID == "" || g.ClientSecretName == "" {
		panic(fmt.Sprintf("identity %s: Google needs ClientID and ClientSecretName", id))
	}
	out.Google = awscognito.NewUserPoolIdentityProviderGoogle(out.Construct, jsii.String("Google"), &awscognito.UserPoolIdentityProviderGoogleProps{
		UserPool:          out.UserPool,
		ClientId:          jsii.String(g.ClientID),
		ClientSecretValue: awscdk.SecretValue_SecretsManager(jsii.String(g.ClientSecretName), nil),
		Scopes:            jsii.Strings("openid", "email", "profile"),
		AttributeMapping: &awscognito.AttributeMapping{
			Email: awscognito.ProviderAttribute_GOOGLE_EMAIL(),
			// The trigger links only an email Google has verified.
			EmailVerified: awscognito.ProviderAttribute_GOOGLE_EMAIL_VERIFIED(),
			Fullname:      awscognito.ProviderAttribute_GOOGLE_NAME(),
		},
	})
	out.LinkTrigger = gofunction.New(out.Construct, "LinkTrigger", &gofunction.Props{
		Name: string(routes.FnPreSignUp), RepoRoot: g.RepoRoot, FunctionName: g.TriggerName,
		Description: "IssueTracker: links a first Google sign-in to the invited user",
	})
	out.UserPool.AddTrigger(awscognito.UserPoolOperation_PRE_SIGN_UP(), out.LinkTrigger.Function, "")
	// A policy of its own: the pool depends on its trigger, which depends
	// on its role's default policy, which therefore cannot name the pool.
	awsiam.NewPolicy(out.Construct, jsii.String("LinkTriggerPolicy"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{out.LinkTrigger.Role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("cognito-idp:ListUsers", "cognito-idp:AdminLinkProviderForUser"),
			Resources: &[]*string{out.UserPool.UserPoolArn()},
		})},
	})
}

func groupsOf(k Kind) []roles.Role {
	if k == Provider {
		return []roles.Role{roles.Root}
	}
	return roles.Tenant
}

// threatMode blocks risky sign-ins where the plan includes threat protection.
func threatMode(plan awscognito.FeaturePlan) awscognito.StandardThreatProtectionMode {
	if plan == awscognito.FeaturePlan_PLUS {
		return awscognito.StandardThreatProtectionMode_FULL_FUNCTION
	}
	return ""
}

// stableSMSExternalID makes the pool's SMS role trust Cognito under the
// pool's name as the sts:ExternalId. CDK uses the pool's unique id, which
// includes the stack's name and a hash of it: with the name, two tenant
// stacks differ only in names (stacks.TenantTemplates gives a tenant its
// template from another's). The id only has to be the same on the pool and
// the role's trust (the confused-deputy guard of Cognito's SMS role).
func stableSMSExternalID(pool awscognito.UserPool, name string) {
	cfn, ok := pool.Node().DefaultChild().(awscognito.CfnUserPool)
	if !ok {
		return
	}
	cfn.AddPropertyOverride(jsii.String("SmsConfiguration.ExternalId"), jsii.String(name))
	role, ok := pool.Node().TryFindChild(jsii.String("smsRole")).(awsiam.Role)
	if !ok {
		return
	}
	if r, ok := role.Node().DefaultChild().(awsiam.CfnRole); ok {
		r.AddPropertyOverride(jsii.String("AssumeRolePolicyDocument.Statement.0.Condition.StringEquals.sts:ExternalId"), jsii.String(name))
	}
}
