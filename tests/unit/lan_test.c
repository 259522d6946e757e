/* lan_test.c -- the LAN sync (SPEC.md "LAN sync"): the messages and their
 * vectors, then two phones and a school node over a real nanomsg socket
 * (ipc in a temporary directory, served by a thread on its own
 * connection): both ways, concurrent edits converging, the school's next
 * bundle carrying what the phones recorded, a lost reply, a node that
 * does not answer, a node restored from a backup, an unpaired phone and
 * forged messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <sodium.h>

#include "alloc.h"
#include "lan.h"
#include "store.h"
#include "testutil.h"
#include "vec.h"

#define SCHOOL "HG-VX-TH-LUNGCU"

/* ==== The messages ==================================================== */

static void
seed_box(uint8_t b, uint8_t pk[32], uint8_t sk[32])
{
	memset(sk, b, 32);
	crypto_scalarmult_base(pk, sk);
}

static void
test_the_messages_match_their_vectors(void **st)
{
	static const uint8_t pay[] = { 2, 0, 0 };
	uint8_t cpk[32], csk[32], npk[32], nsk[32], k1[32], k2[32];
	uint8_t nonce[24], want[4096], *plain = NULL;
	struct cds_lan_req q, q2;
	struct cds_lan_rep r, r2;
	struct cds_lan_env e;
	char err[256];
	size_t n, pn;
	cds_buf b, env;

	(void)st;
	seed_box(0x08, cpk, csk);
	seed_box(0x0a, npk, nsk);
	assert_int_equal(cds_lan_key(k1, npk, csk), 0);
	assert_int_equal(cds_lan_key(k2, cpk, nsk), 0);
	assert_memory_equal(k1, k2, 32);
	/* a first request, pushing nothing */
	memset(&q, 0, sizeof q);
	q.own_hlc = 0x1234;
	q.want = 1000;
	q.payload = pay;
	q.plen = sizeof pay;
	cds_buf_init(&b, 1 << 20);
	cds_lan_req_write(&b, &q);
	memset(nonce, 0x11, sizeof nonce);
	cds_buf_init(&env, 1 << 20);
	{
		uint8_t client[16];

		memset(client, 0x40, 16);
		cds_lan_seal(&env, CDS_LAN_REQUEST, client, npk, nonce, k1,
			     b.p, b.n, NULL);
	}
	assert_int_equal(env.rc, 0);
	n = vec_get("lan.vec", "request", want, sizeof want);
	assert_int_equal(env.n, n);
	assert_memory_equal(env.p, want, n);
	/* the node opens it */
	assert_int_equal(cds_lan_env_read(env.p, env.n, &e, err, sizeof err),
			 0);
	assert_int_equal(e.type, CDS_LAN_REQUEST);
	assert_memory_equal(e.node_box, npk, 32);
	assert_int_equal(cds_lan_open(&e, k2, &plain, &pn), 0);
	assert_int_equal(cds_lan_req_read(plain, pn, &q2, err, sizeof err), 0);
	assert_int_equal(q2.own_hlc, 0x1234);
	assert_int_equal(q2.want, 1000);
	assert_int_equal(q2.plen, 3);
	cds_free(plain);
	/* one bit changed anywhere in the box: it does not open */
	env.p[env.n - 1] ^= 1;
	assert_int_equal(cds_lan_env_read(env.p, env.n, &e, err, sizeof err),
			 0);
	assert_int_equal(cds_lan_open(&e, k2, &plain, &pn), -1);
	assert_null(plain);
	/* the reply */
	memset(&r, 0, sizeof r);
	memcpy(r.req_nonce, nonce, 24);
	r.acked_hlc = 0;
	r.next.seq = 7;
	r.next.hlc = 0x5678;
	memset(r.next.origin, 0x50, 16);
	r.remaining = 3;
	r.payload = pay;
	r.plen = sizeof pay;
	cds_buf_reset(&b);
	cds_lan_rep_write(&b, &r);
	cds_buf_reset(&env);
	memset(nonce, 0x22, sizeof nonce);
	cds_lan_seal(&env, CDS_LAN_REPLY, NULL, NULL, nonce, k2, b.p, b.n,
		     NULL);
	n = vec_get("lan.vec", "reply", want, sizeof want);
	assert_int_equal(env.n, n);
	assert_memory_equal(env.p, want, n);
	assert_int_equal(cds_lan_env_read(env.p, env.n, &e, err, sizeof err),
			 0);
	assert_int_equal(cds_lan_open(&e, k1, &plain, &pn), 0);
	assert_int_equal(cds_lan_rep_read(plain, pn, &r2, err, sizeof err), 0);
	assert_int_equal(r2.next.seq, 7);
	assert_int_equal(r2.remaining, 3);
	cds_free(plain);
	/* a refusal */
	cds_buf_reset(&env);
	cds_lan_refusal_write(&env, CDSYNC_EUNKNOWNKEY, "thiết bị lạ");
	n = vec_get("lan.vec", "refusal", want, sizeof want);
	assert_int_equal(env.n, n);
	assert_memory_equal(env.p, want, n);
	assert_int_equal(cds_lan_env_read(env.p, env.n, &e, err, sizeof err),
			 0);
	assert_string_equal(e.message, "thiết bị lạ");
	/* faults, by offset */
	env.p[5] = 9;
	assert_int_equal(cds_lan_env_read(env.p, env.n, &e, err, sizeof err),
			 -1);
	assert_string_equal(err, "sync message offset 5: unknown message "
				 "type");
	assert_int_equal(cds_lan_env_read(env.p, 5, &e, err, sizeof err), -1);
	/* a position that says "the start" but names a change */
	cds_buf_reset(&b);
	q.after.hlc = 5;
	cds_lan_req_write(&b, &q);
	assert_int_equal(cds_lan_req_read(b.p, b.n, &q2, err, sizeof err), -1);
	assert_string_equal(err, "sync request offset 0: a position before "
				 "the first change names one");
	/* a long message is cut between characters ("ệ" is 3 bytes) */
	{
		char longm[600], out[CDS_TRUST_STR_MAX + 1];
		int i;

		for (i = 0; i < 100; i++)
			memcpy(longm + 3 * i, "ệ", 3);
		longm[300] = '\0';
		cds_lan_text(out, longm);
		assert_int_equal(strlen(out), 255);
		cds_lan_text(out, "a");
		assert_string_equal(out, "a");
		longm[0] = 'a';
		for (i = 0; i < 100; i++)
			memcpy(longm + 1 + 3 * i, "ệ", 3);
		longm[301] = '\0';
		cds_lan_text(out, longm);
		assert_int_equal(strlen(out), 253);
	}
	cds_buf_free(&b);
	cds_buf_free(&env);
}

