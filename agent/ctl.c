/* Control socket server (see ctl.h). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "binding.h"
#include "counters.h"
#include "ctl.h"
#include "ctl_conf.h"
#include "ctl_fa.h"
#include "ctl_parse.h"
#include "ctl_sec.h"
#include "daemon.h"
#include "dp.h"
#include "log.h"
#include "notify.h"

#define CTL_MAX_CLIENTS 32
#define CTL_LINE_MAX 1024        /* mipagentconfig: a node, an SA with a 64-byte key, a NAI */
#define CTL_OUT_CHUNK 16384

enum ctl_listing { LIST_NONE, LIST_BINDINGS, LIST_NODES, LIST_VISITORS, LIST_PENDING };

struct ctl_client {
	struct ctl_server *srv;
	struct ev_io io;
	char in[CTL_LINE_MAX];
	size_t in_len;
	struct mip_buf out;
	size_t out_off;              /* bytes of out already written */
	enum ctl_listing listing;    /* a listing still being produced */
	struct in_addr cur_hoa, cur_coa;   /* cursor: last index sent */
	bool started;
	struct in_addr filter;       /* INADDR_ANY: all */
	struct ctl_fa_cursor fa_cur; /* visitors and pending (ctl_fa.h) */
	bool want_out;
	bool watching;               /* "MIP/1 watch": every event as a record */
};

struct ctl_server {
	char *path;
	struct ev_loop *loop;
	struct mip_daemon *d;
	struct ev_io io;
	struct ctl_client *clients[CTL_MAX_CLIENTS];
};

