/* Kernel routes, rules, neighbour/proxy entries and tunnel links through libnl-3 (see nl.h). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/stat.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ipgre.h>
#include <netlink/route/link/ipip.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include "dp.h"
#include "log.h"
#include "nl.h"

#define NL_STATE_FILE "dataplane.entries"
#define NL_NAME_TRIES 64

/* A proxy or neighbour entry we added.  Such entries carry no protocol mark,
 * so they are recorded in a file under the state directory and the file is
 * read back by the crash cleanup.  Deriving them from our marked host routes
 * does not work: the userspace backend's routes go through its TUN device,
 * and the kernel deletes those routes together with the device when the
 * process dies, so after kill -9 only the file still knows the entries.  The
 * file is rewritten (write + rename) on every change and needs no fsync: a
 * crash of the process keeps the page cache, and a power loss also clears
 * the kernel state the file describes. */
enum knl_rec_kind { KNL_REC_PROXY, KNL_REC_NEIGH };

struct knl_rec {
	enum knl_rec_kind kind;
	char ifname[IF_NAMESIZE];
	struct in_addr ip;
};

struct knl_tunnel {
	struct knl_tunnel *next;
	enum knl_tunnel_kind kind;
	struct in_addr local, remote;
	int ifindex;
	unsigned refs;
	bool owned;                     /* made by us: deleted with the last reference */
	char name[IF_NAMESIZE];
};

struct knl {
	struct nl_sock *sk;
	struct nl_sock *qsk;            /* single-entry queries: no ACK, no sequence check */
	char *state_path;               /* NULL: entries are not recorded */
	bool state_warned;
	struct knl_rec *recs;
	size_t n_recs, cap_recs;
	struct knl_tunnel *tunnels;
	unsigned next_tunnel;
};

static const char *kind_name(enum knl_tunnel_kind k)
{
	return k == KNL_TUNNEL_GRE ? "gre" : "ipip";
}

