/* import.c -- member lists from spreadsheets (cdsync_member_import).
 *
 * Contract (cdsync.h "Member import"): the first record is a header; its
 * columns are recognised by name in Vietnamese or English, with or
 * without diacritics ("Họ và tên", "HO VA TEN", "full name"); columns we
 * do not know (STT, notes) are ignored.  Every line is checked before
 * anything is written and every bad line is reported with its number.
 * Members are matched by code, or by name and birth year where a line has
 * no code, so a second import of the same file adds nobody and a changed
 * file updates only what changed.  A full birth date is cut to its year:
 * the KPIs need no more personal data than that (DOMAIN.md).
 * The whole import is one transaction; with CDSYNC_IMPORT_SKIP_BAD each
 * line is a savepoint and bad lines are left out.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "csvfile.h"
#include "i18n.h"
#include "kinds.h"
#include "rec.h"
#include "store.h"
#include "text.h"
#include "import.h"

struct bad {
	size_t line;			/* line in the file */
	char *msg;			/* reason, cds_malloc'd */
};

struct cdsync_import {
	size_t lines;			/* member lines read */
	size_t added, updated, unchanged;
	size_t nbad, cap;		/* bad lines */
	struct bad *bad;
};

enum col { C_CODE, C_NAME, C_SEX, C_BIRTH, C_JOB, C_JOINED, C_LEFT, C_N };

static const char *const fieldof[C_N] = {
	"code", "full_name", "sex", "birth_year", "job", "joined_on", "left_on"
};

/* Header names, folded (text.h cds_text_fold). */
static const char *const aliases[C_N][8] = {
	{ "ma", "ma doan vien", "ma so", "ma dv", "code", "member code",
	  "so the", NULL },
	{ "ho va ten", "ho ten", "ten", "full name", "name", "ho va ten doan vien",
	  NULL },
	{ "gioi tinh", "sex", "gender", "nam nu", NULL },
	{ "nam sinh", "ngay sinh", "birth year", "born", "date of birth",
	  "ngay thang nam sinh", NULL },
	{ "cong viec", "chuc vu", "vi tri", "vi tri viec lam", "job", "position",
	  "role", NULL },
	{ "ngay vao cong doan", "ngay vao", "ngay ket nap", "joined",
	  "ngay gia nhap", NULL },
	{ "ngay ra", "ngay roi", "ngay ra cong doan", "left", NULL },
};

