package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/kubernetes-csi/csi-test/v5/pkg/sanity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/cgrun/cgrun/integration/testutil"
)

// CSI plugin tests (the VM lane: the kernel's initiator, tgt): the
// Kubernetes CSI sanity suite against `cgrun csi`, controller and node in
// one process and in two (each with its own registry, as on two hosts),
// and a plugin killed with SIGKILL in the middle of NodeStageVolume.

// csiPlugin is one `cgrun csi` process this test started.
type csiPlugin struct {
	cmd  *exec.Cmd
	sock string
	log  string
	done chan error
}

// startCSI starts `cgrun csi` on DIR/NAME.sock and waits until it answers;
// the test's cleanup stops it with SIGTERM and checks it ended cleanly.
func startCSI(t *testing.T, dir, name string, args ...string) *csiPlugin {
	t.Helper()
	p := &csiPlugin{sock: filepath.Join(dir, name+".sock"), log: filepath.Join(dir, name+".log"), done: make(chan error, 1)}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p.cmd = exec.Command(testutil.CgrunBin(t), append([]string{"csi", "--endpoint", "unix://" + p.sock}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("unix", p.sock); err == nil {
			c.Close()
			return p
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("cgrun csi %v ended: %v: %s", args, err, p.logText())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("cgrun csi %v: no answer on %s in 30 s: %s", args, p.sock, p.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *csiPlugin) logText() string { b, _ := os.ReadFile(p.log); return string(b) }

// stop ends the plugin with SIGTERM: it exits 0 and removes its socket.
// A plugin the test killed already is only reaped.
func (p *csiPlugin) stop(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Errorf("cgrun csi after SIGTERM: %v: %s", err, p.logText())
		}
		if _, err := os.Stat(p.sock); err == nil {
			t.Errorf("socket %s left after SIGTERM", p.sock)
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Errorf("cgrun csi did not end 30 s after SIGTERM: %s", p.logText())
	}
}

// kill ends the plugin with SIGKILL.
func (p *csiPlugin) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	err := <-p.done
	p.done <- err
}

// assertNoCSITrace fails when a session, node record, target or mount of
// a volume the plugin made (its IQN holds prefix) is left, or a record in
// one of the registries.
func assertNoCSITrace(t *testing.T, prefix string, registries ...string) {
	t.Helper()
	for _, c := range [][]string{{"iscsiadm", "-m", "session"}, {"iscsiadm", "-m", "node"}, {"tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target"}} {
		if out, _ := exec.Command(c[0], c[1:]...).CombinedOutput(); strings.Contains(string(out), prefix) {
			t.Errorf("%s shows a volume of the test:\n%s", strings.Join(c, " "), out)
		}
	}
	for _, r := range registries {
		if b, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(b), r) {
			t.Errorf("mount under %s left", r)
		}
		ents, _ := os.ReadDir(r)
		for _, e := range ents {
			if _, err := os.Stat(filepath.Join(r, e.Name(), "volume.json")); err == nil {
				t.Errorf("volume %s left in registry %s", e.Name(), r)
			}
		}
	}
}

// The CSI sanity suite passes against cgrun csi serving controller and
// node in one process, with thin volumes on LIO (snapshots, clones,
// expansion), in two processes with a registry each and file-backed
// volumes on tgt behind CHAP given in CSI secrets (the node registers what
// it stages from the volume context and its stage secrets), and with raw
// block volumes (csi-sanity's block access type) in one process. Nothing is
// left after either: no session, node record, target, mount, LV, record
// or secret file, and no log holds the secret.
func TestCSISanity(t *testing.T) {
	testutil.RequireThinPool(t)
	for _, deploy := range []string{"one-process", "two-processes", "block"} {
		t.Run(deploy, func(t *testing.T) {
			dir := t.TempDir()
			var addr, caddr, secrets string
			var registries []string
			min, access := minSanitySpecs, "mount"
			switch deploy {
			case "one-process":
				reg := filepath.Join(dir, "volumes")
				addr = "unix://" + startCSI(t, dir, "all", "--mode", "all", "--state-dir", reg,
					"--provisioner", "lio", "--portal", lioPortal, "--thin-pool", testutil.ThinPool).sock
				registries = []string{reg}
				min = minSanitySpecsThin
			case "block":
				reg := filepath.Join(dir, "volumes")
				addr = "unix://" + startCSI(t, dir, "all", "--mode", "all", "--state-dir", reg).sock
				registries = []string{reg}
				min, access = minSanitySpecsBlock, "block"
			default:
				creg, nreg := filepath.Join(dir, "controller"), filepath.Join(dir, "node")
				caddr = "unix://" + startCSI(t, dir, "controller", "--mode", "controller", "--state-dir", creg).sock
				addr = "unix://" + startCSI(t, dir, "node", "--mode", "node", "--state-dir", nreg).sock
				registries = []string{creg, nreg}
				secrets = filepath.Join(dir, "secrets.yaml")
				chap := "    node.session.auth.username: sanity\n    node.session.auth.password: " + sanityCHAPSecret + "\n"
				if err := os.WriteFile(secrets, []byte("CreateVolumeSecret:\n"+chap+"NodeStageVolumeSecret:\n"+chap), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			// Ginkgo runs one suite per process: the suite runs in a
			// child of this test binary.
			c := exec.Command(os.Args[0], "-test.run=^TestCSISanitySuite$", "-test.v", "-test.timeout=10m", "-ginkgo.no-color")
			c.Env = append(os.Environ(), "CGRUN_CSI_SANITY_ADDR="+addr, "CGRUN_CSI_SANITY_CONTROLLER="+caddr, "CGRUN_CSI_SANITY_DIR="+dir,
				"CGRUN_CSI_SANITY_SECRETS="+secrets, "CGRUN_CSI_SANITY_ACCESS="+access)
			out, err := c.CombinedOutput()
			ran := regexp.MustCompile(`Ran (\d+) of (\d+) Specs[^\n]*\n\s*(SUCCESS|FAIL)! -- (\d+) Passed \| (\d+) Failed`).FindStringSubmatch(string(out))
			if err != nil || ran == nil || ran[3] != "SUCCESS" {
				t.Fatalf("csi-sanity: %v\n%s", err, tail(string(out), 12000))
			}
			t.Logf("csi-sanity (%s): ran %s of %s specs, %s passed, %s failed", deploy, ran[1], ran[2], ran[4], ran[5])
			logCallTimes(t, dir)
			// the specs the plugin's capabilities select (a capability
			// lost would skip its specs, and the suite still succeed)
			if n, _ := strconv.Atoi(ran[1]); n < min || ran[4] != ran[1] {
				t.Fatalf("csi-sanity ran %s specs, %s passed; want all of at least %d", ran[1], ran[4], min)
			}
			assertNoCSITrace(t, "io.cgrun:sanity", registries...)
			assertNoCSITrace(t, "io.cgrun:csi-", registries...)
			if left := lvsOfTest(t, "sanity", "csi"); len(left) > 0 {
				t.Errorf("LVs left: %v", left)
			}
			for _, r := range registries {
				if ents, _ := os.ReadDir(filepath.Join(r, ".csi-secrets")); len(ents) > 0 {
					t.Errorf("secret files left in %s: %d", r, len(ents))
				}
			}
			logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
			for _, l := range logs {
				if b, _ := os.ReadFile(l); strings.Contains(string(b), sanityCHAPSecret) {
					t.Errorf("%s holds the CHAP secret", l)
				}
			}
		})
	}
}

// sanityCHAPSecret is the CHAP secret of the two-process deployment.
const sanityCHAPSecret = "sanity-chap-secret-7f3a"

// minSanitySpecs is how many of csi-sanity's specs the plugin's
// capabilities select: Identity, Controller (create, delete, publish,
// list, capacity), Node (stage, publish, stats, health).
const minSanitySpecs = 51

// minSanitySpecsBlock is how many a raw block deployment selects.
const minSanitySpecsBlock = 51

// minSanitySpecsThin adds the specs of snapshots, clones and expansion.
const minSanitySpecsThin = 70

// logCallTimes sums the plugins' call log (one line per call, with its
// time) by method.
func logCallTimes(t *testing.T, dir string) {
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	sum := map[string]time.Duration{}
	count := map[string]int{}
	re := regexp.MustCompile(`^csi: /csi\.v1\.\w+/(\w+) .*\((\S+)\)$`)
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		for _, line := range strings.Split(string(b), "\n") {
			if m := re.FindStringSubmatch(line); m != nil {
				d, _ := time.ParseDuration(m[2])
				sum[m[1]] += d
				count[m[1]]++
			}
		}
	}
	var parts []string
	for m, d := range sum {
		if d > time.Second {
			parts = append(parts, fmt.Sprintf("%s %dx %s", m, count[m], d.Round(100*time.Millisecond)))
		}
	}
	sort.Strings(parts)
	t.Logf("plugin time by call: %s", strings.Join(parts, ", "))
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// TestCSISanitySuite is the suite itself, run by TestCSISanity in a child.
func TestCSISanitySuite(t *testing.T) {
	addr := os.Getenv("CGRUN_CSI_SANITY_ADDR")
	if addr == "" {
		t.Skip("run by TestCSISanity")
	}
	dir := os.Getenv("CGRUN_CSI_SANITY_DIR")
	cfg := sanity.NewTestConfig()
	cfg.Address = addr
	cfg.ControllerAddress = os.Getenv("CGRUN_CSI_SANITY_CONTROLLER")
	cfg.TargetPath = filepath.Join(dir, "target")
	cfg.StagingPath = filepath.Join(dir, "staging")
	cfg.TestVolumeSize = 32 << 20
	cfg.TestVolumeExpandSize = 64 << 20
	cfg.SecretsFile = os.Getenv("CGRUN_CSI_SANITY_SECRETS")
	cfg.IdempotentCount = 2
	cfg.TestVolumeAccessType = os.Getenv("CGRUN_CSI_SANITY_ACCESS")
	sanity.Test(t, cfg)
}

// csiClients dials a plugin.
func csiClients(t *testing.T, sock string) (csi.ControllerClient, csi.NodeClient) {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return csi.NewControllerClient(conn), csi.NewNodeClient(conn)
}

// csiPublish makes volume name with capability vc (CreateVolume secrets
// and content source when given) and publishes it to node's node; it
// returns the volume and the node's ID. Its cleanup unpublishes and
// deletes the volume (both idempotent), so a failed test leaves no target
// or LV to the tests after it.
func csiPublish(t *testing.T, ctl csi.ControllerClient, node csi.NodeClient, name string, size int64, vc *csi.VolumeCapability,
	secrets map[string]string, src *csi.VolumeContentSource) (*csi.Volume, string) {
	t.Helper()
	ctx := context.Background()
	info, err := node.NodeGetInfo(ctx, &csi.NodeGetInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ctl.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: name, CapacityRange: &csi.CapacityRange{RequiredBytes: size},
		VolumeCapabilities: []*csi.VolumeCapability{vc}, Secrets: secrets, VolumeContentSource: src})
	if err != nil {
		t.Fatalf("CreateVolume %s: %v", name, err)
	}
	id := r.GetVolume().GetVolumeId()
	t.Cleanup(func() {
		_, _ = ctl.ControllerUnpublishVolume(ctx, &csi.ControllerUnpublishVolumeRequest{VolumeId: id, NodeId: info.GetNodeId()})
		_, _ = ctl.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: id})
	})
	if _, err := ctl.ControllerPublishVolume(ctx, &csi.ControllerPublishVolumeRequest{VolumeId: id, NodeId: info.GetNodeId(), VolumeCapability: vc}); err != nil {
		t.Fatalf("ControllerPublishVolume %s: %v", name, err)
	}
	return r.GetVolume(), info.GetNodeId()
}

