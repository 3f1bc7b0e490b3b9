package container

import (
	"errors"
	"os"
	"path/filepath"
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
