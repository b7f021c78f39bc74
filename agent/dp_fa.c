/* The foreign agent's data plane: visitor events to host routes, neighbour
 * entries, decapsulation and reverse tunnels (see dp_fa.h). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include "dp_fa.h"
#include "fa.h"
#include "log.h"
#include "nl.h"
#include "nl_fa.h"
#include "notify.h"
#include "utun.h"
#include "wire.h"

#define DP_FA_TUN_PATTERN "mipfa%d"
#define DP_FA_STATE_SUBDIR "/fa"

/* What was installed for one visitor. */
struct dp_fa_vis {
	struct dp_fa_vis *next;
	struct in_addr hoa, ha, coa;
	int ifindex;
	char ifname[IF_NAMESIZE];
	bool route, neigh, decap, rev, rule;
	/* kernel backend: the ipip/gre link from the care-of address to the
	 * home agent that decapsulates for it and carries its reverse tunnel */
	int klink;                      /* ifindex, 0: none */
	enum knl_tunnel_kind kkind;
	char kname[IF_NAMESIZE];
	/* by_link on the kernel backend: the rule "iif KLINK to HOME lookup
	 * (table of the visitor's link)" (dp_fa_kernel_deliver()) */
	bool kdeliv;
	/* RFC 3024 §5.2, Encapsulating Delivery Style: what the node
	 * encapsulates to us (from its home address to @edeliv[i]: our address
	 * on its link, and the care-of address when different) goes on into
	 * the reverse tunnel */
	struct in_addr edeliv[2];
	unsigned n_edeliv;
	/* the home address is shared with a visitor on another link (another
	 * home agent's private address): the host route in its link's routing
	 * table, and on the userspace engine the link's device @ldev ("" if
	 * none: kernel backend, dp_fa_link_up()) */
	bool by_link;
	bool lroute;
	char ldev[IF_NAMESIZE];
};

struct dp_fa {
	const struct conf *c;
	struct knl *nl;
	struct utun *utun;
	struct dp_fa_vis *vis;
	unsigned n_rev;                 /* visitors with a reverse tunnel */
	bool table_route;               /* the default route of DP_FA_TABLE */
	bool kernel;                    /* kernel tunnel links (dp.h backends) */
	bool listening;
	char *state_dir;
};

