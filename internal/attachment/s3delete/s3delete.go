// Package s3delete deletes S3 objects with one SigV4-signed DeleteObject
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html)
// instead of aws-sdk-go-v2/service/s3: what the stream-activity function
// needs of S3 is deleting a deleted issue's or comment's files
// (attachment.Purge), and the S3 client cost it ~0.5 MB of binary and its
// packages' initialisation at every cold start (issue 19,
// docs/performance.md). The call is s3signed's (the SDK's signer, as the
// SDK's client signs it); the tests check it against a re-signing fake.
package s3delete

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
)

// Objects deletes objects (attachment.Deleter).
type Objects struct {
	// Config gives the region, the credentials and the HTTP client.
	Config aws.Config
	// Endpoint is the local S3's base URL (awsx.Endpoints.S3), addressed
	// path-style (<Endpoint>/<bucket>/<key>); empty in AWS:
	// https://<bucket>.s3.<region>.amazonaws.com/<key>.
	Endpoint string
	// Now is the signing time; time.Now if nil.
	Now func() time.Time
}

// Delete implements attachment.Deleter: absent (the object or the
// bucket) is fine, as with s3objects.Objects.Delete. Another 404 (an
// unknown access key on the local S3) is an error.
func (o Objects) Delete(ctx context.Context, bucket, key string) error {
	err := s3signed.Client{Config: o.Config, Endpoint: o.Endpoint, Now: o.Now}.Delete(ctx, bucket, key)
	if err == nil || awsjson.IsCode(err, "NotFound", "NoSuchKey", "NoSuchBucket") {
		return nil
	}
	return fmt.Errorf("delete object: %w", err)
}
