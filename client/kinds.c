/* kinds.c -- the record kinds of DOMAIN.md; see kinds.h.
 *
 * Keep in step with schema/ (tests/unit/kinds_test.c checks it) and with
 * SPEC.md "Kinds" (numbers and field order are on the wire).
 */
#include "kinds.h"

#include <string.h>

#include "i18n.h"

#define F(n, l, t) { n, l, t, 0, 0, 0, 0, 0, NULL, NULL }
#define REQ(n, l, t) { n, l, t, 0, 1, 0, 0, 0, NULL, NULL }
#define TXT(n, l, req, len) { n, l, CDSYNC_FT_TEXT, 0, req, 0, 0, len, NULL, NULL }
#define REF(n, l, k, req) { n, l, CDSYNC_FT_REF, k, req, 0, 0, 0, NULL, NULL }
#define INT(n, l, req, lo, hi, d) { n, l, CDSYNC_FT_INT, 0, req, lo, hi, 0, NULL, d }
#define CHO(n, l, req, c, d) { n, l, CDSYNC_FT_CHOICE, 0, req, 0, 0, 0, c, d }
#define BOOL(n, l, d) { n, l, CDSYNC_FT_BOOL, 0, 0, 0, 0, 0, NULL, d }
#define MONEY(n, l) { n, l, CDSYNC_FT_MONEY, 0, 0, 0, 0, 0, NULL, "0" }
#define ID F("id", N_("Id"), CDSYNC_FT_ID)
#define ORG REF("org_id", N_("Union"), CDSYNC_KIND_ORG, 1)

static const char *const levels[] = { "national", "upper", "grassroots",
				      NULL };
static const char *const sexes[] = { "male", "female", NULL };
static const char *const jobs[] = { "teacher", "staff", "manager", NULL };
static const char *const taskkinds[] = { "task", "strategy", NULL };
static const char *const actkinds[] = {
	"propaganda", "training", "care", "culture", "health", "emulation",
	"dialogue", "inspection", "remote_support", "welfare", NULL
};
static const char *const programmes[] = {
	"tet_sum_vay", "cam_on_nld", "cho_tet", "bua_com", "disaster",
	"epidemic", "hardship", NULL
};
static const char *const fundings[] = { "union", "unit", "sponsor", "mixed",
					"other", NULL };
static const char *const forms[] = { "cash", "goods", "service", NULL };
static const char *const statuses[] = { "open", "advised", "escalated",
					"resolved", NULL };
static const char *const councils[] = { "salary", "emulation",
					"recruitment", "training",
					"evaluation", "school", NULL };
static const char *const outcomes[] = { "pending", "awarded", "not_awarded",
					NULL };
static const char *const recipients[] = { "collective", "individual", NULL };
static const char *const treechanges[] = { "rename", "move", "merge", NULL };

