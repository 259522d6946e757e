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
 *
 * FAULTFS="powercut:N" (or "powercut:N:reorder") is a power cut instead:
 * the shim keeps, for every write, rename and truncate not yet made
 * durable (an fsync of the file; of its folder for a rename), what it
 * replaced; at the N-th write, fsync or rename it undoes them all, newest
 * first (with "reorder", each one only with a chance of one half, as a
 * disk that wrote some of them and not others), and kills the process
 * with SIGKILL -- what a machine that lost power shows at the next boot.
 * (File creations and unlinks are taken as durable at once.)
 *
 * Loaded into ASan programs with ASAN_OPTIONS=verify_asan_link_order=0;
 * built without the sanitizers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
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
static int powercut, reorder;		/* FAULTFS=powercut:N[:reorder] */
static atomic_long events;		/* writes, fsyncs and renames */

static void setup(void);

/* ==== The power cut: what is not durable yet =========================== */

enum { U_WRITE, U_RENAME, U_TRUNC };
struct undo {
	int kind;
	dev_t dev;
	ino_t ino;			/* the file (U_WRITE, U_TRUNC) */
	char path[512];			/* its name then; the rename's target */
	char from[512];			/* the rename's source */
	char dir[512];			/* the folder the rename is in */
	off_t off, size;		/* where; the file's size before */
	unsigned char *old;		/* what was there */
	size_t n;
};
static struct undo *undos;
static size_t nundo, capundo;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static int (*real_rename)(const char *, const char *);
static int (*real_ftruncate)(int, off_t);

static void
fd_path(int fd, char *out, size_t n)
{
	char link[64];
	ssize_t k;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	k = readlink(link, out, n - 1);
	out[k > 0 ? k : 0] = '\0';
}

static struct undo *
new_undo(void)
{
	if (nundo == capundo) {
		size_t c = capundo ? 2 * capundo : 256;
		struct undo *g = realloc(undos, c * sizeof *g);

		if (g == NULL)
			abort();
		undos = g;
		capundo = c;
	}
	memset(&undos[nundo], 0, sizeof undos[nundo]);
	return &undos[nundo++];
}

/* Before a write of n bytes at off (-1: the file position) on fd. */
static void
keep_write(int fd, off_t off, size_t n)
{
	struct stat st;
	struct undo *u;

	if (!powercut || fstat(fd, &st) != 0)
		return;
	if (off < 0)
		off = lseek(fd, 0, SEEK_CUR);
	pthread_mutex_lock(&lock);
	u = new_undo();
	u->kind = U_WRITE;
	u->dev = st.st_dev;
	u->ino = st.st_ino;
	fd_path(fd, u->path, sizeof u->path);
	u->off = off;
	u->size = st.st_size;
	if (off < st.st_size) {
		size_t have = (size_t)(st.st_size - off) < n
				      ? (size_t)(st.st_size - off)
				      : n;
		ssize_t r;

		u->old = malloc(have ? have : 1);
		if (u->old == NULL)
			abort();
		r = real_pread(fd, u->old, have, off);
		u->n = r > 0 ? (size_t)r : 0;
	}
	pthread_mutex_unlock(&lock);
}

/* An fsync of fd: its writes are durable; of a folder: its renames. */
static void
durable(int fd)
{
	struct stat st;
	char path[512];
	size_t i, o = 0;

	if (!powercut || fstat(fd, &st) != 0)
		return;
	fd_path(fd, path, sizeof path);
	pthread_mutex_lock(&lock);
	for (i = 0; i < nundo; i++) {
		int gone = S_ISDIR(st.st_mode)
				   ? undos[i].kind == U_RENAME &&
					     strcmp(undos[i].dir, path) == 0
				   : undos[i].kind != U_RENAME &&
					     undos[i].dev == st.st_dev &&
					     undos[i].ino == st.st_ino;
		if (gone)
			free(undos[i].old);
		else
			undos[o++] = undos[i];
	}
	nundo = o;
	pthread_mutex_unlock(&lock);
}

/* The power goes: undo what is not durable, newest first; then die. */
static void
cut(void)
{
	size_t i;
	unsigned seed = (unsigned)getpid();

	pthread_mutex_lock(&lock);
	for (i = nundo; i-- > 0;) {
		struct undo *u = &undos[i];
		int fd;

		if (reorder && (rand_r(&seed) & 1))
			continue;
		if (u->kind == U_RENAME) {
			(void)real_rename(u->path, u->from);
			continue;
		}
		if ((fd = open(u->path, O_WRONLY)) < 0)
			continue;
		if (u->n > 0)
			(void)real_pwrite(fd, u->old, u->n, u->off);
		(void)real_ftruncate(fd, u->size);
		close(fd);
	}
	raise(SIGKILL);
	_exit(137);
}

/* Counts a write, fsync or rename toward the power cut (and for
 * FAULTFS_COUNT's "events"). */
