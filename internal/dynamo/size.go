package dynamo

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ItemSize is the size DynamoDB bills an item at, by the rules of its
// developer guide ("Item sizes and formats"): attribute names plus values;
// a string is its UTF-8 length, a number about one byte per two significant
// digits plus one, binary its length, null and boolean one byte, a list or
// map 3 bytes plus its elements plus one byte each (map keys count as names),
// sets the sum of their elements. The SDK has no such function; the storage
// counters (internal/usage) keep tenants' item bytes with it at write time.
func ItemSize(item map[string]types.AttributeValue) int64 {
	var n int64
	for name, v := range item {
		n += int64(len(name)) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int64 {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return int64(len(v.Value))
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return int64(len(v.Value))
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		var n int64
		for _, s := range v.Value {
			n += int64(len(s))
		}
		return n
	case *types.AttributeValueMemberNS:
		var n int64
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		var n int64
		for _, b := range v.Value {
			n += int64(len(b))
		}
		return n
	case *types.AttributeValueMemberL:
		n := int64(3)
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := int64(3)
		for k, e := range v.Value {
			n += 1 + int64(len(k)) + valueSize(e)
		}
		return n
	}
	return 0
}

// numberSize: up to 38 significant digits, one byte per two, plus one.
func numberSize(s string) int64 {
	digits := strings.TrimLeft(strings.NewReplacer("-", "", ".", "", "+", "").Replace(strings.ToLower(s)), "0")
	if i := strings.IndexByte(digits, 'e'); i >= 0 {
		digits = digits[:i]
	}
	digits = strings.TrimRight(digits, "0")
	return int64((len(digits)+1)/2 + 1)
}
