package testenv

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ownChild makes this test binary, re-run by
// TestAPackageWithItsOwnDynamoDBGetsOneAndStopsIt, a package whose TestMain
// runs RunWithOwnDynamoDB.
const ownChild = "ITR_TESTENV_OWN_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(ownChild) == "1" {
		os.Exit(RunWithOwnDynamoDB(m))
	}
	os.Exit(m.Run())
}

// TestOwnDynamoDBChild runs only in the child: it prints the endpoint its
// tests get and checks that it answers.
func TestOwnDynamoDBChild(t *testing.T) {
	if os.Getenv(ownChild) != "1" {
		t.Skip("run by TestAPackageWithItsOwnDynamoDBGetsOneAndStopsIt")
	}
	e := Endpoints(t)
	_, err := DynamoDB(t).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	fmt.Printf("dynamodb-endpoint %s\n", e.DynamoDB)
}

func TestAPackageWithItsOwnDynamoDBGetsOneAndStopsIt(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	shared := fmt.Sprintf("http://127.0.0.1:%d", DynamoDBPort)
	child := func(env ...string) string {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run", "^TestOwnDynamoDBChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), ownChild+"=1", "ITR_TEST_SHARED_DYNAMODB=", "ITR_TEST_DYNAMODB_ENDPOINT=")
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		m := regexp.MustCompile(`(?m)^dynamodb-endpoint (\S+)$`).FindSubmatch(out)
		require.NotNil(t, m, "%s", out)
		return string(m[1])
	}

	own := child()
	assert.NotEqual(t, shared, own, "a package with RunWithOwnDynamoDB got the shared DynamoDB Local")
	u, err := url.Parse(own)
	require.NoError(t, err)
	port, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	assert.True(t, localcloud.PortFree(port), "the package's own DynamoDB Local (%s) still listens after its tests ended", own)

	assert.Equal(t, shared, child("ITR_TEST_SHARED_DYNAMODB=1"), "ITR_TEST_SHARED_DYNAMODB=1 keeps the package on the shared one")
}
