/* records.c -- the generic verbs of every record kind; see records.h.
 *
 * Sections: the kinds' specs, periods, fields as options, values for
 * display and JSON, lists, and the verbs add / list / show / edit /
 * delete with their help.
 */
#include "records.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

/* ==== The kinds ======================================================== */

static const char *const member_cols[] = { "code", "full_name", "birth_year",
					   "job", "joined_on", NULL };
static const char *const member_sum[] = { "full_name", "code", NULL };
static const struct alias member_alias[] = {
	{ "name", "full_name" }, { "born", "birth_year" },
	{ "joined", "joined_on" }, { "left", "left_on" }, { NULL, NULL }
};
static const struct verbdoc member_verbs[] = {
	{ "import", N_("Read members from a spreadsheet (CSV file)") },
	{ "leave", N_("Record that a member left the union") },
	{ "uncared", N_("Members who have not benefited from care in a "
			"period") },
	{ NULL, NULL }
};

static const char *const plan_cols[] = { "school_year", "title",
					 "tied_to_tasks", "adopted_on", NULL };
static const char *const plan_sum[] = { "school_year", "title", NULL };
static const struct alias plan_alias[] = {
	{ "year", "school_year" }, { "tied", "tied_to_tasks" },
	{ "adopted", "adopted_on" }, { NULL, NULL }
};

static const char *const task_cols[] = { "term_start", "kind", "title",
					 NULL };
static const char *const task_sum[] = { "kind", "title", NULL };
static const struct alias task_alias[] = { { "term", "term_start" },
					   { NULL, NULL } };

static const char *const act_cols[] = { "held_on", "title", "kind", "cost",
					NULL };
static const char *const act_sum[] = { "held_on", "title", "kind", NULL };
static const struct alias act_alias[] = {
	{ "date", "held_on" }, { "task", "key_task_id" }, { NULL, NULL }
};

static const char *const legal_cols[] = { "opened_on", "topic", "member_id",
					  "status", NULL };
static const char *const legal_sum[] = { "opened_on", "topic", "status",
					 NULL };
static const struct alias legal_alias[] = {
	{ "member", "member_id" }, { "date", "opened_on" },
	{ "closed", "closed_on" }, { NULL, NULL }
};
static const struct verbdoc legal_verbs[] = {
	{ "update", N_("Record a new status of a legal case") },
	{ NULL, NULL }
};

static const char *const seat_cols[] = { "council", "member_id", "from_on",
					 "to_on", NULL };
static const char *const seat_sum[] = { "council", "member_id", "from_on",
					NULL };
static const struct alias seat_alias[] = {
	{ "member", "member_id" }, { "from", "from_on" }, { "to", "to_on" },
	{ NULL, NULL }
};

static const char *const init_cols[] = { "year", "title", "author",
					 "clc_proposed", "clc_outcome", NULL };
static const char *const init_sum[] = { "year", "title", "author", NULL };
static const struct alias init_alias[] = {
	{ "member", "member_id" }, { "clc", "clc_proposed" },
	{ "proposed", "clc_proposed" }, { "outcome", "clc_outcome" },
	{ NULL, NULL }
};

static const char *const award_cols[] = { "awarded_on", "title", "recipient",
					  "recipient_kind", NULL };
static const char *const award_sum[] = { "awarded_on", "title", "recipient",
					 NULL };
static const struct alias award_alias[] = {
	{ "date", "awarded_on" }, { "member", "member_id" },
	{ "recipient-is", "recipient_kind" }, { NULL, NULL }
};

static const char *const agree_cols[] = { "signed_on", "partner", "title",
					  "ends_on", NULL };
static const char *const agree_sum[] = { "signed_on", "partner", "title",
					 NULL };
static const struct alias agree_alias[] = {
	{ "signed", "signed_on" }, { "date", "signed_on" },
	{ "ends", "ends_on" }, { NULL, NULL }
};

