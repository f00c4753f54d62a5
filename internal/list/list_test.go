package list_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func codec(t testing.TB, key string) list.Codec {
	k, err := list.StaticKey(key)
	require.NoError(t, err)
	return list.Codec{Keys: k}
}

const key = "0123456789abcdef0123456789abcdef"

type pos struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
}

func assertInvalidCursor(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	e := errs.As(err)
	assert.Equal(t, errs.KindInvalid, e.Kind, "%v", err)
	assert.Equal(t, "invalid_cursor", e.Code)
}

func TestLimitIsOneStrictRule(t *testing.T) {
	n, err := list.Limit("")
	require.NoError(t, err)
	assert.Equal(t, list.DefaultLimit, n)
	for _, s := range []string{"1", "50", "100"} {
		_, err := list.Limit(s)
		assert.NoError(t, err, s)
	}
	for _, s := range []string{"0", "-1", "101", "ten", "1e2", " 5", "5 ", "+5", "05", "99999999999999999999"} {
		_, err := list.Limit(s)
		require.Error(t, err, s)
		assert.Equal(t, "limit", errs.As(err).Fields[0].Field)
	}
}

func TestParams(t *testing.T) {
	_, err := list.Params(url.Values{"limit": {"5", "6"}})
	assert.Equal(t, "repeated_parameter", errs.As(err).Code)
	_, err = list.Params(url.Values{"cursor": {strings.Repeat("a", list.MaxCursorLen+1)}})
	assertInvalidCursor(t, err)
	r, err := list.Params(url.Values{"limit": {"5"}, "cursor": {"c"}, "q": {"x"}})
	require.NoError(t, err)
	assert.Equal(t, list.Request{Limit: 5, Cursor: "c"}, r)

	// An empty cursor is the first page ("?cursor=" + next, next empty at
	// first); an empty limit is a 400, not the default.
	r, err = list.Params(url.Values{"cursor": {""}})
	require.NoError(t, err)
	assert.Equal(t, list.Request{Limit: list.DefaultLimit}, r)
	_, err = list.Params(url.Values{"limit": {""}})
	assert.Equal(t, "invalid_limit", errs.As(err).Code)
	_, err = list.Cursor(url.Values{"cursor": {"a", "b"}})
	assert.Equal(t, "repeated_parameter", errs.As(err).Code)
	c, err := list.Cursor(url.Values{"format": {"csv"}})
	require.NoError(t, err)
	assert.Empty(t, c, "no cursor: the first page")
}

func TestCursorsAreTamperEvident(t *testing.T) {
	ctx := context.Background()
	c := codec(t, key)
	scope := list.Scope("users", "acme")
	cur, err := c.Encode(ctx, scope, pos{PK: "T#acme#U#1", SK: "USER"})
	require.NoError(t, err)

	var got pos
	require.NoError(t, c.Decode(ctx, scope, cur, &got))
	assert.Equal(t, pos{PK: "T#acme#U#1", SK: "USER"}, got)

	body, tag, _ := strings.Cut(cur, ".")
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"pk":"T#globex#U#1","sk":"USER"}`))
	extra := base64.RawURLEncoding.EncodeToString([]byte(`{"pk":"T#acme#U#1","sk":"USER","gsi1pk":"x"}`))
	for name, bad := range map[string]string{
		"a forged position with the old tag": forged + "." + tag,
		"a position with extra attributes":   extra + "." + tag,
		"a truncated cursor":                 cur[:len(cur)-3],
		"no tag":                             body,
		"an empty tag":                       body + ".",
		"a flipped bit":                      flip(cur),
		"not base64":                         "!!!." + tag,
		"garbage":                            "hello",
		"oversized":                          strings.Repeat("A", list.MaxCursorLen+1),
		"two dots":                           cur + ".x",
	} {
		t.Run(name, func(t *testing.T) { assertInvalidCursor(t, c.Decode(ctx, scope, bad, &got)) })
	}
	t.Run("a cursor of another list, tenant or filter", func(t *testing.T) {
		for _, other := range []string{list.Scope("users", "globex"), list.Scope("teams", "acme"), list.Scope("users", "acme", "x"), list.Scope("usersacme")} {
			assertInvalidCursor(t, c.Decode(ctx, other, cur, &got))
		}
	})
	t.Run("a cursor of another deployment", func(t *testing.T) {
		assertInvalidCursor(t, codec(t, strings.Repeat("z", 32)).Decode(ctx, scope, cur, &got))
	})
	t.Run("a position of another shape", func(t *testing.T) {
		var other struct{ Offset int }
		assertInvalidCursor(t, c.Decode(ctx, scope, cur, &other))
	})
	t.Run("a position too large to be a cursor is not encoded", func(t *testing.T) {
		_, err := c.Encode(ctx, scope, pos{PK: strings.Repeat("x", 2000)})
		assert.Equal(t, errs.KindInternal, errs.As(err).Kind)
	})
}

func flip(s string) string {
	b := []byte(s)
	i := len(b) / 3
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestLazyKeyIsFetchedOncePerColdStart(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int32
	fail := true
	k := list.LazyKey(func(ctx context.Context) (string, error) {
		calls.Add(1)
		if fail {
			return "", errors.New("secrets manager unavailable")
		}
		return key, nil
	}, time.Second)
	c := list.Codec{Keys: k}
	_, err := c.Encode(ctx, "s", 1)
	assert.Equal(t, errs.KindInternal, errs.As(err).Kind, "a failed fetch is a 500, not a cursor without a key")
	fail = false
	a, err := c.Encode(ctx, "s", 1)
	require.NoError(t, err)
	b, err := codec(t, key).Encode(ctx, "s", 1)
	require.NoError(t, err)
	assert.Equal(t, b, a, "the fetched key is the deployment's key")
	_, _ = c.Encode(ctx, "s", 2)
	assert.Equal(t, int32(2), calls.Load(), "fetched again after a failure, then kept")

	slow := list.LazyKey(func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	}, 20*time.Millisecond)
	start := time.Now()
	_, err = list.Codec{Keys: slow}.Encode(ctx, "s", 1)
	require.Error(t, err)
	assert.Less(t, time.Since(start), time.Second, "the fetch has a timeout")
	_, err = list.StaticKey("short")
	assert.Error(t, err)
}

// FuzzCursor: decoding arbitrary text never panics, and accepts only the
// exact cursor this codec wrote for that position and scope.
func FuzzCursor(f *testing.F) {
	ctx := context.Background()
	c := codec(f, key)
	scope := list.Scope("issues", "acme", "updated")
	good, _ := c.Encode(ctx, scope, pos{PK: "a", SK: "b"})
	for _, s := range []string{good, good[:10], "", ".", "e30.", "eyJwayI6ImEifQ.AAAAAAAAAAAAAAAAAAAAAA", flip(good)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var p pos
		if err := c.Decode(ctx, scope, s, &p); err != nil {
			if e := errs.As(err); e.Code != "invalid_cursor" {
				t.Fatalf("Decode(%q) = %v, want invalid_cursor", s, err)
			}
			return
		}
		again, err := c.Encode(ctx, scope, p)
		if err != nil || again != s {
			t.Fatalf("accepted %q, which this codec did not write (it writes %q for %+v)", s, again, p)
		}
	})
}
