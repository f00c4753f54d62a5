// Package attachment is the file attachments domain: files on issues and
// comments, uploaded by the client straight to object storage through a
// short-lived presigned PUT that fixes the length, type and SHA-256 of the
// body, confirmed by the platform (which reads the object back) before they
// appear, counted against the tenant's storage quota from the tier catalog,
// and downloaded through short-lived presigned GETs. It knows nothing of
// DynamoDB, S3 or HTTP: attachmentdb stores the records and counters,
// s3objects holds the bytes, attachmentapi serves it.
package attachment

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"mime"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/text"
)

// Lifetimes of the presigned requests and of an unconfirmed upload.
const (
	// UploadURLTTL is how long the presigned PUT may be used.
	UploadURLTTL = 10 * time.Minute
	// PendingTTL is how long an upload may stay unconfirmed; after it the
	// reservation is released and the object (if any) deleted by the sweep.
	PendingTTL = UploadURLTTL + 5*time.Minute
	// DownloadURLTTL is how long a presigned GET may be used.
	DownloadURLTTL = 5 * time.Minute
	// MaxFilename is the longest file name kept, in bytes.
	MaxFilename = 255
)

// State of an attachment: pending until the platform confirmed the object.
type State string

const (
	Pending State = "pending"
	Ready   State = "ready"
)

// Attachment is a file on an issue, or on one of its comments.
type Attachment struct {
	ID          string     `json:"id"`
	IssueID     string     `json:"issue_id"`
	CommentID   string     `json:"comment_id,omitempty"`
	Filename    string     `json:"filename"`
	ContentType string     `json:"content_type"`
	Size        int64      `json:"size"`
	SHA256      string     `json:"sha256"` // base64 of the body's SHA-256, as S3 checks it
	State       State      `json:"state"`
	UploaderID  string     `json:"uploader_id"`
	CreatedAt   time.Time  `json:"created_at"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
	TenantID    string     `json:"-"`
	// Bucket and Key locate the object; ExpiresAt ends a pending upload.
	Bucket    string    `json:"-"`
	Key       string    `json:"-"`
	ExpiresAt time.Time `json:"-"`
}

// Inline reports whether the attachment may be shown in the page (images
// the browser renders as images only); every other type is a download.
func (a Attachment) Inline() bool { return inline[a.ContentType] }

// Disposition is the Content-Disposition of a download: inline for images,
// attachment otherwise, with the file name encoded per RFC 6266 / 5987.
func (a Attachment) Disposition() string {
	kind := "attachment"
	if a.Inline() {
		kind = "inline"
	}
	if d := mime.FormatMediaType(kind, map[string]string{"filename": a.Filename}); d != "" {
		return d
	}
	return kind
}

// ObjectKey is where a tenant's attachment lives: under the tenant's
// prefix, which is all the tenant access role may reach (ABAC).
func ObjectKey(tenantID, issueID, id string) string {
	return tenantID + "/" + issueID + "/" + id
}

// The one CORS rule of attachment buckets, which s3objects sets on the
// local S3 and constructs/filestore on the deployed buckets: browsers of
// the web origins may PUT with the headers an upload signs, and GET.
var (
	CORSMethods       = []string{"PUT", "GET", "HEAD"}
	CORSHeaders       = []string{"content-type", "x-amz-checksum-sha256", "x-amz-sdk-checksum-algorithm", "if-none-match"}
	CORSExposeHeaders = []string{"ETag"}
)

// CORSMaxAgeSeconds is how long browsers keep a preflight's answer.
const CORSMaxAgeSeconds = 3000

// TenantPrefix is the prefix of all of a tenant's objects.
func TenantPrefix(tenantID string) string { return tenantID + "/" }

// allowed are the content types that may be uploaded: images, documents,
// text and archives. No HTML, SVG or scripts: a file that a browser would
// run is refused, whatever its name.
var allowed = []string{
	"image/png", "image/jpeg", "image/gif", "image/webp",
	"application/pdf", "text/plain", "text/csv", "text/markdown", "application/json",
	"application/zip", "application/gzip", "video/mp4",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

// inline types are shown in the page (with nosniff, as what they are).
var inline = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// AllowedTypes lists the content types that may be uploaded.
func AllowedTypes() []string { return slices.Clone(allowed) }

// Allowed reports whether a content type may be uploaded.
func Allowed(ct string) bool { return slices.Contains(allowed, ct) }

// UploadRequest is what a client declares before uploading a file.
type UploadRequest struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	// SHA256 is the base64 SHA-256 of the body; S3 refuses a body that
	// does not match it, and the confirmation compares it again.
	SHA256 string `json:"sha256"`
	// CommentID attaches the file to a comment of the issue.
	CommentID string `json:"comment_id,omitempty"`
}

// Validate checks a request against the per-file cap; every problem names
// its field. The file name is cleaned (NFC, no path, no control characters).
func (u *UploadRequest) Validate(maxFile int64) error {
	var tf text.Fields
	tf.Clean("filename", &u.Filename, text.Line)
	if !tf.Has("filename") {
		u.Filename = path.Base(strings.ReplaceAll(u.Filename, `\`, "/"))
		switch {
		case u.Filename == "" || u.Filename == "." || u.Filename == "/":
			tf.Add("filename", "is required")
		case len(u.Filename) > MaxFilename:
			tf.Add("filename", fmt.Sprintf("is longer than %d bytes", MaxFilename))
		}
	}
	ct, params, err := mime.ParseMediaType(u.ContentType)
	switch {
	case u.ContentType == "":
		tf.Add("content_type", "is required")
	case err != nil || len(params) > 0 || ct != u.ContentType:
		tf.Add("content_type", "must be a plain media type such as image/png (lower case, no parameters)")
	case !Allowed(ct):
		tf.Add("content_type", "is not an allowed type; allowed: "+strings.Join(allowed, ", "))
	}
	switch {
	case u.Size <= 0:
		tf.Add("size", "must be a positive number of bytes")
	case u.Size > maxFile:
		tf.Add("size", fmt.Sprintf("is larger than your plan's %d-byte limit per file", maxFile))
	}
	if b, err := base64.StdEncoding.Strict().DecodeString(u.SHA256); err != nil || len(b) != sha256.Size {
		tf.Add("sha256", "must be the base64 SHA-256 of the file (44 characters)")
	}
	if u.CommentID != "" && (len(u.CommentID) > 64 || !utf8.ValidString(u.CommentID) || strings.ContainsAny(u.CommentID, "#/ ")) {
		tf.Add("comment_id", "is not a comment of this issue")
	}
	return tf.Err()
}

// Usage is a tenant's attachment storage against its quota.
type Usage struct {
	// UsedBytes are confirmed attachments; ReservedBytes uploads in flight.
	UsedBytes     int64 `json:"used_bytes"`
	ReservedBytes int64 `json:"reserved_bytes"`
	QuotaBytes    int64 `json:"quota_bytes"`
	MaxFileBytes  int64 `json:"max_file_bytes"`
	Files         int64 `json:"files"`
}

// Upload is the answer to an upload request: the attachment (pending) and
// the one request that may put its bytes.
type Upload struct {
	Attachment Attachment `json:"attachment"`
	// URL is the presigned PUT; Headers must be sent with it exactly.
	URL       string            `json:"url"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expires_at"`
}

