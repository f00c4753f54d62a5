package issuedb

import (
	"strconv"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/issue"
)

// issueItem is an issue as stored: pk T#t#ISSUE#<id>, sk ISSUE, one entry
// in each of the four tenant-wide sort indexes, one in its owner's partition
// (assignee or team) and one in its status's. They are
// attributes of the issue item, so every write moves them with the issue.
type issueItem struct {
	PK          string         `dynamodbav:"pk"`
	SK          string         `dynamodbav:"sk"`
	GSI1PK      string         `dynamodbav:"gsi1pk"` // by updated
	GSI1SK      string         `dynamodbav:"gsi1sk"`
	GSI2PK      string         `dynamodbav:"gsi2pk"` // by created
	GSI2SK      string         `dynamodbav:"gsi2sk"`
	GSI3PK      string         `dynamodbav:"gsi3pk"` // by priority, then updated
	GSI3SK      string         `dynamodbav:"gsi3sk"`
	GSI4PK      string         `dynamodbav:"gsi4pk"` // by due date (none last)
	GSI4SK      string         `dynamodbav:"gsi4sk"`
	GSI5PK      string         `dynamodbav:"gsi5pk"` // by owner (assignee, team or none), then updated
	GSI5SK      string         `dynamodbav:"gsi5sk"`
	GSI6PK      string         `dynamodbav:"gsi6pk"` // by status, then updated
	GSI6SK      string         `dynamodbav:"gsi6sk"`
	GSI7PK      string         `dynamodbav:"gsi7pk"` // by project, then updated
	GSI7SK      string         `dynamodbav:"gsi7sk"`
	GSI8PK      string         `dynamodbav:"gsi8pk,omitempty"` // sub-issues by parent, then updated (sparse)
	GSI8SK      string         `dynamodbav:"gsi8sk,omitempty"`
	GSI9PK      string         `dynamodbav:"gsi9pk,omitempty"` // by cycle, then updated (sparse)
	GSI9SK      string         `dynamodbav:"gsi9sk,omitempty"`
	CycleID     string         `dynamodbav:"cycle_id,omitempty"`
	Estimate    *int           `dynamodbav:"estimate,omitempty"`
	Fields      map[string]any `dynamodbav:"fields,omitempty"`
	Entity      string         `dynamodbav:"entity"`
	ID          string         `dynamodbav:"id"`
	Number      int64          `dynamodbav:"number"`
	Key         string         `dynamodbav:"key"`
	ProjectID   string         `dynamodbav:"project_id,omitempty"` // absent: written before projects (the default)
	ParentID    string         `dynamodbav:"parent_id,omitempty"`
	TenantID    string         `dynamodbav:"tenant_id"`
	Title       string         `dynamodbav:"title"`
	Description string         `dynamodbav:"description,omitempty"`
	IssueType   string         `dynamodbav:"issue_type"`
	Priority    string         `dynamodbav:"priority"`
	Status      string         `dynamodbav:"status"`
	Category    string         `dynamodbav:"category"`
	AssigneeID  string         `dynamodbav:"assignee_id,omitempty"`
	TeamID      string         `dynamodbav:"team_id,omitempty"`
	Labels      []string       `dynamodbav:"labels,omitempty"`
	Mentions    []mentionItem  `dynamodbav:"mention_refs,omitempty"`
	DueDate     string         `dynamodbav:"due_date,omitempty"`
	ReporterID  string         `dynamodbav:"reporter_id"`
	CreatedAt   time.Time      `dynamodbav:"created_at"`
	UpdatedAt   time.Time      `dynamodbav:"updated_at"`
	StartedAt   *time.Time     `dynamodbav:"started_at,omitempty"`
	ResolvedAt  *time.Time     `dynamodbav:"resolved_at,omitempty"`
	ClosedAt    *time.Time     `dynamodbav:"closed_at,omitempty"`
	Version     int64          `dynamodbav:"version"`
	// HasChildren: issue.Issue.HasChildren (absent: an item written before
	// the flag). A BOOL of one byte either way, so setting it when the
	// first sub-issue is linked does not change the item's size.
	HasChildren *bool `dynamodbav:"has_children,omitempty"`
	// Terms are the indexed "word:weight"s, so an update writes only the delta.
	Terms []string `dynamodbav:"terms,omitempty"`
}

