package main

import "github.com/cgrun/cgrun/runner"

// A container's init (`cgrun init`, as libcontainer re-executes this binary)
// and a detached container's monitor (`cgrun cgrun-monitor ROOT ID`) take
// over here, before main and any command parsing; for every other command
// line the main goroutine keeps the main thread (see container.Init).
func init() { runner.Init() }
