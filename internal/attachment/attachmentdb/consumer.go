package attachmentdb

import (
	"context"
	"fmt"
	"log/slog"

	"golang.org/x/sync/errgroup"

	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/usage"
)

// LeadingKeysPatterns are the partition keys the activity consumer reads
// and writes when it purges a deleted issue's attachments (its role's
// dynamodb:LeadingKeys condition): the records, the upload index of
// pending ones and the tenant's storage counter.
var LeadingKeysPatterns = []string{"T#*#ATTACH#*", "T#*#UPLOADS", "T#*#STORAGE"}

// Purger deletes the files of an issue or of one of its comments
// (attachment.Service.PurgeIssue, PurgeComment).
type Purger interface {
	PurgeIssue(ctx context.Context, sc tenancy.Scope, issueID string) (int, error)
	PurgeComment(ctx context.Context, sc tenancy.Scope, issueID, commentID string) (int, error)
}

// Consumer is the attachments part of the activity consumer: the removal
// of an issue item (DELETE, bulk delete; whatever deleted it) deletes the
// issue's attachments, and a comment's tombstone (a comment DELETE writes
// the item again with deleted_at: a MODIFY) deletes the files attached to
// that comment; objects first, then their records with their bytes
// given back to the tenant's counter and to the usage meter. A comment
// item's REMOVE needs nothing: only an issue's purge removes comments, and
// the issue's own REMOVE purges all its files. Off the
// request path, and retried with the batch: purging twice deletes nothing
// twice and counts nothing twice (attachment.Service; the store reports a
// removal to the meter only when its conditional delete succeeded).
type Consumer struct {
	Files Purger
	// Meter hears the bytes the purge gave back (usage.AddAttachmentBytes,
	// as a deletion through the API does) and is flushed after a batch
	// that purged files: a stream function's environment may be frozen
	// for long between batches. Nil: the storage meter is not told (the
	// tenant's figure then over-counts until its next recount).
	Meter *usage.Meter
}

// Handle implements changes.Consumer.
func (c Consumer) Handle(ctx context.Context, batch []changes.Change) error {
	if c.Meter != nil {
		ctx = usage.WithMeter(ctx, c.Meter)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(Parallel)
	purged := false
	for _, ch := range batch {
		if ch.TenantID == "" {
			continue
		}
		sc := tenancy.Scope{Table: ch.Table, TenantID: ch.TenantID}
		switch {
		case ch.Entity == issuedb.EntityIssue && ch.Op == changes.Remove:
			is, err := issuedb.DecodeIssue(ch.Old)
			if err != nil {
				return err
			}
			purged = true
			g.Go(func() error {
				if _, err := c.Files.PurgeIssue(tenancy.WithTenant(gctx, sc.TenantID), sc, is.ID); err != nil {
					return fmt.Errorf("attachments of deleted issue %s: %w", is.ID, err)
				}
				return nil
			})
		case ch.Entity == issuedb.EntityComment && ch.Op == changes.Modify:
			cm, err := issuedb.DecodeComment(ch.New)
			if err != nil {
				return err
			}
			if cm.DeletedAt == nil {
				continue // an edit
			}
			// Every redelivery of the tombstone (or a later MODIFY of
			// it) purges again: it finds nothing left and counts nothing.
			purged = true
			g.Go(func() error {
				if _, err := c.Files.PurgeComment(tenancy.WithTenant(gctx, sc.TenantID), sc, cm.IssueID, cm.ID); err != nil {
					return fmt.Errorf("attachments of deleted comment %s of issue %s: %w", cm.ID, cm.IssueID, err)
				}
				return nil
			})
		}
	}
	err := g.Wait()
	if purged && c.Meter != nil {
		// What was dropped is counted whether or not the batch failed
		// later (a redelivery will not count it again); a failed flush
		// keeps it pending for the next one, so it fails nothing.
		if ferr := c.Meter.Flush(ctx); ferr != nil {
			slog.WarnContext(ctx, "usage meter flush after purging attachments", "error", ferr)
		}
	}
	return err
}

// Parallel is how many deleted issues or comments of a batch are purged at once.
const Parallel = 8
