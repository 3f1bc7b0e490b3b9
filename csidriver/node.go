package csidriver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cgrun/cgrun/volume"
)

// StageUser is the attachment user a NodeStageVolume holds: the volume's
// users are containers and this one stage (`cgrun volume inspect`).
const StageUser = "csi-stage"

// NodeGetCapabilities implements csi.NodeServer.
func (d *Driver) NodeGetCapabilities(context.Context, *csi.NodeGetCapabilitiesRequest) (*csi.NodeGetCapabilitiesResponse, error) {
	var caps []*csi.NodeServiceCapability
	rpcs := []csi.NodeServiceCapability_RPC_Type{
		csi.NodeServiceCapability_RPC_STAGE_UNSTAGE_VOLUME,
		csi.NodeServiceCapability_RPC_GET_VOLUME_STATS,
		csi.NodeServiceCapability_RPC_GET_VOLUME_HEALTH,
	}
	if d.opts.expands() {
		rpcs = append(rpcs, csi.NodeServiceCapability_RPC_EXPAND_VOLUME)
	}
	for _, c := range rpcs {
		caps = append(caps, &csi.NodeServiceCapability{Type: &csi.NodeServiceCapability_Rpc{
			Rpc: &csi.NodeServiceCapability_RPC{Type: c}}})
	}
	return &csi.NodeGetCapabilitiesResponse{Capabilities: caps}, nil
}

// NodeGetInfo implements csi.NodeServer: the node's ID is its initiator
// IQN, the name ControllerPublishVolume masks the LUN to.
func (d *Driver) NodeGetInfo(context.Context, *csi.NodeGetInfoRequest) (*csi.NodeGetInfoResponse, error) {
	return &csi.NodeGetInfoResponse{NodeId: d.opts.NodeID}, nil
}

// nodeVolume is volume id as this node knows it: its registry's record, or
// one registered from the volume context (the controller's registry being
// elsewhere).
func (d *Driver) nodeVolume(id string, vc, secrets map[string]string, mode volume.Mode, fs volume.FSType) (*volume.Volume, error) {
	if volume.ValidName(id) != nil {
		return nil, status.Errorf(codes.NotFound, "volume %q: no such volume", id)
	}
	v, err := d.m.Store().Get(id)
	if err == nil && v.CSIStaged {
		// registered by an earlier stage: its CHAP is this call's
		c, err := d.chapFromSecrets("node."+id, secrets)
		if err != nil {
			return nil, err
		}
		if c != nil && (v.CHAP == nil || *v.CHAP != *c) {
			v.CHAP = c
			if err := d.m.Store().Put(v); err != nil {
				return nil, toStatus(err)
			}
		}
	}
	if err == nil || !errors.Is(err, volume.ErrNotFound) {
		return v, toStatus(err)
	}
	nv, err := fromContext(id, vc, mode, fs)
	if err != nil {
		return nil, err
	}
	if nv == nil {
		return nil, status.Errorf(codes.NotFound, "volume %q: not in this node's registry, and its volume context names no target", id)
	}
	if nv.CHAP, err = d.chapFromSecrets("node."+id, secrets); err != nil {
		return nil, err
	}
	if nv.CHAP == nil && vc[ctxCHAP] == "true" {
		return nil, invalid("volume %s needs CHAP: give its credentials in the node-stage secrets (%s, %s)", id, secretUser, secretPassword)
	}
	if err := d.m.Register(nv); err != nil && !errors.Is(err, volume.ErrExists) {
		d.removeSecrets("node." + id)
		return nil, toStatus(err)
	}
	v, err = d.m.Store().Get(id)
	return v, toStatus(err)
}

