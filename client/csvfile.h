/* csvfile.h -- reading CSV files as spreadsheets really write them.
 *
 * Contract: cds_csv_read() takes the bytes of a whole file and splits it
 * into records of fields, using libcsv for the quoting rules.  It accepts
 * UTF-8 with or without a BOM, LF, CRLF or CR line ends, quoted fields
 * holding separators, quotes ("") and line breaks, and a separator of ',',
 * ';' (Excel on a Vietnamese Windows) or TAB, guessed from the first line
 * that is not blank (the one of those three that occurs most often outside
 * quotes; ',' on a tie, then ';').  Each record carries the number of the
 * physical line it starts on (1-based; LF, CRLF and a lone CR each end one
 * line, inside quotes too), so a message can name it.  Blank lines, and
 * lines of only spaces, are skipped but counted.  Fields are raw bytes as
 * in the file (no Unicode checks); each is NUL-terminated.  Spaces (' '
 * only, never TAB) around an unquoted field, before an opening quote and
 * after a closing one are dropped, as a user who typed "a, b" expects;
 * nothing inside quotes is.  Quoting is lenient as in hand-edited files: a
 * quote inside an unquoted field is kept as a character, and text after a
 * closing quote continues the (still quoted) field.  A quoted field still
 * open at the end of the input is an error.  Limits: CDS_CSV_MAX_BYTES of
 * input, CDS_CSV_MAX_FIELDS per record, CDS_CSV_MAX_FIELD bytes per field
 * (after unquoting).  Allocation goes through protocol/alloc.h.
 */
#ifndef CDS_CSVFILE_H
#define CDS_CSVFILE_H

#include <stddef.h>

#define CDS_CSV_MAX_BYTES (64u << 20)
#define CDS_CSV_MAX_FIELDS 256
#define CDS_CSV_MAX_FIELD 65536

typedef struct cds_csv_record {
	size_t line;		/* physical line the record starts on */
	size_t nfields;		/* number of fields (at least 1) */
	char **fields;		/* NUL-terminated field bytes */
	size_t *lens;		/* their lengths (fields may hold NUL) */
} cds_csv_record;

typedef struct cds_csv {
	char sep;		/* the separator that was used */
	size_t nrecords;
	cds_csv_record *records;
} cds_csv;

/* Returns 0 and *out (free with cds_csv_free); -1 for input it refuses,
 * with a reason in err[errlen] naming the line where it applies ("line
 * 12: quoted field not closed at end of file"); -2 when out of memory
 * (err says so).  On failure *out = NULL.  An empty input gives 0 records
 * and sep ','. */
int cds_csv_read(const void *buf, size_t len, cds_csv **out, char *err,
		 size_t errlen);
void cds_csv_free(cds_csv *csv);

#endif
