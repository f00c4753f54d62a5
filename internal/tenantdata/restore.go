package tenantdata

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// Archive is an export read back: its header and items.
type Archive struct {
	Format string        `json:"format"`
	Tenant tenant.Tenant `json:"tenant"`
	Count  int           `json:"items"`
	Items  []map[string]types.AttributeValue
}

// ExportFormat names the archive layout Export writes.
const ExportFormat = "issuetracker-export/1"

// Limits bound what ReadArchive reads, so a hostile or broken archive (a
// gzip bomb, one endless JSON line, millions of tiny items) is refused with
// a clear error before it exhausts memory, and before anything is written.
// The zero value of a field is its default (DefaultLimits).
type Limits struct {
	Compressed   int64 // bytes of the gzip stream
	Uncompressed int64 // bytes of JSON lines it inflates to
	Items        int   // items (the header's count is checked first)
	Line         int   // bytes of one JSON line (one item)
}

// DefaultLimits fit the largest export the platform writes with room to
// spare: Export holds a tenant's items in one gzip in memory; a DynamoDB
// item is at most 400 KB, whose DynamoDB JSON is at most 6 times that
// (every byte escaped as \u00XX) plus its attribute names.
var DefaultLimits = Limits{Compressed: 1 << 30, Uncompressed: 4 << 30, Items: 5_000_000, Line: 3 << 20}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.Compressed > 0 {
		d.Compressed = l.Compressed
	}
	if l.Uncompressed > 0 {
		d.Uncompressed = l.Uncompressed
	}
	if l.Items > 0 {
		d.Items = l.Items
	}
	if l.Line > 0 {
		d.Line = l.Line
	}
	return d
}

// TooLargeError is ReadArchive's answer to an archive over one of its
// Limits: which limit, and its value.
type TooLargeError struct {
	What  string // "compressed bytes", "uncompressed bytes", "items", "bytes of one line"
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("read archive: more than %d %s (the limit; raise it only for an archive you trust)", e.Limit, e.What)
}

// capped reads at most n bytes of r and fails with a TooLargeError past them
// (io.LimitReader would end quietly: a truncated read, not a refusal).
type capped struct {
	r    io.Reader
	n    int64
	what string
	lim  int64
	err  error // sticky: readers above may hide it (a Scanner hands out the partial last line)
}

func (c *capped) Read(p []byte) (int, error) {
	if c.n <= 0 {
		// One byte more tells a stream of exactly the limit from a longer one.
		var one [1]byte
		if k, _ := c.r.Read(one[:]); k > 0 {
			c.err = &TooLargeError{What: c.what, Limit: c.lim}
			return 0, c.err
		}
		return c.r.Read(p)
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	k, err := c.r.Read(p)
	c.n -= int64(k)
	return k, err
}

func capReader(r io.Reader, n int64, what string) *capped {
	return &capped{r: r, n: n, what: what, lim: n}
}

// ReadArchive parses what Export wrote (gzip of JSON lines) and checks the
// item count against the header, so a truncated archive is refused. It
// reads within DefaultLimits (ReadArchiveLimited for others).
func ReadArchive(r io.Reader) (Archive, error) { return ReadArchiveLimited(r, Limits{}) }

// ReadArchiveLimited is ReadArchive within lim: an archive over one of them
// is refused with a *TooLargeError.
func ReadArchiveLimited(r io.Reader, lim Limits) (Archive, error) {
	lim = lim.withDefaults()
	in := capReader(r, lim.Compressed, "compressed bytes")
	zr, err := gzip.NewReader(in)
	if err != nil {
		return Archive{}, fmt.Errorf("read archive: %w", cmp.Or(in.err, err))
	}
	out := capReader(zr, lim.Uncompressed, "uncompressed bytes")
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 0, 64<<10), lim.Line)
	next := func() ([]byte, error) {
		for sc.Scan() {
			if err := cmp.Or(in.err, out.err); err != nil {
				return nil, err
			}
			if b := bytes.TrimSpace(sc.Bytes()); len(b) > 0 {
				return b, nil
			}
		}
		if err := cmp.Or(in.err, out.err); err != nil {
			return nil, err
		}
		if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
			return nil, &TooLargeError{What: "bytes of one line", Limit: int64(lim.Line)}
		} else if err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	var a Archive
	head, err := next()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return a, fmt.Errorf("read archive header: %w", err)
	}
	if err := json.Unmarshal(head, &a); err != nil {
		return a, fmt.Errorf("read archive header: %w", err)
	}
	if a.Format != ExportFormat {
		return a, fmt.Errorf("read archive: format %q, want %q", a.Format, ExportFormat)
	}
	if a.Count < 0 || a.Count > lim.Items {
		return a, &TooLargeError{What: "items", Limit: int64(lim.Items)}
	}
	for {
		b, err := next()
		if err == io.EOF {
			break
		} else if err != nil {
			return a, fmt.Errorf("read archive item %d: %w", len(a.Items)+1, err)
		}
		if len(a.Items) >= a.Count {
			// More items than the header says: refused at the first one
			// over, not after reading the rest into memory.
			return a, fmt.Errorf("read archive: more items than the header's %d", a.Count)
		}
		var line struct {
			Item map[string]json.RawMessage `json:"item"`
		}
		if err := json.Unmarshal(b, &line); err != nil {
			return a, fmt.Errorf("read archive item %d: %w", len(a.Items)+1, err)
		}
		it, err := FromDynamoJSON(line.Item)
		if err != nil {
			return a, fmt.Errorf("read archive item %d: %w", len(a.Items)+1, err)
		}
		// Every item of a tenant's export is under its key prefix: an
		// item outside it (a tampered or mixed-up archive) would overwrite
		// another tenant's data in the pooled table. Nothing is written.
		if pk, ok := it[schema.PK].(*types.AttributeValueMemberS); !ok || !strings.HasPrefix(pk.Value, schema.TenantKeyPrefix(a.Tenant.ID)) {
			return a, fmt.Errorf("read archive item %d: its key is not under tenant %q's prefix %s", len(a.Items)+1, a.Tenant.ID, schema.TenantKeyPrefix(a.Tenant.ID))
		}
		a.Items = append(a.Items, it)
	}
	if len(a.Items) != a.Count {
		return a, fmt.Errorf("read archive: %d items, the header says %d (truncated?)", len(a.Items), a.Count)
	}
	return a, nil
}

