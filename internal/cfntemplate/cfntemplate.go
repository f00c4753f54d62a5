// Package cfntemplate reads synthesized CloudFormation templates with their
// nested stacks: from a CDK cloud assembly (cdk.out, where a nested
// template is a file asset named in <stack>.assets.json) or from the
// snapshot goldens in infra/templates (where the nested template of the
// construct id X sits beside its parent as <parent>.X.json). Flatten gives
// one view of a stack and everything nested in it, the way tests, the
// capacity model and the local gateway read the platform's API, whichever
// template holds each resource.
//
// It is plain JSON on purpose: no CDK or jsii import, so programs that only
// read templates stay fast to build and run.
package cfntemplate

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/issuetracker/issuetracker/internal/text"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// StackType is the resource type of a nested stack.
const StackType = "AWS::CloudFormation::Stack"

// Stack is one template and the stacks nested in it.
type Stack struct {
	// Name is the stack's name, and for a nested stack its parent's name,
	// "/" and its construct id (IssueTracker-Platform/Observability): the
	// goldens' file name with "." for "/".
	Name string
	// LogicalID is the nested stack's resource in its parent ("" at the top).
	LogicalID string
	// Template is the template as written (JSON objects as map[string]any).
	Template map[string]any
	// Nested are the stacks nested in this one, by LogicalID order.
	Nested []*Stack
	// parameters the parent passes (the nested stack resource's Parameters).
	parameters map[string]any
}

// Load reads the template of the stack named name from dir, a cloud
// assembly (name.template.json) or a goldens folder (name.json), and its
// nested stacks, recursively.
func Load(dir, name string) (*Stack, error) {
	for _, file := range []string{name + ".template.json", name + ".json"} {
		t, err := readJSON(filepath.Join(dir, file))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s := &Stack{Name: name, Template: t}
		return s, s.loadNested(dir, name)
	}
	return nil, fmt.Errorf("no template of stack %s in %s: %w", name, dir, os.ErrNotExist)
}

func (s *Stack) loadNested(dir, assetsOf string) error {
	assets, err := readAssets(filepath.Join(dir, assetsOf+".assets.json"))
	if err != nil {
		return err
	}
	res := s.Resources()
	for _, id := range sortedKeys(res) {
		r, _ := res[id].(map[string]any)
		if r["Type"] != StackType {
			continue
		}
		cid := ConstructID(id)
		props, _ := r["Properties"].(map[string]any)
		file := filepath.Join(dir, strings.ReplaceAll(s.Name+"/"+cid, "/", ".")+".json")
		if src, ok := assets[assetKey(props["TemplateURL"])]; ok {
			file = filepath.Join(dir, src)
		}
		t, err := readJSON(file)
		if err != nil {
			return fmt.Errorf("nested stack %s of %s: %w", id, s.Name, err)
		}
		params, _ := props["Parameters"].(map[string]any)
		n := &Stack{Name: s.Name + "/" + cid, LogicalID: id, Template: t, parameters: params}
		// CDK lists a nested stack's own nested templates in the top
		// stack's asset manifest.
		if err := n.loadNested(dir, assetsOf); err != nil {
			return err
		}
		s.Nested = append(s.Nested, n)
	}
	return nil
}

// nestedResourceID matches the logical id CDK gives a NestedStack's
// resource: <scope path><id>NestedStack<id>NestedStackResource<hash>.
var nestedResourceID = text.Lazy(`NestedStack([A-Za-z0-9]+?)NestedStackResource[0-9A-F]{8}$`)

// ConstructID is the construct id of the nested stack whose resource has
// logical id id in its parent (Observability for
// ObservabilityNestedStackObservabilityNestedStackResourceCC056BCD), or id
// itself for a nested stack CDK did not name.
func ConstructID(id string) string {
	if m := nestedResourceID.Regexp().FindStringSubmatch(id); m != nil {
		return m[1]
	}
	return id
}

// Resources are the template's resources by logical id.
func (s *Stack) Resources() map[string]any {
	r, _ := s.Template["Resources"].(map[string]any)
	return r
}

// All is this stack and every stack nested in it, parents first.
func (s *Stack) All() []*Stack {
	out := []*Stack{s}
	for _, n := range s.Nested {
		out = append(out, n.All()...)
	}
	return out
}

