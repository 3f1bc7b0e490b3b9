package image

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// What an interrupted unpack left in tmp/ goes at the next open of the
// store, unless a pull or mount holds the store meanwhile.
func TestOpenSweepsInterruptedWrites(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(root, "tmp", "layer-123", "usr", "bin")
	if err := os.MkdirAll(left, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(left, "big"), make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	held, err := s.lock(gcLock, unix.LOCK_SH)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); err != nil {
		t.Fatalf("swept while a pull held the store: %v", err)
	}
	held.Unlock()
	if _, err := Open(root); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "tmp")); len(ents) != 0 {
		t.Errorf("tmp/ after open: %d entries left", len(ents))
	}
}
