package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// commandWords are the commands whose words after the first argument
// belong to a container's command (run IMAGE CMD..., exec CONTAINER
// CMD..., spec CMD...): their flags must come first, as in Docker.
var commandWords = map[string]bool{"run": true, "exec": true, "spec": true}

// interspersed moves the flags that follow a command's arguments before
// them, as Docker's CLI accepts `cgrun rm CONTAINER -f` and `cgrun volume
// create data --size 1G`: urfave/cli v2 stops parsing flags at the first
// argument. Global flags before the command stay where they are; a flag's
// value (the next word, unless the flag is a boolean or written --f=v)
// moves with it; "--" ends the flags. run, exec and spec are left as they
// are (see commandWords).
func interspersed(app *cli.App, argv []string) []string {
	if len(argv) < 2 {
		return argv
	}
	// The global flags, then the command path (a group's subcommands).
	i := 1
	i = skipFlags(app.Flags, argv, i)
	if i >= len(argv) {
		return argv
	}
	cmd := app.Command(argv[i])
	if cmd == nil {
		return argv
	}
	i++
	for {
		i = skipFlags(cmd.Flags, argv, i)
		if i >= len(argv) || len(cmd.Subcommands) == 0 {
			break
		}
		sub := cmd.Command(argv[i])
		if sub == nil {
			break
		}
		cmd, i = sub, i+1
	}
	if commandWords[cmd.Name] || i >= len(argv) {
		return argv
	}
	var flags, args []string
	for j := i; j < len(argv); j++ {
		a := argv[j]
		switch {
		case a == "--":
			args = append(args, argv[j:]...)
			j = len(argv)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			if takesValue(cmd.Flags, a) && j+1 < len(argv) {
				j++
				flags = append(flags, argv[j])
			}
		default:
			args = append(args, a)
		}
	}
	out := append(append([]string{}, argv[:i]...), flags...)
	return append(out, args...)
}

// skipFlags returns the index of the first word from i on that is not one
// of flags or a flag's value.
func skipFlags(flags []cli.Flag, argv []string, i int) int {
	for i < len(argv) && len(argv[i]) > 1 && argv[i][0] == '-' && argv[i] != "--" {
		if takesValue(flags, argv[i]) {
			i++
		}
		i++
	}
	return i
}

// takesValue reports whether word (-f, --flag, not --flag=value) names a
// flag of flags that takes the next word as its value.
func takesValue(flags []cli.Flag, word string) bool {
	if strings.Contains(word, "=") {
		return false
	}
	name := strings.TrimLeft(word, "-")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			if _, ok := f.(*cli.BoolFlag); ok {
				return false
			}
			return true
		}
	}
	return false
}
