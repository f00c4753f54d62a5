package localcloud_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestATakenPortIsASentenceNotAStackTrace(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	assert.False(t, localcloud.PortFree(port))

	root, _ := filepath.Abs("../..")
	if _, err := os.Stat(filepath.Join(root, "node_modules", "cognito-local")); err != nil {
		t.Skip("cognito-local not installed (make tools)")
	}
	_, err = localcloud.CognitoLocal(context.Background(), localcloud.Options{Root: root, Port: port})
	require.Error(t, err)
	assert.True(t, errors.Is(err, localcloud.ErrPortTaken))
	assert.Contains(t, err.Error(), "cognito-local wants port")
}

func TestMissingToolsSayHowToInstallThem(t *testing.T) {
	empty := t.TempDir()
	_, err := localcloud.DynamoDBLocal(context.Background(), localcloud.Options{Root: empty, Port: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "make tools")
	_, err = localcloud.CognitoLocal(context.Background(), localcloud.Options{Root: empty, Port: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "make tools")
}

func TestMissingJavaIsNamed(t *testing.T) {
	root, _ := filepath.Abs("../..")
	if _, err := os.Stat(filepath.Join(root, ".local", "dynamodb-local", "DynamoDBLocal.jar")); err != nil {
		t.Skip("DynamoDB Local not installed (make tools)")
	}
	t.Setenv("PATH", t.TempDir())
	_, err := localcloud.DynamoDBLocal(context.Background(), localcloud.Options{Root: root, Port: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "java was not found")
}
