package integration

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/integration/testutil"
)

// cgrunBin is the binary under test (make test-integration sets CGRUN_BIN).
func cgrunBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("CGRUN_BIN")
	testutil.Require(t, bin != "", "CGRUN_BIN not set", "make test-integration")
	return bin
}

type checkJSON struct {
	cgroup.Host
	Flags []flagSupport `json:"flags"`
}

// flagSupport is one row of check's "flags".
type flagSupport struct {
	Flag      string `json:"flag"`
	Supported bool   `json:"supported"`
	File      string `json:"file"`
	Reason    string `json:"reason"`
	Note      string `json:"note"`
}

// knobFlags are PouchContainer's flags of the Alibaba knobs check lists.
var knobFlags = map[string]string{
	"cpu.bvt_warp_ns":           "--cpu-bvt-warp-ns",
	"memory.priority":           "--memory-priority",
	"memory.use_priority_oom":   "--memory-use-priority-oom",
	"memory.wmark_ratio":        "--memory-wmark-ratio",
	"memory.wmark_scale_factor": "--memory-wmark-scale-factor",
}

func runCheck(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(cgrunBin(t), append([]string{"check"}, args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// hostMounts reads the cgroup mounts from /proc/self/mountinfo on its own:
// controller -> mount point for v1, and the cgroup2 mount point.
func hostMounts(t *testing.T) (map[string]string, string) {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v1 := map[string]string{}
	unified := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, _ := strings.Cut(sc.Text(), " - ")
		pf, sf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(sf) < 3 || !strings.HasPrefix(pf[4], testutil.CgroupRoot) {
			continue
		}
		switch sf[0] {
		case "cgroup2":
			unified = pf[4]
		case "cgroup":
			for _, o := range strings.Split(sf[2], ",") {
				if o != "rw" && o != "ro" && !strings.Contains(o, "=") {
					v1[o] = pf[4]
				}
			}
		}
	}
	return v1, unified
}

func flagOf(t *testing.T, rep checkJSON, name string) flagSupport {
	t.Helper()
	i := slices.IndexFunc(rep.Flags, func(f flagSupport) bool { return f.Flag == name })
	if i < 0 {
		t.Fatalf("check lists no %s", name)
	}
	return rep.Flags[i]
}

// TestCheckTellsTheTruth compares `cgrun check --format json` with what
// /proc and /sys say on this machine.
func TestCheckTellsTheTruth(t *testing.T) {
	testutil.RequireRoot(t)
	out, stderr, code := runCheck(t, "--format", "json")
	if code != 0 {
		t.Fatalf("check exit %d: %s", code, stderr)
	}
	var rep checkJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("check --format json does not parse: %v\n%s", err, out)
	}

	osrel, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kernel != strings.TrimSpace(string(osrel)) {
		t.Errorf("kernel %q, /proc says %q", rep.Kernel, osrel)
	}

	v1, unified := hostMounts(t)
	memDir := filepath.Join(testutil.CgroupRoot, "memory")
	switch {
	case unified == testutil.CgroupRoot:
		if rep.Mode != cgroup.ModeV2 {
			t.Errorf("mode %s, cgroup2 is mounted at the root", rep.Mode)
		}
		memDir = testutil.CgroupRoot
	case len(v1) > 0 && unified != "":
		if rep.Mode != cgroup.ModeHybrid || rep.Unified != unified {
			t.Errorf("mode %s unified %q; mounts: v1 %v and cgroup2 at %s", rep.Mode, rep.Unified, v1, unified)
		}
	default:
		if rep.Mode != cgroup.ModeV1 {
			t.Errorf("mode %s, only v1 mounts", rep.Mode)
		}
	}
	if rep.Mode != cgroup.ModeV2 {
		for c, dir := range v1 {
			if rep.Controllers[c] != dir {
				t.Errorf("controller %s at %s, check says %q", c, dir, rep.Controllers[c])
			}
		}
		if len(rep.Controllers) != len(v1) {
			t.Errorf("controllers %v, mounts %v", rep.Controllers, v1)
		}
		_, err := os.Stat(filepath.Join(memDir, "memory.memsw.limit_in_bytes"))
		if rep.SwapAccounting != (err == nil) {
			t.Errorf("swap accounting %v, memory.memsw.limit_in_bytes: %v", rep.SwapAccounting, err)
		}
	} else {
		b, err := os.ReadFile(filepath.Join(testutil.CgroupRoot, "cgroup.controllers"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range strings.Fields(string(b)) {
			if !rep.HasController(c) {
				t.Errorf("controller %s in cgroup.controllers, not in check", c)
			}
		}
	}

	// Block devices: every device with a scheduler, bfq as /sys says.
	scheds, _ := filepath.Glob("/sys/block/*/queue/scheduler")
	if len(rep.BlockDevices) != len(scheds) {
		t.Errorf("%d block devices, /sys/block has %d with a scheduler", len(rep.BlockDevices), len(scheds))
	}
	for _, d := range rep.BlockDevices {
		b, err := os.ReadFile(filepath.Join("/sys/block", d.Name, "queue/scheduler"))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if d.BFQAvailable != strings.Contains(s, "bfq") || d.BFQActive != strings.Contains(s, "[bfq]") {
			t.Errorf("%s: bfq available %v active %v; scheduler %q", d.Name, d.BFQAvailable, d.BFQActive, s)
		}
	}

	// Alibaba knobs: the answer and the refusal wording follow the files.
	for _, file := range cgroup.AlibabaKnobs {
		k := struct{ File, Flag string }{file, knobFlags[file]}
		f := flagOf(t, rep, k.Flag)
		_, errRoot := os.Stat(filepath.Join(rep.Controllers[strings.Split(k.File, ".")[0]], k.File))
		if errRoot == nil && !f.Supported {
			t.Errorf("%s: %s exists, check says %q", k.Flag, k.File, f.Reason)
		}
		if !f.Supported {
			want := "this kernel has no " + k.File + " (Alibaba Cloud Linux kernels only)"
			if f.Reason != want {
				t.Errorf("%s reason %q, want %q", k.Flag, f.Reason, want)
			}
		}
	}

	// iSCSI: usable only with iscsiadm, the iscsi_tcp module and iscsid.
	_, errAdm := exec.LookPath("iscsiadm")
	_, errMod := os.Stat("/sys/module/iscsi_tcp")
	if rep.ISCSI.Usable && (errAdm != nil || (errMod != nil && !rep.ISCSI.ModuleLoadable)) {
		t.Errorf("iSCSI usable claimed: iscsiadm %v, iscsi_tcp %v", errAdm, errMod)
	}
	if rep.ISCSI.ModuleLoaded != (errMod == nil) {
		t.Errorf("iscsi_tcp loaded %v, /sys/module/iscsi_tcp: %v", rep.ISCSI.ModuleLoaded, errMod)
	}
	if rep.ISCSI.Usable != testutil.HasKernelISCSI() && errAdm == nil {
		t.Logf("note: check says iSCSI usable=%v, testutil.HasKernelISCSI()=%v (%s)", rep.ISCSI.Usable, testutil.HasKernelISCSI(), rep.ISCSI.Reason)
	}

	// thin volumes: lvm, thin_check, dm_thin_pool and LIO's iblock; where
	// the lane's thin pool answers, check must say yes.
	_, errLVM := exec.LookPath("lvm")
	_, errTC := exec.LookPath("thin_check")
	_, errThin := os.Stat("/sys/module/dm_thin_pool")
	if rep.Thin.Usable && (errLVM != nil || errTC != nil) {
		t.Errorf("thin volumes usable claimed: lvm %v, thin_check %v", errLVM, errTC)
	}
	if rep.Thin.ModuleLoaded != (errThin == nil) {
		t.Errorf("dm_thin_pool loaded %v, /sys/module/dm_thin_pool: %v", rep.Thin.ModuleLoaded, errThin)
	}
	if exec.Command("lvs", testutil.ThinPool).Run() == nil && !rep.Thin.Usable {
		t.Errorf("thin pool %s answers, check says thin volumes unusable: %s", testutil.ThinPool, rep.Thin.Reason)
	}

	// cgroup v2 refuses the two flags with no upstream file, v1 takes them.
	for _, name := range []string{"--memory-swappiness", "--oom-kill-disable"} {
		if f := flagOf(t, rep, name); f.Supported == (rep.Mode == cgroup.ModeV2) {
			t.Errorf("%s supported=%v on %s", name, f.Supported, rep.Mode)
		}
	}
	t.Logf("check: mode %s, kernel %s, swap accounting %v, iSCSI usable %v, thin volumes %v, %d block devices", rep.Mode, rep.Kernel, rep.SwapAccounting, rep.ISCSI.Usable, rep.Thin.Usable, len(rep.BlockDevices))
}

// TestCheckTable prints the same answers as the JSON, one flag per line.
func TestCheckTable(t *testing.T) {
	testutil.RequireRoot(t)
	out, stderr, code := runCheck(t)
	if code != 0 {
		t.Fatalf("check exit %d: %s", code, stderr)
	}
	jout, _, _ := runCheck(t, "--format", "json")
	var rep checkJSON
	if err := json.Unmarshal([]byte(jout), &rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "cgroup mode") || !strings.Contains(out, string(rep.Mode)) {
		t.Errorf("no cgroup mode line:\n%s", out)
	}
	thin := "yes"
	if !rep.Thin.Usable {
		thin = "no: " + rep.Thin.Reason
	}
	if !regexp.MustCompile(`(?m)^thin volumes +` + regexp.QuoteMeta(thin) + `$`).MatchString(out) {
		t.Errorf("no line \"thin volumes %s\":\n%s", thin, out)
	}
	for _, f := range rep.Flags {
		want := f.Reason
		if f.Supported {
			want = f.File
		}
		found := false
		for line := range strings.SplitSeq(out, "\n") {
			fields := strings.Fields(line)
			if len(fields) > 1 && fields[0] == f.Flag && strings.Contains(line, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no line for %s with %q", f.Flag, want)
		}
	}
}

func TestCheckBadFormat(t *testing.T) {
	_, stderr, code := runCheck(t, "--format", "yaml")
	if code != 125 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, `--format "yaml"`) {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
}
