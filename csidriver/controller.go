package csidriver

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cgrun/cgrun/volume"
)

// DefaultVolumeSize is the size of a volume whose CreateVolume gives no
// capacity.
const DefaultVolumeSize = 1 << 30

const mib = 1 << 20

// Parameters a StorageClass may set. Kubernetes' own
// (csi.storage.k8s.io/...) are its sidecars' and are passed over.
const paramProvisioner = "provisioner"

// ControllerGetCapabilities implements csi.ControllerServer.
func (d *Driver) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	var caps []*csi.ControllerServiceCapability
	rpcs := []csi.ControllerServiceCapability_RPC_Type{
		csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME,
		csi.ControllerServiceCapability_RPC_PUBLISH_UNPUBLISH_VOLUME,
		csi.ControllerServiceCapability_RPC_LIST_VOLUMES,
		csi.ControllerServiceCapability_RPC_GET_CAPACITY,
	}
	if d.opts.ThinPool != "" {
		rpcs = append(rpcs, csi.ControllerServiceCapability_RPC_CREATE_DELETE_SNAPSHOT,
			csi.ControllerServiceCapability_RPC_LIST_SNAPSHOTS, csi.ControllerServiceCapability_RPC_CLONE_VOLUME)
	}
	if d.opts.expands() {
		rpcs = append(rpcs, csi.ControllerServiceCapability_RPC_EXPAND_VOLUME)
	}
	for _, c := range rpcs {
		caps = append(caps, &csi.ControllerServiceCapability{Type: &csi.ControllerServiceCapability_Rpc{
			Rpc: &csi.ControllerServiceCapability_RPC{Type: c}}})
	}
	return &csi.ControllerGetCapabilitiesResponse{Capabilities: caps}, nil
}

// sizeOf is the size a capacity range asks for, rounded up to MiB.
func sizeOf(r *csi.CapacityRange) (int64, error) {
	req, lim := r.GetRequiredBytes(), r.GetLimitBytes()
	if req < 0 || lim < 0 {
		return 0, invalid("capacity range: required %d and limit %d bytes must not be negative", req, lim)
	}
	if lim > 0 && req > lim {
		return 0, invalid("capacity range: required %d bytes is more than the limit %d", req, lim)
	}
	size := req
	if size == 0 {
		size = DefaultVolumeSize
		if lim > 0 && lim < size {
			size = lim
		}
	}
	size = (size + mib - 1) / mib * mib
	if lim > 0 && size > lim {
		return 0, status.Errorf(codes.OutOfRange, "capacity range: volumes come in whole MiB; none between %d and %d bytes", req, lim)
	}
	return size, nil
}

// fitsRange reports whether size lies in r.
func fitsRange(size int64, r *csi.CapacityRange) bool {
	return size >= r.GetRequiredBytes() && (r.GetLimitBytes() == 0 || size <= r.GetLimitBytes())
}

// provisioner is the target a CreateVolume's parameters ask for.
func (d *Driver) provisioner(params map[string]string) (volume.Provisioner, error) {
	p := d.opts.Provisioner
	for k, v := range params {
		switch {
		case k == paramProvisioner:
			if v != string(volume.ProvisionTgt) && v != string(volume.ProvisionLIO) {
				return "", invalid("parameter %s=%q: must be tgt or lio", k, v)
			}
			p = volume.Provisioner(v)
		case strings.HasPrefix(k, "csi.storage.k8s.io/"):
		default:
			return "", invalid("parameter %q: unknown (known: %s)", k, paramProvisioner)
		}
	}
	return p, nil
}

