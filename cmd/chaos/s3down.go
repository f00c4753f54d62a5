package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/chaos"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/loadtest"
)

// s3Down closes the way to the local S3 (as an S3 outage would) while a
// tenant works: only the requests that need S3 fail, with 503 problem+json
// and Retry-After, and nothing is half done; everything else keeps working.
// Once S3 is back on the same address, the failed requests succeed.
func (r *rig) s3Down(ctx context.Context, l *loadtest.Load) error {
	tenant, issueID := l.KnownIssue()
	c := tenantClient{base: r.pl.GatewayURL, token: l.Tokens()[tenant]}
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("chaos"), 200)...)
	files := "/v1/issues/" + issueID + "/attachments"

	kept, err := c.upload(ctx, files, "kept.png", png)
	if err != nil {
		return err
	}
	if st, body := c.do(ctx, "POST", files+"/"+kept+"/confirm", nil); st.status != http.StatusOK {
		return fmt.Errorf("confirm before the outage: %s %s", st, body)
	}
	late, err := c.upload(ctx, files, "late.png", png)
	if err != nil {
		return err
	}
	filesBefore := attachmentCount(ctx, c, files)

	addr, upstream := r.s3Proxy.Addr(), strings.TrimPrefix(r.s3.Endpoint, "http://")
	r.s3Proxy.Close()
	fmt.Println("   the way to the local S3 closed (connections refused)")
	for _, p := range []struct{ what, method, path string }{
		{"confirm an upload", "POST", files + "/" + late + "/confirm"},
		{"delete an attachment", "DELETE", files + "/" + kept},
	} {
		a, body := c.do(ctx, p.method, p.path, nil)
		fmt.Printf("    %s: %s\n", p.what, a)
		if a.err != nil || a.status != http.StatusServiceUnavailable || !a.problem || a.retryAfter == "" {
			r.fail("%s with S3 down: %s %s, want 503 problem+json with Retry-After", p.what, a, body)
		}
	}
	for _, p := range []struct {
		what, method, path string
		body               any
		want               int
	}{
		{"file an issue", "POST", "/v1/issues", map[string]any{"title": "filed while S3 is down"}, http.StatusCreated},
		{"read the issue", "GET", "/v1/issues/" + issueID, nil, http.StatusOK},
		{"list its attachments", "GET", files, nil, http.StatusOK},
	} {
		a, body := c.do(ctx, p.method, p.path, p.body)
		fmt.Printf("    %s: %s\n", p.what, a)
		if a.status != p.want {
			r.fail("%s with S3 down: %s %s, want %d", p.what, a, body, p.want)
		}
	}
	if n := attachmentCount(ctx, c, files); n != filesBefore {
		r.fail("attachments listed: %d before the outage, %d during it (nothing half done)", filesBefore, n)
	}

	if r.s3Proxy, err = chaos.Listen(addr, upstream); err != nil {
		return fmt.Errorf("reopen the way to S3: %w", err)
	}
	fmt.Println("   S3 reachable again on the same address")
	if a, body := c.do(ctx, "POST", files+"/"+late+"/confirm", nil); a.status != http.StatusOK {
		r.fail("confirm after the outage: %s %s", a, body)
	}
	if a, body := c.do(ctx, "DELETE", files+"/"+kept, nil); a.status != http.StatusNoContent {
		r.fail("delete after the outage: %s %s", a, body)
	}
	fmt.Println("   the upload confirmed and the attachment deleted once S3 was back")
	return nil
}

// tenantClient calls the API (base, which may be empty when path is a
// whole URL) with a user's ID token, or anonymously without one. The
// suite's one HTTP call: probes, public and tenant requests.
type tenantClient struct{ base, token string }

// do sends body as JSON with the header pairs, and returns the answer and
// its body.
func (c tenantClient) do(ctx context.Context, method, path string, body any, header ...string) (answer, []byte) {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return answer{err: err}, nil
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return answer{err: err, took: time.Since(start)}, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var p struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(b, &p)
	return answer{status: res.StatusCode, problem: res.Header.Get("Content-Type") == httpapi.ProblemContentType,
		retryAfter: res.Header.Get("Retry-After"), code: p.Code, took: time.Since(start)}, b
}

// upload asks for an upload and sends the file to its presigned URL (as a
// browser does); it returns the attachment's id, not yet confirmed.
func (c tenantClient) upload(ctx context.Context, files, name string, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	a, b := c.do(ctx, "POST", files, map[string]any{"filename": name, "content_type": "image/png", "size": len(body),
		"sha256": base64.StdEncoding.EncodeToString(sum[:])})
	if a.status != http.StatusCreated {
		return "", fmt.Errorf("upload request: %s %s", a, b)
	}
	var up struct {
		Attachment struct {
			ID string `json:"id"`
		} `json:"attachment"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
	}
	if err := json.Unmarshal(b, &up); err != nil {
		return "", err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, up.URL, bytes.NewReader(body))
	for k, v := range up.Headers {
		req.Header.Set(k, v)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return "", err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("PUT to the presigned URL: %s", res.Status)
	}
	return up.Attachment.ID, nil
}

func attachmentCount(ctx context.Context, c tenantClient, files string) int {
	a, b := c.do(ctx, "GET", files, nil)
	if a.status != http.StatusOK {
		return -1
	}
	var l struct {
		Items []json.RawMessage `json:"items"`
	}
	_ = json.Unmarshal(b, &l)
	return len(l.Items)
}
