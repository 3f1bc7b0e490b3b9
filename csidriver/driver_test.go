package csidriver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/cgrun/cgrun/volume"
)

const testNode = "iqn.2026-11.io.cgrun.test:node1"

// syncBuf is a log the server writes from its goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// failRunner fails every command: these tests reach no target or
// initiator, and a call that would is a test failure.
type failRunner struct{ t *testing.T }

func (r failRunner) Run(_ context.Context, c volume.Cmd) ([]byte, error) {
	r.t.Errorf("unexpected command %s", c)
	return nil, errors.New("no commands in unit tests")
}

type client struct {
	csi.IdentityClient
	csi.ControllerClient
	csi.NodeClient
}

// serve runs a driver of mode on a socket in a temporary directory.
func serve(t *testing.T, mode Mode) (*client, *volume.Manager, *syncBuf) {
	t.Helper()
	dir := t.TempDir()
	m := volume.NewManager(volume.Options{StateDir: filepath.Join(dir, "volumes"), Runner: failRunner{t}})
	log := &syncBuf{}
	d, err := New(Options{Manager: m, Mode: mode, NodeID: testNode, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	l, cleanup, err := Listen("unix://" + filepath.Join(dir, "csi.sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := d.NewServer()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Stop(); cleanup() })
	conn, err := grpc.NewClient("unix://"+filepath.Join(dir, "csi.sock"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{csi.NewIdentityClient(conn), csi.NewControllerClient(conn), csi.NewNodeClient(conn)}, m, log
}

func mountCap(fs string, mode csi.VolumeCapability_AccessMode_Mode) *csi.VolumeCapability {
	return &csi.VolumeCapability{AccessType: &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{FsType: fs}},
		AccessMode: &csi.VolumeCapability_AccessMode{Mode: mode}}
}

func blockCap() *csi.VolumeCapability {
	return &csi.VolumeCapability{AccessType: &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}},
		AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER}}
}

var rw = mountCap("ext4", csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER)

// csiVol registers a volume as CreateVolume leaves it (no target touched).
func csiVol(t *testing.T, m *volume.Manager, name, csiName string) {
	t.Helper()
	v := &volume.Volume{Name: name, Portal: "127.0.0.1:3260", IQN: "iqn.2025-01.io.cgrun:" + name, LUN: 1, SizeBytes: 32 << 20, CSIName: csiName}
	if err := m.Register(v); err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, what string, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Errorf("%s: code %s (%v), want %s", what, got, err, want)
	}
}

// Every call checks its arguments before anything else, with the codes
// the spec names; none reaches a target or initiator.
func TestArgumentErrors(t *testing.T) {
	c, m, _ := serve(t, ModeAll)
	ctx := context.Background()
	csiVol(t, m, "known", "known")
	multi := mountCap("", csi.VolumeCapability_AccessMode_MULTI_NODE_MULTI_WRITER)
	btrfs := mountCap("btrfs", csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER)
	flags := mountCap("ext4", csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER)
	flags.GetMount().MountFlags = []string{"noatime"}
	noMode := &csi.VolumeCapability{AccessType: &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}}}
	both := []*csi.VolumeCapability{rw, blockCap()}
	src := &csi.VolumeContentSource{Type: &csi.VolumeContentSource_Snapshot{Snapshot: &csi.VolumeContentSource_SnapshotSource{SnapshotId: "s"}}}
	for _, tc := range []struct {
		what string
		call func() error
		want codes.Code
	}{
		{"create: no name", func() error {
			_, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{VolumeCapabilities: []*csi.VolumeCapability{rw}})
			return err
		}, codes.InvalidArgument},
		{"create: no capabilities", func() error { _, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "a"}); return err }, codes.InvalidArgument},
		{"create: multi-node writer", func() error {
			_, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "a", VolumeCapabilities: []*csi.VolumeCapability{multi}})
			return err
		}, codes.InvalidArgument},
		{"create: btrfs", func() error {
			_, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "a", VolumeCapabilities: []*csi.VolumeCapability{btrfs}})
			return err
		}, codes.InvalidArgument},
		{"create: mount flags", func() error {
			_, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "a", VolumeCapabilities: []*csi.VolumeCapability{flags}})
			return err
		}, codes.InvalidArgument},
		{"create: no access mode", func() error {
			_, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "a", VolumeCapabilities: []*csi.VolumeCapability{noMode}})
			return err
		}, codes.InvalidArgument},
		{"create: block and mount", func() error {
			_, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "a", VolumeCapabilities: both})
			return err
		}, codes.InvalidArgument},
		{"create: from a snapshot", func() error {
			_, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "a", VolumeCapabilities: []*csi.VolumeCapability{rw}, VolumeContentSource: src})
			return err
		}, codes.InvalidArgument},
		{"create: unknown parameter", func() error {
			_, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "a", VolumeCapabilities: []*csi.VolumeCapability{rw}, Parameters: map[string]string{"pool": "x"}})
			return err
		}, codes.InvalidArgument},
		{"create: bad provisioner", func() error {
			_, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "a", VolumeCapabilities: []*csi.VolumeCapability{rw}, Parameters: map[string]string{"provisioner": "zfs"}})
			return err
		}, codes.InvalidArgument},
		{"create: limit below required", func() error {
			_, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "a", VolumeCapabilities: []*csi.VolumeCapability{rw}, CapacityRange: &csi.CapacityRange{RequiredBytes: 2 << 20, LimitBytes: 1 << 20}})
			return err
		}, codes.InvalidArgument},
		{"create: no whole MiB in range", func() error {
			_, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "a", VolumeCapabilities: []*csi.VolumeCapability{rw}, CapacityRange: &csi.CapacityRange{RequiredBytes: 1<<20 + 1, LimitBytes: 1<<20 + 2}})
			return err
		}, codes.OutOfRange},
		{"create: name of another volume, other size", func() error {
			_, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "known", VolumeCapabilities: []*csi.VolumeCapability{rw}, CapacityRange: &csi.CapacityRange{RequiredBytes: 64 << 20}})
			return err
		}, codes.AlreadyExists},
		{"create: name of another volume, block", func() error {
			_, err := c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "known", VolumeCapabilities: []*csi.VolumeCapability{blockCap()}})
			return err
		}, codes.AlreadyExists},
		{"delete: no ID", func() error { _, err := c.DeleteVolume(ctx, &csi.DeleteVolumeRequest{}); return err }, codes.InvalidArgument},
		{"delete: unknown ID", func() error {
			_, err := c.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: "nothing-here"})
			return err
		}, codes.OK},
		{"delete: ID no volume can have", func() error { _, err := c.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: "a b/c"}); return err }, codes.OK},
		{"publish: no volume", func() error {
			_, err := c.ControllerPublishVolume(ctx, &csi.ControllerPublishVolumeRequest{NodeId: testNode, VolumeCapability: rw})
			return err
		}, codes.InvalidArgument},
		{"publish: no node", func() error {
			_, err := c.ControllerPublishVolume(ctx, &csi.ControllerPublishVolumeRequest{VolumeId: "known", VolumeCapability: rw})
			return err
		}, codes.InvalidArgument},
		{"publish: no capability", func() error {
			_, err := c.ControllerPublishVolume(ctx, &csi.ControllerPublishVolumeRequest{VolumeId: "known", NodeId: testNode})
			return err
		}, codes.InvalidArgument},
		{"publish: unknown volume", func() error {
			_, err := c.ControllerPublishVolume(ctx, &csi.ControllerPublishVolumeRequest{VolumeId: "nothing-here", NodeId: testNode, VolumeCapability: rw})
			return err
		}, codes.NotFound},
		{"publish: node that is no initiator", func() error {
			_, err := c.ControllerPublishVolume(ctx, &csi.ControllerPublishVolumeRequest{VolumeId: "known", NodeId: "fake-node", VolumeCapability: rw})
			return err
		}, codes.NotFound},
		{"publish: block capability of a mounted volume", func() error {
			_, err := c.ControllerPublishVolume(ctx, &csi.ControllerPublishVolumeRequest{VolumeId: "known", NodeId: testNode, VolumeCapability: blockCap()})
			return err
		}, codes.InvalidArgument},
		{"unpublish: no volume", func() error {
			_, err := c.ControllerUnpublishVolume(ctx, &csi.ControllerUnpublishVolumeRequest{})
			return err
		}, codes.InvalidArgument},
		{"unpublish: unknown volume", func() error {
			_, err := c.ControllerUnpublishVolume(ctx, &csi.ControllerUnpublishVolumeRequest{VolumeId: "nothing-here", NodeId: testNode})
			return err
		}, codes.OK},
		{"unpublish: node it is not published to", func() error {
			_, err := c.ControllerUnpublishVolume(ctx, &csi.ControllerUnpublishVolumeRequest{VolumeId: "known", NodeId: testNode})
			return err
		}, codes.OK},
		{"validate: no volume", func() error {
			_, err := c.ValidateVolumeCapabilities(ctx, &csi.ValidateVolumeCapabilitiesRequest{VolumeCapabilities: []*csi.VolumeCapability{rw}})
			return err
		}, codes.InvalidArgument},
		{"validate: no capabilities", func() error {
			_, err := c.ValidateVolumeCapabilities(ctx, &csi.ValidateVolumeCapabilitiesRequest{VolumeId: "known"})
			return err
		}, codes.InvalidArgument},
		{"validate: unknown volume", func() error {
			_, err := c.ValidateVolumeCapabilities(ctx, &csi.ValidateVolumeCapabilitiesRequest{VolumeId: "nothing-here", VolumeCapabilities: []*csi.VolumeCapability{rw}})
			return err
		}, codes.NotFound},
		{"list: negative max entries", func() error { _, err := c.ListVolumes(ctx, &csi.ListVolumesRequest{MaxEntries: -1}); return err }, codes.InvalidArgument},
		{"stage: no volume", func() error {
			_, err := c.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{StagingTargetPath: "/x", VolumeCapability: rw})
			return err
		}, codes.InvalidArgument},
		{"stage: no staging path", func() error {
			_, err := c.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: "known", VolumeCapability: rw})
			return err
		}, codes.InvalidArgument},
		{"stage: no capability", func() error {
			_, err := c.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: "known", StagingTargetPath: "/x"})
			return err
		}, codes.InvalidArgument},
		{"stage: unknown volume, no context", func() error {
			_, err := c.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: "nothing-here", StagingTargetPath: "/x", VolumeCapability: rw})
			return err
		}, codes.NotFound},
		{"stage: context with a LUN that is no number", func() error {
			_, err := c.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: "nothing-here", StagingTargetPath: "/x", VolumeCapability: rw,
				VolumeContext: map[string]string{"iqn": "iqn.2025-01.io.cgrun:x", "portal": "127.0.0.1:3260", "lun": "one"}})
			return err
		}, codes.InvalidArgument},
		{"stage: block capability of a mounted volume", func() error {
			_, err := c.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: "known", StagingTargetPath: "/x", VolumeCapability: blockCap()})
			return err
		}, codes.InvalidArgument},
		{"unstage: no volume", func() error {
			_, err := c.NodeUnstageVolume(ctx, &csi.NodeUnstageVolumeRequest{StagingTargetPath: "/x"})
			return err
		}, codes.InvalidArgument},
		{"unstage: no staging path", func() error {
			_, err := c.NodeUnstageVolume(ctx, &csi.NodeUnstageVolumeRequest{VolumeId: "known"})
			return err
		}, codes.InvalidArgument},
		{"publish on node: no target", func() error {
			_, err := c.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{VolumeId: "known", StagingTargetPath: "/x", VolumeCapability: rw})
			return err
		}, codes.InvalidArgument},
		{"publish on node: not staged", func() error {
			_, err := c.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{VolumeId: "known", TargetPath: t.TempDir() + "/t", StagingTargetPath: "/x", VolumeCapability: rw})
			return err
		}, codes.FailedPrecondition},
		{"unpublish on node: no target", func() error {
			_, err := c.NodeUnpublishVolume(ctx, &csi.NodeUnpublishVolumeRequest{VolumeId: "known"})
			return err
		}, codes.InvalidArgument},
		{"stats: no path", func() error {
			_, err := c.NodeGetVolumeStats(ctx, &csi.NodeGetVolumeStatsRequest{VolumeId: "known"})
			return err
		}, codes.InvalidArgument},
		{"stats: not staged", func() error {
			_, err := c.NodeGetVolumeStats(ctx, &csi.NodeGetVolumeStatsRequest{VolumeId: "known", VolumePath: "/"})
			return err
		}, codes.NotFound},
		{"health: no volume", func() error { _, err := c.NodeGetVolumeHealth(ctx, &csi.NodeGetVolumeHealthRequest{}); return err }, codes.InvalidArgument},
		{"health: unknown volume", func() error {
			_, err := c.NodeGetVolumeHealth(ctx, &csi.NodeGetVolumeHealthRequest{VolumeId: "nothing-here"})
			return err
		}, codes.NotFound},
	} {
		wantCode(t, tc.what, tc.call(), tc.want)
	}
	// a refused stage registered nothing
	if _, err := m.Store().Get("nothing-here"); !errors.Is(err, volume.ErrNotFound) {
		t.Errorf("a refused stage left a record: %v", err)
	}
}

