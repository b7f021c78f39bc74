/* Unit tests of the configuration: parsing, defaults, checks and look-ups. */
#include "config.h"
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf.h"
#include "log.h"

#define KEY "00112233445566778899aabbccddeeff"
#define SA(spi) "<security-association spi=\"" #spi "\" key=\"" KEY "\"/>"
#define HA_TAG "<home-agent address=\"192.0.2.1\" home-network=\"192.0.2.0/24\">"
#define HA_OPEN "<mipagent>" HA_TAG
#define HA_CLOSE "</home-agent></mipagent>"
#define IN_HA(body) HA_OPEN body HA_CLOSE

/* ---- helpers ---- */

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* Messages written to a memory stream. */
struct msgs {
	char *text;
	size_t len;
	FILE *f;
};

static FILE *msgs_open(struct msgs *m)
{
	memset(m, 0, sizeof(*m));
	m->f = open_memstream(&m->text, &m->len);
	ck_assert_ptr_nonnull(m->f);
	return m->f;
}

static int msgs_close(struct msgs *m)
{
	int lines = 0;
	size_t i;

	fclose(m->f);
	for (i = 0; i < m->len; i++)
		lines += m->text[i] == '\n';
	return lines;
}

static struct conf *parse(const char *xml, struct msgs *m)
{
	return conf_parse_memory("test.xml", xml, strlen(xml), msgs_open(m));
}

/* Parse and check @xml, which must parse; returns conf_check's count and
 * leaves the messages in @m (free m->text). */
static int check_count(const char *xml, struct msgs *m)
{
	struct conf *c = parse(xml, m);
	int n;

	if (!c) {
		msgs_close(m);
		ck_abort_msg("parse failed: %s", m->text);
	}
	n = conf_check(c, m->f);
	ck_assert_int_eq(msgs_close(m), n);
	conf_free(c);
	return n;
}

/* Parse @xml, which must fail; returns the number of messages. */
static int parse_errors(const char *xml, struct msgs *m)
{
	struct conf *c = parse(xml, m);

	ck_assert_ptr_null(c);
	return msgs_close(m);
}

/* A parsed and checked configuration without problems. */
static struct conf *good(const char *xml)
{
	struct msgs m;
	struct conf *c = parse(xml, &m);
	int n;

	if (!c) {
		msgs_close(&m);
		ck_abort_msg("parse failed: %s", m.text);
	}
	n = conf_check(c, m.f);
	msgs_close(&m);
	ck_assert_msg(n == 0, "conf_check: %s", m.text);
	free(m.text);
	return c;
}

static char *print_to_string(const struct conf *c)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	ck_assert_ptr_nonnull(f);
	conf_print(c, f);
	fclose(f);
	return s;
}

/* ---- defaults and values ---- */

START_TEST(test_defaults)
{
	struct conf *c = good(IN_HA("<mobile-node address=\"192.0.2.10\">" SA(256) "</mobile-node>"));
	const struct conf_home_agent *ha = &c->ha;
	const struct conf_node *n;
	const struct conf_sa *sa;

	ck_assert_int_eq(c->log_level, LOG_LVL_INFO);
	ck_assert_str_eq(c->state_dir, MIP_CONF_DEFAULT_STATE_DIR);
	ck_assert_str_eq(c->control_socket, MIP_CONF_DEFAULT_SOCKET);
	ck_assert_str_eq(c->path, "test.xml");
	ck_assert(!c->allow_reserved_spi);
	ck_assert(ha->enabled);
	ck_assert_int_eq(ha->line, 1);
	ck_assert_uint_eq(ha->address.s_addr, ip("192.0.2.1").s_addr);
	ck_assert_str_eq(ha->interface, "");
	ck_assert_uint_eq(ha->home_network.addr.s_addr, ip("192.0.2.0").s_addr);
	ck_assert_uint_eq(ha->home_network.len, 24);
	ck_assert_uint_eq(ha->max_lifetime, 1800);
	ck_assert_uint_eq(ha->max_bindings, 1);
	ck_assert_uint_eq(ha->max_total_bindings, 0);
	ck_assert(ha->reverse_tunnel);
	ck_assert(!ha->reverse_tunnel_required);
	ck_assert(ha->encaps_minimal);
	ck_assert(ha->encaps_gre);
	ck_assert(!ha->broadcast);
	ck_assert(ha->collocated);
	ck_assert(ha->access_default_permit);
	ck_assert_uint_eq(ha->n_access, 0);
	ck_assert_uint_eq(ha->n_virtual_networks, 0);
	ck_assert_uint_eq(c->n_peers, 0);
	ck_assert_uint_eq(ha->n_nodes, 1);
	n = &ha->nodes[0];
	ck_assert_uint_eq(n->first.s_addr, ip("192.0.2.10").s_addr);
	ck_assert_uint_eq(n->last.s_addr, n->first.s_addr);
	ck_assert_ptr_null(n->nai);
	ck_assert_uint_eq(n->max_lifetime, 0);   /* the home agent's */
	ck_assert_uint_eq(n->max_bindings, 0);
	ck_assert(n->roam);
	ck_assert_uint_eq(n->n_sas, 1);
	sa = &n->sas[0];
	ck_assert_uint_eq(sa->spi, 256);
	ck_assert_int_eq(sa->alg, MIP_AUTH_HMAC_MD5);
	ck_assert_int_eq(sa->replay, MIP_REPLAY_TIMESTAMPS);
	ck_assert_uint_eq(sa->tolerance, 7);
	ck_assert_uint_eq(sa->keylen, 16);
	ck_assert_uint_eq(sa->key[0], 0x00);
	ck_assert_uint_eq(sa->key[1], 0x11);
	ck_assert_uint_eq(sa->key[15], 0xff);
	conf_free(c);
}
END_TEST

