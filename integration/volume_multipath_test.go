package integration

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// Multipath and path failure (make test-vm): a volume on two portals of the
// lane's tgtd (two loopback addresses) is assembled by dm-multipath; a
// container writes and fsyncs numbered, checked records while the path
// carrying its IO is cut with iptables and restored: no write fails, the
// stall is measured, the path is reinstated, every acknowledged record is
// intact after a re-attach, and detach leaves no map, WWID, session or
// record. A single-path volume rides out a tgtd restart the same way.

// recordWriter writes record i (64 bytes: number, check value, filler) at
// offset 64*i with fsync, then acknowledges it on stdout with the kernel's
// uptime; a failed write prints ERR and ends the container.
const recordWriter = `i=0
while :; do
  c=$(( (i * 2654435761 + 40503) % 4294967296 ))
  printf 'rec %08d chk %010d zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n' $i $c | dd of=/data/log bs=64 seek=$i conv=notrunc,fsync 2>/dev/null || { echo "ERR $i"; exit 1; }
  read up _ < /proc/uptime
  echo "ack $i $up"
  i=$((i+1))
done`

func recordLine(i int) string {
	return fmt.Sprintf("rec %08d chk %010d %s", i, (int64(i)*2654435761+40503)%4294967296, strings.Repeat("z", 35))
}

// acks parses the writer's log: the acknowledged records' uptimes, in order;
// it fails the test on an ERR line.
func acks(t *testing.T, c *testutil.Cgrun, id string) []float64 {
	t.Helper()
	r := c.Cmd("logs", id)
	var out []float64
	for _, l := range strings.Split(r.Stdout, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == "ERR" {
			t.Fatalf("the writer saw a write fail: %q", l)
		}
		if len(f) != 3 || f[0] != "ack" {
			continue
		}
		n, err1 := strconv.Atoi(f[1])
		up, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil || n != len(out) {
			t.Fatalf("writer log line %q after %d acks", l, len(out))
		}
		out = append(out, up)
	}
	return out
}

// waitAcks waits until the writer acknowledged n records.
func waitAcks(t *testing.T, c *testutil.Cgrun, id string, n int, within time.Duration) []float64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		a := acks(t, c, id)
		if len(a) >= n {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("the writer acknowledged %d records within %s, want %d", len(a), within, n)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// stopWriter kills the writer, removes its container (which detaches the
// volume) and returns how many records it acknowledged.
func stopWriter(t *testing.T, c *testutil.Cgrun, id string) int {
	t.Helper()
	mustRun(t, c.Cmd("kill", id), "kill")
	mustRun(t, c.Cmd("wait", id), "wait")
	acked := len(acks(t, c, id))
	mustRun(t, c.Cmd("rm", id), "rm")
	return acked
}

// maxGap is the longest wait between two acknowledgements after uptime from.
func maxGap(ups []float64, from float64) float64 {
	gap := 0.0
	for i := 1; i < len(ups); i++ {
		if ups[i] > from && ups[i]-ups[i-1] > gap {
			gap = ups[i] - ups[i-1]
		}
	}
	return gap
}

func uptime(t *testing.T) float64 {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		t.Fatal(err)
	}
	up, err := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	if err != nil {
		t.Fatal(err)
	}
	return up
}

// verifyRecords reads the volume back in a new container (a fresh attach,
// identity checked) and checks every acknowledged record.
func verifyRecords(t *testing.T, c *testutil.Cgrun, name string, acked int) {
	t.Helper()
	out := mustRun(t, c.Run([]string{"--rm", "-v", name + ":/data:ro"}, "cat", "/data/log"), "reader")
	lines := strings.Split(out, "\n")
	if len(lines) < acked {
		t.Fatalf("the volume holds %d records, %d were acknowledged", len(lines), acked)
	}
	for i := 0; i < acked; i++ {
		if lines[i] != recordLine(i) {
			t.Fatalf("acknowledged record %d is %q, want %q", i, lines[i], recordLine(i))
		}
	}
}

type pathState struct {
	Portal    string `json:"portal"`
	Connected string `json:"connected"`
	Disk      string `json:"disk"`
	Session   string `json:"session"`
	DM        string `json:"dm"`
	Group     string `json:"group"`
}

