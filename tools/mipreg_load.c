/* mipreg's load generator: many simulated mobile nodes (home addresses
 * FIRST, FIRST + 1, ...) sharing one security association, each with its own
 * identification and replay state, at most one request outstanding per node.
 * Requests go out and replies come in by batches (sendmmsg/recvmmsg) on one
 * connected socket; each request is a copy of one template with the home
 * address, care-of address and identification patched in and the
 * authenticators computed in place, so nothing is allocated per request.
 * Every reply's authenticator is verified.  At the end: requests sent,
 * replies by code, bad replies, lost requests and latency percentiles. */
#include "config.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "auth.h"
#include "buf.h"
#include "ha.h"
#include "mipreg.h"
#include "wire.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103         /* linux/udp.h */
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

#define LG_BATCH 64
#define LG_MSG_MAX 640          /* fixed part, NAI, --extra and two authentication extensions */
#define LG_RX_MAX 2048
#define NS 1000000000ull

/* Latency histogram, log-linear: exact below 128 ns, then 64 buckets per
 * power of two (under 1.6 % error), up to 2^64 ns. */
#define HIST_LINEAR 128
#define HIST_BUCKETS (HIST_LINEAR + 57 * 64)

struct lg_hist {
	uint64_t n, max;
	uint64_t b[HIST_BUCKETS];
};

static unsigned hist_bucket(uint64_t v)
{
	unsigned e;

	if (v < HIST_LINEAR)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);          /* >= 7 */
	return HIST_LINEAR + (e - 7) * 64 + (unsigned)((v >> (e - 6)) & 63);
}

/* The middle of bucket @b. */
static double hist_value(unsigned b)
{
	unsigned e, sub;

	if (b < HIST_LINEAR)
		return b;
	e = 7 + (b - HIST_LINEAR) / 64;
	sub = (b - HIST_LINEAR) % 64;
	return (64.0 + sub + 0.5) * (double)(1ull << (e - 6));
}

static void hist_add(struct lg_hist *h, uint64_t v)
{
	h->b[hist_bucket(v)]++;
	h->n++;
	if (v > h->max)
		h->max = v;
}

/* The value at quantile @q (0..1), in ns. */
static double hist_quantile(const struct lg_hist *h, double q)
{
	uint64_t want = (uint64_t)(q * (double)h->n), seen = 0;

	if (!h->n)
		return 0;
	if ((double)want < q * (double)h->n || want < 1)
		want++;         /* the rank ceil(q n) */
	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		seen += h->b[b];
		if (seen >= want)
			return hist_value(b) < (double)h->max ? hist_value(b) : (double)h->max;
	}
	return (double)h->max;
}

struct lg_node {
	uint64_t last_id;       /* identification of the last request */
	uint64_t sent_ns;       /* when it left; 0: nothing outstanding */
	uint32_t nonce;         /* the home agent's nonce (nonce method) */
	uint32_t slot;          /* index in lg.flight while outstanding */
};

struct lg {
	const struct mipreg_opts *o;
	int fd;
	uint32_t first;         /* first home address, host order */
	struct lg_node *nodes;
	uint32_t *flight;       /* nodes with a request outstanding */
	uint32_t n_flight;
	uint32_t cursor;        /* next node to consider */
	int64_t clock_offset;   /* timestamps: the home agent's clock minus ours, s */
	uint32_t low_seq;       /* nonces: low-order bits of the identification */
	/* the request template */
	uint8_t tmpl[LG_MSG_MAX];
	size_t len, mn_ha_at, fa_ha_at;
	/* batches */
	struct mmsghdr smm[LG_BATCH], rmm[LG_BATCH];
	struct iovec siov[LG_BATCH], riov[LG_BATCH];
	uint32_t snode[LG_BATCH];
	uint8_t sbuf[LG_BATCH][LG_MSG_MAX];
	uint8_t rbuf[LG_BATCH][LG_RX_MAX];
	/* results */
	uint64_t sent, replies, codes[256], unparsable, no_mn_ha, bad_auth, stray, lost, send_errors;
	uint64_t start_ns, last_send_ns, last_reply_ns;
	int last_errno;
	bool gso;               /* UDP_SEGMENT works (until it fails once) */
	struct lg_hist lat;
};

