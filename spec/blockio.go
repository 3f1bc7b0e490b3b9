package spec

import (
	"fmt"
	"strconv"
	"strings"

	units "github.com/docker/go-units"

	"github.com/cgrun/cgrun/blkio"
)

// DeviceResolver turns the DEVICE part of DEVICE:WEIGHT and DEVICE:RATE into
// a device number. The default resolves block device paths; a caller may
// inject one that also knows other names (e.g. volume names).
type DeviceResolver interface {
	ResolveDevice(name string) (blkio.Device, error)
}

// ResolverFunc adapts a function to DeviceResolver.
type ResolverFunc func(name string) (blkio.Device, error)

// ResolveDevice calls f.
func (f ResolverFunc) ResolveDevice(name string) (blkio.Device, error) { return f(name) }

// PathResolver resolves block device paths with blkio.Resolve.
var PathResolver DeviceResolver = ResolverFunc(blkio.Resolve)

// WeightDevice is one --blkio-weight-device entry.
type WeightDevice struct {
	Name   string // as given: a device path (or a resolver's name)
	Device blkio.Device
	Weight uint16 // 10..1000
}

// ThrottleDevice is one --device-{read,write}-{bps,iops} entry.
type ThrottleDevice struct {
	Name   string
	Device blkio.Device
	Rate   uint64 // bytes or operations per second
}

// NewBlkioWeight is the value of --blkio-weight: 10..1000, 0 unset.
func NewBlkioWeight() *Int {
	zero := int64(0)
	return &Int{Min: 10, Max: 1000, Unset: &zero, Rule: "must be between 10 and 1000 (0 = unset)"}
}

// splitDevice splits "DEVICE:VALUE" at the last colon.
func splitDevice(s, rule string) (string, string, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return "", "", rulef(ErrSyntax, "%s", rule)
	}
	return s[:i], s[i+1:], nil
}

func resolve(r DeviceResolver, name string) (blkio.Device, error) {
	if r == nil {
		r = PathResolver
	}
	d, err := r.ResolveDevice(name)
	if err != nil {
		return blkio.Device{}, rulef(err, "DEVICE must be a block device: %v", err)
	}
	return d, nil
}

// WeightDevices is the value of --blkio-weight-device (repeatable):
// DEVICE:WEIGHT, WEIGHT 10..1000. A device given twice keeps the last.
type WeightDevices struct {
	Resolver DeviceResolver // nil = PathResolver
	List     []WeightDevice
}

// Set parses and resolves one entry.
func (w *WeightDevices) Set(s string) error {
	const rule = "must be DEVICE:WEIGHT with WEIGHT between 10 and 1000"
	name, val, err := splitDevice(s, rule)
	if err != nil {
		return err
	}
	n, err := strconv.ParseUint(val, 10, 16)
	if err != nil || n < 10 || n > 1000 {
		return rulef(ErrRange, "%s", rule)
	}
	d, err := resolve(w.Resolver, name)
	if err != nil {
		return err
	}
	e := WeightDevice{Name: name, Device: d, Weight: uint16(n)}
	for i := range w.List {
		if w.List[i].Device == d {
			w.List[i] = e
			return nil
		}
	}
	w.List = append(w.List, e)
	return nil
}

// String lists the entries as given, comma-separated.
func (w *WeightDevices) String() string {
	if w == nil {
		return ""
	}
	parts := make([]string, len(w.List))
	for i, e := range w.List {
		parts[i] = fmt.Sprintf("%s:%d", e.Name, e.Weight)
	}
	return strings.Join(parts, ",")
}

// RateUnit says how a throttle rate is written.
type RateUnit int

const (
	// BytesPerSecond rates are sizes: 1mb, 500k, 1048576.
	BytesPerSecond RateUnit = iota
	// IOPerSecond rates are plain integers.
	IOPerSecond
)

// ThrottleDevices is the value of one --device-{read,write}-{bps,iops}
// flag (repeatable): DEVICE:RATE. A device given twice keeps the last.
type ThrottleDevices struct {
	Unit     RateUnit
	Resolver DeviceResolver // nil = PathResolver
	List     []ThrottleDevice
}

// Set parses and resolves one entry.
func (t *ThrottleDevices) Set(s string) error {
	rule := "must be DEVICE:RATE with RATE a size like 1mb (b, k, m, g) per second"
	if t.Unit == IOPerSecond {
		rule = "must be DEVICE:IOPS with IOPS a non-negative integer"
	}
	name, val, err := splitDevice(s, rule)
	if err != nil {
		return err
	}
	var rate uint64
	if t.Unit == IOPerSecond {
		rate, err = strconv.ParseUint(val, 10, 63)
	} else {
		var n int64
		n, err = units.RAMInBytes(val)
		if err == nil && n < 0 {
			err = ErrRange
		}
		rate = uint64(n)
	}
	if err != nil {
		return rulef(ErrSyntax, "%s", rule)
	}
	d, err := resolve(t.Resolver, name)
	if err != nil {
		return err
	}
	e := ThrottleDevice{Name: name, Device: d, Rate: rate}
	for i := range t.List {
		if t.List[i].Device == d {
			t.List[i] = e
			return nil
		}
	}
	t.List = append(t.List, e)
	return nil
}

// String lists the entries as DEVICE:RATE, comma-separated.
func (t *ThrottleDevices) String() string {
	if t == nil {
		return ""
	}
	parts := make([]string, len(t.List))
	for i, e := range t.List {
		rate := strconv.FormatUint(e.Rate, 10)
		if t.Unit == BytesPerSecond {
			rate = FormatSize(int64(e.Rate))
		}
		parts[i] = e.Name + ":" + rate
	}
	return strings.Join(parts, ",")
}
