package projectapi_test

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/cycle"
	"github.com/issuetracker/issuetracker/internal/imports"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/view"
	"github.com/issuetracker/issuetracker/internal/view/viewapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIssue12DoneWhen walks issue 12's "done when" through the HTTP API, as
// a new team would: existing ACME-n issues, two projects, a workflow with a
// custom status, a CSV import of 200 issues (the preview shows the bad rows
// first), a cycle, sub-issues, a blocking relation, a saved view, a bulk
// move of 50 issues, the view exported as CSV and JSON, and the old ACME-n
// keys still resolving. Only the API is driven (it is what is tested).
//
// make test imports 60 good rows (enough for the cycle and the bulk move of
// 50); ITR_WALKTHROUGH_ROWS=200 (make walkthrough) imports the issue's 200.
func TestIssue12DoneWhen(t *testing.T) {
	start := time.Now()
	good := 60
	if n, err := strconv.Atoi(os.Getenv("ITR_WALKTHROUGH_ROWS")); err == nil && n >= 60 {
		good = n
	}
	w := newWorld(t)
	ann, ada := w.api.As(w.ann), w.api.As(w.ada)

	// Issues filed before projects existed: ACME-1..3 in the default project.
	legacy := []issue.Issue{
		w.issue(t, w.ann, map[string]any{"title": "Legacy one"}),
		w.issue(t, w.ann, map[string]any{"title": "Legacy two"}),
		w.issue(t, w.ann, map[string]any{"title": "Legacy three"}),
	}
	require.Equal(t, "ACME-3", legacy[2].Key)

	t.Logf("step 1 at %s", time.Since(start).Round(time.Millisecond))
	// 1. Two projects.
	web := w.project(t, w.ada, "WEB", "Website")
	mob := w.project(t, w.ada, "MOB", "Mobile")

	t.Logf("step 2 at %s", time.Since(start).Round(time.Millisecond))
	// 2. A workflow with a custom status (QA, between Doing and Shipped).
	res := ada.Do("PUT", "/v1/projects/WEB/workflow", map[string]any{"statuses": []any{
		st("todo", "Todo", "unstarted", "doing", "dropped"),
		st("doing", "Doing", "started", "todo", "qa", "dropped"),
		st("qa", "QA", "started", "doing", "shipped"),
		st("shipped", "Shipped", "completed", "todo"),
		st("dropped", "Dropped", "canceled", "todo"),
	}})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))

	t.Logf("step 3 at %s", time.Since(start).Round(time.Millisecond))
	// 3. A CSV import of `good` issues (Jira columns) with 3 bad rows: the
	// preview names them and creates nothing; the run imports the rest.
	var b strings.Builder
	b.WriteString("Summary,Issue key,Issue Type,Status,Priority,Description\n")
	for n := 1; n <= good+3; n++ {
		switch n {
		case 7:
			fmt.Fprintf(&b, "Row %d,JRA-%d,Bug,Limbo,High,\n", n, n) // unknown status
		case 30:
			fmt.Fprintf(&b, ",JRA-%d,Task,To Do,Low,\n", n) // no summary
		case 45:
			fmt.Fprintf(&b, "Row %d,JRA-%d,Task,To Do,Whenever,\n", n, n) // unknown priority
		default:
			fmt.Fprintf(&b, "Imported %d,JRA-%d,Story,To Do,Medium,from Jira\n", n, n)
		}
	}
	file := b.String()
	sum := sha256.Sum256([]byte(file))
	job := decode[imports.Job](t, ada.Do("POST", "/v1/imports", map[string]any{"filename": "jira.csv", "size": len(file),
		"sha256": hex.EncodeToString(sum[:]), "parts": 1}), http.StatusCreated)
	// One spelling per part: 00 and +0 wrote part 0 too until audit11.
	for _, part := range []string{"00", "+0", "-0"} {
		res := ada.Do("PUT", "/v1/imports/"+job.ID+"/parts/"+part, map[string]any{"data": "x"})
		require.Equal(t, http.StatusBadRequest, res.Status, "part %s: %s", part, res.Body)
	}
	require.Equal(t, []int{0}, decode[imports.Job](t, ada.Do("GET", "/v1/imports/"+job.ID, nil), http.StatusOK).Missing, "nothing written")
	require.Equal(t, http.StatusNoContent, ada.Do("PUT", "/v1/imports/"+job.ID+"/parts/0", map[string]any{"data": file}).Status)
	pv := decode[imports.Preview](t, ada.Do("POST", "/v1/imports/"+job.ID+"/preview", nil), http.StatusOK)
	assert.Equal(t, []int{good + 3, good, 3}, []int{pv.Rows, pv.Valid, pv.Invalid})
	var bad []string
	for _, e := range pv.Errors {
		bad = append(bad, fmt.Sprintf("%d %s %s", e.Row, e.Key, e.Field))
	}
	assert.Equal(t, []string{"7 JRA-7 status", "30 JRA-30 title", "45 JRA-45 priority"}, bad)
	assert.Len(t, list1[issue.Issue](t, ann, "/v1/issues?limit=100").Items, 3, "a preview creates nothing")
	for job.State != imports.Done {
		job = decode[imports.Job](t, ada.Do("POST", "/v1/imports/"+job.ID+"/run", nil), http.StatusOK)
	}
	assert.Equal(t, []int{good, 3}, []int{job.Created, job.Failed})
	imported := allIssues(t, ann, "/v1/issues?sort=created&order=asc&limit=100")
	require.Len(t, imported, good+3)
	imported = imported[3:] // after the legacy three

	t.Logf("step 4 at %s", time.Since(start).Round(time.Millisecond))
	// 4. Plan a cycle of WEB with 10 issues (moved there first).
	first := bulk(t, ann, imported[:10], map[string]any{"project_id": "WEB"})
	require.Len(t, first, 10)
	c := decode[cycle.Cycle](t, ada.Do("POST", "/v1/cycles", map[string]any{"name": "Sprint 1", "project_id": "WEB",
		"starts_on": time.Now().UTC().Format(issue.DateLayout), "ends_on": time.Now().UTC().AddDate(0, 0, 13).Format(issue.DateLayout)}), http.StatusCreated)
	bulk(t, ann, imported[:10], map[string]any{"cycle_id": c.ID})
	assert.Len(t, list1[issue.Issue](t, ann, "/v1/cycles/"+c.ID+"/issues").Items, 10)
	rep := decode[cycle.Report](t, ann.Do("GET", "/v1/cycles/"+c.ID+"/report", nil), http.StatusOK)
	assert.Equal(t, 10, rep.Scope.Issues)

	t.Logf("step 5 at %s", time.Since(start).Round(time.Millisecond))
	// 5. Break an issue into sub-issues; the parent rolls up their progress.
	parent := imported[0].ID
	var kids []issue.Issue
	for _, title := range []string{"Design", "Build", "Ship"} {
		kids = append(kids, w.issue(t, w.ann, map[string]any{"title": title, "project_id": "WEB", "parent_id": parent}))
	}
	w.move(t, w.ann, kids[0].Key, "doing", http.StatusOK)
	w.move(t, w.ann, kids[0].Key, "qa", http.StatusOK) // the custom status
	w.move(t, w.ann, kids[0].Key, "shipped", http.StatusOK)
	p := decode[issue.Issue](t, ann.Do("GET", "/v1/issues/"+parent, nil), http.StatusOK)
	require.NotNil(t, p.Progress)
	assert.Equal(t, []int{3, 1}, []int{p.Progress.Total, p.Progress.Completed})
	assert.Len(t, list1[issue.Issue](t, ann, "/v1/issues?parent="+p.Key).Items, 3)

	t.Logf("step 6 at %s", time.Since(start).Round(time.Millisecond))
	// 6. One issue blocks another; both sides show it; no cycle of blocks.
	res = ann.Do("POST", "/v1/issues/"+kids[1].ID+"/relations", map[string]any{"type": "blocks", "issue_id": kids[2].ID})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	links := list1[issue.Link](t, ann, "/v1/issues/"+kids[2].ID+"/relations")
	require.Len(t, links.Items, 1)
	assert.Equal(t, []any{issue.BlockedBy, kids[1].ID}, []any{links.Items[0].Type, links.Items[0].Issue.ID})
	code, _ := problem(t, ann.Do("POST", "/v1/issues/"+kids[2].ID+"/relations", map[string]any{"type": "blocks", "issue_id": kids[1].ID}), http.StatusConflict)
	assert.NotEmpty(t, code)

	t.Logf("step 7 at %s", time.Since(start).Round(time.Millisecond))
	// 7. Save a shared view of WEB's work, by priority.
	v := decode[view.View](t, ann.Do("POST", "/v1/views", map[string]any{"name": "Web work", "visibility": "shared",
		"filter": map[string]any{"project": "WEB"}, "sort": "priority", "columns": []string{"key", "title", "status", "priority"}}), http.StatusCreated)

	t.Logf("step 8 at %s", time.Since(start).Round(time.Millisecond))
	// 8. Bulk-move 50 issues to WEB in one request: new keys, old keys kept.
	moved := imported[10:60]
	results := bulk(t, ann, moved, map[string]any{"project_id": web.ID})
	require.Len(t, results, 50)
	for n, r := range results {
		assert.True(t, strings.HasPrefix(r.Key, "WEB-"), r.Key)
		if n%10 == 0 { // a sample: each GET by key is 3 reads
			assert.Equal(t, moved[n].ID, decode[issue.Issue](t, ann.Do("GET", "/v1/issues/"+moved[n].Key, nil), http.StatusOK).ID, "the old key resolves")
		}
	}
	inWeb := allIssues(t, ann, "/v1/views/"+v.ID+"/issues?limit=100")
	assert.Len(t, inWeb, 63, "10 + 3 sub-issues + 50 moved")

	t.Logf("step 9 at %s", time.Since(start).Round(time.Millisecond))
	// 9. Export the view as CSV and as JSON.
	res = ann.Do("GET", "/v1/views/"+v.ID+"/export", nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	rows, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"key", "title", "status", "priority"}, rows[0])
	assert.Len(t, rows, 64, "a header and the view's 63 issues")
	ex := decode[viewapi.ExportJSON](t, ann.Do("GET", "/v1/views/"+v.ID+"/export?format=json", nil), http.StatusOK)
	assert.Len(t, ex.Items, 63)
	assert.Equal(t, v.ID, ex.View.ID)

	t.Logf("step 10 at %s", time.Since(start).Round(time.Millisecond))
	// 10. The old ACME-n keys still resolve, moved or not.
	w.issue(t, w.ann, map[string]any{"title": "Mobile work", "project_id": mob.ID})
	mv := decode[issue.Issue](t, ann.Do("POST", "/v1/issues/ACME-2/move", map[string]any{"project_id": "MOB"}), http.StatusOK)
	assert.Equal(t, "MOB-2", mv.Key)
	for n, l := range legacy {
		got := decode[issue.Issue](t, ann.Do("GET", "/v1/issues/ACME-"+fmt.Sprint(n+1), nil), http.StatusOK)
		assert.Equal(t, l.ID, got.ID)
	}
	last := imported[len(imported)-1] // imported as ACME-n, moved to WEB since
	assert.True(t, strings.HasPrefix(last.Key, "ACME-"), last.Key)
	assert.Equal(t, last.ID, decode[issue.Issue](t, ann.Do("GET", "/v1/issues/"+last.Key, nil), http.StatusOK).ID)
	t.Logf("walkthrough took %s", time.Since(start).Round(time.Millisecond))
}

