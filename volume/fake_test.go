package volume

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeRunner records command lines (redacted) and answers from respond.
type fakeRunner struct {
	mu      sync.Mutex
	calls   []string
	raw     []Cmd
	respond func(c Cmd) ([]byte, error)
}

func (f *fakeRunner) Run(_ context.Context, c Cmd) ([]byte, error) {
	f.mu.Lock()
	f.calls = append(f.calls, c.String())
	f.raw = append(f.raw, c)
	f.mu.Unlock()
	if f.respond == nil {
		return nil, nil
	}
	return f.respond(c)
}

func (f *fakeRunner) joined() string { return strings.Join(f.calls, "\n") }

// exitErr builds the error ExecRunner returns for c exiting with code.
func exitErr(c Cmd, code int, out string) error {
	return &ExitError{Cmd: c.String(), Code: code, Output: redact(oneLine(out), c.Secrets)}
}

// fixture reads testdata/NAME; a trailing "rc=N" line becomes the code.
func fixture(t testing.TB, name string) (string, int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimRight(string(b), "\n")
	code := 0
	if i := strings.LastIndex(s, "\nrc="); i >= 0 || strings.HasPrefix(s, "rc=") {
		line := s[i+1:]
		code, _ = strconv.Atoi(strings.TrimPrefix(line, "rc="))
		if i < 0 {
			i = 0
		}
		s = s[:i]
	}
	return s, code
}

// fakeMounter records mounts in a map.
type fakeMounter struct {
	mounted map[string]string
	fail    error
}

func (m *fakeMounter) Mount(source, target, fstype string, ro bool) error {
	if m.fail != nil {
		return m.fail
	}
	if m.mounted == nil {
		m.mounted = map[string]string{}
	}
	m.mounted[target] = fmt.Sprintf("%s %s ro=%t", source, fstype, ro)
	return nil
}
func (m *fakeMounter) Unmount(target string) error { delete(m.mounted, target); return nil }
func (m *fakeMounter) IsMounted(target string) (bool, error) {
	_, ok := m.mounted[target]
	return ok, nil
}

// writeFile writes content under root, making the directories.
func writeFile(t testing.TB, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeSession makes the sysfs tree of a logged-in session (as the real
// one in testdata/sysfs-luns.txt) with the disk of lun.
func fakeSession(t testing.TB, root string, sid int, iqn string, lun int, disk, wwid, devnum string) {
	t.Helper()
	s := fmt.Sprintf("sys/class/iscsi_session/session%d", sid)
	writeFile(t, root, s+"/targetname", iqn+"\n")
	writeFile(t, root, fmt.Sprintf("%s/device/target%d:0:0/%d:0:0:0/type", s, sid, sid), "12\n")
	writeFile(t, root, fmt.Sprintf("%s/device/target%d:0:0/%d:0:0:%d/block/%s/dev", s, sid, sid, lun, disk), devnum+"\n")
	writeFile(t, root, "sys/block/"+disk+"/dev", devnum+"\n")
	writeFile(t, root, "sys/block/"+disk+"/device/wwid", wwid+"\n")
	writeFile(t, root, "sys/block/"+disk+"/device/delete", "")
	writeFile(t, root, "dev/"+disk, "")
}

func removeSession(root string, sid int, disk string) {
	os.RemoveAll(filepath.Join(root, fmt.Sprintf("sys/class/iscsi_session/session%d", sid)))
	os.RemoveAll(filepath.Join(root, "sys/block", disk))
}

func hexFixture(t testing.TB, name string) []byte {
	s, _ := fixture(t, name)
	var out []byte
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseUint(f, 16, 8)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, byte(v))
	}
	return out
}
