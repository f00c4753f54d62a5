// Package peopledb stores the people domain in DynamoDB: the user directory
// (users, email claims, counters, settings), teams and memberships, with
// their keys and item converters. Every partition starts with "T#<tenant>#".
package peopledb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Keys (the contract with the issues API):
//   - team: pk "T#<t>#TEAM#<id>", sk "TEAM"; gsi1 "T#<t>#TEAMS" / "<lower name>#<id>"
//   - member: pk "T#<t>#TEAM#<id>", sk "MEMBER#<user>"; gsi1 "T#<t>#USERTEAMS#<user>" / "<team id>"
func teamPK(tenantID, id string) string         { return tenantPrefix(tenantID) + "TEAM#" + id }
func teamsGSI(tenantID string) string           { return tenantPrefix(tenantID) + "TEAMS" }
func memberSK(userID string) string             { return memberPrefix + userID }
func userTeamsGSI(tenantID, user string) string { return tenantPrefix(tenantID) + "USERTEAMS#" + user }

const teamSK, memberPrefix = "TEAM", "MEMBER#"

type teamItem struct {
	PK          string    `dynamodbav:"pk"`
	SK          string    `dynamodbav:"sk"`
	GSI1PK      string    `dynamodbav:"gsi1pk"`
	GSI1SK      string    `dynamodbav:"gsi1sk"`
	ID          string    `dynamodbav:"id"`
	TenantID    string    `dynamodbav:"tenant_id"`
	Name        string    `dynamodbav:"name"`
	Description string    `dynamodbav:"description,omitempty"`
	CreatedAt   time.Time `dynamodbav:"created_at"`
	UpdatedAt   time.Time `dynamodbav:"updated_at"`
	Version     int64     `dynamodbav:"version"`
}

func toTeamItem(t people.Team) teamItem {
	return teamItem{PK: teamPK(t.TenantID, t.ID), SK: teamSK, GSI1PK: teamsGSI(t.TenantID),
		GSI1SK: strings.ToLower(t.Name) + "#" + t.ID, ID: t.ID, TenantID: t.TenantID, Name: t.Name,
		Description: t.Description, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, Version: t.Version}
}

func (it teamItem) team() people.Team {
	return people.Team{ID: it.ID, TenantID: it.TenantID, Name: it.Name, Description: it.Description,
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, Version: it.Version}
}

type memberItem struct {
	_        dynamo.NotComparable
	PK       string    `dynamodbav:"pk"`
	SK       string    `dynamodbav:"sk"`
	GSI1PK   string    `dynamodbav:"gsi1pk"`
	GSI1SK   string    `dynamodbav:"gsi1sk"`
	TenantID string    `dynamodbav:"tenant_id"`
	TeamID   string    `dynamodbav:"team_id"`
	UserID   string    `dynamodbav:"user_id"`
	AddedAt  time.Time `dynamodbav:"added_at"`
	AddedBy  string    `dynamodbav:"added_by,omitempty"`
}

func (it memberItem) member() people.Member {
	return people.Member{TeamID: it.TeamID, UserID: it.UserID, AddedAt: it.AddedAt, AddedBy: it.AddedBy}
}

// TeamDB stores teams and memberships in a tenant's table.
type TeamDB struct{ UserDB }

// Put writes a team: a new one (Version 0 → 1), or an update whose Version
// matches (conflict team_changed otherwise).
func (s TeamDB) Put(ctx context.Context, sc tenancy.Scope, t people.Team) (people.Team, error) {
	cond := expression.AttributeNotExists(expression.Name(schema.PK))
	if t.Version > 0 {
		cond = expression.Name("version").Equal(expression.Value(t.Version))
	}
	t.Version++
	it, err := putItem(sc.Table, toTeamItem(t), &cond)
	if err != nil {
		return people.Team{}, err
	}
	p := it.Put
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: p.TableName, Item: p.Item, ConditionExpression: p.ConditionExpression,
		ExpressionAttributeNames: p.ExpressionAttributeNames, ExpressionAttributeValues: p.ExpressionAttributeValues})
	if dynamo.ConditionFailed(err) {
		return people.Team{}, errs.Conflict("team_changed", "the team changed or was deleted meanwhile; reload and retry")
	}
	if err != nil {
		return people.Team{}, fmt.Errorf("put team: %w", err)
	}
	return t, nil
}

// GetTeam returns the team or not_found (team_not_found).
func (s TeamDB) GetTeam(ctx context.Context, sc tenancy.Scope, id string) (people.Team, error) {
	var it teamItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(teamPK(sc.TenantID, id), teamSK), &it, "team", errs.NotFound("team")); err != nil {
		return people.Team{}, err
	}
	return it.team(), nil
}

// DeleteTeam deletes the team (at version, when not 0), then its memberships.
func (s TeamDB) DeleteTeam(ctx context.Context, sc tenancy.Scope, id string, version int64) error {
	cond := expression.AttributeExists(expression.Name(schema.PK))
	if version != 0 {
		cond = cond.And(expression.Name("version").Equal(expression.Value(version)))
	}
	e, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(teamPK(sc.TenantID, id), teamSK),
		ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if dynamo.ConditionFailed(err) {
		if version == 0 {
			return errs.NotFound("team")
		}
		t, gerr := s.GetTeam(ctx, sc, id)
		if gerr != nil {
			return gerr // team_not_found
		}
		return people.TeamVersionMismatch(version, t.Version)
	}
	if err != nil {
		return fmt.Errorf("delete team: %w", err)
	}
	for {
		page, err := s.Members(ctx, sc, id, list.Request{Limit: list.MaxLimit})
		if err != nil {
			return err
		}
		if len(page.Items) == 0 {
			return nil
		}
		for _, m := range page.Items {
			if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(teamPK(sc.TenantID, id), memberSK(m.UserID))}); err != nil {
				return fmt.Errorf("delete membership: %w", err)
			}
		}
	}
}

