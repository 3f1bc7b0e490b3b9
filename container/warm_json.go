package container

import (
	"encoding/json"

	"github.com/opencontainers/runc/libcontainer"
)

// WarmJSON builds, on other goroutines, the JSON coders of the records a
// container start (or an update) writes and reads: cgrun's State (with the OCI spec) and
// libcontainer's state and init config (with its configs.Config).
// encoding/json builds a type's coder, for encoding and decoding alike,
// over the type's whole graph on first use and keeps it for the process:
// a few hundred types here, about 5 ms of CPU per start measured with perf,
// otherwise paid on the start's critical path (Prepare's first state write,
// libcontainer's config to the init). Built while cgrun parses its flags
// and prepares, on the core the start leaves idle, they are ready when
// needed; a coder still being built is waited for, never built twice.
// The two graphs share few types, so two goroutines build them side by side.
func WarmJSON() {
	go func() { _, _ = json.Marshal(&State{}) }()
	go func() { _, _ = json.Marshal(&libcontainer.State{}) }()
}