func (e *volEnv) paths(name string) []pathState {
	e.t.Helper()
	var v struct {
		Paths []pathState `json:"paths"`
	}
	if err := json.Unmarshal([]byte(e.must("inspect", name)), &v); err != nil {
		e.t.Fatal(err)
	}
	return v.Paths
}

// waitPaths polls inspect until ok says yes about the paths.
func (e *volEnv) waitPaths(name, what string, within time.Duration, ok func([]pathState) bool) []pathState {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ps := e.paths(name)
		if ok(ps) {
			return ps
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("paths of %s: not %s within %s: %+v", name, what, within, ps)
		}
		time.Sleep(time.Second)
	}
}

// cutPortal drops the iSCSI traffic of one portal (both directions) with
// iptables until the returned function restores it (also at cleanup).
func cutPortal(t *testing.T, portal string) func() {
	t.Helper()
	host, port, _ := net.SplitHostPort(portal)
	rules := [][]string{
		{"INPUT", "-d", host, "-p", "tcp", "--dport", port, "-j", "DROP"},
		{"INPUT", "-s", host, "-p", "tcp", "--sport", port, "-j", "DROP"},
	}
	for _, r := range rules {
		if out, err := exec.Command("iptables", append([]string{"-I"}, r...)...).CombinedOutput(); err != nil {
			t.Fatalf("iptables -I %v: %v: %s", r, err, out)
		}
	}
	restored := false
	restore := func() {
		if restored {
			return
		}
		restored = true
		for _, r := range rules {
			if out, err := exec.Command("iptables", append([]string{"-D"}, r...)...).CombinedOutput(); err != nil {
				t.Errorf("iptables -D %v: %v: %s", r, err, out)
			}
		}
	}
	t.Cleanup(restore)
	return restore
}

// assertNoMultipath fails when a multipath map or a WWID in multipath's
// wwids file is left (no other test makes either).
func assertNoMultipath(t *testing.T) {
	t.Helper()
	dms, _ := filepath.Glob("/sys/block/dm-*/dm/uuid")
	for _, u := range dms {
		if b, _ := os.ReadFile(u); strings.HasPrefix(string(b), "mpath-") {
			t.Errorf("multipath map left: %s %s", u, b)
		}
	}
	if b, err := os.ReadFile("/etc/multipath/wwids"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "/") {
				t.Errorf("WWID left in /etc/multipath/wwids: %s", l)
			}
		}
	}
}

func TestVolumeMultipathFailover(t *testing.T) {
	testutil.RequireMultipath(t)
	e, c := runVolEnv(t)
	t.Cleanup(func() { assertNoMultipath(t) })
	if out := mustRun(t, c.Cmd("check"), "check"); !regexp.MustCompile(`iSCSI multipath\s+yes`).MatchString(out) {
		t.Fatalf("check does not say multipath is usable:\n%s", out)
	}
	// a portal tgtd does not serve: refused, nothing made
	e.refused("portal 127.0.0.9:3999: tgtd does not listen on it", "create", "--provision", "tgt", "--size", "64m",
		"--portal", testutil.TgtPortal, "--portal", "127.0.0.9:3999", "mp")
	if ls := e.must("ls", "-q"); ls != "" {
		t.Fatalf("a refused create left volumes: %q", ls)
	}
	e.must("create", "--provision", "tgt", "--size", "64m", "--portal", testutil.TgtPortal, "--portal", testutil.TgtPortal2, "mp")
	e.must("publish", "mp")
	iqn := e.iqn("mp")

	id := mustRun(t, c.Run([]string{"-d", "-v", "mp:/data"}, "sh", "-c", recordWriter), "run -d writer")
	waitAcks(t, c, id, 5, 90*time.Second)
	ps := e.paths("mp")
	if len(ps) != 2 {
		t.Fatalf("paths %+v, want two", ps)
	}
	active := ""
	for _, p := range ps {
		if p.Session != "LOGGED_IN" || p.DM != "active" || !strings.HasPrefix(p.Disk, "sd") {
			t.Fatalf("path %+v before the cut", p)
		}
		if p.Group == "active" {
			active = p.Portal
		}
	}
	if active == "" {
		t.Fatalf("no path group carries IO: %+v", ps)
	}

	// Cut the portal whose path carries the IO.
	cutAt := uptime(t)
	restore := cutPortal(t, active)
	e.waitPaths("mp", "the cut path failed", 60*time.Second, func(ps []pathState) bool {
		for _, p := range ps {
			if p.Portal == active && p.DM == "failed" {
				return true
			}
		}
		return false
	})
	n := len(acks(t, c, id))
	waitAcks(t, c, id, n+3, 60*time.Second) // IO goes on down the other path
	// tgtd closes the cut path's connection (NOP-Ins unanswered): left, its
	// I_T nexus would refuse the volume's unpublish and removal forever.
	deadline := time.Now().Add(60 * time.Second)
	for tgtNexus(t, iqn) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("tgtd still has %d I_T nexus for %s 60 s after the cut, want the live path's alone", tgtNexus(t, iqn), iqn)
		}
		time.Sleep(time.Second)
	}
	restore()
	e.waitPaths("mp", "both paths reinstated", 90*time.Second, func(ps []pathState) bool {
		for _, p := range ps {
			if p.DM != "active" || p.Session != "LOGGED_IN" {
				return false
			}
		}
		return true
	})
	ups := waitAcks(t, c, id, len(acks(t, c, id))+3, 60*time.Second)
	stall := maxGap(ups, cutAt)
	t.Logf("multipath: portal %s cut at uptime %.1f s: the writer's longest wait %.1f s, %d records acknowledged, none failed", active, cutAt, stall, len(ups))
	if stall > 30 {
		t.Fatalf("the writer stalled %.1f s after the cut", stall)
	}

	acked := stopWriter(t, c, id)
	e.detached("mp", iqn)
	assertNoMultipath(t)
	verifyRecords(t, c, "mp", acked)
	e.detached("mp", iqn)
	assertNoMultipath(t)
}

