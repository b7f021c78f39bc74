/* The data plane: binding events to tunnels, host routes, proxy and gratuitous ARP (see dp.h). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "buf.h"
#include "encap.h"
#include "arp.h"
#include "binding.h"
#include "counters.h"
#include "dp.h"
#include "event.h"
#include "log.h"
#include "nl.h"
#include "node.h"
#include "notify.h"
#include "reload.h"
#include "rbtree.h"
#include "utun.h"
#include "wire.h"

#define DP_TUN_PATTERN "mip%d"

enum dp_backend { DP_BACKEND_KERNEL, DP_BACKEND_USERSPACE };

/* One care-of address of a node, as the data plane installed it. */
struct dp_coa {
	struct dp_coa *next;
	struct in_addr coa;
	enum dp_encap encap;
	bool via_utun;                  /* forwarded by the userspace engine (dp_coa_sync_engine) */
	bool decap;                     /* userspace decapsulation entry installed */
	int kifindex;                   /* kernel backend: the tunnel link, 0: none */
	enum knl_tunnel_kind kkind;
	uint64_t seq;                   /* arrival order: a lone kernel route leads to the newest */
	uint8_t flags;                  /* the registration's (B and D: broadcasts, §4.3) */
};

/* A mobile node whose traffic the home agent intercepts. */
struct dp_node {
	RB_ENTRY(dp_node) rb;
	struct dp *dp;
	struct in_addr hoa;
	struct dp_coa *coas;
	bool on_link;                   /* home address on the home link: proxy + gratuitous ARP */
	bool proxied;
	int route_ifindex;              /* device of our host route, 0: none */
	struct mip_timer idle;          /* end of interception after the last binding */
	bool expired;                   /* the last binding expired (no deregistration) */
};

RB_HEAD(dp_tree, dp_node);

struct dp {
	const struct conf *c;
	struct ev_loop *loop;
	enum dp_backend backend;
	struct knl *nl;
	struct utun *utun;              /* kernel backend: opened when a link cannot do it (dp_utun) */
	struct arp *arp;
	int home_ifindex;
	struct in_addr local;           /* our tunnel end: the home agent address (§4.2.3) */
	unsigned mtu;
	struct dp_tree nodes;
	struct conf_prefix *vnets;      /* virtual networks routed into the engine (dp_vnets_route) */
	size_t n_vnets;
	const struct node_table *ha_nodes; /* their nodes' bindings, asked by the engine (dp_hops) */
	uint64_t seq;
	bool listening;
	struct ev_io bcast;             /* broadcasts on the home link (§4.3), fd -1: none */
	uint64_t bcast_fwd, bcast_err;
	uint16_t bcast_id;              /* Identification of nested encapsulation headers */
	uint8_t *bcast_buf;             /* a received datagram, then room for its nesting */
};

static int dp_node_cmp(const struct dp_node *a, const struct dp_node *b)
{
	return addr_cmp(a->hoa, b->hoa);
}

RB_GENERATE_STATIC(dp_tree, dp_node, rb, dp_node_cmp)

static const char *ntoa(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *dp_encap_name(enum dp_encap e)
{
	switch (e) {
	case DP_ENCAP_MINIMAL: return "minimal";
	case DP_ENCAP_GRE: return "gre";
	case DP_ENCAP_IPIP: break;
	}
	return "ip-in-ip";
}

/* The encapsulation a registration asked for (RFC 5944 §3.3: M, G, else IP in IP). */
static enum dp_encap encap_of(uint8_t flags)
{
	if (flags & MIP_RRQ_M)
		return DP_ENCAP_MINIMAL;
	if (flags & MIP_RRQ_G)
		return DP_ENCAP_GRE;
	return DP_ENCAP_IPIP;
}

const char *dp_backend_name(const struct dp *dp)
{
	return dp->backend == DP_BACKEND_KERNEL ? "kernel" : "userspace";
}

/* ---- sysctls */

/* Set /proc/sys/@key (dots for slashes) to @value unless it already is. */
static void dp_sysctl(const char *key, const char *value)
{
	char path[256], cur[64] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	for (char *p = path + sizeof("/proc/sys/") - 1; *p; p++)
		if (*p == '.')
			*p = '/';
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		log_warn("dp", "cannot open %s", path);
		return;
	}
	n = read(fd, cur, sizeof(cur) - 1);
	if (n > 0) {
		cur[n] = '\0';
		cur[strcspn(cur, " \t\n")] = '\0';
		if (strcmp(cur, value) == 0)
			goto out;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 || write(fd, value, strlen(value)) < 0)
		log_warn("dp", "cannot set %s=%s", key, value);
	else
		log_info("dp", "set %s=%s (was %s)", key, value, n > 0 ? cur : "?");
out:
	close(fd);
}

