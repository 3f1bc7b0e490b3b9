package cgroup

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// ISCSI says whether a kernel iSCSI initiator can be used here.
type ISCSI struct {
	Iscsiadm       string `json:"iscsiadm"` // path, "" when absent
	ModuleLoaded   bool   `json:"iscsi_tcp_loaded"`
	ModuleLoadable bool   `json:"iscsi_tcp_loadable"`
	IscsidRunning  bool   `json:"iscsid_running"`
	Usable         bool   `json:"usable"`
	Reason         string `json:"reason,omitempty"` // what is missing when not usable
}

func probeISCSI(c *config, kernel string) ISCSI {
	var s ISCSI
	var missing []string
	s.Iscsiadm, s.ModuleLoaded, s.ModuleLoadable, s.IscsidRunning, missing = probeStack(c, kernel,
		"iscsiadm", "open-iscsi", "iscsi_tcp", "class/iscsi_transport/tcp", "iscsid", "")
	s.Usable = len(missing) == 0
	s.Reason = strings.Join(missing, "; ")
	return s
}

// probeStack looks for a kernel storage stack's command (from Debian's
// package pkg), its module (loaded: /sys/module/MODULE or sysfs path also;
// loadable: listed for kernel) and its daemon, and says what is missing.
func probeStack(c *config, kernel, cmd, pkg, module, also, daemon, why string) (path string, loaded, loadable, running bool, missing []string) {
	if p, err := c.lookPath(cmd); err == nil {
		path = p
	}
	loaded, loadable = probeModule(c, kernel, module, also)
	running = processRunning(c.procfs, daemon)
	if path == "" {
		missing = append(missing, "no "+cmd+" (apt-get install "+pkg+")")
	}
	if !loaded && !loadable {
		missing = append(missing, noModule(module, kernel))
	}
	if !running {
		missing = append(missing, daemon+" not running"+why)
	}
	return path, loaded, loadable, running, missing
}

// Multipath says whether multipath volumes (several portals assembled by
// dm-multipath) can attach here.
type Multipath struct {
	Multipath       string `json:"multipath"` // path of multipath-tools' command, "" when absent
	ModuleLoaded    bool   `json:"dm_multipath_loaded"`
	ModuleLoadable  bool   `json:"dm_multipath_loadable"`
	MultipathdAlive bool   `json:"multipathd_running"`
	Usable          bool   `json:"usable"`
	Reason          string `json:"reason,omitempty"`
}

func probeMultipath(c *config, kernel string) Multipath {
	var s Multipath
	var missing []string
	s.Multipath, s.ModuleLoaded, s.ModuleLoadable, s.MultipathdAlive, missing = probeStack(c, kernel,
		"multipath", "multipath-tools", "dm_multipath", "", "multipathd", " (failed paths would never be reinstated)")
	s.Usable = len(missing) == 0
	s.Reason = strings.Join(missing, "; ")
	return s
}

// probeModule says whether a kernel module is loaded (/sys/module/MODULE,
// or the sysfs path also) and whether kernel's modules list it.
func probeModule(c *config, kernel, module, also string) (loaded, loadable bool) {
	loaded = exists(filepath.Join(c.sysfs, "module", module)) || (also != "" && exists(filepath.Join(c.sysfs, also)))
	if kernel != "" {
		loadable = moduleListed(filepath.Join(c.modules, kernel), module)
	}
	return loaded, loadable
}

func noModule(module, kernel string) string {
	return "no " + module + " kernel module (neither loaded nor in modules of " + kernel + ")"
}

// Thin says whether thin volumes (`volume create --thin-pool`: LVs of an
// LVM thin pool served by LIO's block backstore, which expand online and
// have snapshots) can be made here.
type Thin struct {
	LVM            string `json:"lvm"`        // path of lvm2's command, "" when absent
	ThinCheck      string `json:"thin_check"` // thin-provisioning-tools', which lvm runs on a pool
	ModuleLoaded   bool   `json:"dm_thin_pool_loaded"`
	ModuleLoadable bool   `json:"dm_thin_pool_loadable"`
	// IBlock: LIO's block backstore (target_core_iblock) loaded or
	// loadable.
	IBlock bool   `json:"target_core_iblock"`
	Usable bool   `json:"usable"`
	Reason string `json:"reason,omitempty"`
}

func probeThin(c *config, kernel string) Thin {
	var s Thin
	var missing []string
	for _, t := range []struct {
		cmd, pkg string
		path     *string
	}{{"lvm", "lvm2", &s.LVM}, {"thin_check", "thin-provisioning-tools", &s.ThinCheck}} {
		if p, err := c.lookPath(t.cmd); err == nil {
			*t.path = p
		} else {
			missing = append(missing, "no "+t.cmd+" (apt-get install "+t.pkg+")")
		}
	}
	s.ModuleLoaded, s.ModuleLoadable = probeModule(c, kernel, "dm_thin_pool", "")
	if !s.ModuleLoaded && !s.ModuleLoadable {
		missing = append(missing, noModule("dm_thin_pool", kernel))
	}
	loaded, loadable := probeModule(c, kernel, "target_core_iblock", "")
	if s.IBlock = loaded || loadable; !s.IBlock {
		missing = append(missing, noModule("target_core_iblock", kernel)+": LIO serves thin volumes")
	}
	s.Usable = len(missing) == 0
	s.Reason = strings.Join(missing, "; ")
	return s
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// moduleListed reports whether modules.dep or modules.builtin of a kernel's
// module directory names module (dashes and underscores are the same).
func moduleListed(dir, module string) bool {
	norm := func(s string) string { return strings.ReplaceAll(s, "-", "_") }
	for _, f := range []string{"modules.dep", "modules.builtin"} {
		file, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			path, _, _ := strings.Cut(sc.Text(), ":")
			base := norm(filepath.Base(path))
			if i := strings.Index(base, ".ko"); i > 0 && base[:i] == module {
				file.Close()
				return true
			}
		}
		file.Close()
	}
	return false
}

// processRunning reports whether a process whose comm is name runs.
func processRunning(procfs, name string) bool {
	entries, err := os.ReadDir(procfs)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile(filepath.Join(procfs, e.Name(), "comm"))
		if err == nil && strings.TrimSpace(string(b)) == name {
			return true
		}
	}
	return false
}
