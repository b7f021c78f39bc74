/* The userspace tunnel engine's per-link TUN devices (see utun.h, "Visited
 * links"): created while visitors sharing a home address use them. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "utun.h"
#include "utun_int.h"

struct utun_link *utun_link_find(struct utun *u, int link)
{
	struct utun_link *l;

	for (l = u->links; l; l = l->next)
		if (l->link == link)
			return l;
	return NULL;
}

/* What the kernel routed into a link's device: into that link's reverse
 * tunnels.  Read into the raw sockets' slots: those are free between
 * callbacks (every callback flushes what it queued). */
static void link_readable(struct ev_io *io, uint32_t events)
{
	struct utun_link *l = (struct utun_link *)io;
	struct utun *u = l->io.u;

	(void)events;
	u->now = mip_now_ms();
	for (unsigned i = 0; i < UTUN_BATCH; i++) {
		uint8_t *p = u->rx + (size_t)i * UTUN_SLOT_STRIDE;
		ssize_t n = read(io->fd, p, UTUN_SLOT_STRIDE);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && utun_warn_ok(u))
				log_warn("utun", "read %s", l->ifname);
			break;
		}
		utun_encap_link(u, l->link, p, (size_t)n);
	}
	utun_tx_flush(u);
}

static void link_free(struct utun *u, struct utun_link *l)
{
	if (l->io.io.fd >= 0) {
		if (l->io.u)
			ev_del(u->loop, &l->io.io);
		close(l->io.io.fd);
	}
	free(l);
}

int utun_link_get(struct utun *u, int link, char ifname[IF_NAMESIZE])
{
	struct utun_link *l = utun_link_find(u, link);
	char pattern[IFNAMSIZ + 8];

	if (l) {
		l->refs++;
		goto out;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		log_warn("utun", "calloc");
		return -1;
	}
	l->io.io.fd = -1;
	l->link = link;
	l->refs = 1;
	snprintf(pattern, sizeof(pattern), "%.8sl%%d", u->ifname);
	if (utun_dev_create(u, pattern, u->mtu, &l->io, l->ifname, &l->ifindex) < 0 ||
	    utun_watch(u, &l->io, link_readable) < 0) {
		link_free(u, l);
		return -1;
	}
	l->next = u->links;
	u->links = l;
	log_info("utun", "%s up for the visitors of interface %d", l->ifname, link);
out:
	memcpy(ifname, l->ifname, IF_NAMESIZE);
	return l->ifindex;
}

void utun_link_put(struct utun *u, int link)
{
	struct utun_link **pp, *l;

	for (pp = &u->links; (l = *pp); pp = &l->next)
		if (l->link == link)
			break;
	if (!l || --l->refs)
		return;
	*pp = l->next;
	log_info("utun", "%s removed", l->ifname);
	link_free(u, l);
}

void utun_links_free(struct utun *u)
{
	struct utun_link *l;

	while ((l = u->links)) {
		u->links = l->next;
		link_free(u, l);
	}
}
