/* Agent-wide counters (see counters.h). */
#include "config.h"
#include <ctype.h>
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

static const char *const enum_names[] = {
#define X(name, mib, desc) #name,
	MIP_COUNTERS(X)
#undef X
};

const char *mip_counter_key(enum mip_counter c)
{
	static char keys[MIP_CTR_COUNT][48];

	if (c >= MIP_CTR_COUNT)
		return "";
	if (!keys[c][0]) {
		size_t i;

		for (i = 0; enum_names[c][i] && i < sizeof(keys[c]) - 1; i++)
			keys[c][i] = enum_names[c][i] == '_' ? '-' :
				     (char)tolower((unsigned char)enum_names[c][i]);
		keys[c][i] = '\0';
	}
	return keys[c];
}

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
