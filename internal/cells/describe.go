package cells

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/issuetracker/issuetracker/internal/schema"
)

// A cell publishes what the other cells' moves need of it
// (onboarding.Cell) in an SSM parameter of its platform stack
// (DescriptionParameter): its API and its shared pool, whose ids are only
// known once it is deployed. The other cells' onboarding functions read
// it on their first move there (docs/scale.md, "A move between cells in
// AWS").

// Description is a cell's parameter.
type Description struct {
	ID         string `json:"id"`
	Region     string `json:"region"`
	APIURL     string `json:"api_url"`
	UserPoolID string `json:"user_pool_id"`
	ClientID   string `json:"client_id"`
}

// DescriptionParameter is the SSM parameter of the cell whose physical
// name prefix is prefix (schema.CellPrefix).
func DescriptionParameter(prefix string) string { return "/" + prefix + "/cell" }

// ParseDescription reads a cell's parameter, which must describe cell.
func ParseDescription(cell, value string) (Description, error) {
	var d Description
	if err := json.Unmarshal([]byte(value), &d); err != nil {
		return d, fmt.Errorf("the description of %s: %w", cell, err)
	}
	if d.ID != cell || d.APIURL == "" || d.UserPoolID == "" || d.ClientID == "" || d.Region == "" {
		return d, fmt.Errorf("the description of %s is incomplete or another cell's: %s", cell, value)
	}
	return d, nil
}

// Peer is another cell of the platform as a cell's functions reach it in
// the same account and Region: its id, its physical name prefix and,
// when this cell may write there, its pooled attachments bucket (a
// generated name: the ApiUrl's sibling output AttachmentsBucketName).
type Peer struct{ ID, Prefix, Files string }

// Names are the peer's tables.
func (p Peer) Names() schema.Names { return schema.Names{Prefix: p.Prefix} }

// FormatPeers is peers as envvars.MoveCells holds them:
// "cell=prefix[:bucket],..." (a bucket name has no colon).
func FormatPeers(peers []Peer) string {
	out := make([]string, len(peers))
	for i, p := range peers {
		out[i] = p.ID + "=" + p.Prefix
		if p.Files != "" {
			out[i] += ":" + p.Files
		}
	}
	return strings.Join(out, ",")
}

// ParsePeers reads envvars.MoveCells ("" is none).
func ParsePeers(v string) ([]Peer, error) {
	var out []Peer
	for _, kv := range strings.Split(v, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		id, rest, ok := strings.Cut(kv, "=")
		prefix, files, _ := strings.Cut(rest, ":")
		if !ok || schema.ValidateCell(id) != nil || prefix == "" {
			return nil, fmt.Errorf("move cells %q: want cell=prefix[:bucket],... (cell-2=issuetracker-cell-2)", kv)
		}
		if slices.ContainsFunc(out, func(p Peer) bool { return p.ID == id }) {
			return nil, fmt.Errorf("move cells: %s twice", id)
		}
		out = append(out, Peer{ID: id, Prefix: prefix, Files: files})
	}
	return out, nil
}
