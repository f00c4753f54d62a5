package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tap forwards each call as it came and counts it by shape and second.
func TestTheTapForwardsAndCountsByShape(t *testing.T) {
	var got []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, r.Header.Get("X-Amz-Target")+" "+string(b))
		fmt.Fprint(w, `{"Item":{}}`)
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	tp := newTap(u)
	now := time.Unix(1000, 0)
	tp.now = func() time.Time { return now }
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = tp.server()
	srv.Start()
	defer srv.Close()
	call := func(target, body string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+target)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		assert.Equal(t, `{"Item":{}}`, string(b))
	}
	issue := `{"ConsistentRead":true,"Key":{"pk":{"S":"T#a#ISSUE#1"},"sk":{"S":"ISSUE"}},"TableName":"app"}`
	call("GetItem", issue)
	call("GetItem", issue)
	call("GetItem", `{"ConsistentRead":true,"Key":{"pk":{"S":"TENANT#a"},"sk":{"S":"META"}},"TableName":"control","ProjectionExpression":"#t"}`)
	now = now.Add(5 * time.Second)
	call("Query", `{"TableName":"app"}`)
	assert.Len(t, got, 4)
	assert.Equal(t, "DynamoDB_20120810.GetItem "+issue, got[0], "forwarded as it came")

	sum := func(from, to int) string {
		res, err := http.Get(fmt.Sprintf("%s/_tap/sum?from=%d&to=%d", srv.URL, from, to))
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	first := sum(1000, 1001)
	assert.Contains(t, first, "3 calls in 1 s\n")
	assert.Contains(t, first, "      2  GetItem ConsistentRead=true Key={pk:T,sk:ISSUE} TableName=app\n")
	assert.Contains(t, first, "      1  GetItem ConsistentRead=true Key={pk:TENANT,sk:META} ProjectionExpression=#t TableName=control\n")
	assert.Contains(t, first, "(new connection)")
	assert.NotContains(t, first, "Query")
	assert.Contains(t, sum(1005, 1006), "      1  Query TableName=app\n")
}
