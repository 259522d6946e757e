/* id.h -- row ids (SPEC.md "Row ids").
 *
 * A row id is 16 bytes: the first 6 are milliseconds since the Unix epoch
 * (big-endian), then 10 random bytes, with the UUID version 7 and variant
 * bits set (RFC 9562), so ids made anywhere never collide in practice and
 * ids made later sort later (B-tree inserts stay at the right edge).
 * Derived ids (version 8) are a hash of two ids, for rows whose identity is
 * the pair (a beneficiary is one member in one activity).
 */
#ifndef CDS_ID_H
#define CDS_ID_H

#include <stdint.h>

#define CDS_ID_BYTES 16

/* A new time-ordered id from the clock and libsodium's randombytes. */
void cds_id_new(uint8_t out[16]);
/* The same from given parts (tests and vectors). */
void cds_id_make(uint64_t ms, const uint8_t rnd[10], uint8_t out[16]);
/* The derived id of the pair (a, b) under a domain string. */
void cds_id_derive(const char *domain, const uint8_t a[16],
		   const uint8_t b[16], uint8_t out[16]);
/* The derived id of a name (an org unit's code) under a domain string:
 * every node computes the same id for the same code. */
void cds_id_name(const char *domain, const char *name, uint8_t out[16]);
/* 32 lowercase hex digits and a NUL. */
void cds_id_hex(const uint8_t id[16], char out[33]);
/* Parses exactly 32 hex digits (either case); -1 if not. */
int cds_id_parse(const char *hex, uint8_t out[16]);
/* The order of two ids (16 bytes each, not secret), as qsort and
 * bsearch take it. */
int cds_id_order(const void *a, const void *b);

#endif