// csiUnstageDelete undoes csiPublish after a stage at staging:
// NodeUnstage, ControllerUnpublish, DeleteVolume, each call checked.
func csiUnstageDelete(t *testing.T, ctl csi.ControllerClient, node csi.NodeClient, id, nodeID, staging string) {
	t.Helper()
	ctx := context.Background()
	if _, err := node.NodeUnstageVolume(ctx, &csi.NodeUnstageVolumeRequest{VolumeId: id, StagingTargetPath: staging}); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl.ControllerUnpublishVolume(ctx, &csi.ControllerUnpublishVolumeRequest{VolumeId: id, NodeId: nodeID}); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: id}); err != nil {
		t.Fatal(err)
	}
}

// mountsAt counts the mounts whose mount point is path.
func mountsAt(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 4 && f[4] == path {
			n++
		}
	}
	return n
}

// sessionsTo counts the iSCSI sessions to iqn.
func sessionsTo(iqn string) int {
	out, _ := exec.Command("iscsiadm", "-m", "session").CombinedOutput()
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) >= 4 && f[3] == iqn {
			n++
		}
	}
	return n
}

// cgrun csi killed with SIGKILL after each recorded step of NodeStage (the
// node record, the login, the disk, the format, the mount): a new plugin
// on the same registry and socket, and the CO's retried call, end with one
// session, one staging mount and the last round's file intact; then
// unstage, unpublish and delete leave nothing.
func TestCSIStageCrash(t *testing.T) {
	testutil.RequireISCSI(t)
	dir := t.TempDir()
	reg := filepath.Join(dir, "volumes")
	staging := filepath.Join(dir, "staging")
	if err := os.Mkdir(staging, 0o750); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := startCSI(t, dir, "csi", "--state-dir", reg)
	ctl, node := csiClients(t, p.sock)
	info, err := node.NodeGetInfo(ctx, &csi.NodeGetInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	mount := &csi.VolumeCapability{AccessType: &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{FsType: "ext4"}},
		AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER}}
	vol, err := ctl.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "crash-stage", CapacityRange: &csi.CapacityRange{RequiredBytes: 16 << 20},
		VolumeCapabilities: []*csi.VolumeCapability{mount}})
	if err != nil {
		t.Fatal(err)
	}
	id := vol.GetVolume().GetVolumeId()
	iqn := vol.GetVolume().GetVolumeContext()["iqn"]
	if _, err := ctl.ControllerPublishVolume(ctx, &csi.ControllerPublishVolumeRequest{VolumeId: id, NodeId: info.GetNodeId(), VolumeCapability: mount}); err != nil {
		t.Fatal(err)
	}
	p.stop(t)
	stage := &csi.NodeStageVolumeRequest{VolumeId: id, StagingTargetPath: staging, VolumeCapability: mount, VolumeContext: vol.GetVolume().GetVolumeContext()}
	for i, step := range []string{"record", "login", "device", "format", "mount"} {
		t.Run(step, func(t *testing.T) {
			crashed := startCSI(t, dir, "csi", "--state-dir", reg, "--pause-after", step)
			_, cnode := csiClients(t, crashed.sock)
			go func() { _, _ = cnode.NodeStageVolume(ctx, stage) }()
			deadline := time.Now().Add(90 * time.Second)
			for !strings.Contains(crashed.logText(), "paused after "+step) {
				if time.Now().After(deadline) {
					t.Fatalf("never paused after %s: %s", step, crashed.logText())
				}
				time.Sleep(50 * time.Millisecond)
			}
			crashed.kill(t)
			// a new plugin: the stale socket is replaced, the CO retries
			p := startCSI(t, dir, "csi", "--state-dir", reg)
			_, node := csiClients(t, p.sock)
			if _, err := node.NodeStageVolume(ctx, stage); err != nil {
				t.Fatalf("NodeStageVolume retried after a crash after %s: %v", step, err)
			}
			if _, err := node.NodeStageVolume(ctx, stage); err != nil {
				t.Fatalf("NodeStageVolume again: %v", err)
			}
			if n := sessionsTo(iqn); n != 1 {
				t.Fatalf("%d sessions to %s, want 1", n, iqn)
			}
			if n := mountsAt(t, staging); n != 1 {
				t.Fatalf("%d mounts at the staging path, want 1", n)
			}
			// each round writes its number; the next finds it after its crash
			f := filepath.Join(staging, "round")
			if i > 0 {
				if b, err := os.ReadFile(f); err != nil || string(b) != strconv.Itoa(i-1) {
					t.Fatalf("after the crash the volume holds %q (%v), want %d", b, err, i-1)
				}
			}
			if err := os.WriteFile(f, []byte(strconv.Itoa(i)), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := node.NodeUnstageVolume(ctx, &csi.NodeUnstageVolumeRequest{VolumeId: id, StagingTargetPath: staging}); err != nil {
				t.Fatal(err)
			}
			if n := sessionsTo(iqn); n != 0 {
				t.Fatalf("%d sessions to %s after unstage", n, iqn)
			}
			if n := mountsAt(t, staging); n != 0 {
				t.Fatalf("%d mounts at the staging path after unstage", n)
			}
			p.stop(t)
		})
	}
	p = startCSI(t, dir, "csi", "--state-dir", reg)
	ctl, _ = csiClients(t, p.sock)
	if _, err := ctl.ControllerUnpublishVolume(ctx, &csi.ControllerUnpublishVolumeRequest{VolumeId: id, NodeId: info.GetNodeId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: id}); err != nil {
		t.Fatal(err)
	}
	assertNoCSITrace(t, iqn, reg)
}

