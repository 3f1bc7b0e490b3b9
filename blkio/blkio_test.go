package blkio

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseScheduler(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		active   string
		bfq      bool
		wantErr  bool
	}{
		{"none active", "[none] mq-deadline kyber bfq \n", "none", false, false},
		{"bfq active", "mq-deadline kyber [bfq] none\n", "bfq", true, false},
		{"single", "none\n", "none", false, false},
		{"empty", "", "", false, true},
		{"no bracket", "mq-deadline bfq", "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseScheduler(strings.NewReader(tc.in))
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.active, s.Active)
			require.Equal(t, tc.bfq, s.BFQ())
		})
	}
}

func TestProberReadsDiskAndParent(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	disk := filepath.Join(root, "devices", "vda")
	part := filepath.Join(disk, "vda1")
	require.NoError(t, os.MkdirAll(filepath.Join(disk, "queue"), 0o755))
	require.NoError(t, os.MkdirAll(part, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(disk, "queue", "scheduler"), []byte("mq-deadline [bfq] none\n"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "dev", "block"), 0o755))
	require.NoError(t, os.Symlink(disk, filepath.Join(root, "dev", "block", "254:0")))
	require.NoError(t, os.Symlink(part, filepath.Join(root, "dev", "block", "254:1")))
	p := Prober{Root: root}

	s, err := p.Scheduler(Device{254, 0})
	require.NoError(t, err)
	require.True(t, s.BFQ())
	s, err = p.Scheduler(Device{254, 1})
	require.NoError(t, err, "a partition reads its disk's queue")
	require.Equal(t, "bfq", s.Active)
	_, err = p.Scheduler(Device{1, 3})
	require.True(t, errors.Is(err, ErrNoScheduler), "got %v", err)
}

func TestResolve(t *testing.T) {
	t.Parallel()
	_, err := Resolve("/dev/null")
	require.True(t, errors.Is(err, ErrNotBlockDevice), "char device: %v", err)
	_, err = Resolve(filepath.Join(t.TempDir(), "missing"))
	require.True(t, errors.Is(err, os.ErrNotExist), "missing: %v", err)
	// Any block device of the host resolves to the numbers sysfs gives it.
	ents, err := os.ReadDir("/sys/dev/block")
	if err != nil || len(ents) == 0 {
		t.Skip("no block devices listed in /sys/dev/block")
	}
	for _, e := range ents {
		uevent, err := os.ReadFile(filepath.Join("/sys/dev/block", e.Name(), "uevent"))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(uevent), "\n") {
			name, ok := strings.CutPrefix(l, "DEVNAME=")
			if !ok {
				continue
			}
			d, err := Resolve("/dev/" + name)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			require.NoError(t, err)
			require.Equal(t, e.Name(), d.String())
			return
		}
	}
	t.Skip("no /dev node for any block device")
}
