/* Unit tests of the encapsulation codecs (agent/encap.c): byte vectors,
 * round trips, every rejection path, TOS/DF/TTL rules, fragmentation, ICMP.
 *
 * The vectors were built independently with scapy 2.5 (/usr/bin/python3:
 * IP()/IP(), IP()/GRE()/IP(), and RFC 2004's minimal header written by hand
 * with its own checksum routine), written to a pcap and decoded with
 * `tshark -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -r v.pcap -V`:
 *
 * ipip_hex:
 *   Internet Protocol Version 4, Src: 198.51.100.1, Dst: 198.51.100.2
 *     Differentiated Services Field: 0xb8 (DSCP: EF PHB), Total Length: 53
 *     Identification: 0x0101, .1.. = Don't fragment: Set, Time to Live: 64
 *     Protocol: IPIP (4), Header Checksum: 0xe4a1 [correct]
 *   Internet Protocol Version 4, Src: 192.0.2.10, Dst: 192.0.2.100
 *     DSField 0xb8, Total Length: 33, Identification: 0x1234, DF: Set,
 *     Time to Live: 63, Protocol: UDP (17), Header Checksum: 0xa471 [correct]
 *   User Datagram Protocol, Src Port: 40000, Dst Port: 6000, Length: 13,
 *     Checksum: 0x83e2 [correct], Data: 68656c6c6f ("hello")
 * gre_hex:
 *   Internet Protocol Version 4, Src: 198.51.100.1, Dst: 198.51.100.2,
 *     Total Length: 57, DF: Set, TTL 64, Protocol: Generic Routing
 *     Encapsulation (47), Header Checksum: 0xe472 [correct]
 *   Generic Routing Encapsulation (IP): Flags and Version: 0x0000
 *     (Checksum Bit: No, Routing Bit: No, Key Bit: No, Sequence Number Bit:
 *     No, Strict Source Route Bit: No, Recursion control: 0),
 *     Protocol Type: IP (0x0800)
 *   Internet Protocol Version 4, Src: 192.0.2.10, Dst: 192.0.2.100 ... (as above)
 * min_s_hex (tshark 4.0 has no dissector for protocol 55; it checks the
 * modified header and shows the forwarding header as data):
 *   Internet Protocol Version 4, Src: 198.51.100.1, Dst: 198.51.100.2
 *     DSField 0xb8, Total Length: 45, Identification: 0x1234, DF: Set,
 *     Time to Live: 63, Protocol: IP Mobility (55), Header Checksum: 0xd443 [correct]
 *   Data (25 bytes): 11 80 6a10 c0000264 c000020a | 9c401770000d83e2 68656c6c6f
 *     = protocol 17, S bit, checksum 0x6a10, original dst 192.0.2.100,
 *       original src 192.0.2.10, then the UDP datagram.
 * min_nos_hex (encapsulator is the source, S clear, 8-byte header):
 *   Internet Protocol Version 4, Src: 203.0.113.1, Dst: 198.51.100.1,
 *     Total Length: 39, Identification: 0x4321, DF: Not set, TTL 64,
 *     Protocol: IP Mobility (55), Header Checksum: 0xd148 [correct]
 *   Data (19 bytes): 11 00 2cf5 c000020a | 01b201b2000b3a05 616263
 */
#include "config.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "buf.h"
#include "encap.h"

static const char *inner_hex =
	"45b80021123440003f11a471c000020ac00002649c401770000d83e268656c6c6f";
static const char *ipip_hex =
	"45b80035010140004004e4a1c6336401c6336402"
	"45b80021123440003f11a471c000020ac00002649c401770000d83e268656c6c6f";
static const char *gre_hex =
	"45b8003901014000402fe472c6336401c633640200000800"
	"45b80021123440003f11a471c000020ac00002649c401770000d83e268656c6c6f";
static const char *min_s_hex =
	"45b8002d123440003f37d443c6336401c633640211806a10c0000264c000020a"
	"9c401770000d83e268656c6c6f";
