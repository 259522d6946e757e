/* main.c -- cdsyncd, the always-on node: one program, two roles.
 *
 * Contract:
 *   cdsyncd [--home DIR] [--once] [--passphrase-file FILE]
 * The home is --home, else $CDSYNC_HOME, else ~/.cdsync: the store made by
 * `cdsync init` and the configuration cdsyncd.conf (config.h).  The role
 * comes from the store:
 *   - a hub (district, province) or the national hub listens for uploads
 *     (`listen`, hub.h) and writes the port it got to <home>/cdsyncd.port;
 *   - a school node or a district hub with an `upstream` sends its outbox
 *     up (node.h): at start, every `interval` seconds, at once on SIGUSR1,
 *     and after a failure when its backoff ends.
 * The passphrase of the node's keys comes from --passphrase-file, else
 * $CDSYNC_PASSPHRASE, else $CREDENTIALS_DIRECTORY/cdsync-passphrase
 * (systemd's LoadCredential=); a wrong one stops the start.
 * SIGHUP reloads the configuration (all but `listen`); SIGTERM and SIGINT
 * stop it cleanly: the upload in flight keeps what the hub got, the
 * request in progress at the hub is finished or cut, and stores close.
 * --once: one round of uploads and exit (0: the outbox is empty, 3:
 * something is left for later), for scripts and tests.
 * Exit: 0 stopped cleanly, 1 could not start, 2 bad command line.
 * With `lan`, paired devices sync with it over nanomsg (lan.h).
 * A hub runs the nightly rollup (cdsync_rollup) once a day at
 * `rollup_at`, local time, and once soon after it starts if that time
 * has passed today; the loop waits for it (its uploads with it).
 * Single-threaded loop; the HTTP server and the LAN server each run in a
 * thread of their own with their own store handle (hub.h, lan.h).  Uploads block the loop, each bounded by
 * `timeout`.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cdsync/cdsync.h"
#include "config.h"
#include "hub.h"
#include "lan.h"
#include "lang.h"
#include "log.h"
#include "node.h"

#ifndef CDSYNC_VERSION
#define CDSYNC_VERSION "0.1.0"
#endif

static char pass[1024];		/* the passphrase, wiped at exit */

static int
give_pass(void *ctx, char *buf, size_t n)
{
	(void)ctx;
	if (pass[0] == '\0')
		return -1;
	snprintf(buf, n, "%s", pass);
	return 0;
}

/* The first line of a file into pass; 0 or -1. */
static int
pass_from(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return -1;
	if (fgets(pass, sizeof pass, f) == NULL)
		pass[0] = '\0';
	fclose(f);
	n = strlen(pass);
	while (n > 0 && (pass[n - 1] == '\n' || pass[n - 1] == '\r'))
		pass[--n] = '\0';
	return 0;
}

static int
find_pass(const char *file)
{
	const char *v;
	char path[PATH_MAX];

	if (file != NULL) {
		if (pass_from(file) != 0) {
			cdsd_log(CDSD_ERROR, _("%s: cannot be read: %s"), file,
				 strerror(errno));
			return -1;
		}
		return 0;
	}
	if ((v = getenv("CDSYNC_PASSPHRASE")) != NULL && *v != '\0') {
		snprintf(pass, sizeof pass, "%s", v);
		return 0;
	}
	if ((v = getenv("CREDENTIALS_DIRECTORY")) != NULL && *v != '\0') {
		snprintf(path, sizeof path, "%s/cdsync-passphrase", v);
		(void)pass_from(path);
	}
	return 0;
}

static int
home_dir(const char *opt, char *buf, size_t n)
{
	const char *h;

	if (opt != NULL && *opt != '\0')
		snprintf(buf, n, "%s", opt);
	else if ((h = getenv("CDSYNC_HOME")) != NULL && *h != '\0')
		snprintf(buf, n, "%s", h);
	else if ((h = getenv("HOME")) != NULL && *h != '\0')
		snprintf(buf, n, "%s/.cdsync", h);
	else
		return -1;
	return 0;
}