static const char *ntoa(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static struct nl_addr *addr4(struct in_addr a, int prefixlen)
{
	struct nl_addr *na = nl_addr_build(AF_INET, &a, sizeof(a));

	if (na)
		nl_addr_set_prefixlen(na, prefixlen);
	return na;
}

/* ---- the record of proxy and neighbour entries */

static void rec_save(struct knl *nl)
{
	char tmp[4200];
	FILE *f;

	if (!nl->state_path)
		return;
	if (nl->n_recs == 0) {
		if (unlink(nl->state_path) < 0 && errno != ENOENT && !nl->state_warned) {
			log_warn("nl", "cannot remove %s", nl->state_path);
			nl->state_warned = true;
		}
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", nl->state_path);
	f = fopen(tmp, "w");
	if (!f)
		goto fail;
	for (size_t i = 0; i < nl->n_recs; i++) {
		char a[INET_ADDRSTRLEN];

		fprintf(f, "%s %s %s\n", nl->recs[i].kind == KNL_REC_PROXY ? "proxy" : "neigh",
			nl->recs[i].ifname, ntoa(nl->recs[i].ip, a));
	}
	if (fclose(f) != 0) {
		unlink(tmp);
		goto fail;
	}
	if (rename(tmp, nl->state_path) < 0) {
		unlink(tmp);
		goto fail;
	}
	nl->state_warned = false;
	return;
fail:
	if (!nl->state_warned)
		log_warn("nl", "cannot write %s (crash cleanup will miss proxy/neighbour entries)",
			 nl->state_path);
	nl->state_warned = true;
}

static ssize_t rec_find(struct knl *nl, enum knl_rec_kind kind, const char *ifname, struct in_addr ip)
{
	for (size_t i = 0; i < nl->n_recs; i++)
		if (nl->recs[i].kind == kind && nl->recs[i].ip.s_addr == ip.s_addr &&
		    strcmp(nl->recs[i].ifname, ifname) == 0)
			return (ssize_t)i;
	return -1;
}

static void rec_add(struct knl *nl, enum knl_rec_kind kind, int ifindex, struct in_addr ip)
{
	char ifname[IF_NAMESIZE];

	if (!if_indextoname((unsigned)ifindex, ifname) || rec_find(nl, kind, ifname, ip) >= 0)
		return;
	if (nl->n_recs == nl->cap_recs) {
		size_t cap = nl->cap_recs ? nl->cap_recs * 2 : 16;
		struct knl_rec *r = realloc(nl->recs, cap * sizeof(*r));

		if (!r) {
			log_warnx("nl", "out of memory recording an entry");
			return;
		}
		nl->recs = r;
		nl->cap_recs = cap;
	}
	nl->recs[nl->n_recs].kind = kind;
	memcpy(nl->recs[nl->n_recs].ifname, ifname, sizeof(ifname));
	nl->recs[nl->n_recs].ip = ip;
	nl->n_recs++;
	rec_save(nl);
}

static void rec_del(struct knl *nl, enum knl_rec_kind kind, int ifindex, struct in_addr ip)
{
	char ifname[IF_NAMESIZE];
	ssize_t i;

	if (!if_indextoname((unsigned)ifindex, ifname))
		return;
	i = rec_find(nl, kind, ifname, ip);
	if (i < 0)
		return;
	nl->recs[i] = nl->recs[--nl->n_recs];
	rec_save(nl);
}

/* ---- open, close, links */

struct knl *knl_open(const char *state_dir)
{
	struct knl *nl = calloc(1, sizeof(*nl));
	int err;

	if (!nl) {
		log_warnx("nl", "out of memory");
		return NULL;
	}
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		log_warnx("nl", "cannot allocate a netlink socket");
		goto fail;
	}
	err = nl_connect(nl->sk, NETLINK_ROUTE);
	nl->qsk = err < 0 ? NULL : nl_socket_alloc();
	if (nl->qsk) {
		nl_socket_disable_auto_ack(nl->qsk);
		nl_socket_disable_seq_check(nl->qsk);
		err = nl_connect(nl->qsk, NETLINK_ROUTE);
	} else if (err >= 0) {
		err = -NLE_NOMEM;
	}
	if (err < 0) {
		log_warnx("nl", "cannot connect to rtnetlink: %s", nl_geterror(err));
		goto fail;
	}
	if (state_dir) {
		size_t len = strlen(state_dir) + sizeof("/" NL_STATE_FILE);

		nl->state_path = malloc(len);
		if (!nl->state_path) {
			log_warnx("nl", "out of memory");
			goto fail;
		}
		snprintf(nl->state_path, len, "%s/%s", state_dir, NL_STATE_FILE);
		if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
			log_warn("nl", "cannot create the state directory %s", state_dir);
	}
	return nl;
fail:
	knl_close(nl);
	return NULL;
}

void knl_close(struct knl *nl)
{
	struct knl_tunnel *t, *next;

	if (!nl)
		return;
	for (t = nl->tunnels; t; t = next) {
		next = t->next;
		free(t);
	}
	if (nl->sk)
		nl_socket_free(nl->sk);
	if (nl->qsk)
		nl_socket_free(nl->qsk);
	free(nl->recs);
	free(nl->state_path);
	free(nl);
}

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

/* ---- routes */

static struct rtnl_route *route_new(struct in_addr dst, uint32_t table)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct nl_addr *a = addr4(dst, 32);

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

int knl_route_add(struct knl *nl, struct in_addr dst, int ifindex, uint32_t table)
{
	struct rtnl_route *r = route_new(dst, table);
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
		log_warnx("nl", "cannot add the route %s/32 dev %d: %s", ntoa(dst, a), ifindex,
			  nl_geterror(err));
	rtnl_route_put(r);
	return err < 0 ? -1 : 0;
}

int knl_route_del(struct knl *nl, struct in_addr dst, uint32_t table)
{
	struct rtnl_route *r = route_new(dst, table);
	char a[INET_ADDRSTRLEN];
	int err = r ? rtnl_route_delete(nl->sk, r, 0) : -NLE_NOMEM;

	rtnl_route_put(r);
	if (err < 0 && err != -NLE_OBJ_NOTFOUND) {
		log_warnx("nl", "cannot delete the route %s/32: %s", ntoa(dst, a), nl_geterror(err));
		return -1;
	}
	return 0;
}

/* ---- rules */

static struct rtnl_rule *rule_new(struct in_addr src, const char *iif, uint32_t table, uint32_t prio)
{
	struct rtnl_rule *r = rtnl_rule_alloc();
	struct nl_addr *a = addr4(src, 32);

	if (!r || !a || rtnl_rule_set_src(r, a) < 0 || (iif && rtnl_rule_set_iif(r, iif) < 0)) {
		rtnl_rule_put(r);
		nl_addr_put(a);
		return NULL;
	}
	nl_addr_put(a);
	rtnl_rule_set_family(r, AF_INET);
	rtnl_rule_set_table(r, table);
	rtnl_rule_set_prio(r, prio);
	rtnl_rule_set_action(r, FR_ACT_TO_TBL);
	rtnl_rule_set_protocol(r, MIP_RTPROT);
	return r;
}

int knl_rule_add(struct knl *nl, struct in_addr src, const char *iif, uint32_t table, uint32_t prio)
{
	struct rtnl_rule *r = rule_new(src, iif, table, prio);
	char a[INET_ADDRSTRLEN];
	int err = r ? rtnl_rule_add(nl->sk, r, NLM_F_CREATE | NLM_F_EXCL) : -NLE_NOMEM;

	rtnl_rule_put(r);
	if (err < 0 && err != -NLE_EXIST) {
		log_warnx("nl", "cannot add the rule from %s iif %s lookup %u: %s", ntoa(src, a),
			  iif ? iif : "any", table, nl_geterror(err));
		return -1;
	}
	return 0;
}

int knl_rule_del(struct knl *nl, struct in_addr src, const char *iif, uint32_t table, uint32_t prio)
{
	struct rtnl_rule *r = rule_new(src, iif, table, prio);
	char a[INET_ADDRSTRLEN];
	int err = r ? rtnl_rule_delete(nl->sk, r, 0) : -NLE_NOMEM;

	rtnl_rule_put(r);
	if (err < 0 && err != -NLE_OBJ_NOTFOUND) {
		log_warnx("nl", "cannot delete the rule from %s lookup %u: %s", ntoa(src, a), table,
			  nl_geterror(err));
		return -1;
	}
	return 0;
}

/* ---- neighbour and proxy entries */

static struct rtnl_neigh *neigh_new(int ifindex, struct in_addr ip)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *a = addr4(ip, 32);

	if (!n || !a || rtnl_neigh_set_dst(n, a) < 0) {
		rtnl_neigh_put(n);
		nl_addr_put(a);
		return NULL;
	}
	nl_addr_put(a);
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_family(n, AF_INET);
	return n;
}

