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
#include "initexec.h"
*/
import "C"

// Name is the init binary's file name, looked up beside the runner's
// binary.
const Name = C.CGRUN_INITEXEC_NAME

// Protocol names the libcontainer release whose runner-to-init protocol
// this build speaks; a runner and an init binary must agree on it.
const Protocol = C.CGRUN_INITEXEC_PROTO