static void ctl_printf(struct ctl_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ctl_printf(struct ctl_client *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		mip_buf_put(&c->out, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static void ctl_end(struct ctl_client *c, int code, const char *msg)
{
	ctl_printf(c, "END %d %s\n", code, msg);
	c->listing = LIST_NONE;
}

static void ctl_binding_record(struct ctl_client *c, const struct mip_binding *b, uint64_t now)
{
	char hoa[INET_ADDRSTRLEN], coa[INET_ADDRSTRLEN], src[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &b->node->hoa, hoa, sizeof(hoa));
	inet_ntop(AF_INET, &b->coa, coa, sizeof(coa));
	inet_ntop(AF_INET, &b->src, src, sizeof(src));
	ctl_printf(c, "binding hoa=%s coa=%s src=%s sport=%u flags=0x%02x id=%016llx lifetime=%u remaining=%u\n",
		   hoa, coa, src, b->src_port, b->flags, (unsigned long long)b->id, b->lifetime,
		   binding_remaining(b, now));
}

static void ctl_node_record(struct ctl_client *c, const struct mip_node *n)
{
	char hoa[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &n->hoa, hoa, sizeof(hoa));
	ctl_printf(c, "node hoa=%s bindings=%u accepted=%u denied=%u service-time=%u recent-denied-code=%u\n",
		   hoa, n->n_bindings, n->ctr.accepted, n->ctr.denied, n->ctr.service_time,
		   n->ctr.recent_denied_code);
}

/* Produce listing records until the output chunk is full or the list ends. */
static void ctl_fill(struct ctl_client *c)
{
	struct mip_daemon *d = c->srv->d;
	uint64_t now = mip_now_ms();

	while (c->listing != LIST_NONE && c->out.len - c->out_off < CTL_OUT_CHUNK) {
		if (c->listing == LIST_VISITORS || c->listing == LIST_PENDING) {
			if (!ctl_fa_next(d->fa, &c->fa_cur, c->listing == LIST_PENDING, &c->out, now))
				ctl_end(c, 0, "ok");
			continue;
		}
		if (!d->ha_up) {
			ctl_end(c, 0, "ok");
			break;
		}
		if (c->listing == LIST_BINDINGS) {
			struct mip_binding *b = c->started ?
				binding_next(&d->ha.bindings, c->cur_hoa, c->cur_coa) :
				binding_first(&d->ha.bindings);

			if (!b || (c->filter.s_addr && b->node->hoa.s_addr != c->filter.s_addr &&
				   addr_cmp(b->node->hoa, c->filter) > 0)) {
				ctl_end(c, 0, "ok");
				break;
			}
			c->started = true;
			c->cur_hoa = b->node->hoa;
			c->cur_coa = b->coa;
			if (!c->filter.s_addr || b->node->hoa.s_addr == c->filter.s_addr)
				ctl_binding_record(c, b, now);
		} else {
			struct mip_node *n = c->started ? node_next(&d->ha.nodes, c->cur_hoa)
							: node_first(&d->ha.nodes);

			if (!n || (c->filter.s_addr && addr_cmp(n->hoa, c->filter) > 0)) {
				ctl_end(c, 0, "ok");
				break;
			}
			c->started = true;
			c->cur_hoa = n->hoa;
			if (!c->filter.s_addr || n->hoa.s_addr == c->filter.s_addr)
				ctl_node_record(c, n);
		}
	}
}

static void ctl_start_listing(struct ctl_client *c, enum ctl_listing what, struct in_addr filter)
{
	c->listing = what;
	c->started = false;
	c->filter = filter;
	if (filter.s_addr) {
		/* start the walk just before the filtered address */
		uint32_t h = ntohl(filter.s_addr);

		c->started = h != 0;
		c->cur_hoa.s_addr = htonl(h - 1);
		c->cur_coa.s_addr = htonl(0xffffffffu);
	}
	ctl_fill(c);
}

static void ctl_counters(struct ctl_client *c)
{
	for (int i = 0; i < MIP_CTR_COUNT; i++) {
		const char *mib = mip_counter_mib_name(i);

		ctl_printf(c, "counter index=%d name=%s key=%s value=%u\n", i, mib[0] ? mib : "-",
			   mip_counter_key(i), mip_counters[i]);
	}
	ctl_end(c, 0, "ok");
}

static void ctl_summary(struct ctl_client *c)
{
	struct mip_daemon *d = c->srv->d;

	ctl_printf(c, "summary version=%s home-agent=%s bindings=%zu nodes=%zu backend=%s "
		   "foreign-agent=%s visitors=%zu pending=%zu\n",
		   PACKAGE_VERSION, d->ha_up ? "enabled" : "disabled",
		   d->ha_up ? d->ha.bindings.count : 0, d->ha_up ? d->ha.nodes.count : 0,
		   d->dp ? dp_backend_name(d->dp) : "none", d->fa ? "enabled" : "disabled",
		   d->fa ? fa_visitor_count(d->fa) : 0, d->fa ? fa_pending_count(d->fa) : 0);
	ctl_end(c, 0, "ok");
}

/* One request line: "MIP/1 VERB [OBJECT] [ADDRESS]" (ctl_parse.h). */
static void ctl_dispatch_show(struct ctl_client *c, const char *line)
{
	struct ctl_request rq;
	enum ctl_parse_result pr = ctl_request_parse(line, &rq);
	const char *verb = ctl_request_word(&rq, 1), *obj = ctl_request_word(&rq, 2);
	const char *arg = ctl_request_word(&rq, 3);
	struct mip_daemon *d = c->srv->d;
	struct in_addr a;

	if (pr == CTL_REQ_VERSION) {
		ctl_end(c, 2, "unsupported protocol version (expected " MIP_CTL_VERSION ")");
		return;
	}
	if (pr != CTL_REQ_OK || !verb || rq.n > 4) {
		ctl_end(c, 2, "malformed request");
		return;
	}
	if (ctl_parse_addr(arg, &a) < 0) {
		ctl_end(c, 2, "invalid address");
		return;
	}
	if (strcmp(verb, "show") == 0 && obj && strcmp(obj, "bindings") == 0) {
		ctl_start_listing(c, LIST_BINDINGS, a);
	} else if (strcmp(verb, "show") == 0 && obj && strcmp(obj, "nodes") == 0) {
		ctl_start_listing(c, LIST_NODES, a);
	} else if (strcmp(verb, "show") == 0 && obj &&
		   (strcmp(obj, "visitors") == 0 || strcmp(obj, "pending") == 0)) {
		ctl_fa_start(&c->fa_cur, a);
		c->listing = obj[0] == 'v' ? LIST_VISITORS : LIST_PENDING;
		ctl_fill(c);
	} else if (strcmp(verb, "show") == 0 && obj && strcmp(obj, "advertisements") == 0 && !arg) {
		ctl_fa_advertisements(d->adv, &c->out);
		ctl_end(c, 0, "ok");
	} else if (strcmp(verb, "clear") == 0 && obj && strcmp(obj, "visitors") == 0) {
		size_t n = d->fa ? fa_clear_visitors(d->fa, a) : 0;

		log_info("ctl", "cleared %zu visitor(s)", n);
		ctl_printf(c, "cleared visitors=%zu\n", n);
		ctl_end(c, 0, "ok");
	} else if (strcmp(verb, "show") == 0 && obj && strcmp(obj, "counters") == 0 && !arg) {
		ctl_counters(c);
	} else if (strcmp(verb, "show") == 0 && obj && strcmp(obj, "summary") == 0 && !arg) {
		ctl_summary(c);
	} else if (strcmp(verb, "show") == 0 && obj && strcmp(obj, "peers") == 0) {
		ctl_sec_peers(d, a, &c->out);          /* ctl_sec.h */
		ctl_end(c, 0, "ok");
	} else if (strcmp(verb, "watch") == 0 && !obj) {
		/* no END: event records follow until the client hangs up */
		c->watching = true;
		ctl_printf(c, "watching events=all\n");
	} else if (strcmp(verb, "clear") == 0 && obj && strcmp(obj, "bindings") == 0) {
		size_t n = d->ha_up ? ha_clear_bindings(&d->ha, a) : 0;

		log_info("ctl", "cleared %zu binding(s)", n);
		ctl_printf(c, "cleared bindings=%zu\n", n);
		ctl_end(c, 0, "ok");
	} else {
		ctl_end(c, 2, "unknown command");
	}
}

/* Configuration requests (ctl_conf.h: add, change, delete, reload, clear
 * counters) first, then the show and clear requests above. */
static void ctl_dispatch(struct ctl_client *c, char *line)
{
	char msg[512];
	int code = ctl_conf_dispatch(c->srv->d, line, &c->out, msg, sizeof(msg));

	if (code >= 0)
		ctl_end(c, code, msg);
	else
		ctl_dispatch_show(c, line);
}

static void ctl_client_free(struct ctl_client *c)
{
	struct ctl_server *s = c->srv;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->clients[i] == c)
			s->clients[i] = NULL;
	ev_del(s->loop, &c->io);
	close(c->io.fd);
	mip_buf_free(&c->out);
	free(c);
}

/* Write what is pending; returns -1 when the client is gone. */
static int ctl_flush(struct ctl_client *c)
{
	for (;;) {
		ssize_t n;

		if (c->out_off == c->out.len) {
			mip_buf_reset(&c->out);
			c->out_off = 0;
			if (c->listing == LIST_NONE)
				break;
			ctl_fill(c);
			continue;
		}
		n = write(c->io.fd, c->out.data + c->out_off, c->out.len - c->out_off);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		c->out_off += (size_t)n;
	}
	{
		bool want = c->out_off < c->out.len || c->listing != LIST_NONE;

		if (want != c->want_out) {
			c->want_out = want;
			ev_mod(c->srv->loop, &c->io, EPOLLIN | (want ? EPOLLOUT : 0));
		}
	}
	return 0;
}

static void ctl_client_io(struct ev_io *io, uint32_t events)
{
	struct ctl_client *c = container_of(io, struct ctl_client, io);

	if (events & EPOLLIN && !c->want_out) {
		ssize_t n = read(io->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
		char *nl;

		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			ctl_client_free(c);
			return;
		}
		c->in_len += (size_t)n;
		while (c->listing == LIST_NONE && (nl = memchr(c->in, '\n', c->in_len))) {
			*nl = '\0';
			if (nl > c->in && nl[-1] == '\r')
				nl[-1] = '\0';
			ctl_dispatch(c, c->in);
			c->in_len -= (size_t)(nl + 1 - c->in);
			memmove(c->in, nl + 1, c->in_len);
		}
		/* requests may carry keys: keep no stale copy */
		explicit_bzero(c->in + c->in_len, sizeof(c->in) - c->in_len);
		if (c->in_len == sizeof(c->in)) {
			ctl_end(c, 2, "request line too long");
			c->in_len = 0;
		}
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		ctl_client_free(c);
		return;
	}
	if (ctl_flush(c) < 0)
		ctl_client_free(c);
}

static void ctl_accept(struct ev_io *io, uint32_t events)
{
	struct ctl_server *s = container_of(io, struct ctl_server, io);
	struct ctl_client *c;
	int fd, slot = -1;

	(void)events;
	fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS && slot < 0; i++)
		if (!s->clients[i])
			slot = i;
	c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
	if (!c || mip_buf_init(&c->out, CTL_OUT_CHUNK + 1024) < 0) {
		log_warnx("ctl", "too many control clients; connection refused");
		free(c);
		close(fd);
		return;
	}
	c->out.max = 1 << 20;
	c->srv = s;
	c->io.fd = fd;
	c->io.cb = ctl_client_io;
	if (ev_add(s->loop, &c->io, EPOLLIN) < 0) {
		mip_buf_free(&c->out);
		free(c);
		close(fd);
		return;
	}
	s->clients[slot] = c;
}

/* Refuse to take over the socket of a running instance; remove a stale one. */
static int ctl_claim_path(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc = 0;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		log_warnx("ctl", "another mipagent is running (control socket %s answers)", path);
		rc = -1;
	} else {
		unlink(path);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

static void ctl_make_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) == 0)
			log_debug("ctl", "created %s", dir);
	}
}

