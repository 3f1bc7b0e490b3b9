package cgroup

import (
	"errors"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// weightHost is a fake v1 host with bfq's weight files; its sysfs has loop0
// (7:0) under none with bfq offered and vda (254:0) under bfq. extra
// overrides files of the fake machine.
func weightHost(t *testing.T, extra map[string]string) *fakeHost {
	t.Helper()
	h := newFakeHost(t, slices.Clone(v1Mounts))
	fakeFiles(t, h.root, map[string]string{
		"blkio/blkio.bfq.weight":        "100\n",
		"blkio/blkio.bfq.weight_device": "",
	})
	fakeFiles(t, h.dir, extra)
	return h
}

func weightDevice(major, minor int64, w uint16) *specs.LinuxResources {
	return &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{
		{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: major, Minor: minor}, Weight: &w}}}}
}

// A per-device weight on a device bfq does not schedule is refused by both
// probes with the wording `cgrun check` prints beside the device; under bfq,
// and on a device that is no probed whole disk, it is accepted.
func TestSupportsWeightDeviceNeedsBFQ(t *testing.T) {
	t.Parallel()
	h := weightHost(t, map[string]string{"sys/block/sdb/queue/scheduler": "[mq-deadline] none\n", "sys/block/sdb/dev": "8:16\n"})
	opts := append(slices.Clone(h.opts), WithParent("cgrun"))
	full, err := Probe(opts...)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		major, minor int64
		want         string
	}{
		{"none, bfq offered", 7, 0, "blockIO.weightDevice: device loop0 (7:0) is scheduled by none, and weights act only under bfq (echo bfq > /sys/block/loop0/queue/scheduler)"},
		{"bfq not offered", 8, 16, "blockIO.weightDevice: device sdb (8:16) is scheduled by mq-deadline, and weights act only under bfq (modprobe bfq, then echo bfq > /sys/block/sdb/queue/scheduler)"},
		{"bfq active", 254, 0, ""},
		{"not a probed disk", 8, 1, ""},
	} {
		r := weightDevice(tc.major, tc.minor, 500)
		lean, err := ProbeFor(r, nil, opts...)
		if err != nil {
			t.Fatal(err)
		}
		for probe, host := range map[string]*Host{"Probe": full, "ProbeFor": lean} {
			err := Supports(host, r, nil)
			if tc.want == "" {
				if err != nil {
					t.Errorf("%s, %s: refused: %v", tc.name, probe, err)
				}
				continue
			}
			var ue *UnsupportedError
			if !errors.As(err, &ue) || err.Error() != tc.want {
				t.Errorf("%s, %s: err = %v\nwant  %s", tc.name, probe, err, tc.want)
				continue
			}
			d, ok := host.blockDevice(tc.major, tc.minor)
			if !ok || d.WeightReason() != ue.Reason {
				t.Errorf("%s, %s: check's wording differs: %+v", tc.name, probe, d)
			}
		}
	}
}

// A global weight is accepted, with one warning when no device has bfq
// active, none when one has.
func TestWarningsWeightWithoutBFQ(t *testing.T) {
	t.Parallel()
	w := uint16(300)
	r := &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: &w}}
	for _, tc := range []struct {
		name  string
		extra map[string]string
		want  []Warning
	}{
		{"bfq on vda", nil, nil},
		{"bfq nowhere", map[string]string{"sys/block/vda/queue/scheduler": "[none] mq-deadline kyber bfq\n"},
			[]Warning{{BlockIOWeight, "300", "no block device has bfq active, so the weight does nothing (echo bfq > /sys/block/DEV/queue/scheduler)"}}},
	} {
		h := weightHost(t, tc.extra)
		host, err := ProbeFor(r, nil, append(slices.Clone(h.opts), WithParent("cgrun"))...)
		if err != nil {
			t.Fatal(err)
		}
		if err := Supports(host, r, nil); err != nil {
			t.Errorf("%s: refused: %v", tc.name, err)
		}
		if got := Warnings(host, r); !slices.Equal(got, tc.want) {
			t.Errorf("%s: warnings %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := Warnings(hostV1(), &specs.LinuxResources{Memory: &specs.LinuxMemory{}}); got != nil {
		t.Errorf("no weight set: warnings %q", got)
	}
}
