package integration

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"

	"github.com/cgrun/cgrun/integration/testutil"
)

// Thin volumes through CSI under a writing container (the VM lane: the
// kernel's initiator, LIO, the lane's LVM thin pool): online expansion
// with the controller and the node in two processes, as on two hosts, and
// a snapshot of a volume being written that restores a clean filesystem
// with every fsynced file intact.

// csiMountCap is a single-node-writer ext4 mount.
var csiMountCap = &csi.VolumeCapability{AccessType: &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{FsType: "ext4"}},
	AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER}}

// csiPod is a volume the test made, published, staged and published at
// a target through a plugin, as the CO does for a pod.
type csiPod struct {
	vol                     *csi.Volume
	nodeID, staging, target string
}

// csiPodVolume makes name (from src when given), publishes it to the node
// (csiPublish), stages and publishes it under dir. Its cleanup, registered
// before the test's containers, undoes the node's steps too.
func csiPodVolume(t *testing.T, ctl csi.ControllerClient, node csi.NodeClient, dir, name string, size int64, src *csi.VolumeContentSource) *csiPod {
	t.Helper()
	ctx := context.Background()
	vol, nodeID := csiPublish(t, ctl, node, name, size, csiMountCap, nil, src)
	p := &csiPod{vol: vol, nodeID: nodeID, staging: filepath.Join(dir, name+"-staging"), target: filepath.Join(dir, name+"-pod", "data")}
	id := vol.GetVolumeId()
	t.Cleanup(func() {
		_, _ = node.NodeUnpublishVolume(ctx, &csi.NodeUnpublishVolumeRequest{VolumeId: id, TargetPath: p.target})
		_, _ = node.NodeUnstageVolume(ctx, &csi.NodeUnstageVolumeRequest{VolumeId: id, StagingTargetPath: p.staging})
	})
	if err := os.Mkdir(p.staging, 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := node.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: id, StagingTargetPath: p.staging, VolumeCapability: csiMountCap,
		VolumeContext: p.vol.GetVolumeContext()}); err != nil {
		t.Fatalf("NodeStageVolume %s: %v", name, err)
	}
	if _, err := node.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{VolumeId: id, StagingTargetPath: p.staging, TargetPath: p.target,
		VolumeCapability: csiMountCap, VolumeContext: p.vol.GetVolumeContext()}); err != nil {
		t.Fatalf("NodePublishVolume %s: %v", name, err)
	}
	return p
}

// release unpublishes and unstages the volume, unpublishes it from the
// node and deletes it, each call checked.
func (p *csiPod) release(t *testing.T, ctl csi.ControllerClient, node csi.NodeClient) {
	t.Helper()
	id := p.vol.GetVolumeId()
	if _, err := node.NodeUnpublishVolume(context.Background(), &csi.NodeUnpublishVolumeRequest{VolumeId: id, TargetPath: p.target}); err != nil {
		t.Fatal(err)
	}
	csiUnstageDelete(t, ctl, node, id, p.nodeID, p.staging)
}

