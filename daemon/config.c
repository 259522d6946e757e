/* config.c -- reading cdsyncd.conf; see config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"

void
cdsd_config_defaults(struct cdsd_config *c)
{
	memset(c, 0, sizeof *c);
	c->interval = 60;
	c->backoff_base = 2;
	c->backoff_cap = 600;
	c->chunk = 65536;
	c->timeout = 300;
	c->max_upload = 64u << 20;
	c->connection_limit = 64;
	c->per_ip_limit = 8;
	c->idle_timeout = 30;
	c->request_timeout = 300;
	c->level = CDSD_INFO;
	c->rollup_at = 2 * 60;
}

/* A whole number in [lo, hi]; 0 or -1. */
static int
number(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

/* "127.0.0.1:8440" or "[::1]:8440" */
static int
hostport(const char *v, struct cdsd_config *c)
{
	const char *colon = strrchr(v, ':');
	uint64_t port;
	size_t n;

	if (colon == NULL || number(colon + 1, 0, 65535, &port) != 0)
		return -1;
	n = (size_t)(colon - v);
	if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
		v++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof c->listen_addr)
		return -1;
	memcpy(c->listen_addr, v, n);
	c->listen_addr[n] = '\0';
	c->listen_port = (uint16_t)port;
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* "tcp://0.0.0.0:7420 ipc:///run/cdsync/lan": 1 to CDSD_LAN_MAX nanomsg
 * endpoints, TCP with an address and a port, or IPC with a path. */
static int
endpoints(struct cdsd_config *c, const char *v, const char **why)
{
	const char *p = v, *e;
	uint64_t port;
	char one[256];
	size_t n;

	*why = N_("write up to 4 addresses, like tcp://0.0.0.0:7420 or "
		  "ipc:///run/cdsync/lan");
	c->nlan = 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' ' && *e != '\t'; e++)
			;
		n = (size_t)(e - p);
		if (n >= sizeof one || c->nlan == CDSD_LAN_MAX)
			return -1;
		memcpy(one, p, n);
		one[n] = '\0';
		if (strncmp(one, "ipc://", 6) == 0) {
			if (one[6] == '\0')
				return -1;
		} else if (strncmp(one, "tcp://", 6) == 0) {
			const char *colon = strrchr(one + 6, ':');

			if (colon == NULL || colon == one + 6 ||
			    number(colon + 1, 1, 65535, &port) != 0)
				return -1;
		} else {
			return -1;
		}
		memcpy(c->lan[c->nlan++], one, n + 1);
		p = e;
	}
	return c->nlan > 0 ? 0 : -1;
}

