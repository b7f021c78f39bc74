/* The userspace tunnel engine's lookup tables: forward, reverse, decapsulation filters, peers. */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "encap.h"
#include "timer.h"
#include "utun.h"
#include "utun_int.h"


/* ---- hash tables: chained, keyed by up to four IPv4 addresses ---- */

static uint32_t hkey_hash(const struct hkey *k)
{
	uint32_t h = k->k[0] * 0x9e3779b1u;

	h ^= (k->k[1] * 0x85ebca77u) ^ (h >> 15);
	h ^= (k->k[2] * 0xc2b2ae3du) ^ (h >> 13);
	h ^= (k->k[3] * 0x27d4eb2fu) ^ (h >> 16);
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static int htab_init(struct htab *t)
{
	t->mask = 63;
	t->n = 0;
	t->b = calloc(t->mask + 1, sizeof(*t->b));
	return t->b ? 0 : -1;
}

struct hnode *utun_htab_find(const struct htab *t, const struct hkey *k)
{
	uint32_t h = hkey_hash(k);
	struct hnode *n;

	for (n = t->b[h & t->mask]; n; n = n->next)
		if (n->hash == h && !memcmp(&n->key, k, sizeof(*k)))
			return n;
	return NULL;
}

/* Insert @n (its key set); grows the table when it gets full. */
static void htab_insert(struct htab *t, struct hnode *n)
{
	n->hash = hkey_hash(&n->key);
	if (t->n >= t->mask + 1 && t->mask < (1u << 24)) {
		uint32_t nmask = t->mask * 2 + 1;
		struct hnode **nb = calloc(nmask + 1, sizeof(*nb));

		if (nb) {       /* on failure keep the longer chains */
			for (uint32_t i = 0; i <= t->mask; i++) {
				struct hnode *x = t->b[i], *next;

				for (; x; x = next) {
					next = x->next;
					x->next = nb[x->hash & nmask];
					nb[x->hash & nmask] = x;
				}
			}
			free(t->b);
			t->b = nb;
			t->mask = nmask;
		}
	}
	n->next = t->b[n->hash & t->mask];
	t->b[n->hash & t->mask] = n;
	t->n++;
}

static void htab_remove(struct htab *t, struct hnode *n)
{
	struct hnode **pp = &t->b[n->hash & t->mask];

	for (; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			t->n--;
			return;
		}
}

/* Free every node (each is the start of one malloc'd object) and the table. */
static void htab_free(struct htab *t, void (*free_node)(struct hnode *))
{
	if (!t->b)
		return;
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct hnode *x = t->b[i], *next;

		for (; x; x = next) {
			next = x->next;
			free_node(x);
		}
	}
	free(t->b);
	t->b = NULL;
}

/* ---- peers: remote tunnel ends, reference counted ---- */

static struct peer *peer_get(struct utun *u, struct in_addr remote)
{
	struct hkey k = hkey1(remote);
	struct peer *p = (struct peer *)utun_htab_find(&u->peers, &k);

	if (p) {
		p->refs++;
		return p;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->h.key = k;
	p->remote = remote;
	p->refs = 1;
	p->id = (uint16_t)(mip_now_ms() * 2654435761u >> 7);
	u->now = mip_now_ms();
	utun_peer_refresh(u, p);
	htab_insert(&u->peers, &p->h);
	return p;
}

static void peer_put(struct utun *u, struct peer *p)
{
	if (--p->refs)
		return;
	htab_remove(&u->peers, &p->h);
	free(p);
}

int utun_peer_hold(struct utun *u, struct in_addr remote)
{
	return peer_get(u, remote) ? 0 : -1;
}

void utun_peer_release(struct utun *u, struct in_addr remote)
{
	struct hkey k = hkey1(remote);
	struct peer *p = (struct peer *)utun_htab_find(&u->peers, &k);

	if (p)
		peer_put(u, p);
}

struct peer *utun_peer_find(struct utun *u, struct in_addr remote)
{
	struct hkey k = hkey1(remote);

	return (struct peer *)utun_htab_find(&u->peers, &k);
}

void utun_set_resolver(struct utun *u, const struct utun_resolver *r)
{
	u->resolver = r ? *r : (struct utun_resolver){ 0 };
}

/* ---- the tables of one engine ---- */

static void free_fwd(struct hnode *n)
{
	free(((struct fwd *)n)->t);
	free(n);
}

static void free_node(struct hnode *n)
{
	free(n);
}

int utun_table_init(struct utun *u)
{
	if (htab_init(&u->fwd) || htab_init(&u->rev) || htab_init(&u->pairs) ||
	    htab_init(&u->filters) || htab_init(&u->peers))
		return -1;
	return 0;
}

void utun_table_free(struct utun *u)
{
	htab_free(&u->fwd, free_fwd);
	htab_free(&u->rev, free_node);
	htab_free(&u->pairs, free_node);
	htab_free(&u->filters, free_node);
	htab_free(&u->peers, free_node);
}

/* ---- decapsulation filters on the input path ---- */

static struct dfilt *filter_get(struct utun *u, const struct encap_decap *d, struct in_addr s,
			       struct in_addr t)
{
	struct hkey k = hkey4(d->outer_src, d->outer_dst, s, t);

