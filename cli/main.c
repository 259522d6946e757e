/* main.c -- `cdsync`, the command line of a cdsync node: dispatch, global
 * options and the top-level help.
 *
 * Contract: `cdsync [--home DIR] COMMAND [VERB] [OPTION...]`; --home may
 * also come after the command.  Messages are in Vietnamese unless the
 * environment asks for English (lang.h).  Exit codes: 0 done, 1 the
 * library refused or failed (its message is shown), 2 the command line is
 * wrong (the message says what, and how to get help).  Output goes to
 * stdout; messages to stderr, prefixed "cdsync: ".
 */
#include <stdlib.h>
#include <string.h>

#include "cmd_org.h"
#include "cmds.h"
#include "home.h"
#include "lang.h"
#include "report.h"

#ifndef CDSYNC_VERSION
#define CDSYNC_VERSION "0.1.0"
#endif

/* The commands besides the record nouns, and the order of the help. */
static const struct {
	const char *name;
	const char *doc;
} commands[] = {
	{ "init", N_("Set this computer up for one union (once, first)") },
	{ "member", N_("Union members: add, list, edit, leave, import a "
		       "spreadsheet") },
	{ "activity", N_("Activities of the union and the members who "
			 "benefited") },
	{ "legal", N_("Legal consultations asked by members") },
	{ "council", N_("Members sitting on the councils of the school") },
	{ "initiative", N_("Initiatives, and the Creative Labour "
			   "Certificate") },
	{ "award", N_("Awards to collectives and individuals") },
	{ "plan", N_("The union's plan for each school year") },
	{ "task", N_("The school's key tasks and development strategy for "
		     "the term") },
	{ "agreement", N_("Cooperation agreements with units and "
			  "businesses") },
	{ "kpi", N_("The figures of the programmes: value, target, met or "
		    "not") },
	{ "report", N_("The report people read: KPIs by union with charts, "
		       "schools not reported, the trend (HTML, Excel, CSV, "
		       "JSON)") },
	{ "rollup", N_("Count the figures of every union for the whole term "
		       "now, as a hub does each night") },
	{ "snapshot", N_("Signed rollup figures: made at a hub, checked "
			 "against the bundles at the hub above") },
	{ "audit", N_("An auditor's check of a folder of files, trusting no "
		      "hub: signatures, chains, receipts, logs") },
	{ "org", N_("Changes to the tree of unions: rename, move, merge; "
		    "the tree of any date") },
	{ "export", N_("Write this node's bundles to a folder (USB stick, "
		       "chat)") },
	{ "import", N_("Take in bundle files from other nodes") },
	{ "enrol", N_("Join the tree of unions, or enrol the unions below "
		      "this one") },
	{ "catalog", N_("The signed list of unions, their keys and "
			"revocations") },
	{ "keys", N_("This computer's public keys, for other nodes") },
	{ "peer", N_("Register another node's public keys") },
	{ "pair", N_("Pair a phone or another PC of the school with this "
		     "node") },
	{ "sync", N_("Sync now: a phone with its school node, a node with "
		     "its upper hub") },
	{ "bundle", N_("Show what a bundle file holds") },
	{ "receipt", N_("Check a hub's receipt with the proof that its bundle "
			"is in the hub's log") },
	{ "status", N_("Where this node stands: bundles sealed, waiting, "
		       "missing") },
	{ "conflicts", N_("What merging noticed: concurrent edits, hidden "
			  "records, clocks far ahead") },
	{ "changes", N_("The changes recorded for sync (for checking "
			"sync)") },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void
top_help(FILE *f)
{
	size_t i;

	fprintf(f, "%s cdsync %s\n\n", _("Usage:"),
		_("COMMAND [VERB] [OPTION...]"));
	help_para(f, _("Keeps the records of a trade union on this "
		       "computer, even without internet, and reports them."));
	fprintf(f, "\n%s\n", _("Commands:"));
	for (i = 0; i < NCOMMANDS; i++)
		help_cmd(f, commands[i].name, _(commands[i].doc));
	fprintf(f, "\n%s\n",
		_("Every command has its own help, for example:\n"
		  "  cdsync activity --help\n"
		  "  cdsync activity add --help"));
	fprintf(f, "\n%s\n", _("Options of every command:"));
	rec_commonhelp(f);
	help_opt(f, "--version", _("show the version of cdsync"));
}

/* Takes --home DIR / --home=DIR out of argv (anywhere before "--"), so
 * that it works before or after the command.  Returns EXIT_OK, or
 * EXIT_USAGE after a message. */
static int
take_home(int *argc, char **argv)
{
	int i, o;

	for (i = 1, o = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[o++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--home") == 0) {
			if (i + 1 >= *argc || argv[i + 1][0] == '\0') {
				msg_err("%s", _("option '--home' needs a "
						"value"));
				fprintf(stderr, "%s\n",
					_("Try 'cdsync --help'."));
				return EXIT_USAGE;
			}
			home_set(argv[++i]);
			continue;
		}
		if (strncmp(argv[i], "--home=", 7) == 0) {
			home_set(argv[i] + 7);
			continue;
		}
		argv[o++] = argv[i];
	}
	argv[o] = NULL;
	*argc = o;
	return EXIT_OK;
}

static int
dispatch(int argc, char **argv)
{
	const struct kindspec *ks;
	const char *cmd = argv[0];

	if (strcmp(cmd, "init") == 0)
		return cmd_init(argc - 1, argv + 1);
	if (strcmp(cmd, "kpi") == 0)
		return cmd_kpi(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "rollup") == 0)
		return cmd_rollup(argc - 1, argv + 1);
	if (strcmp(cmd, "audit") == 0)
		return cmd_audit(argc - 1, argv + 1);
	if (strcmp(cmd, "snapshot") == 0)
		return cmd_snapshot(argc - 1, argv + 1);
	if (strcmp(cmd, "org") == 0)
		return cmd_org(argc - 1, argv + 1);
	if (strcmp(cmd, "changes") == 0)
		return cmd_changes(argc - 1, argv + 1);
	if (strcmp(cmd, "enrol") == 0)
		return cmd_enrol(argc - 1, argv + 1);
	if (strcmp(cmd, "catalog") == 0)
		return cmd_catalog(argc - 1, argv + 1);
	if (strcmp(cmd, "keys") == 0)
		return cmd_keys(argc - 1, argv + 1);
	if (strcmp(cmd, "peer") == 0)
		return cmd_peer(argc - 1, argv + 1);
	if (strcmp(cmd, "pair") == 0)
		return cmd_pair(argc - 1, argv + 1);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	if (strcmp(cmd, "import") == 0)
		return cmd_import(argc - 1, argv + 1);
	if (strcmp(cmd, "bundle") == 0)
		return cmd_bundle(argc - 1, argv + 1);
	if (strcmp(cmd, "receipt") == 0)
		return cmd_receipt(argc - 1, argv + 1);
	if (strcmp(cmd, "conflicts") == 0)
		return cmd_conflicts(argc - 1, argv + 1);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(cmd, "sync") == 0)
		return cmd_sync(argc - 1, argv + 1);
	if ((ks = records_find(cmd)) != NULL)
		return ks->run ? ks->run(ks, argc - 1, argv + 1)
			       : records_verb(ks, argc - 1, argv + 1);
	msg_err(_("'%s' is not a cdsync command"), cmd);
	fprintf(stderr, "%s\n", _("Try 'cdsync --help'."));
	return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	char *help[2];
	int ex;

	lang_init();
	if ((ex = take_home(&argc, argv)) != EXIT_OK)
		return ex;
	if (argc < 2) {
		top_help(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		top_help(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("cdsync %s (%s %d)\n", CDSYNC_VERSION,
		       _("store schema"), cdsync_schema_latest());
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		/* "cdsync help activity" is "cdsync activity --help". */
		if (argc < 3) {
			top_help(stdout);
			return EXIT_OK;
		}
		help[0] = argv[2];
		help[1] = "--help";
		return dispatch(2, help);
	}
	return dispatch(argc - 1, argv + 1);
}