static const struct cds_field org_f[] = {
	ID,
	TXT("code", N_("Code"), 1, 64),
	TXT("name", N_("Name"), 1, 300),
	CHO("level", N_("Level"), 1, levels, NULL),
	REF("parent_id", N_("Parent union"), CDSYNC_KIND_ORG, 0),
};
static const struct cds_field member_f[] = {
	ID, ORG,
	TXT("code", N_("Member code"), 0, 32),
	TXT("full_name", N_("Full name"), 1, 200),
	CHO("sex", N_("Sex"), 0, sexes, NULL),
	INT("birth_year", N_("Birth year"), 0, 1900, 2100, NULL),
	CHO("job", N_("Job"), 0, jobs, NULL),
	F("joined_on", N_("Joined"), CDSYNC_FT_DATE),
	F("left_on", N_("Left"), CDSYNC_FT_DATE),
};
static const struct cds_field plan_f[] = {
	ID, ORG,
	REQ("school_year", N_("School year"), CDSYNC_FT_SCHOOL_YEAR),
	TXT("title", N_("Title"), 1, 500),
	BOOL("tied_to_tasks", N_("Tied to school tasks"), "1"),
	F("adopted_on", N_("Adopted"), CDSYNC_FT_DATE),
	TXT("note", N_("Note"), 0, 4000),
};
static const struct cds_field task_f[] = {
	ID, ORG,
	INT("term_start", N_("Term starts"), 0, 2000, 2100, "2023"),
	CHO("kind", N_("Kind"), 1, taskkinds, NULL),
	TXT("title", N_("Title"), 1, 500),
	TXT("detail", N_("Detail"), 0, 4000),
};
static const struct cds_field activity_f[] = {
	ID, ORG,
	REQ("held_on", N_("Date"), CDSYNC_FT_DATE),
	TXT("title", N_("Title"), 1, 500),
	CHO("kind", N_("Kind"), 1, actkinds, NULL),
	CHO("programme", N_("Programme"), 0, programmes, NULL),
	REF("key_task_id", N_("Key task served"), CDSYNC_KIND_KEY_TASK, 0),
	BOOL("innovative", N_("Innovative way of care"), "0"),
	MONEY("cost", N_("Cost")),
	CHO("funding", N_("Funding"), 0, fundings, NULL),
	INT("participants", N_("Participants"), 0, 0, 1000000, NULL),
	TXT("note", N_("Note"), 0, 4000),
};
static const struct cds_field benefit_f[] = {
	ID,
	REF("activity_id", N_("Activity"), CDSYNC_KIND_ACTIVITY, 1),
	REF("member_id", N_("Member"), CDSYNC_KIND_MEMBER, 1),
	MONEY("amount", N_("Amount")),
	CHO("form", N_("Form"), 0, forms, NULL),
};
static const struct cds_field legal_f[] = {
	ID, ORG,
	REF("member_id", N_("Member"), CDSYNC_KIND_MEMBER, 0),
	REQ("opened_on", N_("Opened"), CDSYNC_FT_DATE),
	TXT("topic", N_("Topic"), 1, 500),
	CHO("status", N_("Status"), 0, statuses, "open"),
	F("closed_on", N_("Closed"), CDSYNC_FT_DATE),
	TXT("note", N_("Note"), 0, 4000),
};
static const struct cds_field event_f[] = {
	ID,
	REF("case_id", N_("Legal case"), CDSYNC_KIND_LEGAL_CASE, 1),
	REQ("at", N_("Date"), CDSYNC_FT_DATE),
	CHO("status", N_("Status"), 1, statuses, NULL),
	TXT("note", N_("Note"), 0, 4000),
};
static const struct cds_field seat_f[] = {
	ID, ORG,
	REF("member_id", N_("Member"), CDSYNC_KIND_MEMBER, 1),
	CHO("council", N_("Council"), 1, councils, NULL),
	REQ("from_on", N_("From"), CDSYNC_FT_DATE),
	F("to_on", N_("To"), CDSYNC_FT_DATE),
};
static const struct cds_field init_f[] = {
	ID, ORG,
	TXT("title", N_("Title"), 1, 500),
	TXT("author", N_("Author"), 1, 200),
	REF("member_id", N_("Member"), CDSYNC_KIND_MEMBER, 0),
	INT("year", N_("Year"), 1, 2000, 2100, NULL),
	BOOL("clc_proposed", N_("Proposed for the Creative Labour Certificate"),
	     "0"),
	CHO("clc_outcome", N_("Certificate outcome"), 0, outcomes, NULL),
};
static const struct cds_field award_f[] = {
	ID, ORG,
	REQ("awarded_on", N_("Date"), CDSYNC_FT_DATE),
	TXT("title", N_("Title"), 1, 500),
	CHO("recipient_kind", N_("Recipient kind"), 1, recipients, NULL),
	TXT("recipient", N_("Recipient"), 1, 300),
	REF("member_id", N_("Member"), CDSYNC_KIND_MEMBER, 0),
	TXT("issuer", N_("Issued by"), 0, 300),
};
static const struct cds_field agree_f[] = {
	ID, ORG,
	TXT("partner", N_("Partner"), 1, 300),
	TXT("title", N_("Title"), 1, 500),
	REQ("signed_on", N_("Signed"), CDSYNC_FT_DATE),
	F("ends_on", N_("Ends"), CDSYNC_FT_DATE),
};
/* org_id: the union that decided and recorded the change (client/tree.c
 * judges whether it may). */