// A single-path volume rides out its target's restart: tgtd is killed and
// started again, and the volume's target restored by running create and
// publish again (both idempotent, the recorded serial and backing file
// reused), while a container writes.
func TestVolumeTgtRestart(t *testing.T) {
	testutil.RequireISCSI(t)
	pidb, err := os.ReadFile(testutil.TgtPIDFile)
	if err != nil {
		testutil.Require(t, false, "the lane's tgtd PID file "+testutil.TgtPIDFile+" is missing", "make test-vm starts tgtd and writes it")
	}
	e, c := runVolEnv(t)
	e.must("create", "--provision", "tgt", "--size", "64m", "single")
	e.must("publish", "single")
	iqn := e.iqn("single")

	id := mustRun(t, c.Run([]string{"-d", "-v", "single:/data"}, "sh", "-c", recordWriter), "run -d writer")
	waitAcks(t, c, id, 5, 90*time.Second)

	pid, err := strconv.Atoi(strings.TrimSpace(string(pidb)))
	if err != nil {
		t.Fatalf("tgtd PID file: %q", pidb)
	}
	cutAt := uptime(t)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill tgtd %d: %v", pid, err)
	}
	for i := 0; i < 100 && alive(pid); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(pid) {
		t.Fatalf("tgtd %d did not end", pid)
	}
	restartTgtd(t)
	e.must("create", "--provision", "tgt", "--size", "64m", "single")
	e.must("publish", "single")
	restartedIn := uptime(t) - cutAt
	n := len(acks(t, c, id))
	ups := waitAcks(t, c, id, n+5, 90*time.Second)
	stall := maxGap(ups, cutAt)
	t.Logf("tgtd restart: target back in %.1f s, the writer's longest wait %.1f s, none failed", restartedIn, stall)
	if st := e.paths("single"); len(st) != 1 || st[0].Session != "LOGGED_IN" {
		t.Fatalf("path after the restart: %+v", st)
	}

	acked := stopWriter(t, c, id)
	e.detached("single", iqn)
	verifyRecords(t, c, "single", acked)
	e.detached("single", iqn)
}

// tgtNexus counts the I_T nexus (sessions) tgtd has on target iqn.
func tgtNexus(t *testing.T, iqn string) int {
	t.Helper()
	out, err := exec.Command("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target").Output()
	if err != nil {
		t.Fatalf("tgtadm show: %v", err)
	}
	n, in := 0, false
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "Target ") {
			in = strings.HasSuffix(l, ": "+iqn)
		} else if in && strings.HasPrefix(strings.TrimSpace(l), "I_T nexus: ") {
			n++
		}
	}
	return n
}