static volatile sig_atomic_t lg_interrupted;

/* The first signal stops the sending (the replies still come), a second one
 * stops the waiting too. */
static void lg_on_signal(int sig)
{
	(void)sig;
	if (lg_interrupted < 2)
		lg_interrupted++;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* The request of the first node, with zeroed authenticators. */
static int lg_template(struct lg *g)
{
	const struct mipreg_opts *o = g->o;
	struct mip_reg_request rq = {
		.flags = o->flags, .lifetime = (uint16_t)o->lifetime,
		.hoa = o->hoa, .ha = o->ha, .coa = o->coa,
	};
	struct mip_buf b;
	int rc = -1;

	if (mip_buf_init(&b, LG_MSG_MAX) < 0)
		return -1;
	b.max = LG_MSG_MAX;
	mip_build_request(&b, &rq);
	if (o->nai)
		mip_build_nai(&b, (const uint8_t *)o->nai, strlen(o->nai));
	if (o->extra_len)
		mip_buf_put(&b, o->extra, (size_t)o->extra_len);
	g->mn_ha_at = mip_build_auth_ext(&b, MIP_EXT_MN_HA, 0, o->mn.spi, MIP_AUTH_LEN);
	g->fa_ha_at = o->fa.spi ? mip_build_auth_ext(&b, MIP_EXT_FA_HA, 0, o->fa.spi, MIP_AUTH_LEN) : 0;
	if (mip_buf_ok(&b) && b.len <= sizeof(g->tmpl)) {
		memcpy(g->tmpl, b.data, b.len);
		g->len = b.len;
		rc = 0;
	}
	mip_buf_free(&b);
	return rc;
}

/* A fresh identification for node @n (RFC 5944 §5.7), larger than its last. */
static uint64_t lg_id(struct lg *g, struct lg_node *n, uint64_t ntp)
{
	uint64_t id;

	if (g->o->replay == MIP_REPLAY_NONCES)
		return (uint64_t)n->nonce << 32 | ++g->low_seq;
	id = (uint64_t)((int64_t)(ntp >> 32) + g->clock_offset) << 32 | (ntp & 0xffffffffu);
	return id > n->last_id ? id : n->last_id + 1;
}

/* Write node @idx's request into @m; returns its length or 0.  @lifetime
 * is the one to ask for (it counts down with --same-expiry). */
static size_t lg_build(struct lg *g, uint32_t idx, uint64_t ntp, uint16_t lifetime, uint8_t *m)
{
	const struct mipreg_opts *o = g->o;
	struct lg_node *n = &g->nodes[idx];
	uint32_t hoa = g->first + idx;

	memcpy(m, g->tmpl, g->len);
	mip_set_u16(m + 2, lifetime);
	mip_set_u32(m + 4, hoa);
	if (!o->have_coa)
		mip_set_u32(m + 12, hoa);
	n->last_id = lg_id(g, n, ntp);
	mip_set_u32(m + 16, (uint32_t)(n->last_id >> 32));
	mip_set_u32(m + 20, (uint32_t)n->last_id);
	if (mip_auth_compute(o->mn.alg, o->mn.key, (size_t)o->mn.keylen, m, g->mn_ha_at, 6,
			     m + g->mn_ha_at + 6) < 0)
		return 0;
	if (o->fa.spi && mip_auth_compute(o->fa.alg, o->fa.key, o->fa.keylen > 0 ? (size_t)o->fa.keylen : 0,
					  m, g->fa_ha_at, 6, m + g->fa_ha_at + 6) < 0)
		return 0;
	return g->len;
}

static void lg_flight_add(struct lg *g, uint32_t idx, uint64_t now)
{
	g->nodes[idx].sent_ns = now;
	g->nodes[idx].slot = g->n_flight;
	g->flight[g->n_flight++] = idx;
}

static void lg_flight_del(struct lg *g, uint32_t idx)
{
	struct lg_node *n = &g->nodes[idx];
	uint32_t last = g->flight[--g->n_flight];

	g->flight[n->slot] = last;
	g->nodes[last].slot = n->slot;
	n->sent_ns = 0;
}

/* The next node with nothing outstanding, or UINT32_MAX. */
static uint32_t lg_next_node(struct lg *g)
{
	for (uint32_t k = 0; k < g->o->count; k++) {
		uint32_t idx = g->cursor;

		if (++g->cursor == g->o->count)
			g->cursor = 0;
		if (!g->nodes[idx].sent_ns)
			return idx;
	}
	return UINT32_MAX;
}

/* Send the @n requests from @first (all of the template's length) as one
 * datagram cut into requests by the kernel (UDP_SEGMENT): one trip down the
 * stack for the batch, where sendmmsg() makes one per request.  The home
 * agent still receives them one by one. */
static int lg_send_gso(struct lg *g, unsigned first, unsigned n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(uint16_t))];
	} ctl;
	struct msghdr mh = {
		.msg_iov = g->siov + first, .msg_iovlen = n,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	uint16_t seg = (uint16_t)g->len;

	memset(ctl.buf, 0, sizeof(ctl.buf));
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	return sendmsg(g->fd, &mh, 0) < 0 ? -1 : (int)n;
}

