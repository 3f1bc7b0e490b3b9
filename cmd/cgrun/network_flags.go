package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/network"
	"github.com/cgrun/cgrun/runner"
)

// The network flags of run (Docker's names).
const (
	flagNetwork   = "network"
	flagPublish   = "publish"
	flagDNS       = "dns"
	flagDNSSearch = "dns-search"
	flagDNSOption = "dns-option"
	flagAddHost   = "add-host"
)

const catNetwork = "Network"

func networkFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagNetwork, Aliases: []string{"net"}, Value: runner.NetworkBridge, EnvVars: []string{"CGRUN_NETWORK"}, Category: catNetwork,
			Usage: "bridge (the default network), none, host, container:NAME, or a network's name"},
		&cli.StringSliceFlag{Name: flagPublish, Aliases: []string{"p"}, Category: catNetwork,
			Usage: "publish a port [HOSTIP:][HOSTPORT:]CTRPORT[/tcp|udp], ports may be ranges (repeatable)"},
		&cli.StringSliceFlag{Name: flagDNS, Category: catNetwork, Usage: "nameserver for /etc/resolv.conf (repeatable)"},
		&cli.StringSliceFlag{Name: flagDNSSearch, Category: catNetwork, Usage: "search domain for /etc/resolv.conf (repeatable)"},
		&cli.StringSliceFlag{Name: flagDNSOption, Category: catNetwork, Usage: "option for /etc/resolv.conf (repeatable)"},
		&cli.StringSliceFlag{Name: flagAddHost, Category: catNetwork, Usage: "add NAME:IP to /etc/hosts (repeatable)"},
	}
}

// networkRequest reads the network flags; -p is parsed here (a host port
// left out is chosen now).
func networkRequest(c *cli.Context) (runner.Network, error) {
	n := runner.Network{
		Mode:       c.String(flagNetwork),
		DNS:        c.StringSlice(flagDNS),
		DNSSearch:  c.StringSlice(flagDNSSearch),
		DNSOptions: c.StringSlice(flagDNSOption),
		ExtraHosts: c.StringSlice(flagAddHost),
	}
	for _, p := range c.StringSlice(flagPublish) {
		ports, err := network.ParsePorts(p)
		if err != nil {
			return n, fmt.Errorf("invalid --%s %q: %v", flagPublish, p, err)
		}
		n.Ports = append(n.Ports, ports...)
	}
	for _, h := range n.ExtraHosts {
		if _, _, err := network.ParseExtraHost(h); err != nil {
			return n, fmt.Errorf("invalid --%s %q: must be NAME:IP", flagAddHost, h)
		}
	}
	return n, nil
}
