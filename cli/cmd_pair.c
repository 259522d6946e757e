/* cmd_pair.c -- pairing client devices: `cdsync pair code | request |
 * approve | finish | list | revoke`.
 *
 * Contract: as the other commands (args.h exit codes).  The code travels
 * by voice (the school node shows it, its operator reads it to the person
 * with the device); the request and the certificate travel as files until
 * the daemon carries them over the school's Wi-Fi.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

enum { T_OUT = 1, T_CODE, T_DEVICE, T_MINUTES, T_JSON };

void
pair_help(FILE *f)
{
	fprintf(f, "%s cdsync pair code [--minutes %s]\n", _("Usage:"),
		_("N"));
	fprintf(f, "       cdsync pair request --code %s --device %s --out %s\n",
		"XXXX-XXXX-XXXX", _("NAME"), _("FILE"));
	fprintf(f, "       cdsync pair approve %s --out %s\n", _("REQUEST"),
		_("FILE"));
	fprintf(f, "       cdsync pair finish %s\n", _("CERTIFICATE"));
	fprintf(f, "       cdsync pair list [--json]\n");
	fprintf(f, "       cdsync pair revoke %s\n\n", _("DEVICE"));
	help_para(f, _("A phone or another PC of the school (set up with "
		       "'cdsync init --role client') pairs with the school "
		       "node once.  The node shows a code ('code', valid for "
		       "10 minutes and one device); the device writes a "
		       "request with it ('request'); the node checks it and "
		       "certifies the device ('approve'); the device takes "
		       "the certificate in ('finish').  Each side knows the "
		       "other is the one the code was shown to.  The node's "
		       "sync over the school's Wi-Fi takes only paired "
		       "devices; 'revoke' unpairs a lost phone."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--minutes N"), _("how long the code stays valid "
					"(default 10, at most 1440)"));
	help_opt(f, "--code XXXX-XXXX-XXXX", _("the code the node showed"));
	help_opt(f, _("--device NAME"),
		 _("a name for this device in the node's list"));
	help_opt(f, _("--out FILE"), _("where to write the request, or the "
				       "certificate for the device"));
	help_opt(f, "--json", _("the list as JSON"));
	rec_commonhelp(f);
}

static void
hexid(const uint8_t id[16], char out[33])
{
	static const char hx[] = "0123456789abcdef";
	size_t k;

	for (k = 0; k < 16; k++) {
		out[2 * k] = hx[id[k] >> 4];
		out[2 * k + 1] = hx[id[k] & 15];
	}
	out[32] = '\0';
}

static void
day(uint64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000u);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, n, "%d/%m/%Y %H:%M", &tm);
}

static int
pair_list(cdsync *db, int json)
{
	cdsync_client_info c;
	struct json j;
	char hex[33], when[40], fpr[20];
	uint8_t node[16];
	size_t i;

	if (cdsync_paired_node(db, node, fpr) == CDSYNC_OK) {
		hexid(node, hex);
		printf(_("This device is paired with node …%s (fingerprint "
			 "%s).\n"),
		       hex + 24, fpr);
		return EXIT_OK;
	}
	if (json) {
		json_init(&j, stdout);
		json_arr(&j);
	}
	for (i = 0; cdsync_client_at(db, i, &c) == CDSYNC_OK; i++) {
		hexid(c.client, hex);
		if (json) {
			json_obj(&j);
			json_key(&j, "client");
			json_str(&j, hex);
			json_key(&j, "device");
			json_str(&j, c.device);
			json_key(&j, "fingerprint");
			json_str(&j, c.fingerprint);
			json_key(&j, "paired_ms");
			json_int(&j, (int64_t)c.paired_ms);
			json_key(&j, "revoked_ms");
			if (c.revoked_ms)
				json_int(&j, (int64_t)c.revoked_ms);
			else
				json_null(&j);
			json_obj_end(&j);
			continue;
		}
		day(c.paired_ms, when, sizeof when);
		printf("%s  %-30s  %s  %s", hex + 24, c.device, c.fingerprint,
		       when);
		if (c.revoked_ms) {
			day(c.revoked_ms, when, sizeof when);
			printf(_("  (unpaired %s)"), when);
		}
		putchar('\n');
	}
	if (json) {
		json_arr_end(&j);
		json_done(&j);
	} else if (i == 0) {
		printf("%s\n", _("No device is paired with this node."));
	}
	return EXIT_OK;
}

static int
pair_verb(cdsync *db, const char *verb, const struct args *a)
{
	cdsync_client_info c;
	char code[CDSYNC_PAIR_CODEBYTES], fpr[20], *end;
	const char *out = args_get(a, T_OUT), *m = args_get(a, T_MINUTES);
	unsigned long minutes = 0;
	uint8_t node[16];
	int rc;

	if (strcmp(verb, "code") == 0) {
		if (m != NULL) {
			minutes = strtoul(m, &end, 10);
			if (*end != '\0' || *m == '\0' || minutes > 1440)
				return usage_err("pair code",
						 _("--minutes: '%s' is not a "
						   "number of minutes up to "
						   "1440"),
						 m);
		}
		if ((rc = cdsync_pair_code(db, (unsigned)minutes, code)) !=
		    CDSYNC_OK)
			return lib_err(db, rc);
		printf(_("Pairing code: %s\n"), code);
		printf(_("Read it to the person holding the device; it works "
			 "once, for %lu minutes.\n"),
		       minutes ? minutes : 10ul);
		return EXIT_OK;
	}
	if (strcmp(verb, "request") == 0) {
		if (out == NULL || args_get(a, T_CODE) == NULL ||
		    args_get(a, T_DEVICE) == NULL)
			return usage_err("pair request", "%s",
					 _("--code, --device and --out FILE "
					   "are required"));
		if ((rc = cdsync_pair_request(db, args_get(a, T_CODE),
					      args_get(a, T_DEVICE), out)) !=
		    CDSYNC_OK)
			return lib_err(db, rc);
		printf(_("Pairing request written to %s; give it to the "
			 "school node.\n"),
		       out);
		return EXIT_OK;
	}
	if (strcmp(verb, "approve") == 0) {
		if (out == NULL)
			return usage_err("pair approve", "%s",
					 _("--out FILE is required"));
		if ((rc = cdsync_pair_approve(db, a->pos[0], out, &c)) !=
		    CDSYNC_OK)
			return lib_err(db, rc);
		printf(_("Paired the device %s (fingerprint %s).  Its "
			 "certificate is in %s: the device takes it in with "
			 "'cdsync pair finish %s'.\n"),
		       c.device, c.fingerprint, out, out);
		return EXIT_OK;
	}
	if (strcmp(verb, "finish") == 0) {
		if ((rc = cdsync_pair_finish(db, a->pos[0])) != CDSYNC_OK ||
		    (rc = cdsync_paired_node(db, node, fpr)) != CDSYNC_OK)
			return lib_err(db, rc);
		printf(_("This device is now paired with its school node "
			 "(fingerprint %s).\n"),
		       fpr);
		return EXIT_OK;
	}
	if (strcmp(verb, "revoke") == 0) {
		if ((rc = cdsync_client_revoke(db, a->pos[0])) != CDSYNC_OK)
			return lib_err(db, rc);
		printf(_("The device %s is unpaired: this node no longer "
			 "syncs with it.\n"),
		       a->pos[0]);
		return EXIT_OK;
	}
	return pair_list(db, args_get(a, T_JSON) != NULL);
}

int
cmd_pair(int argc, char **argv)
{
	static const char *const verbs[] = { "code", "request", "approve",
					     "finish", "list", "revoke" };
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	const char *verb;
	char full[64];
	size_t i, nargs;
	int ex;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0) {
		pair_help(argc < 1 ? stderr : stdout);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	verb = argv[0];
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strcmp(verb, verbs[i]) == 0)
			break;
	if (i == sizeof verbs / sizeof verbs[0]) {
		msg_err(_("'%s' is not a verb of 'cdsync pair'"), verb);
		fprintf(stderr, "%s\n", _("Try 'cdsync pair --help'."));
		return EXIT_USAGE;
	}
	snprintf(full, sizeof full, "pair %s", verb);
	if (optset_add(&os, "out", T_OUT, OPT_VALUE) != 0 ||
	    optset_add(&os, "code", T_CODE, OPT_VALUE) != 0 ||
	    optset_add(&os, "device", T_DEVICE, OPT_VALUE) != 0 ||
	    optset_add(&os, "minutes", T_MINUTES, OPT_VALUE) != 0 ||
	    optset_add(&os, "json", T_JSON, OPT_FLAG) != 0) {
		optset_free(&os);
		return EXIT_FAIL;
	}
	if ((ex = args_parse(full, argc - 1, argv + 1, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		pair_help(stdout);
		goto out;
	}
	nargs = strcmp(verb, "approve") == 0 || strcmp(verb, "finish") == 0 ||
		strcmp(verb, "revoke") == 0;
	if ((ex = args_positional(full, &a, nargs, nargs,
				  strcmp(verb, "approve") == 0
				  ? _("the request file")
				  : strcmp(verb, "finish") == 0
				  ? _("the certificate file")
				  : _("the device"))) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	ex = pair_verb(db, verb, &a);
out:
	ex = ex < 0 ? EXIT_OK : ex;
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}
