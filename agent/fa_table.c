/* The foreign agent's pending registrations and visitor list: ordered
 * trees, timers and the entry state machines (see fa.h). */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "counters.h"
#include "event.h"
#include "fa_int.h"
#include "log.h"
#include "node.h"
#include "notify.h"

/* ---- ordering ---- */

static int pkey_cmp(const struct fa_pkey *a, const struct fa_pkey *b)
{
	int c = addr_cmp(a->hoa, b->hoa);

	if (c)
		return c;
	if (a->id_low != b->id_low)
		return a->id_low < b->id_low ? -1 : 1;
	c = addr_cmp(a->ha, b->ha);
	if (c)
		return c;
	if (a->nai_len != b->nai_len)
		return a->nai_len < b->nai_len ? -1 : 1;
	return memcmp(a->nai, b->nai, a->nai_len);
}

static int pending_cmp(const struct fa_pending *a, const struct fa_pending *b)
{
	return pkey_cmp(&a->key, &b->key);
}

static int visitor_cmp(const struct fa_visitor *a, const struct fa_visitor *b)
{
	int c = addr_cmp(a->hoa, b->hoa);

	if (c)
		return c;
	c = addr_cmp(a->ha, b->ha);
	if (c)
		return c;
	return (a->ifindex > b->ifindex) - (a->ifindex < b->ifindex);
}

RB_GENERATE_STATIC(fa_ptree, fa_pending, rb, pending_cmp)
RB_GENERATE_STATIC(fa_vtree, fa_visitor, rb, visitor_cmp)

void fa_tables_init(struct mip_fa *fa)
{
	RB_INIT(&fa->pending);
	RB_INIT(&fa->visitors);
	fa->n_pending = fa->n_visitors = 0;
}

/* ---- state machines ---- */

static const char *const pstate_names[] = { [FA_P_RELAYED] = "relayed", [FA_P_GONE] = "gone" };
static const char *const vstate_names[] = {
	[FA_V_NONE] = "none", [FA_V_ACTIVE] = "active", [FA_V_GONE] = "gone",
};

enum fa_vevent { FA_VE_ACCEPT, FA_VE_DEREG, FA_VE_EXPIRE, FA_VE_CLEAR, FA_VE_RESTORE };
static const char *const vevent_names[] = {
	[FA_VE_ACCEPT] = "accepted", [FA_VE_DEREG] = "deregistered",
	[FA_VE_EXPIRE] = "expired", [FA_VE_CLEAR] = "cleared", [FA_VE_RESTORE] = "restored",
};

typedef void (*fa_vaction)(struct fa_visitor *v, const struct fa_vupdate *u);
static void fa_v_install(struct fa_visitor *v, const struct fa_vupdate *u);
static void fa_v_renew(struct fa_visitor *v, const struct fa_vupdate *u);
static void fa_v_release(struct fa_visitor *v, const struct fa_vupdate *u);
static void fa_v_restored(struct fa_visitor *v, const struct fa_vupdate *u);

/* {state, event, action, next state} */
static const struct {
	enum fa_vstate from;
	enum fa_vevent ev;
	fa_vaction action;
	enum fa_vstate to;
} vfsm[] = {
	{ FA_V_NONE, FA_VE_ACCEPT, fa_v_install, FA_V_ACTIVE },
	{ FA_V_NONE, FA_VE_RESTORE, fa_v_restored, FA_V_ACTIVE },
	{ FA_V_ACTIVE, FA_VE_ACCEPT, fa_v_renew, FA_V_ACTIVE },
	{ FA_V_ACTIVE, FA_VE_DEREG, fa_v_release, FA_V_GONE },
	{ FA_V_ACTIVE, FA_VE_EXPIRE, fa_v_release, FA_V_GONE },
	{ FA_V_ACTIVE, FA_VE_CLEAR, fa_v_release, FA_V_GONE },
};

