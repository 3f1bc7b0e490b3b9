// Package logs keeps a detached container's output as Docker's json-file
// driver does: one JSON object per line, {"log":"TEXT","stream":"stdout"|
// "stderr","time":RFC3339Nano}, in DIR/json.log, rotated to json.log.1 ...
// json.log.(MaxFile-1) when it would pass MaxSize, so the output of a
// container is bounded on disk. Read prints them back, stdout and stderr
// apart, across the rotated files, with --tail, --since, --until and
// --follow.
package logs

import (
	"fmt"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
)

// The drivers: json-file, or none (the output is dropped).
const (
	DriverJSONFile = "json-file"
	DriverNone     = "none"
)

// Defaults bound a container's log at 30 MB on disk (Docker's json-file
// has no bound by default; its local driver keeps 5 files of 20 MB).
const (
	DefaultMaxSize = 10 << 20
	DefaultMaxFile = 3
)

// FileName is the current log file in a container's log directory.
const FileName = "json.log"

// Config is a container's logging: the driver and json-file's bounds.
type Config struct {
	Driver  string `json:"driver"`
	MaxSize int64  `json:"maxSize,omitempty"`
	MaxFile int    `json:"maxFile,omitempty"`
}

// Default is json-file with the default bounds.
func Default() Config {
	return Config{Driver: DriverJSONFile, MaxSize: DefaultMaxSize, MaxFile: DefaultMaxFile}
}

// OptError is a refused --log-driver or --log-opt value: which, the
// value, and the rule.
type OptError struct {
	Flag, Value, Rule string
}

func (e *OptError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Flag, e.Value, e.Rule)
}

// ParseConfig reads Docker's --log-driver and --log-opt values (KEY=VALUE,
// each flag one or a comma-separated list): max-size (a size, at least
// 1 KiB; -1 unbounded) and max-file (at least 1) for json-file.
func ParseConfig(driver string, opts []string) (Config, error) {
	c := Default()
	switch driver {
	case "", DriverJSONFile:
	case DriverNone:
		c = Config{Driver: DriverNone}
	default:
		return Config{}, &OptError{Flag: "--log-driver", Value: driver, Rule: "must be json-file or none"}
	}
	for _, opt := range opts {
		for _, kv := range strings.Split(opt, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || v == "" {
				return Config{}, &OptError{Flag: "--log-opt", Value: kv, Rule: "must be KEY=VALUE (max-size, max-file)"}
			}
			if c.Driver == DriverNone {
				return Config{}, &OptError{Flag: "--log-opt", Value: kv, Rule: "the none driver takes no options"}
			}
			switch k {
			case "max-size":
				if v == "-1" {
					c.MaxSize = -1
					continue
				}
				n, err := units.RAMInBytes(v)
				if err != nil || n < 1024 {
					return Config{}, &OptError{Flag: "--log-opt", Value: kv, Rule: "max-size must be a size of at least 1k (e.g. 10m), or -1 for no bound"}
				}
				c.MaxSize = n
			case "max-file":
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 100 {
					return Config{}, &OptError{Flag: "--log-opt", Value: kv, Rule: "max-file must be a number from 1 to 100"}
				}
				c.MaxFile = n
			default:
				return Config{}, &OptError{Flag: "--log-opt", Value: kv, Rule: "unknown option: json-file takes max-size and max-file"}
			}
		}
	}
	return c, nil
}

// entry is one line of json.log, as Docker's json-file writes it.
type entry struct {
	Log    string `json:"log"`
	Stream string `json:"stream"`
	Time   string `json:"time"`
}
