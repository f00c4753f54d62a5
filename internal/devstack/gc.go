package devstack

import (
	"os"
	"runtime/debug"
)

// DevGCPercent is the local platform's GOGC unless GOGC is set. The one
// process serves every function's requests with a live heap of about
// 10 MiB, so at the default (100) it collected several times a second
// under load (7.5-8.6% of its CPU in a profile); at 400 it collects a
// quarter as often for a heap of tens of MiB. Lambda functions keep the
// default: one request at a time each. The load tool's floor (cmd/load
// -serve-floor) runs at the same setting, so the two compare like for like.
const DevGCPercent = 400

// UseDevGC sets this process's GOGC to DevGCPercent unless the environment
// sets GOGC (the runtime applied that at start), and returns the percent in
// effect: `issuetracker dev` and the load tool's floor call it first.
func UseDevGC() int {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(DevGCPercent)
		return DevGCPercent
	}
	p := debug.SetGCPercent(100) // read it (the call returns the previous one)
	debug.SetGCPercent(p)
	return p
}
