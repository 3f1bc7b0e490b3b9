package volume

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LIO provisions LUNs on the kernel LIO target through configfs. Root is
// /sys/kernel/config/target on a real system. Values are written without a
// newline: LIO keeps it, and CHAP then fails.
type LIO struct {
	Root string
}

// DefaultLIORoot is LIO's configfs directory.
const DefaultLIORoot = "/sys/kernel/config/target"

func (l LIO) root() string {
	if l.Root == "" {
		return DefaultLIORoot
	}
	return l.Root
}

// hba is the backstore's HBA directory: fileio for a backing file, iblock
// for a block device.
func (l LIO) hba(s LUNSpec) string {
	if s.Device {
		return filepath.Join(l.root(), "core", "iblock_0")
	}
	return filepath.Join(l.root(), "core", "fileio_0")
}

func (l LIO) object(s LUNSpec) string { return filepath.Join(l.hba(s), s.Name) }
func (l LIO) tpg(s LUNSpec) string    { return filepath.Join(l.root(), "iscsi", s.IQN, "tpgt_1") }

// write writes value to a configfs attribute, with no newline.
func write(path, value string, secret bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("LIO %s: %w", path, err)
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		shown := value
		if secret {
			shown = "***"
		}
		return fmt.Errorf("LIO write %q to %s: %w", shown, path, err)
	}
	return nil
}

func readAttr(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func mkdir(path string) error {
	if err := os.Mkdir(path, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("LIO mkdir %s: %w", path, err)
	}
	return nil
}

func symlink(target, link string) error {
	if _, err := os.Lstat(link); err == nil {
		return nil
	}
	if err := os.Symlink(target, link); err != nil {
		return fmt.Errorf("LIO link %s: %w", link, err)
	}
	return nil
}

func rmdir(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("LIO remove %s: %w", path, err)
	}
	return nil
}

// DiskLUN implements Target: LIO's disk is LUN 0.
func (LIO) DiskLUN() int { return 0 }

// Create implements Target: a fileio storage object (an iblock one for a
// block device), a target with one TPG
// listening on the portal, LUN 0 mapped to the object, no ACL (invisible
// to every initiator until Publish).
func (l LIO) Create(ctx context.Context, s LUNSpec) error {
	control := fmt.Sprintf("fd_dev_name=%s,fd_dev_size=%d", s.Backing, s.SizeBytes)
	if s.Device {
		control = "udev_path=" + s.Backing
	} else if err := makeBacking(s.Backing, s.SizeBytes); err != nil {
		return err
	}
	obj := l.object(s)
	for _, d := range []string{l.hba(s), obj} {
		if err := mkdir(d); err != nil {
			return err
		}
	}
	if readAttr(filepath.Join(obj, "enable")) != "1" {
		if err := write(filepath.Join(obj, "control"), control, false); err != nil {
			return err
		}
		if s.Serial != "" {
			if err := write(filepath.Join(obj, "wwn", "vpd_unit_serial"), s.Serial, false); err != nil {
				return err
			}
		}
		if err := write(filepath.Join(obj, "enable"), "1", false); err != nil {
			return err
		}
	}
	tpg := l.tpg(s)
	for _, d := range []string{filepath.Join(l.root(), "iscsi"), filepath.Dir(tpg), tpg, filepath.Join(tpg, "lun"), filepath.Join(tpg, "lun", "lun_0"), filepath.Join(tpg, "np")} {
		if err := mkdir(d); err != nil {
			return err
		}
	}
	if err := symlink(obj, filepath.Join(tpg, "lun", "lun_0", "cgrun")); err != nil {
		return err
	}
	portals := s.Portals
	if len(portals) == 0 {
		portals = []string{s.Portal}
	}
	for _, p := range portals {
		if err := mkdir(filepath.Join(tpg, "np", p)); err != nil {
			return err
		}
	}
	attrs := [][2]string{{"generate_node_acls", "0"}, {"demo_mode_write_protect", "1"}, {"authentication", "0"}}
	for _, kv := range attrs {
		if err := write(filepath.Join(tpg, "attrib", kv[0]), kv[1], false); err != nil {
			return err
		}
	}
	return write(filepath.Join(tpg, "enable"), "1", false)
}

