package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/network"
)

// networkCommand is the `cgrun network` group: the CNI networks of the
// configuration directory (--cni-config-dir).
func networkCommand() *cli.Command {
	return &cli.Command{
		Name:  "network",
		Usage: "manage CNI networks (bridge networks with port publishing)",
		Subcommands: []*cli.Command{
			{
				Name:      "create",
				Usage:     "create a bridge network",
				ArgsUsage: "NAME",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "subnet", Usage: "IPv4 CIDR (default: a free 10.89.N.0/24)"},
					&cli.StringFlag{Name: "gateway", Usage: "the bridge's address in the subnet (default: its first)"},
					&cli.StringFlag{Name: "bridge", Usage: "bridge name (default cgrun-NAME)"},
				},
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return fmt.Errorf(`"network create" needs exactly one NAME, got %d arguments`, c.NArg())
					}
					n, err := network.NewManager(networkOptions(c)).Create(c.Args().First(), network.CreateOptions{
						Subnet: c.String("subnet"), Gateway: c.String("gateway"), Bridge: c.String("bridge")})
					if err != nil {
						return err
					}
					fmt.Fprintln(c.App.Writer, n.Name)
					return nil
				},
			},
			{
				Name:  "ls",
				Usage: "list networks",
				Flags: []cli.Flag{formatFlag("table or json"), &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print names only"}},
				Action: func(c *cli.Context) error {
					asJSON, err := jsonFormat(c)
					if err != nil {
						return err
					}
					nets, err := network.NewManager(networkOptions(c)).List()
					if err != nil {
						return err
					}
					switch {
					case c.Bool("quiet"):
						for _, n := range nets {
							fmt.Fprintln(c.App.Writer, n.Name)
						}
					case asJSON:
						if nets == nil {
							nets = []*network.Network{}
						}
						return printJSON(c, nets)
					default:
						tw := tabwriter.NewWriter(c.App.Writer, 0, 8, 3, ' ', 0)
						fmt.Fprintln(tw, "NAME\tBRIDGE\tSUBNET\tGATEWAY\tPLUGINS")
						for _, n := range nets {
							fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Name, n.Bridge, n.Subnet, n.Gateway, strings.Join(n.Plugins, ","))
						}
						return tw.Flush()
					}
					return nil
				},
			},
			{
				Name:      "inspect",
				Usage:     "print networks as JSON",
				ArgsUsage: "NAME...",
				Action: func(c *cli.Context) error {
					return eachNetwork(c, func(m *network.Manager, name string) (any, error) { return m.Get(name) })
				},
			},
			{
				Name:      "rm",
				Usage:     "remove networks no container is attached to (and their bridges)",
				ArgsUsage: "NAME...",
				Action: func(c *cli.Context) error {
					return eachNetwork(c, func(m *network.Manager, name string) (any, error) {
						if err := m.Remove(name); err != nil {
							return nil, err
						}
						fmt.Fprintln(c.App.Writer, name)
						return nil, nil
					})
				},
			},
		},
	}
}

// eachNetwork runs fn on every NAME argument, going on after a failure as
// Docker does; what fn returns is printed as a JSON list.
func eachNetwork(c *cli.Context, fn func(*network.Manager, string) (any, error)) error {
	if c.NArg() == 0 {
		return fmt.Errorf("%q needs at least one network NAME", "network "+c.Command.Name)
	}
	m := network.NewManager(networkOptions(c))
	var out []any
	var errs []error
	for _, name := range c.Args().Slice() {
		v, err := fn(m, name)
		if err != nil {
			errs = append(errs, err)
			if c.NArg() > 1 {
				fmt.Fprintf(c.App.ErrWriter, "cgrun: %s\n", oneLine(errorText(err)))
			}
			continue
		}
		if v != nil {
			out = append(out, v)
		}
	}
	if len(out) > 0 {
		if err := printJSON(c, out); err != nil {
			return err
		}
	}
	switch {
	case len(errs) == 1 && c.NArg() == 1:
		return errs[0]
	case len(errs) > 0:
		return exitCodeError{code: exitCgrunError}
	}
	return nil
}

func printJSON(c *cli.Context, v any) error {
	enc := json.NewEncoder(c.App.Writer)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
