/* IPsec policies between mobility agents through libnl-xfrm (see xfrm.h). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/xfrm.h>
#include <netlink/netlink.h>
#include <netlink/addr.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/xfrm/selector.h>
#include <netlink/xfrm/sp.h>
#include <netlink/xfrm/template.h>
#include "counters.h"
#include "event.h"
#include "log.h"
#include "notify.h"
#include "rbtree.h"
#include "wire.h"
#include "xfrm.h"

#ifndef IPPROTO_MOBILE
#define IPPROTO_MOBILE 55       /* minimal encapsulation (RFC 2004) */
#endif

#define XFRM_LINGER_MS 10000    /* request/reply policies kept after the last use */
#define XFRM_INDEX_BASE 0x0d490000u

/* The kernel's identity of a policy: direction and selector. */
struct xpol_key {
	uint8_t dir;                    /* XFRM_POLICY_IN / _OUT */
	uint8_t proto;
	uint16_t sport, dport;          /* host order, 0: any */
	uint32_t src, dst;              /* network order */
	uint8_t srclen, dstlen;
};

/* A policy wanted by one or more users (a binding, a visitor, a peer in use). */
struct xpol {
	RB_ENTRY(xpol) rb;
	struct xpol_key k;
	struct conf_ipsec_policy tmpl;
	struct in_addr tsrc, tdst;      /* tunnel-mode template endpoints */
	enum conf_ipsec_traffic kind;
	struct in_addr peer;
	unsigned refs;
	uint32_t index;                 /* in the kernel; 0: not installed */
};

/* A binding or visitor that involves a peer, and the policies it holds. */
struct xb {
	RB_ENTRY(xb) rb;
	uint8_t role;                   /* enum xfrm_role */
	struct in_addr hoa, k2;         /* home agent: care-of address; foreign agent: home agent */
	int ifindex;                    /* foreign agent: the visitor's interface */
	struct in_addr via, tun;        /* where it registered through; its tunnel end */
	struct in_addr tcfg;            /* the peer whose <ipsec> covers the tunnel */
	uint8_t flags;                  /* registration flags (encapsulation, T) */
	struct xpol *pol[4];
	struct xpeer *cvia, *ctun;      /* the peers it is counted in */
};

/* A peer: its counts and the policies held for it beyond any binding. */
struct xpeer {
	RB_ENTRY(xpeer) rb;
	struct mip_xfrm *x;
	struct in_addr addr;
	unsigned bindings, tunnels, visitors;
	struct xpol *perm;              /* home agent: requests from the peer */
	struct xpol *use[2][2];         /* [role][0..1]: held while in use */
	struct mip_timer linger[2];     /* [role] */
};

RB_HEAD(xpol_tree, xpol);
RB_HEAD(xb_tree, xb);
RB_HEAD(xpeer_tree, xpeer);

struct mip_xfrm {
	const struct conf *c;
	struct ev_loop *loop;
	struct nl_sock *sk;             /* NETLINK_XFRM, opened when first needed */
	bool sk_failed;
	uint32_t next_index;
	struct xpol_tree pols;
	struct xb_tree bs;
	struct xpeer_tree peers;
	bool listening;
};

static int xpol_cmp(const struct xpol *a, const struct xpol *b)
{
	return memcmp(&a->k, &b->k, sizeof(a->k));
}

static int xb_cmp(const struct xb *a, const struct xb *b)
{
	if (a->role != b->role)
		return a->role < b->role ? -1 : 1;
	if (a->hoa.s_addr != b->hoa.s_addr)
		return ntohl(a->hoa.s_addr) < ntohl(b->hoa.s_addr) ? -1 : 1;
	if (a->k2.s_addr != b->k2.s_addr)
		return ntohl(a->k2.s_addr) < ntohl(b->k2.s_addr) ? -1 : 1;
	return (a->ifindex > b->ifindex) - (a->ifindex < b->ifindex);
}

static int xpeer_cmp(const struct xpeer *a, const struct xpeer *b)
{
	uint32_t x = ntohl(a->addr.s_addr), y = ntohl(b->addr.s_addr);

	return (x > y) - (x < y);
}

RB_GENERATE_STATIC(xpol_tree, xpol, rb, xpol_cmp)
RB_GENERATE_STATIC(xb_tree, xb, rb, xb_cmp)
RB_GENERATE_STATIC(xpeer_tree, xpeer, rb, xpeer_cmp)

