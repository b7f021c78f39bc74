/* The data plane: everything that makes registered traffic flow: tunnels,
 * host routes, policy rules, proxy ARP and neighbour entries, gratuitous
 * ARP.  It listens to the binding events of the core (notify.h) and drives
 * one of two backends: the kernel's tunnel devices through libnl-3, or the
 * userspace engine (utun.h).  Everything it adds to the kernel is marked
 * (route protocol MIP_RTPROT, device name prefix "mip") so that shutdown and
 * a restart after a crash remove exactly what mipagent made. */
#ifndef MIP_DP_H
#define MIP_DP_H

#include "conf.h"

struct ev_loop;
struct dp;

#define MIP_RTPROT 77           /* route/rule protocol number marking our entries */

/** Start the data plane for @c: pick the backend (logged), clean leftovers
 *  of an earlier run, and listen to binding events.  NULL on failure. */
struct dp *dp_open(const struct conf *c, struct ev_loop *loop);
struct node_table;
/** Userspace backend: let the engine find the tunnels of nodes of virtual
 *  home networks in the home agent's binding list @nodes (which must outlive
 *  @dp) instead of keeping entries of its own. */
void dp_serve_bindings(struct dp *dp, const struct node_table *nodes);
/** Remove everything the data plane added and stop listening. */
void dp_close(struct dp *dp);
/** "kernel" or "userspace". */
const char *dp_backend_name(const struct dp *dp);

#endif
