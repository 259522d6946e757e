/* cmd_org.c -- `cdsync org`: rename, move and merge org units, and the
 * tree of unions as it is, or was on any date (cdsync.h "Tree changes").
 *
 * Contract (see cmd_org.h for the exit codes):
 *   org rename CODE --name NAME --on DATE [--note TEXT]
 *   org move CODE --parent CODE --on DATE [--note TEXT]
 *   org merge CODE --into CODE --on DATE [--note TEXT]
 *       record a change decided by this node's union, effective on DATE;
 *       the library refuses one that does not count (an unknown code, a
 *       cycle, a merger across levels, a union that is not above the
 *       unit) and then nothing is recorded.
 *   org list [--as-of DATE] [--json]
 *       the tree on DATE (default: today), depth first: code (indented by
 *       depth), name on that date, level, parent, merged into (with the
 *       day); --json: {"as_of", "units": [{"code", "name", "level",
 *       "parent", "merged_into", "merged_on", "depth"}]}.
 *   org changes [--json]
 *       every recorded change in the order the tree applies them, with
 *       whether it counts and, if not, why; --json: [{"id",
 *       "effective_on", "change", "subject", "name", "parent", "into",
 *       "author", "note", "applied", "reason"}].
 * Dates are typed dd/mm/yyyy or yyyy-mm-dd.
 */
#include "cmd_org.h"

#include <string.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

enum { T_NAME = 1, T_PARENT, T_INTO, T_ON, T_NOTE, T_ASOF, T_JSON };

/* ==== Help ============================================================ */