/* ---- tunnels of one care-of address */

static struct utun *dp_utun(struct dp *dp)
{
	if (!dp->utun) {
		dp->utun = utun_open(DP_TUN_PATTERN, dp->loop, (int)dp->mtu);
		if (dp->utun && dp->backend == DP_BACKEND_KERNEL)
			log_info("dp", "userspace engine %s for what kernel links cannot do: minimal "
				 "encapsulation, copies to simultaneous bindings, broadcasts",
				 utun_ifname(dp->utun));
	}
	return dp->utun;
}

static const struct in_addr any_addr = { .s_addr = INADDR_ANY };

static void dp_coa_down(struct dp *dp, struct dp_node *n, struct dp_coa *c)
{
	if (c->via_utun && dp->utun)
		utun_fwd_del(dp->utun, n->hoa, c->coa);
	if (c->decap && dp->utun)
		utun_decap_del(dp->utun, c->coa, dp->local, n->hoa, any_addr);
	if (c->kifindex > 0)
		knl_tunnel_put(dp->nl, c->kkind, dp->local, c->coa);
	c->via_utun = c->decap = false;
	c->kifindex = 0;
}

/* Tunnel @n's traffic to @c and accept what the node tunnels back: reverse
 * tunnelling (T, RFC 3024) and location privacy (§4.2.3, §5.5) alike; a
 * co-located care-of address (D) is just another tunnel end. */
static int dp_coa_up(struct dp *dp, struct dp_node *n, struct dp_coa *c)
{
	char h[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN];

	if (dp->backend == DP_BACKEND_KERNEL && c->encap != DP_ENCAP_MINIMAL) {
		c->kkind = c->encap == DP_ENCAP_GRE ? KNL_TUNNEL_GRE : KNL_TUNNEL_IPIP;
		c->kifindex = knl_tunnel_get(dp->nl, c->kkind, dp->local, c->coa, dp->mtu);
		return c->kifindex > 0 ? 0 : -1;
	}
	if (!dp_utun(dp))
		return -1;
	if (utun_fwd_add(dp->utun, n->hoa, dp->local, c->coa, c->encap) < 0) {
		log_warn("dp", "cannot tunnel %s to %s", ntoa(n->hoa, h), ntoa(c->coa, a));
		return -1;
	}
	c->via_utun = true;
	if (utun_decap_add(dp->utun, c->coa, dp->local, n->hoa, any_addr) < 0)
		log_warn("dp", "cannot accept tunnelled packets of %s from %s", ntoa(n->hoa, h),
			  ntoa(c->coa, a));
	else
		c->decap = true;
	return 0;
}

/* Kernel backend: a route leads to one tunnel link, so what a kernel link
 * cannot do goes through the userspace engine as well: a copy to each care-of
 * address of a node with simultaneous bindings (RFC 5944 §3.6.1.3; the
 * host route then leads into the engine) and broadcasts to nodes that set B
 * (§4.3).  The kernel link stays, and decapsulates what the node tunnels back. */
static bool dp_coa_needs_engine(const struct dp *dp, const struct dp_node *n, const struct dp_coa *c)
{
	return n->coas->next || ((c->flags & MIP_RRQ_B) && dp->bcast.fd >= 0);
}