static void fa_visitor_event(struct fa_visitor *v, enum fa_vevent ev, const struct fa_vupdate *u)
{
	char h[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN];
	enum fa_vstate from = v->state;

	for (size_t i = 0; i < sizeof(vfsm) / sizeof(vfsm[0]); i++) {
		if (vfsm[i].from != from || vfsm[i].ev != ev)
			continue;
		log_debug("fa", "visitor %s (home agent %s): %s --%s--> %s", fa_ntoa(v->hoa, h),
			  fa_ntoa(v->ha, a), vstate_names[from], vevent_names[ev], vstate_names[vfsm[i].to]);
		v->state = vfsm[i].to;
		vfsm[i].action(v, u);     /* may free v (to GONE) */
		return;
	}
	log_warnx("fa", "visitor %s: no transition from %s on %s", fa_ntoa(v->hoa, h),
		  vstate_names[from], vevent_names[ev]);
}

/* ---- pending requests ---- */

struct fa_pending *fa_pending_find(struct mip_fa *fa, const struct fa_pkey *k)
{
	struct fa_pending key;

	key.key = *k;
	return RB_FIND(fa_ptree, &fa->pending, &key);
}

/* The first entry with home address @hoa and Identification @id_low. */
static struct fa_pending *pending_lower(struct mip_fa *fa, struct in_addr hoa, uint32_t id_low)
{
	struct fa_pending key;

	memset(&key.key, 0, sizeof(key.key));
	key.key.hoa = hoa;
	key.key.id_low = id_low;
	return RB_NFIND(fa_ptree, &fa->pending, &key);
}

static bool nai_eq(const struct fa_pending *p, const uint8_t *nai, size_t len)
{
	return p->key.nai_len == len && (!len || !memcmp(p->key.nai, nai, len));
}

struct fa_pending *fa_pending_match(struct mip_fa *fa, struct in_addr hoa, uint32_t id_low,
				    struct in_addr ha, const uint8_t *nai, size_t nai_len)
{
	struct fa_pending *p, *best = NULL;
	int best_score = -1;

	for (int pass = 0; pass < 2 && !best; pass++) {
		/* the second pass: requests sent with home address 0.0.0.0 (RFC 2794) */
		struct in_addr h = pass ? (struct in_addr){ INADDR_ANY } : hoa;

		if (pass && (!nai || hoa.s_addr == INADDR_ANY))
			break;
		for (p = pending_lower(fa, h, id_low);
		     p && p->key.hoa.s_addr == h.s_addr && p->key.id_low == id_low;
		     p = RB_NEXT(fa_ptree, &fa->pending, p)) {
			int score = (nai && nai_eq(p, nai, nai_len)) * 2 + (p->key.ha.s_addr == ha.s_addr);

			if (pass && !(nai && nai_eq(p, nai, nai_len)))
				continue;
			if (score > best_score) {
				best = p;
				best_score = score;
			}
		}
	}
	return best;
}

struct fa_pending *fa_pending_latest(struct mip_fa *fa, struct in_addr hoa, struct in_addr ha)
{
	struct fa_pending *p, *best = NULL;

	for (p = pending_lower(fa, hoa, 0); p && p->key.hoa.s_addr == hoa.s_addr;
	     p = RB_NEXT(fa_ptree, &fa->pending, p))
		if (p->key.ha.s_addr == ha.s_addr && (!best || p->created_ms >= best->created_ms))
			best = p;
	return best;
}

size_t fa_pending_of_node(struct mip_fa *fa, const struct fa_pkey *k)
{
	struct fa_pending *p;
	size_t n = 0;

	for (p = pending_lower(fa, k->hoa, 0); p && p->key.hoa.s_addr == k->hoa.s_addr;
	     p = RB_NEXT(fa_ptree, &fa->pending, p))
		if (k->hoa.s_addr != INADDR_ANY || nai_eq(p, k->nai, k->nai_len))
			n++;
	return n;
}

struct fa_pending *fa_pending_new(struct mip_fa *fa, const struct fa_pkey *k)
{
	struct fa_pending *p;

