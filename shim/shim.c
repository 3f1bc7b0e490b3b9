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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
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
	// After a handoff the supervised process is gone on purpose: the
	// supervisor writes the container's log and adopts it when its init
	// (pid init) ends, once the output is drained (until drain_end).
	int handoff;
	pid_t init;
	int init_ended;
	struct timespec drain_end;
} S;

// The log of a handed-off container: Docker's json-file, as package logs
// writes it (logs/writer.go): one entry per line, lines split at 16 KiB,
// json.log rotated to json.log.1 ... json.log.(max_file-1) before an entry
// would take it past max_size. A full disk drops entries; the container
// never blocks on its log.
#define LOG_LINE (16 << 10)
// How long the output of a handed-off container that ended may take to
// reach its end (a process left outside its PID namespace may hold the
// pipes) before the adopter takes over (runner's sinkDrain).
#define DRAIN_SECONDS 2
#define LOG_NAME "json.log"

static struct {
	int on;
	char dir[PATH_MAX];
	long long max_size;
	int max_file;
	int fd; // -1: closed (a rotation or an open that failed: retried)
	long long size;
} L = {.fd = -1};

struct source {
	int fd; // a kept descriptor (not ours to close), -1 when done
	const char *stream;
	size_t len;
	char line[LOG_LINE];
};

static struct source src[2] = {{.fd = -1, .stream = "stdout"}, {.fd = -1, .stream = "stderr"}};

static void record_exit(pid_t pid, int status);

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

static int kept_fd(const char *tag)
{
	for (int i = 0; i < S.nkept; i++) {
		if (!strcmp(S.kept[i].tag, tag))
			return S.kept[i].fd;
	}
	return -1;
}

static void log_open(void)
{
	char path[PATH_MAX + sizeof(LOG_NAME) + 1];
	snprintf(path, sizeof(path), "%s/%s", L.dir, LOG_NAME);
	L.fd = open(path, O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
	L.size = 0;
	struct stat st;
	if (L.fd >= 0 && fstat(L.fd, &st) == 0)
		L.size = st.st_size;
}

static void log_rotate(void)
{
	char cur[PATH_MAX + sizeof(LOG_NAME) + 1], from[sizeof(cur) + 16], to[sizeof(cur) + 16];
	close(L.fd);
	L.fd = -1;
	snprintf(cur, sizeof(cur), "%s/%s", L.dir, LOG_NAME);
	if (L.max_file <= 1) {
		unlink(cur);
	} else {
		for (int i = L.max_file - 1; i >= 1; i--) {
			if (i > 1)
				snprintf(from, sizeof(from), "%s.%d", cur, i - 1);
			else
				snprintf(from, sizeof(from), "%s", cur);
			snprintf(to, sizeof(to), "%s.%d", cur, i);
			if (rename(from, to) < 0 && errno != ENOENT)
				return; // json.log stays closed: the next entry tries again
		}
	}
	log_open();
}

// utf8_len is the length of the valid UTF-8 sequence at p (n bytes left),
// 0 when it is not one.
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned min;
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

// log_entry appends one entry of text (n bytes) from stream, escaped as
// encoding/json does (invalid UTF-8 as U+FFFD).
static void log_entry(const char *stream, const char *text, size_t n)
{
	static char b[LOG_LINE * 6 + 128];
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	o += (size_t)snprintf(b, sizeof(b), "{\"log\":\"");
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)text[i];
		size_t l = utf8_len((const unsigned char *)text + i, n - i);
		if (l == 0) {
			memcpy(b + o, "\\ufffd", 6);
			o += 6;
			i++;
			continue;
		}
		if (l > 1) {
			memcpy(b + o, text + i, l);
			o += l;
			i += l;
			continue;
		}
		i++;
		switch (c) {
		case '"': b[o++] = '\\'; b[o++] = '"'; break;
		case '\\': b[o++] = '\\'; b[o++] = '\\'; break;
		case '\n': b[o++] = '\\'; b[o++] = 'n'; break;
		case '\r': b[o++] = '\\'; b[o++] = 'r'; break;
		case '\t': b[o++] = '\\'; b[o++] = 't'; break;
		case '<': case '>': case '&':
			memcpy(b + o, "\\u00", 4);
			o += 4;
			b[o++] = hex[c >> 4];
			b[o++] = hex[c & 15];
			break;
		default:
			if (c < 0x20) {
				memcpy(b + o, "\\u00", 4);
				o += 4;
				b[o++] = hex[c >> 4];
				b[o++] = hex[c & 15];
			} else {
				b[o++] = (char)c;
			}
		}
	}
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	o += (size_t)snprintf(b + o, sizeof(b) - o, "\",\"stream\":\"%s\",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ\"}\n",
			      stream, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
	if (L.fd < 0)
		log_open();
	if (L.fd >= 0 && L.max_size > 0 && L.size > 0 && L.size + (long long)o > L.max_size)
		log_rotate();
	if (L.fd < 0)
		return; // dropped
	ssize_t w = write(L.fd, b, o);
	if (w > 0 && (size_t)w < o) {
		// no torn entry: the file ends at the last whole line
		if (ftruncate(L.fd, L.size) == 0)
			w = 0;
	}
	if (w > 0)
		L.size += w;
}