// Publish implements Target: an ACL for the initiator with LUN 0 mapped,
// and CHAP on the ACL (authentication on the TPG) when c is set.
func (l LIO) Publish(ctx context.Context, s LUNSpec, initiator string, c *chapCreds) error {
	tpg := l.tpg(s)
	if _, err := os.Stat(tpg); err != nil {
		return fmt.Errorf("LIO target %s: %w", s.IQN, ErrNotFound)
	}
	acl := filepath.Join(tpg, "acls", initiator)
	for _, d := range []string{acl, filepath.Join(acl, "lun_0")} {
		if err := mkdir(d); err != nil {
			return err
		}
	}
	if err := symlink(filepath.Join(tpg, "lun", "lun_0"), filepath.Join(acl, "lun_0", "cgrun")); err != nil {
		return err
	}
	if c == nil {
		return nil
	}
	auth := [][3]string{{"userid", c.user, ""}, {"password", c.secret, "s"}}
	if c.mutualUser != "" {
		auth = append(auth, [3]string{"userid_mutual", c.mutualUser, ""}, [3]string{"password_mutual", c.mutualSecret, "s"})
	}
	for _, kv := range auth {
		if err := write(filepath.Join(acl, "auth", kv[0]), kv[1], kv[2] != ""); err != nil {
			return err
		}
	}
	return write(filepath.Join(tpg, "attrib", "authentication"), "1", false)
}

// hasSession reads the ACL's info: LIO says "No active iSCSI Session" when
// the initiator is not logged in.
func (l LIO) hasSession(acl string) bool {
	info, err := os.ReadFile(filepath.Join(acl, "info"))
	return err == nil && !strings.Contains(string(info), "No active")
}

// Unpublish implements Target.
func (l LIO) Unpublish(ctx context.Context, s LUNSpec, initiator string) error {
	acl := filepath.Join(l.tpg(s), "acls", initiator)
	if _, err := os.Stat(acl); err != nil {
		return nil
	}
	if l.hasSession(acl) {
		return fmt.Errorf("unpublish %s from %s: %w: the initiator still has a session (detach first)", s.IQN, initiator, ErrInUse)
	}
	if err := os.Remove(filepath.Join(acl, "lun_0", "cgrun")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("LIO unlink: %w", err)
	}
	if err := rmdir(filepath.Join(acl, "lun_0")); err != nil {
		return err
	}
	return rmdir(acl)
}

// Delete implements Target.
func (l LIO) Delete(ctx context.Context, s LUNSpec) error {
	tpg := l.tpg(s)
	if _, err := os.Stat(tpg); err == nil {
		acls, _ := os.ReadDir(filepath.Join(tpg, "acls"))
		for _, a := range acls {
			if err := l.Unpublish(ctx, s, a.Name()); err != nil {
				return err
			}
		}
		if err := write(filepath.Join(tpg, "enable"), "0", false); err != nil {
			return err
		}
		nps, _ := os.ReadDir(filepath.Join(tpg, "np"))
		for _, np := range nps {
			if err := rmdir(filepath.Join(tpg, "np", np.Name())); err != nil {
				return err
			}
		}
		if err := os.Remove(filepath.Join(tpg, "lun", "lun_0", "cgrun")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("LIO unlink: %w", err)
		}
		for _, d := range []string{filepath.Join(tpg, "lun", "lun_0"), tpg, filepath.Dir(tpg)} {
			if err := rmdir(d); err != nil {
				return err
			}
		}
	}
	if err := rmdir(l.object(s)); err != nil {
		return err
	}
	if s.Device {
		return nil
	}
	return removeBacking(s.Backing)
}
