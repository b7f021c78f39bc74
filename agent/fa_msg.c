/* Foreign agent message helpers: extension offsets, IPv4/UDP datagrams, ICMP codes (see fa_msg.h). */
#include "config.h"
#include <errno.h>
#include <string.h>
#include "fa_msg.h"

static size_t ext_end(const struct mip_ext_auth *a)
{
	return a->present ? a->start + a->hdr_len + a->auth_len : 0;
}

size_t fa_msg_auth_end(const struct mip_exts *e)
{
	size_t a = ext_end(&e->mn_ha), b = ext_end(&e->mn_aaa);

	return a > b ? a : b;
}

size_t fa_msg_fa_ha_start(const struct mip_exts *e, size_t len)
{
	return e->fa_ha.present ? e->fa_ha.start : len;
}

int fa_msg_has_ext(const uint8_t *p, size_t len, size_t off, uint8_t type)
{
	while (off < len) {
		uint8_t t = p[off];
		size_t n;

		if (t == type)
			return 1;
		if (t == MIP_EXT_PAD) {
			off++;
			continue;
		}
		if (len - off < (t == MIP_EXT_GEN_AUTH ? 4u : 2u))
			return -1;
		n = t == MIP_EXT_GEN_AUTH ? 4u + mip_get_u16(p + off + 2) : 2u + p[off + 1];
		if (n > len - off)
			return -1;
		off += n;
	}
	return 0;
}

/* One's complement sum of @len bytes added to @sum (not folded). */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void fa_msg_udp4(struct mip_buf *b, struct in_addr src, struct in_addr dst, uint16_t sport,
		 uint16_t dport, uint8_t ttl, uint16_t ip_id, const uint8_t *payload, size_t plen)
{
	size_t start = b->len, total = FA_IPV4_UDP_HDR + plen;
	uint8_t *h;
	uint32_t s;
	uint16_t c;

	if (total > 0xffff) {
		b->err = true;
		return;
	}
	mip_buf_put_u8(b, 0x45);
	mip_buf_put_u8(b, 0);
	mip_buf_put_u16(b, (uint16_t)total);
	mip_buf_put_u16(b, ip_id);
	mip_buf_put_u16(b, 0);                  /* flags, fragment offset */
	mip_buf_put_u8(b, ttl);
	mip_buf_put_u8(b, 17);                  /* UDP */
	mip_buf_put_u16(b, 0);                  /* header checksum, below */
	mip_buf_put_addr(b, src);
	mip_buf_put_addr(b, dst);
	mip_buf_put_u16(b, sport);
	mip_buf_put_u16(b, dport);
	mip_buf_put_u16(b, (uint16_t)(8 + plen));
	mip_buf_put_u16(b, 0);                  /* UDP checksum, below */
	mip_buf_put(b, payload, plen);
	if (!mip_buf_ok(b))
		return;
	h = b->data + start;
	mip_set_u16(h + 10, fold(sum16(0, h, 20)));
	/* pseudo-header: addresses, protocol, UDP length */
	s = sum16(0, h + 12, 8) + 17 + (uint32_t)(8 + plen);
	c = fold(sum16(s, h + 20, 8 + plen));
	mip_set_u16(h + 26, c ? c : 0xffff);
}

uint8_t fa_msg_icmp_code(uint8_t type, uint8_t code)
{
	if (type != 3)          /* time exceeded, parameter problem, ...: other */
		return MIP_CODE_FA_HA_UNREACH;
	switch (code) {
	case 0:                 /* net unreachable */
	case 6:                 /* destination network unknown */
	case 9:                 /* network administratively prohibited */
	case 11:                /* network unreachable for TOS */
		return MIP_CODE_FA_HOME_NET_UNREACH;
	case 1:                 /* host unreachable */
	case 7:                 /* destination host unknown */
	case 10:                /* host administratively prohibited */
	case 12:                /* host unreachable for TOS */
		return MIP_CODE_FA_HA_HOST_UNREACH;
	case 3:                 /* port unreachable */
		return MIP_CODE_FA_HA_PORT_UNREACH;
	default:
		return MIP_CODE_FA_HA_UNREACH;
	}
}

uint8_t fa_msg_errno_code(int err)
{
	switch (err) {
	case ENETUNREACH:
	case ENETDOWN:
		return MIP_CODE_FA_HOME_NET_UNREACH;
	case EHOSTUNREACH:
	case EHOSTDOWN:
		return MIP_CODE_FA_HA_HOST_UNREACH;
	case ECONNREFUSED:
		return MIP_CODE_FA_HA_PORT_UNREACH;
	case EACCES:
	case EPERM:
		return MIP_CODE_FA_HA_UNREACH;
	default:
		return MIP_CODE_FA_UNSPECIFIED;
	}
}

bool fa_msg_icmp_errno(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case ENOPROTOOPT:
	case EPROTO:
	case EMSGSIZE:
	case EACCES:
	case EPERM:
	case ECONNRESET:
		return true;
	default:
		return false;
	}
}
