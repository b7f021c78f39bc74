/* Host routes and policy rules with protocol MIP_RTPROT through libnl-3 (see nl.h). */
#include "config.h"
#include <stdio.h>
#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include "dp.h"
#include "log.h"
#include "nl.h"
#include "nl_int.h"

/* ---- routes */

static struct rtnl_route *route_new(struct in_addr dst, int plen, uint32_t table)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct nl_addr *a = knl_addr4(dst, plen);

	if (!r || !a || rtnl_route_set_dst(r, a) < 0) {
		rtnl_route_put(r);
		nl_addr_put(a);
		return NULL;
	}
	nl_addr_put(a);
	rtnl_route_set_family(r, AF_INET);
	rtnl_route_set_table(r, table ? table : RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, MIP_RTPROT);
	return r;
}

int knl_net_route_add(struct knl *nl, struct in_addr dst, int plen, int ifindex, uint32_t table)
{
	struct rtnl_route *r = route_new(dst, plen, table);
	struct rtnl_nexthop *nh;
	char a[INET_ADDRSTRLEN];
	int err = -NLE_NOMEM;

	if (!r)
		goto out;
	nh = rtnl_route_nh_alloc();
	if (!nh)
		goto out;
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(r, nh);
	rtnl_route_set_scope(r, RT_SCOPE_LINK);
	rtnl_route_set_type(r, RTN_UNICAST);
	err = rtnl_route_add(nl->sk, r, NLM_F_CREATE | NLM_F_REPLACE);
out:
	if (err < 0)
		log_warnx("nl", "cannot add the route %s/%d dev %d: %s", knl_ntoa(dst, a), plen, ifindex,
			  nl_geterror(err));
	rtnl_route_put(r);
	return err < 0 ? -1 : 0;
}

int knl_net_route_del(struct knl *nl, struct in_addr dst, int plen, uint32_t table)
{
	struct rtnl_route *r = route_new(dst, plen, table);
	char a[INET_ADDRSTRLEN];
	int err = r ? rtnl_route_delete(nl->sk, r, 0) : -NLE_NOMEM;

	rtnl_route_put(r);
	if (err < 0 && err != -NLE_OBJ_NOTFOUND) {
		log_warnx("nl", "cannot delete the route %s/%d: %s", knl_ntoa(dst, a), plen, nl_geterror(err));
		return -1;
	}
	return 0;
}

int knl_route_add(struct knl *nl, struct in_addr dst, int ifindex, uint32_t table)
{
	return knl_net_route_add(nl, dst, 32, ifindex, table);
}

int knl_route_del(struct knl *nl, struct in_addr dst, uint32_t table)
{
	return knl_net_route_del(nl, dst, 32, table);
}

/* ---- rules */

/* @src, @dst INADDR_ANY: from all, to all. */
static struct rtnl_rule *rule_new(struct in_addr src, struct in_addr dst, const char *iif, uint32_t table,
				  uint32_t prio)
{
	struct rtnl_rule *r = rtnl_rule_alloc();
	struct nl_addr *a = src.s_addr != INADDR_ANY ? knl_addr4(src, 32) : NULL;
	struct nl_addr *b = dst.s_addr != INADDR_ANY ? knl_addr4(dst, 32) : NULL;

	if (!r || (src.s_addr != INADDR_ANY && (!a || rtnl_rule_set_src(r, a) < 0)) ||
	    (dst.s_addr != INADDR_ANY && (!b || rtnl_rule_set_dst(r, b) < 0)) ||
	    (iif && rtnl_rule_set_iif(r, iif) < 0)) {
		rtnl_rule_put(r);
		nl_addr_put(a);
		nl_addr_put(b);
		return NULL;
	}
	nl_addr_put(a);
	nl_addr_put(b);
	rtnl_rule_set_family(r, AF_INET);
	rtnl_rule_set_table(r, table);
	rtnl_rule_set_prio(r, prio);
	rtnl_rule_set_action(r, FR_ACT_TO_TBL);
	rtnl_rule_set_protocol(r, MIP_RTPROT);
	return r;
}

