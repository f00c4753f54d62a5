package issue

import (
	"context"
	"encoding/json"
	"maps"
	"strconv"
	"strings"

	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// ActivityReader lists the activity entries of an issue written after
// one of them, oldest first, at most limit (issuedb.Store.ActivityAfter):
// what AsCreated rebuilds a creation from.
type ActivityReader interface {
	ActivityAfter(ctx context.Context, sc tenancy.Scope, issueID, afterID string, limit int) ([]Activity, error)
}

// CreatedActivityLimit bounds the later entries read to rebuild a
// creation (one Query); a field first changed beyond them keeps its
// current value.
const CreatedActivityLimit = 200

// AsCreated is the issue as its creation left it, rebuilt from the issue as
// it is now and the activity entries written after the creation, oldest
// first: each field (and each custom field) takes the "from" of its first
// later change, the version is 1 and updated_at is created_at. A stream
// consumer that handles a creation after later edits (a lagging stream, one
// batch holding both) uses it when it does not have the creation's own
// image. A field first changed beyond the entries given keeps its current
// value; the mentions are the current description's resolved ones whose
// handle the rebuilt description has.
func AsCreated(is Issue, later []Activity) Issue {
	if len(later) == 0 {
		return is
	}
	b, err := json.Marshal(is)
	if err != nil {
		return is
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return is
	}
	fields, _ := m["fields"].(map[string]any)
	fields = maps.Clone(fields)
	seen, fieldSeen, allFields := map[string]bool{}, map[string]bool{}, false
	for _, a := range later {
		for _, ch := range a.Changes {
			if k, ok := strings.CutPrefix(ch.Field, "fields."); ok {
				if !allFields && !fieldSeen[k] {
					fieldSeen[k] = true
					if fields == nil {
						fields = map[string]any{}
					}
					setOrDelete(fields, k, ch.From)
				}
				continue
			}
			if ch.Field == "fields" {
				if !allFields {
					allFields = true
					from, _ := ch.From.(map[string]any)
					was := maps.Clone(from)
					if was == nil {
						was = map[string]any{}
					}
					for k := range fieldSeen {
						setOrDelete(was, k, fields[k])
					}
					fields = was
				}
				continue
			}
			if seen[ch.Field] {
				continue
			}
			seen[ch.Field] = true
			setOrDelete(m, ch.Field, ch.From)
		}
	}
	if len(fieldSeen) > 0 || allFields {
		if len(fields) == 0 {
			delete(m, "fields")
		} else {
			m["fields"] = fields
		}
	}
	// Completion sets resolved_at beside closed_at but records closed_at.
	if seen["closed_at"] {
		if m["closed_at"] != nil && m["category"] == string(Completed) {
			m["resolved_at"] = m["closed_at"]
		} else {
			delete(m, "resolved_at")
		}
	}
	m["updated_at"], m["version"] = m["created_at"], 1
	delete(m, "progress")
	b, err = json.Marshal(m)
	if err != nil {
		return is
	}
	var created Issue
	if err := json.Unmarshal(b, &created); err != nil {
		return is
	}
	created.TenantID, created.HasChildren = is.TenantID, is.HasChildren
	// A move renumbers the issue and records its key only.
	if seen["key"] {
		if i := strings.LastIndexByte(created.Key, '-'); i >= 0 {
			if n, err := strconv.ParseInt(created.Key[i+1:], 10, 64); err == nil {
				created.Number = n
			}
		}
	}
	created.Mentions = is.Mentions
	if seen["description"] {
		handles := MentionHandles(created.Description)
		created.Mentions = []Mention{}
		for _, mn := range is.Mentions {
			for _, h := range handles {
				if strings.EqualFold(mn.Handle, h) {
					created.Mentions = append(created.Mentions, mn)
					break
				}
			}
		}
	}
	return created
}

// setOrDelete sets m[k] to v, or removes k when v is nil (the field was
// absent: its zero value).
func setOrDelete(m map[string]any, k string, v any) {
	if v == nil {
		delete(m, k)
		return
	}
	m[k] = v
}
