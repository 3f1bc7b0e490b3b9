package spec

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cgrun/cgrun/blkio"
)

// fakeResolver knows /dev/loop0 (7:0) and /dev/sdb (8:16).
var fakeResolver = ResolverFunc(func(name string) (blkio.Device, error) {
	switch name {
	case "/dev/loop0":
		return blkio.Device{Major: 7, Minor: 0}, nil
	case "/dev/sdb":
		return blkio.Device{Major: 8, Minor: 16}, nil
	}
	return blkio.Device{}, blkio.ErrNotBlockDevice
})

type valueCase struct {
	in      string
	want    string // String() after Set; "" with err
	wantErr error
}

type setter interface {
	Set(string) error
	String() string
}

func runValueCases(t *testing.T, mk func() setter, cases []valueCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			v := mk()
			err := v.Set(tc.in)
			if tc.wantErr != nil {
				require.Error(t, err)
				require.True(t, errors.Is(err, tc.wantErr), "error %v is not %v", err, tc.wantErr)
				require.Equal(t, "", v.String(), "a failed Set leaves the value unset")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, v.String())
		})
	}
}

func TestMemory(t *testing.T) {
	t.Parallel()
	runValueCases(t, func() setter { return NewMemory() }, []valueCase{
		{in: "100M", want: "100m"},
		{in: "100m", want: "100m"},
		{in: "4m", want: "4m"},             // boundary
		{in: "4194304", want: "4m"},        // boundary in bytes
		{in: "4194303", wantErr: ErrRange}, // one byte short
		{in: "1g", want: "1g"},
		{in: "1.5g", want: "1536m"},
		{in: "-1", wantErr: ErrSyntax}, // unlimited is not a --memory value
		{in: "abc", wantErr: ErrSyntax},
		{in: "", wantErr: ErrSyntax},
		{in: "99999999999999999999", wantErr: ErrSyntax}, // overflows int64
	})
	m := NewMemory()
	require.NoError(t, m.Set("100M"))
	n, ok := m.Value()
	require.True(t, ok)
	require.Equal(t, int64(104857600), n)
}

func TestMemorySwapAndReservation(t *testing.T) {
	t.Parallel()
	runValueCases(t, func() setter { return NewMemorySwap() }, []valueCase{
		{in: "-1", want: "-1"},
		{in: "1G", want: "1g"},
		{in: "0", want: "0"},
		{in: "-2", wantErr: ErrSyntax},
		{in: "1x", wantErr: ErrSyntax},
	})
	runValueCases(t, func() setter { return NewMemoryReservation() }, []valueCase{
		{in: "50m", want: "50m"},
		{in: "0", want: "0"},
		{in: "-1", wantErr: ErrSyntax},
	})
}

func TestIntFlags(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		mk    func() *Int
		cases []valueCase
	}{
		"memory-swappiness": {NewMemorySwappiness, []valueCase{
			{in: "0", want: "0"}, {in: "100", want: "100"}, {in: "-1", want: "-1"},
			{in: "101", wantErr: ErrRange}, {in: "-2", wantErr: ErrRange}, {in: "x", wantErr: ErrSyntax}}},
		"memory-wmark-ratio": {NewMemoryWmarkRatio, []valueCase{
			{in: "0", want: "0"}, {in: "60", want: "60"}, {in: "100", want: "100"},
			{in: "101", wantErr: ErrRange}, {in: "-1", wantErr: ErrRange}}},
		"oom-score-adj": {NewOOMScoreAdj, []valueCase{
			{in: "-1000", want: "-1000"}, {in: "1000", want: "1000"}, {in: "300", want: "300"},
			{in: "1001", wantErr: ErrRange}, {in: "-1001", wantErr: ErrRange}}},
		"cpu-period": {NewCPUPeriod, []valueCase{
			{in: "1000", want: "1000"}, {in: "1000000", want: "1000000"}, {in: "50000", want: "50000"},
			{in: "999", wantErr: ErrRange}, {in: "1000001", wantErr: ErrRange}, {in: "1.5", wantErr: ErrSyntax}}},
		"cpu-quota": {NewCPUQuota, []valueCase{
			{in: "1000", want: "1000"}, {in: "-1", want: "-1"}, {in: "1600", want: "1600"},
			{in: "999", wantErr: ErrRange}, {in: "0", wantErr: ErrRange}, {in: "-2", wantErr: ErrRange}}},
		"cpu-shares": {NewCPUShares, []valueCase{
			{in: "2", want: "2"}, {in: "262144", want: "262144"}, {in: "1024", want: "1024"},
			{in: "1", wantErr: ErrRange}, {in: "262145", wantErr: ErrRange}}},
		"blkio-weight": {NewBlkioWeight, []valueCase{
			{in: "10", want: "10"}, {in: "1000", want: "1000"}, {in: "0", want: "0"},
			{in: "9", wantErr: ErrRange}, {in: "1001", wantErr: ErrRange}}},
		"pids-limit": {NewPidsLimit, []valueCase{
			{in: "100", want: "100"}, {in: "0", want: "0"}, {in: "-1", want: "-1"}, {in: "ten", wantErr: ErrSyntax}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runValueCases(t, func() setter { return tc.mk() }, tc.cases)
		})
	}
}

