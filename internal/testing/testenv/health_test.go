package testenv

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stalled listens on a free port and accepts connections it never answers:
// a wedged service (a stopped JVM) holding a test port.
func stalled(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never answered
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done // the accept loop has ended: conns is no longer written
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// A service found on a test port is reused only once it answers a real
// call; a stalled one fails the run at once, naming the port and the
// process on it, and is left running (it may be another run's).
func TestAStalledServiceOnATestPortFailsLoudly(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	defer func(d time.Duration) { healthTimeout = d }(healthTimeout)
	healthTimeout = time.Second
	for _, env := range []string{"ITR_TEST_DYNAMODB_ENDPOINT", "ITR_TEST_COGNITO_ENDPOINT", "ITR_TEST_S3_ENDPOINT"} {
		t.Setenv(env, "")
	}
	me := fmt.Sprintf("pid %d (", os.Getpid())
	check := func(t *testing.T, port int, env string, err error, took time.Duration) {
		t.Helper()
		require.Error(t, err, "a service that never answers must not be reused")
		assert.Contains(t, err.Error(), fmt.Sprintf("port %d", port))
		assert.Contains(t, err.Error(), me, "the process on the port is named")
		assert.Contains(t, err.Error(), env)
		assert.Less(t, took, 20*time.Second, "it fails within the health timeout, not the tests' own")
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		require.NoError(t, err, "the foreign process is left running")
		c.Close()
	}
	t.Run("DynamoDB Local", func(t *testing.T) {
		port := stalled(t)
		defer func(p int) { DynamoDBPort = p }(DynamoDBPort)
		DynamoDBPort = port
		start := time.Now()
		_, err := ensure()
		check(t, port, "ITR_TEST_DYNAMODB_PORT", err, time.Since(start))
	})
	t.Run("cognito-local", func(t *testing.T) {
		port := stalled(t)
		defer func(p int) { CognitoPort = p }(CognitoPort)
		CognitoPort = port
		t.Setenv("ITR_TEST_DYNAMODB_ENDPOINT", "http://127.0.0.1:1") // not this case's
		start := time.Now()
		_, err := ensure()
		check(t, port, "ITR_TEST_COGNITO_PORT", err, time.Since(start))
	})
	t.Run("the local S3", func(t *testing.T) {
		port := stalled(t)
		defer func(p int) { S3Port = p }(S3Port)
		S3Port = port
		t.Setenv("ITR_TEST_DYNAMODB_ENDPOINT", "http://127.0.0.1:1")
		t.Setenv("ITR_TEST_COGNITO_ENDPOINT", "http://127.0.0.1:1")
		start := time.Now()
		_, err := ensure()
		check(t, port, "ITR_TEST_S3_PORT", err, time.Since(start))
	})
	t.Run("stripe-mock", func(t *testing.T) {
		port := stalled(t)
		defer func(p int) { StripePort = p }(StripePort)
		StripePort = port
		start := time.Now()
		_, err := ensureStripe()
		check(t, port, "ITR_TEST_STRIPE_PORT", err, time.Since(start))
	})
	t.Run("mailpit", func(t *testing.T) {
		smtp, ui := stalled(t), stalled(t)
		defer func(s, u int) { SMTPPort, MailUIPort = s, u }(SMTPPort, MailUIPort)
		SMTPPort, MailUIPort = smtp, ui
		start := time.Now()
		_, err := ensureMail()
		check(t, ui, "ITR_TEST_MAIL_UI_PORT", err, time.Since(start))
	})
}

// The running services answer their health calls (what every other test
// binary of a run does before reusing them), and the data of a service
// started for the tests lives in a folder of its port, so a run on other
// ports never shares nor wipes it.
func TestTheSharedServicesAnswerAndKeepTheirDataPerPort(t *testing.T) {
	e := Endpoints(t)
	Mail(t)
	StripeMock(t)
	_, err := ensure()
	require.NoError(t, err, "healthy services are reused")
	require.NoError(t, reuse("mailpit", MailUIPort, "", httpAnswers(Mail(t).API+"/api/v1/info")))
	require.NoError(t, reuse("dynamodb", DynamoDBPort, "", dynamoDBAnswers(e.DynamoDB)))
	_, dir, unlock, err := lockServices()
	require.NoError(t, err)
	unlock()
	assert.DirExists(t, filepath.Join(dir, fmt.Sprintf("cognito-%d", CognitoPort)))
	assert.DirExists(t, filepath.Join(dir, fmt.Sprintf("s3-%d", S3Port)))
}
