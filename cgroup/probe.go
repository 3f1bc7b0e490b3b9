package cgroup

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Host is what this machine's kernel offers to containers' limits.
type Host struct {
	Kernel string `json:"kernel"`
	Mode   Mode   `json:"mode"`
	Root   string `json:"root"`
	// Controllers maps each usable controller to the directory holding its
	// files: the v1 hierarchy's mount point, or the cgroup root on v2.
	Controllers map[string]string `json:"controllers"`
	// Unified is the cgroup2 mount point on hybrid and v2 hosts, with the
	// controllers its root offers.
	Unified            string   `json:"unified,omitempty"`
	UnifiedControllers []string `json:"unified_controllers,omitempty"`
	SwapAccounting     bool     `json:"swap_accounting"`
	// Files tells, for every control file cgrun probed, whether this kernel
	// has it in a container's cgroup.
	Files        map[string]bool `json:"files"`
	BlockDevices []BlockDevice   `json:"block_devices"`
	ISCSI        ISCSI           `json:"iscsi"`
	Multipath    Multipath       `json:"multipath"`
	Thin         Thin            `json:"thin"`
	// Notes says what could not be determined.
	Notes []string `json:"notes,omitempty"`
}

// V2 reports whether limits go through cgroup v2 files.
func (h *Host) V2() bool { return h.Mode == ModeV2 }

// HasController reports whether limits of controller can be set.
func (h *Host) HasController(name string) bool { _, ok := h.Controllers[name]; return ok }

// Probe inspects the host: cgroup mode and controllers, swap accounting,
// which control files (weights, Alibaba knobs) a container's cgroup has,
// block devices and their schedulers, the iSCSI initiator, multipath, thin
// volumes and the kernel.
// Files that show only in child cgroups are looked for in an existing child
// and else in a scratch cgroup Probe creates under cgrun's parent and
// removes.
func Probe(opts ...Option) (*Host, error) {
	c := newConfig(opts)
	h, err := probeLayout(c)
	if err != nil {
		return nil, err
	}
	for ctl, files := range wantedFiles(h.Mode) {
		h.probeControllerFiles(c, ctl, files)
	}
	h.setSwapAccounting()
	h.BlockDevices, err = probeBlockDevices(filepath.Join(c.sysfs, "block"))
	if err != nil {
		h.Notes = append(h.Notes, err.Error())
	}
	h.ISCSI = probeISCSI(c, h.Kernel)
	h.Multipath = probeMultipath(c, h.Kernel)
	h.Thin = probeThin(c, h.Kernel)
	return h, nil
}

// probeLayout reads the cgroup mode, the controllers and the kernel version:
// what every probe needs, without touching any cgroup.
func probeLayout(c *config) (*Host, error) {
	f, err := os.Open(c.mountinfo)
	if err != nil {
		return nil, &ReadError{Path: c.mountinfo, Err: err}
	}
	mounts, err := parseMountinfo(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	l, err := detectLayout(mounts, c.root)
	if err != nil {
		return nil, err
	}
	h := &Host{
		Mode: l.Mode, Root: c.root, Controllers: l.Controllers,
		Unified: l.Unified, UnifiedControllers: l.UnifiedCtl,
		Files: map[string]bool{},
	}
	if b, err := os.ReadFile(filepath.Join(c.procfs, "sys/kernel/osrelease")); err == nil {
		h.Kernel = strings.TrimSpace(string(b))
	} else {
		h.Notes = append(h.Notes, fmt.Sprintf("kernel version unknown: %v", err))
	}
	return h, nil
}

// probeControllerFiles records which of files a container's cgroup of
// controller ctl has (nothing when the host lacks ctl).
func (h *Host) probeControllerFiles(c *config, ctl string, files []string) {
	dir, ok := h.Controllers[ctl]
	if !ok {
		return
	}
	found, note := probeFiles(dir, c.parent, files)
	for _, f := range files {
		h.Files[f] = found[f]
	}
	if note != "" {
		h.Notes = append(h.Notes, note)
	}
}

func (h *Host) setSwapAccounting() {
	if h.V2() {
		h.SwapAccounting = h.Files["memory.swap.max"]
	} else {
		h.SwapAccounting = h.Files["memory.memsw.limit_in_bytes"]
	}
}

// wantedFiles lists, per controller, the control files the resources need.
func wantedFiles(m Mode) map[string][]string {
	w := map[string][]string{}
	if m == ModeV2 {
		w["memory"] = []string{"memory.max", "memory.swap.max", "memory.low"}
		w["cpu"] = []string{"cpu.max", "cpu.weight"}
		w["io"] = []string{"io.max", "io.bfq.weight", "io.weight"}
	} else {
		w["memory"] = []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.swappiness", "memory.oom_control"}
		w["cpu"] = []string{"cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.shares", "cpu.rt_runtime_us", "cpu.rt_period_us"}
		w["blkio"] = []string{"blkio.weight", "blkio.weight_device", "blkio.bfq.weight", "blkio.bfq.weight_device",
			"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
			"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"}
	}
	w["pids"] = []string{"pids.max"}
	w["cpuset"] = []string{"cpuset.cpus", "cpuset.mems"}
	for _, k := range AlibabaKnobs {
		c := controllerOf(k)
		w[c] = append(w[c], k)
	}
	return w
}
