/* id.c -- see id.h and SPEC.md "Row ids". */
#include "id.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

void
cds_id_make(uint64_t ms, const uint8_t rnd[10], uint8_t out[16])
{
	int i;

	for (i = 0; i < 6; i++)
		out[i] = (uint8_t)(ms >> (8 * (5 - i)));
	memcpy(out + 6, rnd, 10);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x70);	/* version 7 */
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);	/* variant 10 */
}

void
cds_id_new(uint8_t out[16])
{
	struct timespec ts;
	uint8_t rnd[10];
	uint64_t ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	randombytes_buf(rnd, sizeof rnd);
	cds_id_make(ms, rnd, out);
}

void
cds_id_derive(const char *domain, const uint8_t a[16], const uint8_t b[16],
	      uint8_t out[16])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 16);
	crypto_generichash_update(&st, (const uint8_t *)domain,
				  strlen(domain) + 1);
	crypto_generichash_update(&st, a, 16);
	crypto_generichash_update(&st, b, 16);
	crypto_generichash_final(&st, out, 16);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x80);	/* version 8 */
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

void
cds_id_name(const char *domain, const char *name, uint8_t out[16])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 16);
	crypto_generichash_update(&st, (const uint8_t *)domain,
				  strlen(domain) + 1);
	crypto_generichash_update(&st, (const uint8_t *)name, strlen(name));
	crypto_generichash_final(&st, out, 16);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x80);	/* version 8 */
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

void
cds_id_hex(const uint8_t id[16], char out[33])
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 16; i++) {
		out[2 * i] = hx[id[i] >> 4];
		out[2 * i + 1] = hx[id[i] & 15];
	}
	out[32] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
cds_id_parse(const char *hex, uint8_t out[16])
{
	uint8_t tmp[16];
	size_t i;
	int hi, lo;

	for (i = 0; i < 16; i++) {
		if ((hi = hexval(hex[2 * i])) < 0 ||
		    (lo = hexval(hex[2 * i + 1])) < 0)
			return -1;
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	if (hex[32] != '\0')
		return -1;
	memcpy(out, tmp, 16);
	return 0;
}

int
cds_id_order(const void *a, const void *b)
{
	return memcmp(a, b, CDS_ID_BYTES); /* not secret */
}
