/* Unit tests of home agent registration processing (agent/ha.c) against an
 * in-memory configuration, a captured send op and controlled clocks. */
#include "config.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "auth.h"
#include "counters.h"
#include "ha.h"
#include "wire.h"

#define KEY "00112233445566778899aabbccddeeff"
#define FAKEY "ffeeddccbbaa99887766554433221100"
#define NTP_SEC 0xe0000000u

static const char *conf_xml =
	"<mipagent>"
	" <home-agent address='198.51.100.1' interface='ha0' home-network='192.0.2.0/24'"
	"   max-registration-lifetime='1800' max-bindings='3' max-total-bindings='4'"
	"   reverse-tunnel-required='false' minimal-encapsulation='false'>"
	"  <care-of-access default='permit'><deny network='203.0.113.128/25'/></care-of-access>"
	"  <mobile-node address='192.0.2.100' nai='mn1@example.net' max-registration-lifetime='600'>"
	"   <security-association spi='257' key='" KEY "'/>"
	"   <security-association spi='258' algorithm='keyed-md5' key='" KEY "'/>"
	"  </mobile-node>"
	"  <mobile-node first='192.0.2.110' last='192.0.2.119' max-bindings='1'>"
	"   <security-association spi='300' replay-method='nonces' key='" KEY "'/>"
	"  </mobile-node>"
	"  <mobile-node address='192.0.2.120' roam='false'>"
	"   <security-association spi='301' algorithm='rfc2002-md5' key='" KEY "'/>"
	"  </mobile-node>"
	" </home-agent>"
	" <peer address='198.51.100.2'><security-association spi='500' key='" FAKEY "'/></peer>"
	"</mipagent>";

static struct conf *conf;
static struct timer_heap timers;
static struct mip_ha ha;
static uint64_t fake_mono, fake_ntp;
static uint8_t sent[1024];
static size_t sent_len;
static int n_sent;
static struct mip_pkt_info sent_to;
static uint8_t key[16], fakey[16];

static uint64_t mono(void) { return fake_mono; }
static uint64_t ntp(void) { return fake_ntp; }

static int capture(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	(void)ctx;
	ck_assert_uint_le(len, sizeof(sent));
	memcpy(sent, p, len);
	sent_len = len;
	sent_to = *pi;
	n_sent++;
	return 0;
}

