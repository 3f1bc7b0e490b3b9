package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/shim"
)

// MonitorArg is the first argument of a detached container's monitor when
// the Runner re-executes its own program (Options.MonitorCommand nil):
// `PROGRAM cgrun-monitor ROOT ID`. Init recognises it.
const MonitorArg = shim.MonitorArg

// Monitor is the life of a detached container's monitor process: it starts
// container id of the state directory root with its stdout and stderr
// going to the monitor's own (the container's log), reports the start on
// report (closed then), waits, records the exit code and OOM kills,
// starts it again as its restart policy says, and releases what the
// container held once it is done (removing it when it was created with
// AutoRemove). While it waits, its goroutines copy the container's output
// into the log. A *container.ReleaseError says the exit was recorded but
// something stays to release.
func Monitor(root, id string, report io.WriteCloser) error {
	// A detached container outlives the terminal; its signals are sent to
	// the container directly (Container.Signal, `cgrun kill`).
	signal.Ignore(unix.SIGHUP, unix.SIGINT, unix.SIGPIPE)
	fail := func(err error) error {
		_, _ = report.Write(formatStartReport(err))
		report.Close()
		return err
	}
	rt, err := container.NewRuntime(root, nil, nil)
	if err != nil {
		return fail(err)
	}
	if shim.Supervised() {
		rt.Supervisor = container.SupervisorOf(os.Getppid())
	}
	rt.AfterStep = PauseAfter(os.Getenv(PauseEnv))
	handedOff := false
	defer func() {
		if !handedOff {
			_ = shim.Done()
		}
	}()
	st, err := rt.Store.Load(id)
	if err != nil {
		return fail(err)
	}
	sink, err := openLogSink(st)
	if err != nil {
		_ = rt.Remove(id, true)
		return fail(err)
	}
	defer sink.close(sinkDrain)
	stdio := func() (container.IO, error) { return sink.stdio(st) }
	// Without a restart policy or a terminal, the supervisor takes the
	// running container over (HandOff): its output and its exit, in C,
	// and this process exits.
	handoff := shim.Supervised() && !st.Restart.Active() && !st.Spec.Process.Terminal
	var readEnds []*os.File
	var pio container.IO
	if handoff {
		pio, readEnds, err = sink.handoffStdio(st)
	} else {
		pio, err = stdio()
	}
	if err != nil {
		_ = rt.Remove(id, true)
		return fail(err)
	}
	run, err := rt.Start(id, pio)
	_, _ = report.Write(formatStartReport(err))
	report.Close()
	if err != nil {
		closeAll(readEnds)
		return err
	}
	if handoff {
		if handedOff = handOff(run, st, sink, readEnds); handedOff {
			return nil
		}
		for i, f := range readEnds { // the supervisor is gone: copy here
			sink.copy([]string{"stdout", "stderr"}[i], f)
		}
	}
	debug.FreeOSMemory() // the start's garbage, before the long wait
	if st.Restart.Active() {
		_, err = run.WaitRestarting(stdio)
	} else {
		_, err = run.Wait()
	}
	return err
}

