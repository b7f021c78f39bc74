/* Encapsulation codecs: IP-in-IP, minimal encapsulation, GRE, fragmentation, ICMP (see encap.h). */
#include "config.h"
#include <string.h>
#include "buf.h"
#include "encap.h"

static const char *const encap_errs[ENCAP_E__MAX] = {
	[ENCAP_OK] = "ok",
	[ENCAP_E_SHORT] = "outer packet shorter than an IP header",
	[ENCAP_E_VERSION] = "outer IP version not 4",
	[ENCAP_E_IHL] = "bad outer IHL",
	[ENCAP_E_TOTLEN] = "bad outer total length",
	[ENCAP_E_CSUM] = "bad outer header checksum",
	[ENCAP_E_FRAGMENT] = "outer packet is a fragment",
	[ENCAP_E_PROTO] = "not an encapsulation protocol",
	[ENCAP_E_GRE_SHORT] = "GRE header truncated",
	[ENCAP_E_GRE_FLAGS] = "unsupported GRE flags",
	[ENCAP_E_GRE_VERSION] = "GRE version not 0",
	[ENCAP_E_GRE_PTYPE] = "GRE protocol type not IPv4",
	[ENCAP_E_GRE_CSUM] = "bad GRE checksum",
	[ENCAP_E_MIN_SHORT] = "minimal forwarding header truncated",
	[ENCAP_E_MIN_CSUM] = "bad minimal forwarding header checksum",
	[ENCAP_E_INNER_SHORT] = "inner packet shorter than an IP header",
	[ENCAP_E_INNER_VERSION] = "inner IP version not 4",
	[ENCAP_E_INNER_IHL] = "bad inner IHL",
	[ENCAP_E_INNER_LEN] = "inner total length does not match",
	[ENCAP_E_INNER_CSUM] = "bad inner header checksum",
	[ENCAP_E_INNER_TTL] = "inner TTL is 0",
	[ENCAP_E_NOSPACE] = "output buffer too small",
	[ENCAP_E_TYPE] = "unknown encapsulation",
	[ENCAP_E_INNER_FRAG] = "minimal encapsulation of a fragment",
	[ENCAP_E_TOOBIG] = "encapsulated datagram too long",
	[ENCAP_E_DF] = "fragmentation of a DF datagram",
	[ENCAP_E_MTU] = "MTU too small",
	[ENCAP_E_ICMP_SHORT] = "ICMP message too short",
	[ENCAP_E_ICMP_CSUM] = "bad ICMP checksum",
	[ENCAP_E_ICMP_TYPE] = "not an ICMP error",
	[ENCAP_E_ICMP_NOTOURS] = "ICMP error not about an encapsulated packet",
	[ENCAP_E_ICMP_NOINNER] = "ICMP quote lacks the inner header",
};

const char *encap_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= ENCAP_E__MAX)
		return "unknown error";
	return encap_errs[err];
}

const char *encap_name(enum dp_encap type)
{
	switch (type) {
	case DP_ENCAP_IPIP:
		return "ipip";
	case DP_ENCAP_MINIMAL:
		return "minimal";
	case DP_ENCAP_GRE:
		return "gre";
	}
	return "?";
}

/* ---- IPv4 helpers ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t ip_csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	/* Up to 2^16 words without overflow of the 32-bit accumulator. */
	while (len > 65536) {
		sum = csum_add(sum, b, 65536);
		sum = (sum & 0xffff) + (sum >> 16);
		b += 65536;
		len -= 65536;
	}
	return csum_fold(csum_add(sum, b, len));
}

void ip_set_csum(uint8_t *ip)
{
	ip[10] = ip[11] = 0;
	mip_set_u16(ip + 10, ip_csum(ip, ip_hlen(ip)));
}

struct in_addr ip_src(const uint8_t *ip)
{
	struct in_addr a;

	memcpy(&a, ip + 12, 4);
	return a;
}

struct in_addr ip_dst(const uint8_t *ip)
{
	struct in_addr a;

	memcpy(&a, ip + 16, 4);
	return a;
}

