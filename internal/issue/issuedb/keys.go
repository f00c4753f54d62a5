// Package issuedb stores the issue domain in the tenant's DynamoDB table
// (the pooled table or a Platinum tenant's own). Every key it writes, of the
// table and of its indexes, starts with "T#<tenant>#". The key design and the
// access patterns are in docs/data-model.md.
package issuedb

import (
	"strconv"
	"time"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Key builders: the only place key formats are spelled out.
func tp(tenant string) string          { return schema.TenantKeyPrefix(tenant) }
func issuePK(tenant, id string) string { return tp(tenant) + "ISSUE#" + id }

// issueKeyPK is the key alias of a project's issue number. The default
// project keeps the tenant's original aliases (T#t#ISSUEKEY#<n>), so keys
// written before projects resolve unchanged; others add the project id.
func issueKeyPK(tenant, project string, n int64) string {
	if project == "" || project == issue.DefaultProjectID {
		return tp(tenant) + "ISSUEKEY#" + strconv.FormatInt(n, 10)
	}
	return tp(tenant) + "ISSUEKEY#" + project + "#" + strconv.FormatInt(n, 10)
}
func counterPK(tenant string) string { return tp(tenant) + "COUNTER" }

// counterSK is a project's issue counter (the default project's is the
// tenant's original one).
func counterSK(project string) string {
	if project == "" || project == issue.DefaultProjectID {
		return skCounter
	}
	return skCounter + "#" + project
}

// projectIssuesGSI is a project's issues in gsi7; childrenGSI an issue's
// sub-issues in gsi8.
func projectIssuesGSI(tenant, project string) string {
	return tp(tenant) + "PROJECT#" + projectOrDefault(project) + "#ISSUES"
}
func childrenGSI(tenant, parent string) string { return tp(tenant) + "ISSUE#" + parent + "#CHILDREN" }

// cycleIssuesGSI is a cycle's issues in gsi9; cycleScopePK the partition
// of its scope records (one per issue ever planned in it).
func cycleIssuesGSI(tenant, cycle string) string { return tp(tenant) + "CYCLE#" + cycle + "#ISSUES" }
func cycleScopePK(tenant, cycle string) string   { return tp(tenant) + "CYCLE#" + cycle + "#SCOPE" }
func cyclePK(tenant, cycle string) string        { return tp(tenant) + "CYCLE#" + cycle } // cycledb's item (sk CYCLE)

// projectOrDefault: an issue written before projects has none stored.
func projectOrDefault(p string) string {
	if p == "" {
		return issue.DefaultProjectID
	}
	return p
}
func issuesGSI(tenant string) string { return tp(tenant) + "ISSUES" }

// Filter partitions of the issue indexes: gsi5 by owner (an issue has an
// assignee, a team or neither, never both), gsi6 by status.
func assigneeGSI(tenant, user string) string { return tp(tenant) + "ISSUES#A#" + user }
func unownedGSI(tenant string) string        { return tp(tenant) + "ISSUES#UNOWNED" }
func teamIssuesGSI(tenant, team string) string {
	return tp(tenant) + "ISSUES#TEAM#" + team
}
func statusGSI(tenant string, s issue.Status) string { return tp(tenant) + "ISSUES#S#" + string(s) }
func labelsPK(tenant string) string                  { return tp(tenant) + "LABELS" }
func labelUsePK(tenant, label string) string         { return tp(tenant) + "LABEL#" + label }
func teamPK(tenant, team string) string              { return tp(tenant) + "TEAM#" + team }
func termPK(tenant, word string) string              { return tp(tenant) + "W#" + string([]rune(word)[:2]) }
func purgePK(tenant string) string                   { return tp(tenant) + "PURGE" }

// Sort keys.
const (
	skIssue    = "ISSUE"
	skKey      = "KEY"
	skCounter  = "ISSUEKEY"
	skTeam     = "TEAM"
	preAct     = "ACT#"
	preHist    = "HIST#"
	preComment = "COMMENT#"
	preLabel   = "LABEL#"
	preName    = "LABELNAME#"
	preUse     = "ISSUE#"
	noDue      = "9999-12-31"
)

func labelSK(id string) string        { return preLabel + id }
func labelNameSK(lower string) string { return preName + lower }
func useSK(issueID string) string     { return preUse + issueID }
func purgeSK(issueID string) string   { return preUse + issueID }

// termSK: prefix search is begins_with(sk, word) in the word's partition.
// src is "I" for the issue's title and description, "C<id>" for a comment.
func termSK(word, issueID, src string) string { return word + "#" + issueID + "#" + src }

// ts is a fixed-width UTC timestamp that sorts as text.
func ts(t time.Time) string { return schema.TimeKey(t) }
