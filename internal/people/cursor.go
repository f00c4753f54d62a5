package people

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/errs"
)

// Cursors are the LastEvaluatedKey of a Query, as base64url JSON. A cursor is
// checked against the partition it pages (indexPK under indexAttr), so a
// cursor crafted with another tenant's keys is a 400, never a read.

func encodeCursor(k map[string]types.AttributeValue) string {
	if len(k) == 0 {
		return ""
	}
	m := map[string]string{}
	for name, v := range k {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			m[name] = s.Value
		}
	}
	b, _ := json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c, indexAttr, indexPK, tenantPrefix string) (map[string]types.AttributeValue, error) {
	if c == "" {
		return nil, nil
	}
	bad := errs.Invalid("invalid_cursor", "the cursor is not one this list returned", errs.FieldError{Field: "cursor", Reason: "malformed"})
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, bad
	}
	var m map[string]string
	if json.Unmarshal(b, &m) != nil || m[indexAttr] != indexPK {
		return nil, bad
	}
	out := map[string]types.AttributeValue{}
	for k, v := range m {
		if (k == "pk" || strings.HasSuffix(k, "pk")) && !strings.HasPrefix(v, tenantPrefix) {
			return nil, bad
		}
		out[k] = &types.AttributeValueMemberS{Value: v}
	}
	return out, nil
}

// Page is one page of a list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}
