package integration

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// iSCSI volume tests: real kernel initiator, real tgt and LIO targets on the
// guest's 127.0.0.1 (make test-vm). Each test has its own state dir and
// volumes, and leaves no session, node record, mount or target behind.

const lioPortal = "127.0.0.1:3261"

type volEnv struct {
	t     *testing.T
	bin   string
	state string
}

type volResult struct {
	out, err string
	code     int
}

func newVolEnv(t *testing.T) *volEnv {
	t.Helper()
	testutil.RequireISCSI(t)
	e := &volEnv{t: t, bin: testutil.CgrunBin(t), state: filepath.Join(t.TempDir(), "volumes")}
	t.Cleanup(e.cleanup)
	return e
}

func (e *volEnv) cmd(args ...string) *exec.Cmd {
	c := exec.Command(e.bin, append([]string{"volume", "--state-dir", e.state}, args...)...)
	return c
}

func (e *volEnv) run(args ...string) volResult {
	e.t.Helper()
	c := e.cmd(args...)
	var o, s bytes.Buffer
	c.Stdout, c.Stderr = &o, &s
	err := c.Run()
	r := volResult{out: strings.TrimSpace(o.String()), err: strings.TrimSpace(s.String())}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("cgrun %v: %v", args, err)
	}
	return r
}

func (e *volEnv) must(args ...string) string {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("cgrun volume %s: exit %d: %s", strings.Join(args, " "), r.code, r.err)
	}
	return r.out
}

// refused runs a command that must fail with exit 125 and one line naming want.
func (e *volEnv) refused(want string, args ...string) {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 125 || !strings.Contains(r.err, want) || strings.Count(r.err, "\n") != 0 {
		e.t.Fatalf("cgrun volume %s: want exit 125 with %q, got %d: %q", strings.Join(args, " "), want, r.code, r.err)
	}
}

// cleanup detaches every user and removes every volume the test made, then
// checks nothing of them is left in the kernel.
func (e *volEnv) cleanup() {
	if out, err := e.cmd("snapshots", "--format", "json").Output(); err == nil {
		var snaps []struct{ Name string }
		_ = json.Unmarshal(out, &snaps)
		for _, s := range snaps {
			if b, err := e.cmd("snapshot-rm", s.Name).CombinedOutput(); err != nil {
				e.t.Errorf("cleanup: snapshot-rm %s: %v: %s", s.Name, err, b)
			}
		}
	}
	out, _ := e.cmd("ls", "-q").Output()
	for _, n := range strings.Fields(string(out)) {
		ins, _ := e.cmd("inspect", n).Output()
		var v struct {
			IQN        string `json:"iqn"`
			Attachment *struct {
				Users map[string]any `json:"users"`
			} `json:"attachment"`
		}
		_ = json.Unmarshal(ins, &v)
		if v.Attachment != nil {
			for u := range v.Attachment.Users {
				_ = e.cmd("detach", "--user", u, n).Run()
			}
		}
		_ = e.cmd("reconcile", n).Run()
		if b, err := e.cmd("rm", n).CombinedOutput(); err != nil {
			e.t.Errorf("cleanup: volume rm %s: %v: %s", n, err, b)
		}
		if v.IQN != "" {
			e.assertNoTrace(v.IQN)
		}
	}
}

// assertNoTrace fails when a session, node record or mount of iqn is left.
func (e *volEnv) assertNoTrace(iqn string) {
	e.t.Helper()
	if out, _ := exec.Command("iscsiadm", "-m", "session").CombinedOutput(); strings.Contains(string(out), iqn+" ") || strings.HasSuffix(strings.TrimSpace(string(out)), iqn) {
		e.t.Errorf("session to %s left: %s", iqn, out)
	}
	if out, _ := exec.Command("iscsiadm", "-m", "node").CombinedOutput(); strings.Contains(string(out), iqn) {
		e.t.Errorf("node record of %s left: %s", iqn, out)
	}
	if b, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(b), e.state) {
		e.t.Errorf("mount under %s left", e.state)
	}
}

func (e *volEnv) inspect(name string) map[string]any {
	e.t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(e.must("inspect", name)), &v); err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *volEnv) iqn(name string) string { return e.inspect(name)["iqn"].(string) }

