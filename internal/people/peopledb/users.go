// Package peopledb stores the people domain in DynamoDB: the user directory
// (users, email claims, counters, settings), teams and memberships, with
// their keys and item converters. Every partition starts with "T#<tenant>#".
package peopledb

import (
	"context"
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
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Keys (every partition starts with "T#<tenant>#"):
//   - user: pk "T#<t>#USER#<id>", sk "USER"; gsi1 "T#<t>#USERS" / "<lower email>#<id>"
//   - email claim: pk "T#<t>#EMAIL#<lower email>", sk "EMAIL": one user per
//     email; "pending" while an invitation is under way, "done" after
//   - counters: pk "T#<t>#DIRECTORY", sk "COUNTERS": users (records and
//     pending invitations) and super_admins (active ones), updated in the
//     same transaction as the change they count, with the limit as condition
//   - settings: pk "T#<t>#DIRECTORY", sk "SETTINGS"
func tenantPrefix(tenantID string) string { return schema.TenantKeyPrefix(tenantID) }
func userPK(tenantID, id string) string   { return tenantPrefix(tenantID) + "USER#" + id }
func usersGSI(tenantID string) string     { return tenantPrefix(tenantID) + "USERS" }
func usersGSISK(email, id string) string  { return strings.ToLower(email) + "#" + id }
func emailPK(tenantID, email string) string {
	return tenantPrefix(tenantID) + "EMAIL#" + strings.ToLower(email)
}
func directoryPK(tenantID string) string { return tenantPrefix(tenantID) + "DIRECTORY" }

const (
	userSK, emailSK, countersSK, settingsSK = "USER", "EMAIL", "COUNTERS", "SETTINGS"
	claimPending, claimDone                 = "pending", "done"
)

type userItem struct {
	_            dynamo.NotComparable
	PK           string    `dynamodbav:"pk"`
	SK           string    `dynamodbav:"sk"`
	GSI1PK       string    `dynamodbav:"gsi1pk"`
	GSI1SK       string    `dynamodbav:"gsi1sk"`
	ID           string    `dynamodbav:"id"`
	TenantID     string    `dynamodbav:"tenant_id"`
	Username     string    `dynamodbav:"username"`
	Email        string    `dynamodbav:"email"`
	DisplayName  string    `dynamodbav:"display_name,omitempty"`
	Role         string    `dynamodbav:"role"`
	Status       string    `dynamodbav:"status"`
	MFAEnabledAt time.Time `dynamodbav:"mfa_enabled_at,omitempty"`
	// SessionsEndedAt: people.User.SessionsEndedAt (sign-out, disable).
	SessionsEndedAt time.Time `dynamodbav:"sessions_ended_at,omitempty"`
	// Elsewhere: people.User.Elsewhere (an invitation of another workspace's user).
	Elsewhere bool      `dynamodbav:"elsewhere,omitempty"`
	CreatedAt time.Time `dynamodbav:"created_at"`
	UpdatedAt time.Time `dynamodbav:"updated_at"`
	Version   int64     `dynamodbav:"version"`
}

func toUserItem(u people.User) userItem {
	return userItem{PK: userPK(u.TenantID, u.ID), SK: userSK,
		GSI1PK: usersGSI(u.TenantID), GSI1SK: usersGSISK(u.Email, u.ID),
		ID: u.ID, TenantID: u.TenantID, Username: u.Username, Email: u.Email, DisplayName: u.DisplayName,
		Role: string(u.Role), Status: string(u.Status), MFAEnabledAt: u.MFAEnabledAt,
		SessionsEndedAt: u.SessionsEndedAt, Elsewhere: u.Elsewhere, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Version: u.Version}
}

func (it userItem) user() people.User {
	return people.User{ID: it.ID, TenantID: it.TenantID, Username: it.Username, Email: it.Email,
		DisplayName: it.DisplayName, Role: roles.Role(it.Role), Status: people.UserStatus(it.Status), MFAEnabledAt: it.MFAEnabledAt,
		SessionsEndedAt: it.SessionsEndedAt, Elsewhere: it.Elsewhere, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, Version: it.Version}
}

type emailItem struct {
	PK          string    `dynamodbav:"pk"`
	SK          string    `dynamodbav:"sk"`
	Email       string    `dynamodbav:"email"`
	Role        string    `dynamodbav:"role"`
	DisplayName string    `dynamodbav:"display_name,omitempty"`
	Status      string    `dynamodbav:"status"`
	UserID      string    `dynamodbav:"user_id,omitempty"`
	CreatedAt   time.Time `dynamodbav:"created_at"`
}

type countersItem struct {
	PK          string `dynamodbav:"pk"`
	SK          string `dynamodbav:"sk"`
	Users       int    `dynamodbav:"users"`
	SuperAdmins int    `dynamodbav:"super_admins"`
}

type settingsItem struct {
	PK                 string    `dynamodbav:"pk"`
	SK                 string    `dynamodbav:"sk"`
	MFARequired        bool      `dynamodbav:"mfa_required"`
	SupportAccessUntil time.Time `dynamodbav:"support_access_until,omitempty"`
	SupportGrantedBy   string    `dynamodbav:"support_granted_by,omitempty"`
}

// UserDB is the DynamoDB Directory. Cursors signs the cursors of its lists
// (the zero value: a key of this process only).
type UserDB struct {
	DB      *dynamodb.Client
	Cursors list.Codec
}

var (
	_ people.Directory      = UserDB{}
	_ people.SettingsReader = UserDB{}
)

// Get implements Directory.
func (s UserDB) Get(ctx context.Context, sc tenancy.Scope, userID string) (people.User, error) {
	var it userItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(userPK(sc.TenantID, userID), userSK), &it, "user", errs.NotFound("user")); err != nil {
		return people.User{}, err
	}
	return it.user(), nil
}

