package main

import (
	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/volume"
)

// Flags of `cgrun csi`.
const (
	flagCSIEndpoint    = "endpoint"
	flagCSINodeID      = "node-id"
	flagCSIMode        = "mode"
	flagCSIProvisioner = "provisioner"
	flagCSIPortal      = "portal"
	flagCSIThinPool    = "thin-pool"
)

// csiCommand serves the volume lifecycle as a CSI v1 plugin. The gRPC and
// CSI code lives in the whole command (cgrun-registry beside the lean
// cgrun), as the registry code does: it would cost every container start
// its package inits.
func csiCommand() *cli.Command {
	return &cli.Command{
		Name:  "csi",
		Usage: "serve the iSCSI volume lifecycle as a CSI v1 plugin (controller, node or both)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flagCSIEndpoint, Value: "unix:///run/cgrun/csi.sock", EnvVars: []string{"CSI_ENDPOINT"},
				Usage: "where to serve: unix:///PATH or tcp://HOST:PORT"},
			&cli.StringFlag{Name: flagCSINodeID, EnvVars: []string{"CSI_NODE_ID"},
				Usage: "this node's ID, its initiator IQN (default: InitiatorName of /etc/iscsi/initiatorname.iscsi)"},
			&cli.StringFlag{Name: flagCSIMode, Value: "all", Usage: "services to serve: controller, node or all"},
			&cli.StringFlag{Name: flagCSIProvisioner, Value: string(volume.ProvisionTgt), Usage: "local target CreateVolume provisions on: tgt or lio"},
			&cli.StringFlag{Name: flagCSIPortal, Value: "127.0.0.1:3260", Usage: "portal HOST:PORT of the provisioned targets"},
			&cli.StringFlag{Name: flagCSIThinPool, Usage: "make volumes thin LVs of this LVM thin pool, VG/POOL: snapshots, clones, and expansion on lio (give it to node instances too)"},
			&cli.StringFlag{Name: "state-dir", Value: volume.DefaultStateDir, EnvVars: []string{"CGRUN_VOLUME_DIR"},
				Usage: "directory of the volume registry and attach state (shared with cgrun volume and run -v)"},
			&cli.StringFlag{Name: "pause-after", Hidden: true, Usage: "testing: stop for good after this attach or detach step"},
		},
		Action: csiAction,
	}
}