int ip_check(const uint8_t *ip, size_t len)
{
	unsigned hl;

	if (len < 20)
		return -ENCAP_E_INNER_SHORT;
	if (ip[0] >> 4 != 4)
		return -ENCAP_E_INNER_VERSION;
	hl = ip_hlen(ip);
	if (hl < 20 || hl > len)
		return -ENCAP_E_INNER_IHL;
	if (ip_totlen(ip) != len)
		return -ENCAP_E_INNER_LEN;
	if (ip_csum(ip, hl) != 0)
		return -ENCAP_E_INNER_CSUM;
	if (ip_ttl(ip) == 0)
		return -ENCAP_E_INNER_TTL;
	return 0;
}

int ip_ttl_decrement(uint8_t *ip)
{
	uint32_t sum;

	if (ip[8] <= 1)
		return 0;
	ip[8]--;
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'); the TTL is the high byte of
	 * its 16-bit word, so m - m' = 0x0100. */
	sum = (uint16_t)~mip_get_u16(ip + 10);
	sum += 0xfeff;  /* ~0x0100 as 16 bits: adds -0x0100 */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	mip_set_u16(ip + 10, (uint16_t)~sum);
	return ip[8];
}

/* Basic header sanity for a datagram we are about to build from. */
static int ip_sane(const uint8_t *ip, size_t len)
{
	unsigned hl;

	if (len < 20)
		return -ENCAP_E_INNER_SHORT;
	if (ip[0] >> 4 != 4)
		return -ENCAP_E_INNER_VERSION;
	hl = ip_hlen(ip);
	if (hl < 20 || hl > len)
		return -ENCAP_E_INNER_IHL;
	if (ip_totlen(ip) != len)
		return -ENCAP_E_INNER_LEN;
	return 0;
}

/* Options of @ip (header length @hl) that RFC 791 repeats in every fragment,
 * written after a 20-byte header in @out; returns the padded header length. */
static unsigned copy_frag_options(const uint8_t *ip, unsigned hl, uint8_t *out)
{
	unsigned i = 20, o = 20;

	while (i < hl) {
		uint8_t t = ip[i], olen;

		if (t == 0)             /* end of option list */
			break;
		if (t == 1) {           /* no-operation: not copied */
			i++;
			continue;
		}
		if (i + 1 >= hl)
			break;
		olen = ip[i + 1];
		if (olen < 2 || i + olen > hl)
			break;          /* malformed: copy nothing more */
		if (t & 0x80) {
			memcpy(out + o, ip + i, olen);
			o += olen;
		}
		i += olen;
	}
	while (o % 4)
		out[o++] = 0;
	return o;
}

int ip_fragment_next(const uint8_t *pkt, size_t len, size_t mtu, size_t *off,
		     uint8_t *out, size_t cap)
{
	uint8_t hdr[60];
	unsigned hl, fhl;
	size_t plen, room, n, foff;
	bool last;
	int rc;

	if (*off == SIZE_MAX)
		return 0;
	rc = ip_sane(pkt, len);
	if (rc < 0)
		return rc;
	if (ip_df(pkt))
		return -ENCAP_E_DF;
	if (mtu < ENCAP_IP_MIN_MTU)
		return -ENCAP_E_MTU;
	hl = ip_hlen(pkt);
	plen = len - hl;
	if (*off > plen || *off % 8)
		return -ENCAP_E_INNER_LEN;
	memcpy(hdr, pkt, 20);
	fhl = *off == 0 ? hl : copy_frag_options(pkt, hl, hdr);
	if (*off == 0)
		memcpy(hdr, pkt, hl);
	if (mtu < fhl + 8)
		return -ENCAP_E_MTU;
	room = (mtu - fhl) & ~(size_t)7;
	if (plen - *off <= mtu - fhl) {
		n = plen - *off;
		last = true;
	} else {
		n = room;
		last = false;
	}
	if (cap < fhl + n)
		return -ENCAP_E_NOSPACE;
	foff = ip_fragoff(pkt) + *off / 8;
	if (foff > 0x1fff)
		return -ENCAP_E_TOOBIG;
	hdr[0] = (uint8_t)(0x40 | fhl / 4);
	mip_set_u16(hdr + 2, (uint16_t)(fhl + n));
	mip_set_u16(hdr + 6, (uint16_t)(foff | ((!last || ip_mf(pkt)) ? 0x2000 : 0)));
	ip_set_csum(hdr);
	memcpy(out, hdr, fhl);
	memcpy(out + fhl, pkt + hl + *off, n);
	*off = last ? SIZE_MAX : *off + n;
	return (int)(fhl + n);
}