static const char *inner2_hex = "4500001f43210000401139a1cb007101c000020a01b201b2000b3a05616263";
static const char *min_nos_hex =
	"45000027432100004037d148cb007101c633640111002cf5c000020a01b201b2000b3a05616263";

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s) / 2;

	ck_assert_uint_le(n, cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static struct in_addr A(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct encap_params params(enum dp_encap t)
{
	struct encap_params p = { .src = A("198.51.100.1"), .dst = A("198.51.100.2"), .type = t,
				  .ttl = 0, .id = 0x0101 };

	return p;
}

/* A generic IPv4 datagram: @plen bytes of payload, protocol @proto. */
static size_t mk_ip(uint8_t *b, size_t plen, uint8_t proto, uint8_t tos, bool df, uint8_t ttl)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	b[1] = tos;
	mip_set_u16(b + 2, (uint16_t)(20 + plen));
	mip_set_u16(b + 4, 0x7777);
	b[6] = df ? 0x40 : 0;
	b[8] = ttl;
	b[9] = proto;
	memcpy(b + 12, &(struct in_addr){ htonl(0xc000020a) }, 4);   /* 192.0.2.10 */
	memcpy(b + 16, &(struct in_addr){ htonl(0xc0000264) }, 4);   /* 192.0.2.100 */
	for (size_t i = 0; i < plen; i++)
		b[20 + i] = (uint8_t)(i * 7 + 3);
	ip_set_csum(b);
	return 20 + plen;
}

/* ---- vectors ---- */

static void check_vector(enum dp_encap t, const char *in_hex, const char *out_hex,
			 struct in_addr src, struct in_addr dst, int hdr_len, size_t skip_expect)
{
	uint8_t in[128], expect[160], out[160], hdr[ENCAP_HDR_MAX];
	size_t ilen = unhex(in_hex, in, sizeof(in)), elen = unhex(out_hex, expect, sizeof(expect)), skip;
	struct encap_params p = params(t);
	int n;

	p.src = src;
	p.dst = dst;
	n = encap_build(&p, in, ilen, out, sizeof(out));
	ck_assert_int_eq(n, (int)elen);
	ck_assert_mem_eq(out, expect, elen);
	ck_assert_int_eq(encap_header(&p, in, ilen, hdr, &skip), hdr_len);
	ck_assert_uint_eq(skip, skip_expect);
	ck_assert_mem_eq(hdr, expect, (size_t)hdr_len);
	ck_assert_int_eq(encap_overhead(&p, in), (int)(elen - ilen));
}

START_TEST(test_vector_ipip)
{
	check_vector(DP_ENCAP_IPIP, inner_hex, ipip_hex, A("198.51.100.1"), A("198.51.100.2"), 20, 0);
}
END_TEST

START_TEST(test_vector_gre)
{
	check_vector(DP_ENCAP_GRE, inner_hex, gre_hex, A("198.51.100.1"), A("198.51.100.2"), 24, 0);
}
END_TEST

START_TEST(test_vector_minimal_src)
{
	check_vector(DP_ENCAP_MINIMAL, inner_hex, min_s_hex, A("198.51.100.1"), A("198.51.100.2"),
		     32, 20);
}
END_TEST

START_TEST(test_vector_minimal_nosrc)
{
	check_vector(DP_ENCAP_MINIMAL, inner2_hex, min_nos_hex, A("203.0.113.1"), A("198.51.100.1"),
		     28, 20);
}
END_TEST

/* ---- decapsulation of the vectors and round trips ---- */

static void check_decap_vector(const char *out_hex, const char *in_hex, enum dp_encap t,
			       const char *osrc, const char *odst)
{
	uint8_t pkt[160], in[128];
	size_t len = unhex(out_hex, pkt, sizeof(pkt)), ilen = unhex(in_hex, in, sizeof(in));
	struct encap_decap d;

	ck_assert_int_eq(encap_decap(pkt, len, &d), 0);
	ck_assert_int_eq(d.type, t);
	ck_assert_uint_eq(d.outer_src.s_addr, A(osrc).s_addr);
	ck_assert_uint_eq(d.outer_dst.s_addr, A(odst).s_addr);
	ck_assert_uint_eq(d.inner_len, ilen);
	ck_assert_mem_eq(d.inner, in, ilen);
	ck_assert(d.inner >= pkt);
	ck_assert(d.inner + d.inner_len <= pkt + len);
}

START_TEST(test_decap_vectors)
{
	check_decap_vector(ipip_hex, inner_hex, DP_ENCAP_IPIP, "198.51.100.1", "198.51.100.2");
	check_decap_vector(gre_hex, inner_hex, DP_ENCAP_GRE, "198.51.100.1", "198.51.100.2");
	check_decap_vector(min_s_hex, inner_hex, DP_ENCAP_MINIMAL, "198.51.100.1", "198.51.100.2");
	check_decap_vector(min_nos_hex, inner2_hex, DP_ENCAP_MINIMAL, "203.0.113.1", "198.51.100.1");
}
END_TEST

START_TEST(test_round_trip)
{
	static const size_t sizes[] = { 0, 1, 7, 8, 100, 1452, 65535 - 20 - 24 };
	static uint8_t in[65536], out[65536 + 100], copy[65536];
	enum dp_encap t = (enum dp_encap)_i;

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct encap_params p = params(t);
		struct encap_decap d;
		size_t ilen = mk_ip(in, sizes[k], 17, (uint8_t)(k * 37), k & 1, (uint8_t)(k + 1));
		int n;

		memcpy(copy, in, ilen);
		n = encap_build(&p, in, ilen, out, sizeof(out));
		ck_assert_int_gt(n, 0);
		ck_assert_mem_eq(in, copy, ilen);     /* the inner packet is untouched */
		ck_assert_uint_eq(ip_totlen(out), (unsigned)n);
		ck_assert_uint_eq(ip_csum(out, ip_hlen(out)), 0);
		ck_assert_int_eq(encap_decap(out, (size_t)n, &d), 0);
		ck_assert_int_eq(d.type, t);
		ck_assert_uint_eq(d.inner_len, ilen);
		ck_assert_mem_eq(d.inner, copy, ilen);
	}
}
END_TEST

/* Trailing bytes beyond the outer Total Length (link padding) are ignored. */
START_TEST(test_decap_trailing)
{
	uint8_t pkt[200];
	size_t len = unhex(ipip_hex, pkt, sizeof(pkt));
	struct encap_decap d;

	memset(pkt + len, 0xee, 10);
	ck_assert_int_eq(encap_decap(pkt, len + 10, &d), 0);
	ck_assert_uint_eq(d.inner_len, 33);
}
END_TEST

/* ---- RFC 2003 3.1 header rules ---- */

