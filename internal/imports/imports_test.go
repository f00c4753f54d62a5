package imports_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/customfield"
	"github.com/issuetracker/issuetracker/internal/customfield/customfielddb"
	"github.com/issuetracker/issuetracker/internal/cycle"
	"github.com/issuetracker/issuetracker/internal/cycle/cycledb"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/imports"
	"github.com/issuetracker/issuetracker/internal/imports/importsdb"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/project/projectdb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fixture struct {
	svc      *imports.Service
	issues   *issue.Service
	projects *project.Service
	cycles   *cycle.Service
	fields   *customfield.Service
	ada      tenancy.Principal
	gus      tenancy.Principal
}

func setup(t testing.TB) fixture {
	t.Helper()
	db, names := testenv.Tables(t)
	ctx := context.Background()
	user := func(tenant, id string, r roles.Role) tenancy.Principal {
		require.NoError(t, peopledb.UserDB{DB: db}.Put(ctx, tenancy.Scope{Table: names.App(), TenantID: tenant}, people.User{ID: id, TenantID: tenant,
			Username: id, Email: id + "@" + tenant + ".test", Role: r, Status: people.UserActive}))
		return tenancy.Principal{TenantID: tenant, UserID: id, Username: id, Role: r, Table: names.App()}
	}
	// The issue domain as internal/app wires it: projects, workflows, cycles, fields.
	ps := &project.Service{Store: &projectdb.Store{DB: db}, Users: &issuedb.Directory{DB: db}}
	projects := &project.Issues{Service: ps}
	cs := &cycle.Service{Store: &cycledb.Store{DB: db}, Scope: &issuedb.Store{DB: db}, Projects: projects, Directory: &issuedb.Directory{DB: db}}
	fs := &customfield.Service{Store: &customfielddb.Store{DB: db}, Projects: projects}
	is := &issue.Service{Store: &issuedb.Store{DB: db}, Directory: &issuedb.Directory{DB: db}, Projects: projects, Workflows: projects,
		Cycles: &cycle.Issues{Service: cs}, FieldDefs: &customfield.Issues{Service: fs}}
	ps.Tracker = is
	f := fixture{svc: &imports.Service{Store: &importsdb.Store{DB: db}, Issues: is, Budget: 10 * time.Minute}, issues: is,
		projects: ps, cycles: cs, fields: fs,
		ada: user("acme", "ada", roles.Admin), gus: user("globex", "gus", roles.Admin)}
	user("acme", "bob", roles.User)
	for _, l := range []string{"Backend", "Needs UX"} {
		_, err := is.CreateLabel(ctx, f.ada, issue.LabelInput{Name: &l})
		require.NoError(t, err)
	}
	return f
}

// upload declares csv and sends it in parts of at most size bytes.
func (f fixture) upload(t testing.TB, p tenancy.Principal, csv string, size int) imports.Job {
	t.Helper()
	ctx := context.Background()
	sum := sha256.Sum256([]byte(csv))
	parts := (len(csv) + size - 1) / size
	j, _, err := f.svc.Create(ctx, p, imports.NewJob{Filename: "export.csv", Size: int64(len(csv)), SHA256: hex.EncodeToString(sum[:]), Parts: parts})
	require.NoError(t, err)
	for n := range parts {
		require.NoError(t, f.svc.PutPart(ctx, p, j.ID, n, imports.Part{Data: csv[n*size : min(len(csv), (n+1)*size)]}))
	}
	return j
}

