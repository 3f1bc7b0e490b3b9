package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docker/go-units"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/image"
)

func pullCommand() *cli.Command {
	return &cli.Command{
		Name:      "pull",
		Usage:     "copy an image into the image store, verifying every blob",
		ArgsUsage: "docker://REGISTRY/NAME[:TAG|@DIGEST] | oci:DIR[:TAG] | oci-archive:FILE[:TAG]",
		Flags:     pullFlags(),
		Action:    pullAction,
	}
}

func pullAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return errors.New(`"pull" needs exactly one image reference`)
	}
	ref, err := image.ParseReference(c.Args().First())
	if err != nil {
		return err
	}
	if ref.Transport == image.TransportStore {
		return fmt.Errorf("invalid image reference %q: pull needs a docker://, oci: or oci-archive: reference", c.Args().First())
	}
	st, err := openImageStore(c)
	if err != nil {
		return err
	}
	img, err := st.Pull(c.Context, ref, "", newPullProgress(c.App.ErrWriter, false))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%s %s\n", img.Name, img.Digest)
	return nil
}

// newPullProgress draws a bar per layer on a terminal and prints plain
// lines otherwise.
// With quiet, layers already in the store are not mentioned (run).
func newPullProgress(w io.Writer, quiet bool) image.Progress {
	if w == nil {
		w = os.Stderr
	}
	f, ok := w.(*os.File)
	if ok {
		if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
			return &barProgress{w: w, quiet: quiet}
		}
	}
	return &lineProgress{w: w, quiet: quiet}
}

func short(d v1.Descriptor) string { return d.Digest.Hex[:12] }

// lineProgress prints one line when a layer starts and one when it ends;
// layers already present are named only when quiet is false.
type lineProgress struct {
	w      io.Writer
	quiet  bool
	copied map[v1.Hash]bool
}

func (p *lineProgress) BlobStart(what string, d v1.Descriptor, present bool) {
	if what != "layer" {
		return
	}
	if present {
		if !p.quiet {
			fmt.Fprintf(p.w, "%s: already present (%s)\n", short(d), units.HumanSize(float64(d.Size)))
		}
		return
	}
	if p.copied == nil {
		p.copied = map[v1.Hash]bool{}
	}
	p.copied[d.Digest] = true
	fmt.Fprintf(p.w, "%s: pulling %s\n", short(d), units.HumanSize(float64(d.Size)))
}

func (p *lineProgress) BlobBytes(v1.Descriptor, int64) {}

func (p *lineProgress) BlobDone(d v1.Descriptor, err error) {
	if err == nil && p.copied[d.Digest] {
		fmt.Fprintf(p.w, "%s: verified\n", short(d))
	}
}

// barProgress redraws one line per layer: digest, bytes so far, a bar.
type barProgress struct {
	w     io.Writer
	done  int64
	total int64
	layer bool
	quiet bool
}

const barWidth = 30

func (p *barProgress) BlobStart(what string, d v1.Descriptor, present bool) {
	p.layer = what == "layer"
	p.done, p.total = 0, d.Size
	if p.layer && present {
		if !p.quiet {
			fmt.Fprintf(p.w, "%s: already present\n", short(d))
		}
		p.layer = false
	}
}

func (p *barProgress) BlobBytes(d v1.Descriptor, n int64) {
	if !p.layer {
		return
	}
	p.done += n
	fill := 0
	if p.total > 0 {
		fill = int(min(p.done, p.total) * barWidth / p.total)
	}
	fmt.Fprintf(p.w, "\r%s: [%s%s] %s / %s", short(d), strings.Repeat("=", fill), strings.Repeat(" ", barWidth-fill),
		units.HumanSize(float64(p.done)), units.HumanSize(float64(p.total)))
}

func (p *barProgress) BlobDone(d v1.Descriptor, err error) {
	if !p.layer {
		return
	}
	if err != nil {
		fmt.Fprintf(p.w, "\r\033[K%s: failed\n", short(d))
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s: verified %s\n", short(d), units.HumanSize(float64(p.total)))
}
