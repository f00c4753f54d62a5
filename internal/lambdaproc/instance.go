package lambdaproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// shutdownGrace is the time between SIGTERM and SIGKILL when a process is
// reaped, as Lambda gives a runtime with an internal extension (500 ms).
const shutdownGrace = 500 * time.Millisecond

// instance is one execution environment: a process and its Runtime API.
type instance struct {
	fn      *Function
	cmd     *exec.Cmd
	ln      net.Listener
	srv     *http.Server
	started time.Time

	events   chan *invocation // to the process's /next
	shutdown chan struct{}
	stopOnce sync.Once
	exited   chan struct{}
	exitErr  error

	readyOnce sync.Once
	ready     chan struct{}
	initDur   time.Duration
	initErr   chan *FunctionError // buffered(1)

	tail *tailBuffer // the last output, for init failures

	mu       sync.Mutex
	current  *invocation
	lastUsed time.Time
	invoked  bool // its first event has been handed out
	reported bool // the init duration went into a REPORT
}

// env is the process's whole environment: nothing of the platform's own
// leaks in, so a variable the template does not set is missing here as
// it is in Lambda.
func (in *instance) env() []string {
	s := in.fn.spec
	lambda := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          in.ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME":        s.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(s.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + s.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      in.started.UTC().Format("2006/01/02") + "/[$LATEST]" + strconv.Itoa(os.Getpid()),
		"AWS_LAMBDA_LOG_FORMAT":           "JSON",
		"AWS_REGION":                      Region,
		"AWS_DEFAULT_REGION":              Region,
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                "/var/task",
		"TZ":                              ":UTC",
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
	}
	out := make([]string, 0, len(s.Env)+len(lambda))
	for k, v := range s.Env {
		if _, reserved := lambda[k]; !reserved {
			out = append(out, k+"="+v)
		}
	}
	for k, v := range lambda {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// start launches the process and waits until it asks for its first event
// (the init phase), fails its init, exits, or overruns InitTimeout.
func (f *Function) start(ctx context.Context) (*instance, error) {
	in := &instance{fn: f, events: make(chan *invocation), shutdown: make(chan struct{}), exited: make(chan struct{}),
		ready: make(chan struct{}), initErr: make(chan *FunctionError, 1)}
	var err error
	if in.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("function %s: runtime API: %w", f.spec.Name, err)
	}
	in.srv = &http.Server{Handler: in.handler(), ReadHeaderTimeout: 5 * time.Second}
	in.started = time.Now() // before the Runtime API serves: its handlers read it
	go func() { _ = in.srv.Serve(in.ln) }()
	in.cmd = exec.Command(f.spec.Binary)
	in.cmd.Env = in.env()
	in.cmd.Dir = os.TempDir()
	in.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in.tail = &tailBuffer{max: 2048}
	out := io.MultiWriter(f.p.logWriter(f.spec.Name), in.tail)
	in.cmd.Stdout, in.cmd.Stderr = out, out
	if err := in.cmd.Start(); err != nil {
		in.srv.Close()
		return nil, fmt.Errorf("function %s: start %s: %w", f.spec.Name, f.spec.Binary, err)
	}
	go func() {
		in.exitErr = in.cmd.Wait()
		close(in.exited)
		in.stop()
	}()
	t := time.NewTimer(f.p.initTimeout())
	defer t.Stop()
	select {
	case <-in.ready:
		return in, nil
	case fe := <-in.initErr:
		in.kill()
		return nil, &InitError{Function: f.spec.Name, Err: fe}
	case <-in.exited:
		select { // an /init/error just before the exit says more than the exit
		case fe := <-in.initErr:
			return nil, &InitError{Function: f.spec.Name, Err: fe}
		default:
		}
		return nil, &InitError{Function: f.spec.Name, Err: &FunctionError{Type: "Runtime.ExitError", Message: fmt.Sprintf("the process exited during init (%v): %s", in.exitErr, in.tail.String())}}
	case <-t.C:
		in.kill()
		return nil, &InitError{Function: f.spec.Name, Err: &FunctionError{Type: "Sandbox.Timedout",
			Message: fmt.Sprintf("init did not finish within %s; its output: %q", f.p.initTimeout(), in.tail.String())}}
	case <-ctx.Done():
		in.kill()
		return nil, ctx.Err()
	}
}

// InitError is a cold start that failed: the function's own /init/error, an
// exit during init, or an init that took too long.
type InitError struct {
	Function string
	Err      *FunctionError
}

func (e *InitError) Error() string {
	return fmt.Sprintf("function %s failed to start: %s", e.Function, e.Err.Error())
}

func (in *instance) markReady() {
	in.readyOnce.Do(func() {
		in.initDur = time.Since(in.started)
		close(in.ready)
	})
}

func (in *instance) initFailed(fe *FunctionError) {
	select {
	case in.initErr <- fe:
	default:
	}
}

// invoke hands inv to the process and waits for its answer, its crash or
// its deadline (then the process is killed, as Lambda ends a timed-out
// environment).
func (in *instance) invoke(inv *invocation) result {
	t := time.NewTimer(time.Until(inv.deadline))
	defer t.Stop()
	select {
	case in.events <- inv:
	case <-in.exited:
		return result{err: in.crash()}
	case <-t.C:
		in.kill()
		return result{err: in.fn.timeoutError()}
	}
	select {
	case r := <-inv.done:
		return r
	case <-in.exited:
		return result{err: in.crash()}
	case <-t.C:
		in.kill()
		return result{err: in.fn.timeoutError()}
	}
}

func (in *instance) crash() *FunctionError {
	return &FunctionError{Type: "Runtime.ExitError", Message: fmt.Sprintf("RequestId: the process exited: %v", in.exitErr)}
}

func (in *instance) alive() bool {
	select {
	case <-in.exited:
		return false
	case <-in.shutdown:
		return false
	default:
		return true
	}
}

// stop ends the process as Lambda ends an environment whose runtime
// registered an internal extension: SIGTERM, and SIGKILL after
// shutdownGrace. The process counts as gone at once.
func (in *instance) stop() {
	in.stopOnce.Do(func() {
		close(in.shutdown)
		go func() {
			if in.cmd.Process != nil {
				_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGTERM)
				select {
				case <-in.exited:
				case <-time.After(shutdownGrace):
					_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
					<-in.exited
				}
			}
			_ = in.srv.Close()
		}()
	})
}

// stopAndWait is stop, then the process's exit.
func (in *instance) stopAndWait() {
	in.stop()
	<-in.exited
}

// kill ends the process at once (a timeout, a failed init).
func (in *instance) kill() {
	if in.cmd.Process != nil {
		_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
	}
	in.stop()
}

// maxRSSMB is the process's peak resident memory so far (VmHWM, the live
// form of getrusage's ru_maxrss), or after its exit its rusage.
func (in *instance) maxRSSMB() int {
	select {
	case <-in.exited: // cmd.Wait has set ProcessState (it happens before the close)
		if ru, ok := in.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			return int((ru.Maxrss + 1023) / 1024) // kB on Linux
		}
		return 0
	default:
	}
	f, err := os.Open("/proc/" + strconv.Itoa(in.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return (kb + 1023) / 1024
		}
	}
	return 0
}

// lineWriter prefixes each line a process writes with its function's name.
type lineWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := strings.IndexByte(string(l.buf), '\n')
		if i < 0 {
			break
		}
		_, _ = fmt.Fprintf(l.w, "%s%s\n", l.prefix, l.buf[:i])
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

var errClosed = errors.New("lambdaproc: platform closed")
