/* Mobility binding list (see binding.h). */
#include "config.h"
#include <stdlib.h>
#include "binding.h"
#include "pool.h"
#include "wire.h"

static struct pool binding_pool = POOL_INIT(struct mip_binding);

static int binding_cmp(const struct mip_binding *a, const struct mip_binding *b)
{
	int c = addr_cmp(a->node->hoa, b->node->hoa);

	return c ? c : addr_cmp(a->coa, b->coa);
}

RB_GENERATE_STATIC(binding_tree, mip_binding, rb, binding_cmp)

void binding_table_init(struct binding_table *bt)
{
	RB_INIT(&bt->tree);
	bt->count = 0;
}

struct mip_binding *binding_find(const struct mip_node *n, struct in_addr coa)
{
	struct mip_binding *b = n->bindings;

	while (b && b->coa.s_addr != coa.s_addr)
		b = b->next;
	return b;
}

struct mip_binding *binding_add(struct binding_table *bt, struct mip_node *n, struct in_addr coa)
{
	struct mip_binding *b = pool_alloc(&binding_pool);

	if (!b)
		return NULL;
	b->node = n;
	b->coa = coa;
	b->expiry.idx = UINT32_MAX;
	b->next = n->bindings;
	n->bindings = b;
	n->n_bindings++;
	RB_INSERT(binding_tree, &bt->tree, b);
	bt->count++;
	return b;
}

void binding_del(struct binding_table *bt, struct mip_binding *b)
{
	struct mip_binding **pp = &b->node->bindings;

	while (*pp && *pp != b)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = b->next;
		b->node->n_bindings--;
	}
	RB_REMOVE(binding_tree, &bt->tree, b);
	bt->count--;
	pool_free(&binding_pool, b);
}

/* Tree searches need a key binding; it borrows a stack node for the address. */
struct mip_binding *binding_lookup(struct binding_table *bt, struct in_addr hoa, struct in_addr coa)
{
	struct mip_node kn = { .hoa = hoa };
	struct mip_binding key = { .node = &kn, .coa = coa };

	return RB_FIND(binding_tree, &bt->tree, &key);
}

struct mip_binding *binding_next(struct binding_table *bt, struct in_addr hoa, struct in_addr coa)
{
	struct mip_node kn = { .hoa = hoa };
	struct mip_binding key = { .node = &kn, .coa = coa };
	struct mip_binding *b = RB_NFIND(binding_tree, &bt->tree, &key);

	if (b && binding_cmp(b, &key) == 0)
		b = RB_NEXT(binding_tree, &bt->tree, b);
	return b;
}

struct mip_binding *binding_first(struct binding_table *bt)
{
	return RB_MIN(binding_tree, &bt->tree);
}

uint32_t binding_remaining(const struct mip_binding *b, uint64_t now_ms)
{
	uint64_t end;

	if (b->lifetime == 0xffff)
		return 0xffff;
	end = b->granted_ms + (uint64_t)b->lifetime * 1000;
	if (end <= now_ms)
		return 0;
	return (uint32_t)((end - now_ms + 999) / 1000);
}
