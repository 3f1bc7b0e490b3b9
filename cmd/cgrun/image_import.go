package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/image"
)

func imageCommand() *cli.Command {
	return &cli.Command{
		Name:  "image",
		Usage: "manage the image store",
		Subcommands: []*cli.Command{
			{
				Name:      "import",
				Usage:     "copy an OCI image layout or layout archive into the image store",
				ArgsUsage: "oci:DIR[:TAG] | oci-archive:FILE[:TAG] [NAME]",
				Action:    imageImportAction,
			},
			renamed(imagesCommand(), "ls"),
			renamed(rmiCommand(), "rm"),
		},
	}
}

func imageImportAction(c *cli.Context) error {
	if c.NArg() < 1 || c.NArg() > 2 {
		return errors.New(`"image import" needs a reference and an optional NAME`)
	}
	ref, err := image.ParseReference(c.Args().First())
	if err != nil {
		return err
	}
	if ref.Transport != image.TransportLayout && ref.Transport != image.TransportArchive {
		return fmt.Errorf("invalid image reference %q: import takes oci:DIR[:TAG] or oci-archive:FILE[:TAG]", c.Args().First())
	}
	name := c.Args().Get(1)
	st, err := openImageStore(c)
	if err != nil {
		return err
	}
	img, err := st.Pull(c.Context, ref, name, newPullProgress(c.App.ErrWriter, false))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%s %s\n", img.Name, img.Digest)
	return nil
}

// renamed is cmd under another name, for `cgrun image ls` and `image rm`.
func renamed(cmd *cli.Command, name string) *cli.Command {
	cmd.Name = name
	return cmd
}