	/* <limits max-pending>: a flood of requests for many home addresses
	 * must not grow the table without bound (the caller answers 66) */
	if (fa->c->limits.max_pending && fa->n_pending >= fa->c->limits.max_pending)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->fa = fa;
	p->key = *k;
	p->state = FA_P_RELAYED;
	p->created_ms = fa->mono_now();
	timer_init(&p->timer, fa_pending_timeout);
	RB_INSERT(fa_ptree, &fa->pending, p);
	fa->n_pending++;
	return p;
}

void fa_pending_end(struct fa_pending *p, const char *event)
{
	struct mip_fa *fa = p->fa;
	char h[INET_ADDRSTRLEN];

	log_debug("fa", "pending %s id %08x: %s --%s--> %s", fa_ntoa(p->key.hoa, h), p->key.id_low,
		  pstate_names[p->state], event, pstate_names[FA_P_GONE]);
	p->state = FA_P_GONE;
	timer_cancel(fa->timers, &p->timer);
	RB_REMOVE(fa_ptree, &fa->pending, p);
	fa->n_pending--;
	free(p);
}

const struct fa_pending *fa_pending_first(const struct mip_fa *fa)
{
	return RB_MIN(fa_ptree, &((struct mip_fa *)fa)->pending);
}

const struct fa_pending *fa_pending_next(const struct mip_fa *fa, const struct fa_pkey *after)
{
	struct fa_pending key, *p;

	key.key = *after;
	p = RB_NFIND(fa_ptree, &((struct mip_fa *)fa)->pending, &key);
	if (p && !pkey_cmp(&p->key, after))
		p = RB_NEXT(fa_ptree, &((struct mip_fa *)fa)->pending, p);
	return p;
}

size_t fa_pending_count(const struct mip_fa *fa)
{
	return fa->n_pending;
}

/* ---- visitors ---- */

struct fa_visitor *fa_visitor_find(struct mip_fa *fa, struct in_addr hoa, struct in_addr ha, int ifindex)
{
	struct fa_visitor key = { .hoa = hoa, .ha = ha, .ifindex = ifindex };

	return RB_FIND(fa_vtree, &fa->visitors, &key);
}

/* The visitor and event being announced (fa_visitor_of_event()). */
static const struct fa_visitor *announcing_v;
static const struct mip_event *announcing_ev;

const struct fa_visitor *fa_visitor_of_event(const struct mip_event *ev)
{
	return ev && ev == announcing_ev ? announcing_v : NULL;
}

static void fa_visitor_announce(const struct fa_visitor *v, enum mip_event_type type)
{
	struct mip_event ev = {
		.type = type, .hoa = v->hoa, .coa = v->coa, .peer = v->src, .port = v->sport,
		.id = v->id, .lifetime = v->lifetime, .flags = v->flags, .ha = v->ha,
		.ifindex = v->ifindex,
	};

	if (v->have_mac)
		memcpy(ev.mac, v->mac, sizeof(ev.mac));
	announcing_v = v;
	announcing_ev = &ev;
	notify(&ev);
	announcing_v = NULL;
	announcing_ev = NULL;
}

static void fa_visitor_expired(struct mip_timer *t)
{
	struct fa_visitor *v = container_of(t, struct fa_visitor, expiry);

	mip_count(MIP_CTR_FA_VISITORS_EXPIRED);
	fa_visitor_event(v, FA_VE_EXPIRE, NULL);
}

/* Take the registration's details from the pending request and (re)arm the lifetime. */
static void fa_v_fill(struct fa_visitor *v, const struct fa_vupdate *u)
{
	const struct fa_pending *p = u->p;
	struct mip_fa *fa = v->fa;

	v->coa = p->coa;
	v->src = p->src;
	v->sport = p->sport;
	if (p->have_mac) {
		memcpy(v->mac, p->mac, sizeof(v->mac));
		v->have_mac = true;
	}
	v->flags = p->flags;
	v->edeliv = p->edeliv;
	v->local = p->local;
	v->id = p->id;
	v->requested = p->lifetime;
	v->lifetime = u->lifetime;
	/* §3.7.3.2: the lifetime starts when the reply is forwarded */
	v->granted_ms = fa->mono_now();
	if (u->lifetime == MIP_LIFETIME_INFINITE)
		timer_cancel(fa->timers, &v->expiry);
	else
		timer_schedule(fa->timers, &v->expiry, v->granted_ms + (uint64_t)u->lifetime * 1000);
}