/* The notification fan-out's control-socket listener: one record per event
 * to every watching client; a client that cannot keep up is dropped. */
static void ctl_event(const struct mip_event *ev, void *arg)
{
	struct ctl_server *s = arg;
	char hoa[INET_ADDRSTRLEN], coa[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];
	bool formatted = false;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = s->clients[i];

		if (!c || !c->watching)
			continue;
		/* only for a watcher: formatting was a quarter of a re-registration's
		 * instructions when nobody watched */
		if (!formatted) {
			inet_ntop(AF_INET, &ev->hoa, hoa, sizeof(hoa));
			inet_ntop(AF_INET, &ev->coa, coa, sizeof(coa));
			inet_ntop(AF_INET, &ev->peer, peer, sizeof(peer));
			formatted = true;
		}
		if (ev->type == MIP_EV_SEC_VIOLATION)
			ctl_printf(c, "event type=%s hoa=%s peer=%s spi=%u id=%016llx reason=%u\n",
				   notify_event_name(ev->type), hoa, peer, ev->spi,
				   (unsigned long long)ev->id, ev->reason);
		else
			ctl_printf(c, "event type=%s hoa=%s coa=%s peer=%s flags=0x%02x lifetime=%u\n",
				   notify_event_name(ev->type), hoa, coa, peer, ev->flags, ev->lifetime);
		if (!mip_buf_ok(&c->out) || ctl_flush(c) < 0) {
			log_warnx("ctl", "a watching client fell behind; disconnected");
			ctl_client_free(c);
		}
	}
}

