/* rec.c -- record values: parsing what people type, canonical text,
 * binding to SQLite.  See rec.h and cdsync.h "Records".
 */
#include "rec.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "i18n.h"
#include "id.h"
#include "text.h"

CDSYNC_API int
cdsync_rec_new(cdsync_kind kind, cdsync_rec **out)
{
	const struct cds_kind *k = cds_kind(kind);
	cdsync_rec *r;

	*out = NULL;
	if (k == NULL)
		return CDSYNC_EINVAL;
	if ((r = cds_calloc(1, sizeof *r)) == NULL)
		return CDSYNC_ENOMEM;
	if ((r->s = cds_calloc(k->nfields, sizeof *r->s)) == NULL) {
		cds_free(r);
		return CDSYNC_ENOMEM;
	}
	r->k = k;
	*out = r;
	return CDSYNC_OK;
}

void
cds_rec_clear(cdsync_rec *r, size_t i)
{
	cds_free(r->s[i].text);
	memset(&r->s[i], 0, sizeof r->s[i]);
}

CDSYNC_API void
cdsync_rec_free(cdsync_rec *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->k->nfields; i++)
		cds_free(r->s[i].text);
	cds_free(r->s);
	cds_free(r);
}

CDSYNC_API cdsync_kind
cdsync_rec_kind(const cdsync_rec *r)
{
	return r->k->kind;
}

CDSYNC_API const uint8_t *
cdsync_rec_id(const cdsync_rec *r)
{
	return r->has_id ? r->id : NULL;
}

CDSYNC_API const char *
cdsync_rec_errmsg(const cdsync_rec *r)
{
	return r->err;
}

/* Stores a parsed value in slot i; takes ownership of text. */
static void
put(cdsync_rec *r, size_t i, int64_t v, const uint8_t *ref, char *text)
{
	cds_rec_clear(r, i);
	r->s[i].set = 1;
	r->s[i].null = text == NULL;
	r->s[i].i = v;
	if (ref != NULL)
		memcpy(r->s[i].ref, ref, 16);
	r->s[i].text = text;
}

static char *
numtext(int64_t v)
{
	char b[24];

	snprintf(b, sizeof b, "%" PRId64, v);
	return cds_strdup(b);
}

static char *
yeartext(int64_t y)
{
	char b[24];

	snprintf(b, sizeof b, "%" PRId64 "-%" PRId64, y, y + 1);
	return cds_strdup(b);
}

CDSYNC_API int
cdsync_rec_set_id(cdsync_rec *r, const uint8_t id[16])
{
	char hex[33];
	char *t;

	cds_id_hex(id, hex);
	if ((t = cds_strdup(hex)) == NULL)
		return CDSYNC_ENOMEM;
	memcpy(r->id, id, 16);
	r->has_id = 1;
	put(r, 0, 0, id, t);
	return CDSYNC_OK;
}

static int
field(cdsync_rec *r, const char *name, const struct cds_field **f)
{
	int i = cds_field_index(r->k, name);

	if (i < 0) {
		snprintf(r->err, sizeof r->err, _("%s has no field '%s'"),
			 _(r->k->label), name);
		return -1;
	}
	*f = &r->k->fields[i];
	return i;
}

static int
bad(cdsync_rec *r, const struct cds_field *f, const char *why)
{
	snprintf(r->err, sizeof r->err, "%s: %s", f->name, why);
	return CDSYNC_EINVAL;
}

