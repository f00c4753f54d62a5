package localstacks_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/onboarding/localstacks"
)

type fake struct{ deployed, destroyed, started []string }

func (f *fake) Start(_ context.Context, id string) error {
	f.started = append(f.started, id)
	return nil
}

func (f *fake) Deploy(_ context.Context, id string) (map[string]string, error) {
	if id == "broken" {
		return nil, errors.New("synth failed: boom")
	}
	f.deployed = append(f.deployed, id)
	return map[string]string{"TableName": id + "-table", "UserPoolId": "pool", "UserPoolClientId": "client"}, nil
}

func (f *fake) Destroy(_ context.Context, id string) error {
	f.destroyed = append(f.destroyed, id)
	return nil
}

// A process's Client reaches the platform's deployer and gets its outputs
// and errors back.
func TestClientDrivesTheServedDeployer(t *testing.T) {
	f := &fake{}
	srv := httptest.NewServer(localstacks.Handler(f, f))
	defer srv.Close()
	c := localstacks.Client{URL: srv.URL + "/"}
	out, err := c.Deploy(context.Background(), "initech")
	require.NoError(t, err)
	assert.Equal(t, "initech-table", out["TableName"])
	require.NoError(t, c.Destroy(context.Background(), "initech"))
	assert.Equal(t, []string{"initech"}, f.deployed)
	assert.Equal(t, []string{"initech"}, f.destroyed)
	require.NoError(t, localstacks.Runs{URL: srv.URL}.Start(context.Background(), "initech"))
	assert.Equal(t, []string{"initech"}, f.started)
	_, err = c.Deploy(context.Background(), "broken")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "synth failed: boom")
}