START_TEST(test_all_values)
{
	static const char xml[] =
		"<mipagent>\n"
		"<general log-level=\"debug\" state-dir=\"/s\" control-socket=\"/c.sock\" allow-reserved-spi=\"yes\"/>\n"
		"<home-agent address=\"198.51.100.1\" interface=\"ha0\" home-network=\"192.0.2.0/25\"\n"
		" max-registration-lifetime=\"65535\" max-bindings=\"4\" max-total-bindings=\"100\"\n"
		" reverse-tunnel=\"0\" reverse-tunnel-required=\"1\" minimal-encapsulation=\"no\"\n"
		" gre-encapsulation=\"false\" broadcast=\"true\" collocated=\"no\">\n"
		"<virtual-network prefix=\"10.99.0.0/16\"/>\n"
		"<care-of-access default=\"deny\"><deny network=\"203.0.113.128/25\"/>"
		"<permit network=\"0.0.0.0/0\"/></care-of-access>\n"
		"<mobile-node address=\"192.0.2.100\" nai=\"mn@example.net\" max-registration-lifetime=\"60\" "
		"max-bindings=\"2\" roam=\"false\">\n"
		"<security-association spi=\"7\" algorithm=\"rfc2002-md5\" key=\"AbCd\" replay-method=\"nonces\" "
		"timestamp-tolerance=\"30\"/>\n"
		"<security-association spi=\"4294967295\" algorithm=\"keyed-md5\" key=\"01\"/>\n"
		"</mobile-node>\n"
		"<mobile-node first=\"10.99.0.1\" last=\"10.99.0.200\">" SA(300) "</mobile-node>\n"
		"</home-agent>\n"
		"<peer address=\"198.51.100.2\">" SA(500) "</peer>\n"
		"</mipagent>\n";
	struct conf *c = good(xml);
	const struct conf_home_agent *ha = &c->ha;
	const struct conf_node *n;

	ck_assert_int_eq(c->log_level, LOG_LVL_DEBUG);
	ck_assert_str_eq(c->state_dir, "/s");
	ck_assert_str_eq(c->control_socket, "/c.sock");
	ck_assert(c->allow_reserved_spi);
	ck_assert_str_eq(ha->interface, "ha0");
	ck_assert_int_eq(ha->line, 3);
	ck_assert_uint_eq(ha->home_network.len, 25);
	ck_assert_uint_eq(ha->max_lifetime, 65535);
	ck_assert_uint_eq(ha->max_bindings, 4);
	ck_assert_uint_eq(ha->max_total_bindings, 100);
	ck_assert(!ha->reverse_tunnel && ha->reverse_tunnel_required);
	ck_assert(!ha->encaps_minimal && !ha->encaps_gre && ha->broadcast && !ha->collocated);
	ck_assert(!ha->access_default_permit);
	ck_assert_uint_eq(ha->n_virtual_networks, 1);
	ck_assert_int_eq(ha->virtual_networks[0].line, 7);
	ck_assert_uint_eq(ha->n_access, 2);
	ck_assert(!ha->access[0].permit);
	ck_assert_uint_eq(ha->access[0].net.len, 25);
	ck_assert(ha->access[1].permit);
	ck_assert_uint_eq(ha->access[1].net.len, 0);
	ck_assert_int_eq(ha->access[1].line, 8);

	/* sorted: the 10.99 range first */
	ck_assert_uint_eq(ha->n_nodes, 2);
	ck_assert_uint_eq(ha->nodes[0].first.s_addr, ip("10.99.0.1").s_addr);
	ck_assert_uint_eq(ha->nodes[0].last.s_addr, ip("10.99.0.200").s_addr);
	ck_assert_int_eq(ha->nodes[0].line, 13);
	n = &ha->nodes[1];
	ck_assert_int_eq(n->line, 9);
	ck_assert_str_eq(n->nai, "mn@example.net");
	ck_assert_uint_eq(n->max_lifetime, 60);
	ck_assert_uint_eq(n->max_bindings, 2);
	ck_assert(!n->roam);
	ck_assert_uint_eq(n->n_sas, 2);
	ck_assert_uint_eq(n->sas[0].spi, 7);
	ck_assert_int_eq(n->sas[0].line, 10);
	ck_assert_int_eq(n->sas[0].alg, MIP_AUTH_KEYED_MD5_RFC2002);
	ck_assert_int_eq(n->sas[0].replay, MIP_REPLAY_NONCES);
	ck_assert_uint_eq(n->sas[0].tolerance, 30);
	ck_assert_uint_eq(n->sas[0].keylen, 2);
	ck_assert_uint_eq(n->sas[0].key[0], 0xab);
	ck_assert_uint_eq(n->sas[0].key[1], 0xcd);
	ck_assert_uint_eq(n->sas[1].spi, 4294967295u);
	ck_assert_int_eq(n->sas[1].alg, MIP_AUTH_KEYED_MD5);
	ck_assert_uint_eq(n->sas[1].keylen, 1);
	ck_assert_uint_eq(c->n_peers, 1);
	ck_assert_uint_eq(c->peers[0].addr.s_addr, ip("198.51.100.2").s_addr);
	ck_assert_int_eq(c->peers[0].line, 15);
	ck_assert_uint_eq(c->peers[0].sas[0].spi, 500);
	conf_free(c);
}
END_TEST

