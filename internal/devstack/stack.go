package devstack

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/app/tenantwire"
	"github.com/issuetracker/issuetracker/internal/app/trackerwire"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/attachment/attachmentdb"
	"github.com/issuetracker/issuetracker/internal/attachment/s3objects"
	"github.com/issuetracker/issuetracker/internal/authorizer"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
	"github.com/issuetracker/issuetracker/internal/billing/billingdb"
	"github.com/issuetracker/issuetracker/internal/billing/stripebilling"
	"github.com/issuetracker/issuetracker/internal/capacity"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/cells/placement"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/changes/streampoller"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/cognito/usermigration"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/idtoken"
	"github.com/issuetracker/issuetracker/internal/lambdaproc"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/mail/maildb"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/localstacks"
	"github.com/issuetracker/issuetracker/internal/onboarding/s3archive"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/webapp"
	"github.com/issuetracker/issuetracker/internal/webhook"
	"golang.org/x/sync/errgroup"
)

// Config of a local platform.
type Config struct {
	Root        string // repository root
	StateDir    string // where DynamoDB and cognito-local keep data; survives restarts
	GatewayAddr string // e.g. "localhost:8080"
	// DynamoDBPort, CognitoPort and S3Port: 0 is any free port (another
	// one should it be taken before the service binds it).
	DynamoDBPort int
	CognitoPort  int
	S3Port       int
	// MailSMTPPort and MailUIPort are mailpit's (SMTP, web UI and API).
	MailSMTPPort, MailUIPort int
	// StripePort is stripe-mock's (HTTP; HTTPS on the next port; 0: two
	// free ones), unless StripeAPIBase names a running one.
	StripePort    int
	StripeAPIBase string
	// BillingGrace after a failed payment; DevGrace if zero.
	BillingGrace time.Duration
	// BillingJobsEvery runs the hourly billing job; BillingSweepInterval if zero.
	BillingJobsEvery time.Duration
	// OnboardingLease is how long an onboarding run owns its tenant
	// without progress (OnboardingLease if zero).
	OnboardingLease time.Duration
	// NotifyWindow batches notification mail (DevNotifyWindow if zero);
	// MailJobEvery runs the mail job (MailJobInterval if zero).
	NotifyWindow, MailJobEvery time.Duration
	// ScheduleEvery, when set, runs each of the template's rate schedules
	// this often (FromTemplate; default localPeriod: the template's rate
	// LocalTimeScale times faster).
	ScheduleEvery time.Duration
	// Endpoints, when set, reuse running services instead of starting them;
	// Mail likewise reuses a running mailpit.
	Endpoints awsx.Endpoints
	Mail      *MailEndpoints
	// WebBaseURL is the web app's address in mails; default the gateway's URL.
	WebBaseURL string
	Prefix     string
	// Cell is this platform's cell (make dev CELLS=2 runs cell-1 and
	// cell-2 side by side): its names take schema.CellPrefix(Prefix, Cell).
	// Default: schema.DefaultCell, the names of a platform without cells.
	Cell string
	// Directory names the global tenant directory table (schema.Names.
	// Directory of the base prefix), shared by the cells: the seeded
	// tenants are registered there in this cell, and the workspace lookup
	// answers from it. "": no directory (one cell).
	Directory string
	// Tenants are the demo tenants seeded in this cell; nil: Demo.Tenants.
	Tenants []DemoTenant
	Log     io.Writer // service logs
	// AllowedOrigins for CORS (the web app's dev server).
	AllowedOrigins []string
	// WebDir, when set, is the built web app the gateway serves at / (Web).
	WebDir string
	// TierLimits raise or lower the gateway's usage plans for a run
	// (gateway.EnvTierLimits; load tests).
	TierLimits gateway.TierLimits
	// Mode: InProcess (default) or FromTemplate (functions.go).
	Mode Mode
	// Template is the platform template applied (and, FromTemplate, run);
	// default Root/PlatformTemplate.
	Template string
	// FunctionLog receives the function processes' output and REPORT lines
	// (FromTemplate; default Log); ReportLog their JSON platform.report
	// records (the local metrics log).
	FunctionLog, ReportLog io.Writer
	// FunctionConcurrency caps each function's processes, FunctionIdle
	// reaps idle ones, FunctionInitTimeout bounds a cold start (lambdaproc's
	// defaults when zero: Lambda's 10 s for the init). The tests' platforms
	// allow a minute: make test starts a dozen processes of two platforms
	// at once on 2 loaded cores, where a 10 s init once ran out for all.
	FunctionConcurrency int
	FunctionIdle        time.Duration
	FunctionInitTimeout time.Duration
	// WebhookGuard overrides the webhooks' SSRF guard (tests: loopback and
	// their receiver's certificate); default app.WebhookGuardFromEnv.
	WebhookGuard *webhook.Guard
	// WebhookCAFile, in the template mode, is a PEM file of the roots the
	// function processes trust (SSL_CERT_FILE of those that send webhooks:
	// tests give their receiver's certificate, as WebhookGuard.RootCAs).
	WebhookCAFile string
	// Migration tunes tier migrations and moves between cells (grace
	// period, settle time); the machine's defaults when zero.
	Migration onboarding.MigrationOptions
	// AuthorizerCacheTTL, when set, replaces both the authorizer's registry
	// and directory cache and the gateway's result cache (tests that watch
	// a move take effect: authorizer.RevocationDelay otherwise).
	AuthorizerCacheTTL time.Duration
	// Synth, when set, synthesizes the Platinum tenant stacks instead of
	// the platform's own synth worker: tests share one warm worker
	// (localdeploy.SynthWorker) between the platforms of a test binary, so
	// only the first pays for starting the CDK app. nil: the platform's own.
	Synth localdeploy.SynthFunc
}

