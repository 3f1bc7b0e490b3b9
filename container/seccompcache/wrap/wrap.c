//go:build seccomp

// libseccomp's API, wrapped at link time (-Wl,--wrap) in the containers'
// init binary. libcontainer builds a container's seccomp filter in the
// init, rule by rule through libseccomp-golang, and has libseccomp
// generate its BPF program there: for Docker's profile, hundreds of rules
// on three architectures, most of the init's time. The generation gives
// the same program for the same calls, so the runner compiles each filter
// once (package seccompcache) and hands the result to every init that
// builds the same filter.
//
// Every call that shapes a filter is recorded here, in order, with its
// arguments and result, behind a header of libseccomp's version, the
// kernel's API level and the native architecture: the transcript. The
// calls themselves still run. When libcontainer exports the filter to
// load it, the runner's entry (a transcript and its program) is served in
// place of the generation only if its transcript equals, byte for byte,
// the one recorded for this filter; anything else (no entry, another
// profile, another libseccomp, another kernel) generates as before.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wrap.h"

#ifndef F_SEAL_WRITE
#define F_SEAL_WRITE 0x0008
#endif

// The entry: this magic, the transcript's and the program's lengths (host
// order), the transcript, the program. Package seccompcache reads and
// writes the same.
#define MAGIC "CGRUN-SECCOMP-1\n"
#define MAGIC_LEN 16
#define HEADER_LEN (MAGIC_LEN + 8)
#define MAX_PART (1u << 20)

