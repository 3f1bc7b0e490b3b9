package container

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// IO is where a container process's standard streams go. A nil Stdin
// reads /dev/null. With Spec.Process.Terminal, ConsoleSocket receives the
// console's master end (see libcontainer/utils.RecvFile) and the streams
// are unused. *os.File streams are handed to the process as they are, so
// no copying goroutine runs.
type IO struct {
	Stdin         io.Reader
	Stdout        io.Writer
	Stderr        io.Writer
	ConsoleSocket *os.File
	// CloseAfterStart are closed once the process started: the caller's
	// copies of the ends it handed over (a pipe's write end), so the
	// reader sees the end when the process's end.
	CloseAfterStart []io.Closer
}

var rlimits = map[string]int{
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE,
	"RLIMIT_NICE": unix.RLIMIT_NICE, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC,
	"RLIMIT_RSS": unix.RLIMIT_RSS, "RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
	"RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING, "RLIMIT_STACK": unix.RLIMIT_STACK,
}

// newProcess converts the spec's process into libcontainer's.
func newProcess(p *specs.Process, pio IO) (*libcontainer.Process, error) {
	lp := &libcontainer.Process{
		Args:            p.Args,
		Env:             p.Env,
		UID:             int(p.User.UID),
		GID:             int(p.User.GID),
		Cwd:             p.Cwd,
		NoNewPrivileges: &p.NoNewPrivileges,
		Stdin:           pio.Stdin,
		Stdout:          pio.Stdout,
		Stderr:          pio.Stderr,
		ConsoleSocket:   pio.ConsoleSocket,
		// The init's nsexec logs at debug level unless told otherwise:
		// two dozen JSON lines per start that cgrun would parse to drop.
		LogLevel: strconv.Itoa(int(logrus.GetLevel())),
	}
	if p.ConsoleSize != nil {
		lp.ConsoleWidth = uint16(p.ConsoleSize.Width)
		lp.ConsoleHeight = uint16(p.ConsoleSize.Height)
	}
	for _, g := range p.User.AdditionalGids {
		lp.AdditionalGroups = append(lp.AdditionalGroups, int(g))
	}
	for _, rl := range p.Rlimits {
		t, ok := rlimits[rl.Type]
		if !ok {
			return nil, fmt.Errorf("unknown rlimit %q", rl.Type)
		}
		lp.Rlimits = append(lp.Rlimits, configs.Rlimit{Type: t, Hard: rl.Hard, Soft: rl.Soft})
	}
	return lp, nil
}

// Exit is how a container's process ended.
type Exit struct {
	// Code is Docker's exit code: the process's own, 128+N after signal N.
	Code int `json:"code"`
	// Signal is the signal that ended it, 0 when it exited.
	Signal    syscall.Signal `json:"signal,omitempty"`
	OOMKilled bool           `json:"oomKilled"`
}

// exitOf turns a wait status into an Exit.
func exitOf(ps *os.ProcessState) Exit {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok {
		return Exit{Code: ps.ExitCode()}
	}
	return exitOfStatus(ws)
}

// exitOfStatus is Docker's exit of a wait status: 128+N after signal N.
func exitOfStatus(ws syscall.WaitStatus) Exit {
	if ws.Signaled() {
		return Exit{Code: 128 + int(ws.Signal()), Signal: ws.Signal()}
	}
	return Exit{Code: ws.ExitStatus()}
}

// classifyStartError gives a failed start Docker's exit code. The error
// of exec.LookPath in the container's init crosses the process boundary as
// text (libcontainer sends it over its sync pipe), so its text is all
// there is: `exec: "NAME": executable file not found in $PATH` or
// `exec: "PATH": stat PATH: no such file or directory` is 127, any other
// exec error (permission denied, is a directory) 126; the rest is 125.
func classifyStartError(err error) *StartError {
	msg := err.Error()
	i := strings.Index(msg, `exec: "`)
	if i < 0 {
		return &StartError{Code: 125, Err: err}
	}
	detail := msg[i:]
	if strings.Contains(detail, "executable file not found") || strings.Contains(detail, "no such file or directory") {
		return &StartError{Code: 127, Err: fmt.Errorf("%s", detail)}
	}
	return &StartError{Code: 126, Err: fmt.Errorf("%s", detail)}
}

// exitOfSiginfo turns what waitid(2) reports for a child (SIGCHLD's
// siginfo: si_code CLD_*, si_status after si_pid and si_uid in the union)
// into an Exit.
func exitOfSiginfo(info *unix.Siginfo) Exit {
	// the union starts after signo, errno, code and the padding: 16 bytes
	status := *(*int32)(unsafe.Add(unsafe.Pointer(info), 16+4+4))
	const cldKilled, cldDumped = 2, 3 // si_code of a child killed, killed with a core
	switch info.Code {
	case cldKilled, cldDumped:
		sig := syscall.Signal(status)
		return Exit{Code: 128 + int(sig), Signal: sig}
	}
	return Exit{Code: int(status)}
}
