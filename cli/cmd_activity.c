/* cmd_activity.c -- the beneficiaries of an activity (hooks of the
 * activity kind, records.h).
 *
 * Contract: `activity add` and `activity edit` take --benefit
 * MEMBER[=AMOUNT] (repeatable), --benefit-all AMOUNT (every member of the
 * union on the activity's date) and --benefit-form FORM; edit also takes
 * --unbenefit MEMBER.  They run inside the transaction records.c opened
 * around the activity's own row, so either the activity and all its
 * beneficiaries are written or nothing is.  A member already recorded as
 * a beneficiary gets the new amount.  `activity show` lists the
 * beneficiaries and their total.
 */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

struct ben {
	uint8_t member[16];		/* who benefited */
	const char *amount;		/* as typed, or NULL */
	const char *arg;		/* the option's value, for messages */
};

struct benlist {
	struct ben *v;			/* one per member */
	size_t n, cap;
};

int
activity_opts(struct optset *os, int adding)
{
	if (optset_add(os, "benefit", TAG_BENEFIT, OPT_VALUE | OPT_MULTI) !=
		    0 ||
	    optset_add(os, "benefit-all", TAG_BENEFIT_ALL, OPT_VALUE) != 0 ||
	    optset_add(os, "benefit-form", TAG_FORM, OPT_VALUE) != 0)
		return -1;
	if (!adding && optset_add(os, "unbenefit", TAG_UNBENEFIT,
				  OPT_VALUE | OPT_MULTI) != 0)
		return -1;
	return 0;
}

void
activity_help(FILE *f, int adding)
{
	help_opt(f, _("--benefit MEMBER[=AMOUNT]"),
		 _("a member who benefited, with the money or the value of "
		   "the goods given (repeat for each member); MEMBER is a "
		   "member code or a short id"));
	help_opt(f, _("--benefit-all AMOUNT"),
		 _("every member of the union on the activity's date "
		   "benefited, each with this amount (0 if none)"));
	help_opt(f, _("--benefit-form FORM"),
		 _("how the benefit was given: cash, goods or service"));
	if (!adding)
		help_opt(f, _("--unbenefit MEMBER"),
			 _("remove a member from the beneficiaries"));
}

/* The entry of member id in l, or NULL. */
static struct ben *
ben_find(struct benlist *l, const uint8_t id[16])
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (memcmp(l->v[i].member, id, 16) == 0)
			return &l->v[i];
	return NULL;
}

/* Adds or replaces member id; 0, or -1 when out of memory. */
static int
ben_put(struct benlist *l, const uint8_t id[16], const char *amount,
	const char *arg)
{
	struct ben *b = ben_find(l, id);

	if (b == NULL) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 16;

			if ((b = realloc(l->v, cap * sizeof *b)) == NULL)
				return -1;
			l->v = b;
			l->cap = cap;
		}
		b = &l->v[l->n++];
		memcpy(b->member, id, 16);
	}
	b->amount = amount;
	b->arg = arg;
	return 0;
}

/* Hex of 32 digits back to 16 bytes; 0 or -1. */
static int
unhex(const char *s, uint8_t id[16])
{
	size_t i;
	unsigned v;

	if (s == NULL || strlen(s) != 32)
		return -1;
	for (i = 0; i < 16; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		id[i] = (uint8_t)v;
	}
	return 0;
}

/* Adds every member of the activity's union on its date to l (those
 * already in l keep their amount). */
static int
add_everyone(cdsync *db, const cdsync_rec *act, const char *amount,
	     struct benlist *l)
{
	const char *org = cdsync_rec_get(act, "org_id");
	const char *day = cdsync_rec_get(act, "held_on");
	const cdsync_rec *m;
	cdsync_cursor *cur = NULL;
	const char *v;
	uint8_t id[16];
	int rc, ex = EXIT_OK;