START_TEST(test_tos_df_ttl)
{
	uint8_t in[100], out[200];
	struct encap_params p = params(DP_ENCAP_IPIP);
	size_t ilen;
	int n;

	for (int t = 0; t < 3; t++) {
		p.type = (enum dp_encap)t;
		for (int df = 0; df < 2; df++) {
			ilen = mk_ip(in, 30, 6, 0x2e, df, 9);
			p.ttl = 0;
			n = encap_build(&p, in, ilen, out, sizeof(out));
			ck_assert_int_gt(n, 0);
			ck_assert_uint_eq(out[1], 0x2e);                /* TOS copied */
			ck_assert_int_eq(ip_df(out), df);                /* DF copied */
			ck_assert_int_eq(ip_mf(out), 0);
			if (p.type == DP_ENCAP_MINIMAL) {
				/* RFC 2004: TTL and Identification are the inner ones */
				ck_assert_uint_eq(ip_ttl(out), 9);
				ck_assert_uint_eq(mip_get_u16(out + 4), 0x7777);
			} else {
				ck_assert_uint_eq(ip_ttl(out), ENCAP_TTL_DEFAULT);
				ck_assert_uint_eq(mip_get_u16(out + 4), 0x0101);
				p.ttl = 17;
				n = encap_build(&p, in, ilen, out, sizeof(out));
				ck_assert_uint_eq(ip_ttl(out), 17);
				ck_assert_uint_eq(ip_csum(out, 20), 0);
			}
			/* the inner TTL is not changed by encapsulation */
			ck_assert_uint_eq(ip_ttl(in), 9);
		}
	}
}
END_TEST

