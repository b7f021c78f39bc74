/* Unit tests of the durable state (agent/state.c, state_visitor.c):
 * bindings written by real registrations, committed, reopened and restored
 * into a fresh in-memory home agent with their remaining lifetimes; the
 * foreign agent's visitors likewise, from registrations relayed through it
 * to that home agent, with their replies held until the commit; expired,
 * unconfigured and foreign-interface rows dropped; a version-1 store
 * migrated; corrupt and newer-version stores set aside; the instance lock. */
#include "config.h"
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sqlite3.h>
#include <net/if.h>
#include "auth.h"
#include "event.h"
#include "fa_int.h"
#include "fa_msg.h"
#include "ha.h"
#include "log.h"
#include "outq.h"
#include "state.h"
#include "wire.h"

#define KEY "00112233445566778899aabbccddeeff"

static const char *conf_xml =
	"<mipagent>"
	" <home-agent address='198.51.100.1' home-network='192.0.2.0/24'"
	"   max-registration-lifetime='65535'>"
	"  <mobile-node first='192.0.2.10' last='192.0.2.99'>"
	"   <security-association spi='257' key='" KEY "'/>"
	"  </mobile-node>"
	" </home-agent>"
	" <foreign-agent max-registration-lifetime='600'>"
	"  <interface name='lo'><care-of-address address='203.0.113.1'/></interface>"
	" </foreign-agent>"
	"</mipagent>";

static char dir[64], db[128];
static struct conf *conf;
static struct timer_heap timers;
static struct mip_ha ha;
static bool ha_up;
static uint64_t fake_mono;
static uint8_t key[16];
static int n_sent;
static uint8_t last_code;
/* the foreign agent, its loop, and what it sent to mobile nodes */
static struct ev_loop loop;
static struct mip_fa *fa;
static int n_to_mn;
static uint8_t mn_code;
/* the home agent's last reply, for the foreign agent to handle */
static uint8_t ha_reply[512];
static size_t ha_reply_len;

static uint64_t mono(void) { return fake_mono; }

static int capture(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	struct mip_reg_reply rp;

	(void)ctx, (void)pi;
	ck_assert_int_eq(mip_parse_reply(p, len, &rp), MIP_PARSE_OK);
	ck_assert_uint_le(len, sizeof(ha_reply));
	memcpy(ha_reply, p, len);
	ha_reply_len = len;
	last_code = rp.code;
	n_sent++;
	return 0;
}

/* The foreign agent relays to our home agent at once (its reply waits in ha_reply). */
static int fa_to_ha(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	struct mip_pkt_info rx = { .src = pi->src, .dst = pi->dst, .sport = 434, .dport = 434,
				   .unicast = true };

	(void)ctx;
	ha_handle_request(&ha, p, len, &rx);
	return 0;
}

static int fa_to_mn(void *ctx, int ifindex, const uint8_t *mac, const uint8_t *ip, size_t len)
{
	struct mip_reg_reply rp;

	(void)ctx, (void)ifindex, (void)mac;
	ck_assert_uint_gt(len, FA_IPV4_UDP_HDR);
	ck_assert_int_eq(mip_parse_reply(ip + FA_IPV4_UDP_HDR, len - FA_IPV4_UDP_HDR, &rp), MIP_PARSE_OK);
	mn_code = rp.code;
	n_to_mn++;
	return 0;
}