static void dp_coa_sync_engine(struct dp *dp, struct dp_node *n, struct dp_coa *c)
{
	bool want;
	char h[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN];

	if (dp->backend != DP_BACKEND_KERNEL || c->kifindex <= 0)
		return;
	want = dp_coa_needs_engine(dp, n, c);
	if (want == c->via_utun)
		return;
	if (!want) {
		utun_fwd_del(dp->utun, n->hoa, c->coa);
		c->via_utun = false;
	} else if (!dp_utun(dp) || utun_fwd_add(dp->utun, n->hoa, dp->local, c->coa, c->encap) < 0) {
		log_warnx("dp", "kernel backend: cannot give %s at %s to the userspace engine: traffic "
			  "follows the newest care-of address only", ntoa(n->hoa, h), ntoa(c->coa, a));
	} else {
		c->via_utun = true;
		log_debug("dp", "kernel backend: %s at %s also through the userspace engine (%s)",
			  ntoa(n->hoa, h), ntoa(c->coa, a), n->coas->next ? "simultaneous bindings" : "B");
	}
}

/* ---- the host route */

/* Whether one of the routes of dp_vnets_route() leads @hoa into the engine. */
static bool dp_vnet_routed(const struct dp *dp, struct in_addr hoa)
{
	for (size_t i = 0; i < dp->n_vnets; i++)
		if (conf_prefix_contains(&dp->vnets[i], hoa))
			return true;
	return false;
}

static int dp_route_update(struct dp *dp, struct dp_node *n)
{
	struct dp_coa *newest = NULL;
	bool all_engine = true;
	int want = 0;

	if (dp_vnet_routed(dp, n->hoa))
		return 0;
	for (struct dp_coa *c = n->coas; c; c = c->next) {
		dp_coa_sync_engine(dp, n, c);
		all_engine = all_engine && c->via_utun;
		if (!newest || c->seq > newest->seq)
			newest = c;
	}
	if (!newest)
		return 0;
	/* every care-of address in the engine: it copies to each of them */
	if (dp->backend == DP_BACKEND_USERSPACE || newest->kifindex <= 0 || (n->coas->next && all_engine))
		want = dp->utun ? utun_ifindex(dp->utun) : 0;
	else
		want = newest->kifindex;
	if (want <= 0 || want == n->route_ifindex)
		return want > 0 ? 0 : -1;
	if (knl_route_add(dp->nl, n->hoa, want, 0) < 0)
		return -1;
	n->route_ifindex = want;
	return 0;
}

static void dp_route_remove(struct dp *dp, struct dp_node *n)
{
	if (n->route_ifindex) {
		knl_route_del(dp->nl, n->hoa, 0);
		n->route_ifindex = 0;
	}
}

/* ---- nodes */

static void dp_node_idle(struct mip_timer *t);

static struct dp_node *dp_node_find(struct dp *dp, struct in_addr hoa)
{
	struct dp_node key = { .hoa = hoa };

	return RB_FIND(dp_tree, &dp->nodes, &key);
}

static struct dp_node *dp_node_get(struct dp *dp, struct in_addr hoa)
{
	struct dp_node *n = dp_node_find(dp, hoa);
	const struct conf_home_agent *ha = &dp->c->ha;

	if (n)
		return n;
	n = calloc(1, sizeof(*n));
	if (!n) {
		log_warnx("dp", "out of memory");
		return NULL;
	}
	n->dp = dp;
	n->hoa = hoa;
	n->on_link = dp->home_ifindex > 0 && conf_prefix_contains(&ha->home_network, hoa);
	timer_init(&n->idle, dp_node_idle);
	RB_INSERT(dp_tree, &dp->nodes, n);
	return n;
}

static void dp_node_free(struct dp *dp, struct dp_node *n)
{
	struct dp_coa *c, *next;

	for (c = n->coas; c; c = next) {
		next = c->next;
		dp_coa_down(dp, n, c);
		free(c);
	}
	n->coas = NULL;
	dp_route_remove(dp, n);
	if (n->proxied)
		knl_proxy_del(dp->nl, dp->home_ifindex, n->hoa);
	timer_cancel(&dp->loop->timers, &n->idle);
	RB_REMOVE(dp_tree, &dp->nodes, n);
	free(n);
}

/* Start intercepting for a node that had no binding (§4.6): proxy ARP for
 * its home address and a gratuitous ARP with our link-layer address. */