static const char *const kind_names[CONF_IPSEC_N] = {
	[CONF_IPSEC_REQUEST] = "registration-request", [CONF_IPSEC_REPLY] = "registration-reply",
	[CONF_IPSEC_FORWARD] = "forward-tunnel", [CONF_IPSEC_REVERSE] = "reverse-tunnel",
};

static const char *ntoa(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* ---- the kernel ---- */

static struct nl_sock *xfrm_sock(struct mip_xfrm *x)
{
	int rc;

	if (x->sk || x->sk_failed)
		return x->sk;
	x->sk = nl_socket_alloc();
	if (!x->sk) {
		log_warnx("xfrm", "out of memory");
		x->sk_failed = true;
		return NULL;
	}
	rc = nl_connect(x->sk, NETLINK_XFRM);
	if (rc < 0) {
		log_warnx("xfrm", "cannot open the XFRM netlink socket: %s", nl_geterror(rc));
		nl_socket_free(x->sk);
		x->sk = NULL;
		x->sk_failed = true;
	}
	return x->sk;
}

static struct nl_addr *addr4(uint32_t a, unsigned len)
{
	struct nl_addr *n = nl_addr_build(AF_INET, &a, 4);

	if (n)
		nl_addr_set_prefixlen(n, (int)len);
	return n;
}

/* The selector of @k. */
static struct xfrmnl_sel *xfrm_selector(const struct xpol_key *k)
{
	struct xfrmnl_sel *sel = xfrmnl_sel_alloc();
	struct nl_addr *s = addr4(k->src, k->srclen), *d = addr4(k->dst, k->dstlen);

	if (sel && s && d) {
		xfrmnl_sel_set_family(sel, AF_INET);
		xfrmnl_sel_set_saddr(sel, s);
		xfrmnl_sel_set_daddr(sel, d);
		xfrmnl_sel_set_prefixlen_s(sel, k->srclen);
		xfrmnl_sel_set_prefixlen_d(sel, k->dstlen);
		xfrmnl_sel_set_proto(sel, k->proto);
		if (k->sport) {
			xfrmnl_sel_set_sport(sel, k->sport);
			xfrmnl_sel_set_sportmask(sel, 0xffff);
		}
		if (k->dport) {
			xfrmnl_sel_set_dport(sel, k->dport);
			xfrmnl_sel_set_dportmask(sel, 0xffff);
		}
	} else if (sel) {
		xfrmnl_sel_put(sel);
		sel = NULL;
	}
	if (s)
		nl_addr_put(s);
	if (d)
		nl_addr_put(d);
	return sel;
}

/* The template of @p. */
static struct xfrmnl_user_tmpl *xfrm_template(const struct xpol *p)
{
	struct xfrmnl_user_tmpl *t = xfrmnl_user_tmpl_alloc();
	const struct conf_ipsec_policy *c = &p->tmpl;
	uint32_t zero = 0;
	struct nl_addr *s = addr4(c->tunnel ? p->tsrc.s_addr : zero, 32);
	struct nl_addr *d = addr4(c->tunnel ? p->tdst.s_addr : zero, 32);

	if (t && s && d) {
		xfrmnl_user_tmpl_set_family(t, AF_INET);
		xfrmnl_user_tmpl_set_saddr(t, s);
		xfrmnl_user_tmpl_set_daddr(t, d);
		xfrmnl_user_tmpl_set_proto(t, c->ah ? IPPROTO_AH : IPPROTO_ESP);
		xfrmnl_user_tmpl_set_mode(t, c->tunnel ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT);
		xfrmnl_user_tmpl_set_spi(t, htonl(c->spi));
		xfrmnl_user_tmpl_set_reqid(t, c->reqid);
		xfrmnl_user_tmpl_set_optional(t, c->optional);
		/* no names: any algorithm; with names, AEAD SAs have no separate
		 * authentication algorithm (bit 0) */
		xfrmnl_user_tmpl_set_ealgos(t, c->ealgos ? c->ealgos : ~0u);
		xfrmnl_user_tmpl_set_aalgos(t, c->aalgos ? c->aalgos | 1u : ~0u);
		xfrmnl_user_tmpl_set_calgos(t, ~0u);
	} else if (t) {
		xfrmnl_user_tmpl_free(t);
		t = NULL;
	}
	if (s)
		nl_addr_put(s);
	if (d)
		nl_addr_put(d);
	return t;
}

static const char *xpol_str(const struct xpol *p, char *buf, size_t len)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = p->k.src }, b = { .s_addr = p->k.dst };

	snprintf(buf, len, "%s %s %s/%u -> %s/%u proto %u%s", kind_names[p->kind],
		 p->k.dir == XFRM_POLICY_OUT ? "out" : "in", ntoa(a, s), p->k.srclen, ntoa(b, d),
		 p->k.dstlen, p->k.proto, p->tmpl.tunnel ? " (tunnel mode)" : "");
	return buf;
}

