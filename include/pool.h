/* Fixed-size objects carved from large slabs, for the tables that hold one
 * object per mobile node or binding: no malloc header and no rounding per
 * object (about 16 of 120 bytes each at a million bindings), freed objects
 * reused.  Slabs are kept until exit.  Under AddressSanitizer every object
 * is a malloc of its own, so that use after free is still caught. */
#ifndef MIP_POOL_H
#define MIP_POOL_H

#include <stddef.h>

struct pool {
	size_t size;                    /* of an object, rounded up to 8 */
	void *free;                     /* freed objects, linked through their first word */
	char *slab;                     /* the unused rest of the newest slab */
	size_t left;
	unsigned slabs;
};

#define POOL_INIT(type) { .size = (sizeof(type) + 7) & ~(size_t)7 }

/** A zeroed object, NULL without memory. */
void *pool_alloc(struct pool *p);
void pool_free(struct pool *p, void *obj);

#endif
