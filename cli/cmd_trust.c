/* cmd_trust.c -- enrolment and the catalog: `cdsync enrol request |
 * approve | revoke` and `cdsync catalog import | export | show`.
 *
 * Contract: as the other commands (args.h exit codes).  A request and a
 * catalog travel as files; the fingerprints that make them safe travel by
 * voice: `enrol request` prints the node's, `enrol approve` needs it typed
 * back, and prints the national root's, which the new node's operator
 * gives to `catalog import --root-fingerprint`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

enum { T_OUT = 1, T_FPR, T_DAYS, T_REASON, T_JSON, T_ROOTFPR };

static const char *
role_name(cdsync_role r)
{
	return r == CDSYNC_ROLE_SCHOOL	  ? _("school")
	       : r == CDSYNC_ROLE_HUB	  ? _("hub")
	       : r == CDSYNC_ROLE_AUDITOR ? _("auditor")
					  : _("national");
}

static void
day(uint64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000u);
	struct tm tm;

	if (ms == 0) {
		snprintf(out, n, "-");
		return;
	}
	localtime_r(&t, &tm);
	strftime(out, n, "%d/%m/%Y", &tm);
}

/* The national root's fingerprint, from the catalog's first entry. */
static int
root_fpr(cdsync *db, char out[20])
{
	cdsync_cat_entry e;
	int rc = cdsync_catalog_at(db, 0, &e);

	snprintf(out, 20, "%s", rc == CDSYNC_OK ? e.fingerprint : "?");
	return rc;
}

/* ==== enrol =========================================================== */

