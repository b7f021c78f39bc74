/* Neighbour and proxy ARP entries through libnl-3, marked with protocol MIP_RTPROT for the
 * crash cleanup (see nl.h). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/neighbour.h>
#include "dp.h"
#include "log.h"
#include "nl.h"
#include "nl_int.h"

/* ---- neighbour and proxy entries */

enum entry_kind { ENTRY_PROXY, ENTRY_NEIGH };

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

static const char *entry_name(enum entry_kind kind)
{
	return kind == ENTRY_PROXY ? "proxy entry" : "neighbour";
}

/* rtnl_neigh_add() with NDA_PROTOCOL, which libnl 3.7 does not know: the
 * mark that lets the crash cleanup find our entries (Linux 5.2 and later). */
static int neigh_add_marked(struct knl *nl, struct rtnl_neigh *n)
{
	struct nl_msg *msg;
	int err = rtnl_neigh_build_add_request(n, NLM_F_CREATE | NLM_F_REPLACE, &msg);

	if (err < 0)
		return err;
	if (nla_put_u8(msg, NDA_PROTOCOL, MIP_RTPROT) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	return nl_send_sync(nl->sk, msg);       /* frees @msg */
}

/* Add a marked proxy entry, or a marked permanent neighbour entry to @mac. */
static int entry_add(struct knl *nl, enum entry_kind kind, int ifindex, struct in_addr ip,
		     const uint8_t *mac)
{
	struct rtnl_neigh *n = neigh_new(ifindex, ip);
	struct nl_addr *ll = kind == ENTRY_NEIGH ? nl_addr_build(AF_LLC, mac, 6) : NULL;
	char a[INET_ADDRSTRLEN];
	int err = -NLE_NOMEM;

	if (n && (ll || kind == ENTRY_PROXY)) {
		if (kind == ENTRY_PROXY) {
			rtnl_neigh_set_flags(n, NTF_PROXY);
		} else {
			rtnl_neigh_set_lladdr(n, ll);
			rtnl_neigh_set_state(n, NUD_PERMANENT);
		}
		err = neigh_add_marked(nl, n);
	}
	rtnl_neigh_put(n);
	nl_addr_put(ll);
	if (err < 0) {
		log_warnx("nl", "cannot add the %s %s dev %d: %s", entry_name(kind), knl_ntoa(ip, a),
			  ifindex, nl_geterror(err));
		return -1;
	}
	return 0;
}

/* Delete a proxy or neighbour entry; absent is not an error. */
static int entry_del(struct knl *nl, enum entry_kind kind, int ifindex, struct in_addr ip)
{
	char a[INET_ADDRSTRLEN];
	int err = neigh_delete(nl, ifindex, ip, kind == ENTRY_PROXY);

	if (err < 0 && !absent(err)) {
		log_warnx("nl", "cannot delete the %s %s dev %d: %s", entry_name(kind), knl_ntoa(ip, a),
			  ifindex, nl_geterror(err));
		return -1;
	}
	return 0;
}

int knl_neigh_add(struct knl *nl, int ifindex, struct in_addr ip, const uint8_t mac[6])
{
	return entry_add(nl, ENTRY_NEIGH, ifindex, ip, mac);
}

int knl_neigh_del(struct knl *nl, int ifindex, struct in_addr ip)
{
	return entry_del(nl, ENTRY_NEIGH, ifindex, ip);
}

/* A copy of @sk's callbacks (the caller puts it) calling @fn on each valid message. */
static struct nl_cb *cb_valid(struct nl_sock *sk, nl_recvmsg_msg_cb_t fn, void *arg)
{
	struct nl_cb *base = nl_socket_get_cb(sk);      /* a reference */
	struct nl_cb *cb = base ? nl_cb_clone(base) : NULL;

	nl_cb_put(base);
	if (cb)
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, fn, arg);
	return cb;
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
	struct nl_cb *cb = NULL;

	*err = -NLE_NOMEM;
	if (!msg || nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, NDA_DST, sizeof(ip), &ip) < 0)
		goto out;
	cb = cb_valid(nl->qsk, neigh_get_valid, &n);
	if (!cb)
		goto out;
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
	return entry_add(nl, ENTRY_PROXY, ifindex, ip, NULL);
}

int knl_proxy_del(struct knl *nl, int ifindex, struct in_addr ip)
{
	return entry_del(nl, ENTRY_PROXY, ifindex, ip);
}


/* ---- crash cleanup */

/* Our entries found in a dump of the proxy or the neighbour table. */
struct marked {
	struct marked_entry {
		int ifindex;
		struct in_addr ip;
	} *v;
	size_t n, cap;
	bool nomem;
};

