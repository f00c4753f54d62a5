package analytics

import (
	"encoding/binary"
	"errors"
	"math"
	"sort"
)

// Durations (lead, cycle and first-response times) are kept as histograms
// over logarithmic bins with a relative accuracy of Accuracy, the mapping of
// DDSketch (Masson et al., VLDB 2019): a value v >= 1 s falls in bin
// ceil(log_γ v)+1 with γ = (1+α)/(1-α), and every value of a bin is within α
// of the bin's representative. Bins are plain counters, so histograms of
// days merge by addition and a day's bins are DynamoDB ADD counters (a
// library sketch would be an opaque blob that cannot be updated in place).
const Accuracy = 0.02

var (
	gamma    = (1 + Accuracy) / (1 - Accuracy)
	logGamma = math.Log(gamma)
)

// Bin is the histogram bin of a duration in seconds; values under one second
// share bin 0.
func Bin(seconds float64) int {
	if seconds < 1 {
		return 0
	}
	return int(math.Ceil(math.Log(seconds)/logGamma)) + 1
}

// BinValue is the representative value of bin b (seconds).
func BinValue(b int) float64 {
	if b <= 0 {
		return 0
	}
	return 2 * math.Pow(gamma, float64(b-1)) / (gamma + 1)
}

// Histogram counts durations by bin.
type Histogram map[int]int64

// Add merges o into h.
func (h Histogram) Add(o Histogram) {
	for b, n := range o {
		h[b] += n
	}
}

// Count is the number of durations.
func (h Histogram) Count() int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	return n
}

// Quantile is the duration at quantile q (0..1) with DDSketch's rank rule:
// the value of rank floor(q*(n-1)) in ascending order, within Accuracy.
func (h Histogram) Quantile(q float64) float64 {
	n := h.Count()
	if n <= 0 {
		return 0
	}
	bins := make([]int, 0, len(h))
	for b, c := range h {
		if c > 0 {
			bins = append(bins, b)
		}
	}
	sort.Ints(bins)
	rank := q * float64(n-1)
	var seen int64
	for _, b := range bins {
		seen += h[b]
		if float64(seen) > rank {
			return BinValue(b)
		}
	}
	return BinValue(bins[len(bins)-1])
}

// Percentiles summarizes durations in seconds.
type Percentiles struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P85   float64 `json:"p85"`
	P95   float64 `json:"p95"`
}

// Summary is the p50/p85/p95 of h (as Quantile gives them).
func (h Histogram) Summary() Percentiles {
	var d Dense
	d.Add(h)
	return d.Summary()
}

// Dense is a histogram as counts indexed by bin: what a report merges days
// into. Merging is an addition per bin and a summary is one ascending walk,
// with no map to grow and no bins to sort (a year at 2 % is ≈ 430 bins).
type Dense []int64

// Add merges h into d.
func (d *Dense) Add(h Histogram) {
	for b, n := range h {
		if b < 0 {
			continue
		}
		if b >= len(*d) {
			*d = append(*d, make([]int64, b+1-len(*d))...)
		}
		(*d)[b] += n
	}
}

// AddDense merges o into d.
func (d *Dense) AddDense(o Dense) {
	if len(o) > len(*d) {
		*d = append(*d, make([]int64, len(o)-len(*d))...)
	}
	for b, n := range o {
		(*d)[b] += n
	}
}

// Reset empties d, keeping its room.
func (d *Dense) Reset() { clear(*d) }

// Summary is the p50/p85/p95 of d with Quantile's rank rule, in one walk.
func (d Dense) Summary() Percentiles {
	var n int64
	last := -1
	for b, c := range d {
		n += c
		if c > 0 {
			last = b
		}
	}
	p := Percentiles{Count: n}
	if n <= 0 || last < 0 {
		return p
	}
	qs := [3]float64{0.50, 0.85, 0.95}
	var out [3]float64
	k := 0
	var seen int64
	for b, c := range d {
		if c <= 0 {
			continue
		}
		seen += c
		for k < len(qs) && float64(seen) > qs[k]*float64(n-1) {
			out[k] = BinValue(b)
			k++
		}
		if k == len(qs) {
			break
		}
	}
	for ; k < len(qs); k++ {
		out[k] = BinValue(last)
	}
	p.P50, p.P85, p.P95 = math.Round(out[0]), math.Round(out[1]), math.Round(out[2])
	return p
}

// MarshalBinary encodes h compactly: a format byte (1), then its non-zero
// bins in ascending order. A bin whose gap from the previous bin and whose
// count are both 1..15 takes one byte (gap<<4 | count): a busy day's bins
// are mostly next to each other with small counts. Any other bin is an
// escape byte (0) followed by the gap and the count as varints. Written by
// hand: a library sketch format would not merge with the per-bin counters
// days are written with, and this is a few lines.
func (h Histogram) MarshalBinary() ([]byte, error) {
	bins := make([]int, 0, len(h))
	for b, n := range h {
		if n != 0 {
			bins = append(bins, b)
		}
	}
	if len(bins) == 0 {
		return nil, nil
	}
	sort.Ints(bins)
	out := make([]byte, 1, 1+len(bins))
	out[0] = binaryFormat
	prev := 0
	for _, b := range bins {
		gap, n := b-prev, h[b]
		if gap >= 1 && gap <= 15 && n >= 1 && n <= 15 {
			out = append(out, byte(gap<<4)|byte(n))
		} else {
			out = append(out, 0)
			out = binary.AppendVarint(out, int64(gap))
			out = binary.AppendVarint(out, n)
		}
		prev = b
	}
	return out, nil
}

const binaryFormat = 1

var errBadHistogram = errors.New("analytics: malformed histogram encoding")

// AddBinary adds the histogram encoded by MarshalBinary to h.
func (h Histogram) AddBinary(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	if data[0] != binaryFormat {
		return errBadHistogram
	}
	data = data[1:]
	prev := int64(0)
	for len(data) > 0 {
		var gap, count int64
		if b := data[0]; b != 0 {
			gap, count = int64(b>>4), int64(b&0x0f)
			if gap == 0 || count == 0 {
				return errBadHistogram
			}
			data = data[1:]
		} else {
			var n, m int
			data = data[1:]
			if gap, n = binary.Varint(data); n <= 0 {
				return errBadHistogram
			}
			data = data[n:]
			if count, m = binary.Varint(data); m <= 0 {
				return errBadHistogram
			}
			data = data[m:]
		}
		prev += gap
		if prev < 0 || prev > math.MaxInt32 {
			return errBadHistogram
		}
		h[int(prev)] += count
	}
	return nil
}
