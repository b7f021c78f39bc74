/* Unit tests of the Agent Advertisement / Solicitation codec (adv_wire.c)
 * and the foreign agent's message helpers (fa_msg.c), on byte vectors whose
 * Wireshark dissection is quoted beside them. */
#include "config.h"
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "adv_wire.h"
#include "fa_msg.h"
#include "wire.h"

static struct in_addr A(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

/*
 * tshark 4.0.17 (text2pcap, raw IP, 203.0.113.1 -> 224.0.0.1):
 *   Type: 9 (Mobile IP Advertisement)   Code: 16 (Does not route common traffic)
 *   Checksum: 0xa876 [correct]   Number of addresses: 1   Address entry size: 2
 *   Lifetime: 1800 (30 minutes)   Router address: 203.0.113.1   Preference level: 0
 *   Ext: Mobility Agent Advertisement Extension  Length: 10  Sequence Number: 7
 *        Registration Lifetime: 600  Flags: 0x9100, Registration Required, Foreign Agent,
 *        Reverse tunneling   Care-Of-Address: 203.0.113.1
 *   Ext: Prefix Lengths Extension  Length: 1  Prefix Length: 24
 *   Ext: One byte padding extension
 */
static const uint8_t fa_adv[] = {
	0x09, 0x10, 0xa8, 0x76, 0x01, 0x02, 0x07, 0x08,
	0xcb, 0x00, 0x71, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x10, 0x0a, 0x00, 0x07, 0x02, 0x58, 0x91, 0x00, 0xcb, 0x00, 0x71, 0x01,
	0x13, 0x01, 0x18,
	0x00,
};

/*
 *   Type: 9  Code: 16  Checksum: 0xb915 [correct]  Number of addresses: 0
 *   Address entry size: 2  Lifetime: 30 (30 seconds)
 *   Ext: Mobility Agent Advertisement Extension  Length: 6  Sequence Number: 256
 *        Registration Lifetime: 180  Flags: 0x2c00, Home Agent, Minimal Encapsulation, GRE
 */
static const uint8_t ha_adv[] = {
	0x09, 0x10, 0xb9, 0x15, 0x00, 0x02, 0x00, 0x1e,
	0x10, 0x06, 0x01, 0x00, 0x00, 0xb4, 0x2c, 0x00,
};

/*   Type: 10 (Router solicitation)  Code: 0  Checksum: 0xf5ff [correct] */
static const uint8_t sol[] = { 0x0a, 0x00, 0xf5, 0xff, 0x00, 0x00, 0x00, 0x00 };

START_TEST(test_parse_fa_adv)
{
	struct mip_agent_adv a;

	ck_assert_int_eq(mip_adv_parse(fa_adv, sizeof(fa_adv), &a), MIP_ADV_PARSE_OK);
	ck_assert_uint_eq(a.code, 16);
	ck_assert_uint_eq(a.lifetime, 1800);
	ck_assert_uint_eq(a.n_addrs, 1);
	ck_assert_uint_eq(a.addrs[0].addr.s_addr, A("203.0.113.1").s_addr);
	ck_assert_int_eq(a.addrs[0].preference, 0);
	ck_assert(a.mobility);
	ck_assert_uint_eq(a.seq, 7);
	ck_assert_uint_eq(a.reg_lifetime, 600);
	ck_assert_uint_eq(a.flags, MIP_ADV_R | MIP_ADV_F | MIP_ADV_T);
	ck_assert_uint_eq(a.n_coas, 1);
	ck_assert_uint_eq(a.coas[0].s_addr, A("203.0.113.1").s_addr);
	ck_assert(a.prefix_lengths);
	ck_assert_uint_eq(a.n_prefix_lengths, 1);
	ck_assert_uint_eq(a.prefix_len[0], 24);
	ck_assert_uint_eq(a.n_pad, 1);
	ck_assert_uint_eq(a.len, sizeof(fa_adv));
}
END_TEST

START_TEST(test_build_fa_adv)
{
	struct mip_agent_adv a = {
		.code = 16, .lifetime = 1800, .n_addrs = 1, .seq = 7, .reg_lifetime = 600,
		.flags = MIP_ADV_R | MIP_ADV_F | MIP_ADV_T, .n_coas = 1, .prefix_lengths = true,
		.n_prefix_lengths = 1, .prefix_len = { 24 },
	};
	struct mip_buf b;

	a.addrs[0].addr = A("203.0.113.1");
	a.coas[0] = A("203.0.113.1");
	ck_assert_int_eq(mip_buf_init(&b, 16), 0);
	ck_assert_int_eq(mip_adv_build(&b, &a), 0);
	ck_assert_uint_eq(b.len, sizeof(fa_adv));
	ck_assert_mem_eq(b.data, fa_adv, sizeof(fa_adv));
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_ha_adv_roundtrip)
{
	struct mip_agent_adv a, back;
	struct mip_buf b;

	ck_assert_int_eq(mip_adv_parse(ha_adv, sizeof(ha_adv), &a), MIP_ADV_PARSE_OK);
	ck_assert_uint_eq(a.n_addrs, 0);
	ck_assert_uint_eq(a.n_coas, 0);
	ck_assert_uint_eq(a.seq, 256);
	ck_assert_uint_eq(a.flags, MIP_ADV_H | MIP_ADV_M | MIP_ADV_G);
	ck_assert(!a.prefix_lengths);
	ck_assert_uint_eq(a.n_pad, 0);
	ck_assert_int_eq(mip_buf_init(&b, 8), 0);
	ck_assert_int_eq(mip_adv_build(&b, &a), 0);
	ck_assert_mem_eq(b.data, ha_adv, sizeof(ha_adv));
	ck_assert_int_eq(mip_adv_parse(b.data, b.len, &back), MIP_ADV_PARSE_OK);
	ck_assert_uint_eq(back.flags, a.flags);
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_many_coas)
{
	struct mip_agent_adv a = { .code = 0, .lifetime = 30, .n_coas = MIP_ADV_MAX_COAS }, back;
	struct mip_buf b;

	for (unsigned i = 0; i < a.n_coas; i++)
		a.coas[i].s_addr = htonl(0xcb007100 + i);
	ck_assert_int_eq(mip_buf_init(&b, 8), 0);
	ck_assert_int_eq(mip_adv_build(&b, &a), 0);
	ck_assert_uint_eq(b.len % 2, 0);
	ck_assert_int_eq(mip_adv_parse(b.data, b.len, &back), MIP_ADV_PARSE_OK);
	ck_assert_uint_eq(back.n_coas, MIP_ADV_MAX_COAS);
	ck_assert_uint_eq(back.coas[31].s_addr, htonl(0xcb00711f));
	/* one more than the builder takes */
	a.n_coas = MIP_ADV_MAX_COAS + 1;
	mip_buf_reset(&b);
	ck_assert_int_eq(mip_adv_build(&b, &a), -1);
	ck_assert(!mip_buf_ok(&b));
	mip_buf_free(&b);
}
END_TEST

/* fa_adv with byte @off set to @v and the checksum recomputed (unless @keep_sum). */
static enum mip_adv_parse_result parse_changed(size_t off, uint8_t v, bool keep_sum,
					       struct mip_agent_adv *a)
{
	uint8_t p[sizeof(fa_adv)];

	memcpy(p, fa_adv, sizeof(p));
	p[off] = v;
	if (!keep_sum) {
		p[2] = p[3] = 0;
		mip_set_u16(p + 2, mip_icmp_checksum(p, sizeof(p)));
	}
	return mip_adv_parse(p, sizeof(p), a);
}

START_TEST(test_parse_errors)
{
	struct mip_agent_adv a;

	ck_assert_int_eq(mip_adv_parse(fa_adv, 7, &a), MIP_ADV_PARSE_SHORT);
	ck_assert_int_eq(mip_adv_parse(sol, sizeof(sol), &a), MIP_ADV_PARSE_SHORT);
	/* checksum no longer matches */
	ck_assert_int_eq(parse_changed(9, 1, true, &a), MIP_ADV_PARSE_CHECKSUM);
	/* extension 16 runs past the end; 6 + 4N: 8 is not */
	ck_assert_int_eq(parse_changed(17, 18, false, &a), MIP_ADV_PARSE_MALFORMED);
	ck_assert_int_eq(parse_changed(17, 8, false, &a), MIP_ADV_PARSE_MALFORMED);
	/* address entry size below 2; addresses past the end */
	ck_assert_int_eq(parse_changed(5, 1, false, &a), MIP_ADV_PARSE_MALFORMED);
	ck_assert_int_eq(parse_changed(4, 5, false, &a), MIP_ADV_PARSE_MALFORMED);
	/* unknown extension 0-127: discard (RFC 5944 §1.8); 128-255: skipped */
	ck_assert_int_eq(parse_changed(28, 50, false, &a), MIP_ADV_PARSE_UNKNOWN_EXT);
	ck_assert_int_eq(parse_changed(28, 200, false, &a), MIP_ADV_PARSE_OK);
	ck_assert_uint_eq(a.n_skipped, 1);
	ck_assert(!a.prefix_lengths);
	/* no extension 16: a plain router advertisement */
	ck_assert_int_eq(parse_changed(16, 200, false, &a), MIP_ADV_PARSE_NOT_AGENT);
}
END_TEST

START_TEST(test_solicitation)
{
	struct mip_buf b;
	uint8_t bad[sizeof(sol)];

	ck_assert(mip_sol_parse(sol, sizeof(sol)));
	ck_assert(!mip_sol_parse(sol, 7));
	memcpy(bad, sol, sizeof(sol));
	bad[1] = 1;                                      /* code must be 0 */
	ck_assert(!mip_sol_parse(bad, sizeof(bad)));
	ck_assert(!mip_sol_parse(fa_adv, sizeof(fa_adv)));
	ck_assert_int_eq(mip_buf_init(&b, 4), 0);
	mip_sol_build(&b);
	ck_assert_uint_eq(b.len, sizeof(sol));
	ck_assert_mem_eq(b.data, sol, sizeof(sol));
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_sequence_numbers)
{
	/* RFC 5944 §2.3.2: 0 .. 0xffff, then 256 */
	ck_assert_uint_eq(mip_adv_seq_next(0), 1);
	ck_assert_uint_eq(mip_adv_seq_next(255), 256);
	ck_assert_uint_eq(mip_adv_seq_next(0xfffe), 0xffff);
	ck_assert_uint_eq(mip_adv_seq_next(0xffff), 256);
}
END_TEST

START_TEST(test_flag_letters)
{
	char buf[16];

	ck_assert_str_eq(mip_adv_flags_str(0x9100, buf), "RFT");
	ck_assert_str_eq(mip_adv_flags_str(0x2c00, buf), "HMG");
	ck_assert_str_eq(mip_adv_flags_str(0, buf), "-");
	ck_assert_str_eq(mip_adv_flags_str(0xffe0, buf), "RBHFMGrTUXI");
}
END_TEST

/* ---- fa_msg ---- */

/*
 * tshark: Internet Protocol Version 4, Src: 203.0.113.1, Dst: 192.0.2.100, TTL 64,
 * Header Checksum: 0x6a2b [correct]; User Datagram Protocol, Src Port: 434,
 * Dst Port: 40001, Checksum: 0xdad9 [correct]
 */
static const uint8_t udp_vec[] = {
	0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x6a, 0x2b,
	0xcb, 0x00, 0x71, 0x01, 0xc0, 0x00, 0x02, 0x64,
	0x01, 0xb2, 0x9c, 0x41, 0x00, 0x14, 0xda, 0xd9,
	0x03, 0x00, 0x01, 0x2c, 0xc0, 0x00, 0x02, 0x64, 0xc0, 0x00, 0x02, 0x01,
};

START_TEST(test_udp4)
{
	struct mip_buf b;

	ck_assert_int_eq(mip_buf_init(&b, 16), 0);
	fa_msg_udp4(&b, A("203.0.113.1"), A("192.0.2.100"), 434, 40001, 64, 0x1234, udp_vec + 28,
		    sizeof(udp_vec) - 28);
	ck_assert(mip_buf_ok(&b));
	ck_assert_uint_eq(b.len, sizeof(udp_vec));
	ck_assert_mem_eq(b.data, udp_vec, sizeof(udp_vec));
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_icmp_codes)
{
	ck_assert_uint_eq(fa_msg_icmp_code(3, 0), 80);
	ck_assert_uint_eq(fa_msg_icmp_code(3, 6), 80);
	ck_assert_uint_eq(fa_msg_icmp_code(3, 1), 81);
	ck_assert_uint_eq(fa_msg_icmp_code(3, 10), 81);
	ck_assert_uint_eq(fa_msg_icmp_code(3, 3), 82);
	ck_assert_uint_eq(fa_msg_icmp_code(3, 13), 88);
	ck_assert_uint_eq(fa_msg_icmp_code(11, 0), 88);
	ck_assert_uint_eq(fa_msg_errno_code(ENETUNREACH), 80);
	ck_assert_uint_eq(fa_msg_errno_code(EHOSTUNREACH), 81);
	ck_assert_uint_eq(fa_msg_errno_code(ECONNREFUSED), 82);
	ck_assert_uint_eq(fa_msg_errno_code(ENOBUFS), 64);
	ck_assert(fa_msg_icmp_errno(ECONNREFUSED));
	ck_assert(!fa_msg_icmp_errno(EAGAIN));
}
END_TEST

START_TEST(test_extension_offsets)
{
	/* request, MN-HA (SPI 256), then the Encapsulating Delivery Style and MN-FA */
	uint8_t m[24 + 22 + 2 + 22] = { MIP_MSG_REG_REQUEST, MIP_RRQ_T };
	struct mip_reg_request rq;

	m[24] = MIP_EXT_MN_HA;
	m[25] = 20;
	m[46] = FA_EXT_ENCAP_DELIVERY;
	m[47] = 0;
	m[48] = MIP_EXT_MN_FA;
	m[49] = 20;
	ck_assert_int_eq(mip_parse_request(m, sizeof(m), &rq), MIP_PARSE_OK);
	ck_assert_uint_eq(fa_msg_auth_end(&rq.ext), 46);
	ck_assert_uint_eq(fa_msg_fa_ha_start(&rq.ext, sizeof(m)), sizeof(m));
	ck_assert_int_eq(fa_msg_has_ext(m, sizeof(m), 24, FA_EXT_ENCAP_DELIVERY), 1);
	ck_assert_int_eq(fa_msg_has_ext(m, 46, 24, FA_EXT_ENCAP_DELIVERY), 0);
	ck_assert_int_eq(fa_msg_has_ext(m, 40, 24, FA_EXT_ENCAP_DELIVERY), -1);
}
END_TEST

static Suite *adv_suite(void)
{
	Suite *s = suite_create("adv");
	TCase *tc = tcase_create("wire");

	tcase_add_test(tc, test_parse_fa_adv);
	tcase_add_test(tc, test_build_fa_adv);
	tcase_add_test(tc, test_ha_adv_roundtrip);
	tcase_add_test(tc, test_many_coas);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_solicitation);
	tcase_add_test(tc, test_sequence_numbers);
	tcase_add_test(tc, test_flag_letters);
	suite_add_tcase(s, tc);
	tc = tcase_create("fa_msg");
	tcase_add_test(tc, test_udp4);
	tcase_add_test(tc, test_icmp_codes);
	tcase_add_test(tc, test_extension_offsets);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(adv_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