// activeSA is 1 when u counts as a super admin (active), else 0.
func activeSA(u people.User) int {
	if u.Role == roles.SuperAdmin && u.Status == people.UserActive {
		return 1
	}
	return 0
}

// Put implements Directory: the user, its email claim and the counters in
// one transaction (no limit is applied: seed and onboarding are trusted).
func (s UserDB) Put(ctx context.Context, sc tenancy.Scope, u people.User) error {
	if err := s.ensureCounters(ctx, sc); err != nil {
		return err
	}
	old, err := s.Get(ctx, sc, u.ID)
	isNew := errs.Is(err, errs.KindNotFound)
	if err != nil && !isNew {
		return err
	}
	cond := expression.AttributeNotExists(expression.Name(schema.PK))
	du := 1
	if !isNew {
		cond = expression.Name("version").Equal(expression.Value(old.Version))
		du = 0
		u.Version = old.Version + 1
	}
	userPut, err := putItem(sc.Table, toUserItem(u), &cond)
	if err != nil {
		return err
	}
	claim, err := putItem(sc.Table, emailItem{PK: emailPK(u.TenantID, u.Email), SK: emailSK, Email: u.Email,
		Role: string(u.Role), Status: claimDone, UserID: u.ID, CreatedAt: u.CreatedAt}, nil)
	if err != nil {
		return err
	}
	counters, err := counterUpdate(sc, du, activeSA(u)-activeSA(old), 0, false)
	if err != nil {
		return err
	}
	if _, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{userPut, claim, counters}}); err != nil {
		if _, ok := dynamo.CancelledItems(err); ok {
			return errs.Conflict("user_changed", "the user changed meanwhile; retry")
		}
		return fmt.Errorf("put user: %w", err)
	}
	return nil
}

// List returns a page of the tenant's users in email order.
func (s UserDB) List(ctx context.Context, sc tenancy.Scope, req list.Request) (list.Page[people.User], error) {
	return s.listUsers(ctx, sc, list.Scope("users", sc.TenantID), req)
}