// alive says whether process pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// restartTgtd starts tgtd as the lane does (two portals) and records its
// PID in the lane's file.
func restartTgtd(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("tgtd", "--iscsi", "portal="+testutil.TgtPortal).CombinedOutput(); err != nil {
		t.Fatalf("tgtd: %v: %s", err, out)
	}
	for i := 0; i < 100; i++ {
		if exec.Command("tgtadm", "--op", "show", "--mode", "sys").Run() == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out, err := exec.Command("tgtadm", "--lld", "iscsi", "--op", "new", "--mode", "portal", "--param", "portal="+testutil.TgtPortal2).CombinedOutput(); err != nil {
		t.Fatalf("tgtadm portal: %v: %s", err, out)
	}
	out, err := exec.Command("pgrep", "-x", "-o", "tgtd").Output() // the daemon, not its helper
	if err != nil {
		t.Fatalf("pgrep tgtd: %v", err)
	}
	if err := os.WriteFile(testutil.TgtPIDFile, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Every step of a multipath attach and detach killed with SIGKILL: a
// reconcile (or the next detach) leaves no map, WWID, disk, session or node
// record, and the data written before is intact.
func TestVolumeMultipathCrash(t *testing.T) {
	testutil.RequireMultipath(t)
	e := newVolEnv(t)
	t.Cleanup(func() { assertNoMultipath(t) })
	e.must("create", "--provision", "tgt", "--size", "16m", "--portal", testutil.TgtPortal, "--portal", testutil.TgtPortal2, "mpc")
	e.must("publish", "mpc")
	iqn := e.iqn("mpc")
	settled := func(t *testing.T) {
		t.Helper()
		e.assertNoTrace(iqn)
		assertNoMultipath(t)
		if v := e.inspect("mpc"); v["attachment"] != nil {
			t.Fatalf("attach state left: %v", v["attachment"])
		}
	}
	// Under emulation each round costs 5 to 13 s: the steps that differ from
	// a single-path volume's (whose every step TestVolumeCrashMidAttach
	// and TestVolumeCrashMidDetach kill): both paths' disks there and no
	// map, the map assembled and not yet formatted; on detach, the map
	// gone and the paths' disks still there.
	for _, phase := range []string{"multipath", "format"} {
		t.Run("attach-"+phase, func(t *testing.T) {
			if !pauseAndKill(t, e.cmd("attach", "--user", "c1", "--pause-after", phase, "mpc"), phase) {
				t.Fatal("attach ended before " + phase)
			}
			e.must("reconcile", "mpc")
			settled(t)
		})
	}
	e.crashDetachRounds(t, "mpc", []string{"map-gone", "disk-gone"}, settled)
}

// A target that redirects the login (iSCSI Login Response "target moved
// temporarily", as SMTX ZBS's redirector does): a second tgtd serves the
// volume's IQN on a third loopback address and redirects every login to
// the lane's tgtd, which has the LUN. The kernel initiator follows the
// redirection; cgrun finds the disk by the portal it logged in to and
// inspect shows where the session is connected.
func TestVolumeLoginRedirect(t *testing.T) {
	testutil.RequireISCSI(t)
	const redirector, ctl = "127.0.0.3:3260", "7"
	e := newVolEnv(t)
	e.must("create", "--provision", "tgt", "--size", "16m", "--portal", redirector, "redir")
	e.must("publish", "redir")
	iqn := e.iqn("redir")

	adm := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("tgtadm", append([]string{"-C", ctl, "--lld", "iscsi"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("tgtadm -C %s %v: %v: %s", ctl, args, err, out)
		}
	}
	if out, err := exec.Command("tgtd", "-C", ctl, "--iscsi", "portal="+redirector).CombinedOutput(); err != nil {
		t.Fatalf("second tgtd: %v: %s", err, out)
	}
	t.Cleanup(func() {
		_ = exec.Command("tgtadm", "-C", ctl, "--lld", "iscsi", "--op", "delete", "--mode", "target", "--tid", "1").Run()
		if out, err := exec.Command("tgtadm", "-C", ctl, "--op", "delete", "--mode", "system").CombinedOutput(); err != nil {
			t.Errorf("stop the second tgtd: %v: %s", err, out)
		}
	})
	for i := 0; i < 100 && exec.Command("tgtadm", "-C", ctl, "--op", "show", "--mode", "sys").Run() != nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	host, port, _ := net.SplitHostPort(testutil.TgtPortal2)
	adm("--op", "new", "--mode", "target", "--tid", "1", "-T", iqn)
	adm("--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL")
	adm("--op", "update", "--mode", "target", "--tid", "1", "-n", "RedirectAddress", "-v", host)
	adm("--op", "update", "--mode", "target", "--tid", "1", "-n", "RedirectPort", "-v", port)
	adm("--op", "update", "--mode", "target", "--tid", "1", "-n", "RedirectReason", "-v", "Temporary")

	staging := e.must("attach", "--user", "c1", "redir")
	if err := os.WriteFile(filepath.Join(staging, "f"), []byte("through the redirect"), 0o644); err != nil {
		t.Fatal(err)
	}
	ps := e.paths("redir")
	if len(ps) != 1 || ps[0].Portal != redirector || ps[0].Connected != testutil.TgtPortal2 || ps[0].Session != "LOGGED_IN" {
		t.Fatalf("paths %+v: want a session logged in at %s and connected to %s", ps, redirector, testutil.TgtPortal2)
	}
	e.must("detach", "--user", "c1", "redir")
	e.assertNoTrace(iqn)
	staging = e.must("attach", "--user", "c2", "redir")
	if b, err := os.ReadFile(filepath.Join(staging, "f")); err != nil || string(b) != "through the redirect" {
		t.Fatalf("read back %q, %v", b, err)
	}
	e.must("detach", "--user", "c2", "redir")
}

// The kernel LIO target listening on two portals, a block-mode volume: the
// attach prints the multipath map's device node, a container reads and
// writes it through its own device node, the data is there after a
// re-attach, and rm leaves no LIO target, map or WWID.
func TestVolumeMultipathLIOBlock(t *testing.T) {
	testutil.RequireMultipath(t)
	if testutil.InVM() {
		_ = exec.Command("modprobe", "-a", "iscsi_target_mod", "target_core_file").Run()
		_ = os.Mkdir("/sys/kernel/config/target/iscsi", 0o755)
	}
	testutil.RequireLIO(t)
	e, c := runVolEnv(t)
	t.Cleanup(func() { assertNoMultipath(t) })
	host2, _, _ := net.SplitHostPort(testutil.TgtPortal2)
	second := net.JoinHostPort(host2, "3261")
	e.must("create", "--provision", "lio", "--mode", "block", "--size", "16m", "--portal", lioPortal, "--portal", second, "lmp")
	e.must("publish", "lmp")
	iqn := e.iqn("lmp")
	for _, p := range []string{lioPortal, second} {
		if _, err := os.Stat(filepath.Join("/sys/kernel/config/target/iscsi", iqn, "tpgt_1/np", p)); err != nil {
			t.Fatalf("LIO does not listen on %s: %v", p, err)
		}
	}
	out := strings.Fields(e.must("attach", "--user", "c1", "lmp"))
	if len(out) != 2 || !strings.HasPrefix(out[0], "/dev/dm-") {
		t.Fatalf("attach printed %q, want the map's device node", out)
	}
	uuid, _ := os.ReadFile(filepath.Join("/sys/block", filepath.Base(out[0]), "dm/uuid"))
	if !strings.HasPrefix(string(uuid), "mpath-") {
		t.Fatalf("%s is not a multipath map: uuid %q", out[0], uuid)
	}
	if ps := e.paths("lmp"); len(ps) != 2 || ps[0].DM != "active" || ps[1].DM != "active" {
		t.Fatalf("paths %+v", ps)
	}
	e.must("detach", "--user", "c1", "lmp")
	assertNoMultipath(t)

	// a container writes the raw device through the map, another reads it
	mustRun(t, c.Run([]string{"--rm", "-v", "lmp:/dev/xvdb"}, "sh", "-c",
		"printf 'through dm-multipath' | dd of=/dev/xvdb bs=512 conv=sync,fsync 2>/dev/null"), "writer")
	e.detached("lmp", iqn)
	if got := mustRun(t, c.Run([]string{"--rm", "-v", "lmp:/dev/xvdb:ro"}, "dd", "if=/dev/xvdb", "bs=20", "count=1"), "reader"); got != "through dm-multipath" {
		t.Fatalf("read back %q", got)
	}
	e.detached("lmp", iqn)
	assertNoMultipath(t)
	e.must("unpublish", "lmp")
	e.must("rm", "lmp")
	if _, err := os.Stat("/sys/kernel/config/target/iscsi/" + iqn); err == nil {
		t.Fatal("LIO target left after rm")
	}
}
