/* Unit tests of the foreign agent's registration processing (fa*.c) with
 * its packet I/O captured: what is relayed to the home agent, what reaches
 * the mobile node, the pending and visitor tables, timeouts. */
#include "config.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include "auth.h"
#include "event.h"
#include "fa_int.h"
#include "fa_msg.h"
#include "wire.h"

#define KEY_MN "00112233445566778899aabbccddeeff"
#define KEY_FA "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
#define KEY_MNFA "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"

/* The interface's own lifetime cap (600) and visitor limit (1) override the agent's defaults. */
#define CONF_HEAD \
	"<mipagent><foreign-agent pending-timeout=\"2\" max-registration-lifetime=\"900\" visitor-limit=\"5\">"
#define CONF_TAIL \
	"<care-of-address address=\"203.0.113.1\"/></interface>" \
	"<visitor address=\"192.0.2.110\"><security-association spi=\"300\" key=\"" KEY_MNFA "\"/></visitor>" \
	"</foreign-agent>" \
	"<peer address=\"192.0.2.1\"><security-association spi=\"500\" key=\"" KEY_FA "\"/></peer>" \
	"</mipagent>"
static const char conf_xml[] =
	CONF_HEAD "<interface name=\"lo\" max-registration-lifetime=\"600\" visitor-limit=\"1\">" CONF_TAIL;
/* After a reload: the interface inherits the agent's limit of 5. */
static const char conf_reload_xml[] = CONF_HEAD "<interface name=\"lo\">" CONF_TAIL;

static struct conf *conf;
static struct ev_loop loop;
static struct mip_fa *fa;
static uint64_t clock_ms;

/* the last datagram sent each way */
static struct mip_pkt_info ha_pi;
static uint8_t ha_msg[1024], mn_pkt[1024];
static size_t ha_len, mn_len;
static int n_to_ha, n_to_mn;

static uint64_t fake_now(void)
{
	return clock_ms;
}

static int cap_to_ha(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	(void)ctx;
	ha_pi = *pi;
	memcpy(ha_msg, p, len);
	ha_len = len;
	n_to_ha++;
	return 0;
}

static int cap_to_mn(void *ctx, int ifindex, const uint8_t *mac, const uint8_t *ip, size_t len)
{
	(void)ctx, (void)ifindex, (void)mac;
	memcpy(mn_pkt, ip, len);
	mn_len = len;
	n_to_mn++;
	return 0;
}

