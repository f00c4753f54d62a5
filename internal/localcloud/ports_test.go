package localcloud_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A port free when chosen can be taken before the service binds it (by
// another test binary's service, or as an outgoing connection's local
// port): the service starts on other ports instead of failing the test.
// Here the first run's HTTPS port is taken between the choice and the
// start, as happened in CI with FreePort()+1.
func TestOnFreePortsMovesOnWhenAChosenPortIsTakenMeanwhile(t *testing.T) {
	root, _ := filepath.Abs("../..")
	if _, err := os.Stat(filepath.Join(root, ".local", "bin", "stripe-mock")); err != nil {
		t.Skip("stripe-mock not installed (make tools)")
	}
	var tried []int
	p, port, err := localcloud.OnFreePorts(2, func(port int) (*localcloud.Process, error) {
		tried = append(tried, port)
		if len(tried) == 1 {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+1))
			require.NoError(t, err)
			t.Cleanup(func() { ln.Close() })
		}
		return localcloud.StartStripeMock(context.Background(), localcloud.Options{Root: root, Port: port})
	})
	require.NoError(t, err)
	t.Cleanup(p.Stop)
	require.Len(t, tried, 2, "a second run of ports after the first was taken")
	assert.Equal(t, tried[1], port)
	assert.False(t, localcloud.PortFree(port), "the service listens on the port returned")
}

// A start that fails for another reason than its ports is not retried.
func TestOnFreePortsReturnsOtherFailuresAtOnce(t *testing.T) {
	calls := 0
	boom := errors.New("not installed")
	_, _, err := localcloud.OnFreePorts(1, func(int) (*localcloud.Process, error) { calls++; return nil, boom })
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, 1, calls)
}
