/* The userspace tunnel engine (see utun.h): TUN device and raw sockets, encapsulation, decapsulation. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "encap.h"
#include "event.h"
#include "log.h"
#include "timer.h"
#include "utun.h"
#include "utun_int.h"

#define UTUN_SOCKBUF (4 * 1024 * 1024)
#define UTUN_ICMP_FILTER 1              /* SOL_RAW option (linux/icmp.h) */

/* Rate-limit warnings of the packet path to a few per second. */
bool utun_warn_ok(struct utun *u)
{
	uint64_t now = mip_now_ms();

	if (now - u->warn_window >= 1000) {
		u->warn_window = now;
		u->warn_count = 0;
	}
	return u->warn_count++ < 5;
}

/* ---- output ---- */

/* Encapsulate @p (@len bytes, checked) into tunnel @t and queue it. */
static void send_tunnel(struct utun *u, const struct tunnel *t, uint8_t *p, size_t len)
{
	struct encap_params ep = { .src = t->local, .dst = t->remote, .type = t->encap, .ttl = u->ttl };
	struct peer *pr = t->peer;
	uint32_t mtu;
	size_t skip;
	unsigned i;
	int ovh, hlen;

	/* RFC 2003 3.2: never tunnel a datagram back to where it came from. */
	if (ip_src(p).s_addr == t->remote.s_addr) {
		u->st.loop_drops++;
		return;
	}
	/* RFC 2004 3: minimal encapsulation MUST NOT carry a fragment; such
	 * datagrams go IP-in-IP, which every Mobile IP agent decapsulates. */
	if (ep.type == DP_ENCAP_MINIMAL && ip_is_fragment(p))
		ep.type = DP_ENCAP_IPIP;
	ovh = encap_overhead(&ep, p);
	if (ovh < 0) {
		u->st.bad_inner++;
		return;
	}
	mtu = utun_peer_mtu(u, pr);
	if (len + (size_t)ovh > mtu) {
		size_t off = 0;
		int n;

		if (ip_df(p)) {
			/* The sender does path MTU discovery: tell it what fits
			 * (RFC 2003 5.1: tunnel MTU minus the encapsulation). */
			uint32_t fit = mtu - (uint32_t)ovh;

			u->st.too_big++;
			if (utun_icmp_send(u, ICMP_T_UNREACH, ICMP_C_NEEDFRAG,
					   (uint16_t)(fit < ENCAP_IP_MIN_MTU ? ENCAP_IP_MIN_MTU : fit), p, len))
				u->st.icmp_sent++;
			return;
		}
		/* DF clear.  The kernel does not fragment IP_HDRINCL packets,
		 * so we do.  IP-in-IP and GRE: fragment the INNER datagram and
		 * encapsulate each piece, as RFC 2003 5.1 prefers ("much better
		 * to fragment the original datagram when encapsulating"): every
		 * outer packet is then complete and the decapsulator needs no
		 * reassembly state.  Minimal encapsulation must not carry
		 * fragments (RFC 2004 3), so there the OUTER datagram is
		 * fragmented and the exit point reassembles it. */
		u->st.fragmented++;
		if (ep.type == DP_ENCAP_MINIMAL) {
			int olen = encap_build(&ep, p, len, u->scratch, 65536 + ENCAP_HDR_MAX);

			if (olen < 0) {
				u->st.bad_inner++;
				return;
			}
			for (;;) {
				uint8_t *f;

				i = utun_tx_reserve(u, mtu, &f);
				n = ip_fragment_next(u->scratch, (size_t)olen, mtu, &off, f, mtu);
				if (n <= 0)
					break;
				u->arena_used += (size_t)n;
				utun_tx_commit(u, i, pr, f, (size_t)n, NULL, 0);
			}
		} else {
			size_t fmtu = mtu - (size_t)ovh;

			for (;;) {
				uint8_t *f;

				i = utun_tx_reserve(u, fmtu, &f);
				n = ip_fragment_next(p, len, fmtu, &off, f, fmtu);
				if (n <= 0)
					break;
				u->arena_used += (size_t)n;
				ep.id = pr->id++;
				hlen = encap_header(&ep, f, (size_t)n, u->thdr[i], &skip);
				if (hlen < 0) {
					n = hlen;
					break;
				}
				utun_tx_commit(u, i, pr, u->thdr[i], (size_t)hlen, f + skip, (size_t)n - skip);
			}
		}
		if (n < 0) {
			u->st.bad_inner++;
			if (utun_warn_ok(u))
				log_warnx("utun", "fragmenting: %s", encap_strerror(n));
			return;
		}
		u->st.encap_pkts++;
		u->st.encap_bytes += len;
		return;
	}
	i = utun_tx_reserve(u, 0, NULL);
	ep.id = pr->id++;
	hlen = encap_header(&ep, p, len, u->thdr[i], &skip);
	if (hlen < 0) {
		u->st.bad_inner++;
		return;
	}
	utun_tx_commit(u, i, pr, u->thdr[i], (size_t)hlen, p + skip, len - skip);
	u->st.encap_pkts++;
	u->st.encap_bytes += len;
}

