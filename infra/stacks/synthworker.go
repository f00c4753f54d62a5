package stacks

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// SynthRequest asks a synth worker for one tenant's stack.
type SynthRequest struct {
	Tenant string `json:"tenant"`
	OutDir string `json:"out_dir"`
}

// SynthReply is the worker's answer: the template's path, or why not.
type SynthReply struct {
	Path  string `json:"path,omitempty"`
	Error string `json:"error,omitempty"`
}

// ServeTenantSynths reads one SynthRequest per line from in and writes one
// SynthReply per line to out, synthesizing each tenant's stack with
// SynthTenant in this process. The jsii runtime and the app's packages stay
// warm between requests, so a local Platinum onboarding pays for a synth,
// not for starting node and the CDK again (`go run ./infra` per tenant).
// The configuration comes from the process's CDK context, read once. After
// the first request, a tenant's template is the sentinel's with the id
// replaced (TenantTemplates): milliseconds instead of a synth.
func ServeTenantSynths(in io.Reader, out io.Writer) error {
	base, err := NewApp("", "")
	if err != nil {
		return err
	}
	cfg := ConfigFromContext(base)
	cache := &TenantTemplates{Config: cfg}
	dec := json.NewDecoder(bufio.NewReader(in))
	enc := json.NewEncoder(out)
	for {
		var req SynthRequest
		if err := dec.Decode(&req); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("read request: %w", err)
		}
		var rep SynthReply
		if cache.Dir == "" {
			cache.Dir = filepath.Join(filepath.Dir(req.OutDir), ".sentinel")
		}
		if path, err := cache.Synth(req.OutDir, req.Tenant); err != nil {
			rep.Error = err.Error()
		} else {
			rep.Path = path
		}
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write reply: %w", err)
		}
	}
}

// SentinelTenant is the tenant id TenantTemplates synthesizes once: it
// passes ValidateTenantID and appears in no other name of the app, so each
// of its occurrences in the template is the tenant id.
const SentinelTenant = "tenant-template-sentinel"

// TenantTemplates gives Platinum tenants their stack's template from one
// synthesis: a tenant stack differs from another only by its tenant id in
// names, tags, outputs and construct paths (no logical id or hash is made
// from it), so the sentinel tenant's template with the sentinel replaced
// by the tenant id is that tenant's template, byte for byte
// (TestACachedTenantTemplateIsTheTenantsOwnSynth in test/infra compares
// them). A tenant in an AWS account of its own (TenantAccounts) is
// synthesized for real: its stack differs by more than its id. Only the
// template is written, not the functions' assets: the local deployer reads
// the template alone. Not safe for concurrent use (the worker serves one
// request at a time).
type TenantTemplates struct {
	Config Config
	// Dir keeps the sentinel's synthesis.
	Dir string

	sentinel     []byte
	sentinelName string
}

// Synth writes tenantID's template into outDir and returns its path.
func (c *TenantTemplates) Synth(outDir, tenantID string) (string, error) {
	if _, own := c.Config.TenantAccounts[tenantID]; own || tenantID == SentinelTenant {
		return SynthTenant(outDir, tenantID, c.Config)
	}
	if err := ValidateTenantID(tenantID); err != nil {
		return "", err
	}
	if c.sentinel == nil {
		path, err := SynthTenant(c.Dir, SentinelTenant, c.Config)
		if err != nil {
			return "", err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		c.sentinel, c.sentinelName = b, filepath.Base(path)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return "", err
	}
	path := filepath.Join(abs, strings.ReplaceAll(c.sentinelName, SentinelTenant, tenantID))
	b := bytes.ReplaceAll(c.sentinel, []byte(SentinelTenant), []byte(tenantID))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return "", err
	}
	return path, nil
}