/* Four digits at s, or -1. */
static int
digits4(const char *s, int *out)
{
	int i, v = 0;

	for (i = 0; i < 4; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "2025" or "2025-2026" -> 2025, within 2000..2100. */
static int
schoolyear(const char *v, int64_t *y)
{
	int a, b;

	while (*v == ' ')
		v++;
	if (digits4(v, &a) != 0)
		return -1;
	if (v[4] == '-' || v[4] == '/') {
		if (digits4(v + 5, &b) != 0 || b != a + 1)
			return -1;
		v += 5;
	}
	while (v[4] == ' ')
		v++;
	if (v[4] != '\0' || a < 2000 || a > 2100)
		return -1;
	*y = a;
	return 0;
}

/* Parses `v` (not empty) as a value of f into *num and *text. */
static int
parse(cdsync_rec *r, const struct cds_field *f, const char *v, int64_t *num,
      uint8_t ref[16], char **text)
{
	char e[CDS_ERRLEN], iso[11], msg[CDS_ERRLEN + 64];
	int y, m, d, b;
	size_t i, n;

	*text = NULL;
	switch (f->type) {
	case CDSYNC_FT_ID:
	case CDSYNC_FT_REF:
		if (cds_id_parse(v, ref) != 0) {
			snprintf(msg, sizeof msg,
				 _("'%s' is not an id (32 hex digits)"), v);
			return bad(r, f, msg);
		}
		*text = cds_strndup(v, 32);
		for (i = 0; *text && i < 32; i++)
			if ((*text)[i] >= 'A' && (*text)[i] <= 'F')
				(*text)[i] = (char)((*text)[i] + 32);
		break;
	case CDSYNC_FT_TEXT:
		while (*v == ' ' || *v == '\t')
			v++;
		n = strlen(v);
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' ||
				 v[n - 1] == '\r' || v[n - 1] == '\n'))
			n--;
		switch (cds_text_nfc(v, n, text, e, sizeof e)) {
		case 0:
			break;
		case -2:
			return CDSYNC_ENOMEM;
		default:
			return bad(r, f, e);
		}
		if (strlen(*text) > f->maxlen) {
			cds_free(*text);
			*text = NULL;
			snprintf(msg, sizeof msg,
				 _("text is longer than %zu bytes"), f->maxlen);
			return bad(r, f, msg);
		}
		return *text ? CDSYNC_OK : CDSYNC_ENOMEM;
	case CDSYNC_FT_DATE:
		if (cds_date_parse(v, &y, &m, &d, e, sizeof e) != 0)
			return bad(r, f, e);
		cds_date_iso(y, m, d, iso);
		*num = cds_date_days(y, m, d);
		*text = cds_strdup(iso);
		break;
	case CDSYNC_FT_MONEY:
		if (cds_money_parse(v, num, e, sizeof e) != 0)
			return bad(r, f, e);
		*text = numtext(*num);
		break;
	case CDSYNC_FT_INT:
		if (cds_int_parse(v, f->min, f->max, num, e, sizeof e) != 0)
			return bad(r, f, e);
		*text = numtext(*num);
		break;
	case CDSYNC_FT_BOOL:
		if (cds_bool_parse(v, &b, e, sizeof e) != 0)
			return bad(r, f, e);
		*num = b;
		*text = numtext(b);
		break;
	case CDSYNC_FT_SCHOOL_YEAR:
		if (schoolyear(v, num) == 0) {
			*text = yeartext(*num);
			break;
		}
		snprintf(msg, sizeof msg,
			 _("'%s' is not a school year: write it as 2025-2026"),
			 v);
		return bad(r, f, msg);
	case CDSYNC_FT_CHOICE:
		for (i = 0; f->choices[i] != NULL; i++) {
			const char *c = f->choices[i];
			size_t j;

			for (j = 0; c[j] && (v[j] == c[j] ||
					     (v[j] == '-' && c[j] == '_'));
			     j++)
				;
			if (c[j] == '\0' && v[j] == '\0') {
				*text = cds_strdup(c);
				return *text ? CDSYNC_OK : CDSYNC_ENOMEM;
			}
		}
		n = (size_t)snprintf(msg, sizeof msg,
				     _("'%s' is not one of:"), v);
		for (i = 0; f->choices[i] != NULL && n < sizeof msg; i++)
			n += (size_t)snprintf(msg + n, sizeof msg - n, "%s %s",
					      i ? "," : "", f->choices[i]);
		return bad(r, f, msg);
	}
	return *text ? CDSYNC_OK : CDSYNC_ENOMEM;
}

