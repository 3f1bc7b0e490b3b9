// The supervisor: a small C process, made by a fork before the Go runtime
// starts, that is the parent of the process that runs a container (cgrun
// run, a detached container's monitor) and a child subreaper, so the
// container's init becomes its child when that process dies. It then
// reaps the init (its exit code is not lost) and starts an adopter
// (PROGRAM cgrun-monitor ROOT ID) that records the exit, releases what the
// container held and honours --rm and the restart policy, as conmon's exit
// command does for Podman. It keeps open what the adopter needs (the log
// pipes, the console master), forwards the signals sent to it, and exits
// as its child exits, so a caller (a shell, a test) sees cgrun's own exit.
// It runs no Go: a few pages of memory, no threads.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"

int cgrun_shim_fd = -1;

#define MAX_KEPT 8
#define MAX_EXITS 64
// An adopter that dies is replaced; one that keeps dying is given up.
#define MAX_ADOPTERS 8

extern char **environ;

struct kept {
	char tag[32];
	int fd;
};

static struct {
	pid_t child; // the supervised process (cgrun, the monitor, an adopter)
	int ctl;     // this end of its socket, -1 once it is gone
	int sfd;     // signalfd
	const char *argv0;
	char root[PATH_MAX];
	char id[256];
	int have_id;
	struct kept kept[MAX_KEPT];
	int nkept;
	struct cgrun_shim_exit exits[MAX_EXITS]; // a ring: the latest ends
	int nexits;
	int adopters;
	sigset_t oldmask;
} S;

static void say(const char *msg)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "cgrun: supervisor%s%s: %s\n", S.have_id ? " of " : "",
			 S.have_id ? S.id : "", msg);
	if (n > 0)
		(void)!write(2, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

// The signals the supervisor takes through its signalfd: all but those
// that cannot be caught and those a fault raises synchronously.
static void handled_signals(sigset_t *set)
{
	sigfillset(set);
	sigdelset(set, SIGKILL);
	sigdelset(set, SIGSTOP);
	sigdelset(set, SIGSEGV);
	sigdelset(set, SIGBUS);
	sigdelset(set, SIGFPE);
	sigdelset(set, SIGILL);
	sigdelset(set, SIGTRAP);
	sigdelset(set, SIGSYS);
	sigdelset(set, SIGABRT);
}

static void close_range_fds(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
	for (unsigned fd = lo; fd <= hi && fd < 4096; fd++)
		close((int)fd);
}

// Everything from fd 3 on but keep1 and keep2 is the child's business (the
// monitor's start report, a log file): the supervisor holds none of it, so
// whoever reads them sees their end when the child closes them.
static void close_inherited(int keep1, int keep2)
{
	int a = keep1 < keep2 ? keep1 : keep2, b = keep1 < keep2 ? keep2 : keep1;
	close_range_fds(3, (unsigned)a - 1);
	close_range_fds((unsigned)a + 1, (unsigned)b - 1);
	close_range_fds((unsigned)b + 1, ~0U);
}

static void drop_kept(void)
{
	for (int i = 0; i < S.nkept; i++)
		close(S.kept[i].fd);
	S.nkept = 0;
}

static void keep(const char *tag, int fd)
{
	for (int i = 0; i < S.nkept; i++) {
		if (!strcmp(S.kept[i].tag, tag)) {
			close(S.kept[i].fd);
			S.kept[i].fd = fd;
			return;
		}
	}
	if (S.nkept == MAX_KEPT || strlen(tag) >= sizeof(S.kept[0].tag) || strpbrk(tag, ",=")) {
		close(fd);
		return;
	}
	snprintf(S.kept[S.nkept].tag, sizeof(S.kept[0].tag), "%s", tag);
	S.kept[S.nkept].fd = fd;
	S.nkept++;
}

// on_ctl reads one message of the child; 0 when there is none (or the
// socket is gone).
static int on_ctl(void)
{
	char buf[PATH_MAX + 512];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
	struct msghdr mh = {0};
	if (S.ctl < 0)
		return 0;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	ssize_t n = recvmsg(S.ctl, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) { // the child closed its end: it died, or it is done with us
		close(S.ctl);
		S.ctl = -1;
		return 0;
	}
	buf[n] = '\0';
	int fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	}
	switch (buf[0]) {
	case CGRUN_SHIM_ANNOUNCE: {
		const char *root = buf + 1;
		size_t rl = strnlen(root, (size_t)n - 1);
		if (rl + 2 >= (size_t)n)
			break;
		const char *id = root + rl + 1;
		if (rl >= sizeof(S.root) || strnlen(id, (size_t)n - rl - 2) >= sizeof(S.id))
			break;
		memcpy(S.root, root, rl + 1);
		snprintf(S.id, sizeof(S.id), "%s", id);
		S.have_id = 1;
		break;
	}
	case CGRUN_SHIM_KEEP:
		if (fd >= 0) {
			keep(buf + 1, fd);
			fd = -1;
		}
		break;
	case CGRUN_SHIM_DONE:
		S.have_id = 0;
		drop_kept();
		break;
	}
	if (fd >= 0)
		close(fd);
	return 1;
}