static const struct cds_field orgchg_f[] = {
	ID,
	REF("org_id", N_("Decided by"), CDSYNC_KIND_ORG, 1),
	REF("subject_id", N_("Union changed"), CDSYNC_KIND_ORG, 1),
	REQ("effective_on", N_("Takes effect"), CDSYNC_FT_DATE),
	CHO("change", N_("Change"), 1, treechanges, NULL),
	TXT("name", N_("New name"), 0, 300),
	REF("parent_id", N_("New parent union"), CDSYNC_KIND_ORG, 0),
	REF("into_id", N_("Merged into"), CDSYNC_KIND_ORG, 0),
	TXT("note", N_("Note"), 0, 4000),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cds_kind kinds[CDSYNC_KIND_MAX] = {
	{ CDSYNC_KIND_ORG, "org_unit", N_("union"), org_f, N(org_f), -1, -1,
	  "code", 1 },
	{ CDSYNC_KIND_MEMBER, "member", N_("member"), member_f, N(member_f),
	  1, -1, "full_name, code, id", 2 },
	{ CDSYNC_KIND_PLAN, "plan", N_("plan"), plan_f, N(plan_f), 1, -1,
	  "school_year, id", -1 },
	{ CDSYNC_KIND_KEY_TASK, "key_task", N_("key task"), task_f, N(task_f),
	  1, -1, "term_start, kind, id", -1 },
	{ CDSYNC_KIND_ACTIVITY, "activity", N_("activity"), activity_f,
	  N(activity_f), 1, -1, "held_on, id", -1 },
	{ CDSYNC_KIND_BENEFIT, "benefit", N_("beneficiary"), benefit_f,
	  N(benefit_f), -1, 1, "activity_id, member_id", -1 },
	{ CDSYNC_KIND_LEGAL_CASE, "legal_case", N_("legal case"), legal_f,
	  N(legal_f), 1, -1, "opened_on, id", -1 },
	{ CDSYNC_KIND_LEGAL_EVENT, "legal_event", N_("legal case event"),
	  event_f, N(event_f), -1, 1, "case_id, at, id", -1 },
	{ CDSYNC_KIND_COUNCIL_SEAT, "council_seat", N_("council seat"), seat_f,
	  N(seat_f), 1, -1, "council, from_on, id", -1 },
	{ CDSYNC_KIND_INITIATIVE, "initiative", N_("initiative"), init_f,
	  N(init_f), 1, -1, "year, id", -1 },
	{ CDSYNC_KIND_AWARD, "award", N_("award"), award_f, N(award_f), 1, -1,
	  "awarded_on, id", -1 },
	{ CDSYNC_KIND_AGREEMENT, "agreement", N_("cooperation agreement"),
	  agree_f, N(agree_f), 1, -1, "signed_on, id", -1 },
	{ CDSYNC_KIND_ORG_CHANGE, "org_change", N_("change to the tree"),
	  orgchg_f, N(orgchg_f), 1, -1, "effective_on, id", -1 },
};

const cdsync_kind cds_kind_order[CDSYNC_KIND_MAX] = {
	CDSYNC_KIND_ORG, CDSYNC_KIND_MEMBER, CDSYNC_KIND_PLAN,
	CDSYNC_KIND_KEY_TASK, CDSYNC_KIND_ACTIVITY, CDSYNC_KIND_BENEFIT,
	CDSYNC_KIND_LEGAL_CASE, CDSYNC_KIND_LEGAL_EVENT,
	CDSYNC_KIND_COUNCIL_SEAT, CDSYNC_KIND_INITIATIVE, CDSYNC_KIND_AWARD,
	CDSYNC_KIND_AGREEMENT, CDSYNC_KIND_ORG_CHANGE
};

const struct cds_kind *
cds_kind(cdsync_kind kind)
{
	if ((int)kind < 1 || (int)kind > CDSYNC_KIND_MAX)
		return NULL;
	return &kinds[kind - 1];
}

int
cds_field_index(const struct cds_kind *k, const char *name)
{
	size_t i;

	for (i = 0; i < k->nfields; i++)
		if (strcmp(k->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ==== Public introspection ============================================ */

CDSYNC_API const char *
cdsync_kind_name(cdsync_kind kind)
{
	const struct cds_kind *k = cds_kind(kind);

	return k ? k->name : NULL;
}

CDSYNC_API int
cdsync_kind_lookup(const char *name, cdsync_kind *kind_out)
{
	int i;

	for (i = 0; i < CDSYNC_KIND_MAX; i++)
		if (strcmp(kinds[i].name, name) == 0) {
			*kind_out = kinds[i].kind;
			return CDSYNC_OK;
		}
	*kind_out = 0;
	return CDSYNC_ENOTFOUND;
}

CDSYNC_API const char *
cdsync_kind_field(cdsync_kind kind, size_t index)
{
	const struct cds_kind *k = cds_kind(kind);

	return k && index < k->nfields ? k->fields[index].name : NULL;
}

CDSYNC_API int
cdsync_kind_field_info(cdsync_kind kind, size_t index,
		       cdsync_field_info *info)
{
	const struct cds_kind *k = cds_kind(kind);
	const struct cds_field *f;

	memset(info, 0, sizeof *info);
	if (k == NULL || index >= k->nfields)
		return CDSYNC_ENOTFOUND;
	f = &k->fields[index];
	info->name = f->name;
	info->label = _(f->label);
	info->type = f->type;
	info->ref_kind = f->ref;
	info->required = f->required;
	info->min = f->min;
	info->max = f->max;
	info->choices = f->choices;
	return CDSYNC_OK;
}

/* Labels of choice values; msgids, translated on the way out. */
static const char *const choice_labels[][2] = {
	{ "national", N_("national union") },
	{ "upper", N_("upper-level union") },
	{ "grassroots", N_("grassroots union") },
	{ "male", N_("male") },
	{ "female", N_("female") },
	{ "teacher", N_("teacher") },
	{ "staff", N_("staff") },
	{ "manager", N_("manager") },
	{ "task", N_("key task") },
	{ "strategy", N_("development strategy") },
	{ "propaganda", N_("legal and policy propaganda") },
	{ "training", N_("training and capacity building") },
	{ "care", N_("care") },
	{ "culture", N_("culture, arts, sports") },
	{ "health", N_("health care") },
	{ "emulation", N_("emulation and honouring") },
	{ "dialogue", N_("dialogue and collective bargaining") },
	{ "inspection", N_("inspection and supervision") },
	{ "remote_support", N_("support for remote areas") },
	{ "welfare", N_("welfare programme with partners") },
	{ "tet_sum_vay", N_("Tết Sum vầy (Tet reunion)") },
	{ "cam_on_nld", N_("Thank you, workers") },
	{ "cho_tet", N_("Union Tet market") },
	{ "bua_com", N_("Union meal") },
	{ "disaster", N_("disaster relief") },
	{ "epidemic", N_("epidemic relief") },
	{ "hardship", N_("hardship support") },
	{ "union", N_("union fund") },
	{ "unit", N_("school budget") },
	{ "sponsor", N_("sponsors") },
	{ "mixed", N_("mixed sources") },
	{ "other", N_("other") },
	{ "cash", N_("cash") },
	{ "goods", N_("goods") },
	{ "service", N_("service") },
	{ "open", N_("open") },
	{ "advised", N_("advised") },
	{ "escalated", N_("escalated to the national legal team") },
	{ "resolved", N_("resolved") },
	{ "pending", N_("pending") },
	{ "awarded", N_("awarded") },
	{ "not_awarded", N_("not awarded") },
	{ "collective", N_("collective") },
	{ "individual", N_("individual") },
	{ "rename", N_("rename") },
	{ "move", N_("move under another union") },
	{ "merge", N_("merger into another union") },
};

/* Where a field gives a word a meaning of its own. */
static const char *const council_labels[][2] = {
	{ "salary", N_("salary council") },
	{ "emulation", N_("emulation and rewards council") },
	{ "recruitment", N_("recruitment council") },
	{ "training", N_("training council") },
	{ "evaluation", N_("staff evaluation council") },
	{ "school", N_("school council") },
};

CDSYNC_API const char *
cdsync_field_choice_label(const cdsync_field_info *fi, const char *value)
{
	size_t i;

	if (fi != NULL && fi->name != NULL && strcmp(fi->name, "council") == 0)
		for (i = 0; i < N(council_labels); i++)
			if (strcmp(council_labels[i][0], value) == 0)
				return _(council_labels[i][1]);
	return cdsync_choice_label(value);
}

CDSYNC_API const char *
cdsync_choice_label(const char *value)
{
	size_t i;

	for (i = 0; i < N(choice_labels); i++)
		if (strcmp(choice_labels[i][0], value) == 0)
			return _(choice_labels[i][1]);
	return value;
}