static int marked_valid(struct nl_msg *msg, void *arg)
{
	struct marked *m = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct ndmsg *ndm = nlmsg_data(h);
	struct nlattr *tb[NDA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWNEIGH || nlmsg_parse(h, sizeof(*ndm), tb, NDA_MAX, NULL) < 0 ||
	    ndm->ndm_family != AF_INET || !tb[NDA_PROTOCOL] || nla_len(tb[NDA_PROTOCOL]) < 1 ||
	    nla_get_u8(tb[NDA_PROTOCOL]) != MIP_RTPROT || !tb[NDA_DST] ||
	    nla_len(tb[NDA_DST]) != sizeof(struct in_addr))
		return NL_OK;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct marked_entry *v = realloc(m->v, cap * sizeof(*v));

		if (!v) {
			m->nomem = true;
			return NL_OK;
		}
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n].ifindex = ndm->ndm_ifindex;
	memcpy(&m->v[m->n].ip, nla_data(tb[NDA_DST]), sizeof(struct in_addr));
	m->n++;
	return NL_OK;
}

/* Delete the entries of one kind that carry our mark; the number removed. */
static int cleanup_marked(struct knl *nl, enum entry_kind kind)
{
	struct ndmsg ndm = { .ndm_family = AF_INET, .ndm_flags = kind == ENTRY_PROXY ? NTF_PROXY : 0 };
	struct marked m = { 0 };
	struct nl_cb *cb = cb_valid(nl->sk, marked_valid, &m);
	int err = cb ? nl_send_simple(nl->sk, RTM_GETNEIGH, NLM_F_DUMP, &ndm, sizeof(ndm)) : -NLE_NOMEM;
	int n = 0;

	if (err >= 0)
		err = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	if (err < 0 || m.nomem)
		log_warnx("nl", "cannot read the %s table: %s", entry_name(kind),
			  err < 0 ? nl_geterror(err) : "out of memory");
	for (size_t i = 0; i < m.n; i++) {
		char a[INET_ADDRSTRLEN], ifname[IF_NAMESIZE];

		err = neigh_delete(nl, m.v[i].ifindex, m.v[i].ip, kind == ENTRY_PROXY);
		if (err < 0 && !absent(err)) {
			log_warnx("nl", "cannot delete a leftover %s: %s", entry_name(kind), nl_geterror(err));
		} else if (err == 0) {
			log_info("nl", "removed the leftover %s %s dev %s", entry_name(kind),
				 knl_ntoa(m.v[i].ip, a),
				 if_indextoname((unsigned)m.v[i].ifindex, ifname) ? ifname : "?");
			n++;
		}
	}
	free(m.v);
	return n;
}

/* The file in which versions before the marks recorded their entries:
 * removes those entries once, after an upgrade, and the file. */
static int cleanup_legacy_file(struct knl *nl)
{
	char line[128], kind[16], ifname[IF_NAMESIZE + 1], addr[INET_ADDRSTRLEN + 1];
	int n = 0;
	FILE *f;

	if (!nl->state_path || !(f = fopen(nl->state_path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		struct in_addr ip;
		int idx;

		if (sscanf(line, "%15s %16s %16s", kind, ifname, addr) != 3 ||
		    inet_pton(AF_INET, addr, &ip) != 1 || (idx = knl_ifindex(nl, ifname)) <= 0)
			continue;
		if (neigh_delete(nl, idx, ip, strcmp(kind, "proxy") == 0) == 0) {
			log_info("nl", "removed the leftover %s entry %s dev %s", kind, addr, ifname);
			n++;
		}
	}
	fclose(f);
	if (unlink(nl->state_path) < 0)
		log_warn("nl", "cannot remove %s", nl->state_path);
	return n;
}

/* NDA_PROTOCOL came with Linux 5.2; an older kernel drops the mark silently. */
static void check_kernel_marks(void)
{
	struct utsname u;
	unsigned major, minor;

	if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
	    (major < 5 || (major == 5 && minor < 2)))
		log_warnx("nl", "Linux %s does not mark proxy and neighbour entries (5.2 does): "
			  "after a crash, remove ours by hand", u.release);
}

int knl_cleanup_neighs(struct knl *nl)
{
	static bool checked;

	if (!checked) {
		check_kernel_marks();
		checked = true;
	}
	return cleanup_legacy_file(nl) + cleanup_marked(nl, ENTRY_PROXY) +
	       cleanup_marked(nl, ENTRY_NEIGH);
}