	return (struct dfilt *)utun_htab_find(&u->filters, &k);
}

static bool utun_resolver_accepts(struct utun *u, const struct encap_decap *d)
{
	return u->resolver.accepts &&
	       u->resolver.accepts(u->resolver.arg, d->outer_src, d->outer_dst, ip_src(d->inner));
}

bool utun_decap_allowed(struct utun *u, const struct encap_decap *d, bool *reverse, int *link)
{
	struct hkey k = hkey4(d->outer_src, d->outer_dst, (struct in_addr){ 0 }, (struct in_addr){ 0 });
	struct dpair *pr = (struct dpair *)utun_htab_find(&u->pairs, &k);
	struct in_addr any = { 0 }, is, id;
	struct dfilt *f[DF_NCLASS] = { NULL };
	bool ok = false;

	*reverse = false;
	*link = 0;
	if (!pr)
		return utun_resolver_accepts(u, d);
	is = ip_src(d->inner);
	id = ip_dst(d->inner);
	if (pr->cls[DF_ANY])
		f[DF_ANY] = filter_get(u, d, any, any);
	if (pr->cls[DF_S])
		f[DF_S] = filter_get(u, d, is, any);
	if (pr->cls[DF_D])
		f[DF_D] = filter_get(u, d, any, id);
	if (pr->cls[DF_SD])
		f[DF_SD] = filter_get(u, d, is, id);
	for (int i = 0; i < DF_NCLASS; i++)
		if (f[i]) {
			ok = true;
			if (f[i]->rev_refs)
				*reverse = true;
			if (f[i]->link)
				*link = f[i]->link;
		}
	return ok || utun_resolver_accepts(u, d);
}

/* ---- adding and removing tunnels and filters ---- */

static int encap_valid(enum dp_encap e)
{
	if (e != DP_ENCAP_IPIP && e != DP_ENCAP_MINIMAL && e != DP_ENCAP_GRE) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int utun_fwd_add(struct utun *u, struct in_addr inner_dst, struct in_addr local,
		 struct in_addr remote, enum dp_encap encap)
{
	struct hkey k = hkey1(inner_dst);
	struct fwd *f = (struct fwd *)utun_htab_find(&u->fwd, &k);
	struct tunnel *t;
	bool fresh = false;

	if (encap_valid(encap) < 0)
		return -1;
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return -1;
		f->h.key = k;
		fresh = true;
	}
	for (unsigned i = 0; i < f->n; i++)
		if (f->t[i].remote.s_addr == remote.s_addr) {
			f->t[i].local = local;
			f->t[i].encap = encap;
			return 0;
		}
	if (f->n == UTUN_MAX_TUNNELS) {
		errno = ENOSPC;
		return -1;
	}
	if (f->n == f->cap) {
		unsigned ncap = f->cap ? f->cap * 2 : 2;
		struct tunnel *nt = realloc(f->t, ncap * sizeof(*nt));

		if (!nt)
			goto fail;
		f->t = nt;
		f->cap = ncap;
	}
	t = &f->t[f->n];
	t->peer = peer_get(u, remote);
	if (!t->peer)
		goto fail;
	t->local = local;
	t->remote = remote;
	t->encap = encap;
	f->n++;
	if (fresh)
		htab_insert(&u->fwd, &f->h);
	return 0;
fail:
	if (fresh)
		free_fwd(&f->h);
	errno = ENOMEM;
	return -1;
}

int utun_fwd_del(struct utun *u, struct in_addr inner_dst, struct in_addr remote)
{
	struct hkey k = hkey1(inner_dst);
	struct fwd *f = (struct fwd *)utun_htab_find(&u->fwd, &k);

	if (f)
		for (unsigned i = 0; i < f->n; i++) {
			if (f->t[i].remote.s_addr != remote.s_addr)
				continue;
			peer_put(u, f->t[i].peer);
			f->t[i] = f->t[--f->n];
			if (!f->n) {
				htab_remove(&u->fwd, &f->h);
				free_fwd(&f->h);
			}
			return 0;
		}
	errno = ENOENT;
	return -1;
}

static int rev_add(struct utun *u, struct hkey k, struct in_addr local, struct in_addr remote,
		   enum dp_encap encap)
{
	struct rev *r = (struct rev *)utun_htab_find(&u->rev, &k);
	struct peer *p;

