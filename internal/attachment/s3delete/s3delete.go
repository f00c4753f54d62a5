// Package s3delete deletes S3 objects with one SigV4-signed DeleteObject
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html)
// instead of aws-sdk-go-v2/service/s3: what the stream-activity function
// needs of S3 is deleting a deleted issue's or comment's files
// (attachment.Purge), and the S3 client cost it ~0.5 MB of binary and its
// packages' initialisation at every cold start (issue 19,
// docs/performance.md). The request is signed with the SDK's signer, as
// the SDK's client signs it (payload hash in X-Amz-Content-Sha256, the
// path not escaped twice); the tests check it against a re-signing fake.
package s3delete

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
)

// emptySHA256 is the hex SHA-256 of an empty body (DeleteObject has none).
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// maxError bounds the error body read from S3.
const maxError = 64 << 10

// Objects deletes objects (attachment.Deleter).
type Objects struct {
	// Config gives the region, the credentials and the HTTP client.
	Config aws.Config
	// Endpoint is the local S3's base URL (awsx.Endpoints.S3), addressed
	// path-style (<Endpoint>/<bucket>/<key>) like awss3.New does; empty in
	// AWS: https://<bucket>.s3.<region>.amazonaws.com/<key>.
	Endpoint string
	// Now is the signing time; time.Now if nil.
	Now func() time.Time
}

// Delete implements attachment.Deleter: absent (the object or the
// bucket) is fine, as with the SDK's client (s3objects.Objects.Delete).
func (o Objects) Delete(ctx context.Context, bucket, key string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, o.url(bucket, key), nil)
	if err != nil {
		return fmt.Errorf("delete object: %w", err)
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	// S3 signs the path as sent (escaped once: url), not escaped again.
	resp, err := awsjson.Do(ctx, o.Config, req, emptySHA256, "s3", o.Now, func(s *v4.SignerOptions) { s.DisableURIPathEscaping = true })
	if err != nil {
		return fmt.Errorf("delete object: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxError))
	code := element(body, "Code")
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusNotFound && absent(code) {
		return nil
	}
	return fmt.Errorf("delete object: %s: %s (HTTP %d)", code, element(body, "Message"), resp.StatusCode)
}

// absent is whether a 404's error code says the object or its bucket does
// not exist (the codes s3objects' notFound accepts; "": no body). Another
// 404 (an unknown access key on the local S3) is an error.
func absent(code string) bool {
	switch code {
	case "", "NotFound", "NoSuchKey", "NoSuchBucket":
		return true
	}
	return false
}

// url is the object's URL: virtual-hosted in AWS, path-style locally.
func (o Objects) url(bucket, key string) string {
	path := "/" + escape(key)
	if o.Endpoint != "" {
		return strings.TrimSuffix(o.Endpoint, "/") + "/" + escape(bucket) + path
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(o.Config.Region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://" + bucket + ".s3." + o.Config.Region + "." + domain + path
}

// escape percent-encodes s as S3 expects a key in a path: every byte but
// RFC 3986's unreserved characters and "/".
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// element is the text of the first <name> element of an S3 error body
// (<Error><Code>AccessDenied</Code><Message>...</Message></Error>), or
// "" (no XML decoder for two fields of a fixed shape).
func element(body []byte, name string) string {
	s := string(body)
	_, after, ok := strings.Cut(s, "<"+name+">")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, "</"+name+">")
	return v
}
