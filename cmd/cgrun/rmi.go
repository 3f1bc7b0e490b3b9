package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/image"
)

func rmiCommand() *cli.Command {
	return &cli.Command{
		Name:      "rmi",
		Usage:     "remove images from the image store (refused while a container uses one)",
		ArgsUsage: "IMAGE [IMAGE...]",
		Action:    rmiAction,
	}
}

func rmiAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return errors.New(`"rmi" needs at least one image`)
	}
	st, err := openImageStore(c)
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range c.Args().Slice() {
		img, err := st.Remove(ref)
		if err != nil {
			errs = append(errs, inUseByContainers(c, err))
			continue
		}
		fmt.Fprintf(c.App.Writer, "Untagged: %s\nDeleted: %s\n", img.Name, img.Digest)
	}
	return errors.Join(errs...)
}

// inUseByContainers names the containers (from the container state under
// --root) that hold the mounts an InUseError lists.
func inUseByContainers(c *cli.Context, err error) error {
	var iu *image.InUseError
	if !errors.As(err, &iu) {
		return err
	}
	cs, lerr := container.NewStore(c.String("root"))
	if lerr != nil {
		return err
	}
	states, lerr := cs.List()
	if lerr != nil {
		return err
	}
	byMount := map[string]string{}
	for _, s := range states {
		for _, r := range s.Releases {
			if r.Kind == container.ReleaseImageMount {
				byMount[r.Target] = s.Name
			}
		}
	}
	names := make([]string, 0, len(iu.Containers))
	for _, m := range iu.Containers {
		if n, ok := byMount[m]; ok {
			names = append(names, n)
		} else {
			names = append(names, "mount "+m)
		}
	}
	return fmt.Errorf("image %s is used by container(s) %s: remove them first", iu.Image, strings.Join(names, ", "))
}