static const char *ntoa(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static enum dp_encap dp_fa_encap(uint8_t flags)
{
	if (flags & MIP_RRQ_M)
		return DP_ENCAP_MINIMAL;
	if (flags & MIP_RRQ_G)
		return DP_ENCAP_GRE;
	return DP_ENCAP_IPIP;
}

/* Write @value to /proc/sys/@path unless it already holds it. */
static void dp_fa_sysctl(const char *path, const char *value)
{
	char cur[32] = "";
	int fd = open(path, O_RDWR | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		log_warn("fa", "cannot open %s", path);
		return;
	}
	n = read(fd, cur, sizeof(cur) - 1);
	if (n <= 0 || strncmp(cur, value, strlen(value)) != 0 || cur[strlen(value)] != '\n') {
		if (lseek(fd, 0, SEEK_SET) < 0 || write(fd, value, strlen(value)) < 0)
			log_warn("fa", "cannot set %s to %s", path, value);
	}
	close(fd);
}

static bool mac_known(const uint8_t *m)
{
	static const uint8_t zero[6];

	return memcmp(m, zero, 6) != 0;
}

static struct dp_fa_vis *dp_fa_find(struct dp_fa *d, const struct mip_event *ev, struct dp_fa_vis ***pp_out)
{
	struct dp_fa_vis **pp, *v;

	for (pp = &d->vis; (v = *pp); pp = &v->next)
		if (v->hoa.s_addr == ev->hoa.s_addr && v->ha.s_addr == ev->ha.s_addr &&
		    v->ifindex == ev->ifindex)
			break;
	if (pp_out)
		*pp_out = pp;
	return v;
}

/* Another visitor with the same home address (a private address behind
 * another home agent, or on another interface) that keeps the host route. */
static struct dp_fa_vis *dp_fa_same_hoa(struct dp_fa *d, const struct dp_fa_vis *not)
{
	for (struct dp_fa_vis *v = d->vis; v; v = v->next)
		if (v != not && v->hoa.s_addr == not->hoa.s_addr)
			return v;
	return NULL;
}

/* Another visitor served like @not: same home address, same mode, and for
 * the per-link mode the same link (they share its engine entries). */
static struct dp_fa_vis *dp_fa_same_entry(struct dp_fa *d, const struct dp_fa_vis *not)
{
	for (struct dp_fa_vis *v = d->vis; v; v = v->next)
		if (v != not && v->hoa.s_addr == not->hoa.s_addr && v->by_link == not->by_link &&
		    (!v->by_link || v->ifindex == not->ifindex))
			return v;
	return NULL;
}

/* The routing table of device @ifindex: a kernel tunnel link's (its reverse
 * tunnels), or a visited link's (dp_fa_link_up()); DP_FA_TABLE serves the
 * userspace engine's main device. */
static uint32_t dp_fa_link_table(int ifindex)
{
	return DP_FA_TABLE + 1 + (uint32_t)ifindex;
}

/* @rule: the policy rule for direct delivery.  With the Encapsulating
 * Delivery Style there is none: what the node sends unencapsulated is
 * routed normally, not reverse-tunnelled (RFC 3024 §5.2.1). */
static void dp_fa_rev_up(struct dp_fa *d, struct dp_fa_vis *v, uint8_t flags, bool rule)
{
	const struct in_addr any = { .s_addr = INADDR_ANY };
	enum dp_encap e = dp_fa_encap(flags);
	char h[INET_ADDRSTRLEN];

	if ((v->by_link ? utun_rev_add_link(d->utun, v->ifindex, v->hoa, v->coa, v->ha, e) :
	     utun_rev_add(d->utun, v->hoa, v->coa, v->ha, e)) < 0) {
		log_warnx("fa", "cannot reverse-tunnel %s", ntoa(v->hoa, h));
		return;
	}
	v->rev = true;
	if (v->by_link) {       /* the link's table leads into the link's device */
		if (rule)
			v->rule = knl_rule_add(d->nl, v->hoa, any, v->ifname, dp_fa_link_table(v->ifindex),
					       DP_FA_RULE_PRIO) == 0;
		return;
	}
	d->n_rev++;
	if (!d->table_route && knl_default_route_add(DP_FA_TABLE, utun_ifindex(d->utun)) == 0)
		d->table_route = true;
	if (rule)
		v->rule = knl_rule_add(d->nl, v->hoa, any, v->ifname, DP_FA_TABLE, DP_FA_RULE_PRIO) == 0;
}

/* RFC 3024 §5.2: decapsulate what the node sends us encapsulated from its
 * home address and re-encapsulate it to the home agent. */
static void dp_fa_edeliv_up(struct dp_fa *d, struct dp_fa_vis *v, const struct fa_visitor *fv)
{
	const struct in_addr any = { .s_addr = INADDR_ANY };
	struct in_addr to[2] = { fv->local, v->coa };
	char h[INET_ADDRSTRLEN], l[INET_ADDRSTRLEN];

	for (unsigned i = 0; i < 2; i++) {
		if (to[i].s_addr == INADDR_ANY || (i && to[i].s_addr == to[0].s_addr))
			continue;
		if ((v->by_link ? utun_decap_add_link(d->utun, v->ifindex, v->hoa, to[i], v->hoa, any, true) :
		     utun_decap_add_reverse(d->utun, v->hoa, to[i], v->hoa, any)) < 0) {
			log_warnx("fa", "cannot accept encapsulated delivery from %s to %s", ntoa(v->hoa, h),
				  ntoa(to[i], l));
			continue;
		}
		v->edeliv[v->n_edeliv++] = to[i];
	}
}

/* Kernel backend, a home address shared with a visitor on another link:
 * the main table's host route leads to the other visitor, so what @v's
 * kernel link decapsulates for the home address is looked up in the table
 * of @v's link ("iif KLINK to HOME"), which holds "HOME dev LINK".  The
 * two visitors' home agents reach us on different links (one per care-of
 * address and home agent). */
static bool dp_fa_kernel_deliver(struct dp_fa *d, struct dp_fa_vis *v)
{
	const struct in_addr any = { .s_addr = INADDR_ANY };
	uint32_t table = dp_fa_link_table(v->ifindex);

	v->lroute = knl_route_add(d->nl, v->hoa, v->ifindex, table) == 0;
	if (!v->lroute)
		return false;
	v->kdeliv = knl_rule_add(d->nl, any, v->hoa, v->kname, table, DP_FA_RULE_PRIO) == 0;
	if (!v->kdeliv) {
		if (!dp_fa_same_entry(d, v))
			knl_route_del(d->nl, v->hoa, table);
		v->lroute = false;
	}
	return v->kdeliv;
}

/* Kernel backend: with the ipip/gre modules loaded the kernel answers
 * tunnelled packets that no link accepts with ICMP errors, so the kernel
 * decapsulates them itself through a link from the care-of address to the
 * home agent (shared, reference counted); the reverse tunnel, with T, is a
 * policy rule "from HOME iif IFACE" into that link's table.  Minimal
 * encapsulation and the Encapsulating Delivery Style stay with the
 * userspace engine. */
static bool dp_fa_kernel_up(struct dp_fa *d, struct dp_fa_vis *v, uint8_t flags, bool edeliv)
{
	const struct in_addr any = { .s_addr = INADDR_ANY };
	char path[128];

	if (!d->kernel || edeliv || (flags & MIP_RRQ_M))
		return false;
	v->kkind = (flags & MIP_RRQ_G) ? KNL_TUNNEL_GRE : KNL_TUNNEL_IPIP;
	v->klink = knl_tunnel_get(d->nl, v->kkind, v->coa, v->ha, d->c->dp.tunnel_mtu);
	if (v->klink <= 0 || !if_indextoname((unsigned)v->klink, v->kname) ||
	    (v->by_link && !dp_fa_kernel_deliver(d, v))) {
		if (v->klink > 0)
			knl_tunnel_put(d->nl, v->kkind, v->coa, v->ha);
		v->klink = 0;
		return false;
	}
	/* decapsulated packets come from anywhere */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", v->kname);
	dp_fa_sysctl(path, "0");
	v->decap = true;
	if (flags & MIP_RRQ_T) {
		knl_default_route_add(dp_fa_link_table(v->klink), v->klink);
		v->rule = knl_rule_add(d->nl, v->hoa, any, v->ifname, dp_fa_link_table(v->klink),
				       DP_FA_RULE_PRIO) == 0;
	}
	return true;
}

static void dp_fa_kernel_release(struct dp_fa *d, struct dp_fa_vis *v)
{
	const struct in_addr any = { .s_addr = INADDR_ANY };
	bool shared = false;

	if (v->kdeliv)
		knl_rule_del(d->nl, any, v->hoa, v->kname, dp_fa_link_table(v->ifindex), DP_FA_RULE_PRIO);
	if (v->rule)
		knl_rule_del(d->nl, v->hoa, any, v->ifname, dp_fa_link_table(v->klink), DP_FA_RULE_PRIO);
	for (struct dp_fa_vis *o = d->vis; o; o = o->next)
		if (o != v && o->klink == v->klink && o->rule)
			shared = true;
	if (v->rule && !shared)
		knl_default_route_del(dp_fa_link_table(v->klink));
	knl_tunnel_put(d->nl, v->kkind, v->coa, v->ha);
	v->klink = 0;
	v->rule = v->decap = v->kdeliv = false;
}

/* Another visitor using the engine device of @not's link. */
static bool dp_fa_link_shared(struct dp_fa *d, const struct dp_fa_vis *not)
{
	for (struct dp_fa_vis *v = d->vis; v; v = v->next)
		if (v != not && v->ldev[0] && v->ifindex == not->ifindex)
			return true;
	return false;
}

/* A home address that another visitor has on another link (RFC 3024: the
 * same private address behind another home agent).  The host route of the
 * main table leads to one link only, so this visitor's traffic passes
 * through its link's own engine device and routing table: the engine
 * writes what it decapsulates for the visitor into that device, "iif DEV
 * lookup TABLE" finds "HOME dev LINK" there (and the permanent neighbour
 * entry gives the MAC); its reverse-tunnel rule leads to "default dev DEV"
 * in the same table, and the engine knows the link by the device. */
static bool dp_fa_link_up(struct dp_fa *d, struct dp_fa_vis *v)
{
	const struct in_addr all = { .s_addr = INADDR_ANY };
	uint32_t table = dp_fa_link_table(v->ifindex);
	bool first = !dp_fa_link_shared(d, v);
	char path[128];
	int dev = utun_link_get(d->utun, v->ifindex, v->ldev);

	if (dev < 0)
		return false;
	if (first) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", v->ldev);
		dp_fa_sysctl(path, "0");
		knl_default_route_add(table, dev);
		knl_rule_add(d->nl, all, all, v->ldev, table, DP_FA_RULE_PRIO);
	}
	v->lroute = knl_route_add(d->nl, v->hoa, v->ifindex, table) == 0;
	return true;
}

