package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/cgrun/cgrun/blkio"
	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/spec"
	"github.com/cgrun/cgrun/volume"
)

func TestParseMount(t *testing.T) {
	host := t.TempDir()
	for _, tc := range []struct {
		in      string
		volume  *volumeRef
		bind    *specs.Mount
		errPart string
	}{
		{in: "type=volume,source=data,target=/data", volume: &volumeRef{Name: "data", Target: "/data"}},
		{in: "src=data,dst=/d/,readonly", volume: &volumeRef{Name: "data", Target: "/d", ReadOnly: true}},
		{in: "type=volume,source=data,destination=/d,ro=false", volume: &volumeRef{Name: "data", Target: "/d"}},
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
	rv := &runVolumes{stateDir: dir, devices: &volumeDevices{stateDir: dir}}

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

	rv = &runVolumes{stateDir: dir, devices: rv.devices, refs: []runVolume{{ref: volumeRef{Name: "data"}}, {ref: volumeRef{Name: "logs"}}}}
	r = &spec.Resources{DeviceReadBps: read.List, BlkioWeightDevice: weight.List}
	require.NoError(t, rv.takeLimits(r))
	require.Empty(t, r.DeviceReadBps, "volume limits leave the options until attached")
	require.Empty(t, r.BlkioWeightDevice)
	require.Len(t, rv.limits, 3)

	s := &specs.Spec{Linux: &specs.Linux{}}
	addVolumeLimits(s, rv.limits, map[string]blkio.Device{"data": {Major: 8, Minor: 16}, "logs": {Major: 8, Minor: 32}})
	b := s.Linux.Resources.BlockIO
	require.Len(t, b.ThrottleReadBpsDevice, 2)
	got := map[string]uint64{}
	for _, d := range b.ThrottleReadBpsDevice {
		got[fmt.Sprintf("%d:%d", d.Major, d.Minor)] = d.Rate
	}
	require.Equal(t, map[string]uint64{"8:16": 3 << 20, "8:32": 2 << 20}, got)
	require.Len(t, b.WeightDevice, 1)
	require.Equal(t, int64(32), b.WeightDevice[0].Minor)
	require.Equal(t, uint16(300), *b.WeightDevice[0].Weight)
}

func TestVolumeUserAlive(t *testing.T) {
	root := filepath.Join(t.TempDir(), "state")
	rt, err := container.NewRuntime(root, nil, nil)
	require.NoError(t, err)
	rootfs := t.TempDir()
	st, err := rt.Prepare(container.Config{Spec: &specs.Spec{Process: &specs.Process{Args: []string{"true"}}, Root: &specs.Root{Path: rootfs}}})
	require.NoError(t, err)
	user := volumeUser(rt, st.ID)

	require.True(t, volumeUserAlive("c1"), "plumbing users are kept")
	require.True(t, volumeUserAlive(user), "a created container holds its volumes")
	require.False(t, volumeUserAlive(filepath.Join(root, strings.Repeat("0", 64))), "no such container")
	require.False(t, volumeUserAlive("/nonexistent-root/"+st.ID))
	_, err = os.Stat("/nonexistent-root")
	require.True(t, os.IsNotExist(err), "the check creates nothing")

	// an exited container's releases ran: it holds nothing
	state := filepath.Join(rt.Store.Dir(st.ID), "state.json")
	b, err := os.ReadFile(state)
	require.NoError(t, err)
	require.Contains(t, string(b), `"status": "created"`)
	b = []byte(strings.Replace(string(b), `"status": "created"`, `"status": "exited"`, 1))
	require.NoError(t, os.WriteFile(state, b, 0o600))
	require.False(t, volumeUserAlive(user))
}

func TestVolumeAttachErrorShortIDs(t *testing.T) {
	id := strings.Repeat("ab", 32)
	err := fmt.Errorf("volume %q is used by %v: %w (only read-only users may share a volume)", "data", []string{"/run/cgrun/" + id}, volume.ErrInUse)
	got := volumeAttachError(runVolume{flag: flagVolume, value: "data:/data"}, err)
	require.Equal(t, `--volume "data:/data": volume "data" is used by [container abababababab]: in use (only read-only users may share a volume)`, got.Error())
}
