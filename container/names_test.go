package container

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestNameFreedByRemove(t *testing.T) {
	rt, err := NewRuntime(t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rt.Prepare(Config{Name: "web", Spec: testSpec(t)})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.Readlink(rt.Store.namePath("web")); err != nil || got != st.ID {
		t.Fatalf("name entry: %q %v, want %s", got, err, st.ID)
	}
	if err := rt.removeDir(st.ID, ""); err != nil { // the name read from the state
		t.Fatal(err)
	}
	if _, err := os.Lstat(rt.Store.namePath("web")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("name entry after rm: %v", err)
	}
	if _, err := rt.Prepare(Config{Name: "web", Spec: testSpec(t)}); err != nil {
		t.Fatalf("name after rm: %v", err)
	}
}

// A crash between removing a container's state and its name leaves a name
// whose state is gone: the next container takes it.
func TestStaleNameReclaimed(t *testing.T) {
	rt, err := NewRuntime(t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rt.Prepare(Config{Name: "web", Spec: testSpec(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(rt.Store.Dir(st.ID)); err != nil {
		t.Fatal(err)
	}
	st2, err := rt.Prepare(Config{Name: "web", Spec: testSpec(t)})
	if err != nil {
		t.Fatalf("stale name: %v", err)
	}
	if got, _ := os.Readlink(rt.Store.namePath("web")); got != st2.ID {
		t.Fatalf("name entry %q, want %s", got, st2.ID)
	}
	// rm of the first container (its state already gone) leaves the new
	// owner's name, whether the name is read from the state or given.
	if err := rt.removeDir(st.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := rt.removeDir(st.ID, "web"); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Prepare(Config{Name: "web", Spec: testSpec(t)}); !errors.Is(err, ErrNameInUse) {
		t.Fatalf("want ErrNameInUse, got %v", err)
	}
}

// A store written before names were indexed gets its index from the states.
func TestNamesBackfilledFromStates(t *testing.T) {
	rt, err := NewRuntime(t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rt.Prepare(Config{Name: "old", Spec: testSpec(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(rt.Store.Root(), namesDir)); err != nil {
		t.Fatal(err)
	}
	_, err = rt.Prepare(Config{Name: "old", Spec: testSpec(t)})
	if !errors.Is(err, ErrNameInUse) {
		t.Fatalf("want ErrNameInUse, got %v", err)
	}
	if got, _ := os.Readlink(rt.Store.namePath("old")); got != st.ID {
		t.Fatalf("backfilled entry %q, want %s", got, st.ID)
	}
	all, err := rt.Store.List()
	if err != nil || len(all) != 1 {
		t.Fatalf("the refused container left state: %d containers, %v", len(all), err)
	}
}
