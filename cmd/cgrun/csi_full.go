//go:build !cgrun_registry_helper

package main

import (
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/csidriver"
	"github.com/cgrun/cgrun/volume"
)

// csiAction checks every flag, then serves until SIGTERM or SIGINT:
// calls under way finish (10 s at most) and the socket is removed.
func csiAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("%q takes no arguments, got %q", "csi", c.Args().First())
	}
	if _, _, err := csidriver.ParseEndpoint(c.String(flagCSIEndpoint)); err != nil {
		return fmt.Errorf("invalid --%s %q: must be unix:///ABSOLUTE/PATH or tcp://HOST:PORT", flagCSIEndpoint, c.String(flagCSIEndpoint))
	}
	mode := csidriver.Mode(c.String(flagCSIMode))
	if mode != csidriver.ModeAll && mode != csidriver.ModeController && mode != csidriver.ModeNode {
		return fmt.Errorf("invalid --%s %q: must be controller, node or all", flagCSIMode, mode)
	}
	prov := volume.Provisioner(c.String(flagCSIProvisioner))
	if prov != volume.ProvisionTgt && prov != volume.ProvisionLIO {
		return fmt.Errorf("invalid --%s %q: must be tgt or lio", flagCSIProvisioner, prov)
	}
	if err := volume.ValidPortal(c.String(flagCSIPortal)); err != nil {
		return fmt.Errorf("invalid --%s %q: must be HOST:PORT", flagCSIPortal, c.String(flagCSIPortal))
	}
	if p := c.String(flagCSIThinPool); p != "" && volume.ValidThinPool(p) != nil {
		return fmt.Errorf("invalid --%s %q: must be VG/POOL, an LVM volume group and a thin pool in it", flagCSIThinPool, p)
	}
	nodeID := c.String(flagCSINodeID)
	if mode != csidriver.ModeController {
		if nodeID == "" {
			id, err := volume.LocalInitiator("/")
			if err != nil {
				return fmt.Errorf("--%s not given and %w (install open-iscsi or give the node's initiator IQN)", flagCSINodeID, err)
			}
			nodeID = id
		}
		if err := volume.ValidIQN(nodeID); err != nil {
			return fmt.Errorf("invalid --%s %q: the node ID is the node's initiator IQN, iqn.YYYY-MM.reversed.domain[:id]", flagCSINodeID, nodeID)
		}
	}
	d, err := csidriver.New(csidriver.Options{
		Manager: volumeManager(c, volume.Options{AfterStep: volumePauseAfter(c)}), Mode: mode, NodeID: nodeID,
		Provisioner: prov, Portal: c.String(flagCSIPortal), ThinPool: c.String(flagCSIThinPool), Version: c.App.Version, Log: c.App.ErrWriter,
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	l, cleanup, err := csidriver.Listen(c.String(flagCSIEndpoint))
	if err != nil {
		return err
	}
	defer cleanup()
	srv := d.NewServer()
	fmt.Fprintf(c.App.ErrWriter, "csi: %s serving %s on %s (node %s)\n", csidriver.DriverName, mode, c.String(flagCSIEndpoint), nodeIDText(nodeID))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		srv.Stop()
	}
	return nil
}

func nodeIDText(id string) string {
	if id == "" {
		return "-"
	}
	return id
}
