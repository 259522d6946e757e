/* tusheader_fuzz.c -- the tus header parsers of daemon/hubhttp.h on
 * arbitrary text.  The first byte picks the parser (mod 4), the rest is
 * the header value:
 *   0 Upload-Offset / Upload-Length: a number parsed prints back the same
 *     digits (without leading zeros) and is at most INT64_MAX;
 *   1 Upload-Metadata: a header that checks gives every key's value, and
 *     the pairs added again with cds_tus_meta_add make a header that
 *     checks and gives the same values; a refusal says why;
 *   2 Upload-Checksum: a checksum parsed encodes back to the same text;
 *   3 lookup: "key\nheader" with a small buffer never overruns it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cdsync/cdsync.h"
#include "hubhttp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
numbers(const char *s)
{
	char back[32];
	uint64_t v;

	if (cds_tus_parse_u64(s, &v) != CDSYNC_OK)
		return;
	if (v > INT64_MAX)
		abort();
	while (s[0] == '0' && s[1] != '\0')
		s++;
	snprintf(back, sizeof back, "%llu", (unsigned long long)v);
	if (strcmp(back, s) != 0)
		abort();
}

static void
metadata(const char *s)
{
	static uint8_t v1[CDS_TUS_METAMAX], v2[CDS_TUS_METAMAX];
	static char again[CDS_TUS_METAMAX + 1], key[CDS_TUS_METAKEYMAX + 1];
	char err[256] = "";
	const char *p = s, *e;
	size_t n1, n2, k;

	if (cds_tus_meta_check(s, err, sizeof err) != CDSYNC_OK) {
		if (err[0] == '\0')
			abort(); /* a refusal says why */
		return;
	}
	again[0] = '\0';
	while (*s != '\0' && p != NULL) {
		while (*p == ' ' || *p == '\t')
			p++;
		k = strcspn(p, " \t,");
		if (k == 0 || k > CDS_TUS_METAKEYMAX)
			abort(); /* checked: every pair has a key */
		memcpy(key, p, k);
		key[k] = '\0';
		if (cds_tus_meta_get(s, key, v1, sizeof v1, &n1) !=
			    CDSYNC_OK ||
		    cds_tus_meta_add(again, sizeof again, key, v1, n1) !=
			    CDSYNC_OK)
			abort();
		e = strchr(p, ',');
		p = e ? e + 1 : NULL;
	}
	if (cds_tus_meta_check(again, err, sizeof err) != CDSYNC_OK)
		abort();
	/* same values by key (the first of each key) */
	p = again;
	while (*again != '\0' && p != NULL) {
		k = strcspn(p, " ,");
		memcpy(key, p, k);
		key[k] = '\0';
		if (cds_tus_meta_get(s, key, v1, sizeof v1, &n1) !=
			    CDSYNC_OK ||
		    cds_tus_meta_get(again, key, v2, sizeof v2, &n2) !=
			    CDSYNC_OK ||
		    n1 != n2 || memcmp(v1, v2, n1) != 0) /* not secret */
			abort();
		e = strchr(p, ',');
		p = e ? e + 1 : NULL;
	}
}

static void
checksum(const char *s)
{
	uint8_t sum[20];
	char err[256] = "", back[40];

	if (cds_tus_parse_checksum(s, sum, err, sizeof err) != CDSYNC_OK) {
		if (err[0] == '\0')
			abort();
		return;
	}
	memcpy(back, "sha1 ", 5);
	sodium_bin2base64(back + 5, sizeof back - 5, sum, sizeof sum,
			  sodium_base64_VARIANT_ORIGINAL);
	if (strcmp(back, s) != 0)
		abort();
}

static void
lookup(char *s)
{
	uint8_t v[17];
	char *nl = strchr(s, '\n');
	size_t n = 99;

	if (nl == NULL)
		return;
	*nl = '\0';
	v[16] = 0xa5;
	if (cds_tus_meta_get(nl + 1, s, v, 16, &n) == CDSYNC_OK && n > 16)
		abort();
	if (v[16] != 0xa5)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size == 0 || (s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		numbers(s);
		break;
	case 1:
		metadata(s);
		break;
	case 2:
		checksum(s);
		break;
	default:
		lookup(s);
		break;
	}
	free(s);
	return 0;
}
