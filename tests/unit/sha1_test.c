/* sha1_test.c -- SHA-1 (daemon/sha1.h) against the FIPS 180-4 examples
 * (NIST "Cryptographic Algorithm Validation" SHA-1 samples) and split
 * updates of every shape. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha1.h"

static const char *
hex(const uint8_t d[CDS_SHA1_BYTES])
{
	static char s[2 * CDS_SHA1_BYTES + 1];
	size_t i;

	for (i = 0; i < CDS_SHA1_BYTES; i++)
		snprintf(s + 2 * i, 3, "%02x", d[i]);
	return s;
}

static const char *
digest(const char *msg)
{
	uint8_t d[CDS_SHA1_BYTES];

	cds_sha1(msg, strlen(msg), d);
	return hex(d);
}

static void
test_abc_is_the_fips_one_block_example(void **state)
{
	(void)state;
	assert_string_equal(digest("abc"),
			    "a9993e364706816aba3e25717850c26c9cd0d89d");
}

static void
test_448_bit_message_is_the_fips_two_block_example(void **state)
{
	(void)state;
	assert_string_equal(digest("abcdbcdecdefdefgefghfghighijhijkijkljk"
				   "lmklmnlmnomnopnopq"),
			    "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

static void
test_896_bit_message(void **state)
{
	(void)state;
	assert_string_equal(digest("abcdefghbcdefghicdefghijdefghijkefghijkl"
				   "fghijklmghijklmnhijklmnoijklmnopjklmnopq"
				   "klmnopqrlmnopqrsmnopqrstnopqrstu"),
			    "a49b2446a02c645bf419f995b67091253a04a259");
}

static void
test_empty_message(void **state)
{
	(void)state;
	assert_string_equal(digest(""),
			    "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

static void
test_a_million_a_in_one_update_and_in_pieces(void **state)
{
	static const size_t sizes[] = { 1, 3, 55, 56, 63, 64, 65, 127, 1000 };
	struct cds_sha1 c;
	uint8_t d[CDS_SHA1_BYTES];
	char *m = malloc(1000000);
	size_t off, n, i = 0;

	(void)state;
	assert_non_null(m);
	memset(m, 'a', 1000000);
	cds_sha1(m, 1000000, d);
	assert_string_equal(hex(d),
			    "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	cds_sha1_init(&c);
	for (off = 0; off < 1000000; off += n) {
		n = sizes[i++ % (sizeof sizes / sizeof sizes[0])];
		if (n > 1000000 - off)
			n = 1000000 - off;
		cds_sha1_update(&c, m + off, n);
	}
	cds_sha1_final(&c, d);
	assert_string_equal(hex(d),
			    "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	free(m);
}

static void
test_every_split_of_a_message_around_the_padding_edge(void **state)
{
	uint8_t msg[130], whole[CDS_SHA1_BYTES], part[CDS_SHA1_BYTES];
	struct cds_sha1 c;
	size_t len, cut;

	(void)state;
	for (len = 0; len < sizeof msg; len++)
		msg[len] = (uint8_t)(len * 7 + 1);
	for (len = 0; len <= sizeof msg; len++) {
		cds_sha1(msg, len, whole);
		for (cut = 0; cut <= len; cut++) {
			cds_sha1_init(&c);
			cds_sha1_update(&c, msg, cut);
			cds_sha1_update(&c, msg + cut, 0);
			cds_sha1_update(&c, msg + cut, len - cut);
			cds_sha1_final(&c, part);
			assert_memory_equal(whole, part, sizeof whole);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abc_is_the_fips_one_block_example),
		cmocka_unit_test(test_448_bit_message_is_the_fips_two_block_example),
		cmocka_unit_test(test_896_bit_message),
		cmocka_unit_test(test_empty_message),
		cmocka_unit_test(test_a_million_a_in_one_update_and_in_pieces),
		cmocka_unit_test(test_every_split_of_a_message_around_the_padding_edge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
