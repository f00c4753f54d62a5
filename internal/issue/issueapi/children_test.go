package issueapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/oklog/ulid/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A GET of an issue that never had a sub-issue is one read; the roll-up
// Query runs only for an issue that had one (the has-children flag).
func TestALeafIsOneReadAndAParentAddsItsRollUp(t *testing.T) {
	t.Parallel()
	api, m, u := meteredWorld(t)
	ann := api.As(u["ann"])
	create := func(body string) issue.Issue {
		res := ann.Do("POST", "/v1/issues", body)
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		var i issue.Issue
		res.JSON(t, &i)
		return i
	}
	get := func(id string) (issue.Issue, int64) {
		m.reset()
		res := ann.Do("GET", "/v1/issues/"+id, nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var i issue.Issue
		res.JSON(t, &i)
		return i, m.calls.Load()
	}
	leaf := create(`{"title":"A leaf"}`)
	got, calls := get(leaf.ID)
	assert.EqualValues(t, 1, calls, "a leaf: its GetItem only")
	assert.Nil(t, got.Progress)

	parent := create(`{"title":"An epic"}`)
	child := create(`{"title":"A step","parent_id":"` + parent.ID + `"}`)
	got, calls = get(parent.ID)
	assert.EqualValues(t, 2, calls, "a parent: its GetItem and the roll-up Query")
	require.NotNil(t, got.Progress)
	assert.Equal(t, 1, got.Progress.Total)

	// A sub-issue linked by an update flags its new parent too.
	other := create(`{"title":"Another epic"}`)
	res := ann.Do("PATCH", "/v1/issues/"+child.ID, `{"parent_id":"`+other.ID+`"}`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	got, _ = get(other.ID)
	require.NotNil(t, got.Progress)
	assert.Equal(t, 1, got.Progress.Total)
	got, calls = get(parent.ID)
	assert.EqualValues(t, 2, calls, "the flag stays after the last sub-issue left")
	assert.Nil(t, got.Progress, "and the roll-up finds none")
}

// The parent's own write replaces its whole item: one that read the issue
// before its first sub-issue was linked must not clear the flag (it is
// repeated with it), and a stale version is still a 412.
func TestAFirstSubIssueSurvivesAConcurrentEditOfItsParent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	store := &issuedb.Store{DB: w.dir.DB}
	sc := w.ann.Scope()
	parent := w.create(t, w.ann, map[string]any{"title": "Epic"})
	read, err := store.Get(ctx, sc, parent.ID)
	require.NoError(t, err)
	require.NotNil(t, read.HasChildren)
	require.False(t, *read.HasChildren)

	w.create(t, w.ann, map[string]any{"title": "Step", "parent_id": parent.ID}) // after the read

	edited := read
	edited.Title, edited.Version, edited.UpdatedAt = "Epic, renamed", read.Version+1, time.Now().UTC()
	act := issue.Activity{ID: ulid.Make().String(), IssueID: parent.ID, ActorID: "ann", At: edited.UpdatedAt, Action: "updated"}
	require.NoError(t, store.Update(ctx, sc, read, edited, act, nil, nil))

	var got issue.Issue
	w.api.As(w.ann).Do("GET", "/v1/issues/"+parent.ID, nil).JSON(t, &got)
	assert.Equal(t, "Epic, renamed", got.Title)
	require.NotNil(t, got.Progress, "the sub-issue still rolls up")
	assert.Equal(t, 1, got.Progress.Total)

	act.ID = ulid.Make().String()
	err = store.Update(ctx, sc, read, edited, act, nil, nil)
	assert.True(t, errs.Is(err, errs.KindPreconditionFailed), "a stale version: %v", err)
}

// An issue stored before the flag existed (no has_children attribute) is
// read with its roll-up as before, and a parent deleted between the check
// and the write of a sub-issue is the same 400 as an unknown one.
func TestIssuesWithoutTheFlagAndVanishedParents(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	parent := w.create(t, w.ann, map[string]any{"title": "Old epic"})
	w.create(t, w.ann, map[string]any{"title": "Old step", "parent_id": parent.ID})
	_, err := w.dir.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(w.table),
		Key:              dynamo.Key(schema.TenantKeyPrefix("acme")+"ISSUE#"+parent.ID, "ISSUE"),
		UpdateExpression: aws.String("REMOVE has_children")})
	require.NoError(t, err)
	var got issue.Issue
	w.api.As(w.ann).Do("GET", "/v1/issues/"+parent.ID, nil).JSON(t, &got)
	require.NotNil(t, got.Progress)
	assert.Equal(t, 1, got.Progress.Total)

	// Written over by an edit made before the flag existed, it keeps none.
	res := w.api.As(w.ann).Do("PATCH", "/v1/issues/"+parent.ID, map[string]any{"title": "Old epic, renamed"})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	w.api.As(w.ann).Do("GET", "/v1/issues/"+parent.ID, nil).JSON(t, &got)
	require.NotNil(t, got.Progress)

	// The store's own check: the parent is gone by the time of the write.
	orphan := issue.Issue{ID: ulid.Make().String(), TenantID: "acme", ProjectID: issue.DefaultProjectID, Number: 999,
		Key: "ACME-999", Title: "Orphan", ParentID: ulid.Make().String(), Status: "open", Category: issue.Unstarted,
		Type: "task", Priority: "medium", ReporterID: "ann", CreatedAt: time.Now(), UpdatedAt: time.Now(), Version: 1}
	err = (&issuedb.Store{DB: w.dir.DB}).Create(ctx, w.ann.Scope(), orphan,
		issue.StatusChange{ID: ulid.Make().String(), IssueID: orphan.ID, To: "open", At: orphan.CreatedAt},
		issue.Activity{ID: ulid.Make().String(), IssueID: orphan.ID, ActorID: "ann", At: orphan.CreatedAt, Action: "created"})
	require.Error(t, err)
	assert.True(t, errs.Is(err, errs.KindInvalid), "%v", err)
	_, err = (&issuedb.Store{DB: w.dir.DB}).Get(ctx, w.ann.Scope(), orphan.ID)
	assert.True(t, errs.Is(err, errs.KindNotFound), "nothing was written")
}