static const struct kindspec specs[] = {
	{ "member", CDSYNC_KIND_MEMBER, N_("member"), member_cols, member_sum,
	  member_alias, "joined_on", "left_on", "add",
	  N_("cdsync member add --code GV001 --name \"Nguyen Thi Hoa\" "
	     "--sex female --born 1985 --job teacher --joined 01/09/2010"),
	  N_("cdsync member edit GV001 --job manager"), member_verbs,
	  cmd_member, NULL, NULL, NULL, NULL },
	{ "plan", CDSYNC_KIND_PLAN, N_("plan"), plan_cols, plan_sum,
	  plan_alias, "school_year", NULL, "add",
	  N_("cdsync plan add --year 2025-2026 --title \"Union plan "
	     "2025-2026\" --adopted 15/09/2025"),
	  N_("cdsync plan edit 1a2b3c4d --adopted 20/09/2025"), NULL, NULL,
	  NULL, NULL, NULL, NULL },
	{ "task", CDSYNC_KIND_KEY_TASK, N_("key task"), task_cols, task_sum,
	  task_alias, NULL, NULL, "add",
	  N_("cdsync task add --kind task --title \"Raise the quality of "
	     "teaching\""),
	  N_("cdsync task edit 1a2b3c4d --detail \"Every teacher\""), NULL,
	  NULL, NULL, NULL, NULL, NULL },
	{ "activity", CDSYNC_KIND_ACTIVITY, N_("activity"), act_cols, act_sum,
	  act_alias, "held_on", NULL, "add",
	  N_("cdsync activity add --date 20/01/2026 --title \"Tet gifts\" "
	     "--kind care --programme tet_sum_vay --cost 15.000.000 "
	     "--benefit-all 500.000"),
	  N_("cdsync activity edit 1a2b3c4d --benefit GV007=500.000"), NULL,
	  NULL, activity_opts, activity_help, activity_after_write,
	  activity_show },
	{ "legal", CDSYNC_KIND_LEGAL_CASE, N_("legal case"), legal_cols,
	  legal_sum, legal_alias, "opened_on", NULL, "open",
	  N_("cdsync legal open --topic \"Overtime pay\" --member GV001 "
	     "--date 05/03/2026"),
	  N_("cdsync legal edit 1a2b3c4d --note \"Asked by phone\""),
	  legal_verbs, cmd_legal, NULL, NULL, NULL, NULL },
	{ "council", CDSYNC_KIND_COUNCIL_SEAT, N_("council seat"), seat_cols,
	  seat_sum, seat_alias, "from_on", "to_on", "add",
	  N_("cdsync council add --member GV001 --council salary --from "
	     "01/09/2025"),
	  N_("cdsync council edit 1a2b3c4d --to 31/08/2026"), NULL, NULL,
	  NULL, NULL, NULL, NULL },
	{ "initiative", CDSYNC_KIND_INITIATIVE, N_("initiative"), init_cols,
	  init_sum, init_alias, "year", NULL, "add",
	  N_("cdsync initiative add --title \"Digital lesson plans\" "
	     "--author \"Nguyen Thi Hoa\" --member GV001 --year 2025 --clc"),
	  N_("cdsync initiative edit 1a2b3c4d --outcome awarded"), NULL, NULL,
	  NULL, NULL, NULL, NULL },
	{ "award", CDSYNC_KIND_AWARD, N_("award"), award_cols, award_sum,
	  award_alias, "awarded_on", NULL, "add",
	  N_("cdsync award add --date 20/11/2025 --title \"Excellent union "
	     "member\" --recipient-kind individual --recipient \"Nguyen Thi "
	     "Hoa\" --member GV001"),
	  N_("cdsync award edit 1a2b3c4d --issuer \"District union\""), NULL,
	  NULL, NULL, NULL, NULL, NULL },
	{ "agreement", CDSYNC_KIND_AGREEMENT, N_("cooperation agreement"),
	  agree_cols, agree_sum, agree_alias, "signed_on", NULL, "add",
	  N_("cdsync agreement add --partner \"Bank X\" --title \"Welfare "
	     "for members\" --signed 01/10/2025 --ends 30/09/2028"),
	  N_("cdsync agreement edit 1a2b3c4d --ends 30/09/2029"), NULL, NULL,
	  NULL, NULL, NULL, NULL },
};

#define NSPECS (sizeof specs / sizeof specs[0])

const struct kindspec *
records_find(const char *cmd)
{
	size_t i;

	for (i = 0; i < NSPECS; i++)
		if (strcmp(specs[i].cmd, cmd) == 0)
			return &specs[i];
	/* The library's names work too: key_task, legal_case, ... */
	for (i = 0; i < NSPECS; i++) {
		const char *n = cdsync_kind_name(specs[i].kind);

		if (n != NULL && strcmp(n, cmd) == 0)
			return &specs[i];
	}
	return NULL;
}

const struct kindspec *
records_of_kind(cdsync_kind kind)
{
	size_t i;

	for (i = 0; i < NSPECS; i++)
		if (specs[i].kind == kind)
			return &specs[i];
	return NULL;
}

const struct kindspec *
records_at(size_t i)
{
	return i < NSPECS ? &specs[i] : NULL;
}

const char *
rec_verbname(const struct kindspec *ks, const char *verb, char *buf,
	     size_t n)
{
	snprintf(buf, n, "%s %s", ks->cmd, verb);
	return buf;
}

const char *
rec_reason(const cdsync_rec *r)
{
	const char *m = cdsync_rec_errmsg(r), *p = m;

	while ((*p >= 'a' && *p <= 'z') || *p == '_')
		p++;
	return p > m && p[0] == ':' && p[1] == ' ' ? p + 2 : m;
}

/* ==== Periods ========================================================== */

/* The window of a period, through the library (cdsync_period_window). */
int
rec_period(const char *verb, const char *p, char from[11], char to[11])
{
	char err[512];

	if (cdsync_period_window(p, from, to, err, sizeof err) == CDSYNC_OK)
		return EXIT_OK;
	return usage_err(verb, "%s", err);
}

int
rec_check_date(const char *opt, const char *value, char iso[11])
{
	cdsync_rec *r = NULL;
	const char *m;
	int rc;

	/* A legal case event's "at" is a plain date field. */
	if ((rc = cdsync_rec_new(CDSYNC_KIND_LEGAL_EVENT, &r)) != CDSYNC_OK)
		return lib_err(NULL, rc);
	if ((rc = cdsync_rec_set(r, "at", value)) != CDSYNC_OK) {
		m = rec_reason(r);
		msg_err("%s: %s", opt, m);
		cdsync_rec_free(r);
		return rc == CDSYNC_ENOMEM ? EXIT_FAIL : EXIT_USAGE;
	}
	snprintf(iso, 11, "%s", cdsync_rec_get(r, "at"));
	cdsync_rec_free(r);
	return EXIT_OK;
}

/* ==== Fields as options ================================================ */

/* "held_on" -> "held-on" into buf. */
static void
optname(const char *field, char *buf, size_t n)
{
	size_t i;

	for (i = 0; field[i] && i + 1 < n; i++)
		buf[i] = field[i] == '_' ? '-' : field[i];
	buf[i] = '\0';
}

/* The index of a field by name, or 0 (the id) if there is none. */
static size_t
field_index(cdsync_kind kind, const char *name)
{
	cdsync_field_info fi;
	size_t i;

	for (i = 0; cdsync_kind_field_info(kind, i, &fi) == CDSYNC_OK; i++)
		if (strcmp(fi.name, name) == 0)
			return i;
	return 0;
}

/* Fields a user sets: all but id and the union (org_id). */
static int
user_field(const cdsync_field_info *fi)
{
	return fi->type != CDSYNC_FT_ID && strcmp(fi->name, "org_id") != 0;
}

