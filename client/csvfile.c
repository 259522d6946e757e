/* csvfile.c -- reading CSV files (see csvfile.h).
 *
 * Contract: cds_csv_read() hands the bytes to libcsv one at a time, so it
 * always knows the physical line it is on (LF, CRLF and a lone CR each end
 * one line, inside quotes too).  A record takes the line of its first byte
 * that is neither a space nor a line end, and is stored when libcsv ends
 * it.  The quoting rules are libcsv's lenient defaults (no CSV_STRICT:
 * hand-edited files hold stray quotes), with two changes: only ' ' is a
 * space to drop around unquoted fields (a TAB is data or the separator,
 * never trimmed), and a quoted field still open at the end of the input
 * is an error.  libcsv and this file allocate through protocol/alloc.h;
 * on failure everything built so far is freed.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <csv.h>		/* libcsv */

#include "alloc.h"
#include "csvfile.h"
#include "i18n.h"

/* A field whose raw bytes in libcsv's buffer pass this size is too long
 * even counting blanks that libcsv would still drop: stop reading it
 * rather than let it grow to the size of the file. */
#define RAWCAP (2 * (size_t)CDS_CSV_MAX_FIELD)

struct rd {
	cds_csv *csv;
	size_t cap;		/* records allocated */
	cds_csv_record cur;	/* the record being read */
	size_t fcap;		/* fields allocated in cur */
	size_t line;		/* physical line of the next byte */
	int inrec;		/* a record has begun and not ended */
	int bad;		/* an error is in err */
	int oom;		/* ... and it is out of memory */
	char *err;
	size_t errlen;
};

static void
nomem(struct rd *r)
{
	if (!r->bad)
		snprintf(r->err, r->errlen, "%s", _("out of memory"));
	r->bad = 1;
	r->oom = 1;
}

static void
dropfields(cds_csv_record *rec)
{
	size_t i;

	for (i = 0; i < rec->nfields; i++)
		cds_free(rec->fields[i]);
	cds_free(rec->fields);
	cds_free(rec->lens);
	rec->fields = NULL;
	rec->lens = NULL;
	rec->nfields = 0;
}

/* Only ' ' is trimmed: a TAB may be the separator, or data. */
static int
isblank1(unsigned char c)
{
	return c == ' ';
}

static void
onfield(void *s, size_t len, void *arg)
{
	struct rd *r = arg;
	cds_csv_record *c = &r->cur;
	size_t n;
	void *p;
	char *f;

	if (r->bad)
		return;
	if (c->nfields >= CDS_CSV_MAX_FIELDS) {
		snprintf(r->err, r->errlen, _("line %zu: more than %d fields"),
			 c->line, CDS_CSV_MAX_FIELDS);
		r->bad = 1;
		return;
	}
	if (len > CDS_CSV_MAX_FIELD) {
		snprintf(r->err, r->errlen,
			 _("line %zu: field %zu is longer than %d bytes"),
			 c->line, c->nfields + 1, CDS_CSV_MAX_FIELD);
		r->bad = 1;
		return;
	}
	if (c->nfields == r->fcap) {
		n = r->fcap ? r->fcap * 2 : 8;
		if (n > CDS_CSV_MAX_FIELDS)
			n = CDS_CSV_MAX_FIELDS;
		if ((p = cds_realloc(c->fields, n * sizeof *c->fields)) ==
		    NULL) {
			nomem(r);
			return;
		}
		c->fields = p;
		if ((p = cds_realloc(c->lens, n * sizeof *c->lens)) == NULL) {
			nomem(r);
			return;
		}
		c->lens = p;
		r->fcap = n;
	}
	if ((f = cds_malloc(len + 1)) == NULL) {
		nomem(r);
		return;
	}
	if (len > 0)
		memcpy(f, s, len);
	f[len] = '\0';
	c->fields[c->nfields] = f;
	c->lens[c->nfields++] = len;
}

static void
onrecord(int term, void *arg)
{
	struct rd *r = arg;
	cds_csv *csv = r->csv;
	size_t n;
	void *p;

	(void)term;
	r->inrec = 0;
	if (r->bad || r->cur.nfields == 0)
		return;
	if (csv->nrecords == r->cap) {
		n = r->cap ? r->cap * 2 : 16;
		if (n > SIZE_MAX / sizeof *csv->records ||
		    (p = cds_realloc(csv->records, n * sizeof *csv->records)) ==
		    NULL) {
			nomem(r);
			return;
		}
		csv->records = p;
		r->cap = n;
	}
	csv->records[csv->nrecords++] = r->cur;
	memset(&r->cur, 0, sizeof r->cur);
	r->fcap = 0;
}