	if ((rc = cdsync_list(db, CDSYNC_KIND_MEMBER, &cur)) != CDSYNC_OK)
		return lib_err(db, rc);
	while ((rc = cdsync_cursor_next(cur, &m)) == CDSYNC_OK) {
		if ((v = cdsync_rec_get(m, "org_id")) == NULL || org == NULL ||
		    strcmp(v, org) != 0)
			continue;
		if ((v = cdsync_rec_get(m, "joined_on")) != NULL && day &&
		    strcmp(v, day) > 0)
			continue;
		if ((v = cdsync_rec_get(m, "left_on")) != NULL && day &&
		    strcmp(v, day) < 0)
			continue;
		memcpy(id, cdsync_rec_id(m), 16);
		if (ben_find(l, id) == NULL &&
		    ben_put(l, id, amount, amount) != 0) {
			msg_err("%s", _("out of memory"));
			ex = EXIT_FAIL;
			break;
		}
	}
	if (ex == EXIT_OK && rc != CDSYNC_DONE)
		ex = lib_err(db, rc);
	cdsync_cursor_close(cur);
	return ex;
}

/* The beneficiary rows of an activity: their member ids and row ids. */
struct existing {
	uint8_t (*member)[16];
	uint8_t (*row)[16];
	size_t n;
};

static void
existing_free(struct existing *e)
{
	free(e->member);
	free(e->row);
	memset(e, 0, sizeof *e);
}

static int
existing_load(cdsync *db, const uint8_t act[16], struct existing *e)
{
	cdsync_cursor *cur = NULL;
	const cdsync_rec *b;
	void *p;
	int rc;

	memset(e, 0, sizeof *e);
	if ((rc = cdsync_query_benefits(db, act, &cur)) != CDSYNC_OK)
		return lib_err(db, rc);
	while ((rc = cdsync_cursor_next(cur, &b)) == CDSYNC_OK) {
		if ((p = realloc(e->member, (e->n + 1) * 16)) == NULL)
			goto nomem;
		e->member = p;
		if ((p = realloc(e->row, (e->n + 1) * 16)) == NULL)
			goto nomem;
		e->row = p;
		if (unhex(cdsync_rec_get(b, "member_id"), e->member[e->n]) !=
		    0)
			continue;
		memcpy(e->row[e->n], cdsync_rec_id(b), 16);
		e->n++;
	}
	cdsync_cursor_close(cur);
	if (rc != CDSYNC_DONE) {
		existing_free(e);
		return lib_err(db, rc);
	}
	return EXIT_OK;
nomem:
	cdsync_cursor_close(cur);
	existing_free(e);
	msg_err("%s", _("out of memory"));
	return EXIT_FAIL;
}

/* The row id of member's benefit in e, or NULL. */
static const uint8_t *
existing_row(const struct existing *e, const uint8_t member[16])
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (memcmp(e->member[i], member, 16) == 0)
			return e->row[i];
	return NULL;
}

/* Writes one beneficiary: a new row, or the new amount/form of an
 * existing one. */
static int
write_benefit(cdsync *db, const uint8_t act[16], const struct ben *b,
	      const char *form, const uint8_t *row)
{
	cdsync_rec *r = NULL;
	char opt[64];
	int rc, ex = EXIT_OK;

	if ((rc = cdsync_rec_new(CDSYNC_KIND_BENEFIT, &r)) != CDSYNC_OK)
		return lib_err(NULL, rc);
	if (row != NULL)
		rc = cdsync_rec_set_id(r, row);
	else if ((rc = cdsync_rec_set_ref(r, "activity_id", act)) ==
		 CDSYNC_OK)
		rc = cdsync_rec_set_ref(r, "member_id", b->member);
	if (rc != CDSYNC_OK) {
		ex = lib_err(NULL, rc);
		goto out;
	}
	if (b->amount != NULL &&
	    cdsync_rec_set(r, "amount", b->amount) != CDSYNC_OK) {
		snprintf(opt, sizeof opt, "--%s",
			 b->arg == b->amount ? "benefit-all" : "benefit");
		msg_err("%s '%s': %s", opt, b->arg, rec_reason(r));
		ex = EXIT_USAGE;
		goto out;
	}
	if (form != NULL && cdsync_rec_set(r, "form", form) != CDSYNC_OK) {
		msg_err("--benefit-form: %s", rec_reason(r));
		ex = EXIT_USAGE;
		goto out;
	}
	if (row != NULL)
		rc = b->amount || form ? cdsync_update(db, r) : CDSYNC_OK;
	else
		rc = cdsync_insert(db, r);
	if (rc != CDSYNC_OK)
		ex = lib_err(db, rc);
out:
	cdsync_rec_free(r);
	return ex;
}