static struct in_addr A(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static void key(const char *hex, uint8_t *k)
{
	ck_assert_int_eq(mip_key_from_hex(hex, k, 16), 16);
}

static void setup(void)
{
	struct fa_io_ops io = { .to_ha = cap_to_ha, .to_mn = cap_to_mn };

	conf = conf_parse_memory("test.xml", conf_xml, sizeof(conf_xml) - 1, stderr);
	ck_assert_ptr_nonnull(conf);
	ck_assert_int_eq(conf_check(conf, stderr), 0);
	ck_assert_int_eq(ev_init(&loop), 0);
	fa = fa_open(conf, &loop, -1, NULL);
	ck_assert_ptr_nonnull(fa);
	fa_set_io(fa, &io);
	clock_ms = 1000000;
	fa->mono_now = fake_now;
	n_to_ha = n_to_mn = 0;
}

static void teardown(void)
{
	fa_close(fa);
	ev_free(&loop);
	conf_free(conf);
}

/* A request from @hoa, MN-HA, then @mnfa: an MN-FA extension (SPI 300). */
static size_t request(struct mip_buf *b, const char *hoa, uint16_t lifetime, uint8_t flags, uint64_t id,
		      bool mnfa)
{
	struct mip_reg_request rq = {
		.flags = flags, .lifetime = lifetime, .hoa = A(hoa), .ha = A("192.0.2.1"),
		.coa = A("203.0.113.1"), .id = id,
	};
	uint8_t k[16];

	ck_assert_int_eq(mip_buf_init(b, 128), 0);
	mip_build_request(b, &rq);
	key(KEY_MN, k);
	mip_auth_append(b, MIP_EXT_MN_HA, 0, 256, MIP_AUTH_HMAC_MD5, k, 16);
	if (mnfa) {
		key(KEY_MNFA, k);
		mip_auth_append(b, MIP_EXT_MN_FA, 0, 300, MIP_AUTH_HMAC_MD5, k, 16);
	}
	ck_assert(mip_buf_ok(b));
	return b->len;
}

static void send_request(const struct mip_buf *b, const char *src)
{
	struct mip_pkt_info pi = {
		.src = A(src), .dst = A("203.0.113.1"), .sport = 40000, .dport = 434,
		.ifindex = (int)if_nametoindex("lo"), .unicast = true,
	};

	fa_handle_request(fa, b->data, b->len, &pi);
}

/* The home agent's reply to the last relayed request, with an FA-HA made with @fa_key. */
static void reply(uint8_t code, uint16_t lifetime, const char *fa_key)
{
	struct mip_reg_request rq;
	struct mip_reg_reply rp = { .code = code, .lifetime = lifetime };
	struct mip_pkt_info pi = { .src = A("192.0.2.1"), .dst = A("203.0.113.1"), .sport = 434, .dport = 434 };
	struct mip_buf b;
	uint8_t k[16];

	ck_assert_int_eq(mip_parse_request(ha_msg, ha_len, &rq), MIP_PARSE_OK);
	rp.hoa = rq.hoa;
	rp.ha = rq.ha;
	rp.id = rq.id;
	ck_assert_int_eq(mip_buf_init(&b, 128), 0);
	mip_build_reply(&b, &rp);
	key(KEY_MN, k);
	mip_auth_append(&b, MIP_EXT_MN_HA, 0, 256, MIP_AUTH_HMAC_MD5, k, 16);
	key(fa_key, k);
	mip_auth_append(&b, MIP_EXT_FA_HA, 0, 500, MIP_AUTH_HMAC_MD5, k, 16);
	fa_handle_reply(fa, b.data, b.len, &pi);
	mip_buf_free(&b);
}

/* The registration reply inside the last datagram to the mobile node. */
static void mn_reply(struct mip_reg_reply *rp)
{
	ck_assert_uint_ge(mn_len, FA_IPV4_UDP_HDR);
	ck_assert_int_eq(mn_pkt[9], 17);
	ck_assert_uint_eq(mip_get_u16(mn_pkt + 22), 40000);          /* to the request's port */
	ck_assert_uint_eq(mip_get_u16(mn_pkt + 20), 434);
	ck_assert_int_eq(mip_parse_reply(mn_pkt + FA_IPV4_UDP_HDR, mn_len - FA_IPV4_UDP_HDR, rp),
			 MIP_PARSE_OK);
}

START_TEST(test_relay_and_accept)
{
	struct mip_buf b;
	struct mip_reg_request rq;
	struct mip_reg_reply rp;
	uint8_t k[16];

	request(&b, "192.0.2.100", 300, 0, 0x1122334455667788ull, false);
	mip_buf_put(&b, "\x90\x02xy", 4);        /* after MN-HA: removed (§3.7.2.2) */
	send_request(&b, "192.0.2.100");
	ck_assert_int_eq(n_to_ha, 1);
	ck_assert_uint_eq(ha_pi.dst.s_addr, A("192.0.2.1").s_addr);
	ck_assert_uint_eq(ha_pi.src.s_addr, A("203.0.113.1").s_addr);    /* from the care-of address */
	ck_assert_uint_eq(ha_pi.dport, 434);
	ck_assert_uint_eq(ha_len, b.len - 4 + 22);
	ck_assert_mem_eq(ha_msg, b.data, b.len - 4);
	ck_assert_int_eq(mip_parse_request(ha_msg, ha_len, &rq), MIP_PARSE_OK);
	ck_assert_uint_eq(rq.ext.n_fa_ha, 1);
	key(KEY_FA, k);
	ck_assert(mip_auth_verify(MIP_AUTH_HMAC_MD5, k, 16, ha_msg, &rq.ext.fa_ha));
	ck_assert_uint_eq(fa_pending_count(fa), 1);
	mip_buf_free(&b);

	reply(0, 300, KEY_FA);
	ck_assert_int_eq(n_to_mn, 1);
	mn_reply(&rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert(rp.ext.mn_ha.present);
	ck_assert_uint_eq(rp.ext.n_fa_ha, 0);                            /* not relayed */
	ck_assert_uint_eq(fa_pending_count(fa), 0);
	ck_assert_uint_eq(fa_visitor_count(fa), 1);
	ck_assert_uint_eq(fa_visitor_first(fa)->lifetime, 300);
	ck_assert(fa_is_busy(fa));                                       /* limit 1 */

	/* busy: another node is denied with 66, the visitor may re-register */
	request(&b, "192.0.2.101", 300, 0, 2, false);
	send_request(&b, "192.0.2.101");
	mn_reply(&rp);
	ck_assert_uint_eq(rp.code, MIP_CODE_FA_RESOURCES);
	ck_assert_int_eq(n_to_ha, 1);
	mip_buf_free(&b);

	/* deregistration: the visitor goes */
	request(&b, "192.0.2.100", 0, 0, 3, false);
	send_request(&b, "192.0.2.100");
	ck_assert_int_eq(n_to_ha, 2);
	ck_assert_int_eq(mip_parse_request(ha_msg, ha_len, &rq), MIP_PARSE_OK);
	ck_assert_uint_eq(rq.ext.n_fa_ha, 0);                            /* none on deregistration */
	reply(0, 0, KEY_FA);
	ck_assert_uint_eq(fa_visitor_count(fa), 0);
	ck_assert(!fa_is_busy(fa));
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_home_agent_auth)
{
	struct mip_buf b;
	struct mip_reg_reply rp;

	request(&b, "192.0.2.100", 300, 0, 5, false);
	send_request(&b, "192.0.2.100");
	reply(0, 300, KEY_MN);                                           /* wrong FA-HA key */
	mn_reply(&rp);
	ck_assert_uint_eq(rp.code, MIP_CODE_FA_HA_AUTH);
	ck_assert_uint_eq(fa_visitor_count(fa), 0);
	ck_assert_uint_eq(fa_pending_count(fa), 0);
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_timeout)
{
	struct mip_buf b;
	struct mip_reg_reply rp;

	request(&b, "192.0.2.100", 300, 0, 6, false);
	send_request(&b, "192.0.2.100");
	ck_assert_uint_eq(fa_pending_count(fa), 1);
	clock_ms += 1999;
	timer_run(&loop.timers, clock_ms, 100);
	ck_assert_int_eq(n_to_mn, 0);
	clock_ms += 1;
	timer_run(&loop.timers, clock_ms, 100);
	mn_reply(&rp);
	ck_assert_uint_eq(rp.code, MIP_CODE_FA_TIMEOUT);
	ck_assert_uint_eq(rp.id, 6);
	ck_assert_uint_eq(fa_pending_count(fa), 0);
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_mobile_foreign_auth)
{
	struct mip_buf b;
	struct mip_reg_reply rp;
	struct mip_reg_request rq;
	uint8_t k[16];

	request(&b, "192.0.2.110", 300, 0, 7, false);                    /* no MN-FA: 67 */
	send_request(&b, "192.0.2.100");
	mn_reply(&rp);
	ck_assert_uint_eq(rp.code, MIP_CODE_FA_MN_AUTH);
	ck_assert(rp.ext.mn_fa.present);                                  /* and we add ours */
	mip_buf_free(&b);
	request(&b, "192.0.2.110", 300, 0, 8, true);
	send_request(&b, "192.0.2.100");
	ck_assert_int_eq(n_to_ha, 1);
	ck_assert_int_eq(mip_parse_request(ha_msg, ha_len, &rq), MIP_PARSE_OK);
	ck_assert_uint_eq(rq.ext.n_mn_fa, 0);                            /* consumed */
	reply(1, 300, KEY_FA);
	mn_reply(&rp);
	ck_assert_uint_eq(rp.code, 1);
	ck_assert(rp.ext.mn_fa.present);
	key(KEY_MNFA, k);
	ck_assert(mip_auth_verify(MIP_AUTH_HMAC_MD5, k, 16, mn_pkt + FA_IPV4_UDP_HDR, &rp.ext.mn_fa));
	mip_buf_free(&b);
}
END_TEST

START_TEST(test_denials)
{
	static const struct { uint16_t lifetime; uint8_t flags; uint8_t code; } cases[] = {
		{ 700, 0, MIP_CODE_FA_LIFETIME },
		{ 300, MIP_RRQ_M | MIP_RRQ_G, MIP_CODE_FA_ENCAPS },
		{ 300, MIP_RRQ_r, MIP_CODE_FA_VJ },
	};
	struct mip_buf b;
	struct mip_reg_reply rp;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		request(&b, "192.0.2.100", cases[i].lifetime, cases[i].flags, 10 + i, false);
		send_request(&b, "192.0.2.100");
		mn_reply(&rp);
		ck_assert_uint_eq(rp.code, cases[i].code);
		ck_assert_uint_eq(rp.lifetime, cases[i].code == MIP_CODE_FA_LIFETIME ? 600 : cases[i].lifetime);
		ck_assert_uint_eq(rp.id, 10 + i);
		mip_buf_free(&b);
	}
	ck_assert_int_eq(n_to_ha, 0);
	ck_assert_uint_eq(fa_pending_count(fa), 0);
	/* a care-of address we do not offer */
	request(&b, "192.0.2.100", 300, 0, 20, false);
	b.data[12] = 198;
	send_request(&b, "192.0.2.100");
	mn_reply(&rp);
	ck_assert_uint_eq(rp.code, MIP_CODE_FA_BAD_COA);
	mip_buf_free(&b);
}
END_TEST

/* Reload: the interface's new visitor limit takes effect at once (no B, relayed again). */
START_TEST(test_interface_limit_reload)
{
	struct conf *next = conf_parse_memory("test.xml", conf_reload_xml, sizeof(conf_reload_xml) - 1,
					      stderr);
	struct mip_buf b;

	ck_assert_ptr_nonnull(next);
	ck_assert_int_eq(conf_check(next, stderr), 0);
	request(&b, "192.0.2.100", 300, 0, 30, false);
	send_request(&b, "192.0.2.100");
	reply(0, 300, KEY_FA);
	mip_buf_free(&b);
	ck_assert_uint_eq(fa_visitor_count(fa), 1);
	ck_assert(fa_iface_busy(fa_iface(fa, (int)if_nametoindex("lo"))));
	ck_assert(fa_is_busy(fa));                                       /* its only interface */

	fa_reload_apply(conf, next, fa);
	conf_free(conf);
	conf = next;
	ck_assert_uint_eq(fa_iface(fa, (int)if_nametoindex("lo"))->conf->visitor_limit, 5);
	ck_assert(!fa_iface_busy(fa_iface(fa, (int)if_nametoindex("lo"))));
	ck_assert(!fa_is_busy(fa));
	request(&b, "192.0.2.101", 300, 0, 31, false);
	send_request(&b, "192.0.2.101");
	ck_assert_int_eq(n_to_ha, 2);                                    /* relayed, not 66 */
	mip_buf_free(&b);
}
END_TEST

static Suite *fa_suite(void)
{
	Suite *s = suite_create("fa");
	TCase *tc = tcase_create("registration");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_relay_and_accept);
	tcase_add_test(tc, test_home_agent_auth);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_mobile_foreign_auth);
	tcase_add_test(tc, test_denials);
	tcase_add_test(tc, test_interface_limit_reload);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fa_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