int
rec_fieldopts(const struct kindspec *ks, struct optset *os)
{
	cdsync_field_info fi;
	char name[64];
	size_t i;
	const struct alias *al;

	for (i = 1; cdsync_kind_field_info(ks->kind, i, &fi) == CDSYNC_OK;
	     i++) {
		if (!user_field(&fi))
			continue;
		optname(fi.name, name, sizeof name);
		if (optset_add(os, name, TAG_FIELD + (int)i,
			       fi.type == CDSYNC_FT_BOOL ? OPT_BOOL
							 : OPT_VALUE) != 0)
			return -1;
	}
	for (al = ks->aliases; al && al->opt; al++) {
		i = field_index(ks->kind, al->field);
		if (i == 0 ||
		    cdsync_kind_field_info(ks->kind, i, &fi) != CDSYNC_OK)
			continue;
		if (optset_add(os, al->opt, TAG_FIELD + (int)i,
			       fi.type == CDSYNC_FT_BOOL ? OPT_BOOL
							 : OPT_VALUE) != 0)
			return -1;
	}
	return 0;
}

/* The placeholder of a field's value in help ("DATE"). */
static const char *
metavar(const cdsync_field_info *fi)
{
	switch (fi->type) {
	case CDSYNC_FT_DATE:
		return _("DATE");
	case CDSYNC_FT_MONEY:
		return _("AMOUNT");
	case CDSYNC_FT_INT:
		return _("NUMBER");
	case CDSYNC_FT_BOOL:
		return _("[yes|no]");
	case CDSYNC_FT_CHOICE:
		return _("VALUE");
	case CDSYNC_FT_SCHOOL_YEAR:
		return _("YEAR");
	case CDSYNC_FT_REF:
		if (fi->ref_kind == CDSYNC_KIND_MEMBER)
			return _("MEMBER");
		if (fi->ref_kind == CDSYNC_KIND_KEY_TASK)
			return _("TASK");
		return _("REF");
	default:
		return _("TEXT");
	}
}

/* How a value of the field is written, for help. */
static const char *
hint(const cdsync_field_info *fi)
{
	switch (fi->type) {
	case CDSYNC_FT_DATE:
		return _("dd/mm/yyyy or yyyy-mm-dd");
	case CDSYNC_FT_MONEY:
		return _("in VND, e.g. 1.500.000");
	case CDSYNC_FT_BOOL:
		return _("yes or no; the option alone means yes");
	case CDSYNC_FT_SCHOOL_YEAR:
		return _("a school year, e.g. 2025-2026");
	case CDSYNC_FT_REF:
		if (fi->ref_kind == CDSYNC_KIND_MEMBER)
			return _("a member code, or the short id shown by "
				 "'cdsync member list'");
		return _("the short id shown by the list");
	case CDSYNC_FT_CHOICE:
		return _("one of:");
	default:
		return NULL;
	}
}

/* Prints the help of the field options; `adding` marks required ones. */
static void
fieldhelp(const struct kindspec *ks, FILE *f, int adding)
{
	cdsync_field_info fi;
	char names[256], name[64], text[512];
	const struct alias *al;
	const char *h;
	size_t i, j, off;

	for (i = 1; cdsync_kind_field_info(ks->kind, i, &fi) == CDSYNC_OK;
	     i++) {
		if (!user_field(&fi))
			continue;
		off = 0;
		names[0] = '\0';
		for (al = ks->aliases; al && al->opt; al++)
			if (strcmp(al->field, fi.name) == 0 &&
			    off < sizeof names)
				off += (size_t)snprintf(names + off,
							sizeof names - off,
							"--%s, ", al->opt);
		optname(fi.name, name, sizeof name);
		if (off < sizeof names)
			snprintf(names + off, sizeof names - off, "--%s %s",
				 name, metavar(&fi));
		h = hint(&fi);
		snprintf(text, sizeof text, "%s%s%s%s", fi.label,
			 adding && fi.required ? _(" (required)") : "",
			 h ? "; " : "", h ? h : "");
		help_opt(f, names, text);
		if (fi.type == CDSYNC_FT_CHOICE && fi.choices != NULL) {
			size_t w = 0;

			for (j = 0; fi.choices[j]; j++)
				if (strlen(fi.choices[j]) > w)
					w = strlen(fi.choices[j]);
			for (j = 0; fi.choices[j]; j++)
				fprintf(f, "%32s%-*s  %s\n", "", (int)w,
					fi.choices[j],
					cdsync_field_choice_label(
						&fi, fi.choices[j]));
		}
	}
}

void
rec_fieldhelp(const struct kindspec *ks, FILE *f)
{
	fieldhelp(ks, f, 1);
}

void
rec_commonhelp(FILE *f)
{
	help_opt(f, _("--home DIR"),
		 _("where this computer's cdsync data is (default: "
		   "$CDSYNC_HOME, else ~/.cdsync)"));
	help_opt(f, "--help", _("show this help"));
}

