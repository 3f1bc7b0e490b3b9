// Package warm takes the waiting out of a container start's first
// cgroup.procs write.
//
// Every cgroup migration takes the kernel's global cgroup_threadgroup_rwsem
// for writing, and the first writer after a quiet spell waits one RCU grace
// period (5 to 25 ms on this project's cgroup v1 host; runc and crun wait it
// too) with cgroup_mutex held; a writer within about a grace period of the
// previous one does not wait. Attach writes this process's own PID into the
// cgroup it already is in (a migration that moves nothing) in the
// background, so the grace period runs while cgrun does the rest of the
// start, and libcontainer's writes that put the init into the container's
// cgroups find the fast path.
//
// Imported by cgrun's main package, it starts the first write from its
// package init when the command line runs a container (run, exec, the
// detached monitor): before the rest of cgrun's packages and main, about
// 4 ms earlier than main could. It imports nothing but the standard
// library so that the Go runtime initializes it among the first packages.
package warm

import (
	"os"
	"strconv"
	"strings"
)

func init() {
	if StartsContainer(os.Args) {
		Attach()
	}
}

// globalValueFlags are cgrun's global flags that take a separate value.
var globalValueFlags = map[string]bool{"root": true, "image-store": true}

// StartsContainer reports whether the cgrun command line args (args[0] is
// the program) runs a command that puts a process into a container's
// cgroups: run, exec, or the monitor of a detached run.
func StartsContainer(args []string) bool {
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			switch a {
			case "run", "exec", "monitor":
				return true
			}
			return false
		}
		name := strings.TrimLeft(a, "-")
		if globalValueFlags[name] {
			i++ // its value
		}
	}
	return false
}

// Attach writes this process's PID into its own cgroup's cgroup.procs in
// the background. One write per call, no loop: repeated writes would slow
// every fork on the host, and each other when many containers start at
// once. A host where no write succeeds just gets no head start.
func Attach() {
	go func() {
		pid := []byte(strconv.Itoa(os.Getpid()))
		for _, procs := range OwnProcsFiles(readSelfCgroup()) {
			f, err := os.OpenFile(procs, os.O_WRONLY, 0)
			if err != nil {
				continue
			}
			_, err = f.Write(pid)
			_ = f.Close()
			if err == nil {
				return
			}
		}
	}()
}

func readSelfCgroup() string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	return string(b)
}

// OwnProcsFiles lists, from /proc/self/cgroup's content, the cgroup.procs
// files of this process's own cgroups at their usual mount points, v1
// hierarchies first, without reading mountinfo (the write is only a hint:
// a file that is not there is skipped). The rwsem is global, so any one
// hierarchy will do.
func OwnProcsFiles(selfCgroup string) []string {
	var v1, v2 []string
	for _, line := range strings.Split(selfCgroup, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			continue
		}
		ctrls, path := parts[1], parts[2]
		if ctrls == "" {
			v2 = append(v2, "/sys/fs/cgroup/unified"+path, "/sys/fs/cgroup"+path)
			continue
		}
		ctrls = strings.TrimPrefix(ctrls, "name=")
		if ctrls == "" || strings.ContainsAny(ctrls, "/.") {
			continue
		}
		v1 = append(v1, "/sys/fs/cgroup/"+ctrls+path)
	}
	files := make([]string, 0, len(v1)+len(v2))
	for _, d := range append(v1, v2...) {
		files = append(files, strings.TrimSuffix(d, "/")+"/cgroup.procs")
	}
	return files
}