/* ==== A school node and its phones ==================================== */

struct server {
	pthread_t thread;
	cdsync *db;			/* its own connection */
	int sock;
	volatile int stop;
	volatile int drop_next;		/* serve, but lose the reply */
	volatile int served, refused;
};

static void *
serve(void *arg)
{
	struct server *s = arg;

	while (!s->stop) {
		void *msg = NULL;
		uint8_t *reply = NULL;
		size_t len = 0;
		int n = nn_recv(s->sock, &msg, NN_MSG, 0), rc;

		if (n < 0)
			continue;	/* timed out: look at stop */
		rc = cdsync_lan_answer(s->db, msg, (size_t)n, &reply, &len);
		nn_freemsg(msg);
		if (rc == CDSYNC_OK)
			s->served++;
		else
			s->refused++;
		if (reply != NULL && !s->drop_next)
			nn_send(s->sock, reply, len, 0);
		s->drop_next = 0;
		cdsync_free(reply);
	}
	return NULL;
}

static void
server_start(struct server *s, const char *dbpath, const char *endpoint)
{
	int t = 100;

	memset(s, 0, sizeof *s);
	assert_int_equal(cdsync_open(dbpath, 0, &s->db), 0);
	s->sock = nn_socket(AF_SP, NN_REP);
	assert_true(s->sock >= 0);
	assert_true(nn_setsockopt(s->sock, NN_SOL_SOCKET, NN_RCVTIMEO, &t,
				  sizeof t) >= 0);
	assert_true(nn_bind(s->sock, endpoint) >= 0);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void
server_stop(struct server *s)
{
	s->stop = 1;
	pthread_join(s->thread, NULL);
	nn_close(s->sock);
	cdsync_close(s->db);
}

static cdsync *
store(const char *dir, const char *name, cdsync_role role, const char *code)
{
	cdsync *db = NULL;

	assert_int_equal(cdsync_open(tu_path(dir, name), CDSYNC_OPEN_CREATE,
				     &db),
			 0);
	if (cdsync_node_init(db, role, code, role == CDSYNC_ROLE_CLIENT
						     ? "(tên gõ trên máy)"
						     : "Trường Tiểu học Lũng Cú",
			     "HG-VX") != CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(db));
	return db;
}

static void
pair(cdsync *node, cdsync *dev, const char *dir, const char *name)
{
	char code[CDSYNC_PAIR_CODEBYTES], req[600], cert[600];

	snprintf(req, sizeof req, "%s", tu_path(dir, "req.cdsp"));
	snprintf(cert, sizeof cert, "%s", tu_path(dir, "cert.cdsc"));
	assert_int_equal(cdsync_pair_code(node, 0, code), 0);
	assert_int_equal(cdsync_pair_request(dev, code, name, req), 0);
	if (cdsync_pair_approve(node, req, cert, NULL) != 0)
		fail_msg("%s", cdsync_errmsg(node));
	if (cdsync_pair_finish(dev, cert) != 0)
		fail_msg("%s", cdsync_errmsg(dev));
}

static void
activity(cdsync *db, const char *title, uint8_t id[16])
{
	cdsync_rec *r = NULL;

	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set(r, "held_on", "2026-01-20"), 0);
	assert_int_equal(cdsync_rec_set(r, "title", title), 0);
	assert_int_equal(cdsync_rec_set(r, "kind", "care"), 0);
	if (cdsync_insert(db, r) != CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(db));
	if (id != NULL)
		memcpy(id, cdsync_rec_id(r), 16);
	cdsync_rec_free(r);
}

