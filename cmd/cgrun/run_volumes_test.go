package main

import (
	"fmt"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/cgrun/cgrun/runner"
	"github.com/cgrun/cgrun/spec"
	"github.com/cgrun/cgrun/volume"
)

func TestParseMount(t *testing.T) {
	host := t.TempDir()
	for _, tc := range []struct {
		in      string
		volume  *runner.Volume
		bind    *specs.Mount
		errPart string
	}{
		{in: "type=volume,source=data,target=/data", volume: &runner.Volume{Name: "data", Target: "/data"}},
		{in: "src=data,dst=/d/,readonly", volume: &runner.Volume{Name: "data", Target: "/d", ReadOnly: true}},
		{in: "type=volume,source=data,destination=/d,ro=false", volume: &runner.Volume{Name: "data", Target: "/d"}},
		{in: "type=bind,source=" + host + ",target=/h,readonly=1",
			bind: &specs.Mount{Destination: "/h", Type: "bind", Source: host, Options: []string{"rbind", "rprivate", "ro"}}},
		{in: "type=tmpfs,target=/t", errPart: `type "tmpfs" must be volume or bind`},
		{in: "type=volume,source=data", errPart: `target "" must be an absolute container path`},
		{in: "type=volume,source=data,target=/", errPart: "not /"},
		{in: "type=volume,source=/abs,target=/d", errPart: "must be a volume name"},
		{in: "type=bind,source=rel,target=/d", errPart: "absolute host path"},
		{in: "type=bind,source=/no/such/dir,target=/d", errPart: "must exist"},
		{in: "type=volume,source=data,target=/d,readonly=maybe", errPart: `readonly value "maybe"`},
		{in: "type=volume,source=data,target=/d,volume-opt=x", errPart: `key "volume-opt"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseMount(tc.in)
			if tc.errPart != "" {
				require.Error(t, err)
				require.Contains(t, err.Error(), fmt.Sprintf("invalid --mount %q: ", tc.in))
				require.Contains(t, err.Error(), tc.errPart)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.volume, got.volume)
			require.Equal(t, tc.bind, got.bind)
		})
	}
}

// registry makes a volume registry with the given volumes registered.
func registry(t *testing.T, names ...string) string {
	dir := filepath.Join(t.TempDir(), "volumes")
	st := volume.NewManager(volume.Options{StateDir: dir}).Store()
	for _, n := range names {
		require.NoError(t, st.Put(&volume.Volume{Name: n, Portal: "127.0.0.1:3260", IQN: "iqn.2024-01.test:" + n, LUN: 1, Mode: volume.ModeFilesystem, FS: volume.FSExt4}))
	}
	return dir
}

func TestVolumeDevicesAndLimits(t *testing.T) {
	dir := registry(t, "data", "logs")
	rv := &runVolumes{devices: &volumeDevices{stateDir: dir}}

	read := &spec.ThrottleDevices{Unit: spec.BytesPerSecond, Resolver: rv.devices}
	require.NoError(t, read.Set("data:1mb"))
	require.NoError(t, read.Set("logs:2mb"))
	require.NoError(t, read.Set("data:3mb")) // the same volume again keeps the last
	require.Len(t, read.List, 2)
	weight := &spec.WeightDevices{Resolver: rv.devices}
	require.NoError(t, weight.Set("logs:300"))
	err := read.Set("nosuch:1mb")
	require.ErrorContains(t, err, `volume "nosuch"`)
	require.ErrorContains(t, read.Set("bad name:1mb"), "neither a device path nor a volume name")
	require.Error(t, read.Set("/no/such/dev:1mb"))

	r := &spec.Resources{DeviceReadBps: read.List, BlkioWeightDevice: weight.List}
	// a limit on a volume the run does not attach is refused
	err = rv.takeLimits(r)
	require.ErrorContains(t, err, `invalid --device-read-bps "data:3145728": volume "data" must also be given as -v data:/PATH`)

	rv = &runVolumes{devices: rv.devices, refs: []runVolume{{vol: runner.Volume{Name: "data"}}, {vol: runner.Volume{Name: "logs"}}}}
	r = &spec.Resources{DeviceReadBps: read.List, BlkioWeightDevice: weight.List}
	require.NoError(t, rv.takeLimits(r))
	require.Empty(t, r.DeviceReadBps, "volume limits leave the options for the volumes")
	require.Empty(t, r.BlkioWeightDevice)
	vols := rv.volumes()
	require.Equal(t, runner.BlockLimits{ReadBps: 3 << 20}, vols[0].Limits)
	require.Equal(t, runner.BlockLimits{ReadBps: 2 << 20, Weight: 300}, vols[1].Limits)
}

func TestVolumeFlagError(t *testing.T) {
	rv := &runVolumes{refs: []runVolume{{vol: runner.Volume{Name: "data", Target: "/data"}, flag: flagVolume, value: "data:/data"}}}
	inner := &volume.UsersError{Volume: "data", Users: []string{"container abababababab"}}
	got := rv.flagError(&runner.VolumeError{Index: 0, Volume: rv.refs[0].vol, Err: inner})
	require.Equal(t, `--volume "data:/data": volume "data" is used by [container abababababab]: in use (only read-only users may share a volume)`, got.Error())
	require.ErrorIs(t, got, volume.ErrInUse)
}
