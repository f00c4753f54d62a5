package loadtest

import (
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// BenchmarkReadBookkeeping is the load tool's own work per GET by id of
// the gateway phase, outside vegeta and its HTTP client: the next target
// (targeter), the result's operation (untag) and what the answer teaches
// the workload (record), with a read-only mix as make gateway-bench runs.
//
//	go test -run '^$' -bench BenchmarkReadBookkeeping -cpu 1 ./internal/loadtest/
func BenchmarkReadBookkeeping(b *testing.B) {
	l := &Load{cfg: Config{Mix: Mix{OpRead: 1}}, Ledger: newLedger()}
	ts := newTenantState(Tenant{ID: "load-premium", Tier: "premium"}, []string{"tok-1", "tok-2", "tok-3"})
	for i := range 15 {
		ts.add("01JDZQ3V7X9K2M4N6P8R0S1T"+string(rune('A'+i))+"U", 1)
	}
	next := (&workload{base: "http://127.0.0.1:8090", mix: l.cfg.Mix}).targeter(ts)
	body := []byte(`{"id":"01JDZQ3V7X9K2M4N6P8R0S1TAU","number":1,"key":"LOADP-1","title":"load amber 1","description":"` +
		strings.Repeat("Created by the load generator. ", 40) + `","type":"task","priority":"high","status":"open","version":1}`)
	b.ReportAllocs()
	for b.Loop() {
		var t vegeta.Target
		if err := next(&t); err != nil {
			b.Fatal(err)
		}
		op, _, _ := untag(t.URL)
		l.record(op, ts, 200, body, t.URL, time.Now(), "req")
	}
}