static struct in_addr A(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void setup(void)
{
	struct mip_io_ops io = { .send = capture };

	conf = conf_parse_memory("test.xml", conf_xml, strlen(conf_xml), stderr);
	ck_assert_ptr_nonnull(conf);
	ck_assert_int_eq(conf_check(conf, stderr), 0);
	memset(&timers, 0, sizeof(timers));
	ck_assert_int_eq(ha_init(&ha, conf, &timers, &io), 0);
	fake_mono = 100000;
	fake_ntp = (uint64_t)NTP_SEC << 32;
	ha.mono_now = mono;
	ha.ntp_now = ntp;
	n_sent = 0;
	mip_key_from_hex(KEY, key, sizeof(key));
	mip_key_from_hex(FAKEY, fakey, sizeof(fakey));
	mip_counters_reset();
}

static void teardown(void)
{
	ha_free(&ha);
	timer_heap_free(&timers);
	conf_free(conf);
}

struct req {
	const char *hoa, *coa, *src, *dst, *ha;
	uint16_t lifetime;
	uint8_t flags;
	uint64_t id;
	uint32_t spi;
	enum mip_auth_alg alg;
	const uint8_t *key;
	uint32_t fa_spi;             /* append FA-HA with fakey */
	const char *nai;
	const uint8_t *extra;        /* raw bytes before MN-HA */
	size_t extra_len;
};

/* Build, sign and hand one request to the home agent; returns the number of
 * replies sent (0 or 1) and leaves the parsed reply in *rp. */
static int send_req(struct req r, struct mip_reg_reply *rp)
{
	struct mip_reg_request rq = {
		.flags = r.flags, .lifetime = r.lifetime, .id = r.id,
		.hoa = A(r.hoa ? r.hoa : "192.0.2.100"),
		.ha = A(r.ha ? r.ha : "198.51.100.1"),
		.coa = A(r.coa ? r.coa : "203.0.113.10"),
	};
	struct mip_pkt_info pi = {
		.src = A(r.src ? r.src : "203.0.113.10"), .dst = A(r.dst ? r.dst : "198.51.100.1"),
		.sport = 40000, .dport = 434,
	};

	pi.unicast = !r.dst || strcmp(r.dst, "192.0.2.255") != 0;
	struct mip_buf b;
	int before = n_sent;

	mip_buf_init(&b, 128);
	mip_build_request(&b, &rq);
	if (r.nai)
		mip_build_nai(&b, (const uint8_t *)r.nai, strlen(r.nai));
	if (r.extra)
		mip_buf_put(&b, r.extra, r.extra_len);
	mip_auth_append(&b, MIP_EXT_MN_HA, 0, r.spi ? r.spi : 257, r.alg ? r.alg : MIP_AUTH_HMAC_MD5,
			r.key ? r.key : key, 16);
	if (r.fa_spi)
		mip_auth_append(&b, MIP_EXT_FA_HA, 0, r.fa_spi, MIP_AUTH_HMAC_MD5, fakey, 16);
	ck_assert(mip_buf_ok(&b));
	ha_handle_request(&ha, b.data, b.len, &pi);
	mip_buf_free(&b);
	if (n_sent == before)
		return 0;
	ck_assert_int_eq(mip_parse_reply(sent, sent_len, rp), MIP_PARSE_OK);
	ck_assert_str_eq(inet_ntoa(sent_to.dst), inet_ntoa(pi.src));
	ck_assert_uint_eq(sent_to.dport, 40000);
	ck_assert_uint_eq(sent_to.sport, 434);
	return 1;
}

static uint64_t ts(uint32_t frac) { return (uint64_t)NTP_SEC << 32 | frac; }

static void check_reply_auth(const struct mip_reg_reply *rp, uint32_t spi, enum mip_auth_alg alg)
{
	ck_assert(rp->ext.mn_ha.present);
	ck_assert_uint_eq(rp->ext.mn_ha.spi, spi);
	ck_assert(mip_auth_verify(alg, key, 16, sent, &rp->ext.mn_ha));
}

START_TEST(test_accept_and_reply_fields)
{
	struct mip_reg_reply rp;
	struct mip_binding *b;

	ck_assert_int_eq(send_req((struct req){ .lifetime = 300, .id = ts(1), .flags = MIP_RRQ_T }, &rp), 1);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert_uint_eq(rp.lifetime, 300);
	ck_assert_uint_eq(rp.id, ts(1));
	ck_assert_str_eq(inet_ntoa(rp.hoa), "192.0.2.100");
	ck_assert_str_eq(inet_ntoa(rp.ha), "198.51.100.1");
	ck_assert_str_eq(inet_ntoa(sent_to.src), "198.51.100.1");
	check_reply_auth(&rp, 257, MIP_AUTH_HMAC_MD5);
	b = binding_lookup(&ha.bindings, A("192.0.2.100"), A("203.0.113.10"));
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b->lifetime, 300);
	ck_assert_uint_eq(b->flags, MIP_RRQ_T);
	ck_assert_uint_eq(binding_remaining(b, fake_mono), 300);
	ck_assert_uint_eq(mip_counters[MIP_CTR_HA_REG_ACCEPTED], 1);
	ck_assert_uint_eq(mip_counters[MIP_CTR_HA_REG_REPLIES], 1);
}
END_TEST

