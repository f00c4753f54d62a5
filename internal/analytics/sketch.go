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

// Summary is the p50/p85/p95 of h.
func (h Histogram) Summary() Percentiles {
	round := func(v float64) float64 { return math.Round(v) }
	return Percentiles{Count: h.Count(), P50: round(h.Quantile(0.50)), P85: round(h.Quantile(0.85)), P95: round(h.Quantile(0.95))}
}

// MarshalBinary encodes h compactly: its non-zero bins in ascending order,
// each as the varint gap from the previous bin and the varint count (about
// 2 bytes a bin, against some 17 bytes of JSON for a counter attribute).
// Written by hand: the layout is two varints per bin, and a library sketch
// format would not merge with the per-bin counters days are written with.
func (h Histogram) MarshalBinary() ([]byte, error) {
	bins := make([]int, 0, len(h))
	for b, n := range h {
		if n != 0 {
			bins = append(bins, b)
		}
	}
	sort.Ints(bins)
	out := make([]byte, 0, 3*len(bins))
	prev := 0
	for _, b := range bins {
		out = binary.AppendVarint(out, int64(b-prev))
		out = binary.AppendVarint(out, h[b])
		prev = b
	}
	return out, nil
}

var errBadHistogram = errors.New("analytics: malformed histogram encoding")

// AddBinary adds the histogram encoded by MarshalBinary to h.
func (h Histogram) AddBinary(data []byte) error {
	prev := int64(0)
	for len(data) > 0 {
		gap, n := binary.Varint(data)
		if n <= 0 {
			return errBadHistogram
		}
		data = data[n:]
		count, m := binary.Varint(data)
		if m <= 0 {
			return errBadHistogram
		}
		data = data[m:]
		prev += gap
		if prev < 0 || prev > math.MaxInt32 {
			return errBadHistogram
		}
		h[int(prev)] += count
	}
	return nil
}
