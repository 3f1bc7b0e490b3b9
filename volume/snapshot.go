package volume

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Snapshot is a point-in-time copy of a thin volume: a thin snapshot LV
// (copy-on-write, ready at once) that volumes are made from.
type Snapshot struct {
	Name      string      `json:"name"`
	Volume    string      `json:"volume"` // the volume it was taken of
	ThinPool  string      `json:"thinPool"`
	Portal    string      `json:"portal"` // the volume's: volumes made from it are served there too
	Provision Provisioner `json:"provision"`
	SizeBytes int64       `json:"sizeBytes"`
	FS        FSType      `json:"fs"`
	Mode      Mode        `json:"mode"`
	Formatted bool        `json:"formatted,omitempty"`
	// Frozen: the volume's filesystem was mounted here and frozen for the
	// snapshot (clean, nothing to replay); else it is crash-consistent.
	Frozen    bool      `json:"frozen,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	// CSIName is the name a CSI CreateSnapshot gave it.
	CSIName string `json:"csiName,omitempty"`
}

// snapDir holds the snapshot records (a name no volume can have).
func (s Store) snapDir() string { return filepath.Join(s.Dir, ".snapshots") }

func (s Store) lockSnapshots() (func(), error) {
	if err := os.MkdirAll(s.snapDir(), 0o700); err != nil {
		return nil, err
	}
	return lockFile(filepath.Join(s.snapDir(), ".lock"))
}

// GetSnapshot reads a snapshot record.
func (s Store) GetSnapshot(name string) (*Snapshot, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	var sn Snapshot
	err := readJSON(filepath.Join(s.snapDir(), name+".json"), &sn)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("snapshot %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &sn, nil
}

// Snapshots returns every snapshot record, by name.
func (s Store) Snapshots() ([]*Snapshot, error) {
	ents, err := os.ReadDir(s.snapDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Snapshot
	for _, e := range ents {
		n, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || ValidName(n) != nil {
			continue
		}
		if sn, err := s.GetSnapshot(n); err == nil {
			out = append(out, sn)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// TakeSnapshot snapshots thin volume name as snap. A volume mounted here
// is frozen for the moment of the snapshot (FIFREEZE: its journal
// flushed, nothing to replay); one used elsewhere is snapshotted as a
// crash would leave it, which ext4's and xfs's journals recover. Taking a
// snapshot of the same name of the same volume again returns it.
func (m *Manager) TakeSnapshot(ctx context.Context, name, snap, csiName string) (*Snapshot, error) {
	if err := ValidName(snap); err != nil {
		return nil, err
	}
	v, unlock, err := m.lockVolume(name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if v.ThinPool == "" {
		return nil, invalidf("volume %q is file-backed: snapshots need a thin volume (create it with --thin-pool VG/POOL)", name)
	}
	unlockS, err := m.store.lockSnapshots()
	if err != nil {
		return nil, err
	}
	defer unlockS()
	if old, err := m.store.GetSnapshot(snap); err == nil {
		if old.Volume != name || old.CSIName != csiName {
			return nil, fmt.Errorf("snapshot %q is of volume %q: %w", snap, old.Volume, ErrExists)
		}
		if n, err := m.thin.Size(ctx, old.ThinPool, snapshotLV(snap)); err == nil && n > 0 {
			return old, nil
		}
		// the record of a snapshot whose LV a crash did not make: redo it
	}
	sn := &Snapshot{Name: snap, Volume: name, ThinPool: v.ThinPool, Portal: v.Portal, Provision: v.Provision, FS: v.FS, Mode: v.Mode,
		Formatted: v.Formatted, CreatedAt: time.Now().UTC(), CSIName: csiName}
	if err := m.putSnapshot(sn); err != nil { // intent: a crash leaves a record DeleteSnapshot finds
		return nil, err
	}
	thaw, err := m.freeze(v)
	if err != nil {
		return nil, err
	}
	sn.Frozen = thaw != nil
	m.after(StepFrozen)
	n, err := m.thin.Snapshot(ctx, v.ThinPool, volumeLV(name), snapshotLV(snap))
	if thaw != nil {
		if terr := thaw(); terr != nil && err == nil {
			err = terr
		}
	}
	if err != nil {
		_ = m.thin.Remove(context.WithoutCancel(ctx), v.ThinPool, snapshotLV(snap))
		_ = os.Remove(filepath.Join(m.store.snapDir(), snap+".json"))
		return nil, err
	}
	sn.SizeBytes = n
	return sn, m.putSnapshot(sn)
}

func (m *Manager) putSnapshot(sn *Snapshot) error {
	return writeJSON(filepath.Join(m.store.snapDir(), sn.Name+".json"), sn)
}

// freeze freezes v's filesystem when it is mounted here and returns the
// thaw; nil when there is nothing to freeze.
func (m *Manager) freeze(v *Volume) (func() error, error) {
	a, err := m.store.Attachment(v.Name)
	if err != nil || a == nil || a.Phase != PhaseReady || a.Staging == "" || v.Mode != ModeFilesystem {
		return nil, err
	}
	if err := fsIoctl(a.Staging, fiFreeze); err != nil {
		return nil, fmt.Errorf("freeze %s: %w", a.Staging, err)
	}
	return func() error {
		if err := fsIoctl(a.Staging, fiThaw); err != nil {
			return fmt.Errorf("thaw %s: %w", a.Staging, err)
		}
		return nil
	}, nil
}

// fsIoctl issues FIFREEZE or FITHAW on the filesystem mounted at dir.
func fsIoctl(dir string, req uintptr) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, 0); errno != 0 {
		return errno
	}
	return nil
}

// thawLeft thaws a's filesystem when a snapshot's process died while it
// was frozen (its writers would wait for ever); a filesystem not frozen
// answers EINVAL, which is fine.
func thawLeft(a *Attachment) {
	if a.Phase == PhaseReady && a.Staging != "" {
		_ = fsIoctl(a.Staging, fiThaw)
	}
}

// FIFREEZE and FITHAW, _IOWR('X', 119 and 120, int).
const (
	fiFreeze = 0xC0045877
	fiThaw   = 0xC0045878
)

// DeleteSnapshot removes snapshot snap (its LV and record); volumes made
// from it are independent thin LVs and stay. One already gone is success.
func (m *Manager) DeleteSnapshot(ctx context.Context, snap string) error {
	unlock, err := m.store.lockSnapshots()
	if err != nil {
		return err
	}
	defer unlock()
	sn, err := m.store.GetSnapshot(snap)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := m.thin.Remove(ctx, sn.ThinPool, snapshotLV(snap)); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(m.store.snapDir(), snap+".json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
