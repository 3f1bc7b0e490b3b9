package container

import "runtime"

// The main goroutine stays on the main thread for the whole process.
//
// libcontainer serves the init's bind-mount sources from a goroutine that
// locks its thread and joins the container's mount namespace; it never
// unlocks, so the thread dies with the goroutine. The Go runtime cannot end
// the main thread, though: when that goroutine happened to run there, the
// main thread is parked for good, still in the container's mount namespace.
// The process that started the container (the monitor, a foreground run)
// then holds every filesystem the container mounted until it exits, after
// it has released them: a volume's disk would be deleted under a live
// filesystem. Locked here, in an init function, the main goroutine owns the
// main thread and no other goroutine ever runs on it.
func init() {
	runtime.LockOSThread()
}