/* The kernel's policies, read with a dump parsed here: libnl-xfrm's own
 * parser (xfrmnl_sp_get_kernel, the policy cache) leaks the addresses of
 * every policy it reads (libnl 3.7). */
struct xfrm_dump {
	void (*fn)(const struct xfrm_userpolicy_info *pi, void *arg);
	void *arg;
};

static int xfrm_dump_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct xfrm_dump *d = arg;

	if (h->nlmsg_type == XFRM_MSG_NEWPOLICY &&
	    nlmsg_datalen(h) >= (int)sizeof(struct xfrm_userpolicy_info))
		d->fn(nlmsg_data(h), d->arg);
	return NL_OK;
}

static int xfrm_dump(struct mip_xfrm *x, void (*fn)(const struct xfrm_userpolicy_info *, void *),
		     void *arg)
{
	struct xfrm_userpolicy_id id;
	struct xfrm_dump d = { fn, arg };
	struct nl_cb *orig, *cb;
	int rc;

	memset(&id, 0, sizeof(id));
	rc = nl_send_simple(x->sk, XFRM_MSG_GETPOLICY, NLM_F_DUMP, &id, sizeof(id));
	if (rc < 0)
		return rc;
	orig = nl_socket_get_cb(x->sk);         /* a reference */
	cb = orig ? nl_cb_clone(orig) : NULL;
	nl_cb_put(orig);
	if (!cb)
		return -NLE_NOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, xfrm_dump_cb, &d);
	rc = nl_recvmsgs(x->sk, cb);
	nl_cb_put(cb);
	return rc;
}

struct xfrm_find {
	const struct xpol *p;
	uint32_t index;
	bool found;
};

static void xfrm_find_cb(const struct xfrm_userpolicy_info *pi, void *arg)
{
	struct xfrm_find *f = arg;
	const struct xpol_key *k = &f->p->k;

	if (pi->index == f->index && pi->dir == k->dir && pi->priority == MIP_XFRM_PRIORITY &&
	    pi->sel.prefixlen_s == k->srclen && pi->sel.prefixlen_d == k->dstlen &&
	    pi->sel.proto == k->proto && pi->sel.saddr.a4 == k->src && pi->sel.daddr.a4 == k->dst)
		f->found = true;
}

/* Is the kernel's policy @index @p? */
static bool xfrm_is_ours(struct mip_xfrm *x, const struct xpol *p, uint32_t index)
{
	struct xfrm_find f = { .p = p, .index = index };

	return xfrm_dump(x, xfrm_find_cb, &f) >= 0 && f.found;
}

static int xfrm_install(struct mip_xfrm *x, struct xpol *p, bool update)
{
	struct xfrmnl_sp *sp;
	struct xfrmnl_sel *sel;
	struct xfrmnl_user_tmpl *t;
	char what[160];
	uint32_t index = p->index;
	int rc = -NLE_NOMEM;

	if (!xfrm_sock(x))
		goto fail;
	if (!index)
		index = x->next_index++ << 3 | p->k.dir;
	sp = xfrmnl_sp_alloc();
	sel = xfrm_selector(&p->k);
	t = xfrm_template(p);
	if (sp && sel && t) {
		xfrmnl_sp_set_sel(sp, sel);
		xfrmnl_sp_set_dir(sp, p->k.dir);
		xfrmnl_sp_set_index(sp, index);
		xfrmnl_sp_set_priority(sp, MIP_XFRM_PRIORITY);
		xfrmnl_sp_set_action(sp, XFRM_POLICY_ALLOW);
		xfrmnl_sp_set_share(sp, XFRM_SHARE_ANY);
		xfrmnl_sp_add_usertemplate(sp, t);
		t = NULL;
		rc = update ? xfrmnl_sp_update(x->sk, sp, 0) : xfrmnl_sp_add(x->sk, sp, 0);
	}
	if (sel)
		xfrmnl_sel_put(sel);
	if (t)
		xfrmnl_user_tmpl_free(t);
	if (sp)
		xfrmnl_sp_put(sp);
	if (rc < 0)
		goto fail;
	if (!xfrm_is_ours(x, p, index)) {
		/* the kernel chose another index: ours was taken */
		log_warnx("xfrm", "policy %s: installed, but not under the index asked for; it is "
			  "left to the flush at shutdown", xpol_str(p, what, sizeof(what)));
		index = 0;
	}
	if (!update)
		mip_count(MIP_CTR_XFRM_POLICIES_ADDED);
	p->index = index ? index : UINT32_MAX;
	log_info("xfrm", "%s policy %s", update ? "updated" : "installed",
		 xpol_str(p, what, sizeof(what)));
	return 0;
fail:
	mip_count(MIP_CTR_XFRM_ERRORS);
	log_warnx("xfrm", "cannot install policy %s: %s%s", xpol_str(p, what, sizeof(what)),
		  rc == -NLE_EXIST ? "a policy with this selector exists already (not ours)" :
		  x->sk ? nl_geterror(rc) : "no XFRM netlink socket",
		  rc == -NLE_EXIST ? "; it is left alone" : "");
	return -1;
}

