package chaos_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/chaos"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echo serves a TCP echo on a free port.
func echo(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(t *testing.T, c net.Conn) time.Duration {
	start := time.Now()
	_, err := c.Write([]byte("ping"))
	require.NoError(t, err)
	buf := make([]byte, 4)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(buf))
	return time.Since(start)
}

func TestProxyForwardsAndDelaysByTheInjectedLatency(t *testing.T) {
	p, err := chaos.Listen("127.0.0.1:0", echo(t))
	require.NoError(t, err)
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	roundTrip(t, c)
	p.SetLatency(150 * time.Millisecond)
	assert.GreaterOrEqual(t, roundTrip(t, c), 300*time.Millisecond, "both directions are delayed")
	p.SetLatency(0)
	assert.Less(t, roundTrip(t, c), 150*time.Millisecond)
	assert.Equal(t, 1, p.Open())
	p.Close()
	_, err = c.Read(make([]byte, 1))
	assert.Error(t, err, "closing the proxy closes its connections")
	assert.Equal(t, 0, p.Open())
}

func TestProxyClosesTheClientWhenTheUpstreamIsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	ln.Close()
	p, err := chaos.Listen("127.0.0.1:0", dead)
	require.NoError(t, err)
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)
}
