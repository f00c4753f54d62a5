package issuedb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// labelItem is a catalog entry: pk T#t#LABELS, sk LABEL#<id>. A guard item
// (sk LABELNAME#<issue.LabelNameKey(name)>: NFC and case-folded) keeps names
// unique per tenant. Guards written before case folding hold the lower-cased
// name; a rename or delete removes that form too.
type labelItem struct {
	_         dynamo.NotComparable
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	Entity    string    `dynamodbav:"entity"`
	ID        string    `dynamodbav:"id"`
	Name      string    `dynamodbav:"name"`
	Color     string    `dynamodbav:"color"`
	CreatedAt time.Time `dynamodbav:"created_at"`
	UpdatedAt time.Time `dynamodbav:"updated_at"`
}

type nameGuard struct {
	_       dynamo.NotComparable
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	LabelID string `dynamodbav:"label_id"`
}

// MaxCatalog bounds a tenant's label catalog: one Query page lists it.
const MaxCatalog = issue.MaxLabelCatalog

func nameTaken(name string) failFunc {
	return func(map[string]av) error {
		e := errs.Conflict("label_name_taken", fmt.Sprintf("a label named %q exists", name))
		e.Fields = []errs.FieldError{{Field: "name", Reason: "is taken"}}
		return e
	}
}

// CreateLabel adds a label; its name (case-insensitive) must be free.
func (s *Store) CreateLabel(ctx context.Context, sc tenancy.Scope, l issue.Label) error {
	t := &tx{table: sc.Table}
	t.put(labelItem{PK: labelsPK(sc.TenantID), SK: labelSK(l.ID), Entity: "label", ID: l.ID, Name: l.Name, Color: l.Color,
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}, notExists(), func(map[string]av) error {
		return errs.Conflict("label_exists", "label id already used")
	})
	t.put(nameGuard{PK: labelsPK(sc.TenantID), SK: labelNameSK(issue.LabelNameKey(l.Name)), LabelID: l.ID}, notExists(), nameTaken(l.Name))
	return t.run(ctx, s.DB, "create label")
}

// Label returns a label or label_not_found.
func (s *Store) Label(ctx context.Context, sc tenancy.Scope, id string) (issue.Label, error) {
	if !issue.ValidID(id) {
		return issue.Label{}, errs.NotFound("label")
	}
	var it labelItem
	if err := dynamo.GetItem(ctx, s.DB, sc.Table, dynamo.Key(labelsPK(sc.TenantID), labelSK(id)), &it, "label", errs.NotFound("label")); err != nil {
		return issue.Label{}, err
	}
	return it.label(), nil
}

func (it labelItem) label() issue.Label {
	return issue.Label{ID: it.ID, Name: it.Name, Color: it.Color, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
}

// UpdateLabel renames and/or recolors old into l, moving the name guard on a
// rename. A concurrent change of the same label is a 412.
func (s *Store) UpdateLabel(ctx context.Context, sc tenancy.Scope, old, l issue.Label) error {
	t := &tx{table: sc.Table}
	c := expression.Name("updated_at").Equal(expression.Value(old.UpdatedAt))
	t.put(labelItem{PK: labelsPK(sc.TenantID), SK: labelSK(l.ID), Entity: "label", ID: l.ID, Name: l.Name, Color: l.Color,
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}, &c, func(old map[string]av) error {
		if old == nil {
			return errs.NotFound("label")
		}
		return errs.E(errs.KindPreconditionFailed, "label_changed", "the label changed meanwhile; read it again")
	})
	t.gone(labelItem{PK: labelsPK(sc.TenantID), SK: labelSK(old.ID), Entity: "label", ID: old.ID, Name: old.Name, Color: old.Color,
		CreatedAt: old.CreatedAt, UpdatedAt: old.UpdatedAt})
	if ol, nl := issue.LabelNameKey(old.Name), issue.LabelNameKey(l.Name); ol != nl {
		t.del(dynamo.Key(labelsPK(sc.TenantID), labelNameSK(ol)))
		t.gone(nameGuard{PK: labelsPK(sc.TenantID), SK: labelNameSK(ol), LabelID: l.ID})
		delLegacyGuard(t, sc.TenantID, old.Name, nl)
		t.put(nameGuard{PK: labelsPK(sc.TenantID), SK: labelNameSK(nl), LabelID: l.ID}, notExists(), nameTaken(l.Name))
	}
	return t.run(ctx, s.DB, "update label")
}

// DeleteLabel removes a label that no issue carries (409 label_in_use
// otherwise). The label's use partition is read a page at a time and each
// use resolved through its issue: a use whose issue is absent (an import
// that stopped before making the issue) or no longer carries the label
// does not count. Usually the first page's first issue answers: one Query
// and one BatchGetItem.
func (s *Store) DeleteLabel(ctx context.Context, sc tenancy.Scope, l issue.Label) error {
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(sc.Table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]av{":pk": str(labelUsePK(sc.TenantID, l.ID))}, Limit: aws.Int32(25)})
	for p.HasMorePages() {
		res, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("label uses: %w", err)
		}
		var uses []useItem
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &uses); err != nil {
			return fmt.Errorf("label uses: %w", err)
		}
		ids := make([]string, 0, len(uses))
		for _, u := range uses {
			ids = append(ids, u.IssueID)
		}
		found, err := s.GetMany(ctx, sc, ids)
		if err != nil {
			return err
		}
		for _, i := range found {
			if slices.Contains(i.Labels, l.ID) {
				return errs.Conflict("label_in_use", "remove the label from its issues before deleting it")
			}
		}
	}
	t := &tx{table: sc.Table}
	t.delIf(dynamo.Key(labelsPK(sc.TenantID), labelSK(l.ID)), exists(),
		func(map[string]av) error { return errs.NotFound("label") })
	t.gone(labelItem{PK: labelsPK(sc.TenantID), SK: labelSK(l.ID), Entity: "label", ID: l.ID, Name: l.Name, Color: l.Color,
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt})
	t.del(dynamo.Key(labelsPK(sc.TenantID), labelNameSK(issue.LabelNameKey(l.Name))))
	t.gone(nameGuard{PK: labelsPK(sc.TenantID), SK: labelNameSK(issue.LabelNameKey(l.Name)), LabelID: l.ID})
	delLegacyGuard(t, sc.TenantID, l.Name, "")
	return t.run(ctx, s.DB, "delete label")
}

