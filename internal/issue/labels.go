package issue

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/text"
)

// LabelInput creates a label or (merge patch) changes one.
type LabelInput struct {
	Name  *string `json:"name"`
	Color *string `json:"color"`
}

var colorRE = text.Lazy(`^#[0-9a-f]{6}$`)

func (in LabelInput) apply(l *Label) error {
	if in.Name != nil {
		n := *in.Name
		// NFC before the uniqueness check: names that look the same are the same.
		if err := text.Clean("name", &n, text.Line); err != nil {
			return err
		}
		if c := utf8.RuneCountInString(n); c == 0 || c > MaxLabelName {
			return errs.Field("name", fmt.Sprintf("must be 1 to %d characters", MaxLabelName))
		}
		l.Name = n
	}
	if in.Color != nil {
		c := strings.ToLower(*in.Color)
		if !colorRE.Regexp().MatchString(c) {
			return errs.Field("color", "must be a hex colour #rrggbb")
		}
		l.Color = c
	}
	return nil
}

// Labels is the caller's tenant's label catalog.
func (s *Service) Labels(ctx context.Context, p tenancy.Principal) ([]Label, error) {
	return s.Store.Labels(ctx, p.Scope())
}

// CreateLabel adds a label to the catalog (at most MaxLabelCatalog).
func (s *Service) CreateLabel(ctx context.Context, p tenancy.Principal, in LabelInput) (Label, error) {
	if in.Name == nil {
		return Label{}, errs.Field("name", "is required")
	}
	now := s.now()
	l := Label{ID: newID(), Color: "#888888", CreatedAt: now, UpdatedAt: now}
	if err := in.apply(&l); err != nil {
		return Label{}, err
	}
	if n, err := s.Store.CountLabels(ctx, p.Scope()); err != nil {
		return Label{}, err
	} else if n >= MaxLabelCatalog {
		return Label{}, errs.Conflict("label_catalog_full", fmt.Sprintf("a workspace has at most %d labels", MaxLabelCatalog))
	}
	if err := s.Store.CreateLabel(ctx, p.Scope(), l); err != nil {
		return Label{}, err
	}
	return l, nil
}

// UpdateLabel renames or recolours a label.
func (s *Service) UpdateLabel(ctx context.Context, p tenancy.Principal, id string, in LabelInput) (Label, error) {
	old, err := s.Store.Label(ctx, p.Scope(), id)
	if err != nil {
		return Label{}, err
	}
	l := old
	if err := in.apply(&l); err != nil {
		return Label{}, err
	}
	if l == old {
		return l, nil
	}
	l.UpdatedAt = s.now()
	if err := s.Store.UpdateLabel(ctx, p.Scope(), old, l); err != nil {
		return Label{}, err
	}
	return l, nil
}

// DeleteLabel removes a label no issue uses (conflict label_in_use).
func (s *Service) DeleteLabel(ctx context.Context, p tenancy.Principal, id string) error {
	l, err := s.Store.Label(ctx, p.Scope(), id)
	if err != nil {
		return err
	}
	return s.Store.DeleteLabel(ctx, p.Scope(), l)
}

// LabelNameKey is the form under which label names are unique in a tenant:
// NFC, Unicode case folding (so "Straße" and "STRASSE" are one name), NFC
// again (folding can denormalise).
func LabelNameKey(name string) string {
	return text.NFC(text.Fold(text.NFC(strings.TrimSpace(name))))
}

// labelIDRE is the shape of a label id (a ULID): any other reference is a name.
var labelIDRE = text.Lazy(`^[0-9A-HJKMNP-TV-Z]{26}$`)

// LabelIDs resolves label references, ids or names (any case, any Unicode
// normal form), to ids in the order given, without repeats. Ids are kept
// as they are (Create and Update check they exist); names are looked up in
// one read and an unknown one is a 400 naming field. No read without names.
func (s *Service) LabelIDs(ctx context.Context, p tenancy.Principal, field string, refs []string) ([]string, error) {
	if len(refs) == 0 {
		return refs, nil
	}
	if len(refs) > MaxLabelCatalog {
		return nil, errs.Field(field, fmt.Sprintf("at most %d labels", MaxLabelCatalog))
	}
	var names []string
	for _, r := range refs {
		if !labelIDRE.Regexp().MatchString(r) {
			if len(r) > 4*MaxLabelName {
				return nil, errs.Field(field, "a label name is at most 50 characters")
			}
			names = append(names, LabelNameKey(r))
		}
	}
	if len(names) == 0 {
		return Dedup(refs), nil
	}
	byName, err := s.Store.LabelIDsByName(ctx, p.Scope(), Dedup(names))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		id := r
		if !labelIDRE.Regexp().MatchString(r) {
			var ok bool
			if id, ok = byName[LabelNameKey(r)]; !ok {
				return nil, errs.Field(field, fmt.Sprintf("no label named %q", r))
			}
		}
		out = append(out, id)
	}
	return Dedup(out), nil
}
