package cgroup

import (
	"os/exec"
	"path/filepath"
)

// Option changes where Probe looks; tests point it at a fake tree.
type Option func(*config)

type config struct {
	root      string // cgroup root, /sys/fs/cgroup
	mountinfo string // /proc/self/mountinfo
	sysfs     string // /sys
	procfs    string // /proc
	modules   string // /lib/modules
	parent    string // cgrun's own parent cgroup, "cgrun"
	lookPath  func(string) (string, error)
}

func newConfig(opts []Option) *config {
	c := &config{
		root:      "/sys/fs/cgroup",
		mountinfo: "/proc/self/mountinfo",
		sysfs:     "/sys",
		procfs:    "/proc",
		modules:   "/lib/modules",
		parent:    "cgrun",
		lookPath:  exec.LookPath,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithMountpoint sets the cgroup root (default /sys/fs/cgroup).
func WithMountpoint(dir string) Option { return func(c *config) { c.root = filepath.Clean(dir) } }

// WithMountinfo sets the mount table read (default /proc/self/mountinfo).
func WithMountinfo(path string) Option { return func(c *config) { c.mountinfo = path } }

// WithSysfs sets the sysfs root for block devices and modules (default /sys).
func WithSysfs(dir string) Option { return func(c *config) { c.sysfs = dir } }

// WithProcfs sets the procfs root for the kernel version and iscsid (default /proc).
func WithProcfs(dir string) Option { return func(c *config) { c.procfs = dir } }

// WithModulesDir sets where loadable kernel modules are listed (default /lib/modules).
func WithModulesDir(dir string) Option { return func(c *config) { c.modules = dir } }

// WithParent sets cgrun's parent cgroup under which Probe may create and
// remove a scratch cgroup (default "cgrun").
func WithParent(name string) Option { return func(c *config) { c.parent = name } }

// WithLookPath replaces exec.LookPath for finding iscsiadm.
func WithLookPath(f func(string) (string, error)) Option {
	return func(c *config) { c.lookPath = f }
}