/* Send up to @max requests; returns how many left. */
static unsigned lg_send(struct lg *g, unsigned max)
{
	uint64_t ntp = mip_ntp_now(), now = mono_ns();
	uint16_t lifetime = (uint16_t)g->o->lifetime;
	unsigned n = 0, done = 0;

	if (g->o->same_expiry && lifetime && lifetime != 0xffff) {
		uint64_t whole = (now - g->start_ns) / NS;

		lifetime = whole + 1 < lifetime ? (uint16_t)(lifetime - whole) : 1;
	}
	if (max > LG_BATCH)
		max = LG_BATCH;
	while (n < max) {
		uint32_t idx = lg_next_node(g);
		size_t len;

		if (idx == UINT32_MAX)
			break;
		len = lg_build(g, idx, ntp, lifetime, g->sbuf[n]);
		if (!len) {
			fprintf(stderr, "mipreg: cannot compute an authenticator\n");
			exit(EXIT_USAGE);
		}
		g->siov[n].iov_len = len;
		g->snode[n] = idx;
		g->nodes[idx].sent_ns = 1;      /* taken; the time is set once it left */
		n++;
	}
	while (done < n) {
		int r = g->gso && n - done > 1 ? lg_send_gso(g, done, n - done) :
			sendmmsg(g->fd, g->smm + done, n - done, 0);

		if (r < 0 && g->gso && (errno == EINVAL || errno == EIO || errno == EOPNOTSUPP ||
					errno == ENOPROTOOPT)) {
			g->gso = false;         /* no UDP segmentation offload here */
			continue;
		}
		if (r > 0) {
			done += (unsigned)r;
			continue;
		}
		if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
			break;          /* the socket is full: the rest waits */
		g->send_errors++;       /* e.g. ECONNREFUSED: nobody listens */
		g->last_errno = errno;
		g->nodes[g->snode[done]].sent_ns = 0;
		done++;
	}
	now = mono_ns();
	for (unsigned k = 0; k < n; k++) {
		uint32_t idx = g->snode[k];

		if (k >= done)
			g->nodes[idx].sent_ns = 0;      /* not sent; its identification is skipped */
		else if (g->nodes[idx].sent_ns) {
			lg_flight_add(g, idx, now);
			g->sent++;
		}
	}
	if (done)
		g->last_send_ns = now;
	return done;
}

