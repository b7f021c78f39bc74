/* Mobile node state table (see node.h). */
#include "config.h"
#include <stdlib.h>
#include <arpa/inet.h>
#include <string.h>
#include "node.h"
#include "pool.h"

static struct pool node_pool = POOL_INIT(struct mip_node);

static int node_cmp(const struct mip_node *a, const struct mip_node *b)
{
	return addr_cmp(a->hoa, b->hoa);
}

RB_GENERATE_STATIC(node_tree, mip_node, rb, node_cmp)

/* Every bit of the address mixed into every bit of the hash (Wellons'
 * lowbias32).  Multiplying the network-order value alone left the low bits
 * of the product to the address's first two octets, the same for a whole
 * node range: 65 536 of 1 048 576 buckets used, 8 probes per lookup. */
static size_t node_hash(struct in_addr a, size_t nbuckets)
{
	uint32_t h = ntohl(a.s_addr);

	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	h ^= h >> 16;
	return h & (nbuckets - 1);
}

int node_table_init(struct node_table *nt)
{
	memset(nt, 0, sizeof(*nt));
	nt->nbuckets = 1024;
	nt->buckets = calloc(nt->nbuckets, sizeof(*nt->buckets));
	RB_INIT(&nt->tree);
	return nt->buckets ? 0 : -1;
}

void node_table_free(struct node_table *nt)
{
	for (size_t i = 0; i < nt->nbuckets; i++) {
		struct mip_node *n = nt->buckets[i], *next;

		for (; n; n = next) {
			next = n->hnext;
			pool_free(&node_pool, n);
		}
	}
	free(nt->buckets);
	memset(nt, 0, sizeof(*nt));
}

struct mip_node *node_find(const struct node_table *nt, struct in_addr hoa)
{
	struct mip_node *n = nt->buckets[node_hash(hoa, nt->nbuckets)];

	while (n && n->hoa.s_addr != hoa.s_addr)
		n = n->hnext;
	return n;
}

static void node_grow(struct node_table *nt)
{
	size_t nb = nt->nbuckets * 2;
	struct mip_node **b = calloc(nb, sizeof(*b));

	if (!b)
		return;         /* keep the longer chains; still correct */
	for (size_t i = 0; i < nt->nbuckets; i++) {
		struct mip_node *n = nt->buckets[i], *next;

		for (; n; n = next) {
			size_t h = node_hash(n->hoa, nb);

			next = n->hnext;
			n->hnext = b[h];
			b[h] = n;
		}
	}
	free(nt->buckets);
	nt->buckets = b;
	nt->nbuckets = nb;
}

struct mip_node *node_get(struct node_table *nt, struct in_addr hoa, const struct conf_node *conf)
{
	struct mip_node *n = node_find(nt, hoa);
	size_t h;

	if (n)
		return n;
	n = pool_alloc(&node_pool);
	if (!n)
		return NULL;
	n->hoa = hoa;
	n->conf = conf;
	if (nt->count >= nt->nbuckets)
		node_grow(nt);
	h = node_hash(hoa, nt->nbuckets);
	n->hnext = nt->buckets[h];
	nt->buckets[h] = n;
	RB_INSERT(node_tree, &nt->tree, n);
	nt->count++;
	return n;
}

struct mip_node *node_next(struct node_table *nt, struct in_addr after)
{
	struct mip_node key = { .hoa = after };
	struct mip_node *n = RB_NFIND(node_tree, &nt->tree, &key);

	if (n && n->hoa.s_addr == after.s_addr)
		n = RB_NEXT(node_tree, &nt->tree, n);
	return n;
}

struct mip_node *node_first(struct node_table *nt)
{
	return RB_MIN(node_tree, &nt->tree);
}

void node_remove(struct node_table *nt, struct mip_node *n)
{
	struct mip_node **pp = &nt->buckets[node_hash(n->hoa, nt->nbuckets)];

	while (*pp && *pp != n)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = n->hnext;
	RB_REMOVE(node_tree, &nt->tree, n);
	nt->count--;
	pool_free(&node_pool, n);
}
