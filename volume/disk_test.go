package volume

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestParseBlkid(t *testing.T) {
	t.Parallel()
	ext4, _ := fixture(t, "blkid-ext4.txt")
	ext4 = strings.Split(ext4, "\nrc=")[0]
	cases := []struct {
		name, in string
		want     Probe
	}{
		{"ext4 fixture", ext4, Probe{ContentFilesystem, "ext4"}},
		{"dos table", "DEVNAME=/dev/loop0\nPTUUID=1234\nPTTYPE=dos\n", Probe{ContentPartitionTable, "dos"}},
		{"lvm member", "DEVNAME=/dev/sdb\nTYPE=LVM2_member\nUSAGE=raid\n", Probe{ContentUnknown, "LVM2_member"}},
		{"luks", "TYPE=crypto_LUKS\nUSAGE=crypto\n", Probe{ContentUnknown, "crypto_LUKS"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseBlkid(strings.NewReader(tc.in))
			if err != nil || got != tc.want {
				t.Fatalf("got %+v %v, want %+v", got, err, tc.want)
			}
		})
	}
}

// Prepare formats a blank disk only, never read-only, never a disk that
// holds something blkid cannot call a filesystem.
func TestPrepare(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		blkid      string // "" = blank (exit 2)
		fs         FSType
		ro, may    bool
		fsckCode   int
		wantErr    error
		wantFormat bool
		wantCmds   []string
	}{
		{name: "blank ext4", fs: FSExt4, may: true, wantFormat: true,
			wantCmds: []string{"blkid -p -o export /dev/sdx", "mkfs.ext4 -q -F /dev/sdx"}},
		{name: "blank xfs", fs: FSXFS, may: true, wantFormat: true,
			wantCmds: []string{"blkid -p -o export /dev/sdx", "mkfs.xfs -q /dev/sdx"}},
		{name: "blank read-only", fs: FSExt4, ro: true, may: true, wantErr: ErrBlankReadOnly,
			wantCmds: []string{"blkid -p -o export /dev/sdx"}},
		{name: "blank after a format", fs: FSExt4, wantErr: ErrUnsafeFormat,
			wantCmds: []string{"blkid -p -o export /dev/sdx"}},
		{name: "partition table", blkid: "PTTYPE=gpt\n", fs: FSExt4, may: true, wantErr: ErrUnsafeFormat,
			wantCmds: []string{"blkid -p -o export /dev/sdx"}},
		{name: "unknown data", blkid: "TYPE=swap\nUSAGE=other\n", fs: FSExt4, may: true, wantErr: ErrUnsafeFormat,
			wantCmds: []string{"blkid -p -o export /dev/sdx"}},
		{name: "existing ext4 rw is checked", blkid: "TYPE=ext4\nUSAGE=filesystem\n", fs: FSXFS, may: true,
			wantCmds: []string{"blkid -p -o export /dev/sdx", "e2fsck -p /dev/sdx"}},
		{name: "ext4 fixed by fsck", blkid: "TYPE=ext4\nUSAGE=filesystem\n", fs: FSExt4, fsckCode: 1,
			wantCmds: []string{"blkid -p -o export /dev/sdx", "e2fsck -p /dev/sdx"}},
		{name: "ext4 fsck fails", blkid: "TYPE=ext4\nUSAGE=filesystem\n", fs: FSExt4, fsckCode: 4, wantErr: ErrFsck,
			wantCmds: []string{"blkid -p -o export /dev/sdx", "e2fsck -p /dev/sdx"}},
		{name: "xfs checked", blkid: "TYPE=xfs\nUSAGE=filesystem\n", fs: FSXFS,
			wantCmds: []string{"blkid -p -o export /dev/sdx", "xfs_repair -n /dev/sdx"}},
		{name: "xfs corrupt", blkid: "TYPE=xfs\nUSAGE=filesystem\n", fs: FSXFS, fsckCode: 1, wantErr: ErrFsck,
			wantCmds: []string{"blkid -p -o export /dev/sdx", "xfs_repair -n /dev/sdx"}},
		{name: "read-only not checked", blkid: "TYPE=ext4\nUSAGE=filesystem\n", fs: FSExt4, ro: true,
			wantCmds: []string{"blkid -p -o export /dev/sdx"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &fakeRunner{respond: func(c Cmd) ([]byte, error) {
				switch c.Name {
				case "blkid":
					if tc.blkid == "" {
						return nil, exitErr(c, 2, "")
					}
					return []byte(tc.blkid), nil
				case "e2fsck", "xfs_repair":
					if tc.fsckCode != 0 {
						return nil, exitErr(c, tc.fsckCode, "fsck says")
					}
				}
				return nil, nil
			}}
			_, formatted, err := DiskTools{Runner: r}.Prepare(context.Background(), "/dev/sdx", tc.fs, tc.ro, tc.may)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if formatted != tc.wantFormat {
				t.Fatalf("formatted %t", formatted)
			}
			if got := r.joined(); got != strings.Join(tc.wantCmds, "\n") {
				t.Fatalf("commands:\n%s\nwant:\n%s", got, strings.Join(tc.wantCmds, "\n"))
			}
		})
	}
}