START_TEST(test_booleans)
{
	static const char *const yes[] = { "true", "yes", "1" };
	static const char *const no[] = { "false", "no", "0" };
	char xml[512];
	int i;

	for (i = 0; i < 6; i++) {
		const char *v = i < 3 ? yes[i] : no[i - 3];
		struct conf *c;

		snprintf(xml, sizeof(xml),
			 "<mipagent><general allow-reserved-spi=\"%s\"/>" HA_TAG
			 "<mobile-node address=\"192.0.2.9\">" SA(300) "</mobile-node>" HA_CLOSE, v);
		c = good(xml);
		ck_assert_int_eq(c->allow_reserved_spi, i < 3);
		conf_free(c);
	}
}
END_TEST

START_TEST(test_log_levels)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const int levels[] = { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
	char xml[512];
	int i;

	for (i = 0; i < 4; i++) {
		struct conf *c;

		snprintf(xml, sizeof(xml),
			 "<mipagent><general log-level=\"%s\"/>" HA_TAG
			 "<mobile-node address=\"192.0.2.9\">" SA(300) "</mobile-node>" HA_CLOSE,
			 names[i]);
		c = good(xml);
		ck_assert_int_eq(c->log_level, levels[i]);
		conf_free(c);
	}
}
END_TEST

/* A hand-built configuration gets its zero fields defaulted too. */
START_TEST(test_check_fills_defaults)
{
	struct conf *c = calloc(1, sizeof(*c));
	struct conf_node *n = calloc(1, sizeof(*n));
	struct conf_sa *sa = calloc(1, sizeof(*sa));

	ck_assert(c && n && sa);
	sa->spi = 1000;
	sa->keylen = 4;
	n->first = n->last = ip("192.0.2.10");
	n->sas = sa;
	n->n_sas = 1;
	c->ha.enabled = true;
	c->ha.address = ip("192.0.2.1");
	c->ha.home_network.addr = ip("192.0.2.0");
	c->ha.home_network.len = 24;
	c->ha.nodes = n;
	c->ha.n_nodes = 1;
	ck_assert_int_eq(conf_check(c, NULL), 0);
	ck_assert_str_eq(c->state_dir, MIP_CONF_DEFAULT_STATE_DIR);
	ck_assert_str_eq(c->control_socket, MIP_CONF_DEFAULT_SOCKET);
	ck_assert_uint_eq(c->ha.max_lifetime, 1800);
	ck_assert_uint_eq(c->ha.max_bindings, 1);
	ck_assert_int_eq(sa->alg, MIP_AUTH_HMAC_MD5);
	ck_assert_int_eq(sa->replay, MIP_REPLAY_TIMESTAMPS);
	ck_assert_uint_eq(sa->tolerance, 7);
	conf_free(c);
}
END_TEST

/* Values only a hand-built configuration can have. */
START_TEST(test_check_ranges)
{
	struct conf *c = good(IN_HA("<mobile-node address=\"192.0.2.10\">" SA(256) "</mobile-node>"));
	struct msgs m;

	c->ha.max_lifetime = 65536;
	c->ha.max_bindings = 70000;
	c->ha.nodes[0].max_lifetime = 100000;
	c->ha.nodes[0].sas[0].tolerance = 3601;
	c->ha.nodes[0].sas[0].keylen = 0;
	c->log_level = 9;
	ck_assert_int_eq(conf_check(c, msgs_open(&m)), 6);
	ck_assert_int_eq(msgs_close(&m), 6);
	ck_assert_ptr_nonnull(strstr(m.text, "test.xml:1: max-registration-lifetime 65536 out of range (1-65535)"));
	ck_assert_ptr_nonnull(strstr(m.text, "max-bindings 70000 out of range"));
	ck_assert_ptr_nonnull(strstr(m.text, "timestamp-tolerance 3601 out of range"));
	ck_assert_ptr_nonnull(strstr(m.text, "has no valid key"));
	ck_assert_ptr_nonnull(strstr(m.text, "test.xml: log-level 9"));
	free(m.text);
	conf_free(c);
}
END_TEST

/* ---- look-ups ---- */

START_TEST(test_prefix_contains)
{
	struct conf_prefix p = { .addr = ip("192.0.2.0"), .len = 24 };
	struct conf_prefix all = { .addr = ip("0.0.0.0"), .len = 0 };
	struct conf_prefix host = { .addr = ip("192.0.2.7"), .len = 32 };
	struct conf_prefix bad = { .addr = ip("192.0.2.7"), .len = 33 };

	ck_assert(conf_prefix_contains(&p, ip("192.0.2.0")));
	ck_assert(conf_prefix_contains(&p, ip("192.0.2.255")));
	ck_assert(!conf_prefix_contains(&p, ip("192.0.3.0")));
	ck_assert(!conf_prefix_contains(&p, ip("192.0.1.255")));
	ck_assert(conf_prefix_contains(&all, ip("255.255.255.255")));
	ck_assert(conf_prefix_contains(&all, ip("0.0.0.0")));
	ck_assert(conf_prefix_contains(&host, ip("192.0.2.7")));
	ck_assert(!conf_prefix_contains(&host, ip("192.0.2.6")));
	ck_assert(!conf_prefix_contains(&bad, ip("192.0.2.7")));
}
END_TEST

