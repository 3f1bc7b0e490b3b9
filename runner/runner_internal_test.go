package runner

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/image"
	"github.com/cgrun/cgrun/volume"
)

func TestStartReportRoundTrip(t *testing.T) {
	require.NoError(t, parseStartReport(formatStartReport(nil)))

	err := parseStartReport(formatStartReport(&container.StartError{Code: 127, Err: errors.New(`exec: "x": not found`)}))
	var se *container.StartError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 127, se.Code)
	require.Equal(t, `exec: "x": not found`, err.Error())

	// a cgroup refusal keeps its type across the process boundary
	we := &cgroup.WriteError{Resource: cgroup.KnobResource("memory.wmark_ratio"), Path: "/sys/fs/cgroup/memory/x/memory.wmark_ratio", Value: "60", Err: errors.New("invalid argument")}
	err = parseStartReport(formatStartReport(&container.StartError{Code: 125, Err: we}))
	var got *cgroup.WriteError
	require.ErrorAs(t, err, &got)
	require.Equal(t, we.Error(), got.Error())
	require.Equal(t, we.Error(), err.Error())

	for _, dead := range []string{"", "ok", `{"code":125}`} {
		err := parseStartReport([]byte(dead))
		require.ErrorAs(t, err, &se, "a report %q (the monitor died) is an error", dead)
		require.Equal(t, 125, se.Code)
	}
}

func TestWithContainerIDs(t *testing.T) {
	id := strings.Repeat("ab", 32)
	err := withContainerIDs(&volume.UsersError{Volume: "data", Users: []string{"/run/cgrun/" + id, "plumbing"}})
	require.Equal(t, `volume "data" is used by [container abababababab plumbing]: in use (only read-only users may share a volume)`, err.Error())
	require.ErrorIs(t, err, volume.ErrInUse)
	other := errors.New("x")
	require.Equal(t, other, withContainerIDs(other))
}

func TestBuildSpecRules(t *testing.T) {
	r, err := New(Options{Root: t.TempDir()})
	require.NoError(t, err)
	buildSpec := r.buildSpec
	img := &rootfs{dir: t.TempDir(), process: image.Process{Cmd: []string{"sh"}, WorkingDir: "rel"}}
	_, err = buildSpec(&Request{Image: "x"}, img)
	var fe *container.FieldError
	require.ErrorAs(t, err, &fe, "the image's relative WorkingDir")
	require.Equal(t, "Process.Cwd", fe.Field)
	require.ErrorIs(t, err, container.ErrInvalid)

	img.process = image.Process{}
	_, err = buildSpec(&Request{Image: "x"}, img)
	require.ErrorIs(t, err, ErrNoCommand)

	s, err := buildSpec(&Request{Image: "x", Process: Process{Args: []string{"true"}, Env: []string{"A=1"}},
		Devices: []Device{{Path: "/dev/null", ContainerPath: "/dev/n", Permissions: "rw"}}}, img)
	require.NoError(t, err)
	require.Equal(t, []string{"true"}, s.Process.Args)
	require.Contains(t, s.Process.Env, "A=1")
	require.Equal(t, "/dev/n", s.Linux.Devices[0].Path)
	rules := s.Linux.Resources.Devices
	require.Equal(t, "rw", rules[len(rules)-1].Access, "the device's rule follows the default deny-all")

	for _, bad := range []*Request{
		{Process: Process{Args: []string{"true"}, Env: []string{"NOEQUALS"}}},
		{Process: Process{Args: []string{"true"}}, Devices: []Device{{Path: "/etc/passwd"}}},
		{Process: Process{Args: []string{"true"}}, Volumes: []Volume{{Name: "v", Target: "/"}}},
	} {
		_, err := buildSpec(bad, img)
		require.ErrorAs(t, err, &fe, "%+v", bad)
	}
}