enum op {
	OP_INIT = 1,
	OP_RESET,
	OP_ARCH_ADD,
	OP_ARCH_REMOVE,
	OP_ATTR_SET,
	OP_RULE,
	OP_RULE_EXACT,
	OP_PRIORITY,
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

// the transcript of the filter being built (ctx), or none
static scmp_filter_ctx t_ctx;
static unsigned char *t_buf;
static size_t t_len, t_cap;
static int t_bad;

// the runner's entry
static unsigned char *pre;
static size_t pre_tlen, pre_plen;

static int rec_fd = -1, recorded, used;

int __real_seccomp_export_bpf(const scmp_filter_ctx ctx, int fd);

static void put(const void *p, size_t n)
{
	if (t_bad)
		return;
	if (t_len + n > t_cap) {
		size_t c = t_cap ? t_cap * 2 : 16384;
		while (c < t_len + n)
			c *= 2;
		unsigned char *b = c <= MAX_PART ? realloc(t_buf, c) : NULL;
		if (!b) {
			t_bad = 1;
			return;
		}
		t_buf = b;
		t_cap = c;
	}
	memcpy(t_buf + t_len, p, n);
	t_len += n;
}

static void put32(uint32_t v) { put(&v, sizeof(v)); }
static void put64(uint64_t v) { put(&v, sizeof(v)); }

// begin starts the transcript of ctx: what the generation depends on
// besides the calls.
static void begin(scmp_filter_ctx ctx, uint32_t def_action)
{
	t_ctx = ctx;
	t_len = 0;
	t_bad = 0;
	const struct scmp_version *v = seccomp_version();
	put32(v ? v->major : 0);
	put32(v ? v->minor : 0);
	put32(v ? v->micro : 0);
	put32(seccomp_api_get());
	put32(seccomp_arch_native());
	put32(OP_INIT);
	put32(def_action);
}

scmp_filter_ctx __real_seccomp_init(uint32_t def_action);
scmp_filter_ctx __wrap_seccomp_init(uint32_t def_action)
{
	scmp_filter_ctx ctx = __real_seccomp_init(def_action);
	pthread_mutex_lock(&mu);
	if (ctx)
		begin(ctx, def_action);
	pthread_mutex_unlock(&mu);
	return ctx;
}

int __real_seccomp_reset(scmp_filter_ctx ctx, uint32_t def_action);
int __wrap_seccomp_reset(scmp_filter_ctx ctx, uint32_t def_action)
{
	int rc = __real_seccomp_reset(ctx, def_action);
	pthread_mutex_lock(&mu);
	if (ctx && ctx == t_ctx) {
		begin(ctx, def_action);
		put32(OP_RESET);
		put32((uint32_t)rc);
	} else if (!ctx) {
		t_ctx = NULL;
	}
	pthread_mutex_unlock(&mu);
	return rc;
}

void __real_seccomp_release(scmp_filter_ctx ctx);
void __wrap_seccomp_release(scmp_filter_ctx ctx)
{
	pthread_mutex_lock(&mu);
	if (ctx == t_ctx)
		t_ctx = NULL;
	pthread_mutex_unlock(&mu);
	__real_seccomp_release(ctx);
}

int __real_seccomp_merge(scmp_filter_ctx dst, scmp_filter_ctx src);
int __wrap_seccomp_merge(scmp_filter_ctx dst, scmp_filter_ctx src)
{
	pthread_mutex_lock(&mu);
	if (dst == t_ctx || src == t_ctx)
		t_ctx = NULL; // not recorded: never served
	pthread_mutex_unlock(&mu);
	return __real_seccomp_merge(dst, src);
}

static void record2(scmp_filter_ctx ctx, uint32_t op, uint32_t a, uint32_t b, int rc)
{
	pthread_mutex_lock(&mu);
	if (ctx && ctx == t_ctx) {
		put32(op);
		put32(a);
		put32(b);
		put32((uint32_t)rc);
	}
	pthread_mutex_unlock(&mu);
}

int __real_seccomp_arch_add(scmp_filter_ctx ctx, uint32_t arch);
int __wrap_seccomp_arch_add(scmp_filter_ctx ctx, uint32_t arch)
{
	int rc = __real_seccomp_arch_add(ctx, arch);
	record2(ctx, OP_ARCH_ADD, arch, 0, rc);
	return rc;
}

int __real_seccomp_arch_remove(scmp_filter_ctx ctx, uint32_t arch);
int __wrap_seccomp_arch_remove(scmp_filter_ctx ctx, uint32_t arch)
{
	int rc = __real_seccomp_arch_remove(ctx, arch);
	record2(ctx, OP_ARCH_REMOVE, arch, 0, rc);
	return rc;
}

int __real_seccomp_attr_set(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value);
int __wrap_seccomp_attr_set(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value)
{
	int rc = __real_seccomp_attr_set(ctx, attr, value);
	record2(ctx, OP_ATTR_SET, (uint32_t)attr, value, rc);
	return rc;
}

int __real_seccomp_syscall_priority(scmp_filter_ctx ctx, int syscall, uint8_t priority);
int __wrap_seccomp_syscall_priority(scmp_filter_ctx ctx, int syscall, uint8_t priority)
{
	int rc = __real_seccomp_syscall_priority(ctx, syscall, priority);
	record2(ctx, OP_PRIORITY, (uint32_t)syscall, priority, rc);
	return rc;
}

static void record_rule(scmp_filter_ctx ctx, uint32_t op, uint32_t action, int syscall, unsigned int n,
			const struct scmp_arg_cmp *args, int rc)
{
	pthread_mutex_lock(&mu);
	if (ctx && ctx == t_ctx) {
		put32(op);
		put32(action);
		put32((uint32_t)syscall);
		put32(n);
		for (unsigned int i = 0; i < n && args; i++) {
			put32(args[i].arg);
			put32((uint32_t)args[i].op);
			put64(args[i].datum_a);
			put64(args[i].datum_b);
		}
		put32((uint32_t)rc);
	}
	pthread_mutex_unlock(&mu);
}

int __real_seccomp_rule_add_array(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt,
				  const struct scmp_arg_cmp *arg_array);
int __wrap_seccomp_rule_add_array(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt,
				  const struct scmp_arg_cmp *arg_array)
{
	int rc = __real_seccomp_rule_add_array(ctx, action, syscall, arg_cnt, arg_array);
	record_rule(ctx, OP_RULE, action, syscall, arg_cnt, arg_array, rc);
	return rc;
}

int __real_seccomp_rule_add_exact_array(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt,
					const struct scmp_arg_cmp *arg_array);
int __wrap_seccomp_rule_add_exact_array(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt,
					const struct scmp_arg_cmp *arg_array)
{
	int rc = __real_seccomp_rule_add_exact_array(ctx, action, syscall, arg_cnt, arg_array);
	record_rule(ctx, OP_RULE_EXACT, action, syscall, arg_cnt, arg_array, rc);
	return rc;
}

static int write_all(int fd, const void *p, size_t n)
{
	const unsigned char *b = p;
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -(w < 0 ? errno : EIO);
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

// record writes the entry of ctx, whose transcript is t_buf, to rec_fd:
// the program is libseccomp's own export, through a memfd.
static int record(scmp_filter_ctx ctx)
{
	int m = memfd_create("cgrun-seccomp-export", MFD_CLOEXEC);
	if (m < 0)
		return -errno;
	int rc = __real_seccomp_export_bpf(ctx, m);
	off_t size = rc == 0 ? lseek(m, 0, SEEK_CUR) : -1;
	unsigned char *prog = NULL;
	if (rc == 0 && (size <= 0 || size > (off_t)MAX_PART))
		rc = -E2BIG;
	if (rc == 0 && !(prog = malloc((size_t)size)))
		rc = -ENOMEM;
	if (rc == 0 && pread(m, prog, (size_t)size, 0) != size)
		rc = -EIO;
	close(m);
	if (rc == 0) {
		unsigned char h[HEADER_LEN];
		uint32_t tl = (uint32_t)t_len, pl = (uint32_t)size;
		memcpy(h, MAGIC, MAGIC_LEN);
		memcpy(h + MAGIC_LEN, &tl, 4);
		memcpy(h + MAGIC_LEN + 4, &pl, 4);
		rc = write_all(rec_fd, h, sizeof(h));
		if (rc == 0)
			rc = write_all(rec_fd, t_buf, t_len);
		if (rc == 0)
			rc = write_all(rec_fd, prog, (size_t)size);
	}
	free(prog);
	return rc;
}

int __wrap_seccomp_export_bpf(const scmp_filter_ctx ctx, int fd)
{
	pthread_mutex_lock(&mu);
	int mine = ctx && ctx == t_ctx && !t_bad;
	if (mine && rec_fd >= 0) {
		int rc = record(ctx);
		recorded = rc == 0 ? 1 : rc;
		pthread_mutex_unlock(&mu);
		return -ECANCELED;
	}
	int serve = mine && pre && pre_tlen == t_len && memcmp(pre + HEADER_LEN, t_buf, t_len) == 0;
	pthread_mutex_unlock(&mu);
	if (serve) {
		int rc = write_all(fd, pre + HEADER_LEN + pre_tlen, pre_plen);
		if (rc == 0)
			used = 1;
		return rc;
	}
	return __real_seccomp_export_bpf(ctx, fd);
}

void cgrun_seccomp_record_to(int fd)
{
	pthread_mutex_lock(&mu);
	rec_fd = fd;
	recorded = 0;
	pthread_mutex_unlock(&mu);
}

int cgrun_seccomp_recorded(void) { return recorded; }
int cgrun_seccomp_used(void) { return used; }

// take reads the entry from the open memfd: sealed against writes, its
// header whole and its lengths within bounds.
static void take(int fd)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_WRITE) || fstat(fd, &st) < 0)
		return;
	if (st.st_size < HEADER_LEN || st.st_size > HEADER_LEN + 2 * (off_t)MAX_PART)
		return;
	unsigned char *b = malloc((size_t)st.st_size);
	if (!b)
		return;
	uint32_t tl, pl;
	if (pread(fd, b, (size_t)st.st_size, 0) != st.st_size || memcmp(b, MAGIC, MAGIC_LEN))
		goto bad;
	memcpy(&tl, b + MAGIC_LEN, 4);
	memcpy(&pl, b + MAGIC_LEN + 4, 4);
	if ((off_t)HEADER_LEN + tl + pl != st.st_size || pl == 0 || pl % 8)
		goto bad;
	pthread_mutex_lock(&mu);
	free(pre);
	pre = b;
	pre_tlen = tl;
	pre_plen = pl;
	pthread_mutex_unlock(&mu);
	return;
bad:
	free(b);
}

void cgrun_seccomp_preload(int pid)
{
	char dir[64], link[128];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	const char want[] = "/memfd:" CGRUN_SECCOMP_MEMFD " ";
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (strncmp(link, want, sizeof(want) - 1))
			continue;
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			take(fd);
			close(fd);
		}
		break;
	}
	closedir(d);
}

// In a container's init, before nsexec's constructor (priority 65535)
// clones the processes that become the container: they inherit the entry.
// The runner is the parent; its descriptors are read while this process
// is still in the runner's namespaces, before anything of the container.
__attribute__((constructor(101))) static void cgrun_seccomp_wrap(int argc, char **argv)
{
	if (argc >= 2 && argv && argv[1] && !strcmp(argv[1], "init") && getenv("_LIBCONTAINER_INITPIPE"))
		cgrun_seccomp_preload((int)getppid());
}
