package main

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const templates = "../../infra/templates"

var update = flag.Bool("update", false, "rewrite the output of make capacity quoted in docs/scale.md")

// docs/scale.md quotes the whole output of `make capacity`: its numbers must
// be the command's. Refresh with `go test ./cmd/capacity -update`.
func TestDocsQuoteTheOutput(t *testing.T) {
	const (
		path  = "../../docs/scale.md"
		begin = "<!-- make capacity: begin (generated: go test ./cmd/capacity -update) -->\n"
		end   = "<!-- make capacity: end -->"
	)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	doc := string(raw)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	require.True(t, i >= 0 && j > i, "docs/scale.md has the begin and end markers")
	var out bytes.Buffer
	require.NoError(t, run([]string{"-templates", templates}, &out))
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(doc[:i+len(begin)]+out.String()+doc[j:]), 0o644))
		return
	}
	assert.Equal(t, out.String(), doc[i+len(begin):j], "docs/scale.md quotes an old output of make capacity: go test ./cmd/capacity -update")
}

func TestDefaultScenarios(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run([]string{"-templates", templates}, &out))
	for _, want := range []string{"### Summary", "### Tenants of one tier per cell", "### Quota catalog", "### Hot partitions",
		"| platinum-only | limit |", "apigw.account-throttle", "cognito.default-email"} {
		assert.Contains(t, out.String(), want)
	}
}

func TestOneScenario(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run([]string{"-templates", templates, "-mix", "platinum=1", "-tenants", "20", "-profile", "limit", "-catalog"}, &out))
	assert.Contains(t, out.String(), "20 tenants, mix platinum=100, profile limit")
	assert.Contains(t, out.String(), "First to bind:")
	assert.Contains(t, out.String(), "| API Gateway: Throttle per account and Region (steady rate) | account+Region | 10,000 requests/s | yes | 10,000 | 0 (100.0% used) | 20 |")
	assert.Contains(t, out.String(), "Per-partition limit") // -catalog adds the hot keys
}

func TestRaise(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run([]string{"-templates", templates, "-mix", "basic=1", "-tenants", "100", "-raise", "cognito.default-email=inf,apigw.api-keys=20000"}, &out))
	assert.Contains(t, out.String(), "| API Gateway: API keys per account and Region | account+Region | 20,000 keys | no | 100 | 19,900 (0.5% used) | 20,000 |")
	assert.NotContains(t, out.String(), "First to bind: **Email")
}

func TestBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"-templates", templates, "-mix", "gold=1"},
		{"-templates", templates, "-mix", "basic=1", "-profile", "lazy"},
		{"-templates", "/nonexistent", "-mix", "basic=1"},
		{"-tenants", "x"},
		{"-templates", templates, "-mix", "basic=1", "-raise", "no.such=1"},
		{"-templates", templates, "-mix", "basic=1", "-raise", "apigw.api-keys=-1"},
	} {
		var out bytes.Buffer
		assert.Error(t, run(args, &out), "%v", args)
	}
}
