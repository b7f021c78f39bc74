/* fuzz-sources: agent/adv_wire.c agent/fa_msg.c agent/wire.c agent/buf.c */
/* libFuzzer harness: Agent Advertisement / Solicitation parsing (adv_wire.c)
 * on arbitrary bytes and on a copy with a correct ICMP checksum, rebuilding
 * what parsed and checking that it parses back to the same fields; and the
 * foreign agent's extension walk (fa_msg.c) on the same bytes. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "adv_wire.h"
#include "fa_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same(const struct mip_agent_adv *a, const struct mip_agent_adv *b)
{
	if (a->code != b->code || a->lifetime != b->lifetime || a->seq != b->seq ||
	    a->reg_lifetime != b->reg_lifetime || a->flags != b->flags || a->n_coas != b->n_coas ||
	    a->n_addrs != b->n_addrs || a->prefix_lengths != b->prefix_lengths ||
	    memcmp(a->coas, b->coas, a->n_coas * sizeof(a->coas[0])))
		abort();
	for (unsigned i = 0; i < a->n_addrs; i++)
		if (a->addrs[i].addr.s_addr != b->addrs[i].addr.s_addr ||
		    a->addrs[i].preference != b->addrs[i].preference)
			abort();
}

static void parse_and_rebuild(const uint8_t *p, size_t size)
{
	struct mip_agent_adv a, back;
	struct mip_buf b;

	if (mip_adv_parse(p, size, &a) != MIP_ADV_PARSE_OK)
		return;
	if (a.len != size || !a.mobility || a.addr_entry_size < 2)
		abort();
	if (a.challenge && (a.challenge < p || a.challenge + a.challenge_len > p + size))
		abort();
	if (a.n_addrs > MIP_ADV_MAX_ADDRS || a.n_coas > MIP_ADV_MAX_COAS)
		return;         /* more than the builder takes */
	if (a.prefix_lengths && a.n_prefix_lengths != a.n_addrs)
		a.prefix_lengths = false;
	if (mip_buf_init(&b, 0))
		abort();
	if (mip_adv_build(&b, &a) < 0 || b.len % 2 || mip_icmp_checksum(b.data, b.len) != 0)
		abort();
	if (mip_adv_parse(b.data, b.len, &back) != MIP_ADV_PARSE_OK)
		abort();
	check_same(&a, &back);
	mip_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mip_agent_adv a;
	uint8_t *copy;

	mip_adv_parse(data, size, &a);
	mip_sol_parse(data, size);
	fa_msg_has_ext(data, size, size > 24 ? 24 : size, FA_EXT_ENCAP_DELIVERY);
	if (size < 4)
		return 0;
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[2] = copy[3] = 0;
	mip_set_u16(copy + 2, mip_icmp_checksum(copy, size));
	parse_and_rebuild(copy, size);
	if (mip_sol_parse(copy, size) && copy[0] != MIP_ICMP_ROUTER_SOL)
		abort();
	free(copy);
	return 0;
}
