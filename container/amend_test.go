package container

import (
	"errors"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// checkHooks refuses a spec with a mount at /refused.
type checkHooks struct{ NoHooks }

func (checkHooks) Check(s *specs.Spec) error {
	for _, m := range s.Mounts {
		if m.Destination == "/refused" {
			return errors.New("refused by the host check")
		}
	}
	return nil
}

func TestAmendBeforeStart(t *testing.T) {
	rt, err := NewRuntime(filepath.Join(t.TempDir(), "root"), checkHooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := rt.Prepare(Config{Spec: testSpec(t)})
	if err != nil {
		t.Fatal(err)
	}
	n := len(st.Spec.Mounts)
	add := func(dst string) func(*specs.Spec) error {
		return func(s *specs.Spec) error {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: dst, Type: "bind", Source: "/tmp", Options: []string{"rbind"}})
			return nil
		}
	}
	if _, err := rt.Amend(st.ID, add("/data")); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Amend(st.ID, add("/refused")); err == nil {
		t.Fatal("a spec the hooks refuse was stored")
	}
	got, err := rt.Store.Load(st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Spec.Mounts) != n+1 || got.Spec.Mounts[n].Destination != "/data" {
		t.Fatalf("stored mounts %v: want the one amended mount added", got.Spec.Mounts[n:])
	}
	if _, err := rt.Store.update(st.ID, func(s *State) error { s.Status = StatusRunning; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Amend(st.ID, add("/late")); err == nil {
		t.Fatal("amended a started container")
	}
}
