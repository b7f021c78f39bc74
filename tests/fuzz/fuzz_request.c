/* libFuzzer harness: mip_parse_request on arbitrary bytes, then rebuild and compare. */
/* fuzz-sources: agent/wire.c agent/buf.c */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "wire.h"
#include "wire_checks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mip_reg_request r;
	struct mip_buf b;

	if (mip_parse_request(data, size, &r) != MIP_PARSE_OK)
		return 0;
	if (r.len != size)
		abort();
	check_exts(&r.ext, data, size);
	if (mip_buf_init(&b, 0))
		abort();
	mip_build_request(&b, &r);
	if (!mip_buf_ok(&b) || b.len != MIP_RRQ_FIXED_LEN ||
	    memcmp(b.data, data, MIP_RRQ_FIXED_LEN))
		abort();
	mip_buf_free(&b);
	return 0;
}
