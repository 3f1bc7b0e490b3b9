// A container start's cgroup attach waits an RCU grace period unless one
// ran moments before (see warm.go). cgrun_warm_spawn starts one from a
// short-lived thread; cgrun's own binary also calls it from a constructor
// (cmd/cgrun/early.c), before the Go runtime starts.

#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "warm.h"

// add appends "PREFIX[/CTRLS]PATH/cgroup.procs\n" to out, or nothing when
// it does not fit.
static void add(char *out, size_t outlen, const char *prefix, const char *ctrls, int clen,
		const char *path, int plen)
{
	size_t used = strlen(out);
	while (plen > 0 && path[plen - 1] == '/')
		plen--; // the root cgroup, "/"
	int n = snprintf(NULL, 0, "%s%s%.*s%.*s/cgroup.procs\n", prefix, clen ? "/" : "", clen,
			 ctrls, plen, path);
	if (n < 0 || used + (size_t)n >= outlen)
		return;
	snprintf(out + used, outlen - used, "%s%s%.*s%.*s/cgroup.procs\n", prefix,
		 clen ? "/" : "", clen, ctrls, plen, path);
}

void cgrun_own_procs_files(const char *self, char *out, size_t outlen)
{
	out[0] = '\0';
	for (int pass = 0; pass < 2; pass++) { // v1 hierarchies, then the unified one
		for (const char *line = self; line && *line;) {
			const char *end = strchr(line, '\n');
			int len = end ? (int)(end - line) : (int)strlen(line);
			const char *c1 = memchr(line, ':', len);
			const char *c2 = c1 ? memchr(c1 + 1, ':', len - (int)(c1 + 1 - line)) : NULL;
			if (c2 && c2 + 1 < line + len && c2[1] == '/') {
				const char *ctrls = c1 + 1, *path = c2 + 1;
				int clen = (int)(c2 - ctrls), plen = (int)(line + len - path);
				if (clen >= 5 && !strncmp(ctrls, "name=", 5))
					ctrls += 5, clen -= 5;
				if (pass == 1 && c2 == c1 + 1) {
					add(out, outlen, "/sys/fs/cgroup/unified", "", 0, path, plen);
					add(out, outlen, "/sys/fs/cgroup", "", 0, path, plen);
				} else if (pass == 0 && clen > 0 && !memchr(ctrls, '/', clen) &&
					   !memchr(ctrls, '.', clen)) {
					add(out, outlen, "/sys/fs/cgroup", ctrls, clen, path, plen);
				}
			}
			line = end ? end + 1 : NULL;
		}
	}
}

static void *warm_thread(void *arg)
{
	(void)arg;
	char self[8192], files[16384], pid[16];
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, self, sizeof(self) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	cgrun_own_procs_files(self, files, sizeof(files));
	int plen = snprintf(pid, sizeof(pid), "%d", getpid());
	for (char *f = files, *nl; (nl = strchr(f, '\n')); f = nl + 1) {
		*nl = '\0';
		fd = open(f, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t w = write(fd, pid, (size_t)plen);
		close(fd);
		if (w == plen)
			break;
	}
	return NULL;
}

int cgrun_warm_spawn(void)
{
	// Born with every signal blocked, the thread never takes one meant
	// for the Go runtime.
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_attr_init(&attr);
	if (!err) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 128 * 1024);
		err = pthread_create(&t, &attr, warm_thread, NULL);
		pthread_attr_destroy(&attr);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}
