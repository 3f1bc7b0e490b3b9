package volume

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseMultipathStatus(t *testing.T) {
	t.Parallel()
	// Two path groups (failover), the second path failed once; then one
	// group of two paths (multibus) with queue_if_no_path.
	for line, want := range map[string]string{
		"0 131072 multipath 2 0 0 0 2 1 A 0 1 2 8:0 A 0 0 1 E 0 1 2 8:16 F 1 0 1 \n": "[{8:0 true 0 active} {8:16 false 1 enabled}]",
		"0 2097152 multipath 2 1 0 0 1 1 A 0 2 2 8:32 A 0 0 1 8:48 A 3 0 1":          "[{8:32 true 0 active} {8:48 true 3 active}]",
	} {
		got, err := ParseMultipathStatus(line)
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("%q: %v, %v; want %s", line, got, err, want)
		}
	}
	for _, bad := range []string{"", "0 8 linear", "0 8 multipath 2 0", "0 8 multipath 0 0 1 1 X 0 1 0 8:0 A 0", "0 8 multipath 0 0 1 1 A 0 1 0 8:0 Q 0"} {
		if got, err := ParseMultipathStatus(bad); err == nil {
			t.Errorf("%q parsed: %v", bad, got)
		}
	}
}

func TestParseTgtPortals(t *testing.T) {
	t.Parallel()
	got := ParseTgtPortals("Portal: 127.0.0.2:3260,1\nPortal: 127.0.0.1:3260,1\nPortal: [::]:3260,1\n")
	if fmt.Sprint(got) != "[127.0.0.2:3260 127.0.0.1:3260 [::]:3260]" {
		t.Fatalf("portals %v", got)
	}
}

func FuzzParseMultipathStatus(f *testing.F) {
	f.Add("0 131072 multipath 2 0 0 0 2 1 A 0 1 2 8:0 A 0 0 1 E 0 1 2 8:16 F 1 0 1")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseMultipathStatus(s)
	})
}

func TestVolumePortals(t *testing.T) {
	t.Parallel()
	v := Volume{Name: "a", IQN: "iqn.2026-11.test:a", LUN: 1, Portals: []string{"127.0.0.1:3260", "127.0.0.2:3260"}}
	if err := v.Validate(); err != nil || v.Portal != "127.0.0.1:3260" || !v.Multipath() {
		t.Fatalf("%+v: %v", v, err)
	}
	one := Volume{Name: "a", IQN: "iqn.2026-11.test:a", LUN: 1, Portals: []string{"127.0.0.1:3260"}}
	if err := one.Validate(); err != nil || one.Multipath() || one.Portal != "127.0.0.1:3260" || len(one.AllPortals()) != 1 {
		t.Fatalf("%+v: %v", one, err)
	}
	for _, ps := range [][]string{{"127.0.0.1:3260", "127.0.0.1:3260"}, {"127.0.0.1:3260", "nope"}} {
		bad := Volume{Name: "a", IQN: "iqn.2026-11.test:a", LUN: 1, Portals: ps}
		if err := bad.Validate(); err == nil {
			t.Errorf("%v accepted", ps)
		}
	}
	other := Volume{Name: "a", IQN: "iqn.2026-11.test:a", LUN: 1, Portal: "127.0.0.3:3260", Portals: []string{"127.0.0.1:3260", "127.0.0.2:3260"}}
	if err := other.Validate(); err == nil {
		t.Error("a first portal other than Portal accepted")
	}
}

// mpNode simulates two portals of one target: each login makes a session
// whose connection names its portal, with the LUN's disk behind it;
// multipath -a/-w edit a wwids file, `multipath DEV` assembles dm-0 over
// every disk of the same WWID, -f removes it.
type mpNode struct {
	t       *testing.T
	root    string
	r       *fakeRunner
	wwids   []string // per portal index: the WWID its disk reports
	portals []string
	logged  map[int]bool
}

func newMPNode(t *testing.T, wwids ...string) *mpNode {
	n := &mpNode{t: t, root: t.TempDir(), wwids: wwids, portals: []string{"127.0.0.1:3260", "127.0.0.2:3260"}, logged: map[int]bool{}}
	n.r = &fakeRunner{respond: n.respond}
	return n
}

func (n *mpNode) disk(i int) string { return []string{"sda", "sdb"}[i] }

