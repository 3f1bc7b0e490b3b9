package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/runner"
	"github.com/cgrun/cgrun/spec"
)

// The process and namespace flags of run (Docker's names).
const (
	flagUlimit           = "ulimit"
	flagShmSize          = "shm-size"
	flagTmpfs            = "tmpfs"
	flagSysctl           = "sysctl"
	flagInit             = "init"
	flagPid              = "pid"
	flagIpc              = "ipc"
	flagUts              = "uts"
	flagCgroupns         = "cgroupns"
	flagDeviceCgroupRule = "device-cgroup-rule"
	flagLabel            = "label"
	flagEnvFile          = "env-file"
	flagAnnotation       = "annotation"
)

const catProcess = "Process"

func processFlags() []cli.Flag {
	ns := func(name, usage string) cli.Flag {
		return &cli.StringFlag{Name: name, Usage: usage, Category: catProcess}
	}
	return []cli.Flag{
		&cli.GenericFlag{Name: flagUlimit, Value: &spec.Ulimits{}, Category: catProcess,
			Usage: "rlimit NAME=SOFT[:HARD], -1 unlimited (repeatable; default nofile at cgrun's own hard limit)"},
		&cli.GenericFlag{Name: flagShmSize, Value: &spec.Bytes{Min: 4096}, Category: catProcess, Usage: "size of /dev/shm (default 64m)"},
		&cli.StringSliceFlag{Name: flagTmpfs, Category: catProcess, Usage: "mount a tmpfs PATH[:OPTIONS] (repeatable)"},
		&cli.StringSliceFlag{Name: flagSysctl, Category: catProcess, Usage: "namespaced kernel parameter KEY=VALUE (repeatable)"},
		&cli.BoolFlag{Name: flagInit, Category: catProcess, Usage: "run an init (tini or catatonit) as PID 1: it reaps zombies and forwards signals"},
		ns(flagPid, "PID namespace: host, or container:NAME"),
		ns(flagIpc, "IPC namespace: host, private, or container:NAME"),
		ns(flagUts, "UTS namespace: host, or container:NAME"),
		ns(flagCgroupns, "cgroup namespace: host or private (default private on cgroup v2, host on v1)"),
		&cli.StringSliceFlag{Name: flagDeviceCgroupRule, Category: catProcess, Usage: "device cgroup rule 'TYPE MAJOR:MINOR ACCESS', e.g. 'c 1:3 rwm' (repeatable)"},
		&cli.StringSliceFlag{Name: flagLabel, Aliases: []string{"l"}, Category: catProcess, Usage: "metadata KEY=VALUE (repeatable)"},
		&cli.StringSliceFlag{Name: flagEnvFile, Category: catProcess, Usage: "read KEY=VALUE lines (and KEY: the host's value) from a file (repeatable)"},
		&cli.StringSliceFlag{Name: flagAnnotation, Category: catProcess, Usage: "OCI annotation KEY=VALUE; io.cgrun.cgroup.FILE=VALUE writes a cgroup knob (repeatable)"},
	}
}

// processRequest reads the process and namespace flags into req.
func processRequest(c *cli.Context, req *runner.Request) error {
	if u, ok := c.Generic(flagUlimit).(*spec.Ulimits); ok {
		req.Process.Ulimits = u.List
	}
	if b, ok := c.Generic(flagShmSize).(*spec.Bytes); ok {
		if n, set := b.Value(); set {
			req.ShmSize = n
		}
	}
	for _, t := range c.StringSlice(flagTmpfs) {
		m, err := spec.ParseTmpfs(t)
		if err != nil {
			return fmt.Errorf("invalid --%s %q: %v", flagTmpfs, t, err)
		}
		req.Tmpfs = append(req.Tmpfs, m)
	}
	for _, s := range c.StringSlice(flagSysctl) {
		k, v, err := spec.ParseSysctl(s)
		if err != nil {
			return fmt.Errorf("invalid --%s %q: %v", flagSysctl, s, err)
		}
		if req.Sysctls == nil {
			req.Sysctls = map[string]string{}
		}
		req.Sysctls[k] = v
	}
	req.Process.Init = c.Bool(flagInit)
	for _, n := range []struct {
		flag  string
		t     specs.LinuxNamespaceType
		modes []string
	}{
		{flagPid, specs.PIDNamespace, []string{spec.NamespaceHost}},
		{flagIpc, specs.IPCNamespace, []string{spec.NamespaceHost, spec.NamespacePrivate}},
		{flagUts, specs.UTSNamespace, []string{spec.NamespaceHost}},
		{flagCgroupns, specs.CgroupNamespace, []string{spec.NamespaceHost, spec.NamespacePrivate}},
	} {
		mode := c.String(n.flag)
		if mode == "" {
			continue
		}
		ok := slices.Contains(n.modes, mode)
		if ref, isRef := strings.CutPrefix(mode, runner.NetworkContainerPrefix); isRef && ref != "" && n.t != specs.CgroupNamespace {
			ok = true
		}
		if !ok {
			rule := "must be " + strings.Join(n.modes, ", ")
			if n.t != specs.CgroupNamespace {
				rule += ", or container:NAME"
			}
			return fmt.Errorf("invalid --%s %q: %s", n.flag, mode, rule)
		}
		if req.Namespaces == nil {
			req.Namespaces = map[specs.LinuxNamespaceType]string{}
		}
		req.Namespaces[n.t] = mode
	}
	for _, r := range c.StringSlice(flagDeviceCgroupRule) {
		rule, err := spec.ParseDeviceCgroupRule(r)
		if err != nil {
			return fmt.Errorf("invalid --%s %q: %v", flagDeviceCgroupRule, r, err)
		}
		req.DeviceRules = append(req.DeviceRules, rule)
	}
	var err error
	if req.Labels, err = keyValues(flagLabel, c.StringSlice(flagLabel)); err != nil {
		return err
	}
	if req.Annotations, err = keyValues(flagAnnotation, c.StringSlice(flagAnnotation)); err != nil {
		return err
	}
	var fileEnv []string
	for _, f := range c.StringSlice(flagEnvFile) {
		env, err := envFile(f)
		if err != nil {
			return err
		}
		fileEnv = append(fileEnv, env...)
	}
	req.Process.Env = append(fileEnv, req.Process.Env...) // -e wins over --env-file, as in Docker
	return nil
}

// keyValues reads KEY=VALUE values of flag into a map (nil when none).
func keyValues(flag string, vals []string) (map[string]string, error) {
	var m map[string]string
	for _, kv := range vals {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid --%s %q: must be KEY=VALUE", flag, kv)
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = v
	}
	return m, nil
}

// envFile reads an --env-file: KEY=VALUE lines, KEY alone for the host's
// value, blank lines and # comments skipped, as Docker reads it.
func envFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("invalid --%s %q: %v", flagEnvFile, path, err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.IndexByte(line, 0) >= 0 {
			return nil, fmt.Errorf("invalid --%s %q: line %d holds a NUL byte", flagEnvFile, path, n)
		}
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("invalid --%s %q: %v", flagEnvFile, path, err)
	}
	env, err := envOptions(lines)
	if err != nil {
		return nil, fmt.Errorf("invalid --%s %q: %v", flagEnvFile, path, strings.TrimPrefix(err.Error(), "invalid --env "))
	}
	return env, nil
}
