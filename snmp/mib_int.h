/* Internals shared by the Net-SNMP-independent parts of the subagent
 * (snmp/mib.c, snmp/violations.c) and their unit tests. */
#ifndef MIP_SNMP_MIB_INT_H
#define MIP_SNMP_MIB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "counters.h"
#include "mib.h"


struct conf_adv_if;

/** The advertising interface's row @a (exact) or the first after it: through
 *  ctx->adv_find, else adv_row_find() on ctx->adv; false if none. */
bool mib_adv_find(const struct mib_ctx *ctx, struct in_addr a, bool next, struct mib_adv_if *out);
/** The configuration of advertising interface @name in @c (the foreign
 *  agent's entry, else the home agent's <interface>), or NULL. */
const struct conf_adv_if *mib_conf_adv_if(const struct conf *c, const char *name);

/* RowStatus rows held notInService (snmp/set.c). */
bool mib_rows_adv_held(const struct mib_rows *r, const char *ifname, uint64_t now_ms);
bool mib_rows_coa_held(const struct mib_rows *r, uint32_t a, uint64_t now_ms);
/** The smallest held faCOATable row >= @a (host order). */
bool mib_rows_coa_ge(const struct mib_rows *r, uint32_t a, uint64_t now_ms, uint32_t *out);

/** The violator with address @a (host order) or, unless @exact, the one
 *  with the smallest address >= @a; NULL if none. */
const struct mib_violation *mib_violations_seek(const struct mib_violations *vt, uint32_t a,
						bool exact);

/* A token bucket: @rate tokens per second, at most @burst saved up.  Kept in
 * thousandths of a token so that integer arithmetic is exact. */
struct mib_bucket {
	uint64_t milli;         /* tokens x 1000 */
	uint64_t last_ms;
	uint32_t rate, burst;
};

static inline void mib_bucket_init(struct mib_bucket *b, uint32_t rate, uint32_t burst,
				   uint64_t now_ms)
{
	b->rate = rate;
	b->burst = burst;
	b->milli = (uint64_t)burst * 1000;
	b->last_ms = now_ms;
}

/** Take one token at @now_ms; false when none is left (rate limited). */
static inline bool mib_bucket_take(struct mib_bucket *b, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)b->burst * 1000;

	if (now_ms > b->last_ms) {
		uint64_t add = (now_ms - b->last_ms) * b->rate;  /* ms x tokens/s = milli-tokens */

		b->milli = add >= cap - b->milli ? cap : b->milli + add;
		b->last_ms = now_ms;
	}
	if (b->milli < 1000)
		return false;
	b->milli -= 1000;
	return true;
}

#endif
