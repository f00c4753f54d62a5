package issueapi

import (
	"context"
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// moveIssue moves an issue to another project (If-Match applies).
func (d Deps) moveIssue(w http.ResponseWriter, r *http.Request) error {
	var in issue.MoveIssue
	if err := httpapi.DecodeJSON(r, &in, 1<<10); err != nil {
		return err
	}
	return d.write(w, r, func(ctx context.Context, p tenancy.Principal, ref string, ifMatch int64) (issue.Issue, error) {
		return d.Service.Move(ctx, p, ref, ifMatch, in)
	})
}
