// A container's init on a small binary: libcontainer re-executes the
// binary that calls it ("/proc/self/exe init", sealed) to be the
// container's init, so a large program pays its own start twice per
// container (the dynamic loader, its package inits, the page faults of its
// text). This constructor runs first in that re-executed process, before
// nsexec's and before the Go runtime, and executes cgrun-init instead when
// one is installed beside the runner's binary: a program that is
// libcontainer's init and nothing else.
//
// The small binary is executed through a sealed view, as libcontainer
// seals its own (CVE-2019-5736: a container that can open its init's
// /proc/PID/exe must not be able to write the host's binary): a read-only
// overlayfs of its directory that is mounted nowhere, or, where overlayfs
// refuses, a copy in a sealed memfd. Anything amiss (no such file, a file
// others may write, a mount or copy that fails, a binary built against
// another libcontainer release) leaves the init where it is: the runner's
// own binary runs it, as before.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "initexec.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

// The new mount API (linux/mount.h), spelled out: glibc 2.36's sys/mount.h
// and linux/mount.h do not mix.
#define IE_FSOPEN_CLOEXEC 0x00000001
#define IE_FSCONFIG_SET_STRING 1
#define IE_FSCONFIG_CMD_CREATE 6
#define IE_FSMOUNT_CLOEXEC 0x00000001
#define IE_MOUNT_ATTR_RDONLY 0x00000001
#define IE_MOUNT_ATTR_NOSUID 0x00000002
#define IE_MOUNT_ATTR_NODEV 0x00000004

extern char **environ;

static int is_init(int argc, char **argv)
{
	return argc >= 2 && argv && argv[1] && !strcmp(argv[1], "init") && getenv("_LIBCONTAINER_INITPIPE");
}

// usable says whether the opened file may run as the init: a regular,
// executable file that only its owner (root or this user) may write.
static int usable(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR))
		return 0;
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return 0;
	return !(st.st_mode & (S_IWGRP | S_IWOTH));
}

// escape writes path into out with overlayfs's lowerdir escapes (\ and :).
static int escape(const char *path, char *out, size_t size)
{
	size_t n = 0;
	for (; *path; path++) {
		if (*path == '\\' || *path == ':') {
			if (n + 1 >= size)
				return -1;
			out[n++] = '\\';
		}
		if (n + 1 >= size)
			return -1;
		out[n++] = *path;
	}
	out[n] = 0;
	return 0;
}