// A volume of the CLI is not the controller's: not deleted, not published.
func TestCLIVolumeIsNotCSIs(t *testing.T) {
	c, m, _ := serve(t, ModeController)
	ctx := context.Background()
	csiVol(t, m, "mine", "")
	_, err := c.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: "mine"})
	wantCode(t, "delete", err, codes.FailedPrecondition)
	_, err = c.ControllerPublishVolume(ctx, &csi.ControllerPublishVolumeRequest{VolumeId: "mine", NodeId: testNode, VolumeCapability: rw})
	wantCode(t, "publish", err, codes.FailedPrecondition)
	if _, err := m.Store().Get("mine"); err != nil {
		t.Fatalf("the CLI's volume is gone: %v", err)
	}
	// a CreateVolume of its name does not take it over
	_, err = c.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "mine", VolumeCapabilities: []*csi.VolumeCapability{rw}, CapacityRange: &csi.CapacityRange{RequiredBytes: 32 << 20}})
	wantCode(t, "create", err, codes.AlreadyExists)
}

// ListVolumes lists what CSI created, page by page; a token it did not
// give is Aborted.
func TestListVolumesPages(t *testing.T) {
	c, m, _ := serve(t, ModeController)
	ctx := context.Background()
	for i := range 5 {
		csiVol(t, m, fmt.Sprintf("v%d", i), fmt.Sprintf("pvc-%d", i))
	}
	csiVol(t, m, "cli", "")
	var got []string
	token := ""
	pages := 0
	for {
		r, err := c.ListVolumes(ctx, &csi.ListVolumesRequest{MaxEntries: 2, StartingToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range r.GetEntries() {
			got = append(got, e.GetVolume().GetVolumeId())
			if e.GetVolume().GetVolumeContext()["iqn"] != "iqn.2025-01.io.cgrun:"+e.GetVolume().GetVolumeId() || e.GetVolume().GetCapacityBytes() != 32<<20 {
				t.Errorf("entry %v", e.GetVolume())
			}
		}
		if token = r.GetNextToken(); token == "" {
			break
		}
	}
	if strings.Join(got, " ") != "v0 v1 v2 v3 v4" || pages != 3 {
		t.Fatalf("listed %v in %d pages, want v0..v4 in 3", got, pages)
	}
	for _, tok := range []string{"invalid-token", "99", "-1"} {
		_, err := c.ListVolumes(ctx, &csi.ListVolumesRequest{StartingToken: tok})
		wantCode(t, "token "+tok, err, codes.Aborted)
	}
}

// Each mode serves its services; Identity reports the plugin's whole.
func TestModes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		mode             Mode
		controller, node bool
	}{{ModeAll, true, true}, {ModeController, true, false}, {ModeNode, false, true}} {
		c, _, _ := serve(t, tc.mode)
		caps, err := c.GetPluginCapabilities(ctx, &csi.GetPluginCapabilitiesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(caps.GetCapabilities()) != 1 || caps.GetCapabilities()[0].GetService().GetType() != csi.PluginCapability_Service_CONTROLLER_SERVICE {
			t.Errorf("%s: plugin capabilities %v, want the controller service (the plugin's as a whole)", tc.mode, caps.GetCapabilities())
		}
		_, err = c.ControllerGetCapabilities(ctx, &csi.ControllerGetCapabilitiesRequest{})
		if (status.Code(err) == codes.OK) != tc.controller {
			t.Errorf("%s: controller answers %v", tc.mode, err)
		}
		info, err := c.NodeGetInfo(ctx, &csi.NodeGetInfoRequest{})
		if (status.Code(err) == codes.OK) != tc.node {
			t.Errorf("%s: node answers %v", tc.mode, err)
		}
		if tc.node && info.GetNodeId() != testNode {
			t.Errorf("node ID %q, want the initiator IQN", info.GetNodeId())
		}
		pi, err := c.GetPluginInfo(ctx, &csi.GetPluginInfoRequest{})
		if err != nil || pi.GetName() != DriverName {
			t.Errorf("plugin info %v %v", pi, err)
		}
		if p, err := c.Probe(ctx, &csi.ProbeRequest{}); err != nil || !p.GetReady().GetValue() {
			t.Errorf("probe %v %v", p, err)
		}
	}
	if _, err := New(Options{Manager: volume.NewManager(volume.Options{}), Mode: ModeNode}); err == nil {
		t.Error("a node plugin with no node ID was made")
	}
	if _, err := New(Options{Manager: volume.NewManager(volume.Options{}), Mode: ModeNode, NodeID: "node1"}); err == nil {
		t.Error("a node plugin whose ID is no IQN was made")
	}
}

// The call log names the method and the volume, never a secret.
func TestLogHasNoSecrets(t *testing.T) {
	c, _, log := serve(t, ModeAll)
	secret := "s3cret-chap-password-9"
	_, _ = c.CreateVolume(context.Background(), &csi.CreateVolumeRequest{Name: "logged", Secrets: map[string]string{"node.session.auth.password": secret}})
	_, _ = c.NodeStageVolume(context.Background(), &csi.NodeStageVolumeRequest{VolumeId: "logged", Secrets: map[string]string{"password": secret}})
	l := log.String()
	if !strings.Contains(l, "/csi.v1.Controller/CreateVolume name=\"logged\": InvalidArgument") || !strings.Contains(l, "NodeStageVolume volume=logged") {
		t.Errorf("log: %q", l)
	}
	if strings.Contains(l, secret) {
		t.Errorf("the log holds the secret: %q", l)
	}
}

func TestVolumeID(t *testing.T) {
	if VolumeID("pvc-0a1b") != "pvc-0a1b" {
		t.Error("a valid name is its own ID")
	}
	long := strings.Repeat("x", 128)
	for _, n := range []string{long, "sanity name with spaces", "a/b"} {
		id := VolumeID(n)
		if volume.ValidName(id) != nil || id != VolumeID(n) || !strings.HasPrefix(id, "csi-") {
			t.Errorf("ID of %q: %q", n, id)
		}
	}
	if VolumeID(long) == VolumeID(long+"y") {
		t.Error("two names, one ID")
	}
}

func TestSizeOf(t *testing.T) {
	for _, tc := range []struct {
		req, lim, want int64
		code           codes.Code
	}{
		{0, 0, DefaultVolumeSize, codes.OK},
		{1, 0, mib, codes.OK},
		{0, 10 * mib, 10 * mib, codes.OK},
		{3*mib + 1, 0, 4 * mib, codes.OK},
		{3*mib + 1, 3*mib + 2, 0, codes.OutOfRange},
		{2 * mib, mib, 0, codes.InvalidArgument},
		{-1, 0, 0, codes.InvalidArgument},
	} {
		got, err := sizeOf(&csi.CapacityRange{RequiredBytes: tc.req, LimitBytes: tc.lim})
		if status.Code(err) != tc.code || got != tc.want {
			t.Errorf("sizeOf(%d, %d) = %d, %v; want %d, %s", tc.req, tc.lim, got, err, tc.want, tc.code)
		}
	}
	if got, _ := sizeOf(nil); got != DefaultVolumeSize {
		t.Errorf("no range: %d", got)
	}
}

func TestParseEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"unix:///run/cgrun/csi.sock": "unix /run/cgrun/csi.sock",
		"unix:/run/x.sock":           "unix /run/x.sock",
		"tcp://127.0.0.1:10000":      "tcp 127.0.0.1:10000",
		"unix://relative/x.sock":     "",
		"unix://x.sock":              "",
		"tcp://127.0.0.1":            "",
		"/run/x.sock":                "",
		"http://x:1":                 "",
	} {
		n, a, err := ParseEndpoint(in)
		got := ""
		if err == nil {
			got = n + " " + a
		}
		if got != want {
			t.Errorf("ParseEndpoint(%q) = %q (%v), want %q", in, got, err, want)
		}
	}
}

