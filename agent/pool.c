/* Fixed-size object pools (see pool.h). */
#include "config.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "pool.h"

#define POOL_SLAB (256 * 1024)
#define POOL_HUGE_SLAB (2 * 1024 * 1024)
#define POOL_SMALL_SLABS 8      /* then slabs of huge pages */

#if defined(__SANITIZE_ADDRESS__)
#define POOL_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_MALLOC 1
#endif
#endif

#ifdef POOL_MALLOC
void *pool_alloc(struct pool *p)
{
	return calloc(1, p->size);
}

void pool_free(struct pool *p, void *obj)
{
	(void)p;
	free(obj);
}
#else
/* A new slab, never freed (its objects are reused through the free list).
 * A big pool takes transparent huge pages where the kernel gives them: a
 * million bindings then cost a hundred page faults, not fifty thousand. */
static int pool_grow(struct pool *p)
{
	bool huge = p->slabs >= POOL_SMALL_SLABS;
	size_t size = huge ? POOL_HUGE_SLAB : POOL_SLAB;
	char *s = huge ? aligned_alloc(size, size) : malloc(size);

	if (!s)
		return -1;
	if (huge)
		(void)madvise(s, size, MADV_HUGEPAGE);      /* a hint: fine if refused */
	p->slab = s;
	p->left = size;
	p->slabs++;
	return 0;
}

void *pool_alloc(struct pool *p)
{
	void *o = p->free;

	if (o) {
		memcpy(&p->free, o, sizeof(void *));
	} else {
		if (p->left < p->size && pool_grow(p) < 0)
			return NULL;
		o = p->slab;
		p->slab += p->size;
		p->left -= p->size;
	}
	return memset(o, 0, p->size);
}

void pool_free(struct pool *p, void *obj)
{
	if (!obj)
		return;
	memcpy(obj, &p->free, sizeof(void *));
	p->free = obj;
}
#endif
