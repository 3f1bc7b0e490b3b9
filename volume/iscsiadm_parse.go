package volume

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Session is one line of `iscsiadm -m session`:
//
//	tcp: [1] 127.0.0.1:3260,1 iqn.2024-01.test.cgrun:vol1 (non-flash)
type Session struct {
	Transport string
	SID       int
	Portal    string // host:port
	TPGT      int
	IQN       string
}

// NodeEntry is one line of `iscsiadm -m node`:
//
//	127.0.0.1:3260,4294967295 iqn.2024-01.test.cgrun:vol1
type NodeEntry struct {
	Portal string
	TPGT   int64
	IQN    string
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// ParseSessions parses `iscsiadm -m session` output.
func ParseSessions(r io.Reader) ([]Session, error) {
	var out []Session
	err := iscsiadmLines(r, func(line string, f []string) error {
		if len(f) < 4 || !strings.HasSuffix(f[0], ":") || !strings.HasPrefix(f[1], "[") || !strings.HasSuffix(f[1], "]") {
			return fmt.Errorf("%w: unexpected iscsiadm session line %q", ErrCommand, line)
		}
		sid, err := strconv.Atoi(strings.Trim(f[1], "[]"))
		if err != nil {
			return fmt.Errorf("%w: bad session id in %q", ErrCommand, line)
		}
		portal, tpgt, err := splitTPGT(f[2])
		if err != nil {
			return fmt.Errorf("%w: %q: %w", ErrCommand, line, err)
		}
		out = append(out, Session{Transport: strings.TrimSuffix(f[0], ":"), SID: sid, Portal: portal, TPGT: int(tpgt), IQN: f[3]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ParseNodes parses `iscsiadm -m node` output.
func ParseNodes(r io.Reader) ([]NodeEntry, error) {
	var out []NodeEntry
	err := iscsiadmLines(r, func(line string, f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("%w: unexpected iscsiadm node line %q", ErrCommand, line)
		}
		portal, tpgt, err := splitTPGT(f[0])
		if err != nil {
			return fmt.Errorf("%w: %q: %w", ErrCommand, line, err)
		}
		out = append(out, NodeEntry{Portal: portal, TPGT: tpgt, IQN: f[1]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// iscsiadmLines calls fn with each line of iscsiadm output and its fields,
// skipping blank lines and iscsiadm's own messages ("iscsiadm: ..."); the
// first error stops it.
func iscsiadmLines(r io.Reader, fn func(line string, fields []string) error) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "iscsiadm:") {
			continue
		}
		if err := fn(line, strings.Fields(line)); err != nil {
			return err
		}
	}
	return sc.Err()
}

// splitTPGT splits "127.0.0.1:3260,1" (or "[::1]:3260,1") into portal and tpgt.
func splitTPGT(s string) (string, int64, error) {
	i := strings.LastIndexByte(s, ',')
	if i < 0 {
		return s, -1, nil
	}
	tpgt, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("bad portal group tag in %q", s)
	}
	return s[:i], tpgt, nil
}
