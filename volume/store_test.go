package volume

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// A volume name that does not exist gets nothing made for it: no
// directory, no lock file; a create that registers nothing leaves nothing.
func TestLocksOfUnknownVolumesLeaveNothing(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if _, err := s.LockExisting("nosuch"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LockExisting(nosuch): %v, want ErrNotFound", err)
	}
	unlock, err := s.Lock("refused")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	ents, _ := os.ReadDir(s.Dir)
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left in the volume directory: %s", e.Name())
		}
	}
	unlock, err = s.Lock("made")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(&Volume{Name: "made", Portal: "127.0.0.1:3260", IQN: "iqn.2025-01.io.cgrun:made", LUN: 1}); err != nil {
		t.Fatal(err)
	}
	unlock()
	unlock, err = s.LockExisting("made")
	if err != nil {
		t.Fatalf("LockExisting(made): %v", err)
	}
	unlock()
}
