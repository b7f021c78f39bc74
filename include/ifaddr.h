/* The local interfaces' IPv4 addresses and link state as the kernel has
 * them now (getifaddrs), cached for a short time: whether an interface is
 * up, its primary address and prefix length, and whether an address is one
 * of ours on an interface that is up.  Used by agent discovery (router
 * addresses, care-of addresses offered only while their interface is up) and
 * by the foreign agent's checks. */
#ifndef MIP_IFADDR_H
#define MIP_IFADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>

#define IFADDR_MAX_AGE_MS 1000

struct ifaddr_entry {
	char name[IF_NAMESIZE];
	int ifindex;
	bool up;                        /* IFF_UP and IFF_RUNNING (carrier) */
	struct in_addr addr;
	uint8_t plen;
};

struct ifaddr_cache {
	struct ifaddr_entry *v;         /* in the kernel's order: an interface's first is its primary */
	size_t n, cap;
	uint64_t stamp;                 /* monotonic ms of the last refresh; 0: never */
};

/** Re-read the addresses if the cache is older than IFADDR_MAX_AGE_MS (or
 *  @force); returns 0, or -1 when getifaddrs failed (the old list is kept). */
int ifaddr_refresh(struct ifaddr_cache *c, bool force);
void ifaddr_free(struct ifaddr_cache *c);
/** The entry holding @addr, or NULL. */
const struct ifaddr_entry *ifaddr_find(const struct ifaddr_cache *c, struct in_addr addr);
/** The first IPv4 address of interface @name, or NULL. */
const struct ifaddr_entry *ifaddr_primary(const struct ifaddr_cache *c, const char *name);
/** Is @addr ours, on an interface that is up? */
bool ifaddr_usable(const struct ifaddr_cache *c, struct in_addr addr);

#endif