int knl_neigh_add(struct knl *nl, int ifindex, struct in_addr ip, const uint8_t mac[6])
{
	struct rtnl_neigh *n = neigh_new(ifindex, ip);
	struct nl_addr *ll = nl_addr_build(AF_LLC, mac, 6);
	char a[INET_ADDRSTRLEN];
	int err = -NLE_NOMEM;

	if (n && ll) {
		rtnl_neigh_set_lladdr(n, ll);
		rtnl_neigh_set_state(n, NUD_PERMANENT);
		err = rtnl_neigh_add(nl->sk, n, NLM_F_CREATE | NLM_F_REPLACE);
	}
	rtnl_neigh_put(n);
	nl_addr_put(ll);
	if (err < 0) {
		log_warnx("nl", "cannot add the neighbour %s dev %d: %s", ntoa(ip, a), ifindex,
			  nl_geterror(err));
		return -1;
	}
	rec_add(nl, KNL_REC_NEIGH, ifindex, ip);
	return 0;
}

static int neigh_delete(struct knl *nl, int ifindex, struct in_addr ip, bool proxy)
{
	struct rtnl_neigh *n = neigh_new(ifindex, ip);
	int err = -NLE_NOMEM;

	if (n) {
		if (proxy)
			rtnl_neigh_set_flags(n, NTF_PROXY);
		err = rtnl_neigh_delete(nl->sk, n, 0);
	}
	rtnl_neigh_put(n);
	return err;
}

