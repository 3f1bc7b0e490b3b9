// Package runner turns a request into a running container: it resolves and
// mounts the image, builds the OCI spec (package spec), attaches iSCSI
// volumes and puts the limits given by volume on their disks, starts the
// container through package container, in this process or under a
// detached monitor, and releases everything it took on every exit path.
// It is what `cgrun run` does, as a library.
//
// A program that starts containers calls Init first, from an init function
// of package main: libcontainer re-executes the program as each container's
// init, and a detached container's monitor is the program too.
//
//	func init() { runner.Init() }
//
//	func main() {
//		r, _ := runner.New(runner.Options{})
//		c, err := r.Run(ctx, &runner.Request{
//			Image:     "oci:/images/app:latest",
//			Resources: spec.Resources{Memory: &mem, PidsLimit: &pids},
//			AutoRemove: true,
//		})
//		...
//		exit, err := c.Wait(ctx)
//	}
//
// What a container holds (its rootfs mount, its volumes) is recorded in its
// state before it is taken, with releasers registered by default in package
// container, so a container started here can be removed by `cgrun rm` and
// the other way round.
package runner