static void
rename_help(FILE *f)
{
	fprintf(f, "%s cdsync org rename %s --name %s --on %s [--note %s]\n\n",
		_("Usage:"), _("CODE"), _("NAME"), _("DATE"), _("TEXT"));
	help_para(f, _("Records that a union takes a new name from a day on. "
		       "Its records stay its own; reports of that day and "
		       "later show the new name."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--name NAME"), _("the new name"));
	help_opt(f, _("--on DATE"), _("the day the change takes effect"));
	help_opt(f, _("--note TEXT"), _("the decision it comes from, or any "
					"remark"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync org rename HG-VX-TH-LUNGCU --name "
		   "\"Trường PTDTBT TH và THCS Lũng Cú\" --on 01/09/2025\n",
		_("Example:"));
}

static void
move_help(FILE *f)
{
	fprintf(f, "%s cdsync org move %s --parent %s --on %s [--note %s]\n\n",
		_("Usage:"), _("CODE"), _("CODE"), _("DATE"), _("TEXT"));
	help_para(f, _("Records that a union comes under another one from a "
		       "day on, with the units below it.  Its figures roll up "
		       "under the new parent from that day; reports of earlier "
		       "days keep the old tree."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--parent CODE"), _("the union it comes under"));
	help_opt(f, _("--on DATE"), _("the day the change takes effect"));
	help_opt(f, _("--note TEXT"), _("the decision it comes from, or any "
					"remark"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync org move HG-VX-TH-LUNGCU --parent TQ "
		   "--on 01/07/2025\n", _("Example:"));
}

static void
merge_help(FILE *f)
{
	fprintf(f, "%s cdsync org merge %s --into %s --on %s [--note %s]\n\n",
		_("Usage:"), _("CODE"), _("CODE"), _("DATE"), _("TEXT"));
	help_para(f, _("Records that a union is merged into another of the "
		       "same level from a day on: its records count as those "
		       "of that union, and the units below it come under that "
		       "union.  Reports of earlier days show both as they "
		       "were."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--into CODE"), _("the union it becomes part of"));
	help_opt(f, _("--on DATE"), _("the day the change takes effect"));
	help_opt(f, _("--note TEXT"), _("the decision it comes from, or any "
					"remark"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync org merge HG-VX --into TQ --on 01/07/2025\n",
		_("Example:"));
}

static void
list_help(FILE *f)
{
	fprintf(f, "%s cdsync org list [--as-of %s] [--json]\n\n", _("Usage:"),
		_("DATE"));
	help_para(f, _("Shows the tree of unions this computer knows, as it "
		       "is on a day: each union with its name on that day, its "
		       "level, the union above it, and the union it was merged "
		       "into, if it was."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--as-of DATE"), _("the tree as it was on this day "
					 "(default: today)"));
	help_opt(f, "--json", _("print JSON (for other programs)"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync org list --as-of 30/06/2025\n",
		_("Example:"));
}

static void
changes_help_(FILE *f)
{
	fprintf(f, "%s cdsync org changes [--json]\n\n", _("Usage:"));
	help_para(f, _("Lists the changes to the tree recorded here or "
		       "received from other unions, in the order they take "
		       "effect, and whether each counts.  A change counts only "
		       "if the union that recorded it is the national union "
		       "or above the unit changed on that day; the others are "
		       "listed with the reason they are ignored."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, "--json", _("print JSON (for other programs)"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync org changes\n", _("Example:"));
}

void
org_help(FILE *f)
{
	fprintf(f, "%s cdsync org %s\n\n", _("Usage:"), _("VERB [OPTION...]"));
	help_para(f, _("Changes to the tree of unions: a union renamed, moved "
		       "under another one, or merged into another one, from a "
		       "day on.  Records stay with the union that made them; "
		       "reports follow the tree of the day they are made "
		       "for."));
	fprintf(f, "\n%s\n", _("Verbs:"));
	help_cmd(f, "rename", _("Record a new name of a union"));
	help_cmd(f, "move", _("Record that a union comes under another one"));
	help_cmd(f, "merge", _("Record that a union is merged into another "
			       "one"));
	help_cmd(f, "list", _("The tree as it is, or was on a day"));
	help_cmd(f, "changes", _("The recorded changes, and those ignored "
				 "with the reason"));
	fprintf(f, "\n%s cdsync org merge --help\n",
		_("Each verb has its own help, for example:"));
}

/* ==== Recording ======================================================= */

/* rename, move or merge of the unit named by the positional code. */
static int
record(cdsync *db, const struct args *a, const char *verb, const char *full)
{
	const char *code = a->pos[0], *on = args_get(a, T_ON), *v;
	const char *note = args_get(a, T_NOTE);
	char iso[11], day[11];
	int ex, rc;

	if (strcmp(verb, "rename") == 0)
		v = args_get(a, T_NAME);
	else if (strcmp(verb, "move") == 0)
		v = args_get(a, T_PARENT);
	else
		v = args_get(a, T_INTO);
	if (v == NULL)
		return usage_err(full, "%s",
				 strcmp(verb, "rename") == 0
				 ? _("--name NAME is required")
				 : strcmp(verb, "move") == 0
				 ? _("--parent CODE is required")
				 : _("--into CODE is required"));
	if (on == NULL)
		return usage_err(full, "%s",
				 _("--on DATE is required: the day the change "
				   "takes effect"));
	if ((ex = rec_check_date("--on", on, iso)) != EXIT_OK)
		return ex;
	if (strcmp(verb, "rename") == 0)
		rc = cdsync_org_rename(db, code, v, iso, note);
	else if (strcmp(verb, "move") == 0)
		rc = cdsync_org_move(db, code, v, iso, note);
	else
		rc = cdsync_org_merge(db, code, v, iso, note);
	if (rc != CDSYNC_OK)
		return lib_err(db, rc);
	out_date(iso, day);
	if (strcmp(verb, "rename") == 0)
		printf(_("Recorded: from %s on, %s is named \"%s\".\n"), day,
		       code, v);
	else if (strcmp(verb, "move") == 0)
		printf(_("Recorded: from %s on, %s is under %s.\n"), day, code,
		       v);
	else
		printf(_("Recorded: from %s on, %s is part of %s; its records "
			 "count as those of %s.\n"), day, code, v, v);
	return EXIT_OK;
}

/* ==== list ============================================================ */

static int
list(cdsync *db, const struct args *a)
{
	static const char *const headf[5] = { N_("Code"), N_("Name"),
					      N_("Level"), N_("Parent"),
					      N_("Merged into") };
	const char *head[5], *cells[5], *asof = args_get(a, T_ASOF);
	const cdsync_tree_unit *u;
	cdsync_tree *t = NULL;
	struct table *tb = NULL;
	char iso[11], day[11], code[160], into[120];
	int json = args_get(a, T_JSON) != NULL, ex = EXIT_OK, rc, i, d;
	struct json j;

	if (asof != NULL) {
		if ((ex = rec_check_date("--as-of", asof, iso)) != EXIT_OK)
			return ex;
	} else {
		home_today(iso);
	}
	if ((rc = cdsync_tree_open(db, iso, &t)) != CDSYNC_OK)
		return lib_err(db, rc);
	for (i = 0; i < 5; i++)
		head[i] = _(headf[i]);
	if (json) {
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "as_of");
		json_str(&j, iso);
		json_key(&j, "units");
		json_arr(&j);
	} else if ((tb = table_new(5, head)) == NULL) {
		cdsync_tree_close(t);
		msg_err("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	while ((rc = cdsync_tree_next(t, &u)) == CDSYNC_OK) {
		if (json) {
			json_obj(&j);
			json_key(&j, "code");
			json_str(&j, u->code);
			json_key(&j, "name");
			json_str(&j, u->name);
			json_key(&j, "level");
			json_str(&j, u->level);
			json_key(&j, "parent");
			json_str(&j, u->parent);
			json_key(&j, "merged_into");
			json_str(&j, u->merged_into);
			json_key(&j, "merged_on");
			json_str(&j, u->merged_on);
			json_key(&j, "depth");
			json_int(&j, u->depth);
			json_obj_end(&j);
			continue;
		}
		d = u->depth < 10 ? u->depth : 10;
		snprintf(code, sizeof code, "%*s%s", 2 * d, "", u->code);
		into[0] = '\0';
		if (u->merged_into != NULL) {
			out_date(u->merged_on ? u->merged_on : "", day);
			snprintf(into, sizeof into, "%s (%s)", u->merged_into,
				 day);
		}
		cells[0] = code;
		cells[1] = u->name;
		cells[2] = cdsync_choice_label(u->level ? u->level : "");
		cells[3] = u->parent ? u->parent : "";
		cells[4] = into;
		if (table_add(tb, cells) != 0) {
			msg_err("%s", _("out of memory"));
			ex = EXIT_FAIL;
			break;
		}
	}
	if (ex == EXIT_OK && rc != CDSYNC_DONE)
		ex = lib_err(db, rc);
	cdsync_tree_close(t);
	if (json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_done(&j);
		return ex;
	}
	if (ex == EXIT_OK) {
		out_date(iso, day);
		printf(_("The tree of unions on %s:"), day);
		fputs("\n\n", stdout);
		table_print(tb, stdout);
		printf(_("Total: %zu"), table_rows(tb));
		putchar('\n');
	}
	table_free(tb);
	return ex;
}

/* ==== changes ========================================================= */

static const char *
change_label(const char *change)
{
	if (strcmp(change, "rename") == 0)
		return _("rename");
	if (strcmp(change, "move") == 0)
		return _("move");
	return _("merger");
}

static void
change_json(struct json *j, const cdsync_tree_change *c)
{
	char hex[33];

	json_obj(j);
	json_key(j, "id");
	out_hex(c->id, hex);
	json_str(j, hex);
	json_key(j, "effective_on");
	json_str(j, c->effective_on);
	json_key(j, "change");
	json_str(j, c->change);
	json_key(j, "subject");
	json_str(j, c->subject);
	json_key(j, "name");
	json_str(j, c->name);
	json_key(j, "parent");
	json_str(j, c->parent);
	json_key(j, "into");
	json_str(j, c->into);
	json_key(j, "author");
	json_str(j, c->author);
	json_key(j, "note");
	json_str(j, c->note);
	json_key(j, "applied");
	json_bool(j, c->applied);
	json_key(j, "reason");
	json_str(j, c->reason);
	json_obj_end(j);
}

static int
changes(cdsync *db, const struct args *a)
{
	static const char *const headf[7] = { N_("Id"), N_("Date"),
					      N_("Change"), N_("Union"),
					      N_("New name, parent or unit"),
					      N_("Decided by"),
					      N_("Status") };
	const char *head[7], *cells[7];
	const cdsync_tree_change *c;
	cdsync_tree_changes *it = NULL;
	struct table *tb = NULL;
	char hex[33], sid[9], day[11], status[700];
	int json = args_get(a, T_JSON) != NULL, ex = EXIT_OK, rc, i;
	size_t ignored = 0;
	struct json j;

	if ((rc = cdsync_tree_changes_open(db, &it)) != CDSYNC_OK)
		return lib_err(db, rc);
	for (i = 0; i < 7; i++)
		head[i] = _(headf[i]);
	if (json) {
		json_init(&j, stdout);
		json_arr(&j);
	} else if ((tb = table_new(7, head)) == NULL) {
		cdsync_tree_changes_close(it);
		msg_err("%s", _("out of memory"));
		return EXIT_FAIL;
	} else {
		table_width(tb, 6, 0);	/* the reason, whole */
	}
	while ((rc = cdsync_tree_changes_next(it, &c)) == CDSYNC_OK) {
		ignored += !c->applied;
		if (json) {
			change_json(&j, c);
			continue;
		}
		out_hex(c->id, hex);
		out_shortid(hex, sid);
		out_date(c->effective_on, day);
		if (c->applied)
			snprintf(status, sizeof status, "✓ %s", _("counts"));
		else
			snprintf(status, sizeof status, "✗ %s: %s",
				 _("ignored"), c->reason ? c->reason : "");
		cells[0] = sid;
		cells[1] = day;
		cells[2] = change_label(c->change);
		cells[3] = c->subject;
		cells[4] = c->name ? c->name : c->parent ? c->parent : c->into;
		cells[5] = c->author;
		cells[6] = status;
		if (table_add(tb, cells) != 0) {
			msg_err("%s", _("out of memory"));
			ex = EXIT_FAIL;
			break;
		}
	}
	if (ex == EXIT_OK && rc != CDSYNC_DONE)
		ex = lib_err(db, rc);
	cdsync_tree_changes_close(it);
	if (json) {
		json_arr_end(&j);
		json_done(&j);
		return ex;
	}
	if (ex == EXIT_OK && table_rows(tb) == 0) {
		printf("%s\n", _("No changes to the tree are recorded."));
	} else if (ex == EXIT_OK) {
		table_print(tb, stdout);
		printf(_("Total: %zu (%zu ignored)"), table_rows(tb), ignored);
		putchar('\n');
	}
	table_free(tb);
	return ex;
}

/* ==== Dispatch ======================================================== */

static const struct {
	const char *name;
	void (*help)(FILE *f);
	int npos;			/* the unit's code */
} verbs[] = {
	{ "rename", rename_help, 1 },
	{ "move", move_help, 1 },
	{ "merge", merge_help, 1 },
	{ "list", list_help, 0 },
	{ "changes", changes_help_, 0 },
};

int
cmd_org(int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	const char *verb;
	char full[32];
	size_t v, nv = sizeof verbs / sizeof verbs[0];
	int ex;

	if (argc < 1) {
		msg_err("%s", _("say what to do after 'cdsync org', for "
				"example 'cdsync org list'"));
		fputc('\n', stderr);
		org_help(stderr);
		return EXIT_USAGE;
	}
	verb = argv[0];
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 ||
	    strcmp(verb, "help") == 0) {
		org_help(stdout);
		return EXIT_OK;
	}
	for (v = 0; v < nv && strcmp(verbs[v].name, verb) != 0; v++)
		;
	if (v == nv) {
		msg_err(_("'%s' is not something cdsync org can do"), verb);
		fprintf(stderr, "%s\n", _("Try 'cdsync org --help'."));
		return EXIT_USAGE;
	}
	snprintf(full, sizeof full, "org %s", verb);
	if ((verbs[v].npos &&
	     (optset_add(&os, "on", T_ON, OPT_VALUE) != 0 ||
	      optset_add(&os, "note", T_NOTE, OPT_VALUE) != 0 ||
	      (strcmp(verb, "rename") == 0 &&
	       optset_add(&os, "name", T_NAME, OPT_VALUE) != 0) ||
	      (strcmp(verb, "move") == 0 &&
	       optset_add(&os, "parent", T_PARENT, OPT_VALUE) != 0) ||
	      (strcmp(verb, "merge") == 0 &&
	       optset_add(&os, "into", T_INTO, OPT_VALUE) != 0))) ||
	    (strcmp(verb, "list") == 0 &&
	     optset_add(&os, "as-of", T_ASOF, OPT_VALUE) != 0) ||
	    (!verbs[v].npos &&
	     optset_add(&os, "json", T_JSON, OPT_FLAG) != 0)) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(full, argc - 1, argv + 1, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		verbs[v].help(stdout);
		goto out;
	}
	if ((ex = args_positional(full, &a, (size_t)verbs[v].npos,
				  (size_t)verbs[v].npos,
				  _("the code of the union"))) != EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK)
		goto out;
	if (verbs[v].npos)
		ex = record(db, &a, verb, full);
	else if (strcmp(verb, "list") == 0)
		ex = list(db, &a);
	else
		ex = changes(db, &a);
out:
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}
