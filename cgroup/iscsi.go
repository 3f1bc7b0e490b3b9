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
	if p, err := c.lookPath("iscsiadm"); err == nil {
		s.Iscsiadm = p
	}
	s.ModuleLoaded = exists(filepath.Join(c.sysfs, "module/iscsi_tcp")) ||
		exists(filepath.Join(c.sysfs, "class/iscsi_transport/tcp"))
	if kernel != "" {
		s.ModuleLoadable = moduleListed(filepath.Join(c.modules, kernel), "iscsi_tcp")
	}
	s.IscsidRunning = processRunning(c.procfs, "iscsid")
	var missing []string
	if s.Iscsiadm == "" {
		missing = append(missing, "no iscsiadm (apt-get install open-iscsi)")
	}
	if !s.ModuleLoaded && !s.ModuleLoadable {
		missing = append(missing, "no iscsi_tcp kernel module (neither loaded nor in modules of "+kernel+")")
	}
	if !s.IscsidRunning {
		missing = append(missing, "iscsid not running")
	}
	s.Usable = len(missing) == 0
	s.Reason = strings.Join(missing, "; ")
	return s
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
	if p, err := c.lookPath("multipath"); err == nil {
		s.Multipath = p
	}
	s.ModuleLoaded = exists(filepath.Join(c.sysfs, "module/dm_multipath"))
	if kernel != "" {
		s.ModuleLoadable = moduleListed(filepath.Join(c.modules, kernel), "dm_multipath")
	}
	s.MultipathdAlive = processRunning(c.procfs, "multipathd")
	var missing []string
	if s.Multipath == "" {
		missing = append(missing, "no multipath command (apt-get install multipath-tools)")
	}
	if !s.ModuleLoaded && !s.ModuleLoadable {
		missing = append(missing, "no dm_multipath kernel module (neither loaded nor in modules of "+kernel+")")
	}
	if !s.MultipathdAlive {
		missing = append(missing, "multipathd not running (failed paths would never be reinstated)")
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