// Import writes an archive's items into table as the tenant (the inverse of
// Export), 25 at a time, retrying unprocessed items. The items keep their
// keys, so importing twice writes the same items again.
func (s Store) Import(ctx context.Context, a Archive, table string) (int, error) {
	ctx = tenancy.WithTenant(ctx, a.Tenant.ID)
	for start := 0; start < len(a.Items); start += 25 {
		var reqs []types.WriteRequest
		for _, it := range a.Items[start:min(start+25, len(a.Items))] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		pending := map[string][]types.WriteRequest{table: reqs}
		for len(pending) > 0 {
			out, err := s.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return start, fmt.Errorf("import items of %s into %s: %w", a.Tenant.ID, table, err)
			}
			pending = out.UnprocessedItems
		}
	}
	return len(a.Items), nil
}

// Checksum is a digest of items independent of their order: the SHA-256 of
// their canonical DynamoDB JSON (object keys sorted) sorted by key.
func Checksum(items []map[string]types.AttributeValue) string {
	lines := make([]string, len(items))
	for i, it := range items {
		b, _ := json.Marshal(DynamoJSON(it)) // encoding/json sorts map keys
		lines[i] = string(b)
	}
	return checksumLines(lines)
}

// checksumLines is Checksum of the items whose canonical lines are lines
// (sorted in place).
func checksumLines(lines []string) string {
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// FromDynamoJSON is the inverse of DynamoJSON. Written here because the SDK
// exposes no decoder of its wire format for items held outside a call.
func FromDynamoJSON(item map[string]json.RawMessage) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(item))
	for k, raw := range item {
		v, err := fromValue(raw)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = v
	}
	if _, ok := out[schema.PK]; !ok {
		return nil, fmt.Errorf("the item has no %s", schema.PK)
	}
	return out, nil
}

func fromValue(raw json.RawMessage) (types.AttributeValue, error) {
	var v map[string]json.RawMessage
	if err := json.Unmarshal(raw, &v); err != nil || len(v) != 1 {
		return nil, fmt.Errorf("not a DynamoDB JSON value: %s", raw)
	}
	for typ, body := range v {
		return decodeTyped(typ, body)
	}
	return nil, nil
}

// decodeTyped decodes the body of one DynamoDB JSON value of type typ.
// (Hand-written: aws-sdk-go-v2 has no DynamoDB JSON codec for
// types.AttributeValue; the export writes the same format.)
func decodeTyped(typ string, body json.RawMessage) (types.AttributeValue, error) {
	switch typ {
	case "S", "N", "B":
		return decodeScalar(typ, body)
	case "BOOL":
		var b bool
		err := json.Unmarshal(body, &b)
		return &types.AttributeValueMemberBOOL{Value: b}, err
	case "NULL":
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case "SS", "NS", "BS":
		return decodeSet(typ, body)
	case "L":
		return decodeList(body)
	case "M":
		return decodeMap(body)
	}
	return nil, fmt.Errorf("unknown DynamoDB type %q", typ)
}

// decodeScalar decodes a string, a number (kept as its decimal string) or
// base64 binary.
func decodeScalar(typ string, body json.RawMessage) (types.AttributeValue, error) {
	var s string
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, err
	}
	switch typ {
	case "S":
		return &types.AttributeValueMemberS{Value: s}, nil
	case "N":
		return &types.AttributeValueMemberN{Value: s}, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return &types.AttributeValueMemberB{Value: b}, err
}

func decodeSet(typ string, body json.RawMessage) (types.AttributeValue, error) {
	var ss []string
	if err := json.Unmarshal(body, &ss); err != nil {
		return nil, err
	}
	switch typ {
	case "SS":
		return &types.AttributeValueMemberSS{Value: ss}, nil
	case "NS":
		return &types.AttributeValueMemberNS{Value: ss}, nil
	}
	bs := make([][]byte, len(ss))
	for i, s := range ss {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, err
		}
		bs[i] = b
	}
	return &types.AttributeValueMemberBS{Value: bs}, nil
}

func decodeList(body json.RawMessage) (types.AttributeValue, error) {
	var l []json.RawMessage
	if err := json.Unmarshal(body, &l); err != nil {
		return nil, err
	}
	out := make([]types.AttributeValue, len(l))
	for i, e := range l {
		v, err := fromValue(e)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return &types.AttributeValueMemberL{Value: out}, nil
}

func decodeMap(body json.RawMessage) (types.AttributeValue, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	out := make(map[string]types.AttributeValue, len(m))
	for k, e := range m {
		v, err := fromValue(e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = v
	}
	return &types.AttributeValueMemberM{Value: out}, nil
}
