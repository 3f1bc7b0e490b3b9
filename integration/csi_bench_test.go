package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"

	"github.com/cgrun/cgrun/integration/testutil"
)

// TestBenchCSI is `make bench-vm`'s CSI part (skipped otherwise): through
// cgrun csi on the lane's tgt, the latency of a volume's way to a pod's
// target path (CreateVolume, ControllerPublishVolume, NodeStageVolume,
// NodePublishVolume) and back, round after round, then 20 volumes staged
// at once and unstaged at once. Printed as markdown.
func TestBenchCSI(t *testing.T) {
	if os.Getenv("CGRUN_BENCH_CSI") == "" {
		t.Skip("make bench-vm runs it")
	}
	testutil.RequireISCSI(t)
	rounds, _ := strconv.Atoi(os.Getenv("ROUNDS"))
	if rounds <= 0 {
		rounds = 8
	}
	dir := t.TempDir()
	p := startCSI(t, dir, "bench", "--state-dir", filepath.Join(dir, "volumes"))
	ctl, node := csiClients(t, p.sock)
	ctx := context.Background()
	info, err := node.NodeGetInfo(ctx, &csi.NodeGetInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	mount := &csi.VolumeCapability{AccessType: &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{FsType: "ext4"}},
		AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER}}
	type vol struct{ id, staging, target string }
	up := func(name string, times []time.Duration) vol {
		t0 := time.Now()
		cv, err := ctl.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: name, CapacityRange: &csi.CapacityRange{RequiredBytes: 64 << 20},
			VolumeCapabilities: []*csi.VolumeCapability{mount}})
		if err != nil {
			t.Fatal(err)
		}
		v := vol{id: cv.GetVolume().GetVolumeId(), staging: filepath.Join(dir, name, "staging"), target: filepath.Join(dir, name, "target")}
		if err := os.MkdirAll(v.staging, 0o750); err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		if _, err := ctl.ControllerPublishVolume(ctx, &csi.ControllerPublishVolumeRequest{VolumeId: v.id, NodeId: info.GetNodeId(), VolumeCapability: mount}); err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		if times == nil {
			return v
		}
		if _, err := node.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: v.id, StagingTargetPath: v.staging, VolumeCapability: mount,
			VolumeContext: cv.GetVolume().GetVolumeContext()}); err != nil {
			t.Fatal(err)
		}
		t3 := time.Now()
		if _, err := node.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{VolumeId: v.id, StagingTargetPath: v.staging, TargetPath: v.target, VolumeCapability: mount}); err != nil {
			t.Fatal(err)
		}
		t4 := time.Now()
		copy(times, []time.Duration{t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), t4.Sub(t0)})
		return v
	}
	down := func(v vol, published bool) {
		if published {
			if _, err := node.NodeUnpublishVolume(ctx, &csi.NodeUnpublishVolumeRequest{VolumeId: v.id, TargetPath: v.target}); err != nil {
				t.Fatal(err)
			}
			if _, err := node.NodeUnstageVolume(ctx, &csi.NodeUnstageVolumeRequest{VolumeId: v.id, StagingTargetPath: v.staging}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ctl.ControllerUnpublishVolume(ctx, &csi.ControllerUnpublishVolumeRequest{VolumeId: v.id, NodeId: info.GetNodeId()}); err != nil {
			t.Fatal(err)
		}
		if _, err := ctl.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: v.id}); err != nil {
			t.Fatal(err)
		}
	}
	phases := []string{"CreateVolume", "ControllerPublishVolume", "NodeStageVolume (first: mkfs)", "NodePublishVolume", "all four"}
	samples := make([][]time.Duration, len(phases))
	var teardown []time.Duration
	for r := range rounds {
		times := make([]time.Duration, len(phases))
		v := up(fmt.Sprintf("bench-%d", r), times)
		t0 := time.Now()
		down(v, true)
		teardown = append(teardown, time.Since(t0))
		for i, d := range times {
			samples[i] = append(samples[i], d)
		}
	}
	// 20 volumes staged at once: created and published first, then every
	// NodeStageVolume in flight together (each volume's lock is its own;
	// logins share the session lock).
	const n = 20
	vols := make([]vol, n)
	for i := range vols {
		vols[i] = up(fmt.Sprintf("many-%d", i), nil)
	}
	parallel := func(f func(i int) error) time.Duration {
		t0 := time.Now()
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range vols {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = f(i) }()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		return time.Since(t0)
	}
	stageAll := parallel(func(i int) error {
		_, err := node.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: vols[i].id, StagingTargetPath: vols[i].staging, VolumeCapability: mount})
		return err
	})
	if out, _ := os.ReadFile("/proc/self/mountinfo"); strings.Count(string(out), dir) < n {
		t.Fatalf("fewer than %d staging mounts after the parallel stage", n)
	}
	unstageAll := parallel(func(i int) error {
		_, err := node.NodeUnstageVolume(ctx, &csi.NodeUnstageVolumeRequest{VolumeId: vols[i].id, StagingTargetPath: vols[i].staging})
		return err
	})
	for _, v := range vols {
		down(v, false)
	}
	assertNoCSITrace(t, "io.cgrun:bench-", filepath.Join(dir, "volumes"))
	assertNoCSITrace(t, "io.cgrun:many-", filepath.Join(dir, "volumes"))

	fmt.Printf("\n### CSI (VM lane)\n\ncgrun csi on tgt, 64 MiB ext4 volumes, %d rounds (median, min, max in ms):\n\n| call | median | min | max |\n|---|---|---|---|\n", rounds)
	for i, p := range phases {
		md, lo, hi := spread(samples[i])
		fmt.Printf("| %s | %.0f | %.0f | %.0f |\n", p, md, lo, hi)
	}
	md, lo, hi := spread(teardown)
	fmt.Printf("| back: NodeUnpublish, NodeUnstage, ControllerUnpublish, DeleteVolume | %.0f | %.0f | %.0f |\n", md, lo, hi)
	fmt.Printf("\n%d volumes (made and published beforehand) staged at once: %.1f s (%.0f ms a volume); unstaged at once: %.1f s.\n",
		n, stageAll.Seconds(), float64(stageAll.Milliseconds())/n, unstageAll.Seconds())
}

// spread is the median, min and max of ds in ms.
func spread(ds []time.Duration) (float64, float64, float64) {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	m := ms(s[len(s)/2])
	if len(s)%2 == 0 {
		m = (ms(s[len(s)/2-1]) + ms(s[len(s)/2])) / 2
	}
	return m, ms(s[0]), ms(s[len(s)-1])
}