static bool absent(int err)
{
	return err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR || err == -NLE_NODEV;
}

int knl_neigh_del(struct knl *nl, int ifindex, struct in_addr ip)
{
	char a[INET_ADDRSTRLEN];
	int err = neigh_delete(nl, ifindex, ip, false);

	rec_del(nl, KNL_REC_NEIGH, ifindex, ip);
	if (err < 0 && !absent(err)) {
		log_warnx("nl", "cannot delete the neighbour %s dev %d: %s", ntoa(ip, a), ifindex,
			  nl_geterror(err));
		return -1;
	}
	return 0;
}

static int neigh_get_valid(struct nl_msg *msg, void *arg)
{
	struct rtnl_neigh **out = arg;

	if (!*out && rtnl_neigh_parse(nlmsg_hdr(msg), out) < 0)
		*out = NULL;
	return NL_OK;
}

/* The same through a dump of the whole table, for kernels without a
 * single-entry RTM_GETNEIGH (before 4.20). */
static struct rtnl_neigh *neigh_get_dump(struct knl *nl, int ifindex, struct in_addr ip, int *err)
{
	struct nl_cache *cache = NULL;
	struct nl_addr *a = addr4(ip, 32);
	struct rtnl_neigh *n = NULL;

	*err = a ? rtnl_neigh_alloc_cache(nl->sk, &cache) : -NLE_NOMEM;
	if (*err >= 0)
		n = rtnl_neigh_get(cache, ifindex, a);
	nl_cache_free(cache);
	nl_addr_put(a);
	return n;
}

/* The kernel's entry for @ip on @ifindex (a reference the caller puts), or
 * NULL; one RTM_GETNEIGH request, not a dump of a possibly large table. */
static struct rtnl_neigh *neigh_get(struct knl *nl, int ifindex, struct in_addr ip, int *err)
{
	struct ndmsg ndm = { .ndm_family = AF_INET, .ndm_ifindex = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNEIGH, 0);
	struct rtnl_neigh *n = NULL;
	struct nl_cb *cb = NULL, *base;

	*err = -NLE_NOMEM;
	if (!msg || nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, NDA_DST, sizeof(ip), &ip) < 0)
		goto out;
	cb = nl_socket_get_cb(nl->qsk);         /* a reference */
	base = cb;
	cb = cb ? nl_cb_clone(cb) : NULL;
	nl_cb_put(base);
	if (!cb)
		goto out;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, neigh_get_valid, &n);
	/* no ACK asked: the answer is one message, the entry or an error */
	*err = nl_send_auto(nl->qsk, msg);
	if (*err >= 0)
		*err = nl_recvmsgs(nl->qsk, cb);
	if (*err == -NLE_OBJ_NOTFOUND)
		*err = 0;
	else if (*err == -NLE_INVAL || *err == -NLE_OPNOTSUPP) {
		rtnl_neigh_put(n);
		n = neigh_get_dump(nl, ifindex, ip, err);
	}
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return n;
}

