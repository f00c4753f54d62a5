// Package localstacks lets the function processes of make dev's template
// mode deploy Platinum tenant stacks: the local platform serves its
// deployer (the CDK app's synth and localdeploy, onboarding.StackDeployer)
// over HTTP, and Client is the StackDeployer of a process's lifecycle
// (envvars.LocalStacksURL). In AWS the provisioning pipeline does this
// (EventBridge, Step Functions, CloudFormation): there is no such variable.
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

// Handler serves d: POST /{tenant} deploys the tenant's stack and answers
// its outputs (JSON object), DELETE /{tenant} destroys it (204). Errors are
// 500 with the deployer's message.
func Handler(d onboarding.StackDeployer) http.Handler {
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

// Client is the StackDeployer of a Handler at URL.
type Client struct {
	URL string
	// HTTP is the client (http.DefaultClient if nil): a deploy takes as
	// long as a synth, so no timeout beyond ctx's.
	HTTP *http.Client
}

// Deploy implements onboarding.StackDeployer.
func (c Client) Deploy(ctx context.Context, tenantID string) (map[string]string, error) {
	body, err := c.do(ctx, http.MethodPost, tenantID)
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
	_, err := c.do(ctx, http.MethodDelete, tenantID)
	return err
}

func (c Client) do(ctx context.Context, method, tenantID string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.URL, "/")+"/"+url.PathEscape(tenantID), bytes.NewReader(nil))
	if err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("local stack of %s: %w", tenantID, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("local stack of %s: %s: %s", tenantID, res.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}
