package warm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOwnProcsFiles(t *testing.T) {
	hybrid := "13:pids:/user.slice/u.scope\n12:cpu,cpuacct:/\n1:name=systemd:/x\n0::/x\n"
	assert.Equal(t, []string{
		"/sys/fs/cgroup/pids/user.slice/u.scope/cgroup.procs",
		"/sys/fs/cgroup/cpu,cpuacct/cgroup.procs",
		"/sys/fs/cgroup/systemd/x/cgroup.procs",
		"/sys/fs/cgroup/unified/x/cgroup.procs",
		"/sys/fs/cgroup/x/cgroup.procs",
	}, ownProcsFiles(hybrid))
	assert.Equal(t, []string{"/sys/fs/cgroup/unified/cgroup.procs", "/sys/fs/cgroup/cgroup.procs"},
		ownProcsFiles("0::/\n"))
	assert.Empty(t, ownProcsFiles(""))
	assert.Empty(t, ownProcsFiles("garbage\n3:../x:/y\n"), "no path outside /sys/fs/cgroup")
}

func TestOwnProcsFilesKeepsSpacesAndFits(t *testing.T) {
	assert.Equal(t, []string{"/sys/fs/cgroup/pids/a b/cgroup.procs"}, ownProcsFiles("1:pids:/a b"))
	long := "1:pids:/" + strings.Repeat("x", 20000) + "\n2:memory:/m\n"
	assert.Equal(t, []string{"/sys/fs/cgroup/memory/m/cgroup.procs"}, ownProcsFiles(long),
		"a path longer than the buffer is left out, the rest kept")
}