static void xfrm_uninstall(struct mip_xfrm *x, struct xpol *p)
{
	struct xfrmnl_sp *sp;
	char what[160];
	int rc = -NLE_NOMEM;

	if (!p->index || p->index == UINT32_MAX || !x->sk) {
		p->index = 0;
		return;
	}
	sp = xfrmnl_sp_alloc();
	if (sp) {
		xfrmnl_sp_set_index(sp, p->index);
		xfrmnl_sp_set_dir(sp, p->k.dir);
		rc = xfrmnl_sp_delete(x->sk, sp, 0);
		xfrmnl_sp_put(sp);
	}
	p->index = 0;
	if (rc < 0 && rc != -NLE_OBJ_NOTFOUND) {
		mip_count(MIP_CTR_XFRM_ERRORS);
		log_warnx("xfrm", "cannot remove policy %s: %s", xpol_str(p, what, sizeof(what)),
			  nl_geterror(rc));
		return;
	}
	mip_count(MIP_CTR_XFRM_POLICIES_REMOVED);
	log_info("xfrm", "removed policy %s", xpol_str(p, what, sizeof(what)));
}

struct xfrm_ours {
	struct { uint32_t index; uint8_t dir; } *v;
	size_t n, cap;
};

static void xfrm_ours_cb(const struct xfrm_userpolicy_info *pi, void *arg)
{
	struct xfrm_ours *o = arg;

	if (pi->priority != MIP_XFRM_PRIORITY)
		return;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		void *v = realloc(o->v, cap * sizeof(*o->v));

		if (!v)
			return;
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n].index = pi->index;
	o->v[o->n++].dir = pi->dir;
}

/* Remove every policy with our priority (a crashed run's, or all of ours at
 * shutdown); returns how many. */
static int xfrm_flush(struct mip_xfrm *x)
{
	struct xfrm_ours o = { 0 };
	int n = 0;

	if (!x->sk || xfrm_dump(x, xfrm_ours_cb, &o) < 0) {
		free(o.v);
		return 0;
	}
	for (size_t i = 0; i < o.n; i++) {
		struct xfrmnl_sp *sp = xfrmnl_sp_alloc();

		if (!sp)
			break;
		xfrmnl_sp_set_index(sp, o.v[i].index);
		xfrmnl_sp_set_dir(sp, o.v[i].dir);
		if (xfrmnl_sp_delete(x->sk, sp, 0) == 0)
			n++;
		xfrmnl_sp_put(sp);
	}
	free(o.v);
	return n;
}

/* ---- policies and their users ---- */

static uint8_t encaps_proto(uint8_t flags)
{
	if (flags & MIP_RRQ_M)
		return IPPROTO_MOBILE;
	if (flags & MIP_RRQ_G)
		return IPPROTO_GRE;
	return IPPROTO_IPIP;
}

/* The policy of kind @t in @role with @addr, as configured for the peer
 * @cfg (tunnels: encapsulation @proto).  @addr is the peer's own address,
 * or the care-of address a peer foreign agent offers. */
static bool xfrm_want(const struct mip_xfrm *x, struct in_addr cfg, struct in_addr peer,
		      enum conf_ipsec_traffic t, enum xfrm_role role, uint8_t proto, struct xpol *p)
{
	const struct conf_peer *cp = conf_find_peer(x->c, cfg);
	const struct conf_ipsec *ip = cp ? &cp->ipsec : NULL;
	struct in_addr local;
	bool out;

