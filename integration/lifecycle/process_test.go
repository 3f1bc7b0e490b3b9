package lifecycle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/integration/testutil"
)

// Docker's process options of run, read back inside the container (both
// lanes).

func mustOut(t *testing.T, r testutil.Result, what string) string {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("%s: %s", what, r)
	}
	return r.Stdout
}

func TestUlimitShmTmpfs(t *testing.T) {
	c := testutil.NewCgrun(t)
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	hard := strconv.FormatUint(rl.Max, 10)
	if got := mustOut(t, c.Run([]string{"--rm"}, "sh", "-c", "ulimit -n; ulimit -Hn"), "default ulimit"); got != hard+"\n"+hard {
		t.Errorf("default nofile %q, want cgrun's own hard limit %s for both", got, hard)
	}
	got := mustOut(t, c.Run([]string{"--rm", "--ulimit", "nofile=512:1024", "--ulimit", "nproc=300"}, "sh", "-c", "ulimit -n; ulimit -Hn; ulimit -u"), "--ulimit")
	if got != "512\n1024\n300" {
		t.Errorf("--ulimit: %q", got)
	}
	got = mustOut(t, c.Run([]string{"--rm", "--shm-size", "16m"}, "sh", "-c", "df -k /dev/shm | awk 'NR==2{print $2}'"), "--shm-size")
	if got != "16384" {
		t.Errorf("--shm-size 16m: /dev/shm has %s KiB", got)
	}
	got = mustOut(t, c.Run([]string{"--rm", "--tmpfs", "/scratch:size=1m,mode=1770"}, "sh", "-c",
		"grep ' /scratch ' /proc/mounts; stat -c %a /scratch; echo x > /scratch/f && cat /scratch/f; cp /bin/busybox /scratch/bb && /scratch/bb true || echo noexec"), "--tmpfs")
	for _, want := range []string{"tmpfs /scratch tmpfs rw,nosuid,nodev,noexec", "size=1024k", "\n1770\n", "\nx\n", "noexec"} {
		if !strings.Contains(got, want) {
			t.Errorf("--tmpfs: want %q in %q", want, got)
		}
	}
}

func TestSysctl(t *testing.T) {
	c := testutil.NewCgrun(t)
	got := mustOut(t, c.Run([]string{"--rm", "--sysctl", "kernel.shmmax=123456", "--sysctl", "net.ipv4.ip_forward=1"}, "sh", "-c",
		"cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward"), "--sysctl")
	if got != "123456\n1" {
		t.Errorf("--sysctl: %q", got)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/shmmax"); err == nil && strings.TrimSpace(string(b)) == "123456" {
		t.Error("the container's sysctl reached the host")
	}
	for _, flags := range [][]string{
		{"--sysctl", "kernel.panic=1"},                             // not namespaced
		{"--sysctl", "nokey"},                                      // syntax
		{"--sysctl", "net.ipv4.ip_forward=1", "--network", "host"}, // the host's network namespace
		{"--sysctl", "kernel.shmmax=1", "--ipc", "host"},           // the host's IPC namespace
	} {
		if r := c.Run(append([]string{"--rm"}, flags...), "true"); r.Code != 125 || strings.Contains(r.Stderr, "\n") || !strings.Contains(r.Stderr, "--sysctl") {
			t.Errorf("%v: want exit 125 and one line naming --sysctl, got %s", flags, r)
		}
	}
	if left := c.Leftovers(); len(left) > 0 {
		t.Errorf("refused runs left %v", left)
	}
}

// --init: PID 1 is the init, which reaps orphans and forwards SIGTERM; a
// command run as PID 1 itself does neither.
func TestInit(t *testing.T) {
	c := testutil.NewCgrun(t)
	if got := mustOut(t, c.Run([]string{"--rm", "--init"}, "sh", "-c", "cat /proc/1/comm"), "--init"); got != "docker-init" {
		t.Fatalf("--init: PID 1 is %q", got)
	}
	// An orphan's zombie: the subshell's sleep is reparented to PID 1.
	zombies := func(init bool) string {
		flags := []string{"-d"}
		if init {
			flags = append(flags, "--init")
		}
		id := mustOut(t, c.Run(flags, "sh", "-c", "(sleep 0.2 &); exec sleep 30"), "run -d")
		defer c.Cmd("rm", "-f", id)
		time.Sleep(1500 * time.Millisecond)
		return mustOut(t, c.Cmd("exec", id, "sh", "-c", "grep -l '^State:.*Z' /proc/[0-9]*/status | wc -l"), "exec")
	}
	if z := zombies(false); z != "1" {
		t.Errorf("without --init: %s zombies, want the orphan's 1 (a test that could not fail otherwise)", z)
	}
	if z := zombies(true); z != "0" {
		t.Errorf("with --init: %s zombies, want 0", z)
	}
	// SIGTERM reaches the command through the init.
	id := mustOut(t, c.Run([]string{"-d", "--init"}, "sleep", "60"), "run -d --init")
	mustOut(t, c.Cmd("kill", "-s", "TERM", id), "kill TERM")
	start := time.Now()
	if got := mustOut(t, c.Cmd("wait", id), "wait"); got != "143" || time.Since(start) > 10*time.Second {
		t.Errorf("--init, SIGTERM: exit %q after %v, want 143 at once", got, time.Since(start))
	}
	c.Cmd("rm", id)
}

