package loadtest

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// tag writes what url.Values.Encode writes, and untag reads it back, for
// ordinary values and ones that need escaping.
func TestTagIsTheEncodedValues(t *testing.T) {
	for _, c := range [][3]string{
		{"read", "load-basic", ""},
		{"create", "load-premium", "0b0f5a4e-7f3c-4c1e-9d2a-1f0e8c6b5a49"},
		{"comment", "a&b=c#d", "x y+z%/?é"},
		{"", "", ""},
	} {
		got := tag(Op(c[0]), c[1], c[2])
		assert.Equal(t, "#"+url.Values{"op": {c[0]}, "t": {c[1]}, "x": {c[2]}}.Encode(), got)
		op, tenant, extra := untag("http://127.0.0.1:8090/v1/issues/ISS-1" + got)
		assert.Equal(t, c, [3]string{string(op), tenant, extra})
	}
}

// A read's answer teaches the workload the version only when the
// mix has updates, whose If-Match is the one use of it.
func TestAReadLearnsTheVersionOnlyWhenTheMixUpdates(t *testing.T) {
	for _, c := range []struct {
		mix  Mix
		want int64
	}{{Mix{OpRead: 1}, 1}, {Mix{OpRead: 1, OpUpdate: 1}, 7}, {DefaultMix, 7}} {
		l := &Load{cfg: Config{Mix: c.mix}, Ledger: newLedger()}
		ts := newTenantState(Tenant{ID: "acme"}, []string{"tok"})
		ts.add("ISS-1", 1)
		l.record(OpRead, ts, 200, []byte(`{"id":"ISS-1","version":7}`), "http://x/v1/issues/ISS-1"+tag(OpRead, "acme", ""), time.Now(), "req-1")
		assert.Equal(t, c.want, ts.get("ISS-1").version.Load(), "mix %v", c.mix)
	}
}
