package issueapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The words of the doomed issue: title, description and comments. Each is
// looked up in its own search partition after the delete.
var doomedWords = []string{"quokka", "migration", "crashes", "zebra", "stripes", "platypus", "wombat"}

// items returns the items of partition pk whose sort key begins with prefix
// and, when issueID is set, whose issue_id is issueID: the test reads the
// table by the documented key formats, not through the store.
func items(t *testing.T, w *world, pk, prefix, issueID string) []map[string]types.AttributeValue {
	t.Helper()
	in := &dynamodb.QueryInput{TableName: aws.String(w.table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}, ":p": &types.AttributeValueMemberS{Value: prefix}}}
	if issueID != "" {
		in.FilterExpression = aws.String("issue_id = :id")
		in.ExpressionAttributeValues[":id"] = &types.AttributeValueMemberS{Value: issueID}
	}
	if prefix == "" {
		in.KeyConditionExpression = aws.String("pk = :pk")
		delete(in.ExpressionAttributeValues, ":p")
	}
	var out []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(w.dir.DB, in)
	for p.HasMorePages() {
		res, err := p.NextPage(context.Background())
		require.NoError(t, err)
		out = append(out, res.Items...)
	}
	return out
}

// footprint counts every item of an issue, key family by key family.
func footprint(t *testing.T, w *world, i issue.Issue, label string) map[string]int {
	t.Helper()
	tp := "T#" + i.TenantID + "#"
	f := map[string]int{
		"issue":           len(items(t, w, tp+"ISSUE#"+i.ID, "ISSUE", "")),
		"comments":        len(items(t, w, tp+"ISSUE#"+i.ID, "COMMENT#", "")),
		"status history":  len(items(t, w, tp+"ISSUE#"+i.ID, "HIST#", "")),
		"activity":        len(items(t, w, tp+"ISSUE#"+i.ID, "ACT#", "")),
		"whole partition": len(items(t, w, tp+"ISSUE#"+i.ID, "", "")),
		"key alias":       len(items(t, w, tp+"ISSUEKEY#"+itoa(i.Number), "KEY", "")),
		"label use":       len(items(t, w, tp+"LABEL#"+label, "ISSUE#"+i.ID, "")),
		"purge marker":    len(items(t, w, tp+"PURGE", "ISSUE#"+i.ID, "")),
	}
	for _, word := range doomedWords {
		f["postings"] += len(items(t, w, tp+"W#"+word[:2], word+"#", i.ID))
	}
	return f
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func searchIDs(t *testing.T, w *world, q string) []string {
	t.Helper()
	p := list[issue.Hit](t, w.api.As(w.ann), "/v1/search?q="+url.QueryEscape(q))
	ids := []string{}
	for _, h := range p.Items {
		ids = append(ids, h.Issue.ID)
	}
	return ids
}

// busyIssue creates an issue with a label, a transition, an edit and a
// thread of comments, all carrying searchable words.
func busyIssue(t *testing.T, w *world, label, title string) issue.Issue {
	t.Helper()
	ann := w.api.As(w.ann)
	i := w.create(t, w.ann, map[string]any{"title": title, "description": "zebra stripes", "labels": []string{label}})
	res := ann.Do("POST", "/v1/issues/"+i.ID+"/transitions", map[string]any{"to": "in_progress"}, "If-Match", ifMatch(1))
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res = ann.Do("PATCH", "/v1/issues/"+i.ID, map[string]any{"priority": "high"}, "If-Match", ifMatch(2))
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var first issue.Comment
	res = ann.Do("POST", "/v1/issues/"+i.ID+"/comments", map[string]any{"body": "platypus seen here"})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	res.JSON(t, &first)
	res = w.api.As(w.bob).Do("POST", "/v1/issues/"+i.ID+"/comments", map[string]any{"body": "wombat as well", "parent_id": first.ID})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	return w.get(t, i.ID)
}

func (w *world) get(t *testing.T, id string) issue.Issue {
	t.Helper()
	res := w.api.As(w.ann).Do("GET", "/v1/issues/"+id, nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var i issue.Issue
	res.JSON(t, &i)
	i.TenantID = w.ann.TenantID // not in the API's body; the store keys on it
	return i
}

func TestDeletingAnIssueLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	bug := w.label(t, "bug")
	doomed := busyIssue(t, w, bug.ID, "Quokka migration crashes")
	other := busyIssue(t, w, bug.ID, "Quokka import")
	before := footprint(t, w, doomed, bug.ID)
	otherBefore := footprint(t, w, other, bug.ID)
	require.Equal(t, map[string]int{"issue": 1, "comments": 2, "status history": 2, "activity": 3, "whole partition": 8,
		"key alias": 1, "label use": 1, "purge marker": 0, "postings": 7}, before, "the doomed issue's footprint")
	require.ElementsMatch(t, []string{doomed.ID, other.ID}, searchIDs(t, w, "platypus"))

	res := w.api.As(w.ada).Do("DELETE", "/v1/issues/"+doomed.ID, nil, "If-Match", ifMatch(doomed.Version))
	require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))

	t.Run("no item of the deleted issue remains, in any key family", func(t *testing.T) {
		after := footprint(t, w, doomed, bug.ID)
		for family, n := range after {
			assert.Zero(t, n, family)
		}
	})
	t.Run("it answers 404 by id and by key, and so do its comments", func(t *testing.T) {
		for _, path := range []string{doomed.ID, doomed.Key, doomed.ID + "/comments", doomed.ID + "/history"} {
			code, _ := problem(t, w.api.As(w.ann).Do("GET", "/v1/issues/"+path, nil), http.StatusNotFound)
			assert.Equal(t, "issue_not_found", code, path)
		}
	})
	t.Run("search no longer finds it by its own words or its comments' words", func(t *testing.T) {
		for _, q := range []string{"quokka", "platypus", "wombat", "zebra"} {
			assert.Equal(t, []string{other.ID}, searchIDs(t, w, q), q)
		}
		assert.Empty(t, searchIDs(t, w, "migration"))
	})
	t.Run("the other issue is untouched", func(t *testing.T) {
		assert.Equal(t, otherBefore, footprint(t, w, other, bug.ID))
		assert.Equal(t, other, w.get(t, other.ID))
		assert.Len(t, list[issue.Comment](t, w.api.As(w.ann), "/v1/issues/"+other.ID+"/comments").Items, 2)
	})
	t.Run("no comment can land on the deleted issue", func(t *testing.T) {
		err := (&issuedb.Store{DB: w.dir.DB}).AddComment(context.Background(), tenancy.Scope{Table: w.table, TenantID: "acme"},
			issue.Comment{ID: "01JLATECOMMENT0000000000000", IssueID: doomed.ID, AuthorID: "ann", Body: "late"})
		assert.Equal(t, errs.KindNotFound, errs.As(err).Kind, "%v", err)
		assert.Zero(t, footprint(t, w, doomed, bug.ID)["whole partition"])
	})
	t.Run("its key is not reused", func(t *testing.T) {
		assert.Equal(t, "ACME-3", w.create(t, w.ann, map[string]any{"title": "next"}).Key)
	})
}