/* ---- Encapsulation ---- */

int encap_overhead(const struct encap_params *p, const uint8_t *inner)
{
	switch (p->type) {
	case DP_ENCAP_IPIP:
		return ENCAP_IPIP_OVERHEAD;
	case DP_ENCAP_GRE:
		return ENCAP_GRE_OVERHEAD;
	case DP_ENCAP_MINIMAL:
		return memcmp(inner + 12, &p->src, 4) ? ENCAP_MIN_OVERHEAD : ENCAP_MIN_OVERHEAD_NOSRC;
	}
	return -ENCAP_E_TYPE;
}

static void put_outer(uint8_t *h, const struct encap_params *p, const uint8_t *inner,
		      size_t total, uint8_t proto)
{
	h[0] = 0x45;
	h[1] = inner[1];                                /* TOS copied */
	mip_set_u16(h + 2, (uint16_t)total);
	mip_set_u16(h + 4, p->id);
	h[6] = ip_df(inner) ? 0x40 : 0;                 /* DF copied */
	h[7] = 0;
	h[8] = p->ttl ? p->ttl : ENCAP_TTL_DEFAULT;
	h[9] = proto;
	memcpy(h + 12, &p->src, 4);
	memcpy(h + 16, &p->dst, 4);
	ip_set_csum(h);
}

int encap_header(const struct encap_params *p, const uint8_t *inner, size_t inner_len,
		 uint8_t *hdr, size_t *skip)
{
	unsigned hl, fl;
	bool s;
	int rc = ip_sane(inner, inner_len);

	if (rc < 0)
		return rc;
	if (ip_ttl(inner) == 0)
		return -ENCAP_E_INNER_TTL;
	switch (p->type) {
	case DP_ENCAP_IPIP:
		if (inner_len > 65535 - ENCAP_IPIP_OVERHEAD)
			return -ENCAP_E_TOOBIG;
		put_outer(hdr, p, inner, inner_len + ENCAP_IPIP_OVERHEAD, IPPROTO_IPIP);
		*skip = 0;
		return ENCAP_IPIP_OVERHEAD;
	case DP_ENCAP_GRE:
		if (inner_len > 65535 - ENCAP_GRE_OVERHEAD)
			return -ENCAP_E_TOOBIG;
		put_outer(hdr, p, inner, inner_len + ENCAP_GRE_OVERHEAD, IPPROTO_GRE);
		mip_set_u16(hdr + 20, 0);               /* no checksum, version 0 */
		mip_set_u16(hdr + 22, GRE_PTYPE_IPV4);
		*skip = 0;
		return ENCAP_GRE_OVERHEAD;
	case DP_ENCAP_MINIMAL:
		if (ip_is_fragment(inner))
			return -ENCAP_E_INNER_FRAG;
		hl = ip_hlen(inner);
		s = memcmp(inner + 12, &p->src, 4) != 0;
		fl = s ? ENCAP_MIN_OVERHEAD : ENCAP_MIN_OVERHEAD_NOSRC;
		if (inner_len > 65535 - fl)
			return -ENCAP_E_TOOBIG;
		memcpy(hdr, inner, hl);
		hdr[hl] = ip_proto(inner);
		hdr[hl + 1] = s ? 0x80 : 0;
		hdr[hl + 2] = hdr[hl + 3] = 0;
		memcpy(hdr + hl + 4, inner + 16, 4);    /* original destination */
		if (s)
			memcpy(hdr + hl + 8, inner + 12, 4); /* original source */
		mip_set_u16(hdr + hl + 2, ip_csum(hdr + hl, fl));
		hdr[9] = IPPROTO_MINENC;
		memcpy(hdr + 12, &p->src, 4);
		memcpy(hdr + 16, &p->dst, 4);
		mip_set_u16(hdr + 2, (uint16_t)(inner_len + fl));
		ip_set_csum(hdr);
		*skip = hl;
		return (int)(hl + fl);
	}
	return -ENCAP_E_TYPE;
}

