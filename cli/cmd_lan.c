/* cmd_lan.c -- `cdsync sync`: sync now.
 *
 * Contract: as the other commands (args.h exit codes).  On a paired
 * device it syncs with the school node over the LAN (cdsync_lan_sync):
 * --lan tcp://ADDRESS:PORT the first time, the same address after that.
 * On a school node or a hub it runs one round of the daemon's uplink
 * (daemon/node.h) to the `upstream` of <home>/cdsyncd.conf, as
 * `cdsyncd --once` does.  On a terminal it draws a progress bar on
 * stderr; at the end it prints one line of what moved.  A node or hub
 * that does not answer is exit 1 (3 for a node's round: something is
 * left for later) with a message that says nothing is lost.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "config.h"
#include "home.h"
#include "lang.h"
#include "log.h"
#include "node.h"

enum { T_LAN = 1, T_TIMEOUT, T_JSON };

void
sync_help(FILE *f)
{
	fprintf(f, "%s cdsync sync [--lan %s] [--timeout %s] [--json]\n\n",
		_("Usage:"), _("ADDRESS"), _("SECONDS"));
	help_para(f, _("On a paired device (a phone, another PC of the "
		       "school): sends what this device recorded to the "
		       "school node and takes in what the school and its "
		       "other devices recorded, until both hold the same. "
		       "A cut link loses nothing: the next sync goes on "
		       "from where this one stopped.  The school node's "
		       "address is given once; later syncs use it again."));
	help_para(f, _("On a school node or a hub: sends its outbox up to the "
		       "upper hub now (the 'upstream' of cdsyncd.conf), one "
		       "round as the daemon makes, resuming where a cut "
		       "stopped it; exit 3 when something is left for "
		       "later."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--lan ADDRESS"),
		 _("the school node, like tcp://192.168.1.10:7420 (its "
		   "'lan' setting), or ipc://PATH on the same computer"));
	help_opt(f, _("--timeout SECONDS"),
		 _("how long to wait for each answer (default 10); on a "
		   "node, for each upload (default: its 'timeout')"));
	help_opt(f, "--json", _("what moved, as JSON"));
	rec_commonhelp(f);
}

struct bar {
	int on;				/* drawing on a terminal */
	int drawn;
};

/* "[#######.............]  1.234/2.500 sent, 800 received" on stderr. */
static void
draw(void *arg, const cdsync_lan_progress *p)
{
	struct bar *b = arg;
	uint64_t done = p->sent + p->received;
	uint64_t all = p->to_send + p->to_receive;
	char line[32];
	int i, fill;

	if (!b->on)
		return;
	if (all < done)
		all = done;
	fill = all ? (int)(done * 20 / all) : 20;
	for (i = 0; i < 20; i++)
		line[i] = i < fill ? '#' : '.';
	line[20] = '\0';
	fputc('\r', stderr);
	fprintf(stderr, _("[%s] %" PRIu64 "/%" PRIu64 " sent, %" PRIu64
			  "/%" PRIu64 " received"),
		line, p->sent, p->to_send, p->received, p->to_receive);
	fflush(stderr);
	b->drawn = 1;
}

static int
sync_device(cdsync *db, const struct args *a)
{
	const char *lan = args_get(a, T_LAN), *to = args_get(a, T_TIMEOUT);
	cdsync_lan_progress p;
	struct bar b = { 0, 0 };
	struct json j;
	char *end, ep[256];
	unsigned long secs = 10;
	uint64_t ms, pending;
	int rc;

	if (to != NULL) {
		secs = strtoul(to, &end, 10);
		if (*to == '\0' || *end != '\0' || secs < 1 || secs > 3600)
			return usage_err("sync", _("--timeout: '%s' is not a "
						   "number of seconds from 1 "
						   "to 3600"),
					 to);
	}
	b.on = args_get(a, T_JSON) == NULL && isatty(STDERR_FILENO);
	rc = cdsync_lan_sync(db, lan, (unsigned)secs * 1000u, draw, &b, &p);
	if (b.drawn)
		fputc('\n', stderr);
	if (rc != CDSYNC_OK) {
		if (p.sent + p.received > 0)
			printf(_("Before the sync stopped: %" PRIu64 " change(s) "
				 "sent, %" PRIu64 " received, kept.\n"),
			       p.sent, p.received);
		return lib_err(db, rc);
	}
	if (cdsync_lan_last(db, ep, &ms, &pending) != CDSYNC_OK)
		return lib_err(db, CDSYNC_ERROR);
	if (args_get(a, T_JSON) != NULL) {
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "node");
		json_str(&j, ep);
		json_key(&j, "sent");
		json_int(&j, (int64_t)p.sent);
		json_key(&j, "received");
		json_int(&j, (int64_t)p.received);
		json_key(&j, "new");
		json_int(&j, (int64_t)p.applied);
		json_obj_end(&j);
		json_done(&j);
		return EXIT_OK;
	}
	printf(_("Synced with the school node at %s: %" PRIu64 " change(s) "
		 "sent, %" PRIu64 " received (%" PRIu64 " new here).\n"),
	       ep, p.sent, p.received, p.applied);
	return EXIT_OK;
}