// handOff gives the running container to the supervisor, which copies
// its output into the log and adopts it at its exit, then execs this
// process into a keeper that waits for the init (shim.ExecKeeper): the
// monitor's work in two processes of a few pages of C instead of a Go
// runtime. False when the supervisor cannot take it: this process goes on
// as the monitor.
func handOff(run *container.Running, st *container.State, sink *logSink, readEnds []*os.File) bool {
	k := shim.Keeper{Init: run.Pid()}
	if sink.w != nil {
		k.LogDir, k.MaxSize, k.MaxFile = st.LogDir, st.Log.MaxSize, st.Log.MaxFile
	}
	if err := shim.Handoff(k.Init, k.LogDir, k.MaxSize, k.MaxFile); err != nil || !shim.Supervised() {
		return false
	}
	if len(readEnds) == 2 {
		k.Out, k.Err = readEnds[0], readEnds[1]
	}
	k.Owner, k.ExitFile = run.KeepAcrossExec()
	if err := shim.ExecKeeper(k); err != nil {
		// the supervisor has the container: it only misses its second
		fmt.Fprintf(os.Stderr, "cgrun: monitor: %v\n", err)
	}
	return true
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// sinkDrain bounds the wait for a container's last output once it ended
// (a process it left outside its PID namespace may hold the pipe).
const sinkDrain = 2 * time.Second

// monitorMain runs Monitor for `PROGRAM cgrun-monitor ROOT ID` (args are
// ROOT ID) with the report on fd 3, and returns the process's exit code.
// Started by a supervisor to adopt the container, it runs Adopt and exits
// with the container's code.
func monitorMain(args []string) int {
	if len(args) == 2 && shim.Adopting() {
		ex, err := Adopt(args[0], args[1])
		if err != nil {
			fmt.Fprintf(os.Stderr, "cgrun: %v\n", err)
			var se *container.StartError
			if errors.As(err, &se) {
				return se.Code
			}
			if ex.Code == 0 {
				return 125
			}
		}
		return ex.Code
	}
	report := os.NewFile(3, "start-report")
	if len(args) != 2 || report == nil {
		fmt.Fprintf(os.Stderr, "%s: usage: %s ROOT ID, with the start report on fd 3\n", MonitorArg, MonitorArg)
		return 125
	}
	if err := Monitor(args[0], args[1], report); err != nil {
		fmt.Fprintf(os.Stderr, "cgrun: %v\n", err)
		var se *container.StartError
		if errors.As(err, &se) {
			return se.Code
		}
		return 125
	}
	return 0
}

// Adopt is the life of the adopter a supervisor starts when the process
// that ran container id (cgrun run, a monitor) died: it takes the
// container over (container.Runtime.Adopt) and finishes what the dead one
// would have: waits for the init through the exits the supervisor reaps,
// records the exit, restarts it as its policy says, releases what it held,
// removes it with AutoRemove. For a container in the foreground it
// forwards the signals the supervisor passes on, and copies its terminal
// between the supervisor's stdio and the kept console. A container that
// never started is removed (a *container.StartError). It returns the
// container's exit.
func Adopt(root, id string) (container.Exit, error) {
	signal.Ignore(unix.SIGHUP, unix.SIGPIPE)
	defer func() { _ = shim.Done() }()
	rt, err := container.NewRuntime(root, nil, nil)
	if err != nil {
		return container.Exit{}, err
	}
	rt.Supervisor = container.SupervisorOf(os.Getppid())
	rt.AfterStep = PauseAfter(os.Getenv(PauseAdopterEnv))
	orphans, err := newShimOrphans()
	if err != nil {
		return container.Exit{}, err
	}
	run, err := rt.Adopt(id, orphans)
	if errors.Is(err, container.ErrNotFound) {
		return container.Exit{}, nil // removed meanwhile (rm -f)
	}
	if err != nil {
		return container.Exit{}, err
	}
	st := run.State()
	if ex, ok := run.Recorded(); ok && st.Status == container.StatusExited {
		return ex, run.Finish()
	}
	var copies sync.WaitGroup
	sink := &logSink{}
	if st.Detached {
		// the output the dead monitor did not copy yet, and what comes
		if sink, err = openLogSink(st); err != nil {
			return container.Exit{}, errors.Join(err, run.Finish())
		}
		defer sink.close(sinkDrain)
		for tag, stream := range map[string]string{stdoutTag: "stdout", stderrTag: "stderr", consoleTag: "stdout"} {
			if f := shim.Kept(tag); f != nil {
				sink.copy(stream, f)
			}
		}
	} else if master := shim.Kept(consoleTag); master != nil {
		copies.Add(1)
		go func() {
			defer copies.Done()
			_, _ = io.Copy(os.Stdout, master)
		}()
		go func() { _, _ = io.Copy(master, os.Stdin) }()
	}
	if !st.Detached {
		sigs := make(chan os.Signal, 8)
		signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2)
		go func() {
			for s := range sigs {
				_ = run.Signal(s)
			}
		}()
	}
	var ex container.Exit
	if st.Restart.Active() {
		ex, err = run.WaitRestarting(func() (container.IO, error) { return sink.stdio(st) })
	} else {
		ex, err = run.Wait()
	}
	waitCopies(&copies, time.Second) // what the terminal held, into the log
	return ex, err
}

// waitCopies waits for copies, at most d.
func waitCopies(copies *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { copies.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// shimOrphans is container.Orphans over the supervisor's reaped exits.
type shimOrphans struct {
	exits <-chan shim.Exit
	ready <-chan struct{}
	seen  map[int]unix.WaitStatus
}

func newShimOrphans() (*shimOrphans, error) {
	exits, ready, err := shim.Exits()
	if err != nil {
		return nil, err
	}
	return &shimOrphans{exits: exits, ready: ready, seen: map[int]unix.WaitStatus{}}, nil
}

// orphanGrace is how long an init that is gone may take to be reaped and
// its exit to arrive before the exit counts as lost.
const orphanGrace = 2 * time.Second

// Exit implements container.Orphans.
func (o *shimOrphans) Exit(pid int, gone func() bool) (unix.WaitStatus, bool) {
	<-o.ready
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var goneSince time.Time
	for {
		if ws, ok := o.seen[pid]; ok {
			return ws, true
		}
		select {
		case e, ok := <-o.exits:
			if !ok { // the supervisor is gone: nobody reaps for us
				o.exits = nil
				continue
			}
			o.seen[e.Pid] = e.Status
		case <-tick.C:
			if !gone() {
				goneSince = time.Time{}
				continue
			}
			if goneSince.IsZero() {
				goneSince = time.Now()
			} else if time.Since(goneSince) > orphanGrace || o.exits == nil {
				return 0, false
			}
		}
	}
}
