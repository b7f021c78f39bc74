/* libFuzzer harness: the state store reader.  Each input is written as
 * state.db in a private temporary directory; state_open() must either use
 * it or set it aside, state_restore() must re-create only bindings of
 * configured nodes into an in-memory home agent (no sockets: its sends are
 * counted, never made), and state_restore_visitors() only visitors on the
 * foreign agent's interface ("lo") with no more lifetime than granted. */
/* fuzz-sources: agent/state.c agent/state_ckpt.c agent/state_visitor.c agent/fa.c agent/fa_table.c agent/fa_req.c agent/fa_reply.c agent/fa_msg.c agent/fa_link.c agent/outq.c agent/adv.c agent/adv_wire.c agent/ifaddr.c agent/event.c agent/ha.c agent/binding.c agent/node.c agent/pool.c agent/notify.c agent/timer.c agent/conf_parse.c agent/conf_attr.c agent/conf_elems.c agent/conf_elems_ha.c agent/conf_elems_fa.c agent/conf_check.c agent/auth.c agent/wire.c agent/buf.c agent/log.c agent/counters.c agent/net.c */
/* fuzz-pkg: sqlite3 libxml-2.0 libcrypto */
#include "config.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf.h"
#include "event.h"
#include "fa.h"
#include "ha.h"
#include "log.h"
#include "state.h"
#include "timer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char conf_xml[] =
	"<mipagent><home-agent address=\"192.0.2.1\" home-network=\"192.0.2.0/24\" max-bindings=\"4\">"
	"<mobile-node first=\"192.0.2.20\" last=\"192.0.2.79\">"
	"<security-association spi=\"256\" key=\"00112233445566778899aabbccddeeff\"/>"
	"</mobile-node></home-agent>"
	"<foreign-agent><interface name=\"lo\"><care-of-address address=\"203.0.113.1\"/></interface>"
	"</foreign-agent></mipagent>";

static char dir[64];
static struct conf *conf;

static int no_send(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	(void)ctx, (void)pi, (void)p, (void)len;
	return 0;
}

/* Remove every file of the directory (the store, its WAL, a set-aside copy, the lock). */
static void empty_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		abort();
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

static void cleanup(void)
{
	empty_dir();
	rmdir(dir);
	conf_free(conf);
}

static void setup(void)
{
	FILE *null = fopen("/dev/null", "w");

	log_init("fuzz_state", true, LOG_LVL_ERR);
	/* tmpfs when there is one: the store is written and read for every input */
	snprintf(dir, sizeof(dir), "%s/fuzz_state.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir) || !null)
		abort();
	conf = conf_parse_memory("fuzz.xml", conf_xml, sizeof(conf_xml) - 1, null);
	if (!conf || conf_check(conf, null) != 0)
		abort();
	fclose(null);
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mip_io_ops io = { .send = no_send };
	struct timer_heap timers = { 0 };
	struct ev_loop loop;
	struct mip_fa *fa;
	struct mip_state *st;
	struct mip_ha ha;
	char path[128];
	int fd, n;

	if (!conf)
		setup();
	snprintf(path, sizeof(path), "%s/" MIP_STATE_FILE, dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) < 0)
		abort();
	st = state_open(dir, false);
	if (st) {
		if (ha_init(&ha, conf, &timers, &io) < 0)
			abort();
		n = state_restore(st, &ha);
		if (n >= 0 && (size_t)n != ha.bindings.count)
			abort();
		/* every binding restored belongs to a configured node */
		for (struct mip_binding *b = binding_first(&ha.bindings); b;
		     b = binding_next(&ha.bindings, b->node->hoa, b->coa))
			if (!conf_find_node(&conf->ha, b->node->hoa))
				abort();
		ha_free(&ha);
		if (ev_init(&loop) < 0 || !(fa = fa_open(conf, &loop, -1, NULL)))
			abort();
		n = state_restore_visitors(st, fa);
		if (n >= 0 && (size_t)n != fa_visitor_count(fa))
			abort();
		for (const struct fa_visitor *v = fa_visitor_first(fa); v;
		     v = fa_visitor_next(fa, v->hoa, v->ha, v->ifindex))
			if (!fa_is_fa_interface(fa, v->ifindex) || v->lifetime == 0 ||
			    fa_visitor_remaining(v, mip_now_ms()) > v->lifetime)
				abort();
		state_close(st);        /* before the visitors go: they stay stored */
		fa_close(fa);
		ev_free(&loop);
	}
	timer_heap_free(&timers);
	empty_dir();
	return 0;
}
