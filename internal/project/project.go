// Package project is the tracker's projects: a tenant has many, each with a
// key (WEB) that numbers its issues (WEB-12). Keys can be renamed; a former
// key keeps resolving. Every issue belongs to one project; issues written
// before projects existed belong to the tenant's default project, whose key
// is the tenant's old key prefix. It knows nothing of DynamoDB or HTTP;
// projectdb stores it and projectapi serves it.
package project

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/text"
)

// DefaultID is the id of every tenant's default project: the one issues
// written before projects belong to, and the one an issue created without a
// project joins. Its key starts as issue.KeyPrefix(tenant).
const DefaultID = issue.DefaultProjectID

// Limits on input, documented in docs/data-model.md.
const (
	MaxName        = 80
	MaxDescription = 4 << 10
	// MaxKeys bounds the keys (current and former) a project answers to.
	MaxKeys = 20
)

// Project is a body of work with its own key and issue numbering.
type Project struct {
	ID                string   `json:"id"`
	Key               string   `json:"key"`
	FormerKeys        []string `json:"former_keys"`
	Name              string   `json:"name"`
	Description       string   `json:"description"`
	LeadID            string   `json:"lead_id,omitempty"`
	DefaultAssigneeID string   `json:"default_assignee_id,omitempty"`
	Archived          bool     `json:"archived"`
	// EstimateScale is the story-point scale of the project's issues.
	EstimateScale issue.EstimateScale `json:"estimate_scale"`
	// EstimateValues are the scale's allowed estimates (read only).
	EstimateValues []issue.ScaleValue `json:"estimate_values"`
	CreatedAt      time.Time          `json:"created_at"`
	UpdatedAt      time.Time          `json:"updated_at"`
	Version        int64              `json:"version"`
}

// Ref is what the issue domain needs of the project.
func (p Project) Ref() issue.ProjectRef {
	return issue.ProjectRef{ID: p.ID, Key: p.Key, DefaultAssigneeID: p.DefaultAssigneeID, Archived: p.Archived,
		EstimateScale: p.Scale()}
}

// Scale is the project's estimate scale (fibonacci unless set).
func (p Project) Scale() issue.EstimateScale {
	if p.EstimateScale == "" {
		return issue.ScaleFibonacci
	}
	return p.EstimateScale
}

// keyRE: a letter, then 1-9 letters or digits (Jira's rule, upper case).
var keyRE = text.Lazy(`^[A-Z][A-Z0-9]{1,9}$`)

// NormalizeKey upper-cases a key as clients may type it ("web" is WEB).
func NormalizeKey(k string) string { return strings.ToUpper(strings.TrimSpace(k)) }

// ValidKey reports whether k (normalised) may be a new project key.
func ValidKey(k string) bool { return keyRE.Regexp().MatchString(k) }

// Validate checks the fields a client sets and cleans their text.
func (p *Project) Validate() error {
	var tf text.Fields
	tf.Clean("name", &p.Name, text.Line)
	tf.Clean("description", &p.Description, text.Multiline)
	p.Name = strings.TrimSpace(p.Name)
	if n := utf8.RuneCountInString(p.Name); tf.Has("name") {
	} else if n == 0 {
		tf.Add("name", "is required")
	} else if n > MaxName {
		tf.Add("name", fmt.Sprintf("is longer than %d characters", MaxName))
	}
	if len(p.Description) > MaxDescription {
		tf.Add("description", fmt.Sprintf("is longer than %d bytes", MaxDescription))
	}
	if p.EstimateScale != "" && !p.EstimateScale.Valid() {
		tf.Add("estimate_scale", fmt.Sprintf("must be one of %v", issue.EstimateScales))
	}
	if p.LeadID != "" && !issue.ValidID(p.LeadID) {
		tf.Add("lead_id", "is not a valid user id")
	}
	if p.DefaultAssigneeID != "" && !issue.ValidID(p.DefaultAssigneeID) {
		tf.Add("default_assignee_id", "is not a valid user id")
	}
	return tf.Err()
}

// Default is the default project of a tenant as it is before anyone edits
// it: named after nothing in particular, keyed by the tenant's old prefix.
func Default(tenantID string, now time.Time) Project {
	return Project{ID: DefaultID, Key: issue.KeyPrefix(tenantID), FormerKeys: []string{}, Name: "Default",
		Description: "Issues filed before projects, and issues filed without one.", CreatedAt: now, UpdatedAt: now, Version: 1,
		EstimateScale: issue.ScaleFibonacci, EstimateValues: issue.ScaleFibonacci.Values()}
}
