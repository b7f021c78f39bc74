/* Checked, growable byte buffer (see buf.h). */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "buf.h"

#define MIP_BUF_DEFAULT_MAX 65535

int mip_buf_init(struct mip_buf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	if (cap == 0)
		cap = 64;
	b->data = malloc(cap);
	if (!b->data)
		return -1;
	b->cap = cap;
	return 0;
}

void mip_buf_free(struct mip_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void mip_buf_reset(struct mip_buf *b)
{
	b->len = 0;
	b->err = false;
}

uint8_t *mip_buf_reserve(struct mip_buf *b, size_t n)
{
	size_t max = b->max ? b->max : MIP_BUF_DEFAULT_MAX;

	if (b->err || n > max || b->len > max - n) {
		b->err = true;
		return NULL;
	}
	if (b->len + n > b->cap) {
		size_t ncap = b->cap ? b->cap : 64;
		uint8_t *nd;

		while (ncap < b->len + n)
			ncap *= 2;
		nd = realloc(b->data, ncap);
		if (!nd) {
			b->err = true;
			return NULL;
		}
		b->data = nd;
		b->cap = ncap;
	}
	b->len += n;
	return b->data + b->len - n;
}

void mip_buf_put(struct mip_buf *b, const void *p, size_t n)
{
	uint8_t *d = mip_buf_reserve(b, n);

	if (d && n)
		memcpy(d, p, n);
}

void mip_buf_put_u8(struct mip_buf *b, uint8_t v)
{
	mip_buf_put(b, &v, 1);
}

void mip_buf_put_u16(struct mip_buf *b, uint16_t v)
{
	uint8_t *d = mip_buf_reserve(b, 2);

	if (d)
		mip_set_u16(d, v);
}

void mip_buf_put_u32(struct mip_buf *b, uint32_t v)
{
	uint8_t *d = mip_buf_reserve(b, 4);

	if (d)
		mip_set_u32(d, v);
}

void mip_buf_put_u64(struct mip_buf *b, uint64_t v)
{
	mip_buf_put_u32(b, (uint32_t)(v >> 32));
	mip_buf_put_u32(b, (uint32_t)v);
}

void mip_buf_put_addr(struct mip_buf *b, struct in_addr a)
{
	mip_buf_put(b, &a.s_addr, 4);
}