// NodeStageVolume implements csi.NodeServer: the volume attached (node
// record, login, disk identity, format if blank, fsck, mount) as the
// attachment user StageUser, and its filesystem bound at the staging
// path. A retried call after a crash at any step finishes it: the attach
// resumes from its recorded step, the bind is made once.
func (d *Driver) NodeStageVolume(ctx context.Context, req *csi.NodeStageVolumeRequest) (*csi.NodeStageVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, invalid("volume ID missing")
	case req.GetStagingTargetPath() == "":
		return nil, invalid("staging target path missing")
	case req.GetVolumeCapability() == nil:
		return nil, invalid("volume capability missing")
	}
	mode, fs, err := capShape(req.GetVolumeCapability())
	if err != nil {
		return nil, err
	}
	v, err := d.nodeVolume(req.GetVolumeId(), req.GetVolumeContext(), req.GetSecrets(), mode, fs)
	if err != nil {
		return nil, err
	}
	if why := fits(v, req.GetVolumeCapability()); why != "" {
		return nil, invalid("volume capability: %s", why)
	}
	ro := readOnlyAccess(req.GetVolumeCapability())
	e, err := d.m.Attach(ctx, v.Name, StageUser, ro)
	if err != nil {
		return nil, toStatus(err)
	}
	if v.Mode == volume.ModeBlock {
		return &csi.NodeStageVolumeResponse{}, nil
	}
	staging := req.GetStagingTargetPath()
	if err := os.MkdirAll(staging, 0o750); err != nil {
		return nil, toStatus(err)
	}
	if err := bind(e.Source, staging, ro, true); err != nil {
		return nil, toStatus(err)
	}
	return &csi.NodeStageVolumeResponse{}, nil
}

// NodeUnstageVolume implements csi.NodeServer: the staging bind removed,
// then the stage's attachment user; the last user detaches (unmount,
// flush, disk deleted, logout). A volume this node registered from its
// context is forgotten with it.
func (d *Driver) NodeUnstageVolume(ctx context.Context, req *csi.NodeUnstageVolumeRequest) (*csi.NodeUnstageVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, invalid("volume ID missing")
	case req.GetStagingTargetPath() == "":
		return nil, invalid("staging target path missing")
	}
	if err := unbind(req.GetStagingTargetPath(), false); err != nil {
		return nil, toStatus(err)
	}
	id := req.GetVolumeId()
	if volume.ValidName(id) != nil {
		return &csi.NodeUnstageVolumeResponse{}, nil
	}
	v, err := d.m.Store().Get(id)
	if errors.Is(err, volume.ErrNotFound) {
		return &csi.NodeUnstageVolumeResponse{}, nil
	}
	if err != nil {
		return nil, toStatus(err)
	}
	if err := d.m.Detach(ctx, id, StageUser); err != nil {
		return nil, toStatus(err)
	}
	if v.CSIStaged {
		err := d.m.Remove(ctx, id)
		if err != nil && !errors.Is(err, volume.ErrInUse) && !errors.Is(err, volume.ErrNotFound) {
			return nil, toStatus(err)
		}
		if err == nil {
			d.removeSecrets("node." + id)
		}
	}
	return &csi.NodeUnstageVolumeResponse{}, nil
}

// staged is the attachment of a staged volume.
func (d *Driver) staged(id string) (*volume.Volume, *volume.Attachment, error) {
	if volume.ValidName(id) != nil {
		return nil, nil, status.Errorf(codes.NotFound, "volume %q: no such volume", id)
	}
	v, err := d.m.Store().Get(id)
	if err != nil {
		return nil, nil, toStatus(err)
	}
	a, err := d.m.Store().Attachment(id)
	if err != nil {
		return nil, nil, toStatus(err)
	}
	if a == nil || a.Phase != volume.PhaseReady {
		return nil, nil, status.Errorf(codes.FailedPrecondition, "volume %s is not staged on this node", id)
	}
	return v, a, nil
}

