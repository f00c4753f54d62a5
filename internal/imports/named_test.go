package imports

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The name tables are slices (static data): a repeated name, which a map
// literal would refuse to compile, would be shadowed by its first entry.
func TestNameTablesNameEachOnce(t *testing.T) {
	once := func(table string, names []string) {
		seen := map[string]bool{}
		for _, n := range names {
			assert.False(t, seen[n], "%s names %q twice", table, n)
			seen[n] = true
		}
	}
	once("headerFields", namesOf(headerFields))
	once("statusOf", namesOf(statusOf))
	once("priorityOf", namesOf(priorityOf))
	once("typeOf", namesOf(typeOf))
	v, ok := lookup(statusOf, "code review")
	assert.True(t, ok)
	assert.EqualValues(t, "in_review", v)
	_, ok = lookup(statusOf, "nothing")
	assert.False(t, ok)
}

func namesOf[V ~string](table []named[V]) []string {
	var out []string
	for _, n := range table {
		out = append(out, n.name)
	}
	return out
}