static void dp_intercept(struct dp *dp, struct dp_node *n)
{
	uint8_t mac[6];

	if (!n->on_link || n->proxied)
		return;
	/* the node's entry, learnt while it was at home, would later make it
	 * look as if it had come back (see dp_node_idle) */
	if (knl_neigh_lookup(dp->nl, dp->home_ifindex, n->hoa, mac, NULL) == 1)
		knl_neigh_flush(dp->nl, dp->home_ifindex, n->hoa);
	if (knl_proxy_add(dp->nl, dp->home_ifindex, n->hoa) == 0) {
		n->proxied = true;
		mip_count(MIP_CTR_HA_PROXY_ARPS);
	}
	if (dp->arp)
		arp_announce(dp->arp, n->hoa, NULL);
}

/* After the last binding: a zero-delay timer, so it runs once the request
 * that removed the binding has been processed, and a registration replacing
 * the binding (removal, then addition in the same request) keeps
 * interception without any ARP.  Otherwise proxy ARP stops
 * and, unless the binding merely expired, the node is taken to be back home
 * (§4.6): a gratuitous ARP with the node's own link-layer address, known
 * from the neighbour table (the node had to resolve our address to send its
 * deregistration from the home link) or asked for on the link.  A node that
 * deregistered from elsewhere does not answer, and nothing is announced. */
static void dp_node_idle(struct mip_timer *t)
{
	struct dp_node *n = container_of(t, struct dp_node, idle);
	struct dp *dp = n->dp;
	bool announce = n->on_link && n->proxied && !n->expired && dp->arp;
	struct in_addr hoa = n->hoa;
	uint8_t mac[6];
	char h[INET_ADDRSTRLEN];

	if (n->coas)
		return;
	dp_node_free(dp, n);
	log_info("dp", "%s is no longer intercepted", ntoa(hoa, h));
	if (!announce)
		return;
	if (knl_neigh_lookup(dp->nl, dp->home_ifindex, hoa, mac, NULL) == 1)
		arp_announce(dp->arp, hoa, mac);
	else
		arp_announce_owner(dp->arp, hoa);
}

static struct dp_coa *dp_coa_find(struct dp_node *n, struct in_addr coa)
{
	struct dp_coa *c;

	for (c = n->coas; c; c = c->next)
		if (c->coa.s_addr == coa.s_addr)
			break;
	return c;
}

/* ---- virtual home networks: the engine asks the binding list itself
 *
 * A node of a virtual network routed into the engine (dp_vnets_route) gets
 * no state here nor forward entry and filter in the engine: the engine
 * asks for its tunnels and checks what comes back from them against the
 * home agent's bindings (utun_resolver); only the care-of addresses' path-MTU
 * state is held, per binding.  Nodes with a dp_node (on a network routed
 * before a reload, say) keep their entries, which the engine finds first. */

static bool dp_resolving(const struct dp *dp)
{
	return dp->ha_nodes && dp->utun && dp->backend == DP_BACKEND_USERSPACE;
}

static unsigned dp_hops(void *arg, struct in_addr dst, struct utun_hop *hops, unsigned max)
{
	const struct dp *dp = arg;
	const struct mip_node *n;
	unsigned k = 0;

	if (!dp_vnet_routed(dp, dst) || !(n = node_find(dp->ha_nodes, dst)))
		return 0;
	for (const struct mip_binding *b = n->bindings; b && k < max; b = b->next)
		hops[k++] = (struct utun_hop){ .local = dp->local, .remote = b->coa, .encap = encap_of(b->flags) };
	return k;
}

/* Reverse tunnelling (RFC 3024) and a co-located node's own tunnel: from a
 * care-of address the node is registered at, with the node as inner source. */
static bool dp_accepts(void *arg, struct in_addr remote, struct in_addr local, struct in_addr src)
{
	const struct dp *dp = arg;
	const struct mip_node *n;

	return local.s_addr == dp->local.s_addr && dp_vnet_routed(dp, src) &&
	       (n = node_find(dp->ha_nodes, src)) && binding_find(n, remote);
}

void dp_serve_bindings(struct dp *dp, const struct node_table *nodes)
{
	struct utun_resolver r = { .hops = dp_hops, .accepts = dp_accepts, .arg = dp };

	dp->ha_nodes = nodes;
	if (dp_resolving(dp))
		utun_set_resolver(dp->utun, &r);
}

