package devstack_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// As `make dev` runs them: a webhook registered through the gateway gets
// the stream's events from the local queue, and offboarding a tenant
// deletes its files from the local S3 (and no one else's).
func TestTheLocalPlatformSendsWebhooksAndOffboardsFiles(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		first := len(got) == 1
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusInternalServerError) // retried
		}
	}))
	defer recv.Close()
	guard := webhook.Guard{AllowLoopback: true, RootCAs: recv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	p := startPlatform(t, func(c *devstack.Config) { c.WebhookGuard = &guard })
	owner, other := p.tenantLogin("owner@globex.test"), p.tenantLogin("owner@acme.test")

	t.Run("a webhook gets a signed event and its retry", func(t *testing.T) {
		code, ep := p.call("POST", "/v1/webhooks", owner, map[string]any{"url": recv.URL + "/hook", "event_types": []string{"issue.created"}})
		require.Equal(t, 201, code, ep)
		code, iss := p.call("POST", "/v1/issues", owner, map[string]string{"title": "Hook me", "type": "task"})
		require.Equal(t, 201, code, iss)
		require.NoError(t, p.s.DrainChanges(p.ctx))
		require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= 2 }, eventually.Deadline, 50*time.Millisecond)
		wh, err := standardwebhooks.NewWebhook(ep["secret"].(string))
		require.NoError(t, err)
		mu.Lock()
		defer mu.Unlock()
		for i := range got[:2] {
			require.NoError(t, wh.Verify(bodies[i], got[i].Header))
		}
		assert.Equal(t, got[0].Header.Get("webhook-id"), got[1].Header.Get("webhook-id"))
	})

	t.Run("offboarding deletes the tenant's files and no one else's", func(t *testing.T) {
		upload := func(tok string) string {
			code, iss := p.call("POST", "/v1/issues", tok, map[string]string{"title": "With a file", "type": "bug"})
			require.Equal(t, 201, code, iss)
			body := []byte("hello from a file\n")
			sum := sha256.Sum256(body)
			code, up := p.call("POST", "/v1/issues/"+iss["id"].(string)+"/attachments", tok, map[string]any{"filename": "notes.txt",
				"content_type": "text/plain", "size": len(body), "sha256": base64.StdEncoding.EncodeToString(sum[:])})
			require.Equal(t, 201, code, up)
			req, err := http.NewRequest("PUT", up["url"].(string), bytes.NewReader(body))
			require.NoError(t, err)
			for k, v := range up["headers"].(map[string]any) {
				req.Header.Set(k, v.(string))
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, 200, res.StatusCode)
			id := up["attachment"].(map[string]any)["id"].(string)
			code, a := p.call("POST", "/v1/issues/"+iss["id"].(string)+"/attachments/"+id+"/confirm", tok, nil)
			require.Equal(t, 200, code, a)
			return id
		}
		upload(owner)
		upload(other)
		objects := func(prefix string) int {
			out, err := testenv.S3(t).ListObjectsV2(p.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(p.pl.AttachmentsBucket), Prefix: aws.String(prefix)})
			require.NoError(t, err)
			return len(out.Contents)
		}
		require.Equal(t, 1, objects("globex/"))
		require.Equal(t, 1, objects("acme/"))

		root := p.login(p.pl.ProviderClientID, devstack.Demo.Root.Email)
		code, body := p.call("POST", "/v1/admin/tenants/globex/offboard", root, map[string]string{"confirm": "globex"})
		require.Equal(t, 202, code, body)
		require.Eventually(t, func() bool { return objects("globex/") == 0 }, time.Minute, 200*time.Millisecond,
			"the offboarded tenant's files are deleted")
		assert.Equal(t, 1, objects("acme/"), "another tenant's file stays")
	})
}
