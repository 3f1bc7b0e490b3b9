// Package initexec puts a container's init on a small binary. libcontainer
// makes the container's init by re-executing the binary that calls it
// (`/proc/self/exe init`), so a large program pays its own start a second
// time for every container it starts or execs into: the dynamic loader, the
// package inits of everything it links, the page faults of its text. A
// program that imports this package (package container does, so cgrun and
// every embedder do) gets a constructor that runs first in that
// re-executed process, before libcontainer's nsexec and before the Go
// runtime, and executes `cgrun-init` instead when one is installed beside
// the program's binary (cmd/cgrun-init: libcontainer's init and nothing
// else).
//
// The init binary runs through a sealed view, as libcontainer's own does
// (CVE-2019-5736): a read-only overlayfs of its directory attached to no
// mount namespace, or a sealed memfd copy where overlayfs refuses. It must
// be a regular executable file that only its owner (root, or the user
// running the program) may write. One built against another libcontainer
// release than the program's (Protocol) sends the init back to the
// program's binary; no cgrun-init, or one that fails a check, leaves the
// init in the program's binary as before. Nothing here runs in any other
// process.
package initexec

/*
#include <stdlib.h>
#include "initexec.h"
*/
import "C"

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"unsafe"
)

// Name is the init binary's file name, looked up beside the runner's
// binary.
const Name = C.CGRUN_INITEXEC_NAME

// Protocol names the libcontainer release whose runner-to-init protocol
// this build speaks; a runner and an init binary must agree on it.
const Protocol = C.CGRUN_INITEXEC_PROTO

// ProtocolArg makes the init binary print its Protocol and exit.
const ProtocolArg = "--protocol"

// Status is what the containers' inits of a program run as.
type Status struct {
	// Binary is the init binary looked for: Name beside the program's.
	Binary string `json:"binary"`
	// Used: the inits run Binary; else they run the program's own binary,
	// for Reason.
	Used bool `json:"used"`
	// Sealing is how Binary is made unwritable for the containers:
	// "overlayfs" (a read-only view mounted nowhere) or "memfd" (a sealed
	// copy).
	Sealing string `json:"sealing,omitempty"`
	// Protocol is the libcontainer release Binary was built against.
	Protocol string `json:"protocol,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Check makes, for the program whose binary is exe (an absolute path), the
// checks and the sealed view a container's start makes, and asks the init
// binary its protocol (it runs it, with ProtocolArg).
func Check(exe string) Status {
	st := Status{Binary: filepath.Join(filepath.Dir(exe), Name)}
	cexe := C.CString(exe)
	defer C.free(unsafe.Pointer(cexe))
	var why, how *C.char
	if C.cgrun_initexec_check(cexe, &why, &how) != 0 {
		st.Reason = C.GoString(why)
		return st
	}
	st.Sealing = C.GoString(how)
	out, err := exec.Command(st.Binary, ProtocolArg).Output()
	if err != nil {
		st.Reason = fmt.Sprintf("it does not say its libcontainer release (%s %s: %v)", st.Binary, ProtocolArg, err)
		return st
	}
	st.Protocol = strings.TrimSpace(string(out))
	if st.Protocol != Protocol {
		st.Reason = fmt.Sprintf("built against %s, this program against %s: the init goes back to the program's binary", st.Protocol, Protocol)
		return st
	}
	st.Used = true
	return st
}
