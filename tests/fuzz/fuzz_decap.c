/* libFuzzer harness: encap_decap, encap_icmp_parse and ip_fragment_next on arbitrary bytes, with round trips. */
/* fuzz-sources: agent/encap.c agent/buf.c agent/log.c */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "encap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t pkt[65536 + 64], out[65536 + 128], again[65536 + 128], frag[65536], re[65536];

/* An accepted packet: the inner datagram lies inside the buffer and is valid;
 * encapsulating it again the same way and decapsulating gives it back. */
static void check_accepted(const struct encap_decap *d, size_t size)
{
	struct encap_params p = { .src = d->outer_src, .dst = d->outer_dst, .type = d->type, .id = 1 };
	struct encap_decap d2;
	int n;

	if (d->inner < pkt || d->inner_len > size || d->inner + d->inner_len > pkt + size)
		abort();
	if (ip_check(d->inner, d->inner_len) != 0)
		abort();
	n = encap_build(&p, d->inner, d->inner_len, out, sizeof(out));
	if (n == -ENCAP_E_INNER_FRAG && d->type == DP_ENCAP_MINIMAL)
		return;         /* a minimal packet whose restored header says fragment */
	if (n == -ENCAP_E_TOOBIG)
		return;
	if (n < 0)
		abort();
	memcpy(again, out, (size_t)n);
	if (encap_decap(again, (size_t)n, &d2) != 0 || d2.type != d->type ||
	    d2.inner_len != d->inner_len || memcmp(d2.inner, d->inner, d->inner_len) ||
	    d2.outer_src.s_addr != d->outer_src.s_addr || d2.outer_dst.s_addr != d->outer_dst.s_addr)
		abort();
}

/* Fragment a valid datagram and reassemble it. */
static void check_fragments(const uint8_t *ip, size_t len, size_t mtu)
{
	size_t off = 0, hl = ip_hlen(ip), got = 0;
	int n;

	while ((n = ip_fragment_next(ip, len, mtu, &off, frag, sizeof(frag))) > 0) {
		size_t fhl = ip_hlen(frag), fo = (size_t)(ip_fragoff(frag) - ip_fragoff(ip)) * 8;

		if ((size_t)n > mtu || ip_check(frag, (size_t)n) != 0 || fo != got ||
		    fo + (size_t)n - fhl > len - hl)
			abort();
		memcpy(re + fo, frag + fhl, (size_t)n - fhl);
		got += (size_t)n - fhl;
	}
	if (n == 0 && (got != len - hl || memcmp(re, ip + hl, got)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct encap_icmp ir;
	struct encap_decap d;
	uint8_t msg[8 + ENCAP_ICMP_QUOTE_MAX];
	int rc;

	if (size > sizeof(pkt))
		return 0;
	memcpy(pkt, data, size);
	rc = encap_decap(pkt, size, &d);
	if (rc > 0 || rc <= -ENCAP_E__MAX)
		abort();
	if (rc == 0) {
		check_accepted(&d, size);
		if (!ip_df(d.inner) && d.inner_len > 68)
			check_fragments(d.inner, d.inner_len, 68 + (size & 0x1ff));
		if (icmp_error_allowed(d.inner, d.inner_len)) {
			int n = icmp_error_build(msg, sizeof(msg), 3, 4, 1400, d.inner, d.inner_len);

			if (n < 28 || ip_csum(msg, (size_t)n) != 0)
				abort();
		}
	}
	rc = encap_icmp_parse(data, size, &ir);
	if (rc > 0 || rc <= -ENCAP_E__MAX || ir.inner_len > sizeof(ir.inner))
		abort();
	if (rc == 0 && ir.inner_len < 20)
		abort();
	if (size >= 20 && ip_check(data, size) == 0 && !ip_df(data))
		check_fragments(data, size, 68 + (size & 0x3ff));
	return 0;
}
