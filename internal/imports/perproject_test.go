package imports_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/imports"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An import is keyed by its file and its project: the same file for the
// same project (by key or id) is the same job, for another project a new
// job whose rows make new issues there.
func TestImportIsKeyedPerProject(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	str := func(s string) *string { return &s }
	web, err := f.projects.Create(ctx, f.ada, project.Input{Key: str("WEB"), Name: str("Web")})
	require.NoError(t, err)
	csv := "Summary,Issue Type\nShared one,Bug\nShared two,Task\n"
	sum := sha256.Sum256([]byte(csv))
	hash := hex.EncodeToString(sum[:])
	declare := func(ref string) (imports.Job, bool) {
		t.Helper()
		j, created, err := f.svc.Create(ctx, f.ada, imports.NewJob{Filename: "shared.csv", Size: int64(len(csv)), SHA256: hash, Parts: 1, ProjectID: ref})
		require.NoError(t, err)
		return j, created
	}
	run := func(j imports.Job) imports.Job {
		t.Helper()
		out, err := f.svc.Run(ctx, f.ada, j.ID)
		require.NoError(t, err)
		require.Equal(t, imports.Done, out.State)
		return out
	}

	first := f.uploadTo(t, "", csv)
	assert.Equal(t, issue.DefaultProjectID, first.ProjectID)
	assert.Equal(t, hash, first.SHA256)
	assert.Equal(t, imports.JobID(issue.DefaultProjectID, hash), first.ID)
	assert.Equal(t, 2, run(first).Created)

	other, created := declare("WEB")
	assert.True(t, created, "another project is another job")
	assert.NotEqual(t, first.ID, other.ID)
	assert.Equal(t, web.ID, other.ProjectID)
	assert.Equal(t, []int{0}, other.Missing)
	require.NoError(t, f.svc.PutPart(ctx, f.ada, other.ID, 0, imports.Part{Data: csv}))
	done := run(other)
	assert.Equal(t, 2, done.Created, "the rows make new issues in WEB, not the default project's")
	assert.Zero(t, done.Existing)
	i, err := f.issues.Load(ctx, f.ada, imports.IssueID(done, 1))
	require.NoError(t, err)
	assert.Equal(t, web.ID, i.ProjectID)

	again, created := declare(web.ID)
	assert.False(t, created, "the same file for the same project (by id rather than key) is the same job")
	assert.Equal(t, other.ID, again.ID)
	assert.Equal(t, imports.Done, again.State)
	back, created := declare(issue.DefaultProjectID)
	assert.False(t, created)
	assert.Equal(t, first.ID, back.ID)
	n, titles := countIssues(t, f.issues, f.ada)
	assert.Equal(t, 4, n)
	assert.Equal(t, 2, titles["Shared one"], "once per project")
}

// A job stored before imports were keyed per project (its id the file's
// hash) stays the file's job for its project, so re-sending the file does
// not import its rows again; for another project the file is a new job.
func TestImportDeclaredBeforePerProjectKeysResumes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	str := func(s string) *string { return &s }
	_, err := f.projects.Create(ctx, f.ada, project.Input{Key: str("WEB"), Name: str("Web")})
	require.NoError(t, err)
	csv := "Summary\nLegacy row\n"
	sum := sha256.Sum256([]byte(csv))
	hash := hex.EncodeToString(sum[:])
	now := time.Now().UTC()
	legacy := imports.Job{ID: hash, Filename: "old.csv", ProjectID: issue.DefaultProjectID, Size: int64(len(csv)), Parts: 1,
		State: imports.Uploading, Errors: []imports.RowError{}, CreatedBy: "ada", CreatedAt: now, UpdatedAt: now}
	require.NoError(t, f.svc.Store.CreateJob(ctx, f.ada.Scope(), legacy))

	j, created, err := f.svc.Create(ctx, f.ada, imports.NewJob{Filename: "old.csv", Size: int64(len(csv)), SHA256: hash, Parts: 1})
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, hash, j.ID, "the stored job, resumed")
	assert.Equal(t, hash, j.SHA256)
	require.NoError(t, f.svc.PutPart(ctx, f.ada, j.ID, 0, imports.Part{Data: csv}))
	done, err := f.svc.Run(ctx, f.ada, j.ID)
	require.NoError(t, err, "the file is checked against the id, its hash")
	assert.Equal(t, 1, done.Created)

	w, created, err := f.svc.Create(ctx, f.ada, imports.NewJob{Filename: "old.csv", Size: int64(len(csv)), SHA256: hash, Parts: 1, ProjectID: "WEB"})
	require.NoError(t, err)
	assert.True(t, created)
	assert.NotEqual(t, hash, w.ID)

	t.Run("a job of the first imports, which named no project, is the default project's", func(t *testing.T) {
		csv := "Summary\nOlder row\n"
		sum := sha256.Sum256([]byte(csv))
		hash := hex.EncodeToString(sum[:])
		first := imports.Job{ID: hash, Filename: "older.csv", Size: int64(len(csv)), Parts: 1,
			State: imports.Done, Rows: 1, RowsDone: 1, Created: 1, Errors: []imports.RowError{}, CreatedBy: "ada", CreatedAt: now, UpdatedAt: now}
		require.NoError(t, f.svc.Store.CreateJob(ctx, f.ada.Scope(), first))
		j, created, err := f.svc.Create(ctx, f.ada, imports.NewJob{Filename: "older.csv", Size: int64(len(csv)), SHA256: hash, Parts: 1})
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, hash, j.ID)
		assert.Equal(t, imports.Done, j.State, "finished: not imported again")
	})
}
