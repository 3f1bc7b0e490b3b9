// Command embedder is the embedder's first story against cgrun's library:
// run one container from an OCI image layout with a 100 MiB memory limit
// and at most 50 processes, and exit with the container's exit code.
//
//	embedder [-root DIR] [-images DIR] [-parent CGROUP] oci:LAYOUT:TAG CMD...
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/runner"
	"github.com/cgrun/cgrun/spec"
)

func init() { runner.Init() } // the containers' init and monitors are this program too

func main() {
	root, images := flag.String("root", "", "state directory"), flag.String("images", "", "image store")
	parent := flag.String("parent", "", "cgroup parent")
	flag.Parse()
	r, err := runner.New(runner.Options{Root: *root, ImageStore: *images})
	if err != nil {
		log.Fatal(err)
	}
	mem, pids := int64(100<<20), int64(50)
	c, err := r.Run(context.Background(), &runner.Request{
		Image: flag.Arg(0), Process: runner.Process{Args: flag.Args()[1:]},
		Resources:    spec.Resources{Memory: &mem, PidsLimit: &pids},
		CgroupParent: *parent, AutoRemove: true,
		IO: container.IO{Stdout: os.Stdout, Stderr: os.Stderr},
	})
	if err != nil {
		log.Fatal(err)
	}
	exit, err := c.Wait(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	os.Exit(exit.Code)
}
