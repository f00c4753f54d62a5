package dynamo

// NotComparable, as a blank field (`_ dynamo.NotComparable`) of a stored
// item's struct, makes the struct not comparable with ==. Items are
// converted to interfaces (attributevalue.MarshalMap), and a comparable
// struct with strings gets an equality function for its type descriptor in
// every binary that links it (150-650 bytes of code each, with their
// tables: docs/performance.md, "Room under the 64 KiB step"); items are
// never compared. It takes no space, and attributevalue and encoding/json
// skip it as they skip every unexported field.
type NotComparable [0]func()