void
enrol_help(FILE *f)
{
	fprintf(f, "%s cdsync enrol request --out %s\n", _("Usage:"),
		_("FILE"));
	fprintf(f, "       cdsync enrol approve %s --fingerprint %s --out %s "
		   "[--days %s]\n",
		_("REQUEST"), "XXXX-XXXX-XXXX-XXXX", _("FILE"), _("N"));
	fprintf(f, "       cdsync enrol revoke %s [--reason %s]\n\n",
		_("UNION-CODE"), _("TEXT"));
	help_para(f, _("A new node joins the tree: it writes a request "
		       "signed by its own new key and reads its fingerprint "
		       "out to the union above it (by phone); that union "
		       "approves the request with the fingerprint it heard "
		       "and gives back the catalog, which the new node takes "
		       "in with 'cdsync catalog import'.  'revoke' withdraws "
		       "a child's key (a lost laptop): bundles that arrive "
		       "signed with it from then on are refused; earlier ones "
		       "still count."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--out FILE"), _("where to write the request, or the "
				       "catalog for the new node"));
	help_opt(f, "--fingerprint XXXX-XXXX-XXXX-XXXX",
		 _("the fingerprint the new node's operator read out"));
	help_opt(f, _("--days N"),
		 _("the enrolment ends after N days (default: no end)"));
	help_opt(f, _("--reason TEXT"), _("why the key is revoked"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync enrol request --out /media/usb/yeu-cau.cdsq\n"
		   "  cdsync enrol approve /media/usb/yeu-cau.cdsq "
		   "--fingerprint 7K3M-Q9TA-1XWE-B4RD --out "
		   "/media/usb/danh-ba.cdsa\n",
		_("Examples:"));
}

static int
enrol_request(cdsync *db, const struct args *a)
{
	char fpr[20];
	const char *out = args_get(a, T_OUT);
	int rc;

	if (out == NULL)
		return usage_err("enrol request", "%s",
				 _("--out FILE is required"));
	if ((rc = cdsync_enrol_request(db, out)) != CDSYNC_OK ||
	    (rc = cdsync_fingerprint(db, fpr)) != CDSYNC_OK)
		return lib_err(db, rc);
	printf(_("Enrolment request written to %s.\n"), out);
	printf(_("Fingerprint of this node: %s\n"), fpr);
	printf("%s\n", _("Give the file to the union above this one and read "
			 "the fingerprint out to its operator by phone."));
	return EXIT_OK;
}

static int
enrol_approve(cdsync *db, const struct args *a)
{
	cdsync_request_info q;
	const char *out = args_get(a, T_OUT), *fp = args_get(a, T_FPR);
	const char *days = args_get(a, T_DAYS);
	char root[20], *end;
	unsigned long nd = 0;
	int rc;

	if ((rc = cdsync_request_read(db, a->pos[0], &q)) != CDSYNC_OK)
		return lib_err(db, rc);
	if (fp == NULL || out == NULL) {
		/* show what is asked, but never the fingerprint: the
		 * operator must hear it from the union itself */
		printf(_("Request from %s (%s), a %s node, to be enrolled "
			 "under %s.\n"),
		       q.org, q.name, role_name(q.role), q.parent);
		return usage_err("enrol approve", "%s",
				 _("--fingerprint (as the union read it out) "
				   "and --out FILE are required"));
	}
	if (days != NULL) {
		nd = strtoul(days, &end, 10);
		if (*end != '\0' || nd > 36500)
			return usage_err("enrol approve",
					 _("--days: '%s' is not a number of "
					   "days"),
					 days);
	}
	if ((rc = cdsync_enrol_approve(db, a->pos[0], fp, (unsigned)nd,
				       out)) != CDSYNC_OK)
		return lib_err(db, rc);
	root_fpr(db, root);
	printf(_("Enrolled %s (%s) as a %s node under this union.\n"), q.org,
	       q.name, role_name(q.role));
	printf(_("The catalog for it is in %s.  Its operator takes it in with "
		 "'cdsync catalog import %s --root-fingerprint %s'.\n"),
	       out, out, root);
	return EXIT_OK;
}

int
cmd_enrol(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	const char *verb;
	char full[64];
	int ex, rc, nargs;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0) {
		enrol_help(argc < 1 ? stderr : stdout);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	verb = argv[0];
	if (strcmp(verb, "request") != 0 && strcmp(verb, "approve") != 0 &&
	    strcmp(verb, "revoke") != 0) {
		msg_err(_("'%s' is not a verb of 'cdsync enrol'"), verb);
		return EXIT_USAGE;
	}
	snprintf(full, sizeof full, "enrol %s", verb);
	if (optset_add(&os, "out", T_OUT, OPT_VALUE) != 0 ||
	    optset_add(&os, "fingerprint", T_FPR, OPT_VALUE) != 0 ||
	    optset_add(&os, "days", T_DAYS, OPT_VALUE) != 0 ||
	    optset_add(&os, "reason", T_REASON, OPT_VALUE) != 0) {
		optset_free(&os);
		return EXIT_FAIL;
	}
	if ((ex = args_parse(full, argc - 1, argv + 1, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		enrol_help(stdout);
		goto out;
	}
	nargs = strcmp(verb, "request") == 0 ? 0 : 1;
	if ((ex = args_positional(full, &a, (size_t)nargs, (size_t)nargs,
				  strcmp(verb, "approve") == 0
				  ? _("the request file")
				  : _("the union code"))) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	if (strcmp(verb, "request") == 0) {
		ex = enrol_request(db, &a);
	} else if (strcmp(verb, "approve") == 0) {
		ex = enrol_approve(db, &a);
	} else if ((rc = cdsync_enrol_revoke(db, a.pos[0],
					     args_get(&a, T_REASON))) !=
		   CDSYNC_OK) {
		ex = lib_err(db, rc);
	} else {
		printf(_("The key of %s is revoked from now on: bundles that "
			 "arrive signed with it are refused.  The catalog with "
			 "the revocation goes out with the next 'cdsync "
			 "export'.\n"),
		       a.pos[0]);
	}
out:
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

/* ==== catalog ========================================================= */

void
catalog_help(FILE *f)
{
	fprintf(f, "%s cdsync catalog import %s [--root-fingerprint %s]\n",
		_("Usage:"), _("FILE"), "XXXX-XXXX-XXXX-XXXX");
	fprintf(f, "       cdsync catalog export --out %s\n", _("FILE"));
	fprintf(f, "       cdsync catalog show [--json]\n\n");
	help_para(f, _("The catalog says, signed from the national union "
		       "down, which node speaks for which union with which "
		       "keys, until when, and which keys were revoked.  A "
		       "node takes in every newer edition (it also comes "
		       "with 'cdsync import' of a folder) and refuses an "
		       "older one, a forged one, and entries a union signed "
		       "for unions outside its own subtree.  The first "
		       "catalog a node takes in gives it the national root "
		       "key: check its fingerprint with the union above."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, "--root-fingerprint XXXX-XXXX-XXXX-XXXX",
		 _("the national root's fingerprint, as the union above "
		   "read it out (for the first catalog)"));
	help_opt(f, _("--out FILE"), _("where to write the catalog"));
	help_opt(f, "--json", _("print JSON"));
	rec_commonhelp(f);
}

static int
catalog_show(cdsync *db, int json)
{
	const char *head[8], *cells[8];
	char from[16], until[16], rev[48], node[33], shortid[9];
	struct table *t = NULL;
	struct json j = { 0 };
	cdsync_cat_entry e;
	size_t i;
	int rc;

	if (json) {
		json_init(&j, stdout);
		json_arr(&j);
	} else {
		head[0] = _("Union");
		head[1] = _("Name");
		head[2] = _("Under");
		head[3] = _("Role");
		head[4] = _("Fingerprint");
		head[5] = _("Valid");
		head[6] = _("Revoked");
		head[7] = _("Signed by");
		if ((t = table_new(8, head)) == NULL)
			return EXIT_FAIL;
	}
	for (i = 0; (rc = cdsync_catalog_at(db, i, &e)) == CDSYNC_OK; i++) {
		out_hex(e.node, node);
		if (json) {
			json_obj(&j);
			json_key(&j, "org");
			json_str(&j, e.org);
			json_key(&j, "name");
			json_str(&j, e.name);
			json_key(&j, "parent");
			json_str(&j, e.parent);
			json_key(&j, "role");
			json_str(&j, e.role == CDSYNC_ROLE_SCHOOL ? "school"
				     : e.role == CDSYNC_ROLE_HUB   ? "hub"
				     : e.role == CDSYNC_ROLE_AUDITOR
					     ? "auditor"
					     : "national");
			json_key(&j, "node");
			json_str(&j, node);
			json_key(&j, "fingerprint");
			json_str(&j, e.fingerprint);
			json_key(&j, "valid_from_ms");
			json_int(&j, (int64_t)e.valid_from);
			json_key(&j, "valid_until_ms");
			json_int(&j, (int64_t)e.valid_until);
			json_key(&j, "revoked_from_ms");
			json_int(&j, (int64_t)e.revoked_from);
			json_key(&j, "reason");
			json_str(&j, e.reason);
			json_key(&j, "signed_by");
			json_str(&j, e.issuer);
			json_key(&j, "edition");
			json_int(&j, (int64_t)e.edition);
			json_key(&j, "kpi_version");
			json_int(&j, (int64_t)e.kpi_version);
			json_obj_end(&j);
			continue;
		}
		day(e.valid_from, from, sizeof from);
		day(e.valid_until, until, sizeof until);
		{
			char valid[40];

			snprintf(valid, sizeof valid, "%s – %s", from,
				 e.valid_until ? until : "");
			day(e.revoked_from, rev, sizeof rev);
			out_shortid(node, shortid);
			cells[0] = e.org;
			cells[1] = e.name;
			cells[2] = e.parent[0] ? e.parent : "-";
			cells[3] = role_name(e.role);
			cells[4] = e.fingerprint;
			cells[5] = valid;
			cells[6] = e.revoked_from ? rev : "-";
			cells[7] = e.issuer;
			if (table_add(t, cells) != 0) {
				table_free(t);
				return EXIT_FAIL;
			}
		}
	}
	if (rc != CDSYNC_ENOTFOUND) {
		table_free(t);
		return lib_err(db, rc);
	}
	if (json) {
		json_arr_end(&j);
		json_done(&j);
		return EXIT_OK;
	}
	if (i == 0)
		printf("%s\n", _("This node has no catalog yet."));
	else
		table_print(t, stdout);
	table_free(t);
	return EXIT_OK;
}

int
cmd_catalog(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	const char *verb, *out;
	char full[64], root[20];
	int ex, rc, first;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0) {
		catalog_help(argc < 1 ? stderr : stdout);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	verb = argv[0];
	if (strcmp(verb, "import") != 0 && strcmp(verb, "export") != 0 &&
	    strcmp(verb, "show") != 0) {
		msg_err(_("'%s' is not a verb of 'cdsync catalog'"), verb);
		return EXIT_USAGE;
	}
	snprintf(full, sizeof full, "catalog %s", verb);
	if (optset_add(&os, "out", T_OUT, OPT_VALUE) != 0 ||
	    optset_add(&os, "root-fingerprint", T_ROOTFPR, OPT_VALUE) != 0 ||
	    optset_add(&os, "json", T_JSON, OPT_FLAG) != 0) {
		optset_free(&os);
		return EXIT_FAIL;
	}
	if ((ex = args_parse(full, argc - 1, argv + 1, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		catalog_help(stdout);
		goto out;
	}
	if ((ex = args_positional(full, &a, strcmp(verb, "import") == 0,
				  strcmp(verb, "import") == 0,
				  _("the catalog file"))) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	if (strcmp(verb, "show") == 0) {
		ex = catalog_show(db, args_get(&a, T_JSON) != NULL);
	} else if (strcmp(verb, "export") == 0) {
		if ((out = args_get(&a, T_OUT)) == NULL)
			ex = usage_err(full, "%s", _("--out FILE is required"));
		else if ((rc = cdsync_catalog_export(db, out)) != CDSYNC_OK)
			ex = lib_err(db, rc);
		else
			printf(_("Catalog written to %s.\n"), out);
	} else {
		first = root_fpr(db, root) != CDSYNC_OK;
		rc = cdsync_catalog_import(db, a.pos[0],
					   args_get(&a, T_ROOTFPR));
		if (rc != CDSYNC_OK) {
			ex = lib_err(db, rc);
		} else {
			root_fpr(db, root);
			printf(_("%s: catalog taken in.\n"), a.pos[0]);
			if (first && args_get(&a, T_ROOTFPR) == NULL)
				printf(_("This node now trusts the national "
					 "root key with fingerprint %s: check "
					 "it with the union above.\n"),
				       root);
		}
	}
out:
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

/* ==== keys passphrase | rotate ======================================= */

void
keys_secret_help(FILE *f)
{
	fprintf(f, "%s cdsync keys passphrase\n", _("Usage:"));
	fprintf(f, "       cdsync keys rotate\n\n");
	help_para(f, _("'passphrase' changes the passphrase that guards this "
		       "node's secret keys (the current one is asked first; "
		       "a store whose keys are not sealed yet gets them "
		       "sealed).  Scripts give the current one in "
		       "CDSYNC_PASSPHRASE and the new one in "
		       "CDSYNC_NEW_PASSPHRASE."));
	help_para(f, _("'rotate' replaces this node's keys with new ones: the "
		       "old key signs a hand-over, which the next 'cdsync "
		       "export' writes beside the bundles for the parent "
		       "union; once the parent takes it in, its catalog "
		       "certifies the new keys.  Bundles signed before stay "
		       "valid; the chain of bundles goes on."));
	rec_commonhelp(f);
}

int
cmd_keys_secret(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	const char *verb = argv[0];
	char pass[1024], fpr[20];
	cdsync *db = NULL;
	int ex, rc, rotate = strcmp(verb, "rotate") == 0;

	memset(pass, 0, sizeof pass);
	if ((ex = args_parse(rotate ? "keys rotate" : "keys passphrase",
			     argc - 1, argv + 1, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		keys_secret_help(stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, 0, 0, "")) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	if (rotate) {
		if ((rc = cdsync_keys_rotate(db)) != CDSYNC_OK ||
		    (rc = cdsync_fingerprint(db, fpr)) != CDSYNC_OK) {
			ex = lib_err(db, rc);
			goto out;
		}
		printf(_("This node has new keys; their fingerprint is %s.\n"),
		       fpr);
		printf("%s\n", _("The next 'cdsync export' writes the "
				 "hand-over for the parent union beside the "
				 "bundles."));
		goto out;
	}
	/* the current passphrase first (the callback asks), then the new */
	if (cdsync_keys_sealed(db) == 1 &&
	    (rc = cdsync_unlock(db, NULL)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	if (home_new_passphrase(0, pass, sizeof pass) != 0) {
		ex = EXIT_FAIL;
		goto out;
	}
	if ((rc = cdsync_passphrase_set(db, pass)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	printf("%s\n", _("The passphrase of this node's keys is changed."));
out:
	memset(pass, 0, sizeof pass);
	ex = ex < 0 ? EXIT_OK : ex;
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}
