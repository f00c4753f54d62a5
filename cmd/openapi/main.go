// Command openapi prints the API's OpenAPI 3.1 document (the one GET
// /v1/openapi.json serves, built from the route table). `make openapi-lint`
// runs a third-party validator on it.
package main

import (
	"encoding/json"
	"log"
	"os"

	"github.com/issuetracker/issuetracker/internal/openapi"
)

func main() {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(openapi.Document()); err != nil {
		log.Fatal(err)
	}
}