type nsInspect struct {
	Labels map[string]string `json:"labels"`
	Pid    int               `json:"pid"`
	Spec   struct {
		Annotations map[string]string `json:"annotations"`
	} `json:"spec"`
}

func TestNamespaces(t *testing.T) {
	c := testutil.NewCgrun(t)
	hostNS := func(t string) string { l, _ := os.Readlink("/proc/self/ns/" + t); return l }
	for _, tc := range []struct{ flag, ns string }{{"--ipc", "ipc"}, {"--uts", "uts"}, {"--pid", "pid"}} {
		if got := mustOut(t, c.Run([]string{"--rm", tc.flag, "host"}, "readlink", "/proc/self/ns/"+tc.ns), tc.flag); got != hostNS(tc.ns) {
			t.Errorf("%s host: %s, want the host's %s", tc.flag, got, hostNS(tc.ns))
		}
		if got := mustOut(t, c.Run([]string{"--rm"}, "readlink", "/proc/self/ns/"+tc.ns), tc.ns); got == hostNS(tc.ns) {
			t.Errorf("default %s namespace is the host's", tc.ns)
		}
	}
	host, _ := os.Hostname()
	if got := mustOut(t, c.Run([]string{"--rm", "--uts", "host"}, "sh", "-c", "hostname; cat /etc/hostname"), "--uts host"); got != host+"\n"+host {
		t.Errorf("--uts host: %q, want the host's %s twice", got, host)
	}
	owner := mustOut(t, c.Run([]string{"-d", "--name", "nsowner"}, "sleep", "60"), "run -d")
	defer c.Cmd("rm", "-f", owner)
	r := c.Cmd("inspect", owner)
	var in []nsInspect
	if err := json.Unmarshal([]byte(r.Stdout), &in); err != nil || len(in) != 1 {
		t.Fatalf("inspect: %s", r)
	}
	for _, ns := range []string{"pid", "ipc", "uts"} {
		want, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(in[0].Pid), "ns", ns))
		if got := mustOut(t, c.Run([]string{"--rm", "--" + ns, "container:nsowner"}, "readlink", "/proc/self/ns/"+ns), ns); got != want {
			t.Errorf("--%s container:nsowner: %s, want %s", ns, got, want)
		}
	}
	if got := mustOut(t, c.Run([]string{"--rm", "--pid", "container:nsowner"}, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"), "shared pid"); got != "sleep 60" {
		t.Errorf("--pid container:nsowner sees PID 1 %q, want the owner's sleep 60", got)
	}
	// cgroupns private shows the container's cgroup as the root.
	if got := mustOut(t, c.Run([]string{"--rm", "--cgroupns", "private"}, "sh", "-c", "grep -c ':/$' /proc/self/cgroup"), "cgroupns"); got == "0" {
		t.Error("--cgroupns private: no cgroup shown as /")
	}
	if got := mustOut(t, c.Run([]string{"--rm", "--cgroupns", "host"}, "sh", "-c", "grep -c '"+c.Parent+"' /proc/self/cgroup"), "cgroupns host"); got == "0" {
		t.Errorf("--cgroupns host: the container does not see its cgroup under %s", c.Parent)
	}
	for _, bad := range [][]string{{"--pid", "bogus"}, {"--ipc", "container:"}, {"--uts", "container:no-such"}, {"--cgroupns", "container:nsowner"}} {
		if r := c.Run(append([]string{"--rm"}, bad...), "true"); r.Code != 125 || strings.Contains(r.Stderr, "\n") || !strings.Contains(r.Stderr, bad[0]) {
			t.Errorf("%v: want exit 125 and one line naming the flag, got %s", bad, r)
		}
	}
}