static void dp_fa_link_down(struct dp_fa *d, struct dp_fa_vis *v)
{
	const struct in_addr all = { .s_addr = INADDR_ANY };
	uint32_t table = dp_fa_link_table(v->ifindex);

	if (!dp_fa_link_shared(d, v)) {
		knl_rule_del(d->nl, all, all, v->ldev, table, DP_FA_RULE_PRIO);
		knl_default_route_del(table);
	}
	utun_link_put(d->utun, v->ifindex);
	v->ldev[0] = '\0';
}

static void dp_fa_up(struct dp_fa *d, const struct mip_event *ev)
{
	struct dp_fa_vis *v = dp_fa_find(d, ev, NULL);
	const struct in_addr any = { .s_addr = INADDR_ANY };
	const struct fa_visitor *fv;
	struct dp_fa_vis *other;
	bool edeliv, kernel;
	char h[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN];

	if (v)
		return;
	v = calloc(1, sizeof(*v));
	if (!v) {
		log_warnx("fa", "out of memory");
		return;
	}
	v->hoa = ev->hoa;
	v->ha = ev->ha;
	v->coa = ev->coa;
	v->ifindex = ev->ifindex;
	if (!if_indextoname((unsigned)ev->ifindex, v->ifname))
		snprintf(v->ifname, sizeof(v->ifname), "?");
	v->next = d->vis;
	d->vis = v;
	other = dp_fa_same_hoa(d, v);
	v->by_link = other && other->ifindex != v->ifindex;
	fv = fa_visitor_of_event(ev);
	edeliv = fv && fv->edeliv && (ev->flags & MIP_RRQ_T);
	kernel = dp_fa_kernel_up(d, v, ev->flags, edeliv);
	if (v->by_link && !kernel)
		v->by_link = dp_fa_link_up(d, v);
	/* §4.2.2: delivery on the visitor's link without ARP */
	if (!v->by_link)
		v->route = knl_route_add(d->nl, v->hoa, v->ifindex, 0) == 0;
	if (mac_known(ev->mac))
		v->neigh = knl_neigh_add(d->nl, v->ifindex, v->hoa, ev->mac) == 0;
	if (!kernel) {
		/* what the home agent tunnels to the care-of address for this node */
		v->decap = (v->by_link ? utun_decap_add_link(d->utun, v->ifindex, v->ha, v->coa, any, v->hoa,
							      false) :
			    utun_decap_add(d->utun, v->ha, v->coa, any, v->hoa)) == 0;
		if (ev->flags & MIP_RRQ_T)
			dp_fa_rev_up(d, v, ev->flags, !edeliv);
	}
	if (v->rev && edeliv)
		dp_fa_edeliv_up(d, v, fv);
	log_info("fa", "data plane for visitor %s: route on %s%s%s%s, tunnel from %s to %s%s%s",
		 ntoa(v->hoa, h), v->ifname, v->neigh ? " (static neighbour)" : "",
		 v->by_link ? " through " : "", v->by_link ? (v->ldev[0] ? v->ldev : v->kname) : "", ntoa(v->ha, a),
		 ntoa(v->coa, c),
		 v->rev ? ", reverse tunnel" : "", v->n_edeliv ? " (encapsulating delivery)" : "");
}

