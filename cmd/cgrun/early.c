// cgrun's head start on a container start's cgroup attach (package
// cgroup/warm): a constructor starts one before the Go runtime starts, the
// earliest a cgrun process can, when its command line starts a container.
// It lives here, in cgrun's own binary: a program that imports cgrun's
// packages gets no constructor that reads its argv.

#include <string.h>

#include "early.h"
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
			if (!strcmp(a, CGRUN_MONITOR_ARG))
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

// glibc hands constructors the program's arguments.
__attribute__((constructor)) static void cgrun_early(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argv && cgrun_cmd_attaches(cgrun_command(argc, argv)))
		cgrun_warm_spawn();
}
