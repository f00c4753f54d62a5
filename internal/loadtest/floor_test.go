package loadtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/loadtest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// floorEnv names, in the environment of a process of this test binary, the
// platform description it serves the floor for: loadtest.StartFloor runs
// this binary as the floor's process, as cmd/load runs itself.
const floorEnv = "ITR_LOADTEST_FLOOR_PLATFORM"

func TestMain(m *testing.M) {
	if path := os.Getenv(floorEnv); path != "" {
		pl, err := devstack.ReadPlatform(path)
		if err == nil {
			err = loadtest.ServeFloor(context.Background(), pl, os.Stdin, os.Stdout)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startFloor runs the floor for pl in a process of this test binary.
func startFloor(t *testing.T, pl devstack.Platform, tenants map[string]string) *loadtest.FloorProc {
	t.Helper()
	path := filepath.Join(t.TempDir(), "platform.json")
	b, err := json.Marshal(pl)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	t.Setenv(floorEnv, path)
	exe, err := os.Executable()
	require.NoError(t, err)
	f, err := loadtest.StartFloor(t.Context(), exe, nil, tenants)
	require.NoError(t, err)
	t.Cleanup(f.Close)
	return f
}

// The floor compares with the platform only if it runs as the platform
// does: at devstack.DevGCPercent (400) unless GOGC is set, and at GOGC
// when it is. Its process reports the percent its runtime runs at (read
// back, not the constant); without devstack.UseDevGC it is Go's 100.
func TestTheFloorRunsAtThePlatformsGOGC(t *testing.T) {
	pl := devstack.Platform{DynamoDBEndpoint: "http://127.0.0.1:1", Prefix: "floor-gogc"} // never called
	t.Setenv("GOGC", "")
	f := startFloor(t, pl, nil)
	assert.Equal(t, devstack.DevGCPercent, f.GOGC)
	assert.NotEqual(t, os.Getpid(), f.PID, "a process of its own")

	t.Setenv("GOGC", "150")
	assert.Equal(t, 150, startFloor(t, pl, nil).GOGC, "GOGC set: the platform keeps it, so the floor does")
}

// The floor answers GET /v1/issues/{id} with the bytes the gateway answers
// for the same issue and caller (status, Content-Type, ETag, body): the
// platform's GetItem and JSON, the gateway's path left out. An unknown
// caller is a 401, another route a 404. The hop's request (the whole
// gateway path, no DynamoDB call) is a 404 issue_not_found.
func TestTheFloorAnswersTheItemTheGatewayAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a platform")
	}
	_, e := testenv.AWS(t)
	root, err := testenv.Root()
	require.NoError(t, err)
	m := testenv.Mail(t)
	limits, err := gateway.ParseTierLimits("*=100000:100000:1000000000")
	require.NoError(t, err)
	s, err := devstack.Start(context.Background(), devstack.Config{Root: root, GatewayAddr: "127.0.0.1:0", Endpoints: e,
		Mail: &devstack.MailEndpoints{SMTPAddr: m.SMTPAddr, UIURL: m.API}, Prefix: testenv.UniquePrefix(t), StateDir: t.TempDir(),
		StripeAPIBase: testenv.StripeMock(t), TierLimits: limits})
	require.NoError(t, err)
	t.Cleanup(s.Close)

	ctx := context.Background()
	l, err := loadtest.Prepare(ctx, loadtest.Config{Platform: s.Platform, Workers: 3, Duration: time.Second, Preload: 2})
	require.NoError(t, err)
	tenant, id := l.KnownIssue()
	require.NotEmpty(t, id)
	f := startFloor(t, s.Platform, l.FloorTenants())

	get := func(base, path, auth string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res, b
	}
	auth := "Bearer " + l.Tokens()[tenant]
	gw, gwBody := get(s.Platform.GatewayURL, "/v1/issues/"+id, auth)
	require.Equal(t, http.StatusOK, gw.StatusCode, "%s", gwBody)
	fl, flBody := get(f.URL, "/v1/issues/"+id, auth)
	require.Equal(t, http.StatusOK, fl.StatusCode, "%s", flBody)
	assert.Equal(t, string(gwBody), string(flBody), "the same bytes")
	assert.Contains(t, string(flBody), `"id":"`+id+`"`)
	for _, h := range []string{"Content-Type", "ETag"} {
		assert.NotEmpty(t, gw.Header.Get(h), h)
		assert.Equal(t, gw.Header.Get(h), fl.Header.Get(h), h)
	}

	res, _ := get(f.URL, "/v1/issues/"+id, "Bearer someone-else")
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	res, _ = get(f.URL, "/v1/issues", auth)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)

	res, body := get(s.Platform.GatewayURL, "/v1/issues/"+loadtest.HopIssue, auth)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Contains(t, string(body), `"code":"issue_not_found"`)
}

// Both ends of a local connection are in /proc/net/tcp, and each counts on
// its own side: three connections to a port are three client ends and
// three server ends; the listener is neither, nor is a connection to
// another port. A client end open at the first reading is not new at the
// second.
func TestConnsCountsEachEndOfAConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	other, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer other.Close()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	port, err := strconv.Atoi(p)
	require.NoError(t, err)

	dial := func(l net.Listener) {
		c, err := net.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		s, err := l.Accept()
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
	}
	before, err := loadtest.ReadConns(port)
	require.NoError(t, err)
	assert.Zero(t, before.Client+before.Server)
	dial(ln)
	first, err := loadtest.ReadConns(port)
	require.NoError(t, err)
	dial(ln)
	dial(ln)
	dial(other)
	c, err := loadtest.ReadConns(port)
	require.NoError(t, err)
	assert.Equal(t, 3, c.Client, "client ends")
	assert.Equal(t, 3, c.Server, "server ends")
	assert.Len(t, c.ClientPorts, 3)
	assert.Equal(t, 2, c.New(first), "the first connection was open before")
	assert.Equal(t, 3, c.New(before))
}
