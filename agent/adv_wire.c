/* Agent Advertisement / Solicitation codec: parse and build ICMP bytes (see adv_wire.h). */
#include "config.h"
#include <string.h>
#include "adv_wire.h"

#define ADV_ENTRY_SIZE 2            /* words per address entry: address, preference */
#define ADV_MOBILITY_FIXED 6        /* sequence, registration lifetime, flags */
#define ADV_CKSUM_OFF 2

uint16_t mip_icmp_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static bool fits(size_t len, size_t off, size_t n)
{
	return off <= len && n <= len - off;
}

static struct in_addr get_addr(const uint8_t *p)
{
	struct in_addr a;

	memcpy(&a.s_addr, p, 4);
	return a;
}

/* Extension 16: Length 6 + 4N. */
static enum mip_adv_parse_result parse_mobility(const uint8_t *d, size_t dlen,
						struct mip_agent_adv *a)
{
	if (dlen < ADV_MOBILITY_FIXED || (dlen - ADV_MOBILITY_FIXED) % 4 || a->mobility)
		return MIP_ADV_PARSE_MALFORMED;
	a->mobility = true;
	a->seq = mip_get_u16(d);
	a->reg_lifetime = mip_get_u16(d + 2);
	a->flags = mip_get_u16(d + 4);
	a->n_coas = (unsigned)(dlen - ADV_MOBILITY_FIXED) / 4;
	for (unsigned i = 0; i < a->n_coas && i < MIP_ADV_MAX_COAS; i++)
		a->coas[i] = get_addr(d + ADV_MOBILITY_FIXED + 4 * i);
	return MIP_ADV_PARSE_OK;
}

static void parse_prefix_lengths(const uint8_t *d, size_t dlen, struct mip_agent_adv *a)
{
	if (a->prefix_lengths)
		return;         /* the first one counts */
	a->prefix_lengths = true;
	a->n_prefix_lengths = (unsigned)dlen;
	for (size_t i = 0; i < dlen && i < MIP_ADV_MAX_ADDRS; i++)
		a->prefix_len[i] = d[i];
}

/* The extensions in [off, len), left to right, stopping at the first problem. */
static enum mip_adv_parse_result parse_exts(const uint8_t *p, size_t len, size_t off,
					    struct mip_agent_adv *a)
{
	while (off < len) {
		uint8_t type = p[off];
		const uint8_t *d;
		size_t dlen;

		if (type == MIP_ADV_EXT_PAD) {
			a->n_pad++;
			off++;
			continue;
		}
		if (!fits(len, off, 2) || !fits(len, off + 2, p[off + 1]))
			return MIP_ADV_PARSE_MALFORMED;
		d = p + off + 2;
		dlen = p[off + 1];
		switch (type) {
		case MIP_ADV_EXT_MOBILITY:
			if (parse_mobility(d, dlen, a) != MIP_ADV_PARSE_OK)
				return MIP_ADV_PARSE_MALFORMED;
			break;
		case MIP_ADV_EXT_PREFIX_LENGTHS:
			parse_prefix_lengths(d, dlen, a);
			break;
		case MIP_ADV_EXT_CHALLENGE:
			if (!a->challenge) {
				a->challenge = d;
				a->challenge_len = dlen;
			}
			break;
		default:
			if (type < 128)
				return MIP_ADV_PARSE_UNKNOWN_EXT;
			a->n_skipped++;
			break;
		}
		off += 2 + dlen;
	}
	return MIP_ADV_PARSE_OK;
}

enum mip_adv_parse_result mip_adv_parse(const uint8_t *p, size_t len, struct mip_agent_adv *out)
{
	enum mip_adv_parse_result r;
	size_t addr_bytes;

