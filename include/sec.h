/* Security hardening of the running daemon, in one place for daemon.c:
 * admission control of the datagrams to port 434 (ratelimit.h), the IPsec
 * policies with peers (xfrm.h), the log flood limit (log_flood() in log.h)
 * and the drop of privileges after start-up (priv.h).  It follows
 * configuration reloads (<limits>, <ipsec>). */
#ifndef MIP_SEC_H
#define MIP_SEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net.h"

struct mip_daemon;
struct mip_sec;
struct mip_xfrm;

/** Set up for d->conf (the UDP socket must be open: its receive buffer is
 *  sized here).  Call before the state is restored, so the restored
 *  bindings' IPsec policies are installed.  NULL on failure (logged). */
struct mip_sec *sec_open(struct mip_daemon *d);
void sec_close(struct mip_sec *s);

/** May the datagram @p (@n bytes, addressed as @pi says) be processed?
 *  Called for every datagram before it is parsed; also puts in place the
 *  IPsec policies needed to answer or relay it. */
bool sec_admit(struct mip_sec *s, const uint8_t *p, size_t n, const struct mip_pkt_info *pi);

/** Keep only the capabilities needed and become <general user>, if any. */
int sec_drop_privileges(struct mip_sec *s);

/** The IPsec policy module (for mipagentstat peers), or NULL. */
struct mip_xfrm *sec_xfrm(struct mip_sec *s);

#endif