/* <home>/cdsyncd.port, written whole or not at all. */
static int
write_port(const char *home, unsigned port)
{
	char tmp[PATH_MAX + 32], path[PATH_MAX + 32];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s/cdsyncd.port.tmp", home);
	snprintf(path, sizeof path, "%s/cdsyncd.port", home);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	if (fprintf(f, "%u\n", port) < 0 || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
usage(FILE *f)
{
	fprintf(f, "%s cdsyncd [--home %s] [--once] [--passphrase-file %s]\n\n",
		_("Usage:"), _("DIR"), _("FILE"));
	fprintf(f, "%s\n", _("The always-on node: a hub takes the bundles of "
			     "the nodes below it over HTTP and answers each "
			     "with a signed receipt; a node sends its "
			     "bundles up to its hub whenever a link exists, "
			     "resuming where a cut stopped it.  Settings in "
			     "<home>/cdsyncd.conf; SIGHUP reloads them, "
			     "SIGUSR1 sends at once, SIGTERM stops."));
}

struct run {
	char home[PATH_MAX];
	char conf[PATH_MAX + 32];
	char store[PATH_MAX + 32];
	struct cdsd_config cfg;
	cdsync *db;
	struct cdsd_hub *hub;
	struct cdsd_lan *lan;
	struct cdsd_node *node;
	cdsync_role role;
};

static int
load_config(struct run *r, int first)
{
	struct cdsd_config c;
	char err[1200];
	int found;

	if (cdsd_config_read(r->conf, &c, &found, err, sizeof err) != 0) {
		cdsd_log(CDSD_ERROR, "%s", err);
		return -1;
	}
	if (r->role == CDSYNC_ROLE_NATIONAL && c.upstream[0] != '\0') {
		cdsd_log(CDSD_ERROR, _("%s: the national hub has no upper hub: "
				       "remove 'upstream'"),
			 r->conf);
		return -1;
	}
	if (r->role != CDSYNC_ROLE_SCHOOL && c.listen_addr[0] == '\0' &&
	    first) {
		cdsd_log(CDSD_ERROR, _("%s: a hub needs 'listen = ADDRESS:PORT' "
				       "for the nodes below it"),
			 r->conf);
		return -1;
	}
	if (!first && (strcmp(c.listen_addr, r->cfg.listen_addr) != 0 ||
		       c.listen_port != r->cfg.listen_port)) {
		cdsd_log(CDSD_WARN, "%s", _("'listen' changes at the next "
					    "start, not on reload"));
		memcpy(c.listen_addr, r->cfg.listen_addr,
		       sizeof c.listen_addr);
		c.listen_port = r->cfg.listen_port;
	}
	if (!first && (c.nlan != r->cfg.nlan ||
		       memcmp(c.lan, r->cfg.lan, sizeof c.lan) != 0)) {
		cdsd_log(CDSD_WARN, "%s", _("'lan' changes at the next start, "
					    "not on reload"));
		memcpy(c.lan, r->cfg.lan, sizeof c.lan);
		c.nlan = r->cfg.nlan;
	}
	r->cfg = c;
	cdsd_log_level(c.level);
	if (!found && first)
		cdsd_log(CDSD_INFO, _("%s not found: built-in settings"),
			 r->conf);
	return 0;
}

static int
start(struct run *r, const char *home_opt, const char *pass_file)
{
	char err[1200];
	int rc;

	if (home_dir(home_opt, r->home, sizeof r->home) != 0) {
		cdsd_log(CDSD_ERROR, "%s", _("cannot tell where the node's "
					     "home is: give --home DIR"));
		return -1;
	}
	snprintf(r->conf, sizeof r->conf, "%s/cdsyncd.conf", r->home);
	snprintf(r->store, sizeof r->store, "%s/store.db", r->home);
	if (find_pass(pass_file) != 0)
		return -1;
	if (access(r->store, F_OK) != 0) {
		cdsd_log(CDSD_ERROR, _("there is no cdsync store at %s yet: "
				       "set the node up with 'cdsync init' "
				       "first"),
			 r->store);
		return -1;
	}
	if ((rc = cdsync_open(r->store, 0, &r->db)) != CDSYNC_OK ||
	    (rc = cdsync_node_role(r->db, &r->role)) != CDSYNC_OK) {
		cdsd_log(CDSD_ERROR, "%s", r->db ? cdsync_errmsg(r->db)
						 : cdsync_strerror(rc));
		return -1;
	}
	if (r->role == CDSYNC_ROLE_CLIENT) {
		cdsd_log(CDSD_ERROR, "%s", _("this store is a client device: "
					     "cdsyncd runs on the school "
					     "node"));
		return -1;
	}
	cdsync_passphrase_cb(r->db, give_pass, NULL);
	if (cdsync_unlock(r->db, NULL) != CDSYNC_OK) {
		cdsd_log(CDSD_ERROR, "%s", cdsync_errmsg(r->db));
		return -1;
	}
	if (load_config(r, 1) != 0)
		return -1;
	if (r->cfg.listen_addr[0] != '\0') {
		if (cdsd_hub_start(r->home, r->store, &r->cfg, give_pass, NULL,
				   &r->hub, err, sizeof err) != 0) {
			cdsd_log(CDSD_ERROR, "%s", err);
			return -1;
		}
		if (write_port(r->home, cdsd_hub_port(r->hub)) != 0)
			cdsd_log(CDSD_WARN, _("cannot write %s/cdsyncd.port"),
				 r->home);
		cdsd_log(CDSD_INFO, _("listening on %s port %u"),
			 r->cfg.listen_addr, (unsigned)cdsd_hub_port(r->hub));
	}
	if (r->cfg.nlan > 0) {
		unsigned i;

		if (cdsd_lan_start(r->store, &r->cfg, give_pass, NULL, &r->lan,
				   err, sizeof err) != 0) {
			cdsd_log(CDSD_ERROR, "%s", err);
			return -1;
		}
		for (i = 0; i < r->cfg.nlan; i++)
			cdsd_log(CDSD_INFO, _("devices sync at %s"),
				 r->cfg.lan[i]);
	}
	if (cdsd_node_open(r->home, &r->node, err, sizeof err) != 0) {
		cdsd_log(CDSD_ERROR, "%s", err);
		return -1;
	}
	return 0;
}

static void
finish(struct run *r)
{
	cdsd_hub_stop(&r->hub);
	cdsd_lan_stop(&r->lan);
	cdsd_node_close(&r->node);
	cdsync_close(r->db);
	r->db = NULL;
}

/* A hub below the national one signs a snapshot of its rollup after the
 * nightly rollup (SPEC.md 14): its own writes sealed first, so that every
 * figure comes from a bundle; the uplink forwards it. */
static void
snapshot_make(struct run *r)
{
	cdsync_snapshot_info info;
	uint8_t *snap = NULL;
	size_t len = 0, sealed = 0;
	char err[256];

	if (cdsync_seal(r->db, &sealed) != CDSYNC_OK ||
	    cdsync_snapshot_make(r->db, NULL, &snap, &len) != CDSYNC_OK) {
		cdsd_log(CDSD_ERROR, _("the nightly snapshot: %s"),
			 cdsync_errmsg(r->db));
		return;
	}
	if (cdsync_snapshot_read(snap, len, &info, err, sizeof err) ==
	    CDSYNC_OK)
		cdsd_log(CDSD_INFO, _("the nightly snapshot: %zu units, %zu "
				      "nodes' bundles, checkpoint of %llu "
				      "leaves, %zu bytes, signed"),
			 info.units, info.heads,
			 (unsigned long long)info.tree_size, len);
	cdsync_free(snap);
}

/* At a hub with hubs below: the snapshots they forwarded, checked by
 * recomputing their figures from the bundles (SPEC.md 14.6), at most
 * every 2 s (*last: mono_ms of the last look). */
static void
snapshots_due(struct run *r, uint64_t *last)
{
	size_t checked = 0, differ = 0;
	uint64_t now = mono_ms();

	if (r->role == CDSYNC_ROLE_SCHOOL || r->role == CDSYNC_ROLE_CLIENT ||
	    now - *last < 2000)
		return;
	*last = now;
	if (cdsync_snapshot_check_all(r->db, &checked, &differ) !=
	    CDSYNC_OK) {
		cdsd_log(CDSD_WARN, _("checking the snapshots from below: %s"),
			 cdsync_errmsg(r->db));
		return;
	}
	if (differ > 0)
		cdsd_log(CDSD_ERROR, _("%zu snapshot(s) from below differ from "
				       "the figures of their bundles: see "
				       "'cdsync snapshot list'"),
			 differ);
	else if (checked > 0)
		cdsd_log(CDSD_INFO, _("%zu snapshot(s) from below checked: "
				      "the same figures as their bundles"),
			 checked);
}

/* The nightly rollup, at a hub, once a local day once `rollup_at` has
 * passed (*done_day: the day, yyyymmdd, it last ran). */
static void
rollup_due(struct run *r, int *done_day)
{
	cdsync_rollup_stats st;
	time_t t = time(NULL);
	uint64_t t0;
	struct tm tm;
	int today;

	if (r->role == CDSYNC_ROLE_SCHOOL || r->role == CDSYNC_ROLE_CLIENT ||
	    r->cfg.rollup_at < 0 || localtime_r(&t, &tm) == NULL)
		return;
	today = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
		tm.tm_mday;
	if (*done_day == today || tm.tm_hour * 60 + tm.tm_min < r->cfg.rollup_at)
		return;
	*done_day = today;
	t0 = mono_ms();
	if (cdsync_rollup(r->db, 0, NULL, NULL, &st) != CDSYNC_OK) {
		cdsd_log(CDSD_ERROR, _("the nightly rollup: %s; trying again "
				       "tomorrow (or run 'cdsync rollup')"),
			 cdsync_errmsg(r->db));
		return;
	}
	cdsd_log(CDSD_INFO, _("the nightly rollup: %zu units, %zu new "
			      "record(s) added, %zu unit(s) counted again%s, "
			      "in %llu ms"),
		 st.units, st.rows, st.recomputed, st.full ? _(" (all)") : "",
		 (unsigned long long)(mono_ms() - t0));
	if (r->role == CDSYNC_ROLE_HUB)
		snapshot_make(r);
}

/* One round of uploads; 0 empty, 1 something left, -1 failure. *wait_ms
 * is when to try again. */
static int
round_once(struct run *r, uint64_t *wait_ms)
{
	uint64_t retry = 0, wire = 0;
	size_t sent = 0;
	int rc;

	rc = cdsd_node_round(r->node, r->db, &r->cfg, &retry, &sent, &wire);
	if (sent > 0)
		cdsd_log(CDSD_INFO, _("%zu bundle(s) sent up, %llu bytes on "
				      "the wire"),
			 sent, (unsigned long long)wire);
	else if (wire > 0)
		cdsd_log(CDSD_DEBUG, _("nothing sent up, %llu bytes on the "
				       "wire"),
			 (unsigned long long)wire);
	*wait_ms = rc == 1 && retry > 0 ? retry
				       : (uint64_t)r->cfg.interval * 1000u;
	return rc;
}

int
main(int argc, char **argv)
{
	const char *home_opt = NULL, *pass_file = NULL;
	struct run r;
	sigset_t set;
	siginfo_t si;
	struct timespec ts;
	uint64_t next = 0, wait_ms = 0, now;
	int i, once = 0, stop = 0, sig, rc, ex = 0, rolled = 0;
	uint64_t looked = 0;

	lang_init();
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0) {
			once = 1;
		} else if (strcmp(argv[i], "--home") == 0 && i + 1 < argc) {
			home_opt = argv[++i];
		} else if (strcmp(argv[i], "--passphrase-file") == 0 &&
			   i + 1 < argc) {
			pass_file = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("cdsyncd %s\n", CDSYNC_VERSION);
			return 0;
		} else {
			fprintf(stderr, _("cdsyncd: '%s' is not an option\n"),
				argv[i]);
			usage(stderr);
			return 2;
		}
	}
	/* signals are taken by the loop alone: blocked before any thread */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	memset(&r, 0, sizeof r);
	if (start(&r, home_opt, pass_file) != 0) {
		finish(&r);
		ex = 1;
		goto out;
	}
	if (once) {
		if (r.cfg.upstream[0] == '\0') {
			cdsd_log(CDSD_ERROR, _("%s: --once sends up: set "
					       "'upstream'"),
				 r.conf);
			ex = 1;
		} else {
			rc = round_once(&r, &wait_ms);
			ex = rc == 0 ? 0 : rc == 1 ? 3 : 1;
		}
		finish(&r);
		goto out;
	}
	cdsd_log(CDSD_INFO, _("cdsyncd %s started in %s"), CDSYNC_VERSION,
		 r.home);
	while (!stop) {
		rollup_due(&r, &rolled);
		snapshots_due(&r, &looked);
		now = mono_ms();
		if (r.cfg.upstream[0] != '\0' && now >= next) {
			if (round_once(&r, &wait_ms) < 0)
				wait_ms = (uint64_t)r.cfg.interval * 1000u;
			next = mono_ms() + wait_ms;
		}
		now = mono_ms();
		wait_ms = r.cfg.upstream[0] != '\0' && next > now ? next - now
								  : 1000;
		if (wait_ms > 1000)
			wait_ms = 1000;
		ts.tv_sec = (time_t)(wait_ms / 1000);
		ts.tv_nsec = (long)(wait_ms % 1000) * 1000000L;
		sig = sigtimedwait(&set, &si, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			cdsd_log(CDSD_INFO, "%s", _("stopping"));
			stop = 1;
		} else if (sig == SIGHUP) {
			cdsd_log(CDSD_INFO, "%s", _("reloading the settings"));
			if (load_config(&r, 0) == 0)
				cdsd_node_forgive(r.node);
			next = 0;
		} else if (sig == SIGUSR1) {
			next = 0;
		}
	}
	finish(&r);
out:
	memset(pass, 0, sizeof pass);
	curl_global_cleanup();
	return ex;
}