// overlay opens dir/name through a read-only overlayfs of dir that is
// attached nowhere (libcontainer's exeseal does the same for its own
// binary): the executable can be run but never opened for writing, and
// the mount goes away with the last descriptor. overlayfs wants two lower
// layers when it has no upper one; the second is /dev (devtmpfs, root's,
// under the first, so it never hides dir's entries).
static int overlay(const char *dir, const char *name)
{
	char esc[PATH_MAX + 32], lower[sizeof(esc) + 8];
	if (escape(dir, esc, sizeof(esc)) < 0)
		return -1;
	snprintf(lower, sizeof(lower), "%s:/dev", esc);
	int ctx = syscall(SYS_fsopen, "overlay", IE_FSOPEN_CLOEXEC);
	if (ctx < 0)
		return -1;
	int mnt = -1, fd = -1;
	if (syscall(SYS_fsconfig, ctx, IE_FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0)
		goto out;
	(void)syscall(SYS_fsconfig, ctx, IE_FSCONFIG_SET_STRING, "xino", "off", 0);
	if (syscall(SYS_fsconfig, ctx, IE_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		goto out;
	mnt = syscall(SYS_fsmount, ctx, IE_FSMOUNT_CLOEXEC,
		      IE_MOUNT_ATTR_RDONLY | IE_MOUNT_ATTR_NODEV | IE_MOUNT_ATTR_NOSUID);
	if (mnt < 0)
		goto out;
	fd = openat(mnt, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
out:
	if (mnt >= 0)
		close(mnt);
	close(ctx);
	return fd;
}

// memfd copies the open file into a sealed memfd (libcontainer's fallback
// too): nobody can write it once sealed.
static int memfd(int src)
{
	struct stat st;
	if (fstat(src, &st) < 0)
		return -1;
	int fd = memfd_create(CGRUN_INITEXEC_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL) // before Linux 6.3
		fd = memfd_create(CGRUN_INITEXEC_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(fd, src, &off, st.st_size - off);
		if (n <= 0 && errno != EINTR)
			goto fail;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

// sealed_init opens, through a sealed view, the init binary beside the
// runner's binary at exe (an absolute path): -1 and *why when there is
// none fit to run, else the descriptor and *how it is sealed.
static int sealed_init(const char *exe, const char **why, const char **how)
{
	char dir[PATH_MAX];
	if (exe[0] != '/' || strlen(exe) >= sizeof(dir)) {
		*why = "the runner's binary has no absolute path";
		return -1;
	}
	strcpy(dir, exe);
	strrchr(dir, '/')[1] = 0; // the directory, with its slash
	char path[PATH_MAX + sizeof(CGRUN_INITEXEC_NAME)];
	snprintf(path, sizeof(path), "%s%s", dir, CGRUN_INITEXEC_NAME);
	int src = open(path, O_RDONLY | O_CLOEXEC);
	if (src < 0) {
		*why = errno == ENOENT ? "none beside the runner's binary" : "it cannot be opened";
		return -1;
	}
	if (!usable(src)) {
		close(src);
		*why = "not a regular executable file that only its owner (root or this user) may write";
		return -1;
	}
	*how = "overlayfs";
	int fd = overlay(dir, CGRUN_INITEXEC_NAME);
	if (fd >= 0 && !usable(fd)) { // the same checks on what would run
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		*how = "memfd";
		fd = memfd(src);
	}
	close(src);
	if (fd < 0)
		*why = "neither an overlayfs view nor a sealed memfd copy could be made";
	return fd;
}

int cgrun_initexec_check(const char *exe, const char **why, const char **how)
{
	*why = *how = "";
	int fd = sealed_init(exe, why, how);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

// redirect executes the small init binary in place of this one and
// returns only when it cannot. The runner's binary (this process's parent,
// which started it) names the directory.
static void redirect(char **argv)
{
	char link[64], runner[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)getppid());
	ssize_t n = readlink(link, runner, sizeof(runner) - 1);
	if (n <= 0 || (size_t)n >= sizeof(runner) - 1)
		return;
	runner[n] = 0;
	const char *why, *how;
	int exe = sealed_init(runner, &why, &how);
	if (exe < 0)
		return;
	// the way back, should the init binary be from another release: this
	// binary, as the runner executed it (its sealed view), on a descriptor
	// the init binary inherits and closes
	const char *self = (const char *)getauxval(AT_EXECFN);
	int back = open(self && *self ? self : "/proc/self/exe", O_PATH);
	if (back < 0) {
		close(exe);
		return;
	}
	char backpath[64];
	snprintf(backpath, sizeof(backpath), "/proc/self/fd/%d", back);
	if (setenv(CGRUN_INITEXEC_PROTO_ENV, CGRUN_INITEXEC_PROTO, 1) == 0 &&
	    setenv(CGRUN_INITEXEC_BACK_ENV, backpath, 1) == 0)
		syscall(SYS_execveat, exe, "", argv, environ, AT_EMPTY_PATH);
	unsetenv(CGRUN_INITEXEC_PROTO_ENV);
	unsetenv(CGRUN_INITEXEC_BACK_ENV);
	close(back);
	close(exe);
}

// arrived runs in the init binary the runner's binary executed: the same
// protocol goes on here; another goes back to the runner's binary, which
// runs the init itself.
static void arrived(char **argv, const char *proto)
{
	const char *b = getenv(CGRUN_INITEXEC_BACK_ENV);
	char back[64] = "";
	if (b)
		snprintf(back, sizeof(back), "%s", b);
	int same = !strcmp(proto, CGRUN_INITEXEC_PROTO);
	unsetenv(CGRUN_INITEXEC_PROTO_ENV);
	unsetenv(CGRUN_INITEXEC_BACK_ENV);
	if (same) {
		const char *fd = strrchr(back, '/');
		if (fd && fd[1])
			close(atoi(fd + 1));
		return;
	}
	if (back[0] && setenv(CGRUN_INITEXEC_STAY_ENV, "1", 1) == 0)
		execve(back, argv, environ);
	fprintf(stderr, "cgrun-init: built against %s, the runner against %s, and the runner's binary cannot be executed again: %s\n",
		CGRUN_INITEXEC_PROTO, proto, strerror(errno));
	_exit(127);
}

// Before nsexec's constructor (priority 65535) and the Go runtime.
__attribute__((constructor(102))) static void cgrun_initexec(int argc, char **argv)
{
	if (!is_init(argc, argv))
		return;
	if (getenv(CGRUN_INITEXEC_STAY_ENV)) {
		unsetenv(CGRUN_INITEXEC_STAY_ENV);
		return;
	}
	const char *proto = getenv(CGRUN_INITEXEC_PROTO_ENV);
	if (proto) {
		arrived(argv, proto);
		return;
	}
	redirect(argv);
}
