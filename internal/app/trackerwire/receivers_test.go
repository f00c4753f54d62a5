package trackerwire_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/app/trackerwire"
	"github.com/issuetracker/issuetracker/internal/list"
)

// TestWiringPutsPointersInInterfaces: a struct value of ours stored in an
// interface has its methods called with a pointer to it, so the compiler
// links a (*T).M wrapper beside every T.M (docs/performance.md, "Margin
// under the 64 KiB step"). Every interface the issue domain's wiring
// fills, its memoized copy included, holds a pointer.
func TestWiringPutsPointersInInterfaces(t *testing.T) {
	s := trackerwire.IssueService(nil, list.Codec{}, time.Now)
	var values []string
	seen := map[uintptr]bool{}
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Interface:
			if v.IsNil() {
				return
			}
			e := v.Elem()
			if e.Kind() == reflect.Struct && strings.HasPrefix(e.Type().PkgPath(), "github.com/issuetracker/") {
				values = append(values, path+": "+e.Type().String())
			}
			walk(path, e)
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			walk(path, v.Elem())
		case reflect.Struct:
			if !strings.HasPrefix(v.Type().PkgPath(), "github.com/issuetracker/") {
				return
			}
			for i := range v.NumField() {
				walk(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		}
	}
	walk("IssueService", reflect.ValueOf(s))
	walk("IssueService.Memoized", reflect.ValueOf(s.Memoized()))
	assert.Greater(t, len(seen), 10, "the walk reached the wiring's services and stores")
	assert.Empty(t, values, "struct values in interfaces: give their types pointer receivers and store pointers")
}