static struct in_addr A(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void ha_start(void)
{
	struct mip_io_ops io = { .send = capture };

	memset(&timers, 0, sizeof(timers));
	ck_assert_int_eq(ha_init(&ha, conf, &timers, &io), 0);
	ha.mono_now = mono;
	ha_up = true;
}

static void ha_stop(void)
{
	if (ha_up) {
		ha_free(&ha);
		timer_heap_free(&timers);
		ha_up = false;
	}
}

/* A foreign agent on "lo" whose clock is fake_mono (a fresh process: close
 * the state first, or fa_stop()'s removals reach the store). */
static void fa_start(void)
{
	struct fa_io_ops io = { .to_ha = fa_to_ha, .to_mn = fa_to_mn };

	ck_assert_int_eq(ev_init(&loop), 0);
	fa = fa_open(conf, &loop, -1, NULL);
	ck_assert_ptr_nonnull(fa);
	fa_set_io(fa, &io);
	fa->mono_now = mono;
}

static void fa_stop(void)
{
	if (fa) {
		fa_close(fa);
		ev_free(&loop);
		fa = NULL;
	}
}

static void setup(void)
{
	log_init("check_state", true, LOG_LVL_ERR);
	snprintf(dir, sizeof(dir), "/tmp/check_state.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/" MIP_STATE_FILE, dir);
	conf = conf_parse_memory("test.xml", conf_xml, strlen(conf_xml), stderr);
	ck_assert_ptr_nonnull(conf);
	ck_assert_int_eq(conf_check(conf, stderr), 0);
	mip_key_from_hex(KEY, key, sizeof(key));
	fake_mono = 500000;
	n_sent = n_to_mn = 0;
	ha_start();
	fa_start();
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[400];

	fa_stop();
	ha_stop();
	conf_free(conf);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* A signed request (real time of day in the identification) in @b; with
 * @edeliv the Encapsulating Delivery Style extension after MN-HA. */
static void request(struct mip_buf *b, const char *hoa, const char *coa, uint16_t lifetime,
		    uint8_t flags, bool edeliv)
{
	static uint64_t last_id;
	struct mip_reg_request rq = {
		.flags = flags, .lifetime = lifetime, .hoa = A(hoa), .ha = A("198.51.100.1"),
		.coa = A(coa),
	};
	static const uint8_t edsx[] = { FA_EXT_ENCAP_DELIVERY, 0 };

	rq.id = mip_ntp_now();
	if (rq.id <= last_id)
		rq.id = last_id + 1;
	last_id = rq.id;
	ck_assert_int_eq(mip_buf_init(b, 128), 0);
	mip_build_request(b, &rq);
	mip_auth_append(b, MIP_EXT_MN_HA, 0, 257, MIP_AUTH_HMAC_MD5, key, sizeof(key));
	if (edeliv)
		mip_buf_put(b, edsx, sizeof(edsx));
	ck_assert(mip_buf_ok(b));
}

/* One registration straight to the home agent; returns the reply code. */
static uint8_t reg(const char *hoa, const char *coa, uint16_t lifetime)
{
	struct mip_pkt_info pi = {
		.src = A(coa), .dst = A("198.51.100.1"), .sport = 40000, .dport = 434, .unicast = true,
	};
	struct mip_buf b;
	int before = n_sent;

	request(&b, hoa, coa, lifetime, 0, false);
	ha_handle_request(&ha, b.data, b.len, &pi);
	mip_buf_free(&b);
	ck_assert_int_eq(n_sent, before + 1);
	return last_code;
}

/* One registration of @hoa through the foreign agent on "lo" (care-of
 * address 203.0.113.1), relayed to the home agent and its reply back;
 * returns the code the foreign agent handed on (held replies: 0xff). */
static uint8_t visit(const char *hoa, uint16_t lifetime, uint8_t flags, bool edeliv)
{
	struct mip_pkt_info pi = {
		.src = A(hoa), .dst = A("203.0.113.1"), .sport = 40001, .dport = 434,
		.ifindex = (int)if_nametoindex("lo"), .unicast = true,
	};
	struct mip_pkt_info from_ha = { .src = A("198.51.100.1"), .dst = A("203.0.113.1"), .sport = 434,
					.dport = 434, .unicast = true };
	struct mip_buf b;
	int before = n_sent, before_mn = n_to_mn;

	request(&b, hoa, "203.0.113.1", lifetime, flags, edeliv);
	fa_handle_request(fa, b.data, b.len, &pi);
	mip_buf_free(&b);
	ck_assert_int_eq(n_sent, before + 1);   /* relayed and answered */
	fa_handle_reply(fa, ha_reply, ha_reply_len, &from_ha);
	return n_to_mn > before_mn ? mn_code : 0xff;
}

/* Rows of @table in the store, read through another connection (committed data only). */
static int table_rows(const char *table, const char *where)
{
	sqlite3 *h;
	sqlite3_stmt *q;
	char sql[200];
	int n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s%s%s;", table, where ? " WHERE " : "",
		 where ? where : "");
	ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(h);
	return n;
}

static int rows(const char *where)
{
	return table_rows("binding", where);
}

static void sql(const char *path, const char *text)
{
	sqlite3 *h;

	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, text, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* Is there a file set aside ("state.db.bad-...") holding @content? */
static bool set_aside(const char *content)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, MIP_STATE_FILE ".bad-", strlen(MIP_STATE_FILE ".bad-")) &&
		    !strchr(e->d_name + strlen(MIP_STATE_FILE ".bad-"), '-')) {
			char p[400], buf[256] = "";
			FILE *f;

			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			f = fopen(p, "r");
			ck_assert_ptr_nonnull(f);
			if (fread(buf, 1, sizeof(buf) - 1, f) > 0 &&
			    (!content || !memcmp(buf, content, strlen(content))))
				found = true;
			fclose(f);
		}
	closedir(d);
	return found;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

