package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const templates = "../../test/infra/testdata"

func TestDefaultScenarios(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run([]string{"-templates", templates}, &out))
	for _, want := range []string{"## Summary", "## Tenants of one tier per cell", "## Quota catalog", "## Hot partitions",
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

func TestBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"-templates", templates, "-mix", "gold=1"},
		{"-templates", templates, "-mix", "basic=1", "-profile", "lazy"},
		{"-templates", "/nonexistent", "-mix", "basic=1"},
		{"-tenants", "x"},
	} {
		var out bytes.Buffer
		assert.Error(t, run(args, &out), "%v", args)
	}
}