/* Counts the beneficiaries of an activity and adds up their amounts. */
static int
tally(cdsync *db, const uint8_t act[16], size_t *n, int64_t *total)
{
	cdsync_cursor *cur = NULL;
	const cdsync_rec *b;
	int64_t v;
	int rc;

	*n = 0;
	*total = 0;
	if ((rc = cdsync_query_benefits(db, act, &cur)) != CDSYNC_OK)
		return lib_err(db, rc);
	while ((rc = cdsync_cursor_next(cur, &b)) == CDSYNC_OK) {
		(*n)++;
		if (cdsync_rec_get_int(b, "amount", &v) == CDSYNC_OK)
			*total += v;
	}
	cdsync_cursor_close(cur);
	return rc == CDSYNC_DONE ? EXIT_OK : lib_err(db, rc);
}

int
activity_after_write(cdsync *db, const cdsync_rec *rec, const struct args *a,
		     const char *verb, int adding, char *note, size_t notelen)
{
	struct benlist l = { 0 };
	struct existing e = { 0 };
	cdsync_rec *act = NULL;
	const uint8_t *actid = cdsync_rec_id(rec);
	const char *all, *form, *eq;
	char ref[256], money[40];
	uint8_t id[16];
	const uint8_t *row;
	size_t i, n;
	int64_t total;
	int ex = EXIT_OK, rc;

	(void)verb;
	if (args_count(a, TAG_BENEFIT) == 0 && !args_get(a, TAG_BENEFIT_ALL) &&
	    args_count(a, TAG_UNBENEFIT) == 0) {
		if (args_get(a, TAG_FORM) != NULL)
			return usage_err(verb, "%s",
					 _("--benefit-form goes with "
					   "--benefit or --benefit-all"));
		return EXIT_OK;
	}
	if ((rc = cdsync_get(db, CDSYNC_KIND_ACTIVITY, actid, &act)) !=
	    CDSYNC_OK)
		return lib_err(db, rc);
	for (i = 0; i < a->nv; i++) {
		const char *v = a->v[i].value;

		if (a->v[i].def->tag != TAG_BENEFIT)
			continue;
		eq = strrchr(v, '=');
		n = eq ? (size_t)(eq - v) : strlen(v);
		if (n == 0 || n >= sizeof ref) {
			ex = usage_err(verb,
				       _("--benefit '%s': write MEMBER or "
					 "MEMBER=AMOUNT"),
				       v);
			goto out;
		}
		memcpy(ref, v, n);
		ref[n] = '\0';
		if ((ex = rec_resolve(db, CDSYNC_KIND_MEMBER, "--benefit", ref,
				      id)) != EXIT_OK)
			goto out;
		if (ben_put(&l, id, eq ? eq + 1 : NULL, v) != 0) {
			msg_err("%s", _("out of memory"));
			ex = EXIT_FAIL;
			goto out;
		}
	}
	if ((all = args_get(a, TAG_BENEFIT_ALL)) != NULL &&
	    (ex = add_everyone(db, act, all, &l)) != EXIT_OK)
		goto out;
	form = args_get(a, TAG_FORM);
	if ((ex = existing_load(db, actid, &e)) != EXIT_OK)
		goto out;
	for (i = 0; i < l.n; i++)
		if ((ex = write_benefit(db, actid, &l.v[i], form,
					existing_row(&e, l.v[i].member))) !=
		    EXIT_OK)
			goto out;
	for (i = 0; i < a->nv; i++) {
		if (a->v[i].def->tag != TAG_UNBENEFIT)
			continue;
		if ((ex = rec_resolve(db, CDSYNC_KIND_MEMBER, "--unbenefit",
				      a->v[i].value, id)) != EXIT_OK)
			goto out;
		if ((row = existing_row(&e, id)) == NULL) {
			msg_err(_("--unbenefit: %s is not among the "
				  "beneficiaries of this activity"),
				a->v[i].value);
			ex = EXIT_FAIL;
			goto out;
		}
		if ((rc = cdsync_delete(db, CDSYNC_KIND_BENEFIT, row)) !=
		    CDSYNC_OK) {
			ex = lib_err(db, rc);
			goto out;
		}
	}
	if ((ex = tally(db, actid, &n, &total)) != EXIT_OK)
		goto out;
	out_money(total, money, sizeof money);
	snprintf(note, notelen, _("Beneficiaries: %zu, amount in all: %s"), n,
		 money);
	(void)adding;
out:
	existing_free(&e);
	free(l.v);
	cdsync_rec_free(act);
	return ex;
}

