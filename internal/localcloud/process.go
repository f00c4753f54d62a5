// Package localcloud runs the local stand-ins for AWS on one machine: the
// official DynamoDB Local (Java) and cognito-local (Node). `make dev` and the
// integration tests both use it. It checks prerequisites and ports first so a
// developer gets a sentence, not a stack trace.
package localcloud

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/issuetracker/issuetracker/internal/envvars"
)

// Process is a started service.
type Process struct {
	Name     string
	Endpoint string
	cmd      *exec.Cmd
	done     chan struct{}
	err      error
	onStop   func() // removes a temporary data folder
}

// Stop ends the process and waits for it.
func (p *Process) Stop() {
	if p == nil || p.cmd == nil || p.cmd.Process == nil {
		return
	}
	// Signal the whole group: node and java may have children.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	if p.onStop != nil {
		p.onStop()
	}
}

// Done is closed when the process exits.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the exit error once Done is closed.
func (p *Process) Err() error { return p.err }

// Options of a service start.
type Options struct {
	Root    string    // repository root (where .local/ and node_modules/ live)
	Port    int       // listen port on 127.0.0.1
	DataDir string    // state on disk; empty means in memory (DynamoDB) or a temp dir
	Log     io.Writer // where the child's output goes; nil discards it
	// DieWithParent kills the service when this process dies, even by
	// SIGKILL or a crash (Linux: PR_SET_PDEATHSIG): `make dev`'s services
	// must not outlive it, holding their ports so that the next `make dev`
	// cannot start. The tests' shared services leave it unset: they outlive
	// the test binary that started them (scripts/stop-test-services.sh).
	DieWithParent bool
	// JVMFlags replace DynamoDBLocalJVMFlags for DynamoDB Local (nil: those;
	// make ddblocal-bench compares them).
	JVMFlags []string
	// InMemory runs DynamoDB Local as it runs by itself without DataDir:
	// -inMemory, without the index of streamsIndex (make ddblocal-bench's
	// "before").
	InMemory bool
}

