package people

import (
	"context"

	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// UserLister reads a tenant's directory a page at a time (UserStore.List).
type UserLister interface {
	List(ctx context.Context, sc tenancy.Scope, req list.Request) (list.Page[User], error)
}

// SuperAdminEmails lists the addresses of a tenant's active Super Admins,
// read as the tenant from at most 10 pages of its directory (for notices
// such as billing and usage mails, which are rare).
func SuperAdminEmails(ctx context.Context, users UserLister, sc tenancy.Scope) ([]string, error) {
	var out []string
	for cursor, page := "", 0; page < 10; page++ {
		p, err := users.List(ctx, sc, list.Request{Limit: list.MaxLimit, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		for _, u := range p.Items {
			if u.Role == roles.SuperAdmin && u.Status == UserActive && u.Email != "" {
				out = append(out, u.Email)
			}
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	return out, nil
}