// jiraCSV is a Jira export of n rows; 4 rows in 20 have a problem.
func jiraCSV(n int) (string, int) {
	var b strings.Builder
	b.WriteString("Summary,Issue key,Issue Type,Status,Priority,Assignee Email,Labels,Labels,Description,Resolution\n")
	bad := 0
	for i := 1; i <= n; i++ {
		row := fmt.Sprintf("Issue %d,JRA-%d,Bug,In Progress,Highest,bob@acme.test,backend,needs ux,\"multi\nline, with comma\",Fixed\n", i, i)
		switch {
		case i%20 == 5:
			row = fmt.Sprintf("Issue %d,JRA-%d,Bug,Limbo,High,,,,,\n", i, i) // unknown status
			bad++
		case i%20 == 10:
			row = fmt.Sprintf("Issue %d,JRA-%d,Task,Done,Low,nobody@acme.test,,,,\n", i, i) // unknown assignee
			bad++
		case i%20 == 15:
			row = fmt.Sprintf("Issue \"%d\" broken,JRA-%d,Task,Done,Low,,,,,\n", i, i) // malformed CSV
			bad++
		case i%20 == 19:
			row = fmt.Sprintf(",JRA-%d,Task,To Do,Medium,,frontend,,,\n", i) // no summary, unknown label
			bad++
		case i%2 == 0:
			row = fmt.Sprintf("Issue %d,JRA-%d,Story,Done,Low,,,,,\n", i, i)
		}
		b.WriteString(row)
	}
	return b.String(), n - bad
}

func countIssues(t testing.TB, s *issue.Service, p tenancy.Principal) (int, map[string]int) {
	t.Helper()
	titles := map[string]int{}
	n, cursor := 0, ""
	for {
		pg, err := s.List(context.Background(), p, issue.ListQuery{Sort: issue.SortCreated, Limit: 100, Cursor: cursor})
		require.NoError(t, err)
		n += len(pg.Items)
		for _, i := range pg.Items {
			titles[i.Title]++
		}
		if cursor = pg.NextCursor; cursor == "" {
			return n, titles
		}
	}
}

