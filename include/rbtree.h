/* Red-black trees: the BSD <sys/tree.h> macros from libbsd (header only). */
#ifndef MIP_RBTREE_H
#define MIP_RBTREE_H

#include <bsd/sys/tree.h>
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif

#endif
