// Package registrationwire wires the registration function (the public
// sign-up). It only starts lifecycle runs, which go on the bus to the
// onboarding function (lifecyclecore.WithRunsElsewhere): it never runs a
// step, so it does not link what only steps use (lifecyclewire's
// CloudFormation stacks, the S3 export archive and file moves; issue 19,
// docs/performance.md).
package registrationwire

import (
	"github.com/issuetracker/issuetracker/internal/app/cognitowire"
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/lifecyclecore"
	"github.com/issuetracker/issuetracker/internal/app/tenantwire"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// Registration is the public sign-up function: it mails verification
// codes and puts lifecycle run requests on the bus.
var Registration = core.Wiring{Fn: routes.FnRegistration,
	Setup:      []core.Setup{cognitowire.WithCognito, core.WithMail, core.WithBillingOn, lifecyclecore.WithRunsElsewhere},
	Operations: tenantwire.RegistrationOperations}
