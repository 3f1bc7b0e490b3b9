package runner

import (
	"fmt"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ResolveUser resolves NAME|UID[:GROUP|GID] against the root filesystem's
// /etc/passwd and /etc/group (numeric IDs need no entry), with the
// supplementary groups the user belongs to.
func ResolveUser(rootfs, spec string) (specs.User, error) {
	def := user.ExecUser{Uid: 0, Gid: 0, Home: "/"}
	// SecureJoin keeps a symlink in the image from reaching host files.
	passwd, err := securejoin.SecureJoin(rootfs, "etc/passwd")
	if err != nil {
		return specs.User{}, err
	}
	group, err := securejoin.SecureJoin(rootfs, "etc/group")
	if err != nil {
		return specs.User{}, err
	}
	eu, err := user.GetExecUserPath(spec, &def, passwd, group)
	if err != nil {
		return specs.User{}, fmt.Errorf("%v", err)
	}
	u := specs.User{UID: uint32(eu.Uid), GID: uint32(eu.Gid)}
	for _, g := range eu.Sgids {
		if g != eu.Gid {
			u.AdditionalGids = append(u.AdditionalGids, uint32(g))
		}
	}
	return u, nil
}
