/* sha1.h -- SHA-1 (FIPS 180-4 section 6.1), for the tus checksum
 * extension only.
 *
 * tus 1.0 names its checksums by algorithm and every tus server and client
 * knows "sha1"; libsodium has no SHA-1, hence this module.  SHA-1 is
 * broken against collisions: it detects bytes damaged on the way, never
 * tampering.  Bundles carry their own signatures and SHA-256 for that.
 *
 * Use: cds_sha1_init, any number of cds_sha1_update, cds_sha1_final (or
 * cds_sha1 for one buffer).  The state is plain data on the caller's
 * stack; no allocation, no global state, safe in any thread.
 */
#ifndef CDS_SHA1_H
#define CDS_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define CDS_SHA1_BYTES 20

struct cds_sha1 {
	uint32_t h[5];	   /* chaining value H0..H4 */
	uint64_t nbytes;   /* message length so far, in bytes */
	uint8_t buf[64];   /* a partial block */
	size_t nbuf;	   /* bytes used in buf, < 64 */
};

void cds_sha1_init(struct cds_sha1 *c);
void cds_sha1_update(struct cds_sha1 *c, const void *data, size_t len);
/* Writes the digest and wipes the state (init it again to reuse it). */
void cds_sha1_final(struct cds_sha1 *c, uint8_t out[CDS_SHA1_BYTES]);
/* The digest of one buffer. */
void cds_sha1(const void *data, size_t len, uint8_t out[CDS_SHA1_BYTES]);

#endif