int encap_build(const struct encap_params *p, const uint8_t *inner, size_t inner_len,
		uint8_t *out, size_t cap)
{
	uint8_t hdr[ENCAP_HDR_MAX];
	size_t skip;
	int hlen = encap_header(p, inner, inner_len, hdr, &skip);

	if (hlen < 0)
		return hlen;
	if (cap < (size_t)hlen + inner_len - skip)
		return -ENCAP_E_NOSPACE;
	memcpy(out, hdr, (size_t)hlen);
	memcpy(out + hlen, inner + skip, inner_len - skip);
	return (int)((size_t)hlen + inner_len - skip);
}

/* ---- Decapsulation ---- */

/* The outer header of a received datagram: its header and total length
 * (the datagram may carry link-layer padding after @tot), or -ENCAP_E_*. */
static int outer_check(const uint8_t *pkt, size_t len, unsigned *hl, size_t *tot)
{
	if (len < 20)
		return -ENCAP_E_SHORT;
	if (pkt[0] >> 4 != 4)
		return -ENCAP_E_VERSION;
	*hl = ip_hlen(pkt);
	if (*hl < 20 || *hl > len)
		return -ENCAP_E_IHL;
	*tot = ip_totlen(pkt);
	if (*tot < *hl || *tot > len)
		return -ENCAP_E_TOTLEN;
	if (ip_csum(pkt, *hl) != 0)
		return -ENCAP_E_CSUM;
	return 0;
}

int encap_decap(uint8_t *pkt, size_t len, struct encap_decap *r)
{
	unsigned hl, fl;
	size_t tot, off;
	uint16_t flags;
	uint8_t *g;
	int rc;

	if ((rc = outer_check(pkt, len, &hl, &tot)) < 0)
		return rc;
	if (ip_is_fragment(pkt))
		return -ENCAP_E_FRAGMENT;
	r->outer_src = ip_src(pkt);
	r->outer_dst = ip_dst(pkt);
	r->outer_ttl = ip_ttl(pkt);
	switch (ip_proto(pkt)) {
	case IPPROTO_IPIP:
		r->type = DP_ENCAP_IPIP;
		off = hl;
		break;
	case IPPROTO_GRE:
		r->type = DP_ENCAP_GRE;
		g = pkt + hl;
		if (tot - hl < 4)
			return -ENCAP_E_GRE_SHORT;
		flags = mip_get_u16(g);
		/* RFC 2784 2.3: bits 1-5 non-zero MUST be discarded (we do not
		 * implement RFC 1701); bits 6-12 are ignored on receipt. */
		if (flags & 0x7c00)
			return -ENCAP_E_GRE_FLAGS;
		if (flags & 0x0007)
			return -ENCAP_E_GRE_VERSION;
		if (mip_get_u16(g + 2) != GRE_PTYPE_IPV4)
			return -ENCAP_E_GRE_PTYPE;
		off = hl + 4;
		if (flags & 0x8000) {
			if (tot - hl < 8)
				return -ENCAP_E_GRE_SHORT;
			if (ip_csum(g, tot - hl) != 0)
				return -ENCAP_E_GRE_CSUM;
			off = hl + 8;
		}
		break;
	case IPPROTO_MINENC:
		r->type = DP_ENCAP_MINIMAL;
		if (tot - hl < 8)
			return -ENCAP_E_MIN_SHORT;
		fl = pkt[hl + 1] & 0x80 ? ENCAP_MIN_OVERHEAD : ENCAP_MIN_OVERHEAD_NOSRC;
		if (tot - hl < fl)
			return -ENCAP_E_MIN_SHORT;
		if (ip_csum(pkt + hl, fl) != 0)
			return -ENCAP_E_MIN_CSUM;
		/* Restore the original header just before the payload. */
		{
			uint8_t fwd[ENCAP_MIN_OVERHEAD];
			uint8_t *ip = pkt + fl;

			memcpy(fwd, pkt + hl, fl);
			memmove(ip, pkt, hl);
			ip[9] = fwd[0];
			memcpy(ip + 16, fwd + 4, 4);
			if (fl == ENCAP_MIN_OVERHEAD)
				memcpy(ip + 12, fwd + 8, 4);
			/* else the source is the outer one, already in place */
			mip_set_u16(ip + 2, (uint16_t)(tot - fl));
			ip_set_csum(ip);
		}
		off = fl;
		break;
	default:
		return -ENCAP_E_PROTO;
	}
	r->inner = pkt + off;
	r->inner_len = tot - off;
	return ip_check(r->inner, r->inner_len);
}

