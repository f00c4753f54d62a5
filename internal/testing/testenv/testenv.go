// Package testenv gives integration tests the real local services: DynamoDB
// Local, cognito-local and the local S3 (versitygw). It reuses services
// already running on the test ports (or named by ITR_TEST_DYNAMODB_ENDPOINT /
// ITR_TEST_COGNITO_ENDPOINT / ITR_TEST_S3_ENDPOINT), and otherwise starts
// them once, detached, for every test binary of the run to share (a file
// lock keeps parallel packages from racing). `make test` stops them at the
// end. Each test gets tables and buckets with a unique prefix.
//
// A service found on a test port is reused only after it answers a real
// call (ListTables, ListUserPools, ListBuckets, mailpit's info, a Stripe
// list) within a short timeout; otherwise the run fails at once naming the
// port and the process on it, which is left alone. Each service's files
// (data, log, pid) in .local/test-services are named after its port.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/awsx/awss3"
	"github.com/issuetracker/issuetracker/internal/awsx/s3signed"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Test ports differ from `make dev`'s (8000, 9229) so tests never touch dev
// data. ITR_TEST_DYNAMODB_PORT and ITR_TEST_COGNITO_PORT move them, so two
// checkouts can run their tests side by side without sharing services.
var (
	DynamoDBPort = envPort("ITR_TEST_DYNAMODB_PORT", 8010)
	CognitoPort  = envPort("ITR_TEST_COGNITO_PORT", 9239)
	// S3Port is the tests' versitygw (make dev: 4569; the web suite: 4571).
	S3Port = envPort("ITR_TEST_S3_PORT", 4573)
)

func envPort(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

var (
	once      sync.Once
	endpoints awsx.Endpoints
	onceErr   error
)

// Root is the repository root (localcloud.RepoRoot).
func Root() (string, error) { return localcloud.RepoRoot() }

// Endpoints starts or reuses the services and returns their endpoints.
func Endpoints(t testing.TB) awsx.Endpoints {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	once.Do(func() { endpoints, onceErr = ensure() })
	if onceErr != nil {
		t.Fatalf("local services: %v", onceErr)
	}
	return endpoints
}

func ensure() (awsx.Endpoints, error) {
	e := awsx.Endpoints{
		DynamoDB: os.Getenv("ITR_TEST_DYNAMODB_ENDPOINT"),
		Cognito:  os.Getenv("ITR_TEST_COGNITO_ENDPOINT"),
		S3:       os.Getenv("ITR_TEST_S3_ENDPOINT"),
	}
	if e.DynamoDB != "" && e.Cognito != "" && e.S3 != "" {
		return e, nil
	}
	root, dir, unlock, err := lockServices()
	if err != nil {
		return e, err
	}
	defer unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if e.DynamoDB == "" && ownDynamoDB.wanted {
		e.DynamoDB = startOwnDynamoDB(ctx, dir, root)
	}
	if e.DynamoDB == "" {
		e.DynamoDB = fmt.Sprintf("http://127.0.0.1:%d", DynamoDBPort)
		if err := startOrReuse(dir, "dynamodb", DynamoDBPort, "ITR_TEST_DYNAMODB_PORT", dynamoDBAnswers(e.DynamoDB), func(o localcloud.Options) (*localcloud.Process, error) {
			o.Port = DynamoDBPort
			return localcloud.DynamoDBLocal(ctx, o)
		}, root); err != nil {
			return e, err
		}
	}
	if e.Cognito == "" {
		e.Cognito = fmt.Sprintf("http://localhost:%d", CognitoPort)
		if err := startOrReuse(dir, "cognito", CognitoPort, "ITR_TEST_COGNITO_PORT", cognitoAnswers(e.Cognito), func(o localcloud.Options) (*localcloud.Process, error) {
			o.Port = CognitoPort
			o.DataDir = filepath.Join(dir, serviceFile("cognito", CognitoPort))
			_ = os.RemoveAll(o.DataDir) // test pools are throwaway
			return localcloud.CognitoLocal(ctx, o)
		}, root); err != nil {
			return e, err
		}
	}
	if e.S3 == "" {
		e.S3 = fmt.Sprintf("http://127.0.0.1:%d", S3Port)
		if err := startOrReuse(dir, "s3", S3Port, "ITR_TEST_S3_PORT", s3Answers(e.S3), func(o localcloud.Options) (*localcloud.Process, error) {
			o.Port = S3Port
			o.DataDir = filepath.Join(dir, serviceFile("s3", S3Port))
			_ = os.RemoveAll(o.DataDir) // test buckets are throwaway
			return localcloud.S3(ctx, o)
		}, root); err != nil {
			return e, err
		}
	}
	return e, nil
}

// startOrReuse starts the service on port when the port is free, and
// otherwise reuses what answers there once it has answered a real call
// (reuse): started by another test binary of this run, or left running.
func startOrReuse(dir, name string, port int, env string, answers func(context.Context) error, run func(localcloud.Options) (*localcloud.Process, error), root string) error {
	if !localcloud.PortFree(port) {
		return reuse(name, port, env, answers)
	}
	return startDetached(context.Background(), dir, serviceFile(name, port), run, root)
}

// startDetached starts a service that outlives this test binary, so the
// other packages of the run reuse it; its pid is kept for `make test` to stop.
func startDetached(ctx context.Context, dir, name string, run func(localcloud.Options) (*localcloud.Process, error), root string) error {
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	p, err := run(localcloud.Options{Root: root, Log: logf})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".pid"), []byte(fmt.Sprint(p.Pid())), 0o644)
}

