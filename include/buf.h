/* Checked, growable byte buffer that every wire builder appends to.
 * Errors are sticky: after a failed append every later append is a no-op and
 * mip_buf_ok() reports false, so a builder checks once at the end. */
#ifndef MIP_BUF_H
#define MIP_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <netinet/in.h>

struct mip_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;  /* hard limit on growth (0: 65535, one UDP payload) */
	bool err;
};

/** Initialise with room for @cap bytes; returns -1 on allocation failure. */
int mip_buf_init(struct mip_buf *b, size_t cap);
void mip_buf_free(struct mip_buf *b);
/** Empty the buffer (keeps its storage) and clear the error flag. */
void mip_buf_reset(struct mip_buf *b);
static inline bool mip_buf_ok(const struct mip_buf *b) { return !b->err; }

/** Append @n bytes of space and return a pointer to it, or NULL (sets err). */
uint8_t *mip_buf_reserve(struct mip_buf *b, size_t n);
void mip_buf_put(struct mip_buf *b, const void *p, size_t n);
void mip_buf_put_u8(struct mip_buf *b, uint8_t v);
void mip_buf_put_u16(struct mip_buf *b, uint16_t v);   /* network order */
void mip_buf_put_u32(struct mip_buf *b, uint32_t v);   /* network order */
void mip_buf_put_u64(struct mip_buf *b, uint64_t v);   /* network order */
void mip_buf_put_addr(struct mip_buf *b, struct in_addr a);

/* Bounds-checked big-endian readers over a byte span. */
static inline uint16_t mip_get_u16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t mip_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t mip_get_u64(const uint8_t *p)
{
	return (uint64_t)mip_get_u32(p) << 32 | mip_get_u32(p + 4);
}
static inline void mip_set_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void mip_set_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif
