package notifywire

import (
	"context"
	"sync"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// issueGetter reads one issue (issuedb.Store).
type issueGetter interface {
	Get(ctx context.Context, sc tenancy.Scope, id string) (issue.Issue, error)
}

// ActivityAfter implements issue.ActivityReader when the store does
// (issuedb.Store); nothing otherwise. Not shared within the batch: a
// creation's fan-out reads it only for an issue changed since.
func (b batchIssues) ActivityAfter(ctx context.Context, sc tenancy.Scope, issueID, afterID string, limit int) ([]issue.Activity, error) {
	r, ok := b.db.(issue.ActivityReader)
	if !ok {
		return nil, nil
	}
	return r.ActivityAfter(ctx, sc, issueID, afterID, limit)
}

// batchIssues reads each issue once per batch of the activity consumer:
// its notification and webhook parts both read the issue an event is
// about, side by side; within a batch (withBatchReads) the second asks
// the first's read instead of DynamoDB. Outside a batch it reads through.
type batchIssues struct{ db issueGetter }

type batchReadsKey struct{}

type issueRead struct {
	done chan struct{}
	is   issue.Issue
	err  error
}

type batchReads struct {
	mu    sync.Mutex
	reads map[string]*issueRead
}

// withBatchReads starts a batch's shared reads.
func withBatchReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, batchReadsKey{}, &batchReads{reads: map[string]*issueRead{}})
}

func (b batchIssues) Get(ctx context.Context, sc tenancy.Scope, id string) (issue.Issue, error) {
	br, ok := ctx.Value(batchReadsKey{}).(*batchReads)
	if !ok {
		return b.db.Get(ctx, sc, id)
	}
	k := sc.Table + "\x00" + sc.TenantID + "\x00" + id
	br.mu.Lock()
	r, found := br.reads[k]
	if !found {
		r = &issueRead{done: make(chan struct{})}
		br.reads[k] = r
	}
	br.mu.Unlock()
	if !found {
		r.is, r.err = b.db.Get(ctx, sc, id)
		close(r.done)
		return r.is, r.err
	}
	select {
	case <-r.done:
		return r.is, r.err
	case <-ctx.Done():
		return issue.Issue{}, ctx.Err()
	}
}
