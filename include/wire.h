/* Mobile IPv4 registration messages on the wire (RFC 5944 §3.3-3.5, RFC 2794,
 * RFC 3012): pure parse and build functions over bytes, no sockets.
 * Parsers never read outside [p, p+len) and keep pointers into the caller's
 * buffer, which must outlive the parsed struct. */
#ifndef MIP_WIRE_H
#define MIP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "buf.h"

#define MIP_UDP_PORT 434
#define MIP_RRQ_FIXED_LEN 24
#define MIP_RRP_FIXED_LEN 20

enum mip_msg_type {
	MIP_MSG_REG_REQUEST = 1,
	MIP_MSG_REG_REPLY = 3,
};

/* Registration Request flag bits (the byte after Type) */
#define MIP_RRQ_S 0x80  /* simultaneous bindings */
#define MIP_RRQ_B 0x40  /* broadcast datagrams */
#define MIP_RRQ_D 0x20  /* decapsulation by mobile node (co-located CoA) */
#define MIP_RRQ_M 0x10  /* minimal encapsulation */
#define MIP_RRQ_G 0x08  /* GRE encapsulation */
#define MIP_RRQ_r 0x04  /* reserved: sent as zero, ignored on reception */
#define MIP_RRQ_T 0x02  /* reverse tunnelling (RFC 3024) */
#define MIP_RRQ_x 0x01  /* reserved: sent as zero, ignored on reception */

/* Extension types in registration messages (RFC 5944 §1.8) */
enum mip_ext_type {
	MIP_EXT_PAD = 0,        /* one-byte padding: no length, no data */
	MIP_EXT_MN_HA = 32,     /* Mobile-Home authentication */
	MIP_EXT_MN_FA = 33,     /* Mobile-Foreign authentication */
	MIP_EXT_FA_HA = 34,     /* Foreign-Home authentication */
	MIP_EXT_GEN_AUTH = 36,  /* generalized authentication, long format (RFC 3012 §5) */
	MIP_EXT_NAI = 131,      /* Mobile Node NAI (RFC 2794), skippable */
};
#define MIP_GEN_AUTH_MN_AAA 1   /* subtype of MIP_EXT_GEN_AUTH */

/* Reply codes (RFC 5944 §3.4, RFC 3024 §3.3) */
enum mip_code {
	MIP_CODE_ACCEPTED = 0,
	MIP_CODE_ACCEPTED_NO_SIMUL = 1,
	MIP_CODE_FA_UNSPECIFIED = 64,
	MIP_CODE_FA_PROHIBITED = 65,
	MIP_CODE_FA_RESOURCES = 66,
	MIP_CODE_FA_MN_AUTH = 67,
	MIP_CODE_FA_HA_AUTH = 68,
	MIP_CODE_FA_LIFETIME = 69,
	MIP_CODE_FA_POOR_REQUEST = 70,
	MIP_CODE_FA_POOR_REPLY = 71,
	MIP_CODE_FA_ENCAPS = 72,
	MIP_CODE_FA_VJ = 73,
	MIP_CODE_FA_REVTUN_UNAVAIL = 74,
	MIP_CODE_FA_REVTUN_MANDATORY = 75,
	MIP_CODE_FA_TOO_DISTANT = 76,
	MIP_CODE_FA_BAD_COA = 77,
	MIP_CODE_FA_TIMEOUT = 78,
	MIP_CODE_FA_DELIVERY_STYLE = 79,
	MIP_CODE_FA_HOME_NET_UNREACH = 80,
	MIP_CODE_FA_HA_HOST_UNREACH = 81,
	MIP_CODE_FA_HA_PORT_UNREACH = 82,
	MIP_CODE_FA_HA_UNREACH = 88,
	MIP_CODE_HA_UNSPECIFIED = 128,
	MIP_CODE_HA_PROHIBITED = 129,
	MIP_CODE_HA_RESOURCES = 130,
	MIP_CODE_HA_MN_AUTH = 131,
	MIP_CODE_HA_FA_AUTH = 132,
	MIP_CODE_HA_ID_MISMATCH = 133,
	MIP_CODE_HA_POOR_REQUEST = 134,
	MIP_CODE_HA_TOO_MANY_BINDINGS = 135,
	MIP_CODE_HA_UNKNOWN_HA = 136,
	MIP_CODE_HA_REVTUN_UNAVAIL = 137,
	MIP_CODE_HA_REVTUN_MANDATORY = 138,
	MIP_CODE_HA_ENCAPS = 139,
};