static void dp_fa_release(struct dp_fa *d, struct dp_fa_vis *v)
{
	const struct in_addr any = { .s_addr = INADDR_ANY };
	struct dp_fa_vis *other = dp_fa_same_hoa(d, v), *twin = dp_fa_same_entry(d, v);

	if (v->klink)
		dp_fa_kernel_release(d, v);
	if (v->rule)
		knl_rule_del(d->nl, v->hoa, any, v->ifname,
			     v->by_link ? dp_fa_link_table(v->ifindex) : DP_FA_TABLE, DP_FA_RULE_PRIO);
	for (unsigned i = 0; i < v->n_edeliv; i++)
		utun_decap_del_reverse(d->utun, v->hoa, v->edeliv[i], v->hoa, any);
	v->n_edeliv = 0;
	if (v->rev && (!twin || !twin->rev)) {
		if (v->by_link)
			utun_rev_del_link(d->utun, v->ifindex, v->hoa);
		else
			utun_rev_del(d->utun, v->hoa);
	}
	if (v->rev && !v->by_link && --d->n_rev == 0 && d->table_route) {
		knl_default_route_del(DP_FA_TABLE);
		d->table_route = false;
	}
	if (v->decap)
		utun_decap_del(d->utun, v->ha, v->coa, any, v->hoa);
	if (v->lroute && !dp_fa_same_entry(d, v))
		knl_route_del(d->nl, v->hoa, dp_fa_link_table(v->ifindex));
	v->lroute = false;
	if (v->ldev[0])
		dp_fa_link_down(d, v);
	if (v->neigh && !(other && other->ifindex == v->ifindex))
		knl_neigh_del(d->nl, v->ifindex, v->hoa);
	if (v->route) {
		if (other)      /* the remaining visitor keeps the address reachable */
			other->route = knl_route_add(d->nl, other->hoa, other->ifindex, 0) == 0;
		else
			knl_route_del(d->nl, v->hoa, 0);
	}
}

