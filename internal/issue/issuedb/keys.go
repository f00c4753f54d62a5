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
func issueKeyPK(tenant string, n int64) string {
	return tp(tenant) + "ISSUEKEY#" + strconv.FormatInt(n, 10)
}
func counterPK(tenant string) string { return tp(tenant) + "COUNTER" }
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
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
