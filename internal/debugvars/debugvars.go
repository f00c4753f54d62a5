// Package debugvars serves the local platform's runtime figures for load and
// soak runs: expvar (/debug/vars: memstats, goroutines, open connections)
// and pprof (/debug/pprof/). Local only: `make dev` starts it when
// ITR_DEBUG_ADDR names a loopback address; nothing in AWS imports it.
package debugvars

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"

	"github.com/issuetracker/issuetracker/internal/envvars"
)

// EnvAddr is the variable naming the debug listener (e.g. 127.0.0.1:18290).
const EnvAddr = envvars.DebugAddr

func init() {
	expvar.Publish("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() }))
}

// Handler serves /debug/vars and /debug/pprof/.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/debug/vars", expvar.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// Serve listens on addr, which must be a loopback address (the figures and
// profiles are not for the network), until ctx ends.
func Serve(ctx context.Context, addr string) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvAddr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("%s must be a loopback address, not %q", EnvAddr, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("debug server:", err)
		}
	}()
	return ln.Addr().String(), nil
}

// Sample is one reading of a process's runtime figures.
type Sample struct {
	At         time.Time
	Goroutines int
	HeapAlloc  uint64 // bytes of live and not yet collected heap objects
	HeapInuse  uint64
	Sys        uint64 // bytes obtained from the OS
	NumGC      uint32
}

// Read fetches a Sample from a /debug/vars URL.
func Read(ctx context.Context, c *http.Client, url string) (Sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Sample{}, err
	}
	res, err := c.Do(req)
	if err != nil {
		return Sample{}, err
	}
	defer res.Body.Close()
	var v struct {
		Goroutines int              `json:"goroutines"`
		Mem        runtime.MemStats `json:"memstats"`
	}
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		return Sample{}, fmt.Errorf("read %s: %w", url, err)
	}
	return Sample{At: time.Now(), Goroutines: v.Goroutines, HeapAlloc: v.Mem.HeapAlloc, HeapInuse: v.Mem.HeapInuse,
		Sys: v.Mem.Sys, NumGC: v.Mem.NumGC}, nil
}
