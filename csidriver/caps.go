package csidriver

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/container-storage-interface/spec/lib/go/csi"

	"github.com/cgrun/cgrun/volume"
)

// Volume context keys (CreateVolume's answer, NodeStageVolume's input).
const (
	ctxPortal = "portal"
	ctxIQN    = "iqn"
	ctxLUN    = "lun"
	ctxMode   = "mode"
	ctxFS     = "fsType"
	ctxSerial = "serial"
	ctxCHAP   = "chap"
)

// VolumeID is the cgrun volume name of a CreateVolume name.
func VolumeID(name string) string {
	if volume.ValidName(name) == nil {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return "csi-" + hex.EncodeToString(sum[:16])
}

// accessOK reports whether an access mode is one a single-writer iSCSI LUN
// serves: one node, read-write or read-only.
func accessOK(m csi.VolumeCapability_AccessMode_Mode) bool {
	switch m {
	case csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER,
		csi.VolumeCapability_AccessMode_SINGLE_NODE_READER_ONLY,
		csi.VolumeCapability_AccessMode_SINGLE_NODE_SINGLE_WRITER:
		return true
	}
	return false
}

// readOnlyAccess reports whether c asks for read-only access.
func readOnlyAccess(c *csi.VolumeCapability) bool {
	m := c.GetAccessMode().GetMode()
	return m == csi.VolumeCapability_AccessMode_SINGLE_NODE_READER_ONLY || m == csi.VolumeCapability_AccessMode_MULTI_NODE_READER_ONLY
}

// capShape checks one capability and returns the volume mode and
// filesystem it asks for (fs empty: block, or the default).
func capShape(c *csi.VolumeCapability) (volume.Mode, volume.FSType, error) {
	if c == nil {
		return "", "", invalid("volume capability missing")
	}
	if c.GetAccessMode() == nil {
		return "", "", invalid("volume capability: access mode missing")
	}
	if !accessOK(c.GetAccessMode().GetMode()) {
		return "", "", invalid("access mode %s: an iSCSI LUN has one writer on one node (SINGLE_NODE_WRITER, SINGLE_NODE_SINGLE_WRITER or SINGLE_NODE_READER_ONLY)", c.GetAccessMode().GetMode())
	}
	switch t := c.GetAccessType().(type) {
	case *csi.VolumeCapability_Block:
		return volume.ModeBlock, "", nil
	case *csi.VolumeCapability_Mount:
		fs := volume.FSType(t.Mount.GetFsType())
		if fs != "" && fs != volume.FSExt4 && fs != volume.FSXFS {
			return "", "", invalid("fs type %q: must be ext4 or xfs", fs)
		}
		for _, f := range t.Mount.GetMountFlags() {
			if f != "" {
				// the staging mount is cgrun's own (nosuid,nodev)
				return "", "", invalid("mount flag %q: mount flags are not supported", f)
			}
		}
		return volume.ModeFilesystem, fs, nil
	}
	return "", "", invalid("volume capability: access type must be block or mount")
}

// capsShape checks every capability; they must agree on block or mount.
func capsShape(caps []*csi.VolumeCapability) (volume.Mode, volume.FSType, error) {
	if len(caps) == 0 {
		return "", "", invalid("volume capabilities missing")
	}
	var mode volume.Mode
	var fs volume.FSType
	for _, c := range caps {
		m, f, err := capShape(c)
		if err != nil {
			return "", "", err
		}
		if mode != "" && m != mode {
			return "", "", invalid("volume capabilities ask for both a block and a mounted volume")
		}
		if fs != "" && f != "" && f != fs {
			return "", "", invalid("volume capabilities ask for both %s and %s", fs, f)
		}
		mode = m
		if f != "" {
			fs = f
		}
	}
	return mode, fs, nil
}

// fits reports why v cannot serve capability c ("" when it can).
func fits(v *volume.Volume, c *csi.VolumeCapability) string {
	m, fs, err := capShape(c)
	if err != nil {
		return err.Error()
	}
	if m != v.Mode {
		return "volume " + v.Name + " is a " + string(v.Mode) + " volume"
	}
	if fs != "" && fs != v.FS {
		return "volume " + v.Name + " holds " + string(v.FS) + ", not " + string(fs)
	}
	return ""
}

// volumeContext is what a node needs to reach v's LUN.
func volumeContext(v *volume.Volume) map[string]string {
	c := map[string]string{
		ctxPortal: v.Portal, ctxIQN: v.IQN, ctxLUN: strconv.Itoa(v.LUN),
		ctxMode: string(v.Mode),
	}
	if v.Mode == volume.ModeFilesystem {
		c[ctxFS] = string(v.FS)
	}
	if v.Serial != "" {
		c[ctxSerial] = v.Serial
	}
	if v.CHAP != nil {
		c[ctxCHAP] = "true" // the node's stage secrets carry it
	}
	return c
}

// fromContext is the volume a node registers from the volume context.
func fromContext(id string, vc map[string]string, mode volume.Mode, fs volume.FSType) (*volume.Volume, error) {
	if vc[ctxIQN] == "" || vc[ctxPortal] == "" {
		return nil, nil
	}
	lun, err := strconv.Atoi(vc[ctxLUN])
	if err != nil {
		return nil, invalid("volume context: lun %q: not a number", vc[ctxLUN])
	}
	if fs == "" {
		fs = volume.FSType(vc[ctxFS])
	}
	v := &volume.Volume{Name: id, Portal: vc[ctxPortal], IQN: vc[ctxIQN], LUN: lun, Mode: mode, FS: fs, CSIStaged: true}
	if p := strings.Split(vc[ctxPortal], ","); len(p) > 1 {
		v.Portal, v.Portals = p[0], p
	}
	return v, nil
}