// ListForSupport is List as the provider's support reads it: the same
// users, with cursors of their own (a member's cursor is not Root's).
func (s UserDB) ListForSupport(ctx context.Context, sc tenancy.Scope, req list.Request) (list.Page[people.User], error) {
	return s.listUsers(ctx, sc, list.Scope("support-users", sc.TenantID), req)
}

func (s UserDB) listUsers(ctx context.Context, sc tenancy.Scope, scope string, req list.Request) (list.Page[people.User], error) {
	return listPage(ctx, s, pageQuery{table: sc.Table, index: schema.GSI1, attr: schema.GSI1PK, partition: usersGSI(sc.TenantID),
		scope: scope, req: req, what: "list users"}, userItem.user)
}

// pageQuery is one page of a Query on a partition of the tenant.
type pageQuery struct {
	table, index, attr, partition string
	skPrefix                      string // optional sort-key prefix
	scope                         string // the list's cursor scope (list.Scope)
	req                           list.Request
	what                          string
}

// listPage runs a pageQuery and converts the stored items: every list of
// the directory (users, teams, members, a user's teams) is one of these.
func listPage[I, T any](ctx context.Context, s UserDB, q pageQuery, conv func(I) T) (list.Page[T], error) {
	in, err := s.queryInput(q.table, q.index, q.attr, q.partition, q.skPrefix)
	if err != nil {
		return list.Page[T]{}, err
	}
	keys := []string{schema.PK, schema.SK}
	if q.index != "" {
		keys = append(keys, q.attr, q.attr[:len(q.attr)-2]+"sk") // gsi1pk -> gsi1sk
	}
	var its []I
	next, err := dynamo.QueryPage(ctx, s.DB, dynamo.Page{In: in, Codec: s.Cursors, Scope: q.scope, KeyAttr: keys, Request: q.req}, &its)
	if err != nil {
		return list.Page[T]{}, fmt.Errorf("%s: %w", q.what, err)
	}
	out := make([]T, len(its))
	for i, it := range its {
		out[i] = conv(it)
	}
	return list.NewPage(out, next), nil
}

// queryInput is the Query of one partition (of an index when index is set).
func (s UserDB) queryInput(table, index, attr, partition, skPrefix string) (*dynamodb.QueryInput, error) {
	kc := expression.Key(attr).Equal(expression.Value(partition))
	if skPrefix != "" {
		kc = kc.And(expression.Key(schema.SK).BeginsWith(skPrefix))
	}
	ex, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: ex.KeyCondition(),
		ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values()}
	if index != "" {
		in.IndexName = aws.String(index)
	}
	return in, nil
}

// query reads one page of a partition from start (a LastEvaluatedKey) for
// the store's own loops; it returns where the next page starts.
func (s UserDB) query(ctx context.Context, table, index string, kc expression.KeyConditionBuilder, start map[string]types.AttributeValue, limit int, out any) (map[string]types.AttributeValue, error) {
	ex, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: ex.KeyCondition(),
		ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values(),
		ExclusiveStartKey: start, Limit: aws.Int32(int32(limit))}
	if index != "" {
		in.IndexName = aws.String(index)
	}
	res, err := s.DB.Query(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := attributevalue.UnmarshalListOfMaps(res.Items, out); err != nil {
		return nil, err
	}
	return res.LastEvaluatedKey, nil
}

