/* config_fuzz.c -- cdsyncd.conf (daemon/config.c) on arbitrary bytes.
 * The input is written to a file of its own and read back.  Invariants:
 * a file that reads holds values inside the ranges config.h gives (a
 * listen address of some bytes, an http(s) upstream, positive intervals);
 * a file refused says why, naming the file, and leaves the defaults. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/cdsyncd-conf-fuzz-XXXXXX", err[1400];
	struct cdsd_config c, d;
	int fd, found, rc;

	if ((fd = mkstemp(path)) < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	err[0] = '\0';
	rc = cdsd_config_read(path, &c, &found, err, sizeof err);
	unlink(path);
	cdsd_config_defaults(&d);
	if (rc == 0) {
		if (!found || c.interval < 1 || c.backoff_base < 1 ||
		    c.backoff_cap < 1 || c.chunk < 1024 || c.timeout < 5 ||
		    c.connection_limit < 1 || c.per_ip_limit < 1 ||
		    c.level > CDSD_ERROR ||
		    memchr(c.listen_addr, '\0', sizeof c.listen_addr) == NULL ||
		    memchr(c.upstream, '\0', sizeof c.upstream) == NULL ||
		    (c.upstream[0] != '\0' &&
		     strncmp(c.upstream, "http://", 7) != 0 &&
		     strncmp(c.upstream, "https://", 8) != 0))
			abort();
	} else if (rc != -1 || strncmp(err, path, strlen(path)) != 0 ||
		   memcmp(&c, &d, sizeof c) != 0) {
		abort();
	}
	return 0;
}
