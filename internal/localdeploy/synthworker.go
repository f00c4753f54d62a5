package localdeploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
)

// SynthWorker synthesizes tenant stacks with the repository's real CDK app
// like SynthWithCDKApp, but in one warm child process (`infra
// synth-worker`, built once into .local/bin): the jsii runtime and the
// app's packages start once, so every Platinum onboarding after the first
// pays for its synth alone. Requests are served one at a time; a worker
// that dies is started again by the next request. Close stops it.
type SynthWorker struct {
	Root string
	// Stderr receives the worker's diagnostics (nil: discarded).
	Stderr io.Writer

	mu   sync.Mutex
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	errs bytes.Buffer
}

// Synth implements SynthFunc.
func (w *SynthWorker) Synth(outDir, tenantID string) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", err
	}
	if w.cmd == nil {
		if err := w.start(); err != nil {
			return "", err
		}
	}
	req, _ := json.Marshal(map[string]string{"tenant": tenantID, "out_dir": abs})
	if _, err := w.in.Write(append(req, '\n')); err != nil {
		return "", w.fail(fmt.Errorf("synth worker: send %s: %w", tenantID, err))
	}
	for {
		line, err := w.out.ReadBytes('\n')
		if err != nil {
			return "", w.fail(fmt.Errorf("synth worker: no answer for %s: %w", tenantID, err))
		}
		if !bytes.HasPrefix(line, []byte("{")) {
			continue // something the CDK printed, not a reply
		}
		var rep struct {
			Path  string `json:"path"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(line, &rep); err != nil {
			continue
		}
		if rep.Error != "" {
			return "", errors.New(rep.Error)
		}
		return rep.Path, nil
	}
}

func (w *SynthWorker) start() error {
	bin := filepath.Join(w.Root, ".local", "bin", "infra-synth")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return err
	}
	build := exec.Command("go", "build", "-o", bin, "./infra")
	build.Dir = w.Root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./infra: %w\n%s", err, Tail(out, 2000))
	}
	cmd := exec.Command(bin, "synth-worker")
	cmd.Dir = w.Root
	cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1")
	// The worker (and its node child) end with the platform.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	w.errs.Reset()
	if w.Stderr != nil {
		cmd.Stderr = io.MultiWriter(w.Stderr, &w.errs)
	} else {
		cmd.Stderr = &w.errs
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start synth worker: %w", err)
	}
	w.cmd, w.in, w.out = cmd, in, bufio.NewReader(out)
	return nil
}

// fail stops a worker that broke the protocol and adds what it said.
func (w *SynthWorker) fail(err error) error {
	w.stop()
	if msg := Tail(w.errs.Bytes(), 2000); len(msg) > 0 {
		err = fmt.Errorf("%w\n%s", err, msg)
	}
	return err
}

func (w *SynthWorker) stop() {
	if w.cmd == nil {
		return
	}
	_ = w.in.Close()
	_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
	_ = w.cmd.Wait()
	w.cmd = nil
}

// Close stops the worker.
func (w *SynthWorker) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stop()
	return nil
}

// Tail is the end of b, at most n bytes (a failed command's output, in an
// error).
func Tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
