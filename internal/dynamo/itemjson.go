package dynamo

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
)

// The direct decoder: a GetItem answer's DynamoDB JSON decoded straight into
// the caller's struct, in one pass, where the SDK decodes it into
// map[string]types.AttributeValue and attributevalue then walks that into
// the struct (about 14% of the platform's CPU per GET /v1/issues/{id},
// docs/performance.md). It covers what the platform's items use: strings,
// numbers into ints and floats, booleans, NULL, lists, maps, time.Time from
// RFC 3339 strings, pointers to any of these, structs by their dynamodbav
// names, and map[string]any and any as attributevalue fills them (N as
// float64, L as []any, M as map[string]any). Anything else, and anything
// it cannot decode exactly as the SDK and attributevalue would (sets,
// binary, a duplicate attribute, an escape it does not handle, a value
// attributevalue would refuse), is errDeclined: the caller then hands the
// same bytes to the SDK, whose answer, item or error, is the one given.
// So the decoder must only ever agree with the SDK where it answers at all
// (FuzzDecodeGetItem compares the two on every input).

var errDeclined = errors.New("dynamo: left to the SDK's decoder")

type planKind uint8

const (
	pkString planKind = iota + 1
	pkBool
	pkInt
	pkFloat
	pkTime
	pkPtr
	pkSlice
	pkStruct
	pkMap    // map[K]T, K of kind string
	pkAnyMap // map[string]any
	pkAny    // interface{}
)

// plan is how one Go type is decoded.
type plan struct {
	kind   planKind
	typ    reflect.Type
	elem   *plan // pkPtr, pkSlice, pkMap
	fields []fieldPlan
	byName map[string]int
}

type fieldPlan struct {
	name  string
	index int
	plan  *plan
}

var (
	plans           sync.Map // reflect.Type -> *plan, or nil when declined
	timeType        = reflect.TypeFor[time.Time]()
	anyType         = reflect.TypeFor[any]()
	unmarshalerType = reflect.TypeFor[attributevalue.Unmarshaler]()
)

// planFor is t's plan, or nil when the direct decoder leaves t to the SDK.
func planFor(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p, err := buildPlan(t, map[reflect.Type]bool{})
	if err != nil {
		p = nil
	}
	plans.Store(t, p)
	return p
}

func buildPlan(t reflect.Type, building map[reflect.Type]bool) (*plan, error) {
	if t == anyType {
		return &plan{kind: pkAny, typ: t}, nil
	}
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil, errDeclined
	}
	if t == timeType {
		return &plan{kind: pkTime, typ: t}, nil
	}
	if t.ConvertibleTo(timeType) || building[t] {
		return nil, errDeclined
	}
	switch t.Kind() {
	case reflect.String:
		return &plan{kind: pkString, typ: t}, nil
	case reflect.Bool:
		return &plan{kind: pkBool, typ: t}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &plan{kind: pkInt, typ: t}, nil
	case reflect.Float32, reflect.Float64:
		return &plan{kind: pkFloat, typ: t}, nil
	case reflect.Pointer, reflect.Slice:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return nil, errDeclined // []byte is B to attributevalue
		}
		building[t] = true
		defer delete(building, t)
		e, err := buildPlan(t.Elem(), building)
		if err != nil {
			return nil, err
		}
		k := pkPtr
		if t.Kind() == reflect.Slice {
			k = pkSlice
		}
		return &plan{kind: k, typ: t, elem: e}, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String || reflect.PointerTo(t.Key()).Implements(reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()) {
			return nil, errDeclined
		}
		if t == reflect.TypeFor[map[string]any]() {
			return &plan{kind: pkAnyMap, typ: t}, nil
		}
		building[t] = true
		defer delete(building, t)
		e, err := buildPlan(t.Elem(), building)
		if err != nil {
			return nil, err
		}
		return &plan{kind: pkMap, typ: t, elem: e}, nil
	case reflect.Struct:
		building[t] = true
		defer delete(building, t)
		p := &plan{kind: pkStruct, typ: t, byName: map[string]int{}}
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous {
				return nil, errDeclined // attributevalue's embedded-field rules: left to it
			}
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("dynamodbav"), ",")
			if name == "-" && opts == "" {
				continue
			}
			for o := range strings.SplitSeq(opts, ",") {
				switch o {
				case "", "omitempty", "omitemptyelem", "nullempty", "nullemptyelem":
				default:
					return nil, errDeclined // string, unixtime, the sets: decoded otherwise
				}
			}
			if name == "" {
				name = f.Name
			}
			for _, g := range p.fields {
				if strings.EqualFold(g.name, name) {
					return nil, errDeclined // attributevalue picks among them
				}
			}
			fp, err := buildPlan(f.Type, building)
			if err != nil {
				return nil, err
			}
			p.byName[name] = len(p.fields)
			p.fields = append(p.fields, fieldPlan{name: name, index: i, plan: fp})
		}
		if len(p.fields) > 64 {
			return nil, errDeclined // duplicates are tracked in a uint64
		}
		return p, nil
	}
	return nil, errDeclined
}

