package spec

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// Host is what the cross-flag rules check against. Tests build one; nil in
// Options means ProbeHost.
type Host struct {
	CPUs          int    // CPUs the containers may use (upper bound of --cpus)
	EffectiveCpus string // list the --cpuset-cpus must be a subset of ("" = no check)
	EffectiveMems string // list the --cpuset-mems must be a subset of ("" = no check)
	Cgroup2       bool   // unified hierarchy (cgroup v2)
	SwapLimit     bool   // swap accounting: memory.memsw.* (v1) or memory.swap.max (v2) exist
	Seccomp       bool   // the kernel has seccomp filters: containers get the default profile
	AppArmor      bool   // AppArmor is enabled: --security-opt apparmor= is honoured
}

// ProbeHost reads the running host under /sys and /proc.
func ProbeHost() *Host { return probeHost("/sys", "/proc") }

func probeHost(sys, proc string) *Host {
	h := &Host{}
	h.probeSecurity(sys, proc)
	var st unix.Statfs_t
	cg := filepath.Join(sys, "fs", "cgroup")
	if unix.Statfs(cg, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		h.Cgroup2 = true
	}
	if h.Cgroup2 {
		h.EffectiveCpus = firstFile(filepath.Join(cg, "cpuset.cpus.effective"), filepath.Join(sys, "devices/system/cpu/online"))
		h.EffectiveMems = firstFile(filepath.Join(cg, "cpuset.mems.effective"), filepath.Join(sys, "devices/system/node/online"))
	} else {
		h.EffectiveCpus = firstFile(filepath.Join(cg, "cpuset/cpuset.effective_cpus"), filepath.Join(sys, "devices/system/cpu/online"))
		h.EffectiveMems = firstFile(filepath.Join(cg, "cpuset/cpuset.effective_mems"), filepath.Join(sys, "devices/system/node/online"))
	}
	if h.Cgroup2 {
		m, _ := filepath.Glob(filepath.Join(cg, "*", "memory.swap.max"))
		h.SwapLimit = len(m) > 0
	} else {
		_, err := os.Stat(filepath.Join(cg, "memory", "memory.memsw.limit_in_bytes"))
		h.SwapLimit = err == nil
	}
	h.CPUs = runtime.NumCPU()
	if rs, err := parseCPUList(h.EffectiveCpus); err == nil {
		h.CPUs = len(rangeIDs(rs))
	}
	return h
}

func firstFile(paths ...string) string {
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			if s := strings.TrimSpace(string(b)); s != "" {
				return s
			}
		}
	}
	return ""
}