func (n *mpNode) respond(c Cmd) ([]byte, error) {
	a := strings.Join(c.Args, " ")
	idx := -1
	for i, p := range n.portals {
		if strings.Contains(a, "-p "+p+" ") {
			idx = i
		}
	}
	wwidsFile := filepath.Join(n.root, "etc/multipath/wwids")
	switch {
	case c.Name == "multipathd":
		return []byte("pid 42 idle\n"), nil
	case c.Name == "iscsiadm" && a == "-m node":
		return nil, exitErr(c, 21, "iscsiadm: No records found")
	case c.Name == "iscsiadm" && strings.HasSuffix(a, "-o new"):
		rec := "# BEGIN RECORD 2.1.8\nnode.name = " + testIQN + "\niface.iscsi_ifacename = default\n# END RECORD\n"
		writeFile(n.t, n.root, "nodes/"+testIQN+"/"+strings.Replace(n.portals[idx], ":", ",", 1), rec)
	case c.Name == "iscsiadm" && strings.HasSuffix(a, "-o delete"):
		os.Remove(filepath.Join(n.root, "nodes/"+testIQN+"/"+strings.Replace(n.portals[idx], ":", ",", 1)))
	case c.Name == "iscsiadm" && strings.HasSuffix(a, "--login"):
		sid := idx + 1
		fakeSession(n.t, n.root, sid, testIQN, 1, n.disk(idx), n.wwids[idx], fmt.Sprintf("8:%d", 16*idx))
		host, port, _ := strings.Cut(n.portals[idx], ":")
		conn := fmt.Sprintf("sys/class/iscsi_connection/connection%d:0/", sid)
		writeFile(n.t, n.root, conn+"persistent_address", host+"\n")
		writeFile(n.t, n.root, conn+"persistent_port", port+"\n")
		writeFile(n.t, n.root, fmt.Sprintf("sys/class/iscsi_session/session%d/state", sid), "LOGGED_IN\n")
		n.logged[idx] = true
	case c.Name == "iscsiadm" && strings.HasSuffix(a, "--logout"):
		if !n.logged[idx] {
			return nil, exitErr(c, 21, "iscsiadm: No matching sessions found")
		}
		delete(n.logged, idx)
		removeSession(n.root, idx+1, n.disk(idx))
		os.RemoveAll(filepath.Join(n.root, fmt.Sprintf("sys/class/iscsi_connection/connection%d:0", idx+1)))
	case c.Name == "multipath" && len(c.Args) == 2 && c.Args[0] == "-a":
		writeFile(n.t, n.root, "etc/multipath/wwids", "/3"+strings.TrimPrefix(n.wwids[0], "naa.")+"/\n")
	case c.Name == "multipath" && len(c.Args) == 2 && c.Args[0] == "-w":
		writeFile(n.t, n.root, "etc/multipath/wwids", "")
	case c.Name == "multipath" && len(c.Args) == 2 && c.Args[0] == "-f":
		os.RemoveAll(filepath.Join(n.root, "sys/block/dm-0"))
		for i := range n.portals {
			os.RemoveAll(filepath.Join(n.root, "sys/block", n.disk(i), "holders"))
		}
	case c.Name == "multipath" && len(c.Args) == 1:
		w := "3" + strings.TrimPrefix(n.wwids[0], "naa.")
		if b, _ := os.ReadFile(wwidsFile); !strings.Contains(string(b), w) {
			return nil, exitErr(c, 1, "not a known WWID")
		}
		writeFile(n.t, n.root, "sys/block/dm-0/dev", "254:0\n")
		writeFile(n.t, n.root, "sys/block/dm-0/dm/uuid", "mpath-"+w+"\n")
		writeFile(n.t, n.root, "sys/block/dm-0/dm/name", w+"\n")
		writeFile(n.t, n.root, "dev/dm-0", "")
		for i := range n.portals {
			if n.wwids[i] == n.wwids[0] && n.logged[i] {
				writeFile(n.t, n.root, "sys/block/dm-0/slaves/"+n.disk(i), "")
				writeFile(n.t, n.root, "sys/block/"+n.disk(i)+"/holders/dm-0", "")
			}
		}
	case c.Name == "dmsetup":
		return []byte("0 131072 multipath 2 0 0 0 2 1 A 0 1 2 8:0 A 0 0 1 E 0 1 2 8:16 F 1 0 1\n"), nil
	}
	return nil, nil
}

