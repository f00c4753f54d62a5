package issuedb

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// Every attribute an issue item can carry, read back from DynamoDB Local
// by the direct decoder (Store.Get) and by the SDK's (SDKDecode, the load
// tool's raw phase): the same item, field by field, and the same issue.
func TestGetDecodesAnIssueItemAsTheSDKDoes(t *testing.T) {
	db, names := testenv.Tables(t)
	ctx := context.Background()
	sc := tenancy.Scope{Table: names.App(), TenantID: "direct"}
	at := time.Date(2026, 12, 2, 13, 4, 5, 123456789, time.UTC)
	est, yes := 8, true
	full := issueItem{
		PK: issuePK(sc.TenantID, "01JDIRECT0000000000000000A"), SK: skIssue,
		GSI1PK: "g1", GSI1SK: "s1", GSI2PK: "g2", GSI2SK: "s2", GSI3PK: "g3", GSI3SK: "s3", GSI4PK: "g4", GSI4SK: "s4",
		GSI5PK: "g5", GSI5SK: "s5", GSI6PK: "g6", GSI6SK: "s6", GSI7PK: "g7", GSI7SK: "s7", GSI8PK: "g8", GSI8SK: "s8",
		GSI9PK: "g9", GSI9SK: "s9", CycleID: "c1", Estimate: &est,
		Fields: map[string]any{"severity": "high", "points": 5.0, "customer": true, "none": nil,
			"tags": []any{"a", 2.5, false}, "nested": map[string]any{"k": "v"}},
		Entity: "issue", ID: "01JDIRECT0000000000000000A", Number: 1 << 40, Key: "APP-1099511627776",
		ProjectID: "p1", ParentID: "01JPARENT0000000000000000A", TenantID: sc.TenantID,
		Title: `Checkout "broken" on Safari \ é ✓`, Description: "line one\nline two\t<b>&</b>",
		IssueType: "bug", Priority: "high", Status: "in_progress", Category: "started",
		AssigneeID: "u1", TeamID: "t1", Labels: []string{"ui", "p1"},
		Mentions: []mentionItem{{Handle: "ann", UserID: "u2"}, {Handle: "bo", UserID: "u3"}},
		DueDate:  "2026-12-31", ReporterID: "u9", CreatedAt: at, UpdatedAt: at.Add(time.Minute),
		StartedAt: ptrTo(at.Add(2 * time.Minute)), ResolvedAt: ptrTo(at.Add(3 * time.Minute)), ClosedAt: ptrTo(at.Add(4 * time.Minute)),
		Version: 7, HasChildren: &yes, Terms: []string{"checkout:3", "safari:1"},
	}
	for i := range reflect.TypeFor[issueItem]().NumField() {
		require.False(t, reflect.ValueOf(full).Field(i).IsZero(), "every field is set: %s", reflect.TypeFor[issueItem]().Field(i).Name)
	}
	sparse := issueItem{PK: issuePK(sc.TenantID, "01JDIRECT0000000000000000B"), SK: skIssue, Entity: "issue",
		ID: "01JDIRECT0000000000000000B", TenantID: sc.TenantID, Title: "t", CreatedAt: at, UpdatedAt: at, Version: 1,
		GSI1PK: "g1", GSI1SK: "s1", GSI2PK: "g2", GSI2SK: "s2", GSI3PK: "g3", GSI3SK: "s3", GSI4PK: "g4", GSI4SK: "s4",
		GSI5PK: "g5", GSI5SK: "s5", GSI6PK: "g6", GSI6SK: "s6", GSI7PK: "g7", GSI7SK: "s7"}
	for _, it := range []issueItem{full, sparse} {
		m, err := attributevalue.MarshalMap(it)
		require.NoError(t, err)
		_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sc.Table), Item: m})
		require.NoError(t, err)

		var direct, sdk issueItem
		key := dynamo.Key(it.PK, it.SK)
		require.NoError(t, dynamo.GetItemDirect(ctx, db, sc.Table, key, &direct, "issue", errs.NotFound("issue")))
		require.NoError(t, dynamo.GetItem(ctx, db, sc.Table, key, &sdk, "issue", errs.NotFound("issue")))
		assert.Equal(t, sdk, direct)
		assert.True(t, it.CreatedAt.Equal(direct.CreatedAt))
		assert.Equal(t, it.Fields, direct.Fields)

		plain := Store{DB: db, SDKDecode: true}
		viaSDK, err := plain.Get(ctx, sc, it.ID)
		require.NoError(t, err)
		got, err := (&Store{DB: db}).Get(ctx, sc, it.ID)
		require.NoError(t, err)
		assert.Equal(t, viaSDK, got)
	}

	_, err := (&Store{DB: db}).Get(ctx, sc, "01JDIRECT0000000000000000C")
	assert.True(t, errs.Is(err, errs.KindNotFound), "%v", err)
	_, err = (&Store{DB: db}).Get(ctx, tenancy.Scope{Table: "no-such-table", TenantID: "direct"}, "01JDIRECT0000000000000000C")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ResourceNotFoundException")
}

func ptrTo[T any](v T) *T { return &v }
