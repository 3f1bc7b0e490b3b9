package volume

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Phase is the step an attachment is in. It is recorded before the step
// runs, so a crash leaves the step's name for Reconcile.
type Phase string

// Attach and detach phases, in order.
const (
	PhaseRecord Phase = "record" // node record and CHAP settings
	PhaseLogin  Phase = "login"
	PhaseDevice Phase = "device" // wait for the disk, check its identity
	// PhaseMultipath: the paths' disks are recorded; their WWID goes into
	// multipath's wwids file and their dm-multipath map is assembled.
	PhaseMultipath Phase = "multipath"
	PhaseFormat    Phase = "format" // format if blank, fsck
	PhaseMount     Phase = "mount"  // staging mount
	PhaseReady     Phase = "ready"
	PhaseDetach    Phase = "detach"
)

// Steps of a detach, after PhaseDetach is recorded: not recorded (the
// teardown redoes each idempotently), named for Options.AfterStep only.
const (
	StepUnmounted Phase = "unmounted"  // staging unmounted
	StepMapGone   Phase = "map-gone"   // multipath map flushed, its WWID forgotten
	StepDiskGone  Phase = "disk-gone"  // SCSI disk flushed and deleted
	StepLoggedOut Phase = "logged-out" // session out, node record deleted
	// StepFrozen: a snapshot froze the volume's mounted filesystem.
	StepFrozen Phase = "frozen"
)

// User is one container using an attached volume.
type User struct {
	ReadOnly bool `json:"readOnly"`
	Pending  bool `json:"pending,omitempty"` // attach under way
}

// PathAttach is one path of a multipath attachment: the session on one
// portal and the SCSI disk behind it.
type PathAttach struct {
	Node          NodeRef `json:"node"`
	RecordCreated bool    `json:"recordCreated"` // cgrun owns the node record
	Disk          string  `json:"disk,omitempty"`
}

// Attachment is the node-side attach state of a volume, persisted 0600.
// A single-path attachment has Node, RecordCreated and Disk (the SCSI
// disk); a multipath one has Paths, and Disk is its dm-multipath map's
// device (dm-N), Map the map's name and WWID multipath's WWID of the LUN.
type Attachment struct {
	Volume        string          `json:"volume"`
	Phase         Phase           `json:"phase"`
	Node          NodeRef         `json:"node"`
	LUN           int             `json:"lun"`
	RecordCreated bool            `json:"recordCreated"` // cgrun owns the node record
	Paths         []PathAttach    `json:"paths,omitempty"`
	Map           string          `json:"map,omitempty"`
	WWID          string          `json:"wwid,omitempty"`
	Disk          string          `json:"disk,omitempty"`
	Major         uint32          `json:"major,omitempty"`
	Minor         uint32          `json:"minor,omitempty"`
	FSType        string          `json:"fsType,omitempty"`
	Staging       string          `json:"staging,omitempty"`
	ReadOnly      bool            `json:"readOnly"`
	Users         map[string]User `json:"users"`
}

// nodes returns the sessions a uses: its paths, or its one node.
func (a *Attachment) nodes() []PathAttach {
	if len(a.Paths) > 0 {
		return a.Paths
	}
	if a.Node.IQN == "" {
		return nil
	}
	return []PathAttach{{Node: a.Node, RecordCreated: a.RecordCreated, Disk: a.Disk}}
}

// Options of a Manager; zero values take the defaults.
type Options struct {
	StateDir     string  // DefaultStateDir
	Runner       Runner  // ExecRunner
	SysRoot      string  // "/"
	LIORoot      string  // DefaultLIORoot
	ISCSINodeDir string  // DefaultISCSINodeDir: open-iscsi's node records
	ISCSILockDir string  // DefaultISCSILockDir: open-iscsi's database lock
	TgtSocket    string  // DefaultTgtSocket: tgtd's management socket
	Mounter      Mounter // SysMounter
	Iface        string  // "default"
	// MultipathWWIDs is multipath's wwids file (DefaultMultipathWWIDs).
	MultipathWWIDs string
	DeviceTimeout  time.Duration // 60 s: how long to wait for the disk
	Poll           time.Duration // 100 ms
	// AfterStep, when set, runs after each phase is recorded and before it
	// acts (crash tests stop a process there).
	AfterStep func(Phase)
}

// Manager runs the node side of the lifecycle.
type Manager struct {
	store   Store
	iscsi   Iscsiadm
	disk    DiskTools
	mpath   Multipath
	sys     SysFS
	mounter Mounter
	thin    Thin
	opts    Options
}

// NewManager returns a Manager with opts' defaults filled.
func NewManager(opts Options) *Manager {
	if opts.StateDir == "" {
		opts.StateDir = DefaultStateDir
	}
	if opts.Runner == nil {
		opts.Runner = ExecRunner{}
	}
	if opts.Mounter == nil {
		opts.Mounter = SysMounter{}
	}
	if opts.Iface == "" {
		opts.Iface = "default"
	}
	if opts.DeviceTimeout <= 0 {
		opts.DeviceTimeout = 60 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = 100 * time.Millisecond
	}
	sys := SysFS{Root: opts.SysRoot}
	return &Manager{
		store:   Store{Dir: opts.StateDir},
		iscsi:   Iscsiadm{Runner: opts.Runner, NodeDir: opts.ISCSINodeDir, LockDir: opts.ISCSILockDir},
		disk:    DiskTools{Runner: opts.Runner},
		mpath:   Multipath{Runner: opts.Runner, SysRoot: opts.SysRoot, WWIDsFile: opts.MultipathWWIDs},
		sys:     sys,
		mounter: opts.Mounter,
		thin:    Thin{Runner: opts.Runner, Sys: sys},
		opts:    opts,
	}
}

