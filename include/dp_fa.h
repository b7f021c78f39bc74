/* The foreign agent's data plane (RFC 5944 §4.2.2, RFC 3024 §5.1): for
 * each visitor (MIP_EV_VISITOR_ADDED / _REMOVED) a host route to its home
 * address on its interface and a permanent neighbour entry with its MAC
 * address (the agent never ARPs for a visitor), decapsulation of what its
 * home agent tunnels to the care-of address, and for a reverse tunnel (T) a
 * policy rule "from HOME iif IFACE lookup DP_FA_TABLE" whose default route
 * leads into the userspace tunnel engine, which encapsulates to the home
 * agent.  With the Encapsulating Delivery Style (RFC 3024 §5.2) what the
 * node encapsulates to us from its home address is decapsulated and sent
 * straight into its reverse tunnel (utun_decap_add_reverse()).
 *
 * A home address that one visitor has on one link and another (behind
 * another home agent) on another link: the later visitor's host route is
 * in its link's routing table DP_FA_TABLE + 1 + link index.  On the kernel
 * backend its kernel link (one per care-of address and home agent, so the
 * two home agents' packets come in on different links) delivers there by
 * the rule "iif KLINK to HOME"; its reverse tunnel is the usual rule into
 * the kernel link's table.  On the userspace engine (and for what the
 * kernel links cannot do: minimal encapsulation, the Encapsulating Delivery
 * Style) it is served through its link's own engine device ("iif DEV"
 * delivers its decapsulated packets on its link; its reverse-tunnel rule
 * leads into DEV and the engine's per-link reverse tunnel).  Left open:
 * such an engine visitor beside a kernel link from its care-of address to
 * its home agent (made for another visitor): the kernel decapsulates its
 * packets too and routes them by the main table. */
#ifndef MIP_DP_FA_H
#define MIP_DP_FA_H

#include "conf.h"

struct ev_loop;
struct dp_fa;

#define DP_FA_TABLE 434         /* routing table of reverse-tunnelled visitors */
#define DP_FA_RULE_PRIO 434

/** Start: the tunnel engine (device "mipfa%d"), ip_forward, and the
 *  listener of visitor events.  NULL on failure (logged). */
struct dp_fa *dp_fa_open(const struct conf *c, struct ev_loop *loop);
/** Remove everything it installed. */
void dp_fa_close(struct dp_fa *d);
/** Reload hook (reload.h, @arg the struct dp_fa): the device and its MTU
 *  stay as they were started. */
void dp_fa_reload_apply(const struct conf *old, const struct conf *new, void *arg);
/** The tunnel device's name. */
const char *dp_fa_ifname(const struct dp_fa *d);

#endif
