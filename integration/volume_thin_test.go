package integration

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// Thin volumes (make test-vm): LVs of the lane's LVM thin pool served by
// LIO's block backstore. They grow online under a writing container and
// have copy-on-write snapshots that volumes are made from.

// dfKB is the size in KiB of the filesystem at /data in container id.
func dfKB(t *testing.T, c *testutil.Cgrun, id string) int {
	t.Helper()
	out := mustRun(t, c.Cmd("exec", id, "df", "-k", "/data"), "df")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	f := strings.Fields(lines[len(lines)-1])
	if len(f) < 2 {
		t.Fatalf("df: %q", out)
	}
	n, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatalf("df: %q", out)
	}
	return n
}

// startCounterWriter runs a detached container with the volume v
// ("NAME:/data" or "HOSTDIR:/data") that writes a counter to /data/n
// every 50 ms; count reads it.
func startCounterWriter(t *testing.T, c *testutil.Cgrun, v string) (id string, count func() int) {
	t.Helper()
	id = mustRun(t, c.Run([]string{"-d", "-v", v}, "sh", "-c",
		"i=0; while :; do i=$((i+1)); echo $i > /data/n.tmp && mv /data/n.tmp /data/n; sleep 0.05; done"), "writer")
	return id, func() int {
		n, _ := strconv.Atoi(strings.TrimSpace(mustRun(t, c.Cmd("exec", id, "cat", "/data/n"), "cat")))
		return n
	}
}

// write48MiB writes 48 MiB to /data/big in container id, with fsync.
func write48MiB(c *testutil.Cgrun, id string) testutil.Result {
	return c.Cmd("exec", id, "dd", "if=/dev/zero", "of=/data/big", "bs=1M", "count=48", "conv=fsync")
}

// lvsOfTest lists the LVs of the lane's pool whose name holds one of names.
func lvsOfTest(t *testing.T, names ...string) []string {
	t.Helper()
	out, err := exec.Command("lvs", "--noheadings", "-o", "lv_name", strings.Split(testutil.ThinPool, "/")[0]).Output()
	if err != nil {
		t.Fatalf("lvs: %v", err)
	}
	var left []string
	for _, lv := range strings.Fields(string(out)) {
		for _, n := range names {
			if strings.Contains(lv, "-"+n) {
				left = append(left, lv)
			}
		}
	}
	return left
}