// bulk applies changes to issues in one bulk edit and returns the results,
// each of which must be a 200.
func bulk(t *testing.T, c apitest.Caller, issues []issue.Issue, changes map[string]any) []bulkResult {
	t.Helper()
	refs := make([]any, len(issues))
	for n, i := range issues {
		refs[n] = i.ID
	}
	res := c.Do("POST", "/v1/issues/bulk", map[string]any{"issues": refs, "changes": changes})
	out := decode[struct {
		Results []bulkResult `json:"results"`
	}](t, res, http.StatusOK)
	for _, r := range out.Results {
		require.Equal(t, http.StatusOK, r.Status, fmt.Sprint(r))
	}
	return out.Results
}

type bulkResult struct {
	Status int    `json:"status"`
	ID     string `json:"id"`
	Key    string `json:"key"`
}

func list1[T any](t *testing.T, c apitest.Caller, target string) list.Page[T] {
	t.Helper()
	return decode[list.Page[T]](t, c.Do("GET", target, nil), http.StatusOK)
}

func allIssues(t *testing.T, c apitest.Caller, target string) []issue.Issue {
	t.Helper()
	var out []issue.Issue
	for cursor := ""; ; {
		u := target
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		pg := list1[issue.Issue](t, c, u)
		out = append(out, pg.Items...)
		if cursor = pg.NextCursor; cursor == "" {
			return out
		}
	}
}
