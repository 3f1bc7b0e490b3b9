package container

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func testSpec(t *testing.T) *specs.Spec {
	t.Helper()
	return &specs.Spec{Root: &specs.Root{Path: t.TempDir()}, Process: &specs.Process{Args: []string{"true"}, Cwd: "/"}}
}

func TestPrepareRecordsStateAndCgroupPath(t *testing.T) {
	rt, err := NewRuntime(filepath.Join(t.TempDir(), "root"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rt.Prepare(Config{Name: "web", Spec: testSpec(t), CgroupParent: "/cgrun-x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.ID) != 64 || st.Status != StatusCreated || st.CgroupsPath != "/cgrun-x/"+st.ID {
		t.Fatalf("state: %+v", st)
	}
	fi, err := os.Stat(filepath.Join(rt.Store.Dir(st.ID), stateFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
	for _, ref := range []string{st.ID, "web", st.ID[:5]} {
		if id, err := rt.Store.Resolve(ref); err != nil || id != st.ID {
			t.Errorf("Resolve(%q) = %q, %v", ref, id, err)
		}
	}
	if _, err := rt.Store.Resolve("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Resolve(nope): want ErrNotFound, got %v", err)
	}
	if _, err := rt.Prepare(Config{Name: "web", Spec: testSpec(t)}); !errors.Is(err, ErrNameInUse) {
		t.Errorf("second web: want ErrNameInUse, got %v", err)
	}
}

func TestPrepareRefuses(t *testing.T) {
	rt, err := NewRuntime(t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	noArgs := testSpec(t)
	noArgs.Process.Args = nil
	cases := []struct {
		name string
		cfg  Config
	}{
		{"bad name", Config{Name: "a/b", Spec: testSpec(t)}},
		{"relative parent", Config{Spec: testSpec(t), CgroupParent: "cgrun"}},
		{"no command", Config{Spec: noArgs}},
		{"no spec", Config{}},
		{"hook refuses", Config{Spec: testSpec(t)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rt
			if tc.name == "hook refuses" {
				r = &Runtime{Store: rt.Store, Hooks: refusingHooks{}, Releasers: DefaultReleasers()}
			}
			if _, err := r.Prepare(tc.cfg); err == nil {
				t.Fatal("want an error")
			}
			if all, _ := rt.Store.List(); len(all) != 0 {
				t.Fatalf("a refused Prepare left %d containers", len(all))
			}
		})
	}
}

type refusingHooks struct{ NoHooks }

func (refusingHooks) Check(*specs.Spec) error { return errors.New("host cannot") }

func TestPrepareConcurrentNames(t *testing.T) {
	rt, err := NewRuntime(t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = rt.Prepare(Config{Name: "same", Spec: testSpec(t)})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, ErrNameInUse) {
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("want exactly one container named same, got %d", ok)
	}
}

// fakeReleaser records releases and fails the first time when asked.
type fakeReleaser struct {
	released []string
	failOnce map[string]bool
}

func (f *fakeReleaser) Release(r Release) error {
	if f.failOnce[r.Target] {
		delete(f.failOnce, r.Target)
		return errors.New("busy")
	}
	f.released = append(f.released, r.Target)
	return nil
}

func TestReleaseReverseOrderAndRetry(t *testing.T) {
	fake := &fakeReleaser{failOnce: map[string]bool{"b": true}}
	rt, err := NewRuntime(t.TempDir(), nil, Releasers{"fake": fake})
	if err != nil {
		t.Fatal(err)
	}
	st, err := rt.Prepare(Config{Spec: testSpec(t), CgroupParent: "/cgrun-unit-test-never-created",
		Releases: []Release{{Kind: "fake", Target: "a"}, {Kind: "fake", Target: "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Record(st.ID, Release{Kind: "fake", Target: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := releaseHeldOf(t, rt, st.ID); err == nil {
		t.Fatal("want the failing release reported")
	}
	if got, _ := rt.Store.Load(st.ID); len(got.Releases) != 1 || got.Releases[0].Target != "b" {
		t.Fatalf("after a partial release the state must keep only b: %+v", got.Releases)
	}
	if err := releaseHeldOf(t, rt, st.ID); err != nil {
		t.Fatal(err)
	}
	if want := []string{"c", "a", "b"}; len(fake.released) != 3 || fake.released[0] != want[0] || fake.released[1] != want[1] || fake.released[2] != want[2] {
		t.Fatalf("released %v, want %v", fake.released, want)
	}
	if err := releaseHeldOf(t, rt, st.ID); err != nil || len(fake.released) != 3 {
		t.Fatalf("a second release must do nothing: %v %v", err, fake.released)
	}
}

func TestReleaseUnknownKindIsKept(t *testing.T) {
	rt, err := NewRuntime(t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rt.Prepare(Config{Spec: testSpec(t), Releases: []Release{{Kind: "iscsi", Target: "vol1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := releaseHeldOf(t, rt, st.ID); !errors.Is(err, ErrNoReleaser) {
		t.Fatalf("want ErrNoReleaser, got %v", err)
	}
	if got, _ := rt.Store.Load(st.ID); len(got.Releases) != 1 {
		t.Fatalf("an unreleased entry must stay recorded: %+v", got.Releases)
	}
}

// releaseHeldOf runs releaseHeld on container id's state as it is on disk now.
func releaseHeldOf(t *testing.T, rt *Runtime, id string) error {
	t.Helper()
	st, err := rt.Store.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	return rt.releaseHeld(st, false)
}

// A change that does not touch the spec (update) writes it back byte for
// byte without decoding it: a record whose spec is no specs.Spec at all
// goes through; the change sees Spec nil and specRecorded; a spec it
// sets is encoded; updateSpec and Load decode it.
func TestUpdateLeavesTheSpecUndecoded(t *testing.T) {
	rt, err := NewRuntime(filepath.Join(t.TempDir(), "root"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rt.Prepare(Config{Name: "lite", Spec: testSpec(t)})
	if err != nil {
		t.Fatal(err)
	}
	dir := rt.Store.Dir(st.ID)
	full, err := rt.Store.Load(st.ID)
	if err != nil || full.Spec == nil || full.Spec.Process.Args[0] != "true" {
		t.Fatalf("Load: %+v %v", full, err)
	}
	var sawSpec, recorded bool
	if _, err := rt.Store.update(st.ID, func(s *State) error {
		sawSpec, recorded = s.Spec != nil, s.specRecorded
		s.Pid = 42
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if sawSpec || !recorded {
		t.Fatalf("update's change saw Spec %v, specRecorded %v: want nil and true", sawSpec, recorded)
	}
	again, err := rt.Store.Load(st.ID)
	if err != nil || again.Pid != 42 || again.Spec == nil || again.Spec.Root.Path != full.Spec.Root.Path {
		t.Fatalf("after update: %+v %v", again, err)
	}
	// a spec that does not decode: update carries it, Load refuses it
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	rec["spec"] = map[string]any{"ociVersion": 5}
	if b, err = json.Marshal(rec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Store.update(st.ID, func(s *State) error { s.Pid = 43; return nil }); err != nil {
		t.Fatalf("update with a spec it never decodes: %v", err)
	}
	if b, _ = os.ReadFile(filepath.Join(dir, stateFile)); !strings.Contains(string(b), `"spec":{"ociVersion":5}`) || !strings.Contains(string(b), `"pid":43`) {
		t.Fatalf("record after update: %s", b)
	}
	if _, err := rt.Store.Load(st.ID); err == nil {
		t.Fatal("Load decoded a spec that is no spec")
	}
	if _, err := rt.Store.updateSpec(st.ID, func(*State) error { return nil }); err == nil {
		t.Fatal("updateSpec decoded a spec that is no spec")
	}
	// a spec set by the change is encoded
	if _, err := rt.Store.update(st.ID, func(s *State) error { s.Spec = testSpec(t); return nil }); err != nil {
		t.Fatal(err)
	}
	if got, err := rt.Store.Load(st.ID); err != nil || got.Spec == nil || got.Spec.Process.Args[0] != "true" || got.Pid != 43 {
		t.Fatalf("after a new spec: %+v %v", got, err)
	}
}
