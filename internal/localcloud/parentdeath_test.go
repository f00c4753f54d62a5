package localcloud_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/localcloud"
)

// The parent of TestAServiceDiesWithItsParentWhenAsked: it starts
// stripe-mock (the quickest service to start) and waits to be killed.
func TestParentProcess(t *testing.T) {
	if os.Getenv("LOCALCLOUD_TEST_PARENT") == "" {
		t.Skip("only run as the parent of TestAServiceDiesWithItsParentWhenAsked")
	}
	root, _ := filepath.Abs("../..")
	// Other test binaries of `make test` take ports at the same time: a
	// pair free a moment ago may be gone when stripe-mock binds it, so a
	// start that finds its port taken tries another pair.
	p, port, err := localcloud.OnFreePorts(2, func(port int) (*localcloud.Process, error) {
		return localcloud.StartStripeMock(context.Background(), localcloud.Options{Root: root, Port: port,
			DieWithParent: os.Getenv("LOCALCLOUD_TEST_PARENT") == "die"})
	})
	if err != nil {
		fmt.Printf("start failed: %v\n", err)
	}
	require.NoError(t, err)
	fmt.Printf("service %d %d\n", p.Pid(), port)
	time.Sleep(time.Minute)
}

// `make dev`'s services die with it, even when it is SIGKILLed (a crash,
// the OOM killer, kill -9): left running, they would hold their ports and
// the next `make dev` could not start. The tests' shared services are
// started without DieWithParent and outlive the binary that started them.
func TestAServiceDiesWithItsParentWhenAsked(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent death signal is Linux's")
	}
	root, _ := filepath.Abs("../..")
	if _, err := os.Stat(filepath.Join(root, ".local", "bin", "stripe-mock")); err != nil {
		t.Skip("stripe-mock not installed (make tools)")
	}
	for _, die := range []bool{true, false} {
		t.Run(fmt.Sprintf("DieWithParent=%v", die), func(t *testing.T) {
			parent := exec.Command(os.Args[0], "-test.run=^TestParentProcess$", "-test.v")
			parent.Env = append(os.Environ(), "LOCALCLOUD_TEST_PARENT="+map[bool]string{true: "die", false: "live"}[die])
			out, err := parent.StdoutPipe()
			require.NoError(t, err)
			parent.Stderr = parent.Stdout // the pipe's writer: require's failures too
			require.NoError(t, parent.Start())
			var pid, port int
			var said strings.Builder // the parent's output, shown if it starts nothing
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				said.WriteString(sc.Text() + "\n")
				if n, _ := fmt.Sscanf(sc.Text(), "service %d %d", &pid, &port); n == 2 {
					break
				}
			}
			require.NotZero(t, pid, "the parent started no service; it said:\n%s", said.String())
			t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
			require.False(t, localcloud.PortFree(port))

			require.NoError(t, parent.Process.Kill()) // SIGKILL: no deferred clean-up runs
			_ = parent.Wait()
			gone := func() bool { return syscall.Kill(pid, 0) != nil && localcloud.PortFree(port) }
			wait := 10 * time.Second
			if !die {
				wait = 2 * time.Second // long enough for the kernel's signal, had there been one
			}
			deadline := time.Now().Add(wait)
			for !gone() && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if die {
				require.True(t, gone(), "service %d (port %s) outlived its SIGKILLed parent", pid, strconv.Itoa(port))
			} else {
				require.False(t, gone(), "a service started without DieWithParent died with its parent")
			}
		})
	}
}
