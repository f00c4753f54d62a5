package loadtest

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Conns are the TCP connections of this machine (its network namespace)
// with one end on a port (DynamoDB Local's), read from /proc/net/tcp and
// tcp6. A connection between two local processes has both of its ends
// there: the client's (remote port = port) and the server's (local port =
// port); each is counted on its own side, so Client and Server say the
// same of local clients, and a difference says a client end went away
// (closed, in TIME_WAIT) before the server's or the other way round.
type Conns struct {
	// Client and Server are the established ends, by side.
	Client, Server int
	// TimeWait are the ends in TIME_WAIT (connections closed in the last
	// minute, on the side that closed first).
	TimeWait int
	// ClientPorts are the local ports of the established client ends: two
	// readings tell which connections are new.
	ClientPorts map[int]bool
}

// TCP states of /proc/net/tcp (include/net/tcp_states.h).
const (
	tcpEstablished = 0x01
	tcpTimeWait    = 0x06
)

// ReadConns reads the connections with an end on port.
func ReadConns(port int) (Conns, error) {
	c := Conns{ClientPorts: map[int]bool{}}
	read := false
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue // no IPv6
		}
		err = c.add(fh, port)
		fh.Close()
		if err != nil {
			return Conns{}, fmt.Errorf("%s: %w", f, err)
		}
		read = true
	}
	if !read {
		return Conns{}, fmt.Errorf("no /proc/net/tcp")
	}
	return c, nil
}

// add counts the lines of one /proc/net/tcp file: "sl local rem st ...",
// addresses as HEXIP:HEXPORT.
func (c *Conns) add(r io.Reader, port int) error {
	sc := bufio.NewScanner(r)
	sc.Scan() // the header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		lp, err1 := hexPort(f[1])
		rp, err2 := hexPort(f[2])
		st, err3 := strconv.ParseUint(f[3], 16, 8)
		if err := firstErr(err1, err2, err3); err != nil {
			return fmt.Errorf("%q: %w", sc.Text(), err)
		}
		switch {
		case st == tcpTimeWait && (lp == port || rp == port):
			c.TimeWait++
		case st != tcpEstablished:
		case rp == port:
			c.Client++
			c.ClientPorts[lp] = true
		case lp == port:
			c.Server++
		}
	}
	return sc.Err()
}

func hexPort(addr string) (int, error) {
	_, p, ok := strings.Cut(addr, ":")
	if !ok {
		return 0, fmt.Errorf("address %q", addr)
	}
	n, err := strconv.ParseUint(p, 16, 16)
	return int(n), err
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// New is how many of c's client ends were not open at before.
func (c Conns) New(before Conns) int {
	n := 0
	for p := range c.ClientPorts {
		if !before.ClientPorts[p] {
			n++
		}
	}
	return n
}

// EndpointPort is the port of an endpoint URL (http://127.0.0.1:8001).
func EndpointPort(endpoint string) (int, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(u.Port())
}

// Print writes the phase's line: the connections open at its end, how
// many were opened during it, and the ends in TIME_WAIT.
func (c Conns) Print(w io.Writer, before Conns) {
	fmt.Fprintf(w, "  connections to DynamoDB Local: %d open at the end (client ends; %d server ends), %d opened during the phase, %d ends in TIME_WAIT (%d before)\n",
		c.Client, c.Server, c.New(before), c.TimeWait, before.TimeWait)
}
