package webhookapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
)

// BenchmarkEventToWebhookAndInbox measures, locally, how long after an
// issue is written its webhook's first attempt reaches the receiver and
// its assignee's inbox entry is written (the activity consumer's batch
// that wrote it has returned). The poller runs as in `make dev` (its
// default poll interval) and the local queue delivers at once.
func BenchmarkEventToWebhookAndInbox(b *testing.B) {
	recv := newReceiver(b)
	w := newWorld(b, recv)
	var mu sync.Mutex
	written := map[string]time.Time{}
	var hookLags, inboxLags []time.Duration
	seen := map[string]bool{}
	recv.srv.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var p struct {
			Data struct{ Issue struct{ ID string } }
		}
		_ = json.NewDecoder(r.Body).Decode(&p)
		now := time.Now()
		mu.Lock()
		if t, ok := written[p.Data.Issue.ID]; ok && !seen[p.Data.Issue.ID] {
			seen[p.Data.Issue.ID] = true
			hookLags = append(hookLags, now.Sub(t))
		}
		mu.Unlock()
	})
	live := w.poller.Consumer
	// Where the time goes: from the API's answer to the poller handing
	// the record to the consumer (stream read and poll waits), and the
	// consumer's batch itself.
	var pickLags, handleTimes []time.Duration
	var batches []int
	w.poller.Consumer = changes.ConsumerFunc(func(ctx context.Context, batch []changes.Change) error {
		picked := time.Now()
		if err := live.Handle(ctx, batch); err != nil {
			return err
		}
		done := time.Now()
		mu.Lock()
		defer mu.Unlock()
		handleTimes = append(handleTimes, done.Sub(picked))
		batches = append(batches, len(batch))
		for _, c := range batch {
			if c.Entity != issuedb.EntityActivity || c.Op != changes.Insert {
				continue
			}
			a, err := issuedb.DecodeActivity(c.New)
			if err != nil || a.Action != "created" {
				continue
			}
			if t, ok := written[a.IssueID]; ok {
				inboxLags = append(inboxLags, done.Sub(t))
				pickLags = append(pickLags, picked.Sub(t))
			}
		}
		return nil
	})
	if res := w.api.As(w.ann).Do("POST", "/v1/webhooks", map[string]any{"url": recv.url(), "event_types": []string{"issue.created"}}); res.Status != 201 {
		b.Fatalf("%d %s", res.Status, res.Body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = w.poller.Run(ctx) }()
	n := 0
	for b.Loop() {
		for k := range 100 {
			res := w.api.As(w.bob).Do("POST", "/v1/issues", map[string]any{"title": fmt.Sprintf("event %d", k), "type": "task", "assignee_id": "ann"})
			if res.Status != http.StatusCreated {
				b.Fatalf("%d %s", res.Status, res.Body)
			}
			mu.Lock()
			written[res.Map(b)["id"].(string)] = time.Now()
			mu.Unlock()
			n++
			time.Sleep(40 * time.Millisecond)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		done := len(hookLags) >= n && len(inboxLags) >= n
		mu.Unlock()
		if done {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hookLags) < n || len(inboxLags) < n {
		b.Fatalf("of %d events, %d reached the webhook and %d the inbox", n, len(hookLags), len(inboxLags))
	}
	sort.Ints(batches)
	b.Logf("%d consumer batches, records per batch: median %d, max %d", len(batches), batches[len(batches)/2], batches[len(batches)-1])
	for _, m := range []struct {
		name string
		lags []time.Duration
	}{{"stream-pickup", pickLags}, {"batch-handle", handleTimes}} {
		sort.Slice(m.lags, func(i, j int) bool { return m.lags[i] < m.lags[j] })
		p := func(q float64) time.Duration { return m.lags[int(q*float64(len(m.lags)-1))] }
		b.ReportMetric(float64(p(0.99).Milliseconds()), m.name+"-p99-ms")
		b.Logf("%s over %d: p50 %s, p99 %s, max %s", m.name, len(m.lags), p(0.5), p(0.99), m.lags[len(m.lags)-1])
	}
	for _, m := range []struct {
		name string
		lags []time.Duration
	}{{"webhook", hookLags}, {"inbox", inboxLags}} {
		sort.Slice(m.lags, func(i, j int) bool { return m.lags[i] < m.lags[j] })
		p := func(q float64) time.Duration { return m.lags[int(q*float64(len(m.lags)-1))] }
		b.ReportMetric(float64(p(0.5).Milliseconds()), m.name+"-p50-ms")
		b.ReportMetric(float64(p(0.99).Milliseconds()), m.name+"-p99-ms")
		b.Logf("event -> %s over %d events: p50 %s, p99 %s, max %s", m.name, len(m.lags), p(0.5), p(0.99), m.lags[len(m.lags)-1])
		if p(0.99) > 2*time.Second {
			b.Errorf("event -> %s p99 %s over 2 s", m.name, p(0.99))
		}
	}
}
