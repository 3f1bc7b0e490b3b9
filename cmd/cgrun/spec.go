package main

import "github.com/urfave/cli/v2"

// specCommand prints the OCI config.json built from the limit flags.
func specCommand() *cli.Command {
	return &cli.Command{
		Name:  "spec",
		Usage: "print the OCI runtime config.json for the given options",
		Action: func(c *cli.Context) error {
			return codedError{code: exitCgrunError, err: errNotYet}
		},
	}
}
