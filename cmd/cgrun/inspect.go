package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/image"
	"github.com/cgrun/cgrun/logs"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "print containers' state, spec and limits (requested beside read back), or images' records, as JSON",
		ArgsUsage: "CONTAINER|IMAGE...",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "type", Usage: "what the names are: container or image (default: a container, else an image of the store)"},
		},
		Action: inspectAction,
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
	switch typ := c.String("type"); typ {
	case "image":
		return inspectImages(c)
	case "", "container":
		if typ == "" && c.NArg() > 0 && allImages(c) {
			return inspectImages(c)
		}
	default:
		return fmt.Errorf("--type: %q is not container or image", typ)
	}
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

// allImages says whether every argument names an image of the store and
// none a container, for inspect without --type.
func allImages(c *cli.Context) bool {
	rt, err := newRuntime(c)
	if err != nil {
		return false
	}
	st, err := openImageStore(c)
	if err != nil {
		return false
	}
	for _, ref := range c.Args().Slice() {
		if _, err := rt.Store.Resolve(ref); err == nil {
			return false
		}
		if _, err := st.Lookup(ref); err != nil {
			return false
		}
	}
	return true
}

// inspectImages prints the store's records of the images named, with
// what verified each.
func inspectImages(c *cli.Context) error {
	if c.NArg() == 0 {
		return errors.New(`"inspect" needs at least one IMAGE`)
	}
	st, err := openImageStore(c)
	if err != nil {
		return err
	}
	var out []*image.Image
	for _, ref := range c.Args().Slice() {
		img, err := st.Lookup(ref)
		if err != nil {
			return err
		}
		out = append(out, img)
	}
	enc := json.NewEncoder(c.App.Writer)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