START_TEST(test_ttl_zero)
{
	uint8_t in[100], out[200];
	struct encap_params p = params((enum dp_encap)_i);
	size_t ilen = mk_ip(in, 10, 17, 0, false, 0);
	struct encap_decap d;
	int n;

	/* an encapsulator MUST NOT encapsulate a datagram with TTL 0 */
	ck_assert_int_eq(encap_build(&p, in, ilen, out, sizeof(out)), -ENCAP_E_INNER_TTL);
	/* a decapsulator MUST discard an inner datagram with TTL 0 */
	in[8] = 1;
	ip_set_csum(in);
	n = encap_build(&p, in, ilen, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	if (p.type == DP_ENCAP_MINIMAL) {
		out[8] = 0;     /* the inner TTL is the outer one */
		ip_set_csum(out);
	} else {
		out[20 + (p.type == DP_ENCAP_GRE ? 4 : 0) + 8] = 0;
		ip_set_csum(out + 20 + (p.type == DP_ENCAP_GRE ? 4 : 0));
	}
	ck_assert_int_eq(encap_decap(out, (size_t)n, &d), -ENCAP_E_INNER_TTL);
}
END_TEST

START_TEST(test_ttl_decrement)
{
	uint8_t in[64], ref[64];
	size_t ilen;

	for (unsigned ttl = 2; ttl < 256; ttl += 3) {
		ilen = mk_ip(in, 20, 17, (uint8_t)ttl, false, (uint8_t)ttl);
		in[4] = (uint8_t)(ttl * 13);
		ip_set_csum(in);
		ck_assert_int_eq(ip_ttl_decrement(in), (int)ttl - 1);
		memcpy(ref, in, ilen);
		ip_set_csum(ref);       /* full recomputation agrees with RFC 1624 */
		ck_assert_mem_eq(in, ref, 20);
		ck_assert_int_eq(ip_check(in, ilen), 0);
	}
	ilen = mk_ip(in, 20, 17, 0, false, 1);
	memcpy(ref, in, ilen);
	ck_assert_int_eq(ip_ttl_decrement(in), 0);
	ck_assert_mem_eq(in, ref, ilen);
	in[8] = 0;
	ck_assert_int_eq(ip_ttl_decrement(in), 0);
}
END_TEST

/* ---- build errors ---- */

START_TEST(test_build_errors)
{
	static uint8_t in[65536], out[65536 + 100];
	uint8_t hdr[ENCAP_HDR_MAX];
	struct encap_params p = params(DP_ENCAP_IPIP);
	size_t ilen = mk_ip(in, 40, 17, 0, false, 64), skip;

	ck_assert_int_eq(encap_build(&p, in, ilen, out, ilen + 19), -ENCAP_E_NOSPACE);
	ck_assert_int_eq(encap_build(&p, in, ilen, out, ilen + 20), (int)ilen + 20);
	p.type = (enum dp_encap)7;
	ck_assert_int_eq(encap_build(&p, in, ilen, out, sizeof(out)), -ENCAP_E_TYPE);
	ck_assert_int_eq(encap_overhead(&p, in), -ENCAP_E_TYPE);
	/* minimal encapsulation of a fragment: MUST NOT (RFC 2004 3) */
	p.type = DP_ENCAP_MINIMAL;
	in[6] = 0x20;
	ip_set_csum(in);
	ck_assert_int_eq(encap_header(&p, in, ilen, hdr, &skip), -ENCAP_E_INNER_FRAG);
	in[6] = 0x00;
	in[7] = 0x10;
	ip_set_csum(in);
	ck_assert_int_eq(encap_header(&p, in, ilen, hdr, &skip), -ENCAP_E_INNER_FRAG);
	p.type = DP_ENCAP_IPIP;                 /* IP-in-IP carries fragments */
	ck_assert_int_eq(encap_header(&p, in, ilen, hdr, &skip), 20);
	/* too long once encapsulated */
	ilen = mk_ip(in, 65535 - 20, 17, 0, false, 64);
	for (int t = 0; t < 3; t++) {
		p.type = (enum dp_encap)t;
		ck_assert_int_eq(encap_build(&p, in, ilen, out, sizeof(out)), -ENCAP_E_TOOBIG);
	}
	/* a broken inner packet */
	ilen = mk_ip(in, 40, 17, 0, false, 64);
	ck_assert_int_eq(encap_build(&p, in, 19, out, sizeof(out)), -ENCAP_E_INNER_SHORT);
	ck_assert_int_eq(encap_build(&p, in, ilen - 1, out, sizeof(out)), -ENCAP_E_INNER_LEN);
	in[0] = 0x65;
	ck_assert_int_eq(encap_build(&p, in, ilen, out, sizeof(out)), -ENCAP_E_INNER_VERSION);
	in[0] = 0x44;
	ck_assert_int_eq(encap_build(&p, in, ilen, out, sizeof(out)), -ENCAP_E_INNER_IHL);
}
END_TEST

/* ---- every rejection path of encap_decap ---- */

static uint8_t pk[256];
static size_t pklen;

static void load(const char *h)
{
	pklen = unhex(h, pk, sizeof(pk));
}

static void fix(void)
{
	ip_set_csum(pk);
}

static void expect(int err)
{
	struct encap_decap d;

	ck_assert_msg(encap_decap(pk, pklen, &d) == -err, "expected %s, got %s",
		      encap_strerror(err), encap_strerror(encap_decap(pk, pklen, &d)));
}

START_TEST(test_reject_outer)
{
	struct encap_decap d;

	load(ipip_hex);
	ck_assert_int_eq(encap_decap(pk, 19, &d), -ENCAP_E_SHORT);
	ck_assert_int_eq(encap_decap(pk, 0, &d), -ENCAP_E_SHORT);
	load(ipip_hex); pk[0] = 0x65; expect(ENCAP_E_VERSION);
	load(ipip_hex); pk[0] = 0x44; expect(ENCAP_E_IHL);
	load(ipip_hex); pk[0] = 0x4f; pklen = 40; expect(ENCAP_E_IHL);     /* 60 > 40 */
	load(ipip_hex); mip_set_u16(pk + 2, 19); fix(); expect(ENCAP_E_TOTLEN);
	load(ipip_hex); mip_set_u16(pk + 2, (uint16_t)(pklen + 1)); fix(); expect(ENCAP_E_TOTLEN);
	load(ipip_hex); pk[11] ^= 1; expect(ENCAP_E_CSUM);
	load(ipip_hex); pk[6] |= 0x20; fix(); expect(ENCAP_E_FRAGMENT);
	load(ipip_hex); pk[7] = 1; fix(); expect(ENCAP_E_FRAGMENT);
	load(ipip_hex); pk[9] = 17; fix(); expect(ENCAP_E_PROTO);
	load(ipip_hex); pk[9] = 41; fix(); expect(ENCAP_E_PROTO);   /* IPv6-in-IPv4 */
}
END_TEST

/* Set GRE flags of the vector (and a checksum if C is set). */
static void gre_flags(uint16_t f)
{
	load(gre_hex);
	mip_set_u16(pk + 20, f);
}

START_TEST(test_reject_gre)
{
	/* bits 1-5: routing, key, sequence, strict source route, recursion (MSB) */
	static const uint16_t bad[] = { 0x4000, 0x2000, 0x1000, 0x0800, 0x0400 };
	uint8_t tmp[256];
	struct encap_decap d;

	load(gre_hex); mip_set_u16(pk + 2, 23); pklen = 23; fix(); expect(ENCAP_E_GRE_SHORT);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gre_flags(bad[i]);
		expect(ENCAP_E_GRE_FLAGS);
	}
	for (uint16_t v = 1; v < 8; v++) {
		gre_flags(v);
		expect(ENCAP_E_GRE_VERSION);
	}
	/* reserved bits 6-12 are ignored on receipt (RFC 2784 2.3) */
	gre_flags(0x03f8);
	expect(ENCAP_OK);
	load(gre_hex); mip_set_u16(pk + 22, 0x86dd); expect(ENCAP_E_GRE_PTYPE);
	load(gre_hex); mip_set_u16(pk + 22, 0x6558); expect(ENCAP_E_GRE_PTYPE);
	/* with a checksum: C bit, 2 bytes checksum, 2 reserved */
	load(gre_hex);
	memcpy(tmp, pk, 24);
	mip_set_u16(tmp + 20, 0x8000);
	memset(tmp + 24, 0, 4);
	memcpy(tmp + 28, pk + 24, pklen - 24);
	pklen += 4;
	mip_set_u16(tmp + 2, (uint16_t)pklen);
	memcpy(pk, tmp, pklen);
	fix();
	mip_set_u16(pk + 24, ip_csum(pk + 20, pklen - 20));
	ck_assert_int_eq(encap_decap(pk, pklen, &d), 0);
	ck_assert_uint_eq(d.inner_len, 33);
	ck_assert_ptr_eq(d.inner, pk + 28);
	pk[24] ^= 0x10;
	expect(ENCAP_E_GRE_CSUM);
	/* C bit but only 4 GRE bytes */
	load(gre_hex); mip_set_u16(pk + 20, 0x8000); mip_set_u16(pk + 2, 24); pklen = 24; fix();
	expect(ENCAP_E_GRE_SHORT);
}
END_TEST

