package cgroup

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fakeFiles creates files (relative path -> content) under dir.
func fakeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApplyExtensionsV1(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fakeFiles(t, root, map[string]string{
		"memory/cgrun/c1/memory.wmark_ratio":        "0\n",
		"memory/cgrun/c1/memory.wmark_scale_factor": "50\n",
		"cpu/cgrun/c1/cpu.bvt_warp_ns":              "0\n",
	})
	paths := Paths{
		"memory": filepath.Join(root, "memory/cgrun/c1"),
		"cpu":    filepath.Join(root, "cpu/cgrun/c1"),
		"":       filepath.Join(root, "unified/cgrun/c1"),
	}
	ann := map[string]string{
		AnnotationWmarkRatio:                           "60",
		AnnotationPrefix + "memory.wmark_scale_factor": "100",
		AnnotationPrefix + "cpu.bvt_warp_ns":           "2",
		"org.other":                                    "x",
	}
	if err := ApplyExtensions(paths, ann); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"memory/cgrun/c1/memory.wmark_ratio":        "60",
		"memory/cgrun/c1/memory.wmark_scale_factor": "100",
		"cpu/cgrun/c1/cpu.bvt_warp_ns":              "2",
	} {
		if got := readFile(t, filepath.Join(root, file)); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
}

func TestApplyExtensionsV2(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fakeFiles(t, root, map[string]string{"cgrun/c1/memory.wmark_ratio": "0\n"})
	if err := ApplyExtensions(UnifiedPaths(filepath.Join(root, "cgrun/c1")), map[string]string{AnnotationWmarkRatio: "60"}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(root, "cgrun/c1/memory.wmark_ratio")); got != "60" {
		t.Fatalf("memory.wmark_ratio = %q, want 60", got)
	}
}

func TestApplyExtensionsMissingFileRefused(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "memory/cgrun/c1")
	fakeFiles(t, dir, map[string]string{"memory.limit_in_bytes": "1\n"})
	err := ApplyExtensions(Paths{"memory": dir}, map[string]string{AnnotationWmarkRatio: "60"})
	var ue *UnsupportedError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UnsupportedError", err)
	}
	want := "io.cgrun.cgroup.memory.wmark_ratio: this kernel has no memory.wmark_ratio (Alibaba Cloud Linux kernels only)"
	if err.Error() != want {
		t.Fatalf("err = %q, want %q", err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "memory.wmark_ratio")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("memory.wmark_ratio was created: %v", err)
	}
}

func TestApplyExtensionsRefusals(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fakeFiles(t, root, map[string]string{"memory/memory.x": ""})
	paths := Paths{"memory": filepath.Join(root, "memory")}
	for name, key := range map[string]string{
		"path":          AnnotationPrefix + "../memory/memory.x",
		"no dot":        AnnotationPrefix + "memory",
		"cgroup file":   AnnotationPrefix + "cgroup.procs",
		"no controller": AnnotationPrefix + "cpu.bvt_warp_ns",
	} {
		if err := ApplyExtensions(paths, map[string]string{key: "1"}); err == nil {
			t.Errorf("%s: %q accepted", name, key)
		}
	}
}

func TestApplyExtensionsWriteErrorQuotesValue(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	// A directory where the file should be: the open succeeds nowhere.
	if err := os.MkdirAll(filepath.Join(root, "memory.wmark_ratio"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := ApplyExtensions(Paths{"memory": root}, map[string]string{AnnotationWmarkRatio: "60"})
	var we *WriteError
	if !errors.As(err, &we) || we.Value != "60" {
		t.Fatalf("err = %v, want *WriteError quoting 60", err)
	}
}
