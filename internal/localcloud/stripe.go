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

// StripeMockAPIKey is the key the local platform and the tests give
// stripe-mock: any well-formed test key is accepted.
const StripeMockAPIKey = "sk_test_IssueTrackerLocal"

// StartStripeMock runs Root/.local/bin/stripe-mock (installed by `make
// tools`), the official mock of Stripe's API, on 127.0.0.1:o.Port (HTTP;
// its HTTPS listener, which nothing uses but it always opens, takes the
// next port, also on loopback). It answers every request from Stripe's
// OpenAPI definition and rejects requests the real API would reject; it
// keeps no state.
func StartStripeMock(ctx context.Context, o Options) (*Process, error) {
	bin := filepath.Join(o.Root, ".local", "bin", "stripe-mock")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("stripe-mock is not installed (%s missing): run `make tools`", bin)
	}
	if err := checkPort("stripe-mock", o.Port); err != nil {
		return nil, err
	}
	if err := checkPort("stripe-mock (HTTPS)", o.Port+1); err != nil {
		return nil, err
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(o.Port)
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:"+strconv.Itoa(o.Port), "-https-addr", "127.0.0.1:"+strconv.Itoa(o.Port+1))
	return start(ctx, "stripe-mock", endpoint, cmd, o, func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/v1/prices", nil)
		req.Header.Set("Authorization", "Bearer "+StripeMockAPIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("stripe-mock: %s", resp.Status)
		}
		return nil
	})
}