// NodePublishVolume implements csi.NodeServer: the staging path bound at
// the target path (a directory it makes), or for a block volume the disk's
// device node bound on a file it makes there.
func (d *Driver) NodePublishVolume(_ context.Context, req *csi.NodePublishVolumeRequest) (*csi.NodePublishVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, invalid("volume ID missing")
	case req.GetTargetPath() == "":
		return nil, invalid("target path missing")
	case req.GetVolumeCapability() == nil:
		return nil, invalid("volume capability missing")
	case req.GetStagingTargetPath() == "":
		return nil, invalid("staging target path missing (the plugin stages volumes)")
	}
	if _, _, err := capShape(req.GetVolumeCapability()); err != nil {
		return nil, err
	}
	v, a, err := d.staged(req.GetVolumeId())
	if err != nil {
		return nil, err
	}
	if why := fits(v, req.GetVolumeCapability()); why != "" {
		return nil, invalid("volume capability: %s", why)
	}
	ro := req.GetReadonly() || readOnlyAccess(req.GetVolumeCapability()) || a.ReadOnly
	target := req.GetTargetPath()
	if v.Mode == volume.ModeBlock {
		dev, err := d.m.ResolveDevice(v.Name)
		if err != nil {
			return nil, toStatus(err)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
			return nil, toStatus(err)
		}
		f, err := os.OpenFile(target, os.O_CREATE|os.O_RDONLY, 0o600)
		if err != nil {
			return nil, toStatus(err)
		}
		f.Close()
		if err := bind(dev, target, ro, false); err != nil {
			return nil, toStatus(err)
		}
		return &csi.NodePublishVolumeResponse{}, nil
	}
	if err := os.MkdirAll(target, 0o750); err != nil {
		return nil, toStatus(err)
	}
	if err := bind(req.GetStagingTargetPath(), target, ro, true); err != nil {
		return nil, toStatus(err)
	}
	return &csi.NodePublishVolumeResponse{}, nil
}

// NodeUnpublishVolume implements csi.NodeServer: the target unmounted and
// removed (the plugin made it); a target already gone is success.
func (d *Driver) NodeUnpublishVolume(_ context.Context, req *csi.NodeUnpublishVolumeRequest) (*csi.NodeUnpublishVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, invalid("volume ID missing")
	case req.GetTargetPath() == "":
		return nil, invalid("target path missing")
	}
	if err := unbind(req.GetTargetPath(), true); err != nil {
		return nil, toStatus(err)
	}
	return &csi.NodeUnpublishVolumeResponse{}, nil
}

// NodeGetVolumeStats implements csi.NodeServer: bytes and inodes of a
// mounted volume, the size of a block one; NotFound unless the path is
// this volume's (its filesystem, or its device node).
func (d *Driver) NodeGetVolumeStats(_ context.Context, req *csi.NodeGetVolumeStatsRequest) (*csi.NodeGetVolumeStatsResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, invalid("volume ID missing")
	case req.GetVolumePath() == "":
		return nil, invalid("volume path missing")
	}
	v, a, err := d.staged(req.GetVolumeId())
	if status.Code(err) == codes.FailedPrecondition {
		err = status.Errorf(codes.NotFound, "volume %s is not staged on this node", req.GetVolumeId())
	}
	if err != nil {
		return nil, err
	}
	p := req.GetVolumePath()
	if !holds(v, a, p) {
		return nil, status.Errorf(codes.NotFound, "volume %s is not at %s", v.Name, p)
	}
	resp := &csi.NodeGetVolumeStatsResponse{}
	if v.Mode == volume.ModeBlock {
		size, err := d.m.DeviceSize(v.Name)
		if err != nil {
			return nil, toStatus(err)
		}
		resp.Usage = []*csi.VolumeUsage{{Unit: csi.VolumeUsage_BYTES, Total: size}}
	} else {
		var fs unix.Statfs_t
		if err := unix.Statfs(p, &fs); err != nil {
			return nil, toStatus(err)
		}
		bs := fs.Bsize
		resp.Usage = []*csi.VolumeUsage{
			{Unit: csi.VolumeUsage_BYTES, Total: int64(fs.Blocks) * bs, Available: int64(fs.Bavail) * bs, Used: int64(fs.Blocks-fs.Bfree) * bs},
			{Unit: csi.VolumeUsage_INODES, Total: int64(fs.Files), Available: int64(fs.Ffree), Used: int64(fs.Files - fs.Ffree)},
		}
	}
	return resp, nil
}