func TestImport(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	imports.SetBatch(f.svc, 20)
	csv, valid := jiraCSV(60)
	job := f.upload(t, f.ada, csv, 7000)

	t.Run("an incomplete upload cannot be previewed and says what is missing", func(t *testing.T) {
		half := f.upload(t, f.ada, "Title\nonly\n", 4)
		require.NoError(t, f.svc.PutPart(ctx, f.ada, half.ID, 0, imports.Part{Data: "nope"})) // part 0 sent again, wrong
		j, err := f.svc.Get(ctx, f.ada, half.ID)
		require.NoError(t, err)
		assert.Equal(t, imports.Uploading, j.State)
		_, err = f.svc.Preview(ctx, f.ada, half.ID)
		assert.Equal(t, "sha256", errs.As(err).Fields[0].Field)
	})
	t.Run("the preview maps Jira's columns and names each bad row, creating nothing", func(t *testing.T) {
		pv, err := f.svc.Preview(ctx, f.ada, job.ID)
		require.NoError(t, err)
		assert.Equal(t, 60, pv.Rows)
		assert.Equal(t, valid, pv.Valid)
		assert.Equal(t, 60-valid, pv.Invalid)
		assert.Equal(t, map[string]string{"Summary": "title", "Issue key": "key", "Issue Type": "type", "Status": "status",
			"Priority": "priority", "Assignee Email": "assignee", "Labels": "labels", "Description": "description"}, pv.Columns)
		assert.Equal(t, []string{"Resolution"}, pv.Ignored)
		byRow := map[int]imports.RowError{}
		for _, e := range pv.Errors {
			byRow[e.Row] = e
		}
		assert.Equal(t, imports.RowError{Row: 5, Key: "JRA-5", Field: "status", Column: "Status", Reason: `unknown status "Limbo"`}, byRow[5])
		assert.Equal(t, "assignee", byRow[10].Field)
		assert.Equal(t, "row", byRow[15].Field)
		assert.Contains(t, byRow[15].Reason, "malformed CSV on line")
		assert.Equal(t, "labels", byRow[19].Field)
		s := pv.Sample[0]
		assert.Equal(t, "Issue 1", s.Title)
		assert.Equal(t, "in_progress", s.Status)
		assert.Equal(t, "urgent", s.Priority)
		assert.Equal(t, "bug", s.Type)
		assert.Equal(t, "bob", s.AssigneeID)
		assert.Len(t, s.Labels, 2)
		assert.Equal(t, "multi\nline, with comma", s.Description)
		n, _ := countIssues(t, f.issues, f.ada)
		assert.Zero(t, n)
	})
	t.Run("a crash after rows were created resumes from the last committed row, without duplicates", func(t *testing.T) {
		crash := errors.New("crash")
		imports.SetBeforeCommit(f.svc, func(done int) error {
			if done == 40 {
				return crash
			}
			return nil
		})
		_, err := f.svc.Run(ctx, f.ada, job.ID)
		require.ErrorIs(t, err, crash)
		j, err := f.svc.Get(ctx, f.ada, job.ID)
		require.NoError(t, err)
		assert.Equal(t, 20, j.RowsDone, "the second slice was not committed")
		assert.Equal(t, imports.Running, j.State)
		imports.SetBeforeCommit(f.svc, nil)
		j, err = f.svc.Run(ctx, f.ada, job.ID)
		require.NoError(t, err)
		assert.Equal(t, imports.Done, j.State)
		assert.Equal(t, 60, j.RowsDone)
		assert.Equal(t, valid, j.Created+j.Existing)
		assert.Positive(t, j.Existing, "the uncommitted slice's issues were found, not made again")
		assert.Equal(t, 60-valid, j.Failed)
		n, titles := countIssues(t, f.issues, f.ada)
		assert.Equal(t, valid, n)
		for title, c := range titles {
			assert.Equal(t, 1, c, title)
		}
		i, err := f.issues.Load(ctx, f.ada, imports.IssueID(j, 1))
		require.NoError(t, err)
		assert.Equal(t, issue.InProgress, i.Status)
		assert.NotNil(t, i.StartedAt)
		assert.Equal(t, "bob", i.AssigneeID)
		done, err := f.issues.Load(ctx, f.ada, imports.IssueID(j, 2))
		require.NoError(t, err)
		assert.Equal(t, issue.Closed, done.Status)
		assert.Equal(t, issue.Feature, done.Type)
		hist, err := f.issues.History(ctx, f.ada, done.ID, list.Request{Limit: 50})
		require.NoError(t, err)
		require.Len(t, hist.Items, 1)
		assert.Equal(t, issue.Closed, hist.Items[0].To)
	})
	t.Run("the same file uploaded again is the same, finished job: nothing is created twice", func(t *testing.T) {
		sum := sha256.Sum256([]byte(csv))
		j, created, err := f.svc.Create(ctx, f.ada, imports.NewJob{Filename: "again.csv", Size: int64(len(csv)), SHA256: hex.EncodeToString(sum[:]), Parts: 1})
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, imports.Done, j.State)
		_, err = f.svc.Run(ctx, f.ada, j.ID)
		require.NoError(t, err)
		n, _ := countIssues(t, f.issues, f.ada)
		assert.Equal(t, valid, n)
	})
	t.Run("another tenant's import is not found", func(t *testing.T) {
		for _, err := range []error{
			func() error { _, err := f.svc.Get(ctx, f.gus, job.ID); return err }(),
			func() error { _, err := f.svc.Preview(ctx, f.gus, job.ID); return err }(),
			func() error { _, err := f.svc.Run(ctx, f.gus, job.ID); return err }(),
			f.svc.PutPart(ctx, f.gus, job.ID, 0, imports.Part{Data: "x"}),
		} {
			assert.Equal(t, "import_not_found", errs.As(err).Code)
		}
	})
	t.Run("bad declarations and files are 422s naming the field", func(t *testing.T) {
		for _, c := range []struct {
			in    imports.NewJob
			field string
		}{
			{imports.NewJob{SHA256: "abc", Size: 10, Parts: 1}, "sha256"},
			{imports.NewJob{SHA256: strings.Repeat("a", 64), Size: imports.MaxBytes + 1, Parts: 200}, "size"},
			{imports.NewJob{SHA256: strings.Repeat("a", 64), Size: 100000, Parts: 1}, "parts"},
		} {
			_, _, err := f.svc.Create(ctx, f.ada, c.in)
			e := errs.As(err)
			assert.Equal(t, errs.KindUnprocessable, e.Kind)
			assert.Equal(t, c.field, e.Fields[0].Field)
		}
		nohead := f.upload(t, f.ada, "Colour,Size\nred,1\n", 100)
		_, err := f.svc.Preview(ctx, f.ada, nohead.ID)
		assert.Equal(t, "file", errs.As(err).Fields[0].Field)
	})
}
