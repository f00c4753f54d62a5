package issue

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"golang.org/x/sync/errgroup"
)

// RelationType is how two issues relate, as seen from one of them.
type RelationType string

const (
	Blocks       RelationType = "blocks"
	BlockedBy    RelationType = "blocked_by"
	Duplicates   RelationType = "duplicates"
	DuplicatedBy RelationType = "duplicated_by"
	RelatesTo    RelationType = "relates_to"
)

// RelationTypes lists the relation types a client may name.
var RelationTypes = []RelationType{Blocks, BlockedBy, Duplicates, DuplicatedBy, RelatesTo}

// inverse maps each type to what the other issue sees.
var inverse = map[RelationType]RelationType{Blocks: BlockedBy, BlockedBy: Blocks, Duplicates: DuplicatedBy,
	DuplicatedBy: Duplicates, RelatesTo: RelatesTo}

// Limits of the relation graph.
const (
	// MaxGraphWalk bounds the issues a cycle check visits.
	MaxGraphWalk = 200
	// MaxDepth bounds a chain of sub-issues (and the walk up it).
	MaxDepth = 10
	// MaxRelations is what one issue lists (both sides together).
	MaxRelations = 200
)

// Relation is stored once, in its canonical direction: From blocks To,
// From duplicates To, or From relates to To (From < To).
type Relation struct {
	From, To  string
	Type      RelationType // Blocks, Duplicates or RelatesTo
	CreatedBy string
	CreatedAt time.Time
}

// canonical is the stored form of "self typ other".
func canonical(self string, typ RelationType, other string) Relation {
	switch typ {
	case BlockedBy:
		return Relation{From: other, Type: Blocks, To: self}
	case DuplicatedBy:
		return Relation{From: other, Type: Duplicates, To: self}
	case RelatesTo:
		if other < self {
			return Relation{From: other, Type: RelatesTo, To: self}
		}
	}
	return Relation{From: self, Type: typ, To: other}
}

// Link is a relation seen from one issue: its type from that side and the
// other issue. ID names it for DELETE (type:other issue id).
type Link struct {
	ID    string       `json:"id"`
	Type  RelationType `json:"type"`
	Issue LinkedIssue  `json:"issue"`
}

// LinkedIssue is the other end of a link.
type LinkedIssue struct {
	ID       string   `json:"id"`
	Key      string   `json:"key"`
	Title    string   `json:"title"`
	Status   Status   `json:"status"`
	Category Category `json:"category"`
}

// RelationInput is the body of POST /v1/issues/{issueId}/relations.
type RelationInput struct {
	Type    RelationType `json:"type"`
	IssueID string       `json:"issue_id"` // the other issue: id or key
}

// RelationStore keeps relations.
type RelationStore interface {
	// AddRelation stores r if both issues exist: conflict relation_exists
	// when it is there already, not found when an issue vanished.
	AddRelation(ctx context.Context, sc tenancy.Scope, r Relation) error
	// RemoveRelation deletes r: not found (relation_not_found) when absent.
	RemoveRelation(ctx context.Context, sc tenancy.Scope, r Relation) error
	// Relations returns the relations of an issue, both sides (at most MaxRelations).
	Relations(ctx context.Context, sc tenancy.Scope, issueID string) ([]Relation, error)
	// Targets returns the issues an issue has typ relations to (From side).
	Targets(ctx context.Context, sc tenancy.Scope, from string, typ RelationType) ([]string, error)
}

// Relate adds the relation "ref typ other" (as the caller sees it from ref).
// Relating an issue to itself is a 422; a blocks or duplicates relation
// that would close a cycle is a 409 relation_cycle naming issue_id.
func (s *Service) Relate(ctx context.Context, p tenancy.Principal, ref string, in RelationInput) (Link, error) {
	if !slices.Contains(RelationTypes, in.Type) {
		return Link{}, errs.Field("type", fmt.Sprintf("must be one of %v", RelationTypes))
	}
	if in.IssueID == "" || !ValidID(in.IssueID) {
		return Link{}, errs.Field("issue_id", "is required: the other issue's id or key")
	}
	self, err := s.Load(ctx, p, ref)
	if err != nil {
		return Link{}, err
	}
	other, err := s.Load(ctx, p, in.IssueID)
	if errs.Is(err, errs.KindNotFound) {
		return Link{}, errs.Field("issue_id", "no such issue in this workspace")
	} else if err != nil {
		return Link{}, err
	}
	r := canonical(self.ID, in.Type, other.ID)
	r.CreatedBy, r.CreatedAt = p.UserID, s.now()
	if err := s.checkRelation(ctx, p, r); err != nil {
		return Link{}, err
	}
	if err := s.Store.AddRelation(ctx, p.Scope(), r); err != nil {
		return Link{}, err
	}
	return link(self.ID, r, other), nil
}

