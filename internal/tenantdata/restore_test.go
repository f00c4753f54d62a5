package tenantdata_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type av = types.AttributeValue

// every holds one attribute of each DynamoDB type.
func every(pk, sk string) map[string]av {
	return map[string]av{
		schema.PK: &types.AttributeValueMemberS{Value: pk}, schema.SK: &types.AttributeValueMemberS{Value: sk},
		"n": &types.AttributeValueMemberN{Value: "42.5"}, "yes": &types.AttributeValueMemberBOOL{Value: true},
		"nothing": &types.AttributeValueMemberNULL{Value: true}, "bin": &types.AttributeValueMemberB{Value: []byte{0, 1, 254}},
		"ss": &types.AttributeValueMemberSS{Value: []string{"a", "b"}}, "ns": &types.AttributeValueMemberNS{Value: []string{"1", "2"}},
		"bs": &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
		"l":  &types.AttributeValueMemberL{Value: []av{&types.AttributeValueMemberS{Value: "x"}, &types.AttributeValueMemberN{Value: "1"}}},
		"m": &types.AttributeValueMemberM{Value: map[string]av{"inner": &types.AttributeValueMemberM{Value: map[string]av{
			"deep": &types.AttributeValueMemberS{Value: "é ✓ \"quoted\""}}}}},
	}
}

func TestDynamoJSONRoundTripsEveryType(t *testing.T) {
	t.Parallel()
	in := every("T#t1#ISSUE#1", "META")
	b, err := json.Marshal(tenantdata.DynamoJSON(in))
	require.NoError(t, err)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &raw))
	out, err := tenantdata.FromDynamoJSON(raw)
	require.NoError(t, err)
	assert.Equal(t, in, out)
	assert.Equal(t, tenantdata.Checksum([]map[string]av{in}), tenantdata.Checksum([]map[string]av{out}))
}

// A tenant restored from its export archive into an empty table has the same
// items, byte for byte (checksums), and nothing of another tenant.
func TestATenantRestoredFromItsExportHasTheSameItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, names := testenv.Tables(t)
	put := func(table string, item map[string]av) {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
		require.NoError(t, err)
	}
	for _, sk := range []string{"META", "C#01", "C#02", "H#01"} {
		put(names.App(), every(schema.TenantKeyPrefix("t1")+"ISSUE#1", sk))
		put(names.App(), every(schema.TenantKeyPrefix("t2")+"ISSUE#1", sk))
	}
	put(names.App(), every(schema.TenantKeyPrefix("t1")+"USER#u1", "PROFILE"))
	src := tenant.Tenant{ID: "t1", Tier: tiers.Basic, Table: names.App()}
	s := tenantdata.Store{DB: db}
	before, err := s.Items(ctx, src)
	require.NoError(t, err)
	require.Len(t, before, 5)
	archive, n, err := s.Export(ctx, src)
	require.NoError(t, err)
	require.Equal(t, 5, n)

	_, empty := testenv.Tables(t)
	a, err := tenantdata.ReadArchive(bytes.NewReader(archive))
	require.NoError(t, err)
	assert.Equal(t, "t1", a.Tenant.ID)
	got, err := s.Import(ctx, a, empty.App())
	require.NoError(t, err)
	assert.Equal(t, 5, got)
	after, err := s.Items(ctx, tenant.Tenant{ID: "t1", Tier: tiers.Basic, Table: empty.App()})
	require.NoError(t, err)
	assert.Equal(t, tenantdata.Checksum(before), tenantdata.Checksum(after))
	other, err := s.Items(ctx, tenant.Tenant{ID: "t2", Tier: tiers.Basic, Table: empty.App()})
	require.NoError(t, err)
	assert.Empty(t, other, "only the exported tenant's items")

	t.Run("an archive with an item of another tenant is refused", func(t *testing.T) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		enc := json.NewEncoder(zw)
		require.NoError(t, enc.Encode(map[string]any{"format": tenantdata.ExportFormat, "tenant": src, "items": 2}))
		require.NoError(t, enc.Encode(map[string]any{"item": tenantdata.DynamoJSON(every(schema.TenantKeyPrefix("t1")+"ISSUE#9", "META"))}))
		require.NoError(t, enc.Encode(map[string]any{"item": tenantdata.DynamoJSON(every(schema.TenantKeyPrefix("t2")+"USER#u1", "USER"))}))
		require.NoError(t, zw.Close())
		_, err := tenantdata.ReadArchive(&buf)
		assert.ErrorContains(t, err, "not under tenant \"t1\"'s prefix")
	})
	t.Run("a truncated archive is refused", func(t *testing.T) {
		zr, err := gzip.NewReader(bytes.NewReader(archive))
		require.NoError(t, err)
		plain, err := io.ReadAll(zr)
		require.NoError(t, err)
		lines := strings.SplitAfter(strings.TrimSuffix(string(plain), "\n"), "\n")
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte(strings.Join(lines[:len(lines)-1], "")))
		require.NoError(t, zw.Close())
		_, err = tenantdata.ReadArchive(&buf)
		assert.ErrorContains(t, err, "truncated")
	})
}
