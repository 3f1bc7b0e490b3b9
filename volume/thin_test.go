package volume

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeLVM answers lvm's commands from a map of LV sizes, rounding to 4 MiB
// extents as lvm does.
type fakeLVM struct {
	mu  sync.Mutex
	lvs map[string]int64
}

const extent = 4 << 20

func (f *fakeLVM) respond(c Cmd) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.Name != "lvm" {
		return nil, nil
	}
	a := c.Args
	size := func(s string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSuffix(s, "b"), 10, 64)
		return (n + extent - 1) / extent * extent
	}
	last := func() string { _, lv, _ := strings.Cut(a[len(a)-1], "/"); return lv }
	switch a[0] {
	case "lvs":
		var rows []string
		for n, s := range f.lvs {
			rows = append(rows, fmt.Sprintf(`{"lv_name":%q, "lv_size":"%d", "pool_lv":"pool"}`, n, s))
		}
		return []byte(`{"report": [{"lv": [` + strings.Join(rows, ",") + `]}]}`), nil
	case "lvcreate":
		var name, origin string
		var v int64
		for i := 0; i < len(a); i++ {
			switch a[i] {
			case "-n":
				name = a[i+1]
			case "-V":
				v = size(a[i+1])
			case "-s":
				origin = last()
			}
		}
		if _, ok := f.lvs[name]; ok {
			return nil, exitErr(c, 5, `Logical Volume "`+name+`" already exists in volume group "vg"`)
		}
		if origin != "" {
			s, ok := f.lvs[origin]
			if !ok {
				return nil, exitErr(c, 5, "Failed to find logical volume")
			}
			v = s
		}
		f.lvs[name] = v
	case "lvextend":
		f.lvs[last()] = size(a[3])
	case "lvremove":
		if _, ok := f.lvs[last()]; !ok {
			return nil, exitErr(c, 5, `Failed to find logical volume "vg/`+last()+`"`)
		}
		delete(f.lvs, last())
	}
	return nil, nil
}

func thinManager(t *testing.T) (*Manager, *fakeLVM, *fakeRunner) {
	t.Helper()
	lvm := &fakeLVM{lvs: map[string]int64{}}
	r := &fakeRunner{respond: lvm.respond}
	m := NewManager(Options{StateDir: filepath.Join(t.TempDir(), "vols"), Runner: r, Mounter: &fakeMounter{}})
	return m, lvm, r
}

// thinVol records a provisioned thin volume with its LV, as Provision
// leaves it (the target is not part of these tests).
func thinVol(t *testing.T, m *Manager, lvm *fakeLVM, name string, prov Provisioner, size int64) {
	t.Helper()
	v := &Volume{Name: name, Portal: "127.0.0.1:3261", IQN: DefaultIQNPrefix + ":" + name, Provision: prov,
		ThinPool: "vg/pool", SizeBytes: size, FS: FSExt4, Mode: ModeFilesystem, Formatted: true}
	if err := v.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := m.store.Put(v); err != nil {
		t.Fatal(err)
	}
	lvm.lvs[volumeLV(name)] = size
}

func TestParseLVSize(t *testing.T) {
	out := []byte(`{"report": [{"lv": [{"lv_name":"pool", "lv_size":"536870912", "pool_lv":""},{"lv_name":"cgrun-a", "lv_size":"33554432", "pool_lv":"pool"}]}]}`)
	if n, err := parseLVSize(out, "cgrun-a"); err != nil || n != 32<<20 {
		t.Fatalf("cgrun-a: %d %v", n, err)
	}
	if n, err := parseLVSize(out, "cgrun-b"); err != nil || n != 0 {
		t.Fatalf("a missing LV: %d %v", n, err)
	}
	if _, err := parseLVSize([]byte("not json"), "x"); err == nil {
		t.Fatal("garbage parsed")
	}
}