/* The separator: of ',', ';' and TAB the one seen most often outside
 * double quotes on the first line that is not blank; ',' wins a tie, then
 * ';'. */
static char
guess(const unsigned char *b, size_t n)
{
	size_t i = 0, comma = 0, semi = 0, tab = 0;
	int q = 0;

	while (i < n && (b[i] == '\r' || b[i] == '\n'))
		i++;
	for (; i < n && b[i] != '\r' && b[i] != '\n'; i++) {
		if (b[i] == '"')
			q = !q;
		else if (q)
			continue;
		else if (b[i] == ',')
			comma++;
		else if (b[i] == ';')
			semi++;
		else if (b[i] == '\t')
			tab++;
	}
	if (tab > comma && tab > semi)
		return '\t';
	if (semi > comma)
		return ';';
	return ',';
}

void
cds_csv_free(cds_csv *csv)
{
	size_t i;

	if (csv == NULL)
		return;
	for (i = 0; i < csv->nrecords; i++)
		dropfields(&csv->records[i]);
	cds_free(csv->records);
	cds_free(csv);
}

/* Feeds all of b[n] to libcsv; 0, or -1 with r->err set.  Between
 * records libcsv skips spaces and line ends (blank lines), and any other
 * byte begins a record: that byte's line is the record's. */
static int
feed(struct csv_parser *p, struct rd *r, const unsigned char *b, size_t n)
{
	size_t i;
	int cr = 0;

	for (i = 0; i < n; i++) {
		if (!r->inrec && b[i] != ' ' && b[i] != '\r' &&
		    b[i] != '\n') {
			r->inrec = 1;
			r->cur.line = r->line;
		}
		if (csv_parse(p, b + i, 1, onfield, onrecord, r) != 1) {
			nomem(r);
			return -1;
		}
		if (r->bad)
			return -1;
		if (csv_get_buffer_size(p) > RAWCAP) {
			snprintf(r->err, r->errlen,
				 _("line %zu: field %zu is longer than %d "
				   "bytes"), r->cur.line, r->cur.nfields + 1,
				 CDS_CSV_MAX_FIELD);
			r->bad = 1;
			return -1;
		}
		if (b[i] == '\r' || (b[i] == '\n' && !cr))
			r->line++;
		cr = b[i] == '\r';
	}
	return 0;
}

int
cds_csv_read(const void *buf, size_t len, cds_csv **out, char *err,
	     size_t errlen)
{
	const unsigned char *b = buf;
	struct csv_parser p;
	struct rd r;
	int rc = -1;

	*out = NULL;
	if (len > CDS_CSV_MAX_BYTES) {
		snprintf(err, errlen, _("the file is larger than %u MB"),
			 CDS_CSV_MAX_BYTES >> 20);
		return -1;
	}
	if (len >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) {
		b += 3;
		len -= 3;
	}
	memset(&r, 0, sizeof r);
	r.line = 1;
	r.err = err;
	r.errlen = errlen;
	if ((r.csv = cds_calloc(1, sizeof *r.csv)) == NULL) {
		nomem(&r);
		return -2;
	}
	r.csv->sep = guess(b, len);
	if (csv_init(&p, CSV_APPEND_NULL) != 0) {
		nomem(&r);
		cds_free(r.csv);
		return -2;
	}
	csv_set_delim(&p, (unsigned char)r.csv->sep);
	csv_set_space_func(&p, isblank1);
	csv_set_realloc_func(&p, cds_realloc);
	csv_set_free_func(&p, cds_free);
	if (feed(&p, &r, b, len) != 0)
		goto out;
	/* Strict only for csv_fini: it then refuses an open quoted field. */
	csv_set_opts(&p, CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI);
	if (csv_fini(&p, onfield, onrecord, &r) != 0) {
		if (csv_error(&p) == CSV_EPARSE)
			snprintf(err, errlen, _("line %zu: quoted field not "
						"closed at end of file"),
				 r.cur.line);
		else
			nomem(&r);
		goto out;
	}
	if (r.bad)
		goto out;
	*out = r.csv;
	r.csv = NULL;
	rc = 0;
out:
	csv_free(&p);
	dropfields(&r.cur);
	cds_csv_free(r.csv);
	return r.oom ? -2 : rc;
}
