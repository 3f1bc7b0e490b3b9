package main

import (
	"fmt"
	securejoin "github.com/cyphar/filepath-securejoin"

	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// userOption resolves -u NAME|UID[:GROUP|GID] against the image's
// /etc/passwd and /etc/group (numeric IDs need no entry).
func userOption(rootfs, spec string) (specs.User, error) {
	def := user.ExecUser{Uid: 0, Gid: 0, Home: "/"}
	// SecureJoin keeps a symlink in the image from reaching host files.
	passwd, err := securejoin.SecureJoin(rootfs, "etc/passwd")
	if err != nil {
		return specs.User{}, fmt.Errorf("invalid --user %q: %w", spec, err)
	}
	group, err := securejoin.SecureJoin(rootfs, "etc/group")
	if err != nil {
		return specs.User{}, fmt.Errorf("invalid --user %q: %w", spec, err)
	}
	eu, err := user.GetExecUserPath(spec, &def, passwd, group)
	if err != nil {
		return specs.User{}, fmt.Errorf("invalid --user %q: %v", spec, err)
	}
	u := specs.User{UID: uint32(eu.Uid), GID: uint32(eu.Gid)}
	for _, g := range eu.Sgids {
		if g != eu.Gid {
			u.AdditionalGids = append(u.AdditionalGids, uint32(g))
		}
	}
	return u, nil
}
