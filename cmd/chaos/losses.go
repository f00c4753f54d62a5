package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/issuetracker/issuetracker/internal/loadtest"
)

// commitWindow bounds how long before a SIGKILL DynamoDB Local can have
// acknowledged a transaction it then loses. DynamoDB Local 1.25 answers a
// TransactWriteItems once it has queued the SQLite COMMIT, without waiting
// for it (SQLiteDBAccess.commitTransaction; a PutItem waits): a SIGKILL
// before the queued COMMIT ran loses the transaction.
// TestDynamoDBLocalDurabilityAcrossSIGKILL (internal/localcloud) saw lost
// transactions acknowledged 98 ms and 686 ms before the kill at load
// average 23-38 (the database thread starved); a platform loss has no
// reason to fall just before a kill.
const commitWindow = 5 * time.Second

// dbLoss says whether a lost write is DynamoDB Local's: acknowledged
// within commitWindow before one of the database's kills (the platform's
// issue and comment writes are all TransactWriteItems). Any other loss is
// the platform's.
func dbLoss(l loadtest.Loss, kills []time.Time) (time.Duration, bool) {
	for _, k := range kills {
		if d := k.Sub(l.At); d >= 0 && d <= commitWindow {
			return d, true
		}
	}
	return 0, false
}

// lossReport is what the ledger's losses of one verification come to.
type lossReport struct {
	db, platform []string
	lostIssues   map[string]bool // tenant/issue of a lost create
}

// classify sorts the losses not reported before (r.reported) into the
// database's and the platform's, printing each with its proof.
func (r *rig) classify(v loadtest.Verification, controlLost int) lossReport {
	rep := lossReport{lostIssues: map[string]bool{}}
	for _, l := range v.Losses {
		if l.Op == loadtest.OpCreate {
			rep.lostIssues[l.Tenant+"/"+l.Issue] = true
		}
		if r.reported[l.What] {
			continue
		}
		r.reported[l.What] = true
		if d, ok := dbLoss(l, r.dbKills); ok {
			s := fmt.Sprintf("%s: %s acknowledged %s before DynamoDB Local's SIGKILL (request %s); the control lost %d acknowledged transactions in this kill",
				l.What, l.Op, d.Round(time.Millisecond), l.RequestID, controlLost)
			fmt.Println("   LOST BY THE DATABASE (DynamoDB Local's asynchronous transaction commit, not the platform):", s)
			rep.db = append(rep.db, s)
			continue
		}
		rep.platform = append(rep.platform, l.What)
		r.fail("lost by the platform: %s (%s acknowledged at %s, request %s; no database kill in the %s before)",
			l.What, l.Op, l.At.Format(time.RFC3339Nano), l.RequestID, commitWindow)
	}
	return rep
}

// checkNotFound reports the reads that answered 404 for an issue the load
// had seen; each must be an issue whose acknowledged create was lost.
func (r *rig) checkNotFound(l *loadtest.Load, rep lossReport) int {
	n := 0
	var ids []string
	for tenant, m := range l.Ledger.NotFound() {
		for id, c := range m {
			n += c
			ids = append(ids, fmt.Sprintf("%s/%s×%d", tenant, id, c))
			if !rep.lostIssues[tenant+"/"+id] {
				r.fail("%d reads of %s issue %s answered 404, and its create was not lost", c, tenant, id)
			}
		}
	}
	sort.Strings(ids)
	if n > 0 {
		fmt.Printf("   reads answered 404: %d, of issues whose acknowledged create was lost: %v\n", n, ids)
	}
	return n
}
