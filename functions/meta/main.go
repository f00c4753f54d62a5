// Command meta is the Lambda function that serves health, the tier catalog and the OpenAPI document.
// It imports only its own wiring (internal/app/metawire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/metawire"
)

func main() { core.Serve(metawire.Meta) }
