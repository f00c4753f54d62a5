package attachment

import (
	"context"
	"fmt"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/oklog/ulid/v2"
)

// Store keeps attachment records and the tenant's storage counter
// (attachmentdb). sc is the tenant's scope: its application table and id.
type Store interface {
	// Reserve writes a pending attachment and reserves its size, only
	// while the issue (and comment) exist and within quota: issue_not_found,
	// a 400 naming comment_id, or ErrQuota.
	Reserve(ctx context.Context, sc tenancy.Scope, a Attachment, quota int64) error
	// Get returns an attachment or attachment_not_found.
	Get(ctx context.Context, sc tenancy.Scope, issueID, id string) (Attachment, error)
	// List returns an issue's ready attachments, oldest first.
	List(ctx context.Context, sc tenancy.Scope, issueID string, req list.Request) (list.Page[Attachment], error)
	// Confirm makes a pending attachment ready; attachment_not_found when it
	// is no longer pending.
	Confirm(ctx context.Context, sc tenancy.Scope, a Attachment, at time.Time) error
	// Release drops a pending attachment and its reservation; Remove a
	// ready one and its bytes. Both are idempotent.
	Release(ctx context.Context, sc tenancy.Scope, a Attachment) error
	Remove(ctx context.Context, sc tenancy.Scope, a Attachment) error
	// Usage reads the counter (without the quota).
	Usage(ctx context.Context, sc tenancy.Scope) (Usage, error)
	// Expired lists pending uploads whose time ran out before now.
	Expired(ctx context.Context, sc tenancy.Scope, now time.Time, limit int) ([]Attachment, error)
	// ForIssue lists every attachment of an issue.
	ForIssue(ctx context.Context, sc tenancy.Scope, issueID string) ([]Attachment, error)
}

// Issues resolves an issue reference (id or human key such as ACME-42) of
// the caller's tenant to its id: issue_not_found otherwise.
type Issues interface {
	Resolve(ctx context.Context, p tenancy.Principal, ref string) (string, error)
}

// Buckets says where a tenant's attachments live: the pooled bucket, or
// the tenant's own for tiers with a dedicated stack (Platinum).
type Buckets struct {
	Pooled string
	Silo   func(tenantID string) string
}

// For returns the bucket of a tenant of tier t.
func (b Buckets) For(tenantID string, t tiers.Name) string {
	if tr, ok := tiers.Get(t); ok && tr.Isolation == tiers.Silo && b.Silo != nil {
		return b.Silo(tenantID)
	}
	return b.Pooled
}

// Service is the attachments use cases.
type Service struct {
	Store   Store
	Objects Objects
	Issues  Issues
	Buckets Buckets
	Now     func() time.Time
	// UploadTTL and DownloadTTL are the presigned URLs' lives
	// (UploadURLTTL and DownloadURLTTL when zero; tests shorten them).
	UploadTTL, DownloadTTL time.Duration
}

func (s Service) uploadTTL() time.Duration {
	if s.UploadTTL > 0 {
		return s.UploadTTL
	}
	return UploadURLTTL
}

func (s Service) downloadTTL() time.Duration {
	if s.DownloadTTL > 0 {
		return s.DownloadTTL
	}
	return DownloadURLTTL
}

