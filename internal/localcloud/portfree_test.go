package localcloud_test

import (
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A listener that answers no connection (a service starved on a loaded
// machine, its accept queue full) still holds its port: PortFree must not
// call the port free, or the tests start a second service there, which
// fails "port taken" (a make test run at load average 42 failed so).
func TestAPortWhoseListenerAnswersNothingIsNotFree(t *testing.T) {
	// A socket listening with the smallest accept queue that never accepts.
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer syscall.Close(fd)
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, syscall.Listen(fd, 0))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	port := sa.(*syscall.SockaddrInet4).Port

	// Fill its queue: past it, the kernel drops new connection attempts,
	// so a dial waits out its timeout.
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range 4 {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
		if err != nil {
			break
		}
		held = append(held, c)
	}
	_, err = net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
	require.Error(t, err, "the listener's queue is full: a dial gets no answer")

	assert.False(t, localcloud.PortFree(port), "a listener holds the port whether or not it answers")
}

func TestAPortNobodyListensOnIsFree(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	assert.False(t, localcloud.PortFree(port))
	require.NoError(t, ln.Close())
	assert.True(t, localcloud.PortFree(port), "closed: free again")
	assert.True(t, localcloud.PortFree(port), "checking it does not keep it")
}
