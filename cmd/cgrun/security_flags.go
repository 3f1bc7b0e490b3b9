package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/spec"
)

// The confinement flags of run and spec (Docker's names).
const (
	flagPrivileged  = "privileged"
	flagCapAdd      = "cap-add"
	flagCapDrop     = "cap-drop"
	flagSecurityOpt = "security-opt"
)

const catSecurity = "Security"

func securityFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: flagPrivileged, Usage: "every capability and host device, no seccomp filter, no masked paths", Category: catSecurity},
		&cli.StringSliceFlag{Name: flagCapAdd, Usage: "add a capability (NET_ADMIN, CAP_NET_ADMIN or ALL; repeatable)", Category: catSecurity},
		&cli.StringSliceFlag{Name: flagCapDrop, Usage: "drop a capability (a name or ALL; repeatable)", Category: catSecurity},
		&cli.StringSliceFlag{Name: flagSecurityOpt, Usage: "seccomp=unconfined|PROFILE.json, no-new-privileges[=true|false], apparmor=PROFILE|unconfined, systempaths=unconfined (repeatable)", Category: catSecurity},
	}
}

// securityOptions reads the confinement flags. Names and profiles are
// checked here (exit 125 naming the flag); what depends on the host
// (AppArmor) is checked by spec.Generate.
func securityOptions(c *cli.Context) (spec.Security, error) {
	sec := spec.Security{Privileged: c.Bool(flagPrivileged)}
	caps := func(flag string) ([]string, error) {
		var out []string
		for _, v := range c.StringSlice(flag) {
			if _, err := spec.CanonicalCapability(v); err != nil {
				return nil, fmt.Errorf("invalid --%s %q: %v", flag, v, err)
			}
			out = append(out, v)
		}
		return out, nil
	}
	var err error
	if sec.CapAdd, err = caps(flagCapAdd); err != nil {
		return sec, err
	}
	if sec.CapDrop, err = caps(flagCapDrop); err != nil {
		return sec, err
	}
	for _, opt := range c.StringSlice(flagSecurityOpt) {
		if err := securityOpt(&sec, opt); err != nil {
			return sec, fmt.Errorf("invalid --%s %q: %w", flagSecurityOpt, opt, err)
		}
	}
	return sec, nil
}

// securityOpt applies one --security-opt KEY[=VALUE] (Docker also takes
// KEY:VALUE, its older form).
func securityOpt(sec *spec.Security, opt string) error {
	k, v, hasValue := strings.Cut(opt, "=")
	if !hasValue {
		k, v, hasValue = strings.Cut(opt, ":")
	}
	switch k {
	case "seccomp":
		switch {
		case v == "":
			return fmt.Errorf("must be seccomp=unconfined or seccomp=PROFILE.json")
		case v == "unconfined":
			sec.SeccompUnconfined = true
		default:
			b, err := os.ReadFile(v)
			if err != nil {
				return fmt.Errorf("read the profile: %v", err)
			}
			if err := spec.CheckSeccompProfile(b); err != nil {
				return err
			}
			sec.SeccompProfile = b
		}
	case "no-new-privileges":
		on := true
		if hasValue {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("must be no-new-privileges, or no-new-privileges=true|false")
			}
			on = b
		}
		sec.NoNewPrivileges = on
	case "apparmor":
		if v == "" {
			return fmt.Errorf("must be apparmor=PROFILE or apparmor=unconfined")
		}
		sec.AppArmorProfile = v
	case "systempaths":
		if v != "unconfined" {
			return fmt.Errorf("must be systempaths=unconfined")
		}
		sec.UnmaskSystemPaths = true
	case "label":
		return fmt.Errorf("SELinux labels are not supported")
	default:
		return fmt.Errorf("unknown option: must be seccomp=, no-new-privileges, apparmor= or systempaths=unconfined")
	}
	return nil
}
