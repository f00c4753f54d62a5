// Package metawire wires the meta function: health, the tier catalog and
// the OpenAPI document. It needs no table.
package metawire

import (
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/meta"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// Meta is the meta function.
var Meta = core.Wiring{Fn: routes.FnMeta, Operations: func(core.Deps) httpapi.Operations { return meta.Operations() }}