func TestValidThinPool(t *testing.T) {
	for p, ok := range map[string]bool{"vg/pool": true, "vmlane/pool": true, "a.b/c_d+e": true, "vg": false, "/pool": false, "vg/": false, "vg/pool/x": false, "-vg/pool": false, "vg/po ol": false} {
		if got := ValidThinPool(p) == nil; got != ok {
			t.Errorf("ValidThinPool(%q) = %t, want %t", p, got, ok)
		}
	}
	v := &Volume{Name: "x", Portal: "127.0.0.1:3260", IQN: DefaultIQNPrefix + ":x", ThinPool: "vg/pool"}
	if err := v.Validate(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a registered (not provisioned) volume in a thin pool: %v", err)
	}
}

// Expand grows the LV (rounded by lvm) and records it; a detached volume
// needs nothing else. Shrinking, file-backed and tgt volumes are refused
// and nothing is run.
func TestExpand(t *testing.T) {
	m, lvm, r := thinManager(t)
	ctx := context.Background()
	thinVol(t, m, lvm, "g", ProvisionLIO, 32<<20)
	n, err := m.Expand(ctx, "g", 50<<20)
	if err != nil || n != 52<<20 {
		t.Fatalf("expand: %d %v, want 52 MiB (whole extents)", n, err)
	}
	if v, _ := m.store.Get("g"); v.SizeBytes != 52<<20 {
		t.Fatalf("recorded size %d", v.SizeBytes)
	}
	if !strings.Contains(r.joined(), "lvm lvextend -q -L 52428800b vg/cgrun-g") {
		t.Fatalf("commands:\n%s", r.joined())
	}
	if n, err := m.Expand(ctx, "g", 52<<20); err != nil || n != 52<<20 {
		t.Fatalf("expand to its size: %d %v", n, err)
	}
	calls := len(r.calls)
	thinVol(t, m, lvm, "t", ProvisionTgt, 32<<20)
	file := &Volume{Name: "f", Portal: "127.0.0.1:3260", IQN: DefaultIQNPrefix + ":f", Provision: ProvisionLIO, SizeBytes: 32 << 20}
	if err := m.store.Put(file); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		size int64
		want string
	}{{"g", 16 << 20, "do not shrink"}, {"t", 64 << 20, "served by tgt"}, {"f", 64 << 20, "file-backed"}} {
		if _, err := m.Expand(ctx, tc.name, tc.size); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("expand %s to %d: %v, want %q", tc.name, tc.size, err, tc.want)
		}
	}
	if len(r.calls) != calls {
		t.Fatalf("refused expansions ran commands:\n%s", strings.Join(r.calls[calls:], "\n"))
	}
	if _, err := m.ExpandAttached(ctx, "g", 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the node side of a detached volume: %v", err)
	}
}

