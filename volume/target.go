package volume

import (
	"context"
)

// LUNSpec is one file-backed LUN to provision on a local target.
type LUNSpec struct {
	Name   string // volume name (LIO's storage object name)
	IQN    string // target IQN, one target per volume
	Portal string // host:port the target listens on (LIO)
	// Portals: every portal of a multipath volume (LIO listens on each;
	// tgt must already serve each, tgtd's portals being its own).
	Portals []string
	Backing string // backing file, created sparse
	// Device: Backing is a block device (a thin LV) that the volume
	// manager makes and removes; the target only serves it (LIO's block
	// backstore, which reads its size at every command, so it grows).
	Device    bool
	SizeBytes int64
	Serial    string // unit serial number, part of the disk identity
}

// Target is the controller side of a Linux iSCSI target: every method is
// idempotent.
type Target interface {
	// DiskLUN is the LUN number the disk gets (tgt: 1, LUN 0 being its
	// controller; LIO: 0).
	DiskLUN() int
	Create(ctx context.Context, l LUNSpec) error
	// Publish maps the LUN to one initiator (LUN masking), with CHAP when c
	// is not nil.
	Publish(ctx context.Context, l LUNSpec, initiator string, c *chapCreds) error
	// Unpublish removes the initiator; refused (ErrInUse) while it has a session.
	Unpublish(ctx context.Context, l LUNSpec, initiator string) error
	// Delete removes the target and its LUN; refused while a session is open.
	Delete(ctx context.Context, l LUNSpec) error
}