int knl_rule_add(struct knl *nl, struct in_addr src, struct in_addr dst, const char *iif, uint32_t table,
		 uint32_t prio)
{
	struct rtnl_rule *r = rule_new(src, dst, iif, table, prio);
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	int err = r ? rtnl_rule_add(nl->sk, r, NLM_F_CREATE | NLM_F_EXCL) : -NLE_NOMEM;

	rtnl_rule_put(r);
	if (err < 0 && err != -NLE_EXIST) {
		log_warnx("nl", "cannot add the rule from %s to %s iif %s lookup %u: %s", knl_ntoa(src, a),
			  knl_ntoa(dst, b), iif ? iif : "any", table, nl_geterror(err));
		return -1;
	}
	return 0;
}

int knl_rule_del(struct knl *nl, struct in_addr src, struct in_addr dst, const char *iif, uint32_t table,
		 uint32_t prio)
{
	struct rtnl_rule *r = rule_new(src, dst, iif, table, prio);
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	int err = r ? rtnl_rule_delete(nl->sk, r, 0) : -NLE_NOMEM;

	rtnl_rule_put(r);
	if (err < 0 && err != -NLE_OBJ_NOTFOUND) {
		log_warnx("nl", "cannot delete the rule from %s to %s lookup %u: %s", knl_ntoa(src, a),
			  knl_ntoa(dst, b), table, nl_geterror(err));
		return -1;
	}
	return 0;
}

/* ---- leftovers of an earlier run */

static int route_read(struct nl_sock *sk, struct nl_cache **cache)
{
	return rtnl_route_alloc_cache(sk, AF_INET, 0, cache);
}

static bool route_ours(struct knl *nl, struct nl_object *o)
{
	(void)nl;
	return rtnl_route_get_protocol((struct rtnl_route *)o) == MIP_RTPROT;
}

static int route_del(struct knl *nl, struct nl_object *o)
{
	return rtnl_route_delete(nl->sk, (struct rtnl_route *)o, 0);
}

static void route_describe(struct nl_object *o, char *buf, size_t size)
{
	struct rtnl_route *r = (struct rtnl_route *)o;
	char dst[64];

	snprintf(buf, size, "%s table %u", nl_addr2str(rtnl_route_get_dst(r), dst, sizeof(dst)),
		 rtnl_route_get_table(r));
}

static int rule_read(struct nl_sock *sk, struct nl_cache **cache)
{
	return rtnl_rule_alloc_cache(sk, AF_INET, cache);
}

static bool rule_ours(struct knl *nl, struct nl_object *o)
{
	uint8_t proto;

	(void)nl;
	return rtnl_rule_get_protocol((struct rtnl_rule *)o, &proto) >= 0 && proto == MIP_RTPROT;
}

static int rule_del(struct knl *nl, struct nl_object *o)
{
	return rtnl_rule_delete(nl->sk, (struct rtnl_rule *)o, 0);
}

static void rule_describe(struct nl_object *o, char *buf, size_t size)
{
	struct rtnl_rule *r = (struct rtnl_rule *)o;

	snprintf(buf, size, "pref %u table %u", rtnl_rule_get_prio(r), rtnl_rule_get_table(r));
}

int knl_cleanup_routes(struct knl *nl)
{
	static const struct knl_leftover routes = {
		.what = "route", .read = route_read, .ours = route_ours, .del = route_del,
		.describe = route_describe,
	};

	return knl_leftovers_remove(nl, &routes);
}

int knl_cleanup_rules(struct knl *nl)
{
	static const struct knl_leftover rules = {
		.what = "rule", .read = rule_read, .ours = rule_ours, .del = rule_del,
		.describe = rule_describe,
	};

	return knl_leftovers_remove(nl, &rules);
}
