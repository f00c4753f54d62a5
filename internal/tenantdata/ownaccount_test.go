package tenantdata_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// scans answers every Scan with one item named after the server, and
// records the tables it was asked for.
type scans struct {
	name   string
	mu     sync.Mutex
	tables []string
}

func (s *scans) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct{ TableName string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	s.mu.Lock()
	s.tables = append(s.tables, in.TableName)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	fmt.Fprintf(w, `{"Items":[{"pk":{"S":"from-%s"},"sk":{"S":"x"}}],"Count":1}`, s.name)
}

func client(t *testing.T, h http.Handler) *dynamodb.Client {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return dynamodb.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")},
		func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

// Offboarding reads the table of a Platinum tenant in an AWS account of
// its own with that account's client (the provisioning role's session);
// every other tenant's table with the platform's.
func TestATenantInItsOwnAccountIsReadWithItsAccountsClient(t *testing.T) {
	t.Parallel()
	platform, own := &scans{name: "platform"}, &scans{name: "initech-account"}
	s := tenantdata.Store{Platform: client(t, platform), OwnAccounts: map[string]*dynamodb.Client{"initech": client(t, own)}}
	ctx := context.Background()

	items, err := s.Items(ctx, tenant.Tenant{ID: "initech", Tier: tiers.Platinum, Table: "issuetracker-cell-2-tenant-initech"})
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, "from-initech-account", str(items[0]["pk"]))
	assert.Equal(t, []string{"issuetracker-cell-2-tenant-initech"}, own.tables)

	items, err = s.Items(ctx, tenant.Tenant{ID: "acme", Tier: tiers.Platinum, Table: "issuetracker-tenant-acme"})
	require.NoError(t, err)
	assert.Equal(t, "from-platform", str(items[0]["pk"]))
	assert.Equal(t, []string{"issuetracker-tenant-acme"}, platform.tables)
	assert.Len(t, own.tables, 1, "another tenant's table is not read in initech's account")
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
