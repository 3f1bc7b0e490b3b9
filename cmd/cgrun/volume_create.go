package main

import (
	"fmt"
	"slices"
	"strings"

	units "github.com/docker/go-units"
	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/volume"
)

// volumeCreateCommand registers an existing LUN, or provisions one on a
// local tgt or LIO target with --provision.
func volumeCreateCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "register an iSCSI LUN as a volume, or provision one on a local target",
		ArgsUsage: "NAME",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "portal", Usage: "target portal HOST:PORT (default 127.0.0.1:3260 with --provision); give it again for each path of a multipath volume"},
			&cli.StringFlag{Name: "iqn", Usage: "target IQN (default " + volume.DefaultIQNPrefix + ":NAME with --provision)"},
			&cli.IntFlag{Name: "lun", Value: -1, Usage: "LUN number of the disk (with --provision: tgt 1, lio 0)"},
			&cli.StringFlag{Name: "fs", Value: string(volume.FSExt4), Usage: "filesystem made on a blank disk: ext4 or xfs"},
			&cli.StringFlag{Name: "mode", Value: string(volume.ModeFilesystem), Usage: "filesystem (mounted) or block (raw device)"},
			&cli.StringFlag{Name: "chap-user", Usage: "CHAP user name"},
			&cli.StringFlag{Name: "chap-secret-file", Usage: "file (mode 0600) holding the CHAP secret, read at each use"},
			&cli.StringFlag{Name: "chap-mutual-user", Usage: "mutual CHAP user name (the target's)"},
			&cli.StringFlag{Name: "chap-mutual-secret-file", Usage: "file (mode 0600) holding the mutual CHAP secret"},
			&cli.StringFlag{Name: "provision", Usage: "provision a file-backed LUN on the local target: tgt or lio"},
			&cli.StringFlag{Name: "size", Usage: "size of a provisioned LUN, e.g. 1G"},
			&cli.StringFlag{Name: "thin-pool", Usage: "make the provisioned LUN a thin LV of this LVM thin pool, VG/POOL: it grows online (lio) and has snapshots"},
			&cli.StringFlag{Name: "from-snapshot", Usage: "make the volume from this snapshot (copy-on-write, ready at once): its pool, target, portal, filesystem and at least its size"},
		},
		Action: func(c *cli.Context) error {
			name, err := volumeName(c)
			if err != nil {
				return err
			}
			v, err := volumeFromFlags(c, name)
			if err != nil {
				return err
			}
			m := volumeManager(c, volume.Options{})
			if v.Provision == volume.ProvisionNone && v.FromSnapshot == "" {
				err = m.Register(v)
			} else {
				err = m.Provision(c.Context, v)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, name)
			return nil
		},
	}
}

