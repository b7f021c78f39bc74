/* faVisitorTable's index by source address (see mib.h): a red-black tree of
 * (source, home address, home agent, interface), kept by the subagent from
 * the foreign agent's visitor events, so that GET and GETNEXT in the MIB's
 * order cost O(log n) without copying the visitor list. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "rbtree.h"
#include "mib.h"

struct ventry {
	RB_ENTRY(ventry) rb;
	struct mib_vkey k;
};

RB_HEAD(vitree, ventry);

struct mib_vindex {
	struct vitree tree;
	size_t n;
};

static int a_cmp(struct in_addr a, struct in_addr b)
{
	uint32_t x = ntohl(a.s_addr), y = ntohl(b.s_addr);

	return x < y ? -1 : x > y;
}

static int vkey_cmp(const struct mib_vkey *a, const struct mib_vkey *b)
{
	int c = a_cmp(a->src, b->src);

	if (!c)
		c = a_cmp(a->hoa, b->hoa);
	if (!c)
		c = a_cmp(a->ha, b->ha);
	if (!c)
		c = (a->ifindex > b->ifindex) - (a->ifindex < b->ifindex);
	return c;
}

static int ventry_cmp(const struct ventry *a, const struct ventry *b)
{
	return vkey_cmp(&a->k, &b->k);
}

RB_GENERATE_STATIC(vitree, ventry, rb, ventry_cmp)

struct mib_vindex *mib_vindex_new(void)
{
	struct mib_vindex *vi = calloc(1, sizeof(*vi));

	if (vi)
		RB_INIT(&vi->tree);
	return vi;
}

void mib_vindex_free(struct mib_vindex *vi)
{
	struct ventry *e, *next;

	if (!vi)
		return;
	for (e = RB_MIN(vitree, &vi->tree); e; e = next) {
		next = RB_NEXT(vitree, &vi->tree, e);
		RB_REMOVE(vitree, &vi->tree, e);
		free(e);
	}
	free(vi);
}

int mib_vindex_add(struct mib_vindex *vi, const struct mib_vkey *k)
{
	struct ventry *e = malloc(sizeof(*e));

	if (!e)
		return -1;
	e->k = *k;
	if (RB_INSERT(vitree, &vi->tree, e))
		free(e);                /* already there */
	else
		vi->n++;
	return 0;
}

void mib_vindex_del(struct mib_vindex *vi, const struct mib_vkey *k)
{
	struct ventry key = { .k = *k }, *e = RB_FIND(vitree, &vi->tree, &key);

	/* a source address that changed without an event: find it by the
	 * rest of the key (rare, and the list is scanned only then) */
	for (struct ventry *x = e ? NULL : RB_MIN(vitree, &vi->tree); x; x = RB_NEXT(vitree, &vi->tree, x))
		if (x->k.hoa.s_addr == k->hoa.s_addr && x->k.ha.s_addr == k->ha.s_addr &&
		    x->k.ifindex == k->ifindex) {
			e = x;
			break;
		}
	if (!e)
		return;
	RB_REMOVE(vitree, &vi->tree, e);
	vi->n--;
	free(e);
}

const struct mib_vkey *mib_vindex_ge(const struct mib_vindex *vi, const struct mib_vkey *k)
{
	struct ventry key = { .k = *k }, *e;

	e = RB_NFIND(vitree, (struct vitree *)&vi->tree, &key);  /* the macros take non-const */
	return e ? &e->k : NULL;
}

size_t mib_vindex_count(const struct mib_vindex *vi)
{
	return vi ? vi->n : 0;
}
