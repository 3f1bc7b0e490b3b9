package volume

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testIQN = "iqn.2024-01.test.cgrun:vol1"

// node simulates the kernel and iscsiadm: login makes the session's sysfs
// tree, logout removes it; node records live in a set.
type node struct {
	t        *testing.T
	root     string
	records  map[string]bool
	loggedIn bool
	loginErr int
	blank    bool
	r        *fakeRunner
}

func newNode(t *testing.T) *node {
	n := &node{t: t, root: t.TempDir(), records: map[string]bool{}, blank: true}
	n.r = &fakeRunner{respond: n.respond}
	return n
}

func (n *node) respond(c Cmd) ([]byte, error) {
	a := strings.Join(c.Args, " ")
	switch {
	case c.Name == "iscsiadm" && a == "-m node":
		if len(n.records) == 0 {
			return nil, exitErr(c, 21, "iscsiadm: No records found")
		}
		return []byte("127.0.0.1:3260,4294967295 " + testIQN + "\n"), nil
	case c.Name == "iscsiadm" && strings.HasSuffix(a, "-o new"):
		n.records[testIQN] = true
		// as iscsiadm -o new writes a static record: NODES/IQN/HOST,PORT
		dir := filepath.Join(n.root, "nodes", testIQN)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			n.t.Fatal(err)
		}
		rec := "# BEGIN RECORD 2.1.8\nnode.name = " + testIQN + "\niface.iscsi_ifacename = default\nnode.session.auth.authmethod = None\n# END RECORD\n"
		if err := os.WriteFile(filepath.Join(dir, "127.0.0.1,3260"), []byte(rec), 0o600); err != nil {
			n.t.Fatal(err)
		}
	case c.Name == "iscsiadm" && strings.HasSuffix(a, "-o delete"):
		if !n.records[testIQN] {
			return nil, exitErr(c, 21, "iscsiadm: No records found")
		}
		delete(n.records, testIQN)
	case c.Name == "iscsiadm" && strings.HasSuffix(a, "--login"):
		if n.loginErr != 0 {
			out, _ := fixture(n.t, "iscsiadm-login-masked.txt")
			return nil, exitErr(c, n.loginErr, out)
		}
		if n.loggedIn {
			return nil, exitErr(c, 15, "already present")
		}
		n.loggedIn = true
		fakeSession(n.t, n.root, 1, testIQN, 1, "sda", "naa.60000000000000000e00000000010001", "8:0")
	case c.Name == "iscsiadm" && strings.HasSuffix(a, "--logout"):
		if !n.loggedIn {
			return nil, exitErr(c, 21, "iscsiadm: No matching sessions found")
		}
		n.loggedIn = false
		removeSession(n.root, 1, "sda")
	case c.Name == "blkid":
		if n.blank {
			return nil, exitErr(c, 2, "")
		}
		return []byte("TYPE=ext4\nUSAGE=filesystem\n"), nil
	case c.Name == "mkfs.ext4":
		n.blank = false
	}
	return nil, nil
}

