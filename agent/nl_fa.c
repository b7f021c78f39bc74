/* Default routes in a separate routing table through libnl-3 (see nl_fa.h). */
#include "config.h"
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include "dp.h"
#include "log.h"
#include "nl_fa.h"

/* A default route of @table, with a next hop through @ifindex when > 0. */
static struct rtnl_route *default_route(uint32_t table, int ifindex)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct in_addr any = { .s_addr = INADDR_ANY };
	struct nl_addr *a = nl_addr_build(AF_INET, &any, sizeof(any));
	struct rtnl_nexthop *nh = NULL;

	if (!r || !a)
		goto fail;
	nl_addr_set_prefixlen(a, 0);
	if (rtnl_route_set_dst(r, a) < 0)
		goto fail;
	rtnl_route_set_family(r, AF_INET);
	rtnl_route_set_table(r, table);
	rtnl_route_set_protocol(r, MIP_RTPROT);
	if (ifindex > 0) {
		nh = rtnl_route_nh_alloc();
		if (!nh)
			goto fail;
		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_add_nexthop(r, nh);
		rtnl_route_set_scope(r, RT_SCOPE_LINK);
		rtnl_route_set_type(r, RTN_UNICAST);
	}
	nl_addr_put(a);
	return r;
fail:
	nl_addr_put(a);
	rtnl_route_put(r);
	return NULL;
}

static int route_op(bool add, uint32_t table, int ifindex)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_route *r = default_route(table, ifindex);
	int err = -NLE_NOMEM;

	if (sk && r && (err = nl_connect(sk, NETLINK_ROUTE)) >= 0)
		err = add ? rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_REPLACE) : rtnl_route_delete(sk, r, 0);
	rtnl_route_put(r);
	if (sk)
		nl_socket_free(sk);
	if (err < 0 && !(err == -NLE_OBJ_NOTFOUND && !add)) {
		log_warnx("nl", "cannot %s the default route of table %u: %s", add ? "add" : "delete",
			  table, nl_geterror(err));
		return -1;
	}
	return 0;
}

int knl_default_route_add(uint32_t table, int ifindex)
{
	return route_op(true, table, ifindex);
}

int knl_default_route_del(uint32_t table)
{
	return route_op(false, table, 0);
}