START_TEST(test_reject_minimal)
{
	load(min_s_hex); mip_set_u16(pk + 2, 27); pklen = 27; fix(); expect(ENCAP_E_MIN_SHORT);
	/* S set: 12 bytes needed */
	load(min_s_hex); mip_set_u16(pk + 2, 31); pklen = 31; fix(); expect(ENCAP_E_MIN_SHORT);
	load(min_s_hex); pk[22] ^= 1; expect(ENCAP_E_MIN_CSUM);
	load(min_s_hex); pk[25] ^= 1; expect(ENCAP_E_MIN_CSUM);       /* original dst */
	load(min_s_hex); pk[29] ^= 1; expect(ENCAP_E_MIN_CSUM);       /* original src */
	/* the S bit flipped changes the header length: checksum no longer matches */
	load(min_s_hex); pk[21] = 0; expect(ENCAP_E_MIN_CSUM);
	/* reserved bits are ignored on reception (but covered by the checksum) */
	load(min_s_hex); pk[21] |= 0x01; mip_set_u16(pk + 22, 0); mip_set_u16(pk + 22, ip_csum(pk + 20, 12));
	expect(ENCAP_OK);
	/* nothing after the forwarding header: the rebuilt datagram is a bare
	 * 20-byte header, still a well-formed IPv4 datagram */
	load(min_s_hex); mip_set_u16(pk + 2, 32); pklen = 32; fix(); expect(ENCAP_OK);
}
END_TEST

/* Build an IP-in-IP packet around @inner bytes without checking them. */
static void wrap_raw(const uint8_t *inner, size_t ilen)
{
	uint8_t o[20];

	load(ipip_hex);
	memcpy(o, pk, 20);
	memcpy(pk + 20, inner, ilen);
	memcpy(pk, o, 20);
	pklen = 20 + ilen;
	mip_set_u16(pk + 2, (uint16_t)pklen);
	fix();
}

START_TEST(test_reject_inner)
{
	uint8_t in[128];
	size_t ilen = unhex(inner_hex, in, sizeof(in));

	wrap_raw(in, 19); expect(ENCAP_E_INNER_SHORT);
	wrap_raw(in, 0); expect(ENCAP_E_INNER_SHORT);
	in[0] = 0x60; wrap_raw(in, ilen); expect(ENCAP_E_INNER_VERSION);
	in[0] = 0x44; wrap_raw(in, ilen); expect(ENCAP_E_INNER_IHL);
	in[0] = 0x4f; wrap_raw(in, 40); expect(ENCAP_E_INNER_IHL);
	unhex(inner_hex, in, sizeof(in));
	wrap_raw(in, ilen - 1); expect(ENCAP_E_INNER_LEN);
	mip_set_u16(in + 2, 20); ip_set_csum(in); wrap_raw(in, ilen); expect(ENCAP_E_INNER_LEN);
	unhex(inner_hex, in, sizeof(in));
	in[10] ^= 1; wrap_raw(in, ilen); expect(ENCAP_E_INNER_CSUM);
	unhex(inner_hex, in, sizeof(in));
	in[8] = 0; ip_set_csum(in); wrap_raw(in, ilen); expect(ENCAP_E_INNER_TTL);
	unhex(inner_hex, in, sizeof(in));
	wrap_raw(in, ilen); expect(ENCAP_OK);
	/* the same checks apply behind GRE and minimal encapsulation */
	load(gre_hex); pk[24] = 0x65; expect(ENCAP_E_INNER_VERSION);
	load(gre_hex); pk[24 + 10] ^= 1; expect(ENCAP_E_INNER_CSUM);
	load(min_s_hex); pk[8] = 0; fix(); expect(ENCAP_E_INNER_TTL);
}
END_TEST

START_TEST(test_strerror)
{
	for (int e = 0; e < ENCAP_E__MAX; e++) {
		ck_assert_ptr_nonnull(encap_strerror(e));
		ck_assert_str_ne(encap_strerror(e), "unknown error");
		ck_assert_str_eq(encap_strerror(-e), encap_strerror(e));
	}
	ck_assert_str_eq(encap_strerror(ENCAP_E__MAX), "unknown error");
	ck_assert_str_eq(encap_name(DP_ENCAP_GRE), "gre");
	ck_assert_str_eq(encap_name(DP_ENCAP_MINIMAL), "minimal");
	ck_assert_str_eq(encap_name(DP_ENCAP_IPIP), "ipip");
}
END_TEST

START_TEST(test_csum)
{
	/* RFC 1071 example bytes: 00 01 f2 03 f4 f5 f6 f7 -> sum 0xddf2, checksum 0x220d */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	static const uint8_t odd[] = { 0x01, 0x02, 0x03 };

	ck_assert_uint_eq(ip_csum(b, sizeof(b)), 0x220d);
	ck_assert_uint_eq(ip_csum(odd, 3), (uint16_t)~(0x0102 + 0x0300));
	ck_assert_uint_eq(ip_csum(b, 0), 0xffff);
}
END_TEST

/* ---- fragmentation ---- */

