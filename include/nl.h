/* Kernel routing state through rtnetlink: host routes, policy rules,
 * neighbour and proxy ARP entries, ipip/gre tunnel links, and the removal
 * of everything mipagent marked as its own.  The only module using libnl-3;
 * its functions are prefixed knl_ because libnl owns nl_.  Every function
 * logs its own failure (token "nl") and returns -1. */
#ifndef MIP_NL_H
#define MIP_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

struct knl;

enum knl_tunnel_kind {
	KNL_TUNNEL_IPIP = 0,
	KNL_TUNNEL_GRE,
};

/** Connect to rtnetlink.  @state_dir (may be NULL): where versions before
 *  the NDA_PROTOCOL marks recorded their proxy and neighbour entries, a file
 *  that knl_cleanup() reads once and removes. */
struct knl *knl_open(const char *state_dir);
/** Close; removes nothing from the kernel (see knl_cleanup). */
void knl_close(struct knl *nl);

/** Interface index of @name, 0 if there is no such interface. */
int knl_ifindex(struct knl *nl, const char *name);
/** Set interface @ifindex up (and its MTU when @mtu > 0). */
int knl_link_up(struct knl *nl, int ifindex, unsigned mtu);

/** Host route @dst/32 through device @ifindex in @table (0: main), scope
 *  link, protocol MIP_RTPROT; an existing route to @dst is replaced. */
int knl_route_add(struct knl *nl, struct in_addr dst, int ifindex, uint32_t table);
/** Remove our host route to @dst in @table (0: main); absent is not an error. */
int knl_route_del(struct knl *nl, struct in_addr dst, uint32_t table);
/** The same for the network @dst/@plen. */
int knl_net_route_add(struct knl *nl, struct in_addr dst, int plen, int ifindex, uint32_t table);
int knl_net_route_del(struct knl *nl, struct in_addr dst, int plen, uint32_t table);

/** Policy rule "from @src/32 to @dst/32 iif @iif lookup @table pref @prio
 *  proto MIP_RTPROT" (@src, @dst INADDR_ANY: from all, to all; @iif NULL: any). */
int knl_rule_add(struct knl *nl, struct in_addr src, struct in_addr dst, const char *iif, uint32_t table,
		 uint32_t prio);
int knl_rule_del(struct knl *nl, struct in_addr src, struct in_addr dst, const char *iif, uint32_t table,
		 uint32_t prio);

/** Permanent neighbour entry @ip lladdr @mac on @ifindex, protocol MIP_RTPROT. */
int knl_neigh_add(struct knl *nl, int ifindex, struct in_addr ip, const uint8_t mac[6]);
int knl_neigh_del(struct knl *nl, int ifindex, struct in_addr ip);
/** The kernel's link-layer address for @ip on @ifindex, when the entry is
 *  usable (reachable, stale, delay, probe, permanent): 1 and @mac filled;
 *  0 when unknown; -1 on error.  @permanent (may be NULL) tells its kind. */
int knl_neigh_lookup(struct knl *nl, int ifindex, struct in_addr ip, uint8_t mac[6], bool *permanent);
/** Forget a learnt (non-permanent) neighbour entry; absent is not an error. */
int knl_neigh_flush(struct knl *nl, int ifindex, struct in_addr ip);

/** Proxy ARP entry (NTF_PROXY) for @ip on @ifindex, protocol MIP_RTPROT.
 *  The kernel keeps the mark on entries from Linux 5.2 (NDA_PROTOCOL). */
int knl_proxy_add(struct knl *nl, int ifindex, struct in_addr ip);
int knl_proxy_del(struct knl *nl, int ifindex, struct in_addr ip);

/** A tunnel link of @kind from @local to @remote, named "mip...", created
 *  up (with @mtu when > 0) on first use and reference counted; returns its
 *  ifindex or -1. */
int knl_tunnel_get(struct knl *nl, enum knl_tunnel_kind kind, struct in_addr local,
		  struct in_addr remote, unsigned mtu);
/** Drop one reference; the link is deleted with the last one. */
void knl_tunnel_put(struct knl *nl, enum knl_tunnel_kind kind, struct in_addr local,
		   struct in_addr remote);

/** Can this kernel create ipip and gre links?  Creates and deletes a test
 *  link of each kind.  On false, @why (size @n) says what failed. */
bool knl_tunnel_probe(struct knl *nl, char *why, size_t n);

/** Remove everything marked as ours in the network namespace, whichever
 *  handle added it: routes, rules, proxy and neighbour entries with protocol
 *  MIP_RTPROT, and ipip/gre links named "mip*" (plus the entries in an old
 *  version's record file).  Returns the number removed. */
int knl_cleanup(struct knl *nl);

#endif