// CHAP through CSI secrets, controller and node in two processes with a
// registry each: the volume made with CHAP in its CreateVolume secrets
// refuses a stage with no secrets (InvalidArgument: the volume context
// says it needs CHAP) and one with a wrong password (PermissionDenied:
// tgt refused the login), stages with the right one, and leaves no
// secret in a log or a file after.
func TestCSICHAP(t *testing.T) {
	testutil.RequireISCSI(t)
	dir := t.TempDir()
	creg, nreg := filepath.Join(dir, "controller"), filepath.Join(dir, "node")
	cp := startCSI(t, dir, "controller", "--mode", "controller", "--state-dir", creg)
	np := startCSI(t, dir, "node", "--mode", "node", "--state-dir", nreg)
	ctl, _ := csiClients(t, cp.sock)
	_, node := csiClients(t, np.sock)
	ctx := context.Background()
	mount := &csi.VolumeCapability{AccessType: &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{}},
		AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER}}
	secret := "chap-secret-of-the-test-1"
	creds := map[string]string{"node.session.auth.username": "chapuser", "node.session.auth.password": secret}
	vol, nodeID := csiPublish(t, ctl, node, "chap-vol", 16<<20, mount, creds, nil)
	id := vol.GetVolumeId()
	staging := filepath.Join(dir, "staging")
	if err := os.Mkdir(staging, 0o750); err != nil {
		t.Fatal(err)
	}
	stage := func(s map[string]string) error {
		_, err := node.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: id, StagingTargetPath: staging, VolumeCapability: mount,
			VolumeContext: vol.GetVolumeContext(), Secrets: s})
		return err
	}
	if err := stage(nil); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("a stage with no secrets: %v, want InvalidArgument", err)
	}
	wrong := map[string]string{"node.session.auth.username": "chapuser", "node.session.auth.password": "not-the-right-secret"}
	if err := stage(wrong); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("a stage with a wrong password: %v, want PermissionDenied", err)
	}
	// the CO's retry with the right secret (the refused stage's
	// registration takes it)
	if err := stage(creds); err != nil {
		t.Fatalf("a stage with the volume's CHAP: %v", err)
	}
	if n := mountsAt(t, staging); n != 1 {
		t.Fatalf("%d mounts at the staging path", n)
	}
	csiUnstageDelete(t, ctl, node, id, nodeID, staging)
	assertNoCSITrace(t, vol.GetVolumeContext()["iqn"], creg, nreg)
	for _, r := range []string{creg, nreg} {
		if ents, _ := os.ReadDir(filepath.Join(r, ".csi-secrets")); len(ents) > 0 {
			t.Errorf("secret files left in %s: %d", r, len(ents))
		}
	}
	for _, p := range []*csiPlugin{cp, np} {
		if l := p.logText(); strings.Contains(l, secret) || strings.Contains(l, "not-the-right-secret") {
			t.Errorf("%s holds a CHAP secret", p.log)
		}
	}
}

