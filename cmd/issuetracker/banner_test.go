package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/devstack"
)

// make dev's banner is what a new user copies from: every command stands
// on a line of its own, every sentence ends before the next begins (the
// analytics demo once ran into "Sign in to any workspace"), and every
// address is the platform's own (its ports may be moved), never the
// default localhost:8080.
func TestBannerIsCopyable(t *testing.T) {
	var b strings.Builder
	gw := "http://127.0.0.1:20690"
	banner(&b, devstack.Platform{GatewayURL: gw, MailUIURL: "http://127.0.0.1:20626"}, time.Second)
	out := b.String()
	t.Log(out)
	assert.NotContains(t, out, "localhost:8080")
	assert.NotRegexp(t, regexp.MustCompile(`[^.!?:\s] [A-Z][a-z]+ in to`), out, "a sentence runs into the next")
	for _, cmd := range []string{"go run ./cmd/issuetracker", "curl ", "TOKEN="} {
		for _, line := range strings.Split(out, "\n") {
			i := strings.Index(line, cmd)
			if i < 0 || strings.HasPrefix(strings.TrimSpace(line), "Analytics demo:") {
				continue
			}
			assert.True(t, strings.HasPrefix(line, "  ") && strings.TrimSpace(line[:i]) == "" || strings.HasPrefix(strings.TrimSpace(line), "TOKEN="),
				"a command not on a line of its own: %q", line)
		}
	}
	assert.Contains(t, out, "\n  curl -H \"Authorization: Bearer $TOKEN\" '"+gw+"/v1/analytics/issues?bucket=week'\n")
	assert.Contains(t, out, "\n\nSign in to any workspace")
}
