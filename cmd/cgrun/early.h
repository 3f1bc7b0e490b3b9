#ifndef CGRUN_EARLY_H
#define CGRUN_EARLY_H

enum { CGRUN_CMD_RUN = 1, CGRUN_CMD_EXEC, CGRUN_CMD_MONITOR, CGRUN_CMD_UPDATE };

// cgrun_command tells which of the commands that work on a container's
// cgroups cgrun's argv runs: the first argument that is not a flag (the
// values of --root and --image-store skipped) is run, exec, update or the
// monitor's argument (one of CGRUN_CMD_*), else 0. The values of the
// global flags (--root, --image-store, --cni-*) are skipped.
int cgrun_command(int argc, char **argv);

// cgrun_cmd_attaches reports whether command cmd puts a process into a
// container's cgroups (run, exec, the monitor): the commands the
// constructor starts the head-start write for.
int cgrun_cmd_attaches(int cmd);

#endif
