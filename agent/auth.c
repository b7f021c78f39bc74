/* Registration authenticators (HMAC-MD5, keyed MD5 prefix+suffix in its
 * RFC 3344 and RFC 2002 spans) and random numbers, through OpenSSL only. */
#include "config.h"
#include <stdbool.h>
#include <string.h>
/* MD5_CTX, deprecated in OpenSSL 3.0 (see auth_hmac_md5) */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/configuration.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#ifndef OPENSSL_NO_DEPRECATED_3_0
#include <openssl/md5.h>
#define AUTH_MD5_STATES 1
#endif
#include "auth.h"
#include "log.h"

static const struct {
	enum mip_auth_alg alg;
	const char *name;
} alg_names[] = {
	{ MIP_AUTH_HMAC_MD5, "hmac-md5" },
	{ MIP_AUTH_KEYED_MD5, "keyed-md5" },
	{ MIP_AUTH_KEYED_MD5_RFC2002, "rfc2002-md5" },
};

const char *mip_auth_alg_name(enum mip_auth_alg alg)
{
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	return "unknown";
}

int mip_auth_alg_parse(const char *s, enum mip_auth_alg *out)
{
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (strcmp(alg_names[i].name, s) == 0) {
			*out = alg_names[i].alg;
			return 0;
		}
	return -1;
}

const char *mip_replay_name(enum mip_replay r)
{
	return r == MIP_REPLAY_NONCES ? "nonces" : "timestamps";
}

int mip_replay_parse(const char *s, enum mip_replay *out)
{
	if (strcmp(s, "timestamps") == 0)
		*out = MIP_REPLAY_TIMESTAMPS;
	else if (strcmp(s, "nonces") == 0)
		*out = MIP_REPLAY_NONCES;
	else
		return -1;
	return 0;
}

/* HMAC-MD5 (RFC 2104) keeps, per key, the MD5 states after the inner and
 * the outer padded key; a message then costs its own blocks and one block
 * for the outer hash.  The states sit in a small direct-mapped cache keyed
 * by the key bytes, so a changed or reloaded security association simply
 * misses, and two keys sharing a slot only cost the set-up again.
 *
 * The states are copied by value, which needs OpenSSL's MD5_CTX (deprecated
 * in OpenSSL 3.0, still provided): EVP copies a digest context through the
 * provider with two allocations per copy, half the speed (3 400 against
 * 1 700 instructions per authenticator, callgrind).  An OpenSSL built
 * without the deprecated interfaces gets keyed EVP_MAC contexts instead,
 * re-initialised per message (EVP_MAC_init with no key keeps the key). */
#define AUTH_CACHE_SLOTS 64
#define AUTH_BLOCK 64           /* MD5's block size */

struct auth_slot {
	bool keyed;
	size_t keylen;
	uint8_t key[MIP_KEY_MAX];
#ifdef AUTH_MD5_STATES
	MD5_CTX inner, outer;           /* after the inner / outer padded key */
#else
	EVP_MAC_CTX *ctx;
#endif
};

static struct auth_slot auth_cache[AUTH_CACHE_SLOTS];

static struct auth_slot *auth_slot_for(const uint8_t *key, size_t keylen)
{
	uint32_t h = 2166136261u ^ (uint32_t)keylen;    /* FNV-1a */

	for (size_t i = 0; i < keylen; i++)
		h = (h ^ key[i]) * 16777619u;
	return &auth_cache[(h ^ h >> 16) % AUTH_CACHE_SLOTS];
}

static bool auth_slot_has(const struct auth_slot *s, const uint8_t *key, size_t keylen)
{
	return s->keyed && s->keylen == keylen && CRYPTO_memcmp(s->key, key, keylen) == 0;
}

static void auth_slot_remember(struct auth_slot *s, const uint8_t *key, size_t keylen)
{
	OPENSSL_cleanse(s->key, sizeof(s->key));
	memcpy(s->key, key, keylen);
	s->keylen = keylen;
	s->keyed = true;
}

#ifdef AUTH_MD5_STATES

static int auth_fetch(void)
{
	return 0;
}

