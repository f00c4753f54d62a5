package keylog

import (
	"crypto/rand"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A tier migration's own writes carry a mark, so the change-stream
// consumers tell them apart from the tenant's whatever the stream
// records' time precision (docs/migration.md "Stream consumers skip the
// migration's own writes"; DynamoDB Local stamps records to the minute).
//
// Every item the migration puts (the copy into the new home, the
// catch-up rounds' and the drain's re-copies) carries Mark, a value new
// for each write pass (NewMarkNonce). Every item it deletes (catch-up and
// drain deletes in the new home, the old home's retirement, a rollback's
// deletion of the copy) is first put again with a deletion mark, then
// deleted. So a stream record is the migration's exactly when
//
//   - an INSERT's new image is marked,
//   - a MODIFY's new image is marked and its mark differs from the old
//     image's (a re-copy: a new pass, a new value),
//   - a REMOVE's old image has a deletion mark.
//
// The tenant's writes after the switch pass: an UpdateItem leaves the
// mark as it was (old and new the same), a PutItem (the domain stores
// write items from their types) drops it, and a DeleteItem removes an item
// marked by a copy, not for deletion.
//
// The mark is bookkeeping, not data: the migration's reads drop it before
// comparing or hashing items (verify's checksums), the export leaves it
// out, and the domain stores never read it (they unmarshal into types).
// Whatever copies an item raw must drop it too (Unmarked).
const Mark = "mig"

// deletePrefix starts a deletion mark's value.
const deletePrefix = "del#"

// NewMarkNonce is the mark of one write pass: when, and a random part.
func NewMarkNonce() string {
	return time.Now().UTC().Format("20060102T150405.000000000") + "#" + rand.Text()[:10]
}

// Marked returns a copy of it carrying the mark of the write pass nonce.
func Marked(it map[string]types.AttributeValue, nonce string) map[string]types.AttributeValue {
	out := maps.Clone(it)
	out[Mark] = &types.AttributeValueMemberS{Value: nonce}
	return out
}

// MarkedForDeletion returns a copy of it carrying the deletion mark of the
// write pass nonce: put just before the item's deletion.
func MarkedForDeletion(it map[string]types.AttributeValue, nonce string) map[string]types.AttributeValue {
	return Marked(it, deletePrefix+nonce)
}

// Unmarked returns it without the mark (it itself when unmarked), and
// whether it carried a deletion mark.
func Unmarked(it map[string]types.AttributeValue) (map[string]types.AttributeValue, bool) {
	m, ok := it[Mark]
	if !ok {
		return it, false
	}
	out := maps.Clone(it)
	delete(out, Mark)
	return out, strings.HasPrefix(markOf(m), deletePrefix)
}

func markOf(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// ByMigration reports whether a stream record with these images (old nil
// for an INSERT, cur nil for a REMOVE) is a tier migration's own write.
func ByMigration(old, cur map[string]types.AttributeValue) bool {
	switch {
	case cur == nil:
		return strings.HasPrefix(markOf(old[Mark]), deletePrefix)
	case cur[Mark] == nil:
		return false
	case old == nil:
		return true
	}
	return markOf(cur[Mark]) != markOf(old[Mark])
}
