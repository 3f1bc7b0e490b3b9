package main

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func TestVersion(t *testing.T) {
	for _, flag := range []string{"--version", "-v"} {
		code, out, errs := runArgv(t, flag)
		require.Equal(t, 0, code, "stderr: %s", errs)
		require.Contains(t, out, "cgrun\ncommit: ")
		require.Contains(t, out, "\nspec: "+specs.Version+"\n")
		require.Regexp(t, `\nlibcontainer: (v1\.\d+\.\d+|unknown)\n`, out)
		require.Contains(t, out, "\ngo: go")
	}
}
