/* Encapsulation codecs over bytes, no sockets: IP-in-IP (RFC 2003), minimal
 * encapsulation (RFC 2004) and GRE (RFC 2784) for IPv4 payloads, their
 * checked decapsulation, IPv4 fragmentation, and the ICMP error messages a
 * tunnel entry point sends or relays (RFC 2003 sections 4 and 5).
 *
 * Conventions: functions returning int give a length (>= 0) or a negative
 * enum encap_err (-ENCAP_E_...); encap_strerror() names either sign.
 * Packets are plain IPv4 datagrams starting with the IP header. */
#ifndef MIP_ENCAP_H
#define MIP_ENCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "utun.h"

#define ENCAP_TTL_DEFAULT 64    /* outer TTL of IP-in-IP and GRE (RFC 2003 3.1) */
#define ENCAP_HDR_MAX 72        /* largest header encap_header() writes (60 + 12) */
#define ENCAP_IPIP_OVERHEAD 20
#define ENCAP_GRE_OVERHEAD 24
#define ENCAP_MIN_OVERHEAD 12   /* minimal encapsulation with the source present */
#define ENCAP_MIN_OVERHEAD_NOSRC 8
#define ENCAP_ICMP_QUOTE_MAX 548 /* bytes of the offending datagram quoted (576 - 20 - 8) */
#define ENCAP_IP_MIN_MTU 68     /* RFC 791: every link carries 68 bytes unfragmented */

#define IPPROTO_MINENC 55       /* RFC 2004 */
#define GRE_PTYPE_IPV4 0x0800

enum encap_err {
	ENCAP_OK = 0,
	/* outer packet */
	ENCAP_E_SHORT,          /* fewer than 20 bytes */
	ENCAP_E_VERSION,        /* IP version is not 4 */
	ENCAP_E_IHL,            /* IHL < 5 or header longer than the packet */
	ENCAP_E_TOTLEN,         /* Total Length below the header or beyond the data */
	ENCAP_E_CSUM,           /* outer IP header checksum */
	ENCAP_E_FRAGMENT,       /* outer packet is a fragment (raw sockets reassemble) */
	ENCAP_E_PROTO,          /* not protocol 4, 47 or 55 */
	/* GRE */
	ENCAP_E_GRE_SHORT,      /* GRE header truncated */
	ENCAP_E_GRE_FLAGS,      /* a bit of 1..5 (routing, key, sequence, strict route, recursion) set */
	ENCAP_E_GRE_VERSION,    /* version is not 0 */
	ENCAP_E_GRE_PTYPE,      /* protocol type is not 0x0800 */
	ENCAP_E_GRE_CSUM,       /* C bit set and the GRE checksum is wrong */
	/* minimal encapsulation */
	ENCAP_E_MIN_SHORT,      /* minimal forwarding header truncated */
	ENCAP_E_MIN_CSUM,       /* minimal forwarding header checksum */
	/* inner packet */
	ENCAP_E_INNER_SHORT,    /* fewer than 20 bytes */
	ENCAP_E_INNER_VERSION,  /* inner IP version is not 4 */
	ENCAP_E_INNER_IHL,      /* inner IHL < 5 or longer than the packet */
	ENCAP_E_INNER_LEN,      /* inner Total Length differs from the bytes carried */
	ENCAP_E_INNER_CSUM,     /* inner IP header checksum */
	ENCAP_E_INNER_TTL,      /* inner TTL is 0 (RFC 2003 3.1: MUST discard / MUST NOT encapsulate) */
	/* building */
	ENCAP_E_NOSPACE,        /* output buffer too small */
	ENCAP_E_TYPE,           /* unknown encapsulation type */
	ENCAP_E_INNER_FRAG,     /* minimal encapsulation of a fragment (RFC 2004 3: MUST NOT) */
	ENCAP_E_TOOBIG,         /* datagram longer than 65535 bytes after encapsulation */
	ENCAP_E_DF,             /* asked to fragment a datagram with DF set */
	ENCAP_E_MTU,            /* MTU below 68 or too small for the header */
	/* ICMP */
	ENCAP_E_ICMP_SHORT,     /* not an ICMP error with a quoted IP header */
	ENCAP_E_ICMP_CSUM,      /* ICMP checksum */
	ENCAP_E_ICMP_TYPE,      /* not an error type (3, 4, 5, 11, 12) */
	ENCAP_E_ICMP_NOTOURS,   /* quoted datagram is not an encapsulated packet */
	ENCAP_E_ICMP_NOINNER,   /* quote too short to hold the inner IP header (RFC 2003 5) */
	ENCAP_E__MAX
};