static void
retitle(cdsync *db, const uint8_t id[16], const char *field, const char *v)
{
	cdsync_rec *r = NULL;

	assert_int_equal(cdsync_rec_new(CDSYNC_KIND_ACTIVITY, &r), CDSYNC_OK);
	assert_int_equal(cdsync_rec_set_id(r, id), 0);
	assert_int_equal(cdsync_rec_set(r, field, v), 0);
	if (cdsync_update(db, r) != CDSYNC_OK)
		fail_msg("%s", cdsync_errmsg(db));
	cdsync_rec_free(r);
}

static const char *
field(cdsync *db, const uint8_t id[16], const char *name)
{
	static char v[256];
	cdsync_rec *r = NULL;

	assert_int_equal(cdsync_get(db, CDSYNC_KIND_ACTIVITY, id, &r), 0);
	snprintf(v, sizeof v, "%s", cdsync_rec_get(r, name)
					    ? cdsync_rec_get(r, name)
					    : "");
	cdsync_rec_free(r);
	return v;
}

struct seen {
	int calls;
	cdsync_lan_progress last;
};

static void
progress(void *arg, const cdsync_lan_progress *p)
{
	struct seen *s = arg;

	/* what was done never goes down, and never passes its total */
	assert_true(p->sent >= s->last.sent);
	assert_true(p->received >= s->last.received);
	assert_true(p->sent <= p->to_send);
	assert_true(p->received <= p->to_receive || p->to_receive == 0);
	s->calls++;
	s->last = *p;
}

static int
sync_ok(cdsync *dev, const char *endpoint, cdsync_lan_progress *p)
{
	int rc = cdsync_lan_sync(dev, endpoint, 5000, NULL, NULL, p);

	if (rc != CDSYNC_OK)
		fail_msg("sync: %s", cdsync_errmsg(dev));
	return rc;
}

