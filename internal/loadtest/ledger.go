package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Ledger is every write the load tool saw acknowledged (a 2xx answer):
// issues with the newest version acknowledged, and comments. Verify reads
// them all back: an acknowledged write that is missing is lost data.
type Ledger struct {
	mu       sync.Mutex
	issues   map[string]map[string]Ack            // tenant → issue id → newest acknowledged version
	comments map[string]map[string]map[string]Ack // tenant → issue id → comment id → its creation
	notFound map[string]map[string]int            // tenant → issue id → reads answered 404
	creates  int
	updates  int
	nComment int
	// Log, when set, gets one JSON line per acknowledged write (Ack).
	Log io.Writer
	enc *json.Encoder
}

// Ack is one acknowledged write: what the load tool knows of it.
type Ack struct {
	At        time.Time `json:"at"` // when the answer arrived
	Op        Op        `json:"op"`
	Tenant    string    `json:"tenant"`
	Issue     string    `json:"issue"`
	Comment   string    `json:"comment,omitempty"`
	Version   int64     `json:"version,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
	Status    int       `json:"status"`
}

func newLedger() *Ledger {
	return &Ledger{issues: map[string]map[string]Ack{}, comments: map[string]map[string]map[string]Ack{}, notFound: map[string]map[string]int{}}
}

func (l *Ledger) log(a Ack) {
	if l.Log == nil {
		return
	}
	if l.enc == nil {
		l.enc = json.NewEncoder(l.Log)
	}
	_ = l.enc.Encode(a)
}

func (l *Ledger) issue(a Ack) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.issues[a.Tenant]
	if m == nil {
		m = map[string]Ack{}
		l.issues[a.Tenant] = m
	}
	if a.Version > m[a.Issue].Version {
		m[a.Issue] = a
	}
	if a.Op == OpCreate {
		l.creates++
	} else {
		l.updates++
	}
	l.log(a)
}

func (l *Ledger) comment(a Ack) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.comments[a.Tenant]
	if m == nil {
		m = map[string]map[string]Ack{}
		l.comments[a.Tenant] = m
	}
	if m[a.Issue] == nil {
		m[a.Issue] = map[string]Ack{}
	}
	m[a.Issue][a.Comment] = a
	l.nComment++
	l.log(a)
}

// readNotFound notes a read of a known issue that answered 404.
func (l *Ledger) readNotFound(tenant, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.notFound[tenant] == nil {
		l.notFound[tenant] = map[string]int{}
	}
	l.notFound[tenant][id]++
}

// NotFound are the reads of issues the load had seen that answered 404:
// tenant → issue id → how many.
func (l *Ledger) NotFound() map[string]map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]map[string]int{}
	for t, m := range l.notFound {
		out[t] = map[string]int{}
		for id, n := range m {
			out[t][id] = n
		}
	}
	return out
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
	Losses           []Loss   // the same, with the acknowledgement each lost
}

// Loss is one acknowledged write not found: the acknowledgement and what
// was found instead.
type Loss struct {
	Ack
	What string
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
	lost := func(a Ack, s string) { mu.Lock(); v.Losses = append(v.Losses, Loss{Ack: a, What: s}); mu.Unlock() }
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for tenant, issues := range l.issues {
		for id, ack := range issues {
			want := ack.Version
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
					lost(ack, fmt.Sprintf("%s issue %s (acknowledged at version %d) is missing", tenant, id, want))
				case status != http.StatusOK:
					return fmt.Errorf("verify %s issue %s: status %d", tenant, id, status)
				case got.Version < want:
					lost(ack, fmt.Sprintf("%s issue %s is at version %d, version %d was acknowledged", tenant, id, got.Version, want))
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
				for id, ack := range ids {
					if !have[id] {
						lost(ack, fmt.Sprintf("%s comment %s on issue %s is missing", tenant, id, issueID))
					}
				}
				return nil
			})
		}
	}
	err := g.Wait()
	sort.Slice(v.Losses, func(i, j int) bool { return v.Losses[i].What < v.Losses[j].What })
	for _, x := range v.Losses {
		v.Lost = append(v.Lost, x.What)
	}
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
