package lifecyclewire_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app/lifecyclewire"
	"github.com/issuetracker/issuetracker/internal/awsx/eventbus"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// A Platinum tenant's move to cell-2 in AWS (docs/scale.md, piece 2): its
// stack there is requested on cell-2's bus (named by its prefix, as the
// grant MoveRequestsTenantStacksInOtherCells allows) and followed under
// cell-2's stack name, never this cell's.
func TestAPlatinumMoveRequestsItsStackOnTheOtherCellsBus(t *testing.T) {
	var (
		mu     sync.Mutex
		puts   []string
		stacks []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("X-Amz-Target") == "AWSEvents.PutEvents" {
			puts = append(puts, string(b))
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			_, _ = io.WriteString(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}`)
			return
		}
		form, _ := url.ParseQuery(string(b))
		stacks = append(stacks, form.Get("StackName"))
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id `+
			form.Get("StackName")+` does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>`)
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}
	require.NotNil(t, lifecyclewire.AWSSteps.CellPlatinum)
	prov := lifecyclewire.AWSSteps.CellPlatinum(cfg, &eventbus.Client{Config: cfg}, cells.Peer{ID: "cell-2", Prefix: "issuetracker-cell-2"}, "https://cognito-idp.us-east-1.amazonaws.com")

	_, err := prov.Provision(context.Background(), tenant.Tenant{ID: "umbrella"})
	assert.ErrorIs(t, err, onboarding.ErrWaiting, "requested; the move waits for cell-2's pipeline")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"IssueTracker-cell-2-Tenant-umbrella"}, stacks, "cell-2's name of the stack")
	require.Len(t, puts, 1)
	assert.Contains(t, puts[0], `"EventBusName":"issuetracker-cell-2"`)
	assert.NotContains(t, puts[0], `"EventBusName":"issuetracker"`)
	assert.Contains(t, puts[0], "umbrella")
}