/* The inner and outer states of @key (any length: a long one is hashed). */
static void auth_pads(const uint8_t *key, size_t keylen, MD5_CTX *inner, MD5_CTX *outer)
{
	uint8_t k[AUTH_BLOCK] = { 0 }, pad[AUTH_BLOCK];

	if (keylen > AUTH_BLOCK)
		MD5(key, keylen, k);
	else if (keylen)
		memcpy(k, key, keylen);
	for (size_t i = 0; i < AUTH_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	MD5_Init(inner);
	MD5_Update(inner, pad, AUTH_BLOCK);
	for (size_t i = 0; i < AUTH_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	MD5_Init(outer);
	MD5_Update(outer, pad, AUTH_BLOCK);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
}

static int auth_hmac_md5(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
			 uint8_t out[MIP_AUTH_LEN])
{
	struct auth_slot *s, spare;
	uint8_t ih[MIP_AUTH_LEN];
	MD5_CTX c;

	if (keylen > MIP_KEY_MAX) {
		s = &spare;             /* too long to cache: this message only */
		auth_pads(key, keylen, &s->inner, &s->outer);
	} else if (!auth_slot_has(s = auth_slot_for(key, keylen), key, keylen)) {
		auth_pads(key, keylen, &s->inner, &s->outer);
		auth_slot_remember(s, key, keylen);
	}
	c = s->inner;
	MD5_Update(&c, data, len);
	MD5_Final(ih, &c);
	c = s->outer;
	MD5_Update(&c, ih, sizeof(ih));
	MD5_Final(out, &c);
	if (s == &spare)
		OPENSSL_cleanse(&spare, sizeof(spare));
	return 0;
}

/* Keyed MD5 in "prefix+suffix" mode: MD5(key || data || key). */
static int auth_keyed_md5(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
			  uint8_t out[MIP_AUTH_LEN])
{
	MD5_CTX c;

	MD5_Init(&c);
	MD5_Update(&c, key, keylen);
	MD5_Update(&c, data, len);
	MD5_Update(&c, key, keylen);
	MD5_Final(out, &c);
	return 0;
}

#else /* EVP only */

/* The algorithms are fetched once: fetching by name is the expensive part
 * of EVP. */
static EVP_MAC *hmac_alg;
static EVP_MD *md5_alg;

static int auth_fetch(void)
{
	if (!hmac_alg)
		hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!md5_alg)
		md5_alg = EVP_MD_fetch(NULL, "MD5", NULL);
	if (!hmac_alg || !md5_alg) {
		log_warnx("auth", "OpenSSL has no HMAC or MD5 implementation");
		return -1;
	}
	return 0;
}

static EVP_MAC_CTX *auth_hmac_new(void)
{
	OSSL_PARAM params[2] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"MD5", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac_alg);

	/* the digest is set once; later keys reuse it */
	if (ctx && EVP_MAC_CTX_set_params(ctx, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

static int auth_hmac_md5(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
			 uint8_t out[MIP_AUTH_LEN])
{
	struct auth_slot *s = keylen <= MIP_KEY_MAX ? auth_slot_for(key, keylen) : NULL;
	EVP_MAC_CTX *ctx = s ? s->ctx : auth_hmac_new();
	size_t outl = 0;
	int rc = -1;

	if (s && !ctx)
		ctx = s->ctx = auth_hmac_new();
	if (!ctx)
		return -1;
	if (s && auth_slot_has(s, key, keylen)) {
		if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1)
			goto out;
	} else {
		if (s)
			s->keyed = false;
		/* HMAC accepts an empty key only as a non-NULL pointer */
		if (EVP_MAC_init(ctx, keylen ? key : (const uint8_t *)"", keylen, NULL) != 1)
			goto out;
		if (s)
			auth_slot_remember(s, key, keylen);
	}
	if (EVP_MAC_update(ctx, data, len) == 1 && EVP_MAC_final(ctx, out, &outl, MIP_AUTH_LEN) == 1 &&
	    outl == MIP_AUTH_LEN)
		rc = 0;
out:
	if (!s)
		EVP_MAC_CTX_free(ctx);
	else if (rc < 0)
		s->keyed = false;       /* the context may be half-way: set the key up again */
	return rc;
}

/* Keyed MD5 in "prefix+suffix" mode: MD5(key || data || key), in one
 * digest context reused for every message. */
static int auth_keyed_md5(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
			  uint8_t out[MIP_AUTH_LEN])
{
	static EVP_MD_CTX *ctx;
	unsigned int outl = 0;

	if (!ctx && !(ctx = EVP_MD_CTX_new()))
		return -1;
	if (EVP_DigestInit_ex(ctx, md5_alg, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, key, keylen) == 1 &&
	    EVP_DigestUpdate(ctx, data, len) == 1 &&
	    EVP_DigestUpdate(ctx, key, keylen) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &outl) == 1 && outl == MIP_AUTH_LEN)
		return 0;
	return -1;
}

#endif

int mip_auth_compute(enum mip_auth_alg alg, const uint8_t *key, size_t keylen,
		     const uint8_t *msg, size_t ext_start, size_t hdr_len,
		     uint8_t out[MIP_AUTH_LEN])
{
	if (auth_fetch() < 0)
		return -1;
	switch (alg) {
	case MIP_AUTH_HMAC_MD5:
		/* RFC 5944 §3.5.1: payload, prior extensions, Type, Length, SPI */
		return auth_hmac_md5(key, keylen, msg, ext_start + hdr_len, out);
	case MIP_AUTH_KEYED_MD5:
		return auth_keyed_md5(key, keylen, msg, ext_start + hdr_len, out);
	case MIP_AUTH_KEYED_MD5_RFC2002:
		/* RFC 2002 §3.5.1: the span ends after this extension's Type and Length */
		return auth_keyed_md5(key, keylen, msg, ext_start + 2, out);
	}
	return -1;
}

bool mip_auth_verify(enum mip_auth_alg alg, const uint8_t *key, size_t keylen,
		     const uint8_t *msg, const struct mip_ext_auth *ext)
{
	uint8_t expect[MIP_AUTH_LEN];

	if (!ext->present || ext->auth_len != MIP_AUTH_LEN)
		return false;
	if (mip_auth_compute(alg, key, keylen, msg, ext->start, ext->hdr_len, expect) < 0)
		return false;
	return CRYPTO_memcmp(expect, ext->authenticator, MIP_AUTH_LEN) == 0;
}

int mip_auth_append(struct mip_buf *b, uint8_t type, uint8_t subtype, uint32_t spi,
		    enum mip_auth_alg alg, const uint8_t *key, size_t keylen)
{
	size_t start = mip_build_auth_ext(b, type, subtype, spi, MIP_AUTH_LEN);
	size_t hdr_len = type == MIP_EXT_GEN_AUTH ? 8 : 6;

	if (start == (size_t)-1 || !mip_buf_ok(b))
		return -1;
	return mip_auth_compute(alg, key, keylen, b->data, start, hdr_len,
				b->data + start + hdr_len);
}

int mip_random(void *p, size_t n)
{
	if (RAND_bytes(p, (int)n) != 1) {
		log_warnx("auth", "RAND_bytes failed");
		return -1;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mip_key_from_hex(const char *hex, uint8_t *key, size_t max)
{
	size_t n = strlen(hex);

	if (n >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
		hex += 2;
		n -= 2;
	}
	if (n == 0 || n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}