static void
test_two_phones_and_their_school_node(void **st)
{
	const char *d = tu_tmpdir();
	cdsync *sch = store(d, "s.db", CDSYNC_ROLE_SCHOOL, SCHOOL);
	cdsync *a = store(d, "a.db", CDSYNC_ROLE_CLIENT, SCHOOL);
	cdsync *b = store(d, "b.db", CDSYNC_ROLE_CLIENT, SCHOOL);
	char ep[600], spath[600], last[256];
	cdsync_lan_progress p;
	struct server srv;
	struct seen seen;
	uint8_t x[16], y[16];
	uint64_t ms, pend;
	int i;

	(void)st;
	snprintf(spath, sizeof spath, "%s", tu_path(d, "s.db"));
	snprintf(ep, sizeof ep, "ipc://%s", tu_path(d, "lan.sock"));
	pair(sch, a, d, "Điện thoại cô Mỷ");
	pair(sch, b, d, "Máy tính phòng hội đồng");
	activity(sch, "Họp công đoàn đầu năm", NULL);
	/* a device records nothing for its union's own row: the node's
	 * arrives with the first sync */
	assert_int_equal(tu_count(a, "SELECT count(*) FROM sync_change"), 0);
	assert_int_equal(tu_count(a, "SELECT count(*) FROM org_unit WHERE "
				     "name = '(tên gõ trên máy)'"), 1);
	/* before the first sync that reached the node: no address */
	assert_int_equal(cdsync_lan_sync(a, NULL, 100, NULL, NULL, NULL),
			 CDSYNC_EINVAL);
	assert_string_equal(cdsync_errmsg(a), "no address of the school node "
					      "yet: give it once, like "
					      "tcp://192.168.1.10:7420");
	assert_int_equal(cdsync_lan_sync(a, "http://x", 100, NULL, NULL,
					 NULL),
			 CDSYNC_EINVAL);
	/* nobody listens yet: the phone works on alone, nothing lost */
	for (i = 0; i < 3; i++)
		activity(a, "Thăm cô giáo ốm", i == 0 ? x : NULL);
	assert_int_equal(cdsync_lan_sync(a, ep, 300, NULL, NULL, &p),
			 CDSYNC_EUNREACHABLE);
	assert_non_null(strstr(cdsync_errmsg(a), "does not answer"));
	assert_non_null(strstr(cdsync_errmsg(a), "what this device records "
				"stays here and goes at the next sync"));
	assert_int_equal(p.sent, 0);
	assert_int_equal(cdsync_lan_last(a, last, &ms, &pend), 0);
	assert_string_equal(last, "");
	assert_int_equal(pend, 3);
	/* the node answers: both ways */
	server_start(&srv, spath, ep);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(cdsync_lan_sync(a, ep, 5000, progress, &seen, &p),
			 CDSYNC_OK);
	assert_int_equal(p.sent, 3);
	assert_int_equal(p.to_send, 3);
	/* the node's union row, its own activity */
	assert_int_equal(p.received, 2);
	assert_true(seen.calls >= 2);
	assert_int_equal(seen.last.sent, 3);
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM activity"), 4);
	assert_int_equal(tu_count(a, "SELECT count(*) FROM activity"), 4);
	assert_int_equal(tu_count(a, "SELECT count(*) FROM org_unit WHERE "
				     "name = 'Trường Tiểu học Lũng Cú'"), 1);
	assert_int_equal(cdsync_lan_last(a, last, &ms, &pend), 0);
	assert_string_equal(last, ep);
	assert_true(ms > 0);
	assert_int_equal(pend, 0);
	/* again: nothing to move */
	sync_ok(a, NULL, &p);
	assert_int_equal(p.sent + p.received, 0);
	/* the other phone receives all of it */
	sync_ok(b, ep, &p);
	assert_int_equal(p.received, 5);
	assert_int_equal(p.applied, 5);
	assert_int_equal(tu_count(b, "SELECT count(*) FROM activity"), 4);
	assert_string_equal(field(b, x, "title"), "Thăm cô giáo ốm");
	/* both edit the same activity offline, other fields and the same */
	retitle(a, x, "title", "Thăm cô Lan ốm");
	retitle(b, x, "note", "Nhà cô Lan");
	retitle(a, x, "note", "Trạm y tế xã");
	retitle(b, x, "note", "Bệnh viện huyện");
	sync_ok(a, ep, &p);
	sync_ok(b, ep, &p);
	sync_ok(a, ep, &p);
	assert_string_equal(field(a, x, "title"), "Thăm cô Lan ốm");
	assert_string_equal(field(b, x, "title"), "Thăm cô Lan ốm");
	assert_string_equal(field(sch, x, "title"), "Thăm cô Lan ốm");
	/* the later of the two edits of the note, everywhere */
	assert_string_equal(field(a, x, "note"), "Bệnh viện huyện");
	assert_string_equal(field(b, x, "note"), "Bệnh viện huyện");
	assert_string_equal(field(sch, x, "note"), "Bệnh viện huyện");
	/* what the phones recorded goes up in the school's own changes */
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM sync_change "
				       "WHERE via IS NULL AND node != 1"),
			 3 + 2 + 2);
	/* a lost reply: the node took the batch; sent again, taken once */
	activity(b, "Trao quà Trung thu", y);
	srv.drop_next = 1;
	assert_int_equal(cdsync_lan_sync(b, ep, 500, NULL, NULL, &p),
			 CDSYNC_EUNREACHABLE);
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM activity WHERE "
				       "title = 'Trao quà Trung thu'"), 1);
	sync_ok(b, ep, &p);
	sync_ok(a, ep, &p);
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM sync_change "
				       "WHERE via IS NULL AND node != 1"),
			 3 + 2 + 2 + 1);
	assert_int_equal(tu_count(a, "SELECT count(*) FROM activity WHERE "
				     "title = 'Trao quà Trung thu'"), 1);
	/* a batch boundary: 2,500 records go in three requests */
	for (i = 0; i < 2500; i++)
		activity(a, "Hội thao", NULL);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(cdsync_lan_sync(a, ep, 10000, progress, &seen, &p),
			 CDSYNC_OK);
	assert_int_equal(p.sent, 2500);
	assert_true(seen.calls >= 4);
	sync_ok(b, ep, &p);
	assert_int_equal(p.applied, 2500);
	assert_int_equal(tu_count(b, "SELECT count(*) FROM activity"), 2505);
	server_stop(&srv);
	/* the school's next bundle carries the phones' changes up, and a
	 * hub takes it: the phones' records count at the district */
	{
		cdsync *hub = store(d, "h.db", CDSYNC_ROLE_HUB, "HG-VX");
		char out[600], *text = NULL;
		size_t sealed = 0, written = 0, changes = 0;
		long want;

		assert_int_equal(cdsync_keys_export(sch, &text), 0);
		assert_int_equal(cdsync_peer_add(hub, text, 0), 0);
		cdsync_free(text);
		assert_int_equal(cdsync_keys_export(hub, &text), 0);
		assert_int_equal(cdsync_peer_add(sch, text, 1), 0);
		cdsync_free(text);
		snprintf(out, sizeof out, "%s", tu_path(d, "stick"));
		assert_int_equal(mkdir(out, 0700), 0);
		if (cdsync_export(sch, out, &sealed, &written) != 0)
			fail_msg("%s", cdsync_errmsg(sch));
		assert_int_equal(sealed, 1);
		want = tu_count(sch, "SELECT count(*) FROM sync_change");
		{
			char path[1200];
			DIR *dir = opendir(out);
			struct dirent *e;

			assert_non_null(dir);
			while ((e = readdir(dir)) != NULL)
				if (strstr(e->d_name, ".cdsb")) {
					snprintf(path, sizeof path, "%s/%s",
						 out, e->d_name);
					if (cdsync_import_file(hub, path,
							       &changes) != 0)
						fail_msg("%s",
							 cdsync_errmsg(hub));
				}
			closedir(dir);
		}
		assert_int_equal((long)changes, want);
		assert_int_equal(tu_count(hub, "SELECT count(*) FROM activity"),
				 2505);
		assert_string_equal(field(hub, x, "note"), "Bệnh viện huyện");
		cdsync_close(hub);
	}
	cdsync_close(sch);
	cdsync_close(a);
	cdsync_close(b);
	tu_cleanup();
}