const char *encap_strerror(int err);
const char *encap_name(enum dp_encap type);

/* ---- IPv4 helpers ---- */

/** Internet checksum (RFC 1071) of @len bytes, folded and complemented. */
uint16_t ip_csum(const void *p, size_t len);
/** Recompute the IPv4 header checksum of @ip in place (IHL taken from @ip). */
void ip_set_csum(uint8_t *ip);
/** Validate an IPv4 packet of exactly @len bytes: version, IHL, Total Length
 *  equal to @len, header checksum, TTL > 0.  0 or -ENCAP_E_INNER_*. */
int ip_check(const uint8_t *ip, size_t len);

static inline unsigned ip_hlen(const uint8_t *ip) { return (ip[0] & 0x0f) * 4u; }
static inline uint16_t ip_totlen(const uint8_t *ip) { return (uint16_t)(ip[2] << 8 | ip[3]); }
static inline bool ip_df(const uint8_t *ip) { return ip[6] & 0x40; }
static inline bool ip_mf(const uint8_t *ip) { return ip[6] & 0x20; }
static inline uint16_t ip_fragoff(const uint8_t *ip) { return (uint16_t)((ip[6] & 0x1f) << 8 | ip[7]); }
static inline bool ip_is_fragment(const uint8_t *ip) { return ip_mf(ip) || ip_fragoff(ip); }
static inline uint8_t ip_ttl(const uint8_t *ip) { return ip[8]; }
static inline uint8_t ip_proto(const uint8_t *ip) { return ip[9]; }
/** Source / destination in network byte order (as in struct in_addr). */
struct in_addr ip_src(const uint8_t *ip);
struct in_addr ip_dst(const uint8_t *ip);

/** Decrement the TTL of a datagram being forwarded, updating the header
 *  checksum incrementally (RFC 1624).  Returns the new TTL; a datagram whose
 *  TTL was 0 or 1 is left unchanged and 0 is returned: the caller must
 *  discard it and SHOULD send ICMP Time Exceeded (RFC 2003 3.1). */
int ip_ttl_decrement(uint8_t *ip);

/** Write the next fragment of the IPv4 datagram @pkt (@len bytes, DF clear)
 *  into @out: at most @mtu bytes, payload a multiple of 8 except the last;
 *  options with the copied flag are repeated in later fragments (RFC 791).
 *  *@off is the payload offset to continue from (start with 0).  Returns the
 *  fragment's length, 0 when the whole payload has been written, or -err. */
int ip_fragment_next(const uint8_t *pkt, size_t len, size_t mtu, size_t *off,
		     uint8_t *out, size_t cap);

/* ---- Encapsulation ---- */

struct encap_params {
	struct in_addr src;     /* tunnel entry point (our address) */
	struct in_addr dst;     /* tunnel exit point */
	enum dp_encap type;
	uint8_t ttl;            /* outer TTL for IP-in-IP and GRE; 0: ENCAP_TTL_DEFAULT */
	uint16_t id;            /* outer Identification for IP-in-IP and GRE */
};

/** Bytes added to @inner by encapsulation @p->type (minimal: 8 when the inner
 *  source is @p->src, else 12); negative for an unknown type. */
