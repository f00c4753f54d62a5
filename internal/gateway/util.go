package gateway

import (
	"fmt"
	"strconv"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
func itoa(i int) string                       { return strconv.Itoa(i) }
func ftoa(f float64) string                   { return strconv.FormatFloat(f, 'f', -1, 64) }
