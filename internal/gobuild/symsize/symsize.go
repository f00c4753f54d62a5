// Package symsize says where the bytes of a Go binary are: the sizes of its
// ELF symbols grouped by the Go package that defines them (the same figures
// as `go tool nm -size`, without the zero-filled .bss and .noptrbss, which
// take no room in the file). `make lambda-sizes` prints, for every function
// over the budget, the packages it has beyond the minimal aws-lambda-go
// function (docs/performance.md, issue 19).
//
// A symbol's size leaves out its share of the linker's tables (pclntab,
// type data named go:*), so a package's bytes are a lower bound of what
// removing it saves; the build without it is the figure.
package symsize

import (
	"debug/elf"
	"sort"
	"strings"
)

// Package is one package's symbol bytes.
type Package struct {
	Path  string
	Bytes int64
}

// ByPackage sums the sizes of the symbols of the ELF file at path that take
// room in the file, by Package of their name.
func ByPackage(path string) (map[string]int64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, s := range syms {
		if s.Size == 0 || int(s.Section) <= 0 || int(s.Section) >= len(f.Sections) {
			continue
		}
		if f.Sections[s.Section].Type == elf.SHT_NOBITS {
			continue
		}
		out[PackageOf(s.Name)] += int64(s.Size)
	}
	return out, nil
}

// PackageOf is the import path of the package that defines the symbol
// name: "github.com/a/b.(*T).M" -> "github.com/a/b", "type:*net/http.Client"
// -> "net/http", "go:itab.*os.File,io.Reader" -> "os"; the linker's own
// tables ("go:func.*", "runtime.pclntab") are "runtime" or "go:".
func PackageOf(name string) string {
	for _, p := range []string{"type:.eq.", "type:", "go:itab.", "go:link.", "go:info."} {
		if strings.HasPrefix(name, p) {
			name = strings.TrimLeft(name[len(p):], "*")
			break
		}
	}
	if strings.HasPrefix(name, "go:") {
		return "go:"
	}
	// A generic instance's or a type's arguments name other packages.
	if i := strings.IndexAny(name, "[,"); i >= 0 {
		name = name[:i]
	}
	slash := strings.LastIndex(name, "/")
	if dot := strings.Index(name[slash+1:], "."); dot >= 0 {
		return name[:slash+1+dot]
	}
	return name
}

// Beyond are the packages of fn with more bytes than in base (the minimal
// function), by the difference, largest first; at most n.
func Beyond(fn, base map[string]int64, n int) []Package {
	var out []Package
	for p, b := range fn {
		if d := b - base[p]; d > 0 {
			out = append(out, Package{p, d})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].Path < out[j].Path
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// Groups sums pkgs under the first of prefixes each path starts with
// ("github.com/aws/aws-sdk-go-v2/service/sts" for ".../sts/types"), the
// others under their own path.
func Groups(pkgs map[string]int64, prefixes []string) map[string]int64 {
	out := map[string]int64{}
	for p, b := range pkgs {
		g := p
		for _, pre := range prefixes {
			if p == pre || strings.HasPrefix(p, pre+"/") {
				g = pre
				break
			}
		}
		out[g] += b
	}
	return out
}

// SDKServices are the aws-sdk-go-v2 service packages among pkgs
// (".../service/s3" for ".../service/s3/types"): Groups' prefixes that
// count a client with its types, schemas and endpoints.
func SDKServices(pkgs map[string]int64) []string {
	const svc = "github.com/aws/aws-sdk-go-v2/service/"
	seen := map[string]bool{}
	var out []string
	for p := range pkgs {
		rest, ok := strings.CutPrefix(p, svc)
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, "/")
		if name == "internal" || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, svc+name)
	}
	sort.Strings(out)
	return out
}
