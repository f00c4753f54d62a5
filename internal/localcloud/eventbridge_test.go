package localcloud_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/eventbus"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/onboarding/runbus"
	"github.com/issuetracker/issuetracker/internal/stackevents"
)

// The hand-signed PutEvents (awsx/eventbus), as a lifecycle function
// process has it (runbus.Driver), puts its run request on the local bus: the bus,
// source, detail type and detail arrive; an entry the bus refuses is the
// driver's error, as a failed entry is in AWS.
func TestTheLocalEventBridgeTakesTheFunctionsPutEvents(t *testing.T) {
	var got []localcloud.Event
	var refuse error
	srv := httptest.NewServer(localcloud.EventBridge(func(e localcloud.Event) (string, error) {
		if refuse != nil {
			return "", refuse
		}
		got = append(got, e)
		return localcloud.NewEventID(), nil
	}))
	defer srv.Close()
	cfg := awsx.LocalConfig()
	cfg.BaseEndpoint = aws.String(srv.URL)
	c := eventbus.Client{Config: cfg}
	d := runbus.Driver{Events: c, Bus: "it-issuetracker"}
	require.NoError(t, d.Start(context.Background(), "acme"))
	require.Len(t, got, 1)
	assert.Equal(t, "it-issuetracker", got[0].Bus)
	assert.Equal(t, stackevents.SourceLifecycle, got[0].Source)
	assert.Equal(t, stackevents.DetailTypeRunRequested, got[0].DetailType)
	assert.JSONEq(t, `{"tenantId":"acme"}`, got[0].Detail)
	assert.False(t, got[0].Time.IsZero())

	refuse = errors.New("no rule")
	err := d.Start(context.Background(), "acme")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no rule")
}
