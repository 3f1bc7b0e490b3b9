// Command cgrun is a daemonless container runner with exact resource limits
// and iSCSI block volumes. main only wires the commands; each lives in its
// own file.
package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
)

func newApp() *cli.App {
	app := &cli.App{
		Name:                 "cgrun",
		Usage:                "daemonless container runner with exact resource limits",
		Version:              version(),
		EnableBashCompletion: false,
		// -e A=1,2 is one variable, as in Docker: no flag value splits at commas
		DisableSliceFlagSeparator: true,
		Flags:                     globalFlags(),
		Commands: []*cli.Command{
			specCommand(),
			checkCommand(),
			runCommand(),
			psCommand(),
			inspectCommand(),
			logsCommand(),
			stopCommand(),
			killCommand(),
			rmCommand(),
			waitCommand(),
			execCommand(),
			updateCommand(),
			statsCommand(),
			pullCommand(),
			loginCommand(),
			logoutCommand(),
			imagesCommand(),
			rmiCommand(),
			imageCommand(),
			volumeCommand(),
			networkCommand(),
			csiCommand(),
		},
	}
	app.Commands = append(app.Commands, helperCommands()...)
	setUsageErrors(app)
	app.Flags = withFixedNames(app.Flags)
	fixFlagNames(app.Commands)
	return app
}

func main() {
	app := newApp()
	switch cmd := commandOf(os.Args); cmd {
	case "run", "exec":
		earlySignals = forwardSignalsSoon()
		fallthrough
	case "monitor", "update":
		container.WarmJSON()
		if !asksHelp(os.Args) {
			dropFlagCategories(app)
		}
	}
	os.Exit(runApp(app, os.Args, os.Stderr))
}