static void send_exit(const struct cgrun_shim_exit *e)
{
	if (S.ctl >= 0)
		(void)send(S.ctl, e, sizeof(*e), MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void record_exit(pid_t pid, int status)
{
	struct cgrun_shim_exit e = {.kind = CGRUN_SHIM_EXIT, .pid = pid, .status = status};
	if (S.nexits == MAX_EXITS) {
		memmove(S.exits, S.exits + 1, sizeof(e) * (MAX_EXITS - 1));
		S.nexits--;
	}
	S.exits[S.nexits++] = e;
	send_exit(&e);
}

// finish ends the supervisor as its child ended: the same exit code, or
// the same signal (so a shell reports "Killed" for a SIGKILLed cgrun).
static void finish(int status)
{
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	int sig = WTERMSIG(status);
	switch (sig) {
	case SIGHUP: case SIGINT: case SIGKILL: case SIGPIPE: case SIGALRM: case SIGTERM: case SIGUSR1: case SIGUSR2: {
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, sig);
		signal(sig, SIG_DFL);
		kill(getpid(), sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		break;
	}
	}
	_exit(128 + sig);
}

static char **adopter_env(const char *var)
{
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **env = calloc(n + 2, sizeof(char *));
	if (!env)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(environ[i], CGRUN_SHIM_ENV "=", sizeof(CGRUN_SHIM_ENV)))
			env[j++] = environ[i];
	}
	env[j++] = (char *)var;
	env[j] = NULL;
	return env;
}

// adopt starts the next supervised process for the container:
// `ARGV0 cgrun-monitor ROOT ID` with the socket and the kept descriptors
// in CGRUN_SHIM_ENV, and sends it every exit reaped so far.
static void adopt(void)
{
	if (++S.adopters > MAX_ADOPTERS) {
		say("its adopters keep dying; giving up (cgrun rm releases it)");
		_exit(125);
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		say("socketpair failed; giving up (cgrun rm releases it)");
		_exit(125);
	}
	char var[sizeof(CGRUN_SHIM_ENV) + 16 + MAX_KEPT * 48];
	int off = snprintf(var, sizeof(var), "%s=ctl=%d", CGRUN_SHIM_ENV, sv[1]);
	for (int i = 0; i < S.nkept && off > 0 && (size_t)off < sizeof(var); i++)
		off += snprintf(var + off, sizeof(var) - (size_t)off, ",%s=%d", S.kept[i].tag, S.kept[i].fd);
	pid_t pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &S.oldmask, NULL);
		fcntl(sv[1], F_SETFD, 0);
		for (int i = 0; i < S.nkept; i++)
			fcntl(S.kept[i].fd, F_SETFD, 0);
		char *argv[] = {(char *)S.argv0, CGRUN_SHIM_MONITOR_ARG, S.root, S.id, NULL};
		char **env = adopter_env(var);
		if (env) {
			// by its path, so the adopter is named as the program is;
			// /proc/self/exe when the file was replaced meanwhile
			char self[PATH_MAX];
			ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
			if (n > 0) {
				self[n] = '\0';
				execve(self, argv, env);
			}
			execve("/proc/self/exe", argv, env);
		}
		_exit(127);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		say("fork failed; giving up (cgrun rm releases it)");
		_exit(125);
	}
	S.child = pid;
	S.ctl = sv[0];
	for (int i = 0; i < S.nexits; i++)
		send_exit(&S.exits[i]);
	char ready = CGRUN_SHIM_READY;
	(void)send(S.ctl, &ready, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void child_ended(int status)
{
	while (on_ctl()) // a last message (done) sent before it exited
		;
	if (S.ctl >= 0) {
		close(S.ctl);
		S.ctl = -1;
	}
	S.child = 0;
	if (!S.have_id)
		finish(status);
	adopt();
}

// A foreground cgrun stopped by the terminal (^Z) stops its supervisor
// too, so the shell sees its job stop; SIGCONT is passed back on.
static void child_stopped(void)
{
	if (getsid(0) != getpid())
		kill(getpid(), SIGSTOP);
}

static void reap(void)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG | WUNTRACED | WCONTINUED)) > 0) {
		if (p == S.child) {
			if (WIFSTOPPED(st)) {
				int sig = WSTOPSIG(st);
				if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
					child_stopped();
			}
			else if (!WIFCONTINUED(st))
				child_ended(st);
		} else if (WIFEXITED(st) || WIFSIGNALED(st)) {
			record_exit(p, st);
		}
	}
}