/* ---- ICMP ---- */

static bool addr_bad_source(const uint8_t *a)
{
	return a[0] == 0 || a[0] == 127 || a[0] >= 224;   /* zero, loopback, multicast, class E, broadcast */
}

bool icmp_error_allowed(const uint8_t *pkt, size_t len)
{
	unsigned hl;

	if (len < 20 || pkt[0] >> 4 != 4)
		return false;
	hl = ip_hlen(pkt);
	if (hl < 20 || hl > len)
		return false;
	if (ip_fragoff(pkt) != 0)
		return false;
	if (addr_bad_source(pkt + 12))
		return false;
	if (pkt[16] >= 224)                     /* multicast or limited broadcast */
		return false;
	if (ip_proto(pkt) == IPPROTO_ICMP) {
		if (len <= hl)
			return false;
		switch (pkt[hl]) {
		case ICMP_T_UNREACH:
		case ICMP_T_SOURCEQUENCH:
		case ICMP_T_REDIRECT:
		case ICMP_T_TIMXCEED:
		case ICMP_T_PARAMPROB:
			return false;
		}
	}
	return true;
}

int icmp_error_build(uint8_t *out, size_t cap, uint8_t type, uint8_t code, uint16_t mtu,
		     const uint8_t *orig, size_t orig_len)
{
	size_t q = orig_len;

	if (orig_len < 20)
		return -ENCAP_E_INNER_SHORT;
	if (q > ip_totlen(orig))
		q = ip_totlen(orig);
	if (q > ENCAP_ICMP_QUOTE_MAX)
		q = ENCAP_ICMP_QUOTE_MAX;
	if (q < 20)
		return -ENCAP_E_INNER_LEN;
	if (cap < 8 + q)
		return -ENCAP_E_NOSPACE;
	out[0] = type;
	out[1] = code;
	memset(out + 2, 0, 6);
	if (type == ICMP_T_UNREACH && code == ICMP_C_NEEDFRAG)
		mip_set_u16(out + 6, mtu);
	memcpy(out + 8, orig, q);
	mip_set_u16(out + 2, ip_csum(out, 8 + q));
	return (int)(8 + q);
}

/* Copy a quoted IPv4 header plus data into r->inner, bounded by the buffer
 * and the datagram's own Total Length. */
static int icmp_take_inner(struct encap_icmp *r, const uint8_t *in, size_t inlen)
{
	if (inlen < 20)
		return -ENCAP_E_ICMP_NOINNER;
	if (in[0] >> 4 != 4 || ip_hlen(in) < 20)
		return -ENCAP_E_ICMP_NOTOURS;
	if (inlen > ip_totlen(in))
		inlen = ip_totlen(in);
	if (inlen > sizeof(r->inner))
		inlen = sizeof(r->inner);
	if (inlen < 20)
		return -ENCAP_E_ICMP_NOTOURS;
	memcpy(r->inner, in, inlen);
	r->inner_len = inlen;
	return 0;
}

