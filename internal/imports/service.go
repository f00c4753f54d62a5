package imports

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/text"
	"github.com/oklog/ulid/v2"
	"golang.org/x/sync/errgroup"
)

// Store keeps jobs and their parts (importsdb.Store).
type Store interface {
	// CreateJob writes a new job; conflict import_exists if it is there.
	CreateJob(ctx context.Context, sc tenancy.Scope, j Job) error
	// Job returns a job or not_found import_not_found.
	Job(ctx context.Context, sc tenancy.Scope, id string) (Job, error)
	// PutPart writes (or rewrites) part n of job id.
	PutPart(ctx context.Context, sc tenancy.Scope, id string, n int, data string) error
	// PartNumbers lists the parts received.
	PartNumbers(ctx context.Context, sc tenancy.Scope, id string) ([]int, error)
	// File is the parts concatenated in order.
	File(ctx context.Context, sc tenancy.Scope, id string) ([]byte, error)
	// SaveJob writes j if the stored job's rows_done is still prev
	// (precondition_failed import_busy otherwise: another run moved on).
	SaveJob(ctx context.Context, sc tenancy.Scope, j Job, prev int) error
	// SaveNumbering writes j if the stored job's rows_done is still
	// j.RowsDone and its numbering's Rev is still prevRev
	// (precondition_failed import_busy otherwise).
	SaveNumbering(ctx context.Context, sc tenancy.Scope, j Job, prevRev int) error
}

// Issues is what imports need of the issue domain (issue.Service).
type Issues interface {
	Create(ctx context.Context, p tenancy.Principal, in issue.CreateIssue) (issue.Issue, error)
	// CreateMany creates many issues in as few transactions as fit; errs[n]
	// is the outcome of ins[n].
	CreateMany(ctx context.Context, p tenancy.Principal, ins []issue.CreateIssue) ([]issue.Issue, []error)
	Existing(ctx context.Context, p tenancy.Principal, ids []string) (map[string]bool, error)
	LabelNameIDs(ctx context.Context, p tenancy.Principal, names []string) (map[string]string, error)
	UserIDsByEmail(ctx context.Context, p tenancy.Principal, emails []string) (map[string]string, error)
	// ImportTarget reads the project rows go to: its scale, fields, cycles.
	ImportTarget(ctx context.Context, p tenancy.Principal, projectRef string) (issue.ImportTarget, error)
	// ReserveNumbers allocates n issue numbers of the project; the first.
	ReserveNumbers(ctx context.Context, p tenancy.Principal, projectRef string, n int) (int64, error)
}

