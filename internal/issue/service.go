package issue

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/idempotency/txclaim"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/oklog/ulid/v2"
	"golang.org/x/sync/errgroup"
)

// Service is the issue tracker's behaviour, whoever calls it (the API, the
// web app, imports, bulk edits): creating, changing, moving and deleting
// issues with their references checked and mentions resolved, comments,
// labels, lists and search. Every method acts for the verified caller p:
// the tenant and table come from p, never from input.
type Service struct {
	Store     Store
	Directory Directory
	// Projects finds projects; nil knows only the default project.
	Projects Projects
	// Workflows finds projects' workflows; nil: every project has the default.
	Workflows Workflows
	// Cycles finds cycles (planning.go); nil: issues cannot join one.
	Cycles Cycles
	// FieldDefs finds projects' custom fields; nil: none are defined.
	FieldDefs FieldDefs
	// Cursors signs search cursors (the zero value: a key of this process).
	Cursors list.Codec
	Now     func() time.Time
	// memo is a Memoized copy's (memo.go); nil in the service as wired.
	memo *memo
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func newID() string { return ulid.Make().String() }

// Load finds an issue by id or by human key ("WEB-42", also under a former
// key of its project); another tenant's key or id is simply not found.
func (s *Service) Load(ctx context.Context, p tenancy.Principal, ref string) (Issue, error) {
	id := ref
	if prefix, n, isKey := SplitKey(ref); isKey {
		pid, err := s.projectID(ctx, p, prefix)
		if errs.Is(err, errs.KindNotFound) {
			return Issue{}, errs.NotFound("issue")
		}
		if err != nil {
			return Issue{}, err
		}
		if id, err = s.Store.IDByNumber(ctx, p.Scope(), pid, n); err != nil {
			return Issue{}, err
		}
	}
	return s.Store.Get(ctx, p.Scope(), id)
}

// defaultProject is the caller's default project as it is before anyone
// renames it (what a Service without Projects knows).
func defaultProject(tenantID string) ProjectRef {
	return ProjectRef{ID: DefaultProjectID, Key: KeyPrefix(tenantID), EstimateScale: ScaleFibonacci}
}

// projectID resolves a project key (current or former) to its id.
func (s *Service) projectID(ctx context.Context, p tenancy.Principal, key string) (string, error) {
	if s.Projects == nil {
		if key == KeyPrefix(p.TenantID) {
			return DefaultProjectID, nil
		}
		return "", errs.NotFound("project")
	}
	return s.readProjectID(ctx, p, key)
}

// project finds a project by id or key for a new issue: a 400 naming
// project_id when there is none, a 422 when it is archived.
func (s *Service) project(ctx context.Context, p tenancy.Principal, ref string) (ProjectRef, error) {
	pr := defaultProject(p.TenantID)
	var err error
	if s.Projects != nil {
		pr, err = s.readProject(ctx, p, ref)
	} else if ref != DefaultProjectID && ref != pr.Key {
		err = errs.NotFound("project")
	}
	if err = projectUsable(pr, err); err != nil {
		return ProjectRef{}, err
	}
	return pr, nil
}

// projectUsable maps the read of a project an issue is filed in: a missing
// one is a 400 naming project_id, an archived one a 422.
func projectUsable(pr ProjectRef, err error) error {
	if errs.Is(err, errs.KindNotFound) {
		return errs.Field("project_id", "no such project in this workspace")
	}
	if err != nil {
		return err
	}
	if pr.Archived {
		return errs.E(errs.KindUnprocessable, "project_archived", "project %s is archived", pr.Key).
			WithFields(errs.FieldError{Field: "project_id", Reason: "is archived"})
	}
	return nil
}

// projectWithWorkflow is a Projects that reads a project and its workflow
// in one round trip (project.Issues).
type projectWithWorkflow interface {
	ProjectWithWorkflow(ctx context.Context, p tenancy.Principal, ref string) (ProjectRef, Workflow, error)
}

// projectAndWorkflow is project and then workflow, in one read when the
// Projects can (a create needs both).
func (s *Service) projectAndWorkflow(ctx context.Context, p tenancy.Principal, ref string) (ProjectRef, Workflow, error) {
	pw, ok := s.Projects.(projectWithWorkflow)
	if !ok || s.Workflows == nil || s.memo != nil { // a memoized copy reads each once
		pr, err := s.project(ctx, p, ref)
		if err != nil {
			return ProjectRef{}, Workflow{}, err
		}
		wf, err := s.workflow(ctx, p, pr.ID)
		return pr, wf, err
	}
	pr, wf, err := pw.ProjectWithWorkflow(ctx, p, ref)
	if err = projectUsable(pr, err); err != nil {
		return ProjectRef{}, Workflow{}, err
	}
	return pr, wf, nil
}

// CreateIssue is what a new issue is made of.
type CreateIssue struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Type        Type     `json:"type,omitempty"`     // default task
	Priority    Priority `json:"priority,omitempty"` // default none
	AssigneeID  string   `json:"assignee_id,omitempty"`
	TeamID      string   `json:"team_id,omitempty"`
	Labels      []string `json:"labels,omitempty"` // ids or names
	DueDate     string   `json:"due_date,omitempty"`
	// ImportID and ImportStatus are set by CSV imports only (never from
	// JSON): the id derived from the file and row, the status it starts in.
	ImportID     string `json:"-"`
	ImportStatus Status `json:"-"`
	// ImportNumber is a number the import reserved for the row
	// (ReserveNumbers); 0: the next one.
	ImportNumber int64 `json:"-"`
	// ProjectID is the project's id or key; the default project if empty.
	ProjectID string `json:"project_id,omitempty"`
	// ParentID makes the issue a sub-issue of another (id or key).
	ParentID string `json:"parent_id,omitempty"`
	// Estimate (story points on the project's scale) and CycleID plan it.
	Estimate *int   `json:"estimate,omitempty" invalid:"invalid_estimate"`
	CycleID  string `json:"cycle_id,omitempty"`
	// Fields are custom field values by field id (the project's fields).
	Fields map[string]any `json:"fields,omitempty" invalid:"invalid_field_value"`
}

