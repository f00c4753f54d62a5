package apikeys

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// SSM reads parameters with SSM's GetParameters action: one POST in the
// awsJson1.1 protocol, signed with the SDK's SigV4 signer and the
// function's credentials. It is written by hand rather than with
// aws-sdk-go-v2/service/ssm because that client, used here for this one
// call, cost each of the four functions that manage keys ~1.5 MB of
// binary and the largest package initialisation of their cold start (its
// schemas package: 1.4 MB allocated in ~7,900 allocations before main,
// GODEBUG=inittrace=1; docs/performance.md).
type SSM struct {
	// Config gives the region, the credentials, the HTTP client and an
	// optional BaseEndpoint (tests); otherwise the regional endpoint
	// https://ssm.<region>.amazonaws.com (.com.cn in China).
	Config aws.Config
	// Now is the signing time; time.Now if nil.
	Now func() time.Time
}

// GetParameters returns the value of each of names that exists (String
// and StringList parameters; SecureString would need WithDecryption).
func (s SSM) GetParameters(ctx context.Context, names []string) (map[string]string, error) {
	body, err := json.Marshal(struct{ Names []string }{names})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameters")
	if s.Config.Credentials == nil {
		return nil, fmt.Errorf("ssm GetParameters: no credentials")
	}
	creds, err := s.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("ssm GetParameters: credentials: %w", err)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ssm", s.Config.Region, now()); err != nil {
		return nil, err
	}
	var client aws.HTTPClient = http.DefaultClient
	if s.Config.HTTPClient != nil {
		client = s.Config.HTTPClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ssm GetParameters: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("ssm GetParameters: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		code := e.Type[strings.LastIndex(e.Type, "#")+1:]
		if code == "" {
			code = resp.Status
		}
		return nil, fmt.Errorf("ssm GetParameters: %s: %s (HTTP %d)", code, e.Message, resp.StatusCode)
	}
	var out struct {
		Parameters []struct{ Name, Value string }
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("ssm GetParameters: decode: %w", err)
	}
	values := map[string]string{}
	for _, p := range out.Parameters {
		values[p.Name] = p.Value
	}
	return values, nil
}

func (s SSM) endpoint() string {
	if s.Config.BaseEndpoint != nil && *s.Config.BaseEndpoint != "" {
		return *s.Config.BaseEndpoint
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(s.Config.Region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://ssm." + s.Config.Region + "." + domain + "/"
}
