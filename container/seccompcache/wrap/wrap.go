//go:build seccomp

// Package wrap is linked into the containers' init binary (cmd/cgrun-init)
// and nowhere else: it wraps libseccomp's API at link time so that an init
// loads the filter the runner compiled once (package seccompcache) instead
// of generating the same BPF program again, and it is the compiler that
// fills the runner's cache.
//
// libcontainer builds a container's seccomp filter inside the init, one
// libseccomp call per rule, and exports libseccomp's generated program to
// patch and load it. Here every call that shapes the filter is recorded
// (the transcript: the calls, their arguments and results, libseccomp's
// version, the kernel's API level, the native architecture) and still
// runs; at the export, the runner's entry is served instead of the
// generation only when its transcript equals this filter's byte for byte.
// libcontainer then patches and loads the program as it always does.
package wrap

/*
#cgo LDFLAGS: -Wl,--wrap=seccomp_init -Wl,--wrap=seccomp_reset -Wl,--wrap=seccomp_release -Wl,--wrap=seccomp_merge
#cgo LDFLAGS: -Wl,--wrap=seccomp_arch_add -Wl,--wrap=seccomp_arch_remove -Wl,--wrap=seccomp_attr_set
#cgo LDFLAGS: -Wl,--wrap=seccomp_syscall_priority -Wl,--wrap=seccomp_rule_add_array -Wl,--wrap=seccomp_rule_add_exact_array
#cgo LDFLAGS: -Wl,--wrap=seccomp_export_bpf
#cgo pkg-config: libseccomp
#include "wrap.h"
*/
import "C"

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/seccomp"
)

// memfdName is the runner's memfd the init reads (seccompcache.MemfdName).
const memfdName = C.CGRUN_SECCOMP_MEMFD

// Compile builds the filter of the configs.Seccomp read from in exactly
// as a container's init does (libcontainer's seccomp.InitSeccomp) and
// writes its entry to out instead of loading it.
func Compile(in io.Reader, out *os.File) error {
	var cfg configs.Seccomp
	if err := json.NewDecoder(io.LimitReader(in, 16<<20)).Decode(&cfg); err != nil {
		return fmt.Errorf("seccomp config: %w", err)
	}
	C.cgrun_seccomp_record_to(C.int(out.Fd()))
	_, err := seccomp.InitSeccomp(&cfg)
	switch r := int(C.cgrun_seccomp_recorded()); {
	case r == 1:
		return nil
	case r < 0:
		return fmt.Errorf("write the compiled filter: %w", syscall.Errno(-r))
	case err != nil:
		return err
	}
	return errors.New("the filter was not exported")
}

// Used says whether this process's filter came from the runner's entry.
func Used() bool { return C.cgrun_seccomp_used() == 1 }

// Preload reads the entry the process pid holds in its memfd, as a
// container's init does from its runner before anything else runs.
func Preload(pid int) { C.cgrun_seccomp_preload(C.int(pid)) }
