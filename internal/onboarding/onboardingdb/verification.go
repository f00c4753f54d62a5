package onboardingdb

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// A registration's pending verification: pk "TENANT#<id>", sk
// "VERIFICATION", removed once verified; DynamoDB's TTL clears one that
// was never used (verificationRetention after its code expired).
const verificationSK = "VERIFICATION"

const verificationRetention = 30 * 24 * time.Hour

type verificationItem struct {
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	TenantID  string    `dynamodbav:"tenant_id"`
	Salt      string    `dynamodbav:"salt"`
	CodeHash  string    `dynamodbav:"code_hash"`
	CodeUntil time.Time `dynamodbav:"code_expires_at"`
	Attempts  int       `dynamodbav:"attempts"`
	Sends     int       `dynamodbav:"sends"`
	SentAt    time.Time `dynamodbav:"sent_at"`
	TTL       int64     `dynamodbav:"expires_at"`
}

func toVerificationItem(v onboarding.Verification) verificationItem {
	return verificationItem{PK: statePK(v.TenantID), SK: verificationSK, TenantID: v.TenantID, Salt: v.Salt,
		CodeHash: v.CodeHash, CodeUntil: v.ExpiresAt, Attempts: v.Attempts, Sends: v.Sends, SentAt: v.SentAt,
		TTL: v.ExpiresAt.Add(verificationRetention).Unix()}
}

func (it verificationItem) verification() onboarding.Verification {
	return onboarding.Verification{TenantID: it.TenantID, Salt: it.Salt, CodeHash: it.CodeHash, ExpiresAt: it.CodeUntil,
		Attempts: it.Attempts, Sends: it.Sends, SentAt: it.SentAt}
}

// Verifications is the DynamoDB onboarding.Verifications.
type Verifications struct {
	DB    *dynamodb.Client
	Table string
}

var _ onboarding.Verifications = Verifications{}

// NewVerifications returns the store on the control table of names.
func NewVerifications(db *dynamodb.Client, names schema.Names) Verifications {
	return Verifications{DB: db, Table: names.Control()}
}

func verificationKey(tenantID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		schema.PK: &types.AttributeValueMemberS{Value: statePK(tenantID)},
		schema.SK: &types.AttributeValueMemberS{Value: verificationSK},
	}
}

// Get implements onboarding.Verifications.
func (s Verifications) Get(ctx context.Context, tenantID string) (onboarding.Verification, error) {
	var it verificationItem
	if err := dynamo.GetItem(ctx, s.DB, s.Table, verificationKey(tenantID), &it, "verification of", errs.NotFound("verification")); err != nil {
		return onboarding.Verification{}, err
	}
	return it.verification(), nil
}

// CountAttempt implements onboarding.Verifications with one conditional
// UpdateItem, so parallel guesses cannot exceed the limit.
func (s Verifications) CountAttempt(ctx context.Context, tenantID, salt string) (bool, error) {
	cond := expression.AttributeExists(expression.Name(schema.PK)).
		And(expression.Name("salt").Equal(expression.Value(salt))).
		And(expression.Name("attempts").LessThan(expression.Value(onboarding.MaxCodeAttempts)))
	ex, err := expression.NewBuilder().WithCondition(cond).
		WithUpdate(expression.Add(expression.Name("attempts"), expression.Value(1))).Build()
	if err != nil {
		return false, err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: verificationKey(tenantID),
		UpdateExpression: ex.Update(), ConditionExpression: ex.Condition(),
		ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values()})
	if dynamo.ConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("count verification attempt of %s: %w", tenantID, err)
	}
	return true, nil
}

// Replace implements onboarding.Verifications: only a pending one (conflict
// registration_verified when it is gone).
func (s Verifications) Replace(ctx context.Context, v onboarding.Verification) error {
	av, err := attributevalue.MarshalMap(toVerificationItem(v))
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av,
		ConditionExpression: aws.String("attribute_exists(pk)")})
	if dynamo.ConditionFailed(err) {
		return errs.Conflict("registration_verified", "the registration of "+v.TenantID+" is verified already")
	}
	if err != nil {
		return fmt.Errorf("replace verification of %s: %w", v.TenantID, err)
	}
	return nil
}

// Delete implements onboarding.Verifications.
func (s Verifications) Delete(ctx context.Context, tenantID string) error {
	if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: verificationKey(tenantID)}); err != nil {
		return fmt.Errorf("delete verification of %s: %w", tenantID, err)
	}
	return nil
}