static void dp_binding_up(struct dp *dp, const struct mip_event *ev)
{
	struct dp_node *n = dp_node_find(dp, ev->hoa);
	enum dp_encap encap = encap_of(ev->flags);
	char h[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN];
	struct dp_coa *c;
	bool first;

	if (!n && dp_resolving(dp) && dp_vnet_routed(dp, ev->hoa)) {
		if (ev->type == MIP_EV_BINDING_ADDED && utun_peer_hold(dp->utun, ev->coa) < 0)
			log_warnx("dp", "out of memory: %s not tunnelled to %s", ntoa(ev->hoa, h),
				  ntoa(ev->coa, a));
		return;
	}
	if (!n && !(n = dp_node_get(dp, ev->hoa)))
		return;
	first = !n->coas && !timer_pending(&n->idle);
	timer_cancel(&dp->loop->timers, &n->idle);
	c = dp_coa_find(n, ev->coa);
	if (c && c->encap == encap && (c->via_utun || c->kifindex > 0)) {
		c->flags = ev->flags;               /* a renewal: only B or D may change */
		dp_coa_sync_engine(dp, n, c);
		return;
	}
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c) {
			log_warnx("dp", "out of memory");
			goto check;
		}
		c->coa = ev->coa;
		c->next = n->coas;
		n->coas = c;
	} else {
		dp_coa_down(dp, n, c);
	}
	c->encap = encap;
	c->flags = ev->flags;
	c->seq = ++dp->seq;
	if (dp_coa_up(dp, n, c) == 0 && dp_route_update(dp, n) == 0 && log_info_enabled()) {
		if (first)
			log_info("dp", "intercepting %s: tunnelled to %s (%s)", ntoa(n->hoa, h),
				 ntoa(c->coa, a), dp_encap_name(encap));
		else
			log_debug("dp", "%s also or now tunnelled to %s (%s)", ntoa(n->hoa, h),
				  ntoa(c->coa, a), dp_encap_name(encap));
	}
	dp_intercept(dp, n);
	return;
check:
	if (!n->coas && !timer_pending(&n->idle))
		dp_node_free(dp, n);
}

static void dp_binding_down(struct dp *dp, const struct mip_event *ev)
{
	struct dp_node *n = dp_node_find(dp, ev->hoa);
	struct dp_coa **pp, *c;

	if (!n) {
		if (dp_resolving(dp) && dp_vnet_routed(dp, ev->hoa))
			utun_peer_release(dp->utun, ev->coa);
		return;
	}
	for (pp = &n->coas; (c = *pp); pp = &c->next)
		if (c->coa.s_addr == ev->coa.s_addr)
			break;
	if (!c)
		return;
	*pp = c->next;
	dp_coa_down(dp, n, c);
	free(c);
	if (n->coas) {
		dp_route_update(dp, n);
		return;
	}
	/* no route from now on, so that the reply to a node deregistering from
	 * the home link leaves on that link; the rest waits for dp_node_idle */
	dp_route_remove(dp, n);
	n->expired = ev->type == MIP_EV_BINDING_EXPIRED;
	if (timer_schedule(&dp->loop->timers, &n->idle, mip_now_ms()) < 0)
		dp_node_idle(&n->idle);
}

static void dp_event(const struct mip_event *ev, void *arg)
{
	struct dp *dp = arg;

	switch (ev->type) {
	case MIP_EV_BINDING_ADDED:
	case MIP_EV_BINDING_RENEWED:
		dp_binding_up(dp, ev);
		break;
	case MIP_EV_BINDING_REMOVED:
	case MIP_EV_BINDING_EXPIRED:
		dp_binding_down(dp, ev);
		break;
	default:        /* violations; visitors are dp_fa's */
		break;
	}
}

/* ---- broadcast datagrams (§4.3) */

#define DP_BCAST_BUF (65536 + ENCAP_HDR_MAX)
#define DP_BCAST_BATCH 64

/* Whether the broadcast datagram @p (checked) is one we forward: to the
 * limited broadcast address or the home network's directed broadcast, not
 * ICMP router advertisements or solicitations (agent advertisements and
 * solicitations of the home link, §2.3 and §2.4) nor registration requests
 * (UDP port 434): those concern the home link only. */