START_TEST(test_commit_reopen_restore)
{
	struct mip_state *st = state_open(dir, false);
	struct mip_binding *b;

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(state_restore(st, &ha), 0);
	state_listen(st);
	ck_assert_uint_eq(reg("192.0.2.10", "203.0.113.1", 300), 0);
	ck_assert_uint_eq(reg("192.0.2.11", "203.0.113.2", 600), 0);
	ck_assert_uint_eq(reg("192.0.2.12", "203.0.113.3", 0xffff), 0);
	ck_assert_uint_eq(reg("192.0.2.13", "203.0.113.4", 100), 0);
	/* nothing is visible before the turn's commit */
	ck_assert_int_eq(rows(NULL), 0);
	ck_assert_int_eq(state_commit(st), 0);
	ck_assert_int_eq(rows(NULL), 4);
	/* a re-registration to a new care-of address replaces the row; a deregistration removes it */
	ck_assert_uint_eq(reg("192.0.2.10", "203.0.113.9", 300), 0);
	ck_assert_uint_eq(reg("192.0.2.13", "192.0.2.13", 0), 0);
	ck_assert_int_eq(state_commit(st), 0);
	ck_assert_int_eq(rows(NULL), 3);
	ck_assert_int_eq(rows("coa = 3405803785"), 1);          /* 203.0.113.9 */
	state_close(st);

	/* a new process: a fresh home agent restored from the store */
	ha_stop();
	ha_start();
	fake_mono = 9000000;
	st = state_open(dir, true);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(state_restore(st, &ha), 3);
	ck_assert_uint_eq(ha.bindings.count, 3);
	b = binding_lookup(&ha.bindings, A("192.0.2.10"), A("203.0.113.9"));
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b->lifetime, 300);
	ck_assert_uint_ge(binding_remaining(b, fake_mono), 298);
	ck_assert_uint_le(binding_remaining(b, fake_mono), 300);
	ck_assert_str_eq(inet_ntoa(b->src), "203.0.113.9");
	ck_assert_uint_eq(b->src_port, 40000);
	b = binding_lookup(&ha.bindings, A("192.0.2.11"), A("203.0.113.2"));
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_ge(binding_remaining(b, fake_mono), 598);
	b = binding_lookup(&ha.bindings, A("192.0.2.12"), A("203.0.113.3"));
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(binding_remaining(b, fake_mono), 0xffff);
	ck_assert_ptr_null(binding_lookup(&ha.bindings, A("192.0.2.13"), A("203.0.113.4")));
	/* the restored binding expires when its lifetime ends, counted on the monotonic clock */
	fake_mono += 300 * 1000;
	timer_run(&timers, fake_mono, 100);
	ck_assert_ptr_null(binding_lookup(&ha.bindings, A("192.0.2.10"), A("203.0.113.9")));
	ck_assert_uint_eq(ha.bindings.count, 2);
	state_listen(st);
	ck_assert_int_eq(state_commit(st), 0);
	state_close(st);
}
END_TEST

/* Upserts wait for the end of the turn and go out as multi-row statements:
 * more than a batch in one turn, and a binding added then replaced or
 * removed in the same turn, must end up as if written one by one. */
START_TEST(test_one_turn_many_changes)
{
	struct mip_state *st = state_open(dir, false);
	char hoa[32];

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(state_restore(st, &ha), 0);
	state_listen(st);
	for (int i = 10; i <= 99; i++) {        /* 90 registrations: more than one batch */
		snprintf(hoa, sizeof(hoa), "192.0.2.%d", i);
		ck_assert_uint_eq(reg(hoa, "203.0.113.1", 300), 0);
	}
	ck_assert_uint_eq(reg("192.0.2.10", "203.0.113.9", 300), 0);  /* replaced */
	ck_assert_uint_eq(reg("192.0.2.11", "192.0.2.11", 0), 0);     /* removed */
	ck_assert_uint_eq(reg("192.0.2.12", "203.0.113.1", 600), 0);  /* renewed */
	ck_assert_int_eq(rows(NULL), 0);
	ck_assert_int_eq(state_commit(st), 0);
	ck_assert_int_eq(rows(NULL), 89);
	ck_assert_int_eq(rows("hoa = 3221225994 AND coa = 3405803785"), 1);    /* .10 at 203.0.113.9 */
	ck_assert_int_eq(rows("hoa = 3221225994"), 1);
	ck_assert_int_eq(rows("hoa = 3221225995"), 0);
	ck_assert_int_eq(rows("hoa = 3221225996 AND lifetime = 600"), 1);
	state_close(st);
	ha_stop();
	ha_start();
	st = state_open(dir, false);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(state_restore(st, &ha), 89);
	state_close(st);
}
END_TEST

