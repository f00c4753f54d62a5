package localcloud

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// Mailpit is the local stand-in for Amazon SES: an SMTP server that keeps
// every message, with a web UI and an HTTP API on UIURL.
type Mailpit struct {
	*Process
	SMTPAddr string // host:port for mail.SMTP
	UIURL    string // web UI and /api/v1
}

// StartMailpit runs Root/.local/bin/mailpit (installed by `make tools`):
// SMTP on o.Port, web UI and API on uiPort, both on 127.0.0.1. With
// o.DataDir the messages survive restarts (mailpit.db there).
func StartMailpit(ctx context.Context, o Options, uiPort int) (*Mailpit, error) {
	bin := filepath.Join(o.Root, ".local", "bin", "mailpit")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("mailpit is not installed (%s missing): run `make tools`", bin)
	}
	if err := checkPort("mailpit (SMTP)", o.Port); err != nil {
		return nil, err
	}
	if err := checkPort("mailpit (web UI)", uiPort); err != nil {
		return nil, err
	}
	smtpAddr := "127.0.0.1:" + strconv.Itoa(o.Port)
	ui := "http://127.0.0.1:" + strconv.Itoa(uiPort)
	args := []string{"--smtp", smtpAddr, "--listen", "127.0.0.1:" + strconv.Itoa(uiPort),
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--smtp-disable-rdns", "--disable-version-check", "--max", "5000"}
	if o.DataDir != "" {
		if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
			return nil, err
		}
		args = append(args, "--database", filepath.Join(o.DataDir, "mailpit.db"))
	}
	cmd := exec.Command(bin, args...)
	p, err := start(ctx, "mailpit", ui, cmd, o, func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ui+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("mailpit: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Mailpit{Process: p, SMTPAddr: smtpAddr, UIURL: ui}, nil
}
