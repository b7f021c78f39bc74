/* Agent Advertisement and Agent Solicitation on the wire (RFC 5944 §2.1,
 * §2.2; ICMP Router Discovery, RFC 1256 §3): pure parse and build functions
 * over ICMP messages (the bytes after the IP header), no sockets.  Parsers
 * never read outside [p, p+len). */
#ifndef MIP_ADV_WIRE_H
#define MIP_ADV_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "buf.h"

#define MIP_ICMP_ROUTER_ADV 9
#define MIP_ICMP_ROUTER_SOL 10
#define MIP_ADV_CODE_ROUTER 0       /* the agent routes common traffic */
#define MIP_ADV_CODE_MOBILITY 16    /* it does not (RFC 5944 §2.1) */

/* Extension types of ICMP Router Discovery messages (RFC 5944 §1.8) */
enum mip_adv_ext_type {
	MIP_ADV_EXT_PAD = 0,
	MIP_ADV_EXT_MOBILITY = 16,      /* Mobility Agent Advertisement */
	MIP_ADV_EXT_PREFIX_LENGTHS = 19,
	MIP_ADV_EXT_CHALLENGE = 24,     /* RFC 4721 */
};

/* Flags of the Mobility Agent Advertisement Extension (RFC 5944 §2.1.1) */
#define MIP_ADV_R 0x8000   /* registration required */
#define MIP_ADV_B 0x4000   /* busy */
#define MIP_ADV_H 0x2000   /* home agent */
#define MIP_ADV_F 0x1000   /* foreign agent */
#define MIP_ADV_M 0x0800   /* minimal encapsulation */
#define MIP_ADV_G 0x0400   /* GRE encapsulation */
#define MIP_ADV_r 0x0200   /* reserved: sent as zero */
#define MIP_ADV_T 0x0100   /* reverse tunnelling (RFC 3024) */
#define MIP_ADV_U 0x0080   /* UDP tunnelling (RFC 3519) */
#define MIP_ADV_X 0x0040   /* registration revocation (RFC 3543) */
#define MIP_ADV_I 0x0020   /* regional registration (RFC 4857) */

#define MIP_ADV_MAX_ADDRS 32        /* router addresses kept by the parser */
#define MIP_ADV_MAX_COAS 32         /* care-of addresses kept (and built) */
#define MIP_ADV_FIXED_LEN 8         /* type .. lifetime */
#define MIP_SOL_LEN 8

struct mip_router_addr {
	struct in_addr addr;
	int32_t preference;
};

/* An Agent Advertisement.  For the parser, n_addrs and n_coas count every
 * entry in the message; only the first MIP_ADV_MAX_* are stored. */
struct mip_agent_adv {
	uint8_t code;                   /* ICMP code: 0 or 16 */
	uint16_t lifetime;              /* RFC 1256 Lifetime, seconds */
	uint8_t addr_entry_size;        /* 32-bit words per address entry (parsed; built as 2) */
	unsigned n_addrs;
	struct mip_router_addr addrs[MIP_ADV_MAX_ADDRS];
	bool mobility;                  /* the Mobility Agent Advertisement Extension is present */
	uint16_t seq;
	uint16_t reg_lifetime;          /* seconds, 0xffff infinity */
	uint16_t flags;                 /* MIP_ADV_* */
	unsigned n_coas;
	struct in_addr coas[MIP_ADV_MAX_COAS];
	bool prefix_lengths;            /* the Prefix-Lengths Extension is present */
	unsigned n_prefix_lengths;
	uint8_t prefix_len[MIP_ADV_MAX_ADDRS];
	const uint8_t *challenge;       /* RFC 4721 challenge (parsed), or NULL */
	size_t challenge_len;
	unsigned n_pad;                 /* one-byte padding extensions */
	unsigned n_skipped;             /* unrecognised skippable (128-255) extensions */
	size_t len;                     /* ICMP message length */
};

enum mip_adv_parse_result {
	MIP_ADV_PARSE_OK = 0,
	MIP_ADV_PARSE_SHORT,        /* shorter than the fixed part, or another ICMP type/code */
	MIP_ADV_PARSE_CHECKSUM,     /* bad ICMP checksum */
	MIP_ADV_PARSE_MALFORMED,    /* addresses or an extension overrun, bad lengths */
	MIP_ADV_PARSE_UNKNOWN_EXT,  /* unrecognised extension 1-127: discard (§1.8) */
	MIP_ADV_PARSE_NOT_AGENT,    /* a plain router advertisement (no extension 16) */
};

/** The Internet checksum of @len bytes (the ICMP checksum field included). */
uint16_t mip_icmp_checksum(const uint8_t *p, size_t len);

/** Parse an ICMP Router Advertisement that should be an Agent Advertisement. */
enum mip_adv_parse_result mip_adv_parse(const uint8_t *p, size_t len, struct mip_agent_adv *out);

/**
 * Append an Agent Advertisement: the RFC 1256 part with @a->n_addrs addresses
 * (entry size 2), the Mobility Agent Advertisement Extension with @a->n_coas
 * care-of addresses, the Prefix-Lengths Extension when @a->prefix_lengths
 * (one length per router address), and a one-byte padding extension when the
 * length would otherwise be odd (§2.1.3).  The checksum is filled in.
 * Returns 0, or -1 (and the buffer's error flag) on bad arguments.
 */
int mip_adv_build(struct mip_buf *b, const struct mip_agent_adv *a);

/** Is @p an ICMP Router (Agent) Solicitation with a good checksum? */
bool mip_sol_parse(const uint8_t *p, size_t len);
/** Append an Agent Solicitation (type 10, code 0, checksummed). */
void mip_sol_build(struct mip_buf *b);

/** The sequence number after @seq: 0xffff is followed by 256 (§2.3.2). */
static inline uint16_t mip_adv_seq_next(uint16_t seq)
{
	return seq == 0xffff ? 256 : (uint16_t)(seq + 1);
}

/** The flag letters set in @flags ("RBHFMGrTUXI" order), or "-". */
const char *mip_adv_flags_str(uint16_t flags, char buf[16]);

#endif