// checkRelation refuses a self relation and a cycle of blocks (A blocks B
// blocks ... blocks A) or of duplicates.
func (s *Service) checkRelation(ctx context.Context, p tenancy.Principal, r Relation) error {
	if r.From == r.To {
		return errs.E(errs.KindUnprocessable, "relation_to_itself", "an issue cannot relate to itself").
			WithFields(errs.FieldError{Field: "issue_id", Reason: "is the issue itself"})
	}
	if r.Type == RelatesTo {
		return nil
	}
	// Breadth first from To along the same type: reaching From is a cycle.
	seen := map[string]bool{r.To: true}
	level := []string{r.To}
	for len(level) > 0 {
		next := make([][]string, len(level))
		g, gctx := errgroup.WithContext(ctx)
		for i, id := range level {
			g.Go(func() (err error) {
				next[i], err = s.Store.Targets(gctx, p.Scope(), id, r.Type)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		level = nil
		for _, ids := range next {
			for _, id := range ids {
				if id == r.From {
					return errs.E(errs.KindConflict, "relation_cycle", "this %s relation would close a cycle", r.Type).
						WithFields(errs.FieldError{Field: "issue_id", Reason: fmt.Sprintf("already (indirectly) %s this issue", r.Type)})
				}
				if !seen[id] {
					seen[id] = true
					level = append(level, id)
				}
			}
		}
		if len(seen) > MaxGraphWalk {
			return errs.E(errs.KindUnprocessable, "relation_graph_too_large", "more than %d issues are chained by %s; cannot check for a cycle", MaxGraphWalk, r.Type).
				WithFields(errs.FieldError{Field: "issue_id", Reason: "chain too long"})
		}
	}
	return nil
}

// link is r as seen from the issue self, with the other issue.
func link(self string, r Relation, other Issue) Link {
	typ := r.Type
	if r.To == self && r.From != self {
		typ = inverse[r.Type]
	}
	return Link{ID: string(typ) + ":" + other.ID, Type: typ, Issue: LinkedIssue{ID: other.ID, Key: other.Key, Title: other.Title,
		Status: other.Status, Category: other.Category}}
}

// Unrelate removes the relation id (type:issue id, as Relations lists it).
func (s *Service) Unrelate(ctx context.Context, p tenancy.Principal, ref, id string) error {
	typ, other, ok := strings.Cut(id, ":")
	if !ok || !slices.Contains(RelationTypes, RelationType(typ)) || !ValidID(other) {
		return errs.NotFound("relation")
	}
	self, err := s.Load(ctx, p, ref)
	if err != nil {
		return err
	}
	return s.Store.RemoveRelation(ctx, p.Scope(), canonical(self.ID, RelationType(typ), other))
}

// Relations lists the issue's relations from its side: two Queries (its
// own and the other side's) and one BatchGet of the related issues; a
// related issue deleted since is left out.
func (s *Service) Relations(ctx context.Context, p tenancy.Principal, ref string) ([]Link, error) {
	self, err := s.Load(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	rs, err := s.Store.Relations(ctx, p.Scope(), self.ID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, otherEnd(self.ID, r))
	}
	got, err := s.Store.GetMany(ctx, p.Scope(), ids)
	if err != nil {
		return nil, err
	}
	out := []Link{}
	for _, r := range rs {
		if o, ok := got[otherEnd(self.ID, r)]; ok {
			out = append(out, link(self.ID, r, o))
		}
	}
	return out, nil
}

func otherEnd(self string, r Relation) string {
	if r.From == self {
		return r.To
	}
	return r.From
}