/* Folded values of sex and job. */
static const char *const sexmap[][2] = {
	{ "nam", "male" }, { "male", "male" }, { "m", "male" },
	{ "nu", "female" }, { "female", "female" }, { "f", "female" },
};
static const char *const jobmap[][2] = {
	{ "giao vien", "teacher" }, { "gv", "teacher" },
	{ "teacher", "teacher" }, { "nhan vien", "staff" },
	{ "nv", "staff" }, { "staff", "staff" }, { "quan ly", "manager" },
	{ "can bo quan ly", "manager" }, { "cbql", "manager" },
	{ "hieu truong", "manager" }, { "hieu pho", "manager" },
	{ "pho hieu truong", "manager" }, { "manager", "manager" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* An existing member, for matching. */
struct known {
	uint8_t id[16];
	char *code;			/* or NULL */
	char *key;			/* folded name + "|" + birth year */
	size_t line;			/* line of the file that claimed it */
};

struct ctx {
	cdsync *db;
	cdsync_import *rep;
	cds_csv *csv;
	int col[C_N];			/* column of each field, or -1 */
	const char *head[C_N];		/* header text of each */
	struct known *k;		/* members of this union */
	size_t nk, capk;
	unsigned flags;
};

CDSYNC_API void
cdsync_import_free(cdsync_import *rep)
{
	size_t i;

	if (rep == NULL)
		return;
	for (i = 0; i < rep->nbad; i++)
		cds_free(rep->bad[i].msg);
	cds_free(rep->bad);
	cds_free(rep);
}

CDSYNC_API void
cdsync_import_counts(const cdsync_import *r, size_t *lines, size_t *added,
		     size_t *updated, size_t *unchanged, size_t *bad)
{
	if (lines)
		*lines = r->lines;
	if (added)
		*added = r->added;
	if (updated)
		*updated = r->updated;
	if (unchanged)
		*unchanged = r->unchanged;
	if (bad)
		*bad = r->nbad;
}

CDSYNC_API const char *
cdsync_import_bad(const cdsync_import *r, size_t i, size_t *line)
{
	if (i >= r->nbad) {
		if (line)
			*line = 0;
		return NULL;
	}
	if (line)
		*line = r->bad[i].line;
	return r->bad[i].msg;
}

static int
addbad(struct ctx *c, size_t line, const char *msg)
{
	cdsync_import *r = c->rep;
	struct bad *b;

	if (r->nbad == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		if ((b = cds_realloc(r->bad, r->cap * sizeof *b)) == NULL)
			return CDSYNC_ENOMEM;
		r->bad = b;
	}
	if ((r->bad[r->nbad].msg = cds_strdup(msg)) == NULL)
		return CDSYNC_ENOMEM;
	r->bad[r->nbad++].line = line;
	return CDSYNC_OK;
}

static void
freeknown(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->nk; i++) {
		cds_free(c->k[i].code);
		cds_free(c->k[i].key);
	}
	cds_free(c->k);
}

/* "nguyen van an|1985" */
static char *
matchkey(const char *name, const char *birth)
{
	char *f = cds_text_fold(name), *k;
	size_t n;

	if (f == NULL)
		return NULL;
	n = strlen(f) + (birth ? strlen(birth) : 0) + 2;
	if ((k = cds_malloc(n)) != NULL)
		snprintf(k, n, "%s|%s", f, birth ? birth : "");
	cds_free(f);
	return k;
}

static int
addknown(struct ctx *c, const uint8_t id[16], const char *code,
	 const char *name, const char *birth, size_t line)
{
	struct known *k;

	if (c->nk == c->capk) {
		c->capk = c->capk ? 2 * c->capk : 64;
		if ((k = cds_realloc(c->k, c->capk * sizeof *k)) == NULL)
			return CDSYNC_ENOMEM;
		c->k = k;
	}
	k = &c->k[c->nk];
	memset(k, 0, sizeof *k);
	memcpy(k->id, id, 16);
	k->line = line;
	if ((code && (k->code = cds_strdup(code)) == NULL) ||
	    (k->key = matchkey(name, birth)) == NULL) {
		cds_free(k->code);
		return CDSYNC_ENOMEM;
	}
	c->nk++;
	return CDSYNC_OK;
}

static int
loadknown(struct ctx *c)
{
	cdsync_cursor *cur;
	const cdsync_rec *r;
	int rc;

	if ((rc = cdsync_list(c->db, CDSYNC_KIND_MEMBER, &cur)) != CDSYNC_OK)
		return rc;
	while ((rc = cdsync_cursor_next(cur, &r)) == CDSYNC_OK) {
		if (memcmp(r->s[1].ref, c->db->org_id, 16) != 0)
			continue;
		if ((rc = addknown(c, r->id, cdsync_rec_get(r, "code"),
				   cdsync_rec_get(r, "full_name"),
				   cdsync_rec_get(r, "birth_year"), 0)))
			break;
	}
	cdsync_cursor_close(cur);
	return rc == CDSYNC_DONE ? CDSYNC_OK : rc;
}

/* Finds the header's columns; a file-level error message on failure. */
static int
header(struct ctx *c, char *err, size_t errlen)
{
	const cds_csv_record *h = &c->csv->records[0];
	char *f;
	size_t i;
	int j, a;

	for (j = 0; j < C_N; j++)
		c->col[j] = -1;
	for (i = 0; i < h->nfields; i++) {
		if ((a = cds_text_fold_to(h->fields[i], &f)) == -2) {
			snprintf(err, errlen, "%s", _("out of memory"));
			return CDSYNC_ENOMEM;
		}
		if (a != 0) {
			snprintf(err, errlen,
				 _("line %zu: the header is not UTF-8 text; in "
				   "Excel save the file as \"CSV UTF-8\""),
				 h->line);
			return CDSYNC_EBADINPUT;
		}
		for (j = 0; j < C_N; j++)
			for (a = 0; aliases[j][a] != NULL; a++)
				if (strcmp(f, aliases[j][a]) == 0 &&
				    c->col[j] < 0) {
					c->col[j] = (int)i;
					c->head[j] = h->fields[i];
				}
		cds_free(f);
	}
	if (c->col[C_NAME] < 0) {
		snprintf(err, errlen,
			 _("line %zu: no column for the member's full name; "
			   "the first line must name the columns, e.g. "
			   "\"Mã;Họ và tên;Giới tính;Năm sinh;Công việc\""),
			 h->line);
		return CDSYNC_EBADINPUT;
	}
	return CDSYNC_OK;
}

/* Maps a folded value through a table into *out (NULL if absent): 0, or
 * -2 for no memory. */
static int
mapval(const char *v, const char *const (*map)[2], size_t n,
       const char **out)
{
	char *f;
	size_t i;
	int rc = cds_text_fold_to(v, &f);

	*out = NULL;
	if (rc == -2)
		return -2;
	if (rc != 0)
		return 0;
	for (i = 0; i < n && *out == NULL; i++)
		if (strcmp(f, map[i][0]) == 0)
			*out = map[i][1];
	cds_free(f);
	return 0;
}

/* Sets field j of rec from the text of the line; a reason on failure. */
static int
setcol(struct ctx *c, cdsync_rec *rec, int j, const char *v, char *why,
       size_t whylen)
{
	char e[CDS_ERRLEN], year[8];
	const char *m = v, *fname = fieldof[j];
	int y, mo, d, rc;

	while (*v == ' ')
		v++;
	if (*v == '\0')
		return CDSYNC_OK;
	if (j == C_SEX || j == C_JOB) {
		if ((j == C_SEX ? mapval(v, sexmap, N(sexmap), &m)
				: mapval(v, jobmap, N(jobmap), &m)) != 0) {
			snprintf(why, whylen, "%s", _("out of memory"));
			return CDSYNC_ENOMEM;
		}
		if (m == NULL) {
			snprintf(why, whylen, _("column '%s': '%s' is not %s"),
				 c->head[j], v,
				 j == C_SEX ? _("Nam or Nữ")
					    : _("Giáo viên, Nhân viên or "
						"Quản lý"));
			return CDSYNC_EINVAL;
		}
	} else if (j == C_BIRTH && strlen(v) > 4 &&
		   cds_date_parse(v, &y, &mo, &d, e, sizeof e) == 0) {
		snprintf(year, sizeof year, "%d", y);
		m = year;
	} else {
		m = v;
	}
	if ((rc = cdsync_rec_set(rec, fname, m)) != CDSYNC_OK) {
		const char *r = cdsync_rec_errmsg(rec);
		size_t n = strlen(fname);

		if (strncmp(r, fname, n) == 0 && r[n] == ':')
			r += n + 2;
		snprintf(why, whylen, _("column '%s': %s"), c->head[j], r);
	}
	return rc;
}

static struct known *
findknown(struct ctx *c, const char *code, const char *key)
{
	size_t i;

	for (i = 0; i < c->nk; i++) {
		if (code != NULL) {
			if (c->k[i].code && strcmp(c->k[i].code, code) == 0)
				return &c->k[i];
		} else if (strcmp(c->k[i].key, key) == 0) {
			return &c->k[i];
		}
	}
	return NULL;
}

/* 1 if every field of a record is empty or spaces. */
static int
emptyrow(const cds_csv_record *l)
{
	size_t i, j;

	for (i = 0; i < l->nfields; i++)
		for (j = 0; j < l->lens[i]; j++)
			if (l->fields[i][j] != ' ')
				return 0;
	return 1;
}

/* Imports one line; CDSYNC_EBADINPUT (reason in why) for a bad line. */
static int
oneline(struct ctx *c, const cds_csv_record *l, char *why, size_t whylen)
{
	cdsync_rec *rec = NULL, *old = NULL;
	struct known *k;
	char *key = NULL;
	const char *code;
	int j, rc, diff = 0;

	if ((rc = cdsync_rec_new(CDSYNC_KIND_MEMBER, &rec)) != CDSYNC_OK)
		return rc;
	for (j = 0; j < C_N; j++) {
		if (c->col[j] < 0 || (size_t)c->col[j] >= l->nfields)
			continue;
		if ((rc = setcol(c, rec, j, l->fields[c->col[j]], why,
				 whylen)) != CDSYNC_OK) {
			if (rc != CDSYNC_ENOMEM)	/* not the line's */
				rc = CDSYNC_EBADINPUT;
			goto out;
		}
	}
	if (cdsync_rec_get(rec, "full_name") == NULL) {
		snprintf(why, whylen, _("column '%s': the name is empty"),
			 c->head[C_NAME]);
		rc = CDSYNC_EBADINPUT;
		goto out;
	}
	code = cdsync_rec_get(rec, "code");
	key = matchkey(cdsync_rec_get(rec, "full_name"),
		       cdsync_rec_get(rec, "birth_year"));
	if (key == NULL) {
		rc = CDSYNC_ENOMEM;
		goto out;
	}
	k = findknown(c, code, key);
	if (k != NULL && k->line != 0) {
		snprintf(why, whylen, _("the same member as line %zu (%s)"),
			 k->line, code ? code : cdsync_rec_get(rec, "full_name"));
		rc = CDSYNC_EBADINPUT;
		goto out;
	}
	if (k == NULL) {
		rc = cdsync_insert(c->db, rec);
		if (rc == CDSYNC_OK) {
			c->rep->added++;
			rc = addknown(c, rec->id, code,
				      cdsync_rec_get(rec, "full_name"),
				      cdsync_rec_get(rec, "birth_year"),
				      l->line);
		}
	} else {
		k->line = l->line;
		if ((rc = cdsync_get(c->db, CDSYNC_KIND_MEMBER, k->id, &old)))
			goto out;
		for (j = 1; j < (int)rec->k->nfields; j++)
			if (rec->s[j].set &&
			    (old->s[j].null ||
			     strcmp(old->s[j].text, rec->s[j].text) != 0))
				diff = 1;
		if ((rc = cdsync_rec_set_id(rec, k->id)) == CDSYNC_OK && diff)
			rc = cdsync_update(c->db, rec);
		if (rc == CDSYNC_OK)
			diff ? c->rep->updated++ : c->rep->unchanged++;
	}
	if (rc != CDSYNC_OK && rc != CDSYNC_ENOMEM) {
		snprintf(why, whylen, "%s", cdsync_errmsg(c->db));
		rc = CDSYNC_EBADINPUT;
	}
out:
	cds_free(key);
	cdsync_rec_free(old);
	cdsync_rec_free(rec);
	return rc;
}

static int
readfile(cdsync *db, const char *path, char **buf, size_t *len)
{
	struct stat sb;
	FILE *f;
	size_t n;

	*buf = NULL;
	if ((f = fopen(path, "rb")) == NULL)
		return cds_err(db, CDSYNC_ENOTFOUND, _("cannot open %s: %s"),
			       path, strerror(errno));
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return cds_err(db, CDSYNC_EIO, _("%s is not a regular file"),
			       path);
	}
	if ((size_t)sb.st_size > CDS_CSV_MAX_BYTES) {
		fclose(f);
		return cds_err(db, CDSYNC_EBADINPUT,
			       _("%s is larger than %u MiB"), path,
			       CDS_CSV_MAX_BYTES >> 20);
	}
	if ((*buf = cds_malloc((size_t)sb.st_size + 1)) == NULL) {
		fclose(f);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	n = fread(*buf, 1, (size_t)sb.st_size, f);
	if (ferror(f) || n != (size_t)sb.st_size) {
		fclose(f);
		cds_free(*buf);
		*buf = NULL;
		return cds_err(db, CDSYNC_EIO, _("cannot read %s"), path);
	}
	fclose(f);
	*len = n;
	return CDSYNC_OK;
}

/* The import itself, from the bytes of a file named `path` (for
 * messages).  Takes nothing over from the caller. */
int
cds_member_import_mem(cdsync *db, const char *path, const void *buf,
		      size_t len, unsigned flags, cdsync_import **out)
{
	struct ctx c;
	char err[512], why[512];
	size_t i;
	int rc, own = 0, r1;

	cds_ok(db);
	*out = NULL;
	memset(&c, 0, sizeof c);
	c.db = db;
	c.flags = flags;
	if (!db->has_node)
		return cds_err(db, CDSYNC_ENOTINIT, "%s",
			       _("this store has no node yet: run 'cdsync "
				 "init' first"));
	if ((flags & CDSYNC_IMPORT_DRY_RUN) && db->txdepth)
		return cds_err(db, CDSYNC_EINVAL, "%s",
			       _("a dry run cannot be part of an open "
				 "transaction"));
	if ((rc = cds_csv_read(buf, len, &c.csv, err, sizeof err)) != 0)
		return cds_err(db, rc == -2 ? CDSYNC_ENOMEM : CDSYNC_EBADINPUT,
			       "%s: %s", path, err);
	if (c.csv->nrecords == 0) {
		cds_csv_free(c.csv);
		return cds_err(db, CDSYNC_EBADINPUT, _("%s: the file is empty"),
			       path);
	}
	if ((rc = header(&c, err, sizeof err)) != CDSYNC_OK) {
		cds_csv_free(c.csv);
		return cds_err(db, rc, "%s: %s", path, err);
	}
	if ((c.rep = cds_calloc(1, sizeof *c.rep)) == NULL) {
		cds_csv_free(c.csv);
		return cds_err(db, CDSYNC_ENOMEM, "%s", _("out of memory"));
	}
	if (!db->txdepth) {
		if ((rc = cdsync_begin(db)) != CDSYNC_OK)
			goto out;
		own = 1;
	}
	if ((rc = loadknown(&c)) != CDSYNC_OK)
		goto out;
	for (i = 1; i < c.csv->nrecords; i++) {
		const cds_csv_record *l = &c.csv->records[i];

		if (emptyrow(l))
			continue;	/* ",,,": Excel's formatted empty rows */
		c.rep->lines++;
		why[0] = '\0';
		r1 = oneline(&c, l, why, sizeof why);
		if (r1 == CDSYNC_EBADINPUT)
			r1 = addbad(&c, l->line, why);
		if (r1 != CDSYNC_OK) {
			rc = cds_err(db, r1, "%s", cdsync_strerror(r1));
			goto out;
		}
	}
	if (c.rep->nbad > 0 && !(flags & CDSYNC_IMPORT_SKIP_BAD)) {
		c.rep->added = c.rep->updated = c.rep->unchanged = 0;
		rc = cds_err(db, CDSYNC_EBADINPUT,
			     _("%s: %zu bad line(s); nothing was imported"),
			     path, c.rep->nbad);
		goto out;
	}
	if (own && !(flags & CDSYNC_IMPORT_DRY_RUN)) {
		rc = cdsync_commit(db);
		own = 0;
	}
out:
	if (own)
		cdsync_rollback(db);
	freeknown(&c);
	cds_csv_free(c.csv);
	if (rc == CDSYNC_OK || rc == CDSYNC_EBADINPUT)
		*out = c.rep;
	else
		cdsync_import_free(c.rep);
	return rc;
}

CDSYNC_API int
cdsync_member_import(cdsync *db, const char *path, unsigned flags,
		     cdsync_import **out)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	cds_ok(db);
	*out = NULL;
	if ((rc = readfile(db, path, &buf, &len)) != CDSYNC_OK)
		return rc;
	rc = cds_member_import_mem(db, path, buf, len, flags, out);
	cds_free(buf);
	return rc;
}
