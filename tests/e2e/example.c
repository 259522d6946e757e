/* example.c -- a program that links libcdsync the way an app does: only
 * <cdsync/cdsync.h>, built with `pkg-config --cflags --libs cdsync`.
 * tests/e2e/install_test.sh installs the library, builds this and runs it.
 *
 * Usage: example STORE  -- records one activity with a beneficiary, lists
 * this school year's care activities, prints the care KPI. */
#include <stdio.h>

#include <cdsync/cdsync.h>

static int
fail(cdsync *db, const char *what)
{
	fprintf(stderr, "example: %s: %s\n", what, cdsync_errmsg(db));
	cdsync_close(db);
	return 1;
}

int
main(int argc, char **argv)
{
	cdsync *db = NULL;
	cdsync_rec *m = NULL, *a = NULL, *b = NULL;
	cdsync_cursor *cur = NULL;
	cdsync_kpis *k = NULL;
	const cdsync_rec *row;
	size_t i;
	int n = 0;

	if (argc != 2)
		return 2;
	if (cdsync_open(argv[1], CDSYNC_OPEN_CREATE, &db) != CDSYNC_OK)
		return fail(db, "open");
	if (cdsync_node_init(db, CDSYNC_ROLE_SCHOOL, "EX-SCHOOL",
			     "Trường Tiểu học Ví Dụ", NULL) != CDSYNC_OK)
		return fail(db, "init");
	if (cdsync_rec_new(CDSYNC_KIND_MEMBER, &m) != CDSYNC_OK ||
	    cdsync_rec_set(m, "full_name", "Nguyễn Thị Hoa") != CDSYNC_OK ||
	    cdsync_insert(db, m) != CDSYNC_OK)
		return fail(db, "member");
	if (cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &a) != CDSYNC_OK ||
	    cdsync_rec_set(a, "held_on", "20/01/2026") != CDSYNC_OK ||
	    cdsync_rec_set(a, "title", "Tết Sum vầy") != CDSYNC_OK ||
	    cdsync_rec_set(a, "kind", "care") != CDSYNC_OK ||
	    cdsync_rec_set(a, "cost", "500.000 đ") != CDSYNC_OK ||
	    cdsync_insert(db, a) != CDSYNC_OK)
		return fail(db, "activity");
	if (cdsync_rec_new(CDSYNC_KIND_BENEFIT, &b) != CDSYNC_OK ||
	    cdsync_rec_set_ref(b, "activity_id", cdsync_rec_id(a)) ||
	    cdsync_rec_set_ref(b, "member_id", cdsync_rec_id(m)) ||
	    cdsync_rec_set(b, "amount", "500000") != CDSYNC_OK ||
	    cdsync_insert(db, b) != CDSYNC_OK)
		return fail(db, "beneficiary");
	cdsync_rec_free(m);
	cdsync_rec_free(a);
	cdsync_rec_free(b);
	if (cdsync_query_activities(db, "2025-2026", "care", &cur) != CDSYNC_OK)
		return fail(db, "query");
	while (cdsync_cursor_next(cur, &row) == CDSYNC_OK) {
		printf("%s %s %s\n", cdsync_rec_get(row, "held_on"),
		       cdsync_rec_get(row, "title"),
		       cdsync_rec_get(row, "cost"));
		n++;
	}
	cdsync_cursor_close(cur);
	if (cdsync_kpi_compute(db, NULL, "2025-2026", NULL, &k) != CDSYNC_OK)
		return fail(db, "kpi");
	for (i = 0; i < cdsync_kpi_count(k); i++) {
		const cdsync_kpi *x = cdsync_kpi_at(k, i);

		if (x->is_share && x->num == 1 && x->den == 1 &&
		    x->id[1] == '2' && x->id[3] == 'U' && x->id[5] == 'c' &&
		    x->id[6] == 'o')
			printf("%s %.1f%%\n", x->id, x->value);
	}
	cdsync_kpi_free(k);
	cdsync_close(db);
	return n == 1 ? 0 : 1;
}
