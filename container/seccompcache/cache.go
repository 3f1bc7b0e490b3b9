// Package seccompcache compiles a container's seccomp filter once and hands
// the program to every container init that builds the same filter.
//
// libcontainer builds the filter in the container's init and has
// libseccomp generate its BPF there: for Docker's default profile (the
// calls of three architectures, hundreds of rules) that generation was the
// largest single cost of a start on this project's machines, paid again by
// every container and every exec. crun keeps generated filters in a cache
// for the same reason. Here the runner looks the filter up in a cache
// under its state root, keyed by libcontainer's configs.Seccomp and the
// init binary; on a miss it has the init binary (cmd/cgrun-init, package
// seccompcache/wrap) compile it as a container's init would and keeps the
// entry. Before the init starts, the runner puts the entry in a sealed
// memfd that the init reads from its parent's descriptors; the init serves
// the program to libcontainer only when the calls that built its own
// filter are, byte for byte, the calls recorded with the entry. Anything
// amiss leaves the init generating the filter itself, as before.
package seccompcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/opencontainers/runc/libcontainer/configs"
	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/container/initexec"
	"github.com/cgrun/cgrun/internal/beside"
)

// Dir is the cache's directory under a state root (a dot name: never a
// container's).
const Dir = ".seccomp"

// CompileArg makes the init binary compile a filter: libcontainer's
// configs.Seccomp as JSON on stdin, the entry on stdout.
const CompileArg = "seccomp-compile"

// MemfdName names the sealed memfd in which a runner holds the entry for
// the init it starts (wrap.h's CGRUN_SECCOMP_MEMFD).
const MemfdName = "cgrun-seccomp"

// Magic starts an entry, then the transcript's and the program's lengths
// (32 bits each, host order), the transcript and the program.
const Magic = "CGRUN-SECCOMP-1\n"

const (
	headerLen = len(Magic) + 8
	maxPart   = 1 << 20
)

// Entry is a compiled filter: the transcript of the libseccomp calls that
// built it and the program libseccomp generated from them.
type Entry struct {
	Transcript []byte
	Program    []byte
}

// Parse reads an entry.
func Parse(b []byte) (Entry, error) {
	if len(b) < headerLen || string(b[:len(Magic)]) != Magic {
		return Entry{}, errors.New("not a compiled seccomp filter")
	}
	tl := binary.NativeEndian.Uint32(b[len(Magic):])
	pl := binary.NativeEndian.Uint32(b[len(Magic)+4:])
	if tl > maxPart || pl > maxPart || uint64(headerLen)+uint64(tl)+uint64(pl) != uint64(len(b)) || pl == 0 || pl%8 != 0 {
		return Entry{}, errors.New("a compiled seccomp filter of the wrong length")
	}
	return Entry{Transcript: b[headerLen : headerLen+int(tl)], Program: b[headerLen+int(tl):]}, nil
}

// Bytes is the entry as the init reads it.
func (e Entry) Bytes() []byte {
	b := make([]byte, headerLen, headerLen+len(e.Transcript)+len(e.Program))
	copy(b, Magic)
	binary.NativeEndian.PutUint32(b[len(Magic):], uint32(len(e.Transcript)))
	binary.NativeEndian.PutUint32(b[len(Magic)+4:], uint32(len(e.Program)))
	return append(append(b, e.Transcript...), e.Program...)
}

// InitBinary is the init binary beside the running program's, when one
// is there that a container's start would use (the checks initexec's
// constructor makes on the file); "" otherwise.
func InitBinary() string {
	p, err := beside.Binary(initexec.Name)
	if err != nil {
		return ""
	}
	return p
}

// Key names the entry of s compiled by the init binary at bin, as a path
// under the cache's directory: BIN/FILTER, BIN from the binary's identity
// (a new binary may link another libseccomp: the transcript check would
// refuse its predecessor's entries) and FILTER from the filter's
// configuration.
func Key(bin string, s *configs.Seccomp) (string, error) {
	var st unix.Stat_t
	if err := unix.Stat(bin, &st); err != nil {
		return "", err
	}
	cfg, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	b := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d:%d:%d:%d.%d", bin, st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec))
	f := sha256.Sum256(cfg)
	return hex.EncodeToString(b[:8]) + "/" + hex.EncodeToString(f[:16]), nil
}