int knl_neigh_lookup(struct knl *nl, int ifindex, struct in_addr ip, uint8_t mac[6], bool *permanent)
{
	const int usable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;
	char a[INET_ADDRSTRLEN];
	struct nl_addr *ll;
	int err, found = 0;
	struct rtnl_neigh *n = neigh_get(nl, ifindex, ip, &err);

	if (err < 0) {
		log_warnx("nl", "cannot read the neighbour table: %s", nl_geterror(err));
		return -1;
	}
	if (n && (rtnl_neigh_get_state(n) & usable) && (ll = rtnl_neigh_get_lladdr(n)) &&
	    nl_addr_get_len(ll) == 6) {
		memcpy(mac, nl_addr_get_binary_addr(ll), 6);
		if (permanent)
			*permanent = (rtnl_neigh_get_state(n) & NUD_PERMANENT) != 0;
		found = 1;
	}
	log_debug("nl", "neighbour %s dev %d: %s", ntoa(ip, a), ifindex, found ? "known" : "unknown");
	rtnl_neigh_put(n);
	return found;
}

int knl_neigh_flush(struct knl *nl, int ifindex, struct in_addr ip)
{
	char a[INET_ADDRSTRLEN];
	int err;
	struct rtnl_neigh *n = neigh_get(nl, ifindex, ip, &err);

	if (n && !(rtnl_neigh_get_state(n) & (NUD_PERMANENT | NUD_NOARP)))
		err = neigh_delete(nl, ifindex, ip, false);
	rtnl_neigh_put(n);
	if (err < 0 && !absent(err)) {
		log_warnx("nl", "cannot flush the neighbour %s dev %d: %s", ntoa(ip, a), ifindex,
			  nl_geterror(err));
		return -1;
	}
	return 0;
}

int knl_proxy_add(struct knl *nl, int ifindex, struct in_addr ip)
{
	struct rtnl_neigh *n = neigh_new(ifindex, ip);
	char a[INET_ADDRSTRLEN];
	int err = -NLE_NOMEM;

	if (n) {
		rtnl_neigh_set_flags(n, NTF_PROXY);
		err = rtnl_neigh_add(nl->sk, n, NLM_F_CREATE | NLM_F_REPLACE);
	}
	rtnl_neigh_put(n);
	if (err < 0) {
		log_warnx("nl", "cannot add the proxy entry %s dev %d: %s", ntoa(ip, a), ifindex,
			  nl_geterror(err));
		return -1;
	}
	rec_add(nl, KNL_REC_PROXY, ifindex, ip);
	return 0;
}

int knl_proxy_del(struct knl *nl, int ifindex, struct in_addr ip)
{
	char a[INET_ADDRSTRLEN];
	int err = neigh_delete(nl, ifindex, ip, true);

	rec_del(nl, KNL_REC_PROXY, ifindex, ip);
	if (err < 0 && !absent(err)) {
		log_warnx("nl", "cannot delete the proxy entry %s dev %d: %s", ntoa(ip, a), ifindex,
			  nl_geterror(err));
		return -1;
	}
	return 0;
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
				 t->name, ntoa(t->remote, a));
			return 0;
		}
	}
	if (err < 0) {
		log_warnx("nl", "cannot create a link of type %s (%s -> %s): %s", kind_name(t->kind),
			  ntoa(t->local, a), ntoa(t->remote, b), nl_geterror(err));
		return -1;
	}
	t->owned = true;
	t->ifindex = knl_ifindex(nl, t->name);
	if (t->ifindex <= 0) {
		log_warnx("nl", "the new link %s has disappeared", t->name);
		return -1;
	}
	log_info("nl", "created the %s link %s %s -> %s", kind_name(t->kind), t->name,
		 ntoa(t->local, a), ntoa(t->remote, b));
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

/* ---- crash cleanup */