unsigned utun_resolved_send(struct utun *u, uint8_t *p, size_t len)
{
	struct utun_hop hops[UTUN_MAX_TUNNELS];
	unsigned n, sent = 0;

	if (!u->resolver.hops)
		return 0;
	n = u->resolver.hops(u->resolver.arg, ip_dst(p), hops, UTUN_MAX_TUNNELS);
	for (unsigned j = 0; j < n; j++) {
		struct tunnel t = { .local = hops[j].local, .remote = hops[j].remote, .encap = hops[j].encap,
				    .peer = utun_peer_find(u, hops[j].remote) };

		if (!t.peer)
			continue;
		send_tunnel(u, &t, p, len);
		sent++;
	}
	return sent;
}

/* A datagram the kernel routed into the TUN device.  Its TTL was already
 * decremented by that forwarding (RFC 2003 3.1: decrement when tunnelling is
 * part of forwarding), and locally sent datagrams keep theirs, so the TTL is
 * not touched here; ip_check() refuses TTL 0 (MUST NOT encapsulate). */
void utun_encap_one(struct utun *u, uint8_t *p, size_t len)
{
	struct hkey k;
	struct fwd *f;
	struct rev *r;

	if (ip_check(p, len) < 0) {
		u->st.bad_inner++;
		return;
	}
	k = hkey1(ip_dst(p));
	f = (struct fwd *)utun_htab_find(&u->fwd, &k);
	if (f) {
		for (unsigned j = 0; j < f->n; j++)
			send_tunnel(u, &f->t[j], p, len);
		return;
	}
	k = hkey1(ip_src(p));
	r = (struct rev *)utun_htab_find(&u->rev, &k);
	if (r) {
		send_tunnel(u, &r->t, p, len);
		return;
	}
	if (utun_resolved_send(u, p, len))
		return;
	/* routed here (a virtual home network, a reverse-tunnel table) for a
	 * node that has no binding or visitor entry (any more) */
	u->st.no_route++;
	utun_icmp_send(u, ICMP_T_UNREACH, ICMP_C_HOST, 0, p, len);
}

void utun_encap_link(struct utun *u, int link, uint8_t *p, size_t len)
{
	struct hkey k;
	struct rev *r;

	if (ip_check(p, len) < 0) {
		u->st.bad_inner++;
		return;
	}
	k = rev_key(ip_src(p), link);
	r = (struct rev *)utun_htab_find(&u->rev, &k);
	if (!r) {
		u->st.no_route++;
		return;
	}
	send_tunnel(u, &r->t, p, len);
}

/* Send @p (@len bytes) now through the forward tunnel of @inner_dst to
 * @remote, whatever @p's own destination: broadcast datagrams, nested
 * encapsulation (RFC 5944 §4.3). */
int utun_fwd_send(struct utun *u, struct in_addr inner_dst, struct in_addr remote,
		  uint8_t *p, size_t len)
{
	struct hkey k = hkey1(inner_dst);
	struct fwd *f = (struct fwd *)utun_htab_find(&u->fwd, &k);

	if (ip_check(p, len) < 0) {
		u->st.bad_inner++;
		return -1;
	}
	if (f)
		for (unsigned j = 0; j < f->n; j++)
			if (f->t[j].remote.s_addr == remote.s_addr) {
				send_tunnel(u, &f->t[j], p, len);
				utun_tx_flush(u);
				return 0;
			}
	u->st.no_route++;
	return -1;
}

/* ---- input ---- */

/* RFC 3024 §5.2: a datagram the mobile node encapsulated to us goes on into
 * the reverse tunnel of its (home address) source on its @link (0: the one
 * of the main device), forwarded like one the kernel routed into the TUN
 * device, so its TTL is decremented here. */
static void decap_reverse(struct utun *u, uint8_t *p, size_t len, int link)
{
	struct hkey k;
	struct rev *r;

	if (ip_check(p, len) < 0 || ip_ttl_decrement(p) == 0) {
		u->st.bad_inner++;
		return;
	}
	k = rev_key(ip_src(p), link);
	r = (struct rev *)utun_htab_find(&u->rev, &k);
	if (!r) {
		u->st.no_route++;
		return;
	}
	u->st.rev_decap++;
	send_tunnel(u, &r->t, p, len);
}