// A snapshot is a thin snapshot LV and a record; the same name again is
// the same snapshot, of another volume is refused; a volume made from it
// takes its pool, target, filesystem and at least its size; deleting it
// leaves that volume.
func TestSnapshots(t *testing.T) {
	m, lvm, r := thinManager(t)
	ctx := context.Background()
	thinVol(t, m, lvm, "src", ProvisionLIO, 32<<20)
	thinVol(t, m, lvm, "other", ProvisionLIO, 32<<20)
	sn, err := m.TakeSnapshot(ctx, "src", "s1", "")
	if err != nil || sn.Volume != "src" || sn.SizeBytes != 32<<20 || sn.Frozen || sn.ThinPool != "vg/pool" {
		t.Fatalf("snapshot: %+v %v", sn, err)
	}
	if !strings.Contains(r.joined(), "lvm lvcreate -q -y -s -kn -n cgrun-snap-s1 vg/cgrun-src") {
		t.Fatalf("commands:\n%s", r.joined())
	}
	if again, err := m.TakeSnapshot(ctx, "src", "s1", ""); err != nil || again.CreatedAt != sn.CreatedAt {
		t.Fatalf("the same snapshot again: %+v %v", again, err)
	}
	if _, err := m.TakeSnapshot(ctx, "other", "s1", ""); !errors.Is(err, ErrExists) {
		t.Fatalf("a snapshot name of another volume: %v", err)
	}
	file := &Volume{Name: "f", Portal: "127.0.0.1:3260", IQN: DefaultIQNPrefix + ":f", Provision: ProvisionLIO, SizeBytes: 32 << 20}
	if err := m.store.Put(file); err != nil {
		t.Fatal(err)
	}
	if _, err := m.TakeSnapshot(ctx, "f", "s2", ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a snapshot of a file-backed volume: %v", err)
	}
	v := &Volume{Name: "restored", FromSnapshot: "s1", SizeBytes: 16 << 20}
	if err := m.fillFromSource(v); err != nil {
		t.Fatal(err)
	}
	if v.ThinPool != "vg/pool" || v.Provision != ProvisionLIO || v.SizeBytes != 32<<20 || v.FS != FSExt4 || !v.Formatted {
		t.Fatalf("made from s1: %+v", v)
	}
	if err := m.makeLV(ctx, v); err != nil || lvm.lvs["cgrun-restored"] != 32<<20 {
		t.Fatalf("LV of the restored volume: %v %v", lvm.lvs, err)
	}
	for _, bad := range []*Volume{
		{Name: "x", FromSnapshot: "s1", ThinPool: "vg2/pool"},
		{Name: "x", FromSnapshot: "s1", Provision: ProvisionTgt},
		{Name: "x", FromSnapshot: "s1", FromVolume: "src"},
		{Name: "x", FromVolume: "f"},
	} {
		if err := m.fillFromSource(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if err := m.fillFromSource(&Volume{Name: "x", FromSnapshot: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing snapshot: %v", err)
	}
	sns, err := m.store.Snapshots()
	if err != nil || len(sns) != 1 {
		t.Fatalf("snapshots %v %v", sns, err)
	}
	b, _ := json.Marshal(sns[0])
	if !strings.Contains(string(b), `"volume":"src"`) {
		t.Fatalf("record %s", b)
	}
	if err := m.DeleteSnapshot(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := lvm.lvs["cgrun-snap-s1"]; ok || lvm.lvs["cgrun-restored"] == 0 {
		t.Fatalf("after the snapshot's deletion: %v", lvm.lvs)
	}
	if err := m.DeleteSnapshot(ctx, "s1"); err != nil {
		t.Fatalf("deleting it again: %v", err)
	}
	if sns, _ := m.store.Snapshots(); len(sns) != 0 {
		t.Fatalf("records left %v", sns)
	}
}

// An active LV's size comes from its device node and sysfs, with no lvm
// command; an LV with no node here is asked of lvs.
func TestThinSizeFromDevice(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "dev/vg"), 0o755); err != nil {
		t.Fatal(err)
	}
	// /dev/vg/cgrun-a -> ../dm-3, block device 253:3 of 96 MiB
	if err := unix.Mknod(filepath.Join(root, "dev/dm-3"), unix.S_IFBLK|0o600, int(unix.Mkdev(253, 3))); err != nil {
		t.Skipf("mknod: %v", err)
	}
	if err := os.Symlink("../dm-3", filepath.Join(root, "dev/vg/cgrun-a")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "sys/dev/block/253:3"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "sys/dev/block/253:3/size"), []byte("196608\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &fakeRunner{respond: (&fakeLVM{lvs: map[string]int64{"cgrun-b": 8 << 20}}).respond}
	th := Thin{Runner: r, Sys: SysFS{Root: root}}
	if n, err := th.Size(context.Background(), "vg/pool", "cgrun-a"); err != nil || n != 96<<20 || len(r.calls) != 0 {
		t.Fatalf("size of an active LV: %d %v, commands %q", n, err, r.calls)
	}
	if n, err := th.Size(context.Background(), "vg/pool", "cgrun-b"); err != nil || n != 8<<20 || len(r.calls) != 1 {
		t.Fatalf("size of an LV with no node: %d %v, commands %q", n, err, r.calls)
	}
	if err := os.WriteFile(filepath.Join(root, "dev/vg/cgrun-c"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := th.Sys.NodeSize("/dev/vg/cgrun-c"); err == nil || !strings.Contains(err.Error(), "no block device") {
		t.Fatalf("a regular file: %v", err)
	}
}