/* Reassemble fragments @f (count @n) and compare with @orig. */
static void check_fragments(uint8_t f[][1600], const int *flen, int n, const uint8_t *orig, size_t olen,
			    size_t mtu)
{
	static uint8_t re[70000];
	unsigned hl = ip_hlen(orig);
	size_t got = 0;

	for (int i = 0; i < n; i++) {
		size_t fhl = ip_hlen(f[i]), off = (size_t)ip_fragoff(f[i]) * 8;

		ck_assert_uint_le((size_t)flen[i], mtu);
		ck_assert_int_eq(ip_check(f[i], (size_t)flen[i]), 0);
		ck_assert_int_eq(ip_df(f[i]), 0);
		ck_assert_int_eq(ip_mf(f[i]), i < n - 1 || ip_mf(orig));
		ck_assert_uint_eq(mip_get_u16(f[i] + 4), mip_get_u16(orig + 4));
		ck_assert_uint_eq(f[i][9], orig[9]);
		ck_assert_mem_eq(f[i] + 12, orig + 12, 8);
		if (i < n - 1)
			ck_assert_uint_eq(((size_t)flen[i] - fhl) % 8, 0);
		off -= (size_t)ip_fragoff(orig) * 8;
		ck_assert_uint_eq(off, got);
		memcpy(re + off, f[i] + fhl, (size_t)flen[i] - fhl);
		got += (size_t)flen[i] - fhl;
	}
	ck_assert_uint_eq(got, olen - hl);
	ck_assert_mem_eq(re, orig + hl, olen - hl);
}

START_TEST(test_fragment)
{
	static uint8_t in[1600], f[40][1600];
	int flen[40], n = 0, r;
	size_t off = 0, ilen = mk_ip(in, 1000, 17, 0, false, 64);

	while ((r = ip_fragment_next(in, ilen, 300, &off, f[n], sizeof(f[n]))) > 0)
		flen[n++] = r;
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(n, 4);                 /* 280 + 280 + 280 + 160 */
	ck_assert_int_eq(flen[0], 300);
	ck_assert_int_eq(flen[3], 180);
	check_fragments(f, flen, n, in, ilen, 300);
	/* calling again after the end gives 0 */
	ck_assert_int_eq(ip_fragment_next(in, ilen, 300, &off, f[0], sizeof(f[0])), 0);

	/* a packet that fits comes out whole */
	off = 0;
	ck_assert_int_eq(ip_fragment_next(in, ilen, 1500, &off, f[0], sizeof(f[0])), (int)ilen);
	ck_assert_mem_eq(f[0], in, ilen);
	ck_assert_int_eq(ip_fragment_next(in, ilen, 1500, &off, f[0], sizeof(f[0])), 0);

	/* fragmenting a fragment: offsets add up, the last piece keeps MF */
	ilen = mk_ip(in, 800, 17, 0, false, 64);
	mip_set_u16(in + 6, 0x2000 | 100);      /* MF, offset 800 bytes */
	ip_set_csum(in);
	n = 0;
	off = 0;
	while ((r = ip_fragment_next(in, ilen, 500, &off, f[n], sizeof(f[n]))) > 0)
		flen[n++] = r;
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(ip_fragoff(f[0]), 100);
	ck_assert_uint_eq(ip_fragoff(f[1]), 100 + 480 / 8);
	check_fragments(f, flen, n, in, ilen, 500);
}
END_TEST

START_TEST(test_fragment_options)
{
	static uint8_t in[1600], f[40][1600];
	int flen[40], n = 0, r;
	size_t off = 0, ilen;

	/* header with options: NOP, record route (7, not copied, 11 bytes),
	 * a copied option 0x82 (4 bytes), EOL, padding: 40 bytes in all */
	static const uint8_t opts[20] = { 1, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0,
					  0x82, 4, 0xaa, 0xbb, 0, 0, 0, 0 };
	static uint8_t tmp[1600];

	ilen = mk_ip(tmp, 600, 17, 0, false, 64);
	memcpy(in, tmp, 20);
	memcpy(in + 20, opts, 20);
	memcpy(in + 40, tmp + 20, ilen - 20);
	in[0] = 0x4a;
	ilen += 20;
	mip_set_u16(in + 2, (uint16_t)ilen);
	ip_set_csum(in);
	ck_assert_int_eq(ip_check(in, ilen), 0);
	while ((r = ip_fragment_next(in, ilen, 256, &off, f[n], sizeof(f[n]))) > 0)
		flen[n++] = r;
	ck_assert_int_eq(r, 0);
	ck_assert_int_gt(n, 2);
	ck_assert_uint_eq(ip_hlen(f[0]), 40);   /* first: all options */
	ck_assert_mem_eq(f[0] + 20, in + 20, 20);
	for (int i = 1; i < n; i++) {
		static const uint8_t copied[4] = { 0x82, 4, 0xaa, 0xbb };

		ck_assert_uint_eq(ip_hlen(f[i]), 24);   /* only the copied option */
		ck_assert_mem_eq(f[i] + 20, copied, 4);
	}
	check_fragments(f, flen, n, in, ilen, 256);
}
END_TEST

START_TEST(test_fragment_errors)
{
	static uint8_t in[1600], out[1600];
	size_t off = 0, ilen = mk_ip(in, 1000, 17, 0, true, 64);

	ck_assert_int_eq(ip_fragment_next(in, ilen, 576, &off, out, sizeof(out)), -ENCAP_E_DF);
	ilen = mk_ip(in, 1000, 17, 0, false, 64);
	ck_assert_int_eq(ip_fragment_next(in, ilen, 67, &off, out, sizeof(out)), -ENCAP_E_MTU);
	ck_assert_int_eq(ip_fragment_next(in, ilen, 576, &off, out, 100), -ENCAP_E_NOSPACE);
	ck_assert_int_eq(ip_fragment_next(in, ilen - 1, 576, &off, out, sizeof(out)), -ENCAP_E_INNER_LEN);
	off = 3;        /* not a multiple of 8 */
	ck_assert_int_eq(ip_fragment_next(in, ilen, 576, &off, out, sizeof(out)), -ENCAP_E_INNER_LEN);
	/* a 60-byte header leaves exactly 8 bytes in the minimum MTU of 68 */
	off = 0;
	in[0] = 0x4f;
	memset(in + 20, 1, 40);                 /* NOPs */
	mip_set_u16(in + 2, (uint16_t)ilen);
	ip_set_csum(in);
	ck_assert_int_eq(ip_fragment_next(in, ilen, 68, &off, out, sizeof(out)), 68);
}
END_TEST

