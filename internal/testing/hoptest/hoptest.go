// Package hoptest proves which credentials sign each tenant-data call of a
// function (internal/tenantcreds): a fake STS that answers AssumeRole with
// credentials named after the role and the tenant, and a proxy in front of
// DynamoDB Local that records, per call, the access key that signed it and
// the table it names, and forwards it to DynamoDB Local with the
// function's key and no session token (DynamoDB Local, run with -sharedDb,
// does not check signatures but refuses keys with hyphens and tokens it did
// not issue), so the function under test really reads and writes its items.
package hoptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/issuetracker/issuetracker/internal/awsx/assumerole"
)

// FunctionKey is the access key of the function's own role.
const FunctionKey = "AKFUNCTION"

// FirstHopKey and DataKey are the access keys the fake STS gives a
// tenant's session of the tenant access role and of a data role (a role
// whose name starts with "data").
func FirstHopKey(tenant string) string { return "AK-" + tenant }
func DataKey(tenant string) string     { return "AK-data-" + tenant }

var credRE = regexp.MustCompile(`Credential=([^/]+)/`)

// Call is one request: the access key that signed it, and for DynamoDB
// its operation and table, for STS the role and session tag.
type Call struct {
	Key, Action, Table string
	Role, Tag, Session string
	Duration           string
	TagKey             string
}

// Recorder keeps the calls.
type Recorder struct {
	mu    sync.Mutex
	calls []Call
}

func (r *Recorder) add(c Call) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

// Calls returns the calls so far.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// KeysFor are the distinct access keys of the DynamoDB calls on table.
func (r *Recorder) KeysFor(table string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range r.Calls() {
		if c.Table == table && !seen[c.Key] {
			seen[c.Key] = true
			out = append(out, c.Key)
		}
	}
	return out
}

// STS starts the fake STS and returns a client of it signed with
// FunctionKey, and its recorder.
func STS(t testing.TB) (assumerole.Client, *Recorder) {
	rec := &Recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f := r.PostForm
		tenant, role := f.Get("Tags.member.1.Value"), f.Get("RoleArn")
		rec.add(Call{Key: signer(r), Action: f.Get("Action"), Role: role, Tag: tenant, Session: f.Get("RoleSessionName"),
			Duration: f.Get("DurationSeconds"), TagKey: f.Get("Tags.member.1.Key")})
		key := FirstHopKey(tenant)
		if strings.Contains(role, ":role/data") {
			key = DataKey(tenant)
		}
		d := 900 * time.Second
		if s, err := strconv.Atoi(f.Get("DurationSeconds")); err == nil {
			d = time.Duration(s) * time.Second
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>
<Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/tenant-%s</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			key, time.Now().Add(d).UTC().Format(time.RFC3339), tenant)
	}))
	t.Cleanup(srv.Close)
	c := assumerole.New(FunctionConfig())
	c.Config.BaseEndpoint = aws.String(srv.URL)
	return c, rec
}

// FunctionConfig is the SDK configuration of the function's own role.
func FunctionConfig() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(FunctionKey, "secret", "")}
}

// DynamoDB returns a client, signed with FunctionKey, of a recording proxy
// in front of the DynamoDB at endpoint, and the proxy's recorder.
func DynamoDB(t testing.TB, endpoint string) (*dynamodb.Client, *Recorder) {
	up, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rec := &Recorder{}
	proxy := httputil.NewSingleHostReverseProxy(up)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var in struct {
			TableName    string
			RequestItems map[string]json.RawMessage
		}
		_ = json.Unmarshal(body, &in)
		action := r.Header.Get("X-Amz-Target")
		if _, op, ok := strings.Cut(action, "."); ok {
			action = op
		}
		if in.TableName != "" {
			rec.add(Call{Key: signer(r), Action: action, Table: in.TableName})
		}
		for table := range in.RequestItems {
			rec.add(Call{Key: signer(r), Action: action, Table: table})
		}
		// DynamoDB Local refuses the fake sessions' keys and tokens; it
		// does not check signatures: it gets the function's key.
		r.Header.Del("X-Amz-Security-Token")
		r.Header.Set("Authorization", credRE.ReplaceAllString(r.Header.Get("Authorization"), "Credential="+FunctionKey+"/"))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return dynamodb.NewFromConfig(FunctionConfig(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(srv.URL) }), rec
}

func signer(r *http.Request) string {
	if m := credRE.FindStringSubmatch(r.Header.Get("Authorization")); len(m) == 2 {
		return m[1]
	}
	return ""
}