// MailEndpoints locate a running mailpit.
type MailEndpoints struct {
	SMTPAddr string // host:port
	UIURL    string // web UI and /api/v1
}

// MailFrom is the From address of the local platform's mail.
const MailFrom = "IssueTracker <no-reply@issuetracker.local>"

// Stack is a running local platform.
type Stack struct {
	Platform Platform
	Gateway  *gateway.Gateway
	// Functions are the function processes (FromTemplate mode), template
	// the template they come from.
	Functions *lambdaproc.Platform
	template  *localdeploy.Template
	// queues are the template's mapped queues the processes send to;
	// events the template's event rules, which route what the processes
	// put on the local bus.
	queues map[string]localcloud.SQSSender
	events *bus
	procs  []*localcloud.Process
	// userMigration is the tenant pools' user-migration trigger, run in
	// process for cognito-local (in-process mode; template mode runs the
	// function's process). userMigrations is what cognito-local calls:
	// this cell's trigger, and those of the cells LinkCells adds (one
	// cognito-local serves every cell's pools with one configuration).
	userMigration  *usermigration.Trigger
	userMigrations *usermigration.Cells
	// Lifecycle is the platform's tenant lifecycle (registration,
	// onboarding, migrations, moves between cells).
	Lifecycle *onboarding.Service
	// moves are the cells this cell's tenants may move to (LinkCells).
	moves *onboarding.Cells
	// authorizerTTL is Config.AuthorizerCacheTTL.
	authorizerTTL time.Duration
	srv           *http.Server
	ln            net.Listener
	meter         *usage.Meter
	// stopMeter ends the meter's flush loop (which flushes a last time).
	stopMeter context.CancelFunc
	// Consumers read the tenant tables' change streams (ChangeConsumers;
	// in the template mode the platform's and the tenant stacks' stream
	// mappings, which come and go with the stacks: consumersMu).
	Consumers   []*streampoller.Poller
	consumersMu sync.Mutex
	// The template mode's settings (tcfg, ls), the control table's client
	// and names, the Streams client, the platform's function binaries by
	// package: what a tenant stack's functions are run with
	// (runTenantStack); tenantStacks what runs per tenant.
	tcfg         Config
	ls           localSettings
	names        schema.Names
	ctl          *dynamodb.Client
	streams      *dynamodbstreams.Client
	bins         map[string]string
	tenantMu     sync.Mutex
	tenantStacks map[string]*tenantStack
	// triggers are the deployed pools' Lambda triggers (template mode).
	triggers poolTriggers
	// stored are the local on-failure queues of the stream mappings.
	queueMu   sync.Mutex
	stored    map[string]*localcloud.StoredQueue
	redrivers map[string]*streampoller.Poller
	stopPoll  context.CancelFunc
	// bgCtx and pollCtx end with Close: the template mode's timers and
	// pollers run under them (runTemplateEvents).
	bgCtx, pollCtx context.Context
	polling        sync.WaitGroup
	// synth is the warm CDK app that synthesizes Platinum tenant stacks.
	synth *localdeploy.SynthWorker
	// stacksDir keeps the tenant stacks' templates; stacks deploys them.
	stacksDir string
	stacks    localdeploy.Stacks
	// Webhooks is the local webhook queue (SQS in AWS).
	Webhooks     *webhook.MemQueue
	webhookGuard webhook.Guard
	// Placement places registrations among the cells (Config.Directory):
	// it starts with this cell alone; whoever starts the other cells adds
	// them (Placement.Cells) before the first registration.
	Placement *placement.Placer
}

// MeterFlushInterval is how often the local platform flushes usage.
const MeterFlushInterval = 5 * time.Second

// runBillingJobs is the local EventBridge Scheduler of the billing
// function's hourly job (dunning, seats, usage mails), every few seconds.
// The monthly close is AWS's schedule only; Root's live figures are in
// GET /v1/admin/billing either way.
func (s *Stack) runBillingJobs(ctx context.Context, d app.Deps, every time.Duration) {
	schedule(ctx, every, "billing job", func(time.Time) error {
		res, err := app.RunJob(ctx, d, app.JobHourly)
		if err == nil && len(res.Suspended) > 0 {
			fmt.Printf("billing: suspended for non-payment: %v\n", res.Suspended)
		}
		return err
	})
}

// DevNotifyWindow is make dev's mail batching window: short, so a
// developer sees the mail of a mention within a minute (AWS: five minutes).
const DevNotifyWindow = 20 * time.Second

// MailJobInterval is how often the local scheduler runs the mail job
// (EventBridge Scheduler's minute in AWS).
const MailJobInterval = 5 * time.Second

// runMailJob is the local schedule of the activity function's mail job.
func (s *Stack) runMailJob(ctx context.Context, d app.Deps, every time.Duration) {
	schedule(ctx, every, "notification mail job", func(now time.Time) error {
		_, err := app.SendNotificationMail(ctx, d, now)
		return err
	})
}

// UploadSweepInterval is how often make dev releases uploads never
// confirmed in time (AWS: stacks.UploadSweepMinutes).
const UploadSweepInterval = time.Minute

// runUploadSweep is the local schedule of the attachments function's
// upload sweep.
func (s *Stack) runUploadSweep(ctx context.Context, d app.Deps, every time.Duration) {
	schedule(ctx, every, "upload sweep", func(time.Time) error {
		n, err := app.SweepUploads(ctx, d)
		if err == nil && n > 0 {
			fmt.Printf("attachments: released %d uploads never confirmed\n", n)
		}
		return err
	})
}

// schedule is the local EventBridge schedule of a function's job: run
// every interval until ctx ends; a failure is printed (named by what) and
// the next tick runs again.
func schedule(ctx context.Context, every time.Duration, what string, run func(now time.Time) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := run(now); err != nil && ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
			}
		}
	}
}