/* ---- ICMP ---- */

START_TEST(test_icmp_build)
{
	static uint8_t in[2000], msg[1000];
	size_t ilen = mk_ip(in, 1400, 17, 0, true, 64);
	int n = icmp_error_build(msg, sizeof(msg), 3, 4, 1476, in, ilen);

	ck_assert_int_eq(n, 8 + ENCAP_ICMP_QUOTE_MAX);
	ck_assert_uint_eq(msg[0], 3);
	ck_assert_uint_eq(msg[1], 4);
	ck_assert_uint_eq(mip_get_u16(msg + 4), 0);
	ck_assert_uint_eq(mip_get_u16(msg + 6), 1476);
	ck_assert_uint_eq(ip_csum(msg, (size_t)n), 0);
	ck_assert_mem_eq(msg + 8, in, ENCAP_ICMP_QUOTE_MAX);
	/* a short datagram is quoted whole, never beyond its Total Length */
	ilen = mk_ip(in, 8, 17, 0, true, 64);
	ck_assert_int_eq(icmp_error_build(msg, sizeof(msg), 3, 1, 999, in, ilen + 50), 8 + 28);
	ck_assert_uint_eq(mip_get_u16(msg + 6), 0);     /* MTU only for code 4 */
	ck_assert_int_eq(icmp_error_build(msg, 20, 3, 1, 0, in, ilen), -ENCAP_E_NOSPACE);
	ck_assert_int_eq(icmp_error_build(msg, sizeof(msg), 3, 1, 0, in, 19), -ENCAP_E_INNER_SHORT);
}
END_TEST

START_TEST(test_icmp_allowed)
{
	uint8_t in[100];
	size_t ilen = mk_ip(in, 30, 17, 0, false, 64);

	ck_assert(icmp_error_allowed(in, ilen));
	ck_assert(!icmp_error_allowed(in, 19));
	in[7] = 1;      /* non-initial fragment */
	ck_assert(!icmp_error_allowed(in, ilen));
	in[7] = 0;
	in[6] = 0x20;   /* first fragment: allowed */
	ck_assert(icmp_error_allowed(in, ilen));
	in[6] = 0;
	in[16] = 224;   /* multicast destination */
	ck_assert(!icmp_error_allowed(in, ilen));
	in[16] = 255;
	ck_assert(!icmp_error_allowed(in, ilen));
	in[16] = 192;
	in[12] = 0;     /* zero source */
	ck_assert(!icmp_error_allowed(in, ilen));
	in[12] = 127;
	ck_assert(!icmp_error_allowed(in, ilen));
	in[12] = 239;
	ck_assert(!icmp_error_allowed(in, ilen));
	in[12] = 192;
	in[9] = 1;      /* ICMP */
	for (int t = 0; t < 20; t++) {
		bool err = t == 3 || t == 4 || t == 5 || t == 11 || t == 12;

		in[20] = (uint8_t)t;
		ck_assert_int_eq(icmp_error_allowed(in, ilen), !err);
	}
	ck_assert(!icmp_error_allowed(in, 20));         /* ICMP without a type byte */
	in[0] = 0x65;
	ck_assert(!icmp_error_allowed(in, ilen));
}
END_TEST

/* An ICMP error from router 198.51.100.254 quoting @q (@qlen bytes). */
static size_t mk_icmp(uint8_t *b, uint8_t type, uint8_t code, uint16_t mtu, const uint8_t *q, size_t qlen)
{
	int n = icmp_error_build(b + 20, 1000, type, code, mtu, q, qlen);

	ck_assert_int_gt(n, 0);
	memset(b, 0, 20);
	b[0] = 0x45;
	mip_set_u16(b + 2, (uint16_t)(20 + n));
	b[8] = 64;
	b[9] = 1;
	memcpy(b + 12, &(struct in_addr){ htonl(0xc63364fe) }, 4);
	memcpy(b + 16, &(struct in_addr){ htonl(0xc6336401) }, 4);
	ip_set_csum(b);
	return 20 + (size_t)n;
}

static struct encap_icmp ir;

