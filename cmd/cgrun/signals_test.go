package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A detached run whose signals main caught early gives them back their
// default action: SIGTERM then ends the process, as if never caught.
func TestKeepDefaultsEndsOnSignal(t *testing.T) {
	if os.Getenv("CGRUN_TEST_KEEP_DEFAULTS") == "1" {
		f := forwardSignals()
		_ = unix.Kill(os.Getpid(), unix.SIGTERM) // held: no target yet
		time.Sleep(50 * time.Millisecond)
		f.keepDefaults()
		time.Sleep(5 * time.Second)
		os.Exit(0) // not reached when the default action ran
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKeepDefaultsEndsOnSignal$")
	cmd.Env = append(os.Environ(), "CGRUN_TEST_KEEP_DEFAULTS=1")
	err := cmd.Run()
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "the helper must be ended by the signal, got %v", err)
	ws := ee.Sys().(syscall.WaitStatus)
	require.True(t, ws.Signaled(), "status %v", ws)
	require.Equal(t, syscall.SIGTERM, ws.Signal())
}

// A foreground run's forwarder hands the signals caught before the
// container's process existed to it once it does.
func TestForwarderHoldsThenForwards(t *testing.T) {
	f := forwardSignals()
	require.NoError(t, unix.Kill(os.Getpid(), unix.SIGUSR2))
	require.NoError(t, unix.Kill(os.Getpid(), unix.SIGHUP))
	require.Eventually(t, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.pending) == 2
	}, 2*time.Second, 5*time.Millisecond)
	got := make(chan os.Signal, 4)
	f.to(func(s os.Signal) error { got <- s; return nil })
	require.ElementsMatch(t, []os.Signal{unix.SIGUSR2, unix.SIGHUP}, []os.Signal{<-got, <-got})
	require.NoError(t, unix.Kill(os.Getpid(), unix.SIGUSR1))
	select {
	case s := <-got:
		require.Equal(t, unix.SIGUSR1, s)
	case <-time.After(2 * time.Second):
		t.Fatal("SIGUSR1 not forwarded")
	}
}

// Before the container's process exists an interrupting signal cancels the
// run (exit 128+N) and is held; other signals are only held; once the
// process exists signals are forwarded and no longer interrupt.
func TestForwarderInterruptsBeforeStart(t *testing.T) {
	f := forwardSignals()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	f.onInterrupt(func(s os.Signal) { cancel(interruptedError{sig: s.(unix.Signal)}) })

	require.NoError(t, unix.Kill(os.Getpid(), unix.SIGUSR1))
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, interruption(ctx), "SIGUSR1 does not interrupt")

	require.NoError(t, unix.Kill(os.Getpid(), unix.SIGINT))
	require.Eventually(t, func() bool { return interruption(ctx) != nil }, 2*time.Second, 5*time.Millisecond)
	err := interruption(ctx)
	var ce codedError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, 130, ce.code)
	require.Equal(t, "interrupted by SIGINT before the container started", err.Error())

	got := make(chan os.Signal, 4)
	interrupted := 0
	f.onInterrupt(func(os.Signal) { interrupted++ })
	require.Equal(t, 1, interrupted, "a held SIGINT counts when the hook is set late")
	f.to(func(s os.Signal) error { got <- s; return nil })
	require.ElementsMatch(t, []os.Signal{unix.SIGUSR1, unix.SIGINT}, []os.Signal{<-got, <-got})
	require.NoError(t, unix.Kill(os.Getpid(), unix.SIGINT))
	require.Equal(t, unix.SIGINT, <-got)
	require.Equal(t, 1, interrupted, "after the start SIGINT is forwarded, not an interruption")
}