// log_read copies what source s has into the log, one entry per line; at
// its end (EOF, or EIO from a terminal) the last partial line goes too.
static void log_read(struct source *s)
{
	char buf[32 << 10];
	ssize_t n = read(s->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (s->len > 0 && L.on)
			log_entry(s->stream, s->line, s->len);
		s->len = 0;
		s->fd = -1;
		return;
	}
	if (!L.on)
		return; // driver none: read and dropped
	for (ssize_t i = 0; i < n; i++) {
		s->line[s->len++] = buf[i];
		if (buf[i] == '\n' || s->len == LOG_LINE) {
			log_entry(s->stream, s->line, s->len);
			s->len = 0;
		}
	}
}

static int sources_open(void)
{
	return src[0].fd >= 0 || src[1].fd >= 0;
}

// log_stop ends the supervisor's copy: the adopter goes on with what the
// kept descriptors still hold.
static void log_stop(void)
{
	for (int i = 0; i < 2; i++) {
		if (src[i].len > 0 && L.on)
			log_entry(src[i].stream, src[i].line, src[i].len);
		src[i].len = 0;
		src[i].fd = -1;
	}
	if (L.fd >= 0)
		close(L.fd);
	L.fd = -1;
	L.on = 0;
}

// on_handoff takes over a running container from the process that
// started it: "PID\0LOGDIR\0MAXSIZE\0MAXFILE\0".
static void on_handoff(const char *p, size_t n)
{
	const char *f[4];
	size_t off = 0;
	for (int i = 0; i < 4; i++) {
		if (off >= n)
			return;
		f[i] = p + off;
		off += strnlen(p + off, n - off) + 1;
	}
	if (off > n || !S.have_id)
		return;
	S.init = (pid_t)atoi(f[0]);
	if (S.init <= 0)
		return;
	S.handoff = 1;
	if (f[1][0] && strlen(f[1]) < sizeof(L.dir)) {
		snprintf(L.dir, sizeof(L.dir), "%s", f[1]);
		L.max_size = atoll(f[2]);
		L.max_file = atoi(f[3]);
		L.on = 1;
	}
	src[0].fd = kept_fd("out");
	src[1].fd = kept_fd("err");
	if (src[0].fd < 0)
		src[0].fd = kept_fd("console"); // a terminal: all of it is stdout
	for (int i = 0; i < 2; i++) {
		if (src[i].fd >= 0)
			fcntl(src[i].fd, F_SETFL, fcntl(src[i].fd, F_GETFL) | O_NONBLOCK);
	}
	for (int i = 0; i < S.nexits; i++) {
		if (S.exits[i].pid == S.init && !S.init_ended) {
			S.init_ended = 1;
			clock_gettime(CLOCK_MONOTONIC, &S.drain_end);
			S.drain_end.tv_sec += DRAIN_SECONDS;
		}
	}
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
	case CGRUN_SHIM_HANDOFF:
		on_handoff(buf + 1, (size_t)n - 1);
		break;
	case CGRUN_SHIM_KEEPER_EXIT: {
		struct cgrun_shim_exit e;
		if ((size_t)n >= sizeof(e)) {
			memcpy(&e, buf, sizeof(e));
			record_exit(e.pid, e.status);
		}
		break;
	}
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
	if (S.handoff && pid == S.init && !S.init_ended) {
		S.init_ended = 1;
		clock_gettime(CLOCK_MONOTONIC, &S.drain_end);
		S.drain_end.tv_sec += DRAIN_SECONDS;
	}
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
	if (S.handoff)
		return; // the container runs on: adopted once its init ends
	adopt();
}

// drain_wait is how long the main loop may wait for output before a
// handed-off container whose init ended must be adopted (-1: no bound).
static int drain_wait(void)
{
	if (!S.handoff || !S.init_ended || S.child > 0)
		return -1;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (S.drain_end.tv_sec - now.tv_sec) * 1000LL + (S.drain_end.tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 || !sources_open() ? 0 : (int)ms;
}

// maybe_adopt starts the adopter of a handed-off container once its init
// ended and its output is drained (or the drain's time is up).
static void maybe_adopt(void)
{
	if (!S.handoff || !S.init_ended || S.child > 0 || drain_wait() > 0)
		return;
	log_stop();
	S.handoff = 0;
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
		// signals, the child's socket, and a handed-off container's output
		struct pollfd fds[4] = {{.fd = S.sfd, .events = POLLIN}, {.fd = S.ctl, .events = POLLIN},
					{.fd = S.handoff ? src[0].fd : -1, .events = POLLIN},
					{.fd = S.handoff ? src[1].fd : -1, .events = POLLIN}};
		int n = poll(fds, 4, drain_wait());
		if (n < 0) {
			if (errno != EINTR)
				_exit(125);
			continue;
		}
		if (S.ctl >= 0 && fds[1].revents)
			while (on_ctl())
				;
		for (int i = 0; i < 2; i++) {
			if (fds[2 + i].fd >= 0 && fds[2 + i].revents)
				log_read(&src[i]);
		}
		if (fds[0].revents)
			on_signal();
		maybe_adopt();
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


// The keeper: a monitor that handed its running container off to the
// supervisor execs into it (the same binary, stopped here before the Go
// runtime starts), so the container's init keeps a parent that waits for
// it: two processes of a few pages each, as the monitor and the
// supervisor were, and either may die alone without the exit being lost.
// It holds the owner lock (the container is tended while it lives), reaps
// the init, writes its wait status to EXITFILE (which a reconcile records
// when nobody else did) and tells the supervisor; it copies the output
// into the log only once the supervisor is gone.
static void close_all_but(const int *keep, int nkeep)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int dfd = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (fd < 3 || fd == dfd || e->d_name[0] == '.')
			continue;
		int kept = 0;
		for (int i = 0; i < nkeep; i++)
			kept |= keep[i] == fd;
		if (!kept)
			close(fd);
	}
	closedir(d);
}

