package notify

import (
	"context"
	"strings"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// ActivityReader lists the activity entries of an issue written after
// one of them, oldest first, at most limit (issuedb.Store.ActivityAfter).
// An Issues that also implements it lets the fan-out of a creation see
// the issue as it was created.
type ActivityReader interface {
	ActivityAfter(ctx context.Context, sc tenancy.Scope, issueID, afterID string, limit int) ([]issue.Activity, error)
}

// CreatedActivityLimit bounds the later entries read to rebuild a
// creation (one Query); a field first changed beyond them keeps its
// current value.
const CreatedActivityLimit = 200

// asCreated is the issue as its creation left it, for the fan-out of its
// "created" activity: the consumer reads the issue when it runs, and an
// edit made since (an assignment, a team, a description) has an activity
// of its own that addresses its own people, so using the later state
// would tell them twice. The assignee, team and description are taken
// back to the "from" of the first later change of each; the mentions are
// the current description's resolved ones whose handle the creation's
// description has. An issue at version 1 has not changed since.
func (f Fanout) asCreated(ctx context.Context, ev Event, is issue.Issue) (issue.Issue, error) {
	r, ok := f.Issues.(ActivityReader)
	if !ok || is.Version <= 1 {
		return is, nil
	}
	later, err := r.ActivityAfter(ctx, ev.Scope(), is.ID, ev.SourceID, CreatedActivityLimit)
	if err != nil {
		return is, err
	}
	created, seen := is, map[string]bool{}
	for _, a := range later {
		for _, ch := range a.Changes {
			if seen[ch.Field] {
				continue
			}
			from, _ := ch.From.(string)
			switch ch.Field {
			case "assignee_id":
				created.AssigneeID = from
			case "team_id":
				created.TeamID = from
			case "description":
				created.Description = from
			default:
				continue
			}
			seen[ch.Field] = true
		}
	}
	if seen["description"] {
		handles := issue.MentionHandles(created.Description)
		created.Mentions = nil
		for _, m := range is.Mentions {
			for _, h := range handles {
				if strings.EqualFold(m.Handle, h) {
					created.Mentions = append(created.Mentions, m)
					break
				}
			}
		}
	}
	return created, nil
}
