// Package s3signed is the few S3 calls the functions make, each one
// SigV4-signed request (the SDK's signer, as the SDK's client signs it)
// instead of aws-sdk-go-v2/service/s3: presigned PUTs and GETs (the
// signer's PresignHTTP), HeadObject, a ranged GetObject, PutObject,
// DeleteObject(s), CopyObject, ListObjectsV2 and, for the local S3 only,
// CreateBucket and PutBucketCors. The S3 client and encoding/xml cost the
// attachments and onboarding functions ~0.5 MB of binary each and their
// packages' initialisation at every cold start (issue 19,
// docs/performance.md). The answers S3 gives in XML (errors, a listing)
// have a fixed shape and are read without an XML decoder; the tests run
// every call against the local S3 (versitygw, which checks signatures as
// S3 does) and compare the presigned URLs with the SDK presigner's.
package s3signed

import (
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // S3 requires Content-MD5 on DeleteObjects and PutBucketCors
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"

	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/awsx/xmltext"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
)

// maxBody bounds the XML answers read from S3 (a listing page of 1,000
// keys is ~300 KB).
const maxBody = 4 << 20

// Client sends the calls.
type Client struct {
	// Config gives the region, the credentials and the HTTP client.
	Config aws.Config
	// Endpoint is the local S3's base URL (awsx.Endpoints.S3), addressed
	// path-style (<Endpoint>/<bucket>/<key>); empty in AWS:
	// https://<bucket>.s3.<region>.amazonaws.com/<key>, or path-style
	// https://s3.<region>.amazonaws.com/<bucket>/<key> where asked.
	Endpoint string
	// Now is the signing time; time.Now if nil.
	Now func() time.Time
	// Backoff is the pause before retry attempt (1, 2); 100 ms x attempt
	// if nil (awsjson.Retry).
	Backoff func(attempt int) time.Duration
}

// WithCredentials is c signing with p (tenantcreds.Provider: a tenant's
// session per call's tenant).
func (c Client) WithCredentials(p aws.CredentialsProvider) Client {
	c.Config.Credentials = p
	return c
}

// Error is S3's error answer: "<Code>: <Message> (HTTP <status>)".
type Error struct {
	Status        int
	Code, Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Message, e.Status) }

