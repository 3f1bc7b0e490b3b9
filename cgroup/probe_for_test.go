package cgroup

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The start-path probe judges like the full one: a memory limit needs no
// control file and leaves the cgroup tree untouched; swap is accepted where
// the memsw file exists (so the lean probe did look for it), a knob this
// kernel lacks is refused with the same error.
func TestProbeForJudgesLikeProbe(t *testing.T) {
	t.Parallel()
	h := newFakeHost(t, slices.Clone(v1Mounts))
	fakeFiles(t, h.root, map[string]string{
		"memory/memory.limit_in_bytes":       "9223372036854771712\n",
		"memory/memory.memsw.limit_in_bytes": "9223372036854771712\n",
		"memory/memory.soft_limit_in_bytes":  "0\n",
		"memory/memory.swappiness":           "60\n",
		"memory/memory.oom_control":          "oom_kill_disable 0\n",
	})
	limit, swap := int64(100<<20), int64(200<<20)
	cases := []struct {
		name string
		r    *specs.LinuxResources
		ann  map[string]string
		flag string // refused flag, "" if accepted
	}{
		{name: "memory", r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}},
		{name: "swap", r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit, Swap: &swap}}},
		{name: "knob", r: &specs.LinuxResources{}, ann: map[string]string{AnnotationWmarkRatio: "60"}, flag: "io.cgrun.cgroup.memory.wmark_ratio"},
	}
	for _, tc := range cases {
		full, err := Probe(append(slices.Clone(h.opts), WithParent("cgrun"))...)
		if err != nil {
			t.Fatal(err)
		}
		lean, err := ProbeFor(tc.r, tc.ann, append(slices.Clone(h.opts), WithParent("cgrun"))...)
		if err != nil {
			t.Fatal(err)
		}
		wantErr, gotErr := Supports(full, tc.r, tc.ann), Supports(lean, tc.r, tc.ann)
		var ue *UnsupportedError
		switch {
		case tc.flag == "" && (wantErr != nil || gotErr != nil):
			t.Errorf("%s: full probe %v, lean probe %v; want both accepted", tc.name, wantErr, gotErr)
		case tc.flag != "" && (!errors.As(gotErr, &ue) || string(ue.Resource) != tc.flag || gotErr.Error() != wantErr.Error()):
			t.Errorf("%s: lean probe %v, full probe %v; want both refusing %s", tc.name, gotErr, wantErr, tc.flag)
		}
	}
	// a memory limit alone probes no file: no scratch cgroup is made
	mem := filepath.Join(h.root, "memory")
	before := mtime(t, mem)
	if _, err := ProbeFor(cases[0].r, nil, append(slices.Clone(h.opts), WithParent("cgrun"))...); err != nil {
		t.Fatal(err)
	}
	if after := mtime(t, mem); !after.Equal(before) {
		t.Errorf("ProbeFor of --memory changed the memory cgroup directory (mtime %v -> %v)", before, after)
	}
}

func mtime(t *testing.T, dir string) time.Time {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fi.ModTime()
}