// Service runs imports.
type Service struct {
	Store  Store
	Issues Issues
	// Budget is how long one run call works before it answers with its
	// progress (the API's 29 s timeout bounds it); 20 s if zero.
	Budget time.Duration
	Now    func() time.Time
	// batch is the rows between two commits (batchRows if zero; tests).
	batch int
	// parallel is the slices of a batch written at once (parallel if zero; tests).
	parallel int
	// beforeCommit, when set (tests), runs before each progress commit;
	// an error stops the run there, as a crash would.
	beforeCommit func(rowsDone int) error
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

var hexRE = text.Lazy(`^[0-9a-f]{64}$`)

func invalid(field, reason string) error {
	return errs.E(errs.KindUnprocessable, "invalid_import", "%s: %s", field, reason).WithFields(errs.FieldError{Field: field, Reason: reason})
}

// Create declares a file. The same file again (same SHA-256) for the same
// project is the same job: it is answered as it stands (created false),
// with the parts still missing, so an interrupted upload resumes and a
// finished import is not repeated. The same file for another project is
// another job.
func (s *Service) Create(ctx context.Context, p tenancy.Principal, in NewJob) (Job, bool, error) {
	// The file's name is shown in the imports list: one line of text, as
	// every name is (no newline, control or directional formatting character).
	if err := text.Clean("filename", &in.Filename, text.Line); err != nil {
		return Job{}, false, err
	}
	switch {
	case !hexRE.Regexp().MatchString(in.SHA256):
		return Job{}, false, invalid("sha256", "must be the file's SHA-256 in lower-case hex")
	case in.Size <= 0 || in.Size > MaxBytes:
		return Job{}, false, invalid("size", fmt.Sprintf("must be 1 to %d bytes", MaxBytes))
	case in.Parts <= 0 || in.Parts > MaxParts || int64(in.Parts) > in.Size:
		return Job{}, false, invalid("parts", fmt.Sprintf("must be 1 to %d (parts of at most %d bytes)", MaxParts, MaxPartBytes))
	case int64(in.Parts)*MaxPartBytes < in.Size:
		return Job{}, false, invalid("parts", fmt.Sprintf("a part holds at most %d bytes: %d parts cannot hold %d", MaxPartBytes, in.Parts, in.Size))
	case len(in.Filename) > 200:
		return Job{}, false, invalid("filename", "at most 200 characters")
	}
	t, err := s.Issues.ImportTarget(ctx, p, in.ProjectID)
	if err != nil {
		return Job{}, false, err
	}
	// A job declared before jobs were keyed per project (its id is the
	// file's hash) stays the file's job for its project: re-sending the
	// file resumes it rather than importing the rows again. Jobs expire 30
	// days after their last write; this read can go once those have. The
	// first jobs named no project: theirs is the default project.
	if old, err := s.Store.Job(ctx, p.Scope(), in.SHA256); err == nil && cmp.Or(old.ProjectID, issue.DefaultProjectID) == t.Project.ID {
		j, err := s.Get(ctx, p, old.ID)
		return j, false, err
	} else if err != nil && !errs.Is(err, errs.KindNotFound) {
		return Job{}, false, err
	}
	now := s.now()
	id := JobID(t.Project.ID, in.SHA256)
	j := Job{ID: id, SHA256: in.SHA256, Filename: in.Filename, ProjectID: t.Project.ID, Size: in.Size, Parts: in.Parts, State: Uploading, Errors: []RowError{},
		CreatedBy: p.UserID, CreatedAt: now, UpdatedAt: now}
	err = s.Store.CreateJob(ctx, p.Scope(), j)
	if errs.Is(err, errs.KindConflict) {
		j, err = s.Get(ctx, p, id)
		return j, false, err
	}
	if err != nil {
		return Job{}, false, err
	}
	j.Missing = missing(j.Parts, nil)
	return j, true, nil
}

// Get returns a job with the parts it still misses.
func (s *Service) Get(ctx context.Context, p tenancy.Principal, id string) (Job, error) {
	if !hexRE.Regexp().MatchString(id) {
		return Job{}, errs.NotFound("import")
	}
	j, err := s.Store.Job(ctx, p.Scope(), id)
	if err != nil || j.State != Uploading {
		return j, err
	}
	have, err := s.Store.PartNumbers(ctx, p.Scope(), id)
	j.Missing = missing(j.Parts, have)
	return j, err
}

func missing(parts int, have []int) []int {
	out := []int{}
	for n := range parts {
		if !slices.Contains(have, n) {
			out = append(out, n)
		}
	}
	return out
}

// PutPart stores part n of the job's file (again, if it is sent again).
func (s *Service) PutPart(ctx context.Context, p tenancy.Principal, id string, n int, part Part) error {
	j, err := s.Store.Job(ctx, p.Scope(), id)
	if err != nil {
		return err
	}
	switch {
	case j.State != Uploading:
		return errs.Conflict("import_uploaded", "every part of this file is in; preview or run it")
	case n < 0 || n >= j.Parts:
		return invalid("part", fmt.Sprintf("parts are numbered 0 to %d", j.Parts-1))
	case len(part.Data) == 0 || len(part.Data) > MaxPartBytes:
		return invalid("data", fmt.Sprintf("a part is 1 to %d bytes", MaxPartBytes))
	}
	return s.Store.PutPart(ctx, p.Scope(), id, n, part.Data)
}

// file reads the job's file and, while uploading, checks that it is whole
// and is the file declared; the job becomes ready.
func (s *Service) file(ctx context.Context, p tenancy.Principal, j *Job) ([]byte, error) {
	if j.State == Uploading {
		have, err := s.Store.PartNumbers(ctx, p.Scope(), j.ID)
		if err != nil {
			return nil, err
		}
		if m := missing(j.Parts, have); len(m) > 0 {
			return nil, errs.E(errs.KindConflict, "import_incomplete", "parts %v are missing", m)
		}
	}
	f, err := s.Store.File(ctx, p.Scope(), j.ID)
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(f); hex.EncodeToString(sum[:]) != j.FileSHA256() || int64(len(f)) != j.Size {
		return nil, invalid("sha256", "the parts received are not the file declared (size or SHA-256 differ): send them again")
	}
	return f, nil
}

// resolved is a file read and its references looked up.
type resolved struct {
	cols   columns
	drafts []draft
}

// load reads and maps the file, resolves assignee emails and label names
// (once per distinct value) and records each row's problems.
func (s *Service) load(ctx context.Context, p tenancy.Principal, j *Job) (resolved, error) {
	f, err := s.file(ctx, p, j)
	if err != nil {
		return resolved{}, err
	}
	target, err := s.Issues.ImportTarget(ctx, p, j.ProjectID)
	if err != nil {
		return resolved{}, err
	}
	cols, drafts, err := parse(f, target.Fields)
	if err != nil {
		return resolved{}, invalid("file", err.Error())
	}
	userFields := map[string]bool{}
	for _, fd := range target.Fields {
		userFields[fd.ID] = fd.Type == issue.FieldUser
	}
	var emails, labels []string
	for _, d := range drafts {
		if d.email != "" && !slices.Contains(emails, d.email) {
			emails = append(emails, d.email)
		}
		for id, v := range d.fields {
			if e := strings.ToLower(v); userFields[id] && !slices.Contains(emails, e) {
				emails = append(emails, e)
			}
		}
		for _, l := range d.labels {
			if !slices.Contains(labels, l) {
				labels = append(labels, l)
			}
		}
	}
	users, err := s.emails(ctx, p, emails)
	if err != nil {
		return resolved{}, err
	}
	labelIDs, err := s.Issues.LabelNameIDs(ctx, p, labels)
	if err != nil {
		return resolved{}, err
	}
	now := s.now()
	for n := range drafts {
		d := &drafts[n]
		if len(d.problems) > 0 && d.problems[0].Field == "row" {
			continue // a malformed row has nothing else to check
		}
		d.plan(cols, target, users, now)
		if d.email != "" {
			if d.in.AssigneeID = users[d.email]; d.in.AssigneeID == "" {
				d.problems = append(d.problems, RowError{Row: d.row, Key: d.key, Field: "assignee", Column: cols.column(nil, "assignee"), Reason: fmt.Sprintf("no user with email %s in this workspace", d.email)})
			}
		}
		d.in.Labels = []string{}
		for _, l := range d.labels {
			id, ok := labelIDs[issue.LabelNameKey(l)]
			if !ok {
				d.problems = append(d.problems, RowError{Row: d.row, Key: d.key, Field: "labels", Column: cols.column(nil, "labels"), Reason: fmt.Sprintf("no label named %q (an Admin creates labels)", l)})
				continue
			}
			d.in.Labels = append(d.in.Labels, id)
		}
		if len(d.problems) == 0 {
			if err := issue.CheckCreate(d.in); err != nil {
				for _, fe := range errs.As(err).Fields {
					d.problems = append(d.problems, RowError{Row: d.row, Key: d.key, Field: fe.Field, Column: cols.column(nil, fe.Field), Reason: fe.Reason})
				}
			}
		}
	}
	if j.State == Uploading {
		j.State, j.Rows = Ready, len(drafts)
		j.Missing = nil
	}
	return resolved{cols: cols, drafts: drafts}, nil
}

// emails resolves addresses 50 at a time.
func (s *Service) emails(ctx context.Context, p tenancy.Principal, emails []string) (map[string]string, error) {
	out := map[string]string{}
	for len(emails) > 0 {
		n := min(len(emails), 50)
		m, err := s.Issues.UserIDsByEmail(ctx, p, emails[:n])
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			out[k] = v
		}
		emails = emails[n:]
	}
	return out, nil
}

