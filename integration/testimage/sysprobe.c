// sysprobe NAME...: calls each named system call once, in a way that
// changes nothing even where it is allowed, and prints "NAME ok" or
// "NAME ERRNO" (EPERM, EINVAL, ...). Exit 0 when every call succeeded.
// Part of cgrun's test image: busybox has no applet for most of these.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long probe(const char *name)
{
	if (!strcmp(name, "unshare")) // a new UTS namespace for this process alone
		return unshare(CLONE_NEWUTS);
	if (!strcmp(name, "mount")) // a tmpfs over the container's own /tmp
		return mount("sysprobe", "/tmp", "tmpfs", 0, "size=1m");
	if (!strcmp(name, "keyctl")) // read the session keyring's ID
		return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
	if (!strcmp(name, "add_key")) // an empty description: EINVAL where allowed
		return syscall(SYS_add_key, "user", "", "x", 1, -3);
	if (!strcmp(name, "clock_settime")) { // an invalid time: EINVAL where allowed
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 2000000000L};
		return syscall(SYS_clock_settime, CLOCK_REALTIME, &ts);
	}
	if (!strcmp(name, "reboot")) // a wrong magic number: EINVAL where allowed
		return syscall(SYS_reboot, 0, 0, 0, NULL);
	errno = ENOSYS;
	return -2;
}

int main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		long r = probe(argv[i]);
		if (r == -2) {
			fprintf(stderr, "sysprobe: unknown call %s\n", argv[i]);
			return 2;
		}
		if (r < 0) {
			printf("%s %s\n", argv[i], strerrorname_np(errno));
			failed = 1;
		} else {
			printf("%s ok\n", argv[i]);
		}
	}
	return failed;
}
