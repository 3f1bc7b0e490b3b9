#ifndef CGRUN_SHIM_H
#define CGRUN_SHIM_H

// The environment variable an adopter finds its supervisor's socket and
// the kept descriptors in: "ctl=FD[,TAG=FD...]".
#define CGRUN_SHIM_ENV "_CGRUN_SHIM"

// The first argument of a detached container's monitor (runner.MonitorArg):
// `PROGRAM cgrun-monitor ROOT ID`. An adopter is started the same way.
#define CGRUN_SHIM_MONITOR_ARG "cgrun-monitor"

// The first argument of a keeper: what a monitor that handed its container
// off to the supervisor execs into, to stay the parent of the container's
// init in a few pages of C (shim.c, keeper):
// `PROGRAM cgrun-keeper INITPID EXITFILE CTLFD OWNERFD LOGDIR MAXSIZE MAXFILE OUTFD ERRFD`.
#define CGRUN_SHIM_KEEPER_ARG "cgrun-keeper"
#define CGRUN_SHIM_KEEPER_ARGC 11

// Messages on the supervisor's socket (SOCK_SEQPACKET), one per packet.
// From the supervised process:
//   'A' ROOT '\0' ID '\0'  the container it runs: adopt it if I die
//   'K' TAG '\0'           keep the descriptor passed along (SCM_RIGHTS)
//                          open across my death, under TAG (replacing one)
//   'D'                    done: nothing of mine is left to adopt
//   'H' PID '\0' LOGDIR '\0' MAXSIZE '\0' MAXFILE '\0'
//                          handoff: the container runs (its init is PID);
//                          I leave. Write its output (the descriptors kept
//                          as "out" and "err") into LOGDIR/json.log as
//                          Docker's json-file does, rotated at MAXSIZE
//                          bytes (0: never) into MAXFILE files (LOGDIR
//                          empty: drop it), and adopt it once PID ends
//   'E' pid status         the keeper reaped the container's init
//                          (struct cgrun_shim_exit, kind 'E')
// To it (an adopter):
//   'X' pid status         a descendant that ended (struct cgrun_shim_exit)
//   'R'                    every exit reaped before this adopter started sent
enum {
	CGRUN_SHIM_ANNOUNCE = 'A',
	CGRUN_SHIM_KEEP = 'K',
	CGRUN_SHIM_DONE = 'D',
	CGRUN_SHIM_HANDOFF = 'H',
	CGRUN_SHIM_KEEPER_EXIT = 'E',
	CGRUN_SHIM_EXIT = 'X',
	CGRUN_SHIM_READY = 'R',
};

struct cgrun_shim_exit {
	char kind; // CGRUN_SHIM_EXIT
	char pad[3];
	int pid;
	int status; // as waitpid(2) returns it
};

// This process's end of its supervisor's socket when the constructor made
// one (the supervised child of a fork), else -1; an adopter finds it in
// CGRUN_SHIM_ENV.
extern int cgrun_shim_fd;

// cgrun_shim_start forks: the child returns (and goes on into the Go
// runtime) with cgrun_shim_fd set; the parent becomes the supervisor and
// never returns. root and id may be NULL: the child announces them later.
// argv0 is what an adopter is started as. On an error before the fork it
// returns without a supervisor (cgrun_shim_fd stays -1).
void cgrun_shim_start(const char *argv0, const char *root, const char *id);

// cgrun_shim_wanted reports whether a process started with this argv and
// environment should get a supervisor: a monitor's command line
// (PROGRAM cgrun-monitor ROOT ID) that is not already an adopter.
int cgrun_shim_wanted(int argc, char **argv);

#endif
