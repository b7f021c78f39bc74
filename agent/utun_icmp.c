/* The userspace tunnel engine's ICMP: path MTU per tunnel end, Too Big, relayed errors (RFC 2003 4, 5). */
#include "config.h"
#include <stdbool.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "encap.h"
#include "log.h"
#include "timer.h"
#include "utun.h"
#include "utun_int.h"

#define UTUN_PMTU_AGE_MS (10u * 60 * 1000)   /* RFC 1191 6.3: at least 10 minutes */
#define UTUN_LINK_MTU_AGE_MS (10 * 1000)     /* re-read a peer's route MTU this often */
#define UTUN_ICMP_PER_SEC 200           /* ICMP errors we generate or relay per second */

static bool icmp_ok(struct utun *u)
{
	if (u->now - u->icmp_window >= 1000) {
		u->icmp_window = u->now;
		u->icmp_count = 0;
	}
	return u->icmp_count++ < UTUN_ICMP_PER_SEC;
}

/* ---- peers and MTU ---- */

/* MTU of the route to @remote, including what the kernel learned (IP_MTU of
 * a UDP socket connected there); 0 when there is no route. */
static uint32_t route_mtu(struct utun *u, struct in_addr remote)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = remote, .sin_port = htons(9) };
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int mtu = 0;
	socklen_t sl = sizeof(mtu);

	if (connect(u->ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 0;
	if (getsockopt(u->ctl_fd, IPPROTO_IP, IP_MTU, &mtu, &sl) < 0)
		mtu = 0;
	(void)connect(u->ctl_fd, &unspec, sizeof(unspec));  /* dissolve the association */
	return mtu > 0 ? (uint32_t)mtu : 0;
}

void utun_peer_refresh(struct utun *u, struct peer *p)
{
	p->link_mtu = route_mtu(u, p->remote);
	p->link_mtu_checked = u->now;
}

/* The largest outer packet we send to @p now. */
uint32_t utun_peer_mtu(struct utun *u, struct peer *p)
{
	uint32_t m;

	if (u->now - p->link_mtu_checked >= (p->link_mtu ? UTUN_LINK_MTU_AGE_MS : 1000))
		utun_peer_refresh(u, p);
	m = p->link_mtu ? p->link_mtu : 65535;
	if (p->pmtu) {
		if (u->now >= p->pmtu_expire)
			p->pmtu = 0;
		else if (p->pmtu < m)
			m = p->pmtu;
	}
	return m;
}

/* ---- ICMP ---- */

/* Send an ICMP error about @pkt to its source (raw ICMP socket: the kernel
 * picks our source address by routing, as for its own ICMP errors). */
bool utun_icmp_send(struct utun *u, uint8_t type, uint8_t code, uint16_t mtu,
		    const uint8_t *pkt, size_t len)
{
	uint8_t msg[8 + ENCAP_ICMP_QUOTE_MAX];
	struct sockaddr_in to = { .sin_family = AF_INET };
	int n;

	if (!icmp_error_allowed(pkt, len) || !icmp_ok(u))
		return false;
	n = icmp_error_build(msg, sizeof(msg), type, code, mtu, pkt, len);
	if (n < 0)
		return false;
	to.sin_addr = ip_src(pkt);
	if (sendto(u->icmp.io.fd, msg, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		if (utun_warn_ok(u))
			log_warn("utun", "ICMP to %s", inet_ntoa(to.sin_addr));
		return false;
	}
	return true;
}

/* RFC 1191 7: a plateau below a datagram of @len when the router sent no MTU. */
static uint32_t mtu_plateau(uint32_t len)
{
	static const uint32_t pl[] = { 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68 };

	for (size_t i = 0; i < sizeof(pl) / sizeof(pl[0]); i++)
		if (pl[i] < len)
			return pl[i];
	return ENCAP_IP_MIN_MTU;
}

static bool fwd_has(struct utun *u, struct in_addr dst)
{
	struct hkey k = hkey1(dst);
	struct utun_hop hop;

	return utun_htab_find(&u->fwd, &k) != NULL ||
	       (u->resolver.hops && u->resolver.hops(u->resolver.arg, dst, &hop, 1) > 0);
}

/* An ICMP error from inside a tunnel (RFC 2003 section 4). */
static void icmp_one(struct utun *u, uint8_t *p, size_t len)
{
	static struct encap_icmp r;     /* 560 bytes; the engine is single-threaded */
	struct hkey k;
	struct peer *pr;
	struct encap_params ep;
	uint8_t type = ICMP_T_UNREACH, code;
	uint16_t mtu = 0;
	int rc = encap_icmp_parse(p, len, &r);

	if (rc < 0 && rc != -ENCAP_E_ICMP_NOINNER)
		return;
	k = hkey1(r.outer_dst);
	pr = (struct peer *)utun_htab_find(&u->peers, &k);
	if (!pr)
		return;                 /* not about a packet of ours */
	if (r.type == ICMP_T_UNREACH && r.code == ICMP_C_NEEDFRAG) {
		/* Soft state (RFC 2003 5.1), even when the quote is too short
		 * to relay: later datagrams get our own Datagram Too Big. */
		uint32_t m = r.mtu;

		if (m == 0)
			m = mtu_plateau(r.outer_len);
		if (m < ENCAP_IP_MIN_MTU)
			m = ENCAP_IP_MIN_MTU;
		if (m < r.outer_len || r.outer_len == 0) {
			pr->pmtu = m;
			pr->pmtu_expire = u->now + UTUN_PMTU_AGE_MS;
			log_info("utun", "path MTU to %s is %u", inet_ntoa(pr->remote), m);
		}
	}
	if (rc < 0)
		return;                 /* RFC 2003 5: not enough to relay */
	switch (r.type) {
	case ICMP_T_UNREACH:
		switch (r.code) {
		case ICMP_C_NET:
		case ICMP_C_PROTO:
			/* 4.1: code 1 when the destination is "on our network"
			 * (a mobile node we forward for), else code 0. */
			code = fwd_has(u, ip_dst(r.inner)) ? ICMP_C_HOST : ICMP_C_NET;
			break;
		case ICMP_C_HOST:
			code = ICMP_C_HOST;
			break;
		case ICMP_C_NEEDFRAG:
			code = ICMP_C_NEEDFRAG;
			ep.src = r.outer_src;
			ep.dst = r.outer_dst;
			ep.type = r.encap;
			{
				int ovh = encap_overhead(&ep, r.inner);
				uint32_t m = pr->pmtu ? pr->pmtu : r.mtu;

				if (ovh < 0 || m < (uint32_t)ovh + ENCAP_IP_MIN_MTU)
					mtu = ENCAP_IP_MIN_MTU;
				else
					mtu = (uint16_t)(m - (uint32_t)ovh);
			}
			break;
		default:
			return;         /* port unreachable, source route failed, others: not relayed */
		}
		break;
	case ICMP_T_TIMXCEED:
		code = ICMP_C_HOST;     /* 4.4 */
		break;
	default:
		return;                 /* source quench, redirect, parameter problem: not relayed */
	}
	if (log_debug_enabled("utun")) {
		char from[INET_ADDRSTRLEN], to[INET_ADDRSTRLEN];
		struct in_addr s = ip_src(r.inner);

		inet_ntop(AF_INET, &r.from, from, sizeof(from));
		inet_ntop(AF_INET, &s, to, sizeof(to));
		log_debug("utun", "ICMP %u/%u from %s in the tunnel: relaying %u/%u to %s",
			  r.type, r.code, from, type, code, to);
	}
	if (utun_icmp_send(u, type, code, mtu, r.inner, r.inner_len))
		u->st.icmp_relayed++;
}

void utun_icmp_readable(struct ev_io *io, uint32_t events)
{
	struct utun *u = ((struct utun_io *)io)->u;

	(void)events;
	utun_rx_each(u, io->fd, icmp_one);
}
