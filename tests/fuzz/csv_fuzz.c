/* csv_fuzz.c -- cds_csv_read on arbitrary bytes.
 *
 * Aborts unless: a success gives a separator of ',', ';' or TAB and
 * records of 1 to CDS_CSV_MAX_FIELDS fields, each NUL-terminated, no
 * longer than CDS_CSV_MAX_FIELD, with strlen equal to its length when it
 * holds no NUL, the lengths summing to no more than the input; line
 * numbers are at least 1, strictly increasing and within the input's
 * lines; a failure gives *out == NULL and a message.  A second read of the
 * same bytes must give the same outcome.  Leaks are the sanitizer's job.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csvfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Physical lines in data: LF, CRLF and a lone CR each end one. */
static size_t
nlines(const uint8_t *data, size_t size)
{
	size_t i, n = 1;

	for (i = 0; i < size; i++)
		if (data[i] == '\r' ||
		    (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')))
			n++;
	return n;
}

static void
check(const cds_csv *csv, const uint8_t *data, size_t size)
{
	const cds_csv_record *r;
	size_t i, j, last = 0, total = 0, max = nlines(data, size);

	if (csv->sep != ',' && csv->sep != ';' && csv->sep != '\t')
		abort();
	if (csv->nrecords > 0 && csv->records == NULL)
		abort();
	for (i = 0; i < csv->nrecords; i++) {
		r = &csv->records[i];
		if (r->nfields < 1 || r->nfields > CDS_CSV_MAX_FIELDS)
			abort();
		if (r->line < 1 || r->line <= last || r->line > max)
			abort();
		last = r->line;
		if (r->fields == NULL || r->lens == NULL)
			abort();
		for (j = 0; j < r->nfields; j++) {
			if (r->fields[j] == NULL ||
			    r->lens[j] > CDS_CSV_MAX_FIELD ||
			    r->fields[j][r->lens[j]] != '\0')
				abort();
			if (memchr(r->fields[j], '\0', r->lens[j]) == NULL &&
			    strlen(r->fields[j]) != r->lens[j])
				abort();
			total += r->lens[j];
		}
	}
	if (total > size)
		abort();
}

static int
same(const cds_csv *a, const cds_csv *b)
{
	const cds_csv_record *x, *y;
	size_t i, j;

	if (a->sep != b->sep || a->nrecords != b->nrecords)
		return 0;
	for (i = 0; i < a->nrecords; i++) {
		x = &a->records[i];
		y = &b->records[i];
		if (x->line != y->line || x->nfields != y->nfields)
			return 0;
		for (j = 0; j < x->nfields; j++)
			if (x->lens[j] != y->lens[j] ||
			    memcmp(x->fields[j], y->fields[j], x->lens[j]) != 0)
				return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], err2[256];
	cds_csv *csv = NULL, *csv2 = NULL;
	int rc, rc2;

	err[0] = '\0';
	rc = cds_csv_read(data, size, &csv, err, sizeof err);
	if (rc == 0) {
		if (csv == NULL)
			abort();
		check(csv, data, size);
	} else if (rc != -1 || csv != NULL || err[0] == '\0') {
		abort();
	}
	rc2 = cds_csv_read(data, size, &csv2, err2, sizeof err2);
	if (rc2 != rc || (rc == 0 && !same(csv, csv2)) ||
	    (rc != 0 && strcmp(err, err2) != 0))
		abort();
	cds_csv_free(csv);
	cds_csv_free(csv2);
	return 0;
}
