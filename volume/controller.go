package volume

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DefaultIQNPrefix names the targets cgrun provisions: PREFIX + ":" + volume.
const DefaultIQNPrefix = "iqn.2025-01.io.cgrun"

// Register records a volume on an existing LUN (no target is touched).
func (m *Manager) Register(v *Volume) error {
	if err := v.Validate(); err != nil {
		return err
	}
	unlock, err := m.store.Lock(v.Name)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := m.store.Get(v.Name); err == nil {
		return fmt.Errorf("volume %q: %w", v.Name, ErrExists)
	}
	return m.store.Put(v)
}

func (m *Manager) target(p Provisioner) (Target, error) {
	switch p {
	case ProvisionTgt:
		return Tgt{Runner: m.opts.Runner, Socket: m.opts.TgtSocket}, nil
	case ProvisionLIO:
		return LIO{Root: m.opts.LIORoot}, nil
	}
	return nil, invalidf("provisioner %q: must be tgt or lio", p)
}

func lunSpec(v *Volume) LUNSpec {
	return LUNSpec{Name: v.Name, IQN: v.IQN, Portal: v.Portal, Portals: v.AllPortals(), Backing: v.Backing, Device: v.ThinPool != "", SizeBytes: v.SizeBytes, Serial: v.Serial}
}

// Provision creates a LUN of v.SizeBytes on the local target v.Provision
// and registers v: file-backed, or a thin LV of v.ThinPool (made from
// v.FromSnapshot or v.FromVolume when set: the source's pool, target,
// filesystem and mode, and at least its size). The LUN is visible to no
// initiator until Publish. IQN, LUN, backing and serial are filled when
// empty.
func (m *Manager) Provision(ctx context.Context, v *Volume) error {
	if err := m.fillFromSource(v); err != nil {
		return err
	}
	t, err := m.target(v.Provision)
	if err != nil {
		return err
	}
	if v.SizeBytes < 1<<20 {
		return invalidf("size %d: must be at least 1 MiB", v.SizeBytes)
	}
	if v.IQN == "" {
		v.IQN = DefaultIQNPrefix + ":" + v.Name
	}
	v.LUN = t.DiskLUN()
	if err := v.Validate(); err != nil {
		return err
	}
	if v.Serial == "" {
		b := make([]byte, 8)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		v.Serial = hex.EncodeToString(b)
	}
	v.Backing = filepath.Join(m.store.Dir, v.Name, "disk.img")
	if v.ThinPool != "" {
		v.Backing = m.thin.DevPath(v.ThinPool, volumeLV(v.Name))
	}
	unlock, err := m.store.Lock(v.Name)
	if err != nil {
		return err
	}
	defer unlock()
	fresh := false
	if old, err := m.store.Get(v.Name); err == nil {
		if old.Provision != v.Provision || old.IQN != v.IQN || old.ThinPool != v.ThinPool ||
			old.FromSnapshot != v.FromSnapshot || old.FromVolume != v.FromVolume {
			return fmt.Errorf("volume %q: %w", v.Name, ErrExists)
		}
		*v = *old // idempotent: finish the creation with the recorded values
	} else if err := m.store.Put(v); err != nil { // intent: a crash in between can be removed
		return err
	} else {
		fresh = true
	}
	if v.ThinPool != "" {
		err = m.makeLV(ctx, v)
	}
	if err == nil {
		_, err = readCHAP(v.CHAP)
	}
	if err == nil { // CHAP goes on at Publish (LIO keeps it per ACL)
		err = t.Create(ctx, lunSpec(v))
	}
	if err != nil && fresh {
		// A failed create leaves nothing: what the target made of it, the
		// backing file, the record. A creation this call resumed is kept.
		clean := context.WithoutCancel(ctx)
		if derr := t.Delete(clean, lunSpec(v)); derr != nil {
			return errors.Join(err, fmt.Errorf("undo the creation: %w", derr))
		}
		if v.ThinPool != "" {
			if derr := m.thin.Remove(clean, v.ThinPool, volumeLV(v.Name)); derr != nil {
				return errors.Join(err, fmt.Errorf("undo the creation: %w", derr))
			}
		}
		if rerr := m.store.Remove(v.Name); rerr != nil {
			return errors.Join(err, fmt.Errorf("undo the creation: %w", rerr))
		}
	}
	return err
}

// Publish maps the volume's LUN to one initiator IQN (LUN masking), with
// its CHAP account. A volume published to another initiator is refused: it
// has a single writer.
func (m *Manager) Publish(ctx context.Context, name, initiator string) error {
	if err := ValidIQN(initiator); err != nil {
		return err
	}
	v, unlock, err := m.lockVolume(name)
	if err != nil {
		return err
	}
	defer unlock()
	t, err := m.target(v.Provision)
	if err != nil {
		return fmt.Errorf("volume %q was not provisioned by cgrun: publish it on its target: %w", name, err)
	}
	if len(v.Initiators) > 0 && !slices.Contains(v.Initiators, initiator) {
		return fmt.Errorf("volume %q is published to %s: %w (single writer; unpublish it first)", name, strings.Join(v.Initiators, ", "), ErrInUse)
	}
	creds, err := readCHAP(v.CHAP)
	if err != nil {
		return err
	}
	if !slices.Contains(v.Initiators, initiator) {
		v.Initiators = append(v.Initiators, initiator) // intent first
		if err := m.store.Put(v); err != nil {
			return err
		}
	}
	return t.Publish(ctx, lunSpec(v), initiator, creds)
}