func secretFile(t *testing.T, secret string) string {
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func sha(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func fsUUID(t *testing.T, staging string) string {
	// the device mounted on staging, then its filesystem UUID
	b, _ := os.ReadFile("/proc/self/mounts")
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 1 && f[1] == staging {
			out, err := exec.Command("blkid", "-p", "-s", "UUID", "-o", "value", f[0]).Output()
			if err != nil {
				t.Fatalf("blkid %s: %v", f[0], err)
			}
			return strings.TrimSpace(string(out))
		}
	}
	t.Fatalf("%s not mounted", staging)
	return ""
}

// A volume provisioned on tgt: attach formats it once, data written and
// synced survives detach and re-attach, and detach leaves nothing behind.
func TestVolumeTgtLifecycle(t *testing.T) {
	e := newVolEnv(t)
	e.must("create", "--provision", "tgt", "--size", "64m", "data")
	iqn := e.iqn("data")
	e.must("publish", "data")
	staging := e.must("attach", "--user", "c1", "data")
	uuid := fsUUID(t, staging)
	payload := bytes.Repeat([]byte("cgrun-volume\n"), 4096)
	if err := os.WriteFile(filepath.Join(staging, "f"), payload, 0o644); err != nil {
		t.Fatal(err)
	}
	want := sha(t, filepath.Join(staging, "f"))
	e.must("detach", "--user", "c1", "data")
	e.assertNoTrace(iqn)

	staging = e.must("attach", "--user", "c2", "data")
	if got := sha(t, filepath.Join(staging, "f")); got != want {
		t.Fatalf("data after re-attach: %s, want %s", got, want)
	}
	if got := fsUUID(t, staging); got != uuid {
		t.Fatalf("filesystem UUID changed %s -> %s: formatted twice", uuid, got)
	}
	v := e.inspect("data")
	if v["formatted"] != true || !strings.HasPrefix(v["identity"].(string), "naa.") || !strings.Contains(v["identity"].(string), "serial=") {
		t.Fatalf("registry: %v", v)
	}
	// a second writer is refused; unpublish and rm are refused while attached
	e.refused("in use", "attach", "--user", "c3", "data")
	e.refused("in use", "attach", "--user", "c3", "--read-only", "data")
	e.refused("in use", "unpublish", "data")
	e.refused("in use", "rm", "data")
	// a second initiator is refused: single writer
	e.refused("single writer", "publish", "--initiator", "iqn.2024-01.test.cgrun:another", "data")
	e.must("detach", "--user", "c2", "data")
	e.assertNoTrace(iqn)
	e.must("unpublish", "data")
	e.must("rm", "data")
	if out, _ := exec.Command("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target").Output(); strings.Contains(string(out), iqn) {
		t.Fatalf("target left after rm:\n%s", out)
	}
}

// An initiator the LUN is not published to cannot log in; nothing is left.
func TestVolumeLUNMasking(t *testing.T) {
	e := newVolEnv(t)
	e.must("create", "--provision", "tgt", "--size", "16m", "masked")
	iqn := e.iqn("masked")
	e.refused("login refused", "attach", "--user", "c1", "--device-timeout", "30s", "masked")
	e.assertNoTrace(iqn)
	e.must("publish", "--initiator", "iqn.2024-01.test.cgrun:someone-else", "masked")
	e.refused("login refused", "attach", "--user", "c1", "masked")
	e.assertNoTrace(iqn)
}

// CHAP: no secret and a wrong secret are refused, the right one logs in;
// the secret never shows in errors, state files, node records readable by
// others or any process's argv (sampled from /proc while the test runs:
// the target's account, the node record, the login).
func TestVolumeCHAP(t *testing.T) {
	e := newVolEnv(t)
	const good, bad = "goodsecret12345", "wrongsecret1234"
	seen := sampleCmdlines(t, good, bad)
	e.must("create", "--provision", "tgt", "--size", "16m", "--chap-user", "cgrunuser", "--chap-secret-file", secretFile(t, good), "sec")
	iqn := e.iqn("sec")
	e.must("publish", "sec")
	e.must("create", "--portal", testutil.TgtPortal, "--iqn", iqn, "--lun", "1", "nochap")
	r := e.run("attach", "--user", "c1", "nochap")
	if r.code != 125 || !strings.Contains(r.err, "CHAP") {
		t.Fatalf("no secret: %d %q", r.code, r.err)
	}
	e.assertNoTrace(iqn)
	e.must("rm", "nochap")
	e.must("create", "--portal", testutil.TgtPortal, "--iqn", iqn, "--lun", "1", "--chap-user", "cgrunuser", "--chap-secret-file", secretFile(t, bad), "wrong")
	r = e.run("attach", "--user", "c1", "wrong")
	if r.code != 125 || !strings.Contains(r.err, "CHAP") || strings.Contains(r.err, bad) {
		t.Fatalf("wrong secret: %d %q", r.code, r.err)
	}
	e.assertNoTrace(iqn)
	e.must("rm", "wrong")
	e.must("attach", "--user", "c1", "sec")
	filepath.Walk(e.state, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && !strings.HasSuffix(p, ".img") {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(good)) {
				t.Errorf("secret stored in %s", p)
			}
			if fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s is %v, want 0600", p, fi.Mode().Perm())
			}
		}
		return nil
	})
	var recs []string // NODES/IQN/HOST,PORT (a file) or NODES/IQN/HOST,PORT,TPGT/IFACE
	_ = filepath.Walk("/etc/iscsi/nodes/"+iqn, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			recs = append(recs, p)
		}
		return nil
	})
	if len(recs) == 0 {
		t.Fatal("no node record while attached")
	}
	for _, p := range recs {
		b, _ := os.ReadFile(p)
		fi, _ := os.Stat(p)
		if !bytes.Contains(b, []byte("node.session.auth.password = "+good)) || fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("node record %s: mode %v, holds the secret: %v", p, fi.Mode().Perm(), bytes.Contains(b, []byte(good)))
		}
	}
	e.must("detach", "--user", "c1", "sec")
	if got, n := seen(); len(got) > 0 {
		t.Fatalf("a CHAP secret was in argv (of %d samples): %q", n, got)
	} else {
		t.Logf("%d /proc scans, no secret in any argv", n)
	}
}

