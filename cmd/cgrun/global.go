package main

import "github.com/urfave/cli/v2"

// Global flags shared by every command.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "root", Value: "/run/cgrun", Usage: "directory for container state"},
	}
}