	if (!ip || !ip->present || !ip->policy[t].present)
		return false;
	memset(p, 0, sizeof(*p));
	local = ip->local;
	switch (t) {
	case CONF_IPSEC_REQUEST: out = role == XFRM_ROLE_FA; break;
	case CONF_IPSEC_REPLY: out = role == XFRM_ROLE_HA; break;
	case CONF_IPSEC_FORWARD: out = role == XFRM_ROLE_HA; break;
	default: out = role == XFRM_ROLE_FA; break;
	}
	p->k.dir = out ? XFRM_POLICY_OUT : XFRM_POLICY_IN;
	p->k.src = out ? local.s_addr : peer.s_addr;
	p->k.dst = out ? peer.s_addr : local.s_addr;
	p->k.srclen = p->k.src ? 32 : 0;
	p->k.dstlen = p->k.dst ? 32 : 0;
	if (t == CONF_IPSEC_REQUEST || t == CONF_IPSEC_REPLY) {
		p->k.proto = IPPROTO_UDP;
		if (t == CONF_IPSEC_REQUEST)
			p->k.dport = MIP_UDP_PORT;
		else
			p->k.sport = MIP_UDP_PORT;
	} else {
		p->k.proto = proto;
	}
	p->tmpl = ip->policy[t];
	p->tsrc = out ? local : peer;
	p->tdst = out ? peer : local;
	p->kind = t;
	p->peer = cfg;
	return true;
}

static bool tmpl_same(const struct xpol *a, const struct xpol *b)
{
	const struct conf_ipsec_policy *x = &a->tmpl, *y = &b->tmpl;

	return x->tunnel == y->tunnel && x->ah == y->ah && x->optional == y->optional &&
	       x->reqid == y->reqid && x->spi == y->spi && x->ealgos == y->ealgos &&
	       x->aalgos == y->aalgos && (!x->tunnel || (a->tsrc.s_addr == b->tsrc.s_addr &&
						       a->tdst.s_addr == b->tdst.s_addr));
}

/* A reference to the policy @want describes; installed on first use. */
static struct xpol *xpol_ref(struct mip_xfrm *x, const struct xpol *want)
{
	struct xpol *p = RB_FIND(xpol_tree, &x->pols, (struct xpol *)want);

	if (p) {
		if (!tmpl_same(p, want)) {
			/* the configuration changed (reload): replace the template */
			p->tmpl = want->tmpl;
			p->tsrc = want->tsrc;
			p->tdst = want->tdst;
			p->kind = want->kind;
			if (p->index && p->index != UINT32_MAX)
				xfrm_install(x, p, true);
		}
		p->refs++;
		return p;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		log_warnx("xfrm", "out of memory");
		return NULL;
	}
	*p = *want;
	p->refs = 1;
	p->index = 0;
	RB_INSERT(xpol_tree, &x->pols, p);
	xfrm_install(x, p, false);
	return p;
}

static void xpol_unref(struct mip_xfrm *x, struct xpol *p)
{
	if (!p || --p->refs)
		return;
	xfrm_uninstall(x, p);
	RB_REMOVE(xpol_tree, &x->pols, p);
	free(p);
}

/* Reference the policy of kind @t with @addr as the peer @cfg has it, if configured. */
static struct xpol *xfrm_ref_at(struct mip_xfrm *x, struct in_addr cfg, struct in_addr addr,
				enum conf_ipsec_traffic t, enum xfrm_role role, uint8_t proto)
{
	struct xpol want;

	return xfrm_want(x, cfg, addr, t, role, proto, &want) ? xpol_ref(x, &want) : NULL;
}

static struct xpol *xfrm_ref(struct mip_xfrm *x, struct in_addr peer, enum conf_ipsec_traffic t,
			     enum xfrm_role role, uint8_t proto)
{
	return xfrm_ref_at(x, peer, peer, t, role, proto);
}

/* ---- peers ---- */

static struct xpeer *xpeer_find(struct mip_xfrm *x, struct in_addr a)
{
	struct xpeer key = { .addr = a };

	return RB_FIND(xpeer_tree, &x->peers, &key);
}

static void xpeer_linger_end(struct mip_xfrm *x, struct xpeer *pe, int role)
{
	for (int i = 0; i < 2; i++) {
		xpol_unref(x, pe->use[role][i]);
		pe->use[role][i] = NULL;
	}
}

static void xpeer_linger_ha(struct mip_timer *t)
{
	struct xpeer *pe = container_of(t, struct xpeer, linger[XFRM_ROLE_HA]);

	xpeer_linger_end(pe->x, pe, XFRM_ROLE_HA);
}