START_TEST(test_expired_and_unconfigured_dropped)
{
	struct mip_state *st = state_open(dir, false);
	char text[600];
	uint64_t now = wall_ms();

	ck_assert_ptr_nonnull(st);
	state_close(st);
	/* hoa, coa, src, sport, id, flags, lifetime, expires_ms */
	snprintf(text, sizeof(text),
		 "INSERT INTO binding VALUES (3221225994, 3405803777, 3405803777, 434, 1, 0, 100, %llu);"
		 "INSERT INTO binding VALUES (3221225995, 3405803777, 3405803777, 434, 2, 0, 100, %llu);"
		 "INSERT INTO binding VALUES (3221226196, 3405803777, 3405803777, 434, 3, 0, 100, %llu);",
		 (unsigned long long)(now - 1000), (unsigned long long)(now + 50000),
		 (unsigned long long)(now + 50000));
	sql(db, text);               /* 192.0.2.10 expired, .11 live, .212 not configured */
	ck_assert_int_eq(rows(NULL), 3);
	st = state_open(dir, false);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(state_restore(st, &ha), 1);
	ck_assert_uint_eq(ha.bindings.count, 1);
	ck_assert_ptr_nonnull(binding_lookup(&ha.bindings, A("192.0.2.11"), A("203.0.113.1")));
	ck_assert_uint_le(binding_remaining(binding_first(&ha.bindings), fake_mono), 50);
	ck_assert_uint_ge(binding_remaining(binding_first(&ha.bindings), fake_mono), 48);
	/* the dropped rows are gone from the store too */
	ck_assert_int_eq(rows(NULL), 1);
	state_close(st);
}
END_TEST

START_TEST(test_corrupt_store_set_aside)
{
	static const char garbage[] = "this is not an SQLite database, just garbage bytes 0123456789";
	struct mip_state *st;
	FILE *f = fopen(db, "w");

	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 200; i++)
		fputs(garbage, f);
	fclose(f);
	st = state_open(dir, false);
	ck_assert_ptr_nonnull(st);                   /* starts, empty */
	ck_assert_int_eq(state_restore(st, &ha), 0);
	ck_assert(set_aside(garbage));               /* the bad file is kept for inspection */
	state_listen(st);
	ck_assert_uint_eq(reg("192.0.2.20", "203.0.113.1", 300), 0);
	ck_assert_int_eq(state_commit(st), 0);
	ck_assert_int_eq(rows(NULL), 1);             /* the new store works */
	state_close(st);
}
END_TEST

static int user_version(void)
{
	sqlite3 *h;
	sqlite3_stmt *q;
	int version = -1;

	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, "PRAGMA user_version;", -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(h);
	return version;
}

START_TEST(test_newer_version_set_aside)
{
	struct mip_state *st;

	sql(db, "CREATE TABLE binding (x INTEGER); INSERT INTO binding VALUES (1); "
		"PRAGMA user_version=99;");
	st = state_open(dir, false);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(state_restore(st, &ha), 0);
	state_close(st);
	ck_assert(set_aside("SQLite format 3"));
	ck_assert_int_eq(user_version(), MIP_STATE_VERSION);
	ck_assert_int_eq(rows(NULL), 0);
}
END_TEST

/* outq's before_flush: what had been sent, and what was committed, when the turn's commit ran */
static int sent_at_commit, visitors_at_commit;

static void commit_then_count(void *arg)
{
	sent_at_commit = n_to_mn;
	ck_assert_int_eq(state_commit(arg), 0);
	visitors_at_commit = table_rows("visitor", NULL);
}

