package volume

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// SysFS finds iSCSI disks through sysfs (and /dev/disk/by-path where udev
// runs). Root is "/" on a real system, a t.TempDir() tree in tests.
type SysFS struct {
	Root string
}

func (s SysFS) path(p ...string) string {
	root := s.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(append([]string{root}, p...)...)
}

func readTrim(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// sessions returns the session directories (sessionN) logged in to iqn at
// portal, sorted. The portal is checked where the connection exposes it.
func (s SysFS) sessions(iqn, portal string) ([]string, error) {
	dirs, err := filepath.Glob(s.path("sys/class/iscsi_session/session*"))
	if err != nil {
		return nil, err
	}
	sort.Strings(dirs)
	var out []string
	for _, d := range dirs {
		name, err := readTrim(filepath.Join(d, "targetname"))
		if err != nil || name != iqn {
			continue
		}
		if portal != "" && !s.sessionHasPortal(filepath.Base(d), portal) {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// sessionHasPortal compares the session's connection address with portal;
// it says yes when sysfs does not tell.
func (s SysFS) sessionHasPortal(session, portal string) bool {
	sid := strings.TrimPrefix(session, "session")
	conn := s.path("sys/class/iscsi_connection", "connection"+sid+":0")
	addr, err1 := readTrim(filepath.Join(conn, "persistent_address"))
	port, err2 := readTrim(filepath.Join(conn, "persistent_port"))
	if err1 != nil || err2 != nil {
		return true
	}
	host := portal
	if i := strings.LastIndexByte(portal, ':'); i >= 0 {
		host = strings.Trim(portal[:i], "[]")
		return host == addr && portal[i+1:] == port
	}
	return host == addr
}

// SessionDisks maps LUN numbers to disk names (sdX) behind the sessions to
// iqn at portal.
func (s SysFS) SessionDisks(iqn, portal string) (map[int]string, error) {
	sess, err := s.sessions(iqn, portal)
	if err != nil {
		return nil, err
	}
	out := map[int]string{}
	for _, d := range sess {
		blocks, err := filepath.Glob(filepath.Join(d, "device", "target*", "*:*:*:*", "block", "*"))
		if err != nil {
			return nil, err
		}
		for _, b := range blocks {
			hctl := filepath.Base(filepath.Dir(filepath.Dir(b)))
			lun, err := lunOf(hctl)
			if err != nil {
				continue
			}
			out[lun] = filepath.Base(b)
		}
	}
	return out, nil
}

// SessionState returns the state of the session to iqn at portal
// (LOGGED_IN, FAILED, FREE), or "none".
func (s SysFS) SessionState(iqn, portal string) string {
	sess, err := s.sessions(iqn, portal)
	if err != nil || len(sess) == 0 {
		return "none"
	}
	st, err := readTrim(filepath.Join(sess[0], "state"))
	if err != nil {
		return "unknown"
	}
	return st
}

// SessionAddress returns the address the session to iqn at portal is
// connected to (host:port): another portal than the one logged in to when
// the target redirected the login, "" when sysfs does not tell.
func (s SysFS) SessionAddress(iqn, portal string) string {
	sess, err := s.sessions(iqn, portal)
	if err != nil || len(sess) == 0 {
		return ""
	}
	sid := strings.TrimPrefix(filepath.Base(sess[0]), "session")
	conn := s.path("sys/class/iscsi_connection", "connection"+sid+":0")
	addr, err1 := readTrim(filepath.Join(conn, "address"))
	port, err2 := readTrim(filepath.Join(conn, "port"))
	if err1 != nil || err2 != nil || addr == "" {
		return ""
	}
	return net.JoinHostPort(addr, port)
}

// HasSession reports whether a session to iqn at portal exists.
func (s SysFS) HasSession(iqn, portal string) (bool, error) {
	sess, err := s.sessions(iqn, portal)
	return len(sess) > 0, err
}

// lunOf returns L of "H:C:T:L".
func lunOf(hctl string) (int, error) {
	f := strings.Split(hctl, ":")
	if len(f) != 4 {
		return 0, fmt.Errorf("not H:C:T:L: %q", hctl)
	}
	return strconv.Atoi(f[3])
}

// FindDisk returns the disk name (sdX) of LUN lun behind the session to
// iqn at portal, through sysfs, else through /dev/disk/by-path.
func (s SysFS) FindDisk(iqn, portal string, lun int) (string, error) {
	disks, err := s.SessionDisks(iqn, portal)
	if err != nil {
		return "", err
	}
	if d, ok := disks[lun]; ok {
		return d, nil
	}
	link := s.path("dev/disk/by-path", fmt.Sprintf("ip-%s-iscsi-%s-lun-%d", portal, iqn, lun))
	if dst, err := os.Readlink(link); err == nil {
		return filepath.Base(dst), nil
	}
	return "", fmt.Errorf("LUN %d of %s at %s: %w", lun, iqn, portal, ErrNotFound)
}

// DevNumber returns the major and minor numbers of disk.
func (s SysFS) DevNumber(disk string) (uint32, uint32, error) {
	v, err := readTrim(s.path("sys/block", disk, "dev"))
	if err != nil {
		return 0, 0, fmt.Errorf("device number of %s: %w", disk, err)
	}
	var maj, min uint32
	if _, err := fmt.Sscanf(v, "%d:%d", &maj, &min); err != nil {
		return 0, 0, fmt.Errorf("device number of %s: bad %q", disk, v)
	}
	return maj, min, nil
}

// Identity returns the disk's identity: its WWID (device/wwid, else the
// first designator of VPD page 0x83) and its unit serial number (VPD page
// 0x80) when the device has one, as "WWID" or "WWID serial=SN".
func (s SysFS) Identity(disk string) (string, error) {
	dev := s.path("sys/block", disk, "device")
	id, err := readTrim(filepath.Join(dev, "wwid"))
	if err != nil || id == "" {
		raw, err2 := os.ReadFile(filepath.Join(dev, "vpd_pg83"))
		if err2 != nil {
			return "", fmt.Errorf("identity of %s: no wwid nor vpd_pg83: %w", disk, errors.Join(err, err2))
		}
		id = ParseVPD83(raw)
		if id == "" {
			return "", fmt.Errorf("identity of %s: empty vpd_pg83", disk)
		}
	}
	if raw, err := os.ReadFile(filepath.Join(dev, "vpd_pg80")); err == nil && len(raw) > 4 {
		if sn := strings.TrimSpace(strings.Trim(string(raw[4:]), "\x00")); sn != "" {
			id += " serial=" + sn
		}
	}
	return id, nil
}

// ParseVPD83 returns the best designator of a raw VPD page 0x83 as the
// kernel's wwid spells it: the longest NAA ("naa." + hex) first, else the
// T10 vendor id.
func ParseVPD83(raw []byte) string {
	if len(raw) < 4 || raw[1] != 0x83 {
		return ""
	}
	end := 4 + (int(raw[2])<<8 | int(raw[3]))
	if end > len(raw) {
		end = len(raw)
	}
	var t10, naa string
	for i := 4; i+4 <= end; {
		typ, n := raw[i+1]&0x0f, int(raw[i+3])
		if i+4+n > end {
			break
		}
		d := raw[i+4 : i+4+n]
		switch typ {
		case 3:
			if v := fmt.Sprintf("naa.%x", d); len(v) > len(naa) {
				naa = v
			}
		case 1:
			if t10 == "" {
				t10 = "t10." + strings.TrimSpace(string(d))
			}
		}
		i += 4 + n
	}
	if naa != "" {
		return naa
	}
	return t10
}

// DiskExists reports whether /sys/block/DISK exists.
func (s SysFS) DiskExists(disk string) bool {
	_, err := os.Stat(s.path("sys/block", disk))
	return err == nil
}

// DeleteDisk removes the SCSI device of disk (echo 1 > device/delete); a
// disk already gone is success.
func (s SysFS) DeleteDisk(disk string) error {
	p := s.path("sys/block", disk, "device", "delete")
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete SCSI device %s: %w", disk, err)
	}
	defer f.Close()
	if _, err := f.WriteString("1"); err != nil {
		return fmt.Errorf("delete SCSI device %s: %w", disk, err)
	}
	return nil
}

// DevPath is the device node of disk.
func (s SysFS) DevPath(disk string) string { return s.path("dev", disk) }
