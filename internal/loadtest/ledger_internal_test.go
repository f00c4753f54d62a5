package loadtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/devstack"
)

// Each acknowledged write is logged with when it was answered and its
// request id, a lost one comes back from Verify with that acknowledgement,
// and a read answering 404 is noted against the issue it read.
func TestTheLedgerKeepsEachAcknowledgementAndTheReadsThatFoundNothing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r) // the database lost everything
	}))
	defer srv.Close()
	l := &Load{cfg: Config{Platform: devstack.Platform{GatewayURL: srv.URL}}, Ledger: newLedger(), client: srv.Client()}
	var log bytes.Buffer
	l.Ledger.Log = &log
	ts := newTenantState(Tenant{ID: "acme"}, []string{"tok"})
	at := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	l.record(OpCreate, ts, 201, []byte(`{"id":"ISS-1","version":1}`), srv.URL+"/v1/issues"+tag(OpCreate, "acme", "k"), at, "req-1")
	l.record(OpRead, ts, 404, nil, srv.URL+"/v1/issues/ISS-1"+tag(OpRead, "acme", ""), at.Add(time.Second), "req-2")

	var a Ack
	require.NoError(t, json.Unmarshal(log.Bytes(), &a))
	assert.Equal(t, Ack{At: at, Op: OpCreate, Tenant: "acme", Issue: "ISS-1", Version: 1, RequestID: "req-1", Status: 201}, a)
	assert.Equal(t, map[string]map[string]int{"acme": {"ISS-1": 1}}, l.Ledger.NotFound())

	v, err := l.Verify(t.Context())
	require.NoError(t, err)
	require.Len(t, v.Losses, 1)
	assert.Equal(t, "req-1", v.Losses[0].RequestID)
	assert.Equal(t, at, v.Losses[0].At)
	assert.Equal(t, []string{"acme issue ISS-1 (acknowledged at version 1) is missing"}, v.Lost)
}