static void on_signal(void)
{
	struct signalfd_siginfo si;
	while (read(S.sfd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD) {
			reap();
		} else if (sig == SIGCONT) {
			if (S.child > 0)
				kill(S.child, SIGCONT);
		} else if (sig == SIGPIPE) {
		} else if (si.ssi_code == SI_USER || si.ssi_code == SI_QUEUE || si.ssi_code == SI_TKILL) {
			// sent to the supervisor (kill PID): the supervised process
			// forwards it to the container; a terminal's signals went to
			// the whole foreground group already
			if (S.child > 0)
				kill(S.child, sig);
		}
	}
}

static void supervise(pid_t child, int ctl, const char *argv0, const char *root, const char *id, const sigset_t *handled)
{
	S.child = child;
	S.ctl = ctl;
	S.argv0 = argv0;
	if (root && id && strlen(root) < sizeof(S.root) && strlen(id) < sizeof(S.id)) {
		snprintf(S.root, sizeof(S.root), "%s", root);
		snprintf(S.id, sizeof(S.id), "%s", id);
		S.have_id = 1;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	prctl(PR_SET_NAME, "cgrun-shim", 0, 0, 0);
	S.sfd = signalfd(-1, handled, SFD_CLOEXEC | SFD_NONBLOCK);
	if (S.sfd < 0) {
		// no signalfd: the supervisor cannot wait; become the child's
		// plain parent that mirrors its exit
		int st;
		while (waitpid(child, &st, 0) < 0 && errno == EINTR)
			;
		finish(st);
	}
	close_inherited(S.ctl, S.sfd);
	reap(); // a child that ended before the signalfd existed
	for (;;) {
		struct pollfd fds[2] = {{.fd = S.sfd, .events = POLLIN}, {.fd = S.ctl, .events = POLLIN}};
		int n = poll(fds, S.ctl >= 0 ? 2 : 1, -1);
		if (n < 0) {
			if (errno != EINTR)
				_exit(125);
			continue;
		}
		if (S.ctl >= 0 && fds[1].revents)
			while (on_ctl())
				;
		if (fds[0].revents)
			on_signal();
	}
}

void cgrun_shim_start(const char *argv0, const char *root, const char *id)
{
	int sv[2];
	sigset_t handled, old;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	handled_signals(&handled);
	// Blocked before the fork, so the child's end (SIGCHLD) cannot come
	// before the signalfd exists.
	sigprocmask(SIG_BLOCK, &handled, &old);
	pid_t pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(sv[0]);
		cgrun_shim_fd = sv[1];
		return;
	}
	close(sv[1]);
	S.oldmask = old;
	supervise(pid, sv[0], argv0, root, id, &handled);
}

int cgrun_shim_wanted(int argc, char **argv)
{
	return argc == 4 && argv && argv[1] && !strcmp(argv[1], CGRUN_SHIM_MONITOR_ARG) && !getenv(CGRUN_SHIM_ENV);
}

// A detached container's monitor gets its supervisor first thing, before
// any other constructor (cgrun's head start) runs.
__attribute__((constructor(101))) static void cgrun_shim_init(int argc, char **argv, char **envp)
{
	(void)envp;
	if (cgrun_shim_wanted(argc, argv))
		cgrun_shim_start(argv[0], argv[2], argv[3]);
}
