// Package eventually holds the one deadline of the tests' waits for
// something that happens on its own (a delivery, a reap, a poller catching
// up): require.Eventually(t, cond, eventually.Deadline, tick).
//
// A wait costs its deadline only when it fails; when it passes it costs
// the time the thing took. So the deadline is sized for make test's worst
// machine (2 cores, every test binary of ./... at once beside the other
// sessions, load average 20-30), not for an idle one: a 3 s or 5 s wait
// that always passes alone fails there now and then. What must NOT happen
// within some time is another matter: that wait proves nothing by being
// long, and belongs on a fake clock (docs/testing.md).
package eventually

import "time"

// Deadline is the longest a test waits for something that happens on its
// own before it fails.
const Deadline = time.Minute