// Listen replaces a socket nobody serves, refuses one a plugin serves and
// anything that is not a socket, and makes its socket 0600.
func TestListen(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "sub", "csi.sock")
	l, cleanup, err := Listen("unix://" + sock)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(sock); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket %v %v, want mode 0600", st, err)
	}
	if _, _, err := Listen("unix://" + sock); err == nil || !strings.Contains(err.Error(), "another plugin") {
		t.Fatalf("a served socket was taken over: %v", err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // a plugin that died: its socket stays
	l2, cleanup2, err := Listen("unix://" + sock)
	if err != nil {
		t.Fatalf("a stale socket was not replaced: %v", err)
	}
	l2.Close()
	cleanup2()
	cleanup()
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Fatalf("socket left: %v", err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Listen("unix://" + file); err == nil {
		t.Fatal("a regular file was replaced by a socket")
	}
}

func TestToStatus(t *testing.T) {
	for err, want := range map[error]codes.Code{
		fmt.Errorf("x: %w", volume.ErrInvalid):        codes.InvalidArgument,
		fmt.Errorf("x: %w", volume.ErrNotFound):       codes.NotFound,
		fmt.Errorf("x: %w", volume.ErrExists):         codes.AlreadyExists,
		&volume.UsersError{Volume: "v"}:               codes.FailedPrecondition,
		fmt.Errorf("x: %w", volume.ErrAuth):           codes.PermissionDenied,
		fmt.Errorf("x: %w", volume.ErrUnreachable):    codes.Unavailable,
		fmt.Errorf("x: %w", context.DeadlineExceeded): codes.DeadlineExceeded,
		errors.New("other"):                           codes.Internal,
		status.Error(codes.Aborted, "kept"):           codes.Aborted,
	} {
		if got := status.Code(toStatus(err)); got != want {
			t.Errorf("toStatus(%v) = %s, want %s", err, got, want)
		}
	}
	if toStatus(nil) != nil {
		t.Error("nil is not an error")
	}
}

// CHAP in CSI secrets: written to files only their owner reads, in a
// 0700 directory of the registry, checked as the library checks them,
// and removed with what they belong to; a bad secret leaves no file.
func TestCHAPSecrets(t *testing.T) {
	dir := t.TempDir()
	m := volume.NewManager(volume.Options{StateDir: filepath.Join(dir, "volumes"), Runner: failRunner{t}})
	d, err := New(Options{Manager: m, Mode: ModeController})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := d.chapFromSecrets("controller.v", map[string]string{"other": "x"}); c != nil || err != nil {
		t.Fatalf("no CHAP secrets: %v %v", c, err)
	}
	for _, bad := range []map[string]string{
		{secretUser: "u"},
		{secretUser: "u", secretPassword: "short"},
		{secretUser: "u", secretPassword: "long-enough-secret", secretMutualUser: "t"},
		{secretUser: "u", secretPassword: "long-enough-secret", secretMutualUser: "t", secretMutualSecret: "has blanks in it"},
	} {
		_, err := d.chapFromSecrets("controller.v", bad)
		wantCode(t, fmt.Sprint(bad), err, codes.InvalidArgument)
		if err != nil && strings.Contains(err.Error(), bad[secretPassword]) && bad[secretPassword] != "" {
			t.Errorf("the error shows the secret: %v", err)
		}
		if ents, _ := os.ReadDir(d.secretDir()); len(ents) > 0 {
			t.Fatalf("a refused secret left %v", ents)
		}
	}
	c, err := d.chapFromSecrets("controller.v", map[string]string{secretUser: "u", secretPassword: "long-enough-secret",
		secretMutualUser: "t", secretMutualSecret: "another-long-secret"})
	if err != nil || c.User != "u" || c.MutualUser != "t" {
		t.Fatalf("CHAP %+v %v", c, err)
	}
	for p, want := range map[string]string{c.SecretFile: "long-enough-secret", c.MutualSecretFile: "another-long-secret"} {
		st, err := os.Stat(p)
		b, _ := os.ReadFile(p)
		if err != nil || st.Mode().Perm() != 0o600 || string(b) != want {
			t.Errorf("%s: %v %v %q", p, st, err, b)
		}
	}
	if st, err := os.Stat(d.secretDir()); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("secret directory %v %v", st, err)
	}
	d.removeSecrets("controller.v")
	if ents, _ := os.ReadDir(d.secretDir()); len(ents) > 0 {
		t.Fatalf("left after removal: %v", ents)
	}
}