// Reserve claims the email and a seat in one transaction: conflict
// (user_exists) when the email is a user already, unprocessable
// (user_limit_reached) past maxUsers (0: unlimited). A pending claim (an
// invitation that stopped half-way) is returned for the caller to finish.
func (s UserDB) Reserve(ctx context.Context, sc tenancy.Scope, in people.Invitation, maxUsers int, now time.Time) (people.Claim, error) {
	if err := s.ensureCounters(ctx, sc); err != nil {
		return people.Claim{}, err
	}
	notExists := expression.AttributeNotExists(expression.Name(schema.PK))
	put, err := putItem(sc.Table, emailItem{PK: emailPK(sc.TenantID, in.Email), SK: emailSK, Email: in.Email,
		Role: in.Role, DisplayName: in.DisplayName, Status: claimPending, CreatedAt: now}, &notExists)
	if err != nil {
		return people.Claim{}, err
	}
	seat, err := counterUpdate(sc, 1, 0, maxUsers, true)
	if err != nil {
		return people.Claim{}, err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put, seat}})
	reasons, failed := dynamo.CancelledItems(err)
	switch {
	case err == nil:
		return people.Claim{Invitation: in}, nil
	case failed && reasons[0]:
		c, err := s.getClaim(ctx, sc, in.Email)
		if err != nil {
			return people.Claim{}, err
		}
		if c.Done {
			return people.Claim{}, errs.Conflict("user_exists", fmt.Sprintf("%s is already a user of this workspace", in.Email))
		}
		return c, nil
	case failed && reasons[1]:
		return people.Claim{}, errs.E(errs.KindUnprocessable, "user_limit_reached",
			"your plan allows %d users and the workspace has reached that limit: remove a user or upgrade the plan", maxUsers)
	}
	return people.Claim{}, fmt.Errorf("reserve invitation: %w", err)
}

func (s UserDB) getClaim(ctx context.Context, sc tenancy.Scope, email string) (people.Claim, error) {
	var it emailItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(emailPK(sc.TenantID, email), emailSK), &it, "email claim", errs.NotFound("invitation")); err != nil {
		return people.Claim{}, err
	}
	return people.Claim{Invitation: people.Invitation{Email: it.Email, Role: it.Role, DisplayName: it.DisplayName},
		Done: it.Status == claimDone, UserID: it.UserID}, nil
}

// ByEmail implements people.EmailFinder: the user whose completed email
// claim in the tenant is email (not_found otherwise). Two reads: the
// claim, then the user it names.
func (s UserDB) ByEmail(ctx context.Context, sc tenancy.Scope, email string) (people.User, error) {
	c, err := s.getClaim(ctx, sc, email)
	if errs.Is(err, errs.KindNotFound) || (err == nil && (!c.Done || c.UserID == "")) {
		return people.User{}, errs.NotFound("user")
	}
	if err != nil {
		return people.User{}, err
	}
	return s.Get(ctx, sc, c.UserID)
}

// Release gives back a pending claim and its seat (the invitation cannot be
// completed, e.g. the email belongs to another tenant).
func (s UserDB) Release(ctx context.Context, sc tenancy.Scope, email string) error {
	cond := expression.Name("status").Equal(expression.Value(claimPending))
	del, err := deleteItem(sc.Table, emailPK(sc.TenantID, email), emailSK, &cond)
	if err != nil {
		return err
	}
	seat, err := counterUpdate(sc, -1, 0, 0, true)
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{del, seat}})
	if _, ok := dynamo.CancelledItems(err); err != nil && !ok {
		return fmt.Errorf("release invitation: %w", err)
	}
	return nil
}

// Complete writes the user record of a reserved invitation and marks the
// claim done, in one transaction; an already completed one is returned.
func (s UserDB) Complete(ctx context.Context, sc tenancy.Scope, u people.User) (people.User, error) {
	notExists := expression.AttributeNotExists(expression.Name(schema.PK))
	put, err := putItem(sc.Table, toUserItem(u), &notExists)
	if err != nil {
		return people.User{}, err
	}
	upd, err := update(sc.Table, emailPK(u.TenantID, u.Email), emailSK,
		expression.Set(expression.Name("status"), expression.Value(claimDone)).Set(expression.Name("user_id"), expression.Value(u.ID)),
		expression.Name("status").Equal(expression.Value(claimPending)))
	if err != nil {
		return people.User{}, err
	}
	sa, err := counterUpdate(sc, 0, activeSA(u), 0, true)
	if err != nil {
		return people.User{}, err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put, upd, sa}})
	if _, ok := dynamo.CancelledItems(err); ok {
		return s.Get(ctx, sc, u.ID)
	}
	if err != nil {
		return people.User{}, fmt.Errorf("complete invitation: %w", err)
	}
	return u, nil
}

