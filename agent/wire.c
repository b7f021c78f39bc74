/* Mobile IPv4 registration message codec: parse and build bytes (see wire.h). */
#include "config.h"
#include <string.h>
#include "wire.h"

#define SHORT_AUTH_HDR_LEN 6   /* Type, Length, SPI */
#define GEN_AUTH_HDR_LEN 8     /* Type, Subtype, Length (16 bits), SPI */
#define AUTH_SPI_LEN 4
#define SHORT_AUTH_MAX 251     /* 255 - SPI */
#define GEN_AUTH_MIN 16        /* RFC 3012 §5: Length MUST be at least 20 */
#define GEN_AUTH_MAX (65535 - AUTH_SPI_LEN)
#define NAI_MAX 255

static struct in_addr get_addr(const uint8_t *p)
{
	struct in_addr a;

	memcpy(&a.s_addr, p, 4);
	return a;
}

/* Does [off, off + n) fit inside a message of @len bytes? */
static bool fits(size_t len, size_t off, size_t n)
{
	return off <= len && n <= len - off;
}

static void record_auth(struct mip_ext_auth *a, unsigned *count, const uint8_t *p,
			size_t start, size_t hdr_len, size_t data_len)
{
	(*count)++;
	if (a->present)
		return;
	a->present = true;
	a->type = p[start];
	a->subtype = hdr_len == GEN_AUTH_HDR_LEN ? p[start + 1] : 0;
	a->spi = mip_get_u32(p + start + hdr_len - AUTH_SPI_LEN);
	a->authenticator = p + start + hdr_len;
	a->auth_len = data_len - AUTH_SPI_LEN;
	a->start = start;
	a->hdr_len = hdr_len;
}

/* Types 32, 33, 34: Type, Length (= 4 + authenticator length), SPI, data. */
static enum mip_parse_result parse_short_auth(const uint8_t *p, size_t len, size_t *off,
					      struct mip_exts *e)
{
	size_t start = *off;
	size_t dlen;

	if (!fits(len, start, 2))
		return MIP_PARSE_MALFORMED;
	dlen = p[start + 1];
	if (dlen < AUTH_SPI_LEN || !fits(len, start + 2, dlen))
		return MIP_PARSE_MALFORMED;
	switch (p[start]) {
	case MIP_EXT_MN_HA:
		record_auth(&e->mn_ha, &e->n_mn_ha, p, start, SHORT_AUTH_HDR_LEN, dlen);
		break;
	case MIP_EXT_MN_FA:
		record_auth(&e->mn_fa, &e->n_mn_fa, p, start, SHORT_AUTH_HDR_LEN, dlen);
		break;
	default:
		record_auth(&e->fa_ha, &e->n_fa_ha, p, start, SHORT_AUTH_HDR_LEN, dlen);
		break;
	}
	*off = start + 2 + dlen;
	return MIP_PARSE_OK;
}

/* Type 36 (RFC 3012 §5): Type, Subtype, Length (16 bits, >= 20), SPI, data.
 * Only subtype 1 (MN-AAA) is known; any other subtype makes the whole
 * extension unrecognised, and type 36 is not skippable. */
static enum mip_parse_result parse_gen_auth(const uint8_t *p, size_t len, size_t *off,
					    struct mip_exts *e)
{
	size_t start = *off;
	size_t dlen;

	if (!fits(len, start, 2))
		return MIP_PARSE_MALFORMED;
	if (p[start + 1] != MIP_GEN_AUTH_MN_AAA)
		return MIP_PARSE_UNKNOWN_EXT;
	if (!fits(len, start, 4))
		return MIP_PARSE_MALFORMED;
	dlen = mip_get_u16(p + start + 2);
	if (dlen < AUTH_SPI_LEN + GEN_AUTH_MIN || !fits(len, start + 4, dlen))
		return MIP_PARSE_MALFORMED;
	record_auth(&e->mn_aaa, &e->n_mn_aaa, p, start, GEN_AUTH_HDR_LEN, dlen);
	*off = start + 4 + dlen;
	return MIP_PARSE_OK;
}

/* Any TLV with a one-byte Length: returns the data length or -1 if the
 * header or the data runs past the end of the message. */
static long tlv_data_len(const uint8_t *p, size_t len, size_t off)
{
	if (!fits(len, off, 2) || !fits(len, off + 2, p[off + 1]))
		return -1;
	return p[off + 1];
}

/* Type 131 (RFC 2794): Type, Length (>= 1), NAI. The first one is kept. */
static enum mip_parse_result parse_nai(const uint8_t *p, size_t len, size_t *off,
				       struct mip_exts *e)
{
	long dlen = tlv_data_len(p, len, *off);

	if (dlen < 1)
		return MIP_PARSE_MALFORMED;
	if (!e->nai) {
		e->nai = p + *off + 2;
		e->nai_len = (size_t)dlen;
	}
	*off += 2 + (size_t)dlen;
	return MIP_PARSE_OK;
}

