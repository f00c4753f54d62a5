// Package filewire wires the attachments (files on issues and comments)
// on DynamoDB and S3: the attachments function, its upload sweep, and the
// attachments service the onboarding function deletes a tenant's files
// with.
package filewire

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/trackerwire"
	"github.com/issuetracker/issuetracker/internal/httpapi"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/attachment/attachmentapi"
	"github.com/issuetracker/issuetracker/internal/attachment/attachmentdb"
	"github.com/issuetracker/issuetracker/internal/attachment/s3objects"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
)

// Environment of the attachments service (internal/envvars).
const (
	EnvAttachmentsBucket = envvars.AttachmentsBucket
	EnvDownloadBase      = envvars.AttachmentsDownloadBase
)

// NewAttachments wires the attachments service on DynamoDB (tenant-scoped
// db) and the object store.
func NewAttachments(db *dynamodb.Client, objects attachment.Objects, buckets attachment.Buckets, cursors list.Codec) *attachment.Service {
	return &attachment.Service{
		Store:   attachmentdb.Store{DB: db, Cursors: cursors},
		Objects: objects,
		Issues:  attachmentapi.Issues{Service: trackerwire.IssueService(db, cursors, nil)},
		Buckets: buckets,
	}
}

// AttachmentsFromEnv builds the service of a deployed function: objects in
// ITR_ATTACHMENTS_BUCKET (Platinum tenants' in their own bucket), signed
// with the tenant's session; a Platinum tenant's download distribution is
// read from its record in control's registry. Nil when no bucket is
// configured.
func AttachmentsFromEnv(cfg aws.Config, e awsx.Endpoints, db, control *dynamodb.Client, creds *tenantcreds.Provider, names schema.Names, keys *list.Keyring) *attachment.Service {
	bucket := os.Getenv(EnvAttachmentsBucket)
	if bucket == "" {
		return nil
	}
	var tenants core.TenantReader
	if control != nil {
		tenants = core.CachedTenants(tenantdb.New(control, names), DownloadSiteCacheTTL)
	}
	objs := attachmentObjects(cfg, s3signed.Scoped(s3signed.Client{Config: cfg, Endpoint: e.S3}, creds), bucket, tenants)
	return NewAttachments(db, objs, attachment.Buckets{Pooled: bucket, Silo: names.SiloFiles}, list.Codec{Keys: keys})
}

// DownloadSiteCacheTTL is how long the attachments function keeps a
// tenant's record for its download distribution: it changes only when
// onboarding places the tenant or a tier migration moves it.
const DownloadSiteCacheTTL = time.Minute

// attachmentObjects chooses how downloads are signed, from the environment:
//   - in AWS with the download distribution (envvars.CloudFrontDownloads),
//     downloads are CloudFront signed URLs, with the private key read from
//     Secrets Manager on the first download of a cold start: the pooled
//     bucket's at the platform's distribution, a Platinum tenant's at its
//     stack's (tenant.Downloads, read from tenants; a tenant without one
//     recorded keeps presigned S3 GETs);
//   - otherwise presigned S3 GETs, path-style (so a download origin can
//     forward them), re-based on ITR_ATTACHMENTS_DOWNLOAD_BASE when set
//     (the local gateway's /files in front of versitygw).
func attachmentObjects(cfg aws.Config, c s3signed.Client, pooled string, tenants core.TenantReader) *s3objects.Objects {
	objs := s3objects.New(c)
	objs.PathStyleDownloads = true
	objs.DownloadBase = os.Getenv(EnvDownloadBase)
	base, keyID, secret := os.Getenv(envvars.AttachmentsCloudFrontBase), os.Getenv(envvars.AttachmentsCloudFrontKeyPairID), os.Getenv(envvars.AttachmentsCloudFrontKeySecret)
	if base == "" || keyID == "" || secret == "" {
		return objs
	}
	sm := awsjson.SecretsManager{Config: cfg}
	objs.CloudFront = &s3objects.CloudFront{Bucket: pooled, Base: base, KeyPairID: keyID,
		Key: func(ctx context.Context) (string, error) {
			ctx, cancel := context.WithTimeout(ctx, core.CursorKeyFetchTimeout)
			defer cancel()
			return sm.GetSecretString(ctx, secret)
		}}
	if tenants != nil {
		objs.CloudFront.Silo = func(ctx context.Context, tenantID string) (s3objects.Site, bool, error) {
			t, err := tenants.Get(ctx, tenantID)
			if errs.Is(err, errs.KindNotFound) {
				return s3objects.Site{}, false, nil
			}
			if err != nil || t.Downloads == nil || t.Downloads.Domain == "" {
				return s3objects.Site{}, false, err
			}
			return s3objects.Site{Base: "https://" + t.Downloads.Domain, KeyPairID: t.Downloads.KeyPairID}, true, nil
		}
	}
	return objs
}

// JobSweepUploads is the attachments function's scheduled job.
const JobSweepUploads = attachment.JobSweepUploads

// sweepPerTenant bounds one tenant's share of a sweep run.
const sweepPerTenant = 200

// SweepUploads releases, for every active tenant, the uploads that were
// never confirmed in time and deletes what they left in the bucket. It
// reports how many it released.
func SweepUploads(ctx context.Context, d core.Deps) (int, error) {
	if d.Attachments == nil {
		return 0, nil
	}
	return core.EachActiveTenant(ctx, d, func(ctx context.Context, sc tenancy.Scope, _ tenant.Tenant) (int, error) {
		return d.Attachments.Sweep(ctx, sc, sweepPerTenant)
	})
}

// Attachments is the attachments function's wiring.
var Attachments = core.Wiring{Fn: routes.FnAttachments, Setup: []core.Setup{WithAttachments}, Operations: Operations}

// Operations are the attachments' operations on d.Attachments.
func Operations(d core.Deps) httpapi.Operations { return attachmentapi.Operations(d.Attachments) }

// WithAttachments adds the attachments service when the environment names
// a bucket (AttachmentsFromEnv). A Setup step.
func WithAttachments(_ context.Context, e core.Env, d *core.Deps) error {
	d.Attachments = AttachmentsFromEnv(e.AWS, e.Endpoints, d.DB, d.Control(), e.Creds, d.Names, d.Cursors.Keys)
	return nil
}

// ServeAttachments runs the attachments function: API Gateway's requests
// through the route table, and {"job": "sweep-uploads"} from its schedule.
func ServeAttachments() {
	deps, h := core.Boot(Attachments)
	api := lambdahttp.New(h, deps.CORSOrigins)
	lambda.StartWithOptions(func(ctx context.Context, raw json.RawMessage) (any, error) {
		var job struct {
			Job string `json:"job"`
		}
		if json.Unmarshal(raw, &job) == nil && job.Job != "" {
			if job.Job != JobSweepUploads {
				return nil, fmt.Errorf("unknown job %q", job.Job)
			}
			n, err := SweepUploads(ctx, deps)
			slog.InfoContext(ctx, "swept uploads", "released", n, "error", err)
			return map[string]any{"job": job.Job, "released": n}, err
		}
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return api.Invoke(ctx, ev)
	}, core.FlushOnSIGTERM(deps))
}
