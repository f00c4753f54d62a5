package tenantdata_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// archiveOf writes an issuetracker-export/1 archive of tenant t1 whose header
// says count items, with the given item lines and raw text after them.
func archiveOf(t *testing.T, count int, items []map[string]av, tail string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	src := tenant.Tenant{ID: "t1", Tier: tiers.Basic, Table: "App"}
	require.NoError(t, enc.Encode(map[string]any{"format": tenantdata.ExportFormat, "tenant": src, "items": count}))
	for _, it := range items {
		require.NoError(t, enc.Encode(map[string]any{"table": "App", "item": tenantdata.DynamoJSON(it)}))
	}
	_, err := zw.Write([]byte(tail))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func tooLarge(t *testing.T, err error, what string) {
	t.Helper()
	var tl *tenantdata.TooLargeError
	require.True(t, errors.As(err, &tl), "want a TooLargeError, got %v", err)
	assert.Equal(t, what, tl.What)
	assert.Contains(t, err.Error(), "more than")
}

// A restore archive is read within limits: a gzip bomb, an endless line,
// too many items or too many compressed bytes are refused with a clear
// error, and nothing is returned to write.
func TestReadArchiveRefusesWhatIsOverItsLimits(t *testing.T) {
	t.Parallel()
	item := func(i int) map[string]av {
		return every(fmt.Sprintf("%sISSUE#%d", schema.TenantKeyPrefix("t1"), i), "META")
	}
	ten := make([]map[string]av, 10)
	for i := range ten {
		ten[i] = item(i)
	}

	t.Run("within the limits it reads", func(t *testing.T) {
		a, err := tenantdata.ReadArchiveLimited(bytes.NewReader(archiveOf(t, 10, ten, "")), tenantdata.Limits{Items: 10, Line: 4 << 10})
		require.NoError(t, err)
		assert.Len(t, a.Items, 10)
	})
	t.Run("a gzip bomb (16 MB of blank lines from a few KB)", func(t *testing.T) {
		bomb := archiveOf(t, 0, nil, strings.Repeat("\n", 16<<20))
		require.Less(t, len(bomb), 64<<10)
		_, err := tenantdata.ReadArchiveLimited(bytes.NewReader(bomb), tenantdata.Limits{Uncompressed: 1 << 20})
		tooLarge(t, err, "uncompressed bytes")
	})
	t.Run("one endless line", func(t *testing.T) {
		huge := item(1)
		huge["body"] = &types.AttributeValueMemberS{Value: strings.Repeat("x", 2<<20)}
		_, err := tenantdata.ReadArchiveLimited(bytes.NewReader(archiveOf(t, 1, []map[string]av{huge}, "")), tenantdata.Limits{Line: 1 << 20})
		tooLarge(t, err, "bytes of one line")
	})
	t.Run("a header that claims more items than the limit", func(t *testing.T) {
		_, err := tenantdata.ReadArchiveLimited(bytes.NewReader(archiveOf(t, 10, ten, "")), tenantdata.Limits{Items: 5})
		tooLarge(t, err, "items")
	})
	t.Run("more items than the header says are refused at the first one over", func(t *testing.T) {
		_, err := tenantdata.ReadArchive(bytes.NewReader(archiveOf(t, 1, ten, "")))
		assert.ErrorContains(t, err, "more items than the header's 1")
	})
	t.Run("too many compressed bytes", func(t *testing.T) {
		_, err := tenantdata.ReadArchiveLimited(bytes.NewReader(archiveOf(t, 10, ten, "")), tenantdata.Limits{Compressed: 256})
		tooLarge(t, err, "compressed bytes")
	})
	t.Run("the defaults bound every dimension", func(t *testing.T) {
		d := tenantdata.DefaultLimits
		assert.Positive(t, d.Compressed)
		assert.Positive(t, d.Uncompressed)
		assert.Positive(t, d.Items)
		assert.GreaterOrEqual(t, d.Line, 6*400<<10, "a 400 KB item escaped at worst")
	})
}
