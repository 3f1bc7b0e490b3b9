package integration

import (
	"fmt"
	"strings"
	"testing"
)

// The block IO rows of the resource guide (SEED-TESTS.md) on the host's
// cgroup v1, on a loop device of the test's own under the bfq scheduler
// (weights act, and per-device weights are accepted, only there). Rates are
// timed inside the container around O_DIRECT dd, so the page cache and the
// container's start-up stay out of the figures.

// weightFiles prints the weight file and the weight_device file: blkio.weight
// where the kernel has CFQ's files, else blkio.bfq.weight.
const weightFiles = `cd /sys/fs/cgroup/blkio; p=blkio.bfq.; [ -e blkio.weight ] && p=blkio.
cat ${p}weight; echo --; cat ${p}weight_device`

func TestBlkioFiles(t *testing.T) {
	c := seedEnv(t)
	dev, mm := loopDevice(t)
	useScheduler(t, dev, "bfq")
	weights := []struct {
		name         string
		flags        []string
		weight, line string // the weight file, a line of weight_device
	}{
		{"blkio-weight", []string{"--blkio-weight", "10"}, "10", ""},
		{"blkio-weight-device", []string{"--blkio-weight-device", dev + ":1000"}, "", mm + " 1000"},
		{"blkio-weight-device wins over blkio-weight", []string{"--blkio-weight", "300", "--blkio-weight-device", dev + ":500"}, "300", mm + " 500"},
	}
	for _, tc := range weights {
		t.Run(tc.name, func(t *testing.T) {
			r := seedRun(c, tc.flags, "sh", "-c", weightFiles)
			weight, devices, ok := strings.Cut(r.Stdout, "\n--\n")
			if r.Code != 0 || !ok {
				t.Fatalf("cgrun run %s: %s", strings.Join(tc.flags, " "), r)
			}
			t.Logf("weight %q, weight_device %q", weight, devices)
			if tc.weight != "" && weight != tc.weight {
				t.Errorf("cgrun run %s: weight file %q, want %q", strings.Join(tc.flags, " "), weight, tc.weight)
			}
			if tc.line != "" && !hasLine(devices, tc.line) {
				t.Errorf("cgrun run %s: weight_device %q, want line %q", strings.Join(tc.flags, " "), devices, tc.line)
			}
		})
	}
	throttles := []struct {
		flag, value, file, want string
	}{
		{"--device-read-bps", "1mb", "blkio.throttle.read_bps_device", mm + " 1048576"},
		{"--device-write-bps", "500k", "blkio.throttle.write_bps_device", mm + " 512000"},
		{"--device-read-iops", "400", "blkio.throttle.read_iops_device", mm + " 400"},
		{"--device-write-iops", "300", "blkio.throttle.write_iops_device", mm + " 300"},
	}
	for _, tc := range throttles {
		t.Run(tc.flag, func(t *testing.T) {
			r := seedRun(c, []string{tc.flag, dev + ":" + tc.value}, "cat", "/sys/fs/cgroup/blkio/"+tc.file)
			if r.Code != 0 || r.Stdout != tc.want {
				t.Errorf("cgrun run %s %s:%s IMG cat %s: %s; want %q", tc.flag, dev, tc.value, tc.file, r, tc.want)
			}
		})
	}
}

// TestBlkioThrottleRates: each throttle measured with O_DIRECT dd on the
// device (passed with --device), within 15% of the limit. The amounts are
// cut from the guide's so each takes about 3 s.
func TestBlkioThrottleRates(t *testing.T) {
	c := seedEnv(t)
	dev, _ := loopDevice(t)
	cases := []struct {
		flag, value string
		dd          string
		bytes, ios  float64 // what dd moves
		limit       float64 // bytes/s or IO/s
	}{
		// 4 x 500k = 2,048,000 bytes at 512,000 B/s: 4 s.
		{"--device-read-bps", "500k", "dd if=" + dev + " of=/dev/null bs=500k count=4 iflag=direct", 4 * 512000, 0, 512000},
		// 300 x 10K = 3,072,000 bytes at 1,048,576 B/s: 2.9 s.
		{"--device-write-bps", "1mb", "dd if=/dev/zero of=" + dev + " bs=10K count=300 oflag=direct", 300 * 10240, 0, 1 << 20},
		// 1024 reads at 400/s: 2.56 s.
		{"--device-read-iops", "400", "dd if=" + dev + " of=/dev/null bs=1k count=1024 iflag=direct", 0, 1024, 400},
		{"--device-write-iops", "400", "dd if=/dev/zero of=" + dev + " bs=1k count=1024 oflag=direct", 0, 1024, 400},
	}
	for _, tc := range cases {
		t.Run(tc.flag, func(t *testing.T) {
			flags := []string{"--device", dev, tc.flag, dev + ":" + tc.value}
			secs := timedSeconds(t, seedRun(c, flags, "sh", "-c", timed(tc.dd)))
			// bps: the rate within 15% of the limit; iops: the time
			// within 15% of IOs / limit (1024 / 400 = 2.56 s).
			rate, unit, ok := tc.bytes/secs, "B/s", within(tc.bytes/secs, tc.limit, 0.15)
			if tc.ios > 0 {
				rate, unit, ok = tc.ios/secs, "IO/s", within(secs, tc.ios/tc.limit, 0.15)
			}
			msg := fmt.Sprintf("%s %s:%s, %s: %.2fs, %.0f %s (limit %.0f, %+.1f%%)",
				tc.flag, dev, tc.value, tc.dd, secs, rate, unit, tc.limit, 100*(rate/tc.limit-1))
			t.Log(msg)
			if !ok {
				t.Errorf("%s; want within 15%% of the limit", msg)
			}
		})
	}
}
