package imports_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/customfield"
	"github.com/issuetracker/issuetracker/internal/cycle"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/imports"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImportPlansEstimatesCyclesAndFields imports into a project with a
// t-shirt scale, two cycles and five custom fields: good cells land on the
// issues, and each bad cell is a row error naming its row, field and
// column in the preview, which creates nothing.
func TestImportPlansEstimatesCyclesAndFields(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	ps, cs, fs := f.projects, f.cycles, f.fields
	str := func(s string) *string { return &s }
	tshirt := issue.ScaleTShirt
	web, err := ps.Create(ctx, f.ada, project.Input{Key: str("WEB"), Name: str("Web"), EstimateScale: &tshirt})
	require.NoError(t, err)
	today := time.Now().UTC()
	day := func(d int) *string { return str(today.AddDate(0, 0, d).Format(issue.DateLayout)) }
	now, err := cs.Create(ctx, f.ada, cycle.Input{Name: str("Sprint 7"), ProjectID: str("WEB"), StartsOn: day(-3), EndsOn: day(10)})
	require.NoError(t, err)
	_, err = cs.Create(ctx, f.ada, cycle.Input{Name: str("Sprint 6"), ProjectID: str("WEB"), StartsOn: day(-20), EndsOn: day(-6)})
	require.NoError(t, err)
	// A cycle of the default project with the same name is not WEB's.
	_, err = cs.Create(ctx, f.ada, cycle.Input{Name: str("Sprint 8"), ProjectID: str(issue.DefaultProjectID), StartsOn: day(20), EndsOn: day(30)})
	require.NoError(t, err)
	field := func(name string, ty issue.FieldType, opts ...string) string {
		fd, err := fs.Create(ctx, f.ada, "WEB", customfield.Input{Name: &name, Type: &ty, Options: opts})
		require.NoError(t, err)
		return fd.ID
	}
	team := field("Team", issue.FieldSelect, "Core", "Growth")
	budget := field("Budget", issue.FieldNumber)
	launch := field("Launch", issue.FieldDate)
	areas := field("Areas", issue.FieldMultiSelect, "API", "UI", "Docs")
	reviewer := field("Reviewer", issue.FieldUser)

	csv := "Summary,Story Points,Sprint,Custom field (Team),Budget,Launch,Areas,Reviewer,Colour\n" +
		"Good one,M,Sprint 7,core,\"1,250.5\",2027-01-15,\"ui, API\",bob@acme.test,red\n" + // row 1
		"Good two,3,,,,,,,\n" + // row 2: 3 points is M on the t-shirt scale
		"Plain,,,,,,,,\n" + // row 3
		"Bad points,4,,,,,,,\n" + // row 4: 4 is not on the scale
		"Bad cycle,,Sprint 99,,,,,,\n" + // row 5
		"Over cycle,,Sprint 6,,,,,,\n" + // row 6
		"Other project's cycle,,Sprint 8,,,,,,\n" + // row 7
		"Bad select,,,Platform,,,,,\n" + // row 8
		"Bad number,,,,lots,,,,\n" + // row 9
		"Bad date,,,,,next week,,,\n" + // row 10
		"Bad option,,,,,,\"UI,Mobile\",,\n" + // row 11
		"Bad user,,,,,,,nobody@acme.test,\n" + // row 12
		"Two bad cells,huge,,,,,,,\n" // row 13 (and its cycle below is fine)
	j0, _, err := f.svc.Create(ctx, f.ada, imports.NewJob{Filename: "x.csv", Size: 1, SHA256: "0000000000000000000000000000000000000000000000000000000000000000", Parts: 1, ProjectID: "NOPE"})
	assert.Equal(t, "project_id", errFields(err), "an unknown target project is refused: %+v", j0)

	job := f.uploadTo(t, "WEB", csv)
	assert.Equal(t, web.ID, job.ProjectID)
	pv, err := f.svc.Preview(ctx, f.ada, job.ID)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"Summary": "title", "Story Points": "estimate", "Sprint": "cycle", "Custom field (Team)": "fields." + team,
		"Budget": "fields." + budget, "Launch": "fields." + launch, "Areas": "fields." + areas, "Reviewer": "fields." + reviewer}, pv.Columns)
	assert.Equal(t, []string{"Colour"}, pv.Ignored)
	assert.Equal(t, 3, pv.Valid)
	assert.Equal(t, 10, pv.Invalid)
	got := map[int]string{}
	for _, e := range pv.Errors {
		got[e.Row] = fmt.Sprintf("%s|%s|%s", e.Field, e.Column, e.Reason)
	}
	assert.Equal(t, map[int]string{
		4:  "estimate|Story Points|4 is not on the project's tshirt scale (XS=1, S=2, M=3, L=5, XL=8)",
		5:  `cycle|Sprint|no cycle named "Sprint 99" in project WEB`,
		6:  `cycle|Sprint|cycle "Sprint 6" is over; plan the issue in a current or future cycle`,
		7:  `cycle|Sprint|no cycle named "Sprint 8" in project WEB`,
		8:  "fields." + team + "|Custom field (Team)|must be one of Core, Growth",
		9:  "fields." + budget + `|Budget|"lots" is not a number`,
		10: "fields." + launch + `|Launch|"next week" is not a date`,
		11: "fields." + areas + "|Areas|Mobile is not one of API, UI, Docs",
		12: "fields." + reviewer + "|Reviewer|no user with email nobody@acme.test in this workspace",
		13: `estimate|Story Points|"huge" is not a number of points`,
	}, got)
	s := pv.Sample[0]
	require.NotNil(t, s.Estimate)
	assert.Equal(t, 3, *s.Estimate)
	assert.Equal(t, now.ID, s.CycleID)
	assert.Equal(t, map[string]any{team: "Core", budget: 1250.5, launch: "2027-01-15", areas: []any{"API", "UI"}, reviewer: "bob"}, s.Fields)
	n, _ := countIssues(t, f.issues, f.ada)
	assert.Zero(t, n, "a preview creates nothing")

	j, err := f.svc.Run(ctx, f.ada, job.ID)
	require.NoError(t, err)
	assert.Equal(t, imports.Done, j.State)
	assert.Equal(t, 3, j.Created)
	assert.Equal(t, 10, j.Failed, "%+v", j.Errors)
	one, err := f.issues.Load(ctx, f.ada, imports.IssueID(j, 1))
	require.NoError(t, err)
	assert.Equal(t, web.ID, one.ProjectID)
	assert.Equal(t, "WEB-1", one.Key, "numbered in the target project, in the file's order")
	three, err := f.issues.Load(ctx, f.ada, imports.IssueID(j, 3))
	require.NoError(t, err)
	assert.Equal(t, "WEB-3", three.Key)
	require.NotNil(t, one.Estimate)
	assert.Equal(t, 3, *one.Estimate)
	assert.Equal(t, now.ID, one.CycleID)
	assert.Equal(t, "Core", one.Fields[team])
	assert.Equal(t, []any{"API", "UI"}, one.Fields[areas])
	rep, err := cs.Report(ctx, f.ada, now.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Scope.Issues, "the imported issue is in the cycle's scope")

	again, err := f.svc.Run(ctx, f.ada, job.ID)
	require.NoError(t, err)
	assert.Equal(t, 3, again.Created, "a second run makes nothing")
	count, _ := countIssues(t, f.issues, f.ada)
	assert.Equal(t, 3, count)
}

// uploadTo declares csv for the project and sends it in one part.
func (f fixture) uploadTo(t testing.TB, projectRef, csv string) imports.Job {
	t.Helper()
	sum := sha256.Sum256([]byte(csv))
	j, _, err := f.svc.Create(context.Background(), f.ada, imports.NewJob{Filename: "plan.csv", Size: int64(len(csv)), SHA256: hex.EncodeToString(sum[:]), Parts: 1, ProjectID: projectRef})
	require.NoError(t, err)
	require.NoError(t, f.svc.PutPart(context.Background(), f.ada, j.ID, 0, imports.Part{Data: csv}))
	return j
}

func errFields(err error) string {
	if e := errs.As(err); e != nil && len(e.Fields) > 0 {
		return e.Fields[0].Field
	}
	return fmt.Sprint(err)
}
