package csidriver

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cgrun/cgrun/volume"
)

// csiSnapshot loads snapshot id when CSI created it.
func (d *Driver) csiSnapshot(id string) (*volume.Snapshot, error) {
	if volume.ValidName(id) != nil {
		return nil, status.Errorf(codes.NotFound, "snapshot %q: no such snapshot", id)
	}
	sn, err := d.m.Store().GetSnapshot(id)
	if err != nil {
		return nil, toStatus(err)
	}
	if sn.CSIName == "" {
		return nil, status.Errorf(codes.NotFound, "snapshot %q was not created through CSI", id)
	}
	return sn, nil
}

func csiSnap(sn *volume.Snapshot) *csi.Snapshot {
	return &csi.Snapshot{SnapshotId: sn.Name, SourceVolumeId: sn.Volume, SizeBytes: sn.SizeBytes,
		CreationTime: timestamppb.New(sn.CreatedAt), ReadyToUse: true}
}

// CreateSnapshot implements csi.ControllerServer: a thin snapshot of the
// volume (copy-on-write, ready at once; frozen when mounted on this host).
// Snapshot IDs are made from names as volume IDs are.
func (d *Driver) CreateSnapshot(ctx context.Context, req *csi.CreateSnapshotRequest) (*csi.CreateSnapshotResponse, error) {
	switch {
	case req.GetName() == "":
		return nil, invalid("name missing")
	case req.GetSourceVolumeId() == "":
		return nil, invalid("source volume ID missing")
	}
	if p := req.GetParameters(); len(p) > 0 {
		return nil, invalid("parameters %v: snapshots take none", slices.Sorted(maps.Keys(p)))
	}
	id := VolumeID(req.GetName())
	if old, err := d.m.Store().GetSnapshot(id); err == nil {
		if old.CSIName != req.GetName() || old.Volume != req.GetSourceVolumeId() {
			return nil, status.Errorf(codes.AlreadyExists, "snapshot %s exists of volume %s", id, old.Volume)
		}
	} else if !errors.Is(err, volume.ErrNotFound) {
		return nil, toStatus(err)
	}
	v, err := d.csiOwned(req.GetSourceVolumeId())
	if err != nil {
		return nil, err
	}
	sn, err := d.m.TakeSnapshot(ctx, v.Name, id, req.GetName())
	if err != nil {
		return nil, toStatus(err)
	}
	return &csi.CreateSnapshotResponse{Snapshot: csiSnap(sn)}, nil
}

// DeleteSnapshot implements csi.ControllerServer; an unknown ID is success.
func (d *Driver) DeleteSnapshot(ctx context.Context, req *csi.DeleteSnapshotRequest) (*csi.DeleteSnapshotResponse, error) {
	if req.GetSnapshotId() == "" {
		return nil, invalid("snapshot ID missing")
	}
	if _, err := d.csiSnapshot(req.GetSnapshotId()); status.Code(err) == codes.NotFound {
		return &csi.DeleteSnapshotResponse{}, nil
	} else if err != nil {
		return nil, err
	}
	if err := d.m.DeleteSnapshot(ctx, req.GetSnapshotId()); err != nil {
		return nil, toStatus(err)
	}
	return &csi.DeleteSnapshotResponse{}, nil
}

// ListSnapshots implements csi.ControllerServer: the snapshots CSI
// created, by ID, of one volume or one ID when asked; paged as
// ListVolumes is.
func (d *Driver) ListSnapshots(_ context.Context, req *csi.ListSnapshotsRequest) (*csi.ListSnapshotsResponse, error) {
	all, err := d.m.Store().Snapshots()
	if err != nil {
		return nil, toStatus(err)
	}
	var sns []*volume.Snapshot
	for _, sn := range all {
		if sn.CSIName == "" || (req.GetSnapshotId() != "" && sn.Name != req.GetSnapshotId()) ||
			(req.GetSourceVolumeId() != "" && sn.Volume != req.GetSourceVolumeId()) {
			continue
		}
		sns = append(sns, sn)
	}
	start, end, next, err := page(len(sns), req.GetStartingToken(), req.GetMaxEntries())
	if err != nil {
		return nil, err
	}
	resp := &csi.ListSnapshotsResponse{NextToken: next}
	for _, sn := range sns[start:end] {
		resp.Entries = append(resp.Entries, &csi.ListSnapshotsResponse_Entry{Snapshot: csiSnap(sn)})
	}
	return resp, nil
}