// Store returns the manager's registry and state store.
func (m *Manager) Store() Store { return m.store }

// lockVolume takes volume name's lock and loads its record; the caller
// defers unlock.
func (m *Manager) lockVolume(name string) (*Volume, func(), error) {
	unlock, err := m.store.LockExisting(name)
	if err != nil {
		return nil, nil, err
	}
	v, err := m.store.Get(name)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return v, unlock, nil
}

// Exposure tells the container runtime how to give an attached volume to a
// container: bind Source (filesystem mode) or make a device node of
// Major:Minor with a device cgroup rule (block mode).
type Exposure struct {
	Volume   string
	Mode     Mode
	Source   string // staging directory (filesystem mode)
	Device   string // host device node, e.g. /dev/sdb
	Major    uint32
	Minor    uint32
	ReadOnly bool
}

func (m *Manager) exposure(v *Volume, a *Attachment, ro bool) *Exposure {
	e := &Exposure{Volume: v.Name, Mode: v.Mode, Device: m.sys.DevPath(a.Disk), Major: a.Major, Minor: a.Minor, ReadOnly: ro}
	if v.Mode == ModeFilesystem {
		e.Source = a.Staging
	}
	return e
}

// after runs Options.AfterStep for step p.
func (m *Manager) after(p Phase) {
	if m.opts.AfterStep != nil {
		m.opts.AfterStep(p)
	}
}

// record writes a's phase before the step runs.
func (m *Manager) record(a *Attachment, p Phase) error {
	a.Phase = p
	if err := m.store.putAttachment(a); err != nil {
		return fmt.Errorf("record attach state of %s: %w", a.Volume, err)
	}
	m.after(p)
	return nil
}

// waitDisk waits, bounded, for the disk of v's LUN behind the session; it
// asks for a rescan once half the time has passed.
func (m *Manager) waitDisk(ctx context.Context, v *Volume, n NodeRef) (string, error) {
	start := time.Now()
	rescanned := false
	for {
		d, err := m.sys.FindDisk(v.IQN, n.Portal, v.LUN)
		if err == nil {
			// Found through the session is not yet usable: the disk's
			// dev file and node come a moment later (or a disk of the
			// same name is still going away): wait for both.
			_, serr := os.Stat(m.sys.DevPath(d))
			if _, _, derr := m.sys.DevNumber(d); serr == nil && derr == nil {
				return d, nil
			}
		} else if !errors.Is(err, ErrNotFound) {
			return "", err
		}
		el := time.Since(start)
		if el >= m.opts.DeviceTimeout {
			return "", fmt.Errorf("LUN %d of %s: %w within %s", v.LUN, n, ErrDeviceTimeout, m.opts.DeviceTimeout)
		}
		if !rescanned && el >= m.opts.DeviceTimeout/2 {
			rescanned = true
			_ = m.iscsi.Rescan(ctx, n) // best effort: the wait decides
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(m.opts.Poll):
		}
	}
}

// ResolveDevice returns the host device node of an attached volume, for
// block IO limits given by volume name.
func (m *Manager) ResolveDevice(name string) (string, error) {
	a, err := m.store.Attachment(name)
	if err != nil {
		return "", err
	}
	if a == nil || a.Phase != PhaseReady || a.Disk == "" {
		return "", fmt.Errorf("volume %q is not attached: %w", name, ErrNotFound)
	}
	return m.sys.DevPath(a.Disk), nil
}

// DeviceSize is the size in bytes of attached volume name's device (its
// disk, or its multipath map).
func (m *Manager) DeviceSize(name string) (int64, error) {
	a, err := m.store.Attachment(name)
	if err != nil {
		return 0, err
	}
	if a == nil || a.Phase != PhaseReady || a.Disk == "" {
		return 0, fmt.Errorf("volume %q is not attached: %w", name, ErrNotFound)
	}
	return m.sys.DiskSize(a.Disk)
}

// Condition reports whether an attached volume is usable: every path's
// session logged in and its disk present. It returns abnormal=false and ""
// for a healthy attachment, and ErrNotFound when name is not attached.
func (m *Manager) Condition(name string) (abnormal bool, msg string, err error) {
	v, err := m.store.Get(name)
	if err != nil {
		return false, "", err
	}
	a, err := m.store.Attachment(name)
	if err != nil {
		return false, "", err
	}
	if a == nil || a.Phase != PhaseReady {
		return false, "", fmt.Errorf("volume %q is not attached: %w", name, ErrNotFound)
	}
	var bad []string
	for _, p := range a.nodes() {
		if st := m.sys.SessionState(v.IQN, p.Node.Portal); st != "LOGGED_IN" {
			bad = append(bad, fmt.Sprintf("session to %s is %s", p.Node.Portal, st))
		}
		if p.Disk != "" && !m.sys.DiskExists(p.Disk) {
			bad = append(bad, fmt.Sprintf("disk %s is gone", p.Disk))
		}
	}
	if a.Disk != "" && !m.sys.DiskExists(a.Disk) {
		bad = append(bad, fmt.Sprintf("device %s is gone", a.Disk))
	}
	if len(bad) > 0 {
		return true, strings.Join(bad, "; "), nil
	}
	return false, "", nil
}