static void
tick(void)
{
	if (!ready)
		setup();
	if (!powercut) {
		atomic_fetch_add(&events, 1);
		return;
	}
	if (powercut && atomic_fetch_add(&events, 1) + 1 == at)
		cut();
}

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
	if (op == NULL || n == NULL)
		return;
	at = strtol(n, &end, 10);
	sticky = *end == '+';
	if (strcmp(op, "powercut") == 0) {
		powercut = 1;
		reorder = e != NULL && strcmp(e, "reorder") == 0;
		real_pread = (ssize_t(*)(int, void *, size_t, off_t))dlsym(
			RTLD_NEXT, "pread");
		real_pwrite = (ssize_t(*)(int, const void *, size_t, off_t))
			dlsym(RTLD_NEXT, "pwrite");
		real_rename = (int (*)(const char *, const char *))dlsym(
			RTLD_NEXT, "rename");
		real_ftruncate = (int (*)(int, off_t))dlsym(RTLD_NEXT,
							    "ftruncate");
		return;
	}
	if (e == NULL)
		return;
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
	fprintf(f, "write %ld fsync %ld rename %ld events %ld\n",
		atomic_load(&calls[0]), atomic_load(&calls[1]),
		atomic_load(&calls[2]), atomic_load(&events));
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

	if (n > 0 && regular(fd)) {
		tick();
		keep_write(fd, -1, n);
		if ((e = fault(OP_WRITE)) != 0) {
			if (e != -1) {
				errno = e;
				return -1;
			}
			return next_write(fd, p, n > 1 ? n / 2 : 1);
		}
	}
	return next_write(fd, p, n);
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	NEXT(ssize_t, pwrite, (int, const void *, size_t, off_t));
	int e;

	if (n > 0 && regular(fd)) {
		tick();
		keep_write(fd, off, n);
		if ((e = fault(OP_WRITE)) != 0) {
			if (e != -1) {
				errno = e;
				return -1;
			}
			return next_pwrite(fd, p, n > 1 ? n / 2 : 1, off);
		}
	}
	return next_pwrite(fd, p, n, off);
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off_t off)
{
	NEXT(ssize_t, pwrite64, (int, const void *, size_t, off_t));
	int e;

	if (n > 0 && regular(fd)) {
		tick();
		keep_write(fd, off, n);
		if ((e = fault(OP_WRITE)) != 0) {
			if (e != -1) {
				errno = e;
				return -1;
			}
			return next_pwrite64(fd, p, n > 1 ? n / 2 : 1, off);
		}
	}
	return next_pwrite64(fd, p, n, off);
}

ssize_t
writev(int fd, const struct iovec *v, int cnt)
{
	NEXT(ssize_t, writev, (int, const struct iovec *, int));
	size_t n = 0;
	int e, i;

	for (i = 0; i < cnt; i++)
		n += v[i].iov_len;
	if (n > 0 && regular(fd)) {
		tick();
		keep_write(fd, -1, n);
		if ((e = fault(OP_WRITE)) != 0) {
			if (e != -1) {
				errno = e;
				return -1;
			}
			return next_writev(fd, v, 1);	/* the first part only */
		}
	}
	return next_writev(fd, v, cnt);
}

static void
keep_trunc(int fd, off_t size)
{
	struct stat st;
	struct undo *u;

	if (!ready)
		setup();
	if (!powercut || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	pthread_mutex_lock(&lock);
	u = new_undo();
	u->kind = U_TRUNC;
	u->dev = st.st_dev;
	u->ino = st.st_ino;
	fd_path(fd, u->path, sizeof u->path);
	u->off = size;
	u->size = st.st_size;
	if (size < st.st_size) {
		u->old = malloc((size_t)(st.st_size - size));
		if (u->old == NULL)
			abort();
		ssize_t r = real_pread(fd, u->old, (size_t)(st.st_size - size),
				       size);
		u->n = r > 0 ? (size_t)r : 0;
	}
	pthread_mutex_unlock(&lock);
}

int
ftruncate(int fd, off_t size)
{
	NEXT(int, ftruncate, (int, off_t));

	keep_trunc(fd, size);
	return next_ftruncate(fd, size);
}

int
ftruncate64(int fd, off_t size)
{
	NEXT(int, ftruncate64, (int, off_t));

	keep_trunc(fd, size);
	return next_ftruncate64(fd, size);
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
	tick();
	if (powercut) {
		if (next_fsync(fd) != 0)
			return -1;
		durable(fd);
		return 0;
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
	tick();
	if (powercut) {
		if (next_fdatasync(fd) != 0)
			return -1;
		durable(fd);
		return 0;
	}
	return next_fdatasync(fd);
}

static void
keep_rename(const char *from, const char *to)
{
	struct undo *u;
	char *slash;

	if (!powercut)
		return;
	pthread_mutex_lock(&lock);
	u = new_undo();
	u->kind = U_RENAME;
	snprintf(u->from, sizeof u->from, "%s", from);
	snprintf(u->path, sizeof u->path, "%s", to);
	if (realpath(to, u->dir) == NULL)
		snprintf(u->dir, sizeof u->dir, "%s", to);
	if ((slash = strrchr(u->dir, '/')) != NULL)
		*slash = '\0';
	pthread_mutex_unlock(&lock);
}

int
rename(const char *from, const char *to)
{
	NEXT(int, rename, (const char *, const char *));
	int e, rc;

	if ((e = fault(OP_RENAME)) != 0) {
		errno = e == -1 ? EIO : e;
		return -1;
	}
	tick();
	if ((rc = next_rename(from, to)) == 0)
		keep_rename(from, to);
	return rc;
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
