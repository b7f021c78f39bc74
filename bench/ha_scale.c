/* Benchmark: the home agent's core at scale, in-process (no sockets, no
 * data plane).  Feeds signed Registration Requests for N distinct nodes (a
 * node range) straight into ha_handle_request() with a capturing send op,
 * committing the durable state every 64 requests as the event loop does, and
 * reports: registrations/s, resident memory per binding, the time to walk
 * the binding table in index order, the time to restore the N bindings from
 * the state store (the core's share of a restart), and the longest timer
 * pass (1024 expiries and their state deletions, one loop turn's worth) when
 * they all expire in the same second.
 * Usage: ha_scale [N [STATE-DIR]] (default 1000000; STATE-DIR: a fresh
 * temporary directory, removed afterwards). */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "auth.h"
#include "ha.h"
#include "log.h"
#include "state.h"
#include "wire.h"

#define TURN 64         /* requests per event-loop turn (RECV_BATCH) */

static uint64_t fake_mono = 1000;
static uint64_t mono(void) { return fake_mono; }
static size_t replies;

static int count_send(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	(void)ctx; (void)pi; (void)len;
	replies += p[1] <= 1;
	return 0;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void rm_store(const char *dir)
{
	static const char *const files[] = { "state.db", "state.db-wal", "state.db-shm", "mipagent.lock" };
	char p[4200];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1000000;
	char xml[1024], tmpdir[] = "/tmp/ha_scale.XXXXXX";
	const char *dir = argc > 2 ? argv[2] : NULL;
	struct conf *c;
	struct timer_heap timers = { 0 };
	struct mip_io_ops io = { .send = count_send };
	struct mip_ha ha;
	struct mip_state *st;
	struct mip_buf b;
	uint8_t key[16];
	struct mip_pkt_info pi = { .sport = 434, .dport = 434, .unicast = true };
	double t0, t1, worst = 0;
	long rss0, rss1;
	size_t walked = 0;
	int restored;

	log_init("bench", true, LOG_LVL_WARN);
	if (!dir && !(dir = mkdtemp(tmpdir))) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(xml, sizeof(xml),
		 "<mipagent><home-agent address='198.51.100.1' interface='ha0' home-network='192.0.2.0/24'>"
		 "<virtual-network prefix='10.0.0.0/8'/>"
		 "<mobile-node first='10.0.0.1' last='10.255.255.254'>"
		 "<security-association spi='300' key='00112233445566778899aabbccddeeff'/>"
		 "</mobile-node></home-agent></mipagent>");
	c = conf_parse_memory("bench.xml", xml, strlen(xml), stderr);
	if (!c || conf_check(c, stderr))
		return 1;
	mip_key_from_hex("00112233445566778899aabbccddeeff", key, sizeof(key));
	st = state_open(dir, false);
	if (!st)
		return 1;
	state_listen(st);
	ha_init(&ha, c, &timers, &io);
	ha.mono_now = mono;
	mip_buf_init(&b, 128);
	inet_pton(AF_INET, "198.51.100.1", &pi.dst);
	rss0 = rss_kib();
	t0 = now_s();
	for (unsigned i = 0; i < n; i++) {
		struct mip_reg_request rq = { .lifetime = 1800, .id = mip_ntp_now() };

		rq.hoa.s_addr = htonl(0x0a000001 + i);
		rq.ha = pi.dst;
		rq.coa.s_addr = htonl(0xcb007100 + (i & 0xff));
		pi.src = rq.coa;
		mip_buf_reset(&b);
		mip_build_request(&b, &rq);
		mip_auth_append(&b, MIP_EXT_MN_HA, 0, 300, MIP_AUTH_HMAC_MD5, key, 16);
		ha_handle_request(&ha, b.data, b.len, &pi);
		if (i % TURN == TURN - 1)
			state_commit(st);
	}
	state_commit(st);
	t1 = now_s();
	rss1 = rss_kib();
	printf("bindings            %zu (accepted replies %zu)\n", ha.bindings.count, replies);
	printf("registration rate   %.0f/s (HMAC-MD5 verify + sign, state in SQLite, in-process)\n",
	       n / (t1 - t0));
	printf("memory per binding  %.0f bytes (RSS growth: node + binding + indexes + timer)\n",
	       (rss1 - rss0) * 1024.0 / (n ? n : 1));
	t0 = now_s();
	for (struct mip_binding *x = binding_first(&ha.bindings); x;
	     x = binding_next(&ha.bindings, x->node->hoa, x->coa))
		walked++;
	t1 = now_s();
	printf("index walk          %zu rows in %.3f s (%.0f rows/s, GETNEXT-style lookups)\n", walked,
	       t1 - t0, walked / (t1 - t0));
	/* a restart: forget everything, then read it back */
	state_close(st);
	ha_free(&ha);
	timer_heap_free(&timers);
	t0 = now_s();
	st = state_open(dir, false);
	ha_init(&ha, c, &timers, &io);
	ha.mono_now = mono;
	restored = st ? state_restore(st, &ha) : -1;
	t1 = now_s();
	printf("restore             %d bindings in %.2f s (the core's share of a restart: SQLite, "
	       "nodes, bindings, timers, events)\n", restored, t1 - t0);
	if (!st)
		return 1;
	state_listen(st);
	fake_mono += 1800 * 1000;
	while (timer_next(&timers) != TIMER_NONE) {
		double s = now_s(), e;

		timer_run(&timers, fake_mono, 1024);
		state_commit(st);
		e = now_s() - s;
		if (e > worst)
			worst = e;
	}
	printf("expiry              %zu left; longest loop-turn pass %.2f ms (1024 expiries per turn, "
	       "their state deletions committed)\n", ha.bindings.count, worst * 1000);
	state_close(st);
	ha_free(&ha);
	timer_heap_free(&timers);
	mip_buf_free(&b);
	conf_free(c);
	if (dir == tmpdir) {
		rm_store(dir);
		rmdir(dir);
	}
	return 0;
}