static void fa_v_install(struct fa_visitor *v, const struct fa_vupdate *u)
{
	char h[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];

	fa_v_fill(v, u);
	log_info("fa", "visitor %s care-of %s lifetime %u added", fa_ntoa(v->hoa, h),
		 fa_ntoa(v->coa, c), v->lifetime);
	fa_visitor_announce(v, MIP_EV_VISITOR_ADDED);
}

/* A re-registration: the data plane follows a new care-of address or flags. */
static void fa_v_renew(struct fa_visitor *v, const struct fa_vupdate *u)
{
	bool changed = v->coa.s_addr != u->p->coa.s_addr || v->flags != u->p->flags ||
		       v->edeliv != u->p->edeliv ||
		       (u->p->edeliv && v->local.s_addr != u->p->local.s_addr) ||
		       (u->p->have_mac && (!v->have_mac || memcmp(v->mac, u->p->mac, 6)));

	if (changed)
		fa_visitor_announce(v, MIP_EV_VISITOR_REMOVED);
	fa_v_fill(v, u);
	/* the state store keeps the new lifetime either way */
	fa_visitor_announce(v, changed ? MIP_EV_VISITOR_ADDED : MIP_EV_VISITOR_RENEWED);
}

static void fa_v_release(struct fa_visitor *v, const struct fa_vupdate *u)
{
	struct mip_fa *fa = v->fa;
	char h[INET_ADDRSTRLEN];

	(void)u;
	timer_cancel(fa->timers, &v->expiry);
	log_info("fa", "visitor %s removed", fa_ntoa(v->hoa, h));
	fa_visitor_announce(v, MIP_EV_VISITOR_REMOVED);
	RB_REMOVE(fa_vtree, &fa->visitors, v);
	fa->n_visitors--;
	fa_iface_visitors(fa, v->ifindex, -1);
	free(v);
}

/* A new entry in state NONE, in the list; NULL (logged) without memory. */
static struct fa_visitor *fa_visitor_new(struct mip_fa *fa, struct in_addr hoa, struct in_addr ha,
					 int ifindex)
{
	struct fa_visitor *v = calloc(1, sizeof(*v));

	if (!v) {
		log_warnx("fa", "out of memory: visitor not recorded");
		return NULL;
	}
	v->fa = fa;
	v->hoa = hoa;
	v->ha = ha;
	v->ifindex = ifindex;
	v->state = FA_V_NONE;
	timer_init(&v->expiry, fa_visitor_expired);
	RB_INSERT(fa_vtree, &fa->visitors, v);
	fa->n_visitors++;
	fa_iface_visitors(fa, v->ifindex, 1);
	return v;
}

void fa_visitor_accept(struct mip_fa *fa, const struct fa_vupdate *u)
{
	const struct fa_pending *p = u->p;
	struct fa_visitor *v = fa_visitor_find(fa, u->hoa, u->ha, p->ifindex);

	if (!v && !(v = fa_visitor_new(fa, u->hoa, u->ha, p->ifindex)))
		return;
	fa_visitor_event(v, FA_VE_ACCEPT, u);
}

static void fa_v_restored(struct fa_visitor *v, const struct fa_vupdate *u)
{
	char h[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];

	(void)u;
	log_info("fa", "visitor %s care-of %s restored, %u s of %u left", fa_ntoa(v->hoa, h),
		 fa_ntoa(v->coa, c), fa_visitor_remaining(v, v->fa->mono_now()), v->lifetime);
	fa_visitor_announce(v, MIP_EV_VISITOR_ADDED);
}

