/* Authenticators of registration messages (RFC 5944 §3.5.1, §5.1; RFC 2002
 * §3.5.1) and randomness.  The only module that calls OpenSSL. */
#ifndef MIP_AUTH_H
#define MIP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "wire.h"

#define MIP_AUTH_LEN 16          /* MD5-based authenticators are 128 bits */
#define MIP_KEY_MAX 64

enum mip_auth_alg {
	MIP_AUTH_HMAC_MD5 = 1,        /* RFC 5944 default */
	MIP_AUTH_KEYED_MD5,           /* prefix+suffix, span includes the SPI (RFC 3344/5944) */
	MIP_AUTH_KEYED_MD5_RFC2002,   /* prefix+suffix, span ends after Type and Length (RFC 2002) */
};

enum mip_replay {
	MIP_REPLAY_TIMESTAMPS = 1,
	MIP_REPLAY_NONCES,
};

/** Config/CLI name of an algorithm ("hmac-md5", "keyed-md5", "rfc2002-md5") and back. */
const char *mip_auth_alg_name(enum mip_auth_alg alg);
int mip_auth_alg_parse(const char *s, enum mip_auth_alg *out);
const char *mip_replay_name(enum mip_replay r);
int mip_replay_parse(const char *s, enum mip_replay *out);

/**
 * Compute the authenticator of the extension that starts at @ext_start in
 * @msg and whose header (Type .. SPI) is @hdr_len bytes long, over the span
 * the algorithm defines.  Returns 0, or -1 on a crypto library failure.
 */
int mip_auth_compute(enum mip_auth_alg alg, const uint8_t *key, size_t keylen,
		     const uint8_t *msg, size_t ext_start, size_t hdr_len,
		     uint8_t out[MIP_AUTH_LEN]);

/** Check a parsed authentication extension in constant time. */
bool mip_auth_verify(enum mip_auth_alg alg, const uint8_t *key, size_t keylen,
		     const uint8_t *msg, const struct mip_ext_auth *ext);

/** Append a complete authentication extension over everything in @b so far. */
int mip_auth_append(struct mip_buf *b, uint8_t type, uint8_t subtype, uint32_t spi,
		    enum mip_auth_alg alg, const uint8_t *key, size_t keylen);

/** Fill @p with cryptographically strong random bytes; -1 on failure. */
int mip_random(void *p, size_t n);

/** Parse a hex key ("00112233..."); returns its length or -1. */
int mip_key_from_hex(const char *hex, uint8_t *key, size_t max);

#endif