/* One "key = value"; 0, or -1 with why. */
static int
setting(struct cdsd_config *c, const char *k, const char *v,
	const char **why)
{
	static const struct {
		const char *key;
		uint64_t lo, hi;
	} nums[] = {
		{ "interval", 1, 86400 },    { "backoff_base", 1, 3600 },
		{ "backoff_cap", 1, 86400 }, { "chunk", 1024, 16u << 20 },
		{ "timeout", 5, 86400 },     { "max_upload", 1024, 1u << 30 },
		{ "connection_limit", 1, 100000 },
		{ "per_ip_limit", 1, 100000 },
		{ "idle_timeout", 1, 3600 }, { "request_timeout", 1, 86400 },
	};
	uint64_t n;
	size_t i;

	if (strcmp(k, "listen") == 0) {
		*why = N_("write an address and a port, like 127.0.0.1:8440");
		return hostport(v, c);
	}
	if (strcmp(k, "upstream") == 0) {
		*why = N_("write the upper hub's address, like "
			  "http://10.0.0.2:8440/");
		if ((strncmp(v, "http://", 7) != 0 &&
		     strncmp(v, "https://", 8) != 0) ||
		    strlen(v) >= sizeof c->upstream - 8 || strchr(v, ' '))
			return -1;
		snprintf(c->upstream, sizeof c->upstream, "%s", v);
		return 0;
	}
	if (strcmp(k, "lan") == 0)
		return endpoints(c, v, why);
	if (strcmp(k, "rollup_at") == 0) {
		*why = N_("write a time of day, like 02:00, or off");
		if (strcmp(v, "off") == 0) {
			c->rollup_at = -1;
			return 0;
		}
		if (strlen(v) != 5 || !isdigit((unsigned char)v[0]) ||
		    !isdigit((unsigned char)v[1]) || v[2] != ':' ||
		    !isdigit((unsigned char)v[3]) ||
		    !isdigit((unsigned char)v[4]) ||
		    (v[0] - '0') * 10 + (v[1] - '0') > 23 ||
		    (v[3] - '0') * 10 + (v[4] - '0') > 59)
			return -1;
		c->rollup_at = ((v[0] - '0') * 10 + (v[1] - '0')) * 60 +
			       (v[3] - '0') * 10 + (v[4] - '0');
		return 0;
	}
	if (strcmp(k, "root_fingerprint") == 0) {
		size_t k2;

		*why = N_("write the national root's fingerprint, like "
			  "0R97-8ZZH-71AF-N9ZV");
		if (strlen(v) != 19)
			return -1;
		for (k2 = 0; k2 < 19; k2++)
			if (k2 % 5 == 4 ? v[k2] != '-'
					: !isalnum((unsigned char)v[k2]))
				return -1;
		snprintf(c->root_fingerprint, sizeof c->root_fingerprint, "%s",
			 v);
		return 0;
	}
	if (strcmp(k, "log") == 0) {
		*why = N_("write debug, info, warn or error");
		c->level = strcmp(v, "debug") == 0  ? CDSD_DEBUG
			   : strcmp(v, "info") == 0 ? CDSD_INFO
			   : strcmp(v, "warn") == 0 ? CDSD_WARN
						    : CDSD_ERROR;
		return strcmp(v, "error") == 0 || c->level != CDSD_ERROR ? 0
									 : -1;
	}
	for (i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		if (strcmp(k, nums[i].key) != 0)
			continue;
		*why = N_("not a whole number in the allowed range");
		if (number(v, nums[i].lo, nums[i].hi, &n) != 0)
			return -1;
		switch (i) {
		case 0: c->interval = (unsigned)n; break;
		case 1: c->backoff_base = (unsigned)n; break;
		case 2: c->backoff_cap = (unsigned)n; break;
		case 3: c->chunk = (size_t)n; break;
		case 4: c->timeout = (unsigned)n; break;
		case 5: c->max_upload = n; break;
		case 6: c->connection_limit = (unsigned)n; break;
		case 7: c->per_ip_limit = (unsigned)n; break;
		case 8: c->idle_timeout = (unsigned)n; break;
		default: c->request_timeout = (unsigned)n; break;
		}
		return 0;
	}
	*why = N_("unknown setting");
	return -1;
}

int
cdsd_config_read(const char *path, struct cdsd_config *c, int *found,
		 char *err, size_t errlen)
{
	char line[1024], *k, *v, *eq, *hash;
	const char *why = "";
	unsigned no = 0;
	FILE *f;

	cdsd_config_defaults(c);
	*found = 0;
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, _("%s: cannot be read: %s"), path,
			 strerror(errno));
		return -1;
	}
	*found = 1;
	while (fgets(line, sizeof line, f) != NULL) {
		no++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, _("%s line %u: too long"), path,
				 no);
			goto bad;
		}
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		k = trim(line);
		if (*k == '\0')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, errlen,
				 _("%s line %u: write \"key = value\""), path,
				 no);
			goto bad;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if (setting(c, k, v, &why) != 0) {
			snprintf(err, errlen, _("%s line %u: %s = %s: %s"),
				 path, no, k, v, _(why));
			goto bad;
		}
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	cdsd_config_defaults(c);
	return -1;
}