static void xpeer_linger_fa(struct mip_timer *t)
{
	struct xpeer *pe = container_of(t, struct xpeer, linger[XFRM_ROLE_FA]);

	xpeer_linger_end(pe->x, pe, XFRM_ROLE_FA);
}

static struct xpeer *xpeer_get(struct mip_xfrm *x, struct in_addr a)
{
	struct xpeer *pe = xpeer_find(x, a);

	if (pe)
		return pe;
	pe = calloc(1, sizeof(*pe));
	if (!pe) {
		log_warnx("xfrm", "out of memory");
		return NULL;
	}
	pe->x = x;
	pe->addr = a;
	timer_init(&pe->linger[XFRM_ROLE_HA], xpeer_linger_ha);
	timer_init(&pe->linger[XFRM_ROLE_FA], xpeer_linger_fa);
	RB_INSERT(xpeer_tree, &x->peers, pe);
	return pe;
}

/* The request/reply policies a peer in use needs in @role. */
static void xpeer_use_refs(struct mip_xfrm *x, struct in_addr a, int role, struct xpol *out[2])
{
	if (role == XFRM_ROLE_HA) {
		out[0] = xfrm_ref(x, a, CONF_IPSEC_REPLY, XFRM_ROLE_HA, 0);
		out[1] = NULL;
	} else {
		out[0] = xfrm_ref(x, a, CONF_IPSEC_REQUEST, XFRM_ROLE_FA, 0);
		out[1] = xfrm_ref(x, a, CONF_IPSEC_REPLY, XFRM_ROLE_FA, 0);
	}
}

static uint64_t xfrm_linger_ms(const struct mip_xfrm *x)
{
	uint64_t fa = ((uint64_t)x->c->fa.pending_timeout + 3) * 1000;

	return fa > XFRM_LINGER_MS ? fa : XFRM_LINGER_MS;
}

void xfrm_peer_used(struct mip_xfrm *x, struct in_addr peer, enum xfrm_role role)
{
	const struct conf_peer *cp;
	struct xpeer *pe;

	if (!x || !(cp = conf_find_peer(x->c, peer)) || !cp->ipsec.present)
		return;
	pe = xpeer_get(x, peer);
	if (!pe)
		return;
	if (!timer_pending(&pe->linger[role]))
		xpeer_use_refs(x, peer, role, pe->use[role]);
	timer_schedule(&x->loop->timers, &pe->linger[role], mip_now_ms() + xfrm_linger_ms(x));
}

/* ---- bindings and visitors ---- */

/* Count @b in its peers' figures, or take it out of them. */
static void xb_count(struct mip_xfrm *x, struct xb *b, bool add)
{
	if (!add) {
		if (b->cvia && b->role == XFRM_ROLE_HA)
			b->cvia->bindings--;
		else if (b->cvia)
			b->cvia->visitors--;
		if (b->ctun)
			b->ctun->tunnels--;
		b->cvia = b->ctun = NULL;
		return;
	}
	/* a home agent's tunnel to a care-of address that is not itself a peer
	 * is covered by the peer (foreign agent) the registration came through */
	{
		const struct conf_peer *cp = conf_find_peer(x->c, b->tun);

		b->tcfg = cp && cp->ipsec.present ? b->tun : b->via;
	}
	b->cvia = conf_find_peer(x->c, b->via) ? xpeer_get(x, b->via) : NULL;
	b->ctun = b->role == XFRM_ROLE_HA && conf_find_peer(x->c, b->tcfg) ? xpeer_get(x, b->tcfg) :
		  NULL;
	if (b->cvia && b->role == XFRM_ROLE_HA)
		b->cvia->bindings++;
	else if (b->cvia)
		b->cvia->visitors++;
	if (b->ctun)
		b->ctun->tunnels++;
}