// CreateVolume implements csi.ControllerServer: a file-backed LUN on the
// local target, visible to no initiator until ControllerPublishVolume.
func (d *Driver) CreateVolume(ctx context.Context, req *csi.CreateVolumeRequest) (*csi.CreateVolumeResponse, error) {
	if req.GetName() == "" {
		return nil, invalid("name missing")
	}
	mode, fs, err := capsShape(req.GetVolumeCapabilities())
	if err != nil {
		return nil, err
	}
	if fs == "" {
		fs = volume.FSExt4
	}
	fromSnap, fromVol, err := d.source(req.GetVolumeContentSource(), mode, fs)
	if err != nil {
		return nil, err
	}
	if len(req.GetMutableParameters()) > 0 {
		return nil, invalid("mutable parameters: none are supported")
	}
	prov, err := d.provisioner(req.GetParameters())
	if err != nil {
		return nil, err
	}
	size, err := sizeOf(req.GetCapacityRange())
	if err != nil {
		return nil, err
	}
	id := VolumeID(req.GetName())
	if old, err := d.m.Store().Get(id); err == nil {
		switch {
		case old.CSIName != req.GetName():
			return nil, status.Errorf(codes.AlreadyExists, "volume %s exists and was not created by this name", id)
		case !fitsRange(old.SizeBytes, req.GetCapacityRange()):
			return nil, status.Errorf(codes.AlreadyExists, "volume %s exists with %d bytes, outside the range asked", id, old.SizeBytes)
		case old.Mode != mode || (mode == volume.ModeFilesystem && old.FS != fs):
			return nil, status.Errorf(codes.AlreadyExists, "volume %s exists as a %s volume (%s)", id, old.Mode, old.FS)
		case old.Provision != prov:
			return nil, status.Errorf(codes.AlreadyExists, "volume %s exists on %s", id, old.Provision)
		case old.FromSnapshot != fromSnap || old.FromVolume != fromVol:
			return nil, status.Errorf(codes.AlreadyExists, "volume %s exists with another content source", id)
		}
		size = old.SizeBytes
	} else if !errors.Is(err, volume.ErrNotFound) {
		return nil, toStatus(err)
	}
	v := &volume.Volume{Name: id, Portal: d.opts.Portal, FS: fs, Mode: mode, Provision: prov, SizeBytes: size, CSIName: req.GetName(),
		ThinPool: d.opts.ThinPool, FromSnapshot: fromSnap, FromVolume: fromVol}
	if v.CHAP, err = d.chapFromSecrets("controller."+id, req.GetSecrets()); err != nil {
		return nil, err
	}
	if err := d.m.Provision(ctx, v); err != nil {
		if _, gerr := d.m.Store().Get(id); gerr != nil {
			d.removeSecrets("controller." + id)
		}
		return nil, toStatus(err)
	}
	if !fitsRange(v.SizeBytes, req.GetCapacityRange()) {
		// lvm rounds thin LVs up to the volume group's extents
		if err := d.m.Remove(ctx, id); err != nil {
			return nil, toStatus(err)
		}
		return nil, status.Errorf(codes.OutOfRange, "a volume of the thin pool has %d bytes (its extents), outside the range asked", v.SizeBytes)
	}
	cv := csiVolume(v)
	cv.ContentSource = req.GetVolumeContentSource()
	return &csi.CreateVolumeResponse{Volume: cv}, nil
}

func csiVolume(v *volume.Volume) *csi.Volume {
	return &csi.Volume{VolumeId: v.Name, CapacityBytes: v.SizeBytes, VolumeContext: volumeContext(v)}
}

// csiOwned loads volume id when CSI created it: a volume of the CLI is
// not the controller's to publish or delete.
func (d *Driver) csiOwned(id string) (*volume.Volume, error) {
	if volume.ValidName(id) != nil {
		return nil, status.Errorf(codes.NotFound, "volume %q: no such volume", id)
	}
	v, err := d.m.Store().Get(id)
	if err != nil {
		return nil, toStatus(err)
	}
	if v.CSIName == "" {
		return nil, status.Errorf(codes.FailedPrecondition, "volume %s was not created through CSI: manage it with cgrun volume", id)
	}
	return v, nil
}

// DeleteVolume implements csi.ControllerServer: unpublished from every
// initiator, the target, LUN and backing file deleted. An unknown ID is
// success; a volume still attached here is refused.
func (d *Driver) DeleteVolume(ctx context.Context, req *csi.DeleteVolumeRequest) (*csi.DeleteVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, invalid("volume ID missing")
	}
	if _, err := d.csiOwned(req.GetVolumeId()); status.Code(err) == codes.NotFound {
		return &csi.DeleteVolumeResponse{}, nil
	} else if err != nil {
		return nil, err
	}
	err := d.m.Remove(ctx, req.GetVolumeId())
	if errors.Is(err, volume.ErrNotFound) {
		err = nil
	}
	if err != nil {
		return nil, toStatus(err)
	}
	d.removeSecrets("controller." + req.GetVolumeId())
	return &csi.DeleteVolumeResponse{}, nil
}

