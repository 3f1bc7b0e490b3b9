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
	return r.Store.updateSpec(id, func(st *State) error {
		if st.Status != StatusCreated {
			return fmt.Errorf("container %s was already started", ShortID(id))
		}
		next, err := r.changedSpec(st.Spec, change)
		if err != nil {
			return err
		}
		st.Spec = next
		return nil
	})
}

// changedSpec is a copy of spec edited by change and checked by the hooks
// against the host; spec itself is left as it is.
func (r *Runtime) changedSpec(spec *specs.Spec, change func(*specs.Spec) error) (*specs.Spec, error) {
	next, err := cloneSpec(spec)
	if err != nil {
		return nil, err
	}
	if err := change(next); err != nil {
		return nil, err
	}
	if err := r.Hooks.Check(next); err != nil {
		return nil, err
	}
	return next, nil
}
