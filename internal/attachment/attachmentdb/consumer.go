package attachmentdb

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// LeadingKeysPatterns are the partition keys the activity consumer reads
// and writes when it purges a deleted issue's attachments (its role's
// dynamodb:LeadingKeys condition): the records, the upload index of
// pending ones and the tenant's storage counter.
var LeadingKeysPatterns = []string{"T#*#ATTACH#*", "T#*#UPLOADS", "T#*#STORAGE"}

// Purger deletes the files of an issue (attachment.Service.PurgeIssue).
type Purger interface {
	PurgeIssue(ctx context.Context, sc tenancy.Scope, issueID string) (int, error)
}

// Consumer is the attachments part of the activity consumer: the removal
// of an issue item (DELETE, bulk delete; whatever deleted it) deletes the
// issue's attachments, objects first, then their records with their bytes
// given back to the tenant's counter. Off the request path, and retried
// with the batch: purging twice deletes nothing twice (attachment.Service).
type Consumer struct {
	Files Purger
}

// Handle implements changes.Consumer.
func (c Consumer) Handle(ctx context.Context, batch []changes.Change) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(Parallel)
	for _, ch := range batch {
		if ch.TenantID == "" || ch.Entity != issuedb.EntityIssue || ch.Op != changes.Remove {
			continue
		}
		is, err := issuedb.DecodeIssue(ch.Old)
		if err != nil {
			return err
		}
		sc := tenancy.Scope{Table: ch.Table, TenantID: ch.TenantID}
		g.Go(func() error {
			if _, err := c.Files.PurgeIssue(tenancy.WithTenant(ctx, sc.TenantID), sc, is.ID); err != nil {
				return fmt.Errorf("attachments of deleted issue %s: %w", is.ID, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// Parallel is how many deleted issues of a batch are purged at once.
const Parallel = 8
