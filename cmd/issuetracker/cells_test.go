package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/devstack"
)

// cell-1's web app re-sends a registration placed in cell-2 from the
// browser, so cell-2's API answers cell-1's origin as well as its own.
func TestTwoCellsLetCellOnesWebAppReachCellTwo(t *testing.T) {
	t.Setenv("CORS_ORIGINS", "")
	t.Setenv("CELL2_GATEWAY_ADDR", "localhost:18591")
	t.Setenv("VITE_PORT", "15173")
	one, two := twoCells(devstack.Config{GatewayAddr: "localhost:18581"}, t.TempDir())
	assert.Equal(t, "localhost:18581", one.GatewayAddr)
	assert.Equal(t, "localhost:18591", two.GatewayAddr)
	assert.ElementsMatch(t, []string{"http://localhost:18591", "http://localhost:15173", "http://localhost:18581"}, two.AllowedOrigins)
}