// Create files a new open issue reported by the caller: it is validated,
// its assignee, team and labels must exist in the caller's tenant, and
// only then is a number allocated, so bad input writes nothing.
func (s *Service) Create(ctx context.Context, p tenancy.Principal, in CreateIssue) (Issue, error) {
	r, err := s.prepareNew(ctx, p, in)
	if err != nil {
		return Issue{}, err
	}
	txclaim.Prepare(ctx, r.Issue) // a keyed create's answer is stored with its write
	if err := s.Store.Create(ctx, p.Scope(), r.Issue, r.History, r.Activity); err != nil {
		return Issue{}, err
	}
	return r.Issue, nil
}

// CreateMany is Create of many issues (an import's rows, each with its
// ImportNumber): each is checked as Create checks it, then those that pass
// are written in as few transactions as fit (Store.CreateMany). errs[n] is
// the outcome of ins[n], as Create would answer it.
func (s *Service) CreateMany(ctx context.Context, p tenancy.Principal, ins []CreateIssue) (out []Issue, errs []error) {
	out, errs = make([]Issue, len(ins)), make([]error, len(ins))
	var recs []NewRecord
	var at []int
	for n, in := range ins {
		r, err := s.prepareNew(ctx, p, in)
		if err != nil {
			errs[n] = err
			continue
		}
		recs, at = append(recs, r), append(at, n)
	}
	for k, err := range s.Store.CreateMany(ctx, p.Scope(), recs) {
		if errs[at[k]] = err; err == nil {
			out[at[k]] = recs[k].Issue
		}
	}
	return out, errs
}

