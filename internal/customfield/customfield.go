// Package customfield is a project's custom fields: Admins define them
// (text, number, date, select, multi select, user); issues carry values by
// field id, validated on write by the issue domain (issue.FieldDef) and
// filterable and sortable in issue lists. It knows nothing of DynamoDB or
// HTTP; customfielddb stores it and customfieldapi serves it.
package customfield

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/text"
	"github.com/oklog/ulid/v2"
)

// Limits on definitions, documented in docs/data-model.md.
const (
	MaxName       = 50
	MaxOptions    = 50
	MaxOptionLen  = 50
	MaxPerProject = 50
)

// Field is a custom field of a project.
type Field = issue.FieldDef

// Input is the body of a create (name, type, options) or an update (name,
// options): a field's type never changes and options are only added, so
// stored values stay valid.
type Input struct {
	Name    *string          `json:"name"`
	Type    *issue.FieldType `json:"type"`
	Options []string         `json:"options,omitempty"`
}

// Store is what the Service needs of storage (customfielddb.Store).
type Store interface {
	// List returns a project's fields (at most MaxPerProject: one Query).
	List(ctx context.Context, sc tenancy.Scope, projectID string) ([]Field, error)
	// Create writes a field: conflict field_name_taken when the project
	// has a field of that name (case-insensitive).
	Create(ctx context.Context, sc tenancy.Scope, f Field) error
	// Update writes f over old (precondition failed when stale), moving
	// the name claim on a rename.
	Update(ctx context.Context, sc tenancy.Scope, old, f Field) error
	// Delete removes f and its name claim (precondition failed when stale).
	Delete(ctx context.Context, sc tenancy.Scope, f Field) error
}