/* Account one reply of @len bytes received at @now. */
static void lg_reply(struct lg *g, const uint8_t *p, size_t len, uint64_t now)
{
	const struct mipreg_opts *o = g->o;
	struct mip_reg_reply rp;
	enum mip_parse_result pr = mip_parse_reply(p, len, &rp);
	struct lg_node *n;
	uint32_t idx;

	if (pr != MIP_PARSE_OK) {
		/* match it by its fixed part if it has one, so it is not also lost */
		if (len < MIP_RRP_FIXED_LEN || p[0] != MIP_MSG_REG_REPLY) {
			g->unparsable++;
			return;
		}
		rp.hoa.s_addr = htonl(mip_get_u32(p + 4));
		rp.id = mip_get_u64(p + 12);
	}
	idx = ntohl(rp.hoa.s_addr) - g->first;
	if (idx >= o->count || !(n = &g->nodes[idx])->sent_ns ||
	    (uint32_t)rp.id != (uint32_t)n->last_id) {
		g->stray++;             /* late (counted lost), duplicated or not ours */
		return;
	}
	hist_add(&g->lat, now - n->sent_ns);
	lg_flight_del(g, idx);
	g->replies++;
	g->last_reply_ns = now;
	if (pr != MIP_PARSE_OK) {
		g->unparsable++;
		return;
	}
	if (!rp.ext.mn_ha.present && rp.code >= MIP_CODE_FA_UNSPECIFIED && rp.code < MIP_CODE_HA_UNSPECIFIED) {
		g->codes[rp.code]++;    /* a foreign agent's own denial has no MN-HA (§3.7.2.3) */
		return;
	}
	if (!rp.ext.mn_ha.present || rp.ext.mn_ha.spi != o->mn.spi) {
		g->no_mn_ha++;
		return;
	}
	if (!mip_auth_verify(o->mn.alg, o->mn.key, (size_t)o->mn.keylen, p, &rp.ext.mn_ha)) {
		g->bad_auth++;
		return;
	}
	g->codes[rp.code]++;
	if (o->replay == MIP_REPLAY_NONCES)
		n->nonce = (uint32_t)(rp.id >> 32);     /* every reply carries the next nonce */
	else if (rp.code == MIP_CODE_HA_ID_MISMATCH && o->resync) {
		/* §3.6.2.1: the home agent's time from the reply; the refused
		 * identification need not be exceeded */
		g->clock_offset = (int64_t)(rp.id >> 32) - (int64_t)(mip_ntp_now() >> 32);
		n->last_id = 0;
	}
}

/* Read what has arrived; returns how many datagrams. */
static unsigned lg_receive(struct lg *g)
{
	unsigned total = 0;

	for (int rounds = 0; rounds < 16; rounds++) {
		int r;
		uint64_t now;

		for (unsigned k = 0; k < LG_BATCH; k++) {
			g->rmm[k].msg_hdr.msg_iovlen = 1;
			g->rmm[k].msg_hdr.msg_iov = &g->riov[k];
			g->rmm[k].msg_hdr.msg_flags = 0;
		}
		r = recvmmsg(g->fd, g->rmm, LG_BATCH, MSG_DONTWAIT, NULL);
		if (r <= 0) {
			if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				g->send_errors++;       /* an ICMP error reported on the socket */
				g->last_errno = errno;
			}
			break;
		}
		now = mono_ns();
		for (int k = 0; k < r; k++)
			lg_reply(g, g->rbuf[k], g->rmm[k].msg_len, now);
		total += (unsigned)r;
		if (r < LG_BATCH)
			break;
	}
	return total;
}

/* Requests outstanding longer than the timeout are lost (all with @all). */
static void lg_expire(struct lg *g, uint64_t now, bool all)
{
	uint64_t timeout = (uint64_t)g->o->timeout_ms * 1000000u;

	for (uint32_t k = 0; k < g->n_flight;) {
		uint32_t idx = g->flight[k];

		if (all || now - g->nodes[idx].sent_ns > timeout) {
			lg_flight_del(g, idx);  /* moves the last one into slot k */
			g->lost++;
		} else {
			k++;
		}
	}
}

