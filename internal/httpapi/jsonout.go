package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// NonNil returns v with every nil slice and map inside it (struct fields,
// elements, map values, through pointers and interfaces) replaced by an
// empty one, so the API answers [] and {} where encoding/json would write
// null: clients and the OpenAPI document then treat every array as an array.
// Values are copied where they are not addressable; v itself is not changed
// unless it holds pointers to the values it changes.
func NonNil(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	if !hasNil(rv, 0) {
		// Nothing to replace (the usual answer): no copy. The copy and
		// fill used to cost a list page of 25 issues more allocations than
		// encoding it.
		return v
	}
	cp := reflect.New(rv.Type()).Elem()
	cp.Set(rv)
	fill(cp, 0)
	return cp.Interface()
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

// fill replaces nil slices and maps under v (which must be settable).
func fill(v reflect.Value, depth int) {
	if depth > 32 { // API values are shallow; this only stops a cycle
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			fill(v.Elem(), depth+1)
		}
	case reflect.Interface:
		fillInterface(v, depth)
	case reflect.Struct:
		t := v.Type()
		for i := range v.NumField() {
			if f := v.Field(i); t.Field(i).IsExported() && f.CanSet() {
				fill(f, depth+1)
			}
		}
	case reflect.Slice:
		fillSlice(v, depth)
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i), depth+1)
		}
	case reflect.Map:
		fillMap(v, depth)
	}
}

// fillInterface fills a copy of the interface's dynamic value (which is not
// addressable) and stores the copy back.
func fillInterface(v reflect.Value, depth int) {
	if v.IsNil() {
		return
	}
	inner := v.Elem()
	cp := reflect.New(inner.Type()).Elem()
	cp.Set(inner)
	fill(cp, depth+1)
	v.Set(cp)
}

// fillSlice makes a nil slice empty and fills the elements of a copy, so
// the caller's elements stay as they were. Byte slices (and raw JSON) are
// left alone: encoding/json writes them as strings.
func fillSlice(v reflect.Value, depth int) {
	if v.Type() == rawMessage || v.Type().Elem().Kind() == reflect.Uint8 {
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		return
	}
	if !mayHoldNil(v.Type().Elem(), 0) {
		return
	}
	cp := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	reflect.Copy(cp, v)
	for i := range cp.Len() {
		fill(cp.Index(i), depth+1)
	}
	v.Set(cp)
}

// fillMap makes a nil map empty and fills the values of a copy, so the
// caller's map stays as it was.
func fillMap(v reflect.Value, depth int) {
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
		return
	}
	cp := reflect.MakeMapWithSize(v.Type(), v.Len())
	iter := v.MapRange()
	for iter.Next() {
		val := reflect.New(iter.Value().Type()).Elem()
		val.Set(iter.Value())
		fill(val, depth+1)
		cp.SetMapIndex(iter.Key(), val)
	}
	v.Set(cp)
}

// hasNil reports whether fill would change what encoding/json writes of v:
// a nil slice or map under it that is written as null (a field that is
// omitempty, or not encoded at all, is left out either way). It only
// reads v.
func hasNil(v reflect.Value, depth int) bool {
	if depth > 32 {
		return false
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && hasNil(v.Elem(), depth+1)
	case reflect.Struct:
		for _, f := range fieldsOf(v.Type()) {
			fv := v.Field(f.index)
			if f.omitEmpty && (fv.Kind() == reflect.Slice || fv.Kind() == reflect.Map) && fv.Len() == 0 {
				continue
			}
			if hasNil(fv, depth+1) {
				return true
			}
		}
	case reflect.Slice:
		if v.Type() == rawMessage || v.Type().Elem().Kind() == reflect.Uint8 {
			return false
		}
		if v.IsNil() {
			return true
		}
		if !mayHoldNil(v.Type().Elem(), 0) {
			return false
		}
		for i := range v.Len() {
			if hasNil(v.Index(i), depth+1) {
				return true
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			if hasNil(v.Index(i), depth+1) {
				return true
			}
		}
	case reflect.Map:
		if v.IsNil() {
			return true
		}
		if !mayHoldNil(v.Type().Elem(), 0) {
			return false
		}
		for iter := v.MapRange(); iter.Next(); {
			if hasNil(iter.Value(), depth+1) {
				return true
			}
		}
	}
	return false
}

// nilField is a struct field hasNil looks into: exported, encoded (not
// json:"-") and of a type that can hold a nil slice or map.
type nilField struct {
	index     int
	omitEmpty bool
}

// nilFields caches fieldsOf per struct type: an answer's struct used to
// have every field's tag parsed on every answer (docs/performance.md,
// eighth pass).
var nilFields sync.Map // reflect.Type -> []nilField

// fieldsOf are the fields of struct type t that hasNil looks into, in order.
func fieldsOf(t reflect.Type) []nilField {
	if fs, ok := nilFields.Load(t); ok {
		return fs.([]nilField)
	}
	var fs []nilField
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := f.Tag.Get("json"); f.IsExported() && tag != "-" && mayHoldNil(f.Type, 0) {
			fs = append(fs, nilField{index: i, omitEmpty: omitEmpty(tag)})
		}
	}
	nilFields.Store(t, fs)
	return fs
}

// omitEmpty reports whether a json tag has the omitempty option.
func omitEmpty(tag string) bool {
	_, opts, _ := strings.Cut(tag, ",")
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == "omitempty" {
			return true
		}
	}
	return false
}

// holdsNil caches mayHoldNil per type (a struct's answer walks its fields).
var holdsNil sync.Map // reflect.Type -> bool

// mayHoldNil reports whether a value of type t can contain a nil slice or map.
func mayHoldNil(t reflect.Type, depth int) bool {
	if depth == 0 {
		if b, ok := holdsNil.Load(t); ok {
			return b.(bool)
		}
		b := mayHoldNilOf(t, 0)
		holdsNil.Store(t, b)
		return b
	}
	return mayHoldNilOf(t, depth)
}

func mayHoldNilOf(t reflect.Type, depth int) bool {
	if depth > 8 {
		return true
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Map, reflect.Interface, reflect.Pointer:
		return true
	case reflect.Array:
		return mayHoldNil(t.Elem(), depth+1)
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() && mayHoldNil(t.Field(i).Type, depth+1) {
				return true
			}
		}
	}
	return false
}
