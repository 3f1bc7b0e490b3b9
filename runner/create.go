package runner

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/logs"
	"github.com/cgrun/cgrun/shim"
	"github.com/cgrun/cgrun/spec"
)

// ErrNoCommand: neither the request nor the image names a command.
var ErrNoCommand = errors.New("no command")

// Run creates the container of req and starts it: Create, then Start. A
// container whose start fails is released (and removed with AutoRemove)
// and the *container.StartError returned carries Docker's exit code.
func (r *Runner) Run(ctx context.Context, req *Request) (*Container, error) {
	c, err := r.Create(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Create makes the container of req without running anything: the
// container is recorded first (status created, marked creating), then the
// image resolved (pulled when needed) and mounted, the spec generated and
// checked against the host, its network set up and its volumes attached,
// their limits put on their disks; each of these recorded in the state
// before it is acquired. On error nothing is left behind: no state, mount,
// attachment or name; a crash leaves what was recorded for the
// supervisor's adopter (or the next cgrun command) to remove. ctx bounds
// the pull and the attach.
func (r *Runner) Create(ctx context.Context, req *Request) (_ *Container, err error) {
	if err := r.checkNetwork(&req.Network, req.Sysctls); err != nil {
		return nil, err
	}
	cfg := container.Config{
		Name:         req.Name,
		Labels:       req.Labels,
		Restart:      req.Restart,
		CgroupParent: req.CgroupParent,
		Detached:     req.Detach,
		AutoRemove:   req.AutoRemove,
	}
	if req.Detach {
		lc := logs.Default()
		if req.Log != nil {
			lc = *req.Log
		}
		cfg.Log, cfg.LogRoot = &lc, r.opts.LogRoot
	}
	cr, err := r.rt.Reserve(cfg)
	if err != nil {
		return nil, err
	}
	id := cr.ID()
	if err := shim.Announce(r.rt.Store.Root(), id); err != nil {
		return nil, errors.Join(err, cr.Abort())
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, cr.Abort())
			_ = shim.Done()
		}
	}()
	r.afterStep("recorded")
	img, err := r.resolveImage(ctx, req.Image, id)
	if err != nil {
		return nil, err
	}
	r.afterStep("image")
	s, err := r.buildSpec(req, img)
	if err != nil {
		return nil, err
	}
	netDone, err := r.setUpNetwork(id, req, s)
	if err != nil {
		return nil, err
	}
	if _, err := cr.SetSpec(s); err != nil {
		return nil, err
	}
	if !netDone {
		if err := r.attachNetwork(ctx, id, req); err != nil {
			return nil, err
		}
	}
	r.afterStep("network")
	if len(req.Volumes) > 0 {
		if err := r.attachVolumes(ctx, id, req.Volumes); err != nil {
			return nil, err
		}
		r.afterStep("volumes")
	}
	if err := cr.Created(); err != nil {
		return nil, err
	}
	return &Container{r: r, id: id, name: cr.Name(), detach: req.Detach, io: req.IO}, nil
}

// buildSpec is the request over the image's config, as an OCI spec.
func (r *Runner) buildSpec(req *Request, img *rootfs) (*specs.Spec, error) {
	p := req.Process
	o := &spec.Options{
		Resources:      req.Resources,
		Security:       req.Security,
		Args:           img.process.Args(p.Entrypoint, p.OverrideEntrypoint, p.Args),
		Cwd:            firstNonEmpty(p.Cwd, img.process.WorkingDir),
		Hostname:       req.Hostname,
		Terminal:       p.Terminal,
		RootfsPath:     img.dir,
		ReadonlyRootfs: req.ReadonlyRootfs,
		Mounts:         req.Mounts,
		Annotations:    req.Annotations,
		Process: spec.Process{
			Ulimits: p.Ulimits, ShmSize: req.ShmSize, Tmpfs: req.Tmpfs, Sysctls: req.Sysctls,
			DeviceRules: req.DeviceRules,
		},
	}
	if p.Init {
		init, err := r.initBinary()
		if err != nil {
			return nil, &container.FieldError{Field: "Process.Init", Value: "true", Err: err}
		}
		o.Process.Init = init
	}
	if len(req.Namespaces) > 0 {
		o.Process.Namespaces = map[specs.LinuxNamespaceType]string{}
		for t, mode := range req.Namespaces {
			if ref, ok := strings.CutPrefix(mode, NetworkContainerPrefix); ok {
				pid, err := r.runningPid(ref)
				if err != nil {
					return nil, &container.FieldError{Field: "Namespaces." + string(t), Value: mode, Err: err}
				}
				mode = fmt.Sprintf("/proc/%d/ns/%s", pid, nsProcName(t))
			}
			o.Process.Namespaces[t] = mode
		}
	}
	if len(o.Args) == 0 {
		return nil, fmt.Errorf("image %q has %w", req.Image, ErrNoCommand)
	}
	if o.Cwd != "" && !path.IsAbs(o.Cwd) {
		return nil, &container.FieldError{Field: "Process.Cwd", Value: o.Cwd, Err: errors.New("must be an absolute path")}
	}
	for _, e := range p.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" || strings.ContainsAny(k, " \x00") {
			return nil, &container.FieldError{Field: "Process.Env", Value: e, Err: errors.New("must be KEY=VALUE")}
		}
	}
	o.Env = img.process.MergeEnv(p.Env)
	if u := firstNonEmpty(p.User, img.process.User); u != "" {
		var err error
		if o.User, err = ResolveUser(img.dir, u); err != nil {
			return nil, &container.FieldError{Field: "Process.User", Value: u, Err: err}
		}
	}
	var rules []specs.LinuxDeviceCgroup
	for _, d := range req.Devices {
		dev, rule, err := d.Resolve()
		if err != nil {
			return nil, &container.FieldError{Field: "Devices", Value: d.Path, Err: err}
		}
		o.Devices = append(o.Devices, dev)
		rules = append(rules, rule)
	}
	for _, v := range req.Volumes {
		if err := validTarget(v.Target); err != nil {
			return nil, &container.FieldError{Field: "Volumes", Value: v.Name + ":" + v.Target, Err: err}
		}
	}
	s, err := spec.Generate(o)
	if err != nil {
		return nil, err
	}
	s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, rules...)
	return s, nil
}

func validTarget(t string) error {
	if !path.IsAbs(t) || path.Clean(t) == "/" {
		return fmt.Errorf("container path %q must be absolute and not /", t)
	}
	return nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// nsProcName is a namespace type's name under /proc/PID/ns.
func nsProcName(t specs.LinuxNamespaceType) string {
	switch t {
	case specs.NetworkNamespace:
		return "net"
	case specs.MountNamespace:
		return "mnt"
	}
	return string(t)
}

// initBinary is Options.Init, or the first static init on PATH.
func (r *Runner) initBinary() (string, error) {
	if r.opts.Init != "" {
		return r.opts.Init, nil
	}
	for _, name := range []string{"tini-static", "catatonit"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no static init on this host: install Debian's tini (tini-static) or catatonit")
}