// A new issue reads its project and the project's workflow in one round
// trip (BatchGetItem), then takes its number and writes: 3 in all (4 for a
// project given by key), in the default project and in one with its own workflow, whose first status it
// starts in; an archived project is still refused.
func TestCreatingAnIssueCostsThreeRoundTrips(t *testing.T) {
	t.Parallel()
	api, m, u := meteredWorld(t)
	ann, ada := api.As(u["ann"]), api.As(u["ada"])
	res := ada.Do("POST", "/v1/projects", `{"key":"SHIP","name":"Shipping"}`)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	ship := res.Map(t)["id"].(string)
	st := func(id, name, cat string, next ...string) map[string]any {
		return map[string]any{"status": id, "name": name, "category": cat, "next": next}
	}
	res = ada.Do("PUT", "/v1/projects/SHIP/workflow", map[string]any{"statuses": []any{
		st("todo", "Todo", "unstarted", "doing"), st("doing", "Doing", "started", "shipped"),
		st("shipped", "Shipped", "completed", "todo")}})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	for _, c := range []struct {
		body, status string
		calls        int64
	}{
		{`{"title":"In the default project"}`, "open", 3},
		{`{"title":"Shipping","project_id":"` + ship + `"}`, "todo", 3},
		{`{"title":"Shipping by key","project_id":"SHIP"}`, "todo", 4}, // + the key's claim
	} {
		m.reset()
		res := ann.Do("POST", "/v1/issues", c.body)
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		assert.Equal(t, c.calls, m.calls.Load(), c.body)
		assert.Equal(t, c.status, res.Map(t)["status"], c.body)
	}
	// With an Idempotency-Key the key is claimed and the answer stored by
	// the create's own transaction: still 3 (it was 4 when a PutItem stored
	// the answer afterwards), and a retry is answered from that record.
	m.reset()
	keyed := ann.Do("POST", "/v1/issues", `{"title":"Keyed"}`, "Idempotency-Key", "rt-1")
	require.Equal(t, http.StatusCreated, keyed.Status, string(keyed.Body))
	assert.Equal(t, int64(3), m.calls.Load(), "a keyed create")
	again := ann.Do("POST", "/v1/issues", `{"title":"Keyed"}`, "Idempotency-Key", "rt-1")
	require.Equal(t, http.StatusCreated, again.Status, string(again.Body))
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, string(keyed.Body), string(again.Body))
	assert.Equal(t, keyed.Header.Get("ETag"), again.Header.Get("ETag"))
	assert.Equal(t, keyed.Header.Get("Location"), again.Header.Get("Location"))
	id := keyed.Map(t)["id"].(string)
	m.reset()
	c := ann.Do("POST", "/v1/issues/"+id+"/comments", `{"body":"Keyed too"}`, "Idempotency-Key", "rt-2")
	require.Equal(t, http.StatusCreated, c.Status, string(c.Body))
	keyedComment := m.calls.Load()
	m.reset()
	plain := ann.Do("POST", "/v1/issues/"+id+"/comments", `{"body":"Not keyed"}`)
	require.Equal(t, http.StatusCreated, plain.Status, string(plain.Body))
	assert.Equal(t, m.calls.Load(), keyedComment, "a keyed comment costs what a plain one does")
	c2 := ann.Do("POST", "/v1/issues/"+id+"/comments", `{"body":"Keyed too"}`, "Idempotency-Key", "rt-2")
	assert.Equal(t, string(c.Body), string(c2.Body))
	assert.Equal(t, c.Header.Get("Location"), c2.Header.Get("Location"))

	res = ada.Do("PATCH", "/v1/projects/SHIP", `{"archived":true}`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res = ann.Do("POST", "/v1/issues", `{"title":"Too late","project_id":"SHIP"}`)
	assert.Equal(t, http.StatusUnprocessableEntity, res.Status, string(res.Body))
}
