// Command release starts and removes containers through cgrun's library, so
// a test can have the CLI and the library release each other's:
//
//	release [-root DIR] [-images DIR] [-volumes DIR] [-parent CGROUP] start NAME IMAGE [-v VOLUME:/PATH] CMD...
//	release [-root DIR] [-images DIR] [-volumes DIR] rm NAME
//
// start runs the container detached (the monitor is this program) and
// prints its ID; rm removes it, with force, whoever started it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"strings"

	"github.com/cgrun/cgrun/runner"
)

func init() { runner.Init() }

func main() {
	root := flag.String("root", "", "state directory")
	images := flag.String("images", "", "image store")
	volumes := flag.String("volumes", "", "volume registry")
	parent := flag.String("parent", "", "cgroup parent")
	flag.Parse()
	r, err := runner.New(runner.Options{Root: *root, ImageStore: *images, VolumeStateDir: *volumes})
	if err != nil {
		log.Fatal(err)
	}
	args := flag.Args()
	switch {
	case len(args) >= 4 && args[0] == "start":
		req := &runner.Request{Name: args[1], Image: args[2], CgroupParent: *parent, Detach: true}
		cmd := args[3:]
		if cmd[0] == "-v" && len(cmd) > 2 {
			name, target, _ := strings.Cut(cmd[1], ":")
			req.Volumes = []runner.Volume{{Name: name, Target: target}}
			cmd = cmd[2:]
		}
		req.Process.Args = cmd
		c, err := r.Run(context.Background(), req)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.ID())
	case len(args) == 2 && args[0] == "rm":
		c, err := r.Load(args[1])
		if err != nil {
			log.Fatal(err)
		}
		if err := c.Remove(true); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatal("usage: release start NAME IMAGE [-v VOLUME:/PATH] CMD... | release rm NAME")
	}
}
