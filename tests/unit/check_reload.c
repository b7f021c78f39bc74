/* Unit tests of the configuration writer (agent/conf_write.c), run-time
 * edits (agent/conf_edit.c) and the home agent part of a reload
 * (reload_ha in agent/reload.c). */
#include "config.h"
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include "auth.h"
#include "conf_edit.h"
#include "conf_write.h"
#include "ha.h"
#include "log.h"
#include "notify.h"
#include "reload.h"
#include "wire.h"

#define KEY "00112233445566778899aabbccddeeff"
#define KEY2 "ffeeddccbbaa99887766554433221100"

static const char *conf_a =
	"<mipagent>"
	" <home-agent address='198.51.100.1' home-network='192.0.2.0/24'>"
	"  <mobile-node first='192.0.2.10' last='192.0.2.49'>"
	"   <security-association spi='257' key='" KEY "'/>"
	"  </mobile-node>"
	"  <mobile-node address='192.0.2.100' nai='mn@example.net'>"
	"   <security-association spi='300' key='" KEY "'/>"
	"  </mobile-node>"
	" </home-agent>"
	" <peer address='198.51.100.2'><security-association spi='500' key='" KEY2 "'/></peer>"
	"</mipagent>";

/* the same but without 192.0.2.100, and the range with another key */
static const char *conf_b =
	"<mipagent>"
	" <home-agent address='198.51.100.1' home-network='192.0.2.0/24'>"
	"  <mobile-node first='192.0.2.10' last='192.0.2.49'>"
	"   <security-association spi='258' key='" KEY2 "'/>"
	"  </mobile-node>"
	" </home-agent>"
	"</mipagent>";

static struct conf *parse(const char *xml)
{
	struct conf *c = conf_parse_memory("test.xml", xml, strlen(xml), stderr);

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(conf_check(c, stderr), 0);
	return c;
}

static char *print(const struct conf *c)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	ck_assert_ptr_nonnull(f);
	conf_print(c, f);
	fclose(f);
	return s;
}

static struct in_addr A(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void same_keys(const struct conf_sa *a, size_t na, const struct conf_sa *b, size_t nb)
{
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++) {
		ck_assert_uint_eq(a[i].keylen, b[i].keylen);
		ck_assert(!memcmp(a[i].key, b[i].key, a[i].keylen));
	}
}

/* write -> parse -> check gives the same configuration, keys included, and
 * writing it again gives the same bytes */
static void round_trip(const struct conf *c)
{
	size_t len = 0, len2 = 0, i;
	char *xml = conf_write_xml(c, &len), *xml2, *p1, *p2;
	struct conf *back;

	ck_assert_ptr_nonnull(xml);
	ck_assert_uint_eq(strlen(xml), len);
	back = conf_parse_memory(c->path, xml, len, stderr);
	ck_assert_msg(back != NULL, "%s: the written XML does not parse:\n%s", c->path, xml);
	ck_assert_int_eq(conf_check(back, stderr), 0);
	p1 = print(c);
	p2 = print(back);
	ck_assert_msg(!strcmp(p1, p2), "%s: round trip differs:\n%s---\n%s", c->path, p1, p2);
	ck_assert_uint_eq(c->ha.n_nodes, back->ha.n_nodes);
	for (i = 0; i < c->ha.n_nodes; i++)
		same_keys(c->ha.nodes[i].sas, c->ha.nodes[i].n_sas, back->ha.nodes[i].sas,
			  back->ha.nodes[i].n_sas);
	ck_assert_uint_eq(c->n_peers, back->n_peers);
	for (i = 0; i < c->n_peers; i++)
		same_keys(c->peers[i].sas, c->peers[i].n_sas, back->peers[i].sas, back->peers[i].n_sas);
	xml2 = conf_write_xml(back, &len2);
	ck_assert_ptr_nonnull(xml2);
	ck_assert_str_eq(xml, xml2);
	free(p1);
	free(p2);
	conf_write_free(xml, len);
	conf_write_free(xml2, len2);
	conf_free(back);
}

