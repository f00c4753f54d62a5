// Command hello is the fixture function of the gofunction tests.
package main

import "fmt"

func main() { fmt.Println("hello") }