static const struct fa_visitor *visitor(const char *hoa)
{
	return fa_visitor_find(fa, A(hoa), A("198.51.100.1"), (int)if_nametoindex("lo"));
}

START_TEST(test_visitors_commit_restore)
{
	struct mip_state *st = state_open(dir, false);
	struct outq *q = calloc(1, sizeof(*q));
	const struct fa_visitor *v;

	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(state_restore(st, &ha), 0);
	ck_assert_int_eq(state_restore_visitors(st, fa), 0);
	state_listen(st);
	q->fd = -1;
	q->before_flush = commit_then_count;
	q->arg = st;
	fa_hold_replies(fa, q);
	/* the replies wait for the end of the turn; the commit comes first */
	ck_assert_uint_eq(visit("192.0.2.10", 300, 0, false), 0xff);
	ck_assert_uint_eq(visit("192.0.2.11", 600, MIP_RRQ_T, true), 0xff);
	ck_assert_uint_eq(visit("192.0.2.12", 100, 0, false), 0xff);
	ck_assert_uint_eq(fa_visitor_count(fa), 3);
	ck_assert_int_eq(table_rows("visitor", NULL), 0);
	outq_flush(q);
	ck_assert_int_eq(sent_at_commit, 0);
	ck_assert_int_eq(visitors_at_commit, 3);
	ck_assert_int_eq(n_to_mn, 3);
	ck_assert_uint_eq(mn_code, 0);
	/* a renewal that changes only the lifetime replaces the row */
	ck_assert_uint_eq(visit("192.0.2.12", 200, 0, false), 0xff);
	outq_flush(q);
	ck_assert_int_eq(table_rows("visitor", "hoa = 3221225996 AND lifetime = 200"), 1);
	/* a deregistration removes it */
	ck_assert_uint_eq(visit("192.0.2.10", 0, 0, false), 0xff);
	outq_flush(q);
	ck_assert_int_eq(n_to_mn, 5);
	ck_assert_int_eq(table_rows("visitor", NULL), 2);
	state_close(st);
	fa_stop();
	free(q);

	/* a new process: visitors come back with what is needed to serve them */
	ha_stop();
	ha_start();
	fa_start();
	fake_mono = 9000000;
	st = state_open(dir, false);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(state_restore(st, &ha), 2);
	ck_assert_int_eq(state_restore_visitors(st, fa), 2);
	ck_assert_uint_eq(fa_visitor_count(fa), 2);
	v = visitor("192.0.2.11");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(inet_ntoa(v->coa), "203.0.113.1");
	ck_assert_str_eq(inet_ntoa(v->src), "192.0.2.11");
	ck_assert_str_eq(inet_ntoa(v->local), "203.0.113.1");
	ck_assert_uint_eq(v->sport, 40001);
	ck_assert_uint_eq(v->flags, MIP_RRQ_T);
	ck_assert(v->edeliv);
	ck_assert(!v->have_mac);
	ck_assert_uint_eq(v->requested, 600);
	ck_assert_uint_eq(v->lifetime, 600);
	ck_assert_uint_ge(fa_visitor_remaining(v, fake_mono), 598);
	ck_assert_uint_le(fa_visitor_remaining(v, fake_mono), 600);
	v = visitor("192.0.2.12");
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v->lifetime, 200);
	ck_assert_uint_ge(fa_visitor_remaining(v, fake_mono), 198);
	ck_assert_ptr_null(visitor("192.0.2.10"));
	/* a restored visitor expires on the monotonic clock, and leaves the store */
	state_listen(st);
	fake_mono += 200 * 1000;
	timer_run(&loop.timers, fake_mono, 100);
	ck_assert_ptr_null(visitor("192.0.2.12"));
	ck_assert_int_eq(state_commit(st), 0);
	ck_assert_int_eq(table_rows("visitor", NULL), 1);
	state_close(st);
}
END_TEST

