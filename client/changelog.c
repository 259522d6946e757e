/* changelog.c -- the change log into payloads; see changelog.h. */
#include "changelog.h"

#include <string.h>

#include "alloc.h"
#include "bundle.h"
#include "change.h"
#include "i18n.h"

int
cds_log_payload(cdsync *db, sqlite3_stmt *st, size_t max, size_t maxbytes,
		cds_buf *b, uint32_t *count, struct cds_log_at *last,
		int *more)
{
	struct cds_change *ch = NULL, *grown;
	size_t cap = 0, i, *at = NULL, *gat;
	cds_buf cols;
	int step = SQLITE_DONE, rc = CDSYNC_OK;

	*count = 0;
	*more = 0;
	cds_buf_init(&cols, CDS_BUNDLE_MAX_PLAIN);
	while (*count < max && (*count == 0 || cols.n < maxbytes)) {
		struct cds_change *c;

		if ((step = sqlite3_step(st)) != SQLITE_ROW)
			break;
		if (*count == cap) {
			cap = cap ? 2 * cap : 64;
			if ((grown = cds_realloc(ch, cap * sizeof *ch)) != NULL)
				ch = grown;
			if ((gat = cds_realloc(at, cap * sizeof *at)) != NULL)
				at = gat;
			if (grown == NULL || gat == NULL) {
				rc = cds_err(db, CDSYNC_ENOMEM, "%s",
					     _("out of memory"));
				break;
			}
		}
		c = &ch[*count];
		memset(c, 0, sizeof *c);
		c->kind = (uint8_t)sqlite3_column_int(st, 1);
		if (sqlite3_column_bytes(st, 2) != 16 ||
		    sqlite3_column_bytes(st, 5) != 16) {
			rc = cds_err(db, CDSYNC_ECORRUPT, "%s",
				     _("change log: a change has a damaged "
				       "row or node id"));
			break;
		}
		memcpy(c->row, sqlite3_column_blob(st, 2), 16);
		c->op = (uint8_t)sqlite3_column_int(st, 3);
		c->hlc = (uint64_t)sqlite3_column_int64(st, 4);
		memcpy(c->origin, sqlite3_column_blob(st, 5), 16);
		c->base = (uint64_t)sqlite3_column_int64(st, 6);
		/* column sets are copied; pointers are set once all are in */
		at[*count] = cols.n;
		c->ncols = (size_t)sqlite3_column_bytes(st, 7);
		cds_buf_bytes(&cols, sqlite3_column_blob(st, 7), c->ncols);
		last->seq = sqlite3_column_int64(st, 0);
		last->hlc = c->hlc;
		memcpy(last->origin, c->origin, 16);
		++*count;
	}
	if (rc == CDSYNC_OK && step != SQLITE_ROW && step != SQLITE_DONE)
		rc = cds_sqlerr(db, _("change log"));
	/* stopped by a limit: is there more? */
	if (rc == CDSYNC_OK && step == SQLITE_ROW) {
		if ((step = sqlite3_step(st)) == SQLITE_ROW)
			*more = 1;
		else if (step != SQLITE_DONE)
			rc = cds_sqlerr(db, _("change log"));
	}
	if (rc == CDSYNC_OK) {
		for (i = 0; i < *count; i++)
			ch[i].cols = ch[i].op == CDS_OP_SET ? cols.p + at[i]
							    : NULL;
		cds_payload_write(b, ch, *count);
		if (cols.rc != 0 || b->rc == CDSYNC_ENOMEM)
			rc = cds_err(db, CDSYNC_ENOMEM, "%s",
				     _("the changes do not fit in one bundle"));
		else if (b->rc != 0)
			rc = cds_err(db, CDSYNC_ECORRUPT, "%s",
				     _("change log: a change cannot be "
				       "encoded (its column set is damaged or "
				       "its base is not below its clock)"));
	}
	cds_free(at);
	cds_free(ch);
	cds_buf_free(&cols);
	return rc;
}
