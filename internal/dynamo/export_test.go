package dynamo

import "reflect"

// DecodeGetItem runs the direct decoder alone on a GetItem answer's body,
// into out (a pointer to a zero struct).
func DecodeGetItem(p []byte, out any) (bool, error) {
	v := reflect.ValueOf(out).Elem()
	pl := planFor(v.Type())
	if pl == nil {
		return false, errDeclined
	}
	return decodeGetItem(p, v, pl)
}

var ErrDeclined = errDeclined