// runTrackerJob is the local schedule of the issues function's periodic
// job (trackerwire.Maintain: abandoned status deletions are resumed).
func runTrackerJob(ctx context.Context, d app.Deps, every time.Duration) {
	schedule(ctx, every, "tracker maintenance job", func(now time.Time) error {
		res, err := trackerwire.Maintain(ctx, d, now)
		if err == nil && res.Taken > 0 {
			fmt.Printf("resumed %d abandoned status deletions (%d finished)\n", res.Taken, res.Finished)
		}
		return err
	})
}

// FlushUsage writes the usage counted so far (tests, CLI).
func (s *Stack) FlushUsage(ctx context.Context) error { return s.meter.Flush(ctx) }

// Start brings the platform up: services, tables and pools, seed, gateway.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	s := &Stack{authorizerTTL: cfg.AuthorizerCacheTTL}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	// Take the gateway's port first: a clear message beats half a platform.
	if s.ln, err = net.Listen("tcp", cfg.GatewayAddr); err != nil {
		return nil, fmt.Errorf("the API gateway cannot listen on %s (%v): is another `make dev` running? stop it or set GATEWAY_ADDR", cfg.GatewayAddr, err)
	}
	if cfg.Mode == FromTemplate {
		// The functions' build (one go build that mostly finds them up to
		// date) overlaps the services' start; startFromTemplate waits
		// for it (buildOnce).
		go prebuild(cfg.Root, cmp.Or(cfg.Template, filepath.Join(cfg.Root, PlatformTemplate)))
	}
	e, m, stripeBase, err := s.startServices(ctx, cfg)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.Load(ctx, e)
	if err != nil {
		return nil, err
	}
	db, cog := awsx.DynamoDB(awsCfg, e), cognito.NewClient(awsCfg, e)
	cfg.Prefix = schema.CellPrefix(cfg.Prefix, cfg.Cell)
	if cfg.Cell == "" {
		cfg.Cell = schema.DefaultCell
	}
	names := schema.Names{Prefix: cfg.Prefix}
	var applied localdeploy.Result
	if cfg.Template == "" {
		cfg.Template = filepath.Join(cfg.Root, PlatformTemplate)
	}
	tenants := cfg.Tenants
	if tenants == nil {
		tenants = Demo.Tenants
	}
	if s.Platform, applied, err = bootstrap(ctx, db, cog, names, cfg.Template, tenants); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	s.describe(cfg, names, e, m)
	s.Platform.Cell = cfg.Cell
	deps, err := s.appDeps(ctx, cfg, awsCfg, e, m, stripeBase)
	if err != nil {
		return nil, err
	}
	if cfg.Directory != "" {
		if deps.CellDirectory, err = s.joinDirectory(ctx, db, cfg, tenants); err != nil {
			return nil, err
		}
		deps.Cell = cfg.Cell
		design, err := capacity.DesignFromDir(filepath.Join(cfg.Root, "infra", "templates"))
		if err != nil {
			return nil, err
		}
		model, err := capacity.New(design, capacity.Profiles()["typical"])
		if err != nil {
			return nil, err
		}
		s.Placement = &placement.Placer{Directory: *deps.CellDirectory, Model: model, Cells: []cells.Cell{s.Cell()}}
		deps.CellPlacement = s.Placement
		// Moves out of this cell (LinkCells names the cells to move to).
		s.moves = &onboarding.Cells{}
		m := app.Lifecycle(deps).Machine
		m.Cell, m.Cells, m.CellDirectory = cfg.Cell, s.moves, tenantwire.DirectoryMoves{D: *deps.CellDirectory}
		m.PoolDirectory = tenantwire.DirectoryMoves{D: *deps.CellDirectory}     // a Platinum tenant's own pool in its entry
		m.Billing = billingdb.Mover{DB: deps.ControlDB, Table: names.Control()} // the billing account moves with the tenant
		m.CellPool = tenant.FormerPool{ID: s.Platform.TenantPoolID, Issuer: strings.TrimSuffix(e.Cognito, "/") + "/" + s.Platform.TenantPoolID,
			ClientIDs: []string{s.Platform.TenantClientID}}
		if deps.Attachments != nil { // a pooled tenant's objects move with it
			if objs, ok := deps.Attachments.Objects.(*s3objects.Objects); ok {
				m.Files, m.FilesBucket, m.SiloFiles = objs, s.Platform.AttachmentsBucket, names.SiloFiles
			}
		}
	}
	s.Lifecycle = app.Lifecycle(deps)
	s.runBackground(cfg, deps, awsCfg, e)
	if cfg.Mode == FromTemplate {
		ls := localSettings{names: names, endpoints: e, smtpAddr: m.SMTPAddr, stripeBase: stripeBase, grace: s.Platform.BillingGrace,
			sqsEndpoint: s.Platform.GatewayURL + SQSPath, window: cmp.Or(cfg.NotifyWindow, DevNotifyWindow), allowLoopback: s.webhookGuard.AllowLoopback, caFile: cfg.WebhookCAFile,
			lifecycleURL: s.Platform.GatewayURL + LifecyclePath, eventsEndpoint: s.Platform.GatewayURL + EventsPath}
		if ls.cursorKey, err = cursorKey(cfg.StateDir); err != nil {
			return nil, err
		}
		s.tcfg, s.ls, s.names, s.ctl, s.tenantStacks = cfg, ls, names, deps.ControlDB, map[string]*tenantStack{}
		gcfg, err := s.startFromTemplate(ctx, cfg, applied, ls)
		if err != nil {
			return nil, err
		}
		if err := s.runTemplateEvents(cfg, applied, deps, awsCfg, e); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(cfg.Template), err)
		}
		if err := s.resumeTenantStacks(ctx); err != nil {
			return nil, err
		}
		s.serveWith(cfg, e, gcfg)
		return s, nil
	}
	s.userMigration = &usermigration.Trigger{C: cog, Tenants: tenantdb.New(db, names), SharedPool: s.Platform.TenantPoolID,
		SharedClient: s.Platform.TenantClientID, IssuerBase: e.Cognito}
	s.userMigrations = &usermigration.Cells{}
	s.userMigrations.Add(*s.userMigration)
	fns := map[routes.Function]http.Handler{}
	for _, fn := range routes.Functions() {
		if fns[fn], err = app.Function(fn, deps); err != nil {
			return nil, err
		}
	}
	s.serve(cfg, e, fns, s.authorizer(e, cog, tenantdb.New(db, names), deps))
	return s, nil
}