static bool dp_bcast_wanted(const struct dp *dp, const uint8_t *p, size_t len)
{
	const struct conf_prefix *hn = &dp->c->ha.home_network;
	uint32_t dst = ntohl(ip_dst(p).s_addr);
	unsigned hl = ip_hlen(p);

	if (dst != INADDR_BROADCAST) {
		uint32_t mask = hn->len ? 0xffffffffu << (32 - hn->len) : 0;

		if (hn->len >= 31 || dst != ((ntohl(hn->addr.s_addr) & mask) | ~mask))
			return false;
	}
	if (ip_fragoff(p) != 0)
		return true;
	if (ip_proto(p) == IPPROTO_ICMP && len >= hl + 1 && (p[hl] == 9 || p[hl] == 10))
		return false;
	if (ip_proto(p) == IPPROTO_UDP && len >= hl + 4 && mip_get_u16(p + hl + 2) == MIP_UDP_PORT)
		return false;
	return true;
}

/* Send the broadcast @p to every care-of address registered with B:
 * tunnelled as it is to a co-located one (D), else first encapsulated to
 * the home address and that tunnelled to the foreign agent (§4.3). */
static void dp_bcast_forward(struct dp *dp, uint8_t *p, size_t len)
{
	struct encap_params ep = { .src = dp->local, .type = DP_ENCAP_IPIP };
	uint8_t *nested = dp->bcast_buf + DP_BCAST_BUF;
	struct dp_node *n;
	char b[INET_ADDRSTRLEN], h[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN];

	RB_FOREACH(n, dp_tree, &dp->nodes)
		for (struct dp_coa *c = n->coas; c; c = c->next) {
			int olen;

			if (!(c->flags & MIP_RRQ_B) || !c->via_utun)
				continue;
			if (c->flags & MIP_RRQ_D) {
				olen = utun_fwd_send(dp->utun, n->hoa, c->coa, p, len);
			} else {
				ep.dst = n->hoa;
				ep.id = dp->bcast_id++;
				olen = encap_build(&ep, p, len, nested, DP_BCAST_BUF);
				if (olen >= 0)
					olen = utun_fwd_send(dp->utun, n->hoa, c->coa, nested, (size_t)olen);
			}
			if (olen < 0) {
				dp->bcast_err++;
				continue;
			}
			dp->bcast_fwd++;
			if (log_debug_enabled("dp"))
				log_debug("dp", "broadcast to %s forwarded to %s at %s%s", ntoa(ip_dst(p), b),
					  ntoa(n->hoa, h), ntoa(c->coa, a),
					  c->flags & MIP_RRQ_D ? "" : " (nested)");
		}
}

static void dp_bcast_readable(struct ev_io *io, uint32_t events)
{
	struct dp *dp = container_of(io, struct dp, bcast);

	(void)events;
	for (int i = 0; i < DP_BCAST_BATCH; i++) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		ssize_t r = recvfrom(io->fd, dp->bcast_buf, DP_BCAST_BUF, 0, (struct sockaddr *)&sll, &sl);
		size_t len;

		if (r < 0)
			break;
		if (sll.sll_pkttype != PACKET_BROADCAST || !dp->c->ha.broadcast || r < 20)
			continue;
		len = ip_totlen(dp->bcast_buf);
		if (len > (size_t)r)
			continue;                   /* (trailing bytes: link-layer padding) */
		if (ip_check(dp->bcast_buf, len) < 0 || !dp_bcast_wanted(dp, dp->bcast_buf, len))
			continue;
		/* forwarded, not sent: TTL 1 stays on the link */
		if (ip_ttl_decrement(dp->bcast_buf) == 0)
			continue;
		dp_bcast_forward(dp, dp->bcast_buf, len);
	}
}