// Flatten returns a copy of the template with the resources of every
// nested stack copied in (the nested stack resources stay), each Ref to a
// nested parameter replaced by the value the parent passes, and each
// Fn::GetAtt of a nested stack's Outputs.X by that output's value: a
// resource reads as if its parent held it. Logical ids that clash between
// templates are an error.
func (s *Stack) Flatten() (map[string]any, error) {
	out := map[string]any{}
	for k, v := range s.Template {
		out[k] = v
	}
	res := map[string]any{}
	for id, r := range s.Resources() {
		res[id] = r
	}
	outputs := map[string]map[string]any{} // nested logical id -> output name -> value
	for _, n := range s.Nested {
		flat, err := n.Flatten()
		if err != nil {
			return nil, err
		}
		resolve := n.resolver()
		nres, _ := flat["Resources"].(map[string]any)
		for id, r := range nres {
			if _, clash := res[id]; clash {
				return nil, fmt.Errorf("resource %s is in %s and in its parent %s", id, n.Name, s.Name)
			}
			res[id] = resolve(r)
		}
		outs, _ := flat["Outputs"].(map[string]any)
		outputs[n.LogicalID] = map[string]any{}
		for name, o := range outs {
			if om, ok := o.(map[string]any); ok {
				outputs[n.LogicalID][name] = resolve(om["Value"])
			}
		}
	}
	if len(outputs) > 0 {
		for id, r := range res {
			res[id] = replaceOutputs(r, outputs)
		}
	}
	out["Resources"] = res
	return out, nil
}

// resolver replaces {"Ref": p} for each parameter p the parent passes.
func (s *Stack) resolver() func(any) any {
	var resolve func(v any) any
	resolve = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			if p, ok := x["Ref"].(string); ok && len(x) == 1 {
				if val, ok := s.parameters[p]; ok {
					return val
				}
			}
			out := make(map[string]any, len(x))
			for k, e := range x {
				out[k] = resolve(e)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = resolve(e)
			}
			return out
		}
		return v
	}
	return resolve
}

// replaceOutputs replaces {"Fn::GetAtt": [nested, "Outputs.X"]}.
func replaceOutputs(v any, outputs map[string]map[string]any) any {
	switch x := v.(type) {
	case map[string]any:
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(x) == 1 && len(ga) == 2 {
			id, _ := ga[0].(string)
			attr, _ := ga[1].(string)
			if outs, ok := outputs[id]; ok && strings.HasPrefix(attr, "Outputs.") {
				if val, ok := outs[strings.TrimPrefix(attr, "Outputs.")]; ok {
					return val
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = replaceOutputs(e, outputs)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = replaceOutputs(e, outputs)
		}
		return out
	}
	return v
}

// LoadFlat is Load then Flatten.
func LoadFlat(dir, name string) (map[string]any, error) {
	s, err := Load(dir, name)
	if err != nil {
		return nil, err
	}
	return s.Flatten()
}

// Count is the number of resources of type typ in template t.
func Count(t map[string]any, typ string) int {
	res, _ := t["Resources"].(map[string]any)
	n := 0
	for _, r := range res {
		if m, ok := r.(map[string]any); ok && m["Type"] == typ {
			n++
		}
	}
	return n
}

func readJSON(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t map[string]any
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// readAssets maps each file asset's object key (without .json) to its
// source file in a cloud assembly's asset manifest; a missing manifest
// (the goldens) is an empty map.
func readAssets(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	var m struct {
		Files map[string]struct {
			Source struct {
				Path string `json:"path"`
			} `json:"source"`
		} `json:"files"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]string{}
	for hash, f := range m.Files {
		if strings.HasSuffix(f.Source.Path, ".json") {
			out[hash] = f.Source.Path
		}
	}
	return out, nil
}

// assetKey is the asset hash in a nested stack's TemplateURL (the object
// key <hash>.json at the end of its Fn::Join or string).
func assetKey(url any) string {
	var last string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			last = x
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
				walk(j[1])
			}
		}
	}
	walk(url)
	return strings.TrimSuffix(last[strings.LastIndex(last, "/")+1:], ".json")
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
