package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Ledger is every write the load tool saw acknowledged (a 2xx answer):
// issues with the newest version acknowledged, and comments. Verify reads
// them all back: an acknowledged write that is missing is lost data.
type Ledger struct {
	mu       sync.Mutex
	issues   map[string]map[string]int64               // tenant → issue id → newest acknowledged version
	comments map[string]map[string]map[string]struct{} // tenant → issue id → comment ids
	creates  int
	updates  int
	nComment int
}

func newLedger() *Ledger {
	return &Ledger{issues: map[string]map[string]int64{}, comments: map[string]map[string]map[string]struct{}{}}
}

func (l *Ledger) issue(tenant, id string, version int64, created bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.issues[tenant]
	if m == nil {
		m = map[string]int64{}
		l.issues[tenant] = m
	}
	if version > m[id] {
		m[id] = version
	}
	if created {
		l.creates++
	} else {
		l.updates++
	}
}

func (l *Ledger) comment(tenant, issueID, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.comments[tenant]
	if m == nil {
		m = map[string]map[string]struct{}{}
		l.comments[tenant] = m
	}
	if m[issueID] == nil {
		m[issueID] = map[string]struct{}{}
	}
	m[issueID][id] = struct{}{}
	l.nComment++
}

// Counts are the acknowledged creates, updates and comments.
func (l *Ledger) Counts() (creates, updates, comments int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.creates, l.updates, l.nComment
}

// Verification is the outcome of reading the ledger back.
type Verification struct {
	Issues, Comments int      // acknowledged items checked
	Lost             []string // acknowledged writes not found (or older than acknowledged)
}

func (v Verification) String() string {
	return fmt.Sprintf("ledger: %d issues and %d comments acknowledged, %d lost", v.Issues, v.Comments, len(v.Lost))
}

// Verify reads every acknowledged issue (its version must be at least the
// newest acknowledged) and every acknowledged comment through the API with
// the given tokens (tenant → token), 8 requests at a time.
func (l *Ledger) Verify(ctx context.Context, c *http.Client, base string, tokens map[string]string) (Verification, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var v Verification
	var mu sync.Mutex
	lost := func(s string) { mu.Lock(); v.Lost = append(v.Lost, s); mu.Unlock() }
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for tenant, issues := range l.issues {
		for id, want := range issues {
			v.Issues++
			g.Go(func() error {
				var got struct {
					Version int64 `json:"version"`
				}
				status, err := getJSON(ctx, c, base+"/v1/issues/"+id, tokens[tenant], &got)
				switch {
				case err != nil:
					return err
				case status == http.StatusNotFound:
					lost(fmt.Sprintf("%s issue %s (acknowledged at version %d) is missing", tenant, id, want))
				case status != http.StatusOK:
					return fmt.Errorf("verify %s issue %s: status %d", tenant, id, status)
				case got.Version < want:
					lost(fmt.Sprintf("%s issue %s is at version %d, version %d was acknowledged", tenant, id, got.Version, want))
				}
				return nil
			})
		}
	}
	for tenant, byIssue := range l.comments {
		for issueID, ids := range byIssue {
			v.Comments += len(ids)
			g.Go(func() error {
				have := map[string]bool{}
				cursor := ""
				for {
					var page struct {
						Items []struct {
							ID string `json:"id"`
						} `json:"items"`
						Next string `json:"next_cursor"`
					}
					u := base + "/v1/issues/" + issueID + "/comments?limit=100"
					if cursor != "" {
						u += "&cursor=" + url.QueryEscape(cursor)
					}
					status, err := getJSON(ctx, c, u, tokens[tenant], &page)
					if err != nil {
						return err
					}
					if status != http.StatusOK {
						return fmt.Errorf("verify comments of %s issue %s: status %d", tenant, issueID, status)
					}
					for _, it := range page.Items {
						have[it.ID] = true
					}
					if cursor = page.Next; cursor == "" {
						break
					}
				}
				for id := range ids {
					if !have[id] {
						lost(fmt.Sprintf("%s comment %s on issue %s is missing", tenant, id, issueID))
					}
				}
				return nil
			})
		}
	}
	err := g.Wait()
	sort.Strings(v.Lost)
	return v, err
}

func getJSON(ctx context.Context, c *http.Client, u, token string, dst any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusOK {
		return res.StatusCode, json.NewDecoder(res.Body).Decode(dst)
	}
	return res.StatusCode, nil
}