static void decap_one(struct utun *u, uint8_t *p, size_t len)
{
	struct encap_decap d;
	bool reverse;
	int link, rc = encap_decap(p, len, &d);
	struct utun_link *l;

	if (rc < 0) {
		u->st.decap_bad++;
		if (log_debug_enabled("utun"))
			log_debug("utun", "dropped encapsulated packet: %s", encap_strerror(rc));
		return;
	}
	if (!utun_decap_allowed(u, &d, &reverse, &link)) {
		u->st.decap_filtered++;
		return;
	}
	if (reverse) {
		decap_reverse(u, d.inner, d.inner_len, link);
		return;
	}
	/* a home address shared with a visitor on another link: that link's device */
	l = link ? utun_link_find(u, link) : NULL;
	utun_tun_write(u, l ? l->io.io.fd : u->tun.io.fd, d.inner, d.inner_len);
}

static void raw_readable(struct ev_io *io, uint32_t events)
{
	struct utun *u = ((struct utun_io *)io)->u;

	(void)events;
	utun_rx_each(u, io->fd, decap_one);
	utun_tun_write_flush(u);
	if (u->tn)      /* re-encapsulated by decap_reverse() */
		utun_tx_flush(u);
}

/* ---- setup ---- */

static int raw_socket(int proto)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	int sz = UTUN_SOCKBUF;

	if (fd < 0) {
		log_warn("utun", "raw socket for protocol %d", proto);
		return -1;
	}
	if (proto == IPPROTO_RAW) {
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	} else if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	return fd;
}

/* The largest MTU of the non-loopback interfaces other than TUN devices of
 * ours: the link our tunnels are likely to use (1500 if none). */
static int default_link_mtu(int ctl_fd, const char *self)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int best = 0;

	if (!ifs)
		return 1500;
	for (i = ifs; i->if_index; i++) {
		struct ifreq ifr;

		if (!strcmp(i->if_name, self))
			continue;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		if (ioctl(ctl_fd, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags & (IFF_LOOPBACK | IFF_POINTOPOINT)))
			continue;
		if (ioctl(ctl_fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > best)
			best = ifr.ifr_mtu;
	}
	if_freenameindex(ifs);
	return best ? best : 1500;
}

static void disable_ipv6(const char *ifname)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) < 0)
		log_debug("utun", "disable IPv6 on %s: %s", ifname, strerror(errno));
	close(fd);
}

int utun_dev_create(struct utun *u, const char *pattern, int mtu, struct utun_io *w,
		    char ifname[IFNAMSIZ], int *ifindex)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		log_warn("utun", "open /dev/net/tun");
		return -1;
	}
	w->io.fd = fd;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", pattern);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		log_warn("utun", "TUNSETIFF %s", pattern);
		return -1;
	}
	memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
	ifname[IFNAMSIZ - 1] = 0;
	*ifindex = (int)if_nametoindex(ifname);
	if (mtu <= 0)
		mtu = default_link_mtu(u->ctl_fd, ifname) - ENCAP_GRE_OVERHEAD;
	if (mtu < ENCAP_IP_MIN_MTU)
		mtu = ENCAP_IP_MIN_MTU;
	if (mtu > 65535)
		mtu = 65535;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, IFNAMSIZ);
	ifr.ifr_mtu = mtu;
	if (ioctl(u->ctl_fd, SIOCSIFMTU, &ifr) < 0) {
		log_warn("utun", "set MTU %d on %s", mtu, ifname);
		return -1;
	}
	ifr.ifr_qlen = 1000;
	if (ioctl(u->ctl_fd, SIOCSIFTXQLEN, &ifr) < 0)
		log_debug("utun", "txqueuelen %s: %s", ifname, strerror(errno));
	disable_ipv6(ifname);
	if (ioctl(u->ctl_fd, SIOCGIFFLAGS, &ifr) < 0) {
		log_warn("utun", "SIOCGIFFLAGS %s", ifname);
		return -1;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(u->ctl_fd, SIOCSIFFLAGS, &ifr) < 0) {
		log_warn("utun", "set %s up", ifname);
		return -1;
	}
	return mtu;
}

int utun_watch(struct utun *u, struct utun_io *w, ev_io_cb cb)
{
	w->u = u;
	w->io.cb = cb;
	return ev_add(u->loop, &w->io, EPOLLIN);
}