/* "[#######.............] bundle 2/5: 40.960/65.536 bytes" on stderr. */
static void
draw_up(void *arg, size_t item, size_t items, uint64_t confirmed,
	uint64_t total)
{
	struct bar *b = arg;
	char line[32];
	int i, fill;

	if (!b->on)
		return;
	fill = total ? (int)(confirmed * 20 / total) : 20;
	for (i = 0; i < 20; i++)
		line[i] = i < fill ? '#' : '.';
	line[20] = '\0';
	fputc('\r', stderr);
	fprintf(stderr, _("[%s] bundle %zu/%zu: %" PRIu64 "/%" PRIu64
			  " bytes at the hub"),
		line, item, items, confirmed, total);
	fflush(stderr);
	b->drawn = 1;
}

/* One round of the uplink, as cdsyncd --once. */
static int
sync_node(cdsync *db, const struct args *a)
{
	struct cdsd_config c;
	struct cdsd_node *n = NULL;
	char home[4200], conf[4300], err[1200];
	uint64_t retry = 0, wire = 0;
	size_t sent = 0, left = 0;
	uint64_t bytes = 0;
	int found, r;

	if (args_get(a, T_LAN) != NULL)
		return usage_err("sync", "%s",
				 _("--lan is for a paired device; a node sends "
				   "up to its hub, the 'upstream' of its "
				   "cdsyncd.conf"));
	if (home_store_path(home, sizeof home) != 0)
		return EXIT_FAIL;
	*strrchr(home, '/') = '\0';
	snprintf(conf, sizeof conf, "%s/cdsyncd.conf", home);
	if (cdsd_config_read(conf, &c, &found, err, sizeof err) != 0) {
		msg_err("%s", err);
		return EXIT_FAIL;
	}
	if (c.upstream[0] == '\0') {
		msg_err(_("this node has no upper hub to send to: write "
			  "'upstream = http://ADDRESS:PORT/' in %s, or carry "
			  "its bundles on a stick with 'cdsync export'"),
			conf);
		return EXIT_FAIL;
	}
	if (args_get(a, T_TIMEOUT) != NULL) {
		char *end;
		unsigned long secs = strtoul(args_get(a, T_TIMEOUT), &end, 10);

		if (*end != '\0' || secs < 5 || secs > 86400)
			return usage_err("sync", _("--timeout: '%s' is not a "
						   "number of seconds from 5 "
						   "to 86400"),
					 args_get(a, T_TIMEOUT));
		c.timeout = (unsigned)secs;
	}
	cdsd_log_level(CDSD_WARN);
	if (cdsd_node_open(home, &n, err, sizeof err) != 0) {
		msg_err("%s", err);
		return EXIT_FAIL;
	}
	{
		struct bar b = { 0, 0 };

		b.on = args_get(a, T_JSON) == NULL && isatty(STDERR_FILENO);
		cdsd_node_progress(n, draw_up, &b);
		r = cdsd_node_round(n, db, &c, &retry, &sent, &wire);
		if (b.drawn)
			fputc('\n', stderr);
	}
	cdsd_node_close(&n);
	if (cdsync_outbox_size(db, &left, &bytes) != CDSYNC_OK)
		return lib_err(db, CDSYNC_ERROR);
	if (args_get(a, T_JSON) != NULL) {
		struct json j;

		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "upstream");
		json_str(&j, c.upstream);
		json_key(&j, "sent");
		json_int(&j, (int64_t)sent);
		json_key(&j, "wire_bytes");
		json_int(&j, (int64_t)wire);
		json_key(&j, "outbox");
		json_int(&j, (int64_t)left);
		json_obj_end(&j);
		json_done(&j);
	} else {
		printf(_("%zu bundle(s) sent up to %s, %" PRIu64 " bytes on the "
			 "wire; %zu still waiting to go up.\n"),
		       sent, c.upstream, wire, left);
	}
	return r < 0 ? EXIT_FAIL : r > 0 ? 3 : EXIT_OK;
}

int
cmd_sync(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync_role role;
	cdsync *db = NULL;
	int ex, rc;

	if (optset_add(&os, "lan", T_LAN, OPT_VALUE) != 0 ||
	    optset_add(&os, "timeout", T_TIMEOUT, OPT_VALUE) != 0 ||
	    optset_add(&os, "json", T_JSON, OPT_FLAG) != 0) {
		optset_free(&os);
		return EXIT_FAIL;
	}
	if ((ex = args_parse("sync", argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		sync_help(stdout);
		goto out;
	}
	if ((ex = args_positional("sync", &a, 0, 0, "")) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	if ((rc = cdsync_node_role(db, &role)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	if (role == CDSYNC_ROLE_CLIENT) {
		ex = sync_device(db, &a);
		goto out;
	}
	ex = sync_node(db, &a);
out:
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}
