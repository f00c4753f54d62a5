// Package apikeys gives every tenant its own API Gateway API key on its
// tier's usage plan (onboarding.APIKeys): in AWS through the API Gateway API,
// locally as a random value the local gateway buckets by.
package apikeys

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/localkeys"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Local keys (localkeys.Local): the local platform's.
type Local = localkeys.Local

// TenantTag is on every tenant's key, with the tenant id: the platform's
// functions may delete only keys that carry it (constructs/api).
const TenantTag = "issuetracker:tenant"

// AWS manages keys with the API Gateway API: its six calls (GetApiKeys,
// CreateApiKey, CreateUsagePlanKey, GetUsagePlanKey, DeleteUsagePlanKey,
// DeleteApiKey) are SigV4-signed restJson1 requests (the SDK's signer,
// awsjson.Do) to https://apigateway.<region>.amazonaws.com (Config's
// BaseEndpoint when set: tests), not the SDK's API Gateway client, which
// the lifecycle functions linked for them (~170 KB of symbols and its
// schemas' initialisation at every cold start; issue 19,
// docs/performance.md). A call is retried as the SDK's standard retryer
// retries it: three attempts when API Gateway throttles (429), answers
// 5xx or the connection fails.
type AWS struct {
	// Config has the Region and the function's credentials.
	Config aws.Config
	// Now is the signing time (time.Now if nil).
	Now func() time.Time
	// Backoff is the wait before retry attempt (1, 2): 100 ms x attempt if nil.
	Backoff func(attempt int) time.Duration
	// Prefix names keys "<prefix>-tenant-<id>" (the platform's table prefix).
	Prefix string
	// Plans are the usage plan ids per tier (outputs of the platform stack).
	Plans map[tiers.Name]string
	// LazyPlans reads them on first use when Plans is nil (SSM in AWS:
	// LazyPlansFromSSM), so a cold start makes no network call for them.
	LazyPlans *LazyPlans
}

var _ onboarding.APIKeys = AWS{}

func (a AWS) name(tenantID string) string { return a.Prefix + "-tenant-" + tenantID }

func (a AWS) plan(ctx context.Context, t tiers.Name) (string, error) {
	plans := a.Plans
	if plans == nil && a.LazyPlans != nil {
		var err error
		if plans, err = a.LazyPlans.Get(ctx); err != nil {
			return "", err
		}
	}
	if id := plans[t]; id != "" {
		return id, nil
	}
	return "", fmt.Errorf("no usage plan for tier %s", t)
}

// Create implements onboarding.APIKeys: it finds the tenant's key by name
// before creating one, and treats an existing plan membership as done.
func (a AWS) Create(ctx context.Context, tenantID string, tier tiers.Name) (string, string, error) {
	plan, err := a.plan(ctx, tier)
	if err != nil {
		return "", "", err
	}
	var found struct {
		Items []apiKey `json:"item"`
	}
	q := url.Values{"name": {a.name(tenantID)}, "includeValues": {"true"}}
	if err := a.call(ctx, http.MethodGet, "/apikeys", q, nil, &found); err != nil {
		return "", "", fmt.Errorf("find api key of %s: %w", tenantID, err)
	}
	var id, value string
	for _, k := range found.Items {
		if k.Name == a.name(tenantID) {
			id, value = k.ID, k.Value
		}
	}
	if id == "" {
		in := struct {
			Name        string            `json:"name"`
			Description string            `json:"description"`
			Enabled     bool              `json:"enabled"`
			Tags        map[string]string `json:"tags"`
		}{a.name(tenantID), "IssueTracker tenant " + tenantID, true, map[string]string{TenantTag: tenantID}}
		var out apiKey
		if err := a.call(ctx, http.MethodPost, "/apikeys", nil, in, &out); err != nil {
			return "", "", fmt.Errorf("create api key of %s: %w", tenantID, err)
		}
		id, value = out.ID, out.Value
	}
	if err := a.attach(ctx, plan, id); err != nil {
		return "", "", err
	}
	return id, value, nil
}

// apiKey is API Gateway's ApiKey resource, as far as Create reads it.
type apiKey struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (a AWS) attach(ctx context.Context, plan, id string) error {
	in := struct {
		KeyID   string `json:"keyId"`
		KeyType string `json:"keyType"`
	}{id, "API_KEY"}
	keys := "/usageplans/" + url.PathEscape(plan) + "/keys"
	err := a.call(ctx, http.MethodPost, keys, nil, in, nil)
	if IsType(err, "ConflictException") {
		// Already on this plan (a retry), or on another plan of the stage (an error).
		if gerr := a.call(ctx, http.MethodGet, keys+"/"+url.PathEscape(id), nil, nil, nil); gerr == nil {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("add api key %s to usage plan %s: %w", id, plan, err)
	}
	return nil
}

// Move implements onboarding.APIKeys. A key may be on one usage plan per
// stage, so it leaves the old plan first; requests in the moment between
// are refused (403) and the client retries. Safe to repeat.
func (a AWS) Move(ctx context.Context, id string, from, to tiers.Name) error {
	toPlan, err := a.plan(ctx, to)
	if err != nil {
		return err
	}
	fromPlan, err := a.plan(ctx, from)
	if err != nil {
		return err
	}
	err = a.call(ctx, http.MethodDelete, "/usageplans/"+url.PathEscape(fromPlan)+"/keys/"+url.PathEscape(id), nil, nil, nil)
	if err != nil && !IsType(err, "NotFoundException") {
		return fmt.Errorf("remove api key %s from usage plan %s: %w", id, fromPlan, err)
	}
	return a.attach(ctx, toPlan, id)
}

// Delete implements onboarding.APIKeys (the key leaves its plans with it).
func (a AWS) Delete(ctx context.Context, id string) error {
	err := a.call(ctx, http.MethodDelete, "/apikeys/"+url.PathEscape(id), nil, nil, nil)
	if err != nil && !IsType(err, "NotFoundException") {
		return fmt.Errorf("delete api key %s: %w", id, err)
	}
	return nil
}

// Error is an answer of API Gateway other than 2xx: its status, its error
// type (ConflictException, NotFoundException, TooManyRequestsException...)
// and message.
type Error struct {
	Status  int
	Type    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("apigateway: %s: %s (HTTP %d)", e.Type, e.Message, e.Status)
}

// IsType reports whether err is an API Gateway answer of that error type.
func IsType(err error, typ string) bool {
	var e *Error
	return errors.As(err, &e) && e.Type == typ
}

// maxResponse bounds an answer read.
const maxResponse = 1 << 20

// call sends method path?query with in as its JSON body (nil: none) to
// API Gateway, signed, and decodes a 2xx answer into out (nil: discarded).
func (a AWS) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	target := strings.TrimSuffix(awsjson.Endpoint(a.Config, "apigateway"), "/") + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	return awsjson.Retry(ctx, a.Backoff, retryable, func() error { return a.send(ctx, method, target, body, out) })
}

func (a AWS) send(ctx context.Context, method, target string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(body)
	resp, err := awsjson.Do(ctx, a.Config, req, hex.EncodeToString(sum[:]), "apigateway", a.Now)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		typ, msg := awsjson.ErrorOf(resp, data)
		return &Error{Status: resp.StatusCode, Type: typ, Message: msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// retryable: a throttled (429) or failed (5xx) answer; not a refusal.
func retryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusTooManyRequests || e.Status >= 500)
}
