/* Cached view of the local IPv4 addresses and link states (see ifaddr.h). */
#include "config.h"
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "ifaddr.h"
#include "log.h"
#include "timer.h"

static uint8_t mask_len(const struct sockaddr *sa)
{
	uint32_t m;
	uint8_t n = 0;

	if (!sa || sa->sa_family != AF_INET)
		return 32;
	m = ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr);
	while (m & 0x80000000u) {
		n++;
		m <<= 1;
	}
	return n;
}

static int ifaddr_push(struct ifaddr_cache *c, const struct ifaddrs *a)
{
	struct ifaddr_entry *e;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct ifaddr_entry *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -1;
		c->v = v;
		c->cap = cap;
	}
	e = &c->v[c->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", a->ifa_name);
	e->ifindex = (int)if_nametoindex(a->ifa_name);
	e->up = (a->ifa_flags & IFF_UP) && (a->ifa_flags & IFF_RUNNING);
	e->addr = ((const struct sockaddr_in *)(const void *)a->ifa_addr)->sin_addr;
	e->plen = mask_len(a->ifa_netmask);
	return 0;
}

int ifaddr_refresh(struct ifaddr_cache *c, bool force)
{
	uint64_t now = mip_now_ms();
	struct ifaddrs *list, *a;

	if (!force && c->stamp && now - c->stamp < IFADDR_MAX_AGE_MS)
		return 0;
	if (getifaddrs(&list) < 0) {
		log_warn("adv", "getifaddrs");
		return -1;
	}
	c->n = 0;
	for (a = list; a; a = a->ifa_next)
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET && ifaddr_push(c, a) < 0) {
			log_warnx("adv", "out of memory reading the interface addresses");
			break;
		}
	freeifaddrs(list);
	c->stamp = now ? now : 1;
	return 0;
}

void ifaddr_free(struct ifaddr_cache *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

const struct ifaddr_entry *ifaddr_find(const struct ifaddr_cache *c, struct in_addr addr)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].addr.s_addr == addr.s_addr)
			return &c->v[i];
	return NULL;
}

const struct ifaddr_entry *ifaddr_primary(const struct ifaddr_cache *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

bool ifaddr_usable(const struct ifaddr_cache *c, struct in_addr addr)
{
	const struct ifaddr_entry *e = ifaddr_find(c, addr);

	return e && e->up;
}