/* A packet socket on the home interface that sees only its link-layer broadcasts. */
static int dp_bcast_open(struct dp *dp)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_BROADCAST, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = dp->home_ifindex,
	};
	int fd;

	if (!dp->c->ha.broadcast)
		return 0;
	if (dp->home_ifindex <= 0) {
		log_warnx("dp", "broadcast=\"true\" needs a home interface: the B bit is ignored");
		return 0;
	}
	if (!dp_utun(dp))               /* kernel backend: the engine sends the copies */
		return -1;
	dp->bcast_buf = malloc(2 * DP_BCAST_BUF);
	if (!dp->bcast_buf) {
		log_warnx("dp", "out of memory");
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("dp", "packet socket for broadcasts on %s", dp->c->ha.interface);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		log_warn("dp", "packet socket for broadcasts on %s", dp->c->ha.interface);
		close(fd);
		return -1;
	}
	dp->bcast.fd = fd;
	dp->bcast.cb = dp_bcast_readable;
	if (ev_add(dp->loop, &dp->bcast, EPOLLIN) < 0) {
		log_warn("dp", "cannot watch the broadcast socket");
		close(fd);
		dp->bcast.fd = -1;
		return -1;
	}
	log_info("dp", "forwarding broadcasts on %s to nodes registered with B (RFC 5944 §4.3)",
		 dp->c->ha.interface);
	return 0;
}

static void dp_bcast_close(struct dp *dp)
{
	if (dp->bcast.fd >= 0) {
		ev_del(dp->loop, &dp->bcast);
		close(dp->bcast.fd);
		dp->bcast.fd = -1;
	}
	free(dp->bcast_buf);
	dp->bcast_buf = NULL;
}

/* ---- open and close */

/* Userspace backend: one route per virtual home network into the engine
 * instead of a host route per node, so that a million nodes cost the kernel
 * nothing (the engine answers what is addressed to a node without binding
 * with an ICMP host unreachable).  Kept in step with reloads. */
static bool dp_prefix_in(const struct conf_prefix *v, const struct conf_prefix *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i].addr.s_addr == v->addr.s_addr && set[i].len == v->len)
			return true;
	return false;
}

