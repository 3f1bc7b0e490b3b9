// Package warm takes the waiting out of a container start's first
// cgroup.procs write.
//
// Every cgroup migration takes the kernel's global cgroup_threadgroup_rwsem
// for writing, and the first writer after a quiet spell waits one RCU grace
// period (5 to 25 ms on this project's cgroup v1 host; runc and crun wait it
// too) with cgroup_mutex held; a writer within about a grace period of the
// previous one does not wait. Attach writes this process's own PID into the
// cgroup it already is in (a migration that moves nothing) from a
// short-lived thread, so the grace period runs while the caller does the
// rest of the start, and libcontainer's writes that put the init into the
// container's cgroups find the fast path.
//
// Importing the package does nothing; Attach acts when called. cgrun's own
// binary also calls it from a C constructor when its command line starts a
// container (cmd/cgrun/early.c), before the Go runtime and every package
// init. One write per call, no loop: repeated writes would slow every fork
// on the host, and each other when many containers start at once. A host
// where no write succeeds just gets no head start.
package warm

/*
#include <stdlib.h>
#include "warm.h"
*/
import "C"

import (
	"strings"
	"unsafe"
)

// Attach starts one attach of this process to its own cgroup in the
// background.
func Attach() { C.cgrun_warm_spawn() }

// ownProcsFiles lists the cgroup.procs files the thread tries, from the
// content of /proc/self/cgroup.
func ownProcsFiles(selfCgroup string) []string {
	self := C.CString(selfCgroup)
	defer C.free(unsafe.Pointer(self))
	out := make([]byte, 16384)
	C.cgrun_own_procs_files(self, (*C.char)(unsafe.Pointer(&out[0])), C.size_t(len(out)))
	s := C.GoString((*C.char)(unsafe.Pointer(&out[0])))
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' })
}
