// Package benchseed seeds a tenant's issues straight into a table for the
// migration figures (make migration-bench, make copy-bench): seeding
// through the API would take longer than what they measure.
package benchseed

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/stretchr/testify/require"
)

// ItemsPerIssue is how many items Issues writes per issue.
const ItemsPerIssue = 5

// Issues writes n issues of tenantID into table, each as ItemsPerIssue
// items of its real shapes (issue, key alias, status change, activity
// entry, search posting).
func Issues(t testing.TB, db *dynamodb.Client, table, tenantID string, n int) {
	t.Helper()
	IssuesMarked(t, db, table, tenantID, n, "")
}

// IssuesMarked is Issues with every item carrying the migration mark of
// the write pass nonce (keylog.Marked; "": none, as the API writes them),
// so the change-stream consumers skip their records (keylog.ByMigration)
// instead of handling them: a tenant's consumers handled its old issues
// long before it moves, and handling 50,000 seeded records would take the
// local pollers longer than the migration measured. The migration drops
// the mark before comparing or hashing an item and its copy puts its own.
func IssuesMarked(t testing.TB, db *dynamodb.Client, table, tenantID string, n int, nonce string) {
	t.Helper()
	ctx := tenancy.WithTenant(context.Background(), tenantID)
	var reqs []types.WriteRequest
	flush := func() {
		for start := 0; start < len(reqs); start += 25 {
			pending := map[string][]types.WriteRequest{table: reqs[start:min(start+25, len(reqs))]}
			for len(pending) > 0 {
				out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
				require.NoError(t, err)
				pending = out.UnprocessedItems
			}
		}
		reqs = reqs[:0]
	}
	put := func(it map[string]types.AttributeValue) {
		if nonce != "" {
			it = keylog.Marked(it, nonce)
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
	}
	for i := range n {
		for _, it := range IssueItems(tenantID, i) {
			put(it)
		}
		if len(reqs) >= 500 {
			flush()
		}
	}
	flush()
}

// IssueItems is issue i of tenantID as ItemsPerIssue items of its real
// shapes (issue, key alias, status change, activity entry, search
// posting), unmarked: what Issues writes per issue (and cmd/ddblocal-bench).
func IssueItems(tenantID string, i int) []map[string]types.AttributeValue {
	p := schema.TenantKeyPrefix(tenantID)
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	iss := fmt.Sprintf("01BENCH%019d", i)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	return []map[string]types.AttributeValue{
		{"pk": s(p + "ISSUE#" + iss), "sk": s("ISSUE"), "entity": s("issue"), "id": s(iss),
			"title": s(fmt.Sprintf("Issue %d: the login page loads slowly on mobile", i)), "description": s(strings.Repeat("Steps to reproduce. ", 10)),
			"status": s("todo"), "priority": s("medium"), "created_at": s(now), "updated_at": s(now), "version": &types.AttributeValueMemberN{Value: "1"},
			"gsi1pk": s(p + "ISSUES"), "gsi1sk": s(now + "#" + iss)},
		{"pk": s(p + "ISSUEKEY#" + strconv.Itoa(1_000_001+i)), "sk": s("KEY"), "issue_id": s(iss)}, // clear of the keys the API hands out
		{"pk": s(p + "ISSUE#" + iss), "sk": s("HIST#" + now), "entity": s("status_change"), "to": s("todo"), "at": s(now)},
		{"pk": s(p + "ISSUE#" + iss), "sk": s("ACT#" + now), "entity": s("activity"), "action": s("created"), "at": s(now)},
		{"pk": s(p + "W#lo"), "sk": s("login#" + iss + "#I"), "issue_id": s(iss), "w": &types.AttributeValueMemberN{Value: "3"}},
	}
}

// LoadAverage is the machine's load average (1, 5, 15 minutes).
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
