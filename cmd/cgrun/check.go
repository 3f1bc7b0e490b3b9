package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/opencontainers/runc/libcontainer/seccomp"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/container/initexec"
	"github.com/cgrun/cgrun/spec"
)

// checkReport is `cgrun check --format json`: the probed host and every
// flag's support.
type checkReport struct {
	*cgroup.Host
	Security securitySupport `json:"security"`
	// Init is what containers' inits run as (cgrun-init beside cgrun).
	Init initexec.Status `json:"init"`
	// Registry is what reaches registries (cgrun-registry beside cgrun).
	Registry registrySupport `json:"registry"`
	Flags    []flagSupport   `json:"flags"`
}

// registrySupport says where pulls, login and logout run: this binary, or
// the helper beside it (Binary), or nowhere (Reason).
type registrySupport struct {
	Binary string `json:"binary,omitempty"`
	Usable bool   `json:"usable"`
	Reason string `json:"reason,omitempty"`
}

// securitySupport is what the confinement options depend on.
type securitySupport struct {
	// SeccompCompiledIn: libcontainer's seccomp support is in this binary.
	SeccompCompiledIn bool   `json:"seccompCompiledIn"`
	Libseccomp        string `json:"libseccomp,omitempty"`
	// SeccompFilters: the kernel has seccomp filters (containers get the
	// default profile).
	SeccompFilters bool   `json:"seccompFilters"`
	AppArmor       bool   `json:"appArmor"`
	AppArmorReason string `json:"appArmorReason,omitempty"`
}

func probeSecurity() securitySupport {
	h := spec.ProbeHost()
	s := securitySupport{SeccompCompiledIn: seccomp.Enabled, SeccompFilters: h.Seccomp}
	if s.SeccompCompiledIn {
		s.Libseccomp = strings.TrimPrefix(seccompVersion(), "libseccomp ")
	}
	s.AppArmor, s.AppArmorReason = h.AppArmorSupport()
	return s
}

// probeInit is what the inits of the containers this binary starts run as.
func probeInit() initexec.Status {
	exe, err := os.Executable()
	if err != nil {
		return initexec.Status{Reason: "cgrun's own binary cannot be found: " + err.Error()}
	}
	return initexec.Check(exe)
}

// checkCommand prints what this host supports, flag by flag, in the
// wording `cgrun run` uses when it refuses a flag.
func checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "print what this host supports: cgroup mode, controllers, swap accounting, bfq, Alibaba knobs, iSCSI, multipath, thin volumes, flag by flag",
		Flags: []cli.Flag{
			formatFlag("output format: table or json"),
		},
		Action: func(c *cli.Context) error {
			asJSON, err := jsonFormat(c)
			if err != nil {
				return err
			}
			host, err := cgroup.Probe()
			if err != nil {
				return fmt.Errorf("check: %w", err)
			}
			rep := checkReport{Host: host, Security: probeSecurity(), Init: probeInit(), Registry: probeRegistry(), Flags: flagSupports(host)}
			if asJSON {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return writeCheckTable(c.App.Writer, rep)
		},
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func writeCheckTable(out io.Writer, rep checkReport) error {
	h := rep.Host
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "kernel\t%s\n", h.Kernel)
	mode := string(h.Mode)
	if h.Unified != "" && h.Mode == cgroup.ModeHybrid {
		ctl := strings.Join(h.UnifiedControllers, " ")
		if ctl == "" {
			ctl = "none"
		}
		mode += fmt.Sprintf(" (v1 controllers; cgroup2 at %s, its controllers: %s)", h.Unified, ctl)
	}
	fmt.Fprintf(w, "cgroup mode\t%s\n", mode)
	ctls := make([]string, 0, len(h.Controllers))
	for c := range h.Controllers {
		ctls = append(ctls, c)
	}
	slices.Sort(ctls)
	fmt.Fprintf(w, "controllers\t%s\n", strings.Join(ctls, " "))
	fmt.Fprintf(w, "swap accounting\t%s\n", yesNo(h.SwapAccounting))
	iscsi := yesNo(h.ISCSI.Usable)
	if !h.ISCSI.Usable {
		iscsi += ": " + h.ISCSI.Reason
	}
	fmt.Fprintf(w, "iSCSI initiator\t%s\n", iscsi)
	mp := yesNo(h.Multipath.Usable)
	if !h.Multipath.Usable {
		mp += ": " + h.Multipath.Reason
	}
	fmt.Fprintf(w, "iSCSI multipath\t%s\n", mp)
	thin := yesNo(h.Thin.Usable)
	if !h.Thin.Usable {
		thin += ": " + h.Thin.Reason
	}
	fmt.Fprintf(w, "thin volumes\t%s\n", thin)
	for _, k := range cgroup.AlibabaKnobs {
		fmt.Fprintf(w, "Alibaba knob %s\t%s\n", k, yesNo(h.Files[k]))
	}
	for _, d := range h.BlockDevices {
		bfq := "bfq not available"
		switch {
		case d.BFQActive:
			bfq = "bfq active"
		case d.BFQAvailable:
			bfq = "bfq available"
		}
		if why := d.WeightReason(); why != "" {
			bfq += "; --blkio-weight-device refused: " + why
		}
		fmt.Fprintf(w, "block device %s\t%s scheduler %s, %s\n", d.Name, d.MajMin, d.Scheduler, bfq)
	}
	sec := rep.Security
	seccompLine := "not compiled in (libcontainer's seccomp build tag)"
	if sec.SeccompCompiledIn {
		seccompLine = "compiled in (libseccomp " + sec.Libseccomp + ")"
	}
	seccompLine += "; kernel filters: " + yesNo(sec.SeccompFilters)
	if !sec.SeccompFilters {
		seccompLine += " (" + spec.SeccompUnsupported + ")"
	}
	fmt.Fprintf(w, "seccomp\t%s\n", seccompLine)
	if in := rep.Init; in.Used {
		fmt.Fprintf(w, "containers' init\t%s (sealed: %s; %s)\n", in.Binary, in.Sealing, in.Protocol)
	} else {
		fmt.Fprintf(w, "containers' init\tcgrun's own binary (slower starts): %s: %s\n", in.Binary, in.Reason)
	}
	switch reg := rep.Registry; {
	case !reg.Usable:
		fmt.Fprintf(w, "registries\tno: %s\n", reg.Reason)
	case reg.Binary != "":
		fmt.Fprintf(w, "registries\t%s\n", reg.Binary)
	default:
		fmt.Fprintf(w, "registries\tcgrun's own binary\n")
	}
	apparmor := yesNo(sec.AppArmor)
	if !sec.AppArmor {
		apparmor += ": " + sec.AppArmorReason + "; --security-opt apparmor=PROFILE refused"
	}
	fmt.Fprintf(w, "AppArmor\t%s\n", apparmor)
	for _, n := range h.Notes {
		fmt.Fprintf(w, "note\t%s\n", n)
	}
	fmt.Fprintf(w, "\nFLAG\tSUPPORTED\tFILE / REASON\n")
	for _, f := range rep.Flags {
		detail := f.File
		if !f.Supported {
			detail = f.Reason
		} else if f.Note != "" {
			detail += " (" + f.Note + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", f.Flag, yesNo(f.Supported), detail)
	}
	return w.Flush()
}