// volumeFromFlags validates the create flags, each error naming its flag.
func volumeFromFlags(c *cli.Context, name string) (*volume.Volume, error) {
	v := &volume.Volume{Name: name, IQN: c.String("iqn"), LUN: c.Int("lun"),
		FS: volume.FSType(c.String("fs")), Mode: volume.Mode(c.String("mode")), Provision: volume.Provisioner(c.String("provision"))}
	portals := c.StringSlice("portal")
	if len(portals) > volume.MaxPortals {
		return nil, fmt.Errorf("invalid --portal %q: at most %d portals", strings.Join(portals, ","), volume.MaxPortals)
	}
	for i, p := range portals {
		if err := volume.ValidPortal(p); err != nil {
			return nil, fmt.Errorf("invalid --portal %q: must be HOST:PORT", p)
		}
		if slices.Contains(portals[:i], p) {
			return nil, fmt.Errorf("invalid --portal %q: given twice (each path of a multipath volume is one portal)", p)
		}
	}
	if len(portals) > 0 {
		v.Portal = portals[0]
	}
	if len(portals) > 1 {
		v.Portals = portals
	}
	if v.FS != volume.FSExt4 && v.FS != volume.FSXFS {
		return nil, fmt.Errorf("invalid --fs %q: must be ext4 or xfs", v.FS)
	}
	if v.Mode != volume.ModeFilesystem && v.Mode != volume.ModeBlock {
		return nil, fmt.Errorf("invalid --mode %q: must be filesystem or block", v.Mode)
	}
	if u, f := c.String("chap-user"), c.String("chap-secret-file"); u != "" || f != "" {
		if u == "" || f == "" {
			return nil, fmt.Errorf("invalid --chap-user %q / --chap-secret-file %q: give both or neither", u, f)
		}
		v.CHAP = &volume.CHAP{User: u, SecretFile: f, MutualUser: c.String("chap-mutual-user"), MutualSecretFile: c.String("chap-mutual-secret-file")}
		if _, err := volume.ReadSecret(f); err != nil {
			return nil, fmt.Errorf("invalid --chap-secret-file %q: %w", f, err)
		}
	}
	if s := c.String("from-snapshot"); s != "" {
		return fromSnapshotFlags(c, v, s)
	}
	if p := c.String("thin-pool"); p != "" {
		if err := volume.ValidThinPool(p); err != nil {
			return nil, fmt.Errorf("invalid --thin-pool %q: must be VG/POOL, an LVM volume group and a thin pool in it", p)
		}
		if v.Provision == volume.ProvisionNone {
			return nil, fmt.Errorf("invalid --thin-pool %q: only with --provision tgt|lio", p)
		}
		v.ThinPool = p
	}
	switch v.Provision {
	case volume.ProvisionNone:
		if c.IsSet("size") {
			return nil, fmt.Errorf("invalid --size %q: only with --provision tgt|lio", c.String("size"))
		}
		if c.IsSet("lun") && (v.LUN < 0 || v.LUN > 16383) {
			return nil, fmt.Errorf("invalid --lun %d: must be 0 to 16383", v.LUN)
		}
		if v.Portal == "" || v.IQN == "" || v.LUN < 0 {
			return nil, fmt.Errorf("invalid volume create %s: --portal, --iqn and --lun are required without --provision", name)
		}
	case volume.ProvisionTgt, volume.ProvisionLIO:
		size, err := units.RAMInBytes(c.String("size"))
		if err != nil || size < 1<<20 {
			return nil, fmt.Errorf("invalid --size %q: must be a size of at least 1m, e.g. 1G", c.String("size"))
		}
		v.SizeBytes = size
		if c.IsSet("lun") {
			return nil, fmt.Errorf("invalid --lun %d: the target chooses the LUN with --provision", v.LUN)
		}
		if v.Portal == "" {
			v.Portal = "127.0.0.1:3260"
		}
	default:
		return nil, fmt.Errorf("invalid --provision %q: must be tgt or lio", v.Provision)
	}
	if v.IQN != "" {
		if err := volume.ValidIQN(v.IQN); err != nil {
			return nil, fmt.Errorf("invalid --iqn %q: must be iqn.YYYY-MM.domain[:id], eui. or naa. form", v.IQN)
		}
	}
	return v, nil
}

// fromSnapshotFlags checks the flags of a volume made from snapshot snap:
// its filesystem, mode and pool are the snapshot's.
func fromSnapshotFlags(c *cli.Context, v *volume.Volume, snap string) (*volume.Volume, error) {
	if err := volume.ValidName(snap); err != nil {
		return nil, fmt.Errorf("invalid --from-snapshot %q: must be 1-64 of [a-zA-Z0-9_.-] starting with a letter or digit", snap)
	}
	for _, f := range []string{"fs", "mode", "thin-pool", "lun", "chap-user"} {
		if c.IsSet(f) {
			return nil, fmt.Errorf("invalid --%s %q: a volume made from a snapshot takes it from the snapshot", f, c.String(f))
		}
	}
	if p := v.Provision; p != volume.ProvisionNone && p != volume.ProvisionTgt && p != volume.ProvisionLIO {
		return nil, fmt.Errorf("invalid --provision %q: must be tgt or lio", p)
	}
	v.FromSnapshot, v.FS, v.Mode = snap, "", ""
	if c.IsSet("size") {
		size, err := units.RAMInBytes(c.String("size"))
		if err != nil || size < 1<<20 {
			return nil, fmt.Errorf("invalid --size %q: must be a size of at least 1m, e.g. 1G", c.String("size"))
		}
		v.SizeBytes = size
	}
	if v.IQN != "" { // the portal, unless given, is the snapshot's
		if err := volume.ValidIQN(v.IQN); err != nil {
			return nil, fmt.Errorf("invalid --iqn %q: must be iqn.YYYY-MM.domain[:id], eui. or naa. form", v.IQN)
		}
	}
	return v, nil
}