// Download is a presigned GET of an attachment.
type Download struct {
	URL         string    `json:"url"`
	ExpiresAt   time.Time `json:"expires_at"`
	Disposition string    `json:"disposition"`
}

// ObjectInfo is what object storage says of a stored object.
type ObjectInfo struct {
	Size        int64
	ContentType string
	SHA256      string
	// Head is the first bytes of the body (at most SniffLen).
	Head []byte
}

// SniffLen is how much of an object the confirmation reads to check that
// its content is of the declared type.
const SniffLen = 512

// ErrNoObject is returned by Objects.Stat for an object that is not there.
var ErrNoObject = errs.E(errs.KindConflict, "upload_missing", "nothing was uploaded for this attachment yet: PUT the file to the upload URL, then confirm")

// Objects holds attachment bytes (S3; the local S3 in make dev and tests).
type Objects interface {
	// PresignPut returns a PUT that stores exactly a's declared body at
	// a.Key, and only if nothing is there yet, until expires.
	PresignPut(ctx context.Context, a Attachment, ttl time.Duration) (url string, headers map[string]string, err error)
	// PresignGet returns a GET of a's body with its type, disposition and
	// nosniff, valid for ttl.
	PresignGet(ctx context.Context, a Attachment, ttl time.Duration) (string, error)
	// Stat reads the object's size, type, checksum and first bytes;
	// ErrNoObject when absent.
	Stat(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// Deleter removes an object; absent is fine.
	Deleter
	// DeletePrefix removes every object under prefix and reports how many.
	DeletePrefix(ctx context.Context, bucket, prefix string) (int, error)
}

// Mismatch is the confirmation's verdict on an object that is not the one
// declared: each field that differs, with what was found.
func Mismatch(a Attachment, o ObjectInfo) []errs.FieldError {
	var out []errs.FieldError
	if o.Size != a.Size {
		out = append(out, errs.FieldError{Field: "size", Reason: fmt.Sprintf("the stored object has %d bytes, not the %d declared", o.Size, a.Size)})
	}
	if o.ContentType != a.ContentType {
		out = append(out, errs.FieldError{Field: "content_type", Reason: fmt.Sprintf("the stored object is %q, not %q", o.ContentType, a.ContentType)})
	}
	if o.SHA256 != a.SHA256 {
		out = append(out, errs.FieldError{Field: "sha256", Reason: "the stored object's SHA-256 is not the one declared"})
	}
	if len(out) == 0 {
		if reason := ContentProblem(a.ContentType, o.Head); reason != "" {
			out = append(out, errs.FieldError{Field: "content_type", Reason: reason})
		}
	}
	return out
}
