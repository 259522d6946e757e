/* cmd_init.c -- `cdsync init`: gives this computer its store and its
 * identity as the node of one union.
 *
 * Contract: `cdsync init --role school|hub|national --org CODE --name NAME
 * [--parent CODE]` creates the home directory (mode 0700) and the store,
 * then calls cdsync_node_init() once; a store that already has an
 * identity is refused by the library (CDSYNC_EEXIST) and left as it is.
 */
#include <limits.h>
#include <string.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

void
init_help(FILE *f)
{
	fprintf(f, "%s cdsync init --role %s --org %s --name %s "
		   "[--parent %s]\n\n",
		_("Usage:"), "school|hub|national|client", _("CODE"), _("NAME"),
		_("CODE"));
	help_para(f, _("Sets this computer up as the node of one union: "
		       "once, before anything else.  It asks for a passphrase "
		       "(at least 8 characters) that guards the node's secret "
		       "keys; scripts give it in CDSYNC_PASSPHRASE."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--role ROLE"),
		 _("school: a grassroots union (a school); hub: an "
		   "upper-level union (district, province); national: the "
		   "national union; client: another PC or a phone of a school, "
		   "which records for the school's union and pairs with its "
		   "node ('cdsync pair')"));
	help_opt(f, _("--org CODE"),
		 _("the union's code, given by the upper level (letters, "
		   "digits, '.', '_', '-')"));
	help_opt(f, _("--name NAME"), _("the union's full name"));
	help_opt(f, _("--parent CODE"),
		 _("the code of the union directly above it"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  %s\n", _("Example:"),
		_("cdsync init --role school --org HN-BD-THCS-NGUYEN-DU "
		  "--name \"Cong doan Truong THCS Nguyen Du\" --parent "
		  "HN-BD"));
}

int
cmd_init(int argc, char **argv)
{
	static const struct {
		const char *word;
		cdsync_role role;
		const char *what;
	} roles[] = {
		{ "school", CDSYNC_ROLE_SCHOOL, N_("school node") },
		{ "hub", CDSYNC_ROLE_HUB, N_("hub of an upper-level union") },
		{ "national", CDSYNC_ROLE_NATIONAL, N_("national hub") },
		{ "client", CDSYNC_ROLE_CLIENT,
		  N_("client device (pair it with the school node)") },
		{ "auditor", CDSYNC_ROLE_AUDITOR,
		  N_("auditor (enrolled by the national union; checks the "
		     "figures with 'cdsync audit')") },
	};
	const char *verb = "init";
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	cdsync_rec *rec = NULL;
	uint8_t id[16];
	const char *role, *org, *name;
	char path[PATH_MAX + 16], pass[1024];
	size_t i;
	int ex, rc;

	if (optset_add(&os, "role", TAG_ROLE, OPT_VALUE) != 0 ||
	    optset_add(&os, "org", TAG_ORG, OPT_VALUE) != 0 ||
	    optset_add(&os, "name", TAG_NAME, OPT_VALUE) != 0 ||
	    optset_add(&os, "parent", TAG_PARENT, OPT_VALUE) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(verb, argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		init_help(stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, 0, 0, "")) != EXIT_OK)
		goto out;
	role = args_get(&a, TAG_ROLE);
	org = args_get(&a, TAG_ORG);
	name = args_get(&a, TAG_NAME);
	if (role == NULL || org == NULL || name == NULL) {
		ex = usage_err(verb, _("%s is required"),
			       role == NULL ? "--role"
			       : org == NULL ? "--org"
					     : "--name");
		goto out;
	}
	for (i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(roles[i].word, role) == 0)
			break;
	if (i == sizeof roles / sizeof roles[0]) {
		ex = usage_err(verb,
			       _("--role '%s': write school, hub, national "
				 "or client"),
			       role);
		goto out;
	}
	if (home_new_passphrase(1, pass, sizeof pass) != 0) {
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = home_create(&db)) != EXIT_OK)
		goto out;
	if ((rc = cdsync_passphrase_set(db, pass)) != CDSYNC_OK ||
	    (rc = cdsync_node_init(db, roles[i].role, org, name,
				   args_get(&a, TAG_PARENT))) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	if (home_store_path(path, sizeof path) != 0) {
		ex = EXIT_FAIL;
		goto out;
	}
	/* What the store now holds (the name as stored, in NFC). */
	if ((rc = cdsync_node_org(db, id)) != CDSYNC_OK ||
	    (rc = cdsync_get(db, CDSYNC_KIND_ORG, id, &rec)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	printf(_("This computer is now the %s of %s (%s)."), _(roles[i].what),
	       cdsync_rec_get(rec, "name"), cdsync_rec_get(rec, "code"));
	putchar('\n');
	printf(_("Its data is kept in %s."), path);
	putchar('\n');
out:
	memset(pass, 0, sizeof pass);
	cdsync_rec_free(rec);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}
