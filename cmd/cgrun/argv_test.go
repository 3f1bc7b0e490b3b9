package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInterspersed(t *testing.T) {
	app := newApp()
	for in, want := range map[string]string{
		"rm abc -f":                    "rm -f abc",
		"--root /r rm abc def --force": "--root /r rm --force abc def",
		"volume create data --provision tgt --size 1G": "volume create --provision tgt --size 1G data",
		"volume publish data --initiator iqn.x":        "volume publish --initiator iqn.x data",
		"volume --state-dir /v create data --size 1G":  "volume --state-dir /v create --size 1G data",
		"stop c1 -t 3 c2":      "stop -t 3 c1 c2",
		"update c --memory -1": "update --memory -1 c",
		"logs c -f":            "logs -f c",
		"network create web --subnet 10.89.9.0/24": "network create --subnet 10.89.9.0/24 web",
		"kill c --signal=TERM":                     "kill --signal=TERM c",
		"rm c -- -weird":                           "rm c -- -weird",
		"run --rm img sh -c 'x' --rm":              "run --rm img sh -c 'x' --rm",
		"exec c ls -l":                             "exec c ls -l",
		"spec -m 100m cat /x -m":                   "spec -m 100m cat /x -m",
		"--image-store /s images --format json":    "--image-store /s images --format json",
		"inspect":                                  "inspect",
		"nosuchcommand a -b":                       "nosuchcommand a -b",
		"image import /f.tar name --bogus":         "image import --bogus /f.tar name",
	} {
		argv := append([]string{"cgrun"}, strings.Fields(in)...)
		got := strings.Join(interspersed(app, argv)[1:], " ")
		require.Equal(t, want, got, in)
	}
}
