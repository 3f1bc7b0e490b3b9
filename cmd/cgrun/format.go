package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

const flagFormat = "format"

// formatFlag is --format of the listing commands: table (the default) or json.
func formatFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: flagFormat, Value: "table", Usage: usage}
}

// jsonFormat reports whether --format asks for JSON; anything but table or
// json is refused.
func jsonFormat(c *cli.Context) (bool, error) {
	switch f := c.String(flagFormat); f {
	case "table":
		return false, nil
	case "json":
		return true, nil
	default:
		return false, fmt.Errorf("invalid --format %q: must be table or json", f)
	}
}
