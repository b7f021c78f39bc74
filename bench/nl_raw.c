/* Benchmark baseline: the kernel work of new bindings alone.  The netlink
 * requests the home agent's data plane makes for each new binding, issued in
 * a tight loop through libnl exactly as agent/nl.c issues them (one request,
 * one ACK): a host route HOA/32 through a device, protocol 77, scope link,
 * replacing (knl_route_add); with -p also the neighbour lookup and the proxy
 * ARP entry on the home interface (knl_neigh_lookup, knl_proxy_add).
 * Everything added is removed afterwards (not timed).
 *
 * usage: nl_raw [-p HOME-IF] ROUTE-DEV FIRST-HOA N
 * prints "added N in S s (R/s)". */
#include "config.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#define RTPROT 77       /* MIP_RTPROT */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct nl_addr *addr4(uint32_t host, int len)
{
	uint32_t a = htonl(host);
	struct nl_addr *na = nl_addr_build(AF_INET, &a, sizeof(a));

	if (na)
		nl_addr_set_prefixlen(na, len);
	return na;
}

static struct rtnl_route *route_new(uint32_t hoa, int ifindex, bool with_nh)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct nl_addr *a = addr4(hoa, 32);

	rtnl_route_set_dst(r, a);
	nl_addr_put(a);
	rtnl_route_set_family(r, AF_INET);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, RTPROT);
	if (with_nh) {
		struct rtnl_nexthop *nh = rtnl_route_nh_alloc();

		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_add_nexthop(r, nh);
		rtnl_route_set_scope(r, RT_SCOPE_LINK);
		rtnl_route_set_type(r, RTN_UNICAST);
	}
	return r;
}

static struct rtnl_neigh *neigh_new(uint32_t ip, int ifindex)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *a = addr4(ip, 32);

	rtnl_neigh_set_dst(n, a);
	nl_addr_put(a);
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_family(n, AF_INET);
	return n;
}

static int neigh_valid(struct nl_msg *msg, void *arg)
{
	struct rtnl_neigh **out = arg;

	if (!*out && rtnl_neigh_parse(nlmsg_hdr(msg), out) < 0)
		*out = NULL;
	return NL_OK;
}

/* One RTM_GETNEIGH without ACK, as knl_neigh_lookup() asks. */
static void neigh_lookup(struct nl_sock *q, uint32_t ip, int ifindex)
{
	struct ndmsg ndm = { .ndm_family = AF_INET, .ndm_ifindex = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNEIGH, 0);
	struct rtnl_neigh *n = NULL;
	struct nl_cb *cb = nl_cb_clone(nl_socket_get_cb(q));
	uint32_t a = htonl(ip);

	nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO);
	nla_put(msg, NDA_DST, sizeof(a), &a);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, neigh_valid, &n);
	if (nl_send_auto(q, msg) >= 0)
		nl_recvmsgs(q, cb);
	rtnl_neigh_put(n);
	nl_cb_put(cb);
	nlmsg_free(msg);
}

int main(int argc, char **argv)
{
	const char *home = NULL;
	struct nl_sock *sk = nl_socket_alloc(), *q = nl_socket_alloc();
	struct in_addr first;
	int c, dev, hidx = 0, errors = 0;
	unsigned n;
	double t0, t1;

	while ((c = getopt(argc, argv, "p:")) != -1)
		if (c == 'p')
			home = optarg;
	if (argc - optind != 3 || inet_pton(AF_INET, argv[optind + 1], &first) != 1) {
		fprintf(stderr, "usage: nl_raw [-p HOME-IF] ROUTE-DEV FIRST-HOA N\n");
		return 2;
	}
	dev = (int)if_nametoindex(argv[optind]);
	if (home)
		hidx = (int)if_nametoindex(home);
	n = (unsigned)atoi(argv[optind + 2]);
	nl_socket_disable_auto_ack(q);
	nl_socket_disable_seq_check(q);
	if (!dev || (home && !hidx) || nl_connect(sk, NETLINK_ROUTE) < 0 || nl_connect(q, NETLINK_ROUTE) < 0) {
		fprintf(stderr, "nl_raw: no such device or no rtnetlink\n");
		return 1;
	}
	t0 = now_s();
	for (unsigned i = 0; i < n; i++) {
		uint32_t hoa = ntohl(first.s_addr) + i;
		struct rtnl_route *r = route_new(hoa, dev, true);

		errors += rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_REPLACE) < 0;
		rtnl_route_put(r);
		if (hidx) {
			struct rtnl_neigh *ne = neigh_new(hoa, hidx);

			neigh_lookup(q, hoa, hidx);
			rtnl_neigh_set_flags(ne, NTF_PROXY);
			errors += rtnl_neigh_add(sk, ne, NLM_F_CREATE | NLM_F_REPLACE) < 0;
			rtnl_neigh_put(ne);
		}
	}
	t1 = now_s();
	for (unsigned i = 0; i < n; i++) {
		uint32_t hoa = ntohl(first.s_addr) + i;
		struct rtnl_route *r = route_new(hoa, dev, false);

		rtnl_route_delete(sk, r, 0);
		rtnl_route_put(r);
		if (hidx) {
			struct rtnl_neigh *ne = neigh_new(hoa, hidx);

			rtnl_neigh_set_flags(ne, NTF_PROXY);
			rtnl_neigh_delete(sk, ne, 0);
			rtnl_neigh_put(ne);
		}
	}
	printf("added %u in %.6f s (%.0f/s), %d errors\n", n, t1 - t0, n / (t1 - t0), errors);
	nl_socket_free(sk);
	nl_socket_free(q);
	return errors ? 1 : 0;
}
