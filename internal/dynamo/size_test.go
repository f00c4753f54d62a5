package dynamo_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/stretchr/testify/assert"
)

func TestItemSizeFollowsDynamoDBsRules(t *testing.T) {
	tests := []struct {
		name string
		item map[string]types.AttributeValue
		want int64
	}{
		{"a string counts its name and its UTF-8 bytes", map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "héllo"}}, 2 + 6},
		{"a number counts a byte per two significant digits plus one", map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "12345"}}, 1 + 4},
		{"leading and trailing zeros are not significant", map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "-00100.00"}}, 1 + 2},
		{"a boolean and a null are one byte", map[string]types.AttributeValue{"b": &types.AttributeValueMemberBOOL{Value: true}, "z": &types.AttributeValueMemberNULL{Value: true}}, 1 + 1 + 1 + 1},
		{"a list is 3 bytes plus one per element", map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberS{Value: "ab"}, &types.AttributeValueMemberS{Value: "c"}}}}, 1 + 3 + (1 + 2) + (1 + 1)},
		{"a map counts its keys as names", map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"k": &types.AttributeValueMemberS{Value: "vv"}}}}, 1 + 3 + (1 + 1 + 2)},
		{"a string set is the sum of its strings", map[string]types.AttributeValue{"ss": &types.AttributeValueMemberSS{Value: []string{"a", "bcd"}}}, 2 + 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, dynamo.ItemSize(tc.item)) })
	}
}