func TestDeviceRuleLabelsAnnotationsEnvFile(t *testing.T) {
	c := testutil.NewCgrun(t)
	// b 7:0 (a loop device) is not in the default allowed list; opening
	// it needs a rule (the read itself is of zero blocks).
	mk := "mknod /dev/myloop b 7 0 && dd if=/dev/myloop of=/dev/null count=0 2>/dev/null && echo ok"
	if r := c.Run([]string{"--rm"}, "sh", "-c", mk); r.Code == 0 {
		t.Errorf("without a device rule a new b 7:0 node opens: %s", r)
	}
	if got := mustOut(t, c.Run([]string{"--rm", "--device-cgroup-rule", "b 7:* r"}, "sh", "-c", mk), "--device-cgroup-rule"); got != "ok" {
		t.Errorf("--device-cgroup-rule: %q", got)
	}
	env := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(env, []byte("# a comment\nA=from-file\nB=file\n\nC\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("C", "from-host")
	id := mustOut(t, c.Run([]string{"-d", "--label", "tier=db", "--annotation", "org.example/owner=ops", "--env-file", env, "-e", "B=flag"},
		"sh", "-c", "echo $A $B $C; sleep 60"), "run -d")
	defer c.Cmd("rm", "-f", id)
	r := c.Cmd("inspect", id)
	var in []nsInspect
	if err := json.Unmarshal([]byte(r.Stdout), &in); err != nil || len(in) != 1 || in[0].Labels["tier"] != "db" || in[0].Spec.Annotations["org.example/owner"] != "ops" {
		t.Errorf("inspect: labels and annotations: %s", r)
	}
	time.Sleep(300 * time.Millisecond)
	if got := mustOut(t, c.Cmd("logs", id), "logs"); got != "from-file flag from-host" {
		t.Errorf("--env-file then -e: %q", got)
	}
	for _, bad := range [][]string{
		{"--device-cgroup-rule", "x 1:3 r"}, {"--label", "novalue"}, {"--annotation", "=x"},
		{"--env-file", "/no/such/file"}, {"--ulimit", "nofile=2:1"}, {"--ulimit", "bogus=1"},
		{"--shm-size", "-1"}, {"--tmpfs", "rel"}, {"--tmpfs", "/x:bogus"},
	} {
		if r := c.Run(append([]string{"--rm"}, bad...), "true"); r.Code != 125 || strings.Contains(r.Stderr, "\n") || !strings.Contains(r.Stderr, bad[0]) {
			t.Errorf("%v: want exit 125 and one line naming the flag, got %s", bad, r)
		}
	}
}

// The real-time budget: honoured on cgroup v1 (the parent gets what its
// container asks for), refused with check's words on v2.
func TestCPURealtime(t *testing.T) {
	c := testutil.NewCgrun(t)
	if testutil.CgroupMode() == testutil.V2 {
		r := c.Run([]string{"--rm", "--cpu-rt-runtime", "10000"}, "true")
		if r.Code != 125 || !strings.Contains(r.Stderr, "--cpu-rt-runtime: cgroup v2 has no cpu.rt_runtime_us") {
			t.Errorf("--cpu-rt-runtime on v2: %s", r)
		}
		return
	}
	if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"); err != nil {
		t.Skip("this kernel has no real-time group scheduling (CONFIG_RT_GROUP_SCHED)")
	}
	got := mustOut(t, c.Run([]string{"--rm", "--cpu-rt-runtime", "10000", "--cpu-rt-period", "100000"}, "sh", "-c",
		"cat /sys/fs/cgroup/cpu/cpu.rt_runtime_us /sys/fs/cgroup/cpu/cpu.rt_period_us"), "--cpu-rt-runtime")
	if got != "10000\n100000" {
		t.Errorf("--cpu-rt-runtime 10000 --cpu-rt-period 100000: %q", got)
	}
	if r := c.Run([]string{"--rm", "--cpu-rt-runtime", "20000", "--cpu-rt-period", "10000"}, "true"); r.Code != 125 || !strings.Contains(r.Stderr, "--cpu-rt-runtime") {
		t.Errorf("runtime above the period: %s", r)
	}
}

// Every Alibaba knob `check` lists is settable, by its flag or by
// --annotation io.cgrun.cgroup.FILE=VALUE, and refused with check's words
// where the kernel lacks its file.
func TestKnobsSettable(t *testing.T) {
	c := testutil.NewCgrun(t)
	r := c.Cmd("check", "--format", "json")
	var rep struct {
		Flags []struct {
			Flag      string `json:"flag"`
			Supported bool   `json:"supported"`
			Reason    string `json:"reason"`
		} `json:"flags"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("check: %s", r)
	}
	knobs := map[string]string{"--cpu-bvt-warp-ns": "cpu.bvt_warp_ns", "--memory-priority": "memory.priority",
		"--memory-use-priority-oom": "memory.use_priority_oom", "--memory-wmark-ratio": "memory.wmark_ratio",
		"--memory-wmark-scale-factor": "memory.wmark_scale_factor"}
	seen := 0
	for _, f := range rep.Flags {
		file, ok := knobs[f.Flag]
		if !ok {
			continue
		}
		seen++
		for _, flags := range [][]string{{f.Flag, "1"}, {"--annotation", "io.cgrun.cgroup." + file + "=1"}} {
			r := c.Run(append([]string{"--rm"}, flags...), "true")
			switch {
			case f.Supported && r.Code != 0:
				t.Errorf("%v on a kernel that has %s: %s", flags, file, r)
			case !f.Supported && (r.Code != 125 || !strings.Contains(r.Stderr, f.Flag+": "+f.Reason)):
				t.Errorf("%v: want exit 125 with check's words %q, got %s", flags, f.Flag+": "+f.Reason, r)
			}
		}
	}
	if seen != len(knobs) {
		t.Errorf("check lists %d of the %d knobs", seen, len(knobs))
	}
}
