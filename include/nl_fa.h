/* Routing-table entries the foreign agent's data plane needs that nl.h
 * does not offer: a default route through a device in a separate table
 * (the reverse tunnel's table, RFC 3024 direct delivery).  Part of the
 * netlink module (libnl-3); marked with protocol MIP_RTPROT like nl.c's
 * entries, so knl_cleanup() removes leftovers. */
#ifndef MIP_NL_FA_H
#define MIP_NL_FA_H

#include <stdint.h>

/** Add (replace) "default dev @ifindex table @table proto MIP_RTPROT". */
int knl_default_route_add(uint32_t table, int ifindex);
/** Remove it; absent is not an error. */
int knl_default_route_del(uint32_t table);

#endif