// joinDirectory creates the global tenant directory if needed and
// registers this cell's seeded tenants in it (a tenant already there, from
// an earlier run, stays where it is).
func (s *Stack) joinDirectory(ctx context.Context, db *dynamodb.Client, cfg Config, tenants []DemoTenant) (*cells.Directory, error) {
	if err := dynamo.EnsureTable(ctx, db, schema.Directory, cfg.Directory); err != nil {
		return nil, err
	}
	dir := &cells.Directory{DB: db, Table: cfg.Directory}
	here := s.Cell()
	for _, t := range tenants {
		if err := dir.Register(ctx, cells.For(t.ID, t.Tier, here)); err != nil && !errs.Is(err, errs.KindConflict) {
			return nil, fmt.Errorf("directory: %w", err)
		}
	}
	return dir, nil
}

// Cell is this platform as the tenant directory knows it: its id, API and
// shared pool.
// peerAPIs are the API URLs of the other cells registrations are placed
// in (none without cells).
func (s *Stack) peerAPIs() []string {
	if s.Placement == nil {
		return nil
	}
	var out []string
	for _, c := range s.Placement.Cells {
		if c.ID != s.Platform.Cell && c.APIURL != "" {
			out = append(out, c.APIURL)
		}
	}
	return out
}

func (s *Stack) Cell() cells.Cell {
	return cells.Cell{ID: s.Platform.Cell, Region: "us-east-1", APIURL: s.Platform.GatewayURL,
		UserPoolID: s.Platform.TenantPoolID, ClientID: s.Platform.TenantClientID}
}

// startServices starts DynamoDB Local, cognito-local, the local S3,
// mailpit and stripe-mock, each unless cfg names a running one, all at
// once: they are independent, and the Java and Node start-ups (seconds
// each under load) overlap instead of adding up. Each one's ready time goes
// to the services log. It returns the endpoints, the mail endpoints and
// stripe-mock's API base.
func (s *Stack) startServices(ctx context.Context, cfg Config) (awsx.Endpoints, *MailEndpoints, string, error) {
	e, mail, stripeBase := cfg.Endpoints, cfg.Mail, cfg.StripeAPIBase
	state := func(name string) string {
		if cfg.StateDir == "" {
			return ""
		}
		return filepath.Join(cfg.StateDir, name)
	}
	if e.Cognito == "" {
		// cognito-local calls the user-migration trigger through the
		// Lambda Invoke API on the gateway's address (serveWith). In the
		// template mode, every trigger type goes to the router that hands
		// the event to the function its pool declares (triggers.go).
		triggers := map[string]string{"UserMigration": userMigrationName(cfg)}
		if cfg.Mode == FromTemplate {
			triggers = cognitoTriggerConfig()
		}
		if err := localcloud.CognitoTriggers(filepath.Join(cfg.StateDir, "cognito"), "http://"+s.ln.Addr().String(), triggers); err != nil {
			return e, nil, "", err
		}
	}
	type service struct {
		name  string
		start func(context.Context) (*localcloud.Process, error)
		set   func(*localcloud.Process)
	}
	var svcs []service
	if e.DynamoDB == "" {
		svcs = append(svcs, service{"DynamoDB Local", func(ctx context.Context) (*localcloud.Process, error) {
			return onPort(cfg.DynamoDBPort, 1, func(port int) (*localcloud.Process, error) {
				return localcloud.DynamoDBLocal(ctx, localcloud.Options{Root: cfg.Root, Port: port, DataDir: filepath.Join(cfg.StateDir, "dynamodb"), Log: cfg.Log, DieWithParent: true})
			})
		}, func(p *localcloud.Process) { e.DynamoDB = p.Endpoint }})
	}
	if e.Cognito == "" {
		svcs = append(svcs, service{"cognito-local", func(ctx context.Context) (*localcloud.Process, error) {
			return onPort(cfg.CognitoPort, 1, func(port int) (*localcloud.Process, error) {
				return localcloud.CognitoLocal(ctx, localcloud.Options{Root: cfg.Root, Port: port, DataDir: filepath.Join(cfg.StateDir, "cognito"), Log: cfg.Log, DieWithParent: true})
			})
		}, func(p *localcloud.Process) { e.Cognito = p.Endpoint }})
	}
	if e.S3 == "" {
		svcs = append(svcs, service{"the local S3", func(ctx context.Context) (*localcloud.Process, error) {
			return localcloud.S3(ctx, localcloud.Options{Root: cfg.Root, Port: cfg.S3Port, DataDir: state("s3"), Log: cfg.Log, DieWithParent: true})
		}, func(p *localcloud.Process) { e.S3 = p.Endpoint }})
	}
	if mail == nil {
		var mp *localcloud.Mailpit
		svcs = append(svcs, service{"mailpit", func(ctx context.Context) (*localcloud.Process, error) {
			var err error
			mp, err = localcloud.StartMailpit(ctx, localcloud.Options{Root: cfg.Root, Port: cfg.MailSMTPPort, DataDir: state("mail"), Log: cfg.Log, DieWithParent: true}, cfg.MailUIPort)
			if err != nil {
				return nil, err
			}
			return mp.Process, nil
		}, func(*localcloud.Process) { mail = &MailEndpoints{SMTPAddr: mp.SMTPAddr, UIURL: mp.UIURL} }})
	}
	if stripeBase == "" {
		svcs = append(svcs, service{"stripe-mock", func(ctx context.Context) (*localcloud.Process, error) {
			return onPort(cfg.StripePort, 2, func(port int) (*localcloud.Process, error) {
				return localcloud.StartStripeMock(ctx, localcloud.Options{Root: cfg.Root, Port: port, Log: cfg.Log, DieWithParent: true})
			})
		}, func(p *localcloud.Process) { stripeBase = p.Endpoint }})
	}
	began := time.Now()
	procs := make([]*localcloud.Process, len(svcs))
	took := make([]time.Duration, len(svcs))
	var g errgroup.Group
	for i, svc := range svcs {
		g.Go(func() error {
			p, err := svc.start(ctx)
			procs[i], took[i] = p, time.Since(began)
			return err
		})
	}
	err := g.Wait()
	var ready []string
	for i, p := range procs {
		if p == nil {
			continue
		}
		s.procs = append(s.procs, p) // stopped by Close, also when another failed
		svcs[i].set(p)
		ready = append(ready, fmt.Sprintf("%s %s", svcs[i].name, took[i].Round(10*time.Millisecond)))
	}
	if err != nil {
		return e, nil, "", err
	}
	if cfg.Log != nil && len(ready) > 0 {
		fmt.Fprintf(cfg.Log, "services | ready, started side by side: %s\n", strings.Join(ready, ", "))
	}
	return e, mail, stripeBase, nil
}

