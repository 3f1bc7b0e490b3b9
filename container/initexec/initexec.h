#ifndef CGRUN_INITEXEC_H
#define CGRUN_INITEXEC_H

// The libcontainer release whose runner-to-init protocol (the bootstrap
// data nsexec reads, the init's config and sync messages) a container's
// init speaks. A runner and a small init binary built from different
// releases must not meet: the init binary compares this with what the
// runner's binary wrote in CGRUN_INITEXEC_PROTO_ENV. A test keeps it equal
// to go.mod's version of github.com/opencontainers/runc.
#ifndef CGRUN_INITEXEC_PROTO
#define CGRUN_INITEXEC_PROTO "libcontainer v1.5.2"
// cgrun_initexec_check makes the checks and the sealed view the
// constructor makes for a runner binary at exe: 0 and how it is sealed
// ("overlayfs", "memfd") when the init binary beside it would run, else -1
// and why not.
int cgrun_initexec_check(const char *exe, const char **why, const char **how);

#endif

// The small init binary's name, looked up beside the runner's binary.
#define CGRUN_INITEXEC_NAME "cgrun-init"

// Environment between the two binaries (gone before nsexec runs).
#define CGRUN_INITEXEC_PROTO_ENV "_CGRUN_INIT_PROTO" // the runner binary's protocol
#define CGRUN_INITEXEC_BACK_ENV "_CGRUN_INIT_BACK"   // the runner binary, to go back to
#define CGRUN_INITEXEC_STAY_ENV "_CGRUN_INIT_STAY"   // run the init here, no redirect

// cgrun_initexec_check makes the checks and the sealed view the
// constructor makes for a runner binary at exe: 0 and how it is sealed
// ("overlayfs", "memfd") when the init binary beside it would run, else -1
// and why not.
int cgrun_initexec_check(const char *exe, const char **why, const char **how);

#endif
