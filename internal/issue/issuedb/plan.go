package issuedb

import (
	"slices"
	"strconv"

	"github.com/issuetracker/issuetracker/internal/issue"
)

// plan is how a list page is read: Queries of one index, one per partition,
// merged in sort-key order. The sort indexes have one partition per tenant;
// a filter index has one per filter value (assignee=ann,bob is two).
type plan struct {
	index, pkAttr, skAttr string
	partitions            []string
	// prefixes, when set, narrow each partition's Query to the index sort
	// keys that begin with prefixes[n] (a priority's issues in gsi3).
	prefixes []string
	// residual is what the index does not select; Match still checks the
	// whole filter, since an index entry may lag behind its issue.
	residual issue.Filter
}

// maxFanout bounds the partitions one page merges; a filter with more
// values is read through the sort index instead.
const maxFanout = 10

// choosePlan picks the index of a list page. Only the updated order has
// filter indexes (gsi5 owner, gsi6 status, gsi7 project, gsi8 parent, gsi9 cycle, all
// sorted like gsi1); among the indexed filters the most selective drives
// the Query: parent, cycle, assignee (many users), then team, project, status, priority (a
// prefix of gsi3, whose sort key is rank#updated#id). assignee=none is not
// indexed: team-owned issues are unassigned too, and it is rarely
// selective. Otherwise the sort index reads the tenant's issues and the
// filter applies in memory.
func choosePlan(tenant string, q issue.ListQuery) plan {
	f := q.Filter
	ix := sortIndex[q.Sort]
	p := plan{index: ix.name, pkAttr: ix.pk, skAttr: ix.sk, partitions: []string{issuesGSI(tenant)}, residual: f}
	if q.Sort != issue.SortUpdated {
		return p
	}
	if len(f.Parents) > 0 && len(f.Parents) <= maxFanout { // a parent's sub-issues: the most selective
		var parts []string
		for _, x := range f.Parents {
			parts = append(parts, childrenGSI(tenant, x))
		}
		p.residual.Parents = nil
		return plan{index: "gsi8", pkAttr: "gsi8pk", skAttr: "gsi8sk", partitions: parts, residual: p.residual}
	}
	if len(f.Cycles) > 0 && len(f.Cycles) <= maxFanout { // a cycle's issues (gsi9): as selective
		var parts []string
		for _, x := range f.Cycles {
			parts = append(parts, cycleIssuesGSI(tenant, x))
		}
		p.residual.Cycles = nil
		return plan{index: "gsi9", pkAttr: "gsi9pk", skAttr: "gsi9sk", partitions: parts, residual: p.residual}
	}
	if len(f.Assignees) > 0 && len(f.Assignees) <= maxFanout && !slices.Contains(f.Assignees, issue.NoAssignee) {
		var parts []string
		for _, a := range f.Assignees {
			parts = append(parts, assigneeGSI(tenant, a))
		}
		p.residual.Assignees = nil
		return plan{index: "gsi5", pkAttr: "gsi5pk", skAttr: "gsi5sk", partitions: parts, residual: p.residual}
	}
	if len(f.Teams) > 0 && len(f.Teams) <= maxFanout {
		var parts []string
		for _, t := range f.Teams {
			if t != issue.NoTeam {
				parts = append(parts, teamIssuesGSI(tenant, t))
			}
		}
		p.residual.Teams = nil
		return plan{index: "gsi5", pkAttr: "gsi5pk", skAttr: "gsi5sk", partitions: parts, residual: p.residual}
	}
	if len(f.Projects) > 0 && len(f.Projects) <= maxFanout {
		var parts []string
		for _, x := range f.Projects {
			parts = append(parts, projectIssuesGSI(tenant, x))
		}
		p.residual.Projects = nil
		return plan{index: "gsi7", pkAttr: "gsi7pk", skAttr: "gsi7sk", partitions: parts, residual: p.residual}
	}
	if statuses, ok := filterStatuses(f, q.Custom); ok && len(statuses) <= maxFanout {
		var parts []string
		for _, s := range statuses {
			parts = append(parts, statusGSI(tenant, s))
		}
		// A status id may be of another category in another project: the
		// category stays a residual filter (the issue stores its category).
		p.residual.Statuses = nil
		return plan{index: "gsi6", pkAttr: "gsi6pk", skAttr: "gsi6sk", partitions: parts, residual: p.residual}
	}
	if len(f.Priorities) > 0 {
		// Within one priority, gsi3 (rank#updated#id) is in update order.
		ranks := make([]int, 0, len(f.Priorities))
		for _, pr := range f.Priorities {
			ranks = append(ranks, pr.Rank())
		}
		slices.Sort(ranks)
		var parts, prefixes []string
		for _, r := range slices.Compact(ranks) {
			parts, prefixes = append(parts, issuesGSI(tenant)), append(prefixes, strconv.Itoa(r)+"#")
		}
		p.residual.Priorities = nil
		return plan{index: "gsi3", pkAttr: "gsi3pk", skAttr: "gsi3sk", partitions: parts, prefixes: prefixes, residual: p.residual}
	}
	return p
}

// filterStatuses are the statuses a status and category filter admits (none
// when they contradict); ok is false if neither filters. A category admits
// the default workflow's statuses of it and the custom ones (the tenant's
// stored workflows) of it; a status filter admits the statuses named.
func filterStatuses(f issue.Filter, custom []issue.WorkflowStatus) ([]issue.Status, bool) {
	if len(f.Statuses) == 0 && len(f.Categories) == 0 {
		return nil, false
	}
	cats := map[issue.Status][]issue.Category{}
	candidates := slices.Clone(f.Statuses)
	for _, s := range issue.Statuses {
		cats[s] = append(cats[s], issue.CategoryOf(s))
		if len(f.Statuses) == 0 {
			candidates = append(candidates, s)
		}
	}
	for _, st := range custom {
		if _, seen := cats[st.Status]; !seen && len(f.Statuses) == 0 {
			candidates = append(candidates, st.Status)
		}
		cats[st.Status] = append(cats[st.Status], st.Category)
	}
	var out []issue.Status
	for _, s := range candidates {
		if slices.Contains(out, s) {
			continue
		}
		if len(f.Categories) == 0 || len(cats[s]) == 0 || slices.ContainsFunc(cats[s], func(c issue.Category) bool { return slices.Contains(f.Categories, c) }) {
			out = append(out, s)
		}
	}
	return out, true
}
