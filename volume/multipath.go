package volume

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultMultipathWWIDs is where multipath-tools keeps the WWIDs it
// assembles maps for (its wwids_file default).
const DefaultMultipathWWIDs = "/etc/multipath/wwids"

// Multipath drives dm-multipath through multipath-tools, the host's own
// multipath stack (multipathd checks the paths and reinstates them):
// `multipath -a` adds a LUN's WWID to the wwids file, `multipath DEV`
// assembles its map from every path the kernel has, `multipath -f`
// flushes it and `multipath -w` forgets the WWID. Maps are found in sysfs
// by the dm uuid multipath gives them ("mpath-" + WWID), whatever their
// names (user_friendly_names).
type Multipath struct {
	Runner    Runner
	SysRoot   string
	WWIDsFile string // DefaultMultipathWWIDs
}

func (mp Multipath) sys() SysFS { return SysFS{Root: mp.SysRoot} }

func (mp Multipath) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return mp.Runner.Run(ctx, Cmd{Name: name, Args: args})
}

// Usable says why multipath volumes cannot attach here, or nil: a
// multipathd that answers (without it a failed path is never reinstated;
// it comes with the multipath command, in Debian's multipath-tools).
func (mp Multipath) Usable(ctx context.Context) error {
	out, err := mp.run(ctx, "multipathd", "show", "daemon")
	if err != nil {
		return fmt.Errorf("%w: multipathd does not answer (start it: multipathd, or systemctl start multipathd): %v", ErrMultipath, err)
	}
	if s := strings.TrimSpace(string(out)); !strings.HasPrefix(s, "pid ") {
		return fmt.Errorf("%w: multipathd answers %q", ErrMultipath, s)
	}
	return nil
}

// Map is a dm-multipath map as sysfs shows it.
type Map struct {
	Dev   string   // dm-N
	Name  string   // dm name (the WWID with user_friendly_names no)
	WWID  string   // multipath's WWID ("mpath-" stripped from the dm uuid)
	Paths []string // the disks under it (sdX)
}

// mapOf returns the dm device of a multipath map dev, or nil when dev is
// no multipath map.
func (mp Multipath) mapOf(dev string) *Map {
	s := mp.sys()
	uuid, err := readTrim(s.path("sys/block", dev, "dm", "uuid"))
	if err != nil || !strings.HasPrefix(uuid, "mpath-") {
		return nil
	}
	name, _ := readTrim(s.path("sys/block", dev, "dm", "name"))
	slaves, _ := os.ReadDir(s.path("sys/block", dev, "slaves"))
	m := &Map{Dev: dev, Name: name, WWID: strings.TrimPrefix(uuid, "mpath-")}
	for _, e := range slaves {
		m.Paths = append(m.Paths, e.Name())
	}
	return m
}

// MapsOver returns the multipath maps holding any of disks.
func (mp Multipath) MapsOver(disks ...string) []*Map {
	var out []*Map
	seen := map[string]bool{}
	for _, d := range disks {
		if d == "" {
			continue
		}
		holders, _ := os.ReadDir(mp.sys().path("sys/block", d, "holders"))
		for _, h := range holders {
			if seen[h.Name()] {
				continue
			}
			seen[h.Name()] = true
			if m := mp.mapOf(h.Name()); m != nil {
				out = append(out, m)
			}
		}
	}
	return out
}

// MapByWWID finds the map of wwid among the dm devices.
func (mp Multipath) MapByWWID(wwid string) *Map {
	if wwid == "" {
		return nil
	}
	dms, _ := filepath.Glob(mp.sys().path("sys/block", "dm-*"))
	for _, d := range dms {
		if m := mp.mapOf(filepath.Base(d)); m != nil && m.WWID == wwid {
			return m
		}
	}
	return nil
}