static int dp_vnets_route(struct dp *dp)
{
	const struct conf_home_agent *ha = &dp->c->ha;
	struct conf_prefix *keep = calloc(ha->n_virtual_networks + 1, sizeof(*keep));
	size_t n = 0;
	char a[INET_ADDRSTRLEN];
	int rc = 0;

	if (!keep) {
		log_warnx("dp", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < dp->n_vnets; i++) {
		const struct conf_prefix *v = &dp->vnets[i];

		if (dp_prefix_in(v, ha->virtual_networks, ha->n_virtual_networks))
			keep[n++] = *v;
		else if (knl_net_route_del(dp->nl, v->addr, v->len, 0) == 0)
			log_info("dp", "virtual home network %s/%u no longer routed", ntoa(v->addr, a), v->len);
	}
	for (size_t i = 0; i < ha->n_virtual_networks; i++) {
		const struct conf_prefix *v = &ha->virtual_networks[i];

		if (dp_prefix_in(v, dp->vnets, dp->n_vnets))
			continue;
		if (knl_net_route_add(dp->nl, v->addr, v->len, utun_ifindex(dp->utun), 0) < 0) {
			rc = -1;
			continue;
		}
		keep[n++] = *v;
		log_info("dp", "virtual home network %s/%u routed into %s", ntoa(v->addr, a), v->len,
			 utun_ifname(dp->utun));
	}
	free(dp->vnets);
	dp->vnets = keep;
	dp->n_vnets = n;
	return rc;
}

static int dp_choose_backend(struct dp *dp)
{
	enum conf_dp_backend want = dp->c->dp.backend;
	char why[160] = "";

	if (want == CONF_DP_USERSPACE) {
		dp->backend = DP_BACKEND_USERSPACE;
		log_info("dp", "backend userspace (configured)");
		return 0;
	}
	if (knl_tunnel_probe(dp->nl, why, sizeof(why))) {
		dp->backend = DP_BACKEND_KERNEL;
		log_info("dp", "backend kernel (%s)", want == CONF_DP_KERNEL ? "configured"
					     : "auto: the kernel has ipip and gre links");
		return 0;
	}
	if (want == CONF_DP_KERNEL) {
		log_err("dp", "data-plane backend \"kernel\" is configured but the kernel cannot "
			"tunnel: %s; use backend \"auto\" or \"userspace\"", why);
		return -1;
	}
	dp->backend = DP_BACKEND_USERSPACE;
	log_info("dp", "backend userspace (auto: %s)", why);
	return 0;
}

static int dp_home_link(struct dp *dp)
{
	const struct conf_home_agent *ha = &dp->c->ha;
	char key[128];

	if (!ha->enabled)
		return 0;
	dp_sysctl("net.ipv4.ip_forward", "1");
	if (!ha->interface[0]) {
		log_info("dp", "no home interface configured: no proxy or gratuitous ARP");
		return 0;
	}
	dp->home_ifindex = knl_ifindex(dp->nl, ha->interface);
	if (dp->home_ifindex <= 0) {
		log_err("dp", "the home interface %s does not exist", ha->interface);
		return -1;
	}
	snprintf(key, sizeof(key), "net.ipv4.neigh.%s.proxy_delay", ha->interface);
	dp_sysctl(key, "0");
	dp->arp = arp_open(ha->interface, ha->address, dp->c->dp.gratuitous_arp_count, dp->loop);
	return 0;
}

/* A reloaded configuration: settings read at start stay until a restart
 * (reload.c warns about those); the virtual networks' routes follow. */
static void dp_reload(const struct conf *old, const struct conf *new, void *arg)
{
	struct dp *dp = arg;

	(void)old;
	dp->c = new;
	if (dp->backend == DP_BACKEND_USERSPACE && dp->utun && new->ha.enabled)
		dp_vnets_route(dp);
}

struct dp *dp_open(const struct conf *c, struct ev_loop *loop)
{
	struct dp *dp = calloc(1, sizeof(*dp));
	int n;

	if (!dp) {
		log_warnx("dp", "out of memory");
		return NULL;
	}
	dp->c = c;
	dp->loop = loop;
	dp->local = c->ha.address;
	dp->mtu = c->dp.tunnel_mtu;
	dp->bcast.fd = -1;
	RB_INIT(&dp->nodes);
	dp->nl = knl_open(c->state_dir ? c->state_dir : MIP_CONF_DEFAULT_STATE_DIR);
	if (!dp->nl)
		goto fail;
	n = knl_cleanup(dp->nl);
	if (n > 0)
		log_info("dp", "removed %d leftover entries of an earlier run", n);
	if (dp_choose_backend(dp) < 0 || dp_home_link(dp) < 0)
		goto fail;
	/* the home agent's tunnel device; a foreign agent alone has its own (dp_fa) */
	if (dp->backend == DP_BACKEND_USERSPACE && c->ha.enabled && (!dp_utun(dp) || dp_vnets_route(dp) < 0))
		goto fail;
	if (c->ha.enabled && dp_bcast_open(dp) < 0)
		goto fail;
	if (notify_listen(dp_event, dp) < 0) {
		log_warnx("dp", "cannot listen to binding events: too many listeners");
		goto fail;
	}
	dp->listening = true;
	reload_hook_add(NULL, dp_reload, dp);
	log_info("dp", "data plane ready: backend %s%s%s, tunnel mtu %u, gratuitous ARP %s",
		 dp_backend_name(dp), dp->utun ? ", device " : "", dp->utun ? utun_ifname(dp->utun) : "",
		 dp->mtu, !dp->arp ? "off (no home link)" : c->dp.gratuitous_arp_count ? "on" : "off");
	return dp;
fail:
	dp_close(dp);
	return NULL;
}

void dp_close(struct dp *dp)
{
	struct dp_node *n;

	if (!dp)
		return;
	if (dp->listening) {
		notify_unlisten(dp_event, dp);
		reload_hook_del(dp_reload, dp);
	}
	dp_bcast_close(dp);
	while ((n = RB_MIN(dp_tree, &dp->nodes)))
		dp_node_free(dp, n);
	for (size_t i = 0; i < dp->n_vnets; i++)
		knl_net_route_del(dp->nl, dp->vnets[i].addr, dp->vnets[i].len, 0);
	free(dp->vnets);
	arp_close(dp->arp);
	if (dp->utun)
		utun_close(dp->utun);
	if (dp->nl) {
		knl_cleanup(dp->nl);        /* anything marked that is still there */
		knl_close(dp->nl);
	}
	free(dp);
}
