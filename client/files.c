/* files.c -- see files.h. */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "i18n.h"

static int
same_file(const char *path, const uint8_t *p, size_t n)
{
	uint8_t buf[65536];
	size_t off = 0, r;
	FILE *f = fopen(path, "rb");
	int same = 1;

	if (f == NULL)
		return 0;
	while (same && (r = fread(buf, 1, sizeof buf, f)) > 0) {
		if (off + r > n || memcmp(buf, p + off, r) != 0)
			same = 0;
		off += r;
	}
	same = same && !ferror(f) && off == n;
	fclose(f);
	return same;
}

void
cds_file_sweep(const char *dir)
{
	char path[4200];
	struct dirent *e;
	const char *t;
	char *end;
	long pid;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' ||
		    (t = strstr(e->d_name, ".tmp-")) == NULL)
			continue;
		pid = strtol(t + 5, &end, 10);
		if (end == t + 5 || *end != '\0' || pid <= 0 ||
		    pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;	/* that run is alive (or not ours) */
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

int
cds_file_write(cdsync *db, const char *dir, const char *name,
	     const uint8_t *p, size_t n, int *wrote)
{
	char path[4096], tmp[4200];
	const char *op = "open";
	size_t off = 0;
	ssize_t w;
	int fd, dfd, e;

	*wrote = 0;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (same_file(path, p, n))
		return CDSYNC_OK;
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp-%ld", dir, name, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) <
	    0)
		goto fail;
	op = "write";
	while (off < n) {
		w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			goto failfd;
		}
		off += (size_t)w;
	}
	op = "fsync";
	if (fsync(fd) != 0)
		goto failfd;
	op = "close";
	if (close(fd) != 0)
		goto failtmp;
	op = "rename";
	if (rename(tmp, path) != 0)
		goto failtmp;
	/* the rename is durable once the folder is synced: if that fails,
	 * the file is not trusted (removed: the next run writes it again) */
	op = "fsync of the folder";
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		if (fsync(dfd) != 0 && errno != EINVAL) {
			e = errno;
			close(dfd);
			unlink(path);
			errno = e;
			goto fail;
		}
		close(dfd);
	}
	*wrote = 1;
	return CDSYNC_OK;
failfd:
	e = errno;
	close(fd);
	errno = e;
failtmp:
	e = errno;
	unlink(tmp);
	errno = e;
fail:
	return cds_err(db, CDSYNC_EIO, _("%s: %s failed: %s"), path, op,
		       strerror(errno));
}

int
cds_file_read(cdsync *db, const char *path, size_t max, const char *what,
	      int toobig, uint8_t **buf, size_t *len)
{
	struct stat sb;
	FILE *f;

	*buf = NULL;
	if ((f = fopen(path, "rb")) == NULL)
		return cds_err(db, CDSYNC_ENOTFOUND, _("cannot open %s: %s"),
			       path, strerror(errno));
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return cds_err(db, CDSYNC_EIO, _("%s is not a regular file"),
			       path);
	}
	if ((uint64_t)sb.st_size > max) {
		fclose(f);
		return cds_err(db, toobig,
			       _("%s: %lld bytes is more than %s may have "
				 "(%zu MiB)"),
			       path, (long long)sb.st_size, what, max >> 20);
	}
	if ((*buf = cds_malloc((size_t)sb.st_size + 1)) == NULL) {
		fclose(f);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	*len = fread(*buf, 1, (size_t)sb.st_size, f);
	if (ferror(f) || *len != (size_t)sb.st_size) {
		fclose(f);
		cds_free(*buf);
		*buf = NULL;
		return cds_err(db, CDSYNC_EIO, _("cannot read %s"), path);
	}
	fclose(f);
	return CDSYNC_OK;
}

void
cds_file_split(const char *path, char *dir, size_t dn, char *name, size_t nn)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		snprintf(dir, dn, ".");
		snprintf(name, nn, "%s", path);
	} else if (slash == path) {
		snprintf(dir, dn, "/");
		snprintf(name, nn, "%s", slash + 1);
	} else {
		snprintf(dir, dn, "%.*s", (int)(slash - path), path);
		snprintf(name, nn, "%s", slash + 1);
	}
}

CDSYNC_API int
cdsync_file_save(cdsync *db, const char *path, const uint8_t *p, size_t n)
{
	char dir[4096], name[1024];
	int wrote;

	cds_ok(db);
	if (path == NULL || (p == NULL && n > 0))
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	cds_file_split(path, dir, sizeof dir, name, sizeof name);
	cds_file_sweep(dir);
	return cds_file_write(db, dir, name, p, n, &wrote);
}

CDSYNC_API int
cdsync_file_load(cdsync *db, const char *path, size_t max, uint8_t **p,
		 size_t *n)
{
	cds_ok(db);
	if (path == NULL || p == NULL || n == NULL)
		return cds_err(db, CDSYNC_EINVAL, "%s", _("invalid argument"));
	return cds_file_read(db, path, max, _("a file"), CDSYNC_EINVAL, p, n);
}