// Assemble adds the WWID of disks (one LUN's paths, identities already
// checked equal) to the wwids file and assembles their map; it returns the
// map once every disk is one of its paths.
func (mp Multipath) Assemble(ctx context.Context, disks []string, timeout, poll time.Duration) (*Map, error) {
	dev := mp.sys().DevPath(disks[0])
	if _, err := mp.run(ctx, "multipath", "-a", dev); err != nil {
		return nil, fmt.Errorf("%w: add the WWID of %s: %v", ErrMultipath, dev, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		// multipathd may assemble it first (the WWID is known now): then
		// this reloads the same map.
		if _, err := mp.run(ctx, "multipath", dev); err != nil {
			return nil, fmt.Errorf("%w: assemble the map of %s: %v", ErrMultipath, dev, err)
		}
		maps := mp.MapsOver(disks...)
		if len(maps) > 1 {
			return nil, fmt.Errorf("%w: the paths %v are in %d maps", ErrMultipath, disks, len(maps))
		}
		if len(maps) == 1 && len(mp.MapsOver(disks[0])) == 1 && allIn(disks, maps[0].Paths) {
			return maps[0], nil
		}
		if time.Now().After(deadline) {
			var got []string
			if len(maps) == 1 {
				got = maps[0].Paths
			}
			return nil, fmt.Errorf("%w: no map over all of %v within %s (its paths: %v)", ErrMultipath, disks, timeout, got)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

func allIn(want, have []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// Known reports whether wwid is in multipath's wwids file.
func (mp Multipath) Known(wwid string) (bool, error) {
	f := mp.WWIDsFile
	if f == "" {
		f = DefaultMultipathWWIDs
	}
	b, err := os.ReadFile(filepath.Join(mp.SysRoot, f))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "/"+wwid+"/" {
			return true, nil
		}
	}
	return false, sc.Err()
}

// Forget removes wwid from the wwids file (so that multipathd assembles no
// map when a path of it appears again) when it is there.
func (mp Multipath) Forget(ctx context.Context, wwid string) error {
	known, err := mp.Known(wwid)
	if err != nil || !known {
		return err
	}
	if _, err := mp.run(ctx, "multipath", "-w", wwid); err != nil {
		return fmt.Errorf("%w: forget WWID %s: %v", ErrMultipath, wwid, err)
	}
	return nil
}

// Flush removes map name (its queued IO is failed, so the caller makes
// sure nothing holds it first).
func (mp Multipath) Flush(ctx context.Context, name string) error {
	if _, err := mp.run(ctx, "multipath", "-f", name); err != nil {
		return fmt.Errorf("%w: flush map %s: %v", ErrMultipath, name, err)
	}
	return nil
}

// PathState is one path of a map as device-mapper reports it.
type PathState struct {
	Devt   string `json:"devt"`   // MAJOR:MINOR
	Active bool   `json:"active"` // not failed
	Fails  int    `json:"fails"`  // failures counted by dm
	// Group is the path group's state: "active" (carrying IO), "enabled"
	// or "disabled".
	Group string `json:"group"`
}

// Status reads the path states of map name (`dmsetup status`).
func (mp Multipath) Status(ctx context.Context, name string) ([]PathState, error) {
	out, err := mp.run(ctx, "dmsetup", "status", "--target", "multipath", name)
	if err != nil {
		return nil, err
	}
	return ParseMultipathStatus(string(out))
}

// ParseMultipathStatus parses the status line of a multipath target:
//
//	START LEN multipath NFEAT FEAT... NHW HW... NGROUPS NEXT
//	  { GSTATE NPS PS... NPATHS NSEL { DEVT A|F FAILS SEL... } }
func ParseMultipathStatus(line string) ([]PathState, error) {
	f := strings.Fields(line)
	i := slices.Index(f, "multipath")
	if i < 0 {
		return nil, fmt.Errorf("multipath status %q: no multipath target", line)
	}
	f = f[i+1:]
	bad := fmt.Errorf("multipath status %q: malformed", line)
	pos := 0
	next := func() (string, bool) {
		if pos >= len(f) {
			return "", false
		}
		pos++
		return f[pos-1], true
	}
	num := func() (int, bool) {
		s, ok := next()
		if !ok {
			return 0, false
		}
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= 0
	}
	skip := func() bool { // a counted list
		n, ok := num()
		if !ok || pos+n > len(f) {
			return false
		}
		pos += n
		return true
	}
	for range 2 { // features, hardware handler
		if !skip() {
			return nil, bad
		}
	}
	groups, ok := num()
	if !ok {
		return nil, bad
	}
	if _, ok := num(); !ok { // next group
		return nil, bad
	}
	var out []PathState
	for g := 0; g < groups; g++ {
		gs, ok := next()
		if !ok || !skip() {
			return nil, bad
		}
		state := map[string]string{"A": "active", "E": "enabled", "D": "disabled"}[gs]
		if state == "" {
			return nil, bad
		}
		paths, ok1 := num()
		nsel, ok2 := num()
		if !ok1 || !ok2 {
			return nil, bad
		}
		for p := 0; p < paths; p++ {
			devt, ok1 := next()
			st, ok2 := next()
			fails, ok3 := num()
			if !ok1 || !ok2 || !ok3 || (st != "A" && st != "F") || pos+nsel > len(f) {
				return nil, bad
			}
			pos += nsel
			out = append(out, PathState{Devt: devt, Active: st == "A", Fails: fails, Group: state})
		}
	}
	return out, nil
}

// stagePaths logs in on every portal of multipath volume v, checks that
// every path's disk is the volume's LUN (one identity), assembles their
// dm-multipath map and returns its device (dm-N).
func (m *Manager) stagePaths(ctx context.Context, v *Volume, a *Attachment) (string, error) {
	if err := m.mpath.Usable(ctx); err != nil {
		return "", fmt.Errorf("volume %q has %d portals: %w", v.Name, len(v.Portals), err)
	}
	for _, p := range v.Portals {
		a.Paths = append(a.Paths, PathAttach{Node: NodeRef{IQN: v.IQN, Portal: p, Iface: m.opts.Iface}})
		path := &a.Paths[len(a.Paths)-1]
		if err := m.loginStep(ctx, v, a, path.Node, &path.RecordCreated, pathSettings); err != nil {
			return "", err
		}
	}
	if err := m.record(a, PhaseDevice); err != nil {
		return "", err
	}
	disks := make([]string, len(a.Paths))
	for i := range a.Paths {
		disk, err := m.waitDisk(ctx, v, a.Paths[i].Node)
		if err != nil {
			return "", err
		}
		a.Paths[i].Disk, disks[i] = disk, disk
		// Every path must be the same LUN before one byte goes through
		// the map: two LUNs under one map corrupt both.
		if err := m.checkIdentity(v, disk); err != nil {
			return "", fmt.Errorf("path %s: %w", a.Paths[i].Node.Portal, err)
		}
	}
	// The WWID multipath will add, recorded before it is added: a crash
	// between `multipath -a` and the map leaves it in the wwids file, and
	// the teardown forgets what the attachment names.
	a.WWID = expectedWWID(v.Identity)
	if err := m.record(a, PhaseMultipath); err != nil {
		return "", err
	}
	mp, err := m.mpath.Assemble(ctx, disks, m.opts.DeviceTimeout, m.opts.Poll)
	if err != nil {
		return "", err
	}
	a.Map, a.WWID = mp.Name, mp.WWID
	if err := m.store.putAttachment(a); err != nil {
		return "", err
	}
	if _, err := os.Stat(m.sys.DevPath(mp.Dev)); err != nil {
		return "", fmt.Errorf("%w: map %s: %v", ErrMultipath, mp.Name, err)
	}
	return mp.Dev, nil
}

// expectedWWID is the WWID multipath-tools gives a disk of identity id
// (udev's ID_SERIAL: "3" and the hex digits of the NAA designator, which
// the kernel's wwid spells "naa." and the same digits), or "" for another
// kind of designator.
func expectedWWID(identity string) string {
	id, _, _ := strings.Cut(identity, " ")
	if hex, ok := strings.CutPrefix(id, "naa."); ok && hex != "" {
		return "3" + strings.ToLower(hex)
	}
	return ""
}

// removeMaps takes down the multipath map of a's paths: waits until
// nothing holds it, flushes its buffers, forgets its WWID and flushes the
// map. Maps are found from the paths' disks (recorded or found again) and
// from the recorded WWID, so a crash at any step of the attach or of this
// teardown leaves none behind.
func (m *Manager) removeMaps(ctx context.Context, v *Volume, a *Attachment) error {
	var disks []string
	for _, p := range a.Paths {
		d := p.Disk
		if d == "" {
			d, _ = m.sys.FindDisk(v.IQN, p.Node.Portal, v.LUN)
		}
		if d != "" && m.sys.DiskExists(d) {
			disks = append(disks, d)
		}
	}
	maps := m.mpath.MapsOver(disks...)
	if mp := m.mpath.MapByWWID(a.WWID); mp != nil && !slices.ContainsFunc(maps, func(o *Map) bool { return o.Dev == mp.Dev }) {
		maps = append(maps, mp)
	}
	wwids := []string{}
	if a.WWID != "" {
		wwids = append(wwids, a.WWID)
	}
	for _, mp := range maps {
		if !slices.Contains(wwids, mp.WWID) {
			wwids = append(wwids, mp.WWID)
		}
	}
	// Forgotten first: multipathd assembles a known WWID's map again as
	// soon as a path of it changes.
	for _, w := range wwids {
		if err := m.mpath.Forget(ctx, w); err != nil {
			return err
		}
	}
	for _, mp := range maps {
		dev := m.sys.DevPath(mp.Dev)
		if err := m.waitUnheld(ctx, dev); err != nil {
			return err
		}
		if err := m.disk.Flush(ctx, dev); err != nil {
			return err
		}
		if err := m.flushMap(ctx, mp); err != nil {
			return err
		}
	}
	return nil
}

// flushMap flushes mp, retrying while udev or multipathd still has it open
// for a moment.
func (m *Manager) flushMap(ctx context.Context, mp *Map) error {
	deadline := time.Now().Add(m.opts.DeviceTimeout)
	for {
		err := m.mpath.Flush(ctx, mp.Name)
		if err == nil || m.mpath.mapOf(mp.Dev) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(m.opts.Poll):
		}
	}
}

// PathInfo is one path of an attached volume.
type PathInfo struct {
	Portal  string `json:"portal"`
	Disk    string `json:"disk,omitempty"`
	Session string `json:"session"` // the iSCSI session's state (LOGGED_IN, FAILED, FREE) or "none"
	// Connected is the address the session is connected to when the
	// target redirected the login to another portal.
	Connected string `json:"connected,omitempty"`
	// DM is the path's state in the multipath map: "active", "failed",
	// or "" for a single-path volume.
	DM    string `json:"dm,omitempty"`
	Group string `json:"group,omitempty"` // its path group: active (carrying IO), enabled, disabled
	Fails int    `json:"fails,omitempty"`
}

// Paths reports the paths of attached volume name and their states.
func (m *Manager) Paths(ctx context.Context, name string) ([]PathInfo, error) {
	v, err := m.store.Get(name)
	if err != nil {
		return nil, err
	}
	a, err := m.store.Attachment(name)
	if err != nil || a == nil {
		return nil, err
	}
	var states []PathState
	if a.Map != "" {
		states, _ = m.mpath.Status(ctx, a.Map) // a map being torn down: sessions only
	}
	var out []PathInfo
	for _, p := range a.nodes() {
		pi := PathInfo{Portal: p.Node.Portal, Disk: p.Disk, Session: m.sys.SessionState(v.IQN, p.Node.Portal)}
		if addr := m.sys.SessionAddress(v.IQN, p.Node.Portal); addr != "" && addr != p.Node.Portal {
			pi.Connected = addr
		}
		if a.Map != "" && p.Disk != "" {
			if maj, min, err := m.sys.DevNumber(p.Disk); err == nil {
				devt := fmt.Sprintf("%d:%d", maj, min)
				pi.DM = "missing"
				for _, s := range states {
					if s.Devt == devt {
						pi.DM, pi.Group, pi.Fails = map[bool]string{true: "active", false: "failed"}[s.Active], s.Group, s.Fails
					}
				}
			}
		}
		out = append(out, pi)
	}
	return out, nil
}