/* ==== Values =========================================================== */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 32 hex digits to 16 bytes; 0 or -1. */
static int
unhex(const char *hex, uint8_t id[16])
{
	size_t i;
	int hi, lo;

	if (hex == NULL || strlen(hex) != 32)
		return -1;
	for (i = 0; i < 16; i++) {
		if ((hi = hexval(hex[2 * i])) < 0 ||
		    (lo = hexval(hex[2 * i + 1])) < 0)
			return -1;
		id[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* The field naming a row of each kind, for references. */
static const char *
namefield(cdsync_kind kind)
{
	switch (kind) {
	case CDSYNC_KIND_ORG:
		return "name";
	case CDSYNC_KIND_MEMBER:
		return "full_name";
	case CDSYNC_KIND_LEGAL_CASE:
		return "topic";
	case CDSYNC_KIND_PLAN:
	case CDSYNC_KIND_KEY_TASK:
	case CDSYNC_KIND_ACTIVITY:
	case CDSYNC_KIND_INITIATIVE:
	case CDSYNC_KIND_AWARD:
	case CDSYNC_KIND_AGREEMENT:
		return "title";
	default:
		return NULL;
	}
}

void
rec_display(cdsync *db, const cdsync_field_info *fi, const char *canon,
	    int withid, char *buf, size_t n)
{
	char shortid[9], day[11];
	cdsync_rec *ref = NULL;
	const char *name = NULL, *nf;
	uint8_t id[16];

	if (canon == NULL) {
		buf[0] = '\0';
		return;
	}
	switch (fi->type) {
	case CDSYNC_FT_ID:
		out_shortid(canon, shortid);
		snprintf(buf, n, "%s", shortid);
		break;
	case CDSYNC_FT_REF:
		out_shortid(canon, shortid);
		nf = namefield(fi->ref_kind);
		if (db != NULL && nf != NULL && unhex(canon, id) == 0 &&
		    cdsync_get(db, fi->ref_kind, id, &ref) == CDSYNC_OK)
			name = cdsync_rec_get(ref, nf);
		if (name == NULL)
			snprintf(buf, n, "%s", shortid);
		else if (withid)
			snprintf(buf, n, "%s (%s)", name, shortid);
		else
			snprintf(buf, n, "%s", name);
		cdsync_rec_free(ref);
		break;
	case CDSYNC_FT_DATE:
		out_date(canon, day);
		snprintf(buf, n, "%s", day);
		break;
	case CDSYNC_FT_MONEY:
		out_money(strtoll(canon, NULL, 10), buf, n);
		break;
	case CDSYNC_FT_BOOL:
		snprintf(buf, n, "%s",
			 strcmp(canon, "1") == 0 ? _("yes") : _("no"));
		break;
	case CDSYNC_FT_CHOICE:
		snprintf(buf, n, "%s", cdsync_field_choice_label(fi, canon));
		break;
	default:
		snprintf(buf, n, "%s", canon);
	}
}

void
rec_shortid(const cdsync_rec *r, char out[9])
{
	char hex[33];
	const uint8_t *id = cdsync_rec_id(r);

	if (id == NULL) {
		out[0] = '\0';
		return;
	}
	out_hex(id, hex);
	out_shortid(hex, out);
}

void
rec_summary(cdsync *db, const struct kindspec *ks, const cdsync_rec *r,
	    char *buf, size_t n)
{
	cdsync_field_info fi;
	char v[512];
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; ks->summary[i] != NULL && off < n; i++) {
		if (cdsync_kind_field_info(ks->kind,
					   field_index(ks->kind,
						       ks->summary[i]),
					   &fi) != CDSYNC_OK)
			continue;
		rec_display(db, &fi, cdsync_rec_get(r, fi.name), 0, v,
			    sizeof v);
		if (v[0] == '\0')
			continue;
		off += (size_t)snprintf(buf + off, n - off, "%s%s",
					off ? ", " : "", v);
	}
}

void
rec_json(struct json *j, const cdsync_rec *r)
{
	cdsync_field_info fi;
	cdsync_kind kind = cdsync_rec_kind(r);
	const char *v;
	size_t i;

	json_obj(j);
	for (i = 0; cdsync_kind_field_info(kind, i, &fi) == CDSYNC_OK; i++) {
		v = cdsync_rec_get(r, fi.name);
		json_key(j, fi.name);
		if (v == NULL)
			json_null(j);
		else if (fi.type == CDSYNC_FT_INT ||
			 fi.type == CDSYNC_FT_MONEY)
			json_int(j, strtoll(v, NULL, 10));
		else if (fi.type == CDSYNC_FT_BOOL)
			json_bool(j, strcmp(v, "1") == 0);
		else
			json_str(j, v);
	}
	json_obj_end(j);
}

/* ==== Setting fields from options ====================================== */

int
rec_resolve(cdsync *db, cdsync_kind kind, const char *opt, const char *ref,
	    uint8_t id[16])
{
	int rc;

	if ((rc = cdsync_resolve(db, kind, ref, id)) == CDSYNC_OK)
		return EXIT_OK;
	if (opt != NULL)
		msg_err("%s: %s", opt, cdsync_errmsg(db));
	else
		lib_err(db, rc);
	return EXIT_FAIL;
}

int
rec_fill(cdsync *db, const struct kindspec *ks, cdsync_rec *r,
	 const struct args *a, const char *verb, size_t *nset)
{
	cdsync_field_info fi;
	char opt[80];
	uint8_t id[16];
	size_t i;
	int rc, ex;

	(void)verb;
	*nset = 0;
	for (i = 0; i < a->nv; i++) {
		const struct optval *v = &a->v[i];

		if (v->def->tag < TAG_FIELD)
			continue;
		if (cdsync_kind_field_info(ks->kind,
					   (size_t)(v->def->tag - TAG_FIELD),
					   &fi) != CDSYNC_OK)
			continue;
		snprintf(opt, sizeof opt, "--%s", v->def->name);
		if (fi.type == CDSYNC_FT_REF && v->value[0] != '\0') {
			if ((ex = rec_resolve(db, fi.ref_kind, opt, v->value,
					      id)) != EXIT_OK)
				return ex;
			rc = cdsync_rec_set_ref(r, fi.name, id);
		} else {
			rc = cdsync_rec_set(r, fi.name, v->value);
		}
		if (rc == CDSYNC_ENOMEM) {
			msg_err("%s", cdsync_strerror(rc));
			return EXIT_FAIL;
		}
		if (rc != CDSYNC_OK) {
			msg_err("%s: %s", opt, rec_reason(r));
			return EXIT_USAGE;
		}
		(*nset)++;
	}
	return EXIT_OK;
}

/* Usage error when a required field of a new record is missing. */
static int
required(const struct kindspec *ks, const cdsync_rec *r, const char *verb)
{
	const struct alias *al;
	cdsync_field_info fi;
	char name[64];
	size_t i;

	for (i = 1; cdsync_kind_field_info(ks->kind, i, &fi) == CDSYNC_OK;
	     i++) {
		if (!user_field(&fi) || !fi.required ||
		    cdsync_rec_get(r, fi.name) != NULL)
			continue;
		optname(fi.name, name, sizeof name);
		/* Name the friendly option when there is one (--date). */
		for (al = ks->aliases; al && al->opt; al++)
			if (strcmp(al->field, fi.name) == 0) {
				snprintf(name, sizeof name, "%s", al->opt);
				break;
			}
		return usage_err(verb, _("%s is required: give --%s"),
				 fi.label, name);
	}
	return EXIT_OK;
}

/* ==== Lists ============================================================ */

int
rec_own_org(cdsync *db, char hex[33])
{
	uint8_t id[16];
	int rc;

	if ((rc = cdsync_node_org(db, id)) != CDSYNC_OK)
		return lib_err(db, rc);
	out_hex(id, hex);
	return EXIT_OK;
}

/* The first and last day a row covers, for --period. */
static void
bounds(const struct kindspec *ks, const cdsync_rec *r, char from[11],
       char to[11])
{
	cdsync_field_info fi;
	const char *v;
	int64_t y;

	snprintf(from, 11, "%s", "0000-01-01");
	snprintf(to, 11, "%s", "9999-12-31");
	if (ks->start == NULL ||
	    cdsync_kind_field_info(ks->kind, field_index(ks->kind, ks->start),
				   &fi) != CDSYNC_OK)
		return;
	v = cdsync_rec_get(r, fi.name);
	if (cdsync_rec_get_int(r, fi.name, &y) != CDSYNC_OK || y < 0 ||
	    y > 9998)
		y = 0;			/* not a year: no window below */
	if (fi.type == CDSYNC_FT_SCHOOL_YEAR && y > 0) {
		snprintf(from, 11, "%04u-09-01", (unsigned)y % 10000u);
		snprintf(to, 11, "%04u-08-31", (unsigned)(y + 1) % 10000u);
	} else if (fi.type == CDSYNC_FT_INT && y > 0) {
		snprintf(from, 11, "%04u-01-01", (unsigned)y % 10000u);
		snprintf(to, 11, "%04u-12-31", (unsigned)y % 10000u);
	} else if (v != NULL) {
		snprintf(from, 11, "%s", v);
		snprintf(to, 11, "%s", ks->end ? "9999-12-31" : v);
	}
	if (ks->end != NULL && (v = cdsync_rec_get(r, ks->end)) != NULL)
		snprintf(to, 11, "%s", v);
}

static int
keep(const struct kindspec *ks, const cdsync_rec *r,
     const struct rowfilter *flt)
{
	const char *v;
	char from[11], to[11];

	if (flt == NULL)
		return 1;
	if (flt->org != NULL && ((v = cdsync_rec_get(r, "org_id")) == NULL ||
				 strcmp(v, flt->org) != 0))
		return 0;
	if (flt->today != NULL && (v = cdsync_rec_get(r, "left_on")) != NULL &&
	    strcmp(v, flt->today) <= 0)
		return 0;
	if (flt->kind != NULL && ((v = cdsync_rec_get(r, "kind")) == NULL ||
				  strcmp(v, flt->kind) != 0))
		return 0;
	if (flt->from != NULL && flt->to != NULL) {
		bounds(ks, r, from, to);
		if (strcmp(from, flt->to) > 0 || strcmp(to, flt->from) < 0)
			return 0;
	}
	return 1;
}

int
rec_print_rows(cdsync *db, const struct kindspec *ks, cdsync_cursor *cur,
	       const struct rowfilter *flt, int json)
{
	const char *head[8], *cells[8];
	char vals[7][512], shortid[9];
	cdsync_field_info fi[7];
	const cdsync_rec *r;
	struct table *t = NULL;
	struct json j = { 0 };
	size_t nc = 0, i;
	int rc, ex = EXIT_OK;

	head[0] = _("Id");
	for (i = 0; ks->cols[i] != NULL && nc < 6; i++)
		if (cdsync_kind_field_info(ks->kind,
					   field_index(ks->kind, ks->cols[i]),
					   &fi[nc]) == CDSYNC_OK) {
			head[nc + 1] = fi[nc].label;
			nc++;
		}
	if (json) {
		json_init(&j, stdout);
		json_arr(&j);
	} else if ((t = table_new(nc + 1, head)) == NULL) {
		cdsync_cursor_close(cur);
		msg_err("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	for (i = 0; i < nc; i++)
		if (t && (fi[i].type == CDSYNC_FT_MONEY ||
			  fi[i].type == CDSYNC_FT_INT))
			table_right(t, i + 1);
	while ((rc = cdsync_cursor_next(cur, &r)) == CDSYNC_OK) {
		if (!keep(ks, r, flt))
			continue;
		if (json) {
			rec_json(&j, r);
			continue;
		}
		rec_shortid(r, shortid);
		cells[0] = shortid;
		for (i = 0; i < nc; i++) {
			rec_display(db, &fi[i], cdsync_rec_get(r, fi[i].name),
				    0, vals[i], sizeof vals[i]);
			cells[i + 1] = vals[i];
		}
		if (table_add(t, cells) != 0) {
			msg_err("%s", _("out of memory"));
			ex = EXIT_FAIL;
			goto out;
		}
	}
	if (rc != CDSYNC_DONE) {
		ex = lib_err(db, rc);
		goto out;
	}
	if (json) {
		json_arr_end(&j);
		json_done(&j);
	} else if (table_rows(t) == 0) {
		printf("%s\n", _("Nothing found."));
	} else {
		table_print(t, stdout);
		printf(_("Total: %zu"), table_rows(t));
		putchar('\n');
	}
out:
	if (json && ex != EXIT_OK) {
		json_arr_end(&j);
		json_done(&j);
	}
	table_free(t);
	cdsync_cursor_close(cur);
	return ex;
}

/* ==== Verbs ============================================================ */

/* Adds the options every record verb takes besides its own. */
static int
listopts(const struct kindspec *ks, struct optset *os)
{
	if (optset_add(os, "json", TAG_JSON, OPT_FLAG) != 0)
		return -1;
	if ((ks->start != NULL || ks->kind == CDSYNC_KIND_ACTIVITY) &&
	    optset_add(os, "period", TAG_PERIOD, OPT_VALUE) != 0)
		return -1;
	if (ks->kind == CDSYNC_KIND_MEMBER &&
	    optset_add(os, "all", TAG_ALL, OPT_FLAG) != 0)
		return -1;
	if (ks->kind == CDSYNC_KIND_ACTIVITY &&
	    optset_add(os, "kind", TAG_KIND, OPT_VALUE) != 0)
		return -1;
	if (ks->kind == CDSYNC_KIND_LEGAL_CASE &&
	    optset_add(os, "open", TAG_OPEN, OPT_FLAG) != 0)
		return -1;
	return 0;
}

static void
help_head(FILE *f, const char *usage, const char *what)
{
	fprintf(f, "%s %s\n\n", _("Usage:"), usage);
	help_para(f, what);
	fprintf(f, "\n%s\n", _("Options:"));
}

static void
help_example(FILE *f, const char *example)
{
	fprintf(f, "\n%s\n  %s\n", _("Example:"), example);
}

static void
help_verb(const struct kindspec *ks, const char *verb, FILE *f)
{
	const struct alias *al;
	cdsync_field_info fi;
	char usage[512], name[64], line[512];
	size_t i, off;
	int adding = strcmp(verb, ks->add_verb) == 0 ||
		     strcmp(verb, "add") == 0;

	if (adding) {
		off = (size_t)snprintf(usage, sizeof usage, "cdsync %s %s",
				       ks->cmd, verb);
		for (i = 1;
		     cdsync_kind_field_info(ks->kind, i, &fi) == CDSYNC_OK;
		     i++) {
			if (!user_field(&fi) || !fi.required ||
			    off >= sizeof usage)
				continue;
			optname(fi.name, name, sizeof name);
			for (al = ks->aliases; al && al->opt; al++)
				if (strcmp(al->field, fi.name) == 0) {
					snprintf(name, sizeof name, "%s",
						 al->opt);
					break;
				}
			off += (size_t)snprintf(usage + off,
						sizeof usage - off, " --%s %s",
						name, metavar(&fi));
		}
		if (off < sizeof usage)
			snprintf(usage + off, sizeof usage - off, " %s",
				 _("[OPTION...]"));
		snprintf(line, sizeof line,
			 _("Records a new %s of this union."),
			 _(ks->what));
		help_head(f, usage, line);
		fieldhelp(ks, f, 1);
		if (ks->extra_help)
			ks->extra_help(f, 1);
		rec_commonhelp(f);
		help_example(f, _(ks->add_example));
	} else if (strcmp(verb, "edit") == 0) {
		snprintf(usage, sizeof usage, "cdsync %s edit %s %s", ks->cmd,
			 _("REF"), _("--OPTION VALUE..."));
		snprintf(line, sizeof line,
			 _("Changes a %s: give only what changes; an empty "
			   "value clears a field (--note \"\").  REF is the "
			   "short id shown by 'cdsync %s list'."),
			 _(ks->what), ks->cmd);
		help_head(f, usage, line);
		fieldhelp(ks, f, 0);
		if (ks->extra_help)
			ks->extra_help(f, 0);
		rec_commonhelp(f);
		help_example(f, _(ks->edit_example));
	} else if (strcmp(verb, "list") == 0) {
		snprintf(usage, sizeof usage, "cdsync %s list %s", ks->cmd,
			 _("[OPTION...]"));
		snprintf(line, sizeof line,
			 _("Lists the %s records of this union, with their "
			   "short ids."),
			 _(ks->what));
		help_head(f, usage, line);
		if (ks->start != NULL || ks->kind == CDSYNC_KIND_ACTIVITY)
			help_opt(f, _("--period PERIOD"),
				 _("only this period: a school year "
				   "(2025-2026), a year (2025), a quarter "
				   "(2025-Q3) or the term (2023-2028)"));
		if (ks->kind == CDSYNC_KIND_MEMBER)
			help_opt(f, "--all",
				 _("also members who have left the union"));
		if (ks->kind == CDSYNC_KIND_ACTIVITY)
			help_opt(f, _("--kind VALUE"),
				 _("only activities of this kind (care, "
				   "training, ...)"));
		if (ks->kind == CDSYNC_KIND_LEGAL_CASE)
			help_opt(f, "--open",
				 _("only cases not resolved yet"));
		help_opt(f, "--json",
			 _("print JSON (every field, for other programs)"));
		rec_commonhelp(f);
		snprintf(line, sizeof line, "cdsync %s list%s", ks->cmd,
			 ks->start || ks->kind == CDSYNC_KIND_ACTIVITY
				 ? " --period 2025-2026"
				 : "");
		help_example(f, line);
	} else if (strcmp(verb, "show") == 0) {
		snprintf(usage, sizeof usage, "cdsync %s show %s [--json]",
			 ks->cmd, _("REF"));
		snprintf(line, sizeof line,
			 _("Shows every field of a %s.  REF is the short id "
			   "shown by 'cdsync %s list'%s."),
			 _(ks->what), ks->cmd,
			 ks->kind == CDSYNC_KIND_MEMBER
				 ? _(", or the member code")
				 : "");
		help_head(f, usage, line);
		help_opt(f, "--json", _("print JSON"));
		rec_commonhelp(f);
		snprintf(line, sizeof line, "cdsync %s show %s", ks->cmd,
			 ks->kind == CDSYNC_KIND_MEMBER ? "GV001"
							: "1a2b3c4d");
		help_example(f, line);
	} else {
		snprintf(usage, sizeof usage, "cdsync %s delete %s", ks->cmd,
			 _("REF"));
		snprintf(line, sizeof line,
			 _("Deletes a %s recorded by mistake.  REF is the "
			   "short id shown by 'cdsync %s list'."),
			 _(ks->what), ks->cmd);
		help_head(f, usage, line);
		rec_commonhelp(f);
		snprintf(line, sizeof line, "cdsync %s delete %s", ks->cmd,
			 ks->kind == CDSYNC_KIND_MEMBER ? "GV001"
							: "1a2b3c4d");
		help_example(f, line);
	}
}

/* add and edit: both write in one transaction when the kind has more to
 * write than the row itself. */
static int
verb_write(const struct kindspec *ks, int argc, char **argv,
	   const char *verbword, int adding)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	cdsync_rec *r = NULL, *now = NULL;
	char verb[64], sum[1024], note[512], shortid[9];
	uint8_t id[16];
	size_t nset = 0, nextra = 0, i;
	int ex, rc, intx = 0;

	rec_verbname(ks, verbword, verb, sizeof verb);
	note[0] = '\0';
	if (rec_fieldopts(ks, &os) != 0 ||
	    (ks->extra_opts && ks->extra_opts(&os, adding) != 0)) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(verb, argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		help_verb(ks, verbword, stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, adding ? 0 : 1, adding ? 0 : 1,
				  _("REF (which record)"))) != EXIT_OK)
		goto out;
	if ((ex = home_open(&db)) != EXIT_OK)
		goto out;
	if ((rc = cdsync_rec_new(ks->kind, &r)) != CDSYNC_OK) {
		ex = lib_err(NULL, rc);
		goto out;
	}
	if (!adding) {
		if ((ex = rec_resolve(db, ks->kind, NULL, a.pos[0], id)) !=
		    EXIT_OK)
			goto out;
		if ((rc = cdsync_rec_set_id(r, id)) != CDSYNC_OK) {
			ex = lib_err(NULL, rc);
			goto out;
		}
	}
	if ((ex = rec_fill(db, ks, r, &a, verb, &nset)) != EXIT_OK)
		goto out;
	for (i = 0; i < a.nv; i++)
		if (a.v[i].def->tag < TAG_FIELD)
			nextra++;
	if (adding && (ex = required(ks, r, verb)) != EXIT_OK)
		goto out;
	if (!adding && nset == 0 && nextra == 0) {
		ex = usage_err(verb, "%s",
			       _("nothing to change: give the fields to "
				 "change as options"));
		goto out;
	}
	if (ks->after_write != NULL) {
		if ((rc = cdsync_begin(db)) != CDSYNC_OK) {
			ex = lib_err(db, rc);
			goto out;
		}
		intx = 1;
	}
	if (adding)
		rc = cdsync_insert(db, r);
	else
		rc = nset > 0 ? cdsync_update(db, r) : CDSYNC_OK;
	if (rc != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	if (ks->after_write != NULL &&
	    (ex = ks->after_write(db, r, &a, verb, adding, note,
				  sizeof note)) != EXIT_OK)
		goto out;
	if (intx) {
		if ((rc = cdsync_commit(db)) != CDSYNC_OK) {
			ex = lib_err(db, rc);
			goto out;
		}
		intx = 0;
	}
	if ((rc = cdsync_get(db, ks->kind, cdsync_rec_id(r), &now)) !=
	    CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	rec_shortid(now, shortid);
	rec_summary(db, ks, now, sum, sizeof sum);
	printf(adding ? _("Added %s %s: %s") : _("Saved %s %s: %s"),
	       _(ks->what), shortid, sum);
	putchar('\n');
	if (note[0] != '\0')
		printf("%s\n", note);
out:
	if (intx) {
		cdsync_rollback(db);
		msg_err("%s", adding ? _("nothing was recorded")
				     : _("nothing was changed"));
	}
	cdsync_rec_free(now);
	cdsync_rec_free(r);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

static int
verb_list(const struct kindspec *ks, int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	struct rowfilter flt = { 0 };
	cdsync *db = NULL;
	cdsync_cursor *cur = NULL;
	cdsync_field_info fi;
	char verb[64], org[33], from[11], to[11], today[11];
	const char *period, *kind;
	size_t i;
	int ex, rc;

	rec_verbname(ks, "list", verb, sizeof verb);
	if (listopts(ks, &os) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(verb, argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		help_verb(ks, "list", stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, 0, 0, "")) != EXIT_OK)
		goto out;
	period = args_get(&a, TAG_PERIOD);
	kind = args_get(&a, TAG_KIND);
	if (period != NULL &&
	    (ex = rec_period(verb, period, from, to)) != EXIT_OK)
		goto out;
	if (kind != NULL) {
		cdsync_kind_field_info(ks->kind, field_index(ks->kind, "kind"),
				       &fi);
		for (i = 0; fi.choices && fi.choices[i]; i++)
			if (strcmp(fi.choices[i], kind) == 0)
				break;
		if (fi.choices == NULL || fi.choices[i] == NULL) {
			ex = usage_err(verb,
				       _("'%s' is not a kind of activity; "
					 "see 'cdsync activity add --help'"),
				       kind);
			goto out;
		}
	}
	if ((ex = home_open(&db)) != EXIT_OK ||
	    (ex = rec_own_org(db, org)) != EXIT_OK)
		goto out;
	flt.org = org;
	flt.kind = kind;
	if (period != NULL) {
		flt.from = from;
		flt.to = to;
	}
	if (ks->kind == CDSYNC_KIND_MEMBER && !args_get(&a, TAG_ALL)) {
		home_today(today);
		flt.today = today;
	}
	if (ks->kind == CDSYNC_KIND_ACTIVITY && period != NULL)
		rc = cdsync_query_activities(db, period, kind, &cur);
	else if (ks->kind == CDSYNC_KIND_LEGAL_CASE && args_get(&a, TAG_OPEN))
		rc = cdsync_query_open_legal(db, &cur);
	else if (ks->kind == CDSYNC_KIND_LEGAL_CASE && period != NULL)
		rc = cdsync_query_legal(db, period, &cur);
	else
		rc = cdsync_list(db, ks->kind, &cur);
	if (rc != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	ex = rec_print_rows(db, ks, cur, &flt, args_get(&a, TAG_JSON) != NULL);
out:
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

/* Prints every field of r as "Label: value" lines. */
static void
show_text(cdsync *db, const struct kindspec *ks, const cdsync_rec *r)
{
	cdsync_field_info fi;
	char v[1024], shortid[9];
	size_t i, w = 0, lw;

	rec_shortid(r, shortid);
	printf("%s %s\n", _(ks->what), shortid);
	for (i = 1; cdsync_kind_field_info(ks->kind, i, &fi) == CDSYNC_OK;
	     i++)
		if ((lw = out_width(fi.label)) > w)
			w = lw;
	for (i = 1; cdsync_kind_field_info(ks->kind, i, &fi) == CDSYNC_OK;
	     i++) {
		rec_display(db, &fi, cdsync_rec_get(r, fi.name), 1, v,
			    sizeof v);
		printf("  %s:%*s %s\n", fi.label,
		       (int)(w - out_width(fi.label)), "", v);
	}
	lw = out_width(_("Id"));
	printf("  %s:%*s %s\n", _("Id"), (int)(w > lw ? w - lw : 0), "",
	       cdsync_rec_get(r, "id"));
}

static int
verb_show(const struct kindspec *ks, int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	cdsync_rec *r = NULL;
	struct json j = { 0 };
	char verb[64];
	uint8_t id[16];
	int ex, rc, json;

	rec_verbname(ks, "show", verb, sizeof verb);
	if (optset_add(&os, "json", TAG_JSON, OPT_FLAG) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(verb, argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		help_verb(ks, "show", stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, 1, 1, _("REF (which record)"))) !=
		    EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK ||
	    (ex = rec_resolve(db, ks->kind, NULL, a.pos[0], id)) != EXIT_OK)
		goto out;
	if ((rc = cdsync_get(db, ks->kind, id, &r)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	json = args_get(&a, TAG_JSON) != NULL;
	if (json) {
		json_init(&j, stdout);
		if (ks->show_extra == NULL) {
			rec_json(&j, r);
		} else {
			/* The record, then the kind's own keys. */
			json_obj(&j);
			json_key(&j, ks->cmd);
			rec_json(&j, r);
			ex = ks->show_extra(db, r, &j);
			json_obj_end(&j);
		}
		json_done(&j);
	} else {
		show_text(db, ks, r);
		if (ks->show_extra != NULL)
			ex = ks->show_extra(db, r, NULL);
	}
out:
	cdsync_rec_free(r);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

static int
verb_delete(const struct kindspec *ks, int argc, char **argv)
{
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	cdsync_rec *r = NULL;
	char verb[64], sum[1024], shortid[9];
	uint8_t id[16];
	int ex, rc;

	rec_verbname(ks, "delete", verb, sizeof verb);
	if ((ex = args_parse(verb, argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		help_verb(ks, "delete", stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, 1, 1, _("REF (which record)"))) !=
		    EXIT_OK ||
	    (ex = home_open(&db)) != EXIT_OK ||
	    (ex = rec_resolve(db, ks->kind, NULL, a.pos[0], id)) != EXIT_OK)
		goto out;
	if ((rc = cdsync_get(db, ks->kind, id, &r)) != CDSYNC_OK ||
	    (rc = cdsync_delete(db, ks->kind, id)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	rec_shortid(r, shortid);
	rec_summary(db, ks, r, sum, sizeof sum);
	printf(_("Deleted %s %s: %s"), _(ks->what), shortid, sum);
	putchar('\n');
out:
	cdsync_rec_free(r);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}

/* ==== Nouns ============================================================ */

void
records_noun_help(const struct kindspec *ks, FILE *f)
{
	char line[256], usage[128];
	const struct verbdoc *v;

	snprintf(usage, sizeof usage, "cdsync %s %s", ks->cmd,
		 _("VERB [OPTION...]"));
	fprintf(f, "%s %s\n\n%s\n", _("Usage:"), usage, _("Verbs:"));
	snprintf(line, sizeof line, _("Record a new %s"), _(ks->what));
	help_cmd(f, ks->add_verb, line);
	help_cmd(f, "list", _("List what is recorded"));
	help_cmd(f, "show", _("Show one record in full"));
	help_cmd(f, "edit", _("Change a record"));
	help_cmd(f, "delete", _("Delete a record made by mistake"));
	for (v = ks->verbs; v && v->name; v++)
		help_cmd(f, v->name, _(v->doc));
	fprintf(f, "\n");
	fprintf(f, "%s cdsync %s %s --help\n",
		_("Each verb has its own help, for example:"), ks->cmd,
		ks->add_verb);
}

int
records_verb(const struct kindspec *ks, int argc, char **argv)
{
	const char *verb;

	if (argc < 1) {
		msg_err(_("say what to do after 'cdsync %s', for example "
			  "'cdsync %s list'"),
			ks->cmd, ks->cmd);
		fputc('\n', stderr);
		records_noun_help(ks, stderr);
		return EXIT_USAGE;
	}
	verb = argv[0];
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 ||
	    strcmp(verb, "help") == 0) {
		records_noun_help(ks, stdout);
		return EXIT_OK;
	}
	if (strcmp(verb, ks->add_verb) == 0 || strcmp(verb, "add") == 0)
		return verb_write(ks, argc - 1, argv + 1, verb, 1);
	if (strcmp(verb, "edit") == 0)
		return verb_write(ks, argc - 1, argv + 1, verb, 0);
	if (strcmp(verb, "list") == 0)
		return verb_list(ks, argc - 1, argv + 1);
	if (strcmp(verb, "show") == 0)
		return verb_show(ks, argc - 1, argv + 1);
	if (strcmp(verb, "delete") == 0)
		return verb_delete(ks, argc - 1, argv + 1);
	msg_err(_("'%s' is not something cdsync %s can do"), verb, ks->cmd);
	fprintf(stderr, _("Try 'cdsync %s --help'."), ks->cmd);
	fputc('\n', stderr);
	return EXIT_USAGE;
}
