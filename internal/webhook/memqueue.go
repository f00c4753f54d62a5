package webhook

import (
	"context"
	"sync"
	"time"
)

// MemQueue is the local stand-in for the webhook SQS queue (`make dev` and
// the tests): the same semantics in one process. A message is received
// once it is due; while it is handled it is invisible for Visibility; a
// handler error leaves it to be received again when that runs out; after
// MaxReceives receives it moves to the dead-letter list (SQS redrive).
// Messages live in memory: a restarted `make dev` loses queued attempts
// (the delivery log still shows them pending).
type MemQueue struct {
	// Visibility is how long a received message stays hidden (30 s if zero).
	Visibility time.Duration
	// MaxReceives before a message is dead-lettered (5 if zero).
	MaxReceives int

	mu     sync.Mutex
	msgs   []*memMsg
	dead   []Task
	wake   chan struct{}
	inited sync.Once
}

type memMsg struct {
	task     Task
	visible  time.Time
	receives int
	busy     bool
}

func (q *MemQueue) init() { q.inited.Do(func() { q.wake = make(chan struct{}, 1) }) }

// Send implements Queue.
func (q *MemQueue) Send(_ context.Context, t Task, delay time.Duration) error {
	q.init()
	q.mu.Lock()
	q.msgs = append(q.msgs, &memMsg{task: t, visible: time.Now().Add(delay)})
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// Dead are the dead-lettered tasks.
func (q *MemQueue) Dead() []Task {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]Task(nil), q.dead...)
}

// Len is the number of messages queued or in flight.
func (q *MemQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs)
}

// Run hands due messages to h, workers at a time, until ctx ends.
func (q *MemQueue) Run(ctx context.Context, workers int, h func(context.Context, Task) error) {
	q.init()
	sem := make(chan struct{}, max(1, workers))
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		m, wait := q.receive()
		if m == nil {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-q.wake:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		select {
		case <-ctx.Done():
			return
		case sem <- struct{}{}:
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			q.settle(m, h(ctx, m.task))
		}()
	}
}

// receive takes the first due message, or says how long to wait.
func (q *MemQueue) receive() (*memMsg, time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now, wait := time.Now(), time.Second
	for _, m := range q.msgs {
		if m.busy {
			continue
		}
		if d := m.visible.Sub(now); d > 0 {
			wait = min(wait, d)
			continue
		}
		m.busy, m.receives = true, m.receives+1
		return m, 0
	}
	return nil, wait
}

func (q *MemQueue) settle(m *memMsg, err error) {
	vis, maxRecv := q.Visibility, q.MaxReceives
	if vis == 0 {
		vis = 30 * time.Second
	}
	if maxRecv == 0 {
		maxRecv = 5
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	m.busy = false
	if err != nil && m.receives < maxRecv {
		m.visible = time.Now().Add(vis)
		return
	}
	if err != nil {
		q.dead = append(q.dead, m.task)
	}
	for i, x := range q.msgs {
		if x == m {
			q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
			break
		}
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}