struct utun *utun_open(const char *name_pattern, struct ev_loop *loop, int mtu)
{
	static const int protos[3] = { IPPROTO_IPIP, IPPROTO_MINENC, IPPROTO_GRE };
	struct utun *u = calloc(1, sizeof(*u));
	uint32_t icmp_mask;

	if (!u) {
		log_warn("utun", "calloc");
		return NULL;
	}
	u->loop = loop;
	u->ttl = ENCAP_TTL_DEFAULT;
	u->ctl_fd = u->tx_fd = u->tun.io.fd = u->icmp.io.fd = -1;
	for (int i = 0; i < 3; i++)
		u->raw[i].io.fd = -1;
	u->rd.fd = u->wr.fd = -1;
	u->rx = malloc((size_t)UTUN_BATCH * UTUN_SLOT_STRIDE);
	u->tunrx = malloc((size_t)UTUN_BATCH * UTUN_SLOT_STRIDE);
	u->arena = malloc(UTUN_ARENA);
	u->scratch = malloc(65536 + ENCAP_HDR_MAX);
	if (!u->rx || !u->tunrx || !u->arena || !u->scratch || utun_table_init(u) < 0) {
		log_warn("utun", "allocation");
		goto fail;
	}
	for (unsigned i = 0; i < UTUN_TXQ; i++) {
		u->tdst[i].sin_family = AF_INET;
		u->tmsg[i].msg_hdr.msg_name = &u->tdst[i];
		u->tmsg[i].msg_hdr.msg_namelen = sizeof(u->tdst[i]);
		u->tmsg[i].msg_hdr.msg_iov = u->tiov[i];
	}
	u->ctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (u->ctl_fd < 0) {
		log_warn("utun", "socket");
		goto fail;
	}
	u->mtu = utun_dev_create(u, name_pattern, mtu, &u->tun, u->ifname, &u->ifindex);
	if (u->mtu < 0)
		goto fail;
	u->tx_fd = raw_socket(IPPROTO_RAW);
	if (u->tx_fd < 0)
		goto fail;
	for (int i = 0; i < 3; i++) {
		u->raw[i].io.fd = raw_socket(protos[i]);
		if (u->raw[i].io.fd < 0 || utun_watch(u, &u->raw[i], raw_readable) < 0)
			goto fail;
	}
	u->icmp.io.fd = raw_socket(IPPROTO_ICMP);
	if (u->icmp.io.fd < 0)
		goto fail;
	/* Only Destination Unreachable and Time Exceeded matter (RFC 2003 4). */
	icmp_mask = ~((1u << ICMP_T_UNREACH) | (1u << ICMP_T_TIMXCEED));
	if (setsockopt(u->icmp.io.fd, SOL_RAW, UTUN_ICMP_FILTER, &icmp_mask, sizeof(icmp_mask)) < 0)
		log_warn("utun", "ICMP_FILTER");
	if (utun_watch(u, &u->icmp, utun_icmp_readable) < 0)
		goto fail;
	if (!utun_uring_setup(u) && utun_watch(u, &u->tun, utun_tun_readable) < 0)
		goto fail;
	log_info("utun", "%s up, MTU %d, %s", u->ifname, u->mtu,
		 u->use_uring ? "io_uring" : "read/write");
	return u;
fail:
	utun_close(u);
	return NULL;
}

void utun_close(struct utun *u)
{
	struct utun_io *ios[5] = { &u->tun, &u->raw[0], &u->raw[1], &u->raw[2], &u->icmp };

	if (!u)
		return;
	utun_uring_close(u);
	utun_links_free(u);
	for (int i = 0; i < 5; i++) {
		if (ios[i]->io.fd < 0)
			continue;
		if (ios[i]->u)
			ev_del(u->loop, &ios[i]->io);
		close(ios[i]->io.fd);
	}
	if (u->tx_fd >= 0)
		close(u->tx_fd);
	if (u->ctl_fd >= 0)
		close(u->ctl_fd);
	utun_table_free(u);
	free(u->rx);
	free(u->tunrx);
	free(u->arena);
	free(u->scratch);
	free(u);
}

const char *utun_ifname(const struct utun *u)
{
	return u->ifname;
}

int utun_ifindex(const struct utun *u)
{
	return u->ifindex;
}

int utun_mtu(const struct utun *u)
{
	return u->mtu;
}

int utun_set_ttl(struct utun *u, int ttl)
{
	if (ttl < 1 || ttl > 255) {
		errno = EINVAL;
		return -1;
	}
	u->ttl = (uint8_t)ttl;
	return 0;
}

void utun_get_stats(const struct utun *u, struct utun_stats *st)
{
	*st = u->st;
}
