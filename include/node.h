/* Run-time state of the mobile nodes a home agent serves: replay state,
 * bindings and per-node counters (haCounterTable).  O(1) lookup by home
 * address through a hash table, and an ordered tree for "next after" walks. */
#ifndef MIP_NODE_H
#define MIP_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "rbtree.h"
#include "conf.h"

struct mip_binding;

/* The haCounterEntry of one node. */
struct mip_node_counters {
	uint32_t accepted;              /* haServiceRequestsAccepted */
	uint32_t denied;                /* haServiceRequestsDenied */
	uint32_t service_time;          /* haOverallServiceTime, seconds of closed bindings */
	uint8_t recent_denied_code;     /* haRecentServiceDeniedCode */
	uint64_t recent_accepted_ms;    /* haRecentServiceAcceptedTime (monotonic ms, 0: never) */
	uint64_t recent_denied_ms;      /* haRecentServiceDeniedTime */
};

/* (a million of them: ordered to leave no padding) */
struct mip_node {
	struct mip_node *hnext;         /* hash chain */
	RB_ENTRY(mip_node) rb;          /* ordered by home address */
	const struct conf_node *conf;
	uint64_t last_id;               /* highest identification accepted (timestamps) */
	struct mip_binding *bindings;   /* this node's bindings, newest first */
	struct in_addr hoa;
	uint32_t nonce;                 /* high-order bits the node must echo (nonces) */
	bool nonce_valid;
	uint8_t n_bindings;
	struct mip_node_counters ctr;
};

RB_HEAD(node_tree, mip_node);

struct node_table {
	struct mip_node **buckets;
	size_t nbuckets;                /* power of two */
	size_t count;
	struct node_tree tree;
};

int node_table_init(struct node_table *nt);
void node_table_free(struct node_table *nt);
struct mip_node *node_find(const struct node_table *nt, struct in_addr hoa);
/** Find or create the state of @hoa (configured by @conf); NULL on ENOMEM. */
struct mip_node *node_get(struct node_table *nt, struct in_addr hoa, const struct conf_node *conf);
/** The node with the smallest home address greater than @after (GETNEXT). */
struct mip_node *node_next(struct node_table *nt, struct in_addr after);
struct mip_node *node_first(struct node_table *nt);
/** Remove and free a node (it must have no bindings). */
void node_remove(struct node_table *nt, struct mip_node *n);

/* Addresses compare in host order so walks follow the MIB's index order. */
static inline int addr_cmp(struct in_addr a, struct in_addr b)
{
	uint32_t x = ntohl(a.s_addr), y = ntohl(b.s_addr);

	return x < y ? -1 : x > y;
}

#endif
