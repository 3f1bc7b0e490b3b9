package main

/*
#cgo CFLAGS: -I${SRCDIR}/../../cgroup/warm -I${SRCDIR}/../../shim
#include <stdlib.h>
#include "early.h"
#include "shim.h"
*/
import "C"

import "unsafe"

// commandOf is the command of a cgrun command line args (args[0] is the
// program) that works on a container's cgroups ("run", "exec", "monitor"
// or "update"), "" for any other: the constructor's reading (early.c).
func commandOf(args []string) string {
	switch command(args) {
	case C.CGRUN_CMD_RUN:
		return "run"
	case C.CGRUN_CMD_EXEC:
		return "exec"
	case C.CGRUN_CMD_MONITOR:
		return "monitor"
	case C.CGRUN_CMD_UPDATE:
		return "update"
	}
	return ""
}

// startsContainer is the constructor's test: whether args put a process
// into a container's cgroups.
func startsContainer(args []string) bool { return C.cgrun_cmd_attaches(command(args)) != 0 }

// monitorArg is the monitor argument the constructor knows.
const monitorArg = C.CGRUN_SHIM_MONITOR_ARG

func command(args []string) C.int {
	argv := make([]*C.char, len(args))
	for i, a := range args {
		argv[i] = C.CString(a)
		defer C.free(unsafe.Pointer(argv[i]))
	}
	var p **C.char
	if len(argv) > 0 {
		p = &argv[0]
	}
	return C.cgrun_command(C.int(len(args)), p)
}