static int lg_open(struct lg *g)
{
	const struct mipreg_opts *o = g->o;
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr = o->bind };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(o->port), .sin_addr = o->dest };
	int size = 8 << 20, ttl = 255;

	g->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (g->fd < 0)
		goto fail;
	/* large buffers, beyond the sysctl limits when we may */
	if (setsockopt(g->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(g->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(g->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(g->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (((o->flags & MIP_RRQ_T) && setsockopt(g->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0) ||
	    bind(g->fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    connect(g->fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		goto fail;
	g->gso = !getenv("MIPREG_NO_GSO");
	for (unsigned k = 0; k < LG_BATCH; k++) {
		g->siov[k].iov_base = g->sbuf[k];
		g->smm[k].msg_hdr.msg_iov = &g->siov[k];
		g->smm[k].msg_hdr.msg_iovlen = 1;
		g->riov[k].iov_base = g->rbuf[k];
		g->riov[k].iov_len = sizeof(g->rbuf[k]);
	}
	return 0;
fail:
	perror("mipreg: socket");
	return -1;
}

static void lg_report(const struct lg *g, uint64_t end_ns)
{
	const struct mipreg_opts *o = g->o;
	double send_s = (double)(g->last_send_ns - g->start_ns) / 1e9;
	double reply_s = (double)((g->last_reply_ns ? g->last_reply_ns : end_ns) - g->start_ns) / 1e9;
	double send_rate = send_s > 0 ? (double)g->sent / send_s : 0;
	double reply_rate = reply_s > 0 ? (double)g->replies / reply_s : 0;
	double p50 = hist_quantile(&g->lat, 0.5) / 1e6, p99 = hist_quantile(&g->lat, 0.99) / 1e6;
	double p999 = hist_quantile(&g->lat, 0.999) / 1e6, max = (double)g->lat.max / 1e6;
	char dest[INET_ADDRSTRLEN], first[INET_ADDRSTRLEN];
	bool comma = false;

	inet_ntop(AF_INET, &o->dest, dest, sizeof(dest));
	inet_ntop(AF_INET, &o->hoa, first, sizeof(first));
	if (o->json) {
		printf("{\"destination\":\"%s\",\"port\":%u,\"first_home_address\":\"%s\",\"nodes\":%u,"
		       "\"window\":%u,\"rate\":%.0f,\"sent\":%llu,\"send_seconds\":%.6f,\"send_rate\":%.0f,"
		       "\"replies\":%llu,\"reply_seconds\":%.6f,\"reply_rate\":%.0f,\"codes\":{",
		       dest, o->port, first, o->count, o->window, o->rate, (unsigned long long)g->sent,
		       send_s, send_rate, (unsigned long long)g->replies, reply_s, reply_rate);
		for (unsigned c = 0; c < 256; c++)
			if (g->codes[c]) {
				printf("%s\"%u\":%llu", comma ? "," : "", c, (unsigned long long)g->codes[c]);
				comma = true;
			}
		printf("},\"unparsable\":%llu,\"no_mn_ha\":%llu,\"bad_authenticator\":%llu,\"stray\":%llu,"
		       "\"lost\":%llu,\"send_errors\":%llu,\"latency_ms\":{\"p50\":%.4f,\"p99\":%.4f,"
		       "\"p99.9\":%.4f,\"max\":%.4f}}\n",
		       (unsigned long long)g->unparsable, (unsigned long long)g->no_mn_ha,
		       (unsigned long long)g->bad_auth, (unsigned long long)g->stray,
		       (unsigned long long)g->lost, (unsigned long long)g->send_errors, p50, p99, p999, max);
		return;
	}
	printf("load: %u node(s) from %s to %s:%u, window %u, ", o->count, first, dest, o->port, o->window);
	if (o->rate > 0)
		printf("%.0f requests/s\n", o->rate);
	else
		printf("as fast as possible\n");
	printf("sent      %llu in %.3f s (%.0f/s)\n", (unsigned long long)g->sent, send_s, send_rate);
	printf("replies   %llu in %.3f s (%.0f/s):", (unsigned long long)g->replies, reply_s, reply_rate);
	for (unsigned c = 0; c < 256; c++)
		if (g->codes[c])
			printf(" %u %s: %llu;", c, mip_code_str(c), (unsigned long long)g->codes[c]);
	printf("\nbad       %llu (unparsable %llu, no Mobile-Home extension with our SPI %llu, "
	       "bad authenticator %llu)\n",
	       (unsigned long long)(g->unparsable + g->no_mn_ha + g->bad_auth),
	       (unsigned long long)g->unparsable, (unsigned long long)g->no_mn_ha,
	       (unsigned long long)g->bad_auth);
	printf("lost      %llu (no reply within %d ms); stray replies %llu; send errors %llu%s%s\n",
	       (unsigned long long)g->lost, o->timeout_ms, (unsigned long long)g->stray,
	       (unsigned long long)g->send_errors, g->last_errno ? ", last: " : "",
	       g->last_errno ? strerror(g->last_errno) : "");
	printf("latency   p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms\n", p50, p99, p999, max);
}

static int lg_status(const struct lg *g)
{
	uint64_t denied = 0;

	if (g->unparsable || g->no_mn_ha || g->bad_auth)
		return EXIT_BAD_REPLY;
	if (g->lost || g->send_errors)
		return EXIT_NO_REPLY;
	for (unsigned c = 0; c < 256; c++)
		if (!mip_code_accepted(c))
			denied += g->codes[c];
	return denied ? EXIT_DENIED : EXIT_ACCEPTED;
}

/* How long to sleep before something is due, in ns. */
static uint64_t lg_wait_ns(const struct lg *g, bool sending, uint64_t now, uint64_t next_send)
{
	uint64_t w = (uint64_t)g->o->timeout_ms * 1000000u / 10 + 1000000u;

	if (sending && next_send > now && next_send - now < w)
		w = next_send - now;
	return w;
}

static void lg_run(struct lg *g)
{
	const struct mipreg_opts *o = g->o;
	uint64_t requests = o->requests ? o->requests : o->duration > 0 ? UINT64_MAX : o->count;
	uint64_t end_ns, next_scan, scan_every = (uint64_t)o->timeout_ms * 1000000u / 10 + 1;

	g->start_ns = g->last_send_ns = mono_ns();
	end_ns = o->duration > 0 ? g->start_ns + (uint64_t)(o->duration * 1e9) : UINT64_MAX;
	next_scan = g->start_ns + scan_every;
	for (;;) {
		uint64_t now = mono_ns(), next_send = now;
		bool sending = !lg_interrupted && g->sent < requests && now < end_ns;
		unsigned moved = 0;

		if (sending) {
			uint64_t room = g->n_flight < o->window ? o->window - g->n_flight : 0;

			if (requests - g->sent < room)
				room = requests - g->sent;
			if (o->rate > 0) {
				/* requests due by now at the configured rate */
				uint64_t due = (uint64_t)((double)(now - g->start_ns) * o->rate / 1e9) + 1;

				room = due > g->sent ? (room < due - g->sent ? room : due - g->sent) : 0;
				next_send = g->start_ns + (uint64_t)((double)(g->sent + 1) * 1e9 / o->rate);
			}
			if (room)
				moved += lg_send(g, (unsigned)(room < LG_BATCH ? room : LG_BATCH));
		}
		moved += lg_receive(g);
		now = mono_ns();
		if (now >= next_scan) {
			lg_expire(g, now, false);
			next_scan = now + scan_every;
		}
		if (!sending && (g->n_flight == 0 || lg_interrupted > 1 ||
				 now - g->last_send_ns > (uint64_t)o->timeout_ms * 1000000u)) {
			lg_expire(g, now, true);
			break;
		}
		if (!moved) {
			uint64_t w = lg_wait_ns(g, sending, now, next_send);
			struct timespec ts = { .tv_sec = (time_t)(w / NS), .tv_nsec = (long)(w % NS) };
			struct pollfd pfd = { .fd = g->fd, .events = POLLIN };

			ppoll(&pfd, 1, &ts, NULL);
		}
	}
}

int mipreg_load(const struct mipreg_opts *o)
{
	struct lg *g = calloc(1, sizeof(*g));
	struct sigaction sa = { .sa_handler = lg_on_signal };
	int rc = EXIT_USAGE;

	if (!g)
		return EXIT_USAGE;
	g->o = o;
	g->first = ntohl(o->hoa.s_addr);
	g->nodes = calloc(o->count, sizeof(*g->nodes));
	g->flight = calloc(o->count, sizeof(*g->flight));
	if (!g->nodes || !g->flight || lg_template(g) < 0) {
		fprintf(stderr, "mipreg: cannot prepare %u nodes' requests\n", o->count);
		goto out;
	}
	if (o->replay == MIP_REPLAY_NONCES)
		for (uint32_t i = 0; i < o->count; i++)
			g->nodes[i].nonce = o->nonce;
	if (lg_open(g) < 0)
		goto out;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	lg_run(g);
	lg_report(g, mono_ns());
	rc = lg_status(g);
out:
	if (g->fd > 0)
		close(g->fd);
	free(g->nodes);
	free(g->flight);
	free(g);
	return rc;
}
