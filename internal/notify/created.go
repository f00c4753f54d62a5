package notify

import (
	"context"

	"github.com/issuetracker/issuetracker/internal/issue"
)

// ActivityReader: an Issues that also implements it lets the fan-out of
// a creation see the issue as it was created (issue.AsCreated).
type ActivityReader = issue.ActivityReader

// asCreated is the issue as its creation left it, for the fan-out of its
// "created" activity: the consumer reads the issue when it runs, and an
// edit made since (an assignment, a team, a description) has an activity
// of its own that addresses its own people, so using the later state
// would tell them twice (issue.AsCreated). An issue at version 1 has not
// changed since.
func (f Fanout) asCreated(ctx context.Context, ev Event, is issue.Issue) (issue.Issue, error) {
	r, ok := f.Issues.(ActivityReader)
	if !ok || is.Version <= 1 {
		return is, nil
	}
	later, err := r.ActivityAfter(ctx, ev.Scope(), is.ID, ev.SourceID, issue.CreatedActivityLimit)
	if err != nil {
		return is, err
	}
	return issue.AsCreated(is, later), nil
}