// A thin volume grows through CSI while a container writes to it, with the
// controller and the node in two processes with a registry each:
// ControllerExpandVolume grows the LV and asks for node expansion (the
// container still sees the old size: the controller has no hold on the
// node's filesystem), NodeExpandVolume at the pod's path rescans the
// session and grows ext4; the container sees about 64 MiB more with no
// restart, a write the old size had no room for goes through, and its
// counter never stopped.
func TestCSIExpandUnderWriter(t *testing.T) {
	testutil.RequireThinPool(t)
	dir := t.TempDir()
	creg, nreg := filepath.Join(dir, "controller"), filepath.Join(dir, "node")
	cp := startCSI(t, dir, "controller", "--mode", "controller", "--state-dir", creg,
		"--provisioner", "lio", "--portal", lioPortal, "--thin-pool", testutil.ThinPool)
	np := startCSI(t, dir, "node", "--mode", "node", "--state-dir", nreg)
	ctl, _ := csiClients(t, cp.sock)
	_, node := csiClients(t, np.sock)
	ctx := context.Background()
	p := csiPodVolume(t, ctl, node, dir, "csiw-grow", 32<<20, nil)
	c := testutil.NewCgrun(t)
	id, count := startCounterWriter(t, c, p.target+":/data")
	before := dfKB(t, c, id)
	if r := write48MiB(c, id); r.Code == 0 {
		t.Fatalf("48 MiB fit in a 32 MiB volume: %s", r)
	}
	mustRun(t, c.Cmd("exec", id, "rm", "-f", "/data/big"), "rm big")
	n0 := count()
	vid := p.vol.GetVolumeId()
	want := &csi.CapacityRange{RequiredBytes: 96 << 20}
	cr, err := ctl.ControllerExpandVolume(ctx, &csi.ControllerExpandVolumeRequest{VolumeId: vid, CapacityRange: want, VolumeCapability: csiMountCap})
	if err != nil || cr.GetCapacityBytes() != 96<<20 || !cr.GetNodeExpansionRequired() {
		t.Fatalf("ControllerExpandVolume: %v %v, want 96 MiB and node expansion", cr, err)
	}
	if mid := dfKB(t, c, id); mid > before+1024 {
		t.Fatalf("the filesystem grew from %d to %d KiB before NodeExpandVolume", before, mid)
	}
	nr, err := node.NodeExpandVolume(ctx, &csi.NodeExpandVolumeRequest{VolumeId: vid, VolumePath: p.target, StagingTargetPath: p.staging,
		CapacityRange: want, VolumeCapability: csiMountCap})
	if err != nil || nr.GetCapacityBytes() != 96<<20 {
		t.Fatalf("NodeExpandVolume: %v %v", nr, err)
	}
	after := dfKB(t, c, id)
	if after < before+56*1024 { // 64 MiB more, less ext4's own
		t.Fatalf("the container sees %d KiB after the expansion, %d before: want about 64 MiB more", after, before)
	}
	t.Logf("the container's /data: %d KiB, then %d KiB", before, after)
	mustRun(t, write48MiB(c, id), "48 MiB after the expansion")
	time.Sleep(300 * time.Millisecond)
	if n1 := count(); n1 <= n0 {
		t.Fatalf("the writer stopped: %d then %d", n0, n1)
	}
	// the CO's retry of either call: nothing to do, the same answer
	if cr, err := ctl.ControllerExpandVolume(ctx, &csi.ControllerExpandVolumeRequest{VolumeId: vid, CapacityRange: want}); err != nil || cr.GetCapacityBytes() != 96<<20 {
		t.Fatalf("ControllerExpandVolume again: %v %v", cr, err)
	}
	if _, err := node.NodeExpandVolume(ctx, &csi.NodeExpandVolumeRequest{VolumeId: vid, VolumePath: p.target, CapacityRange: want}); err != nil {
		t.Fatalf("NodeExpandVolume again: %v", err)
	}
	if st, err := node.NodeGetVolumeStats(ctx, &csi.NodeGetVolumeStatsRequest{VolumeId: vid, VolumePath: p.target}); err != nil ||
		st.GetUsage()[0].GetTotal() < int64(after-1024)<<10 {
		t.Fatalf("NodeGetVolumeStats after the expansion: %v %v (df %d KiB)", st, err, after)
	}
	mustRun(t, c.Cmd("rm", "-f", id), "rm -f")
	iqn := p.vol.GetVolumeContext()["iqn"]
	p.release(t, ctl, node)
	assertNoCSITrace(t, iqn, creg, nreg)
	if left := lvsOfTest(t, "csiw-grow"); len(left) > 0 {
		t.Fatalf("LVs left: %v", left)
	}
}