// describe fills in where the platform's parts answer.
func (s *Stack) describe(cfg Config, names schema.Names, e awsx.Endpoints, m *MailEndpoints) {
	s.Platform.Prefix = names.Prefix
	s.Platform.CognitoEndpoint, s.Platform.DynamoDBEndpoint, s.Platform.S3Endpoint = e.Cognito, e.DynamoDB, e.S3
	s.Platform.GatewayURL = "http://" + cfg.GatewayAddr
	if strings.HasSuffix(cfg.GatewayAddr, ":0") {
		s.Platform.GatewayURL = "http://" + s.ln.Addr().String()
	}
	s.Platform.MailUIURL, s.Platform.SMTPAddr = m.UIURL, m.SMTPAddr
	s.Platform.WebBaseURL = cfg.WebBaseURL
	if s.Platform.WebBaseURL == "" {
		s.Platform.WebBaseURL = s.Platform.GatewayURL // the gateway serves the web app
	}
}

// appDeps are the functions' dependencies on the local cloud: billing
// against stripe-mock, the usage meter, the local lifecycle and the
// billing service.
func (s *Stack) appDeps(ctx context.Context, cfg Config, awsCfg aws.Config, e awsx.Endpoints, m *MailEndpoints, stripeBase string) (app.Deps, error) {
	keys, err := cursorKeys(cfg.StateDir)
	if err != nil {
		return app.Deps{}, err
	}
	grace := cfg.BillingGrace
	if grace == 0 {
		grace = DevGrace
	}
	s.Platform.StripeAPIBase, s.Platform.StripeWebhookSecret, s.Platform.BillingGrace = stripeBase, DevWebhookSecret, grace.String()
	db, cog := awsx.DynamoDB(awsCfg, e), cognito.NewClient(awsCfg, e)
	deps := app.Deps{DB: tenantcreds.RequireTenant(db), ControlDB: db, Cognito: cognito.Pools{C: cog}, Names: schema.Names{Prefix: cfg.Prefix}, Now: time.Now,
		TenantPoolID: s.Platform.TenantPoolID, TenantClientID: s.Platform.TenantClientID, Region: awsCfg.Region,
		// Suppressed addresses (SES bounces and complaints in AWS) are skipped here too.
		Mail: mail.Suppressing{Sender: mail.SMTP{Addr: m.SMTPAddr, From: MailFrom},
			List: maildb.Suppressions{DB: db, Table: schema.Names{Prefix: cfg.Prefix}.Control()}}, WebBaseURL: s.Platform.WebBaseURL, APIBaseURL: s.Platform.GatewayURL,
		Cursors: list.Codec{Keys: keys}, CORSOrigins: cfg.AllowedOrigins,
		// Billing against stripe-mock: every Stripe call is checked against
		// Stripe's API definition; events come signed with the local secret.
		Billing: &app.BillingConfig{Grace: grace,
			Provider: &stripebilling.Provider{Key: stripebilling.Static(localcloud.StripeMockAPIKey), APIBase: stripeBase},
			Verifier: stripebilling.Verifier{Secret: stripebilling.Static(DevWebhookSecret)}}}
	// Usage is metered as in AWS: aggregated in this process and flushed in
	// the background (runBackground), and once more on Close.
	deps.Meter = app.NewMeter(deps)
	s.meter = deps.Meter
	// Attachments before the lifecycle: offboarding deletes the tenant's
	// files through them (it deleted none when built first).
	if deps.Attachments, err = s.attachments(ctx, cfg, deps, awsCfg, e); err != nil {
		return app.Deps{}, err
	}
	if deps.Lifecycle, err = s.lifecycle(ctx, cfg, deps, awsCfg, e); err != nil {
		return app.Deps{}, err
	}
	// The billing service of the functions and of the local scheduler.
	deps.BillingService = app.NewBilling(deps)
	s.webhookGuard = app.WebhookGuardFromEnv()
	if cfg.WebhookGuard != nil {
		s.webhookGuard = *cfg.WebhookGuard
	}
	s.Webhooks = &webhook.MemQueue{}
	deps.Webhooks = &app.WebhookConfig{Queue: s.Webhooks, Guard: s.webhookGuard}
	return deps, nil
}