// AWS returns an SDK config for the local services.
func AWS(t testing.TB) (aws.Config, awsx.Endpoints) {
	e := Endpoints(t)
	cfg, err := awsconfig.Load(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, e
}

// DynamoDB returns a client of the test DynamoDB Local.
func DynamoDB(t testing.TB) *dynamodb.Client {
	cfg, e := AWS(t)
	return awsx.DynamoDB(cfg, e)
}

// Cognito returns a client of the test cognito-local.
func Cognito(t testing.TB) *cognitoidentityprovider.Client {
	cfg, e := AWS(t)
	return cognito.NewClient(cfg, e)
}

// S3 returns a client of the local S3 (path-style).
func S3(t testing.TB) *s3.Client {
	cfg, e := AWS(t)
	return awss3.New(cfg, e)
}

// SignedS3 is the hand-signed S3 calls (s3signed) on the local S3.
func SignedS3(t testing.TB) s3signed.Client {
	cfg, e := AWS(t)
	return s3signed.Client{Config: cfg, Endpoint: e.S3}
}

// Bucket creates a bucket with a unique name on the local S3 and returns
// its name; it is emptied and deleted when the test ends.
func Bucket(t testing.TB) string {
	t.Helper()
	name := UniquePrefix(t) + "-exports"
	c := S3(t)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	t.Cleanup(func() { DeleteBucket(c, name) })
	return name
}

// DeleteBucket empties and deletes a bucket of the local S3, best effort.
func DeleteBucket(c *s3.Client, name string) {
	ctx := context.Background()
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			break
		}
		for _, o := range page.Contents {
			_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: o.Key})
		}
	}
	_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
}

// UniquePrefix is a table-name prefix no other test or run uses.
func UniquePrefix(t testing.TB) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return "t" + hex.EncodeToString(b)
}

// Tables creates the application and control tables under a unique prefix
// and deletes them when the test ends.
//
// The tables publish no change stream: DynamoDB Local writes an item two to
// four times faster without one (measured on this repository's schema), and
// only the consumers' tests read it. Those use StreamTables.
func Tables(t testing.TB) (*dynamodb.Client, schema.Names) {
	t.Helper()
	return tables(t, false)
}

// DirectoryTable creates a global tenant directory table (schema.Directory)
// of this test, deleted after it, and returns its name.
func DirectoryTable(t testing.TB) string {
	t.Helper()
	db := DynamoDB(t)
	name := schema.Names{Prefix: UniquePrefix(t)}.Directory()
	if err := dynamo.EnsureTable(context.Background(), db, schema.Directory, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dynamo.DeleteTable(context.Background(), db, name) })
	return name
}

// StreamTables is Tables with the schema's change streams, for the tests of
// stream consumers (the analytics and activity consumers, the poller).
func StreamTables(t testing.TB) (*dynamodb.Client, schema.Names) {
	t.Helper()
	return tables(t, true)
}