/* 256 ranges .10-.19 and 256 single nodes .50 in 10.0.X.0/24, listed in a
 * scrambled order. */
static char *many_nodes_xml(void)
{
	size_t cap = 400000, o = 0;
	char *xml = malloc(cap);
	int k;

	ck_assert_ptr_nonnull(xml);
	o += (size_t)snprintf(xml + o, cap - o, "<mipagent><home-agent address=\"192.0.2.1\" "
			      "home-network=\"192.0.2.0/24\"><virtual-network prefix=\"10.0.0.0/16\"/>\n");
	for (k = 0; k < 256; k++) {
		int x = (k * 97) % 256;   /* 97 is prime to 256: a permutation */

		o += (size_t)snprintf(xml + o, cap - o,
				      "<mobile-node first=\"10.0.%d.10\" last=\"10.0.%d.19\">" SA(300)
				      "</mobile-node>\n<mobile-node address=\"10.0.%d.50\">" SA(301)
				      "</mobile-node>\n", x, x, (x * 13) % 256);
		ck_assert_uint_lt(o, cap);
	}
	snprintf(xml + o, cap - o, HA_CLOSE);
	return xml;
}

START_TEST(test_find_node_many)
{
	char *xml = many_nodes_xml();
	struct conf *c = good(xml);
	const struct conf_home_agent *ha = &c->ha;
	char a[32];
	size_t i;
	int x;

	free(xml);
	ck_assert_uint_eq(ha->n_nodes, 512);
	for (i = 1; i < ha->n_nodes; i++)
		ck_assert_uint_lt(ntohl(ha->nodes[i - 1].last.s_addr), ntohl(ha->nodes[i].first.s_addr));
	for (x = 0; x < 256; x++) {
		const struct conf_node *n;

		snprintf(a, sizeof(a), "10.0.%d.10", x);
		n = conf_find_node(ha, ip(a));
		ck_assert_ptr_nonnull(n);
		ck_assert_uint_eq(n->first.s_addr, ip(a).s_addr);
		snprintf(a, sizeof(a), "10.0.%d.15", x);
		ck_assert_ptr_eq(conf_find_node(ha, ip(a)), n);
		snprintf(a, sizeof(a), "10.0.%d.19", x);
		ck_assert_ptr_eq(conf_find_node(ha, ip(a)), n);
		snprintf(a, sizeof(a), "10.0.%d.9", x);
		ck_assert_ptr_null(conf_find_node(ha, ip(a)));
		snprintf(a, sizeof(a), "10.0.%d.20", x);
		ck_assert_ptr_null(conf_find_node(ha, ip(a)));
		snprintf(a, sizeof(a), "10.0.%d.49", x);
		ck_assert_ptr_null(conf_find_node(ha, ip(a)));
		snprintf(a, sizeof(a), "10.0.%d.50", x);
		n = conf_find_node(ha, ip(a));
		ck_assert_ptr_nonnull(n);
		ck_assert_uint_eq(n->first.s_addr, n->last.s_addr);
		ck_assert_uint_eq(n->sas[0].spi, 301);
		snprintf(a, sizeof(a), "10.0.%d.51", x);
		ck_assert_ptr_null(conf_find_node(ha, ip(a)));
	}
	ck_assert_ptr_null(conf_find_node(ha, ip("0.0.0.0")));
	ck_assert_ptr_null(conf_find_node(ha, ip("10.0.0.0")));
	ck_assert_ptr_null(conf_find_node(ha, ip("10.0.255.255")));
	ck_assert_ptr_null(conf_find_node(ha, ip("255.255.255.255")));
	ck_assert_ptr_eq(conf_find_node(ha, ip("10.0.0.10")), &ha->nodes[0]);
	ck_assert_ptr_eq(conf_find_node(ha, ip("10.0.255.50")), &ha->nodes[511]);
	conf_free(c);
}
END_TEST

START_TEST(test_find_node_edges)
{
	struct conf_home_agent empty = { .enabled = true };
	struct conf *c = good(IN_HA("<mobile-node address=\"192.0.2.10\">" SA(256) "</mobile-node>"));

	ck_assert_ptr_null(conf_find_node(&empty, ip("10.0.0.1")));
	ck_assert_ptr_eq(conf_find_node(&c->ha, ip("192.0.2.10")), &c->ha.nodes[0]);
	ck_assert_ptr_null(conf_find_node(&c->ha, ip("192.0.2.9")));
	ck_assert_ptr_null(conf_find_node(&c->ha, ip("192.0.2.11")));
	conf_free(c);
}
END_TEST

START_TEST(test_find_node_adjacent)
{
	struct conf *c = good("<mipagent><home-agent address=\"255.255.255.254\" home-network=\"0.0.0.0/1\">"
			      "<virtual-network prefix=\"128.0.0.0/1\"/>"
			      "<mobile-node first=\"128.0.0.0\" last=\"255.255.255.253\">" SA(300) "</mobile-node>"
			      "<mobile-node address=\"0.0.0.1\">" SA(301) "</mobile-node>"
			      "<mobile-node first=\"0.0.0.2\" last=\"127.255.255.255\">" SA(302) "</mobile-node>"
			      HA_CLOSE);
	const struct conf_home_agent *ha = &c->ha;

	ck_assert_ptr_null(conf_find_node(ha, ip("0.0.0.0")));
	ck_assert_uint_eq(conf_find_node(ha, ip("0.0.0.1"))->sas[0].spi, 301);
	ck_assert_uint_eq(conf_find_node(ha, ip("0.0.0.2"))->sas[0].spi, 302);
	ck_assert_uint_eq(conf_find_node(ha, ip("127.255.255.255"))->sas[0].spi, 302);
	ck_assert_uint_eq(conf_find_node(ha, ip("128.0.0.0"))->sas[0].spi, 300);
	ck_assert_uint_eq(conf_find_node(ha, ip("255.255.255.253"))->sas[0].spi, 300);
	ck_assert_ptr_null(conf_find_node(ha, ip("255.255.255.254")));
	ck_assert_ptr_null(conf_find_node(ha, ip("255.255.255.255")));
	conf_free(c);
}
END_TEST

