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
// image, the options, the OCI spec.
func runConfig(c *cli.Context) (*container.Config, error) {
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
	o := &spec.Options{
		Args:           args,
		Cwd:            c.String(flagWorkdir),
		Hostname:       c.String(flagHostname),
		Terminal:       c.Bool(flagTTY),
		RootfsPath:     img.Rootfs,
		ReadonlyRootfs: c.Bool(flagReadOnly),
	}
	if len(o.Args) == 0 {
		o.Args = img.Cmd
	}
	if o.Cwd != "" && !path.IsAbs(o.Cwd) {
		return nil, fmt.Errorf("invalid --workdir %q: must be an absolute path", o.Cwd)
	}
	if o.Env, err = envOptions(c.StringSlice(flagEnv)); err != nil {
		return nil, err
	}
	if u := c.String(flagUser); u != "" {
		if o.User, err = userOption(img.Rootfs, u); err != nil {
			return nil, err
		}
	}
	for _, v := range c.StringSlice(flagVolume) {
		m, err := parseVolume(v)
		if err != nil {
			return nil, err
		}
		o.Mounts = append(o.Mounts, m)
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
