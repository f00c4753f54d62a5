package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// Offboarding exports bucket settings (the functions are told the bucket
// and key by internal/envvars.ExportBucket and ExportKMSKey).
const (
	// ExportsArchiveAfterDays moves an export to Glacier once the first
	// weeks of "we need it back" requests are over.
	ExportsArchiveAfterDays = 30
	// ExportsExpireAfterDays: an offboarded tenant's data is kept about 13
	// months, then deleted for good (a year of audits plus a margin).
	ExportsExpireAfterDays = 400
)

// Exports is where offboarding archives each tenant's data: a KMS-encrypted,
// versioned, private bucket that outlives the stack, with its access logs.
type Exports struct {
	Bucket     awss3.Bucket
	Key        awskms.Key
	AccessLogs awss3.Bucket
}

func newExports(st awscdk.Stack) *Exports {
	e := &Exports{}
	e.Key = awskms.NewKey(st, jsii.String("ExportsKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts offboarded tenants' data exports"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	e.AccessLogs = awss3.NewBucket(st, jsii.String("ExportsAccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		// ACLs off: S3 log delivery is granted by the bucket policy
		// (@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy), scoped to the
		// exports bucket and this account, not by the LogDeliveryWrite ACL.
		ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:   awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id: jsii.String("expire-logs"), Expiration: awscdk.Duration_Days(jsii.Number(ExportsExpireAfterDays)),
		}},
	})
	e.Bucket = awss3.NewBucket(st, jsii.String("ExportsBucket"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          e.Key,
		BucketKeyEnabled:       jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		ServerAccessLogsBucket: e.AccessLogs,
		ServerAccessLogsPrefix: jsii.String("exports/"),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id: jsii.String("archive-then-expire"),
			Transitions: &[]*awss3.Transition{{
				StorageClass: awss3.StorageClass_GLACIER(), TransitionAfter: awscdk.Duration_Days(jsii.Number(ExportsArchiveAfterDays)),
			}},
			Expiration:                          awscdk.Duration_Days(jsii.Number(ExportsExpireAfterDays)),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(30)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
	})
	return e
}

// grantWrite lets a role put export objects, and nothing else: no read, no
// delete, no listing; with the KMS key only to encrypt new objects.
func (e *Exports) grantWrite(role awsiam.IRole) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("s3:PutObject"), Resources: &[]*string{e.Bucket.ArnForObjects(jsii.String("*"))},
	}))
	e.Key.Grant(role, jsii.String("kms:GenerateDataKey"))
}