START_TEST(test_find_sa)
{
	struct conf *c = good(IN_HA("<mobile-node address=\"192.0.2.10\">" SA(300) SA(4294967295) SA(256)
				    "</mobile-node>"));
	const struct conf_node *n = &c->ha.nodes[0];

	ck_assert_ptr_eq(conf_find_sa(n->sas, n->n_sas, 300), &n->sas[0]);
	ck_assert_ptr_eq(conf_find_sa(n->sas, n->n_sas, 4294967295u), &n->sas[1]);
	ck_assert_ptr_eq(conf_find_sa(n->sas, n->n_sas, 256), &n->sas[2]);
	ck_assert_ptr_null(conf_find_sa(n->sas, n->n_sas, 257));
	ck_assert_ptr_null(conf_find_sa(n->sas, n->n_sas, 0));
	ck_assert_ptr_null(conf_find_sa(n->sas, 0, 300));
	ck_assert_ptr_null(conf_find_sa(NULL, 0, 300));
	conf_free(c);
}
END_TEST

START_TEST(test_find_peer)
{
	struct conf *c = good("<mipagent>"
			      "<peer address=\"198.51.100.9\">" SA(500) "</peer>"
			      "<peer address=\"10.0.0.1\">" SA(501) "</peer>"
			      HA_TAG
			      "<mobile-node address=\"192.0.2.9\">" SA(300) "</mobile-node>"
			      "</home-agent>"
			      "<peer address=\"198.51.100.2\">" SA(502) "</peer>"
			      "<peer address=\"203.0.113.1\">" SA(503) "</peer>"
			      "<peer address=\"198.51.100.3\">" SA(504) "</peer>"
			      "</mipagent>");
	static const char *const order[] = {
		"10.0.0.1", "198.51.100.2", "198.51.100.3", "198.51.100.9", "203.0.113.1",
	};
	size_t i;

	ck_assert_uint_eq(c->n_peers, 5);
	for (i = 0; i < 5; i++) {
		const struct conf_peer *p = conf_find_peer(c, ip(order[i]));

		ck_assert_ptr_eq(p, &c->peers[i]);
		ck_assert_uint_eq(p->addr.s_addr, ip(order[i]).s_addr);
	}
	ck_assert_uint_eq(conf_find_peer(c, ip("198.51.100.2"))->sas[0].spi, 502);
	ck_assert_ptr_null(conf_find_peer(c, ip("0.0.0.0")));
	ck_assert_ptr_null(conf_find_peer(c, ip("10.0.0.2")));
	ck_assert_ptr_null(conf_find_peer(c, ip("198.51.100.4")));
	ck_assert_ptr_null(conf_find_peer(c, ip("255.255.255.255")));
	conf_free(c);
}
END_TEST

/* ---- parse errors: each counted, all reported ---- */

struct err_case {
	const char *xml;
	int count;
	const char *message;   /* one of the messages, whole line */
};