func (n *mpNode) manager(t *testing.T, mnt Mounter) *Manager {
	m := NewManager(Options{StateDir: filepath.Join(t.TempDir(), "state"), Runner: n.r, SysRoot: n.root, Mounter: mnt,
		ISCSINodeDir: filepath.Join(n.root, "nodes"), ISCSILockDir: filepath.Join(n.root, "lock"),
		MultipathWWIDs: "etc/multipath/wwids", DeviceTimeout: 300 * time.Millisecond, Poll: 10 * time.Millisecond})
	if err := m.Register(&Volume{Name: "data", Portals: n.portals, IQN: testIQN, LUN: 1, Mode: ModeBlock}); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMultipathAttachDetach(t *testing.T) {
	n := newMPNode(t, "naa.600a", "naa.600a")
	m := n.manager(t, &fakeMounter{})
	ctx := context.Background()
	e, err := m.Attach(ctx, "data", "c1", false)
	if err != nil {
		t.Fatal(err)
	}
	if e.Device != filepath.Join(n.root, "dev/dm-0") || e.Major != 254 || e.Minor != 0 {
		t.Fatalf("exposure %+v", e)
	}
	for _, p := range []string{"127.0.0.1,3260", "127.0.0.2,3260"} {
		rec, _ := os.ReadFile(filepath.Join(n.root, "nodes", testIQN, p))
		for _, kv := range []string{"node.session.timeo.replacement_timeout = 5", "node.conn[0].timeo.noop_out_interval = 5", "node.startup = manual"} {
			if !strings.Contains(string(rec), "\n"+kv+"\n") {
				t.Errorf("record of %s lacks %q:\n%s", p, kv, rec)
			}
		}
	}
	for _, want := range []string{
		"-p 127.0.0.2:3260 -I default --login",
		"multipath -a " + n.root + "/dev/sda\nmultipath " + n.root + "/dev/sda",
	} {
		if !strings.Contains(n.r.joined(), want) {
			t.Errorf("no %q in\n%s", want, n.r.joined())
		}
	}
	a, _ := m.Store().Attachment("data")
	if a.Map != "3600a" || a.WWID != "3600a" || a.Disk != "dm-0" || len(a.Paths) != 2 || a.Paths[1].Disk != "sdb" {
		t.Fatalf("attachment %+v", a)
	}
	paths, err := m.Paths(ctx, "data")
	if err != nil || fmt.Sprint(paths) != "[{127.0.0.1:3260 sda LOGGED_IN  active active 0} {127.0.0.2:3260 sdb LOGGED_IN  failed enabled 1}]" {
		t.Fatalf("paths %v, %v", paths, err)
	}
	n.r.calls = nil
	if err := m.Detach(ctx, "data", "c1"); err != nil {
		t.Fatal(err)
	}
	got := n.r.joined()
	iw, iflush, idel := strings.Index(got, "multipath -w 3600a"), strings.Index(got, "multipath -f 3600a"), strings.Index(got, "--logout")
	if iw < 0 || iflush < iw || idel < iflush {
		t.Fatalf("detach: forget, flush the map, then log out:\n%s", got)
	}
	if len(n.logged) != 0 {
		t.Fatalf("sessions left: %v", n.logged)
	}
	if b, _ := os.ReadFile(filepath.Join(n.root, "etc/multipath/wwids")); strings.Contains(string(b), "600a") {
		t.Fatalf("wwids file kept %q", b)
	}
}

// Two portals that lead to different LUNs must never be assembled: the
// attach is refused before multipath hears of either, and undone.
func TestMultipathRefusesDifferentWWIDs(t *testing.T) {
	n := newMPNode(t, "naa.600a", "naa.600b")
	m := n.manager(t, &fakeMounter{})
	_, err := m.Attach(context.Background(), "data", "c1", false)
	if !errors.Is(err, ErrIdentity) || !strings.Contains(err.Error(), "path 127.0.0.2:3260") {
		t.Fatalf("attach: %v", err)
	}
	if strings.Contains(n.r.joined(), "multipath -a") || len(n.logged) != 0 {
		t.Fatalf("commands:\n%s\nsessions %v", n.r.joined(), n.logged)
	}
	if a, _ := m.Store().Attachment("data"); a != nil {
		t.Fatalf("attach state left: %+v", a)
	}
}

// A crash between `multipath -a` and the map: the WWID recorded before it
// was added is forgotten by the reconcile.
func TestMultipathReconcileAfterWWIDAdded(t *testing.T) {
	n := newMPNode(t, "naa.600a", "naa.600a")
	m := n.manager(t, &fakeMounter{})
	m.opts.AfterStep = func(p Phase) {
		if p == PhaseMultipath {
			panic("crash")
		}
	}
	func() {
		defer func() { _ = recover() }()
		_, _ = m.Attach(context.Background(), "data", "c1", false)
	}()
	m.opts.AfterStep = nil
	if a, _ := m.Store().Attachment("data"); a == nil || a.WWID != "3600a" {
		t.Fatalf("the WWID was not recorded before multipath -a: %+v", a)
	}
	_, _ = n.respond(Cmd{Name: "multipath", Args: []string{"-a", "/dev/sda"}}) // the dead process's last act
	if err := m.Reconcile(context.Background(), "data", nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(n.root, "etc/multipath/wwids")); strings.Contains(string(b), "600a") || len(n.logged) != 0 {
		t.Fatalf("left: wwids %q sessions %v\n%s", b, n.logged, n.r.joined())
	}
}

// A crash after the map was assembled: reconcile forgets the WWID, flushes
// the map and logs out of both paths.
func TestMultipathReconcileAfterCrash(t *testing.T) {
	n := newMPNode(t, "naa.600a", "naa.600a")
	m := n.manager(t, &fakeMounter{})
	crash := errors.New("crash")
	m.opts.AfterStep = func(p Phase) {
		if p == PhaseMultipath {
			panic(crash)
		}
	}
	func() {
		defer func() { _ = recover() }()
		_, _ = m.Attach(context.Background(), "data", "c1", false)
	}()
	m.opts.AfterStep = nil
	// the crashed attach's step ran as far as multipath -a + assemble in a
	// process that died: simulate it
	_, _ = n.respond(Cmd{Name: "multipath", Args: []string{"-a", "/dev/sda"}})
	_, _ = n.respond(Cmd{Name: "multipath", Args: []string{"/dev/sda"}})
	if err := m.Reconcile(context.Background(), "data", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(n.root, "sys/block/dm-0")); err == nil || len(n.logged) != 0 {
		t.Fatalf("left: map %v sessions %v\n%s", err, n.logged, n.r.joined())
	}
}