START_TEST(test_write_round_trip_golden)
{
	const char *top = getenv("top_srcdir");
	char dirname[4096], path[4400], out[4400];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(dirname, sizeof(dirname), "%s/tests/conf", top ? top : ".");
	d = opendir(dirname);
	ck_assert_msg(d != NULL, "cannot open %s", dirname);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		struct conf *c;

		if (l < 5 || strcmp(e->d_name + l - 4, ".xml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirname, e->d_name);
		snprintf(out, sizeof(out), "%s/%.*s.out", dirname, (int)(l - 4), e->d_name);
		if (access(out, R_OK) != 0)
			continue;           /* an invalid case (.err) */
		c = conf_parse_file(path, stderr);
		ck_assert_msg(c != NULL, "%s does not parse", path);
		ck_assert_int_eq(conf_check(c, stderr), 0);
		round_trip(c);
		conf_free(c);
		n++;
	}
	closedir(d);
	ck_assert_int_gt(n, 5);
}
END_TEST

START_TEST(test_write_escapes_and_copy)
{
	static const char *xml =
		"<mipagent><general state-dir='/var/lib/a &amp; &quot;b&quot;' log-level='debug'/>"
		" <home-agent address='198.51.100.1' home-network='192.0.2.0/24'>"
		"  <mobile-node address='192.0.2.7' nai='a&lt;b&gt;&amp;c@x' max-bindings='2'>"
		"   <security-association spi='300' algorithm='rfc2002-md5' replay-method='nonces'"
		"     key='ABCDEF0123'/>"
		"  </mobile-node>"
		" </home-agent></mipagent>";
	struct conf *c = parse(xml), *copy;
	char *a, *b;

	round_trip(c);
	copy = conf_copy(c);
	ck_assert_ptr_nonnull(copy);
	a = print(c);
	b = print(copy);
	ck_assert_str_eq(a, b);
	ck_assert_str_eq(copy->ha.nodes[0].nai, "a<b>&c@x");
	ck_assert_str_eq(copy->state_dir, "/var/lib/a & \"b\"");
	ck_assert_uint_eq(copy->ha.nodes[0].sas[0].keylen, 5);
	ck_assert_uint_eq(copy->ha.nodes[0].sas[0].key[0], 0xab);
	free(a);
	free(b);
	conf_free(copy);
	conf_free(c);
}
END_TEST

START_TEST(test_write_file_atomic)
{
	char dir[] = "/tmp/check_reload.XXXXXX", path[100], why[300], buf[100] = "";
	struct stat st;
	FILE *f;
	DIR *d;
	struct dirent *e;
	int entries = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mipagent.xml", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("old", f);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(conf_write_file(path, "<new/>\n", 7, why, sizeof(why)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_str_eq(buf, "<new/>\n");
	/* no temporary file is left behind */
	d = opendir(dir);
	while ((e = readdir(d)))
		entries += e->d_name[0] != '.' || strlen(e->d_name) > 2;
	closedir(d);
	ck_assert_int_eq(entries, 1);
	/* a missing file is an error, with a reason, and nothing is created */
	snprintf(path, sizeof(path), "%s/missing.xml", dir);
	ck_assert_int_eq(conf_write_file(path, "x", 1, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "missing.xml"));
	ck_assert_int_ne(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/mipagent.xml", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_edit_operations)
{
	struct conf *c = parse(conf_a);
	struct conf_sa_list l;
	struct conf_sa *sa;
	struct conf_node *n;
	struct in_addr f, t;
	char why[200];

	/* the SA list of an address: a range covers every node in it */
	ck_assert_int_eq(conf_edit_sa_list(c, A("192.0.2.20"), &l), 0);
	ck_assert_str_eq(l.desc, "mobile-node range 192.0.2.10-192.0.2.49");
	ck_assert_int_eq(conf_edit_sa_list(c, A("198.51.100.2"), &l), 0);
	ck_assert_str_eq(l.desc, "peer 198.51.100.2");
	ck_assert_int_eq(conf_edit_sa_list(c, A("192.0.2.200"), &l), -1);
	ck_assert_int_eq(conf_edit_sa_list(c, A("192.0.2.100"), &l), 0);
	ck_assert_ptr_null(conf_edit_sa_add(&l, 300, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "already has"));
	sa = conf_edit_sa_add(&l, 301, why, sizeof(why));
	ck_assert_ptr_nonnull(sa);
	ck_assert_int_eq(sa->alg, MIP_AUTH_HMAC_MD5);
	ck_assert_int_eq(conf_edit_sa_set(sa, "key", "0g", why, sizeof(why)), -1);
	ck_assert_ptr_null(strstr(why, "0g"));      /* a key is never echoed */
	ck_assert_int_eq(conf_edit_sa_set(sa, "key", "abc", why, sizeof(why)), -1);
	ck_assert_int_eq(conf_edit_sa_set(sa, "key", KEY2, why, sizeof(why)), 0);
	ck_assert_uint_eq(sa->keylen, 16);
	ck_assert_int_eq(conf_edit_sa_set(sa, "algorithm", "md4", why, sizeof(why)), -1);
	ck_assert_int_eq(conf_edit_sa_set(sa, "algorithm", "keyed-md5", why, sizeof(why)), 0);
	ck_assert_int_eq(conf_edit_sa_set(sa, "timestamp-tolerance", "0", why, sizeof(why)), -1);
	ck_assert_int_eq(conf_edit_sa_set(sa, "timestamp-tolerance", "12", why, sizeof(why)), 0);
	ck_assert_int_eq(conf_edit_sa_set(sa, "replay-method", "nonces", why, sizeof(why)), 0);
	ck_assert_int_eq(conf_edit_sa_set(sa, "spi", "1", why, sizeof(why)), -1);
	ck_assert_int_eq(conf_edit_sa_delete(&l, 999, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_edit_sa_delete(&l, 300, why, sizeof(why)), 0);
	ck_assert_uint_eq(*l.n, 1);
	ck_assert_uint_eq((*l.sas)[0].spi, 301);

	/* nodes: exact entries only */
	ck_assert_int_eq(conf_edit_parse_range("192.0.2.10-192.0.2.49", &f, &t), 0);
	ck_assert_ptr_nonnull(conf_edit_node_find(c, f, t));
	ck_assert_ptr_null(conf_edit_node_add(c, f, t, why, sizeof(why)));
	ck_assert_int_eq(conf_edit_parse_range("192.0.2.10", &f, &t), 0);
	ck_assert_ptr_null(conf_edit_node_find(c, f, t));
	ck_assert_int_eq(conf_edit_node_delete(c, f, t, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_edit_parse_range("192.0.2.10-", &f, &t), -1);
	ck_assert_int_eq(conf_edit_parse_range("x", &f, &t), -1);
	ck_assert_int_eq(conf_edit_parse_range("192.0.2.150", &f, &t), 0);
	n = conf_edit_node_add(c, f, t, why, sizeof(why));
	ck_assert_ptr_nonnull(n);
	ck_assert(n->roam);
	ck_assert_int_eq(conf_edit_node_set(n, "max-registration-lifetime", "0", why, sizeof(why)), -1);
	ck_assert_int_eq(conf_edit_node_set(n, "max-registration-lifetime", "600", why, sizeof(why)), 0);
	ck_assert_int_eq(conf_edit_node_set(n, "roam", "maybe", why, sizeof(why)), -1);
	ck_assert_int_eq(conf_edit_node_set(n, "roam", "no", why, sizeof(why)), 0);
	ck_assert_int_eq(conf_edit_node_set(n, "nai", "a b", why, sizeof(why)), -1);
	ck_assert_int_eq(conf_edit_node_set(n, "colour", "red", why, sizeof(why)), -1);
	l = (struct conf_sa_list){ .sas = &n->sas, .n = &n->n_sas };
	sa = conf_edit_sa_add(&l, 400, why, sizeof(why));
	ck_assert_ptr_nonnull(sa);
	ck_assert_int_eq(conf_edit_sa_set(sa, "key", KEY, why, sizeof(why)), 0);
	/* the result is a valid configuration that writes and reads back */
	ck_assert_int_eq(conf_check(c, stderr), 0);
	round_trip(c);
	ck_assert_ptr_nonnull(conf_find_node(&c->ha, A("192.0.2.150")));
	ck_assert_uint_eq(conf_find_node(&c->ha, A("192.0.2.150"))->max_lifetime, 600);
	ck_assert_int_eq(conf_edit_parse_range("192.0.2.100", &f, &t), 0);
	ck_assert_int_eq(conf_edit_node_delete(c, f, t, why, sizeof(why)), 0);
	ck_assert_int_eq(conf_check(c, stderr), 0);
	ck_assert_ptr_null(conf_find_node(&c->ha, A("192.0.2.100")));
	conf_free(c);
}
END_TEST

/* ---- reload_ha: a home agent with live bindings meets a new configuration */

static struct timer_heap timers;
static struct mip_ha ha;
static int n_sent, n_removed;
static struct in_addr removed_hoa;

static int capture(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	(void)ctx, (void)pi, (void)p, (void)len;
	n_sent++;
	return 0;
}

static void on_event(const struct mip_event *ev, void *arg)
{
	(void)arg;
	if (ev->type == MIP_EV_BINDING_REMOVED) {
		n_removed++;
		removed_hoa = ev->hoa;
	}
}

static void reg(const char *hoa, uint32_t spi, const char *hex)
{
	static uint64_t last;
	uint8_t key[16];
	struct mip_reg_request rq = {
		.lifetime = 300, .hoa = A(hoa), .ha = A("198.51.100.1"), .coa = A("203.0.113.5"),
	};
	struct mip_pkt_info pi = {
		.src = A("203.0.113.5"), .dst = A("198.51.100.1"), .sport = 40000, .dport = 434,
		.unicast = true,
	};
	struct mip_buf b;

	rq.id = mip_ntp_now();
	rq.id = rq.id > last ? rq.id : last + 1;
	last = rq.id;
	mip_key_from_hex(hex, key, sizeof(key));
	ck_assert_int_eq(mip_buf_init(&b, 128), 0);
	mip_build_request(&b, &rq);
	mip_auth_append(&b, MIP_EXT_MN_HA, 0, spi, MIP_AUTH_HMAC_MD5, key, sizeof(key));
	ha_handle_request(&ha, b.data, b.len, &pi);
	mip_buf_free(&b);
}

START_TEST(test_reload_ha_keeps_and_drops)
{
	struct conf *a = parse(conf_a), *b = parse(conf_b);
	struct mip_io_ops io = { .send = capture };
	struct mip_binding *bd;
	struct mip_node *n;

	memset(&timers, 0, sizeof(timers));
	ck_assert_int_eq(ha_init(&ha, a, &timers, &io), 0);
	ck_assert_int_eq(notify_listen(on_event, NULL), 0);
	reg("192.0.2.20", 257, KEY);
	reg("192.0.2.100", 300, KEY);
	reg("192.0.2.30", 999, KEY);      /* unknown SPI: denied (131) */
	ck_assert_uint_eq(ha.bindings.count, 2);
	n_removed = 0;

	ck_assert_uint_eq(reload_ha(&ha, b), 1);
	ck_assert_ptr_eq(ha.conf, b);
	ck_assert_int_eq(n_removed, 1);
	ck_assert_str_eq(inet_ntoa(removed_hoa), "192.0.2.100");
	ck_assert_uint_eq(ha.bindings.count, 1);
	ck_assert_ptr_null(node_find(&ha.nodes, A("192.0.2.100")));
	bd = binding_lookup(&ha.bindings, A("192.0.2.20"), A("203.0.113.5"));
	ck_assert_ptr_nonnull(bd);
	n = node_find(&ha.nodes, A("192.0.2.20"));
	ck_assert_ptr_eq(n->conf, conf_find_node(&b->ha, A("192.0.2.20")));
	/* the old configuration can go: nothing points into it any more */
	conf_free(a);
	/* the new SA works, the old one is refused (131) */
	n_sent = 0;
	reg("192.0.2.20", 258, KEY2);
	ck_assert_int_eq(n_sent, 1);
	ck_assert_uint_eq(binding_lookup(&ha.bindings, A("192.0.2.20"), A("203.0.113.5"))->node->ctr.accepted, 2);
	reg("192.0.2.21", 257, KEY);
	ck_assert_ptr_null(binding_lookup(&ha.bindings, A("192.0.2.21"), A("203.0.113.5")));
	/* a node no longer configured is silently discarded */
	n_sent = 0;
	reg("192.0.2.100", 300, KEY);
	ck_assert_int_eq(n_sent, 0);

	notify_unlisten(on_event, NULL);
	ha_free(&ha);
	timer_heap_free(&timers);
	conf_free(b);
}
END_TEST

static int check_refuse(const struct conf *o, const struct conf *n, FILE *err, void *arg)
{
	(void)o, (void)n, (void)err, (void)arg;
	return -1;
}

static void apply_nothing(const struct conf *o, const struct conf *n, void *arg)
{
	(void)o, (void)n, (void)arg;
}

START_TEST(test_hook_registry)
{
	static int token;

	ck_assert(!reload_hook_registered(&token));
	ck_assert_int_eq(reload_hook_add(check_refuse, apply_nothing, &token), 0);
	ck_assert(reload_hook_registered(&token));
	reload_hook_del(apply_nothing, &token);
	ck_assert(!reload_hook_registered(&token));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("reload");
	SRunner *sr;
	int failed;

	log_init("check_reload", true, LOG_LVL_ERR);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_write_round_trip_golden);
	tcase_add_test(tc, test_write_escapes_and_copy);
	tcase_add_test(tc, test_write_file_atomic);
	tcase_add_test(tc, test_edit_operations);
	tcase_add_test(tc, test_reload_ha_keeps_and_drops);
	tcase_add_test(tc, test_hook_registry);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