func TestIntUnsetValues(t *testing.T) {
	t.Parallel()
	s := NewMemorySwappiness()
	require.NoError(t, s.Set("-1"))
	_, ok := s.Value()
	require.False(t, ok, "-1 swappiness is unset")
	w := NewBlkioWeight()
	require.NoError(t, w.Set("0"))
	_, ok = w.Value()
	require.False(t, ok, "0 blkio weight is unset")
	require.Equal(t, int64(-1), PidsLimit(0))
	require.Equal(t, int64(-1), PidsLimit(-5))
	require.Equal(t, int64(100), PidsLimit(100))
}

func TestKernelMemoryRefused(t *testing.T) {
	t.Parallel()
	err := NewKernelMemory().Set("10m")
	require.True(t, errors.Is(err, ErrUnsupported))
}

func TestCPUs(t *testing.T) {
	t.Parallel()
	runValueCases(t, func() setter { return &CPUs{} }, []valueCase{
		{in: "1.5", want: "1.5"},
		{in: "2", want: "2"},
		{in: ".5", want: "0.5"},
		{in: "0.01", want: "0.01"},       // boundary: 1000 us quota
		{in: "0.009", wantErr: ErrRange}, // below
		{in: "0", wantErr: ErrRange},
		{in: "0.000000001", wantErr: ErrRange},
		{in: "1.0000000001", wantErr: ErrSyntax}, // more than 9 decimals
		{in: "-1", wantErr: ErrSyntax},
		{in: "1e3", wantErr: ErrSyntax},
		{in: "1/2", wantErr: ErrSyntax},
		{in: ".", wantErr: ErrSyntax},
	})
	c := &CPUs{}
	require.NoError(t, c.Set("1.5"))
	n, _ := c.Value()
	require.Equal(t, int64(1500000000), n)
	require.Equal(t, int64(150000), CPUQuotaFor(n, DefaultCPUPeriod))
}

func TestCPUSet(t *testing.T) {
	t.Parallel()
	runValueCases(t, func() setter { return &CPUSet{} }, []valueCase{
		{in: "0", want: "0"},
		{in: "0-3,5", want: "0-3,5"},
		{in: "5,0-3", want: "0-3,5"},
		{in: "0,1,2", want: "0-2"},
		{in: "0-8191", want: "0-8191"},    // 8192 entries: boundary
		{in: "0-8192", wantErr: ErrRange}, // 8193
		{in: "3-1", wantErr: ErrSyntax},
		{in: "", wantErr: ErrSyntax},
		{in: "a", wantErr: ErrSyntax},
		{in: "1,", wantErr: ErrSyntax},
		{in: "-1", wantErr: ErrSyntax},
	})
}

func TestWeightDevices(t *testing.T) {
	t.Parallel()
	runValueCases(t, func() setter { return &WeightDevices{Resolver: fakeResolver} }, []valueCase{
		{in: "/dev/loop0:10", want: "/dev/loop0:10"},
		{in: "/dev/loop0:1000", want: "/dev/loop0:1000"},
		{in: "/dev/loop0:9", wantErr: ErrRange},
		{in: "/dev/loop0:1001", wantErr: ErrRange},
		{in: "/dev/loop0", wantErr: ErrSyntax},
		{in: ":500", wantErr: ErrSyntax},
		{in: "/dev/null:500", wantErr: blkio.ErrNotBlockDevice},
	})
	w := &WeightDevices{Resolver: fakeResolver}
	require.NoError(t, w.Set("/dev/loop0:300"))
	require.NoError(t, w.Set("/dev/sdb:200"))
	require.NoError(t, w.Set("/dev/loop0:500"))
	require.Equal(t, []WeightDevice{
		{Name: "/dev/loop0", Device: blkio.Device{Major: 7}, Weight: 500},
		{Name: "/dev/sdb", Device: blkio.Device{Major: 8, Minor: 16}, Weight: 200},
	}, w.List, "a device given twice keeps the last weight")
}

func TestThrottleDevices(t *testing.T) {
	t.Parallel()
	runValueCases(t, func() setter { return &ThrottleDevices{Unit: BytesPerSecond, Resolver: fakeResolver} }, []valueCase{
		{in: "/dev/loop0:1mb", want: "/dev/loop0:1m"},
		{in: "/dev/loop0:500k", want: "/dev/loop0:500k"},
		{in: "/dev/loop0:1048576", want: "/dev/loop0:1m"},
		{in: "/dev/loop0:0", want: "/dev/loop0:0"},
		{in: "/dev/loop0:-1", wantErr: ErrSyntax},
		{in: "/dev/loop0:fast", wantErr: ErrSyntax},
		{in: "/dev/missing:1mb", wantErr: blkio.ErrNotBlockDevice},
	})
	runValueCases(t, func() setter { return &ThrottleDevices{Unit: IOPerSecond, Resolver: fakeResolver} }, []valueCase{
		{in: "/dev/loop0:400", want: "/dev/loop0:400"},
		{in: "/dev/loop0:0", want: "/dev/loop0:0"},
		{in: "/dev/loop0:1k", wantErr: ErrSyntax},
		{in: "/dev/loop0:-1", wantErr: ErrSyntax},
	})
	th := &ThrottleDevices{Unit: BytesPerSecond, Resolver: fakeResolver}
	require.NoError(t, th.Set("/dev/loop0:1mb"))
	require.Equal(t, []ThrottleDevice{{Name: "/dev/loop0", Device: blkio.Device{Major: 7}, Rate: 1048576}}, th.List)
}

func TestFormatSize(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		-1: "-1", 0: "0", 1: "1", 1024: "1k", 1536: "1536", 104857600: "100m", 1 << 30: "1g", 3 << 40: "3t", 1 << 50: "1p",
	} {
		require.Equal(t, want, FormatSize(n))
	}
}
