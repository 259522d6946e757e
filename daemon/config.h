/* config.h -- cdsyncd's configuration: <home>/cdsyncd.conf.
 *
 * One setting a line, "key = value"; '#' starts a comment; blank lines
 * are ignored.  Unknown keys and bad values are refused with the file,
 * the line and the reason, so a typo never runs silently with a default.
 *
 *   listen = 127.0.0.1:8440     hub: the HTTP endpoint (port 0: any free
 *                               port, written to <home>/cdsyncd.port)
 *   upstream = http://host:port/   the upper hub (school nodes and
 *                               district hubs; the national hub has none)
 *   interval = 60               seconds between rounds of uploads
 *   backoff_base = 2            seconds: first delay after a failure ...
 *   backoff_cap = 600           ... doubling up to this, with jitter
 *   chunk = 65536               bytes per PATCH of an upload
 *   timeout = 300               seconds one upload may take at most
 *   max_upload = 67108864       hub: the largest bundle taken
 *   connection_limit = 64       hub: connections at once
 *   per_ip_limit = 8            hub: connections from one address
 *   idle_timeout = 30           hub: seconds without a byte
 *   request_timeout = 300       hub: seconds for one request
 *   lan = tcp://0.0.0.0:7420 ipc:///run/cdsync/lan
 *                               school node: where its paired devices
 *                               sync (nanomsg endpoints, up to 4,
 *                               separated by spaces; none: no LAN sync)
 *   root_fingerprint = XXXX-XXXX-XXXX-XXXX
 *                               a node not enrolled yet: the national
 *                               root's fingerprint (read out by phone);
 *                               with it the node enrols over the network
 *                               (POST upstream/enrol, then the catalog
 *                               once the hub's operator approved)
 *   rollup_at = 02:00           hub: when the nightly rollup runs (local
 *                               time, HH:MM; off: never by itself)
 *   log = info                  debug, info, warn or error
 *
 * Reloaded on SIGHUP: everything but `listen` and `lan` takes effect at
 * once.
 */
#ifndef CDSD_CONFIG_H
#define CDSD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CDSD_LAN_MAX 4

enum cdsd_level { CDSD_DEBUG = 0, CDSD_INFO, CDSD_WARN, CDSD_ERROR };

struct cdsd_config {
	char listen_addr[64];		/* "" : no HTTP endpoint */
	uint16_t listen_port;
	char upstream[512];		/* "" : no upper hub */
	unsigned interval;		/* seconds */
	unsigned backoff_base;		/* seconds */
	unsigned backoff_cap;		/* seconds */
	size_t chunk;			/* bytes */
	unsigned timeout;		/* seconds */
	uint64_t max_upload;		/* bytes */
	unsigned connection_limit, per_ip_limit;
	unsigned idle_timeout, request_timeout;
	enum cdsd_level level;
	char lan[CDSD_LAN_MAX][256];	/* nanomsg endpoints */
	char root_fingerprint[24];	/* "": enrol by hand */
	int rollup_at;			/* minutes after midnight; -1 off */
	unsigned nlan;
};

/* The defaults above (no listen, no upstream). */
void cdsd_config_defaults(struct cdsd_config *c);
/* Reads path into *c (defaults first).  A missing file is not an error
 * (the defaults stand; *found 0).  0, or -1 with err saying which line
 * and why (c is then left with the defaults). */
int cdsd_config_read(const char *path, struct cdsd_config *c, int *found,
		     char *err, size_t errlen);

#endif
