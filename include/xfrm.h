/* IPsec between mobility agents: XFRM policies (with templates) for the
 * traffic exchanged with each <peer> that has an <ipsec> element, installed
 * and removed through libnl-xfrm (the only module that uses it).
 *
 * What is protected, seen from each role (P: the peer, L: our address):
 *
 *   <ipsec> child           home agent (P is a FA)      foreign agent (P is a HA)
 *   registration-request    in  P->L udp dport 434      out L->P udp dport 434
 *   registration-reply      out L->P udp sport 434      in  P->L udp sport 434
 *   forward-tunnel          out L->P ipip/gre/minimal   in  P->L ipip/gre/minimal
 *   reverse-tunnel          in  P->L ipip/gre/minimal   out L->P ipip/gre/minimal
 *
 * When they exist:
 *   - the home agent's policy admitting requests from P: from start-up on;
 *   - the other request/reply policies: from the first registration message
 *     handled with P (xfrm_peer_used()) for as long as a node is registered
 *     through P (a binding whose source is P; a visitor whose home agent is
 *     P), plus a grace period that covers the replies still to come;
 *   - the tunnel policies: while a tunnel to P exists (a binding whose care-
 *     of address is P; a visitor whose home agent is P), one per
 *     encapsulation in use; the reverse one only for reverse tunnelling (T).
 *
 * Policies carry the priority MIP_XFRM_PRIORITY, which marks them as ours:
 * leftovers of a crashed run are removed at start.  The SAs themselves come
 * from an IKE daemon (reqid) or are made by hand; the template (protocol,
 * mode, level, reqid, SPI, algorithms) says which SAs qualify. */
#ifndef MIP_XFRM_H
#define MIP_XFRM_H

#include <stdbool.h>
#include <stdio.h>
#include <netinet/in.h>
#include "conf.h"

#define MIP_XFRM_PRIORITY 1434

struct ev_loop;
struct mip_xfrm;

enum xfrm_role { XFRM_ROLE_HA, XFRM_ROLE_FA };

/** Start: remove leftovers, install the home agent's request policies and
 *  listen to binding and visitor events.  NULL on failure (logged). */
struct mip_xfrm *xfrm_open(const struct conf *c, struct ev_loop *loop);
/** Remove every policy installed and stop listening. */
void xfrm_close(struct mip_xfrm *x);

/** A registration message with @peer is being handled in @role: make sure
 *  the request and reply policies with it are in place (for a while). */
void xfrm_peer_used(struct mip_xfrm *x, struct in_addr peer, enum xfrm_role role);

/** Reload hooks (reload.h). */
int xfrm_reload_check(const struct conf *old, const struct conf *new, FILE *err, void *arg);
void xfrm_reload_apply(const struct conf *old, const struct conf *new, void *arg);

/* What mipagentstat peers shows of a peer. */
struct xfrm_peer_stats {
	unsigned bindings;              /* home agent: bindings registered through the peer */
	unsigned tunnels;               /* home agent: bindings with the peer as care-of address */
	unsigned visitors;              /* foreign agent: visitors with the peer as home agent */
	unsigned installed[CONF_IPSEC_N];   /* policies in the kernel, per kind of traffic */
	unsigned failed;                /* policies wanted but not installed */
};

void xfrm_peer_stats(struct mip_xfrm *x, struct in_addr peer, struct xfrm_peer_stats *st);

#endif
