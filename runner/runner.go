package runner

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/image"
	"github.com/cgrun/cgrun/network"
	"github.com/cgrun/cgrun/shim"
	"github.com/cgrun/cgrun/volume"
	"golang.org/x/sys/unix"
)

// Options say where a Runner keeps things and whom it tells. The zero
// value uses cgrun's defaults, so a Runner sees the containers, images and
// volumes `cgrun` sees.
type Options struct {
	// Root is the container state directory (container.DefaultRoot).
	Root string
	// ImageStore is the image store's directory (image.DefaultRoot).
	ImageStore string
	// VolumeStateDir is the volume registry (volume.DefaultStateDir).
	VolumeStateDir string
	// LogRoot holds the logs of detached containers, one directory per
	// container, on disk beside the image store (default
	// ImageStore/containers) rather than in the state root, which is
	// often a RAM-backed tmpfs.
	LogRoot string
	// Network says where CNI networks are configured, their plugins, and
	// the network state (Debian's defaults).
	Network network.Options
	// Hooks replace the cgroup hooks (container.DefaultHooks with Warn).
	Hooks container.CgroupHooks
	// Warn hears of limits the host accepts but that do nothing as asked
	// (nil: nobody).
	Warn func(cgroup.Warning)
	// Progress hears about the blobs an image pull copies (nil: nobody).
	Progress image.Progress
	// ImageOptions open the image store: the registry transport and
	// credentials, the verifier that decides which images may be pulled
	// (package image/trust).
	ImageOptions []image.Option
	// Init is the static init binary Process.Init binds into the container
	// (default: the first of tini-static, catatonit on PATH; Debian's tini
	// and catatonit packages).
	Init string
	// AfterStep, when set, hears of each step once it is done and
	// recorded: of Create ("recorded", "image", "network", "volumes") and
	// of the container's run in whichever process runs it ("init",
	// "running", "exit", "exit-recorded", "reaped", "released"). Fault
	// tests stop the process there (PauseAfter) and kill it.
	AfterStep func(step string)
	// MonitorCommand makes the command that runs a detached container's
	// monitor: a process that calls Monitor(root, id, fd 3). Nil
	// re-executes this program as `PROGRAM cgrun-monitor ROOT ID`, which
	// Init turns into that call.
	MonitorCommand func(root, id string) *exec.Cmd
}

// Runner runs containers: the state store, the image store and the volume
// registry, tied together.
type Runner struct {
	opts Options
	rt   *container.Runtime
}

// New opens the state directory (made if missing) and returns a Runner.
// The image store is opened when an image needs it.
func New(opts Options) (*Runner, error) {
	if opts.Root == "" {
		opts.Root = container.DefaultRoot
	}
	if opts.ImageStore == "" {
		opts.ImageStore = image.DefaultRoot
	}
	if opts.VolumeStateDir == "" {
		opts.VolumeStateDir = volume.DefaultStateDir
	}
	if opts.LogRoot == "" {
		opts.LogRoot = filepath.Join(opts.ImageStore, "containers")
	}
	hooks := opts.Hooks
	if hooks == nil {
		hooks = container.DefaultHooks{Warn: opts.Warn}
	}
	rt, err := container.NewRuntime(opts.Root, hooks, nil)
	if err != nil {
		return nil, err
	}
	if shim.Supervised() {
		rt.Supervisor = container.SupervisorOf(os.Getppid())
	}
	rt.AfterStep = opts.AfterStep
	return &Runner{opts: opts, rt: rt}, nil
}

// Runtime is the container runtime under the Runner, for what the handles
// do not cover (listing, exec, stats).
func (r *Runner) Runtime() *container.Runtime { return r.rt }

// Load returns the container a reference names: an ID, a unique ID prefix,
// or a name. It may have been started by any process, cgrun's CLI
// included.
func (r *Runner) Load(ref string) (*Container, error) {
	id, err := r.rt.Store.Resolve(ref)
	if err != nil {
		return nil, err
	}
	st, err := r.rt.Store.Load(id)
	if err != nil {
		return nil, err
	}
	return &Container{r: r, id: id, name: st.Name, detach: st.Detached}, nil
}

func (r *Runner) monitorCommand(id string) *exec.Cmd {
	root := r.rt.Store.Root()
	if r.opts.MonitorCommand != nil {
		return r.opts.MonitorCommand(root, id)
	}
	cmd := exec.Command("/proc/self/exe", MonitorArg, root, id)
	cmd.Args[0] = os.Args[0]
	return cmd
}

func (r *Runner) imageStore() (*image.Store, error) {
	return image.Open(r.opts.ImageStore, r.opts.ImageOptions...) // its errors say "image store"
}

func (r *Runner) afterStep(step string) {
	if r.opts.AfterStep != nil {
		r.opts.AfterStep(step)
	}
}

// PauseEnv names the step after which a cgrun process stops for good
// (PauseAfter): set for a fault test, it reaches the monitor and the
// adopter too.
const PauseEnv = "CGRUN_PAUSE_AFTER"

// PauseAdopterEnv is PauseEnv for an adopter (it inherits the environment
// of the process it replaces, PauseEnv included).
const PauseAdopterEnv = "CGRUN_PAUSE_ADOPTER_AFTER"

// PauseReportEnv names a file a paused process appends "STEP PID" to.
const PauseReportEnv = "CGRUN_PAUSE_REPORT"

// pausedAt reports whether a pause report holds step.
func pausedAt(report, step string) bool {
	for _, l := range strings.Split(report, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == step {
			return true
		}
	}
	return false
}

// PauseAfter is an AfterStep for fault tests: after step stop, the
// process says "paused after STEP (pid N)" on stderr and in the file
// PauseReportEnv names, and stops itself (SIGSTOP), to be killed there or
// continued (SIGCONT). With a report file a step pauses once: the first
// process to reach it (a monitor's adopter that reaches it again after
// the monitor was killed there goes on). nil when stop is empty.
func PauseAfter(stop string) func(string) {
	if stop == "" {
		return nil
	}
	return func(step string) {
		if step != stop {
			return
		}
		path := os.Getenv(PauseReportEnv)
		if b, err := os.ReadFile(path); path != "" && err == nil && pausedAt(string(b), step) {
			return
		}
		fmt.Fprintf(os.Stderr, "paused after %s (pid %d)\n", step, os.Getpid())
		if path != "" {
			if f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
				fmt.Fprintf(f, "%s %d\n", step, os.Getpid())
				f.Close()
			}
		}
		_ = unix.Kill(os.Getpid(), unix.SIGSTOP)
	}
}