// Preview is the dry run: the mapping, the counts, the first row errors
// and rows; nothing is created.
func (s *Service) Preview(ctx context.Context, p tenancy.Principal, id string) (Preview, error) {
	j, err := s.Get(ctx, p, id)
	if err != nil {
		return Preview{}, err
	}
	uploading := j.State == Uploading
	r, err := s.load(ctx, p, &j)
	if err != nil {
		return Preview{}, err
	}
	if uploading { // the file is whole and checked: no more parts
		j.UpdatedAt = s.now()
		if err := s.Store.SaveJob(ctx, p.Scope(), j, 0); err != nil && !errs.Is(err, errs.KindPreconditionFailed) {
			return Preview{}, err
		}
	}
	pv := Preview{Job: j, Columns: r.cols.mapped, Ignored: r.cols.ignored, Rows: len(r.drafts), Errors: []RowError{}, Sample: []SampleRow{}}
	for _, d := range r.drafts {
		if len(d.problems) > 0 {
			pv.Invalid++
			for _, e := range d.problems {
				if len(pv.Errors) < MaxErrors {
					pv.Errors = append(pv.Errors, e)
				}
			}
			continue
		}
		pv.Valid++
		if len(pv.Sample) < 10 {
			pv.Sample = append(pv.Sample, SampleRow{Row: d.row, Key: d.key, Title: d.in.Title, Status: string(cmpStatus(d.status)),
				Priority: string(d.in.Priority), Type: string(d.in.Type), AssigneeID: d.in.AssigneeID, Labels: d.in.Labels,
				DueDate: d.in.DueDate, Description: d.in.Description, Estimate: d.in.Estimate, CycleID: d.in.CycleID, Fields: d.in.Fields})
		}
	}
	return pv, nil
}

