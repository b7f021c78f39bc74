/* Interface links, and ipip/gre tunnel links shared per endpoint pair, through libnl-3 (see nl.h). */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ipgre.h>
#include <netlink/route/link/ipip.h>
#include "log.h"
#include "nl.h"
#include "nl_int.h"

#define NL_NAME_TRIES 64

static const char *kind_name(enum knl_tunnel_kind k)
{
	return k == KNL_TUNNEL_GRE ? "gre" : "ipip";
}

/* ---- interfaces */

int knl_ifindex(struct knl *nl, const char *name)
{
	struct rtnl_link *link = NULL;
	int idx;

	if (rtnl_link_get_kernel(nl->sk, 0, name, &link) < 0)
		return 0;
	idx = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return idx;
}

int knl_link_up(struct knl *nl, int ifindex, unsigned mtu)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *chg = rtnl_link_alloc();
	int err = -NLE_NOMEM;

	if (!orig || !chg)
		goto out;
	rtnl_link_set_ifindex(orig, ifindex);
	rtnl_link_set_flags(chg, IFF_UP);
	if (mtu)
		rtnl_link_set_mtu(chg, mtu);
	err = rtnl_link_change(nl->sk, orig, chg, 0);
out:
	if (err < 0)
		log_warnx("nl", "cannot set interface %d up: %s", ifindex, nl_geterror(err));
	rtnl_link_put(orig);
	rtnl_link_put(chg);
	return err < 0 ? -1 : 0;
}

/* ---- tunnel links */

/* A new tunnel link object of @kind (not yet in the kernel). */
static struct rtnl_link *tunnel_new(enum knl_tunnel_kind kind, const char *name, struct in_addr local,
				    struct in_addr remote, unsigned mtu)
{
	struct rtnl_link *l = kind == KNL_TUNNEL_GRE ? rtnl_link_ipgre_alloc() : rtnl_link_ipip_alloc();

	if (!l)
		return NULL;
	rtnl_link_set_name(l, name);
	if (mtu)
		rtnl_link_set_mtu(l, mtu);
	/* never all-zero endpoints: those clash (EEXIST) with the fallback
	 * devices tunl0/gre0 that loading the modules creates */
	if (kind == KNL_TUNNEL_GRE) {
		rtnl_link_ipgre_set_local(l, local.s_addr);
		rtnl_link_ipgre_set_remote(l, remote.s_addr);
	} else {
		rtnl_link_ipip_set_local(l, local.s_addr);
		rtnl_link_ipip_set_remote(l, remote.s_addr);
	}
	return l;
}

static bool link_is_kind(struct rtnl_link *l, enum knl_tunnel_kind kind)
{
	const char *type = rtnl_link_get_type(l);

	return type && strcmp(type, kind_name(kind)) == 0;
}

/* An existing link of @kind from @local to @remote (EEXIST means the kernel
 * already has one, ours from an earlier run or the administrator's). */
static int tunnel_find_kernel(struct knl *nl, enum knl_tunnel_kind kind, struct in_addr local,
			      struct in_addr remote, char *name, size_t size)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int idx = 0;

	if (rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache) < 0)
		return 0;
	for (o = nl_cache_get_first(cache); o && !idx; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		uint32_t lo, re;

		if (!link_is_kind(l, kind))
			continue;
		lo = kind == KNL_TUNNEL_GRE ? rtnl_link_ipgre_get_local(l) : rtnl_link_ipip_get_local(l);
		re = kind == KNL_TUNNEL_GRE ? rtnl_link_ipgre_get_remote(l) : rtnl_link_ipip_get_remote(l);
		if (lo == local.s_addr && re == remote.s_addr) {
			idx = rtnl_link_get_ifindex(l);
			snprintf(name, size, "%s", rtnl_link_get_name(l));
		}
	}
	nl_cache_free(cache);
	return idx;
}

static int tunnel_create(struct knl *nl, struct knl_tunnel *t, unsigned mtu)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	int err = 0;

	for (int i = 0; i < NL_NAME_TRIES; i++) {
		struct rtnl_link *l;

		snprintf(t->name, sizeof(t->name), "mip%c%u", kind_name(t->kind)[0], nl->next_tunnel++);
		l = tunnel_new(t->kind, t->name, t->local, t->remote, mtu);
		if (!l) {
			err = -NLE_NOMEM;
			break;
		}
		err = rtnl_link_add(nl->sk, l, NLM_F_CREATE | NLM_F_EXCL);
		rtnl_link_put(l);
		if (err != -NLE_EXIST)
			break;
		/* the same endpoints already exist, or only the name is taken */
		t->ifindex = tunnel_find_kernel(nl, t->kind, t->local, t->remote, t->name,
						sizeof(t->name));
		if (t->ifindex > 0) {
			t->owned = strncmp(t->name, "mip", 3) == 0;
			log_info("nl", "using the existing %s link %s to %s", kind_name(t->kind),
				 t->name, knl_ntoa(t->remote, a));
			return 0;
		}
	}
	if (err < 0) {
		log_warnx("nl", "cannot create a link of type %s (%s -> %s): %s", kind_name(t->kind),
			  knl_ntoa(t->local, a), knl_ntoa(t->remote, b), nl_geterror(err));
		return -1;
	}
	t->owned = true;
	t->ifindex = knl_ifindex(nl, t->name);
	if (t->ifindex <= 0) {
		log_warnx("nl", "the new link %s has disappeared", t->name);
		return -1;
	}
	log_info("nl", "created the %s link %s %s -> %s", kind_name(t->kind), t->name,
		 knl_ntoa(t->local, a), knl_ntoa(t->remote, b));
	return 0;
}

