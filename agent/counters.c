/* Agent-wide counters (see counters.h). */
#include "config.h"
#include <string.h>
#include "counters.h"

uint32_t mip_counters[MIP_CTR_COUNT];

static const char *const mib_names[] = {
#define X(name, mib, desc) mib,
	MIP_COUNTERS(X)
#undef X
};

static const char *const descs[] = {
#define X(name, mib, desc) desc,
	MIP_COUNTERS(X)
#undef X
};

const char *mip_counter_mib_name(enum mip_counter c)
{
	return c < MIP_CTR_COUNT ? mib_names[c] : "";
}

const char *mip_counter_desc(enum mip_counter c)
{
	return c < MIP_CTR_COUNT ? descs[c] : "";
}

void mip_counters_reset(void)
{
	memset(mip_counters, 0, sizeof(mip_counters));
}
