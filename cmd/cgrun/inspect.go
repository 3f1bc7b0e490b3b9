package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/logs"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "print containers' state, spec and limits (requested beside read back) as JSON",
		ArgsUsage: "CONTAINER...",
		Action:    inspectAction,
	}
}

// inspectInfo is what inspect prints for one container.
type inspectInfo struct {
	*container.State
	StatusText string `json:"statusText"`
	Running    bool   `json:"running"`
	LogPath    string `json:"logPath,omitempty"`
	// Limits holds every limit of the spec with the value read back from
	// its cgroup file, while the container runs (its cgroup exists).
	Limits      []inspectLimit `json:"limits"`
	LimitsError string         `json:"limitsError,omitempty"`
}

// inspectLimit is a limit read back, with the flag that sets it.
type inspectLimit struct {
	Flag string `json:"flag"`
	cgroup.Limit
}

func inspectAction(c *cli.Context) error {
	var out []inspectInfo
	err := eachContainer(c, func(rt *container.Runtime, id string) error {
		st, err := rt.Reconcile(id)
		if err == nil && st == nil {
			err = fmt.Errorf("%w: %s", container.ErrNotFound, c.Args().First())
		}
		if err != nil {
			return err
		}
		info := inspectInfo{State: st, StatusText: statusText(rt, st), Limits: []inspectLimit{}}
		info.Running = st.Status != container.StatusExited && rt.Running(id)
		if st.LogDir != "" {
			info.LogPath = filepath.Join(st.LogDir, logs.FileName)
		}
		if info.Running && len(st.CgroupPaths) > 0 && st.Spec != nil {
			if n, err := cgroup.OOMEvents(cgroup.Paths(st.CgroupPaths)); err == nil {
				st.OOMEvents = n
			}
			var res *specs.LinuxResources
			if st.Spec.Linux != nil {
				res = st.Spec.Linux.Resources
			}
			limits, err := cgroup.ReadBack(cgroup.Paths(st.CgroupPaths), res, st.Spec.Annotations)
			if err != nil {
				info.LimitsError = err.Error()
			}
			for _, l := range limits {
				info.Limits = append(info.Limits, inspectLimit{Flag: flagOf(l.Resource), Limit: l})
			}
		}
		out = append(out, info)
		return nil
	})
	if len(out) > 0 {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if eerr := enc.Encode(out); eerr != nil {
			return eerr
		}
	}
	return err
}
