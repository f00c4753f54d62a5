// Package apikeys gives every tenant its own API Gateway API key on its
// tier's usage plan (onboarding.APIKeys): in AWS through the API Gateway API,
// locally as a random value the local gateway buckets by.
package apikeys

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/localkeys"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Local keys (localkeys.Local): the local platform's.
type Local = localkeys.Local

// TenantTag is on every tenant's key, with the tenant id: the platform's
// functions may delete only keys that carry it (constructs/api).
const TenantTag = "issuetracker:tenant"

// AWS manages keys with the API Gateway API.
type AWS struct {
	C *apigateway.Client
	// Prefix names keys "<prefix>-tenant-<id>" (the platform's table prefix).
	Prefix string
	// Plans are the usage plan ids per tier (outputs of the platform stack).
	Plans map[tiers.Name]string
	// LazyPlans reads them on first use when Plans is nil (SSM in AWS:
	// LazyPlansFromSSM), so a cold start makes no network call for them.
	LazyPlans *LazyPlans
}

var _ onboarding.APIKeys = AWS{}

func (a AWS) name(tenantID string) string { return a.Prefix + "-tenant-" + tenantID }

func (a AWS) plan(ctx context.Context, t tiers.Name) (string, error) {
	plans := a.Plans
	if plans == nil && a.LazyPlans != nil {
		var err error
		if plans, err = a.LazyPlans.Get(ctx); err != nil {
			return "", err
		}
	}
	if id := plans[t]; id != "" {
		return id, nil
	}
	return "", fmt.Errorf("no usage plan for tier %s", t)
}

// Create implements onboarding.APIKeys: it finds the tenant's key by name
// before creating one, and treats an existing plan membership as done.
func (a AWS) Create(ctx context.Context, tenantID string, tier tiers.Name) (string, string, error) {
	plan, err := a.plan(ctx, tier)
	if err != nil {
		return "", "", err
	}
	found, err := a.C.GetApiKeys(ctx, &apigateway.GetApiKeysInput{NameQuery: aws.String(a.name(tenantID)), IncludeValues: aws.Bool(true)})
	if err != nil {
		return "", "", fmt.Errorf("find api key of %s: %w", tenantID, err)
	}
	var id, value string
	for _, k := range found.Items {
		if aws.ToString(k.Name) == a.name(tenantID) {
			id, value = aws.ToString(k.Id), aws.ToString(k.Value)
		}
	}
	if id == "" {
		out, err := a.C.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{
			Name: aws.String(a.name(tenantID)), Enabled: true,
			Description: aws.String("IssueTracker tenant " + tenantID),
			Tags:        map[string]string{TenantTag: tenantID},
		})
		if err != nil {
			return "", "", fmt.Errorf("create api key of %s: %w", tenantID, err)
		}
		id, value = aws.ToString(out.Id), aws.ToString(out.Value)
	}
	if err := a.attach(ctx, plan, id); err != nil {
		return "", "", err
	}
	return id, value, nil
}

func (a AWS) attach(ctx context.Context, plan, id string) error {
	_, err := a.C.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{
		UsagePlanId: aws.String(plan), KeyId: aws.String(id), KeyType: aws.String("API_KEY")})
	var conflict *types.ConflictException
	if errors.As(err, &conflict) {
		// Already on this plan (a retry), or on another plan of the stage (an error).
		if _, gerr := a.C.GetUsagePlanKey(ctx, &apigateway.GetUsagePlanKeyInput{UsagePlanId: aws.String(plan), KeyId: aws.String(id)}); gerr == nil {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("add api key %s to usage plan %s: %w", id, plan, err)
	}
	return nil
}

// Move implements onboarding.APIKeys. A key may be on one usage plan per
// stage, so it leaves the old plan first; requests in the moment between
// are refused (403) and the client retries. Safe to repeat.
func (a AWS) Move(ctx context.Context, id string, from, to tiers.Name) error {
	toPlan, err := a.plan(ctx, to)
	if err != nil {
		return err
	}
	fromPlan, err := a.plan(ctx, from)
	if err != nil {
		return err
	}
	_, err = a.C.DeleteUsagePlanKey(ctx, &apigateway.DeleteUsagePlanKeyInput{UsagePlanId: aws.String(fromPlan), KeyId: aws.String(id)})
	var nf *types.NotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("remove api key %s from usage plan %s: %w", id, fromPlan, err)
	}
	return a.attach(ctx, toPlan, id)
}

// Delete implements onboarding.APIKeys (the key leaves its plans with it).
func (a AWS) Delete(ctx context.Context, id string) error {
	_, err := a.C.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: aws.String(id)})
	var nf *types.NotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete api key %s: %w", id, err)
	}
	return nil
}