static const struct err_case parse_cases[] = {
	{ IN_HA("<foo/>"), 1, "test.xml:1: unknown element <foo>" },
	{ "<mipagent><gateway-foreign-agent/>" HA_TAG HA_CLOSE, 1,
	  "test.xml:1: unknown element <gateway-foreign-agent>" },
	{ "<mipagent><foreign-agent icmp-code=\"1\"><interface name=\"fa0\">"
	  "<care-of-address address=\"203.0.113.1\"/></interface></foreign-agent></mipagent>", 1,
	  "test.xml:1: <foreign-agent> icmp-code=\"1\": not 16 or 0" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\" colour=\"red\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:1: unknown attribute colour on <mobile-node>" },
	{ IN_HA("<mobile-node address=\"192.0.2.256\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:1: <mobile-node> address=\"192.0.2.256\": not an IPv4 address" },
	{ IN_HA("<virtual-network prefix=\"10.0.0.0/33\"/>"), 1,
	  "test.xml:1: <virtual-network> prefix=\"10.0.0.0/33\": prefix length out of range (1-32)" },
	{ IN_HA("<virtual-network prefix=\"10.0.0.0\"/>"), 1,
	  "test.xml:1: <virtual-network> prefix=\"10.0.0.0\": not an IPv4 prefix (address/length)" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\" max-bindings=\"0\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:1: <mobile-node> max-bindings=\"0\": out of range (1-65535)" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\" max-registration-lifetime=\"65536\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:1: <mobile-node> max-registration-lifetime=\"65536\": out of range (1-65535)" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\" roam=\"maybe\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:1: <mobile-node> roam=\"maybe\": not a boolean (true, false, yes, no, 1, 0)" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\"><security-association spi=\"256\" key=\"00\" "
		"algorithm=\"md5\"/></mobile-node>"), 1,
	  "test.xml:1: <security-association> algorithm=\"md5\": unknown algorithm (hmac-md5, keyed-md5, rfc2002-md5)" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\"><security-association spi=\"256\" key=\"00\" "
		"replay-method=\"none\"/></mobile-node>"), 1,
	  "test.xml:1: <security-association> replay-method=\"none\": unknown replay method (timestamps, nonces)" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\"><security-association spi=\"256\" key=\"001\"/></mobile-node>"), 1,
	  "test.xml:1: <security-association> key: odd number of hex digits" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\"><security-association spi=\"256\" key=\"\"/></mobile-node>"), 1,
	  "test.xml:1: <security-association> key: empty key" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\"><security-association spi=\"256\" key=\"" KEY KEY KEY KEY "00\"/></mobile-node>"), 1,
	  "test.xml:1: <security-association> key: longer than 64 bytes" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\"><security-association spi=\"256\" key=\"zz\"/></mobile-node>"), 1,
	  "test.xml:1: <security-association> key: not a hexadecimal string" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\"><security-association key=\"00\"/></mobile-node>"), 1,
	  "test.xml:1: <security-association> needs the spi attribute" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\"><security-association spi=\"256\"/></mobile-node>"), 1,
	  "test.xml:1: <security-association> needs the key attribute" },
	{ IN_HA("<mobile-node>" SA(256) "</mobile-node>"), 1,
	  "test.xml:1: <mobile-node> needs an address, or first and last" },
	{ IN_HA("<mobile-node last=\"192.0.2.9\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:1: <mobile-node> needs both first and last" },
	{ "<mipagent><home-agent home-network=\"192.0.2.0/24\"/></mipagent>", 1,
	  "test.xml:1: <home-agent> needs the address attribute" },
	{ "<mipagent><peer>" SA(500) "</peer></mipagent>", 1,
	  "test.xml:1: <peer> needs the address attribute" },
	{ "<mipagent><home-agent address=\"192.0.2.1\" interface=\"abcdefghijklmnop\"/></mipagent>", 1,
	  "test.xml:1: <home-agent> interface=\"abcdefghijklmnop\": interface name longer than 15 characters" },
	{ "<mipagent><general state-dir=\"run\"/></mipagent>", 1,
	  "test.xml:1: <general> state-dir=\"run\": not an absolute path" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\" nai=\"a b\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:1: <mobile-node> nai=\"a b\": contains white space" },
	{ "<mipagent><general/><general/></mipagent>", 1,
	  "test.xml:1: duplicate <general> (first at line 1)" },
	{ "<mipagent>\n<home-agent address=\"1.2.3.4\" home-network=\"1.2.3.0/24\">\nx</home-agent></mipagent>", 1,
	  "test.xml:3: unexpected text in <home-agent>" },
	{ "<mipagent><home-agent></mipagent>", 2, NULL },
	{ "", 1, "test.xml:1: Document is empty" },
	{ "<config/>", 1, "test.xml:1: root element must be <mipagent>, not <config>" },
	/* every problem reported, not just the first */
	{ "<mipagent>\n<general log-level=\"loud\"/>\n<home-agent address=\"x\" y=\"z\">\n"
	  "<mobile-node address=\"192.0.2.1\" first=\"192.0.2.2\">"
	  "<security-association spi=\"-1\" key=\"0\"/></mobile-node>\n<bar/></home-agent>\n</mipagent>", 7,
	  "test.xml:5: unknown element <bar>" },
};

START_TEST(test_parse_errors)
{
	const struct err_case *t = &parse_cases[_i];
	struct msgs m;
	int n = parse_errors(t->xml, &m);

	ck_assert_msg(n == t->count, "case %d: %d messages, expected %d:\n%s", _i, n, t->count, m.text);
	if (t->message) {
		char *line = malloc(strlen(t->message) + 2);

		ck_assert_ptr_nonnull(line);
		sprintf(line, "%s\n", t->message);
		ck_assert_msg(strstr(m.text, line) != NULL, "case %d: no \"%s\" in:\n%s", _i, t->message,
			      m.text);
		free(line);
	}
	free(m.text);
}
END_TEST

/* ---- check errors ---- */