	if (encap_valid(encap) < 0)
		return -1;
	p = peer_get(u, remote);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	if (r) {
		peer_put(u, r->t.peer);
	} else {
		r = calloc(1, sizeof(*r));
		if (!r) {
			peer_put(u, p);
			errno = ENOMEM;
			return -1;
		}
		r->h.key = k;
		htab_insert(&u->rev, &r->h);
	}
	r->t.local = local;
	r->t.remote = remote;
	r->t.encap = encap;
	r->t.peer = p;
	return 0;
}

static int rev_del(struct utun *u, struct hkey k)
{
	struct rev *r = (struct rev *)utun_htab_find(&u->rev, &k);

	if (!r) {
		errno = ENOENT;
		return -1;
	}
	peer_put(u, r->t.peer);
	htab_remove(&u->rev, &r->h);
	free(r);
	return 0;
}

int utun_rev_add(struct utun *u, struct in_addr inner_src, struct in_addr local,
		 struct in_addr remote, enum dp_encap encap)
{
	return rev_add(u, rev_key(inner_src, 0), local, remote, encap);
}

int utun_rev_del(struct utun *u, struct in_addr inner_src)
{
	return rev_del(u, rev_key(inner_src, 0));
}

int utun_rev_add_link(struct utun *u, int link, struct in_addr inner_src, struct in_addr local,
		      struct in_addr remote, enum dp_encap encap)
{
	if (link <= 0) {
		errno = EINVAL;
		return -1;
	}
	return rev_add(u, rev_key(inner_src, link), local, remote, encap);
}

int utun_rev_del_link(struct utun *u, int link, struct in_addr inner_src)
{
	return rev_del(u, rev_key(inner_src, link));
}

static int filter_class(struct in_addr s, struct in_addr d)
{
	if (s.s_addr && d.s_addr)
		return DF_SD;
	if (s.s_addr)
		return DF_S;
	return d.s_addr ? DF_D : DF_ANY;
}

/* Remove (remote, local) pair @p when no filter of any class is left on it. */
static void dpair_drop_if_unused(struct utun *u, struct dpair *p)
{
	bool empty = true;

	for (int i = 0; i < DF_NCLASS; i++)
		empty = empty && !p->cls[i];
	if (empty) {
		htab_remove(&u->pairs, &p->h);
		free(p);
	}
}

static int decap_add(struct utun *u, struct in_addr remote, struct in_addr local,
		     struct in_addr inner_src, struct in_addr inner_dst, bool reverse, int link)
{
	struct in_addr z = { 0 };
	struct hkey fk = hkey4(remote, local, inner_src, inner_dst), pk = hkey4(remote, local, z, z);
	struct dfilt *f = (struct dfilt *)utun_htab_find(&u->filters, &fk);
	struct dpair *p;

	if (f) {
		f->refs++;
		f->rev_refs += reverse;
		f->link = link;
		return 0;
	}
	p = (struct dpair *)utun_htab_find(&u->pairs, &pk);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		p->h.key = pk;
		htab_insert(&u->pairs, &p->h);
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		dpair_drop_if_unused(u, p);
		errno = ENOMEM;
		return -1;
	}
	f->h.key = fk;
	f->refs = 1;
	f->rev_refs = reverse;
	f->link = link;
	htab_insert(&u->filters, &f->h);
	p->cls[filter_class(inner_src, inner_dst)]++;
	return 0;
}

static int decap_del(struct utun *u, struct in_addr remote, struct in_addr local,
		     struct in_addr inner_src, struct in_addr inner_dst, bool reverse)
{
	struct in_addr z = { 0 };
	struct hkey fk = hkey4(remote, local, inner_src, inner_dst), pk = hkey4(remote, local, z, z);
	struct dfilt *f = (struct dfilt *)utun_htab_find(&u->filters, &fk);
	struct dpair *p = (struct dpair *)utun_htab_find(&u->pairs, &pk);

	if (!f || !p || (reverse && !f->rev_refs)) {
		errno = ENOENT;
		return -1;
	}
	f->rev_refs -= reverse;
	if (--f->refs)
		return 0;
	htab_remove(&u->filters, &f->h);
	free(f);
	p->cls[filter_class(inner_src, inner_dst)]--;
	dpair_drop_if_unused(u, p);
	return 0;
}

int utun_decap_add(struct utun *u, struct in_addr remote, struct in_addr local,
		   struct in_addr inner_src, struct in_addr inner_dst)
{
	return decap_add(u, remote, local, inner_src, inner_dst, false, 0);
}

int utun_decap_del(struct utun *u, struct in_addr remote, struct in_addr local,
		   struct in_addr inner_src, struct in_addr inner_dst)
{
	return decap_del(u, remote, local, inner_src, inner_dst, false);
}

int utun_decap_add_reverse(struct utun *u, struct in_addr remote, struct in_addr local,
			   struct in_addr inner_src, struct in_addr inner_dst)
{
	return decap_add(u, remote, local, inner_src, inner_dst, true, 0);
}

int utun_decap_del_reverse(struct utun *u, struct in_addr remote, struct in_addr local,
			   struct in_addr inner_src, struct in_addr inner_dst)
{
	return decap_del(u, remote, local, inner_src, inner_dst, true);
}

int utun_decap_add_link(struct utun *u, int link, struct in_addr remote, struct in_addr local,
			struct in_addr inner_src, struct in_addr inner_dst, bool reverse)
{
	return decap_add(u, remote, local, inner_src, inner_dst, reverse, link);
}
