#ifndef CGRUN_WARM_EARLY_H
#define CGRUN_WARM_EARLY_H

#include <stddef.h>

enum { CGRUN_CMD_RUN = 1, CGRUN_CMD_EXEC, CGRUN_CMD_MONITOR, CGRUN_CMD_UPDATE };

// cgrun_command tells which of the commands that work on a container's
// cgroups cgrun's argv runs: the first argument that is not a flag (the
// values of --root and --image-store skipped) is run, exec, monitor or
// update (one of CGRUN_CMD_*), else 0.
int cgrun_command(int argc, char **argv);

// cgrun_cmd_attaches reports whether command cmd puts a process into a
// container's cgroups (run, exec, the monitor): the commands the
// constructor starts the head-start write for.
int cgrun_cmd_attaches(int cmd);

// cgrun_own_procs_files writes to out, one per line, the cgroup.procs
// files of the cgroups in self (/proc/self/cgroup's content) at their
// usual mount points, v1 hierarchies first, without reading mountinfo: a
// file that is not there is skipped.
void cgrun_own_procs_files(const char *self, char *out, size_t outlen);

// cgrun_warm_spawn starts a detached thread that writes this process's PID
// into the first of those files that takes it. 0, or pthread's error.
int cgrun_warm_spawn(void);

#endif
