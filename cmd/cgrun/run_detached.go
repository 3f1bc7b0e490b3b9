package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
)

// monitorGOGC keeps the monitor's heap small: it lives as long as the
// container and allocates almost nothing after the start. It also runs with
// GOMAXPROCS=1: it waits, it does not compute.
const monitorGOGC = "25"

// runDetached hands the prepared container to a monitor process (cgrun
// re-executed as `cgrun monitor ID` in its own session, stdio to the
// container's log), waits until the monitor reports the start, and prints
// the container's ID.
func runDetached(c *cli.Context, rt *container.Runtime, st *container.State) error {
	r, w, err := os.Pipe()
	if err != nil {
		return startFailed(rt, st.ID, err)
	}
	defer r.Close()
	logf, err := os.OpenFile(rt.Store.LogPath(st.ID), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		w.Close()
		return startFailed(rt, st.ID, fmt.Errorf("container log: %w", err))
	}
	defer logf.Close()
	cmd := exec.Command("/proc/self/exe", "--root", rt.Store.Root(), "monitor", st.ID)
	cmd.Args[0] = os.Args[0]
	cmd.Stdout, cmd.Stderr = logf, logf // Stdin nil: /dev/null
	cmd.ExtraFiles = []*os.File{w}      // fd 3: the start report
	cmd.Env = append(os.Environ(), "GOGC="+monitorGOGC, "GOMAXPROCS=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return startFailed(rt, st.ID, fmt.Errorf("start monitor: %w", err))
	}
	_ = cmd.Process.Release()
	report, err := io.ReadAll(r)
	if err != nil {
		return startFailed(rt, st.ID, fmt.Errorf("read monitor report: %w", err))
	}
	if err := parseStartReport(string(report)); err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, st.ID)
	return nil
}

// The monitor reports the start on fd 3 as "ok", or "CODE\tMESSAGE".
const reportOK = "ok"

func formatStartReport(err error) string {
	if err == nil {
		return reportOK
	}
	code := exitCgrunError
	var se *container.StartError
	if errors.As(err, &se) {
		code = se.Code
	}
	return strconv.Itoa(code) + "\t" + oneLine(err.Error())
}

func parseStartReport(s string) error {
	if s == reportOK {
		return nil
	}
	codeText, msg, ok := strings.Cut(s, "\t")
	code, err := strconv.Atoi(codeText)
	if !ok || err != nil {
		return errors.New("the monitor ended before the container started (see cgrun logs)")
	}
	return codedError{code: code, err: errors.New(msg)}
}