// prepareNew checks a new issue and builds what Create writes.
func (s *Service) prepareNew(ctx context.Context, p tenancy.Principal, in CreateIssue) (NewRecord, error) {
	labels, err := s.LabelIDs(ctx, p, "labels", in.Labels)
	if err != nil {
		return NewRecord{}, err
	}
	now := s.now()
	if in.ProjectID != "" && !ValidID(in.ProjectID) {
		return NewRecord{}, errs.Field("project_id", "is not a valid project id or key")
	}
	pr, wf, err := s.projectAndWorkflow(ctx, p, cmp.Or(in.ProjectID, DefaultProjectID))
	if err != nil {
		return NewRecord{}, err
	}
	if in.AssigneeID == "" && in.TeamID == "" && pr.DefaultAssigneeID != "" {
		if ok, err := s.userExists(ctx, p.Scope(), pr.DefaultAssigneeID); err != nil {
			return NewRecord{}, err
		} else if ok { // a default assignee who left is skipped
			in.AssigneeID = pr.DefaultAssigneeID
		}
	}
	start, _ := wf.Status(wf.Initial())
	i := Issue{ProjectID: pr.ID, TenantID: p.TenantID, Title: in.Title, Description: in.Description, Type: cmp.Or(in.Type, Task),
		Priority: cmp.Or(in.Priority, PriorityNone), Status: start.Status, Category: start.Category, AssigneeID: in.AssigneeID,
		TeamID: in.TeamID, Labels: labels, DueDate: in.DueDate, ReporterID: p.UserID,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := i.startIn(wf, in.ImportStatus, now); err != nil {
		return NewRecord{}, err
	}
	if err := i.Validate(); err != nil {
		return NewRecord{}, err
	}
	i.ParentID, i.Estimate, i.CycleID, i.Fields = in.ParentID, in.Estimate, in.CycleID, in.Fields
	if err := s.checkPlanning(ctx, p, Issue{}, &i); err != nil {
		return NewRecord{}, err
	}
	if err := s.checkFields(ctx, p, Issue{}, &i); err != nil {
		return NewRecord{}, err
	}
	if err := s.checkParent(ctx, p, Issue{}, &i); err != nil {
		return NewRecord{}, err
	}
	if err := s.checkRefs(ctx, p, Issue{}, i); err != nil {
		return NewRecord{}, err
	}
	if i.Mentions, err = s.mentions(ctx, p, i.Description); err != nil {
		return NewRecord{}, err
	}
	n := in.ImportNumber
	if n == 0 {
		if n, err = s.Store.NextNumber(ctx, p.Scope(), pr.ID); err != nil {
			return NewRecord{}, err
		}
	}
	i.ID, i.Number, i.Key = cmp.Or(in.ImportID, newID()), n, ProjectKey(pr.Key, n)
	hid, aid := newID(), newID()
	if in.ImportID != "" { // a resumed import rewrites the same entries
		hid, aid = ImportEntryID(in.ImportID, "history"), ImportEntryID(in.ImportID, "activity")
	}
	h := StatusChange{ID: hid, IssueID: i.ID, To: i.Status, Category: i.Category, ActorID: p.UserID, At: now}
	a := Activity{ID: aid, IssueID: i.ID, ActorID: p.UserID, At: now, Action: "created", Changes: []Change{}}
	return NewRecord{Issue: i, History: h, Activity: a}, nil
}

// checkRefs verifies, in parallel, that a new assignee, team and labels
// exist in the caller's tenant (a user of another tenant is not found).
func (s *Service) checkRefs(ctx context.Context, p tenancy.Principal, old, cur Issue) error {
	g, ctx := errgroup.WithContext(ctx)
	var bad []errs.FieldError
	var mu sync.Mutex
	fail := func(f, reason string) {
		mu.Lock()
		defer mu.Unlock()
		bad = append(bad, errs.FieldError{Field: f, Reason: reason})
	}
	if cur.AssigneeID != "" && cur.AssigneeID != old.AssigneeID {
		g.Go(func() error {
			ok, err := s.userExists(ctx, p.Scope(), cur.AssigneeID)
			if err == nil && !ok {
				fail("assignee_id", "no such user in this workspace")
			}
			return err
		})
	}
	if cur.TeamID != "" && cur.TeamID != old.TeamID {
		g.Go(func() error {
			ok, err := s.Directory.TeamExists(ctx, p.Scope(), cur.TeamID)
			if err == nil && !ok {
				fail("team_id", "no such team in this workspace")
			}
			return err
		})
	}
	if added := addedLabels(old.Labels, cur.Labels); len(added) > 0 {
		g.Go(func() error {
			missing, err := s.missingLabels(ctx, p.Scope(), added)
			if err == nil && len(missing) > 0 {
				fail("labels", fmt.Sprintf("no such label: %v", missing))
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if len(bad) > 0 {
		sort.Slice(bad, func(i, j int) bool { return bad[i].Field < bad[j].Field }) // not slices.SortFunc: one generic sort per shape (issue 19)
		return errs.Fields(bad...)
	}
	return nil
}

// addedLabels are the labels of cur that old does not have.
func addedLabels(old, cur []string) []string {
	var added []string
	for _, l := range cur {
		if !slices.Contains(old, l) {
			added = append(added, l)
		}
	}
	return added
}

// mentions resolves the handles a text mentions to the caller's tenant's
// users (never nil); the text itself is kept as written.
func (s *Service) mentions(ctx context.Context, p tenancy.Principal, text string) ([]Mention, error) {
	handles := MentionHandles(text)
	if len(handles) == 0 {
		return []Mention{}, nil
	}
	return s.Directory.ResolveMentions(ctx, p.Scope(), handles)
}