// PortFree reports whether nothing listens on 127.0.0.1:port: whether the
// port can be bound there, asked of the kernel. A dial, with a timeout, took
// a listener that answered too late (a service starved on a loaded machine,
// its accept queue full) for a free port, and the tests then started a
// second service on it, which failed "port taken".
func PortFree(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// ErrPortTaken is returned when a port is already in use.
var ErrPortTaken = errors.New("port taken")

func checkPort(name string, port int) error {
	if !PortFree(port) {
		return fmt.Errorf("%w: %s wants port %d, but something already listens there; stop it (e.g. `lsof -i :%d`) or choose another port", ErrPortTaken, name, port, port)
	}
	return nil
}

func start(ctx context.Context, name, endpoint string, cmd *exec.Cmd, o Options, ready func(context.Context) error) (*Process, error) {
	cmd.SysProcAttr = sysProcAttr(o.DieWithParent)
	if o.Log != nil {
		cmd.Stdout, cmd.Stderr = o.Log, o.Log
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Endpoint: endpoint, cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited during start-up: %v (see its log)", name, p.err)
		default:
		}
		if err := ready(ctx); err == nil {
			return p, nil
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("%s did not become ready on %s within 60s", name, endpoint)
		}
		select {
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// httpReady reports readiness when an HTTP request gets any answer.
func httpReady(url string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
}

// DynamoDBLocalJVMFlags make the JVM start DynamoDB Local sooner: the
// client compiler only (C1; C2's compiler threads compete with the start-up
// for the 2 cores of a loaded machine) and the serial collector (a small
// heap, no GC threads). Measured side by side (docs/performance.md, "make
// dev ready"): the first answer in 5.9-6.9 s instead of 15.6-18.1 s at load
// average 20-22, and put+get no slower in steady state.
var DynamoDBLocalJVMFlags = []string{"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms64m", "-Xmx512m"}

// DynamoDBLocal starts the official DynamoDB Local from Root/.local/dynamodb-local.
// Its data lives in one SQLite file (-sharedDb) in DataDir, or, without
// one, in a throwaway folder on the machine's memory file system (Linux's
// /dev/shm; removed by Stop, or by the next start on the same port) and
// in SQLite's memory (-inMemory) where there is none. Either file gets
// the index of streamsIndex first.
func DynamoDBLocal(ctx context.Context, o Options) (*Process, error) {
	dir := filepath.Join(o.Root, ".local", "dynamodb-local")
	jar := filepath.Join(dir, "DynamoDBLocal.jar")
	if _, err := os.Stat(jar); err != nil {
		return nil, fmt.Errorf("DynamoDB Local is not installed (%s missing): run `make tools`", jar)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, errors.New("java was not found on PATH: DynamoDB Local needs Java 17 or newer (e.g. `apt-get install openjdk-17-jre-headless`)")
	}
	if err := checkPort("DynamoDB Local", o.Port); err != nil {
		return nil, err
	}
	flags := DynamoDBLocalJVMFlags
	if o.JVMFlags != nil {
		flags = o.JVMFlags
	}
	args := append(slices.Clone(flags), "-Djava.library.path="+filepath.Join(dir, "DynamoDBLocal_lib"),
		"-jar", jar, "-port", strconv.Itoa(o.Port), "-sharedDb")
	data, cleanup := o.DataDir, func() {}
	if data == "" && !o.InMemory {
		data, cleanup = memoryDir(o.Port)
	}
	if data == "" {
		args = append(args, "-inMemory")
	} else {
		if err := streamsIndex(data); err != nil {
			cleanup()
			return nil, err
		}
		args = append(args, "-dbPath", data)
	}
	cmd := exec.Command(java, args...)
	cmd.Dir = dir
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", o.Port)
	p, err := start(ctx, "DynamoDB Local", endpoint, cmd, o, httpReady(endpoint))
	if err != nil {
		cleanup()
		return nil, err
	}
	p.onStop = cleanup
	return p, nil
}

// DynamoDB Local (its database version v2.4.0) keeps every table's stream records in one SQLite
// table, us (StreamID, ShardID, SequenceNumber INTEGER PRIMARY KEY, ...),
// with no index but the sequence number, and on every item it writes into
// a table with a stream it reads the stream's description, which asks
// SELECT MIN(SequenceNumber) FROM us WHERE StreamID=?: SQLite walks us in
// sequence order until the stream's first record. A write into the first
// stream of the database costs nothing more; a write into a stream created
// after 50,000 records of others' reads them all (93 ms in SQLite, so about
// 10 items/s: a tier migration's copy into a new Platinum table after the
// pooled table's seed; docs/performance.md, make ddblocal-bench). The
// index below, on StreamID (and so on StreamID and the rowid, which every
// SQLite index ends with, here the sequence number), answers it from the
// index whatever the records before, and GetRecords' query (StreamID = ?
// AND ShardID = ? AND SequenceNumber >= ? ... ORDER BY SequenceNumber)
// as a range of it. Not ON us(StreamID, SequenceNumber): naming the rowid
// column made DynamoDB Local's SQLite (3.8.7) use that index for
// StreamID = ? alone in GetRecords, reading the stream from its start on
// every call (727 ms for a page at the end of 50,000 records; 1.5 ms with
// this index, 2.8 ms with none). DynamoDB Local creates its tables with CREATE TABLE IF NOT
// EXISTS, so a database file that already holds us (with its index) is
// used as it is, but only whole: a new file starts as
// dynamodb-local-streams.db, the empty database this DynamoDB Local made
// for itself (its six tables and its version, v2.4.0: a 2.x DynamoDB Local
// takes it, another major version refuses it, as it refuses its own old
// files) with the index added:
//
//	java -Djava.library.path=DynamoDBLocal_lib -jar DynamoDBLocal.jar -sharedDb -dbPath DIR  # then stop it
//	sqlite3 DIR/shared-local-instance.db "CREATE INDEX IF NOT EXISTS itr_us_stream ON us(StreamID); VACUUM;"
//
// The file stays in SQLite's default journal mode: in write-ahead-log mode
// (which a file keeps) DynamoDB Local never checkpointed, and the log grew
// to 1.4 GB in 3 minutes of the migration bench's seed while the database
// stayed empty (docs/performance.md). An existing file (make dev's, from
// before) gets the index from the sqlite3 command when it is installed
// (else it stays as it was).
//
//go:embed dynamodb-local-streams.db
var dynamoDBLocalStreams []byte

// DynamoDBLocalFile is DynamoDB Local's database file with -sharedDb.
const DynamoDBLocalFile = "shared-local-instance.db"

// StreamsIndexSQL gives an existing database the index of streamsIndex.
const StreamsIndexSQL = "CREATE INDEX IF NOT EXISTS itr_us_stream ON us(StreamID);"

// streamsIndex gives DynamoDB Local's database in dir the index on its
// stream records (above).
func streamsIndex(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	db := filepath.Join(dir, DynamoDBLocalFile)
	if _, err := os.Stat(db); errors.Is(err, os.ErrNotExist) {
		return os.WriteFile(db, dynamoDBLocalStreams, 0o644)
	}
	if sqlite, err := exec.LookPath("sqlite3"); err == nil {
		_ = exec.Command(sqlite, db, StreamsIndexSQL).Run() // no us yet: DynamoDB Local makes it (without the index)
	}
	return nil
}

// memoryDir is a fresh folder for a throwaway DynamoDB Local database on
// port in the machine's memory file system, and its removal; "" where
// there is none (then -inMemory). A folder of the same port left by a
// DynamoDB Local that was not stopped through Stop (the tests' shared one,
// killed by scripts/stop-test-services.sh) is removed first: the port is
// free, so nothing uses it.
func memoryDir(port int) (string, func()) {
	const shm = "/dev/shm"
	if fi, err := os.Stat(shm); err != nil || !fi.IsDir() {
		return "", func() {}
	}
	dir := filepath.Join(shm, fmt.Sprintf("issuetracker-dynamodb-%d-%d", os.Getuid(), port))
	if err := os.RemoveAll(dir); err != nil {
		return "", func() {}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", func() {}
	}
	return dir, func() { _ = os.RemoveAll(dir) }
}

//go:embed cognito-authtime.cjs
var cognitoAuthTime []byte

// CognitoLocal starts cognito-local from Root/node_modules. Its state lives
// in DataDir/.cognito (cognito-local keeps it relative to its working dir).
func CognitoLocal(ctx context.Context, o Options) (*Process, error) {
	script := filepath.Join(o.Root, "node_modules", "cognito-local", "lib", "bin", "start.js")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("cognito-local is not installed (%s missing): run `make tools`", script)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node was not found on PATH: cognito-local needs Node.js 20 or newer")
	}
	if err := checkPort("cognito-local", o.Port); err != nil {
		return nil, err
	}
	if o.DataDir == "" {
		o.DataDir, err = os.MkdirTemp("", "cognito-local-*")
		if err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, err
	}
	// Refreshed tokens keep the session's auth_time, as Cognito's do
	// (cognito-authtime.cjs): sign-out everywhere ends refreshed sessions.
	preload := filepath.Join(o.DataDir, "cognito-authtime.cjs")
	if err := os.WriteFile(preload, cognitoAuthTime, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(node, "--require", preload, script)
	cmd.Dir = o.DataDir
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(o.Port), "HOST=localhost",
		envvars.CognitoLocalRoot+"="+filepath.Join(o.Root, "node_modules", "cognito-local"))
	endpoint := fmt.Sprintf("http://localhost:%d", o.Port)
	return start(ctx, "cognito-local", endpoint, cmd, o, httpReady(endpoint))
}

// Pid is the process id of the service.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Kill ends the process group with SIGKILL, as a crash would (fault
// injection), and waits for it.
func (p *Process) Kill() {
	if p == nil || p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}