static void
test_refusals_and_a_restored_node(void **st)
{
	const char *d = tu_tmpdir();
	cdsync *sch = store(d, "s.db", CDSYNC_ROLE_SCHOOL, SCHOOL);
	cdsync *a = store(d, "a.db", CDSYNC_ROLE_CLIENT, SCHOOL);
	cdsync *c = store(d, "c.db", CDSYNC_ROLE_CLIENT, SCHOOL);
	char ep[600], spath[600], bpath[600];
	cdsync_lan_progress p;
	struct server srv;
	uint8_t *reply = NULL, junk[64];
	size_t len = 0;
	cdsync *back = NULL;

	(void)st;
	snprintf(spath, sizeof spath, "%s", tu_path(d, "s.db"));
	snprintf(bpath, sizeof bpath, "%s", tu_path(d, "backup.db"));
	snprintf(ep, sizeof ep, "ipc://%s", tu_path(d, "lan.sock"));
	pair(sch, a, d, "Điện thoại cô Mỷ");
	/* a device that never paired is told so, and keeps its records */
	assert_int_equal(cdsync_lan_sync(c, ep, 300, NULL, NULL, NULL),
			 CDSYNC_ENOTFOUND);
	/* junk on the socket: a refusal that says where */
	memset(junk, 'x', sizeof junk);
	assert_int_equal(cdsync_lan_answer(sch, junk, sizeof junk, &reply,
					   &len),
			 CDSYNC_EBADINPUT);
	assert_non_null(reply);
	assert_string_equal(cdsync_errmsg(sch), "sync message offset 0: not "
						"this kind of file");
	cdsync_free(reply);
	/* a device's answer asked of a device */
	assert_int_equal(cdsync_lan_answer(a, junk, sizeof junk, &reply,
					   &len),
			 CDSYNC_EINVAL);
	assert_null(reply);
	server_start(&srv, spath, ep);
	activity(a, "Một", NULL);
	sync_ok(a, ep, &p);
	/* the node is backed up here, and the phone goes on */
	assert_int_equal(cdsync_open(bpath, CDSYNC_OPEN_CREATE, &back), 0);
	{
		sqlite3_backup *bk = sqlite3_backup_init(back->db, "main",
							 sch->db, "main");

		assert_non_null(bk);
		assert_int_equal(sqlite3_backup_step(bk, -1), SQLITE_DONE);
		sqlite3_backup_finish(bk);
	}
	cdsync_close(back);
	activity(a, "Hai", NULL);
	activity(sch, "Của trường, sau sao lưu", NULL);
	sync_ok(a, ep, &p);
	assert_int_equal(tu_count(a, "SELECT count(*) FROM activity"), 3);
	server_stop(&srv);
	/* the node's disk dies; it comes back from the backup, which lacks
	 * "Hai" and its own later activity, and records another */
	cdsync_close(sch);
	assert_int_equal(rename(bpath, spath), 0);
	remove(tu_path(d, "s.db-wal"));
	remove(tu_path(d, "s.db-shm"));
	assert_int_equal(cdsync_open(spath, 0, &sch), 0);
	activity(sch, "Của trường, sau khôi phục", NULL);
	activity(sch, "Thêm một", NULL);
	server_start(&srv, spath, ep);
	sync_ok(a, ep, &p);
	/* the phone sent "Hai" again, and pulled from the start */
	assert_int_equal(p.sent, 1);
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM activity WHERE "
				       "title = 'Hai'"), 1);
	assert_int_equal(tu_count(a, "SELECT count(*) FROM activity WHERE "
				     "title = 'Thêm một'"), 1);
	/* unpaired: refused, sealed, with the node's reason */
	assert_int_equal(cdsync_client_revoke(sch, "Điện thoại cô Mỷ"), 0);
	activity(a, "Ba", NULL);
	assert_int_equal(cdsync_lan_sync(a, ep, 5000, NULL, NULL, &p),
			 CDSYNC_EREVOKED);
	assert_non_null(strstr(cdsync_errmsg(a), "the school node refuses "
			       "this device's changes: device Điện thoại cô "
			       "Mỷ (…"));
	assert_int_equal(tu_count(sch, "SELECT count(*) FROM activity WHERE "
				       "title = 'Ba'"), 0);
	assert_int_equal(tu_count(a, "SELECT count(*) FROM activity WHERE "
				     "title = 'Ba'"), 1);
	server_stop(&srv);
	cdsync_close(sch);
	cdsync_close(a);
	cdsync_close(c);
	tu_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_messages_match_their_vectors),
		cmocka_unit_test(test_two_phones_and_their_school_node),
		cmocka_unit_test(test_refusals_and_a_restored_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
