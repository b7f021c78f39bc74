/* Pure helpers of the foreign agent over registration messages and the
 * datagrams it sends on a mobile node's link, no sockets: where the
 * authorization-enabling extensions end (RFC 5944 §3.7.2.2, §3.7.3.2),
 * whether a message carries an extension of some type (RFC 3024's
 * Encapsulating Delivery Style), an IPv4/UDP datagram with its checksums,
 * and the reply code for an ICMP error or a failed send (§3.7.3). */
#ifndef MIP_FA_MSG_H
#define MIP_FA_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "buf.h"
#include "wire.h"

#define FA_EXT_ENCAP_DELIVERY 130   /* Encapsulating Delivery Style (RFC 3024 §3.3) */
#define FA_CODE_INVALID_HA 194      /* RFC 5944 §3.7.2: the home agent address is ours */
#define FA_IPV4_UDP_HDR 28

/** Offset just past the last Mobile-Home or MN-AAA authentication
 *  extension of a parsed message, or 0 when it has neither. */
size_t fa_msg_auth_end(const struct mip_exts *e);
/** Offset of the first Foreign-Home extension, or @len when there is none. */
size_t fa_msg_fa_ha_start(const struct mip_exts *e, size_t len);
/** Does the message of @len bytes, whose extensions start at @off, carry an
 *  extension of @type?  1 yes, 0 no, -1 the extensions overrun. */
int fa_msg_has_ext(const uint8_t *p, size_t len, size_t off, uint8_t type);
/** Append an IPv4 header (no options, DF clear) and a UDP header, both
 *  checksummed, followed by @plen bytes of @payload. */
void fa_msg_udp4(struct mip_buf *b, struct in_addr src, struct in_addr dst, uint16_t sport,
		 uint16_t dport, uint8_t ttl, uint16_t ip_id, const uint8_t *payload, size_t plen);
/** Reply code for an ICMP error (type, code) about a relayed request: 80
 *  home network, 81 home agent host, 82 port, 88 other unreachable. */
uint8_t fa_msg_icmp_code(uint8_t type, uint8_t code);
/** Reply code for a relay that failed at once with errno @err. */
uint8_t fa_msg_errno_code(int err);
/** Is @err an errno a UDP socket reports for a received ICMP error? */
bool fa_msg_icmp_errno(int err);

#endif
