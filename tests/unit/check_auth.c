/* Unit tests of the authenticators (agent/auth.c).  Expected values come from
 * independent tools: Python's hmac module and `openssl dgst -md5`. */
#include "config.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "auth.h"
#include "wire.h"

static const uint8_t key[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

/* Registration Request, flags 0x42 (B, T), lifetime 1800, home 192.0.2.100,
 * HA 198.51.100.1, CoA 198.51.100.2, id e5f0a1b200000001, then the MN-HA
 * extension header (type 32, length 20, SPI 0x100).  tshark:
 * mip.type 1, mip.flags 0x42, mip.life 1800, mip.ext.type 32, mip.ext.len 20,
 * mip.auth.spi 0x00000100, mip.auth.auth b66af38541e4a7c0cc13005f5fc065e4 */
static const char *msg_hex = "01420708c0000264c6336401c6336402e5f0a1b200000001201400000100";

static void hex(const char *s, uint8_t *out, size_t n)
{
	ck_assert_int_eq(mip_key_from_hex(s, out, n), (int)n);
}

static void check_alg(enum mip_auth_alg alg, const char *expect_hex)
{
	uint8_t msg[30], out[16], expect[16];

	hex(msg_hex, msg, sizeof(msg));
	hex(expect_hex, expect, sizeof(expect));
	ck_assert_int_eq(mip_auth_compute(alg, key, sizeof(key), msg, 24, 6, out), 0);
	ck_assert_mem_eq(out, expect, 16);
}

START_TEST(test_hmac_md5_vector)
{
	/* python3: hmac.new(key, msg, hashlib.md5) */
	check_alg(MIP_AUTH_HMAC_MD5, "b66af38541e4a7c0cc13005f5fc065e4");
}
END_TEST

START_TEST(test_keyed_md5_vector)
{
	/* openssl dgst -md5 over key || msg (through the SPI) || key */
	check_alg(MIP_AUTH_KEYED_MD5, "92e20010429928bcd1935050cffb714e");
}
END_TEST

START_TEST(test_keyed_md5_rfc2002_vector)
{
	/* openssl dgst -md5 over key || msg (through type and length only) || key */
	check_alg(MIP_AUTH_KEYED_MD5_RFC2002, "5fd55a629de577cfa8b9b10a63ce4cdb");
}
END_TEST

/* Build, sign, parse and verify; then any changed byte must fail. */
static void check_roundtrip(enum mip_auth_alg alg)
{
	struct mip_reg_request rq = { .flags = MIP_RRQ_T, .lifetime = 600, .id = 42 };
	struct mip_reg_request parsed;
	struct mip_buf b;

	rq.hoa.s_addr = htonl(0xc0000264);
	rq.ha.s_addr = htonl(0xc6336401);
	rq.coa.s_addr = htonl(0xcb007101);
	ck_assert_int_eq(mip_buf_init(&b, 64), 0);
	mip_build_request(&b, &rq);
	mip_build_nai(&b, (const uint8_t *)"mn@example.net", 14);
	ck_assert_int_eq(mip_auth_append(&b, MIP_EXT_MN_HA, 0, 300, alg, key, sizeof(key)), 0);
	ck_assert_int_eq(mip_parse_request(b.data, b.len, &parsed), MIP_PARSE_OK);
	ck_assert(mip_auth_verify(alg, key, sizeof(key), b.data, &parsed.ext.mn_ha));
	for (size_t i = 0; i < b.len; i++) {
		b.data[i] ^= 0x01;
		if (mip_parse_request(b.data, b.len, &parsed) == MIP_PARSE_OK && parsed.ext.mn_ha.present) {
			/* RFC 2002 keyed MD5 does not cover the SPI bytes */
			bool spi_byte = alg == MIP_AUTH_KEYED_MD5_RFC2002 &&
					i >= parsed.ext.mn_ha.start + 2 && i < parsed.ext.mn_ha.start + 6;

			if (!spi_byte)
				ck_assert_msg(!mip_auth_verify(alg, key, sizeof(key), b.data, &parsed.ext.mn_ha),
					      "byte %zu changed but still verifies", i);
		}
		b.data[i] ^= 0x01;
	}
	/* a different key fails */
	{
		uint8_t other[16];

		memcpy(other, key, sizeof(other));
		other[15] ^= 0x80;
		mip_parse_request(b.data, b.len, &parsed);
		ck_assert(!mip_auth_verify(alg, other, sizeof(other), b.data, &parsed.ext.mn_ha));
	}
	mip_buf_free(&b);
}

START_TEST(test_roundtrip_hmac) { check_roundtrip(MIP_AUTH_HMAC_MD5); }
END_TEST
START_TEST(test_roundtrip_keyed) { check_roundtrip(MIP_AUTH_KEYED_MD5); }
END_TEST
START_TEST(test_roundtrip_rfc2002) { check_roundtrip(MIP_AUTH_KEYED_MD5_RFC2002); }
END_TEST

START_TEST(test_mn_aaa_long_format)
{
	struct mip_reg_request rq = { .lifetime = 10 }, parsed;
	struct mip_buf b;

	ck_assert_int_eq(mip_buf_init(&b, 64), 0);
	mip_build_request(&b, &rq);
	ck_assert_int_eq(mip_auth_append(&b, MIP_EXT_GEN_AUTH, MIP_GEN_AUTH_MN_AAA, 0x1234,
					 MIP_AUTH_HMAC_MD5, key, sizeof(key)), 0);
	ck_assert_int_eq(b.len, 24 + 8 + 16);
	ck_assert_int_eq(mip_parse_request(b.data, b.len, &parsed), MIP_PARSE_OK);
	ck_assert(parsed.ext.mn_aaa.present);
	ck_assert_int_eq(parsed.ext.mn_aaa.hdr_len, 8);
	ck_assert(mip_auth_verify(MIP_AUTH_HMAC_MD5, key, sizeof(key), b.data, &parsed.ext.mn_aaa));
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_verify_rejects_short_authenticator)
{
	struct mip_ext_auth e = { .present = true, .auth_len = 8 };
	uint8_t msg[40] = { 0 };

	e.authenticator = msg + 30;
	ck_assert(!mip_auth_verify(MIP_AUTH_HMAC_MD5, key, sizeof(key), msg, &e));
	e.present = false;
	ck_assert(!mip_auth_verify(MIP_AUTH_HMAC_MD5, key, sizeof(key), msg, &e));
}
END_TEST

START_TEST(test_names_and_keys)
{
	enum mip_auth_alg a;
	enum mip_replay r;
	uint8_t k[4];

	ck_assert_int_eq(mip_auth_alg_parse("rfc2002-md5", &a), 0);
	ck_assert_int_eq(a, MIP_AUTH_KEYED_MD5_RFC2002);
	ck_assert_str_eq(mip_auth_alg_name(MIP_AUTH_KEYED_MD5), "keyed-md5");
	ck_assert_int_eq(mip_auth_alg_parse("md4", &a), -1);
	ck_assert_int_eq(mip_replay_parse("nonces", &r), 0);
	ck_assert_int_eq(r, MIP_REPLAY_NONCES);
	ck_assert_int_eq(mip_replay_parse("never", &r), -1);
	ck_assert_int_eq(mip_key_from_hex("0xDEADbeef", k, sizeof(k)), 4);
	ck_assert_int_eq(k[0], 0xde);
	ck_assert_int_eq(mip_key_from_hex("abc", k, sizeof(k)), -1);
	ck_assert_int_eq(mip_key_from_hex("", k, sizeof(k)), -1);
	ck_assert_int_eq(mip_key_from_hex("zz", k, sizeof(k)), -1);
	ck_assert_int_eq(mip_key_from_hex("0011223344", k, sizeof(k)), -1);
}
END_TEST

/* Prepared keys are cached by their bytes: alternating keys, keys of the
 * lengths HMAC treats apart (none, one block, longer: hashed first) and keys
 * too long to cache must all give python3's hmac.new(key, msg, md5). */
START_TEST(test_hmac_key_cache)
{
	static const struct {
		size_t len;
		const char *expect;
	} cases[] = {
		{ 16, "b66af38541e4a7c0cc13005f5fc065e4" },     /* key */
		{ 16, "702fac54c7d5e1a04093b475c2050afa" },     /* key, last byte ^ 0x80 */
		{ 100, "bd3662f753ef5130f1270611fca249b8" },    /* bytes 0..99 */
		{ 0, "366876a96becef6401819bf7ea68f65d" },
		{ 64, "1674c35ab0ec84fe5b65310999385d78" },     /* bytes 0..63 */
		{ 65, "a34c54a90506b119851700f03d3374c7" },     /* bytes 0..64 */
	};
	uint8_t msg[30], out[16], expect[16], k[100];

	hex(msg_hex, msg, sizeof(msg));
	for (int round = 0; round < 3; round++)
		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			if (c < 2) {
				memcpy(k, key, sizeof(key));    /* the same bytes in another buffer */
				if (c == 1)
					k[15] ^= 0x80;
			} else {
				for (size_t i = 0; i < sizeof(k); i++)
					k[i] = (uint8_t)i;
			}
			hex(cases[c].expect, expect, sizeof(expect));
			ck_assert_int_eq(mip_auth_compute(MIP_AUTH_HMAC_MD5, k, cases[c].len, msg, 24, 6, out), 0);
			ck_assert_msg(memcmp(out, expect, 16) == 0, "key %zu, round %d", c, round);
		}
}
END_TEST

START_TEST(test_random)
{
	uint8_t a[16] = { 0 }, b[16] = { 0 };

	ck_assert_int_eq(mip_random(a, sizeof(a)), 0);
	ck_assert_int_eq(mip_random(b, sizeof(b)), 0);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_hmac_md5_vector);
	tcase_add_test(tc, test_keyed_md5_vector);
	tcase_add_test(tc, test_keyed_md5_rfc2002_vector);
	tcase_add_test(tc, test_roundtrip_hmac);
	tcase_add_test(tc, test_roundtrip_keyed);
	tcase_add_test(tc, test_roundtrip_rfc2002);
	tcase_add_test(tc, test_mn_aaa_long_format);
	tcase_add_test(tc, test_verify_rejects_short_authenticator);
	tcase_add_test(tc, test_names_and_keys);
	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_hmac_key_cache);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