static void dp_fa_down(struct dp_fa *d, const struct mip_event *ev)
{
	struct dp_fa_vis **pp, *v = dp_fa_find(d, ev, &pp);
	char h[INET_ADDRSTRLEN];

	if (!v)
		return;
	*pp = v->next;
	dp_fa_release(d, v);
	log_info("fa", "data plane for visitor %s released", ntoa(v->hoa, h));
	free(v);
}

static void dp_fa_event(const struct mip_event *ev, void *arg)
{
	struct dp_fa *d = arg;

	if (ev->type == MIP_EV_VISITOR_ADDED)
		dp_fa_up(d, ev);
	else if (ev->type == MIP_EV_VISITOR_REMOVED)
		dp_fa_down(d, ev);
}

const char *dp_fa_ifname(const struct dp_fa *d)
{
	return d && d->utun ? utun_ifname(d->utun) : "";
}

struct dp_fa *dp_fa_open(const struct conf *c, struct ev_loop *loop)
{
	struct dp_fa *d = calloc(1, sizeof(*d));
	const char *dir = c->state_dir ? c->state_dir : MIP_CONF_DEFAULT_STATE_DIR;
	char path[128];
	int n;

	if (!d || !(d->state_dir = malloc(strlen(dir) + sizeof(DP_FA_STATE_SUBDIR)))) {
		log_warnx("fa", "out of memory");
		free(d);
		return NULL;
	}
	d->c = c;
	/* our own record of neighbour entries, beside the home agent's */
	strcpy(d->state_dir, dir);
	strcat(d->state_dir, DP_FA_STATE_SUBDIR);
	d->nl = knl_open(d->state_dir);
	if (!d->nl)
		goto fail;
	n = knl_cleanup(d->nl);
	if (n > 0)
		log_info("fa", "removed %d leftover entries of an earlier run", n);
	if (c->dp.backend != CONF_DP_USERSPACE) {
		char why[128];

		d->kernel = knl_tunnel_probe(d->nl, why, sizeof(why));
		if (!d->kernel && c->dp.backend == CONF_DP_KERNEL) {
			log_warnx("fa", "kernel tunnels unavailable: %s", why);
			goto fail;
		}
	}
	d->utun = utun_open(DP_FA_TUN_PATTERN, loop, (int)c->dp.tunnel_mtu);
	if (!d->utun)
		goto fail;
	dp_fa_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
	/* decapsulated packets come in through the tunnel device from anywhere */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", utun_ifname(d->utun));
	dp_fa_sysctl(path, "0");
	if (notify_listen(dp_fa_event, d) < 0) {
		log_warnx("fa", "cannot listen to visitor events: too many listeners");
		goto fail;
	}
	d->listening = true;
	log_info("fa", "foreign agent data plane ready: %s backend, device %s, reverse tunnel table %u",
		 d->kernel ? "kernel" : "userspace", utun_ifname(d->utun), DP_FA_TABLE);
	return d;
fail:
	dp_fa_close(d);
	return NULL;
}

void dp_fa_close(struct dp_fa *d)
{
	struct dp_fa_vis *v;

	if (!d)
		return;
	if (d->listening)
		notify_unlisten(dp_fa_event, d);
	while ((v = d->vis)) {
		d->vis = v->next;
		dp_fa_release(d, v);
		free(v);
	}
	if (d->table_route)
		knl_default_route_del(DP_FA_TABLE);
	if (d->utun)
		utun_close(d->utun);
	knl_close(d->nl);
	free(d->state_dir);
	free(d);
}

void dp_fa_reload_apply(const struct conf *old, const struct conf *new, void *arg)
{
	struct dp_fa *d = arg;

	(void)old;
	d->c = new;
}