// NodeGetVolumeHealth implements csi.NodeServer: a staged volume is
// INACCESSIBLE when a path's session is not logged in or its disk is gone,
// or when it is not staged on this node; healthy otherwise.
func (d *Driver) NodeGetVolumeHealth(_ context.Context, req *csi.NodeGetVolumeHealthRequest) (*csi.NodeGetVolumeHealthResponse, error) {
	id := req.GetVolumeId()
	if id == "" {
		return nil, invalid("volume ID missing")
	}
	if volume.ValidName(id) != nil {
		return nil, status.Errorf(codes.NotFound, "volume %q: no such volume", id)
	}
	h := &csi.VolumeHealth{VolumeId: id}
	abnormal, msg, err := d.m.Condition(id)
	switch {
	case errors.Is(err, volume.ErrNotFound):
		if _, gerr := d.m.Store().Get(id); gerr != nil {
			return nil, toStatus(gerr)
		}
		abnormal, msg = true, "not staged on this node"
	case err != nil:
		return nil, toStatus(err)
	}
	if abnormal {
		h.HealthStatuses = []*csi.VolumeHealth_VolumeHealthEntry{{
			Status: csi.VolumeHealthErrorType_INACCESSIBLE, Reason: "iSCSI", Message: msg}}
	}
	return &csi.NodeGetVolumeHealthResponse{VolumeHealth: h}, nil
}

// NodeExpandVolume implements csi.NodeServer: the sessions rescanned until
// the disk has the size asked (what the target reports when none is), a
// multipath map resized, a mounted filesystem grown online.
func (d *Driver) NodeExpandVolume(ctx context.Context, req *csi.NodeExpandVolumeRequest) (*csi.NodeExpandVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, invalid("volume ID missing")
	case req.GetVolumePath() == "":
		return nil, invalid("volume path missing")
	}
	if _, err := sizeOf(req.GetCapacityRange()); req.GetCapacityRange() != nil && err != nil {
		return nil, err
	}
	v, a, err := d.staged(req.GetVolumeId())
	if status.Code(err) == codes.FailedPrecondition {
		err = status.Errorf(codes.NotFound, "volume %s is not staged on this node", req.GetVolumeId())
	}
	if err != nil {
		return nil, err
	}
	if !holds(v, a, req.GetVolumePath()) && !holds(v, a, req.GetStagingTargetPath()) {
		return nil, status.Errorf(codes.NotFound, "volume %s is not at %s", v.Name, req.GetVolumePath())
	}
	n, err := d.m.ExpandAttached(ctx, v.Name, req.GetCapacityRange().GetRequiredBytes())
	if err != nil {
		return nil, toStatus(err)
	}
	return &csi.NodeExpandVolumeResponse{CapacityBytes: n}, nil
}

// holds reports whether path is where volume v (attached as a) is
// mounted, or its device node is bound.
func holds(v *volume.Volume, a *volume.Attachment, p string) bool {
	if p == "" {
		return false
	}
	var st unix.Stat_t
	dev := unix.Mkdev(a.Major, a.Minor)
	if err := unix.Stat(p, &st); err != nil {
		return false
	}
	if v.Mode == volume.ModeBlock {
		return st.Rdev == dev && st.Mode&unix.S_IFMT == unix.S_IFBLK
	}
	return st.Dev == dev
}

// bind mounts src on target once (a target already a mount point is
// left), read-only when ro; fsOpts adds nosuid and nodev (not for a
// device node's bind).
func bind(src, target string, ro, fsOpts bool) error {
	if ok, err := mountinfo.Mounted(target); err != nil {
		return fmt.Errorf("is %s mounted: %w", target, err)
	} else if ok {
		return nil
	}
	if err := unix.Mount(src, target, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", src, target, err)
	}
	var flags uintptr = unix.MS_BIND | unix.MS_REMOUNT
	if fsOpts {
		flags |= unix.MS_NOSUID | unix.MS_NODEV
	}
	if ro {
		flags |= unix.MS_RDONLY
	}
	if flags != unix.MS_BIND|unix.MS_REMOUNT {
		if err := unix.Mount("", target, "", flags, ""); err != nil {
			_ = unix.Unmount(target, unix.MNT_DETACH)
			return fmt.Errorf("remount %s: %w", target, err)
		}
	}
	return nil
}

// unbind unmounts every mount stacked on target; with remove it deletes
// target (a directory or the file made for a block volume).
func unbind(target string, remove bool) error {
	for {
		ok, err := mountinfo.Mounted(target)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("is %s mounted: %w", target, err)
		}
		if !ok {
			break
		}
		if err := unix.Unmount(target, 0); err != nil {
			return fmt.Errorf("unmount %s: %w", target, err)
		}
	}
	if remove {
		if err := os.Remove(target); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}
