package main

import (
	"reflect"

	"github.com/urfave/cli/v2"
)

// urfave/cli v2 derives a flag's names with a regexp on every Names() call
// (FlagNames), and running a command calls it about flags² times
// (runFlagActions -> IsSet -> lookupFlag): some 5000 regexp replacements
// for run's 60 flags, about 1 ms of every container start's critical path
// (perf). The types below answer Names() from a slice made once; the rest
// of each flag is the cli type itself. BoolFlags stay as they are: help
// formats them by their concrete type.
type (
	stringFlag struct {
		*cli.StringFlag
		names []string
	}
	stringSliceFlag struct {
		*cli.StringSliceFlag
		names []string
	}
	genericFlag struct {
		*cli.GenericFlag
		names []string
	}
	intFlag struct {
		*cli.IntFlag
		names []string
	}
	durationFlag struct {
		*cli.DurationFlag
		names []string
	}
)

func (f *stringFlag) Names() []string      { return f.names }
func (f *stringSliceFlag) Names() []string { return f.names }
func (f *genericFlag) Names() []string     { return f.names }
func (f *intFlag) Names() []string         { return f.names }
func (f *durationFlag) Names() []string    { return f.names }

// withFixedNames swaps each flag in fs for one whose names are computed once.
func withFixedNames(fs []cli.Flag) []cli.Flag {
	for i, f := range fs {
		switch t := f.(type) {
		case *cli.StringFlag:
			fs[i] = &stringFlag{t, t.Names()}
		case *cli.StringSliceFlag:
			fs[i] = &stringSliceFlag{t, t.Names()}
		case *cli.GenericFlag:
			fs[i] = &genericFlag{t, t.Names()}
		case *cli.IntFlag:
			fs[i] = &intFlag{t, t.Names()}
		case *cli.DurationFlag:
			fs[i] = &durationFlag{t, t.Names()}
		}
	}
	return fs
}

// fixFlagNames applies withFixedNames to every command's flags, at any depth.
func fixFlagNames(cmds []*cli.Command) {
	for _, c := range cmds {
		c.Flags = withFixedNames(c.Flags)
		fixFlagNames(c.Subcommands)
	}
}

// App.Setup sorts the flags of every command into their help categories at
// each start, formatting each categorized flag's help line to do so (the
// map key is the flag's String()): about 0.5 ms of every cgrun process
// (perf). dropFlagCategories empties the categories, for a command line
// that cannot print help: a command that always runs its action (run,
// exec, monitor, update) and no -h or --help anywhere.
func dropFlagCategories(app *cli.App) {
	drop := func(fs []cli.Flag) {
		for _, f := range fs {
			// Every cli flag type has a Category string field, promoted
			// through the wrappers above.
			if v := reflect.ValueOf(f); v.Kind() == reflect.Pointer && !v.IsNil() {
				if c := v.Elem().FieldByName("Category"); c.IsValid() && c.CanSet() && c.Kind() == reflect.String {
					c.SetString("")
				}
			}
		}
	}
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			drop(c.Flags)
			walk(c.Subcommands)
		}
	}
	drop(app.Flags)
	walk(app.Commands)
}

// asksHelp reports whether a command line may ask for help.
func asksHelp(args []string) bool {
	for _, a := range args[1:] {
		switch a {
		case "-h", "--h", "-help", "--help", "help":
			return true
		}
	}
	return false
}
