package image

import (
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Process is what an image's config says about the process to run.
type Process struct {
	Env        []string `json:"env,omitempty"`
	Entrypoint []string `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	WorkingDir string   `json:"workingDir,omitempty"`
	User       string   `json:"user,omitempty"`
}

func processOf(c v1.Config) Process {
	return Process{
		Env:        slices.Clone(c.Env),
		Entrypoint: slices.Clone(c.Entrypoint),
		Cmd:        slices.Clone(c.Cmd),
		WorkingDir: c.WorkingDir,
		User:       c.User,
	}
}

// Args is the process's argv by Docker's rule: an entrypoint given on the
// command line (entrypointSet, even empty) replaces the image's and drops
// the image's Cmd; arguments given replace the image's Cmd; the result is
// entrypoint followed by cmd.
func (p Process) Args(entrypoint []string, entrypointSet bool, args []string) []string {
	ep, cmd := p.Entrypoint, p.Cmd
	if entrypointSet {
		ep, cmd = entrypoint, nil
	}
	if len(args) > 0 {
		cmd = args
	}
	return append(slices.Clone(ep), cmd...)
}

// MergeEnv returns the image's environment with the user's KEY=VALUE
// entries replacing those of the same key and added after them, as Docker's
// --env does.
func (p Process) MergeEnv(user []string) []string {
	out := slices.Clone(p.Env)
	for _, kv := range user {
		key, _, _ := strings.Cut(kv, "=")
		i := slices.IndexFunc(out, func(e string) bool {
			k, _, _ := strings.Cut(e, "=")
			return k == key
		})
		if i >= 0 {
			out[i] = kv
		} else {
			out = append(out, kv)
		}
	}
	return out
}
