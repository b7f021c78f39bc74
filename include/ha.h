/* Home agent registration processing (RFC 5944 §3.8, RFC 3024 §3.4):
 * validity checks in the RFC's order, authentication and replay protection,
 * the mobility binding list and the Registration Reply. */
#ifndef MIP_HA_H
#define MIP_HA_H

#include <stddef.h>
#include <stdint.h>
#include "binding.h"
#include "buf.h"
#include "conf.h"
#include "net.h"
#include "node.h"
#include "timer.h"

struct mip_ha {
	const struct conf *conf;
	struct node_table nodes;
	struct binding_table bindings;
	struct timer_heap *timers;
	struct mip_io_ops io;
	struct mip_buf out;                     /* reply buffer, reused */
	uint64_t (*ntp_now)(void);              /* time of day in NTP format (tests replace it) */
	uint64_t (*mono_now)(void);             /* monotonic ms (tests replace it) */
};

/** Set up the home agent for @c (which must outlive it). */
int ha_init(struct mip_ha *ha, const struct conf *c, struct timer_heap *timers,
	    const struct mip_io_ops *io);
void ha_free(struct mip_ha *ha);
/** Process one datagram received on port 434 and send the reply, if any. */
void ha_handle_request(struct mip_ha *ha, const uint8_t *p, size_t len,
		       const struct mip_pkt_info *pi);
/** Remove the bindings of @hoa (all nodes when @hoa is INADDR_ANY); returns
 *  how many were removed. */
size_t ha_clear_bindings(struct mip_ha *ha, struct in_addr hoa);
/* A binding as the durable state keeps it. */
struct ha_saved {
	struct in_addr hoa, coa, src;
	uint16_t src_port, lifetime;
	uint8_t flags;
	uint64_t id;
	uint64_t remaining_ms;          /* ignored for an infinite lifetime */
};

/** Re-create a saved binding at start-up (announced as added, so the data
 *  plane re-creates its routes); -1 when its node is no longer configured. */
int ha_restore_binding(struct mip_ha *ha, const struct ha_saved *s);
/** Current time of day in NTP format (seconds since 1900 . fraction). */
uint64_t mip_ntp_now(void);

#endif
