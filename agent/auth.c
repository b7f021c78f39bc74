/* Registration authenticators (HMAC-MD5, keyed MD5 prefix+suffix in its
 * RFC 3344 and RFC 2002 spans) and random numbers, through OpenSSL only. */
#include "config.h"
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
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

/* One HMAC-MD5 context fetched once and duplicated per use: fetching the
 * algorithm is the expensive part of EVP_MAC. */
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

static int auth_hmac_md5(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
			 uint8_t out[MIP_AUTH_LEN])
{
	OSSL_PARAM params[2] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"MD5", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac_alg);
	size_t outl = 0;
	int rc = -1;

	if (!ctx)
		return -1;
	/* HMAC accepts an empty key only as a non-NULL pointer */
	if (EVP_MAC_init(ctx, keylen ? key : (const uint8_t *)"", keylen, params) == 1 &&
	    EVP_MAC_update(ctx, data, len) == 1 &&
	    EVP_MAC_final(ctx, out, &outl, MIP_AUTH_LEN) == 1 && outl == MIP_AUTH_LEN)
		rc = 0;
	EVP_MAC_CTX_free(ctx);
	return rc;
}

/* Keyed MD5 in "prefix+suffix" mode: MD5(key || data || key). */
static int auth_keyed_md5(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
			  uint8_t out[MIP_AUTH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int outl = 0;
	int rc = -1;

	if (!ctx)
		return -1;
	if (EVP_DigestInit_ex(ctx, md5_alg, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, key, keylen) == 1 &&
	    EVP_DigestUpdate(ctx, data, len) == 1 &&
	    EVP_DigestUpdate(ctx, key, keylen) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &outl) == 1 && outl == MIP_AUTH_LEN)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	return rc;
}

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