int encap_overhead(const struct encap_params *p, const uint8_t *inner);

/** Build the encapsulation header for the validated inner datagram @inner
 *  into @hdr (ENCAP_HDR_MAX bytes).  The outer packet is @hdr's returned
 *  length of bytes followed by @inner + *@skip, @inner_len - *@skip bytes
 *  (IP-in-IP/GRE: the whole inner packet; minimal: its payload after the
 *  modified header).  Outer TOS and DF are the inner ones (RFC 2003 3.1). */
int encap_header(const struct encap_params *p, const uint8_t *inner, size_t inner_len,
		 uint8_t *hdr, size_t *skip);

/** The same as one contiguous outer packet in @out; returns its length. */
int encap_build(const struct encap_params *p, const uint8_t *inner, size_t inner_len,
		uint8_t *out, size_t cap);

/* ---- Decapsulation ---- */

struct encap_decap {
	enum dp_encap type;
	struct in_addr outer_src, outer_dst;
	uint8_t outer_ttl;
	uint8_t *inner;         /* inside the caller's buffer */
	size_t inner_len;
};

/** Check a received outer packet @pkt (@len bytes as a raw IPv4 socket gives
 *  it, outer header included) and find the inner datagram.  Minimal
 *  encapsulation is undone in place (the original header is rebuilt just
 *  before the payload), so @pkt is modified.  0 or -ENCAP_E_*. */
int encap_decap(uint8_t *pkt, size_t len, struct encap_decap *r);

/* ---- ICMP ---- */

#define ICMP_T_UNREACH 3
#define ICMP_T_SOURCEQUENCH 4
#define ICMP_T_REDIRECT 5
#define ICMP_T_TIMXCEED 11
#define ICMP_T_PARAMPROB 12
#define ICMP_C_NET 0
#define ICMP_C_HOST 1
#define ICMP_C_PROTO 2
#define ICMP_C_PORT 3
#define ICMP_C_NEEDFRAG 4
#define ICMP_C_SRCFAIL 5

/** Whether an ICMP error may be sent about datagram @pkt: not about an ICMP
 *  error, a non-initial fragment, or a broadcast/multicast/zero/loopback
 *  source or multicast/broadcast destination (RFC 1122 3.2.2, RFC 1812 4.3.2.7). */
bool icmp_error_allowed(const uint8_t *pkt, size_t len);

/** Build an ICMP error message (no IP header: for a raw ICMP socket) of
 *  @type/@code quoting the first bytes of @orig (@orig_len available, at
 *  most ENCAP_ICMP_QUOTE_MAX and never beyond its Total Length); @mtu is the
 *  next-hop MTU for type 3 code 4.  Returns the message length. */
int icmp_error_build(uint8_t *out, size_t cap, uint8_t type, uint8_t code, uint16_t mtu,
		     const uint8_t *orig, size_t orig_len);

struct encap_icmp {
	uint8_t type, code;
	uint16_t mtu;                /* next-hop MTU of type 3 code 4 (0 if absent) */
	struct in_addr from;         /* who sent the ICMP message */
	struct in_addr outer_src, outer_dst;  /* of the quoted (our) packet */
	uint16_t outer_len;          /* its Total Length */
	enum dp_encap encap;
	/* quoted inner datagram, with a minimal-encapsulation header undone */
	uint8_t inner[ENCAP_ICMP_QUOTE_MAX];
	size_t inner_len;
};

/** Parse an ICMP error received on a raw ICMP socket (@pkt: IP header
 *  included) about one of our encapsulated packets.  0 when the quote holds
 *  the inner IP header; -ENCAP_E_ICMP_NOINNER when it does not (type, code,
 *  mtu and the outer fields are still filled, for soft state); other errors
 *  when it is not such a message. */
int encap_icmp_parse(const uint8_t *pkt, size_t len, struct encap_icmp *r);

#endif
