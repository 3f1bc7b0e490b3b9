package volume

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
)

// FSType is a filesystem cgrun formats and mounts.
type FSType string

// Filesystems cgrun formats.
const (
	FSExt4 FSType = "ext4"
	FSXFS  FSType = "xfs"
)

// Content is what a probe found on a disk.
type Content int

// Disk contents.
const (
	ContentBlank Content = iota
	ContentFilesystem
	ContentPartitionTable
	ContentUnknown
)

// Probe is the result of `blkid -p -o export`.
type Probe struct {
	Content Content
	Type    string // filesystem type, or partition table type, or blkid's TYPE
}

// ParseBlkid parses `blkid -p -o export DEV` output (exit 0).
func ParseBlkid(r io.Reader) (Probe, error) {
	kv := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok {
			kv[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return Probe{}, err
	}
	switch {
	case kv["PTTYPE"] != "":
		return Probe{Content: ContentPartitionTable, Type: kv["PTTYPE"]}, nil
	case kv["TYPE"] != "" && kv["USAGE"] == "filesystem":
		return Probe{Content: ContentFilesystem, Type: kv["TYPE"]}, nil
	}
	return Probe{Content: ContentUnknown, Type: kv["TYPE"]}, nil
}

// DiskTools runs blkid, mkfs, fsck and blockdev on a device.
type DiskTools struct {
	Runner Runner
}

// Probe tells what dev holds; blkid's exit 2 means nothing was found.
func (t DiskTools) Probe(ctx context.Context, dev string) (Probe, error) {
	out, err := t.Runner.Run(ctx, Cmd{Name: "blkid", Args: []string{"-p", "-o", "export", dev}})
	if ExitCode(err) == 2 {
		return Probe{Content: ContentBlank}, nil
	}
	if err != nil {
		return Probe{}, fmt.Errorf("probe %s: %w", dev, err)
	}
	return ParseBlkid(bytesReader(out))
}

// Mkfs formats dev with fs. Only call it on a disk Probe found blank.
func (t DiskTools) Mkfs(ctx context.Context, dev string, fs FSType) error {
	var c Cmd
	switch fs {
	case FSExt4:
		c = Cmd{Name: "mkfs.ext4", Args: []string{"-q", "-F", dev}}
	case FSXFS:
		c = Cmd{Name: "mkfs.xfs", Args: []string{"-q", dev}}
	default:
		return invalidf("filesystem %q: must be ext4 or xfs", fs)
	}
	if _, err := t.Runner.Run(ctx, c); err != nil {
		return fmt.Errorf("format %s as %s: %w", dev, fs, err)
	}
	return nil
}

// Fsck checks (and for ext4 repairs safely) the filesystem on dev before a
// read-write mount: e2fsck -p (exit 0, 1 fixed, 2 fixed and reboot advised
// are fine), xfs_repair -n (exit 0 fine).
func (t DiskTools) Fsck(ctx context.Context, dev string, fs string) error {
	var c Cmd
	switch FSType(fs) {
	case FSExt4:
		c = Cmd{Name: "e2fsck", Args: []string{"-p", dev}}
	case FSXFS:
		c = Cmd{Name: "xfs_repair", Args: []string{"-n", dev}}
	default:
		return nil
	}
	_, err := t.Runner.Run(ctx, c)
	if code := ExitCode(err); err != nil && !(FSType(fs) == FSExt4 && code > 0 && code < 4) {
		return fmt.Errorf("%w on %s (%s): %w", ErrFsck, dev, fs, err)
	}
	return nil
}

// Flush flushes the buffers of dev (blockdev --flushbufs).
func (t DiskTools) Flush(ctx context.Context, dev string) error {
	if _, err := t.Runner.Run(ctx, Cmd{Name: "blockdev", Args: []string{"--flushbufs", dev}}); err != nil {
		return fmt.Errorf("flush %s: %w", dev, err)
	}
	return nil
}

// Prepare makes dev ready to mount as fs: formats it when blank (never
// when readOnly), refuses a partition table or unknown data, and checks an
// existing filesystem before a read-write mount. mayFormat false (the
// volume was formatted once already) refuses a blank disk: it is another
// disk, or the data is gone. It returns the filesystem type to mount and
// whether it formatted.
func (t DiskTools) Prepare(ctx context.Context, dev string, fs FSType, readOnly, mayFormat bool) (string, bool, error) {
	p, err := t.Probe(ctx, dev)
	if err != nil {
		return "", false, err
	}
	switch p.Content {
	case ContentBlank:
		if readOnly {
			return "", false, fmt.Errorf("%s: %w: it has no filesystem and read-only never formats", dev, ErrBlankReadOnly)
		}
		if !mayFormat {
			return "", false, fmt.Errorf("%w %s: the volume was formatted before and the disk is blank now", ErrUnsafeFormat, dev)
		}
		if err := t.Mkfs(ctx, dev, fs); err != nil {
			return "", false, err
		}
		return string(fs), true, nil
	case ContentPartitionTable:
		return "", false, fmt.Errorf("%w %s: it holds a %s partition table", ErrUnsafeFormat, dev, p.Type)
	case ContentUnknown:
		return "", false, fmt.Errorf("%w %s: it holds data blkid does not know as a filesystem (%q)", ErrUnsafeFormat, dev, p.Type)
	}
	if !readOnly {
		if err := t.Fsck(ctx, dev, p.Type); err != nil {
			return "", false, err
		}
	}
	return p.Type, false, nil
}