// lifecycle runs onboarding beside the gateway, as the event-driven
// function does in AWS. Offboarding exports go to the local S3, as they go
// to the platform's exports bucket in AWS.
func (s *Stack) lifecycle(ctx context.Context, cfg Config, deps app.Deps, awsCfg aws.Config, e awsx.Endpoints) (*onboarding.Service, error) {
	archive := s3archive.Archive{C: s3signed.Client{Config: awsCfg, Endpoint: e.S3}, Bucket: deps.Names.Exports()}
	if err := s3archive.EnsureBucket(ctx, archive.C, archive.Bucket); err != nil {
		return nil, err
	}
	s.Platform.ExportBucket = archive.Bucket
	stacksDir := filepath.Join(cfg.StateDir, "stacks")
	if cfg.StateDir == "" {
		stacksDir = filepath.Join(os.TempDir(), "issuetracker-stacks")
	}
	s.synth = &localdeploy.SynthWorker{Root: cfg.Root}
	s.stacksDir = stacksDir
	synth := s.synth.Synth
	if cfg.Synth != nil {
		synth = cfg.Synth
	}
	// Platinum: the real CDK app (one warm worker process) synthesizes
	// IssueTracker-Tenant-<id> and the local deployer applies its tables
	// and pools (for the template mode's processes too: LifecyclePath).
	s.stacks = localdeploy.Stacks{
		Deployer: localdeploy.Deployer{DB: deps.ControlDB, Cognito: cognito.NewClient(awsCfg, e)},
		Synth:    synth,
		Dir:      stacksDir,
		Log:      func(f string, a ...any) { fmt.Fprintf(logOr(cfg.Log), f+"\n", a...) },
	}
	// The synth worker synthesizes with the app's default context (the
	// first cell's names, prefix schema.DefaultPrefix): the stack's tables
	// and pools take this platform's prefix, as the platform's own do
	// (seed.go). A cell other than the first so never deploys the first
	// cell's stack of a tenant moved in (the same table: "the new home is
	// the old one"), and two test platforms with their own prefixes never
	// share a tenant's table or pool (cell-1's was issuetracker-tenant-<id>
	// in every test process on one DynamoDB Local and cognito-local).
	// Identity for make dev's first cell (its prefix is the default).
	s.stacks.Deployer.Rename = localdeploy.PrefixRename(cfg.Prefix)
	if cfg.Mode == FromTemplate {
		// A tenant stack's own functions and stream mappings run once it is
		// applied, and stop before it is destroyed (tenantstacks.go).
		s.stacks.Deployed, s.stacks.Destroying = s.runTenantStack, s.stopTenantStack
	}
	// The change stream's consumers always run beside it (ChangeConsumers,
	// in process or as functions): a migration's freeze waits for them.
	if cfg.Migration.StreamConsumers == nil {
		cfg.Migration.StreamConsumers = changes.StreamConsumers()
	}
	return app.NewLifecycle(deps, app.LifecycleOptions{
		Archive:   archive,
		Driver:    func(m *onboarding.Machine) onboarding.Driver { return &onboarding.Async{M: m} },
		Platinum:  onboarding.Platinum{IssuerBase: e.Cognito, Stacks: s.stacks},
		Lease:     cmp.Or(cfg.OnboardingLease, OnboardingLease),
		Migration: cfg.Migration,
	}), nil
}

// attachments keeps attachments in the local S3, signed per tenant
// (refused outside a tenant context, as the DynamoDB calls are), downloads
// through /files.
func (s *Stack) attachments(ctx context.Context, cfg Config, deps app.Deps, awsCfg aws.Config, e awsx.Endpoints) (*attachment.Service, error) {
	names := deps.Names
	signed := s3signed.Client{Config: awsCfg, Endpoint: e.S3}
	objs := s3objects.New(s3signed.Scoped(signed, &tenantcreds.Provider{}))
	objs.CreateBuckets, objs.DownloadBase = true, s.Platform.GatewayURL+FilesPrefix
	objs.CORSOrigins = append([]string{webapp.Origin(s.Platform.WebBaseURL), webapp.Origin(s.Platform.GatewayURL)}, cfg.AllowedOrigins...)
	if err := s3objects.EnsureBucket(ctx, signed, names.Attachments(), objs.CORSOrigins); err != nil {
		return nil, err
	}
	s.Platform.AttachmentsBucket = names.Attachments()
	return app.NewAttachments(deps.DB, objs, attachment.Buckets{Pooled: names.Attachments(), Silo: names.SiloFiles}, deps.Cursors), nil
}

