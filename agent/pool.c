/* Fixed-size object pools (see pool.h). */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "pool.h"

#define POOL_SLAB (256 * 1024)

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
void *pool_alloc(struct pool *p)
{
	void *o = p->free;

	if (o) {
		memcpy(&p->free, o, sizeof(void *));
	} else {
		if (p->left < p->size) {
			p->slab = malloc(POOL_SLAB);    /* never freed: reused through the free list */
			if (!p->slab)
				return NULL;
			p->left = POOL_SLAB;
		}
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
