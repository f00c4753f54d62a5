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
	"golang.org/x/sync/errgroup"
)

// Directory answers issue.Directory from the people package's records:
// users through peopledb.UserDB, teams by their key (pk T#t#TEAM#<id>, sk
// TEAM), which the people engineer writes with exactly that shape.
type Directory struct{ DB *dynamodb.Client }

var _ issue.Directory = Directory{}

// UserExists implements issue.Directory.
func (d Directory) UserExists(ctx context.Context, table, tenant, userID string) (bool, error) {
	if !issue.ValidID(userID) {
		return false, nil
	}
	_, err := peopledb.UserDB{DB: d.DB}.Get(ctx, table, tenant, userID)
	if errs.Is(err, errs.KindNotFound) {
		return false, nil
	}
	return err == nil, err
}

// TeamExists implements issue.Directory.
func (d Directory) TeamExists(ctx context.Context, table, tenant, teamID string) (bool, error) {
	if !issue.ValidID(teamID) {
		return false, nil
	}
	out, err := d.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
		Key: dynamo.Key(teamPK(tenant, teamID), skTeam), ProjectionExpression: aws.String("pk")})
	if err != nil {
		return false, fmt.Errorf("get team: %w", err)
	}
	return out.Item != nil, nil
}

// UserTeams implements issue.Directory: one Query of the user's memberships
// (gsi1 T#t#USERTEAMS#<user>, peopledb.TeamDB).
func (d Directory) UserTeams(ctx context.Context, table, tenant, userID string) ([]string, error) {
	p, err := peopledb.TeamDB{UserDB: peopledb.UserDB{DB: d.DB}}.UserTeams(ctx, table, tenant, userID, list.Request{Limit: list.MaxLimit})
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
func (d Directory) ResolveMentions(ctx context.Context, table, tenant string, handles []string) ([]issue.Mention, error) {
	found := make([]issue.Mention, len(handles))
	g, gctx := errgroup.WithContext(ctx)
	for i, h := range handles {
		g.Go(func() error {
			u, ok, err := peopledb.UserDB{DB: d.DB}.FindByHandle(gctx, table, tenant, h)
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

// PutTeam writes a minimal team record with the people package's key shape;
// tests use it until the teams API exists.
func (d Directory) PutTeam(ctx context.Context, table, tenant, teamID, name string) error {
	_, err := d.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]av{
		"pk": str(teamPK(tenant, teamID)), "sk": str(skTeam), "id": str(teamID), "tenant_id": str(tenant), "name": str(name)}})
	return err
}
