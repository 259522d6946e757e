/* cmd_kpi.c -- `cdsync kpi`: the KPIs of DOMAIN.md for this union (or
 * --org CODE) over a period.
 *
 * Contract: prints a table of every KPI cdsync_kpi_compute() gives: id,
 * value (a percent with one decimal and the counts it comes from, or a
 * count), target ("≥ 90%", "≥ 1"), status (✓ met / ✗ not met, in words
 * too; "– not for this level" for a KPI whose target is another level's)
 * and the KPI's translated description (last, as the longest);
 * then the care money per member, the activities of each kind (non-zero
 * ones), and the window the figures cover.  With --json: {"org",
 * "period", "from", "to", "as_of",
 * "kpis": [{"id", "label", "value", "target", "met", "applies", "num",
 * "den"}],
 * "care_per_member", "activities_by_kind": {kind: count, ...}} with
 * every activity kind present.
 */
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

void
kpi_help(FILE *f)
{
	fprintf(f, "%s cdsync kpi --period %s [--as-of %s] [--org %s] "
		   "[--rollup] [--json]\n\n",
		_("Usage:"), _("PERIOD"), _("DATE"), _("CODE"));
	help_para(f, _("Shows the figures of the programmes for this union: "
		       "each KPI with its value, its target and whether it "
		       "is met."));
	fputc('\n', f);
	help_para(f, _("The figures roll up the tree of unions of the as-of "
		       "day, or of today without --as-of, with the renames, "
		       "moves and mergers recorded up to that day ('cdsync "
		       "org'): the records of a union merged into another "
		       "count as that union's, and each union is counted "
		       "once."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--period PERIOD"),
		 _("a school year (2025-2026), a year (2025), a quarter "
		   "(2025-Q3) or the term (2023-2028)"));
	help_opt(f, _("--as-of DATE"),
		 _("count only what was recorded up to this day (default: "
		   "the end of the period), under the tree of unions as it "
		   "was on this day (default: as it is today; see 'cdsync "
		   "org')"));
	help_opt(f, _("--org CODE"),
		 _("another union known to this computer (a hub: a school "
		   "under it)"));
	help_opt(f, "--rollup",
		 _("read the figures the last rollup counted ('cdsync "
		   "rollup'; at once, for a period of the term 2023-2028)"));
	help_opt(f, "--json", _("print JSON (for other programs)"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync kpi --period 2025-2026\n", _("Example:"));
}

/* Code and name of the org unit: --org, or this node's own. */
static int
org_names(cdsync *db, const char *code, cdsync_rec **org)
{
	uint8_t id[16];
	int rc;

	*org = NULL;
	if (code != NULL)
		rc = cdsync_resolve(db, CDSYNC_KIND_ORG, code, id);
	else
		rc = cdsync_node_org(db, id);
	if (rc == CDSYNC_OK)
		rc = cdsync_get(db, CDSYNC_KIND_ORG, id, org);
	return rc == CDSYNC_OK ? EXIT_OK : lib_err(db, rc);
}

/* "81.6% (31/38)" or "3" into buf. */
static void
value_text(const cdsync_kpi *k, char *buf, size_t n)
{
	char d[32];

	if (k->is_share) {
		out_decimal(k->value, d, sizeof d);
		snprintf(buf, n, "%s%% (%lld/%lld)", d, (long long)k->num,
			 (long long)k->den);
	} else {
		snprintf(buf, n, "%.0f", k->value);
	}
}

/* "100%", "≥ 90%", "≥ 1" into buf. */
static void
target_text(const cdsync_kpi *k, char *buf, size_t n)
{
	if (k->is_share && k->target >= 100.0)
		snprintf(buf, n, "%.0f%%", k->target);
	else
		snprintf(buf, n, "≥ %.0f%s", k->target,
			 k->is_share ? "%" : "");
}

/* The activity kinds, from the field info of activity.kind. */
static const char *const *
activity_kinds(void)
{
	cdsync_field_info fi;
	size_t i;

	for (i = 1; cdsync_kind_field_info(CDSYNC_KIND_ACTIVITY, i, &fi) ==
		    CDSYNC_OK;
	     i++)
		if (strcmp(fi.name, "kind") == 0)
			return fi.choices;
	return NULL;
}

static void
print_json(const cdsync_kpis *k, const char *org, const char *period,
	   const char *asof)
{
	const char *const *kinds = activity_kinds();
	const cdsync_kpi *p;
	struct json j;
	size_t i;

	json_init(&j, stdout);
	json_obj(&j);
	json_key(&j, "org");
	json_str(&j, org);
	json_key(&j, "period");
	json_str(&j, period);
	json_key(&j, "from");
	json_str(&j, cdsync_kpi_from(k));
	json_key(&j, "to");
	json_str(&j, cdsync_kpi_to(k));
	json_key(&j, "as_of");
	json_str(&j, asof);
	json_key(&j, "kpis");
	json_arr(&j);
	for (i = 0; i < cdsync_kpi_count(k); i++) {
		p = cdsync_kpi_at(k, i);
		json_obj(&j);
		json_key(&j, "id");
		json_str(&j, p->id);
		json_key(&j, "label");
		json_str(&j, p->label);
		json_key(&j, "value");
		json_num(&j, p->value, p->is_share ? 1 : 0);
		json_key(&j, "target");
		json_num(&j, p->target, p->is_share ? 1 : 0);
		json_key(&j, "met");
		json_bool(&j, p->met);
		json_key(&j, "applies");
		json_bool(&j, p->applies);
		json_key(&j, "num");
		json_int(&j, p->num);
		json_key(&j, "den");
		json_int(&j, p->den);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "care_per_member");
	json_int(&j, cdsync_kpi_care_per_member(k));
	json_key(&j, "activities_by_kind");
	json_obj(&j);
	for (i = 0; kinds && kinds[i]; i++) {
		json_key(&j, kinds[i]);
		json_int(&j, cdsync_kpi_kind_count(k, kinds[i]));
	}
	json_obj_end(&j);
	json_obj_end(&j);
	json_done(&j);
}

static int
print_text(const cdsync_kpis *k, const cdsync_rec *org, const char *period,
	   const char *asof)
{
	const char *const *kinds = activity_kinds();
	const char *head[5], *cells[5];
	char from[11], to[11], day[11], value[64], target[32], status[64];
	char money[40], num[32];
	const cdsync_kpi *p;
	struct table *t;
	size_t i, any = 0, w = 0;
	int64_t c;

	head[0] = _("KPI");
	head[1] = _("Value");
	head[2] = _("Target");
	head[3] = _("Status");
	head[4] = _("What is measured");
	if ((t = table_new(5, head)) == NULL) {
		msg_err("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	table_right(t, 1);
	table_width(t, 4, 0);	/* the description, whole */
	printf(_("KPIs of %s (%s) for %s"), cdsync_rec_get(org, "name"),
	       cdsync_rec_get(org, "code"), period);
	fputs("\n\n", stdout);
	for (i = 0; i < cdsync_kpi_count(k); i++) {
		p = cdsync_kpi_at(k, i);
		value_text(p, value, sizeof value);
		target_text(p, target, sizeof target);
		if (!p->applies)
			snprintf(status, sizeof status, "– %s",
				 _("not for this level"));
		else
			snprintf(status, sizeof status, "%s %s",
				 p->met ? "✓" : "✗",
				 p->met ? _("met") : _("not met"));
		cells[0] = p->id;
		cells[1] = value;
		cells[2] = target;
		cells[3] = status;
		cells[4] = p->label;
		if (table_add(t, cells) != 0) {
			table_free(t);
			msg_err("%s", _("out of memory"));
			return EXIT_FAIL;
		}
	}
	table_print(t, stdout);
	table_free(t);
	out_money(cdsync_kpi_care_per_member(k), money, sizeof money);
	printf("\n%s %s\n", _("Care money per member:"), money);
	for (i = 0; kinds && kinds[i]; i++) {
		if (cdsync_kpi_kind_count(k, kinds[i]) == 0)
			continue;
		any++;
		if (out_width(cdsync_choice_label(kinds[i])) > w)
			w = out_width(cdsync_choice_label(kinds[i]));
	}
	if (any == 0)
		printf("%s\n", _("Activities by kind: none recorded."));
	else
		printf("%s\n", _("Activities by kind:"));
	for (i = 0; kinds && kinds[i]; i++) {
		if ((c = cdsync_kpi_kind_count(k, kinds[i])) == 0)
			continue;
		snprintf(num, sizeof num, "%lld", (long long)c);
		printf("  %s%*s  %s\n", cdsync_choice_label(kinds[i]),
		       (int)(w - out_width(cdsync_choice_label(kinds[i]))),
		       "", num);
	}
	out_date(cdsync_kpi_from(k), from);
	out_date(cdsync_kpi_to(k), to);
	printf("\n");
	printf(_("The figures cover %s – %s."), from, to);
	putchar('\n');
	if (asof != NULL) {
		out_date(asof, day);
		printf(_("Counted: what was recorded up to %s."), day);
		putchar('\n');
	}
	return EXIT_OK;
}

int
cmd_kpi(int argc, char **argv)
{
	const char *verb = "kpi";
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	cdsync_kpis *k = NULL;
	cdsync_rec *org = NULL;
	const char *period, *asof;
	char from[11], to[11], iso[11];
	int ex, rc;

	if (optset_add(&os, "period", TAG_PERIOD, OPT_VALUE) != 0 ||
	    optset_add(&os, "as-of", TAG_AS_OF, OPT_VALUE) != 0 ||
	    optset_add(&os, "org", TAG_ORG, OPT_VALUE) != 0 ||
	    optset_add(&os, "json", TAG_JSON, OPT_FLAG) != 0 ||
	    optset_add(&os, "rollup", TAG_FIELD + 1, OPT_FLAG) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(verb, argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		kpi_help(stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, 0, 0, "")) != EXIT_OK)
		goto out;
	if ((period = args_get(&a, TAG_PERIOD)) == NULL) {
		ex = usage_err(verb, "%s",
			       _("--period is required, e.g. --period "
				 "2025-2026"));
		goto out;
	}
	if ((ex = rec_period(verb, period, from, to)) != EXIT_OK)
		goto out;
	if ((asof = args_get(&a, TAG_AS_OF)) != NULL) {
		if ((ex = rec_check_date("--as-of", asof, iso)) != EXIT_OK)
			goto out;
		asof = iso;
	}
	if ((ex = home_open(&db)) != EXIT_OK ||
	    (ex = org_names(db, args_get(&a, TAG_ORG), &org)) != EXIT_OK)
		goto out;
	if (args_get(&a, TAG_FIELD + 1) != NULL && asof != NULL) {
		ex = usage_err(verb, "%s",
			       _("--rollup counts whole periods: it takes no "
				 "--as-of"));
		goto out;
	}
	if (args_get(&a, TAG_FIELD + 1) != NULL)
		rc = cdsync_rollup_kpis(db, cdsync_rec_get(org, "code"), period,
					&k);
	else
		rc = cdsync_kpi_compute(db, args_get(&a, TAG_ORG), period, asof,
					&k);
	if (rc != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	if (args_get(&a, TAG_JSON))
		print_json(k, cdsync_rec_get(org, "code"), period, asof);
	else
		ex = print_text(k, org, period, asof);
	if (args_get(&a, TAG_JSON) == NULL && args_get(&a, TAG_FIELD + 1))
		rollup_said(db, stdout);
out:
	cdsync_kpi_free(k);
	cdsync_rec_free(org);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}
