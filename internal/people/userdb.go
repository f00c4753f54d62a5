package people

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Keys: a user is pk "T#<tenant>#USER#<id>", sk "USER"; the tenant's user
// list is gsi1 partition "T#<tenant>#USERS" sorted by lower-cased email.
func userPK(tenantID, id string) string { return "T#" + tenantID + "#USER#" + id }
func usersGSI(tenantID string) string   { return "T#" + tenantID + "#USERS" }

const userSK = "USER"

type userItem struct {
	PK          string    `dynamodbav:"pk"`
	SK          string    `dynamodbav:"sk"`
	GSI1PK      string    `dynamodbav:"gsi1pk"`
	GSI1SK      string    `dynamodbav:"gsi1sk"`
	ID          string    `dynamodbav:"id"`
	TenantID    string    `dynamodbav:"tenant_id"`
	Username    string    `dynamodbav:"username"`
	Email       string    `dynamodbav:"email"`
	DisplayName string    `dynamodbav:"display_name,omitempty"`
	Role        string    `dynamodbav:"role"`
	Status      string    `dynamodbav:"status"`
	CreatedAt   time.Time `dynamodbav:"created_at"`
	UpdatedAt   time.Time `dynamodbav:"updated_at"`
	Version     int64     `dynamodbav:"version"`
}

// UserDB is the DynamoDB Directory.
type UserDB struct{ DB *dynamodb.Client }

var _ Directory = UserDB{}

// Get implements Directory.
func (s UserDB) Get(ctx context.Context, table, tenantID, userID string) (User, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(table),
		Key: map[string]types.AttributeValue{
			schema.PK: &types.AttributeValueMemberS{Value: userPK(tenantID, userID)},
			schema.SK: &types.AttributeValueMemberS{Value: userSK},
		},
	})
	if err != nil {
		return User{}, fmt.Errorf("get user: %w", err)
	}
	if out.Item == nil {
		return User{}, errs.NotFound("user")
	}
	var it userItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return User{}, fmt.Errorf("decode user: %w", err)
	}
	return User{ID: it.ID, TenantID: it.TenantID, Username: it.Username, Email: it.Email,
		DisplayName: it.DisplayName, Role: roles.Role(it.Role), Status: UserStatus(it.Status),
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, Version: it.Version}, nil
}

// Put implements Directory.
func (s UserDB) Put(ctx context.Context, table string, u User) error {
	it := userItem{PK: userPK(u.TenantID, u.ID), SK: userSK,
		GSI1PK: usersGSI(u.TenantID), GSI1SK: strings.ToLower(u.Email) + "#" + u.ID,
		ID: u.ID, TenantID: u.TenantID, Username: u.Username, Email: u.Email, DisplayName: u.DisplayName,
		Role: string(u.Role), Status: string(u.Status), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Version: u.Version}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: av}); err != nil {
		return fmt.Errorf("put user: %w", err)
	}
	return nil
}
