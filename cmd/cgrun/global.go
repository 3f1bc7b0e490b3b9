package main

import (
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/image"
	"github.com/cgrun/cgrun/network"
)

// Global flags of the CNI directories.
const (
	flagCNIConfigDir = "cni-config-dir"
	flagCNIPluginDir = "cni-plugin-dir"
	flagCNIStateDir  = "cni-state-dir"
)

// Global flags shared by every command.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "root", Value: container.DefaultRoot, EnvVars: []string{"CGRUN_ROOT"}, Usage: "directory for container state"},
		&cli.StringFlag{Name: flagImageStore, Value: image.DefaultRoot, EnvVars: []string{"CGRUN_IMAGE_STORE"}, Usage: "directory of the image store (blobs, layers, rootfs mounts)"},
		&cli.StringFlag{Name: flagCNIConfigDir, Value: network.DefaultConfDir, EnvVars: []string{"CGRUN_CNI_CONFIG_DIR"}, Usage: "CNI network configuration directory"},
		&cli.StringFlag{Name: flagCNIPluginDir, Value: strings.Join(network.DefaultBinDirs, ":"), EnvVars: []string{"CGRUN_CNI_PLUGIN_DIR"}, Usage: "CNI plugin directories, colon-separated"},
		&cli.StringFlag{Name: flagCNIStateDir, Value: network.DefaultStateDir, EnvVars: []string{"CGRUN_CNI_STATE_DIR"}, Usage: "network state: CNI result cache, address leases, attachments"},
	}
}

// networkOptions are the CNI directories of the command line.
func networkOptions(c *cli.Context) network.Options {
	return network.Options{
		ConfDir:  c.String(flagCNIConfigDir),
		BinDirs:  filepath.SplitList(c.String(flagCNIPluginDir)),
		StateDir: c.String(flagCNIStateDir),
	}
}
