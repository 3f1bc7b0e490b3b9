package volume

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Where open-iscsi keeps its node records and its database lock (Debian's
// build: iscsiadm and iscsid agree on these paths).
const (
	DefaultISCSINodeDir = "/etc/iscsi/nodes"
	DefaultISCSILockDir = "/run/lock/iscsi"
)

// iscsiLockWait is how long SetRecord waits for iscsiadm's lock before it
// takes it over, as iscsiadm itself does (3000 tries 10 ms apart): a
// holder that was killed leaves its lock behind.
var iscsiLockWait = 30 * time.Second

// SetRecord writes keys into the node record's file itself, under
// iscsiadm's own database lock, as `iscsiadm -o update` would one key per
// process: the settings of an attach in one rewrite instead of a dozen
// execs, and secrets (node.session.auth.password and password_in) that
// never are an argument of a process (`iscsiadm -o update -v SECRET` is
// readable by every local user through /proc/PID/cmdline). The record must
// exist (NewNode); it is rewritten 0600 by a rename, as iscsiadm keeps it.
func (a Iscsiadm) SetRecord(ctx context.Context, n NodeRef, kv map[string]string) error {
	nodeDir, lockDir := a.NodeDir, a.LockDir
	if nodeDir == "" {
		nodeDir = DefaultISCSINodeDir
	}
	if lockDir == "" {
		lockDir = DefaultISCSILockDir
	}
	unlock, err := lockISCSIDB(ctx, lockDir)
	if err != nil {
		return fmt.Errorf("node record of %s: %w", n, err)
	}
	defer unlock()
	files, err := recordFiles(nodeDir, n)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := rewriteRecord(f, kv); err != nil {
			return fmt.Errorf("node record of %s: %w", n, err)
		}
	}
	return nil
}

// lockISCSIDB takes open-iscsi's database lock the way idbm_lock does: the
// holder is whoever made the hard link lock.write of lock.
func lockISCSIDB(ctx context.Context, dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, held := filepath.Join(dir, "lock"), filepath.Join(dir, "lock.write")
	f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, err
	}
	f.Close()
	deadline := time.Now().Add(iscsiLockWait)
	for {
		err := os.Link(lock, held)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("iscsiadm's lock: %w", err)
		}
		if time.Now().After(deadline) {
			// iscsiadm goes on after as long a wait; so do we, owning it
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return func() { _ = os.Remove(held) }, nil
}

// recordFiles finds n's record files: NODEDIR/IQN/HOST,PORT,TPGT/IFACE, or
// NODEDIR/IQN/HOST,PORT as a file (what iscsiadm -o new writes for a
// static record, whose portal group is unknown).
func recordFiles(nodeDir string, n NodeRef) ([]string, error) {
	host, port, err := net.SplitHostPort(n.Portal)
	if err != nil {
		return nil, invalidf("portal %q: %v", n.Portal, err)
	}
	iface := n.Iface
	if iface == "" {
		iface = "default"
	}
	dir := filepath.Join(nodeDir, n.IQN)
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var out []string
	portal := host + "," + port
	for _, e := range entries {
		if e.Name() != portal && !strings.HasPrefix(e.Name(), portal+",") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			p = filepath.Join(p, iface)
			if _, err := os.Lstat(p); err != nil {
				continue
			}
		} else if b, err := os.ReadFile(p); err != nil || !bytes.Contains(b, []byte("iface.iscsi_ifacename = "+iface+"\n")) {
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("node record of %s under %s: %w", n, nodeDir, ErrNotFound)
	}
	return out, nil
}

// rewriteRecord replaces (or adds) kv's keys in the record at path; the
// keys' _length companions go, open-iscsi recomputes them on reading.
func rewriteRecord(path string, kv map[string]string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(old))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	wrote := false
	put := func() {
		for _, k := range slices.Sorted(maps.Keys(kv)) {
			fmt.Fprintf(&b, "%s = %s\n", k, kv[k])
		}
		wrote = true
	}
	for sc.Scan() {
		line := sc.Text()
		key, _, _ := strings.Cut(strings.TrimSpace(line), "=")
		key = strings.TrimSpace(key)
		if _, ok := kv[key]; ok {
			continue
		}
		if _, ok := kv[strings.TrimSuffix(key, "_length")]; ok && strings.HasSuffix(key, "_length") {
			continue
		}
		if strings.TrimSpace(line) == "# END RECORD" && !wrote {
			put()
		}
		b.WriteString(line + "\n")
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if !wrote {
		put()
	}
	// no comma in the temporary name: iscsiadm reads NAME,PORT entries as portals
	return writeFileAtomic(path, filepath.Join(filepath.Dir(path), ".cgrun-record"), b.Bytes())
}
