package issuedb

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"golang.org/x/sync/errgroup"
)

// Directory answers issue.Directory from the people package's records:
// users through peopledb.UserDB, teams by their key (pk T#t#TEAM#<id>, sk
// TEAM), which the people engineer writes with exactly that shape.
type Directory struct{ DB *dynamodb.Client }

var _ issue.Directory = &Directory{}

// UserExists implements issue.Directory.
func (d *Directory) UserExists(ctx context.Context, sc tenancy.Scope, userID string) (bool, error) {
	if !issue.ValidID(userID) {
		return false, nil
	}
	_, err := peopledb.UserDB{DB: d.DB}.Get(ctx, sc, userID)
	if errs.Is(err, errs.KindNotFound) {
		return false, nil
	}
	return err == nil, err
}

// TeamExists implements issue.Directory.
func (d *Directory) TeamExists(ctx context.Context, sc tenancy.Scope, teamID string) (bool, error) {
	if !issue.ValidID(teamID) {
		return false, nil
	}
	out, err := d.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table),
		Key: dynamo.Key(teamPK(sc.TenantID, teamID), skTeam), ProjectionExpression: aws.String("pk")})
	if err != nil {
		return false, fmt.Errorf("get team: %w", err)
	}
	return out.Item != nil, nil
}

// UserTeams implements issue.Directory: one Query of the user's memberships
// (gsi1 T#t#USERTEAMS#<user>, peopledb.TeamDB).
func (d *Directory) UserTeams(ctx context.Context, sc tenancy.Scope, userID string) ([]string, error) {
	p, err := peopledb.TeamDB{UserDB: peopledb.UserDB{DB: d.DB}}.UserTeams(ctx, sc, userID, list.Request{Limit: list.MaxLimit})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(p.Items))
	for i, m := range p.Items {
		ids[i] = m.TeamID
	}
	return ids, nil
}

// ResolveMentions implements issue.Directory.
func (d *Directory) ResolveMentions(ctx context.Context, sc tenancy.Scope, handles []string) ([]issue.Mention, error) {
	found := make([]issue.Mention, len(handles))
	g, gctx := errgroup.WithContext(ctx)
	for i, h := range handles {
		g.Go(func() error {
			u, ok, err := peopledb.UserDB{DB: d.DB}.FindByHandle(gctx, sc, h)
			if ok {
				found[i] = issue.Mention{Handle: h, UserID: u.ID}
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := []issue.Mention{}
	for _, m := range found {
		if m.UserID != "" && !slices.ContainsFunc(out, func(o issue.Mention) bool { return o.UserID == m.UserID }) {
			out = append(out, m)
		}
	}
	return out, nil
}
