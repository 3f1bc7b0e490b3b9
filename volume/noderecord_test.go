package volume

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SetRecord replaces the keys (and drops their _length companions) inside
// the record, keeps every other line, leaves the file 0600 and releases
// iscsiadm's lock; it waits for a lock another process holds.
func TestSetRecordRewritesRecord(t *testing.T) {
	root := t.TempDir()
	n := NodeRef{IQN: "iqn.2024-01.a:b", Portal: "10.0.0.1:3260"}
	dir := filepath.Join(root, "nodes", n.IQN, "10.0.0.1,3260,1")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "default")
	old := "# BEGIN RECORD 2.1.8\nnode.name = iqn.2024-01.a:b\nnode.session.auth.password = oldsecret12345\nnode.session.auth.password_length = 14\nnode.conn[0].port = 3260\n# END RECORD\n"
	if err := os.WriteFile(rec, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	a := Iscsiadm{NodeDir: filepath.Join(root, "nodes"), LockDir: filepath.Join(root, "lock")}
	if err := os.MkdirAll(a.LockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// another iscsiadm holds the lock for a while
	held := filepath.Join(a.LockDir, "lock.write")
	if err := os.WriteFile(held, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(200 * time.Millisecond); os.Remove(held) }()
	start := time.Now()
	err := a.SetRecord(context.Background(), n, map[string]string{"node.session.auth.password": "newsecret12345", "node.session.auth.password_in": "mutualsecret123"})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 150*time.Millisecond {
		t.Fatal("wrote without waiting for iscsiadm's lock")
	}
	b, _ := os.ReadFile(rec)
	want := "# BEGIN RECORD 2.1.8\nnode.name = iqn.2024-01.a:b\nnode.conn[0].port = 3260\nnode.session.auth.password = newsecret12345\nnode.session.auth.password_in = mutualsecret123\n# END RECORD\n"
	if string(b) != want {
		t.Fatalf("record:\n%s\nwant:\n%s", b, want)
	}
	if fi, _ := os.Stat(rec); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	if _, err := os.Stat(held); !os.IsNotExist(err) {
		t.Fatal("lock not released")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary file left: %v", ents)
	}
}

// A lock whose holder died is taken over after iscsiadm's own wait; a
// record that does not exist is ErrNotFound, and nothing is created.
func TestSetRecordStaleLockAndMissingRecord(t *testing.T) {
	defer func(d time.Duration) { iscsiLockWait = d }(iscsiLockWait)
	iscsiLockWait = 100 * time.Millisecond
	root := t.TempDir()
	a := Iscsiadm{NodeDir: filepath.Join(root, "nodes"), LockDir: filepath.Join(root, "lock")}
	_ = os.MkdirAll(a.LockDir, 0o755)
	_ = os.WriteFile(filepath.Join(a.LockDir, "lock.write"), nil, 0o644)
	n := NodeRef{IQN: "iqn.2024-01.a:b", Portal: "10.0.0.1:3260"}
	err := a.SetRecord(context.Background(), n, map[string]string{"node.session.auth.password": "x"})
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing record: %v", err)
	}
	if _, err := os.Stat(filepath.Join(a.LockDir, "lock.write")); !os.IsNotExist(err) {
		t.Fatal("stale lock kept")
	}
	if _, err := os.Stat(a.NodeDir); !os.IsNotExist(err) {
		t.Fatal("node dir created")
	}
}