// sampleCmdlines scans every process's /proc/PID/cmdline in a tight loop
// until the returned function is called, which gives the command lines
// that held one of secrets and the number of scans.
func sampleCmdlines(t *testing.T, secrets ...string) func() ([]string, int) {
	stop := make(chan struct{})
	done := make(chan struct{})
	var hits []string
	scans := 0
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			ents, _ := os.ReadDir("/proc")
			for _, d := range ents {
				if d.Name()[0] < '0' || d.Name()[0] > '9' {
					continue
				}
				b, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
				if err != nil {
					continue
				}
				for _, s := range secrets {
					if bytes.Contains(b, []byte(s)) {
						hits = append(hits, string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
					}
				}
			}
			scans++
		}
	}()
	var once bool
	get := func() ([]string, int) {
		if !once {
			once = true
			close(stop)
			<-done
		}
		return hits, scans
	}
	t.Cleanup(func() { get() })
	return get
}

// The kernel LIO target: provision, publish, attach, write, re-attach, read.
func TestVolumeLIO(t *testing.T) {
	e := newVolEnv(t)
	if testutil.InVM() {
		// the lane's guest is throwaway: load the LIO target there
		_ = exec.Command("modprobe", "-a", "iscsi_target_mod", "target_core_file").Run()
		if _, err := os.Stat("/sys/kernel/config/target"); err != nil {
			_ = exec.Command("mount", "-t", "configfs", "configfs", "/sys/kernel/config").Run()
		}
		_ = os.Mkdir("/sys/kernel/config/target/iscsi", 0o755) // registers the iSCSI fabric
	}
	testutil.RequireLIO(t)
	e.must("create", "--provision", "lio", "--portal", lioPortal, "--size", "32m", "lio")
	iqn := e.iqn("lio")
	e.refused("", "attach", "--user", "c1", "lio") // masked: nothing published yet
	e.assertNoTrace(iqn)
	e.must("publish", "lio")
	staging := e.must("attach", "--user", "c1", "lio")
	if err := os.WriteFile(filepath.Join(staging, "x"), []byte("lio data"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.must("detach", "--user", "c1", "lio")
	e.assertNoTrace(iqn)
	staging = e.must("attach", "--user", "c2", "lio")
	if b, err := os.ReadFile(filepath.Join(staging, "x")); err != nil || string(b) != "lio data" {
		t.Fatalf("read back %q %v", b, err)
	}
	e.must("detach", "--user", "c2", "lio")
	e.must("unpublish", "lio")
	e.must("rm", "lio")
	if _, err := os.Stat("/sys/kernel/config/target/iscsi/" + iqn); err == nil {
		t.Fatal("LIO target left after rm")
	}
}

// Block mode: the raw disk, never formatted.
func TestVolumeBlockMode(t *testing.T) {
	e := newVolEnv(t)
	e.must("create", "--provision", "tgt", "--size", "16m", "--mode", "block", "raw")
	e.must("publish", "raw")
	out := strings.Fields(e.must("attach", "--user", "c1", "raw"))
	if len(out) != 2 {
		t.Fatalf("attach printed %q", out)
	}
	dev, devnum := out[0], out[1]
	var st syscall.Stat_t
	if err := syscall.Stat(dev, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFBLK {
		t.Fatalf("%s is not a block device: %v", dev, err)
	}
	if got := fmt.Sprintf("%d:%d", (st.Rdev>>8)&0xfff, st.Rdev&0xff|(st.Rdev>>12)&0xfff00); got != devnum {
		t.Fatalf("device number %s, printed %s", got, devnum)
	}
	if b, err := exec.Command("blkid", "-p", dev).CombinedOutput(); err == nil {
		t.Fatalf("block volume was formatted: %s", b)
	}
	if b, err := exec.Command("dd", "if=/dev/urandom", "of="+dev, "bs=64k", "count=4", "oflag=direct").CombinedOutput(); err != nil {
		t.Fatalf("dd: %v %s", err, b)
	}
	e.must("detach", "--user", "c1", "raw")
}

// cgrun killed with SIGKILL in the middle of attach: reconcile (or the next
// command on the volume) leaves no session, mount or node record.
func TestVolumeCrashMidAttach(t *testing.T) {
	e := newVolEnv(t)
	e.must("create", "--provision", "tgt", "--size", "16m", "crash")
	iqn := e.iqn("crash")
	e.must("publish", "crash")
	for _, phase := range []string{"record", "login", "device", "format", "mount", "ready"} {
		t.Run(phase, func(t *testing.T) {
			if !pauseAndKill(t, e.cmd("attach", "--user", "c1", "--pause-after", phase, "crash"), phase) {
				if phase != "ready" {
					t.Fatal("attach ended before " + phase)
				}
				// ready is recorded after AfterStep of mount; attach may end first
				e.must("detach", "--user", "c1", "crash")
				return
			}
			if phase != "ready" {
				e.must("reconcile")
			} else {
				e.must("detach", "--user", "c1", "crash")
			}
			e.assertNoTrace(iqn)
			if v := e.inspect("crash"); v["attachment"] != nil {
				t.Fatalf("attach state left: %v", v["attachment"])
			}
		})
	}
	// the next command on the volume reconciles on its own
	pauseAndKill(t, e.cmd("attach", "--user", "c1", "--pause-after", "device", "crash"), "device")
	e.must("attach", "--user", "c2", "crash")
	e.must("detach", "--user", "c2", "crash")
	e.assertNoTrace(iqn)
}

// cgrun killed with SIGKILL at each step of detach (recorded, unmounted,
// disk deleted, logged out): reconcile, or detach again, finishes it and
// leaves no session, disk, mount or node record; the data is intact.
func TestVolumeCrashMidDetach(t *testing.T) {
	e := newVolEnv(t)
	e.must("create", "--provision", "tgt", "--size", "16m", "crashd")
	iqn := e.iqn("crashd")
	e.must("publish", "crashd")
	e.crashDetachRounds(t, "crashd", []string{"detach", "unmounted", "disk-gone", "logged-out"}, func(t *testing.T) {
		e.assertNoTrace(iqn)
		if v := e.inspect("crashd"); v["attachment"] != nil {
			t.Fatalf("attach state left: %v", v["attachment"])
		}
	})
}

// crashDetachRounds runs one subtest per step: attach name, check the
// previous round's file, write this round's, SIGKILL a detach paused after
// step, then finish it by reconcile (even rounds) or detach (odd ones) and
// check with settled that nothing is left.
func (e *volEnv) crashDetachRounds(t *testing.T, name string, steps []string, settled func(*testing.T)) {
	t.Helper()
	for i, step := range steps {
		t.Run(step, func(t *testing.T) {
			staging := e.must("attach", "--user", "c1", name)
			if i > 0 {
				b, err := os.ReadFile(filepath.Join(staging, "f"))
				if err != nil || string(b) != strconv.Itoa(i-1) {
					t.Fatalf("after the last crash the volume holds %q (%v), want %d", b, err, i-1)
				}
			}
			if err := os.WriteFile(filepath.Join(staging, "f"), []byte(strconv.Itoa(i)), 0o644); err != nil {
				t.Fatal(err)
			}
			if !pauseAndKill(t, e.cmd("detach", "--user", "c1", "--pause-after", step, name), step) {
				t.Fatal("detach ended before " + step)
			}
			if i%2 == 0 {
				e.must("reconcile")
			} else {
				e.must("detach", "--user", "c1", name)
			}
			settled(t)
		})
	}
}

// pauseAndKill starts c, waits for "paused after STEP" and SIGKILLs it; it
// returns false when c ended without pausing.
func pauseAndKill(t *testing.T, c *exec.Cmd, step string) bool {
	t.Helper()
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	line := make(chan string, 1)
	go func() {
		b, _ := bufio.NewReader(stderr).ReadString('\n')
		line <- b
	}()
	select {
	case l := <-line:
		if l == "" {
			_ = c.Wait()
			return false
		}
		if !strings.Contains(l, "paused after "+step) {
			t.Fatalf("%s said %q", c.Args, l)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("never reached " + step)
	}
	if err := c.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.Wait()
	return true
}

// Data written and fsynced by a process killed with SIGKILL is all there
// after detach and re-attach (checksums).
func TestVolumeFsyncedDataSurvivesSIGKILL(t *testing.T) {
	e := newVolEnv(t)
	e.must("create", "--provision", "tgt", "--size", "64m", "dur")
	e.must("publish", "dur")
	staging := e.must("attach", "--user", "c1", "dur")
	f := filepath.Join(staging, "blob")
	w := exec.Command("sh", "-c", `dd if=/dev/urandom of="$1" bs=1M count=8 conv=fsync 2>/dev/null && echo synced && exec sleep 600`, "sh", f)
	out, _ := w.StdoutPipe()
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(w.Process.Pid, syscall.SIGKILL); _ = w.Wait() })
	if l, _ := bufio.NewReader(out).ReadString('\n'); l != "synced\n" {
		t.Fatalf("writer said %q", l)
	}
	want := sha(t, f)
	_ = syscall.Kill(w.Process.Pid, syscall.SIGKILL)
	_ = w.Wait()
	e.must("detach", "--user", "c1", "dur")
	staging = e.must("attach", "--user", "c2", "dur")
	if got := sha(t, filepath.Join(staging, "blob")); got != want {
		t.Fatalf("checksum after re-attach %s, want %s", got, want)
	}
	e.must("detach", "--user", "c2", "dur")
}

// A provisioning that fails at the LUN (its backing path is a directory,
// which tgtd refuses) leaves no volume record, no target and no file.
func TestVolumeCreateFailureLeavesNothing(t *testing.T) {
	e := newVolEnv(t)
	if err := os.MkdirAll(filepath.Join(e.state, "broken", "disk.img"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := e.run("create", "--provision", "tgt", "--size", "32m", "broken")
	if r.code != 125 || strings.Contains(r.err, "\n") {
		t.Fatalf("create over an unusable backing path: exit %d: %s", r.code, r.err)
	}
	if ls := e.must("ls", "-q"); ls != "" {
		t.Errorf("volumes left: %q", ls)
	}
	if out, _ := exec.Command("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target").CombinedOutput(); strings.Contains(string(out), ":broken") {
		t.Errorf("target left:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(e.state, "broken")); !os.IsNotExist(err) {
		t.Errorf("the volume's directory stayed: %v", err)
	}
}
