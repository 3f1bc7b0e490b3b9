package volume

import (
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Mode is how a container sees the volume.
type Mode string

// Volume modes.
const (
	ModeFilesystem Mode = "filesystem" // mounted, formatted if blank
	ModeBlock      Mode = "block"      // raw device node
)

// Provisioner names the local Linux target a volume was provisioned on.
type Provisioner string

// Provisioners.
const (
	ProvisionNone Provisioner = ""
	ProvisionTgt  Provisioner = "tgt"
	ProvisionLIO  Provisioner = "lio"
)

// CHAP holds CHAP user names and the paths of files holding the secrets.
// The secrets themselves are read when used and never stored.
type CHAP struct {
	User             string `json:"user"`
	SecretFile       string `json:"secretFile"`
	MutualUser       string `json:"mutualUser,omitempty"`
	MutualSecretFile string `json:"mutualSecretFile,omitempty"`
}

// Volume is one registered volume: where its LUN is and how to use it.
type Volume struct {
	Name   string `json:"name"`
	Portal string `json:"portal"` // host:port, the first of Portals
	// Portals lists every portal of a multipath volume (two or more, the
	// first equal to Portal): attach logs in on each and assembles the
	// paths with dm-multipath. Empty for a single-path volume.
	Portals []string `json:"portals,omitempty"`
	IQN     string   `json:"iqn"` // target IQN
	LUN     int      `json:"lun"`
	FS      FSType   `json:"fs"`
	Mode    Mode     `json:"mode"`
	CHAP    *CHAP    `json:"chap,omitempty"`

	// Controller side, for volumes provisioned on a local target.
	Provision Provisioner `json:"provision,omitempty"`
	SizeBytes int64       `json:"sizeBytes,omitempty"`
	Backing   string      `json:"backing,omitempty"` // backing file, or a thin volume's LV
	// ThinPool is the LVM thin pool (VG/POOL) a thin volume's LV is in:
	// thin volumes grow (Expand) and have snapshots.
	ThinPool   string   `json:"thinPool,omitempty"`
	Serial     string   `json:"serial,omitempty"`     // unit serial set on the LUN
	Initiators []string `json:"initiators,omitempty"` // published initiator IQNs

	// Identity records the disk's WWID (and serial) at first attach; a
	// re-attach to another disk is refused.
	Identity string `json:"identity,omitempty"`
	// Formatted is set once cgrun formatted the disk: it never formats it again.
	Formatted bool `json:"formatted,omitempty"`

	// FromSnapshot and FromVolume name what a thin volume was made from
	// (a thin snapshot of that snapshot's or volume's LV).
	FromSnapshot string `json:"fromSnapshot,omitempty"`
	FromVolume   string `json:"fromVolume,omitempty"`

	// CSIName is the name a CSI CreateVolume gave the volume (its
	// idempotency key); empty for volumes made by the CLI.
	CSIName string `json:"csiName,omitempty"`
	// CSIStaged marks a record a CSI NodeStageVolume registered from the
	// volume context (the controller's registry being on another host);
	// NodeUnstageVolume removes it with the attachment.
	CSIStaged bool `json:"csiStaged,omitempty"`
}

// MaxPortals bounds the paths of one volume (csi-lib-iscsi and
// democratic-csi users run two to four).
const MaxPortals = 8

// Multipath reports whether v is attached through dm-multipath (two or
// more portals).
func (v *Volume) Multipath() bool { return len(v.Portals) > 1 }

// AllPortals returns every portal of v: Portals, or Portal alone.
func (v *Volume) AllPortals() []string {
	if v.Multipath() {
		return v.Portals
	}
	return []string{v.Portal}
}

// Compiled on first use: at package init they cost every cgrun process,
// and every container's init (the same binary), about 0.5 ms.
var (
	nameRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$`)
	})
	iqnRe = sync.OnceValue(func() *regexp.Regexp {
		// iqn.YYYY-MM (a month 01 to 12, RFC 3720 3.2.6.3.1)
		return regexp.MustCompile(`^(iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-zA-Z0-9.-]+(:[^\s]+)?|eui\.[0-9A-Fa-f]{16}|naa\.[0-9A-Fa-f]{16,32})$`)
	})
)

// ValidName checks a volume name.
func ValidName(name string) error {
	if !nameRe().MatchString(name) {
		return invalidf("volume name %q: must be 1-64 of [a-zA-Z0-9_.-] starting with a letter or digit", name)
	}
	return nil
}

// ValidIQN checks an iSCSI name (iqn., eui. or naa. form).
func ValidIQN(iqn string) error {
	if !iqnRe().MatchString(iqn) || len(iqn) > 223 {
		return invalidf("iSCSI name %q: must be iqn.YYYY-MM.reversed.domain[:id] (MM 01 to 12), eui.<16 hex> or naa.<hex>", iqn)
	}
	return nil
}

// ValidPortal checks host:port.
func ValidPortal(p string) error {
	host, port, err := net.SplitHostPort(p)
	n, perr := strconv.Atoi(port)
	if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		return invalidf("portal %q: must be HOST:PORT", p)
	}
	return nil
}

// Validate checks v and fills defaults (ext4, filesystem mode).
func (v *Volume) Validate() error {
	if v.FS == "" {
		v.FS = FSExt4
	}
	if v.Mode == "" {
		v.Mode = ModeFilesystem
	}
	if err := ValidName(v.Name); err != nil {
		return err
	}
	if len(v.Portals) == 1 {
		v.Portal, v.Portals = v.Portals[0], nil
	}
	if len(v.Portals) > 1 {
		if v.Portal == "" {
			v.Portal = v.Portals[0]
		}
		if v.Portals[0] != v.Portal {
			return invalidf("portals %v: the first must be the volume's portal %s", v.Portals, v.Portal)
		}
		if len(v.Portals) > MaxPortals {
			return invalidf("portals %v: at most %d", v.Portals, MaxPortals)
		}
		for i, p := range v.Portals {
			if err := ValidPortal(p); err != nil {
				return err
			}
			if slices.Contains(v.Portals[:i], p) {
				return invalidf("portal %q is given twice", p)
			}
		}
	}
	if err := ValidPortal(v.Portal); err != nil {
		return err
	}
	if err := ValidIQN(v.IQN); err != nil {
		return err
	}
	if v.LUN < 0 || v.LUN > 16383 {
		return invalidf("LUN %d: must be 0-16383", v.LUN)
	}
	if v.ThinPool != "" {
		if err := ValidThinPool(v.ThinPool); err != nil {
			return err
		}
		if v.Provision == ProvisionNone {
			return invalidf("thin pool %s: only a provisioned volume (tgt or lio) is made in a thin pool", v.ThinPool)
		}
	}
	if v.FS != FSExt4 && v.FS != FSXFS {
		return invalidf("filesystem %q: must be ext4 or xfs", v.FS)
	}
	if v.Mode != ModeFilesystem && v.Mode != ModeBlock {
		return invalidf("mode %q: must be filesystem or block", v.Mode)
	}
	if c := v.CHAP; c != nil {
		if c.User == "" || c.SecretFile == "" {
			return invalidf("CHAP needs both a user and a secret file")
		}
		if (c.MutualUser == "") != (c.MutualSecretFile == "") {
			return invalidf("mutual CHAP needs both a user and a secret file")
		}
		if strings.ContainsAny(c.User+c.MutualUser, " \t\n,") {
			return invalidf("CHAP user %q: no blanks or commas", c.User)
		}
	}
	return nil
}
