/* mipSecViolationTable (RFC 2006): one row per violator address, kept by the
 * subagent from the core's security-violation notifications.  A red-black
 * tree ordered by address serves GET/GETNEXT in O(log n); a recency list
 * bounds the table, evicting the violator seen least recently. */
#include "config.h"
#include <stdlib.h>
#include "rbtree.h"
#include "mib.h"
#include "mib_int.h"

struct vrow {
	RB_ENTRY(vrow) rb;
	struct vrow *newer, *older;     /* recency list */
	struct mib_violation v;
};

RB_HEAD(vtree, vrow);

struct mib_violations {
	struct vtree tree;
	struct vrow *newest, *oldest;
	size_t n, max;
};

static int vrow_cmp(const struct vrow *a, const struct vrow *b)
{
	return a->v.addr < b->v.addr ? -1 : a->v.addr > b->v.addr;
}

RB_GENERATE_STATIC(vtree, vrow, rb, vrow_cmp)

struct mib_violations *mib_violations_new(size_t max)
{
	struct mib_violations *vt = calloc(1, sizeof(*vt));

	if (!vt)
		return NULL;
	RB_INIT(&vt->tree);
	vt->max = max ? max : 1;
	return vt;
}

void mib_violations_free(struct mib_violations *vt)
{
	struct vrow *r, *next;

	if (!vt)
		return;
	for (r = vt->newest; r; r = next) {
		next = r->older;
		free(r);
	}
	free(vt);
}

static void unlink_row(struct mib_violations *vt, struct vrow *r)
{
	if (r->newer)
		r->newer->older = r->older;
	else
		vt->newest = r->older;
	if (r->older)
		r->older->newer = r->newer;
	else
		vt->oldest = r->newer;
	r->newer = r->older = NULL;
}

static void push_newest(struct mib_violations *vt, struct vrow *r)
{
	r->older = vt->newest;
	r->newer = NULL;
	if (vt->newest)
		vt->newest->newer = r;
	vt->newest = r;
	if (!vt->oldest)
		vt->oldest = r;
}

void mib_violations_add(struct mib_violations *vt, uint32_t addr, uint32_t spi, uint64_t id,
			int reason, uint64_t now_ms)
{
	struct vrow key = { .v.addr = addr }, *r;

	r = RB_FIND(vtree, &vt->tree, &key);
	if (r) {
		unlink_row(vt, r);
	} else {
		if (vt->n >= vt->max) {         /* reuse the least recent row */
			r = vt->oldest;
			unlink_row(vt, r);
			RB_REMOVE(vtree, &vt->tree, r);
			vt->n--;
		} else {
			r = malloc(sizeof(*r));
			if (!r)
				return;
		}
		r->v = (struct mib_violation){ .addr = addr };
		RB_INSERT(vtree, &vt->tree, r);
		vt->n++;
	}
	push_newest(vt, r);
	r->v.count++;
	r->v.spi = spi;
	r->v.id = id;
	r->v.reason = reason;
	r->v.time_ms = now_ms;
}

size_t mib_violations_count(const struct mib_violations *vt)
{
	return vt ? vt->n : 0;
}

const struct mib_violation *mib_violations_seek(const struct mib_violations *vt, uint32_t a,
						bool exact)
{
	struct vrow key = { .v.addr = a }, *r;
	struct vtree *t = (struct vtree *)&vt->tree;  /* the tree macros take non-const */

	r = exact ? RB_FIND(vtree, t, &key) : RB_NFIND(vtree, t, &key);
	return r ? &r->v : NULL;
}
