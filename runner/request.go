package runner

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/logs"
	"github.com/cgrun/cgrun/spec"
)

// Request is what a container is made of. Its zero fields take the image's
// values or cgrun's defaults, as `cgrun run` without the flag does.
type Request struct {
	// Name is unique among the Runner's containers; empty: the short ID.
	Name string
	// Image is a root filesystem directory (used as it is) or an image
	// reference: oci:DIR[:TAG], oci-archive:FILE[:TAG],
	// docker://REGISTRY/NAME[:TAG|@DIGEST], or a name in the image store.
	// An image is pulled into the store when needed and mounted with a
	// private writable layer.
	Image string
	// Process overrides the image's process.
	Process Process
	// Resources are the limits (spec.Resources: nil is not given).
	Resources spec.Resources
	// Security is the confinement: Docker's default capabilities and
	// seccomp profile unless it says otherwise.
	Security spec.Security
	// Hostname defaults to "cgrun".
	Hostname       string
	ReadonlyRootfs bool
	// Mounts are bind mounts (OCI mounts, added after the defaults).
	Mounts []specs.Mount
	// Volumes are iSCSI volumes of the Runner's registry to attach.
	Volumes []Volume
	// Devices are host device nodes to expose.
	Devices []Device
	// Network is the container's network; the zero value is none (a
	// private namespace with loopback), as a containerd client's default.
	Network Network
	// Namespaces share a namespace (pid, ipc, uts, cgroup) with the host
	// (spec.NamespaceHost), keep one private (spec.NamespacePrivate: the
	// default, but for cgroup on cgroup v1), or join a running container's
	// (NetworkContainerPrefix + ID or name).
	Namespaces map[specs.LinuxNamespaceType]string
	// ShmSize is /dev/shm's size in bytes (0: 64 MiB).
	ShmSize int64
	// Tmpfs are tmpfs mounts (spec.ParseTmpfs reads Docker's --tmpfs).
	Tmpfs []specs.Mount
	// Sysctls are namespaced kernel parameters (spec.SysctlNamespace).
	Sysctls map[string]string
	// DeviceRules are extra device cgroup rules.
	DeviceRules []specs.LinuxDeviceCgroup
	// Labels are the container's metadata (in its state, shown by inspect).
	Labels map[string]string
	// Annotations go into the spec (io.cgrun.cgroup.FILE=VALUE sets an
	// extension knob).
	Annotations map[string]string
	// CgroupParent: the container's cgroup is PARENT/ID
	// (container.DefaultCgroupParent).
	CgroupParent string
	// Detach runs the container under a monitor process that outlives this
	// one (keeping the exit code, the log, and releasing at exit); IO is
	// then unused and the output goes to the container's log.
	Detach bool
	// AutoRemove removes the container once it has exited.
	AutoRemove bool
	// Restart is a detached container's restart policy (nil: never).
	Restart *container.RestartPolicy
	// Log is how a detached container's output is kept (nil:
	// logs.Default(), json-file bounded at 3 files of 10 MB), under
	// Options.LogRoot.
	Log *logs.Config
	// IO is the process's stdio when not detached (nil streams: /dev/null).
	// With Process.Terminal, IO.ConsoleSocket receives the terminal (see
	// NewConsole).
	IO container.IO
}

// Process is what runs, over the image's config: given fields replace the
// image's, as Docker's run flags do.
type Process struct {
	// Args replace the image's Cmd.
	Args []string
	// Entrypoint replaces the image's Entrypoint (and drops its Cmd) when
	// OverrideEntrypoint is set; empty then clears it.
	Entrypoint         []string
	OverrideEntrypoint bool
	// Env entries (KEY=VALUE) replace the image's of the same key and are
	// added after them.
	Env []string
	// Cwd is absolute; default: the image's WorkingDir, else /.
	Cwd string
	// User is NAME|UID[:GROUP|GID], resolved in the image's /etc/passwd
	// and /etc/group; default: the image's user, else root.
	User string
	// Terminal gives the process a pseudo-terminal.
	Terminal bool
	// Ulimits replace the default rlimits (spec.DefaultRlimits) by type.
	Ulimits []specs.POSIXRlimit
	// Init runs a small init as PID 1 before the command (Options.Init):
	// it reaps zombies and forwards signals, as Docker's --init.
	Init bool
}

// Volume is an iSCSI volume to attach and expose at Target: mounted
// (filesystem volumes) or as a device node (block volumes).
type Volume struct {
	Name     string
	Target   string // absolute, not /
	ReadOnly bool
	// Limits apply to the volume's disk, known once it is attached.
	Limits BlockLimits
}

// BlockLimits are block IO limits on one disk; zero is no limit.
type BlockLimits struct {
	ReadBps, WriteBps   uint64 // bytes per second
	ReadIOps, WriteIOps uint64 // operations per second
	Weight              uint16 // 10..1000, acts under bfq only
}

func (l BlockLimits) any() bool { return l != BlockLimits{} }
