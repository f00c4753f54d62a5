package app_test

import (
	"os"
	"testing"

	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// TestMain runs the package's tests (the route tables, the tier
// migrations) on a DynamoDB Local of their own (testenv.RunWithOwnDynamoDB).
func TestMain(m *testing.M) { os.Exit(testenv.RunWithOwnDynamoDB(m)) }
