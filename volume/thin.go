package volume

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Thin volumes live in an LVM thin pool (VG/POOL, lvm2 and
// thin-provisioning-tools): one thin logical volume per volume,
// "cgrun-NAME", and one per snapshot, "cgrun-snap-NAME". Thin snapshots
// are copy-on-write and ready at once, a volume made from one is a thin
// snapshot of it, and a thin LV grows with lvextend while LIO's block
// backstore serves it: the initiator sees the new size at its next
// rescan. The pool is the operator's; cgrun touches only its own LVs.

var poolRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-zA-Z0-9+_.][a-zA-Z0-9+_.-]{0,62}/[a-zA-Z0-9+_.][a-zA-Z0-9+_.-]{0,62}$`)
})

// ValidThinPool checks an LVM thin pool name, VG/POOL.
func ValidThinPool(p string) error {
	if !poolRe().MatchString(p) {
		return invalidf("thin pool %q: must be VG/POOL, an LVM volume group and a thin pool in it", p)
	}
	return nil
}

// volumeLV and snapshotLV name cgrun's logical volumes.
func volumeLV(name string) string   { return "cgrun-" + name }
func snapshotLV(name string) string { return "cgrun-snap-" + name }

// Thin runs lvm2's commands on cgrun's thin LVs.
type Thin struct {
	Runner Runner
	// Sys reads an active LV's size from its device node, which saves an
	// lvs (a scan of the volume group: hundreds of milliseconds) after
	// each lvcreate and lvextend.
	Sys SysFS
}

func (t Thin) run(ctx context.Context, args ...string) ([]byte, error) {
	return t.Runner.Run(ctx, Cmd{Name: "lvm", Args: args})
}

func vgOf(pool string) string { vg, _, _ := strings.Cut(pool, "/"); return vg }

// DevPath is the device node of LV lv in pool's volume group.
func (Thin) DevPath(pool, lv string) string { return "/dev/" + vgOf(pool) + "/" + lv }

// Size returns lv's size in bytes, or 0 when it does not exist: its
// device's size when it is active here, else what lvs reports.
func (t Thin) Size(ctx context.Context, pool, lv string) (int64, error) {
	if n, err := t.Sys.NodeSize(t.DevPath(pool, lv)); err == nil {
		return n, nil
	}
	out, err := t.run(ctx, "lvs", "--reportformat", "json", "--units", "b", "--nosuffix", "-o", "lv_name,lv_size,pool_lv", vgOf(pool))
	if err != nil {
		return 0, fmt.Errorf("list the LVs of %s: %w", vgOf(pool), err)
	}
	return parseLVSize(out, lv)
}

// parseLVSize reads lv's size from `lvs --reportformat json`.
func parseLVSize(out []byte, lv string) (int64, error) {
	var r struct {
		Report []struct {
			LV []struct {
				Name string `json:"lv_name"`
				Size string `json:"lv_size"`
			} `json:"lv"`
		} `json:"report"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return 0, fmt.Errorf("lvs report: %w", err)
	}
	for _, rep := range r.Report {
		for _, l := range rep.LV {
			if l.Name == lv {
				n, err := strconv.ParseInt(l.Size, 10, 64)
				if err != nil {
					return 0, fmt.Errorf("lvs: size %q of %s: %w", l.Size, lv, err)
				}
				return n, nil
			}
		}
	}
	return 0, nil
}

// Every lvm command scans the host's block devices (iSCSI disks among
// them): each method runs as few as it can, an LV already there or
// already gone being told by lvm's own refusal.

// exists and missing tell lvm's refusals (exit 5) of an LV that is, or
// is not, there.
func exists(err error) bool {
	var ee *ExitError
	return errors.As(err, &ee) && strings.Contains(ee.Output, "already exists")
}

func missing(err error) bool {
	var ee *ExitError
	return errors.As(err, &ee) && strings.Contains(ee.Output, "Failed to find logical volume")
}

// Create makes thin LV lv of size bytes in pool (rounded up to the
// volume group's extents by lvm) and returns its size; an existing lv is
// kept.
func (t Thin) Create(ctx context.Context, pool, lv string, size int64) (int64, error) {
	if _, err := t.run(ctx, "lvcreate", "-q", "-y", "-V", strconv.FormatInt(size, 10)+"b", "-T", pool, "-n", lv); err != nil && !exists(err) {
		return 0, fmt.Errorf("create thin LV %s in %s: %w", lv, pool, err)
	}
	return t.Size(ctx, pool, lv)
}

// Snapshot makes lv a thin snapshot of origin (copy-on-write, ready at
// once, active without the snapshot's activation skip) and returns its
// size; an existing lv is kept.
func (t Thin) Snapshot(ctx context.Context, pool, origin, lv string) (int64, error) {
	if _, err := t.run(ctx, "lvcreate", "-q", "-y", "-s", "-kn", "-n", lv, vgOf(pool)+"/"+origin); err != nil && !exists(err) {
		return 0, fmt.Errorf("snapshot %s of %s: %w", lv, origin, err)
	}
	return t.Size(ctx, pool, lv)
}

// Extend grows lv to at least size bytes and returns its size; a larger
// lv is left as it is.
func (t Thin) Extend(ctx context.Context, pool, lv string, size int64) (int64, error) {
	n, err := t.Size(ctx, pool, lv)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, fmt.Errorf("thin LV %s/%s: %w", vgOf(pool), lv, ErrNotFound)
	}
	if n >= size {
		return n, nil
	}
	if _, err := t.run(ctx, "lvextend", "-q", "-L", strconv.FormatInt(size, 10)+"b", vgOf(pool)+"/"+lv); err != nil {
		return 0, fmt.Errorf("extend %s to %d bytes: %w", lv, size, err)
	}
	return t.Size(ctx, pool, lv)
}

// Remove deletes lv; one already gone is success.
func (t Thin) Remove(ctx context.Context, pool, lv string) error {
	if _, err := t.run(ctx, "lvremove", "-q", "-y", vgOf(pool)+"/"+lv); err != nil && !missing(err) {
		return fmt.Errorf("remove thin LV %s: %w", lv, err)
	}
	return nil
}
