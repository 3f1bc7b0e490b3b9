package spec

import (
	"strings"
	"testing"
)

// roundTrip checks that a value that parsed writes itself back in a form
// that parses to the same value: String() -> Set() -> String().
func roundTrip(t *testing.T, in string, mk func() setter) {
	v := mk()
	if err := v.Set(in); err != nil {
		if v.String() != "" {
			t.Fatalf("failed Set(%q) left %q", in, v.String())
		}
		return
	}
	out := v.String()
	w := mk()
	if err := w.Set(out); err != nil {
		t.Fatalf("Set(%q) ok, String() = %q does not parse: %v", in, out, err)
	}
	if w.String() != out {
		t.Fatalf("Set(%q): String() %q, round trip %q", in, out, w.String())
	}
}

func FuzzBytes(f *testing.F) {
	for _, s := range []string{"100M", "1.5g", "-1", "4m", "0", "1kb", "99999999999999999999", "1.1k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		roundTrip(t, s, func() setter { return NewMemory() })
		roundTrip(t, s, func() setter { return NewMemorySwap() })
		m := NewMemory()
		if m.Set(s) == nil {
			if n, _ := m.Value(); n < MinMemory {
				t.Fatalf("Set(%q) = %d below the minimum", s, n)
			}
		}
	})
}

func FuzzInt(f *testing.F) {
	for _, s := range []string{"0", "-1", "100", "1000000", "+5", "0x10", "9223372036854775808"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, mk := range []func() *Int{NewMemorySwappiness, NewMemoryWmarkRatio, NewOOMScoreAdj, NewCPUPeriod, NewCPUQuota, NewCPUShares, NewBlkioWeight, NewPidsLimit} {
			roundTrip(t, s, func() setter { return mk() })
			v := mk()
			if v.Set(s) == nil {
				if n, ok := v.Value(); ok && (n < v.Min || n > v.Max) && !contains(v.Also, n) {
					t.Fatalf("Set(%q) accepted %d outside [%d, %d]", s, n, v.Min, v.Max)
				}
			}
		}
	})
}

func contains(l []int64, n int64) bool {
	for _, x := range l {
		if x == n {
			return true
		}
	}
	return false
}

func FuzzCPUs(f *testing.F) {
	for _, s := range []string{"1.5", ".5", "0.01", "2", "1.000000001", "1e3", "00000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		roundTrip(t, s, func() setter { return &CPUs{} })
		c := &CPUs{}
		if c.Set(s) == nil {
			if n, _ := c.Value(); n < nanoPerCPU/100 {
				t.Fatalf("Set(%q) = %d nano-CPUs below 0.01", s, n)
			}
		}
	})
}

func FuzzCPUSet(f *testing.F) {
	for _, s := range []string{"0-3,5", "5,0-3", "0", "0-8191", "1,", "3-1", "0-1,1-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		roundTrip(t, s, func() setter { return &CPUSet{} })
		c := &CPUSet{}
		if c.Set(s) == nil && len(c.IDs()) > MaxCPUSetEntries {
			t.Fatalf("Set(%q) accepted %d ids", s, len(c.IDs()))
		}
	})
}

func FuzzWeightDevice(f *testing.F) {
	for _, s := range []string{"/dev/loop0:500", "/dev/sdb:10", "/dev/loop0:1001", "a:b:c", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		roundTrip(t, s, func() setter { return &WeightDevices{Resolver: fakeResolver} })
	})
}

func FuzzThrottleDevice(f *testing.F) {
	for _, s := range []string{"/dev/loop0:1mb", "/dev/sdb:500k", "/dev/loop0:400", "/dev/loop0:", "x:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		roundTrip(t, s, func() setter { return &ThrottleDevices{Unit: BytesPerSecond, Resolver: fakeResolver} })
		roundTrip(t, s, func() setter { return &ThrottleDevices{Unit: IOPerSecond, Resolver: fakeResolver} })
	})
}

// FuzzProcessParsers: the parsers of run's process and confinement flags
// never panic, and what they accept keeps their rules.
func FuzzProcessParsers(f *testing.F) {
	for _, s := range []string{"nofile=1024:2048", "nproc=-1", "/t:size=1m,mode=1777", "/x:exec", "kernel.shmmax=1", "net.ipv4.ip_forward=1",
		"c 1:3 rwm", "b *:* r", "net_admin", "CAP_SYS_ADMIN", "all", "", "=", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		roundTrip(t, s, func() setter { return &Ulimits{} })
		if m, err := ParseTmpfs(s); err == nil && (!strings.HasPrefix(m.Destination, "/") || m.Destination == "/" || m.Type != "tmpfs") {
			t.Fatalf("ParseTmpfs(%q) = %+v", s, m)
		}
		if k, _, err := ParseSysctl(s); err == nil && SysctlNamespace(k) == "" {
			t.Fatalf("ParseSysctl(%q) accepted %q, which is not namespaced", s, k)
		}
		if r, err := ParseDeviceCgroupRule(s); err == nil && (!r.Allow || r.Access == "" || strings.Trim(r.Access, "rwm") != "") {
			t.Fatalf("ParseDeviceCgroupRule(%q) = %+v", s, r)
		}
		if c, err := CanonicalCapability(s); err == nil && c != AllCapabilities && !strings.HasPrefix(c, "CAP_") {
			t.Fatalf("CanonicalCapability(%q) = %q", s, c)
		}
	})
}