static void link_delete(struct knl *nl, const char *name)
{
	struct rtnl_link *l = rtnl_link_alloc();
	int err = -NLE_NOMEM;

	if (l) {
		rtnl_link_set_name(l, name);
		err = rtnl_link_delete(nl->sk, l);
		rtnl_link_put(l);
	}
	if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV)
		log_warnx("nl", "cannot delete the link %s: %s", name, nl_geterror(err));
}

int knl_tunnel_get(struct knl *nl, enum knl_tunnel_kind kind, struct in_addr local,
		  struct in_addr remote, unsigned mtu)
{
	struct knl_tunnel *t;

	for (t = nl->tunnels; t; t = t->next)
		if (t->kind == kind && t->local.s_addr == local.s_addr &&
		    t->remote.s_addr == remote.s_addr) {
			t->refs++;
			return t->ifindex;
		}
	t = calloc(1, sizeof(*t));
	if (!t) {
		log_warnx("nl", "out of memory");
		return -1;
	}
	t->kind = kind;
	t->local = local;
	t->remote = remote;
	if (tunnel_create(nl, t, mtu) < 0 || knl_link_up(nl, t->ifindex, 0) < 0) {
		if (t->owned)
			link_delete(nl, t->name);
		free(t);
		return -1;
	}
	t->refs = 1;
	t->next = nl->tunnels;
	nl->tunnels = t;
	return t->ifindex;
}

void knl_tunnel_put(struct knl *nl, enum knl_tunnel_kind kind, struct in_addr local,
		   struct in_addr remote)
{
	struct knl_tunnel **pp, *t;

	for (pp = &nl->tunnels; (t = *pp); pp = &t->next)
		if (t->kind == kind && t->local.s_addr == local.s_addr &&
		    t->remote.s_addr == remote.s_addr)
			break;
	if (!t || --t->refs > 0)
		return;
	*pp = t->next;
	if (t->owned) {
		link_delete(nl, t->name);
		log_debug("nl", "deleted the link %s", t->name);
	}
	free(t);
}

bool knl_tunnel_probe(struct knl *nl, char *why, size_t n)
{
	/* a remote nobody else uses, so EEXIST cannot come from a real tunnel */
	struct in_addr local = { .s_addr = INADDR_ANY }, remote = { .s_addr = htonl(0x7f4d4d4d) };

	for (int k = KNL_TUNNEL_IPIP; k <= KNL_TUNNEL_GRE; k++) {
		const char *name = k == KNL_TUNNEL_GRE ? "mipprobeg" : "mipprobei";
		struct rtnl_link *l = tunnel_new((enum knl_tunnel_kind)k, name, local, remote, 0);
		int err = l ? rtnl_link_add(nl->sk, l, NLM_F_CREATE | NLM_F_EXCL) : -NLE_NOMEM;

		rtnl_link_put(l);
		if (err < 0 && err != -NLE_EXIST) {
			snprintf(why, n, "cannot create a link of type %s: %s", kind_name((enum knl_tunnel_kind)k),
				 err == -NLE_OPNOTSUPP ? "the kernel has no such link type (no module)"
						       : nl_geterror(err));
			return false;
		}
		link_delete(nl, name);
	}
	return true;
}

/* ---- leftovers of an earlier run */

static int link_read(struct nl_sock *sk, struct nl_cache **cache)
{
	return rtnl_link_alloc_cache(sk, AF_UNSPEC, cache);
}

/* A tunnel link named "mip*" that is not one of this run's. */
static bool link_ours(struct knl *nl, struct nl_object *o)
{
	struct rtnl_link *l = (struct rtnl_link *)o;
	const char *name = rtnl_link_get_name(l);

	if (!name || strncmp(name, "mip", 3) != 0 ||
	    !(link_is_kind(l, KNL_TUNNEL_IPIP) || link_is_kind(l, KNL_TUNNEL_GRE)))
		return false;
	for (struct knl_tunnel *t = nl->tunnels; t; t = t->next)
		if (t->ifindex == rtnl_link_get_ifindex(l))
			return false;
	return true;
}

/* link_delete() logs its own failure */
static int link_del(struct knl *nl, struct nl_object *o)
{
	link_delete(nl, rtnl_link_get_name((struct rtnl_link *)o));
	return 0;
}

static void link_describe(struct nl_object *o, char *buf, size_t size)
{
	snprintf(buf, size, "%s", rtnl_link_get_name((struct rtnl_link *)o));
}

int knl_cleanup_links(struct knl *nl)
{
	static const struct knl_leftover links = {
		.what = "link", .read = link_read, .ours = link_ours, .del = link_del,
		.describe = link_describe,
	};

	return knl_leftovers_remove(nl, &links);
}