func cmpStatus(s issue.Status) issue.Status {
	if s == "" {
		return issue.Open
	}
	return s
}

// IssueID is the id of the issue row n of the file makes: a ULID whose
// time is the job's creation plus n ms (ids sort in row order) and whose
// randomness is derived from the job's id (the file's hash and the
// project) and n, so every run of the file into the project names the
// same issue.
func IssueID(j Job, row int) string {
	sum := sha256.Sum256(binary.BigEndian.AppendUint64([]byte(j.ID), uint64(row)))
	t := j.CreatedAt.Add(time.Duration(row) * time.Millisecond)
	return ulid.MustNew(ulid.Timestamp(t), bytes.NewReader(sum[:])).String()
}

// Run imports rows from the committed progress on, for up to the budget,
// committing progress every 100 rows, and answers the job. Call it again
// until the job is done; after a crash it resumes at the last commit, and
// the rows of the unfinished slice find the issues they already made.
func (s *Service) Run(ctx context.Context, p tenancy.Principal, id string) (Job, error) {
	j, err := s.Get(ctx, p, id)
	if err != nil || j.State == Done {
		return j, err
	}
	r, err := s.load(ctx, p, &j)
	if err != nil {
		return Job{}, err
	}
	budget := s.Budget
	if budget == 0 {
		budget = 20 * time.Second
	}
	deadline := time.Now().Add(budget)
	size := cmp.Or(s.batch, batchRows)
	is := s.Issues
	if m, ok := is.(interface{ Memoized() *issue.Service }); ok {
		is = m.Memoized() // the project, its workflow, fields and cycles read once per call, not per row
	}
	for j.RowsDone < len(r.drafts) && time.Now().Before(deadline) {
		prev := j.RowsDone
		batch := r.drafts[prev:min(prev+size, len(r.drafts))]
		if err := s.runBatch(ctx, is, p, &j, batch); err != nil {
			return Job{}, err
		}
		j.RowsDone, j.State, j.UpdatedAt = prev+len(batch), Running, s.now()
		if j.RowsDone == len(r.drafts) {
			j.State = Done
		}
		if s.beforeCommit != nil {
			if err := s.beforeCommit(j.RowsDone); err != nil {
				return Job{}, err
			}
		}
		if err := s.Store.SaveJob(ctx, p.Scope(), j, prev); err != nil {
			return Job{}, err
		}
	}
	if len(r.drafts) == 0 && j.State != Done {
		j.State, j.UpdatedAt = Done, s.now()
		if err := s.Store.SaveJob(ctx, p.Scope(), j, 0); err != nil {
			return Job{}, err
		}
	}
	return j, nil
}

