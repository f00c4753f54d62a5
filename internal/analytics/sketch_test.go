package analytics_test

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/stretchr/testify/assert"
)

func TestHistogramQuantilesAreWithinTheSketchAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 7, 100, 5000} {
		vs := make([]float64, n)
		h := analytics.Histogram{}
		for i := range vs {
			vs[i] = math.Exp(rng.Float64() * 16) // 1 s .. ~100 days
			h.Add(analytics.Histogram{analytics.Bin(vs[i]): 1})
		}
		sort.Float64s(vs)
		for _, q := range []float64{0, 0.5, 0.85, 0.95, 1} {
			want := vs[int(q*float64(n-1))]
			got := h.Quantile(q)
			assert.LessOrEqual(t, math.Abs(got-want), analytics.Accuracy*want*1.0001, "n=%d q=%v", n, q)
		}
	}
	assert.Equal(t, 0.0, analytics.Histogram{}.Quantile(0.5))
	assert.Equal(t, 0, analytics.Bin(0.4), "under a second shares bin 0")
	assert.Equal(t, 0.0, analytics.BinValue(0))
}

func TestHistogramsOfDaysMergeByAddition(t *testing.T) {
	a := analytics.Histogram{analytics.Bin(60): 2}
	b := analytics.Histogram{analytics.Bin(60): 1, analytics.Bin(3600): 1}
	a.Add(b)
	assert.Equal(t, int64(4), a.Count())
	assert.Equal(t, int64(3), a[analytics.Bin(60)])
}

func TestHistogramBinaryEncodingRoundTripsAndMerges(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	h := analytics.Histogram{0: 2, 7: -1} // negative counts: a delta not yet compacted
	for range 2000 {
		h[analytics.Bin(math.Exp(rng.Float64()*17))]++
	}
	data, err := h.MarshalBinary()
	assert.NoError(t, err)
	assert.Less(t, len(data), 2*len(h), "mostly a byte a bin")
	dense := analytics.Histogram{}
	for b := 100; b < 300; b += 2 {
		dense[b] = 3
	}
	d, _ := dense.MarshalBinary()
	assert.Len(t, d, 1+(1+2+1)+99, "format byte, the first bin escaped (gap 100 takes two bytes), then one byte a bin")
	back := analytics.Histogram{}
	assert.NoError(t, back.AddBinary(data))
	assert.Equal(t, h, back)

	// Decoding adds: a stored histogram plus counters written since.
	more := analytics.Histogram{0: 1, 500: 3}
	assert.NoError(t, more.AddBinary(data))
	assert.Equal(t, h[0]+1, more[0])
	assert.Equal(t, int64(3), more[500])

	empty, err := analytics.Histogram{5: 0}.MarshalBinary()
	assert.NoError(t, err)
	assert.Empty(t, empty, "zero bins are not stored")
	for _, bad := range [][]byte{{0x02, 0x11}, {0x01, 0x10}, {0x01, 0x01}, {0x01, 0x00, 0x80}, {0x01, 0x00, 0x02}, {0x01, 0x00, 0x03, 0x02}} {
		assert.Error(t, analytics.Histogram{}.AddBinary(bad), "%x", bad)
	}
}

// A summary is the quantiles Quantile gives, whether the histogram is a map
// or merged densely (as reports merge days).
func TestSummaryIsTheQuantilesOfTheHistogram(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 2, 3, 10, 500} {
		h := analytics.Histogram{}
		var d analytics.Dense
		for range n {
			one := analytics.Histogram{analytics.Bin(math.Exp(rng.Float64() * 15)): 1}
			h.Add(one)
			d.Add(one)
		}
		want := analytics.Percentiles{Count: h.Count(), P50: math.Round(h.Quantile(0.5)), P85: math.Round(h.Quantile(0.85)), P95: math.Round(h.Quantile(0.95))}
		assert.Equal(t, want, h.Summary(), "n=%d", n)
		assert.Equal(t, want, d.Summary(), "n=%d", n)
	}
}
