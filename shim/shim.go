// Package shim is the supervisor that outlives cgrun: a small C process
// that a constructor forks before the Go runtime starts, which stays the
// parent of the process that runs a container (cgrun run, a detached
// container's monitor) and a child subreaper. When that process dies
// (SIGKILL, a crash) the container's init becomes the supervisor's child:
// it reaps it, so the exit code is not lost, and starts an adopter,
// `PROGRAM cgrun-monitor ROOT ID`, that records the exit and releases what
// the container held (package runner's Monitor), as conmon and its exit
// command do for Podman. The supervisor mirrors its child's exit code and
// forwards the signals sent to it, so a shell or a test sees cgrun as if
// it ran alone.
//
// A process under a supervisor tells it which container it runs
// (Announce), hands it what must stay open across its death (Keep: log
// pipes, a console master), and says when nothing is left to adopt (Done).
// An adopter finds what was kept (Kept) and the exits the supervisor reaped
// (Exits).
//
// A detached container's monitor leaves once the container runs (Handoff):
// the supervisor copies the output into the log itself, and the monitor
// execs into a keeper (ExecKeeper) that stays the init's parent, reaps it
// and writes its wait status (container.ExitFile); the supervisor adopts
// the container at the exit. Either of the two may die alone: the other
// one still sees the exit.
//
// The constructor makes a supervisor for a monitor's command line
// (PROGRAM cgrun-monitor ROOT ID); cgrun's own binary also makes one for
// `cgrun run` (cgrun_shim_start, from its constructor). A program that imports the
// package gets a supervisor for the monitors it starts that way.
package shim

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// MonitorArg is the supervisor's adopter argument, runner.MonitorArg.
const MonitorArg = C.CGRUN_SHIM_MONITOR_ARG

// envVar carries an adopter's socket and kept descriptors.
const envVar = C.CGRUN_SHIM_ENV

var (
	mu       sync.Mutex
	ctl      int = -1 // this end of the supervisor's socket
	adopting bool
	kept     map[string]*os.File
	conn     *net.UnixConn // an adopter's, for Exits
)

func init() {
	ctl = int(C.cgrun_shim_fd)
	v, ok := os.LookupEnv(envVar)
	if !ok {
		return
	}
	_ = os.Unsetenv(envVar) // not for the processes this one starts
	parsed, fds, err := parseEnv(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cgrun: %s: %v\n", envVar, err)
		return
	}
	ctl, adopting = parsed, true
	unix.CloseOnExec(ctl)
	kept = map[string]*os.File{}
	for tag, fd := range fds {
		unix.CloseOnExec(fd)
		kept[tag] = os.NewFile(uintptr(fd), tag)
	}
}

// parseEnv reads "ctl=FD[,TAG=FD...]".
func parseEnv(v string) (int, map[string]int, error) {
	ctlFD := -1
	fds := map[string]int{}
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(kv, "=")
		fd, err := strconv.Atoi(val)
		if !ok || k == "" || err != nil || fd < 0 {
			return -1, nil, fmt.Errorf("bad entry %q", kv)
		}
		if k == "ctl" {
			ctlFD = fd
		} else {
			fds[k] = fd
		}
	}
	if ctlFD < 0 {
		return -1, nil, errors.New("no ctl entry")
	}
	return ctlFD, fds, nil
}

// Supervised reports whether this process has a supervisor.
func Supervised() bool {
	mu.Lock()
	defer mu.Unlock()
	return ctl >= 0
}

// Adopting reports whether the supervisor started this process to adopt a
// container whose runner died.
func Adopting() bool { return adopting }

func send(msg []byte, f *os.File) error {
	mu.Lock()
	defer mu.Unlock()
	if ctl < 0 {
		return nil
	}
	var oob []byte
	if f != nil {
		oob = unix.UnixRights(int(f.Fd()))
	}
	err := unix.Sendmsg(ctl, msg, oob, nil, unix.MSG_NOSIGNAL)
	if errors.Is(err, unix.EPIPE) || errors.Is(err, unix.ECONNRESET) {
		// the supervisor died: this process is on its own
		_ = unix.Close(ctl)
		ctl = -1
		return nil
	}
	if err != nil {
		return fmt.Errorf("tell the supervisor: %w", err)
	}
	return nil
}

// Announce tells the supervisor the container this process runs: should
// the process die, the supervisor adopts container id of state root root.
func Announce(root, id string) error {
	return send([]byte("A"+root+"\x00"+id+"\x00"), nil)
}

// Keep hands f to the supervisor under tag: it stays open across this
// process's death, for the adopter (Kept). A later Keep of the same tag
// replaces it.
func Keep(tag string, f *os.File) error {
	if tag == "" || tag == "ctl" || strings.ContainsAny(tag, ",=\x00") {
		return fmt.Errorf("shim: bad tag %q", tag)
	}
	return send([]byte("K"+tag+"\x00"), f)
}

// Done tells the supervisor nothing is left to adopt: the container ended
// and was released, or another process (the monitor) has it. The
// supervisor then exits as this process exits.
func Done() error { return send([]byte{C.CGRUN_SHIM_DONE}, nil) }