// runBatch creates the issues of a slice of rows that are good and not
// made yet, in `parallel` slices at once, counting into j.
func (s *Service) runBatch(ctx context.Context, is Issues, p tenancy.Principal, j *Job, batch []draft) error {
	ids := make([]string, len(batch))
	for n, d := range batch {
		ids[n] = IssueID(*j, d.row)
	}
	have, err := is.Existing(ctx, p, ids)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	fail := func(es ...RowError) {
		mu.Lock()
		defer mu.Unlock()
		j.Failed++
		for _, e := range es {
			if len(j.Errors) < MaxErrors {
				j.Errors = append(j.Errors, e)
			}
		}
	}
	// The rows to create get their numbers in the file's order: reserved
	// with one write and recorded on the job before any row is written, so
	// a resumed run numbers them the same (a row that fails leaves a gap,
	// as a failed create does).
	var need []int
	for n, d := range batch {
		if len(d.problems) == 0 && !have[ids[n]] {
			need = append(need, d.row)
		}
	}
	numbers, err := s.number(ctx, is, p, j, need)
	if err != nil {
		return err
	}
	// The rows to create go in parallel slices, each written in as few
	// transactions as fit (issue.Service.CreateMany: about 7 rows a call).
	var todo []int
	for n, d := range batch {
		switch {
		case len(d.problems) > 0:
			fail(d.problems...)
		case have[ids[n]]:
			j.Existing++
		default:
			todo = append(todo, n)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	slices := cmp.Or(s.parallel, parallel)
	per := max(1, (len(todo)+slices-1)/slices)
	for len(todo) > 0 {
		slice := todo[:min(per, len(todo))]
		todo = todo[len(slice):]
		g.Go(func() error {
			ins := make([]issue.CreateIssue, len(slice))
			for k, n := range slice {
				ins[k] = batch[n].in
				ins[k].ImportID, ins[k].ImportStatus, ins[k].ImportNumber = ids[n], batch[n].status, numbers[batch[n].row]
			}
			_, outcomes := is.CreateMany(gctx, p, ins)
			for k, err := range outcomes {
				d := batch[slice[k]]
				e := errs.As(err)
				switch {
				case err == nil:
					mu.Lock()
					j.Created++
					mu.Unlock()
				case e.Code == "issue_exists":
					mu.Lock()
					j.Existing++
					mu.Unlock()
				case e.Kind == errs.KindInvalid || e.Kind == errs.KindUnprocessable:
					fail(RowError{Row: d.row, Key: d.key, Field: fieldOf(e), Reason: e.Message})
				default:
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// number returns the issue numbers of the rows (file row numbers) of the
// batch at j.RowsDone: those the job's numbering holds, and for the others
// a block reserved now and saved on the job before it is used. When another
// run saved a numbering of this batch first, that one is used.
func (s *Service) number(ctx context.Context, is Issues, p tenancy.Principal, j *Job, rows []int) (map[int]int64, error) {
	for attempt := 0; ; attempt++ {
		have := j.Numbering.of(j.RowsDone)
		var need []int
		for _, r := range rows {
			if _, ok := have[r]; !ok {
				need = append(need, r)
			}
		}
		if len(need) == 0 {
			return have, nil
		}
		first, err := is.ReserveNumbers(ctx, p, j.ProjectID, len(need))
		if err != nil {
			return nil, err
		}
		next := Numbering{At: j.RowsDone, Rev: j.Numbering.Rev + 1}
		if len(have) > 0 {
			next.Rows, next.Numbers = slices.Clone(j.Numbering.Rows), slices.Clone(j.Numbering.Numbers)
		}
		for k, r := range need {
			next.Rows, next.Numbers = append(next.Rows, r), append(next.Numbers, first+int64(k))
		}
		saved := *j
		saved.Numbering = next
		err = s.Store.SaveNumbering(ctx, p.Scope(), saved, j.Numbering.Rev)
		if err == nil {
			j.Numbering = next
			continue // answered from the numbering just saved
		}
		if !errs.Is(err, errs.KindPreconditionFailed) || attempt == 2 {
			return nil, err
		}
		// Another run saved first (its numbers win; ours are a gap) or
		// moved on (then this run stops).
		cur, err := s.Store.Job(ctx, p.Scope(), j.ID)
		if err != nil {
			return nil, err
		}
		if cur.RowsDone != j.RowsDone {
			return nil, errs.E(errs.KindPreconditionFailed, "import_busy", "another run of this import moved it on; read it again")
		}
		j.Numbering = cur.Numbering
	}
}

func fieldOf(e *errs.Error) string {
	if len(e.Fields) > 0 {
		return e.Fields[0].Field
	}
	return "row"
}