static const struct err_case check_cases[] = {
	{ "<mipagent><foreign-agent/></mipagent>", 1,
	  "test.xml:1: foreign-agent needs at least one <interface>" },
	{ "<mipagent><foreign-agent><interface name=\"fa0\"/></foreign-agent></mipagent>", 1,
	  "test.xml:1: interface fa0 offers no care-of-address" },
	{ "<mipagent><home-agent address=\"192.0.2.1\">"
	  "<virtual-network prefix=\"10.0.0.0/8\"/><mobile-node address=\"10.0.0.9\">" SA(256)
	  "</mobile-node>" HA_CLOSE, 1, "test.xml:1: home-agent needs a home-network" },
	{ "<mipagent><home-agent address=\"192.0.2.1\" home-network=\"192.0.2.128/24\">"
	  "<mobile-node address=\"192.0.2.9\">" SA(256) "</mobile-node>" HA_CLOSE, 1,
	  "test.xml:1: home-network 192.0.2.128/24 has host bits set; the prefix is 192.0.2.0/24" },
	{ IN_HA("<virtual-network prefix=\"10.1.0.0/8\"/>"), 1,
	  "test.xml:1: virtual-network 10.1.0.0/8 has host bits set; the prefix is 10.0.0.0/8" },
	{ IN_HA("<care-of-access><deny network=\"10.0.0.1/31\"/></care-of-access>"), 1,
	  "test.xml:1: deny network 10.0.0.1/31 has host bits set; the prefix is 10.0.0.0/31" },
	{ "<mipagent><home-agent address=\"192.0.2.1\" interface=\"a/b\" home-network=\"192.0.2.0/24\">"
	  HA_CLOSE, 1, "test.xml:1: interface name \"a/b\" is not valid" },
	{ IN_HA("<mobile-node first=\"192.0.2.9\" last=\"192.0.2.8\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:1: mobile-node first 192.0.2.9 is after last 192.0.2.8" },
	{ IN_HA("<mobile-node first=\"192.0.2.10\" last=\"192.0.2.20\">" SA(256) "</mobile-node>\n"
		"<mobile-node first=\"192.0.2.20\" last=\"192.0.2.30\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:2: mobile-node 192.0.2.20-192.0.2.30 overlaps mobile-node 192.0.2.10-192.0.2.20 at line 1" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\">" SA(256) "</mobile-node>\n"
		"<mobile-node address=\"192.0.2.10\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:2: duplicate mobile-node 192.0.2.10 (also at line 1)" },
	{ IN_HA("<mobile-node address=\"192.0.3.10\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:1: mobile-node 192.0.3.10 is outside the home network and every virtual network" },
	{ IN_HA("<mobile-node first=\"192.0.2.1\" last=\"192.0.2.2\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:1: mobile-node 192.0.2.1-192.0.2.2 includes the home agent address 192.0.2.1" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\">" SA(255) "</mobile-node>"), 1,
	  "test.xml:1: SPI 255 is reserved (0-255); set allow-reserved-spi to allow it" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\">" SA(256) "\n" SA(256) "</mobile-node>"), 1,
	  "test.xml:2: duplicate SPI 256 (also at line 1)" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\"/>"), 1,
	  "test.xml:1: mobile-node 192.0.2.10 has no security-association" },
	{ IN_HA("<mobile-node first=\"192.0.2.10\" last=\"192.0.2.11\" nai=\"a@b\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:1: nai is only allowed on a single mobile-node, not on a range" },
	{ IN_HA("<mobile-node address=\"192.0.2.10\" nai=\"a@b\">" SA(256) "</mobile-node>\n"
		"<mobile-node address=\"192.0.2.11\" nai=\"a@b\">" SA(256) "</mobile-node>"), 1,
	  "test.xml:2: duplicate nai a@b (also at line 1)" },
	{ "<mipagent><peer address=\"198.51.100.1\">" SA(300) "</peer>\n<peer address=\"198.51.100.1\">"
	  SA(301) "</peer>" HA_TAG HA_CLOSE, 1, "test.xml:2: duplicate peer 198.51.100.1 (also at line 1)" },
	{ "<mipagent><peer address=\"198.51.100.1\"/>" HA_TAG HA_CLOSE, 1,
	  "test.xml:1: peer 198.51.100.1 has no security-association" },
	{ "<mipagent><peer address=\"198.51.100.1\">" SA(300) "</peer></mipagent>", 1,
	  "test.xml: no role enabled: configure a <home-agent> or a <foreign-agent>" },
	{ "<mipagent><home-agent address=\"0.0.0.0\" home-network=\"192.0.2.0/24\"/></mipagent>", 1,
	  "test.xml:1: home-agent address 0.0.0.0 is not a unicast address" },
	/* reserved SPIs are fine when allowed */
	{ "<mipagent><general allow-reserved-spi=\"true\"/>" HA_TAG
	  "<mobile-node address=\"192.0.2.10\">" SA(0) SA(255) "</mobile-node>" HA_CLOSE, 0, NULL },
	/* all of them at once, reported in line order */
	{ "<mipagent>\n<home-agent address=\"192.0.2.1\" home-network=\"192.0.2.1/24\">\n"
	  "<mobile-node address=\"192.0.2.10\">" SA(1) SA(1) "</mobile-node>\n"
	  "<mobile-node first=\"192.0.2.9\" last=\"192.0.2.12\" nai=\"x\"/>\n"
	  "<mobile-node address=\"10.0.0.1\">" SA(300) "</mobile-node>\n"
	  "</home-agent>\n<peer address=\"10.0.0.2\"/>\n</mipagent>", 9,
	  "test.xml:7: peer 10.0.0.2 has no security-association" },
};

START_TEST(test_check_errors)
{
	const struct err_case *t = &check_cases[_i];
	struct msgs m;
	int n = check_count(t->xml, &m);

	ck_assert_msg(n == t->count, "case %d: %d problems, expected %d:\n%s", _i, n, t->count, m.text);
	if (t->message) {
		char *line = malloc(strlen(t->message) + 2);

		ck_assert_ptr_nonnull(line);
		sprintf(line, "%s\n", t->message);
		ck_assert_msg(strstr(m.text, line) != NULL, "case %d: no \"%s\" in:\n%s", _i, t->message,
			      m.text);
		free(line);
	}
	free(m.text);
}
END_TEST

/* Problems come out sorted by line, whichever pass found them. */
START_TEST(test_check_order)
{
	struct msgs m;
	char *p;
	long last = 0;
	int n = check_count("<mipagent>\n<home-agent address=\"192.0.2.1\" home-network=\"192.0.2.0/24\">\n"
			    "<mobile-node address=\"192.0.2.50\">" SA(5) "</mobile-node>\n"
			    "<mobile-node first=\"192.0.2.40\" last=\"192.0.2.60\">" SA(6) "</mobile-node>\n"
			    "<mobile-node address=\"192.0.2.45\">" SA(7) "</mobile-node>\n"
			    "</home-agent>\n</mipagent>", &m);

	ck_assert_int_eq(n, 5);
	for (p = m.text; (p = strstr(p, "test.xml:")) != NULL; p++) {
		long line = strtol(p + 9, NULL, 10);

		ck_assert_int_ge(line, last);
		last = line;
	}
	free(m.text);
}
END_TEST

/* ---- printing, files ---- */

START_TEST(test_print_hides_keys)
{
	struct conf *c = good(IN_HA("<mobile-node address=\"192.0.2.10\">"
				    "<security-association spi=\"256\" key=\"deadbeefcafe\"/></mobile-node>"));
	char *s = print_to_string(c);

	ck_assert_ptr_null(strstr(s, "deadbeef"));
	ck_assert_ptr_null(strstr(s, "DEADBEEF"));
	ck_assert_ptr_nonnull(strstr(s, "  security-association spi 256 algorithm hmac-md5 replay-method "
				     "timestamps timestamp-tolerance 7 key <hidden>\n"));
	ck_assert_ptr_nonnull(strstr(s, "mobile-node 192.0.2.10 max-registration-lifetime 1800 max-bindings 1 roam true\n"));
	free(s);
	conf_free(c);
}
END_TEST

START_TEST(test_print_deterministic)
{
	struct conf *a = good(IN_HA("<mobile-node address=\"192.0.2.10\">" SA(256) "</mobile-node>"
				    "<mobile-node first=\"192.0.2.20\" last=\"192.0.2.29\">" SA(256) "</mobile-node>"));
	struct conf *b = good(IN_HA("<mobile-node first=\"192.0.2.20\" last=\"192.0.2.29\">" SA(256) "</mobile-node>"
				    "<mobile-node address=\"192.0.2.10\">" SA(256) "</mobile-node>"));
	char *sa = print_to_string(a), *sb = print_to_string(b);

	ck_assert_str_eq(sa, sb);
	/* checking again changes nothing */
	ck_assert_int_eq(conf_check(a, NULL), 0);
	free(sb);
	sb = print_to_string(a);
	ck_assert_str_eq(sa, sb);
	free(sa);
	free(sb);
	conf_free(a);
	conf_free(b);
}
END_TEST

START_TEST(test_parse_file)
{
	char path[] = "/tmp/check_conf.XXXXXX";
	static const char xml[] = "<mipagent>\n" HA_TAG "\n<mobile-node address=\"192.0.2.10\">"
				  SA(256) "</mobile-node>" HA_CLOSE "\n";
	struct msgs m;
	struct conf *c;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, xml, sizeof(xml) - 1), (int)sizeof(xml) - 1);
	close(fd);
	c = conf_parse_file(path, msgs_open(&m));
	ck_assert_int_eq(msgs_close(&m), 0);
	free(m.text);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->path, path);
	ck_assert_int_eq(c->ha.line, 2);
	ck_assert_int_eq(c->ha.nodes[0].line, 3);
	ck_assert_int_eq(conf_check(c, NULL), 0);
	conf_free(c);
	unlink(path);

	c = conf_parse_file("/nonexistent/mipagent.xml", msgs_open(&m));
	ck_assert_ptr_null(c);
	ck_assert_int_eq(msgs_close(&m), 1);
	ck_assert_str_eq(m.text, "/nonexistent/mipagent.xml: cannot open: No such file or directory\n");
	free(m.text);
}
END_TEST

