/* The home agent's mobility binding list (RFC 5944 §3.8.1): one entry per
 * (home address, care-of address), reachable from its node in O(1) and kept
 * in a tree ordered by the haMobilityBindingTable index (MN, COA). */
#ifndef MIP_BINDING_H
#define MIP_BINDING_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "node.h"
#include "rbtree.h"
#include "timer.h"

struct mip_binding {
	RB_ENTRY(mip_binding) rb;
	struct mip_binding *next;       /* next binding of the same node */
	struct mip_node *node;          /* owner: gives the home address */
	struct mip_timer expiry;        /* lifetime end; idle for an infinite lifetime */
	struct in_addr coa;
	struct in_addr src;             /* source of the request (haMobilityBindingSourceAddress) */
	uint64_t id;                    /* identification of the accepted reply */
	uint64_t granted_ms;            /* monotonic time the binding was (re)granted */
	uint16_t lifetime;              /* seconds granted; 0xffff infinite */
	uint16_t src_port;
	uint8_t flags;                  /* the request's flags (haMobilityBindingRegFlags) */
};

RB_HEAD(binding_tree, mip_binding);

struct binding_table {
	struct binding_tree tree;
	size_t count;
};

void binding_table_init(struct binding_table *bt);
/** The binding of @n for care-of address @coa, or NULL (O(bindings of n)). */
struct mip_binding *binding_find(const struct mip_node *n, struct in_addr coa);
/** Create a binding of @n for @coa (not yet timed); NULL on ENOMEM. */
struct mip_binding *binding_add(struct binding_table *bt, struct mip_node *n, struct in_addr coa);
/** Unlink and free @b; the caller has cancelled its timer. */
void binding_del(struct binding_table *bt, struct mip_binding *b);
/** Exact lookup by MIB index. */
struct mip_binding *binding_lookup(struct binding_table *bt, struct in_addr hoa, struct in_addr coa);
/** First binding whose index (hoa, coa) is greater than the one given (GETNEXT). */
struct mip_binding *binding_next(struct binding_table *bt, struct in_addr hoa, struct in_addr coa);
struct mip_binding *binding_first(struct binding_table *bt);
/** Seconds left before @b expires at monotonic time @now_ms (0xffff: infinite). */
uint32_t binding_remaining(const struct mip_binding *b, uint64_t now_ms);

#endif
