package app

import (
	"maps"

	"github.com/issuetracker/issuetracker/internal/app/analyticswire"
	"github.com/issuetracker/issuetracker/internal/app/billingwire"
	"github.com/issuetracker/issuetracker/internal/app/filewire"
	"github.com/issuetracker/issuetracker/internal/app/notifywire"
	"github.com/issuetracker/issuetracker/internal/app/peoplewire"
	"github.com/issuetracker/issuetracker/internal/app/tenantwire"
	"github.com/issuetracker/issuetracker/internal/app/trackerwire"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/meta"
)

// operations gathers every domain's operations from the wiring packages
// (the in-process platform serves every function from one process). A
// new domain's operations are added to its function's wiring package and
// here.
func operations(d Deps) httpapi.Operations {
	all := httpapi.Operations{}
	for _, ops := range []httpapi.Operations{
		meta.Operations(),
		peoplewire.Operations(d),
		trackerwire.Operations(d),
		trackerwire.CommentOperations(d),
		tenantwire.Operations(d),
		analyticswire.Operations(d),
		filewire.Operations(d),
		billingwire.Operations(d),
		notifywire.Operations(d),
	} {
		maps.Copy(all, ops)
	}
	return all
}