/* Unrecognised type 128-255: skip it with its one-byte Length (§1.8). */
static enum mip_parse_result skip_ext(const uint8_t *p, size_t len, size_t *off,
				      struct mip_exts *e)
{
	long dlen = tlv_data_len(p, len, *off);

	if (dlen < 0)
		return MIP_PARSE_MALFORMED;
	e->n_skipped++;
	*off += 2 + (size_t)dlen;
	return MIP_PARSE_OK;
}

static enum mip_parse_result parse_one_ext(const uint8_t *p, size_t len, size_t *off,
					   struct mip_exts *e)
{
	uint8_t type = p[*off];

	switch (type) {
	case MIP_EXT_PAD:
		(*off)++;
		return MIP_PARSE_OK;
	case MIP_EXT_MN_HA:
	case MIP_EXT_MN_FA:
	case MIP_EXT_FA_HA:
		return parse_short_auth(p, len, off, e);
	case MIP_EXT_GEN_AUTH:
		return parse_gen_auth(p, len, off, e);
	case MIP_EXT_NAI:
		return parse_nai(p, len, off, e);
	default:
		if (type < 128)
			return MIP_PARSE_UNKNOWN_EXT;
		return skip_ext(p, len, off, e);
	}
}

/*
 * Scan the extensions in [off, len) strictly left to right and stop at the
 * first problem: an unrecognised non-skippable type gives UNKNOWN_EXT even if
 * a later extension is malformed, and a malformed extension gives MALFORMED
 * even if a later one is unknown. An unknown type 0-127 is reported as soon
 * as its Type byte is read (its length is never needed); for type 36 the
 * Subtype byte must be present before an unknown subtype is reported.
 */
static enum mip_parse_result parse_exts(const uint8_t *p, size_t len, size_t off,
					struct mip_exts *e)
{
	enum mip_parse_result r = MIP_PARSE_OK;

	while (off < len && r == MIP_PARSE_OK)
		r = parse_one_ext(p, len, &off, e);
	return r;
}

enum mip_parse_result mip_parse_request(const uint8_t *p, size_t len, struct mip_reg_request *out)
{
	memset(out, 0, sizeof(*out));
	if (len < MIP_RRQ_FIXED_LEN || p[0] != MIP_MSG_REG_REQUEST)
		return MIP_PARSE_SHORT;
	out->flags = p[1];
	out->lifetime = mip_get_u16(p + 2);
	out->hoa = get_addr(p + 4);
	out->ha = get_addr(p + 8);
	out->coa = get_addr(p + 12);
	out->id = mip_get_u64(p + 16);
	out->len = len;
	return parse_exts(p, len, MIP_RRQ_FIXED_LEN, &out->ext);
}

enum mip_parse_result mip_parse_reply(const uint8_t *p, size_t len, struct mip_reg_reply *out)
{
	memset(out, 0, sizeof(*out));
	if (len < MIP_RRP_FIXED_LEN || p[0] != MIP_MSG_REG_REPLY)
		return MIP_PARSE_SHORT;
	out->code = p[1];
	out->lifetime = mip_get_u16(p + 2);
	out->hoa = get_addr(p + 4);
	out->ha = get_addr(p + 8);
	out->id = mip_get_u64(p + 12);
	out->len = len;
	return parse_exts(p, len, MIP_RRP_FIXED_LEN, &out->ext);
}

void mip_build_request(struct mip_buf *b, const struct mip_reg_request *r)
{
	mip_buf_put_u8(b, MIP_MSG_REG_REQUEST);
	mip_buf_put_u8(b, r->flags);
	mip_buf_put_u16(b, r->lifetime);
	mip_buf_put_addr(b, r->hoa);
	mip_buf_put_addr(b, r->ha);
	mip_buf_put_addr(b, r->coa);
	mip_buf_put_u64(b, r->id);
}

void mip_build_reply(struct mip_buf *b, const struct mip_reg_reply *r)
{
	mip_buf_put_u8(b, MIP_MSG_REG_REPLY);
	mip_buf_put_u8(b, r->code);
	mip_buf_put_u16(b, r->lifetime);
	mip_buf_put_addr(b, r->hoa);
	mip_buf_put_addr(b, r->ha);
	mip_buf_put_u64(b, r->id);
}

/* An invalid argument poisons the buffer like a failed append would, so a
 * caller that checks mip_buf_ok() once at the end still sees it. */
void mip_build_nai(struct mip_buf *b, const uint8_t *nai, size_t len)
{
	if (len < 1 || len > NAI_MAX || !nai) {
		b->err = true;
		return;
	}
	mip_buf_put_u8(b, MIP_EXT_NAI);
	mip_buf_put_u8(b, (uint8_t)len);
	mip_buf_put(b, nai, len);
}

void mip_build_pad(struct mip_buf *b, size_t n)
{
	uint8_t *d = mip_buf_reserve(b, n);

	if (d && n)
		memset(d, MIP_EXT_PAD, n);
}