CDSYNC_API int
cdsync_rec_set(cdsync_rec *r, const char *name, const char *v)
{
	const struct cds_field *f;
	uint8_t ref[16];
	int64_t num = 0;
	char *text;
	int i, rc;

	r->err[0] = '\0';
	if ((i = field(r, name, &f)) < 0)
		return CDSYNC_ENOTFOUND;
	if (i == 0) {
		if (v == NULL || cds_id_parse(v, ref) != 0)
			return bad(r, f, _("not an id (32 hex digits)"));
		return cdsync_rec_set_id(r, ref);
	}
	if (v == NULL || *v == '\0') {
		put(r, (size_t)i, 0, NULL, NULL);
		return CDSYNC_OK;
	}
	if ((rc = parse(r, f, v, &num, ref, &text)) != CDSYNC_OK)
		return rc;
	put(r, (size_t)i, num, f->type == CDSYNC_FT_REF ? ref : NULL, text);
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_rec_set_int(cdsync_rec *r, const char *name, int64_t v)
{
	const struct cds_field *f;
	char b[24], msg[128];
	int i, y, m, d;

	r->err[0] = '\0';
	if ((i = field(r, name, &f)) < 0)
		return CDSYNC_ENOTFOUND;
	switch (f->type) {
	case CDSYNC_FT_MONEY:
		if (v < 0)
			return bad(r, f, _("money cannot be negative"));
		break;
	case CDSYNC_FT_INT:
	case CDSYNC_FT_SCHOOL_YEAR:
		if (v < (f->type == CDSYNC_FT_INT ? f->min : 2000) ||
		    v > (f->type == CDSYNC_FT_INT ? f->max : 2100)) {
			snprintf(msg, sizeof msg, _("%" PRId64 " is out of range"),
				 v);
			return bad(r, f, msg);
		}
		if (f->type == CDSYNC_FT_SCHOOL_YEAR) {
			char *t = yeartext(v);

			if (t == NULL)
				return CDSYNC_ENOMEM;
			put(r, (size_t)i, v, NULL, t);
			return CDSYNC_OK;
		}
		break;
	case CDSYNC_FT_BOOL:
		if (v != 0 && v != 1)
			return bad(r, f, _("a yes/no field takes 0 or 1"));
		break;
	case CDSYNC_FT_DATE:
		/* days since 1970-01-01 */
		if (v < cds_date_days(1900, 1, 1) ||
		    v > cds_date_days(2100, 12, 31))
			return bad(r, f, _("date out of range"));
		cds_date_from_days(v, &y, &m, &d);
		cds_date_iso(y, m, d, b);
		return cdsync_rec_set(r, name, b);
	default:
		return bad(r, f, _("this field does not take a number"));
	}
	snprintf(b, sizeof b, "%" PRId64, v);
	{
		char *t = cds_strdup(b);

		if (t == NULL)
			return CDSYNC_ENOMEM;
		put(r, (size_t)i, v, NULL, t);
	}
	return CDSYNC_OK;
}

CDSYNC_API int
cdsync_rec_set_ref(cdsync_rec *r, const char *name, const uint8_t id[16])
{
	const struct cds_field *f;
	char hex[33], *t;
	int i;

	r->err[0] = '\0';
	if ((i = field(r, name, &f)) < 0)
		return CDSYNC_ENOTFOUND;
	if (i == 0)
		return cdsync_rec_set_id(r, id);
	if (f->type != CDSYNC_FT_REF)
		return bad(r, f, _("this field does not take a reference"));
	if (id == NULL) {
		put(r, (size_t)i, 0, NULL, NULL);
		return CDSYNC_OK;
	}
	cds_id_hex(id, hex);
	if ((t = cds_strdup(hex)) == NULL)
		return CDSYNC_ENOMEM;
	put(r, (size_t)i, 0, id, t);
	return CDSYNC_OK;
}

CDSYNC_API const char *
cdsync_rec_get(const cdsync_rec *r, const char *name)
{
	int i = cds_field_index(r->k, name);

	if (i < 0 || !r->s[i].set || r->s[i].null)
		return NULL;
	return r->s[i].text;
}

CDSYNC_API int
cdsync_rec_get_int(const cdsync_rec *r, const char *name, int64_t *out)
{
	int i = cds_field_index(r->k, name);

	*out = 0;
	if (i < 0)
		return CDSYNC_ENOTFOUND;
	switch (r->k->fields[i].type) {
	case CDSYNC_FT_MONEY:
	case CDSYNC_FT_INT:
	case CDSYNC_FT_BOOL:
	case CDSYNC_FT_SCHOOL_YEAR:
	case CDSYNC_FT_DATE:
		break;
	default:
		return CDSYNC_EINVAL;
	}
	if (!r->s[i].set || r->s[i].null)
		return CDSYNC_ENOTFOUND;
	*out = r->s[i].i;
	return CDSYNC_OK;
}

/* ==== Stored values =================================================== */

static int
is_int(cdsync_ftype t)
{
	return t == CDSYNC_FT_MONEY || t == CDSYNC_FT_INT ||
	       t == CDSYNC_FT_BOOL || t == CDSYNC_FT_SCHOOL_YEAR;
}

void
cds_rec_val(const cdsync_rec *r, size_t i, cds_val *v)
{
	const struct cds_slot *s = &r->s[i];
	cdsync_ftype t = r->k->fields[i].type;

	memset(v, 0, sizeof *v);
	if (s->null) {
		v->type = CDS_V_NULL;
	} else if (is_int(t)) {
		v->type = CDS_V_INT;
		v->i = s->i;
	} else if (t == CDSYNC_FT_REF || t == CDSYNC_FT_ID) {
		v->type = CDS_V_BLOB;
		v->p = s->ref;
		v->n = 16;
	} else {
		v->type = CDS_V_TEXT;
		v->p = (const uint8_t *)s->text;
		v->n = strlen(s->text);
	}
}

int
cds_rec_bind(const cdsync_rec *r, size_t i, sqlite3_stmt *st, int param)
{
	cds_val v;

	cds_rec_val(r, i, &v);
	switch (v.type) {
	case CDS_V_NULL:
		return sqlite3_bind_null(st, param);
	case CDS_V_INT:
		return sqlite3_bind_int64(st, param, v.i);
	case CDS_V_BLOB:
		return sqlite3_bind_blob(st, param, v.p, (int)v.n,
					 SQLITE_STATIC);
	case CDS_V_TEXT:
		return sqlite3_bind_text(st, param, (const char *)v.p,
					 (int)v.n, SQLITE_STATIC);
	}
	return SQLITE_MISUSE;
}

int
cds_rec_set_val(cdsync_rec *r, size_t i, const cds_val *v)
{
	cdsync_ftype t = r->k->fields[i].type;
	char hex[33], *text;
	int y, m, d;

	if (v->type == CDS_V_NULL) {
		put(r, i, 0, NULL, NULL);
		return CDSYNC_OK;
	}
	if (is_int(t)) {
		if (v->type != CDS_V_INT)
			return CDSYNC_ECORRUPT;
		text = t == CDSYNC_FT_SCHOOL_YEAR ? yeartext(v->i)
						  : numtext(v->i);
		if (text == NULL)
			return CDSYNC_ENOMEM;
		put(r, i, v->i, NULL, text);
		return CDSYNC_OK;
	}
	if (t == CDSYNC_FT_REF || t == CDSYNC_FT_ID) {
		if (v->type != CDS_V_BLOB || v->n != 16)
			return CDSYNC_ECORRUPT;
		if (i == 0)
			return cdsync_rec_set_id(r, v->p);
		cds_id_hex(v->p, hex);
		if ((text = cds_strdup(hex)) == NULL)
			return CDSYNC_ENOMEM;
		put(r, i, 0, v->p, text);
		return CDSYNC_OK;
	}
	if (v->type != CDS_V_TEXT)
		return CDSYNC_ECORRUPT;
	if ((text = cds_strndup((const char *)v->p, v->n)) == NULL)
		return CDSYNC_ENOMEM;
	y = m = d = 0;
	if (t == CDSYNC_FT_DATE && sscanf(text, "%4d-%2d-%2d", &y, &m, &d) == 3)
		put(r, i, cds_date_days(y, m, d), NULL, text);
	else
		put(r, i, 0, NULL, text);
	return CDSYNC_OK;
}

int
cds_rec_load(cdsync_rec *r, sqlite3_stmt *st, int first)
{
	size_t i;
	cds_val v;
	int rc, c;

	for (i = 0; i < r->k->nfields; i++) {
		c = first + (int)i;
		memset(&v, 0, sizeof v);
		switch (sqlite3_column_type(st, c)) {
		case SQLITE_NULL:
			v.type = CDS_V_NULL;
			break;
		case SQLITE_INTEGER:
			v.type = CDS_V_INT;
			v.i = sqlite3_column_int64(st, c);
			break;
		case SQLITE_BLOB:
			v.type = CDS_V_BLOB;
			v.p = sqlite3_column_blob(st, c);
			v.n = (size_t)sqlite3_column_bytes(st, c);
			break;
		default:
			v.type = CDS_V_TEXT;
			v.p = sqlite3_column_text(st, c);
			v.n = (size_t)sqlite3_column_bytes(st, c);
			if (v.p == NULL)
				return CDSYNC_ENOMEM;
			break;
		}
		if ((rc = cds_rec_set_val(r, i, &v)) != CDSYNC_OK)
			return rc;
	}
	return CDSYNC_OK;
}

int
cds_rec_check(cdsync_rec *r, size_t i, cdsync_rec *scratch)
{
	const struct cds_field *f = &r->k->fields[i];
	cdsync_rec *t = scratch;
	int ok, rc;

	if (!r->s[i].set || r->s[i].null)
		return 0;
	if (t == NULL && cdsync_rec_new(r->k->kind, &t) != CDSYNC_OK) {
		snprintf(r->err, sizeof r->err, "%s", _("out of memory"));
		return -2;
	}
	rc = cdsync_rec_set(t, f->name, r->s[i].text);
	if (rc == CDSYNC_ENOMEM) {	/* says nothing of the value */
		snprintf(r->err, sizeof r->err, "%s", _("out of memory"));
		if (t != scratch)
			cdsync_rec_free(t);
		return -2;
	}
	ok = rc == CDSYNC_OK && t->s[i].text != NULL &&
	     strcmp(t->s[i].text, r->s[i].text) == 0;
	if (!ok && t->err[0])
		snprintf(r->err, sizeof r->err, "%s", t->err);
	else if (!ok)
		snprintf(r->err, sizeof r->err, "%s: %s", f->name,
			 _("value not in canonical form"));
	if (t != scratch)
		cdsync_rec_free(t);
	return ok ? 0 : -1;
}