// ControllerPublishVolume implements csi.ControllerServer: the LUN mapped
// to the node's initiator IQN (its node ID).
func (d *Driver) ControllerPublishVolume(ctx context.Context, req *csi.ControllerPublishVolumeRequest) (*csi.ControllerPublishVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, invalid("volume ID missing")
	case req.GetNodeId() == "":
		return nil, invalid("node ID missing")
	case req.GetVolumeCapability() == nil:
		return nil, invalid("volume capability missing")
	}
	v, err := d.csiOwned(req.GetVolumeId())
	if err != nil {
		return nil, err
	}
	if volume.ValidIQN(req.GetNodeId()) != nil {
		return nil, status.Errorf(codes.NotFound, "node %q: no such node (a node's ID is its initiator IQN)", req.GetNodeId())
	}
	if why := fits(v, req.GetVolumeCapability()); why != "" {
		return nil, invalid("volume capability: %s", why)
	}
	if err := d.m.Publish(ctx, v.Name, req.GetNodeId()); err != nil {
		return nil, toStatus(err)
	}
	return &csi.ControllerPublishVolumeResponse{}, nil
}

// ControllerUnpublishVolume implements csi.ControllerServer: the node's
// initiator unmapped (every initiator when no node is named). A volume or
// node already gone is success.
func (d *Driver) ControllerUnpublishVolume(ctx context.Context, req *csi.ControllerUnpublishVolumeRequest) (*csi.ControllerUnpublishVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, invalid("volume ID missing")
	}
	v, err := d.csiOwned(req.GetVolumeId())
	if status.Code(err) == codes.NotFound {
		return &csi.ControllerUnpublishVolumeResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	nodes := v.Initiators
	if n := req.GetNodeId(); n != "" {
		if !slices.Contains(v.Initiators, n) {
			return &csi.ControllerUnpublishVolumeResponse{}, nil
		}
		nodes = []string{n}
	}
	for _, n := range slices.Clone(nodes) {
		if err := d.m.Unpublish(ctx, v.Name, n); err != nil {
			return nil, toStatus(err)
		}
	}
	return &csi.ControllerUnpublishVolumeResponse{}, nil
}

// ValidateVolumeCapabilities implements csi.ControllerServer.
func (d *Driver) ValidateVolumeCapabilities(_ context.Context, req *csi.ValidateVolumeCapabilitiesRequest) (*csi.ValidateVolumeCapabilitiesResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, invalid("volume ID missing")
	}
	if len(req.GetVolumeCapabilities()) == 0 {
		return nil, invalid("volume capabilities missing")
	}
	v, err := d.csiOwned(req.GetVolumeId())
	if err != nil {
		return nil, err
	}
	for _, c := range req.GetVolumeCapabilities() {
		if why := fits(v, c); why != "" {
			return &csi.ValidateVolumeCapabilitiesResponse{Message: why}, nil
		}
	}
	if _, err := d.provisioner(req.GetParameters()); err != nil {
		return &csi.ValidateVolumeCapabilitiesResponse{Message: status.Convert(err).Message()}, nil
	}
	return &csi.ValidateVolumeCapabilitiesResponse{Confirmed: &csi.ValidateVolumeCapabilitiesResponse_Confirmed{
		VolumeContext: req.GetVolumeContext(), VolumeCapabilities: req.GetVolumeCapabilities(), Parameters: req.GetParameters(),
	}}, nil
}

// ListVolumes implements csi.ControllerServer: the volumes CSI created,
// by name; the token is the index of the next entry.
func (d *Driver) ListVolumes(_ context.Context, req *csi.ListVolumesRequest) (*csi.ListVolumesResponse, error) {
	names, err := d.m.Store().List()
	if err != nil {
		return nil, toStatus(err)
	}
	var vols []*volume.Volume
	for _, n := range names {
		if v, err := d.m.Store().Get(n); err == nil && v.CSIName != "" {
			vols = append(vols, v)
		}
	}
	start, end, next, err := page(len(vols), req.GetStartingToken(), req.GetMaxEntries())
	if err != nil {
		return nil, err
	}
	resp := &csi.ListVolumesResponse{NextToken: next}
	for _, v := range vols[start:end] {
		resp.Entries = append(resp.Entries, &csi.ListVolumesResponse_Entry{Volume: csiVolume(v)})
	}
	return resp, nil
}

