package localcloud

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// Credentials of the local S3's root account: the fixed ones awsx.Load
// gives every client of the local cloud, so SDK calls and presigned URLs
// are signed with a key the server knows.
const (
	S3AccessKey = "local"
	S3SecretKey = "local"
)

// S3 starts the local S3: versitygw (Root/.local/bin/versitygw, installed
// by `make tools`) serving the posix folder o.DataDir on 127.0.0.1:o.Port.
// Unlike an in-memory fake it verifies SigV4 on every request, presigned
// URLs included: an altered or expired URL, or a PUT whose length, type or
// checksum differ from what was signed, is refused as S3 refuses it. Buckets
// are folders of DataDir (a temporary folder when empty), so objects
// survive restarts. Clients address it path-style (awsx.S3 does).
func S3(ctx context.Context, o Options) (*Process, error) {
	bin := filepath.Join(o.Root, ".local", "bin", "versitygw")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("the local S3 (versitygw) is not installed (%s missing): run `make tools`", bin)
	}
	if o.Port == 0 {
		p, _, err := OnFreePorts(1, func(port int) (*Process, error) {
			o := o
			o.Port = port
			return S3(ctx, o)
		})
		return p, err
	}
	if err := checkPort("the local S3 (versitygw)", o.Port); err != nil {
		return nil, err
	}
	var cleanup func()
	if o.DataDir == "" {
		dir, err := os.MkdirTemp("", "local-s3-*")
		if err != nil {
			return nil, err
		}
		o.DataDir, cleanup = dir, func() { _ = os.RemoveAll(dir) }
	}
	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(o.Port)
	cmd := exec.Command(bin, "--port", addr, "--quiet", "posix", o.DataDir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+S3AccessKey, "ROOT_SECRET_KEY="+S3SecretKey)
	endpoint := "http://" + addr
	p, err := start(ctx, "the local S3 (versitygw)", endpoint, cmd, o, func(ctx context.Context) error {
		// Any S3 answer (an anonymous request is a 403) means it serves.
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	if err != nil {
		if cleanup != nil {
			cleanup()
		}
		return nil, err
	}
	p.onStop = cleanup
	return p, nil
}

// FreePort returns a port nothing listens on now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// FreePorts returns the first of n consecutive ports that were all free at
// the same moment (stripe-mock wants HTTP on p and HTTPS on p+1). A port the
// kernel hands out for :0 says nothing about its neighbour, which another
// test binary may hold: FreePort()+1 failed CI once that way.
func FreePorts(n int) (int, error) {
	for range 50 {
		first, err := FreePort()
		if err != nil {
			return 0, err
		}
		held := []net.Listener{}
		ok := true
		for i := range n {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(first+i))
			if err != nil {
				ok = false
				break
			}
			held = append(held, ln)
		}
		for _, ln := range held {
			ln.Close()
		}
		if ok {
			return first, nil
		}
	}
	return 0, fmt.Errorf("no run of %d free ports found", n)
}

// OnFreePorts starts a service with start on the first of n consecutive
// ports free a moment ago, and returns it with that port. A free port is
// only free until someone binds it: between the check and the service's
// bind (a JVM takes seconds) another test binary's service or an outgoing
// connection's local port may take it. So when start fails and one of its
// ports is now taken (or start said ErrPortTaken), it tries another run of
// ports, up to 5 times; any other failure is returned at once.
func OnFreePorts(n int, start func(port int) (*Process, error)) (*Process, int, error) {
	var err error
	for range 5 {
		var port int
		if port, err = FreePorts(n); err != nil {
			return nil, 0, err
		}
		var p *Process
		if p, err = start(port); err == nil {
			return p, port, nil
		}
		taken := errors.Is(err, ErrPortTaken)
		for i := range n {
			taken = taken || !PortFree(port+i)
		}
		if !taken {
			return nil, 0, err
		}
	}
	return nil, 0, fmt.Errorf("the ports were taken before the service bound them, 5 times: %w", err)
}