struct ctl_server *ctl_server_open(const char *path, struct ev_loop *loop, struct mip_daemon *d)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl_server *s;
	struct group *g;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("ctl", "control socket path too long: %s", path);
		return NULL;
	}
	ctl_make_dir(path);
	if (ctl_claim_path(path) < 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return NULL;
	}
	s->loop = loop;
	s->d = d;
	strcpy(sun.sun_path, path);
	s->io.cb = ctl_accept;
	s->io.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->io.fd < 0 || bind(s->io.fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, 0660) < 0 || listen(s->io.fd, 16) < 0 || ev_add(loop, &s->io, EPOLLIN) < 0) {
		log_warn("ctl", "control socket %s", path);
		if (s->io.fd >= 0)
			close(s->io.fd);
		free(s->path);
		free(s);
		return NULL;
	}
	g = getgrnam("mipagent");
	if (g && chown(path, (uid_t)-1, g->gr_gid) < 0)
		log_warn("ctl", "chown %s", path);
	notify_listen(ctl_event, s);
	log_debug("ctl", "listening on %s", path);
	return s;
}

void ctl_server_close(struct ctl_server *s)
{
	if (!s)
		return;
	notify_unlisten(ctl_event, s);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->clients[i])
			ctl_client_free(s->clients[i]);
	ev_del(s->loop, &s->io);
	close(s->io.fd);
	unlink(s->path);
	free(s->path);
	free(s);
}