// runBackground starts what runs beside the gateway, off the request path,
// as it does in AWS: the usage meter's flushes (more often than the
// functions' minute, so a developer sees figures move), the resumption of
// stalled onboarding runs, the local scheduler of the hourly billing job
// (every few seconds: dunning, seats, usage mail), the change stream's
// consumers and the notification mail job.
func (s *Stack) runBackground(cfg Config, deps app.Deps, awsCfg aws.Config, e awsx.Endpoints) {
	meterCtx, stopMeter := context.WithCancel(context.Background())
	s.stopMeter = stopMeter
	go deps.Meter.Run(meterCtx, MeterFlushInterval)
	pctx, stop := context.WithCancel(context.Background())
	s.stopPoll = stop
	if cfg.Mode == FromTemplate {
		// The template's schedules and event source mappings run the
		// function processes (runTemplateEvents, once they are built).
		s.bgCtx, s.pollCtx = meterCtx, pctx
		return
	}
	go resumeOnboardings(meterCtx, app.Lifecycle(deps), every(cfg.BillingJobsEvery))
	go s.runBillingJobs(meterCtx, deps, every(cfg.BillingJobsEvery))
	// The change stream's consumers run beside the gateway, off the
	// request path, as their functions do in AWS.
	window := cfg.NotifyWindow
	if window == 0 {
		window = DevNotifyWindow
	}
	var files attachmentdb.Purger
	if deps.Attachments != nil {
		files = deps.Attachments
	}
	s.Consumers = ChangeConsumers(deps.ControlDB, awsconfig.Streams(awsCfg, e), deps.Names, window, s.Webhooks, files, deps.Meter, cfg.Log)
	mailEvery := cfg.MailJobEvery
	if mailEvery == 0 {
		mailEvery = MailJobInterval
	}
	go s.runMailJob(meterCtx, deps, mailEvery)
	go s.runUploadSweep(meterCtx, deps, UploadSweepInterval)
	go runTrackerJob(meterCtx, deps, every(cfg.BillingJobsEvery))
	// Webhook attempts from the local queue, as the delivery function
	// receives them from SQS in AWS.
	s.polling.Add(1)
	go func() {
		defer s.polling.Done()
		app.RunLocalWebhooks(pctx, s.Webhooks, app.WebhookDelivererWithHomes(
			app.NewWebhookDeliverer(deps.ControlDB, s.Webhooks, s.webhookGuard, deps.Mail, deps.WebBaseURL), deps.ControlDB, deps.Names), app.LocalWebhookWorkers)
	}()
	for _, p := range s.Consumers {
		s.polling.Add(1)
		go func() {
			defer s.polling.Done()
			_ = p.Run(pctx)
		}()
	}
}

// authorizer is the API's authorizer on the local pools.
func (s *Stack) authorizer(e awsx.Endpoints, cog *cognitoidentityprovider.Client, reg tenant.Registry, deps app.Deps) *authorizer.Authorizer {
	cfg := authorizer.Config{
		TenantPool:   authorizer.PoolFor(e.Cognito, s.Platform.TenantPoolID, idtoken.PoolTenant, s.Platform.TenantClientID),
		ProviderPool: authorizer.PoolFor(e.Cognito, s.Platform.ProviderPoolID, idtoken.PoolProvider, s.Platform.ProviderClientID),
		MFAEnabled:   cognito.Pools{C: cog}.MFAEnabled,
		UserEnabled:  cognito.Pools{C: cog}.UserEnabled,
	}
	if deps.CellDirectory != nil {
		cfg.Cell, cfg.Cells = deps.Cell, deps.CellDirectory
	}
	cfg.CacheTTL = s.authorizerTTL
	return authorizer.New(cfg, reg, peopledb.UserDB{DB: deps.DB})
}

// serve runs the gateway (and the built web app, with cfg.WebDir) on the
// listener Start took.
func (s *Stack) serve(cfg Config, e awsx.Endpoints, fns map[routes.Function]http.Handler, az *authorizer.Authorizer) {
	s.serveWith(cfg, e, gateway.Config{
		Functions:          fns,
		Authorize:          az.Authorize,
		AuthorizerCacheTTL: cmp.Or(cfg.AuthorizerCacheTTL, edge.AuthorizerResultTTL),
		AllowedOrigins:     cfg.AllowedOrigins,
	})
}

// serveWith runs a gateway of gcfg (cfg's tier limits added).
func (s *Stack) serveWith(cfg Config, e awsx.Endpoints, gcfg gateway.Config) {
	gcfg.TierLimits = cfg.TierLimits
	s.Gateway = gateway.New(gcfg)
	var handler http.Handler = s.Gateway
	if cfg.WebDir != "" {
		handler = Web{API: s.Gateway, Dir: cfg.WebDir, Config: s.Platform.WebConfig(), Uploads: e.S3, Peers: s.peerAPIs}
	}
	handler = Files{Next: handler, S3: e.S3}
	if s.Functions != nil {
		// The Lambda Invoke API on the gateway's address (the SDK's Lambda
		// endpoint is the gateway URL): what calls Lambda runs the processes.
		sqs := localcloud.SQSWith(s.queues, s.FailureQueue)
		handler = withLocalAPIs(handler, map[string]http.Handler{
			// cognito-local's triggers go to the functions their pools declare.
			"/2015-03-31/functions/": s.triggers.invokeAPI(s.Functions),
			// The local SQS of the function processes (SendMessage).
			SQSPath:       sqs,
			SQSPath + "/": sqs,
			// Redrive of the stream mappings' on-failure queues.
			RedrivePath + "/": s.redriveHandler(),
			// The local EventBridge of the function processes (PutEvents),
			// routed by the template's event rules.
			EventsPath: localcloud.EventBridge(s.events.put),
			// Lifecycle runs and Platinum stacks for the lifecycle processes
			// (localstacks): the in-process lifecycle stands in for the
			// onboarding function and the provisioning pipeline.
			LifecyclePath + "/": http.StripPrefix(LifecyclePath, localstacks.Handler(s.stacks, s.Lifecycle.Driver)),
		})
	} else if s.userMigration != nil {
		// In process: the Invoke API serves the user-migration trigger only.
		handler = withLocalAPIs(handler, map[string]http.Handler{
			"/2015-03-31/functions/": localcloud.InvokeAPI(map[string]localcloud.Handler{userMigrationName(cfg): s.userMigrations.Local}),
		})
	}
	s.srv = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(gateway.ProblemListener(s.ln)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "gateway:", err)
		}
	}()
}