static bool auth_len_ok(uint8_t type, size_t auth_len)
{
	switch (type) {
	case MIP_EXT_MN_HA:
	case MIP_EXT_MN_FA:
	case MIP_EXT_FA_HA:
		return auth_len <= SHORT_AUTH_MAX;
	case MIP_EXT_GEN_AUTH:
		return auth_len >= GEN_AUTH_MIN && auth_len <= GEN_AUTH_MAX;
	default:
		return false;
	}
}

/* @subtype is used for type 36 only. Bad arguments also set the buffer's
 * error flag (see mip_build_nai). */
size_t mip_build_auth_ext(struct mip_buf *b, uint8_t type, uint8_t subtype, uint32_t spi,
			  size_t auth_len)
{
	size_t start = b->len;
	uint8_t *d;

	if (!mip_buf_ok(b))
		return (size_t)-1;
	if (!auth_len_ok(type, auth_len)) {
		b->err = true;
		return (size_t)-1;
	}
	mip_buf_put_u8(b, type);
	if (type == MIP_EXT_GEN_AUTH) {
		mip_buf_put_u8(b, subtype);
		mip_buf_put_u16(b, (uint16_t)(AUTH_SPI_LEN + auth_len));
	} else {
		mip_buf_put_u8(b, (uint8_t)(AUTH_SPI_LEN + auth_len));
	}
	mip_buf_put_u32(b, spi);
	d = mip_buf_reserve(b, auth_len);
	if (d && auth_len)
		memset(d, 0, auth_len);
	return mip_buf_ok(b) ? start : (size_t)-1;
}

/* Reply code texts in the RFCs' wording (RFC 5944 §3.4, RFC 3024 §3.3). */
static const struct {
	uint8_t code;
	const char *text;
} code_text[] = {
	{ MIP_CODE_ACCEPTED, "registration accepted" },
	{ MIP_CODE_ACCEPTED_NO_SIMUL,
	  "registration accepted, but simultaneous mobility bindings unsupported" },
	{ MIP_CODE_FA_UNSPECIFIED, "reason unspecified" },
	{ MIP_CODE_FA_PROHIBITED, "administratively prohibited" },
	{ MIP_CODE_FA_RESOURCES, "insufficient resources" },
	{ MIP_CODE_FA_MN_AUTH, "mobile node failed authentication" },
	{ MIP_CODE_FA_HA_AUTH, "home agent failed authentication" },
	{ MIP_CODE_FA_LIFETIME, "requested lifetime too long" },
	{ MIP_CODE_FA_POOR_REQUEST, "poorly formed request" },
	{ MIP_CODE_FA_POOR_REPLY, "poorly formed reply" },
	{ MIP_CODE_FA_ENCAPS, "requested encapsulation unavailable" },
	{ MIP_CODE_FA_VJ, "reserved and unavailable" },
	{ MIP_CODE_FA_REVTUN_UNAVAIL, "requested reverse tunnel unavailable" },
	{ MIP_CODE_FA_REVTUN_MANDATORY, "reverse tunnel is mandatory and 'T' bit not set" },
	{ MIP_CODE_FA_TOO_DISTANT, "mobile node too distant" },
	{ MIP_CODE_FA_BAD_COA, "invalid care-of address" },
	{ MIP_CODE_FA_TIMEOUT, "registration timeout" },
	{ MIP_CODE_FA_DELIVERY_STYLE, "delivery style not supported" },
	{ MIP_CODE_FA_HOME_NET_UNREACH, "home network unreachable (ICMP error received)" },
	{ MIP_CODE_FA_HA_HOST_UNREACH, "home agent host unreachable (ICMP error received)" },
	{ MIP_CODE_FA_HA_PORT_UNREACH, "home agent port unreachable (ICMP error received)" },
	{ MIP_CODE_FA_HA_UNREACH, "home agent unreachable (other ICMP error received)" },
	{ MIP_CODE_HA_UNSPECIFIED, "reason unspecified" },
	{ MIP_CODE_HA_PROHIBITED, "administratively prohibited" },
	{ MIP_CODE_HA_RESOURCES, "insufficient resources" },
	{ MIP_CODE_HA_MN_AUTH, "mobile node failed authentication" },
	{ MIP_CODE_HA_FA_AUTH, "foreign agent failed authentication" },
	{ MIP_CODE_HA_ID_MISMATCH, "registration identification mismatch" },
	{ MIP_CODE_HA_POOR_REQUEST, "poorly formed request" },
	{ MIP_CODE_HA_TOO_MANY_BINDINGS, "too many simultaneous mobility bindings" },
	{ MIP_CODE_HA_UNKNOWN_HA, "unknown home agent address" },
	{ MIP_CODE_HA_REVTUN_UNAVAIL, "requested reverse tunnel unavailable" },
	{ MIP_CODE_HA_REVTUN_MANDATORY, "reverse tunnel is mandatory and 'T' bit not set" },
	{ MIP_CODE_HA_ENCAPS, "requested encapsulation unavailable" },
};

const char *mip_code_str(unsigned code)
{
	size_t i;

	for (i = 0; i < sizeof(code_text) / sizeof(code_text[0]); i++)
		if (code_text[i].code == code)
			return code_text[i].text;
	return "unknown";
}
