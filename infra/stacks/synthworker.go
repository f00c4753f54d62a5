package stacks

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
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
// The configuration comes from the process's CDK context, read once.
func ServeTenantSynths(in io.Reader, out io.Writer) error {
	base, err := NewApp("", "")
	if err != nil {
		return err
	}
	cfg := ConfigFromContext(base)
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
		if path, err := SynthTenant(req.OutDir, req.Tenant, cfg); err != nil {
			rep.Error = err.Error()
		} else {
			rep.Path = path
		}
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write reply: %w", err)
		}
	}
}