// A raw block volume through CSI: staged without a filesystem, published
// as its disk's device node bound on a file the plugin makes; what is
// written through one publication is read back through the next; stats
// give the device's size at the target and NotFound elsewhere; its health
// turns INACCESSIBLE when its session is logged out behind the plugin's
// back, and unstage still ends it; nothing is left after.
func TestCSIBlock(t *testing.T) {
	testutil.RequireISCSI(t)
	dir := t.TempDir()
	reg := filepath.Join(dir, "volumes")
	p := startCSI(t, dir, "csi", "--state-dir", reg)
	ctl, node := csiClients(t, p.sock)
	ctx := context.Background()
	block := &csi.VolumeCapability{AccessType: &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}},
		AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER}}
	vol, nodeID := csiPublish(t, ctl, node, "raw", 16<<20, block, nil, nil)
	id := vol.GetVolumeId()
	staging := filepath.Join(dir, "staging")
	if err := os.Mkdir(staging, 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := node.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: id, StagingTargetPath: staging, VolumeCapability: block,
		VolumeContext: vol.GetVolumeContext()}); err != nil {
		t.Fatal(err)
	}
	payload := []byte("raw block through csi")
	for round, target := range []string{filepath.Join(dir, "pod1", "dev"), filepath.Join(dir, "pod2", "dev")} {
		if _, err := node.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{VolumeId: id, StagingTargetPath: staging, TargetPath: target, VolumeCapability: block}); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(target)
		if err != nil || st.Mode()&os.ModeDevice == 0 {
			t.Fatalf("target %s: %v %v, want a block device", target, st, err)
		}
		f, err := os.OpenFile(target, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			if _, err = f.WriteAt(payload, 4096); err == nil {
				err = f.Sync()
			}
		} else {
			got := make([]byte, len(payload))
			if _, err = f.ReadAt(got, 4096); err == nil && string(got) != string(payload) {
				err = fmt.Errorf("read back %q", got)
			}
		}
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		stats, err := node.NodeGetVolumeStats(ctx, &csi.NodeGetVolumeStatsRequest{VolumeId: id, VolumePath: target})
		if err != nil || len(stats.GetUsage()) != 1 || stats.GetUsage()[0].GetTotal() != 16<<20 {
			t.Fatalf("stats at the target: %v %v", stats, err)
		}
		if _, err := node.NodeGetVolumeStats(ctx, &csi.NodeGetVolumeStatsRequest{VolumeId: id, VolumePath: staging}); status.Code(err) != codes.NotFound {
			t.Fatalf("stats where the volume is not: %v", err)
		}
		if _, err := node.NodeUnpublishVolume(ctx, &csi.NodeUnpublishVolumeRequest{VolumeId: id, TargetPath: target}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(target); !os.IsNotExist(err) {
			t.Fatalf("target left after unpublish: %v", err)
		}
	}
	// the volume's health: normal while its session is logged in,
	// INACCESSIBLE once the session is gone behind the plugin's back
	iqn := vol.GetVolumeContext()["iqn"]
	health := func() []*csi.VolumeHealth_VolumeHealthEntry {
		h, err := node.NodeGetVolumeHealth(ctx, &csi.NodeGetVolumeHealthRequest{VolumeId: id})
		if err != nil {
			t.Fatalf("NodeGetVolumeHealth: %v", err)
		}
		return h.GetVolumeHealth().GetHealthStatuses()
	}
	if h := health(); len(h) != 0 {
		t.Fatalf("a logged-in volume's health: %v", h)
	}
	if out, err := exec.Command("iscsiadm", "-m", "node", "-T", iqn, "-u").CombinedOutput(); err != nil {
		t.Fatalf("logout behind the plugin's back: %v: %s", err, out)
	}
	if h := health(); len(h) != 1 || h[0].GetStatus() != csi.VolumeHealthErrorType_INACCESSIBLE {
		t.Fatalf("health with its session gone: %v, want INACCESSIBLE", h)
	}
	csiUnstageDelete(t, ctl, node, id, nodeID, staging)
	assertNoCSITrace(t, iqn, reg)
}
