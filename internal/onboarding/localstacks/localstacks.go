// Package localstacks lets the function processes of make dev's template
// mode hand the tenant lifecycle to the local platform, as they hand it to
// the onboarding function and the provisioning pipeline in AWS (EventBridge,
// Step Functions, CloudFormation): the platform serves its deployer (the
// CDK app's synth and localdeploy, onboarding.StackDeployer) and its
// lifecycle runs (onboarding.Driver) over HTTP (Handler, under
// envvars.LocalLifecycleURL), and Client and Runs are a process's
// StackDeployer and Driver. In AWS there is no such variable.
package localstacks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/issuetracker/issuetracker/internal/onboarding"
)

// Handler serves d and runs: POST /stacks/{tenant} deploys the tenant's
// stack and answers its outputs (JSON object), DELETE /stacks/{tenant}
// destroys it (204), POST /runs/{tenant} starts the tenant's lifecycle run
// (202). Errors are 500 with the message.
func Handler(d onboarding.StackDeployer, runs onboarding.Driver) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /runs/{tenant}", func(w http.ResponseWriter, r *http.Request) {
		if err := runs.Start(r.Context(), r.PathValue("tenant")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	mux.Handle("/stacks/", http.StripPrefix("/stacks", stacks(d)))
	return mux
}

func stacks(d onboarding.StackDeployer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.Trim(r.URL.Path, "/")
		if id == "" || strings.Contains(id, "/") {
			http.Error(w, "want /{tenant}", http.StatusNotFound)
			return
		}
		switch r.Method {
		case http.MethodPost:
			out, err := d.Deploy(r.Context(), id)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(out)
		case http.MethodDelete:
			if err := d.Destroy(r.Context(), id); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			http.Error(w, "POST or DELETE", http.StatusMethodNotAllowed)
		}
	})
}

// Runs is the Driver of a Handler at URL: a run starts in the platform.
type Runs struct {
	URL  string
	HTTP *http.Client
}

// Start implements onboarding.Driver.
func (r Runs) Start(ctx context.Context, tenantID string) error {
	_, err := Client{URL: r.URL, HTTP: r.HTTP}.call(ctx, http.MethodPost, "/runs/", tenantID)
	return err
}

// Client is the StackDeployer of a Handler at URL.
type Client struct {
	URL string
	// HTTP is the client (http.DefaultClient if nil): a deploy takes as
	// long as a synth, so no timeout beyond ctx's.
	HTTP *http.Client
}

// Deploy implements onboarding.StackDeployer.
func (c Client) Deploy(ctx context.Context, tenantID string) (map[string]string, error) {
	body, err := c.call(ctx, http.MethodPost, "/stacks/", tenantID)
	if err != nil {
		return nil, err
	}
	var out map[string]string
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("local stack of %s: outputs: %w", tenantID, err)
	}
	return out, nil
}

// Destroy implements onboarding.StackDeployer.
func (c Client) Destroy(ctx context.Context, tenantID string) error {
	_, err := c.call(ctx, http.MethodDelete, "/stacks/", tenantID)
	return err
}

func (c Client) call(ctx context.Context, method, path, tenantID string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.URL, "/")+path+url.PathEscape(tenantID), bytes.NewReader(nil))
	if err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("local lifecycle of %s: %w", tenantID, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("local lifecycle of %s: %s: %s", tenantID, res.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}