enum mip_parse_result {
	MIP_PARSE_OK = 0,
	MIP_PARSE_SHORT,        /* shorter than the fixed part or wrong Type: drop */
	MIP_PARSE_UNKNOWN_EXT,  /* unrecognised extension 0-127: silently discard (§1.8) */
	MIP_PARSE_MALFORMED,    /* an extension overruns the message or has an invalid
				 * length: poorly formed (codes 134 / 70 / 71) */
};

/* One authentication extension as found in a message. */
struct mip_ext_auth {
	bool present;
	uint8_t type;           /* 32, 33, 34 or 36 */
	uint8_t subtype;        /* for type 36 only */
	uint32_t spi;
	const uint8_t *authenticator;
	size_t auth_len;
	size_t start;           /* offset of the extension's Type byte in the message */
	size_t hdr_len;         /* bytes from Type up to and including SPI: 6, or 8 for type 36 */
};

/* Extensions found in a registration message. The first occurrence of each
 * authentication extension is kept, and every occurrence is counted (the home
 * agent must refuse more than one FA-HA extension, §3.8.2.1 c). */
struct mip_exts {
	struct mip_ext_auth mn_ha, mn_fa, fa_ha, mn_aaa;
	unsigned n_mn_ha, n_mn_fa, n_fa_ha, n_mn_aaa;
	const uint8_t *nai;     /* NAI bytes (not NUL-terminated) or NULL */
	size_t nai_len;
	unsigned n_skipped;     /* unrecognised skippable (128-255) extensions */
};

struct mip_reg_request {
	uint8_t flags;          /* MIP_RRQ_* */
	uint16_t lifetime;      /* seconds; 0 deregistration, 0xffff infinity */
	struct in_addr hoa;     /* home address */
	struct in_addr ha;      /* home agent */
	struct in_addr coa;     /* care-of address */
	uint64_t id;            /* identification */
	struct mip_exts ext;
	size_t len;             /* bytes parsed (the whole message) */
};

struct mip_reg_reply {
	uint8_t code;
	uint16_t lifetime;
	struct in_addr hoa;
	struct in_addr ha;
	uint64_t id;
	struct mip_exts ext;
	size_t len;
};

/** Parse a Registration Request (Type 1) and all its extensions. */
enum mip_parse_result mip_parse_request(const uint8_t *p, size_t len, struct mip_reg_request *out);
/** Parse a Registration Reply (Type 3) and all its extensions. */
enum mip_parse_result mip_parse_reply(const uint8_t *p, size_t len, struct mip_reg_reply *out);

/** Append the fixed part of a request / reply (extensions are not written). */
void mip_build_request(struct mip_buf *b, const struct mip_reg_request *r);
void mip_build_reply(struct mip_buf *b, const struct mip_reg_reply *r);
/** Append an NAI extension (type 131); @len must be 1..255. */
void mip_build_nai(struct mip_buf *b, const uint8_t *nai, size_t len);
/** Append @n one-byte padding extensions. */
void mip_build_pad(struct mip_buf *b, size_t n);
/**
 * Append the header of an authentication extension (type 32/33/34 in the
 * short TLV form, or 36 with @subtype in the long form) followed by @auth_len
 * zero bytes for the authenticator, which the caller fills in (auth.h).
 * Returns the offset of the extension's Type byte, or (size_t)-1 on error.
 */
size_t mip_build_auth_ext(struct mip_buf *b, uint8_t type, uint8_t subtype, uint32_t spi,
			  size_t auth_len);

/** Short text for a reply code ("accepted", "mobile node failed authentication"...). */
const char *mip_code_str(unsigned code);
/** True for reply codes that accept the registration (0 and 1). */
static inline bool mip_code_accepted(unsigned code) { return code <= 1; }

#endif
