/* Unit tests of the security hardening's pure parts: admission control
 * (ratelimit.c), the control request parser (ctl_parse.c), the log flood
 * limit (log.c) and the <limits>/<ipsec> configuration round trip. */
#include "config.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "conf.h"
#include "conf_write.h"
#include "counters.h"
#include "ctl_parse.h"
#include "log.h"
#include "ratelimit.h"

static struct in_addr A(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct in_addr H(uint32_t h)
{
	struct in_addr a = { .s_addr = htonl(h) };

	return a;
}

static const struct rl_limits lim = {
	.source_rate = 10, .source_burst = 5, .rate = 100, .burst = 20,
	.trusted_rate = 1000, .trusted_burst = 50, .max_sources = 8,
};

START_TEST(test_source_bucket)
{
	struct ratelimit *rl = rl_new(&lim);
	struct in_addr a = A("203.0.113.7");
	uint64_t t = 1000;
	int pass = 0;

	ck_assert_ptr_nonnull(rl);
	/* the burst, then nothing until the bucket refills at 10/s */
	for (int i = 0; i < 10; i++)
		pass += rl_admit(rl, a, false, t) == RL_PASS;
	ck_assert_int_eq(pass, 5);
	ck_assert_int_eq(rl_admit(rl, a, false, t), RL_DROP_SOURCE);
	ck_assert(!rl_first_drop(rl));          /* the first drop was reported already */
	ck_assert_int_eq(rl_admit(rl, a, false, t + 99), RL_DROP_SOURCE);
	ck_assert_int_eq(rl_admit(rl, a, false, t + 100), RL_PASS);
	ck_assert_int_eq(rl_admit(rl, a, false, t + 150), RL_DROP_SOURCE);
	ck_assert(rl_first_drop(rl));           /* after a pass: a new burst of drops */
	/* another source is not affected */
	ck_assert_int_eq(rl_admit(rl, A("203.0.113.8"), false, t + 150), RL_PASS);
	rl_free(rl);
}
END_TEST

START_TEST(test_global_and_trusted)
{
	struct ratelimit *rl = rl_new(&lim);
	struct rl_stats st;
	uint64_t t = 5000;
	int pass = 0, global = 0;

	/* many sources: the shared bucket (burst 20) is what stops them */
	for (uint32_t i = 0; i < 200; i++) {
		enum rl_verdict v = rl_admit(rl, H(0xcb007100 + i), false, t);

		pass += v == RL_PASS;
		global += v == RL_DROP_GLOBAL;
	}
	ck_assert_int_eq(pass, 20);
	ck_assert_int_eq(global, 180);
	/* the table holds max_sources, the least recently seen forgotten */
	rl_get_stats(rl, &st);
	ck_assert_uint_eq(st.sources, 8);
	ck_assert_uint_eq(st.evicted, 192);
	/* a known source and a peer are still served, from their own bucket */
	rl_trust(rl, A("198.51.100.9"), t + 1000);
	ck_assert(rl_trusted(rl, A("198.51.100.9"), t));
	ck_assert_int_eq(rl_admit(rl, A("198.51.100.9"), false, t), RL_PASS);
	ck_assert_int_eq(rl_admit(rl, A("198.51.100.2"), true, t), RL_PASS);
	for (int i = 0; i < 100; i++)
		rl_admit(rl, A("198.51.100.9"), false, t);
	ck_assert_int_eq(rl_admit(rl, A("198.51.100.9"), false, t), RL_DROP_TRUSTED);
	/* trust ends; it is extended, never shortened */
	rl_trust(rl, A("198.51.100.9"), t + 10);
	ck_assert(rl_trusted(rl, A("198.51.100.9"), t + 999));
	ck_assert(!rl_trusted(rl, A("198.51.100.9"), t + 1000));
	for (int i = 0; i < 100; i++)
		rl_expire(rl, t + 2000);
	rl_get_stats(rl, &st);
	ck_assert_uint_eq(st.trusted, 0);
	rl_free(rl);
}
END_TEST

START_TEST(test_trust_table_grows)
{
	struct ratelimit *rl = rl_new(&lim);
	struct rl_stats st;

	for (uint32_t i = 0; i < 5000; i++)
		rl_trust(rl, H(0x0a000000 + i), 100000);
	for (uint32_t i = 0; i < 5000; i += 7)
		ck_assert(rl_trusted(rl, H(0x0a000000 + i), 1));
	ck_assert(!rl_trusted(rl, H(0x0b000000), 1));
	rl_get_stats(rl, &st);
	ck_assert_uint_eq(st.trusted, 5000);
	/* new limits: a smaller table starts afresh */
	{
		struct rl_limits l2 = lim;

		l2.max_sources = 2;
		ck_assert_int_eq(rl_configure(rl, &l2), 0);
		rl_admit(rl, A("203.0.113.1"), false, 1);
		rl_admit(rl, A("203.0.113.2"), false, 1);
		rl_admit(rl, A("203.0.113.3"), false, 1);
		rl_get_stats(rl, &st);
		ck_assert_uint_eq(st.sources, 2);
	}
	rl_free(rl);
}
END_TEST

START_TEST(test_no_limit)
{
	struct rl_limits l = lim;
	struct ratelimit *rl;

	l.source_rate = l.rate = 0;
	rl = rl_new(&l);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(rl_admit(rl, A("203.0.113.7"), false, 1), RL_PASS);
	rl_free(rl);
}
END_TEST

START_TEST(test_ctl_parse)
{
	struct ctl_request rq;
	char longline[CTL_REQ_MAX + 10];
	struct in_addr a;

	ck_assert_int_eq(ctl_request_parse("MIP/1 show  peers\t198.51.100.2 ", &rq), CTL_REQ_OK);
	ck_assert_int_eq(rq.n, 4);
	ck_assert_str_eq(ctl_request_word(&rq, 1), "show");
	ck_assert_str_eq(ctl_request_word(&rq, 2), "peers");
	ck_assert_str_eq(ctl_request_word(&rq, 3), "198.51.100.2");
	ck_assert_ptr_null(ctl_request_word(&rq, 4));
	ck_assert_int_eq(ctl_request_parse("", &rq), CTL_REQ_VERSION);
	ck_assert_int_eq(ctl_request_parse("   ", &rq), CTL_REQ_VERSION);
	ck_assert_int_eq(ctl_request_parse("MIP/2 show bindings", &rq), CTL_REQ_VERSION);
	ck_assert_int_eq(ctl_request_parse("MIP/1 show\001bindings", &rq), CTL_REQ_CONTROL);
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	ck_assert_int_eq(ctl_request_parse(longline, &rq), CTL_REQ_TOO_LONG);
	{
		char many[CTL_REQ_MAX] = "MIP/1";

		for (int i = 0; i < CTL_REQ_WORDS; i++)
			strcat(many, " x");
		ck_assert_int_eq(ctl_request_parse(many, &rq), CTL_REQ_TOO_MANY);
	}
	ck_assert_int_eq(ctl_parse_addr(NULL, &a), 0);
	ck_assert_uint_eq(a.s_addr, INADDR_ANY);
	ck_assert_int_eq(ctl_parse_addr("all", &a), 0);
	ck_assert_int_eq(ctl_parse_addr("192.0.2.1", &a), 0);
	ck_assert_uint_eq(a.s_addr, A("192.0.2.1").s_addr);
	ck_assert_int_eq(ctl_parse_addr("192.0.2", &a), -1);
}
END_TEST

static int suppressed_calls;

static void on_suppress(void)
{
	suppressed_calls++;
}

START_TEST(test_log_flood)
{
	unsigned long long before = log_flood_suppressed();

	log_init("check_sec", true, LOG_LVL_INFO);
	log_flood_hook(on_suppress);
	log_flood_limit(1, 3);
	for (int i = 0; i < 20; i++)
		log_flood(LOG_LVL_INFO, "test", "flood line %d", i);
	/* 3 lines of burst (perhaps one more from the refill), the rest held back */
	ck_assert_uint_ge(log_flood_suppressed() - before, 16);
	ck_assert_uint_eq((unsigned long long)suppressed_calls, log_flood_suppressed() - before);
	/* a level that is not logged anyway is not counted */
	log_set_level(LOG_LVL_WARN);
	before = log_flood_suppressed();
	log_flood(LOG_LVL_INFO, "test", "not logged");
	ck_assert_uint_eq(log_flood_suppressed(), before);
	log_flood_hook(NULL);
	log_flood_limit(10, 50);
}
END_TEST

START_TEST(test_conf_round_trip)
{
	static const char xml[] =
		"<mipagent><general user=\"mipagent\"/>"
		"<home-agent address=\"192.0.2.1\" home-network=\"192.0.2.0/24\">"
		"<mobile-node address=\"192.0.2.20\"><security-association spi=\"256\" "
		"key=\"00112233445566778899aabbccddeeff\"/></mobile-node></home-agent>"
		"<peer address=\"198.51.100.2\"><security-association spi=\"500\" "
		"key=\"00112233445566778899aabbccddeeff\"/><ipsec>"
		"<registration-request reqid=\"9\" level=\"use\"/>"
		"<forward-tunnel mode=\"tunnel\" protocol=\"ah\" algorithms=\"hmac-sha256 aes-gcm\"/>"
		"</ipsec></peer><limits rate=\"0\" max-sources=\"100\"/></mipagent>";
	struct conf *c = conf_parse_memory("t.xml", xml, sizeof(xml) - 1, stderr), *c2;
	const struct conf_ipsec *ip;
	size_t len;
	char *out;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(conf_check(c, stderr), 0);
	ck_assert_str_eq(c->user, "mipagent");
	ck_assert_uint_eq(c->limits.rate, 0);
	ck_assert_uint_eq(c->limits.max_sources, 100);
	ck_assert_uint_eq(c->limits.source_rate, MIP_CONF_DEFAULT_SOURCE_RATE);
	ip = &c->peers[0].ipsec;
	ck_assert(ip->present && ip->local.s_addr == A("192.0.2.1").s_addr);
	ck_assert(ip->policy[CONF_IPSEC_REQUEST].present && ip->policy[CONF_IPSEC_REQUEST].optional);
	ck_assert_uint_eq(ip->policy[CONF_IPSEC_REQUEST].reqid, 9);
	ck_assert(!ip->policy[CONF_IPSEC_REPLY].present);
	ck_assert(ip->policy[CONF_IPSEC_FORWARD].tunnel && ip->policy[CONF_IPSEC_FORWARD].ah);
	ck_assert_uint_eq(ip->policy[CONF_IPSEC_FORWARD].aalgos, 1u << 5);
	ck_assert_uint_eq(ip->policy[CONF_IPSEC_FORWARD].ealgos, 1u << 20);
	/* written back and read again: the same */
	out = conf_write_xml(c, &len);
	ck_assert_ptr_nonnull(out);
	c2 = conf_parse_memory("t2.xml", out, len, stderr);
	ck_assert_ptr_nonnull(c2);
	ck_assert_int_eq(conf_check(c2, stderr), 0);
	ck_assert_str_eq(c2->user, "mipagent");
	ck_assert(c2->limits.present && c2->limits.rate == 0 && c2->limits.max_sources == 100);
	for (int t = 0; t < CONF_IPSEC_N; t++) {
		const struct conf_ipsec_policy *a = &ip->policy[t], *b = &c2->peers[0].ipsec.policy[t];

		ck_assert(a->present == b->present && a->tunnel == b->tunnel && a->ah == b->ah &&
			  a->optional == b->optional && a->reqid == b->reqid && a->spi == b->spi &&
			  a->ealgos == b->ealgos && a->aalgos == b->aalgos);
	}
	conf_write_free(out, len);
	conf_free(c2);
	conf_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sec");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_source_bucket);
	tcase_add_test(tc, test_global_and_trusted);
	tcase_add_test(tc, test_trust_table_grows);
	tcase_add_test(tc, test_no_limit);
	tcase_add_test(tc, test_ctl_parse);
	tcase_add_test(tc, test_log_flood);
	tcase_add_test(tc, test_conf_round_trip);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
