/* Gratuitous ARP on the home link (RFC 5944 §4.6) through an AF_PACKET
 * socket: broadcast ARP Requests whose sender and target protocol addresses
 * are both the mobile node's home address, sent a configured number of
 * times, and a small ARP resolver to learn a returning node's own
 * link-layer address.  Every copy sent counts in MIP_CTR_HA_GRATUITOUS_ARPS. */
#ifndef MIP_ARP_H
#define MIP_ARP_H

#include <stdint.h>
#include <netinet/in.h>

#define ARP_INTERVAL_MS 500     /* between copies, and between resolution tries */

struct ev_loop;
struct arp;

/** Open the sender on Ethernet interface @ifname; @src is our address there
 *  (the sender of resolution requests); @count copies of each announcement.
 *  NULL on failure (logged). */
struct arp *arp_open(const char *ifname, struct in_addr src, unsigned count, struct ev_loop *loop);
void arp_close(struct arp *a);
/** The interface's own link-layer address (6 bytes). */
const uint8_t *arp_hwaddr(const struct arp *a);

/** Announce that @ip is at @mac (NULL: this interface's address): the first
 *  copy now, the others ARP_INTERVAL_MS apart.  Replaces anything pending
 *  for @ip.  0, or -1 if the first copy could not be sent (logged). */
int arp_announce(struct arp *a, struct in_addr ip, const uint8_t *mac);
/** Ask the link who has @ip (up to count ARP Requests) and announce the
 *  answer's link-layer address as arp_announce() does; no answer, no
 *  announcement.  Replaces anything pending for @ip. */
int arp_announce_owner(struct arp *a, struct in_addr ip);
/** Stop whatever is pending for @ip. */
void arp_cancel(struct arp *a, struct in_addr ip);

#endif