// A purge cut short by its budget (or a crash) keeps a marker; the next
// delete in the tenant, or PurgePending, finishes it.
func TestAnInterruptedPurgeIsFinishedLater(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	bug := w.label(t, "bug")
	ctx := context.Background()
	doomed := busyIssue(t, w, bug.ID, "Quokka migration crashes")
	short := &issuedb.Store{DB: w.dir.DB, PurgeBudget: 1}
	require.NoError(t, short.Delete(ctx, tenancy.Scope{Table: w.table, TenantID: "acme"}, doomed, time.Now()))

	left := footprint(t, w, doomed, bug.ID)
	assert.Zero(t, left["issue"], "the issue itself goes at once")
	assert.Zero(t, left["key alias"])
	assert.Positive(t, left["whole partition"], "the budget stopped the purge")
	assert.Equal(t, 1, left["purge marker"])
	code, _ := problem(t, w.api.As(w.ann).Do("GET", "/v1/issues/"+doomed.ID+"/comments", nil), http.StatusNotFound)
	assert.Equal(t, "issue_not_found", code)

	tests := []struct {
		name  string
		purge func(t *testing.T)
	}{
		{"the next delete in the tenant finishes the earlier purge", func(t *testing.T) {
			next := w.create(t, w.ann, map[string]any{"title": "short lived"})
			res := w.api.As(w.ada).Do("DELETE", "/v1/issues/"+next.ID, nil)
			require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.purge(t)
			for family, n := range footprint(t, w, doomed, bug.ID) {
				assert.Zero(t, n, family)
			}
			done, err := (&issuedb.Store{DB: w.dir.DB}).PurgePending(ctx, tenancy.Scope{Table: w.table, TenantID: "acme"}, "")
			require.NoError(t, err)
			assert.True(t, done, "no marker left")
		})
	}
}
