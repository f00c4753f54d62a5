// Package imports is the CSV import domain: a file is uploaded in parts
// into an import job named by its SHA-256 and its target project, previewed (a dry run with
// per-row errors), then run in slices that commit their progress, so a
// crashed or timed-out run resumes from the last committed row. Each row
// becomes an issue whose id derives from the job's id and the row number:
// running the same file again into the same project, or re-running a slice, finds the
// issues it made instead of making them twice. Jira and Linear export
// columns are mapped (mapping.go). It knows nothing of DynamoDB or HTTP;
// importsdb stores it and importsapi serves it.
package imports

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Limits of an import.
const (
	MaxRows      = 10000    // data rows of one file
	MaxBytes     = 8 << 20  // of one file
	MaxPartBytes = 48 << 10 // of one part's text: a part travels in a JSON body under the edge's 64 KB
	MaxParts     = 400      // MaxBytes / a part's size, rounded up generously
	MaxErrors    = 100      // row errors kept on a job and shown by a preview
	batchRows    = 100      // rows between two progress commits
	// parallel is the slices of a batch written at once. One: locally more
	// slices are much slower
	// (DynamoDB Local serialises transactions, and concurrent batch writes
	// and transactions wait on each other: 1,000 rows took 16.3 s at 4
	// slices against 3.5 s at 1, under load; docs/performance.md).
	parallel = 1
)

// State of a job.
type State string

const (
	Uploading State = "uploading" // parts are being sent
	Ready     State = "ready"     // every part is in and the hash matched (a preview or a run checked)
	Running   State = "running"   // some rows are done
	Done      State = "done"      // every row is done
)

// Job is one file's import into one project. Its id derives from the
// file's SHA-256 and the project's id (JobID), so the same file sent again
// for the same project is the same job, and for another project another
// job (whose rows make other issues).
type Job struct {
	ID       string `json:"id"`
	Filename string `json:"filename"`
	// SHA256 is the file's hash (hex). Jobs declared before imports were
	// keyed per project have none: their id is the file's hash.
	SHA256 string `json:"sha256"`
	// ProjectID is the project the rows go to (its id; the default
	// project's when the declaration named none), part of the job's id.
	ProjectID string     `json:"project_id"`
	Size      int64      `json:"size"`
	Parts     int        `json:"parts"`
	State     State      `json:"state"`
	Missing   []int      `json:"missing_parts,omitempty"` // parts not received yet (uploading)
	Rows      int        `json:"rows"`                    // data rows, known once ready
	RowsDone  int        `json:"rows_done"`               // committed progress: rows before this one are done
	Created   int        `json:"created"`                 // issues made
	Existing  int        `json:"existing"`                // rows whose issue an earlier run made
	Failed    int        `json:"failed"`                  // rows skipped for their errors
	Errors    []RowError `json:"errors"`                  // the first MaxErrors
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	// Numbering is the issue numbers of the batch being written (kept on
	// the job, not shown).
	Numbering Numbering `json:"-"`
}

// Numbering is the issue numbers reserved for the batch of rows that
// starts at row index At (the job's RowsDone then): the row Rows[k] (its
// number in the file) gets Numbers[k]. It is saved on the job before any
// row of the batch is written (Store.SaveNumbering), so a run resumed after
// a crash writes the same keys and the project's numbering has no gap and
// no duplicate. Rev counts its saves: two runs cannot both reserve a batch.
type Numbering struct {
	At      int
	Rows    []int
	Numbers []int64
	Rev     int
}

// of is the numbers of the batch at `at` by row (none if it is another batch's).
func (n Numbering) of(at int) map[int]int64 {
	out := map[int]int64{}
	if n.Rev == 0 || n.At != at {
		return out
	}
	for k, r := range n.Rows {
		out[r] = n.Numbers[k]
	}
	return out
}

// JobID is the id of the import of the file whose SHA-256 is fileSHA into
// project projectID: the hex SHA-256 of both, so it has the form of a
// file's hash (and of the ids of jobs stored before it named projects).
func JobID(projectID, fileSHA string) string {
	sum := sha256.Sum256([]byte("import\x00" + projectID + "\x00" + fileSHA))
	return hex.EncodeToString(sum[:])
}

// FileSHA256 is the hash of the job's file.
func (j Job) FileSHA256() string {
	if j.SHA256 == "" {
		return j.ID // declared before jobs were keyed per project
	}
	return j.SHA256
}

// RowError names a bad row: its number (1 is the first row after the
// header), the issue key it had in the other tracker, the field and why.
type RowError struct {
	Row int    `json:"row"`
	Key string `json:"key,omitempty"`
	// Field is the issue field: title, status, estimate, cycle,
	// fields.<id> (a custom field), ...; "row" for a malformed row.
	Field string `json:"field"`
	// Column is the file's column the bad cell is in, when one is.
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

// NewJob is the declaration of a file before its parts are sent.
type NewJob struct {
	Filename string `json:"filename"`
	// ProjectID is the project (id or key) the rows go to; the default
	// project if empty. Estimates, cycles and custom fields are checked
	// against it.
	ProjectID string `json:"project_id,omitempty"`
	Size      int64  `json:"size" invalid:"invalid_import"`  // bytes of the UTF-8 text
	SHA256    string `json:"sha256"`                         // hex of the whole file's bytes
	Parts     int    `json:"parts" invalid:"invalid_import"` // how many parts will be sent, numbered 0..parts-1
}

// Part is one slice of the file's text, in order: concatenated, the parts
// are the file (split anywhere between characters).
type Part struct {
	Data string `json:"data"`
}

// Preview is a dry run's answer: how the columns map, how many rows are
// good, the first MaxErrors row errors and the first rows as they would
// be created. Nothing is written by a preview.
type Preview struct {
	Job     Job               `json:"job"`
	Columns map[string]string `json:"columns"` // file column -> issue field
	Ignored []string          `json:"ignored"` // file columns not imported
	Rows    int               `json:"rows"`
	Valid   int               `json:"valid"`
	Invalid int               `json:"invalid"`
	Errors  []RowError        `json:"errors"`
	Sample  []SampleRow       `json:"sample"`
}

// SampleRow is a row as it would be created.
type SampleRow struct {
	Row         int      `json:"row"`
	Key         string   `json:"key,omitempty"`
	Title       string   `json:"title"`
	Status      string   `json:"status"`
	Priority    string   `json:"priority"`
	Type        string   `json:"type"`
	AssigneeID  string   `json:"assignee_id,omitempty"`
	Labels      []string `json:"labels"`
	DueDate     string   `json:"due_date,omitempty"`
	Description string   `json:"description,omitempty"`
	Estimate    *int     `json:"estimate,omitempty"`
	CycleID     string   `json:"cycle_id,omitempty"`
	// Fields are custom field values by field id, as they will be stored.
	Fields map[string]any `json:"fields,omitempty"`
}
