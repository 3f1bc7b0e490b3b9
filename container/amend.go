package container

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Amend edits the spec of container id before it starts: what is known
// only once the container has an ID (an attached volume's mount, device
// node and block IO limits) is added here, so the recorded spec stays the
// single model of what runs. change edits a copy; the hooks check the
// result against the host; the state is replaced only on success.
func (r *Runtime) Amend(id string, change func(*specs.Spec) error) (*State, error) {
	return r.Store.update(id, func(st *State) error {
		if st.Status != StatusCreated {
			return fmt.Errorf("container %s was already started", ShortID(id))
		}
		next, err := cloneSpec(st.Spec)
		if err != nil {
			return err
		}
		if err := change(next); err != nil {
			return err
		}
		if err := r.Hooks.Check(next); err != nil {
			return err
		}
		st.Spec = next
		return nil
	})
}