func toIssueItem(i issue.Issue) issueItem {
	g := issuesGSI(i.TenantID)
	due := i.DueDate
	if due == "" {
		due = noDue
	}
	updated := ts(i.UpdatedAt) + "#" + i.ID
	owner := unownedGSI(i.TenantID)
	switch {
	case i.AssigneeID != "":
		owner = assigneeGSI(i.TenantID, i.AssigneeID)
	case i.TeamID != "":
		owner = teamIssuesGSI(i.TenantID, i.TeamID)
	}
	var parentPK, parentSK string
	if i.ParentID != "" {
		parentPK, parentSK = childrenGSI(i.TenantID, i.ParentID), updated
	}
	var cyclePK, cycleSK string
	if i.CycleID != "" {
		cyclePK, cycleSK = cycleIssuesGSI(i.TenantID, i.CycleID), updated
	}
	return issueItem{
		PK: issuePK(i.TenantID, i.ID), SK: skIssue,
		GSI9PK: cyclePK, GSI9SK: cycleSK, CycleID: i.CycleID, Estimate: i.Estimate, Fields: i.Fields,
		GSI7PK: projectIssuesGSI(i.TenantID, i.ProjectID), GSI7SK: updated,
		GSI8PK: parentPK, GSI8SK: parentSK, ProjectID: projectOrDefault(i.ProjectID), ParentID: i.ParentID,
		GSI1PK: g, GSI1SK: updated,
		GSI2PK: g, GSI2SK: ts(i.CreatedAt) + "#" + i.ID,
		GSI3PK: g, GSI3SK: strconv.Itoa(i.Priority.Rank()) + "#" + ts(i.UpdatedAt) + "#" + i.ID,
		GSI4PK: g, GSI4SK: due + "#" + i.ID,
		GSI5PK: owner, GSI5SK: updated,
		GSI6PK: statusGSI(i.TenantID, i.Status), GSI6SK: updated,
		Entity: "issue", ID: i.ID, Number: i.Number, Key: i.Key, TenantID: i.TenantID,
		Title: i.Title, Description: i.Description, IssueType: string(i.Type), Priority: string(i.Priority),
		Status: string(i.Status), Category: string(i.Category), AssigneeID: i.AssigneeID, TeamID: i.TeamID,
		Labels: orNil(i.Labels), Mentions: toMentionItems(i.Mentions), DueDate: i.DueDate, ReporterID: i.ReporterID,
		CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt, StartedAt: i.StartedAt, ResolvedAt: i.ResolvedAt,
		ClosedAt: i.ClosedAt, Version: i.Version, HasChildren: i.HasChildren,
		Terms: orNil(encodeTerms(issue.IssueTerms(i.Title, i.Description))),
	}
}

// orNil stores an empty list as no attribute: the read path gives back an
// empty slice, and attributevalue writes an empty (non-nil) slice as an
// empty list even with omitempty, so an item rebuilt from what was read
// would otherwise differ from the stored one (and the storage meter's
// before/after sizes with it).
func orNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func (it issueItem) issue() issue.Issue {
	labels := it.Labels
	if labels == nil {
		labels = []string{}
	}
	return issue.Issue{ID: it.ID, Key: it.Key, Number: it.Number, ProjectID: projectOrDefault(it.ProjectID), ParentID: it.ParentID, TenantID: it.TenantID, Title: it.Title,
		Description: it.Description, Type: issue.Type(it.IssueType), Priority: issue.Priority(it.Priority),
		Status: issue.Status(it.Status), Category: issue.Category(it.Category), AssigneeID: it.AssigneeID,
		TeamID: it.TeamID, Labels: labels, Mentions: mentions(it.Mentions), DueDate: it.DueDate, ReporterID: it.ReporterID,
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, StartedAt: it.StartedAt, ResolvedAt: it.ResolvedAt,
		ClosedAt: it.ClosedAt, Version: it.Version, Estimate: it.Estimate, CycleID: it.CycleID, Fields: it.Fields,
		HasChildren: it.HasChildren}
}

// mentionItem is a resolved mention (issue descriptions and comments).
type mentionItem struct {
	Handle string `dynamodbav:"handle"`
	UserID string `dynamodbav:"user_id"`
}

func toMentionItems(ms []issue.Mention) []mentionItem {
	var out []mentionItem
	for _, m := range ms {
		out = append(out, mentionItem(m))
	}
	return out
}

