package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/debugvars"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue/issueapi"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Floor is the least any HTTP gateway in front of GET /v1/issues/{id}
// could cost: a bare net/http handler that answers only that route, with
// the platform's own GetItem (the issue store as the platform uses it,
// the answer decoded straight into the item) and the platform's own answer
// (issueapi.WriteIssue: ETag, httpapi.WriteJSON). The caller's tenant is a
// map lookup keyed by the raw Authorization header, as the gateway's
// cached authorizer result is; no usage plan, route table, middleware,
// request id, metrics line or Lambda adapter. The load tool runs it in a
// process of its own (ServeFloor, `load -serve-floor`), so a phase against
// it is metered like the platform's: floor/raw says what the HTTP hop and
// the answer's JSON alone cost against the raw GetItem, platform/floor what
// the platform adds to that.
type Floor struct {
	Store *issuedb.Store
	Table string
	// Tenants maps an Authorization header to its tenant.
	Tenants map[string]string
}

// FloorPath is the one route the floor answers (GET, then the issue id).
const FloorPath = "/v1/issues/"

// ServeHTTP answers GET /v1/issues/{id} as the platform does; anything
// else is a 404, an unknown caller a 401.
func (f *Floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, FloorPath)
	if r.Method != http.MethodGet || !ok || id == "" || strings.Contains(id, "/") {
		http.NotFound(w, r)
		return
	}
	tenant, ok := f.Tenants[r.Header.Get("Authorization")]
	if !ok {
		http.Error(w, "unknown caller", http.StatusUnauthorized)
		return
	}
	i, err := f.Store.Get(r.Context(), tenancy.Scope{Table: f.Table, TenantID: tenant}, id)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	_ = issueapi.WriteIssue(w, http.StatusOK, i)
}

// NewFloor builds the floor for the platform pl with the SDK client the
// platform's functions build (awsx.DynamoDB on the local configuration).
func NewFloor(ctx context.Context, pl devstack.Platform, tenants map[string]string) (*Floor, error) {
	e := awsx.Endpoints{DynamoDB: pl.DynamoDBEndpoint}
	cfg, err := awsconfig.Load(ctx, e)
	if err != nil {
		return nil, err
	}
	return &Floor{Store: &issuedb.Store{DB: awsx.DynamoDB(cfg, e)}, Table: schema.Names{Prefix: pl.Prefix}.App(), Tenants: tenants}, nil
}

// FloorTenants are the floor's callers: every load user's Authorization
// header, with its tenant.
func (l *Load) FloorTenants() map[string]string {
	out := map[string]string{}
	for _, ts := range l.states {
		for _, tok := range ts.tokens {
			out["Bearer "+tok] = ts.spec.ID
		}
	}
	return out
}

// floorReady is the line ServeFloor writes once it listens.
const floorReady = "floor ready"

// ServeFloor is the floor's process (`load -serve-floor`): it runs at the
// platform's GOGC (devstack.UseDevGC), reads its callers (FloorTenants as
// one JSON line) from in, listens on 127.0.0.1 (a port of the kernel's
// choosing) with the gateway's server settings, serves the runtime
// figures and pprof on a second loopback port, writes
// "floor ready <url> <debug url> <GOGC in effect>" to out and serves until in ends
// (the load tool closed it, or ended) or ctx does.
func ServeFloor(ctx context.Context, pl devstack.Platform, in io.Reader, out io.Writer) error {
	devstack.UseDevGC()
	gogc := debug.SetGCPercent(100) // read back what runs (the call returns the previous one)
	debug.SetGCPercent(gogc)
	rd := bufio.NewReader(in)
	line, err := rd.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("floor: read the callers: %w", err)
	}
	var tenants map[string]string
	if err := json.Unmarshal(line, &tenants); err != nil {
		return fmt.Errorf("floor: callers: %w", err)
	}
	f, err := NewFloor(ctx, pl, tenants)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// 127.0.0.1, not localhost: what the load tool and a profile fetch dial.
	debugAddr, err := debugvars.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second} // the gateway's (devstack)
	go func() {
		_, _ = io.Copy(io.Discard, rd) // until the load tool closes its end
		cancel()
	}()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	fmt.Fprintf(out, "%s http://%s http://%s/debug/pprof/ %d\n", floorReady, ln.Addr(), debugAddr, gogc)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// FloorProc is a floor process the load tool started.
type FloorProc struct {
	URL      string // the floor's base URL
	DebugURL string // its pprof
	GOGC     int
	PID      int
	cmd      *exec.Cmd
	in       io.Closer
}

// StartFloor runs exe (the load tool itself) with -serve-floor and args
// as the floor's process, hands it its callers, and waits for it to listen
// (a minute at most: a loaded machine).
func StartFloor(ctx context.Context, exe string, args []string, tenants map[string]string) (*FloorProc, error) {
	cmd := exec.Command(exe, append([]string{"-serve-floor"}, args...)...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &FloorProc{PID: cmd.Process.Pid, cmd: cmd, in: in}
	b, _ := json.Marshal(tenants)
	if _, err := in.Write(append(b, '\n')); err != nil {
		p.Close()
		return nil, fmt.Errorf("floor: %w", err)
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(outp)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 5 && f[0]+" "+f[1] == floorReady {
				p.URL, p.DebugURL = f[2], f[3]
				p.GOGC, _ = strconv.Atoi(f[4])
				ready <- nil
				_, _ = io.Copy(os.Stdout, outp)
				return
			}
			fmt.Println(sc.Text())
		}
		ready <- errors.New("floor: ended before it listened")
	}()
	select {
	case err = <-ready:
	case <-time.After(time.Minute):
		err = errors.New("floor: not listening after a minute")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Close ends the floor's process: its input closed, then killed if it has
// not ended within 10 seconds.
func (p *FloorProc) Close() {
	_ = p.in.Close()
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}