func (n *node) manager(t *testing.T, mnt Mounter) *Manager {
	m := NewManager(Options{StateDir: filepath.Join(t.TempDir(), "state"), Runner: n.r, SysRoot: n.root, Mounter: mnt,
		ISCSINodeDir: filepath.Join(n.root, "nodes"), ISCSILockDir: filepath.Join(n.root, "lock"),
		DeviceTimeout: 300 * time.Millisecond, Poll: 10 * time.Millisecond})
	if err := m.Register(&Volume{Name: "data", Portal: "127.0.0.1:3260", IQN: testIQN, LUN: 1}); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAttachDetachSequence(t *testing.T) {
	n := newNode(t)
	mnt := &fakeMounter{}
	m := n.manager(t, mnt)
	ctx := context.Background()
	e, err := m.Attach(ctx, "data", "c1", false)
	if err != nil {
		t.Fatal(err)
	}
	staging := m.Store().StagingDir("data")
	if e.Source != staging || e.Major != 8 || e.Minor != 0 || mnt.mounted[staging] != filepath.Join(n.root, "dev/sda")+" ext4 ro=false" {
		t.Fatalf("exposure %+v mounts %v", e, mnt.mounted)
	}
	want := []string{
		"iscsiadm -m node",
		"iscsiadm -m node -T " + testIQN + " -p 127.0.0.1:3260 -I default -o new",
		"iscsiadm -m node -T " + testIQN + " -p 127.0.0.1:3260 -I default --login",
		"blkid -p -o export " + n.root + "/dev/sda",
		"mkfs.ext4 -q -F " + n.root + "/dev/sda",
	}
	if got := n.r.joined(); got != strings.Join(want, "\n") {
		t.Fatalf("attach commands:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	// the settings went into the record in one rewrite, under iscsiadm's lock
	rec, _ := os.ReadFile(filepath.Join(n.root, "nodes", testIQN, "127.0.0.1,3260"))
	for _, kv := range []string{"node.startup = manual", "node.session.timeo.replacement_timeout = 30", "node.session.err_timeo.abort_timeout = 15",
		"node.session.initial_login_retry_max = 2", "node.conn[0].timeo.login_timeout = 10", "node.session.auth.authmethod = None"} {
		if !strings.Contains(string(rec), "\n"+kv+"\n") {
			t.Errorf("record lacks %q:\n%s", kv, rec)
		}
	}
	st, _ := os.Stat(filepath.Join(m.Store().Dir, "data", "attach.json"))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("attach state mode %v", st.Mode())
	}
	dir, _ := os.Stat(m.Store().Dir)
	if dir.Mode().Perm() != 0o700 {
		t.Fatalf("state dir mode %v", dir.Mode())
	}
	// the same container again: same exposure, no command
	before := len(n.r.calls)
	if _, err := m.Attach(ctx, "data", "c1", false); err != nil || len(n.r.calls) != before {
		t.Fatalf("re-attach: %v, %d new commands", err, len(n.r.calls)-before)
	}
	// a second writer is refused, and so is a reader beside a writer
	for _, ro := range []bool{false, true} {
		if _, err := m.Attach(ctx, "data", "c2", ro); !errors.Is(err, ErrInUse) {
			t.Fatalf("second user ro=%t: %v", ro, err)
		}
	}
	n.r.calls = nil
	if err := m.Detach(ctx, "data", "c1"); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"blockdev --flushbufs " + n.root + "/dev/sda",
		"iscsiadm -m node -T " + testIQN + " -p 127.0.0.1:3260 -I default --logout",
		"iscsiadm -m node -T " + testIQN + " -p 127.0.0.1:3260 -I default -o delete",
	}
	if got := n.r.joined(); got != strings.Join(want, "\n") {
		t.Fatalf("detach commands:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if len(mnt.mounted) != 0 || n.loggedIn || len(n.records) != 0 {
		t.Fatalf("left behind: mounts %v session %t records %v", mnt.mounted, n.loggedIn, n.records)
	}
	if a, _ := m.Store().Attachment("data"); a != nil {
		t.Fatalf("attach state left: %+v", a)
	}
	if err := m.Detach(ctx, "data", "c1"); err != nil {
		t.Fatalf("second detach: %v", err)
	}
	// re-attach: the filesystem is there, no format; identity recorded
	n.r.calls = nil
	if _, err := m.Attach(ctx, "data", "c3", false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(n.r.joined(), "mkfs") || !strings.Contains(n.r.joined(), "e2fsck -p") {
		t.Fatalf("re-attach commands:\n%s", n.r.joined())
	}
	v, _ := m.Store().Get("data")
	if v.Identity != "naa.60000000000000000e00000000010001" || !v.Formatted {
		t.Fatalf("registry %+v", v)
	}
}

func TestReadOnlySharing(t *testing.T) {
	n := newNode(t)
	n.blank = false
	mnt := &fakeMounter{}
	m := n.manager(t, mnt)
	ctx := context.Background()
	for _, u := range []string{"r1", "r2"} {
		if _, err := m.Attach(ctx, "data", u, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Attach(ctx, "data", "w", false); !errors.Is(err, ErrInUse) {
		t.Fatalf("writer beside readers: %v", err)
	}
	if err := m.Detach(ctx, "data", "r1"); err != nil || !n.loggedIn || len(mnt.mounted) != 1 {
		t.Fatalf("detach of one reader tore down: %v", err)
	}
	if err := m.Detach(ctx, "data", "r2"); err != nil || n.loggedIn || len(mnt.mounted) != 0 {
		t.Fatalf("last reader: %v", err)
	}
}

// A failed login leaves no node record and no state; a disk with another
// identity is refused and undone.
func TestAttachRefusals(t *testing.T) {
	n := newNode(t)
	m := n.manager(t, &fakeMounter{})
	ctx := context.Background()
	n.loginErr = 19
	if _, err := m.Attach(ctx, "data", "c1", false); !errors.Is(err, ErrLoginRefused) {
		t.Fatalf("masked: %v", err)
	}
	if len(n.records) != 0 {
		t.Fatal("node record left after failed login")
	}
	if a, _ := m.Store().Attachment("data"); a != nil {
		t.Fatalf("state left: %+v", a)
	}
	n.loginErr = 0
	v, _ := m.Store().Get("data")
	v.Identity = "naa.other"
	_ = m.Store().Put(v)
	if _, err := m.Attach(ctx, "data", "c1", false); !errors.Is(err, ErrIdentity) {
		t.Fatalf("identity: %v", err)
	}
	if n.loggedIn || len(n.records) != 0 {
		t.Fatal("session or record left after identity refusal")
	}
	v.Identity = ""
	_ = m.Store().Put(v)
	if _, err := m.Attach(ctx, "data", "c1", true); !errors.Is(err, ErrBlankReadOnly) || n.loggedIn {
		t.Fatalf("blank read-only: %v (session left %t)", err, n.loggedIn)
	}
}

// A process that died in the middle of a step leaves its intent; the next
// command (here Reconcile) undoes it: no session, record or mount is left.
func TestReconcileAfterCrash(t *testing.T) {
	for _, phase := range []Phase{PhaseRecord, PhaseLogin, PhaseDevice, PhaseFormat, PhaseMount} {
		t.Run(string(phase), func(t *testing.T) {
			n := newNode(t)
			mnt := &fakeMounter{}
			m := n.manager(t, mnt)
			crash := errors.New("crash")
			m.opts.AfterStep = func(p Phase) {
				if p == phase {
					panic(crash)
				}
			}
			func() {
				defer func() {
					if r := recover(); r != crash {
						t.Fatalf("no crash at %s: %v", phase, r)
					}
				}()
				_, _ = m.Attach(context.Background(), "data", "c1", false)
			}()
			if a, _ := m.Store().Attachment("data"); a == nil || a.Phase != phase || !a.Users["c1"].Pending {
				t.Fatalf("intent not recorded: %+v", a)
			}
			m.opts.AfterStep = nil
			if err := m.Reconcile(context.Background(), "data", nil); err != nil {
				t.Fatal(err)
			}
			if n.loggedIn || len(n.records) != 0 || len(mnt.mounted) != 0 {
				t.Fatalf("left: session %t records %v mounts %v", n.loggedIn, n.records, mnt.mounted)
			}
			if a, _ := m.Store().Attachment("data"); a != nil {
				t.Fatalf("state left %+v", a)
			}
		})
	}
}

// Reconcile drops users the runtime says are gone.
func TestReconcileDeadUsers(t *testing.T) {
	n := newNode(t)
	m := n.manager(t, &fakeMounter{})
	if _, err := m.Attach(context.Background(), "data", "c1", false); err != nil {
		t.Fatal(err)
	}
	if err := m.ReconcileAll(context.Background(), func(string) bool { return true }); err != nil || !n.loggedIn {
		t.Fatalf("live user dropped: %v", err)
	}
	if err := m.ReconcileAll(context.Background(), func(string) bool { return false }); err != nil || n.loggedIn {
		t.Fatalf("dead user kept: %v", err)
	}
}

func TestCHAPSecretNeverStoredOrShown(t *testing.T) {
	n := newNode(t)
	m := n.manager(t, &fakeMounter{})
	const secret = "chapsecret1234"
	sf := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(sf, []byte(secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v := &Volume{Name: "c", Portal: "127.0.0.1:3260", IQN: testIQN, LUN: 1, CHAP: &CHAP{User: "u", SecretFile: sf}}
	if err := m.Register(v); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Attach(context.Background(), "c", "c1", false); !errors.Is(err, ErrSecret) {
		t.Fatalf("0644 secret file accepted: %v", err)
	}
	_ = os.Chmod(sf, 0o600)
	n.loginErr = 24
	_, err := m.Attach(context.Background(), "c", "c1", false)
	if !errors.Is(err, ErrLoginRefused) && !errors.Is(err, ErrAuth) {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(n.r.joined(), secret) {
		t.Fatal("secret in error or command log")
	}
	// the secret went into the node record (0600), never through argv
	if strings.Contains(n.r.joined(), "node.session.auth.password") {
		t.Fatalf("password passed to iscsiadm:\n%s", n.r.joined())
	}
	rec := filepath.Join(n.root, "nodes", testIQN, "127.0.0.1,3260")
	b, err := os.ReadFile(rec)
	if err != nil || !strings.Contains(string(b), "node.session.auth.password = "+secret+"\n") || !strings.HasSuffix(string(b), "\n# END RECORD\n") {
		t.Fatalf("record %q: %v", b, err)
	}
	if fi, _ := os.Stat(rec); fi.Mode().Perm() != 0o600 {
		t.Fatalf("record mode %v", fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(n.root, "lock", "lock.write")); !os.IsNotExist(err) {
		t.Fatalf("iscsiadm's lock still held: %v", err)
	}
	b, _ = os.ReadFile(filepath.Join(m.Store().Dir, "c", "volume.json"))
	if strings.Contains(string(b), secret) {
		t.Fatal("secret in registry")
	}
}