static int cleanup_routes(struct knl *nl)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int n = 0, err = rtnl_route_alloc_cache(nl->sk, AF_INET, 0, &cache);

	if (err < 0) {
		log_warnx("nl", "cannot read the routes: %s", nl_geterror(err));
		return 0;
	}
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		char buf[64];

		if (rtnl_route_get_protocol(r) != MIP_RTPROT)
			continue;
		err = rtnl_route_delete(nl->sk, r, 0);
		if (err < 0 && err != -NLE_OBJ_NOTFOUND)
			log_warnx("nl", "cannot delete a leftover route: %s", nl_geterror(err));
		else if (err == 0) {
			log_info("nl", "removed the leftover route %s table %u",
				 nl_addr2str(rtnl_route_get_dst(r), buf, sizeof(buf)),
				 rtnl_route_get_table(r));
			n++;
		}
	}
	nl_cache_free(cache);
	return n;
}

static int cleanup_rules(struct knl *nl)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int n = 0, err = rtnl_rule_alloc_cache(nl->sk, AF_INET, &cache);

	if (err < 0) {
		log_warnx("nl", "cannot read the rules: %s", nl_geterror(err));
		return 0;
	}
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_rule *r = (struct rtnl_rule *)o;
		uint8_t proto;

		if (rtnl_rule_get_protocol(r, &proto) < 0 || proto != MIP_RTPROT)
			continue;
		err = rtnl_rule_delete(nl->sk, r, 0);
		if (err < 0 && err != -NLE_OBJ_NOTFOUND)
			log_warnx("nl", "cannot delete a leftover rule: %s", nl_geterror(err));
		else if (err == 0) {
			log_info("nl", "removed the leftover rule pref %u table %u",
				 rtnl_rule_get_prio(r), rtnl_rule_get_table(r));
			n++;
		}
	}
	nl_cache_free(cache);
	return n;
}

static int cleanup_links(struct knl *nl)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int n = 0, err = rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache);

	if (err < 0) {
		log_warnx("nl", "cannot read the links: %s", nl_geterror(err));
		return 0;
	}
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *name = rtnl_link_get_name(l);
		bool mine = false;

		for (struct knl_tunnel *t = nl->tunnels; t; t = t->next)
			mine |= t->ifindex == rtnl_link_get_ifindex(l);
		if (mine || !name || strncmp(name, "mip", 3) != 0 ||
		    !(link_is_kind(l, KNL_TUNNEL_IPIP) || link_is_kind(l, KNL_TUNNEL_GRE)))
			continue;
		link_delete(nl, name);
		log_info("nl", "removed the leftover link %s", name);
		n++;
	}
	nl_cache_free(cache);
	return n;
}

/* The entries recorded by an earlier run, then the ones of this run. */
static int cleanup_recorded(struct knl *nl)
{
	char line[128], kind[16], ifname[IF_NAMESIZE + 1], addr[INET_ADDRSTRLEN + 1];
	int n = 0;
	FILE *f;

	if (nl->state_path && (f = fopen(nl->state_path, "r"))) {
		while (fgets(line, sizeof(line), f)) {
			struct in_addr ip;
			int idx;

			if (sscanf(line, "%15s %16s %16s", kind, ifname, addr) != 3 ||
			    inet_pton(AF_INET, addr, &ip) != 1)
				continue;
			idx = knl_ifindex(nl, ifname);
			if (idx <= 0)
				continue;
			if (neigh_delete(nl, idx, ip, strcmp(kind, "proxy") == 0) == 0) {
				log_info("nl", "removed the leftover %s entry %s dev %s", kind, addr, ifname);
				n++;
			}
		}
		fclose(f);
	}
	for (size_t i = 0; i < nl->n_recs; i++) {
		int idx = knl_ifindex(nl, nl->recs[i].ifname);

		if (idx > 0 && neigh_delete(nl, idx, nl->recs[i].ip,
					    nl->recs[i].kind == KNL_REC_PROXY) == 0)
			n++;
	}
	nl->n_recs = 0;
	rec_save(nl);
	return n;
}

int knl_cleanup(struct knl *nl)
{
	/* entries first: they are keyed by interface names the links may own */
	int n = cleanup_recorded(nl);

	n += cleanup_rules(nl);
	n += cleanup_routes(nl);
	n += cleanup_links(nl);
	return n;
}
