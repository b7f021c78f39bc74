/* Internals shared by the rtnetlink module's files (nl*.c); see nl.h. */
#ifndef MIP_NL_INT_H
#define MIP_NL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include <netinet/in.h>
#include "nl.h"

struct nl_addr;
struct nl_cache;
struct nl_object;
struct nl_sock;

struct knl_tunnel {
	struct knl_tunnel *next;
	enum knl_tunnel_kind kind;
	struct in_addr local, remote;
	int ifindex;
	unsigned refs;
	bool owned;                     /* made by us: deleted with the last reference */
	char name[IF_NAMESIZE];
};

struct knl {
	struct nl_sock *sk;
	struct nl_sock *qsk;            /* single-entry queries: no ACK, no sequence check */
	char *state_path;               /* the record file of earlier versions, or NULL */
	struct knl_tunnel *tunnels;
	unsigned next_tunnel;
};

/* One kind of kernel object that the crash cleanup removes when it is ours. */
struct knl_leftover {
	const char *what;               /* "route", "rule", "link": for the log */
	/** Read all objects of the kind from the kernel. */
	int (*read)(struct nl_sock *sk, struct nl_cache **cache);
	/** Whether @o is one of ours, left over by an earlier run. */
	bool (*ours)(struct knl *nl, struct nl_object *o);
	/** Delete @o: 0, or a negative libnl error. */
	int (*del)(struct knl *nl, struct nl_object *o);
	/** Describe @o for the log. */
	void (*describe)(struct nl_object *o, char *buf, size_t size);
};

/* ---- nl.c ---- */

/** @a in dotted quad, in @buf (INET_ADDRSTRLEN bytes). */
const char *knl_ntoa(struct in_addr a, char *buf);
/** A new libnl address @a/@prefixlen (the caller puts it), NULL when out of memory. */
struct nl_addr *knl_addr4(struct in_addr a, int prefixlen);
/** Delete the objects of @lo's kind that are ours, logging each; the number removed. */
int knl_leftovers_remove(struct knl *nl, const struct knl_leftover *lo);

/* ---- the leftovers of each kind, for knl_cleanup() ---- */

/** nl_neigh.c: proxy and neighbour entries marked NDA_PROTOCOL MIP_RTPROT (and
 *  those in the record file of a version before the marks). */
int knl_cleanup_neighs(struct knl *nl);
/** nl_route.c: policy rules and routes with protocol MIP_RTPROT. */
int knl_cleanup_rules(struct knl *nl);
int knl_cleanup_routes(struct knl *nl);
/** nl_link.c: ipip/gre links named "mip*" that are not in use. */
int knl_cleanup_links(struct knl *nl);

#endif