int encap_icmp_parse(const uint8_t *pkt, size_t len, struct encap_icmp *r)
{
	const uint8_t *icmp, *q, *g;
	size_t tot, ilen, qlen, glen;
	unsigned hl, qhl, fl;
	uint16_t flags;
	int rc;

	r->type = r->code = 0;
	r->mtu = r->outer_len = 0;
	r->inner_len = 0;
	if ((rc = outer_check(pkt, len, &hl, &tot)) < 0)
		return rc;
	if (ip_proto(pkt) != IPPROTO_ICMP)
		return -ENCAP_E_PROTO;
	icmp = pkt + hl;
	ilen = tot - hl;
	if (ilen < 8 + 20)
		return -ENCAP_E_ICMP_SHORT;
	if (ip_csum(icmp, ilen) != 0)
		return -ENCAP_E_ICMP_CSUM;
	switch (icmp[0]) {
	case ICMP_T_UNREACH:
	case ICMP_T_SOURCEQUENCH:
	case ICMP_T_REDIRECT:
	case ICMP_T_TIMXCEED:
	case ICMP_T_PARAMPROB:
		break;
	default:
		return -ENCAP_E_ICMP_TYPE;
	}
	r->type = icmp[0];
	r->code = icmp[1];
	if (r->type == ICMP_T_UNREACH && r->code == ICMP_C_NEEDFRAG)
		r->mtu = mip_get_u16(icmp + 6);
	r->from = ip_src(pkt);

	q = icmp + 8;
	qlen = ilen - 8;
	if (q[0] >> 4 != 4)
		return -ENCAP_E_ICMP_NOTOURS;
	qhl = ip_hlen(q);
	if (qhl < 20 || qhl > qlen)
		return -ENCAP_E_ICMP_NOTOURS;
	r->outer_src = ip_src(q);
	r->outer_dst = ip_dst(q);
	r->outer_len = ip_totlen(q);
	switch (ip_proto(q)) {
	case IPPROTO_IPIP:
		r->encap = DP_ENCAP_IPIP;
		return icmp_take_inner(r, q + qhl, qlen - qhl);
	case IPPROTO_GRE:
		r->encap = DP_ENCAP_GRE;
		g = q + qhl;
		glen = qlen - qhl;
		if (glen < 4)
			return -ENCAP_E_ICMP_NOINNER;
		flags = mip_get_u16(g);
		if ((flags & 0x7c07) || mip_get_u16(g + 2) != GRE_PTYPE_IPV4)
			return -ENCAP_E_ICMP_NOTOURS;
		fl = flags & 0x8000 ? 8 : 4;
		if (glen < fl)
			return -ENCAP_E_ICMP_NOINNER;
		return icmp_take_inner(r, g + fl, glen - fl);
	case IPPROTO_MINENC:
		r->encap = DP_ENCAP_MINIMAL;
		if (qlen - qhl < 8)
			return -ENCAP_E_ICMP_NOINNER;
		fl = q[qhl + 1] & 0x80 ? ENCAP_MIN_OVERHEAD : ENCAP_MIN_OVERHEAD_NOSRC;
		if (qlen - qhl < fl)
			return -ENCAP_E_ICMP_NOINNER;
		if (ip_totlen(q) < qhl + fl)
			return -ENCAP_E_ICMP_NOTOURS;
		{
			size_t n = qlen - fl;   /* header + payload after the forwarding header */

			if (n > ip_totlen(q) - fl)
				n = ip_totlen(q) - fl;
			if (n > sizeof(r->inner))
				n = sizeof(r->inner);
			memcpy(r->inner, q, qhl);
			memcpy(r->inner + qhl, q + qhl + fl, n - qhl);
			r->inner[9] = q[qhl];
			memcpy(r->inner + 16, q + qhl + 4, 4);
			if (fl == ENCAP_MIN_OVERHEAD)
				memcpy(r->inner + 12, q + qhl + 8, 4);
			mip_set_u16(r->inner + 2, (uint16_t)(ip_totlen(q) - fl));
			ip_set_csum(r->inner);
			r->inner_len = n;
		}
		return 0;
	default:
		return -ENCAP_E_ICMP_NOTOURS;
	}
}