// mentions converts stored mentions; never nil.
func mentions(its []mentionItem) []issue.Mention {
	out := make([]issue.Mention, 0, len(its))
	for _, it := range its {
		out = append(out, issue.Mention(it))
	}
	return out
}

func encodeTerms(ts []issue.Term) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Word + ":" + strconv.Itoa(t.Weight)
	}
	return out
}

func decodeTerms(ss []string) map[string]int {
	m := make(map[string]int, len(ss))
	for _, s := range ss {
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			continue
		}
		w, _ := strconv.Atoi(s[i+1:])
		m[s[:i]] = w
	}
	return m
}

// keyItem maps a human key's number to the issue id (get by key).
type keyItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	IssueID string `dynamodbav:"issue_id"`
}

// postingItem is one inverted-index entry: a word of one document of an issue.
type postingItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	IssueID string `dynamodbav:"issue_id"`
	Weight  int    `dynamodbav:"w"`
}

// useItem records that an issue carries a label (label delete checks it).
type useItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	IssueID string `dynamodbav:"issue_id"`
}

type activityItem struct {
	PK      string         `dynamodbav:"pk"`
	SK      string         `dynamodbav:"sk"`
	Entity  string         `dynamodbav:"entity"`
	ID      string         `dynamodbav:"id"`
	IssueID string         `dynamodbav:"issue_id"`
	ActorID string         `dynamodbav:"actor_id"`
	At      time.Time      `dynamodbav:"at"`
	Action  string         `dynamodbav:"action"`
	Changes []changeRecord `dynamodbav:"changes"`
}

type changeRecord struct {
	Field string `dynamodbav:"field"`
	From  any    `dynamodbav:"from"`
	To    any    `dynamodbav:"to"`
}

type historyItem struct {
	PK       string    `dynamodbav:"pk"`
	SK       string    `dynamodbav:"sk"`
	Entity   string    `dynamodbav:"entity"`
	ID       string    `dynamodbav:"id"`
	IssueID  string    `dynamodbav:"issue_id"`
	From     string    `dynamodbav:"from,omitempty"`
	FromCat  string    `dynamodbav:"from_category,omitempty"`
	To       string    `dynamodbav:"to"`
	Category string    `dynamodbav:"category"`
	ActorID  string    `dynamodbav:"actor_id"`
	At       time.Time `dynamodbav:"at"`
}

func toActivityItem(tenant string, a issue.Activity) activityItem {
	ch := make([]changeRecord, len(a.Changes))
	for i, c := range a.Changes {
		ch[i] = changeRecord{Field: c.Field, From: plain(c.From), To: plain(c.To)}
	}
	return activityItem{PK: issuePK(tenant, a.IssueID), SK: preAct + a.ID, Entity: "activity", ID: a.ID,
		IssueID: a.IssueID, ActorID: a.ActorID, At: a.At, Action: a.Action, Changes: ch}
}

// plain turns domain values into what attributevalue stores as-is.
func plain(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case issue.Status:
		return string(x)
	case issue.Category:
		return string(x)
	case issue.Type:
		return string(x)
	case issue.Priority:
		return string(x)
	case []string:
		if x == nil {
			return []string{}
		}
		return x
	}
	return v
}

func (it activityItem) activity() issue.Activity {
	ch := make([]issue.Change, len(it.Changes))
	for i, c := range it.Changes {
		ch[i] = issue.Change{Field: c.Field, From: c.From, To: c.To}
	}
	return issue.Activity{ID: it.ID, IssueID: it.IssueID, ActorID: it.ActorID, At: it.At, Action: it.Action, Changes: ch}
}

func toHistoryItem(tenant string, h issue.StatusChange) historyItem {
	return historyItem{PK: issuePK(tenant, h.IssueID), SK: preHist + h.ID, Entity: "status_change", ID: h.ID,
		IssueID: h.IssueID, From: string(h.From), FromCat: string(h.FromCategory), To: string(h.To), Category: string(h.Category), ActorID: h.ActorID, At: h.At}
}

func (it historyItem) change() issue.StatusChange {
	return issue.StatusChange{ID: it.ID, IssueID: it.IssueID, From: issue.Status(it.From), FromCategory: issue.Category(it.FromCat), To: issue.Status(it.To),
		Category: issue.Category(it.Category), ActorID: it.ActorID, At: it.At}
}