// Change moves a user from the state cur to next (role and status) in one
// transaction with the super-admin counter: conflict user_changed when cur
// is stale, conflict last_super_admin when it would leave the tenant
// without an active Super Admin.
func (s UserDB) Change(ctx context.Context, sc tenancy.Scope, cur, next people.User) (people.User, error) {
	if err := s.ensureCounters(ctx, sc); err != nil {
		return people.User{}, err
	}
	next.Version = cur.Version + 1
	set := expression.Set(expression.Name("role"), expression.Value(string(next.Role))).
		Set(expression.Name("status"), expression.Value(string(next.Status))).
		Set(expression.Name("updated_at"), expression.Value(next.UpdatedAt)).
		Set(expression.Name("version"), expression.Value(next.Version))
	if next.SessionsEndedAt.After(cur.SessionsEndedAt) { // disabling ends the sessions in the same write
		set = set.Set(expression.Name("sessions_ended_at"), expression.Value(next.SessionsEndedAt))
	}
	upd, err := update(sc.Table, userPK(cur.TenantID, cur.ID), userSK, set,
		expression.Name("version").Equal(expression.Value(cur.Version)))
	if err != nil {
		return people.User{}, err
	}
	items := []types.TransactWriteItem{upd}
	if d := activeSA(next) - activeSA(cur); d != 0 {
		c, err := counterUpdate(sc, 0, d, 0, true)
		if err != nil {
			return people.User{}, err
		}
		items = append(items, c)
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	reasons, failed := dynamo.CancelledItems(err)
	switch {
	case err == nil:
		return next, nil
	case failed && reasons[0]:
		return people.User{}, errs.Conflict("user_changed", "the user changed meanwhile; reload and retry")
	case failed && len(reasons) > 1 && reasons[1]:
		return people.User{}, errs.Conflict("last_super_admin", "this is the last active Super Admin of the workspace: make another user Super Admin first")
	}
	return people.User{}, fmt.Errorf("change user: %w", err)
}

// Delete removes a user whose status is removing, its email claim and its
// team memberships, and frees its seat.
func (s UserDB) Delete(ctx context.Context, sc tenancy.Scope, u people.User) error {
	for {
		var ms []memberItem
		_, err := s.query(ctx, sc.Table, schema.GSI1, expression.Key(schema.GSI1PK).Equal(expression.Value(userTeamsGSI(u.TenantID, u.ID))), nil, 100, &ms)
		if err != nil {
			return fmt.Errorf("list teams of removed user: %w", err)
		}
		if len(ms) == 0 {
			break
		}
		for _, m := range ms {
			if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(m.PK, m.SK)}); err != nil {
				return fmt.Errorf("remove membership: %w", err)
			}
		}
	}
	cond := expression.Name("status").Equal(expression.Value(string(people.UserRemoving)))
	delUser, err := deleteItem(sc.Table, userPK(u.TenantID, u.ID), userSK, &cond)
	if err != nil {
		return err
	}
	delClaim, err := deleteItem(sc.Table, emailPK(u.TenantID, u.Email), emailSK, nil)
	if err != nil {
		return err
	}
	seat, err := counterUpdate(sc, -1, 0, 0, true)
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{delUser, delClaim, seat}})
	if _, ok := dynamo.CancelledItems(err); ok {
		return nil // already deleted by an earlier attempt
	}
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}

// SetMFAEnabled records when the user completed MFA set-up.
func (s UserDB) SetMFAEnabled(ctx context.Context, sc tenancy.Scope, userID string, at time.Time) error {
	it, err := update(sc.Table, userPK(sc.TenantID, userID), userSK,
		expression.Set(expression.Name("mfa_enabled_at"), expression.Value(at)).
			Set(expression.Name("version"), expression.Name("version").Plus(expression.Value(1))),
		expression.AttributeExists(expression.Name(schema.PK)))
	if err != nil {
		return err
	}
	u := it.Update
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
		ConditionExpression: u.ConditionExpression, ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues})
	return dynamo.Translate(err, "set MFA of user", errs.NotFound("user"))
}