START_TEST(test_visitors_dropped)
{
	struct mip_state *st = state_open(dir, false);
	const struct fa_visitor *v;
	char text[1200];
	uint64_t now = wall_ms();

	ck_assert_ptr_nonnull(st);
	state_close(st);
	/* hoa, ha, ifname, coa, src, sport, mac, flags, edeliv, local, id, requested, lifetime,
	 * expires_ms: .20 live, .21 expired, .22 infinite, .23 on an interface not ours */
	snprintf(text, sizeof(text),
		 "INSERT INTO visitor VALUES (3221226004, 3325256705, 'lo', 3405803777, 3221226004, 434,"
		 " 2199023255553, 2, 0, 3405803777, 7, 300, 100, %llu);"
		 "INSERT INTO visitor VALUES (3221226005, 3325256705, 'lo', 3405803777, 3221226005, 434,"
		 " NULL, 0, 0, 3405803777, 8, 300, 100, %llu);"
		 "INSERT INTO visitor VALUES (3221226006, 3325256705, 'lo', 3405803777, 3221226006, 434,"
		 " NULL, 0, 0, 3405803777, 9, 65535, 65535, 9223372036854775807);"
		 "INSERT INTO visitor VALUES (3221226007, 3325256705, 'gone0', 3405803777, 3221226007, 434,"
		 " NULL, 0, 0, 3405803777, 10, 300, 300, %llu);",
		 (unsigned long long)(now + 50000), (unsigned long long)(now - 1000),
		 (unsigned long long)(now + 50000));
	sql(db, text);
	st = state_open(dir, false);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(state_restore_visitors(st, fa), 2);
	v = visitor("192.0.2.20");
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_le(fa_visitor_remaining(v, fake_mono), 50);      /* time down subtracted */
	ck_assert_uint_ge(fa_visitor_remaining(v, fake_mono), 48);
	ck_assert(v->have_mac);
	ck_assert_mem_eq(v->mac, "\x02\x00\x00\x00\x00\x01", 6);
	ck_assert_uint_eq(v->id, 7);
	v = visitor("192.0.2.22");
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(fa_visitor_remaining(v, fake_mono), 0xffff);
	ck_assert_int_eq(table_rows("visitor", NULL), 2);            /* the dropped rows are gone */
	state_close(st);
	/* without a foreign agent none can come back */
	st = state_open(dir, false);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(state_restore_visitors(st, NULL), 0);
	ck_assert_int_eq(table_rows("visitor", NULL), 0);
	state_close(st);
}
END_TEST

/* A store of format 1 (bindings only) is migrated in place. */
START_TEST(test_migrate_version_1)
{
	struct mip_state *st;
	char text[800];

	snprintf(text, sizeof(text),
		 "CREATE TABLE binding (hoa INTEGER NOT NULL, coa INTEGER NOT NULL, src INTEGER NOT NULL,"
		 " sport INTEGER NOT NULL, id INTEGER NOT NULL, flags INTEGER NOT NULL,"
		 " lifetime INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
		 " PRIMARY KEY (hoa, coa)) WITHOUT ROWID;"
		 "INSERT INTO binding VALUES (3221225995, 3405803777, 3405803777, 434, 2, 0, 100, %llu);"
		 "PRAGMA user_version=1;", (unsigned long long)(wall_ms() + 50000));
	sql(db, text);
	st = state_open(dir, false);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(user_version(), MIP_STATE_VERSION);
	ck_assert(!set_aside(NULL));
	ck_assert_int_eq(state_restore(st, &ha), 1);                 /* the binding is kept */
	ck_assert_ptr_nonnull(binding_lookup(&ha.bindings, A("192.0.2.11"), A("203.0.113.1")));
	ck_assert_int_eq(state_restore_visitors(st, fa), 0);
	state_listen(st);
	ck_assert_uint_eq(visit("192.0.2.30", 300, 0, false), 0);     /* and visitors are stored */
	ck_assert_int_eq(state_commit(st), 0);
	ck_assert_int_eq(table_rows("visitor", "hoa = 3221226014"), 1);
	state_close(st);
}
END_TEST

START_TEST(test_instance_lock)
{
	struct mip_state *a = state_open(dir, false), *b;

	ck_assert_ptr_nonnull(a);
	b = state_open(dir, false);
	ck_assert_ptr_null(b);                       /* another instance holds the directory */
	state_close(a);
	b = state_open(dir, false);
	ck_assert_ptr_nonnull(b);                    /* free again once closed */
	state_close(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_commit_reopen_restore);
	tcase_add_test(tc, test_one_turn_many_changes);
	tcase_add_test(tc, test_expired_and_unconfigured_dropped);
	tcase_add_test(tc, test_corrupt_store_set_aside);
	tcase_add_test(tc, test_newer_version_set_aside);
	tcase_add_test(tc, test_visitors_commit_restore);
	tcase_add_test(tc, test_visitors_dropped);
	tcase_add_test(tc, test_migrate_version_1);
	tcase_add_test(tc, test_instance_lock);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
