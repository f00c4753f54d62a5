package xmltext

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// EscapeText and Unescape agree with encoding/xml on every string: what we
// write reads back through xml, what xml writes reads back through ours.
func TestXMLTextIsEncodingXMLs(t *testing.T) {
	alphabet := []rune("aZ09 &<>\"';#x\t\n\r/\u00e9\u4e16\U0001F600")
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		n := rnd.IntN(12)
		var b strings.Builder
		for range n {
			b.WriteRune(alphabet[rnd.IntN(len(alphabet))])
		}
		s := b.String()
		var v struct {
			Key string `xml:"Key"`
		}
		require.NoError(t, xml.Unmarshal([]byte("<O><Key>"+EscapeText(s)+"</Key></O>"), &v), "%q", s)
		require.Equal(t, s, v.Key, "ours written, xml read")
		var out bytes.Buffer
		require.NoError(t, xml.EscapeText(&out, []byte(s)))
		require.Equal(t, s, Unescape(out.String()), "xml written, ours read")
	}
	assert.Equal(t, "a&b<c>\"d'e\u00e9\U0001F600", Unescape("a&amp;b&lt;c&gt;&quot;d&apos;e&#233;&#x1F600;"))
	assert.Equal(t, "&unknown; &#zz; & x", Unescape("&unknown; &#zz; & x"))
}

// Element, Text and Each read the first element, its text, and each
// element of a name in order.
func TestElementsOfAFixedShape(t *testing.T) {
	doc := `<R><Stacks><member><StackStatus>CREATE_COMPLETE</StackStatus><StackStatusReason>a &amp; b</StackStatusReason>` +
		`<Outputs><member><OutputKey>K1</OutputKey></member><member><OutputKey>K&lt;2</OutputKey></member></Outputs></member></Stacks></R>`
	v, ok := Element(doc, "StackStatus")
	assert.True(t, ok)
	assert.Equal(t, "CREATE_COMPLETE", v)
	assert.Equal(t, "a & b", Text(doc, "StackStatusReason"))
	_, ok = Element(doc, "Missing")
	assert.False(t, ok)
	outs, _ := Raw(doc, "Outputs")
	var keys []string
	Each(outs, "member", func(m string) { keys = append(keys, Text(m, "OutputKey")) })
	assert.Equal(t, []string{"K1", "K<2"}, keys)
}