// delLegacyGuard removes the lower-cased guard a label written before case
// folding may have, when it differs from the folded one (and from keep).
func delLegacyGuard(t *tx, tenant, name, keep string) {
	if lower := strings.ToLower(name); lower != issue.LabelNameKey(name) && lower != keep {
		t.del(dynamo.Key(labelsPK(tenant), labelNameSK(lower)))
	}
}

// LabelIDsByName maps name keys to label ids by their guards (BatchGetItem,
// 100 keys a call); unknown names are left out.
func (s *Store) LabelIDsByName(ctx context.Context, sc tenancy.Scope, keys []string) (map[string]string, error) {
	out := map[string]string{}
	for len(keys) > 0 {
		n := min(len(keys), 100)
		batch := make([]map[string]av, n)
		for i, k := range keys[:n] {
			batch[i] = dynamo.Key(labelsPK(sc.TenantID), labelNameSK(k))
		}
		keys = keys[n:]
		for len(batch) > 0 {
			res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				sc.Table: {Keys: batch}}})
			if err != nil {
				return nil, fmt.Errorf("label names: %w", err)
			}
			for _, m := range res.Responses[sc.Table] {
				var g nameGuard
				if err := attributevalue.UnmarshalMap(m, &g); err != nil {
					return nil, fmt.Errorf("decode label name: %w", err)
				}
				out[strings.TrimPrefix(g.SK, preName)] = g.LabelID
			}
			batch = res.UnprocessedKeys[sc.Table].Keys
		}
	}
	return out, nil
}

// Labels lists the tenant's catalog by id (creation order).
func (s *Store) Labels(ctx context.Context, sc tenancy.Scope) ([]issue.Label, error) {
	kc := expression.Key("pk").Equal(expression.Value(labelsPK(sc.TenantID))).And(expression.Key("sk").BeginsWith(preLabel))
	e, _ := expression.NewBuilder().WithKeyCondition(kc).Build()
	res, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(sc.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), Limit: aws.Int32(MaxCatalog)})
	if err != nil {
		return nil, fmt.Errorf("list labels: %w", err)
	}
	var items []labelItem
	if err := attributevalue.UnmarshalListOfMaps(res.Items, &items); err != nil {
		return nil, fmt.Errorf("decode labels: %w", err)
	}
	out := make([]issue.Label, len(items))
	for i, it := range items {
		out[i] = it.label()
	}
	return out, nil
}

// CountLabels says how many labels the catalog holds, to enforce MaxCatalog.
func (s *Store) CountLabels(ctx context.Context, sc tenancy.Scope) (int, error) {
	res, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(sc.Table),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]av{":pk": str(labelsPK(sc.TenantID)), ":p": str(preLabel)},
		Select:                    types.SelectCount})
	if err != nil {
		return 0, fmt.Errorf("count labels: %w", err)
	}
	return int(res.Count), nil
}

// MissingLabels returns the ids among ids that are not in the catalog (one
// BatchGetItem; at most issue.MaxLabels ids).
func (s *Store) MissingLabels(ctx context.Context, sc tenancy.Scope, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]map[string]av, len(ids))
	for i, id := range ids {
		keys[i] = dynamo.Key(labelsPK(sc.TenantID), labelSK(id))
	}
	found := map[string]bool{}
	for len(keys) > 0 {
		res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			sc.Table: {Keys: keys, ProjectionExpression: aws.String("id")}}})
		if err != nil {
			return nil, fmt.Errorf("get labels: %w", err)
		}
		for _, m := range res.Responses[sc.Table] {
			if v, ok := m["id"].(*types.AttributeValueMemberS); ok {
				found[v.Value] = true
			}
		}
		keys = res.UnprocessedKeys[sc.Table].Keys
	}
	var missing []string
	for _, id := range ids {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	return missing, nil
}