int fa_visitor_restore(struct mip_fa *fa, const struct fa_saved *s)
{
	const struct fa_iface *ifc = NULL;
	struct fa_visitor *v;
	uint64_t now = fa->mono_now(), used;
	char h[INET_ADDRSTRLEN];

	for (size_t i = 0; i < fa->n_ifs && !ifc; i++)
		if (!strcmp(fa->ifs[i].conf->name, s->ifname))
			ifc = &fa->ifs[i];
	if (!ifc) {
		log_info("fa", "stored visitor %s not restored: %s is not a foreign agent interface "
			 "any more", fa_ntoa(s->hoa, h), s->ifname);
		return -1;
	}
	if (fa_visitor_find(fa, s->hoa, s->ha, ifc->ifindex) ||
	    !(v = fa_visitor_new(fa, s->hoa, s->ha, ifc->ifindex)))
		return -1;
	v->coa = s->coa;
	v->src = s->src;
	v->sport = s->sport;
	memcpy(v->mac, s->mac, sizeof(v->mac));
	v->have_mac = s->have_mac;
	v->flags = s->flags;
	v->edeliv = s->edeliv;
	v->local = s->local;
	v->id = s->id;
	v->requested = s->requested;
	v->lifetime = s->lifetime;
	v->granted_ms = now;
	if (s->lifetime != MIP_LIFETIME_INFINITE) {
		/* granted as long before now as its lifetime has run */
		used = (uint64_t)s->lifetime * 1000 > s->remaining_ms ?
		       (uint64_t)s->lifetime * 1000 - s->remaining_ms : 0;
		v->granted_ms = now > used ? now - used : 0;
		if (timer_schedule(fa->timers, &v->expiry, now + s->remaining_ms) < 0) {
			RB_REMOVE(fa_vtree, &fa->visitors, v);
			fa->n_visitors--;
			fa_iface_visitors(fa, v->ifindex, -1);
			free(v);
			return -1;
		}
	}
	fa_visitor_event(v, FA_VE_RESTORE, NULL);
	return 0;
}

void fa_visitor_dereg(struct mip_fa *fa, struct in_addr hoa, struct in_addr ha, int ifindex)
{
	struct fa_visitor *v = fa_visitor_find(fa, hoa, ha, ifindex);

	if (v)
		fa_visitor_event(v, FA_VE_DEREG, NULL);
}

const struct fa_visitor *fa_visitor_first(const struct mip_fa *fa)
{
	return RB_MIN(fa_vtree, &((struct mip_fa *)fa)->visitors);
}

const struct fa_visitor *fa_visitor_next(const struct mip_fa *fa, struct in_addr hoa,
					 struct in_addr ha, int ifindex)
{
	struct fa_visitor key = { .hoa = hoa, .ha = ha, .ifindex = ifindex }, *v;

	v = RB_NFIND(fa_vtree, &((struct mip_fa *)fa)->visitors, &key);
	if (v && !visitor_cmp(v, &key))
		v = RB_NEXT(fa_vtree, &((struct mip_fa *)fa)->visitors, v);
	return v;
}

size_t fa_visitor_count(const struct mip_fa *fa)
{
	return fa->n_visitors;
}

uint32_t fa_visitor_remaining(const struct fa_visitor *v, uint64_t now_ms)
{
	uint64_t end;

	if (v->lifetime == MIP_LIFETIME_INFINITE)
		return MIP_LIFETIME_INFINITE;
	end = v->granted_ms + (uint64_t)v->lifetime * 1000;
	return end > now_ms ? (uint32_t)((end - now_ms + 999) / 1000) : 0;
}

size_t fa_clear_visitors(struct mip_fa *fa, struct in_addr hoa)
{
	struct fa_visitor *v, *next;
	size_t n = 0;

	for (v = RB_MIN(fa_vtree, &fa->visitors); v; v = next) {
		next = RB_NEXT(fa_vtree, &fa->visitors, v);
		if (hoa.s_addr != INADDR_ANY && v->hoa.s_addr != hoa.s_addr)
			continue;
		fa_visitor_event(v, FA_VE_CLEAR, NULL);
		n++;
	}
	return n;
}

void fa_tables_free(struct mip_fa *fa)
{
	struct fa_pending *p;

	fa_clear_visitors(fa, (struct in_addr){ INADDR_ANY });
	while ((p = RB_MIN(fa_ptree, &fa->pending)))
		fa_pending_end(p, "shutdown");
}
