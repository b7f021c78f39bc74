/* Neighbour and proxy ARP entries through libnl-3, recorded in a file for the crash cleanup (see nl.h). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/neighbour.h>
#include "log.h"
#include "nl.h"
#include "nl_int.h"

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
			nl->recs[i].ifname, knl_ntoa(nl->recs[i].ip, a));
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

/* ---- neighbour and proxy entries */

static struct rtnl_neigh *neigh_new(int ifindex, struct in_addr ip)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *a = knl_addr4(ip, 32);

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

static const char *entry_name(enum knl_rec_kind kind)
{
	return kind == KNL_REC_PROXY ? "proxy entry" : "neighbour";
}

/* Add a proxy entry, or a permanent neighbour entry to @mac, and record it. */
static int entry_add(struct knl *nl, enum knl_rec_kind kind, int ifindex, struct in_addr ip,
		     const uint8_t *mac)
{
	struct rtnl_neigh *n = neigh_new(ifindex, ip);
	struct nl_addr *ll = kind == KNL_REC_NEIGH ? nl_addr_build(AF_LLC, mac, 6) : NULL;
	char a[INET_ADDRSTRLEN];
	int err = -NLE_NOMEM;

	if (n && (ll || kind == KNL_REC_PROXY)) {
		if (kind == KNL_REC_PROXY) {
			rtnl_neigh_set_flags(n, NTF_PROXY);
		} else {
			rtnl_neigh_set_lladdr(n, ll);
			rtnl_neigh_set_state(n, NUD_PERMANENT);
		}
		err = rtnl_neigh_add(nl->sk, n, NLM_F_CREATE | NLM_F_REPLACE);
	}
	rtnl_neigh_put(n);
	nl_addr_put(ll);
	if (err < 0) {
		log_warnx("nl", "cannot add the %s %s dev %d: %s", entry_name(kind), knl_ntoa(ip, a),
			  ifindex, nl_geterror(err));
		return -1;
	}
	rec_add(nl, kind, ifindex, ip);
	return 0;
}

/* Delete a proxy or neighbour entry and its record; absent is not an error. */
static int entry_del(struct knl *nl, enum knl_rec_kind kind, int ifindex, struct in_addr ip)
{
	char a[INET_ADDRSTRLEN];
	int err = neigh_delete(nl, ifindex, ip, kind == KNL_REC_PROXY);

	rec_del(nl, kind, ifindex, ip);
	if (err < 0 && !absent(err)) {
		log_warnx("nl", "cannot delete the %s %s dev %d: %s", entry_name(kind), knl_ntoa(ip, a),
			  ifindex, nl_geterror(err));
		return -1;
	}
	return 0;
}

int knl_neigh_add(struct knl *nl, int ifindex, struct in_addr ip, const uint8_t mac[6])
{
	return entry_add(nl, KNL_REC_NEIGH, ifindex, ip, mac);
}

int knl_neigh_del(struct knl *nl, int ifindex, struct in_addr ip)
{
	return entry_del(nl, KNL_REC_NEIGH, ifindex, ip);
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
	struct nl_addr *a = knl_addr4(ip, 32);
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
	log_debug("nl", "neighbour %s dev %d: %s", knl_ntoa(ip, a), ifindex, found ? "known" : "unknown");
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
		log_warnx("nl", "cannot flush the neighbour %s dev %d: %s", knl_ntoa(ip, a), ifindex,
			  nl_geterror(err));
		return -1;
	}
	return 0;
}

int knl_proxy_add(struct knl *nl, int ifindex, struct in_addr ip)
{
	return entry_add(nl, KNL_REC_PROXY, ifindex, ip, NULL);
}

int knl_proxy_del(struct knl *nl, int ifindex, struct in_addr ip)
{
	return entry_del(nl, KNL_REC_PROXY, ifindex, ip);
}

/* ---- crash cleanup */

/* The entries recorded by an earlier run, then the ones of this run. */
int knl_cleanup_recorded(struct knl *nl)
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

