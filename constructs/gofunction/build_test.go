package gofunction

import (
	"debug/buildinfo"
	"debug/elf"
	"os"
	"path/filepath"
	"testing"
)

// module writes a tiny module: fn imports lib; other is unrelated.
func module(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"go.mod":         "module example.com/m\n\ngo 1.26\n",
		"lib/lib.go":     "package lib\n\nfunc Greeting() string { return \"hello\" }\n",
		"fn/main.go":     "package main\n\nimport \"example.com/m/lib\"\n\nfunc main() { println(lib.Greeting()) }\n",
		"other/other.go": "package other\n\nconst X = 1\n",
	}
	for name, body := range files {
		write(t, root, name, body)
	}
	return root
}

func write(t *testing.T, root, name, body string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func hash(t *testing.T, root string) string {
	t.Helper()
	h, err := SourceHash(root, "./fn")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestSourceHashFollowsTheFunctionsOwnSources(t *testing.T) {
	root := module(t)
	h := hash(t, root)
	if again := hash(t, root); again != h {
		t.Fatalf("hash is not stable: %s then %s", h, again)
	}

	t.Run("an unrelated package does not change it", func(t *testing.T) {
		write(t, root, "other/other.go", "package other\n\nconst X = 2\n")
		if got := hash(t, root); got != h {
			t.Errorf("hash changed with an unrelated package")
		}
	})
	t.Run("a dependency changes it", func(t *testing.T) {
		write(t, root, "lib/lib.go", "package lib\n\nfunc Greeting() string { return \"hi\" }\n")
		if got := hash(t, root); got == h {
			t.Errorf("hash did not change with a dependency")
		}
	})
	t.Run("the same sources in another directory hash the same", func(t *testing.T) {
		a, b := module(t), module(t)
		if hash(t, a) != hash(t, b) {
			t.Errorf("hash depends on the checkout's location")
		}
	})
}

func TestBuildMakesAStrippedArm64Bootstrap(t *testing.T) {
	root := module(t)
	h := hash(t, root)
	cache := t.TempDir()
	dir, err := Build(root, "./fn", "fn", h, cache)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(filepath.Join(dir, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		t.Errorf("binary is %v/%v, want linux arm64", f.Machine, f.OSABI)
	}
	if s := f.Section(".symtab"); s != nil {
		t.Error("binary has a symbol table: not stripped")
	}
	if _, err := f.DynamicSymbols(); err == nil {
		t.Error("binary is dynamically linked: want CGO_ENABLED=0")
	}

	// A second build of the same sources reuses the binary.
	before, _ := os.Stat(filepath.Join(dir, "bootstrap"))
	again, err := Build(root, "./fn", "fn", h, cache)
	if err != nil || again != dir {
		t.Fatalf("rebuild = %s, %v; want %s", again, err, dir)
	}
	after, _ := os.Stat(filepath.Join(again, "bootstrap"))
	if !after.ModTime().Equal(before.ModTime()) {
		t.Error("the cached binary was rebuilt")
	}
}

func TestSourceHashFollowsTheToolchain(t *testing.T) {
	root := module(t)
	a, err := sourceHash(root, "./fn", "go1.26.8")
	if err != nil {
		t.Fatal(err)
	}
	b, err := sourceHash(root, "./fn", "go1.26.9")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("a Go security release (go1.26.8 -> go1.26.9) does not change the asset hash: the functions would not be redeployed")
	}
	tc, err := Toolchain(root)
	if err != nil {
		t.Fatal(err)
	}
	want, err := sourceHash(root, "./fn", tc)
	if err != nil {
		t.Fatal(err)
	}
	if got := hash(t, root); got != want {
		t.Errorf("SourceHash does not hash the building toolchain %s", tc)
	}
}

func TestTheHashedToolchainIsTheOneThatBuilds(t *testing.T) {
	root := module(t)
	tc, err := Toolchain(root)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := Build(root, "./fn", "fn", hash(t, root), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	info, err := buildinfo.ReadFile(filepath.Join(dir, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	if info.GoVersion != tc {
		t.Errorf("binary built by %s, hash names %s", info.GoVersion, tc)
	}
	for _, s := range info.Settings {
		if s.Key == "GOARM64" && s.Value != goarm64 {
			t.Errorf("GOARM64 = %s, want %s", s.Value, goarm64)
		}
	}
}

func TestTheCallersGoFlagsDoNotReachTheBuild(t *testing.T) {
	root := module(t)
	// A file that only a leaked build tag would compile into the binary.
	write(t, root, "lib/extra.go", "//go:build extra\n\npackage lib\n\nfunc Extra() {}\n")
	h := hash(t, root)
	t.Setenv("GOFLAGS", "-tags=extra")
	t.Setenv("GOEXPERIMENT", "")
	if got := hash(t, root); got != h {
		t.Error("GOFLAGS changed the hash: the build depends on the caller's environment")
	}
}
