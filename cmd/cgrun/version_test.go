package main

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"
)

func TestVersion(t *testing.T) {
	for _, flag := range []string{"--version", "-v"} {
		code, out, errs := runArgv(t, flag)
		require.Equal(t, 0, code, "stderr: %s", errs)
		require.Contains(t, out, "cgrun\ncommit: ")
		require.Contains(t, out, "\nspec: "+specs.Version+"\n")
		require.Regexp(t, `\nlibcontainer: (v1\.\d+\.\d+|unknown)\n`, out)
		require.Regexp(t, `\nseccomp: (libseccomp \d+\.\d+\.\d+|not compiled in)\n`, out)
		require.Contains(t, out, "\ngo: go")
	}
}

// A command line that cannot print help drops the help categories (their
// setup is costly), and still parses and runs as before.
func TestDropFlagCategories(t *testing.T) {
	app := newApp()
	dropFlagCategories(app)
	seen := 0
	for _, c := range app.Commands {
		for _, f := range c.Flags {
			if cf, ok := f.(cli.CategorizableFlag); ok {
				seen++
				require.Empty(t, cf.GetCategory(), "%s --%s", c.Name, f.Names()[0])
			}
		}
	}
	require.Positive(t, seen)
	require.True(t, asksHelp([]string{"cgrun", "run", "--help"}))
	require.True(t, asksHelp([]string{"cgrun", "help", "run"}))
	require.False(t, asksHelp([]string{"cgrun", "run", "-m", "4m", "img", "true"}))
	code, _, errs := runArgvApp(t, app, "spec", "-m", "100m")
	require.Equal(t, 0, code, errs)
}