// Service manages a project's custom fields: everyone reads them, Admins
// (the route table) define them.
type Service struct {
	Store    Store
	Projects issue.Projects
	Now      func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// NameKey is the form under which field names are unique in a project.
func NameKey(name string) string { return issue.LabelNameKey(name) }

// project resolves a project id or key of the caller's tenant.
func (s *Service) project(ctx context.Context, p tenancy.Principal, ref string) (string, error) {
	if !issue.ValidID(ref) {
		return "", errs.NotFound("project")
	}
	pr, err := s.Projects.Project(ctx, p, ref)
	return pr.ID, err
}

// List returns the project's fields, oldest first.
func (s *Service) List(ctx context.Context, p tenancy.Principal, projectRef string) ([]Field, error) {
	id, err := s.project(ctx, p, projectRef)
	if err != nil {
		return nil, err
	}
	return s.Store.List(ctx, p.Scope(), id)
}

// Create defines a field of the project.
func (s *Service) Create(ctx context.Context, p tenancy.Principal, projectRef string, in Input) (Field, error) {
	pid, err := s.project(ctx, p, projectRef)
	if err != nil {
		return Field{}, err
	}
	if in.Name == nil {
		return Field{}, errs.Field("name", "is required")
	}
	if in.Type == nil {
		return Field{}, errs.Field("type", "is required")
	}
	now := s.now()
	f := Field{ID: ulid.Make().String(), ProjectID: pid, Name: *in.Name, Type: *in.Type, Options: in.Options,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := validate(&f); err != nil {
		return Field{}, err
	}
	have, err := s.Store.List(ctx, p.Scope(), pid)
	if err != nil {
		return Field{}, err
	}
	if len(have) >= MaxPerProject {
		return Field{}, errs.E(errs.KindUnprocessable, "field_limit_reached", "a project has at most %d custom fields", MaxPerProject)
	}
	return f, s.Store.Create(ctx, p.Scope(), f)
}

// Update renames a field or adds options (an option in use is never
// removed: values stay valid).
func (s *Service) Update(ctx context.Context, p tenancy.Principal, projectRef, id string, ifMatch int64, in Input) (Field, error) {
	pid, err := s.project(ctx, p, projectRef)
	if err != nil {
		return Field{}, err
	}
	fs, err := s.Store.List(ctx, p.Scope(), pid)
	if err != nil {
		return Field{}, err
	}
	i := slices.IndexFunc(fs, func(f Field) bool { return f.ID == id })
	if i < 0 {
		return Field{}, errs.NotFound("field")
	}
	old, f := fs[i], fs[i]
	if err := matches(old, ifMatch); err != nil {
		return Field{}, err
	}
	if in.Type != nil && *in.Type != old.Type {
		return Field{}, errs.Field("type", "a field's type cannot change")
	}
	if in.Name != nil {
		f.Name = *in.Name
	}
	if in.Options != nil {
		for _, o := range old.Options {
			if !slices.Contains(in.Options, o) {
				return Field{}, errs.Field("options", fmt.Sprintf("%q cannot be removed: issues may hold it", o))
			}
		}
		f.Options = in.Options
	}
	if err := validate(&f); err != nil {
		return Field{}, err
	}
	f.UpdatedAt, f.Version = s.now(), old.Version+1
	return f, s.Store.Update(ctx, p.Scope(), old, f)
}

// Delete removes a field from its project; another tenant's or another
// project's field is not found. Issues' values of it are not rewritten:
// they are ignored (field ids are never reused, so a value whose id is
// not one of the project's fields means nothing), refused as filters of a
// saved view, and dropped by the issue's next custom-field write or move
// (issue.Service.checkFields). Rewriting every issue of the project would
// be a job of its own for a value nobody reads any more.
func (s *Service) Delete(ctx context.Context, p tenancy.Principal, projectRef, id string, ifMatch int64) error {
	pid, err := s.project(ctx, p, projectRef)
	if err != nil {
		return err
	}
	fs, err := s.Store.List(ctx, p.Scope(), pid)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(fs, func(f Field) bool { return f.ID == id })
	if i < 0 {
		return errs.NotFound("field")
	}
	if err := matches(fs[i], ifMatch); err != nil {
		return err
	}
	return s.Store.Delete(ctx, p.Scope(), fs[i])
}

// matches is 412 version_mismatch when ifMatch (not 0) is not f's
// version: the caller read an older field (the store's write is
// conditioned on the version read here, so a change meanwhile is one too).
func matches(f Field, ifMatch int64) error {
	if ifMatch != 0 && ifMatch != f.Version {
		return errs.E(errs.KindPreconditionFailed, "version_mismatch",
			"the field changed since version %d was read (current version %d)", ifMatch, f.Version)
	}
	return nil
}

// validate checks a definition and cleans its name and options.
func validate(f *Field) error {
	var tf text.Fields
	tf.Clean("name", &f.Name, text.Line)
	f.Name = strings.TrimSpace(f.Name)
	if n := utf8.RuneCountInString(f.Name); tf.Has("name") {
	} else if n == 0 {
		tf.Add("name", "is required")
	} else if n > MaxName {
		tf.Add("name", fmt.Sprintf("is longer than %d characters", MaxName))
	}
	if !slices.Contains(issue.FieldTypes, f.Type) {
		tf.Add("type", fmt.Sprintf("must be one of %v", issue.FieldTypes))
	}
	choice := f.Type == issue.FieldSelect || f.Type == issue.FieldMultiSelect
	switch {
	case choice && len(f.Options) == 0:
		tf.Add("options", "a select field needs at least one option")
	case !choice && len(f.Options) > 0:
		tf.Add("options", "only select and multi_select fields have options")
	case len(f.Options) > MaxOptions:
		tf.Add("options", fmt.Sprintf("at most %d options", MaxOptions))
	}
	seen := map[string]bool{}
	for n := range f.Options {
		o := strings.TrimSpace(f.Options[n])
		if text.Problem(o, text.Line) != "" || o == "" || utf8.RuneCountInString(o) > MaxOptionLen || o == "none" || strings.Contains(o, ",") {
			tf.Add("options", fmt.Sprintf("option %d must be 1-%d characters of text, without commas, not \"none\"", n+1, MaxOptionLen))
			break
		}
		if seen[NameKey(o)] {
			tf.Add("options", fmt.Sprintf("%q is listed twice", o))
			break
		}
		seen[NameKey(o)], f.Options[n] = true, o
	}
	return tf.Err()
}

// Issues is the Service as the issue domain sees it (issue.FieldDefs).
type Issues struct{ Service *Service }

var _ issue.FieldDefs = &Issues{}

// ProjectFields implements issue.FieldDefs: one Query.
func (i *Issues) ProjectFields(ctx context.Context, p tenancy.Principal, projectID string) ([]issue.FieldDef, error) {
	return i.Service.Store.List(ctx, p.Scope(), projectID)
}
