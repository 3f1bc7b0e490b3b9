package volume

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The kernel's wwid of the real tgt disk equals what ParseVPD83 reads
// from the same disk's raw page 0x83.
func TestParseVPD83Fixture(t *testing.T) {
	t.Parallel()
	wwid, _ := fixture(t, "sysfs-wwid.txt")
	want := strings.SplitN(wwid, "\n", 2)[0]
	if got := ParseVPD83(hexFixture(t, "sysfs-vpd_pg83.hex")); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := ParseVPD83([]byte{0, 0x80, 0, 0}); got != "" {
		t.Fatalf("not page 0x83: %q", got)
	}
}

func TestFindDiskThroughSession(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	const iqn = "iqn.2024-01.test.cgrun:vol1"
	fakeSession(t, root, 1, iqn, 1, "sda", "naa.60000000000000000e00000000010001", "8:0")
	fakeSession(t, root, 2, "iqn.2024-01.test.cgrun:other", 1, "sdb", "naa.2", "8:16")
	s := SysFS{Root: root}
	if d, err := s.FindDisk(iqn, "127.0.0.1:3260", 1); err != nil || d != "sda" {
		t.Fatalf("got %q, %v", d, err)
	}
	// LUN 0 is tgt's controller: no block device
	if _, err := s.FindDisk(iqn, "127.0.0.1:3260", 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("controller LUN: %v", err)
	}
	if _, err := s.FindDisk("iqn.2024-01.none:x", "127.0.0.1:3260", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no session: %v", err)
	}
	// the portal is checked where the connection tells it
	writeFile(t, root, "sys/class/iscsi_connection/connection1:0/persistent_address", "127.0.0.1\n")
	writeFile(t, root, "sys/class/iscsi_connection/connection1:0/persistent_port", "3260\n")
	if _, err := s.FindDisk(iqn, "127.0.0.1:3261", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other portal: %v", err)
	}
	if maj, min, err := s.DevNumber("sdb"); err != nil || maj != 8 || min != 16 {
		t.Fatalf("devnum %d:%d %v", maj, min, err)
	}
	id, err := s.Identity("sda")
	if err != nil || id != "naa.60000000000000000e00000000010001" {
		t.Fatalf("identity %q %v", id, err)
	}
	writeFile(t, root, "sys/block/sda/device/vpd_pg80", "\x00\x80\x00\x10cgrun0123456789a")
	if id, _ := s.Identity("sda"); id != "naa.60000000000000000e00000000010001 serial=cgrun0123456789a" {
		t.Fatalf("identity with serial %q", id)
	}
	if err := s.DeleteDisk("sda"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "sys/block/sda/device/delete")); string(b) != "1" {
		t.Fatalf("delete wrote %q", b)
	}
	if err := s.DeleteDisk("sdz"); err != nil {
		t.Fatalf("gone disk: %v", err)
	}
}

// Where udev runs and sysfs has no block link yet, by-path finds the disk.
func TestFindDiskByPath(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "dev/disk/by-path"), 0o755); err != nil {
		t.Fatal(err)
	}
	// the real link name from testdata/by-path.txt
	if err := os.Symlink("../../sdc", filepath.Join(root, "dev/disk/by-path/ip-127.0.0.1:3260-iscsi-iqn.2024-01.test.cgrun:vol1-lun-1")); err != nil {
		t.Fatal(err)
	}
	if d, err := (SysFS{Root: root}).FindDisk("iqn.2024-01.test.cgrun:vol1", "127.0.0.1:3260", 1); err != nil || d != "sdc" {
		t.Fatalf("got %q %v", d, err)
	}
}
