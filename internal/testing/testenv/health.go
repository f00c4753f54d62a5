package testenv

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/awsx/awss3"
	"github.com/issuetracker/issuetracker/internal/cognito"
)

// healthTimeout bounds the real call that checks a service found running
// on a test port before the run reuses it: a stalled service (a stopped
// JVM, a process of another run wedged on its disk) fails the run at once
// instead of stalling every test that calls it.
var healthTimeout = 15 * time.Second

// serviceFile names a service's files in the test services' folder (its
// data folder, log and pid) after its port: two runs on other ports never
// share (nor wipe) each other's state.
func serviceFile(name string, port int) string { return fmt.Sprintf("%s-%d", name, port) }

// reuse checks the service found on port with call (a real request of its
// API), retried until healthTimeout; if it never answers, the error names
// the port, the process listening on it and how to get out of the way.
// Nothing is killed: the process may be another run's.
func reuse(service string, port int, env string, call func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	defer cancel()
	var err error
	for {
		attempt, stop := context.WithTimeout(ctx, 3*time.Second)
		err = call(attempt)
		stop()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: port %d is taken by %s, which did not answer as %s within %s (%v): "+
				"stop that process or move the tests' port (%s); the tests do not stop processes they did not start",
				service, port, PortOwner(port), service, healthTimeout, err, env)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// PortOwner describes the process listening on a local TCP port ("pid 123
// (java -jar DynamoDBLocal.jar ...)"), from /proc on Linux; "an unknown
// process" when it cannot tell.
func PortOwner(port int) string {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			// local_address rem_address st ... inode (field 9); st 0A is LISTEN
			if len(fs) < 10 || fs[3] != "0A" {
				continue
			}
			i := strings.LastIndexByte(fs[1], ':')
			if p, err := strconv.ParseInt(fs[1][i+1:], 16, 32); err == nil && int(p) == port {
				inodes["socket:["+fs[9]+"]"] = true
			}
		}
		fh.Close()
	}
	if len(inodes) > 0 {
		procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
		for _, fd := range procs {
			if l, err := os.Readlink(fd); err == nil && inodes[l] {
				pid := strings.Split(fd, "/")[2]
				cmd, _ := os.ReadFile("/proc/" + pid + "/cmdline")
				line := strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
				if len(line) > 160 {
					line = line[:160] + "..."
				}
				return fmt.Sprintf("pid %s (%s)", pid, line)
			}
		}
	}
	return "an unknown process (not one of this user's, or no /proc)"
}

// The calls that prove each service alive.

func dynamoDBAnswers(endpoint string) func(context.Context) error {
	return func(ctx context.Context) error {
		e := awsx.Endpoints{DynamoDB: endpoint}
		cfg, err := awsconfig.Load(ctx, e)
		if err != nil {
			return err
		}
		_, err = awsx.DynamoDB(cfg, e).ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)},
			func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
		return err
	}
}

func cognitoAnswers(endpoint string) func(context.Context) error {
	return func(ctx context.Context) error {
		e := awsx.Endpoints{Cognito: endpoint}
		cfg, err := awsconfig.Load(ctx, e)
		if err != nil {
			return err
		}
		_, err = cognito.NewClient(cfg, e).ListUserPools(ctx, &cognitoidentityprovider.ListUserPoolsInput{MaxResults: aws.Int32(1)},
			func(o *cognitoidentityprovider.Options) { o.RetryMaxAttempts = 1 })
		return err
	}
}

func s3Answers(endpoint string) func(context.Context) error {
	return func(ctx context.Context) error {
		e := awsx.Endpoints{S3: endpoint}
		cfg, err := awsconfig.Load(ctx, e)
		if err != nil {
			return err
		}
		_, err = awss3.New(cfg, e).ListBuckets(ctx, &s3.ListBucketsInput{}, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
		return err
	}
}

// httpAnswers GETs url and wants a 2xx.
func httpAnswers(url string, header ...string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			return fmt.Errorf("GET %s: %s", url, res.Status)
		}
		return nil
	}
}
