/* faultfs.c -- an LD_PRELOAD shim that makes the disk fail on purpose,
 * for the disk-fault tests (tests/e2e/disk_test.sh).
 *
 * Contract: with FAULTFS="OP:N:ERR" in the environment, the N-th call
 * (from 1) of OP on a regular file, and with a '+' after N every call
 * from the N-th on (a disk that stays full), fails:
 *   OP   write (write, pwrite, pwrite64, writev), fsync (fsync,
 *        fdatasync), rename (rename, renameat), or any (each of those)
 *   ERR  ENOSPC, EIO, EDQUOT, or SHORT: a write that writes half of what
 *        it was given (at least 1 byte) and says so, as a full disk may
 * With FAULTFS_COUNT=FILE the shim writes, at exit, one line "write N
 * fsync N rename N" of the calls it saw (with or without a fault), so a
 * test knows how many points there are to try.  Calls on pipes, sockets
 * and terminals are never counted nor failed.  Thread-safe counting.
 * Loaded into ASan programs with ASAN_OPTIONS=verify_asan_link_order=0;
 * built without the sanitizers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum { OP_WRITE, OP_FSYNC, OP_RENAME, OP_N };
static const char *const names[OP_N] = { "write", "fsync", "rename" };

static atomic_long calls[OP_N];
static int want_op = -1, any_op, sticky, err;
static long at;
static int ready;

static void
setup(void)
{
	const char *f = getenv("FAULTFS");
	char buf[64], *op, *n, *e, *end, *save = NULL;

	ready = 1;
	if (f == NULL)
		return;
	snprintf(buf, sizeof buf, "%s", f);
	op = strtok_r(buf, ":", &save);
	n = strtok_r(NULL, ":", &save);
	e = strtok_r(NULL, ":", &save);
	if (op == NULL || n == NULL || e == NULL)
		return;
	at = strtol(n, &end, 10);
	sticky = *end == '+';
	err = strcmp(e, "ENOSPC") == 0   ? ENOSPC
	      : strcmp(e, "EIO") == 0    ? EIO
	      : strcmp(e, "EDQUOT") == 0 ? EDQUOT
	      : strcmp(e, "SHORT") == 0  ? -1
					 : 0;
	any_op = strcmp(op, "any") == 0;
	for (int i = 0; i < OP_N; i++)
		if (strcmp(op, names[i]) == 0)
			want_op = i;
}

static void __attribute__((destructor))
report(void)
{
	const char *path = getenv("FAULTFS_COUNT");
	FILE *f;

	if (path == NULL || (f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "write %ld fsync %ld rename %ld\n", atomic_load(&calls[0]),
		atomic_load(&calls[1]), atomic_load(&calls[2]));
	fclose(f);
}

static int
regular(int fd)
{
	struct stat st;

	return fd > 2 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* 0: go on; else the errno to fail with (-1: a short write) */
static int
fault(int op)
{
	long n;

	if (!ready)
		setup();
	n = atomic_fetch_add(&calls[op], 1) + 1;
	if (err == 0 || (!any_op && want_op != op))
		return 0;
	if (n == at || (sticky && n >= at))
		return op == OP_WRITE || err != -1 ? err : EIO;
	return 0;
}

#define NEXT(type, name, args)                                          \
	static type(*next_##name) args;                                 \
	if (next_##name == NULL)                                        \
		next_##name = (type(*) args)dlsym(RTLD_NEXT, #name)

ssize_t
write(int fd, const void *p, size_t n)
{
	NEXT(ssize_t, write, (int, const void *, size_t));
	int e;

	if (n > 0 && regular(fd) && (e = fault(OP_WRITE)) != 0) {
		if (e != -1) {
			errno = e;
			return -1;
		}
		return next_write(fd, p, n > 1 ? n / 2 : 1);
	}
	return next_write(fd, p, n);
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	NEXT(ssize_t, pwrite, (int, const void *, size_t, off_t));
	int e;

	if (n > 0 && regular(fd) && (e = fault(OP_WRITE)) != 0) {
		if (e != -1) {
			errno = e;
			return -1;
		}
		return next_pwrite(fd, p, n > 1 ? n / 2 : 1, off);
	}
	return next_pwrite(fd, p, n, off);
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off_t off)
{
	NEXT(ssize_t, pwrite64, (int, const void *, size_t, off_t));
	int e;

	if (n > 0 && regular(fd) && (e = fault(OP_WRITE)) != 0) {
		if (e != -1) {
			errno = e;
			return -1;
		}
		return next_pwrite64(fd, p, n > 1 ? n / 2 : 1, off);
	}
	return next_pwrite64(fd, p, n, off);
}

ssize_t
writev(int fd, const struct iovec *v, int cnt)
{
	NEXT(ssize_t, writev, (int, const struct iovec *, int));
	int e;

	if (cnt > 0 && regular(fd) && (e = fault(OP_WRITE)) != 0) {
		if (e != -1) {
			errno = e;
			return -1;
		}
		return next_writev(fd, v, 1);	/* the first part only */
	}
	return next_writev(fd, v, cnt);
}

int
fsync(int fd)
{
	NEXT(int, fsync, (int));
	int e;

	if (regular(fd) && (e = fault(OP_FSYNC)) != 0) {
		errno = e;
		return -1;
	}
	return next_fsync(fd);
}

int
fdatasync(int fd)
{
	NEXT(int, fdatasync, (int));
	int e;

	if (regular(fd) && (e = fault(OP_FSYNC)) != 0) {
		errno = e;
		return -1;
	}
	return next_fdatasync(fd);
}

int
rename(const char *from, const char *to)
{
	NEXT(int, rename, (const char *, const char *));
	int e;

	if ((e = fault(OP_RENAME)) != 0) {
		errno = e == -1 ? EIO : e;
		return -1;
	}
	return next_rename(from, to);
}

int
renameat(int fd1, const char *from, int fd2, const char *to)
{
	NEXT(int, renameat, (int, const char *, int, const char *));
	int e;

	if ((e = fault(OP_RENAME)) != 0) {
		errno = e == -1 ? EIO : e;
		return -1;
	}
	return next_renameat(fd1, from, fd2, to);
}