// ErrorCode, ErrorMessage and ErrorFault make an *Error a smithy.APIError,
// as the SDK's errors are: httpapi.DependencyDown reads a 5xx as a server
// fault (a 503 for the API's caller).
func (e *Error) ErrorCode() string    { return e.Code }
func (e *Error) ErrorMessage() string { return e.Message }
func (e *Error) ErrorFault() smithy.ErrorFault {
	if e.Status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// URL is the object's (key "": the bucket's) URL: path-style on a local
// endpoint or when pathStyle, else virtual-hosted.
func (c Client) URL(bucket, key string, pathStyle bool) string {
	path := "/" + Escape(key)
	if c.Endpoint != "" {
		return strings.TrimSuffix(c.Endpoint, "/") + "/" + Escape(bucket) + path
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(c.Config.Region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	if pathStyle {
		return "https://s3." + c.Config.Region + "." + domain + "/" + Escape(bucket) + path
	}
	return "https://" + bucket + ".s3." + c.Config.Region + "." + domain + path
}

// Presign is a presigned request for ttl, as the SDK's presigner makes it
// (x-id=<op> in the query, X-Amz-Expires, UNSIGNED-PAYLOAD, the path
// escaped once; S3's signer options): the URL
// and the headers the sender must send (Host among them).
func (c Client) Presign(ctx context.Context, method, bucket, key, op string, pathStyle bool, query url.Values, header http.Header, ttl time.Duration) (string, http.Header, error) {
	u, err := url.Parse(c.URL(bucket, key, pathStyle))
	if err != nil {
		return "", nil, err
	}
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("x-id", op)
	q.Set("X-Amz-Expires", strconv.FormatInt(int64(ttl/time.Second), 10))
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return "", nil, err
	}
	for k, v := range header {
		req.Header[http.CanonicalHeaderKey(k)] = v
	}
	if cl := req.Header.Get("Content-Length"); cl != "" {
		req.ContentLength, _ = strconv.ParseInt(cl, 10, 64)
	}
	creds, err := c.credentials(ctx)
	if err != nil {
		return "", nil, err
	}
	signed, h, err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", c.Config.Region, c.now())
	return signed, h, err
}

func (c Client) credentials(ctx context.Context) (aws.Credentials, error) {
	if c.Config.Credentials == nil {
		return aws.Credentials{}, errors.New("no credentials")
	}
	creds, err := c.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return creds, fmt.Errorf("credentials: %w", err)
	}
	return creds, nil
}

func (c Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Do sends one signed call (retried on a 5xx or a network error, as the
// SDK's standard retryer: awsjson.RetryAsSDK with Backoff) and returns a
// 2xx answer, whose body the caller closes; any other answer is an *Error
// (a HEAD's, which has no body: the status, "NotFound" for 404,
// "Forbidden" for 403, as the SDK names them). After the last attempt the
// error is a *retry.MaxAttemptsError, as the SDK's (awsx.RetriesExhausted).
func (c Client) Do(ctx context.Context, method, rawURL string, header http.Header, body []byte) (*http.Response, error) {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	var resp *http.Response
	err := awsjson.RetryAsSDK(ctx, c.Backoff, retryable, func() error {
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, r)
		if err != nil {
			return err
		}
		for k, v := range header {
			req.Header[http.CanonicalHeaderKey(k)] = v
		}
		req.Header.Set("X-Amz-Content-Sha256", hash)
		// S3 signs the path as sent (escaped once: URL), not escaped again.
		answer, err := awsjson.Do(ctx, c.Config, req, hash, "s3", c.Now, func(s *v4.SignerOptions) { s.DisableURIPathEscaping = true })
		if err != nil {
			return err
		}
		if answer.StatusCode/100 == 2 {
			resp = answer
			return nil
		}
		data, _ := io.ReadAll(io.LimitReader(answer.Body, maxBody))
		answer.Body.Close()
		return errorOf(answer.StatusCode, data)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// retryable are the failures Do sends again: S3's 5xx (SlowDown is a 503)
// and a call that got no answer (connection refused, reset, timed out).
func retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Status/100 == 5
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// errorOf reads S3's <Error><Code>…</Code><Message>…</Message></Error>;
// without a body (HEAD), the status names it.
func errorOf(status int, body []byte) *Error {
	e := &Error{Status: status, Code: Element(body, "Code"), Message: Element(body, "Message")}
	if e.Code == "" {
		switch status {
		case http.StatusNotFound:
			e.Code = "NotFound"
		case http.StatusForbidden:
			e.Code = "Forbidden"
		default:
			e.Code = strconv.Itoa(status)
		}
	}
	return e
}

// call is Do that reads and closes the answer.
func (c Client) call(ctx context.Context, method, rawURL string, header http.Header, body []byte) ([]byte, http.Header, error) {
	resp, err := c.Do(ctx, method, rawURL, header, body)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	return data, resp.Header, err
}

// bucketURL is the bucket's URL for a call on the bucket itself.
func (c Client) bucketURL(bucket string) string {
	return strings.TrimSuffix(c.URL(bucket, "", false), "/")
}

// Head is HeadObject: the object's headers (Content-Length,
// Content-Type, ETag; x-amz-checksum-sha256 with checksums).
func (c Client) Head(ctx context.Context, bucket, key string, checksums bool) (http.Header, error) {
	h := http.Header{}
	if checksums {
		h.Set("X-Amz-Checksum-Mode", "ENABLED")
	}
	_, out, err := c.call(ctx, http.MethodHead, c.URL(bucket, key, false), h, nil)
	return out, err
}

// Get is GetObject with the given request headers (Range, If-Match); the
// caller closes the body.
func (c Client) Get(ctx context.Context, bucket, key string, header http.Header) (io.ReadCloser, error) {
	resp, err := c.Do(ctx, http.MethodGet, c.URL(bucket, key, false), header, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Put is PutObject of body with the given headers (Content-Type,
// x-amz-server-side-encryption...).
func (c Client) Put(ctx context.Context, bucket, key string, body []byte, header http.Header) error {
	_, _, err := c.call(ctx, http.MethodPut, c.URL(bucket, key, false), header, body)
	return err
}

// Delete is DeleteObject.
func (c Client) Delete(ctx context.Context, bucket, key string) error {
	_, _, err := c.call(ctx, http.MethodDelete, c.URL(bucket, key, false), nil, nil)
	return err
}

// Copy is CopyObject of source ("<bucket>/<key>", each key segment
// escaped) to bucket/key. S3 may answer 200 with an error in the body.
func (c Client) Copy(ctx context.Context, bucket, key, source string) error {
	data, _, err := c.call(ctx, http.MethodPut, c.URL(bucket, key, false), http.Header{"X-Amz-Copy-Source": {source}}, nil)
	if err != nil {
		return err
	}
	if strings.Contains(string(data), "<Error>") {
		return errorOf(http.StatusOK, data)
	}
	return nil
}

// Object is a listed object.
type Object struct {
	Key  string
	Size int64
}

// List is one page of ListObjectsV2 under prefix after token ("" first);
// next is "" on the last page.
func (c Client) List(ctx context.Context, bucket, prefix, token string) (objects []Object, next string, err error) {
	return c.ListPage(ctx, bucket, prefix, token, 0)
}

// ListPage is List with at most maxKeys objects a page (0: S3's 1,000).
func (c Client) ListPage(ctx context.Context, bucket, prefix, token string, maxKeys int) (objects []Object, next string, err error) {
	q := url.Values{"list-type": {"2"}, "prefix": {prefix}}
	if maxKeys > 0 {
		q.Set("max-keys", strconv.Itoa(maxKeys))
	}
	if token != "" {
		q.Set("continuation-token", token)
	}
	data, _, err := c.call(ctx, http.MethodGet, c.bucketURL(bucket)+"?"+q.Encode(), nil, nil)
	if err != nil {
		return nil, "", err
	}
	s := string(data)
	for {
		_, after, ok := strings.Cut(s, "<Contents>")
		if !ok {
			break
		}
		item, rest, _ := strings.Cut(after, "</Contents>")
		s = rest
		size, err := strconv.ParseInt(Element([]byte(item), "Size"), 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("list %s: size of %q: %w", bucket, Element([]byte(item), "Key"), err)
		}
		objects = append(objects, Object{Key: xmltext.Unescape(Element([]byte(item), "Key")), Size: size})
	}
	if Element(data, "IsTruncated") == "true" {
		next = xmltext.Unescape(Element(data, "NextContinuationToken"))
		if next == "" {
			return nil, "", fmt.Errorf("list %s: truncated without a continuation token", bucket)
		}
	}
	return objects, next, nil
}

// DeleteObjects deletes keys (at most 1,000) in one quiet call; the first
// key S3 could not delete is an error.
func (c Client) DeleteObjects(ctx context.Context, bucket string, keys []string) error {
	var b strings.Builder
	b.WriteString(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>`)
	for _, k := range keys {
		b.WriteString("<Object><Key>" + xmltext.EscapeText(k) + "</Key></Object>")
	}
	b.WriteString("</Delete>")
	body := []byte(b.String())
	data, _, err := c.call(ctx, http.MethodPost, c.bucketURL(bucket)+"?delete=", withMD5(body, "application/xml"), body)
	if err != nil {
		return err
	}
	if _, after, ok := strings.Cut(string(data), "<Error>"); ok {
		item := []byte(after)
		return fmt.Errorf("delete %s: %s", xmltext.Unescape(Element(item, "Key")), xmltext.Unescape(Element(item, "Message")))
	}
	return nil
}

// CORSRule is a bucket's CORS rule.
type CORSRule struct {
	AllowedMethods, AllowedOrigins, AllowedHeaders, ExposeHeaders []string
	MaxAgeSeconds                                                 int
}

// CreateBucket creates bucket; one that exists and is the caller's is
// fine (the local S3 only: in AWS the stacks own the buckets).
func (c Client) CreateBucket(ctx context.Context, bucket string) error {
	_, _, err := c.call(ctx, http.MethodPut, c.bucketURL(bucket), nil, nil)
	if awsjson.IsCode(err, "BucketAlreadyOwnedByYou", "BucketAlreadyExists") {
		return nil
	}
	return err
}

// PutBucketCORS sets bucket's CORS rules.
func (c Client) PutBucketCORS(ctx context.Context, bucket string, rules ...CORSRule) error {
	var b strings.Builder
	b.WriteString(`<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for _, r := range rules {
		b.WriteString("<CORSRule>")
		for _, x := range []struct {
			name string
			vs   []string
		}{{"AllowedHeader", r.AllowedHeaders}, {"AllowedMethod", r.AllowedMethods}, {"AllowedOrigin", r.AllowedOrigins}, {"ExposeHeader", r.ExposeHeaders}} {
			for _, v := range x.vs {
				b.WriteString("<" + x.name + ">" + xmltext.EscapeText(v) + "</" + x.name + ">")
			}
		}
		if r.MaxAgeSeconds > 0 {
			b.WriteString("<MaxAgeSeconds>" + strconv.Itoa(r.MaxAgeSeconds) + "</MaxAgeSeconds>")
		}
		b.WriteString("</CORSRule>")
	}
	b.WriteString("</CORSConfiguration>")
	body := []byte(b.String())
	_, _, err := c.call(ctx, http.MethodPut, c.bucketURL(bucket)+"?cors=", withMD5(body, "application/xml"), body)
	return err
}

func withMD5(body []byte, contentType string) http.Header {
	sum := md5.Sum(body) //nolint:gosec // S3's integrity header
	return http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(sum[:])}, "Content-Type": {contentType}}
}

// Escape percent-encodes s as S3 expects a key in a path: every byte but
// RFC 3986's unreserved characters and "/".
func Escape(s string) string {
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

// Element is the raw (escaped) text of the first <name> element of body,
// or "".
func Element(body []byte, name string) string {
	s, _ := xmltext.Raw(string(body), name)
	return s
}

// Scoped is c signing per tenant with p (in AWS the tenant access role
// lets a tenant's session reach only its own prefix of the attachments
// bucket and its own bucket); p answers with c's credentials where it
// assumes no role.
func Scoped(c Client, p *tenantcreds.Provider) Client {
	if p.Base == nil {
		p.Base = c.Config.Credentials
	}
	return c.WithCredentials(p)
}