int
activity_show(cdsync *db, const cdsync_rec *rec, struct json *j)
{
	const char *head[4];
	const char *cells[4];
	cdsync_field_info fi;
	cdsync_cursor *cur = NULL;
	const cdsync_rec *b;
	cdsync_rec *m = NULL;
	struct table *t = NULL;
	char money[40], form[128];
	const char *v;
	uint8_t mid[16];
	size_t i, n = 0;
	int64_t amount, total = 0;
	int rc, ex = EXIT_OK;

	if ((rc = cdsync_query_benefits(db, cdsync_rec_id(rec), &cur)) !=
	    CDSYNC_OK)
		return lib_err(db, rc);
	head[0] = _("Member code");
	head[1] = _("Full name");
	head[2] = _("Amount");
	head[3] = _("Form");
	if (j != NULL) {
		json_key(j, "beneficiaries");
		json_arr(j);
	} else if ((t = table_new(4, head)) == NULL) {
		cdsync_cursor_close(cur);
		msg_err("%s", _("out of memory"));
		return EXIT_FAIL;
	} else {
		table_right(t, 2);
	}
	for (i = 0; cdsync_kind_field_info(CDSYNC_KIND_BENEFIT, i, &fi) ==
		    CDSYNC_OK &&
		    strcmp(fi.name, "form") != 0;
	     i++)
		;
	while ((rc = cdsync_cursor_next(cur, &b)) == CDSYNC_OK) {
		cdsync_rec_free(m);
		m = NULL;
		amount = 0;
		cdsync_rec_get_int(b, "amount", &amount);
		total += amount;
		n++;
		v = cdsync_rec_get(b, "member_id");
		if (unhex(v, mid) == 0 &&
		    cdsync_get(db, CDSYNC_KIND_MEMBER, mid, &m) != CDSYNC_OK)
			m = NULL;	/* shown by id */
		if (j != NULL) {
			json_obj(j);
			json_key(j, "member_id");
			json_str(j, v);
			json_key(j, "code");
			json_str(j, m ? cdsync_rec_get(m, "code") : NULL);
			json_key(j, "full_name");
			json_str(j, m ? cdsync_rec_get(m, "full_name") : NULL);
			json_key(j, "amount");
			json_int(j, amount);
			json_key(j, "form");
			json_str(j, cdsync_rec_get(b, "form"));
			json_obj_end(j);
			continue;
		}
		out_money(amount, money, sizeof money);
		rec_display(db, &fi, cdsync_rec_get(b, "form"), 0, form,
			    sizeof form);
		cells[0] = m ? cdsync_rec_get(m, "code") : NULL;
		cells[1] = m ? cdsync_rec_get(m, "full_name") : v;
		cells[2] = money;
		cells[3] = form;
		if (table_add(t, cells) != 0) {
			msg_err("%s", _("out of memory"));
			ex = EXIT_FAIL;
			goto out;
		}
	}
	if (rc != CDSYNC_DONE)
		ex = lib_err(db, rc);
out:
	if (j != NULL) {
		json_arr_end(j);
		json_key(j, "total_amount");
		json_int(j, total);
	} else if (ex == EXIT_OK) {
		printf("\n%s %zu\n", _("Beneficiaries:"), n);
		if (n > 0) {
			table_print(t, stdout);
			out_money(total, money, sizeof money);
			printf("%s %s\n", _("Amount in all:"), money);
		}
	}
	cdsync_rec_free(m);
	table_free(t);
	cdsync_cursor_close(cur);
	return ex;
}