// A snapshot taken through CSI while a container writes to the volume
// (fsync after each file, then a line of its checksum in a manifest),
// controller and node in one process: the plugin freezes the staged
// filesystem for it (the registry's record says so, as `cgrun volume
// snapshots` shows), CreateVolume from it gives a volume that e2fsck -fn
// finds clean and that, staged and published through the plugin, holds
// every file of its manifest intact.
func TestCSISnapshotUnderWriter(t *testing.T) {
	testutil.RequireThinPool(t)
	dir := t.TempDir()
	reg := filepath.Join(dir, "volumes")
	pl := startCSI(t, dir, "csi", "--state-dir", reg, "--provisioner", "lio", "--portal", lioPortal, "--thin-pool", testutil.ThinPool)
	ctl, node := csiClients(t, pl.sock)
	ctx := context.Background()
	p := csiPodVolume(t, ctl, node, dir, "csiw-src", 64<<20, nil)
	c := testutil.NewCgrun(t)
	id := startChecksumWriter(t, c, p.target+":/data")
	snapReq := &csi.CreateSnapshotRequest{Name: "csiw-snap", SourceVolumeId: p.vol.GetVolumeId()}
	sr, err := ctl.CreateSnapshot(ctx, snapReq)
	if err != nil || !sr.GetSnapshot().GetReadyToUse() {
		t.Fatalf("CreateSnapshot: %v %v, want ready at once", sr, err)
	}
	snapID := sr.GetSnapshot().GetSnapshotId()
	t.Cleanup(func() { _, _ = ctl.DeleteSnapshot(ctx, &csi.DeleteSnapshotRequest{SnapshotId: snapID}) })
	if again, err := ctl.CreateSnapshot(ctx, snapReq); err != nil || again.GetSnapshot().GetSnapshotId() != snapID {
		t.Fatalf("CreateSnapshot again: %v %v", again, err)
	}
	mustRun(t, c.Cmd("exec", id, "true"), "the writer still runs")
	// the CLI reads the plugin's registry: one attach state
	cli := exec.Command(testutil.CgrunBin(t), "volume", "snapshots", "--format", "json")
	cli.Env = append(os.Environ(), "CGRUN_VOLUME_DIR="+reg)
	out, err := cli.Output()
	var snaps []map[string]any
	if err != nil || json.Unmarshal(out, &snaps) != nil || len(snaps) != 1 || snaps[0]["frozen"] != true || snaps[0]["volume"] != p.vol.GetVolumeId() {
		t.Fatalf("cgrun volume snapshots: %s %v, want one frozen snapshot of %s", out, err, p.vol.GetVolumeId())
	}
	src := &csi.VolumeContentSource{Type: &csi.VolumeContentSource_Snapshot{Snapshot: &csi.VolumeContentSource_SnapshotSource{SnapshotId: snapID}}}
	// e2fsck -fn of the restored LV before anything mounts it
	r, err := ctl.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "csiw-restored", CapacityRange: &csi.CapacityRange{RequiredBytes: 64 << 20},
		VolumeCapabilities: []*csi.VolumeCapability{csiMountCap}, VolumeContentSource: src})
	if err != nil {
		t.Fatal(err)
	}
	lv := "/dev/" + strings.Split(testutil.ThinPool, "/")[0] + "/cgrun-" + r.GetVolume().GetVolumeId()
	if out, err := exec.Command("e2fsck", "-fn", lv).CombinedOutput(); err != nil {
		t.Fatalf("e2fsck -fn of the restored volume: %v\n%s", err, out)
	}
	restored := csiPodVolume(t, ctl, node, dir, "csiw-restored", 64<<20, src) // the same request: the same volume
	if restored.vol.GetVolumeId() != r.GetVolume().GetVolumeId() || restored.vol.GetContentSource().GetSnapshot().GetSnapshotId() != snapID {
		t.Fatalf("restored volume %v", restored.vol)
	}
	t.Logf("%d fsynced files intact in the volume made from the snapshot", checkManifest(t, restored.target))
	restored.release(t, ctl, node)
	mustRun(t, c.Cmd("rm", "-f", id), "rm -f")
	if _, err := ctl.DeleteSnapshot(ctx, &csi.DeleteSnapshotRequest{SnapshotId: snapID}); err != nil {
		t.Fatal(err)
	}
	iqn := p.vol.GetVolumeContext()["iqn"]
	p.release(t, ctl, node)
	assertNoCSITrace(t, iqn, reg)
	assertNoCSITrace(t, restored.vol.GetVolumeContext()["iqn"], reg)
	if left := lvsOfTest(t, "csiw-src", "csiw-restored", "csiw-snap"); len(left) > 0 {
		t.Fatalf("LVs left: %v", left)
	}
}
