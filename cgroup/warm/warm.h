#ifndef CGRUN_WARM_H
#define CGRUN_WARM_H

#include <stddef.h>

// cgrun_own_procs_files writes to out, one per line, the cgroup.procs
// files of the cgroups in self (/proc/self/cgroup's content) at their
// usual mount points, v1 hierarchies first, without reading mountinfo: a
// file that is not there is skipped.
void cgrun_own_procs_files(const char *self, char *out, size_t outlen);

// cgrun_warm_spawn starts a detached thread that writes this process's PID
// into the first of those files that takes it. 0, or pthread's error.
int cgrun_warm_spawn(void);

#endif