// Handoff tells the supervisor this process leaves the running container
// to it: the supervisor copies its output, from the descriptors kept as
// "out" and "err" (or "console"), into logDir's json.log as package logs
// writes it, rotated at maxSize bytes (0: never) into maxFile files (an
// empty logDir drops the output), and adopts the container when its init,
// pid, ends. The caller then exits without Done: what a monitor would do
// until the exit, the supervisor does in a few pages of C.
func Handoff(pid int, logDir string, maxSize int64, maxFile int) error {
	if strings.ContainsRune(logDir, 0) {
		return fmt.Errorf("shim: bad log directory %q", logDir)
	}
	msg := fmt.Sprintf("%c%d\x00%s\x00%d\x00%d\x00", C.CGRUN_SHIM_HANDOFF, pid, logDir, maxSize, maxFile)
	return send([]byte(msg), nil)
}

// KeeperArg is the first argument of a keeper (ExecKeeper).
const KeeperArg = C.CGRUN_SHIM_KEEPER_ARG

// Keeper is what ExecKeeper needs: the init to wait for, where its wait
// status goes, the owner lock held across the exec, and the log the
// keeper writes should the supervisor die (the output's read ends, nil
// when there are none).
type Keeper struct {
	Init     int
	ExitFile string
	Owner    uintptr
	LogDir   string // empty: the output is dropped
	MaxSize  int64
	MaxFile  int
	Out, Err *os.File
}

// ExecKeeper replaces this process, after a Handoff, with a keeper: the
// same program stopped by its constructor before the Go runtime starts,
// which stays the parent of the container's init and reaps it (shim.c,
// keeper). It returns only on an error.
func ExecKeeper(k Keeper) error {
	mu.Lock()
	c := ctl
	mu.Unlock()
	if c < 0 {
		return errors.New("shim: no supervisor")
	}
	if strings.ContainsRune(k.ExitFile, 0) || strings.ContainsRune(k.LogDir, 0) {
		return errors.New("shim: bad keeper path")
	}
	fd := func(f *os.File) int {
		if f == nil {
			return -1
		}
		return int(f.Fd())
	}
	fds := []int{c, int(k.Owner), fd(k.Out), fd(k.Err)}
	for _, f := range fds {
		if f >= 0 {
			if _, err := unix.FcntlInt(uintptr(f), unix.F_SETFD, 0); err != nil {
				return fmt.Errorf("shim: keeper descriptor: %w", err)
			}
		}
	}
	argv := []string{os.Args[0], KeeperArg, strconv.Itoa(k.Init), k.ExitFile, strconv.Itoa(c), strconv.Itoa(int(k.Owner)),
		k.LogDir, strconv.FormatInt(k.MaxSize, 10), strconv.Itoa(k.MaxFile), strconv.Itoa(fds[2]), strconv.Itoa(fds[3])}
	if len(argv) != C.CGRUN_SHIM_KEEPER_ARGC {
		return errors.New("shim: keeper arguments")
	}
	return unix.Exec("/proc/self/exe", argv, os.Environ())
}

// Kept returns the file kept under tag for this adopter, nil when none.
func Kept(tag string) *os.File {
	mu.Lock()
	defer mu.Unlock()
	return kept[tag]
}

// Exit is the end of a descendant the supervisor reaped: the container's
// init, orphaned when its runner died.
type Exit struct {
	Pid    int
	Status unix.WaitStatus
}

// Exits returns the exits the supervisor reaps, for an adopter: those it
// reaped before the adopter started, then ready closed, then each as it
// comes. The channel closes when the supervisor is gone.
func Exits() (exits <-chan Exit, ready <-chan struct{}, err error) {
	mu.Lock()
	defer mu.Unlock()
	if !adopting || ctl < 0 {
		return nil, nil, errors.New("shim: not an adopter")
	}
	if conn == nil {
		fd, err := unix.Dup(ctl)
		if err != nil {
			return nil, nil, err
		}
		unix.CloseOnExec(fd)
		c, err := net.FileConn(os.NewFile(uintptr(fd), "shim"))
		if err != nil {
			return nil, nil, fmt.Errorf("shim socket: %w", err)
		}
		uc, ok := c.(*net.UnixConn)
		if !ok {
			c.Close()
			return nil, nil, errors.New("shim socket is not a unix socket")
		}
		conn = uc
	}
	ch := make(chan Exit, 64)
	rd := make(chan struct{})
	go func() {
		defer close(ch)
		readyOnce := sync.OnceFunc(func() { close(rd) })
		defer readyOnce()
		buf := make([]byte, 64)
		for {
			n, err := conn.Read(buf)
			if err != nil || n == 0 {
				return
			}
			switch buf[0] {
			case C.CGRUN_SHIM_READY:
				readyOnce()
			case C.CGRUN_SHIM_EXIT:
				var e C.struct_cgrun_shim_exit
				if n < int(unsafe.Sizeof(e)) {
					continue
				}
				e = *(*C.struct_cgrun_shim_exit)(unsafe.Pointer(&buf[0]))
				ch <- Exit{Pid: int(e.pid), Status: unix.WaitStatus(e.status)}
			}
		}
	}()
	return ch, rd, nil
}