// Unpublish removes an initiator from the volume's LUN; refused while this
// node has it attached or the initiator still has a session.
func (m *Manager) Unpublish(ctx context.Context, name, initiator string) error {
	v, unlock, err := m.lockVolume(name)
	if err != nil {
		return err
	}
	defer unlock()
	t, err := m.target(v.Provision)
	if err != nil {
		return fmt.Errorf("volume %q was not provisioned by cgrun: %w", name, err)
	}
	if a, err := m.store.Attachment(name); err != nil || a != nil {
		return fmt.Errorf("volume %q is attached here: %w (detach it first)", name, ErrInUse)
	}
	if err := t.Unpublish(ctx, lunSpec(v), initiator); err != nil {
		return err
	}
	v.Initiators = slices.DeleteFunc(v.Initiators, func(s string) bool { return s == initiator })
	return m.store.Put(v)
}

// Remove deletes a volume: refused while attached here; a provisioned one
// is unpublished and its target, LUN and backing file deleted.
func (m *Manager) Remove(ctx context.Context, name string) error {
	v, unlock, err := m.lockVolume(name)
	if err != nil {
		return err
	}
	defer unlock()
	if err := m.reconcileLocked(ctx, v, nil); err != nil {
		return err
	}
	a, err := m.store.Attachment(name)
	if err != nil {
		return err
	}
	if a != nil {
		return fmt.Errorf("volume %q is attached to %d container(s): %w", name, len(a.Users), ErrInUse)
	}
	if v.Provision != ProvisionNone {
		t, err := m.target(v.Provision)
		if err != nil {
			return err
		}
		for _, ini := range v.Initiators {
			if err := t.Unpublish(ctx, lunSpec(v), ini); err != nil {
				return err
			}
		}
		if err := t.Delete(ctx, lunSpec(v)); err != nil {
			return err
		}
		if v.ThinPool != "" {
			if err := m.thin.Remove(ctx, v.ThinPool, volumeLV(name)); err != nil {
				return err
			}
		}
	}
	return m.store.Remove(name)
}

// LocalInitiator reads this node's initiator IQN from
// ROOT/etc/iscsi/initiatorname.iscsi.
func LocalInitiator(root string) (string, error) {
	if root == "" {
		root = "/"
	}
	p := filepath.Join(root, "etc/iscsi/initiatorname.iscsi")
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("initiator name: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "InitiatorName="); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("initiator name: no InitiatorName= in %s: %w", p, ErrNotFound)
}

// fillFromSource takes a volume's pool, target, filesystem and mode from
// the snapshot or volume it is made from, its portal unless one is given,
// and at least its size.
func (m *Manager) fillFromSource(v *Volume) error {
	if v.FromSnapshot != "" && v.FromVolume != "" {
		return invalidf("volume %q: made from a snapshot or a volume, not both", v.Name)
	}
	var pool, portal string
	var prov Provisioner
	var size int64
	switch {
	case v.FromSnapshot != "":
		sn, err := m.store.GetSnapshot(v.FromSnapshot)
		if err != nil {
			return err
		}
		pool, prov, size, portal = sn.ThinPool, sn.Provision, sn.SizeBytes, sn.Portal
		v.FS, v.Mode, v.Formatted = sn.FS, sn.Mode, sn.Formatted
	case v.FromVolume != "":
		src, err := m.store.Get(v.FromVolume)
		if err != nil {
			return err
		}
		if src.ThinPool == "" {
			return invalidf("volume %q is file-backed: only a thin volume is cloned", v.FromVolume)
		}
		pool, prov, size, portal = src.ThinPool, src.Provision, src.SizeBytes, src.Portal
		v.FS, v.Mode, v.Formatted = src.FS, src.Mode, src.Formatted
	default:
		return nil
	}
	if v.ThinPool != "" && v.ThinPool != pool {
		return invalidf("thin pool %s: the source is in %s (a thin snapshot stays in its pool)", v.ThinPool, pool)
	}
	if v.Provision != ProvisionNone && v.Provision != prov {
		return invalidf("provisioner %s: the source is served by %s", v.Provision, prov)
	}
	v.ThinPool, v.Provision = pool, prov
	if v.Portal == "" && len(v.Portals) == 0 {
		v.Portal = portal
	}
	if v.SizeBytes < size {
		v.SizeBytes = size
	}
	return nil
}

// makeLV makes a thin volume's LV (a thin snapshot of its source, grown
// to its size, or a new one) and records the size lvm rounded it to.
func (m *Manager) makeLV(ctx context.Context, v *Volume) error {
	lv := volumeLV(v.Name)
	var n int64
	var err error
	switch {
	case v.FromSnapshot != "":
		n, err = m.thin.Snapshot(ctx, v.ThinPool, snapshotLV(v.FromSnapshot), lv)
	case v.FromVolume != "":
		n, err = m.thin.Snapshot(ctx, v.ThinPool, volumeLV(v.FromVolume), lv)
	default:
		n, err = m.thin.Create(ctx, v.ThinPool, lv, v.SizeBytes)
	}
	if err == nil && n < v.SizeBytes {
		n, err = m.thin.Extend(ctx, v.ThinPool, lv, v.SizeBytes)
	}
	if err != nil || n == v.SizeBytes {
		return err
	}
	v.SizeBytes = n
	return m.store.Put(v)
}