START_TEST(test_icmp_parse)
{
	uint8_t q[200], in[128], b[1200];
	size_t ilen = unhex(inner_hex, in, sizeof(in)), qlen, blen;
	const char *hexes[3] = { ipip_hex, min_s_hex, gre_hex };

	for (int t = 0; t < 3; t++) {
		qlen = unhex(hexes[t], q, sizeof(q));
		blen = mk_icmp(b, 3, 4, 1400, q, qlen);
		ck_assert_int_eq(encap_icmp_parse(b, blen, &ir), 0);
		ck_assert_uint_eq(ir.type, 3);
		ck_assert_uint_eq(ir.code, 4);
		ck_assert_uint_eq(ir.mtu, 1400);
		ck_assert_int_eq(ir.encap, t);
		ck_assert_uint_eq(ir.from.s_addr, A("198.51.100.254").s_addr);
		ck_assert_uint_eq(ir.outer_src.s_addr, A("198.51.100.1").s_addr);
		ck_assert_uint_eq(ir.outer_dst.s_addr, A("198.51.100.2").s_addr);
		ck_assert_uint_eq(ir.outer_len, qlen);
		ck_assert_uint_eq(ir.inner_len, ilen);
		ck_assert_mem_eq(ir.inner, in, ilen);   /* minimal: header rebuilt */
		/* Time Exceeded: no MTU */
		blen = mk_icmp(b, 11, 0, 0, q, qlen);
		ck_assert_int_eq(encap_icmp_parse(b, blen, &ir), 0);
		ck_assert_uint_eq(ir.type, 11);
		ck_assert_uint_eq(ir.mtu, 0);
	}
	/* only 8 bytes beyond the outer header (RFC 792 minimum): no inner
	 * header to relay, but the soft-state fields are there */
	qlen = unhex(ipip_hex, q, sizeof(q));
	blen = mk_icmp(b, 3, 4, 1300, q, 28);
	ck_assert_int_eq(encap_icmp_parse(b, blen, &ir), -ENCAP_E_ICMP_NOINNER);
	ck_assert_uint_eq(ir.mtu, 1300);
	ck_assert_uint_eq(ir.outer_dst.s_addr, A("198.51.100.2").s_addr);
	ck_assert_uint_eq(ir.outer_len, qlen);
	qlen = unhex(min_s_hex, q, sizeof(q));
	blen = mk_icmp(b, 3, 4, 1300, q, 28);   /* S set: 12 bytes needed */
	ck_assert_int_eq(encap_icmp_parse(b, blen, &ir), -ENCAP_E_ICMP_NOINNER);
	qlen = unhex(gre_hex, q, sizeof(q));
	blen = mk_icmp(b, 3, 1, 0, q, 28);
	ck_assert_int_eq(encap_icmp_parse(b, blen, &ir), -ENCAP_E_ICMP_NOINNER);
	/* not about an encapsulated packet */
	blen = mk_icmp(b, 3, 3, 0, in, ilen);
	ck_assert_int_eq(encap_icmp_parse(b, blen, &ir), -ENCAP_E_ICMP_NOTOURS);
	/* GRE with a key: not ours */
	qlen = unhex(gre_hex, q, sizeof(q));
	mip_set_u16(q + 20, 0x2000);
	blen = mk_icmp(b, 3, 1, 0, q, qlen);
	ck_assert_int_eq(encap_icmp_parse(b, blen, &ir), -ENCAP_E_ICMP_NOTOURS);
	/* an echo reply is no error */
	qlen = unhex(ipip_hex, q, sizeof(q));
	blen = mk_icmp(b, 0, 0, 0, q, qlen);
	ck_assert_int_eq(encap_icmp_parse(b, blen, &ir), -ENCAP_E_ICMP_TYPE);
	/* checksums */
	blen = mk_icmp(b, 3, 1, 0, q, qlen);
	b[blen - 1] ^= 1;
	ck_assert_int_eq(encap_icmp_parse(b, blen, &ir), -ENCAP_E_ICMP_CSUM);
	b[blen - 1] ^= 1;
	b[10] ^= 1;
	ck_assert_int_eq(encap_icmp_parse(b, blen, &ir), -ENCAP_E_CSUM);
	b[10] ^= 1;
	ck_assert_int_eq(encap_icmp_parse(b, 20 + 8 + 19, &ir), -ENCAP_E_TOTLEN);
	b[9] = 17;
	ip_set_csum(b);
	ck_assert_int_eq(encap_icmp_parse(b, blen, &ir), -ENCAP_E_PROTO);
	ck_assert_int_eq(encap_icmp_parse(b, 10, &ir), -ENCAP_E_SHORT);
}
END_TEST

static Suite *encap_suite(void)
{
	Suite *s = suite_create("encap");
	TCase *tc = tcase_create("vectors");

	tcase_add_test(tc, test_vector_ipip);
	tcase_add_test(tc, test_vector_gre);
	tcase_add_test(tc, test_vector_minimal_src);
	tcase_add_test(tc, test_vector_minimal_nosrc);
	tcase_add_test(tc, test_decap_vectors);
	tcase_add_loop_test(tc, test_round_trip, 0, 3);
	tcase_add_test(tc, test_decap_trailing);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_test(tc, test_tos_df_ttl);
	tcase_add_loop_test(tc, test_ttl_zero, 0, 3);
	tcase_add_test(tc, test_ttl_decrement);
	tcase_add_test(tc, test_build_errors);
	tcase_add_test(tc, test_csum);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("reject");
	tcase_add_test(tc, test_reject_outer);
	tcase_add_test(tc, test_reject_gre);
	tcase_add_test(tc, test_reject_minimal);
	tcase_add_test(tc, test_reject_inner);
	suite_add_tcase(s, tc);

	tc = tcase_create("fragment");
	tcase_add_test(tc, test_fragment);
	tcase_add_test(tc, test_fragment_options);
	tcase_add_test(tc, test_fragment_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("icmp");
	tcase_add_test(tc, test_icmp_build);
	tcase_add_test(tc, test_icmp_allowed);
	tcase_add_test(tc, test_icmp_parse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(encap_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
