/* snapshot_fuzz.c -- the rollup snapshot reader (SPEC.md "Rollup
 * snapshots") on arbitrary bytes.  Invariants: what reads back writes
 * again, header, heads, sheets and every unit, to the same bytes before its
 * signature (one encoding per snapshot); the unit iterator gives exactly
 * nunits units and stops at the signature; the signature check answers
 * 0, -1 or -2 and never reads past the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Any key: only the bytes before the signature are compared. */
static const uint8_t sk[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cds_snap_head *h = NULL;
	struct cds_snap_sheet *sh = NULL;
	struct cds_snap_unit *u;
	struct cds_snap s;
	char err[256];
	size_t i, off;
	cds_buf b;
	int v, k;

	if (cds_snap_read(data, size, &s, err, sizeof err) != 0)
		return 0;
	if (s.sig_at + 64 != size || s.units_at > s.sig_at)
		abort();
	if ((u = cds_malloc(sizeof *u)) == NULL ||
	    (s.nheads > 0 && (h = cds_malloc(s.nheads * sizeof *h)) == NULL) ||
	    (s.nsheets > 0 &&
	     (sh = cds_malloc(s.nsheets * sizeof *sh)) == NULL))
		abort();
	for (i = 0; i < s.nheads; i++)
		cds_snap_head_at(&s, i, &h[i]);
	for (i = 0, off = s.sheets_at; i < s.nsheets; i++)
		cds_snap_sheet_next(data, &s, &off, &sh[i]);
	if (off > s.units_at)
		abort();
	cds_buf_init(&b, size + 64);
	cds_snap_write_head(&b, &s, h, s.nheads, sh, s.nsheets, s.nunits);
	off = s.units_at;
	for (i = 0; (k = cds_snap_next(data, &s, &off, u, err, sizeof err)) ==
		    1;
	     i++)
		cds_snap_write_unit(&b, u);
	if (k != 0 || i != s.nunits || off != s.sig_at)
		abort();
	cds_snap_write_end(&b, 0, sk);
	if (b.rc != 0 || b.n != size || memcmp(b.p, data, s.sig_at) != 0)
		abort();
	cds_buf_free(&b);
	cds_free(h);
	cds_free(sh);
	cds_free(u);
	v = cds_snap_verify(data, size, &s, err, sizeof err);
	if (v != 0 && v != -1 && v != -2)
		abort();
	return 0;
}
