package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"github.com/urfave/cli/v2"
)

func imagesCommand() *cli.Command {
	return &cli.Command{
		Name:  "images",
		Usage: "list the images of the image store",
		Flags: []cli.Flag{
			formatFlag("table or json"),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print image IDs only"},
		},
		Action: imagesAction,
	}
}

func imagesAction(c *cli.Context) error {
	asJSON, err := jsonFormat(c)
	if err != nil {
		return err
	}
	st, err := openImageStore(c)
	if err != nil {
		return err
	}
	imgs, err := st.List()
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(imgs)
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 3, ' ', 0)
	if c.Bool("quiet") {
		for _, img := range imgs {
			fmt.Fprintln(c.App.Writer, img.ID())
		}
		return nil
	}
	fmt.Fprintln(tw, "NAME\tIMAGE ID\tLAYERS\tSIZE\tSTORED\tVERIFIED")
	for _, img := range imgs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s ago\t%s\n", img.Name, img.ID(), len(img.Layers),
			units.HumanSize(float64(img.Size)), units.HumanDuration(time.Since(img.Stored)), img.Verification)
	}
	return tw.Flush()
}
