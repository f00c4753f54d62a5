package tenantdata

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/bits"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/onboarding"
)

// A migration's checksum per key family is additive: the sum, modulo
// 2^256, of the SHA-256 of each item's canonical line (AdHash, a multiset
// hash). Like a hash of the sorted lines it does not depend on the order
// items are read in, and two homes holding the same items get the same
// value; unlike it, it can be updated item by item: a catch-up round or a
// drain that changed k items moves the digests on in O(k) (subtract the
// items as they were, add them as they are) instead of hashing whole
// families of tens of thousands of items again inside the write freeze.
// Items are unique by key within a family, so no item is counted twice.
// (Checksum, for exports and restores, stays the SHA-256 of sorted lines.)

// sum is a 256-bit number, most significant word first.
type sum [4]uint64

func hashLine(line string) sum {
	h := sha256.Sum256([]byte(line))
	var s sum
	for i := range s {
		s[i] = binary.BigEndian.Uint64(h[i*8:])
	}
	return s
}

func (a sum) add(b sum) sum {
	var c uint64
	for i := 3; i >= 0; i-- {
		a[i], c = bits.Add64(a[i], b[i], c)
	}
	return a
}

func (a sum) sub(b sum) sum {
	var c uint64
	for i := 3; i >= 0; i-- {
		a[i], c = bits.Sub64(a[i], b[i], c)
	}
	return a
}

func (a sum) String() string {
	var b [32]byte
	for i, w := range a {
		binary.BigEndian.PutUint64(b[i*8:], w)
	}
	return hex.EncodeToString(b[:])
}

func parseSum(s string) sum {
	var out sum
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return out
	}
	for i := range out {
		out[i] = binary.BigEndian.Uint64(b[i*8:])
	}
	return out
}

// digest is the items' count and checksum per key family.
func digest(items map[string]keyed) map[string]onboarding.FamilyDigest {
	type acc struct {
		n int
		s sum
	}
	by := map[string]*acc{}
	for _, k := range items {
		f := Family(k.item)
		a := by[f]
		if a == nil {
			a = &acc{}
			by[f] = a
		}
		a.n++
		a.s = a.s.add(k.h)
	}
	out := make(map[string]onboarding.FamilyDigest, len(by))
	for f, a := range by {
		out[f] = onboarding.FamilyDigest{Items: a.n, Checksum: a.s.String()}
	}
	return out
}

// overlay is base, the digest of a home holding was, moved on to the same
// home with the items of keys as in cur (absent there: deleted): O(keys).
func overlay(base map[string]onboarding.FamilyDigest, was map[string]keyed, keys map[string]map[string]types.AttributeValue, cur map[string]keyed) map[string]onboarding.FamilyDigest {
	type acc struct {
		n int
		s sum
	}
	by := map[string]*acc{}
	get := func(f string) *acc {
		a := by[f]
		if a == nil {
			d := base[f]
			a = &acc{n: d.Items, s: parseSum(d.Checksum)}
			by[f] = a
		}
		return a
	}
	for id, k := range keys {
		f := Family(k)
		if old, ok := was[id]; ok {
			a := get(f)
			a.n, a.s = a.n-1, a.s.sub(old.h)
		}
		if now, ok := cur[id]; ok {
			a := get(f)
			a.n, a.s = a.n+1, a.s.add(now.h)
		}
	}
	out := make(map[string]onboarding.FamilyDigest, len(base)+len(by))
	for f, d := range base {
		out[f] = d
	}
	for f, a := range by {
		if a.n == 0 {
			delete(out, f)
			continue
		}
		out[f] = onboarding.FamilyDigest{Items: a.n, Checksum: a.s.String()}
	}
	return out
}
