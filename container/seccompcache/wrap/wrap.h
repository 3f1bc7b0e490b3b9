#ifndef CGRUN_SECCOMP_WRAP_H
#define CGRUN_SECCOMP_WRAP_H

// Where the runner hands the init its compiled filter: a sealed memfd of
// this name, open in the runner while the init starts (see package
// seccompcache, which writes it).
#define CGRUN_SECCOMP_MEMFD "cgrun-seccomp"

// cgrun_seccomp_record_to makes the next export of a filter write a cache
// entry (its transcript and libseccomp's program) to fd and fail with
// -ECANCELED instead: the filter is compiled, never loaded.
void cgrun_seccomp_record_to(int fd);
// cgrun_seccomp_recorded: 1 once an entry was written, -errno when writing
// it failed, 0 before.
int cgrun_seccomp_recorded(void);
// cgrun_seccomp_used: 1 when an export was served from the runner's entry.
int cgrun_seccomp_used(void);
// cgrun_seccomp_preload reads the runner's entry (the constructor does,
// for a container's init); for tests, from the process whose fds hold it.
void cgrun_seccomp_preload(int pid);

#endif