// itemDecoder reads DynamoDB JSON from p.
type itemDecoder struct {
	p []byte
	i int
}

// decodeGetItem decodes a GetItem answer's body into v (a settable struct
// of plan pl, zero on entry): found is whether the answer held an Item.
// Any error is errDeclined (v may then be partly written).
func decodeGetItem(p []byte, v reflect.Value, pl *plan) (found bool, err error) {
	d := itemDecoder{p: p}
	if !d.consume('{') {
		return false, errDeclined
	}
	if d.consume('}') {
		return false, d.end()
	}
	for {
		k, err := d.key()
		if err != nil {
			return false, err
		}
		if string(k) != "Item" || found {
			return false, errDeclined // ConsumedCapacity is never asked for; a second Item is left to the SDK
		}
		if err := d.structBody(pl, v); err != nil {
			return false, err
		}
		found = true
		if d.consume('}') {
			return found, d.end()
		}
		if !d.consume(',') {
			return false, errDeclined
		}
	}
}

func (d *itemDecoder) ws() {
	for d.i < len(d.p) {
		switch d.p[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// consume skips white space and c, if c comes next.
func (d *itemDecoder) consume(c byte) bool {
	d.ws()
	if d.i < len(d.p) && d.p[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *itemDecoder) end() error {
	d.ws()
	if d.i != len(d.p) {
		return errDeclined
	}
	return nil
}

// key reads a member's name and its colon.
func (d *itemDecoder) key() ([]byte, error) {
	d.ws()
	k, err := d.str()
	if err != nil || !d.consume(':') {
		return nil, errDeclined
	}
	return k, nil
}

// str reads a JSON string. Without escapes it is a slice of p (the caller
// copies it if it keeps it).
func (d *itemDecoder) str() ([]byte, error) {
	if d.i >= len(d.p) || d.p[d.i] != '"' {
		return nil, errDeclined
	}
	start := d.i + 1
	for j := start; j < len(d.p); j++ {
		switch c := d.p[j]; {
		case c == '"':
			d.i = j + 1
			return d.p[start:j], nil
		case c == '\\' || c < 0x20 || c >= 0x80:
			return d.slowStr(start)
		}
	}
	return nil, errDeclined
}

// slowStr reads a string with escapes or bytes beyond ASCII: valid UTF-8
// and the escapes of RFC 8259 except surrogates (left to the SDK).
func (d *itemDecoder) slowStr(start int) ([]byte, error) {
	out := make([]byte, 0, 64)
	j := start
	for j < len(d.p) {
		c := d.p[j]
		switch {
		case c == '"':
			d.i = j + 1
			return out, nil
		case c < 0x20:
			return nil, errDeclined
		case c < 0x80 && c != '\\':
			out = append(out, c)
			j++
		case c >= 0x80:
			r, n := utf8.DecodeRune(d.p[j:])
			if r == utf8.RuneError && n <= 1 {
				return nil, errDeclined
			}
			out = append(out, d.p[j:j+n]...)
			j += n
		default: // a backslash
			if j+1 >= len(d.p) {
				return nil, errDeclined
			}
			switch e := d.p[j+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				if j+6 > len(d.p) {
					return nil, errDeclined
				}
				n, err := strconv.ParseUint(string(d.p[j+2:j+6]), 16, 16)
				if err != nil || utf16.IsSurrogate(rune(n)) || d.p[j+2] == '+' {
					return nil, errDeclined
				}
				out = utf8.AppendRune(out, rune(n))
				j += 4
			default:
				return nil, errDeclined
			}
			j += 2
		}
	}
	return nil, errDeclined
}

// structBody reads an object of attribute values into v, a struct of plan
// pl: by exact name; an attribute that matches no field is checked and
// skipped, as attributevalue ignores it (one that matches a field but for
// case is left to the SDK: attributevalue folds case).
func (d *itemDecoder) structBody(pl *plan, v reflect.Value) error {
	if !d.consume('{') {
		return errDeclined
	}
	if d.consume('}') {
		return nil
	}
	var seen uint64
	for {
		k, err := d.key()
		if err != nil {
			return err
		}
		if fi, ok := pl.byName[string(k)]; ok {
			if seen&(1<<fi) != 0 {
				return errDeclined
			}
			seen |= 1 << fi
			f := pl.fields[fi]
			if err := d.av(f.plan, v.Field(f.index)); err != nil {
				return err
			}
		} else {
			for _, f := range pl.fields {
				if strings.EqualFold(f.name, string(k)) {
					return errDeclined
				}
			}
			if err := d.skipAV(); err != nil {
				return err
			}
		}
		if d.consume('}') {
			return nil
		}
		if !d.consume(',') {
			return errDeclined
		}
	}
}

// avTag reads an attribute value's opening and its one member's name.
func (d *itemDecoder) avTag() (string, error) {
	if !d.consume('{') {
		return "", errDeclined
	}
	k, err := d.key()
	if err != nil {
		return "", err
	}
	switch string(k) {
	case "S":
		return "S", nil
	case "N":
		return "N", nil
	case "BOOL":
		return "BOOL", nil
	case "NULL":
		return "NULL", nil
	case "L":
		return "L", nil
	case "M":
		return "M", nil
	}
	return "", errDeclined // SS, NS, B, BS and anything else
}

// avEnd closes an attribute value: exactly one member.
func (d *itemDecoder) avEnd() error {
	if !d.consume('}') {
		return errDeclined
	}
	return nil
}

func (d *itemDecoder) literal(s string) bool {
	d.ws()
	if len(d.p)-d.i >= len(s) && string(d.p[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

func (d *itemDecoder) boolean() (bool, error) {
	switch {
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	}
	return false, errDeclined
}

// av reads one attribute value into v, of plan pl.
func (d *itemDecoder) av(pl *plan, v reflect.Value) error {
	switch pl.kind {
	case pkAny:
		x, err := d.anyAV()
		if err != nil {
			return err
		}
		if x == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(x))
		}
		return nil
	case pkAnyMap:
		t, err := d.avTag()
		if err != nil {
			return err
		}
		switch t {
		case "NULL":
			if err := d.null(); err != nil {
				return err
			}
			v.SetZero()
		case "M":
			m, err := d.anyMap()
			if err != nil {
				return err
			}
			v.Set(reflect.ValueOf(m))
		default:
			return errDeclined
		}
		return d.avEnd()
	}
	t, err := d.avTag()
	if err != nil {
		return err
	}
	if t == "NULL" {
		if err := d.null(); err != nil {
			return err
		}
		v.SetZero()
		return d.avEnd()
	}
	if pl.kind == pkPtr {
		nv := reflect.New(pl.elem.typ)
		if err := d.value(t, pl.elem, nv.Elem()); err != nil {
			return err
		}
		v.Set(nv)
	} else if err := d.value(t, pl, v); err != nil {
		return err
	}
	return d.avEnd()
}

func (d *itemDecoder) null() error {
	if !d.literal("true") {
		return errDeclined // {"NULL": false} is left to the SDK
	}
	return nil
}

// value reads the member of type t of an attribute value into v, of plan
// pl (not a pointer: av allocates).
func (d *itemDecoder) value(t string, pl *plan, v reflect.Value) error {
	if pl.kind == pkPtr || pl.kind == pkAny || pl.kind == pkAnyMap {
		return errDeclined // a pointer to a pointer or to an interface: left to the SDK
	}
	switch t {
	case "S":
		d.ws()
		s, err := d.str()
		if err != nil {
			return err
		}
		switch pl.kind {
		case pkString:
			v.SetString(string(s))
		case pkTime:
			tm, err := time.Parse(time.RFC3339, string(s))
			if err != nil {
				return errDeclined
			}
			v.Set(reflect.ValueOf(tm))
		default:
			return errDeclined
		}
	case "N":
		d.ws()
		s, err := d.str()
		if err != nil {
			return err
		}
		switch pl.kind {
		case pkInt:
			n, err := strconv.ParseInt(string(s), 10, 64)
			if err != nil || v.OverflowInt(n) {
				return errDeclined
			}
			v.SetInt(n)
		case pkFloat:
			f, err := strconv.ParseFloat(string(s), 64)
			if err != nil || v.OverflowFloat(f) {
				return errDeclined
			}
			v.SetFloat(f)
		default:
			return errDeclined
		}
	case "BOOL":
		b, err := d.boolean()
		if err != nil || pl.kind != pkBool {
			return errDeclined
		}
		v.SetBool(b)
	case "L":
		if pl.kind != pkSlice || !d.consume('[') {
			return errDeclined
		}
		s := reflect.MakeSlice(pl.typ, 0, 0)
		if !d.consume(']') {
			for i := 0; ; i++ {
				s = reflect.Append(s, reflect.Zero(pl.elem.typ))
				if err := d.av(pl.elem, s.Index(i)); err != nil {
					return err
				}
				if d.consume(']') {
					break
				}
				if !d.consume(',') {
					return errDeclined
				}
			}
		}
		v.Set(s)
	case "M":
		switch pl.kind {
		case pkStruct:
			return d.structBody(pl, v)
		case pkMap:
			m := reflect.MakeMap(pl.typ)
			if !d.consume('{') {
				return errDeclined
			}
			if !d.consume('}') {
				for {
					k, err := d.key()
					if err != nil {
						return err
					}
					e := reflect.New(pl.elem.typ).Elem()
					if err := d.av(pl.elem, e); err != nil {
						return err
					}
					m.SetMapIndex(reflect.ValueOf(string(k)).Convert(pl.typ.Key()), e)
					if d.consume('}') {
						break
					}
					if !d.consume(',') {
						return errDeclined
					}
				}
			}
			v.Set(m)
		default:
			return errDeclined
		}
	default:
		return errDeclined
	}
	return nil
}

// anyAV reads an attribute value as attributevalue decodes it into an
// interface: S string, N float64, BOOL bool, NULL nil, L []any, M
// map[string]any (never nil, even empty).
func (d *itemDecoder) anyAV() (any, error) {
	t, err := d.avTag()
	if err != nil {
		return nil, err
	}
	var x any
	switch t {
	case "S":
		d.ws()
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		x = string(s)
	case "N":
		d.ws()
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(string(s), 64)
		if err != nil {
			return nil, errDeclined
		}
		x = f
	case "BOOL":
		b, err := d.boolean()
		if err != nil {
			return nil, err
		}
		x = b
	case "NULL":
		if err := d.null(); err != nil {
			return nil, err
		}
	case "L":
		if !d.consume('[') {
			return nil, errDeclined
		}
		l := make([]any, 0, 4)
		if !d.consume(']') {
			for {
				e, err := d.anyAV()
				if err != nil {
					return nil, err
				}
				l = append(l, e)
				if d.consume(']') {
					break
				}
				if !d.consume(',') {
					return nil, errDeclined
				}
			}
		}
		x = l
	case "M":
		m, err := d.anyMap()
		if err != nil {
			return nil, err
		}
		x = m
	}
	if err := d.avEnd(); err != nil {
		return nil, err
	}
	return x, nil
}

// anyMap reads an object of attribute values into a map[string]any. A name
// given twice keeps its last value, as the SDK's map does.
func (d *itemDecoder) anyMap() (map[string]any, error) {
	if !d.consume('{') {
		return nil, errDeclined
	}
	m := map[string]any{}
	if d.consume('}') {
		return m, nil
	}
	for {
		k, err := d.key()
		if err != nil {
			return nil, err
		}
		e, err := d.anyAV()
		if err != nil {
			return nil, err
		}
		m[string(k)] = e
		if d.consume('}') {
			return m, nil
		}
		if !d.consume(',') {
			return nil, errDeclined
		}
	}
}

// skipAV reads an attribute value of any type but binary, and drops it.
func (d *itemDecoder) skipAV() error {
	if !d.consume('{') {
		return errDeclined
	}
	k, err := d.key()
	if err != nil {
		return err
	}
	switch string(k) {
	case "S", "N":
		d.ws()
		_, err = d.str()
	case "BOOL":
		_, err = d.boolean()
	case "NULL":
		err = d.null()
	case "SS", "NS", "L":
		if !d.consume('[') {
			return errDeclined
		}
		if d.consume(']') {
			break
		}
		for {
			if string(k) == "L" {
				err = d.skipAV()
			} else {
				d.ws()
				_, err = d.str()
			}
			if err != nil {
				return err
			}
			if d.consume(']') {
				break
			}
			if !d.consume(',') {
				return errDeclined
			}
		}
	case "M":
		if !d.consume('{') {
			return errDeclined
		}
		if d.consume('}') {
			break
		}
		for {
			if _, err := d.key(); err != nil {
				return err
			}
			if err := d.skipAV(); err != nil {
				return err
			}
			if d.consume('}') {
				break
			}
			if !d.consume(',') {
				return errDeclined
			}
		}
	default:
		return errDeclined
	}
	if err != nil {
		return err
	}
	return d.avEnd()
}
