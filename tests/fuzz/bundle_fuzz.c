/* bundle_fuzz.c -- the bundle reader (SPEC.md §7) on arbitrary bytes.
 *
 * Runs cds_bundle_head, and when it accepts, cds_bundle_verify and
 * cds_bundle_open as recipients A and B of tests/vectors/bundle.vec
 * (X25519 keys from the seeds 20..3f and 40..5f), so that the corpus'
 * valid bundles reach the key, the AEAD and zstd.  Invariants, checked
 * with abort():
 *   - nothing crashes, and every refusal has a code of its step and a
 *     message;
 *   - head accepts only exactly head_len + 64 + cipher_len bytes, with
 *     the caps of bundle.h;
 *   - a successful open gives h.plain_len bytes (all read here, so that
 *     ASan sees a short buffer); a failed one gives NULL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "alloc.h"
#include "bundle.h"
#include "cdsync/cdsync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t pk[2][CDS_BOX_PKBYTES], sk[2][CDS_BOX_SKBYTES];
static int ready;

static void
setup(void)
{
	uint8_t seed[32];
	int k, i;

	if (sodium_init() < 0)
		abort();
	for (k = 0; k < 2; k++) {
		for (i = 0; i < 32; i++)
			seed[i] = (uint8_t)(0x20 + 0x20 * k + i);
		crypto_box_seed_keypair(pk[k], sk[k], seed);
	}
	ready = 1;
}

static void
opens(const uint8_t *data, size_t size, const struct cds_bundle_head *h,
      int k)
{
	static uint8_t sentinel;
	uint8_t *p = &sentinel, sum[32];
	char err[256] = "";
	int rc;

	rc = cds_bundle_open(data, size, h, pk[k], sk[k], &p, err,
			     sizeof err);
	if (rc != CDSYNC_OK) {
		if (p != NULL || err[0] == '\0' ||
		    (rc != CDSYNC_ENOTRECIPIENT && rc != CDSYNC_EDECRYPT &&
		     rc != CDSYNC_ENOMEM))
			abort();
		return;
	}
	if (p == NULL || h->plain_len > CDS_BUNDLE_MAX_PLAIN)
		abort();
	/* reads every one of the plain_len bytes */
	crypto_generichash(sum, sizeof sum, p, (size_t)h->plain_len, NULL, 0);
	sodium_memzero(p, (size_t)h->plain_len);
	cds_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cds_bundle_head h;
	char err[256] = "";
	int rc;

	if (!ready)
		setup();
	rc = cds_bundle_head(data, size, &h, err, sizeof err);
	if (rc != CDSYNC_OK) {
		if (rc != CDSYNC_EBADBUNDLE || err[0] == '\0' ||
		    h.head_len != 0 || h.nrcpt != 0)
			abort();
		return 0;
	}
	if (h.version != CDS_BUNDLE_VERSION || h.nrcpt < 1 ||
	    h.nrcpt > CDS_BUNDLE_MAX_RCPT ||
	    h.head_len != 210 + 112 * (size_t)h.nrcpt || h.seq == 0 ||
	    h.cipher_len < 16 || h.plain_len > CDS_BUNDLE_MAX_PLAIN ||
	    h.count > CDS_BUNDLE_MAX_CHANGES ||
	    size > CDS_BUNDLE_MAX_BYTES ||
	    h.cipher_len > size || size != h.head_len + 64 + h.cipher_len)
		abort();
	rc = cds_bundle_verify(data, size, &h, err, sizeof err);
	if (rc != CDSYNC_OK && (rc != CDSYNC_EBADSIG || err[0] == '\0'))
		abort();
	/* open does not rely on verify: try it either way */
	opens(data, size, &h, 0);
	opens(data, size, &h, 1);
	return 0;
}
