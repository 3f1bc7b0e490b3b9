package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cgrun/cgrun/runner"
)

func TestStartsContainer(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"cgrun", "run", "--rm", "img"}, true},
		{[]string{"cgrun", "--root", "/r", "run", "img"}, true},
		{[]string{"cgrun", "--root=/r", "--image-store", "/s", "exec", "c", "ls"}, true},
		{[]string{"cgrun", runner.MonitorArg, "/r", "id"}, true},
		{[]string{"cgrun", "-root", "run", "ps"}, false}, // "run" is the root's value
		{[]string{"cgrun", "ps", "run"}, false},
		{[]string{"cgrun", "init"}, false},
		{[]string{"cgrun", "--root", "/r"}, false},
		{[]string{"cgrun"}, false},
		{[]string{"cgrun", "spec", "run"}, false},
	} {
		assert.Equal(t, tc.want, startsContainer(tc.args), "%q", tc.args)
	}
	assert.Equal(t, "run", commandOf([]string{"cgrun", "--root", "/r", "run", "exec"}))
	assert.Equal(t, "exec", commandOf([]string{"cgrun", "exec", "c", "run"}))
	assert.Equal(t, "monitor", commandOf([]string{"cgrun", runner.MonitorArg, "/r", "id"}))
	assert.Equal(t, "", commandOf([]string{"cgrun", "rm", "run"}))
	assert.Equal(t, "update", commandOf([]string{"cgrun", "update", "-m", "1g", "c"}))
	assert.False(t, startsContainer([]string{"cgrun", "update", "-m", "1g", "c"}))
	assert.Equal(t, runner.MonitorArg, monitorArg, "early.h names the runner's monitor argument")
}