static void keeper_record(pid_t init, int status, const char *file, int ctl)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	int fd = open(tmp, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dprintf(fd, "%d %d\n", (int)init, status);
		fsync(fd);
		close(fd);
		rename(tmp, file);
	}
	if (ctl >= 0) {
		struct cgrun_shim_exit e = {.kind = CGRUN_SHIM_KEEPER_EXIT, .pid = init, .status = status};
		(void)send(ctl, &e, sizeof(e), MSG_NOSIGNAL);
	}
}

static void keeper(char **argv)
{
	pid_t init = (pid_t)atoi(argv[2]);
	const char *file = argv[3];
	int ctl = atoi(argv[4]), owner = atoi(argv[5]);
	int logs = argv[6][0] != '\0';
	if (logs && strlen(argv[6]) < sizeof(L.dir)) {
		snprintf(L.dir, sizeof(L.dir), "%s", argv[6]);
		L.max_size = atoll(argv[7]);
		L.max_file = atoi(argv[8]);
	}
	src[0].fd = atoi(argv[9]);
	src[1].fd = atoi(argv[10]);
	prctl(PR_SET_NAME, "cgrun-keeper", 0, 0, 0);
	int keep[] = {ctl, owner, src[0].fd, src[1].fd};
	close_all_but(keep, 4);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	int copying = 0; // the supervisor is gone: the output is the keeper's
	struct timespec drain_end = {0};
	int ended = 0, status = 0;
	for (;;) {
		if (!ended) {
			int st;
			pid_t p = waitpid(init, &st, WNOHANG);
			if (p == init || (p < 0 && errno == ECHILD)) {
				ended = 1;
				status = p == init ? st : 0;
				if (p != init) {
					_exit(0); // not ours to wait for: the supervisor has it
				}
				clock_gettime(CLOCK_MONOTONIC, &drain_end);
				drain_end.tv_sec += DRAIN_SECONDS;
			}
		}
		int wait_ms = -1;
		if (ended) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			long long ms = (drain_end.tv_sec - now.tv_sec) * 1000LL + (drain_end.tv_nsec - now.tv_nsec) / 1000000;
			if (!copying || !sources_open() || ms <= 0) {
				if (copying)
					log_stop();
				keeper_record(init, status, file, copying ? -1 : ctl);
				_exit(0);
			}
			wait_ms = (int)ms;
		}
		struct pollfd fds[4] = {{.fd = sfd, .events = POLLIN}, {.fd = ctl, .events = POLLIN},
					{.fd = copying ? src[0].fd : -1, .events = POLLIN},
					{.fd = copying ? src[1].fd : -1, .events = POLLIN}};
		if (sfd < 0)
			wait_ms = wait_ms < 0 || wait_ms > 100 ? 100 : wait_ms; // no signalfd: poll the init
		if (poll(fds, 4, wait_ms) < 0 && errno != EINTR)
			_exit(125);
		if (fds[0].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
		}
		if (ctl >= 0 && fds[1].revents) {
			char buf[64];
			ssize_t n = recv(ctl, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				// the supervisor died: nobody copies the output but us
				close(ctl);
				ctl = -1;
				copying = 1;
				L.on = logs;
				for (int i = 0; i < 2; i++) {
					if (src[i].fd >= 0)
						fcntl(src[i].fd, F_SETFL, fcntl(src[i].fd, F_GETFL) | O_NONBLOCK);
				}
			}
		}
		for (int i = 0; i < 2; i++) {
			if (fds[2 + i].fd >= 0 && fds[2 + i].revents)
				log_read(&src[i]);
		}
	}
}

int cgrun_keeper_wanted(int argc, char **argv)
{
	return argc == CGRUN_SHIM_KEEPER_ARGC && argv && argv[1] && !strcmp(argv[1], CGRUN_SHIM_KEEPER_ARG);
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
	if (cgrun_keeper_wanted(argc, argv))
		keeper(argv); // never returns
	if (cgrun_shim_wanted(argc, argv))
		cgrun_shim_start(argv[0], argv[2], argv[3]);
}