// page is the part [start, end) of n entries a list call returns, and the
// token of the next: the index of its first entry. A token this plugin did
// not give is Aborted, as the spec asks.
func page(n int, token string, max int32) (start, end int, next string, err error) {
	if max < 0 {
		return 0, 0, "", invalid("max entries %d: must not be negative", max)
	}
	if token != "" {
		start, err = strconv.Atoi(token)
		if err != nil || start < 0 || start > n {
			return 0, 0, "", status.Errorf(codes.Aborted, "starting token %q: not one this plugin gave", token)
		}
	}
	end = n
	if max > 0 && start+int(max) < end {
		end = start + int(max)
	}
	if end < n {
		next = strconv.Itoa(end)
	}
	return start, end, next, nil
}

// GetCapacity implements csi.ControllerServer: the space left for backing
// files (they are sparse: what volumes may still grow into is shared).
func (d *Driver) GetCapacity(_ context.Context, req *csi.GetCapacityRequest) (*csi.GetCapacityResponse, error) {
	if _, err := d.provisioner(req.GetParameters()); err != nil {
		return nil, err
	}
	for _, c := range req.GetVolumeCapabilities() {
		if _, _, err := capShape(c); err != nil {
			return &csi.GetCapacityResponse{}, nil
		}
	}
	var st unix.Statfs_t
	if err := os.MkdirAll(d.m.Store().Dir, 0o700); err != nil {
		return nil, toStatus(err)
	}
	if err := unix.Statfs(d.m.Store().Dir, &st); err != nil {
		return nil, toStatus(err)
	}
	return &csi.GetCapacityResponse{AvailableCapacity: int64(st.Bavail) * st.Bsize}, nil
}

// source checks a CreateVolume's content source: a snapshot or a volume
// of the plugin's thin pool, of the mode and filesystem asked.
func (d *Driver) source(src *csi.VolumeContentSource, mode volume.Mode, fs volume.FSType) (snap, vol string, err error) {
	if src == nil {
		return "", "", nil
	}
	if d.opts.ThinPool == "" {
		return "", "", invalid("volume content source: volumes are made from snapshots and volumes when the plugin has a thin pool (--thin-pool)")
	}
	var m volume.Mode
	var f volume.FSType
	switch {
	case src.GetSnapshot() != nil:
		snap = src.GetSnapshot().GetSnapshotId()
		sn, err := d.csiSnapshot(snap)
		if err != nil {
			return "", "", err
		}
		m, f = sn.Mode, sn.FS
	case src.GetVolume() != nil:
		vol = src.GetVolume().GetVolumeId()
		v, err := d.csiOwned(vol)
		if err != nil {
			return "", "", err
		}
		m, f = v.Mode, v.FS
	default:
		return "", "", invalid("volume content source: a snapshot or a volume")
	}
	if m != mode || (mode == volume.ModeFilesystem && f != fs) {
		return "", "", invalid("volume content source: it holds a %s volume (%s), not the %s volume asked", m, f, mode)
	}
	return snap, vol, nil
}

// ControllerExpandVolume implements csi.ControllerServer: the thin LV
// grown (and, attached on this host, the disk and filesystem); a mounted
// volume then needs the node's NodeExpandVolume for its filesystem.
func (d *Driver) ControllerExpandVolume(ctx context.Context, req *csi.ControllerExpandVolumeRequest) (*csi.ControllerExpandVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, invalid("volume ID missing")
	}
	if req.GetCapacityRange() == nil {
		return nil, invalid("capacity range missing")
	}
	v, err := d.csiOwned(req.GetVolumeId())
	if err != nil {
		return nil, err
	}
	size, err := sizeOf(req.GetCapacityRange())
	if err != nil {
		return nil, err
	}
	n, err := d.m.Expand(ctx, v.Name, size)
	if err != nil {
		return nil, toStatus(err)
	}
	return &csi.ControllerExpandVolumeResponse{CapacityBytes: n, NodeExpansionRequired: v.Mode == volume.ModeFilesystem}, nil
}
