//go:build cgrun_registry_helper

package main

import "github.com/urfave/cli/v2"

// csiAction: this build leaves gRPC out; the whole command beside it
// serves on the same command line.
func csiAction(*cli.Context) error { return execHelper() }
