// cgrun's head start on a container start's cgroup attach (package
// cgroup/warm): a constructor starts one before the Go runtime starts, the
// earliest a cgrun process can, when its command line starts a container.
// It lives here, in cgrun's own binary: a program that imports cgrun's
// packages gets no constructor that reads its argv.

#include <stdlib.h>
#include <string.h>

#include "early.h"
#include "shim.h"
#include "warm.h"

int cgrun_command(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-') {
			if (!strcmp(a, "run"))
				return CGRUN_CMD_RUN;
			if (!strcmp(a, "exec"))
				return CGRUN_CMD_EXEC;
			if (!strcmp(a, CGRUN_SHIM_MONITOR_ARG))
				return CGRUN_CMD_MONITOR;
			if (!strcmp(a, "update"))
				return CGRUN_CMD_UPDATE;
			return 0;
		}
		while (*a == '-')
			a++;
		if (!strcmp(a, "root") || !strcmp(a, "image-store") || !strcmp(a, "cni-config-dir") ||
		    !strcmp(a, "cni-plugin-dir") || !strcmp(a, "cni-state-dir"))
			i++; // a global flag's value
	}
	return 0;
}

int cgrun_cmd_attaches(int cmd)
{
	return cmd == CGRUN_CMD_RUN || cmd == CGRUN_CMD_EXEC || cmd == CGRUN_CMD_MONITOR;
}

// glibc hands constructors the program's arguments. `cgrun run` gets its
// supervisor first (package shim: a fork, the parent supervises), so that
// everything after, the head start included, happens in the supervised
// child. A monitor got its supervisor from the shim's own constructor.
__attribute__((constructor)) static void cgrun_early(int argc, char **argv, char **envp)
{
	(void)envp;
	if (!argv)
		return;
	int cmd = cgrun_command(argc, argv);
	if (cmd == CGRUN_CMD_RUN && !getenv(CGRUN_SHIM_ENV))
		cgrun_shim_start(argv[0], NULL, NULL);
	if (cgrun_cmd_attaches(cmd))
		cgrun_warm_spawn();
}
