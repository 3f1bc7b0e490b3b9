package main

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/spec"
)

// runConfig turns run's command line into the container's Config: the
// image, the options, the OCI spec. The image config's Entrypoint, Cmd,
// Env, WorkingDir and User apply, overridden by the flags as in Docker. On
// error nothing acquired for the image stays behind.
func runConfig(c *cli.Context, vols *runVolumes) (_ *container.Config, err error) {
	args := c.Args().Slice()
	ref := c.String(flagRootfs)
	if ref == "" {
		if len(args) == 0 {
			return nil, errors.New(`"run" needs an IMAGE or --rootfs DIR`)
		}
		ref, args = args[0], args[1:]
	}
	img, err := resolveImage(c, ref)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = img.release()
		}
	}()
	o := &spec.Options{
		Args:           img.Process.Args(entrypointOption(c), c.IsSet(flagEntrypoint), args),
		Cwd:            firstNonEmpty(c.String(flagWorkdir), img.Process.WorkingDir),
		Hostname:       c.String(flagHostname),
		Terminal:       c.Bool(flagTTY),
		RootfsPath:     img.Rootfs,
		ReadonlyRootfs: c.Bool(flagReadOnly),
	}
	if len(o.Args) == 0 {
		return nil, fmt.Errorf("image %q has no command: give COMMAND or --entrypoint", ref)
	}
	if o.Cwd != "" && !path.IsAbs(o.Cwd) {
		return nil, fmt.Errorf("invalid --workdir %q: must be an absolute path", o.Cwd)
	}
	userEnv, err := envOptions(c.StringSlice(flagEnv))
	if err != nil {
		return nil, err
	}
	o.Env = img.Process.MergeEnv(userEnv)
	if u := firstNonEmpty(c.String(flagUser), img.Process.User); u != "" {
		if o.User, err = userOption(img.Rootfs, u); err != nil {
			return nil, err
		}
	}
	for _, v := range c.StringSlice(flagVolume) {
		if ref, ok, err := parseVolumeRef(v); err != nil {
			return nil, err
		} else if ok {
			vols.refs = append(vols.refs, runVolume{ref: ref, flag: flagVolume, value: v})
			continue
		}
		m, err := parseVolume(v)
		if err != nil {
			return nil, err
		}
		o.Mounts = append(o.Mounts, m)
	}
	for _, v := range mountsOf(c) {
		ms, err := parseMount(v)
		if err != nil {
			return nil, err
		}
		if ms.volume != nil {
			vols.refs = append(vols.refs, runVolume{ref: *ms.volume, flag: flagMount, value: v})
		} else {
			o.Mounts = append(o.Mounts, *ms.bind)
		}
	}
	var rules []deviceRule
	for _, d := range c.StringSlice(flagDevice) {
		dev, rule, err := parseDevice(d)
		if err != nil {
			return nil, err
		}
		o.Devices = append(o.Devices, dev)
		rules = append(rules, rule)
	}
	if err := resourceOptions(c, o); err != nil {
		return nil, err
	}
	if err := vols.takeLimits(&o.Resources); err != nil {
		return nil, err
	}
	s, err := spec.Generate(o)
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, r.cgroup())
	}
	return &container.Config{
		Name:         c.String(flagName),
		Spec:         s,
		CgroupParent: c.String(flagCgroupParent),
		Detached:     c.Bool(flagDetach),
		AutoRemove:   c.Bool(flagRm),
		Releases:     img.Releases,
	}, nil
}

// envOptions checks -e values: KEY=VALUE, or KEY taking the host's value
// (skipped when the host has none, as Docker does).
func envOptions(vals []string) ([]string, error) {
	var env []string
	for _, e := range vals {
		k, _, hasValue := strings.Cut(e, "=")
		if k == "" || strings.ContainsAny(k, " \x00") {
			return nil, fmt.Errorf("invalid --env %q: must be KEY=VALUE or KEY", e)
		}
		if hasValue {
			env = append(env, e)
		} else if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env, nil
}

// entrypointOption is --entrypoint split into words: "" clears the image's
// entrypoint, as in Docker.
func entrypointOption(c *cli.Context) []string {
	return strings.Fields(c.String(flagEntrypoint))
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
