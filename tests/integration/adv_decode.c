/* Test driver: decode Agent Advertisements with the daemon's codec (adv_wire.c) and print JSON. */
#include "config.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "adv_wire.h"

/*
 * usage: adv_decode HEX...   each HEX an IPv4 packet (starting 0x45...) or an
 * ICMP message; one JSON object per argument:
 *   {"result":0,"code":16,"lifetime":12,"addrs":["..."],"seq":3,"reg_lifetime":600,
 *    "flags":7424,"flag_letters":"FMGT","coas":["..."],"prefix_lengths":[26],"pad":1}
 */

static size_t unhex(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (n < max && sscanf(s + 2 * n, "%2x", &v) == 1) {
		out[n++] = (unsigned char)v;
		if (!s[2 * n] || !s[2 * n + 1])
			break;
	}
	return n;
}

static void addr_list(const char *name, const struct in_addr *a, unsigned n)
{
	char buf[INET_ADDRSTRLEN];

	printf(",\"%s\":[", name);
	for (unsigned i = 0; i < n; i++)
		printf("%s\"%s\"", i ? "," : "", inet_ntop(AF_INET, &a[i], buf, sizeof(buf)));
	printf("]");
}

int main(int argc, char **argv)
{
	for (int k = 1; k < argc; k++) {
		unsigned char pkt[2048];
		size_t n = unhex(argv[k], pkt, sizeof(pkt)), off = 0;
		struct mip_agent_adv a;
		struct in_addr addrs[MIP_ADV_MAX_ADDRS];
		char fl[16];
		enum mip_adv_parse_result r;

		if (n && (pkt[0] >> 4) == 4)
			off = (size_t)(pkt[0] & 15) * 4;
		r = mip_adv_parse(pkt + off, n > off ? n - off : 0, &a);
		printf("{\"result\":%d,\"code\":%u,\"lifetime\":%u", (int)r, a.code, a.lifetime);
		for (unsigned i = 0; i < a.n_addrs && i < MIP_ADV_MAX_ADDRS; i++)
			addrs[i] = a.addrs[i].addr;
		addr_list("addrs", addrs, a.n_addrs < MIP_ADV_MAX_ADDRS ? a.n_addrs : MIP_ADV_MAX_ADDRS);
		printf(",\"seq\":%u,\"reg_lifetime\":%u,\"flags\":%u,\"flag_letters\":\"%s\"", a.seq,
		       a.reg_lifetime, a.flags, mip_adv_flags_str(a.flags, fl));
		addr_list("coas", a.coas, a.n_coas < MIP_ADV_MAX_COAS ? a.n_coas : MIP_ADV_MAX_COAS);
		printf(",\"prefix_lengths\":[");
		for (unsigned i = 0; i < a.n_prefix_lengths && i < MIP_ADV_MAX_ADDRS; i++)
			printf("%s%u", i ? "," : "", a.prefix_len[i]);
		printf("],\"pad\":%u}\n", a.n_pad);
	}
	return 0;
}