START_TEST(test_lifetime_capped_never_raised)
{
	struct mip_reg_reply rp;

	send_req((struct req){ .lifetime = 0xffff, .id = ts(1) }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert_uint_eq(rp.lifetime, 600);        /* the node's maximum */
	send_req((struct req){ .hoa = "192.0.2.110", .spi = 300, .lifetime = 5000, .id = 0 }, &rp);
	ck_assert_uint_eq(rp.code, 133);            /* nonce node: first contact */
	send_req((struct req){ .hoa = "192.0.2.110", .spi = 300, .lifetime = 5000, .id = rp.id }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert_uint_eq(rp.lifetime, 1800);       /* the home agent's maximum */
}
END_TEST

START_TEST(test_expiry_is_exact)
{
	struct mip_reg_reply rp;

	send_req((struct req){ .lifetime = 10, .id = ts(1) }, &rp);
	fake_mono += 9999;
	timer_run(&timers, fake_mono, 100);
	ck_assert_uint_eq(ha.bindings.count, 1);
	fake_mono += 1;
	ck_assert_uint_eq(timer_next(&timers), fake_mono);
	timer_run(&timers, fake_mono, 100);
	ck_assert_uint_eq(ha.bindings.count, 0);
	ck_assert_uint_eq(mip_counters[MIP_CTR_HA_BINDINGS_EXPIRED], 1);
	ck_assert_int_eq(n_sent, 1);                /* no reply on expiry (§3.8) */
	ck_assert_uint_eq(node_find(&ha.nodes, A("192.0.2.100"))->ctr.service_time, 10);
}
END_TEST

START_TEST(test_reregistration_moves_timer)
{
	struct mip_reg_reply rp;

	send_req((struct req){ .lifetime = 10, .id = ts(1) }, &rp);
	fake_mono += 8000;
	send_req((struct req){ .lifetime = 10, .id = ts(2) }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	fake_mono += 9000;
	timer_run(&timers, fake_mono, 100);
	ck_assert_uint_eq(ha.bindings.count, 1);
	fake_mono += 1000;
	timer_run(&timers, fake_mono, 100);
	ck_assert_uint_eq(ha.bindings.count, 0);
}
END_TEST

/* A renewal leaves a timer due earlier in place and moves it on when it
 * fires; a renewal ending sooner moves it back at once. */
START_TEST(test_reregistration_timer_both_ways)
{
	struct mip_reg_reply rp;

	send_req((struct req){ .lifetime = 10, .id = ts(1) }, &rp);
	send_req((struct req){ .lifetime = 100, .id = ts(2) }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	fake_mono += 10000;
	timer_run(&timers, fake_mono, 100);         /* the old end: moved on, not expired */
	ck_assert_uint_eq(ha.bindings.count, 1);
	ck_assert_uint_eq(timer_next(&timers), fake_mono + 90000);
	ck_assert_uint_eq(mip_counters[MIP_CTR_HA_BINDINGS_EXPIRED], 0);
	send_req((struct req){ .lifetime = 5, .id = ts(3) }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert_uint_eq(timer_next(&timers), fake_mono + 5000);
	fake_mono += 5000;
	timer_run(&timers, fake_mono, 100);
	ck_assert_uint_eq(ha.bindings.count, 0);
	ck_assert_uint_eq(mip_counters[MIP_CTR_HA_BINDINGS_EXPIRED], 1);
}
END_TEST

START_TEST(test_timestamp_replay_and_resync)
{
	struct mip_reg_reply rp;

	send_req((struct req){ .lifetime = 100, .id = ts(5) }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	/* an older identification is refused; reply carries our time + their low bits */
	send_req((struct req){ .lifetime = 100, .id = ts(4), .coa = "203.0.113.11" }, &rp);
	ck_assert_uint_eq(rp.code, 133);
	ck_assert_uint_eq(rp.id, ts(4));
	/* out of tolerance: 8 s ahead */
	send_req((struct req){ .lifetime = 100, .id = (uint64_t)(NTP_SEC + 8) << 32 | 0xabcd }, &rp);
	ck_assert_uint_eq(rp.code, 133);
	ck_assert_uint_eq(rp.id, (uint64_t)NTP_SEC << 32 | 0xabcd);
	/* 7 s is within the default tolerance */
	send_req((struct req){ .lifetime = 100, .id = (uint64_t)(NTP_SEC + 7) << 32 }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert_uint_eq(mip_counters[MIP_CTR_HA_ID_MISMATCH], 2);
	ck_assert_uint_eq(mip_counters[MIP_CTR_SEC_TOTAL_VIOLATIONS], 2);
	ck_assert_uint_eq(ha.bindings.count, 1);
	ck_assert_str_eq(inet_ntoa(binding_first(&ha.bindings)->coa), "203.0.113.10");
}
END_TEST

START_TEST(test_duplicate_not_extended)
{
	struct mip_reg_reply rp;

	send_req((struct req){ .lifetime = 100, .id = ts(5) }, &rp);
	fake_mono += 30000;
	send_req((struct req){ .lifetime = 100, .id = ts(5) }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert_uint_eq(rp.lifetime, 70);
	ck_assert_uint_eq(binding_remaining(binding_first(&ha.bindings), fake_mono), 70);
}
END_TEST

START_TEST(test_nonces)
{
	struct mip_reg_reply rp;
	uint64_t nonce_id;

	send_req((struct req){ .hoa = "192.0.2.111", .spi = 300, .lifetime = 100, .id = 7 }, &rp);
	ck_assert_uint_eq(rp.code, 133);
	ck_assert_uint_eq(rp.id & 0xffffffff, 7);
	nonce_id = (rp.id & 0xffffffff00000000ull) | 8;
	send_req((struct req){ .hoa = "192.0.2.111", .spi = 300, .lifetime = 100, .id = nonce_id }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert_uint_eq(rp.id & 0xffffffff, 8);
	ck_assert_uint_ne(rp.id >> 32, nonce_id >> 32);  /* a fresh nonce for next time */
	/* the old nonce no longer works; the node's next request uses the new one */
	send_req((struct req){ .hoa = "192.0.2.111", .spi = 300, .lifetime = 100, .coa = "203.0.113.12",
			       .id = (nonce_id & ~0xffffffffull) | 9 }, &rp);
	ck_assert_uint_eq(rp.code, 133);
	send_req((struct req){ .hoa = "192.0.2.111", .spi = 300, .lifetime = 100, .coa = "203.0.113.12",
			       .id = (rp.id & ~0xffffffffull) | 10 }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	/* max-bindings 1 on this range: the new care-of address replaced the old one */
	ck_assert_uint_eq(node_find(&ha.nodes, A("192.0.2.111"))->n_bindings, 1);
}
END_TEST

START_TEST(test_authentication_failures)
{
	struct mip_reg_reply rp;
	uint8_t bad[16];

	memcpy(bad, key, 16);
	bad[0] ^= 1;
	ck_assert_int_eq(send_req((struct req){ .lifetime = 100, .id = ts(1), .key = bad }, &rp), 1);
	ck_assert_uint_eq(rp.code, 131);
	check_reply_auth(&rp, 257, MIP_AUTH_HMAC_MD5);
	/* unknown SPI: answered with an SA the node has */
	send_req((struct req){ .lifetime = 100, .id = ts(1), .spi = 999 }, &rp);
	ck_assert_uint_eq(rp.code, 131);
	check_reply_auth(&rp, 257, MIP_AUTH_HMAC_MD5);
	/* wrong algorithm for the SA */
	send_req((struct req){ .lifetime = 100, .id = ts(1), .spi = 258 }, &rp);
	ck_assert_uint_eq(rp.code, 131);
	/* right algorithm */
	send_req((struct req){ .lifetime = 100, .id = ts(2), .spi = 258, .alg = MIP_AUTH_KEYED_MD5 }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	check_reply_auth(&rp, 258, MIP_AUTH_KEYED_MD5);
	ck_assert_uint_eq(mip_counters[MIP_CTR_HA_MN_AUTH_FAILURE], 3);
	/* nothing was learnt from failed requests: no node state before the success */
	ck_assert_uint_eq(ha.nodes.count, 1);
}
END_TEST

START_TEST(test_silent_discards)
{
	struct mip_reg_reply rp;
	static const uint8_t unknown[] = { 50, 2, 0, 0 };
	static const uint8_t skippable[] = { 200, 2, 0, 0 };

	/* a node without SA */
	ck_assert_int_eq(send_req((struct req){ .hoa = "192.0.2.99", .lifetime = 100, .id = ts(1) }, &rp), 0);
	/* an unrecognised extension 0-127 */
	ck_assert_int_eq(send_req((struct req){ .lifetime = 100, .id = ts(1), .extra = unknown,
						.extra_len = sizeof(unknown) }, &rp), 0);
	/* 128-255 is skipped */
	ck_assert_int_eq(send_req((struct req){ .lifetime = 100, .id = ts(1), .extra = skippable,
						.extra_len = sizeof(skippable) }, &rp), 1);
	ck_assert_uint_eq(rp.code, 0);
	/* FA-HA from an agent without an SA */
	ck_assert_int_eq(send_req((struct req){ .lifetime = 100, .id = ts(2), .src = "198.51.100.3",
						.fa_spi = 500 }, &rp), 0);
	ck_assert_uint_eq(mip_counters[MIP_CTR_HA_DISCARDED], 3);
}
END_TEST

START_TEST(test_no_mn_ha_extension_discarded)
{
	uint8_t msg[24] = { 1, 0, 0, 100, 192, 0, 2, 100, 198, 51, 100, 1, 203, 0, 113, 10 };
	struct mip_pkt_info pi = { .src = A("203.0.113.10"), .dst = A("198.51.100.1"), .sport = 1, .dport = 434,
				   .unicast = true };

	ha_handle_request(&ha, msg, sizeof(msg), &pi);
	ck_assert_int_eq(n_sent, 0);
	ck_assert_uint_eq(mip_counters[MIP_CTR_SEC_TOTAL_VIOLATIONS], 1);
}
END_TEST

START_TEST(test_poorly_formed)
{
	uint8_t msg[28] = { 1, 0, 0, 100, 192, 0, 2, 100, 198, 51, 100, 1, 203, 0, 113, 10,
			    0, 0, 0, 0, 0, 0, 0, 1, 32, 20, 0, 0 };     /* MN-HA overruns */
	struct mip_pkt_info pi = { .src = A("203.0.113.10"), .dst = A("198.51.100.1"), .sport = 9, .dport = 434,
				   .unicast = true };
	struct mip_reg_reply rp;

	ha_handle_request(&ha, msg, sizeof(msg), &pi);
	ck_assert_int_eq(n_sent, 1);
	ck_assert_int_eq(mip_parse_reply(sent, sent_len, &rp), MIP_PARSE_OK);
	ck_assert_uint_eq(rp.code, 134);
	check_reply_auth(&rp, 257, MIP_AUTH_HMAC_MD5);
	ck_assert_uint_eq(ha.bindings.count, 0);
}
END_TEST

START_TEST(test_deregistration)
{
	struct mip_reg_reply rp;

	send_req((struct req){ .lifetime = 100, .id = ts(1), .flags = MIP_RRQ_S }, &rp);
	send_req((struct req){ .lifetime = 100, .id = ts(2), .flags = MIP_RRQ_S, .coa = "203.0.113.11" }, &rp);
	send_req((struct req){ .lifetime = 100, .id = ts(3), .flags = MIP_RRQ_S, .coa = "203.0.113.12" }, &rp);
	ck_assert_uint_eq(ha.bindings.count, 3);
	send_req((struct req){ .lifetime = 0, .id = ts(4), .coa = "203.0.113.11" }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert_uint_eq(rp.lifetime, 0);
	ck_assert_uint_eq(ha.bindings.count, 2);
	ck_assert_ptr_null(binding_lookup(&ha.bindings, A("192.0.2.100"), A("203.0.113.11")));
	ck_assert_uint_eq(mip_counters[MIP_CTR_HA_DEREG_REQUESTS], 1);
	ck_assert_uint_eq(mip_counters[MIP_CTR_HA_DEREG_REPLIES], 1);
	/* at home: care-of address = home address removes them all */
	send_req((struct req){ .lifetime = 0, .id = ts(5), .coa = "192.0.2.100", .src = "192.0.2.100" }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert_uint_eq(ha.bindings.count, 0);
	ck_assert_str_eq(inet_ntoa(sent_to.dst), "192.0.2.100");
	ck_assert_uint_eq(timer_next(&timers), TIMER_NONE);
}
END_TEST

START_TEST(test_simultaneous_bindings)
{
	struct mip_reg_reply rp;

	send_req((struct req){ .lifetime = 100, .id = ts(1), .flags = MIP_RRQ_S }, &rp);
	send_req((struct req){ .lifetime = 100, .id = ts(2), .flags = MIP_RRQ_S, .coa = "203.0.113.11" }, &rp);
	send_req((struct req){ .lifetime = 100, .id = ts(3), .flags = MIP_RRQ_S, .coa = "203.0.113.12" }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	send_req((struct req){ .lifetime = 100, .id = ts(4), .flags = MIP_RRQ_S, .coa = "203.0.113.13" }, &rp);
	ck_assert_uint_eq(rp.code, 135);
	ck_assert_uint_eq(ha.bindings.count, 3);
	/* without S the new care-of address replaces all */
	send_req((struct req){ .lifetime = 100, .id = ts(5), .coa = "203.0.113.13" }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert_uint_eq(ha.bindings.count, 1);
	/* S on a node limited to one binding: accepted with code 1 */
	send_req((struct req){ .hoa = "192.0.2.112", .spi = 300, .lifetime = 100, .id = 1 }, &rp);
	{
		uint64_t id = (rp.id & ~0xffffffffull) | 2;

		send_req((struct req){ .hoa = "192.0.2.112", .spi = 300, .lifetime = 100,
				       .flags = MIP_RRQ_S, .id = id }, &rp);
		ck_assert_uint_eq(rp.code, 1);
		/* its duplicate (same identification) is answered the same way */
		fake_mono += 10000;
		send_req((struct req){ .hoa = "192.0.2.112", .spi = 300, .lifetime = 100,
				       .flags = MIP_RRQ_S, .id = id }, &rp);
		ck_assert_uint_eq(rp.code, 1);
		ck_assert_uint_eq(rp.lifetime, 90);
	}
	ck_assert_uint_eq(mip_counters[MIP_CTR_HA_MULTI_BINDING_UNSUPPORTED], 2);
}
END_TEST

START_TEST(test_policy_codes)
{
	struct mip_reg_reply rp;
	uint32_t f = 1;

	send_req((struct req){ .lifetime = 100, .id = ts(f++), .ha = "198.51.100.9" }, &rp);
	ck_assert_uint_eq(rp.code, 136);
	ck_assert_str_eq(inet_ntoa(rp.ha), "198.51.100.1");
	send_req((struct req){ .lifetime = 100, .id = ts(f++), .dst = "192.0.2.255" }, &rp);
	ck_assert_uint_eq(rp.code, 136);
	ck_assert_str_eq(inet_ntoa(sent_to.src), "198.51.100.1");
	send_req((struct req){ .lifetime = 100, .id = ts(f++), .flags = MIP_RRQ_M }, &rp);
	ck_assert_uint_eq(rp.code, 139);
	send_req((struct req){ .lifetime = 100, .id = ts(f++), .flags = MIP_RRQ_M | MIP_RRQ_G }, &rp);
	ck_assert_uint_eq(rp.code, 139);
	send_req((struct req){ .lifetime = 100, .id = ts(f++), .coa = "203.0.113.200" }, &rp);
	ck_assert_uint_eq(rp.code, 129);
	send_req((struct req){ .lifetime = 100, .id = ts(f++), .nai = "other@example.net" }, &rp);
	ck_assert_uint_eq(rp.code, 129);
	send_req((struct req){ .hoa = "192.0.2.120", .spi = 301, .alg = MIP_AUTH_KEYED_MD5_RFC2002,
			       .lifetime = 100, .id = ts(f++) }, &rp);
	ck_assert_uint_eq(rp.code, 129);
	ck_assert_uint_eq(ha.bindings.count, 0);
	ck_assert_uint_eq(node_find(&ha.nodes, A("192.0.2.100"))->ctr.denied, 6);
	ck_assert_uint_eq(node_find(&ha.nodes, A("192.0.2.100"))->ctr.recent_denied_code, 129);
	/* the right NAI is accepted and echoed before the MN-HA extension */
	send_req((struct req){ .lifetime = 100, .id = ts(f++), .nai = "mn1@example.net" }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert_uint_eq(rp.ext.nai_len, 15);
	ck_assert_mem_eq(rp.ext.nai, "mn1@example.net", 15);
	ck_assert_uint_lt((size_t)(rp.ext.nai - sent), rp.ext.mn_ha.start);
}
END_TEST

START_TEST(test_total_bindings_cap)
{
	struct mip_reg_reply rp;

	send_req((struct req){ .lifetime = 100, .id = ts(1), .flags = MIP_RRQ_S }, &rp);
	send_req((struct req){ .lifetime = 100, .id = ts(2), .flags = MIP_RRQ_S, .coa = "203.0.113.11" }, &rp);
	send_req((struct req){ .lifetime = 100, .id = ts(3), .flags = MIP_RRQ_S, .coa = "203.0.113.12" }, &rp);
	send_req((struct req){ .hoa = "192.0.2.113", .spi = 300, .lifetime = 100, .id = 1 }, &rp);
	send_req((struct req){ .hoa = "192.0.2.113", .spi = 300, .lifetime = 100,
			       .id = (rp.id & ~0xffffffffull) | 2 }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert_uint_eq(ha.bindings.count, 4);
	send_req((struct req){ .hoa = "192.0.2.114", .spi = 300, .lifetime = 100, .id = 1 }, &rp);
	send_req((struct req){ .hoa = "192.0.2.114", .spi = 300, .lifetime = 100,
			       .id = (rp.id & ~0xffffffffull) | 2 }, &rp);
	ck_assert_uint_eq(rp.code, 130);
	/* replacing a binding never counts against the cap */
	send_req((struct req){ .lifetime = 100, .id = ts(4), .coa = "203.0.113.20" }, &rp);
	ck_assert_uint_eq(rp.code, 0);
}
END_TEST

START_TEST(test_foreign_agent_auth)
{
	struct mip_reg_reply rp;

	/* from a peer without FA-HA: 132 */
	send_req((struct req){ .lifetime = 100, .id = ts(1), .src = "198.51.100.2", .coa = "198.51.100.2" }, &rp);
	ck_assert_uint_eq(rp.code, 132);
	/* with it: accepted, and the reply carries FA-HA after MN-HA (§3.8.3.3) */
	send_req((struct req){ .lifetime = 100, .id = ts(2), .src = "198.51.100.2", .coa = "198.51.100.2",
			       .fa_spi = 500 }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert(rp.ext.fa_ha.present);
	ck_assert_uint_gt(rp.ext.fa_ha.start, rp.ext.mn_ha.start);
	ck_assert(mip_auth_verify(MIP_AUTH_HMAC_MD5, fakey, 16, sent, &rp.ext.fa_ha));
	/* deregistration through the FA needs no FA-HA and gets none back (§3.5.4) */
	send_req((struct req){ .lifetime = 0, .id = ts(3), .src = "198.51.100.2", .coa = "198.51.100.2" }, &rp);
	ck_assert_uint_eq(rp.code, 0);
	ck_assert(!rp.ext.fa_ha.present);
	ck_assert_uint_eq(mip_counters[MIP_CTR_HA_FA_AUTH_FAILURE], 1);
	/* denials to the peer carry FA-HA too, so the FA relays them (§3.8.3.3 e) */
	send_req((struct req){ .lifetime = 100, .id = ts(1), .src = "198.51.100.2", .coa = "198.51.100.2",
			       .fa_spi = 500 }, &rp);
	ck_assert_uint_eq(rp.code, 133);
	ck_assert(rp.ext.fa_ha.present);
	ck_assert(mip_auth_verify(MIP_AUTH_HMAC_MD5, fakey, 16, sent, &rp.ext.fa_ha));
	send_req((struct req){ .lifetime = 100, .id = ts(9), .src = "198.51.100.2", .coa = "198.51.100.2",
			       .spi = 999 }, &rp);
	ck_assert_uint_eq(rp.code, 131);
	ck_assert(rp.ext.fa_ha.present);
}
END_TEST

START_TEST(test_clear_bindings)
{
	struct mip_reg_reply rp;

	send_req((struct req){ .lifetime = 100, .id = ts(1), .flags = MIP_RRQ_S }, &rp);
	send_req((struct req){ .lifetime = 100, .id = ts(2), .flags = MIP_RRQ_S, .coa = "203.0.113.11" }, &rp);
	ck_assert_uint_eq(ha_clear_bindings(&ha, A("192.0.2.101")), 0);
	ck_assert_uint_eq(ha_clear_bindings(&ha, A("192.0.2.100")), 2);
	ck_assert_uint_eq(timer_next(&timers), TIMER_NONE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ha");
	TCase *tc = tcase_create("registration");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_accept_and_reply_fields);
	tcase_add_test(tc, test_lifetime_capped_never_raised);
	tcase_add_test(tc, test_expiry_is_exact);
	tcase_add_test(tc, test_reregistration_timer_both_ways);
	tcase_add_test(tc, test_reregistration_moves_timer);
	tcase_add_test(tc, test_timestamp_replay_and_resync);
	tcase_add_test(tc, test_duplicate_not_extended);
	tcase_add_test(tc, test_nonces);
	tcase_add_test(tc, test_authentication_failures);
	tcase_add_test(tc, test_silent_discards);
	tcase_add_test(tc, test_no_mn_ha_extension_discarded);
	tcase_add_test(tc, test_poorly_formed);
	tcase_add_test(tc, test_deregistration);
	tcase_add_test(tc, test_simultaneous_bindings);
	tcase_add_test(tc, test_policy_codes);
	tcase_add_test(tc, test_total_bindings_cap);
	tcase_add_test(tc, test_foreign_agent_auth);
	tcase_add_test(tc, test_clear_bindings);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