// Lookup returns the entry of s in the cache under root, compiling it with
// the init binary bin on a miss (one process at a time: the others wait
// for its entry). A compile also removes the entries of other init
// binaries (an upgrade's predecessor): the cache holds one binary's. The
// entry is only as trusted as the directory: it must be this user's, and
// others may write neither it nor the file.
func Lookup(root, bin string, s *configs.Seccomp) (Entry, error) {
	key, err := Key(bin, s)
	if err != nil {
		return Entry{}, err
	}
	dir := filepath.Join(root, Dir)
	path := filepath.Join(dir, key)
	if e, err := read(path); err == nil {
		return e, nil
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return Entry{}, err
	}
	d, err := os.Open(dir)
	if err != nil {
		return Entry{}, err
	}
	defer d.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(d.Fd()), &st); err != nil {
		return Entry{}, err
	}
	if int(st.Uid) != os.Geteuid() || st.Mode&0o022 != 0 {
		return Entry{}, fmt.Errorf("%s: not this user's alone", dir)
	}
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX); err != nil {
		return Entry{}, err
	}
	defer unix.Flock(int(d.Fd()), unix.LOCK_UN) //nolint:errcheck
	if e, err := read(path); err == nil {
		return e, nil
	}
	b, err := compile(bin, s)
	if err != nil {
		return Entry{}, err
	}
	e, err := Parse(b)
	if err != nil {
		return Entry{}, fmt.Errorf("%s %s: %w", bin, CompileArg, err)
	}
	binDir := filepath.Dir(path)
	if ents, err := d.ReadDir(-1); err == nil {
		for _, ent := range ents {
			if ent.Name() != filepath.Base(binDir) {
				_ = os.RemoveAll(filepath.Join(dir, ent.Name()))
			}
		}
	}
	if err := os.Mkdir(binDir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return Entry{}, err
	}
	if fi, err := os.Lstat(binDir); err != nil || !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 {
		return Entry{}, fmt.Errorf("%s: not a directory of this user's alone", binDir)
	}
	_ = os.Remove(path) // one that read refused
	return e, store(binDir, path, b)
}

// read returns the entry at path when it is a regular file of this user's
// that others may not write.
func read(path string) (Entry, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return Entry{}, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || int(st.Uid) != os.Geteuid() || st.Mode&0o022 != 0 || st.Size > 2*maxPart+int64(headerLen) {
		return Entry{}, fmt.Errorf("%s: not a file of this user's alone", path)
	}
	b := make([]byte, st.Size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return Entry{}, err
	}
	return Parse(b)
}

// compile runs the init binary's compiler on s.
func compile(bin string, s *configs.Seccomp) ([]byte, error) {
	cfg, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, CompileArg)
	cmd.Stdin = bytes.NewReader(cfg)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %v: %s", bin, CompileArg, err, bytes.TrimSpace(errb.Bytes()))
	}
	return out.Bytes(), nil
}

// store writes b at path whole or not at all: an unnamed file linked in
// once written, so a crash leaves nothing.
func store(dir, path string, b []byte) error {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		return err
	}
	err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	return err
}

// Memfd puts e in a sealed memfd, for an init to read from this process's
// descriptors while it starts; the caller closes it once the init runs.
func Memfd(e Entry) (*os.File, error) {
	fd, err := unix.MemfdCreate(MemfdName, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), MemfdName)
	if _, err := f.Write(e.Bytes()); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SEAL|unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ForInit returns the memfd for a container's init that builds the filter
// s, from the cache under root: nil (and why) when there is none to hand
// over (no filter, no init binary beside this program, a compile that
// failed); the init then generates the filter itself.
func ForInit(root string, s *configs.Seccomp) (*os.File, error) {
	if s == nil {
		return nil, nil
	}
	bin := InitBinary()
	if bin == "" {
		return nil, nil
	}
	e, err := Lookup(root, bin, s)
	if err != nil {
		return nil, err
	}
	return Memfd(e)
}