	memset(out, 0, sizeof(*out));
	if (len < MIP_ADV_FIXED_LEN || p[0] != MIP_ICMP_ROUTER_ADV)
		return MIP_ADV_PARSE_SHORT;
	if (mip_icmp_checksum(p, len) != 0)
		return MIP_ADV_PARSE_CHECKSUM;
	out->code = p[1];
	out->n_addrs = p[4];
	out->addr_entry_size = p[5];
	out->lifetime = mip_get_u16(p + 6);
	out->len = len;
	/* RFC 1256 §5.2: Addr Entry Size at least 2; Num Addrs may be 0 (§2.1) */
	if (out->addr_entry_size < ADV_ENTRY_SIZE)
		return MIP_ADV_PARSE_MALFORMED;
	addr_bytes = (size_t)out->n_addrs * out->addr_entry_size * 4;
	if (!fits(len, MIP_ADV_FIXED_LEN, addr_bytes))
		return MIP_ADV_PARSE_MALFORMED;
	for (unsigned i = 0; i < out->n_addrs && i < MIP_ADV_MAX_ADDRS; i++) {
		const uint8_t *e = p + MIP_ADV_FIXED_LEN + (size_t)i * out->addr_entry_size * 4;

		out->addrs[i].addr = get_addr(e);
		out->addrs[i].preference = (int32_t)mip_get_u32(e + 4);
	}
	r = parse_exts(p, len, MIP_ADV_FIXED_LEN + addr_bytes, out);
	if (r == MIP_ADV_PARSE_OK && !out->mobility)
		r = MIP_ADV_PARSE_NOT_AGENT;
	return r;
}

int mip_adv_build(struct mip_buf *b, const struct mip_agent_adv *a)
{
	size_t start = b->len, n;

	if (a->n_addrs > MIP_ADV_MAX_ADDRS || a->n_coas > MIP_ADV_MAX_COAS ||
	    (a->prefix_lengths && a->n_prefix_lengths != a->n_addrs)) {
		b->err = true;
		return -1;
	}
	mip_buf_put_u8(b, MIP_ICMP_ROUTER_ADV);
	mip_buf_put_u8(b, a->code);
	mip_buf_put_u16(b, 0);                          /* checksum, below */
	mip_buf_put_u8(b, (uint8_t)a->n_addrs);
	mip_buf_put_u8(b, ADV_ENTRY_SIZE);
	mip_buf_put_u16(b, a->lifetime);
	for (unsigned i = 0; i < a->n_addrs; i++) {
		mip_buf_put_addr(b, a->addrs[i].addr);
		mip_buf_put_u32(b, (uint32_t)a->addrs[i].preference);
	}
	mip_buf_put_u8(b, MIP_ADV_EXT_MOBILITY);
	mip_buf_put_u8(b, (uint8_t)(ADV_MOBILITY_FIXED + 4 * a->n_coas));
	mip_buf_put_u16(b, a->seq);
	mip_buf_put_u16(b, a->reg_lifetime);
	mip_buf_put_u16(b, a->flags);
	for (unsigned i = 0; i < a->n_coas; i++)
		mip_buf_put_addr(b, a->coas[i]);
	if (a->prefix_lengths) {
		mip_buf_put_u8(b, MIP_ADV_EXT_PREFIX_LENGTHS);
		mip_buf_put_u8(b, (uint8_t)a->n_prefix_lengths);
		mip_buf_put(b, a->prefix_len, a->n_prefix_lengths);
	}
	if (!mip_buf_ok(b))
		return -1;
	n = b->len - start;
	if (n & 1) {
		mip_buf_put_u8(b, MIP_ADV_EXT_PAD);
		n++;
	}
	if (!mip_buf_ok(b))
		return -1;
	mip_set_u16(b->data + start + ADV_CKSUM_OFF, mip_icmp_checksum(b->data + start, n));
	return 0;
}

bool mip_sol_parse(const uint8_t *p, size_t len)
{
	/* RFC 1256 §5.1: code 0, ICMP length 8 or more, checksum */
	return len >= MIP_SOL_LEN && p[0] == MIP_ICMP_ROUTER_SOL && p[1] == 0 &&
	       mip_icmp_checksum(p, len) == 0;
}

void mip_sol_build(struct mip_buf *b)
{
	size_t start = b->len;

	mip_buf_put_u8(b, MIP_ICMP_ROUTER_SOL);
	mip_buf_put_u8(b, 0);
	mip_buf_put_u16(b, 0);
	mip_buf_put_u32(b, 0);                          /* reserved */
	if (mip_buf_ok(b))
		mip_set_u16(b->data + start + ADV_CKSUM_OFF,
			    mip_icmp_checksum(b->data + start, MIP_SOL_LEN));
}

const char *mip_adv_flags_str(uint16_t flags, char buf[16])
{
	static const char letters[] = "RBHFMGrTUXI";
	char *q = buf;

	for (int i = 0; letters[i]; i++)
		if (flags & (0x8000u >> i))
			*q++ = letters[i];
	if (q == buf)
		*q++ = '-';
	*q = '\0';
	return buf;
}