/* The policies @b needs now. */
static void xb_refs(struct mip_xfrm *x, const struct xb *b, struct xpol *out[4])
{
	uint8_t proto = encaps_proto(b->flags);
	bool t = b->flags & MIP_RRQ_T;

	memset(out, 0, 4 * sizeof(*out));
	if (b->role == XFRM_ROLE_HA) {
		out[0] = xfrm_ref(x, b->via, CONF_IPSEC_REPLY, XFRM_ROLE_HA, 0);
		out[1] = xfrm_ref_at(x, b->tcfg, b->tun, CONF_IPSEC_FORWARD, XFRM_ROLE_HA, proto);
		if (t)
			out[2] = xfrm_ref_at(x, b->tcfg, b->tun, CONF_IPSEC_REVERSE, XFRM_ROLE_HA, proto);
	} else {
		out[0] = xfrm_ref(x, b->via, CONF_IPSEC_REQUEST, XFRM_ROLE_FA, 0);
		out[1] = xfrm_ref(x, b->via, CONF_IPSEC_REPLY, XFRM_ROLE_FA, 0);
		out[2] = xfrm_ref(x, b->tun, CONF_IPSEC_FORWARD, XFRM_ROLE_FA, proto);
		if (t)
			out[3] = xfrm_ref(x, b->tun, CONF_IPSEC_REVERSE, XFRM_ROLE_FA, proto);
	}
}

static void xb_free(struct mip_xfrm *x, struct xb *b)
{
	for (int i = 0; i < 4; i++)
		xpol_unref(x, b->pol[i]);
	xb_count(x, b, false);
	RB_REMOVE(xb_tree, &x->bs, b);
	free(b);
}

/* A binding or visitor added or changed (@key filled in), or gone. */
static void xb_update(struct mip_xfrm *x, const struct xb *key, uint8_t flags, bool gone)
{
	struct xb *b = RB_FIND(xb_tree, &x->bs, (struct xb *)key);
	struct xpol *old[4] = { NULL };

	if (gone) {
		if (b)
			xb_free(x, b);
		return;
	}
	if (!b) {
		if (!conf_find_peer(x->c, key->via) && !conf_find_peer(x->c, key->tun))
			return;         /* nothing to do with a peer */
		b = calloc(1, sizeof(*b));
		if (!b) {
			log_warnx("xfrm", "out of memory");
			return;
		}
		*b = *key;
		RB_INSERT(xb_tree, &x->bs, b);
	} else {
		memcpy(old, b->pol, sizeof(old));
		xb_count(x, b, false);
		b->via = key->via;
		b->tun = key->tun;
	}
	b->flags = flags;
	xb_count(x, b, true);
	xb_refs(x, b, b->pol);                  /* the new ones first: no gap */
	for (int i = 0; i < 4; i++)
		xpol_unref(x, old[i]);
}

static void xfrm_event(const struct mip_event *ev, void *arg)
{
	struct mip_xfrm *x = arg;
	struct xb key;

	memset(&key, 0, sizeof(key));
	key.hoa = ev->hoa;
	switch (ev->type) {
	case MIP_EV_VISITOR_ADDED:
	case MIP_EV_VISITOR_REMOVED:
		key.role = XFRM_ROLE_FA;
		key.k2 = ev->ha;
		key.ifindex = ev->ifindex;
		key.via = key.tun = ev->ha;
		xb_update(x, &key, ev->flags, ev->type == MIP_EV_VISITOR_REMOVED);
		break;
	case MIP_EV_BINDING_ADDED:
	case MIP_EV_BINDING_RENEWED:
	case MIP_EV_BINDING_REMOVED:
	case MIP_EV_BINDING_EXPIRED:
		key.role = XFRM_ROLE_HA;
		key.k2 = ev->coa;
		key.via = ev->peer;
		key.tun = ev->coa;
		xb_update(x, &key, ev->flags, ev->type == MIP_EV_BINDING_REMOVED ||
			  ev->type == MIP_EV_BINDING_EXPIRED);
		break;
	case MIP_EV_VISITOR_RENEWED:    /* nothing the policies depend on changed */
	case MIP_EV_SEC_VIOLATION:
		break;
	}
}

/* ---- start, reload, shutdown ---- */

static bool any_ipsec(const struct conf *c)
{
	for (size_t i = 0; i < c->n_peers; i++)
		if (c->peers[i].ipsec.present)
			return true;
	return false;
}

/* Hold the home agent's request policy of every peer of @c. */
static void xfrm_hold_permanent(struct mip_xfrm *x)
{
	for (size_t i = 0; x->c->ha.enabled && i < x->c->n_peers; i++) {
		struct xpeer *pe = xpeer_get(x, x->c->peers[i].addr);

		if (pe && !pe->perm)
			pe->perm = xfrm_ref(x, pe->addr, CONF_IPSEC_REQUEST, XFRM_ROLE_HA, 0);
	}
}

struct mip_xfrm *xfrm_open(const struct conf *c, struct ev_loop *loop)
{
	struct mip_xfrm *x = calloc(1, sizeof(*x));
	int n;

