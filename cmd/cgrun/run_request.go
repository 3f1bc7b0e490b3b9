package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/logs"
	"github.com/cgrun/cgrun/runner"
)

// runRequest translates run's command line into the library's request.
// Flag syntax is checked here (exit 125 naming the flag); what needs the
// image (the user, the working directory from it) is checked by the
// runner, whose errors name request fields that errorText maps back to
// flags.
func runRequest(c *cli.Context, vols *runVolumes) (*runner.Request, error) {
	args := c.Args().Slice()
	ref := c.String(flagRootfs)
	if ref != "" {
		if fi, err := os.Stat(ref); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("invalid --rootfs %q: must be a directory (the container's root filesystem)", ref)
		}
	}
	if ref == "" {
		if len(args) == 0 {
			return nil, errors.New(`"run" needs an IMAGE or --rootfs DIR`)
		}
		ref, args = args[0], args[1:]
	}
	env, err := envOptions(c.StringSlice(flagEnv))
	if err != nil {
		return nil, err
	}
	req := &runner.Request{
		Name:  c.String(flagName),
		Image: ref,
		Process: runner.Process{
			Args:               args,
			Entrypoint:         strings.Fields(c.String(flagEntrypoint)), // "" clears it, as in Docker
			OverrideEntrypoint: c.IsSet(flagEntrypoint),
			Env:                env,
			Cwd:                c.String(flagWorkdir),
			User:               c.String(flagUser),
			Terminal:           c.Bool(flagTTY),
		},
		Hostname:       c.String(flagHostname),
		ReadonlyRootfs: c.Bool(flagReadOnly),
		CgroupParent:   c.String(flagCgroupParent),
		Detach:         c.Bool(flagDetach),
		AutoRemove:     c.Bool(flagRm),
	}
	for _, v := range c.StringSlice(flagVolume) {
		if ref, ok, err := parseVolumeRef(v); err != nil {
			return nil, err
		} else if ok {
			vols.refs = append(vols.refs, runVolume{vol: ref, flag: flagVolume, value: v})
			continue
		}
		m, err := parseVolume(v)
		if err != nil {
			return nil, err
		}
		req.Mounts = append(req.Mounts, m)
	}
	for _, v := range mountsOf(c) {
		ms, err := parseMount(v)
		if err != nil {
			return nil, err
		}
		if ms.volume != nil {
			vols.refs = append(vols.refs, runVolume{vol: *ms.volume, flag: flagMount, value: v})
		} else {
			req.Mounts = append(req.Mounts, *ms.bind)
		}
	}
	for _, d := range c.StringSlice(flagDevice) {
		dev, err := parseDevice(d)
		if err != nil {
			return nil, err
		}
		req.Devices = append(req.Devices, dev)
	}
	if err := resourceOptions(c, &req.Resources); err != nil {
		return nil, err
	}
	if req.Security, err = securityOptions(c); err != nil {
		return nil, err
	}
	if req.Network, err = networkRequest(c); err != nil {
		return nil, err
	}
	if err := processRequest(c, req); err != nil {
		return nil, err
	}
	if r := c.String(flagRestart); r != "no" {
		p, err := container.ParseRestartPolicy(r)
		if err != nil {
			return nil, fmt.Errorf("invalid --%s %q: %v", flagRestart, r, strings.TrimPrefix(err.Error(), container.ErrInvalid.Error()+": "))
		}
		req.Restart = &p
	}
	if c.IsSet(flagLogDriver) || c.IsSet(flagLogOpt) {
		if !c.Bool(flagDetach) {
			flag := "--" + flagLogDriver
			if c.IsSet(flagLogOpt) {
				flag = "--" + flagLogOpt
			}
			return nil, fmt.Errorf("invalid %s: only a detached container (-d) keeps a log; in the foreground its output goes to the terminal", flag)
		}
		lc, err := logs.ParseConfig(c.String(flagLogDriver), c.StringSlice(flagLogOpt))
		if err != nil {
			return nil, err
		}
		req.Log = &lc
	}
	if err := vols.takeLimits(&req.Resources); err != nil {
		return nil, err
	}
	req.Volumes = vols.volumes()
	return req, nil
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
