package localcloud

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	bolt "go.etcd.io/bbolt"
)

// S3Server is the local S3: gofakes3 served in this process (it is a Go
// library, so no child process or extra runtime is needed).
type S3Server struct {
	Endpoint string
	srv      *http.Server
	closeDB  func() error
}

// S3 serves an S3-compatible API on 127.0.0.1:o.Port (0 picks a free port).
// With o.DataDir the objects live in a bolt file there (s3.db) and survive
// restarts; without it they are kept in memory. Clients must use path-style
// addressing (awsx.S3 does when an endpoint is set).
func S3(_ context.Context, o Options) (*S3Server, error) {
	var backend gofakes3.Backend
	closeDB := func() error { return nil }
	if o.DataDir == "" {
		backend = s3mem.New()
	} else {
		if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
			return nil, err
		}
		// bolt locks its file: a second platform on the same state fails fast.
		db, err := bolt.Open(filepath.Join(o.DataDir, "s3.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("open the local S3's data in %s: %w (is another `make dev` running?)", o.DataDir, err)
		}
		backend, closeDB = s3bolt.New(db), db.Close
	}
	if o.Port != 0 {
		if err := checkPort("the local S3", o.Port); err != nil {
			_ = closeDB()
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(o.Port))
	if err != nil {
		_ = closeDB()
		return nil, fmt.Errorf("the local S3 cannot listen on port %d: %w", o.Port, err)
	}
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	s := &S3Server{Endpoint: "http://" + ln.Addr().String(), closeDB: closeDB,
		srv: &http.Server{Handler: faker.Server(), ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			if o.Log != nil {
				fmt.Fprintln(o.Log, "local S3:", err)
			}
		}
	}()
	return s, nil
}

// Close stops serving and closes the data file.
func (s *S3Server) Close() {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	_ = s.closeDB()
}