// withLocalAPIs serves the local cloud's own APIs (local: http.ServeMux
// patterns, each a path or a prefix ending in '/') and hands every other
// request to api as it came. An http.ServeMux must not stand in front of
// the API: it cleans paths before matching and answered /v1/issues/../users,
// /v1//issues or /v1/issues/./x with its own 307 text/html redirect (to the
// cleaned path, which a client then followed) instead of the gateway's 400
// malformed_path problem (httpapi.CheckEdge), in both modes of make dev.
func withLocalAPIs(api http.Handler, local map[string]http.Handler) http.Handler {
	mux := http.NewServeMux()
	for pattern, h := range local {
		mux.Handle(pattern, h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for pattern := range local {
			if r.URL.Path == pattern || strings.HasSuffix(pattern, "/") && strings.HasPrefix(r.URL.Path, pattern) {
				mux.ServeHTTP(w, r)
				return
			}
		}
		api.ServeHTTP(w, r)
	})
}

// userMigrationName is the trigger's function name, as in AWS
// (<prefix>-usermigration).
func userMigrationName(cfg Config) string {
	return schema.CellPrefix(cfg.Prefix, cfg.Cell) + "-" + string(routes.FnUserMigration)
}

// WebConfig is the web app's /config.json for this platform.
func (p Platform) WebConfig() webapp.Config {
	return webapp.Config{APIURL: p.GatewayURL, Region: LocalRegion, CognitoEndpoint: p.CognitoEndpoint,
		TenantPoolID: p.TenantPoolID, TenantClientID: p.TenantClientID,
		ProviderPoolID: p.ProviderPoolID, ProviderClientID: p.ProviderClientID,
		WebOrigin: p.webOrigin(), Environment: "local"}
}

func (p Platform) webOrigin() string {
	if p.WebBaseURL != "" {
		return p.WebBaseURL
	}
	return p.GatewayURL
}

// DrainChanges waits until every consumer has handled every change made so
// far (tests, the seed command).
func (s *Stack) DrainChanges(ctx context.Context) error {
	for _, p := range s.consumers() {
		if err := p.Drain(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Crashed reports a started service that has exited.
func (s *Stack) Crashed() *localcloud.Process {
	for _, p := range s.procs {
		select {
		case <-p.Done():
			return p
		default:
		}
	}
	return nil
}

// Close stops the gateway and every service the stack started.
func (s *Stack) Close() {
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = s.srv.Shutdown(ctx)
		cancel()
	} else if s.ln != nil {
		s.ln.Close()
	}
	if s.Functions != nil {
		s.Functions.Close()
	}
	if s.stopMeter != nil {
		s.stopMeter()
		s.meter.FlushWithin(context.Background(), 2*time.Second)
	}
	if s.stopPoll != nil {
		s.stopPoll()
		s.polling.Wait()
	}
	if s.synth != nil {
		_ = s.synth.Close()
	}
	for i := len(s.procs) - 1; i >= 0; i-- {
		s.procs[i].Stop()
	}
}

// WritePlatform saves the platform description for the CLI (login).
func WritePlatform(path string, p Platform) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(p, "", "  ")
	return os.WriteFile(path, b, 0o644)
}

// ReadPlatform loads what WritePlatform saved.
func ReadPlatform(path string) (Platform, error) {
	var p Platform
	b, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("no local platform description at %s: run `make dev` first", path)
	}
	return p, json.Unmarshal(b, &p)
}

func logOr(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// cursorKey is the cursor key the function processes share: the one
// cursorKeys uses, or a key of this run without a state folder.
func cursorKey(stateDir string) (string, error) {
	if k := os.Getenv(app.EnvCursorKey); k != "" {
		return k, nil
	}
	if stateDir != "" {
		if _, err := cursorKeys(stateDir); err != nil { // makes the file on a first start
			return "", err
		}
		b, err := os.ReadFile(filepath.Join(stateDir, "cursor.key"))
		return strings.TrimSpace(string(b)), err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// cursorKeys is the local platform's list cursor key: ITR_CURSOR_KEY when
// set, else a random key made on the first start and kept in the state
// directory, so cursors survive a restart as they survive a deploy in AWS.
func cursorKeys(stateDir string) (*list.Keyring, error) {
	if k := os.Getenv(app.EnvCursorKey); k != "" {
		return list.StaticKey(k)
	}
	if stateDir == "" {
		return nil, nil // a key of this process
	}
	path := filepath.Join(stateDir, "cursor.key")
	if b, err := os.ReadFile(path); err == nil {
		return list.StaticKey(strings.TrimSpace(string(b)))
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	k := hex.EncodeToString(b)
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(k+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("keep the cursor key: %w", err)
	}
	return list.StaticKey(k)
}

// WarmTenantTemplates has the synth worker build the CDK app and
// synthesize its sentinel tenant stack now (stacks.TenantTemplates), so
// the first Platinum sign-up gets its template by substitution instead of
// waiting for a build and a synth. make dev calls it in the background;
// tests do not (they would pay for a CDK build they may not need).
func (s *Stack) WarmTenantTemplates() error {
	if s.synth == nil {
		return nil
	}
	_, err := s.synth.Synth(filepath.Join(s.stacksDir, ".warm-up"), "warm-up")
	return err
}

// onPort starts a service on port, or on a run of n free ports when port is
// 0 (the tests' private services): localcloud.OnFreePorts tries another run
// when one is taken between the choice and the service's bind.
func onPort(port, n int, start func(port int) (*localcloud.Process, error)) (*localcloud.Process, error) {
	if port != 0 {
		return start(port)
	}
	p, _, err := localcloud.OnFreePorts(n, start)
	return p, err
}