	if (!x) {
		log_warnx("xfrm", "out of memory");
		return NULL;
	}
	x->c = c;
	x->loop = loop;
	x->next_index = XFRM_INDEX_BASE;
	RB_INIT(&x->pols);
	RB_INIT(&x->bs);
	RB_INIT(&x->peers);
	if (any_ipsec(c)) {
		if (!xfrm_sock(x)) {
			log_err("xfrm", "IPsec is configured for a peer, but XFRM cannot be used");
			free(x);
			return NULL;
		}
		n = xfrm_flush(x);
		if (n > 0)
			log_info("xfrm", "removed %d leftover policies of an earlier run", n);
	}
	if (notify_listen(xfrm_event, x) < 0) {
		log_warnx("xfrm", "cannot listen to binding events: too many listeners");
		xfrm_close(x);
		return NULL;
	}
	x->listening = true;
	xfrm_hold_permanent(x);
	return x;
}

void xfrm_close(struct mip_xfrm *x)
{
	struct xb *b;
	struct xpeer *pe;

	if (!x)
		return;
	if (x->listening)
		notify_unlisten(xfrm_event, x);
	while ((b = RB_MIN(xb_tree, &x->bs)))
		xb_free(x, b);
	while ((pe = RB_MIN(xpeer_tree, &x->peers))) {
		for (int r = 0; r < 2; r++) {
			timer_cancel(&x->loop->timers, &pe->linger[r]);
			xpeer_linger_end(x, pe, r);
		}
		xpol_unref(x, pe->perm);
		RB_REMOVE(xpeer_tree, &x->peers, pe);
		free(pe);
	}
	/* everything is unreferenced by now; whatever the kernel still has with
	 * our priority (policies whose index we never learnt) goes too */
	xfrm_flush(x);
	if (x->sk)
		nl_socket_free(x->sk);
	free(x);
}

int xfrm_reload_check(const struct conf *old, const struct conf *new, FILE *err, void *arg)
{
	struct mip_xfrm *x = arg;

	(void)old;
	if (any_ipsec(new) && !xfrm_sock(x)) {
		fprintf(err, "IPsec is configured for a peer, but XFRM cannot be used\n");
		return -1;
	}
	return 0;
}

void xfrm_reload_apply(const struct conf *old, const struct conf *new, void *arg)
{
	struct mip_xfrm *x = arg;
	struct xpeer *pe;
	struct xb *b;

	(void)old;
	x->c = new;
	/* every holder takes its new references before dropping the old ones */
	RB_FOREACH(pe, xpeer_tree, &x->peers) {
		struct xpol *perm = pe->perm;

		pe->perm = new->ha.enabled ? xfrm_ref(x, pe->addr, CONF_IPSEC_REQUEST, XFRM_ROLE_HA, 0) :
			   NULL;
		xpol_unref(x, perm);
		for (int r = 0; r < 2; r++) {
			struct xpol *use[2] = { pe->use[r][0], pe->use[r][1] };

			if (!timer_pending(&pe->linger[r]))
				continue;
			xpeer_use_refs(x, pe->addr, r, pe->use[r]);
			xpol_unref(x, use[0]);
			xpol_unref(x, use[1]);
		}
	}
	xfrm_hold_permanent(x);
	RB_FOREACH(b, xb_tree, &x->bs) {
		struct xpol *was[4];

		memcpy(was, b->pol, sizeof(was));
		xb_count(x, b, false);
		xb_count(x, b, true);           /* peers added or removed */
		xb_refs(x, b, b->pol);
		for (int i = 0; i < 4; i++)
			xpol_unref(x, was[i]);
	}
	if (!any_ipsec(new) && RB_EMPTY(&x->pols) && x->sk) {
		nl_socket_free(x->sk);
		x->sk = NULL;
	}
	x->sk_failed = false;
}

void xfrm_peer_stats(struct mip_xfrm *x, struct in_addr peer, struct xfrm_peer_stats *st)
{
	struct xpeer *pe;
	struct xpol *p;

	memset(st, 0, sizeof(*st));
	if (!x)
		return;
	pe = xpeer_find(x, peer);
	if (pe) {
		st->bindings = pe->bindings;
		st->tunnels = pe->tunnels;
		st->visitors = pe->visitors;
	}
	RB_FOREACH(p, xpol_tree, &x->pols) {
		if (p->peer.s_addr != peer.s_addr)
			continue;
		if (p->index)
			st->installed[p->kind]++;
		else
			st->failed++;
	}
}