// EndSessions implements people.UserStore: sessions_ended_at moves only
// forward.
func (s UserDB) EndSessions(ctx context.Context, sc tenancy.Scope, userID string, at time.Time) error {
	at = at.UTC()
	it, err := update(sc.Table, userPK(sc.TenantID, userID), userSK,
		expression.Set(expression.Name("sessions_ended_at"), expression.Value(at)),
		expression.AttributeExists(expression.Name(schema.PK)).And(
			expression.Or(expression.AttributeNotExists(expression.Name("sessions_ended_at")),
				expression.Name("sessions_ended_at").LessThan(expression.Value(at)))))
	if err != nil {
		return err
	}
	u := it.Update
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
		ConditionExpression: u.ConditionExpression, ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues})
	if dynamo.ConditionFailed(err) {
		if _, gerr := s.Get(ctx, sc, userID); gerr != nil {
			return gerr // user_not_found
		}
		return nil // a later end is recorded already
	}
	return dynamo.Translate(err, "end the sessions of user", errs.NotFound("user"))
}

// Settings implements SettingsReader.
func (s UserDB) Settings(ctx context.Context, sc tenancy.Scope) (people.Settings, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(directoryPK(sc.TenantID), settingsSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return people.Settings{}, fmt.Errorf("get settings: %w", err)
	}
	var it settingsItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return people.Settings{}, err
	}
	return people.Settings{MFARequired: it.MFARequired, SupportAccessUntil: it.SupportAccessUntil, SupportGrantedBy: it.SupportGrantedBy}, nil
}

// PutSettings replaces the tenant's settings.
func (s UserDB) PutSettings(ctx context.Context, sc tenancy.Scope, st people.Settings) error {
	av, err := attributevalue.MarshalMap(settingsItem{PK: directoryPK(sc.TenantID), SK: settingsSK, MFARequired: st.MFARequired,
		SupportAccessUntil: st.SupportAccessUntil, SupportGrantedBy: st.SupportGrantedBy})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sc.Table), Item: av}); err != nil {
		return fmt.Errorf("put settings: %w", err)
	}
	return nil
}

// Counters returns the tenant's user and super-admin counts.
func (s UserDB) Counters(ctx context.Context, sc tenancy.Scope) (users, superAdmins int, err error) {
	get := func() (*dynamodb.GetItemOutput, error) {
		return s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(directoryPK(sc.TenantID), countersSK), ConsistentRead: aws.Bool(true)})
	}
	out, err := get()
	if err != nil {
		return 0, 0, fmt.Errorf("get counters: %w", err)
	}
	if out.Item == nil {
		// A directory written before counters existed, or a home the
		// tenant has left (a read must not write: the seat count of a
		// job that still reads the old home would put the item back after
		// the retirement deleted it). Counted, not stored; the next user
		// write stores the counters (ensureCounters).
		c, err := s.countUsers(ctx, sc)
		return c.Users, c.SuperAdmins, err
	}
	var it countersItem
	err = attributevalue.UnmarshalMap(out.Item, &it)
	return it.Users, it.SuperAdmins, err
}

// countUsers counts the tenant's users and active super admins (one page
// of the users index at a time).
func (s UserDB) countUsers(ctx context.Context, sc tenancy.Scope) (countersItem, error) {
	c := countersItem{PK: directoryPK(sc.TenantID), SK: countersSK}
	var start map[string]types.AttributeValue
	for {
		var its []userItem
		next, err := s.query(ctx, sc.Table, schema.GSI1, expression.Key(schema.GSI1PK).Equal(expression.Value(usersGSI(sc.TenantID))), start, 100, &its)
		if err != nil {
			return c, fmt.Errorf("count users: %w", err)
		}
		for _, it := range its {
			c.Users++
			c.SuperAdmins += activeSA(it.user())
		}
		if len(next) == 0 {
			return c, nil
		}
		start = next
	}
}

