/* Checks shared by the request and reply harnesses: what the parser
 * recorded about the extensions must agree with the input bytes. */
#ifndef MIP_FUZZ_WIRE_CHECKS_H
#define MIP_FUZZ_WIRE_CHECKS_H

#include <stdlib.h>
#include <string.h>
#include "wire.h"

/* A recorded extension must lie inside the input, and rebuilding its header
 * must give back the input's bytes. */
static void check_auth(const struct mip_ext_auth *a, const uint8_t *data, size_t size)
{
	struct mip_buf b;
	size_t off;

	if (!a->present)
		return;
	if (a->start > size || a->hdr_len > size - a->start ||
	    a->auth_len > size - a->start - a->hdr_len ||
	    a->authenticator != data + a->start + a->hdr_len || data[a->start] != a->type)
		abort();
	if (mip_buf_init(&b, 0))
		abort();
	off = mip_build_auth_ext(&b, a->type, a->subtype, a->spi, a->auth_len);
	if (off != 0 || b.len != a->hdr_len + a->auth_len ||
	    memcmp(b.data, data + a->start, a->hdr_len))
		abort();
	mip_buf_free(&b);
}

static void check_exts(const struct mip_exts *e, const uint8_t *data, size_t size)
{
	check_auth(&e->mn_ha, data, size);
	check_auth(&e->mn_fa, data, size);
	check_auth(&e->fa_ha, data, size);
	check_auth(&e->mn_aaa, data, size);
	if (e->mn_ha.present != (e->n_mn_ha > 0) || e->mn_fa.present != (e->n_mn_fa > 0) ||
	    e->fa_ha.present != (e->n_fa_ha > 0) || e->mn_aaa.present != (e->n_mn_aaa > 0))
		abort();
	if (e->nai && (e->nai_len < 1 || e->nai < data || e->nai_len > size ||
		       (size_t)(e->nai - data) > size - e->nai_len))
		abort();
}

#endif