func tables(t testing.TB, streams bool) (*dynamodb.Client, schema.Names) {
	t.Helper()
	db := DynamoDB(t)
	names := schema.Names{Prefix: UniquePrefix(t)}
	ctx := context.Background()
	for _, tb := range []struct {
		def  schema.Table
		name string
	}{{schema.App, names.App()}, {schema.Control, names.Control()}} {
		if !streams {
			tb.def.Stream = ""
		}
		if err := dynamo.EnsureTable(ctx, db, tb.def, tb.name); err != nil {
			t.Fatal(err)
		}
		name := tb.name
		t.Cleanup(func() { _ = dynamo.DeleteTable(context.Background(), db, name) })
	}
	return db, names
}

// lockServices takes the lock of the test services' folder
// (.local/test-services), which every test binary of a run shares: one
// starts a service, the others find it running. It returns the repository
// root, the folder and the unlock.
func lockServices() (root, dir string, unlock func(), err error) {
	if root, err = Root(); err != nil {
		return "", "", nil, err
	}
	dir = filepath.Join(root, ".local", "test-services")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", nil, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", "", nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		lock.Close()
		return "", "", nil, err
	}
	return root, dir, func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN); lock.Close() }, nil
}

// PrivateDynamoDB starts a DynamoDB Local of the test's own (in memory, on
// a free port, stopped when the test ends) and returns its client. For
// the few tests whose operations the shared instance makes slow when the
// whole suite writes to it: adding a global secondary index to a table
// takes a second alone and up to a minute or more on the shared instance
// under the suite's load. It costs a JVM start (seconds). When that JVM
// is not ready within localcloud's start-up minute (a machine far beyond
// its cores), the test runs on the shared instance instead: slower, the
// same assertions.
func PrivateDynamoDB(t testing.TB) *dynamodb.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p, _, err := localcloud.OnFreePorts(1, func(port int) (*localcloud.Process, error) {
		return localcloud.DynamoDBLocal(ctx, localcloud.Options{Root: root, Port: port})
	})
	if err != nil {
		t.Logf("private DynamoDB Local: %v; using the shared one", err)
		return DynamoDB(t)
	}
	t.Cleanup(p.Stop)
	e := awsx.Endpoints{DynamoDB: p.Endpoint}
	cfg, err := awsconfig.Load(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return awsx.DynamoDB(cfg, e)
}

// ownDynamoDB is the DynamoDB Local of a test binary whose TestMain runs
// RunWithOwnDynamoDB.
var ownDynamoDB struct {
	wanted bool
	p      *localcloud.Process
}

// RunWithOwnDynamoDB runs a package's tests (its TestMain calls it in place
// of m.Run) with a DynamoDB Local of the test binary's own instead of the
// run's shared one: started on free ports when a test first asks for the
// services, in memory, and stopped when the tests end (and killed with the
// binary if it dies). cognito-local, the local S3, mailpit and stripe-mock
// are still the shared ones.
//
// For the heaviest packages (internal/app, internal/devstack): one DynamoDB
// Local shared by the whole first pass slows as it fills and ages (the same
// tests of internal/app took 110 s on a fresh one and 459 s on an
// hour-old one), and it serves every package at once; a package of its own
// meets a fresh one and leaves the shared one to the rest
// (docs/performance.md, "make test's time, seventh pass").
//
// ITR_TEST_SHARED_DYNAMODB=1 (or ITR_TEST_DYNAMODB_ENDPOINT) keeps such a
// package on the shared one. When the JVM does not start (a machine far
// beyond its cores), the tests use the shared one: slower, the same
// assertions.
func RunWithOwnDynamoDB(m *testing.M) int {
	ownDynamoDB.wanted = os.Getenv("ITR_TEST_SHARED_DYNAMODB") != "1"
	code := m.Run()
	ownDynamoDB.p.Stop()
	return code
}

// startOwnDynamoDB starts the binary's own DynamoDB Local and returns its
// endpoint, or "" (the shared one) when it did not start. Its log is
// .local/test-services/dynamodb-own-<test binary>.log (app.test, ...).
func startOwnDynamoDB(ctx context.Context, dir, root string) string {
	logf, err := os.Create(filepath.Join(dir, "dynamodb-own-"+filepath.Base(os.Args[0])+".log"))
	if err != nil {
		return ""
	}
	defer logf.Close()
	p, _, err := localcloud.OnFreePorts(1, func(port int) (*localcloud.Process, error) {
		return localcloud.DynamoDBLocal(ctx, localcloud.Options{Root: root, Port: port, Log: logf, DieWithParent: true})
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: own DynamoDB Local: %v; using the shared one\n", err)
		return ""
	}
	ownDynamoDB.p = p
	return p.Endpoint
}