// ensureCounters creates the counters of a tenant that has none yet by
// counting its users once (a directory written before counters existed).
func (s UserDB) ensureCounters(ctx context.Context, sc tenancy.Scope) error {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sc.Table), Key: dynamo.Key(directoryPK(sc.TenantID), countersSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("get counters: %w", err)
	}
	if out.Item != nil {
		return nil
	}
	c, err := s.countUsers(ctx, sc)
	if err != nil {
		return err
	}
	av, err := attributevalue.MarshalMap(c)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sc.Table), Item: av,
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if dynamo.ConditionFailed(err) {
		return nil // another request counted first
	}
	return dynamo.Translate(err, "create counters", nil)
}

// counterUpdate adds du users and dsa super admins. A positive du is
// conditioned on the limit (maxUsers > 0); a negative dsa on leaving at
// least one super admin (guardLastSA; the trusted Put does not guard).
func counterUpdate(sc tenancy.Scope, du, dsa, maxUsers int, guardLastSA bool) (types.TransactWriteItem, error) {
	upd := expression.Add(expression.Name("users"), expression.Value(du)).Add(expression.Name("super_admins"), expression.Value(dsa))
	cond := expression.AttributeExists(expression.Name(schema.PK))
	if du > 0 && maxUsers > 0 {
		cond = cond.And(expression.Name("users").LessThan(expression.Value(maxUsers)))
	}
	if dsa < 0 && guardLastSA {
		cond = cond.And(expression.Name("super_admins").GreaterThan(expression.Value(-dsa)))
	}
	return update(sc.Table, directoryPK(sc.TenantID), countersSK, upd, cond)
}

func update(table, pk, sk string, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (types.TransactWriteItem, error) {
	ex, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(table), Key: dynamo.Key(pk, sk),
		UpdateExpression: ex.Update(), ConditionExpression: ex.Condition(),
		ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values()}}, nil
}

func putItem(table string, item any, cond *expression.ConditionBuilder) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	p := &types.Put{TableName: aws.String(table), Item: av}
	if cond != nil {
		ex, err := expression.NewBuilder().WithCondition(*cond).Build()
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		p.ConditionExpression, p.ExpressionAttributeNames, p.ExpressionAttributeValues = ex.Condition(), ex.Names(), ex.Values()
	}
	return types.TransactWriteItem{Put: p}, nil
}

func deleteItem(table, pk, sk string, cond *expression.ConditionBuilder) (types.TransactWriteItem, error) {
	d := &types.Delete{TableName: aws.String(table), Key: dynamo.Key(pk, sk)}
	if cond != nil {
		ex, err := expression.NewBuilder().WithCondition(*cond).Build()
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		d.ConditionExpression, d.ExpressionAttributeNames, d.ExpressionAttributeValues = ex.Condition(), ex.Names(), ex.Values()
	}
	return types.TransactWriteItem{Delete: d}, nil
}

// FindByHandle finds the user a mention names: an email ("ann@acme.com")
// names the user with that email, a name ("ann") the user whose email is
// "ann@..."; ok is false for no user or several (an ambiguous name). One
// Query of at most two items on the users index (gsi1 sorts by lower email).
func (s UserDB) FindByHandle(ctx context.Context, sc tenancy.Scope, handle string) (people.User, bool, error) {
	h := strings.ToLower(handle)
	prefix := h + "@"
	if strings.Contains(h, "@") {
		prefix = h + "#"
	}
	kc := expression.Key(schema.GSI1PK).Equal(expression.Value(usersGSI(sc.TenantID))).
		And(expression.Key(schema.GSI1SK).BeginsWith(prefix))
	var its []userItem
	if _, err := s.query(ctx, sc.Table, schema.GSI1, kc, nil, 2, &its); err != nil {
		return people.User{}, false, fmt.Errorf("find user by handle: %w", err)
	}
	if len(its) != 1 {
		return people.User{}, false, nil
	}
	return its[0].user(), true, nil
}