/* libxml2 errors come out as FILE:LINE: message, never on stderr, and external
 * entities are not loaded. */
START_TEST(test_xml_errors)
{
	struct msgs m;
	int n;

	n = parse_errors("<mipagent>\n<general>\n</mipagent>\n", &m);
	ck_assert_int_ge(n, 1);
	ck_assert_ptr_nonnull(strstr(m.text, "test.xml:3: Opening and ending tag mismatch"));
	free(m.text);

	n = parse_errors("<?xml version=\"1.0\"?>\n<!DOCTYPE mipagent [<!ENTITY e SYSTEM \"/etc/passwd\">]>\n"
			 "<mipagent><general state-dir=\"/&e;\"/></mipagent>", &m);
	ck_assert_int_ge(n, 1);
	ck_assert_ptr_null(strstr(m.text, "root:"));
	free(m.text);
}
END_TEST

static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_all_values);
	tcase_add_test(tc, test_booleans);
	tcase_add_test(tc, test_log_levels);
	tcase_add_loop_test(tc, test_parse_errors, 0, (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, test_parse_file);
	tcase_add_test(tc, test_xml_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_add_test(tc, test_check_fills_defaults);
	tcase_add_test(tc, test_check_ranges);
	tcase_add_loop_test(tc, test_check_errors, 0, (int)(sizeof(check_cases) / sizeof(check_cases[0])));
	tcase_add_test(tc, test_check_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_test(tc, test_prefix_contains);
	tcase_add_test(tc, test_find_node_many);
	tcase_add_test(tc, test_find_node_edges);
	tcase_add_test(tc, test_find_node_adjacent);
	tcase_add_test(tc, test_find_sa);
	tcase_add_test(tc, test_find_peer);
	suite_add_tcase(s, tc);

	tc = tcase_create("print");
	tcase_add_test(tc, test_print_hides_keys);
	tcase_add_test(tc, test_print_deterministic);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
