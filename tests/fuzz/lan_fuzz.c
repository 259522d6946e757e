/* lan_fuzz.c -- the LAN sync readers (SPEC.md "LAN sync") on arbitrary
 * bytes: the envelope, and the plaintexts of a request and a reply.
 * Invariants: what reads back writes again to the same bytes (one
 * encoding per message); a box opens under no key but the one it was
 * made with (here: the input under an all-zero key either fails or is
 * re-sealed to the same bytes); nothing reads past the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "lan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same(const cds_buf *b, const uint8_t *p, size_t n)
{
	if (b->rc != 0 || b->n != n || memcmp(b->p, p, n) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32];
	struct cds_lan_env e;
	struct cds_lan_req q;
	struct cds_lan_rep r;
	uint8_t *plain = NULL;
	size_t n = 0;
	char err[256];
	cds_buf b;

	cds_buf_init(&b, CDS_LAN_MAX);
	if (cds_lan_env_read(data, size, &e, err, sizeof err) == 0) {
		if (e.type == CDS_LAN_REFUSAL) {
			cds_lan_refusal_write(&b, e.code, e.message);
			same(&b, data, size);
		} else if (cds_lan_open(&e, key, &plain, &n) == 0) {
			cds_lan_seal(&b, e.type, e.client, e.node_box, e.nonce,
				     key, plain, n, NULL);
			same(&b, data, size);
			cds_free(plain);
		}
	}
	cds_buf_reset(&b);
	if (cds_lan_req_read(data, size, &q, err, sizeof err) == 0) {
		if (q.plen == 0 || q.payload + q.plen != data + size)
			abort();
		cds_lan_req_write(&b, &q);
		same(&b, data, size);
	}
	cds_buf_reset(&b);
	if (cds_lan_rep_read(data, size, &r, err, sizeof err) == 0) {
		if (r.plen == 0 || r.payload + r.plen != data + size)
			abort();
		cds_lan_rep_write(&b, &r);
		same(&b, data, size);
	}
	cds_buf_free(&b);
	return 0;
}