// startChecksumWriter runs a detached container with the volume v
// ("NAME:/data" or "HOSTDIR:/data") that writes 64 KiB files of random
// bytes, each with fsync and then a line of its sha256 in /data/manifest,
// and waits until it listed 5.
func startChecksumWriter(t *testing.T, c *testutil.Cgrun, v string) string {
	t.Helper()
	id := mustRun(t, c.Run([]string{"-d", "-v", v}, "sh", "-c",
		"i=0; while :; do i=$((i+1)); dd if=/dev/urandom of=/data/f$i bs=4k count=16 conv=fsync 2>/dev/null; "+
			"(cd /data && sha256sum f$i >> manifest) && sync; done"), "writer")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if r := c.Cmd("exec", id, "wc", "-l", "/data/manifest"); r.Code == 0 {
			if n, _ := strconv.Atoi(strings.Fields(r.Stdout)[0]); n >= 5 {
				return id
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer wrote fewer than 5 files in 60 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkManifest checks every file a checksum writer listed in
// dir/manifest against its line, and returns how many (at least 5).
func checkManifest(t *testing.T, dir string) int {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "manifest"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checked := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			continue // a line cut by the snapshot: its file was not acknowledged
		}
		if got := sha(t, filepath.Join(dir, fields[1])); got != fields[0] {
			t.Fatalf("%s in the snapshot: sha256 %s, the writer's %s", fields[1], got, fields[0])
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("%d files checked, want at least 5", checked)
	}
	return checked
}

// A thin volume grows while a container writes to it: the container sees
// the new size without a restart (df inside, and a write the old size had
// no room for), its writer never stops; shrinking and growing a
// file-backed volume are refused in one line.
func TestVolumeThinExpandOnline(t *testing.T) {
	e, c := runVolEnv(t)
	testutil.RequireThinPool(t)
	e.must("create", "--provision", "lio", "--portal", lioPortal, "--thin-pool", testutil.ThinPool, "--size", "32m", "grow")
	e.must("publish", "grow")
	iqn := e.iqn("grow")
	id, count := startCounterWriter(t, c, "grow:/data")
	before := dfKB(t, c, id)
	if r := write48MiB(c, id); r.Code == 0 {
		t.Fatalf("48 MiB fit in a 32 MiB volume: %s", r)
	}
	mustRun(t, c.Cmd("exec", id, "rm", "-f", "/data/big"), "rm big")
	n0 := count()
	if out := e.must("expand", "grow", "--size", "96m"); out != "grow "+strconv.Itoa(96<<20) {
		t.Fatalf("expand printed %q", out)
	}
	after := dfKB(t, c, id)
	if after < before+56*1024 { // 64 MiB more, less ext4's own
		t.Fatalf("the container sees %d KiB after the expansion, %d before: want about 64 MiB more", after, before)
	}
	mustRun(t, write48MiB(c, id), "48 MiB after the expansion")
	time.Sleep(300 * time.Millisecond)
	if n1 := count(); n1 <= n0 {
		t.Fatalf("the writer stopped: %d then %d", n0, n1)
	}
	if v := e.inspect("grow"); v["sizeBytes"] != float64(96<<20) {
		t.Fatalf("registry size %v", v["sizeBytes"])
	}
	e.must("expand", "grow", "--size", "96m") // again: nothing to do
	e.refused("do not shrink", "expand", "grow", "--size", "16m")
	e.must("create", "--provision", "tgt", "--size", "16m", "plain")
	e.refused("file-backed", "expand", "plain", "--size", "32m")
	e.refused("file-backed", "snapshot", "plain", "nope")
	e.refused("--size", "expand", "grow", "--size", "lots")
	mustRun(t, c.Cmd("rm", "-f", id), "rm -f")
	e.detached("grow", iqn)
	e.must("rm", "grow")
	if left := lvsOfTest(t, "grow"); len(left) > 0 {
		t.Fatalf("LVs left after rm: %v", left)
	}
}

// A snapshot taken while a container writes (fsync after each file, then
// a line of its checksum in a manifest) restores, as a new volume, a
// clean filesystem (e2fsck -fn) holding every file of the manifest intact.
func TestVolumeThinSnapshotConsistent(t *testing.T) {
	e, c := runVolEnv(t)
	testutil.RequireThinPool(t)
	e.must("create", "--provision", "lio", "--portal", lioPortal, "--thin-pool", testutil.ThinPool, "--size", "64m", "src")
	e.must("publish", "src")
	id := startChecksumWriter(t, c, "src:/data")
	e.must("snapshot", "src", "s1")
	e.must("snapshot", "src", "s1") // again: the same snapshot
	var snaps []map[string]any
	if err := json.Unmarshal([]byte(e.must("snapshots", "--format", "json")), &snaps); err != nil || len(snaps) != 1 ||
		snaps[0]["volume"] != "src" || snaps[0]["frozen"] != true {
		t.Fatalf("snapshots: %v %v", snaps, err)
	}
	mustRun(t, c.Cmd("exec", id, "true"), "the writer still runs")
	e.must("create", "--from-snapshot", "s1", "restored")
	e.must("publish", "restored")
	e.refused("exists", "snapshot", "restored", "s1")
	if v := e.inspect("restored"); v["fromSnapshot"] != "s1" || v["thinPool"] != testutil.ThinPool || v["portal"] != lioPortal || v["sizeBytes"] != float64(64<<20) {
		t.Fatalf("restored: %v", v)
	}
	lv := "/dev/" + strings.Split(testutil.ThinPool, "/")[0] + "/cgrun-restored"
	if out, err := exec.Command("e2fsck", "-fn", lv).CombinedOutput(); err != nil {
		t.Fatalf("e2fsck -fn of the restored volume: %v\n%s", err, out)
	}
	staging := e.must("attach", "--user", "check", "restored")
	t.Logf("%d fsynced files intact in the snapshot", checkManifest(t, staging))
	e.must("detach", "--user", "check", "restored")
	mustRun(t, c.Cmd("rm", "-f", id), "rm -f")
	e.must("snapshot-rm", "s1")
	e.must("rm", "restored")
	e.must("rm", "src")
	if left := lvsOfTest(t, "src", "restored", "s1"); len(left) > 0 {
		t.Fatalf("LVs left: %v", left)
	}
}

// cgrun killed with SIGKILL while its snapshot holds the volume's
// filesystem frozen: the next command on the volume (reconcile here)
// thaws it and an fsynced write goes through; the snapshot it left half
// made is made by the same command again.
func TestVolumeThinSnapshotCrashFrozen(t *testing.T) {
	e := newVolEnv(t)
	testutil.RequireThinPool(t)
	e.must("create", "--provision", "lio", "--portal", lioPortal, "--thin-pool", testutil.ThinPool, "--size", "32m", "fz")
	e.must("publish", "fz")
	staging := e.must("attach", "--user", "c1", "fz")
	if !pauseAndKill(t, e.cmd("snapshot", "--pause-after", "frozen", "fz", "s1"), "frozen") {
		t.Fatal("the snapshot ended before it froze the filesystem")
	}
	e.must("reconcile", "fz")
	done := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(filepath.Join(staging, "after"), os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			_, err = f.WriteString("written after the crash")
			if err == nil {
				err = f.Sync()
			}
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the filesystem is still frozen after reconcile")
	}
	e.must("snapshot", "fz", "s1")
	var snaps []map[string]any
	if err := json.Unmarshal([]byte(e.must("snapshots", "--format", "json")), &snaps); err != nil || len(snaps) != 1 || snaps[0]["sizeBytes"] != float64(32<<20) {
		t.Fatalf("snapshots after the crash and the retry: %v %v", snaps, err)
	}
	e.must("detach", "--user", "c1", "fz")
	e.must("snapshot-rm", "s1")
	e.must("rm", "fz")
	if left := lvsOfTest(t, "fz", "s1"); len(left) > 0 {
		t.Fatalf("LVs left: %v", left)
	}
}