// Teams lists the tenant's teams in name order.
func (s TeamDB) Teams(ctx context.Context, sc tenancy.Scope, req list.Request) (list.Page[people.Team], error) {
	return listPage(ctx, s.UserDB, pageQuery{table: sc.Table, index: schema.GSI1, attr: schema.GSI1PK, partition: teamsGSI(sc.TenantID),
		scope: list.Scope("teams", sc.TenantID), req: req, what: "list teams"}, teamItem.team)
}

// AddMember adds a user of the tenant to a team and returns the membership
// as stored. The user and the team are checked in the same transaction:
// not_found for either. Adding a member again changes nothing and returns
// the membership as it was (its added_at and added_by): the put is
// conditional on the membership's absence (a repeated PUT rewrote them
// until audit12).
func (s TeamDB) AddMember(ctx context.Context, sc tenancy.Scope, m people.Member) (people.Member, error) {
	absent := expression.AttributeNotExists(expression.Name(schema.PK))
	put, err := putItem(sc.Table, memberItem{PK: teamPK(sc.TenantID, m.TeamID), SK: memberSK(m.UserID),
		GSI1PK: userTeamsGSI(sc.TenantID, m.UserID), GSI1SK: m.TeamID, TenantID: sc.TenantID,
		TeamID: m.TeamID, UserID: m.UserID, AddedAt: m.AddedAt, AddedBy: m.AddedBy}, &absent)
	if err != nil {
		return people.Member{}, err
	}
	put.Put.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	check := func(pk, sk string, cond expression.ConditionBuilder) (types.TransactWriteItem, error) {
		ex, err := expression.NewBuilder().WithCondition(cond).Build()
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(sc.Table), Key: dynamo.Key(pk, sk),
			ConditionExpression: ex.Condition(), ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values()}}, nil
	}
	team, err := check(teamPK(sc.TenantID, m.TeamID), teamSK, expression.AttributeExists(expression.Name(schema.PK)))
	if err != nil {
		return people.Member{}, err
	}
	user, err := check(userPK(sc.TenantID, m.UserID), userSK, expression.AttributeExists(expression.Name(schema.PK)).
		And(expression.Name("status").NotEqual(expression.Value(string(people.UserRemoving)))))
	if err != nil {
		return people.Member{}, err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{team, user, put}})
	reasons, failed := dynamo.CancelledItems(err)
	switch {
	case err == nil:
		return m, nil
	case failed && reasons[0]:
		return people.Member{}, errs.NotFound("team")
	case failed && reasons[1]:
		return people.Member{}, errs.E(errs.KindNotFound, "user_not_found", "no user %s in this workspace: only users of your workspace can join its teams", m.UserID)
	case failed && reasons[2]:
		return s.existingMember(ctx, sc, m, err)
	}
	return people.Member{}, fmt.Errorf("add member: %w", err)
}

// existingMember is the membership a conditional put found already there:
// the old item the cancellation carries, or (when it carries none) read.
func (s TeamDB) existingMember(ctx context.Context, sc tenancy.Scope, m people.Member, err error) (people.Member, error) {
	var it memberItem
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) && len(tc.CancellationReasons) > 2 && len(tc.CancellationReasons[2].Item) > 0 {
		if err := attributevalue.UnmarshalMap(tc.CancellationReasons[2].Item, &it); err != nil {
			return people.Member{}, fmt.Errorf("add member: %w", err)
		}
		return it.member(), nil
	}
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table),
		Key: dynamo.Key(teamPK(sc.TenantID, m.TeamID), memberSK(m.UserID)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return people.Member{}, fmt.Errorf("add member: %w", err)
	}
	if len(out.Item) == 0 { // removed in between: the caller may retry
		return people.Member{}, errs.Conflict("member_changed", "the membership changed while it was added: try again")
	}
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return people.Member{}, fmt.Errorf("add member: %w", err)
	}
	return it.member(), nil
}

// RemoveMember removes a membership; not_found (member_not_found) if absent.
func (s TeamDB) RemoveMember(ctx context.Context, sc tenancy.Scope, teamID, userID string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(teamPK(sc.TenantID, teamID), memberSK(userID)),
		ConditionExpression: aws.String("attribute_exists(pk)")})
	if dynamo.ConditionFailed(err) {
		return errs.NotFound("member")
	}
	if err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	return nil
}

// Members lists a team's members in user id order.
func (s TeamDB) Members(ctx context.Context, sc tenancy.Scope, teamID string, req list.Request) (list.Page[people.Member], error) {
	return listPage(ctx, s.UserDB, pageQuery{table: sc.Table, attr: schema.PK, partition: teamPK(sc.TenantID, teamID), skPrefix: memberPrefix,
		scope: list.Scope("team-members", sc.TenantID, teamID), req: req, what: "list members"}, memberItem.member)
}

// UserTeams lists a user's memberships in team id order.
func (s TeamDB) UserTeams(ctx context.Context, sc tenancy.Scope, userID string, req list.Request) (list.Page[people.Member], error) {
	return listPage(ctx, s.UserDB, pageQuery{table: sc.Table, index: schema.GSI1, attr: schema.GSI1PK, partition: userTeamsGSI(sc.TenantID, userID),
		scope: list.Scope("user-teams", sc.TenantID, userID), req: req, what: "list user's teams"}, memberItem.member)
}