func (s Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func tierOf(p tenancy.Principal) tiers.Tier {
	if t, ok := tiers.Get(p.Tier); ok {
		return t
	}
	return tiers.MustGet(tiers.Basic) // the smallest limits for an unknown tier
}

// sweepOnQuota is how many expired uploads a refused reservation releases
// before it tries again.
const sweepOnQuota = 25

// RequestUpload validates the declaration, reserves its size and returns
// the presigned PUT. Nothing is written when the request is refused.
func (s Service) RequestUpload(ctx context.Context, p tenancy.Principal, issueRef string, in UploadRequest) (Upload, error) {
	tr := tierOf(p)
	if err := in.Validate(tr.MaxFileBytes); err != nil {
		return Upload{}, err
	}
	issueID, err := s.Issues.Resolve(ctx, p, issueRef)
	if err != nil {
		return Upload{}, err
	}
	now := s.now()
	id := ulid.Make().String()
	a := Attachment{ID: id, TenantID: p.TenantID, IssueID: issueID, CommentID: in.CommentID, Filename: in.Filename,
		ContentType: in.ContentType, Size: in.Size, SHA256: in.SHA256, State: Pending, UploaderID: p.UserID,
		CreatedAt: now, ExpiresAt: now.Add(s.uploadTTL() + PendingTTL - UploadURLTTL), Bucket: s.Buckets.For(p.TenantID, p.Tier), Key: ObjectKey(p.TenantID, issueID, id)}
	err = s.Store.Reserve(ctx, p.Scope(), a, tr.StorageBytes)
	if errs.As(err) != nil && errs.As(err).Code == "storage_quota_exceeded" {
		// Uploads that never completed may hold the room: give it back, once.
		if n, serr := s.Sweep(ctx, p.Scope(), sweepOnQuota); serr == nil && n > 0 {
			err = s.Store.Reserve(ctx, p.Scope(), a, tr.StorageBytes)
		}
	}
	if err != nil {
		if e := errs.As(err); e != nil && e.Code == "storage_quota_exceeded" {
			u, _ := s.Store.Usage(ctx, p.Scope())
			return Upload{}, errs.E(errs.KindUnprocessable, "storage_quota_exceeded",
				"this %d-byte file would exceed your plan's attachment storage (%d of %d bytes in use or reserved)",
				in.Size, u.UsedBytes+u.ReservedBytes, tr.StorageBytes).WithFields(errs.FieldError{Field: "size", Reason: "exceeds the remaining storage of your plan"})
		}
		return Upload{}, err
	}
	url, headers, err := s.Objects.PresignPut(ctx, a, s.uploadTTL())
	if err != nil {
		_ = s.Store.Release(ctx, p.Scope(), a)
		return Upload{}, err
	}
	return Upload{Attachment: a, URL: url, Method: "PUT", Headers: headers, ExpiresAt: now.Add(s.uploadTTL())}, nil
}

// Confirm checks the stored object against the declaration (size, type,
// SHA-256, and that its first bytes are of that type) and makes the
// attachment ready. An object that differs (swapped) is deleted and
// refused (422 naming the fields); a missing one is a 409 upload_missing.
// Confirming a ready attachment again answers it unchanged.
func (s Service) Confirm(ctx context.Context, p tenancy.Principal, issueRef, id string) (Attachment, error) {
	a, err := s.get(ctx, p, issueRef, id)
	if err != nil {
		return Attachment{}, err
	}
	if a.State == Ready {
		return a, nil
	}
	if a.UploaderID != p.UserID {
		return Attachment{}, errs.NotFound("attachment") // someone else's upload in flight
	}
	if !s.now().Before(a.ExpiresAt) {
		return Attachment{}, errs.E(errs.KindConflict, "upload_expired", "this upload expired; request a new one")
	}
	info, err := s.Objects.Stat(ctx, a.Bucket, a.Key)
	if err != nil {
		return Attachment{}, err
	}
	if bad := Mismatch(a, info); len(bad) > 0 {
		if err := s.Objects.Delete(ctx, a.Bucket, a.Key); err != nil {
			return Attachment{}, err
		}
		return Attachment{}, errs.E(errs.KindUnprocessable, "upload_mismatch",
			"the uploaded object is not the file declared; it was discarded").WithFields(bad...)
	}
	at := s.now()
	if err := s.Store.Confirm(ctx, p.Scope(), a, at); err != nil {
		return Attachment{}, err
	}
	a.State, a.ConfirmedAt = Ready, &at
	return a, nil
}

// get reads an attachment of an issue of the caller's tenant.
func (s Service) get(ctx context.Context, p tenancy.Principal, issueRef, id string) (Attachment, error) {
	issueID, err := s.Issues.Resolve(ctx, p, issueRef)
	if err != nil {
		return Attachment{}, err
	}
	return s.Store.Get(ctx, p.Scope(), issueID, id)
}

// Get returns a ready attachment (a pending one only to its uploader).
func (s Service) Get(ctx context.Context, p tenancy.Principal, issueRef, id string) (Attachment, error) {
	a, err := s.get(ctx, p, issueRef, id)
	if err == nil && a.State != Ready && a.UploaderID != p.UserID {
		return Attachment{}, errs.NotFound("attachment")
	}
	return a, err
}

// List returns an issue's ready attachments.
func (s Service) List(ctx context.Context, p tenancy.Principal, issueRef string, req list.Request) (list.Page[Attachment], error) {
	issueID, err := s.Issues.Resolve(ctx, p, issueRef)
	if err != nil {
		return list.Page[Attachment]{}, err
	}
	return s.Store.List(ctx, p.Scope(), issueID, req)
}

// Download returns a presigned GET of a ready attachment.
func (s Service) Download(ctx context.Context, p tenancy.Principal, issueRef, id string) (Download, error) {
	a, err := s.get(ctx, p, issueRef, id)
	if err != nil {
		return Download{}, err
	}
	if a.State != Ready {
		return Download{}, errs.NotFound("attachment")
	}
	url, err := s.Objects.PresignGet(ctx, a, s.downloadTTL())
	if err != nil {
		return Download{}, err
	}
	return Download{URL: url, ExpiresAt: s.now().Add(s.downloadTTL()), Disposition: a.Disposition()}, nil
}

// Delete removes an attachment (its uploader, or an Admin and above): the
// object first, then the record and its bytes.
func (s Service) Delete(ctx context.Context, p tenancy.Principal, issueRef, id string) error {
	a, err := s.get(ctx, p, issueRef, id)
	if err != nil {
		return err
	}
	if a.UploaderID != p.UserID && !p.Role.AtLeast(roles.Admin) {
		if a.State != Ready {
			return errs.NotFound("attachment")
		}
		return errs.Forbidden("not_attachment_uploader", "only the uploader or an admin may delete an attachment")
	}
	return s.drop(ctx, p.Scope(), a)
}

func (s Service) drop(ctx context.Context, sc tenancy.Scope, a Attachment) error {
	return Purge{Store: s.Store, Objects: s.Objects}.drop(ctx, sc, a)
}

// Usage is the tenant's storage against its plan.
func (s Service) Usage(ctx context.Context, p tenancy.Principal) (Usage, error) {
	u, err := s.Store.Usage(ctx, p.Scope())
	if err != nil {
		return Usage{}, err
	}
	tr := tierOf(p)
	u.QuotaBytes, u.MaxFileBytes = tr.StorageBytes, tr.MaxFileBytes
	return u, nil
}

// Sweep releases up to limit uploads of a tenant that were never confirmed
// in time, deleting whatever was uploaded for them; it reports how many.
func (s Service) Sweep(ctx context.Context, sc tenancy.Scope, limit int) (int, error) {
	expired, err := s.Store.Expired(ctx, sc, s.now(), limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range expired {
		if err := s.drop(ctx, sc, a); err != nil {
			return n, fmt.Errorf("sweep upload %s: %w", a.ID, err)
		}
		n++
	}
	return n, nil
}

// PurgeIssue deletes every attachment of a deleted issue, objects first
// (the activity consumer calls it for the issue's REMOVE; idempotent).
func (s Service) PurgeIssue(ctx context.Context, sc tenancy.Scope, issueID string) (int, error) {
	return Purge{Store: s.Store, Objects: s.Objects}.PurgeIssue(ctx, sc, issueID)
}

// PurgeComment deletes the attachments of a deleted comment.
func (s Service) PurgeComment(ctx context.Context, sc tenancy.Scope, issueID, commentID string) (int, error) {
	return Purge{Store: s.Store, Objects: s.Objects}.PurgeComment(ctx, sc, issueID, commentID)
}

// Deleter is the part of Objects that deleting an attachment uses.
type Deleter interface {
	// Delete removes an object; absent is fine.
	Delete(ctx context.Context, bucket, key string) error
}

// Purge deletes the attachments of deleted issues and comments (the
// activity consumer's attachmentdb.Purger, as Service's PurgeIssue and
// PurgeComment): of the objects it only deletes, so the stream-activity
// function needs no S3 client (s3delete; issue 19).
type Purge struct {
	Store   Store
	Objects Deleter
}

// PurgeIssue deletes every attachment of a deleted issue, objects first
// (idempotent).
func (p Purge) PurgeIssue(ctx context.Context, sc tenancy.Scope, issueID string) (int, error) {
	return p.purge(ctx, sc, issueID, func(Attachment) bool { return true })
}

// PurgeComment deletes the attachments of a deleted comment.
func (p Purge) PurgeComment(ctx context.Context, sc tenancy.Scope, issueID, commentID string) (int, error) {
	return p.purge(ctx, sc, issueID, func(a Attachment) bool { return a.CommentID == commentID })
}

func (p Purge) purge(ctx context.Context, sc tenancy.Scope, issueID string, keep func(Attachment) bool) (int, error) {
	all, err := p.Store.ForIssue(ctx, sc, issueID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range all {
		if !keep(a) {
			continue
		}
		if err := p.drop(ctx, sc, a); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// drop deletes a's object, then its record (a ready one) or its
// reservation (an upload never confirmed).
func (p Purge) drop(ctx context.Context, sc tenancy.Scope, a Attachment) error {
	if err := p.Objects.Delete(ctx, a.Bucket, a.Key); err != nil {
		return err
	}
	if a.State == Ready {
		return p.Store.Remove(ctx, sc, a)
	}
	return p.Store.Release(ctx, sc, a)
}

// Offboard deletes every object of a tenant (its records go with the
// tenant's items). It reports how many objects it deleted.
func (s Service) Offboard(ctx context.Context, tenantID string, t tiers.Name) (int, error) {
	return s.Objects.DeletePrefix(ctx, s.Buckets.For(tenantID, t), TenantPrefix(tenantID))
}
