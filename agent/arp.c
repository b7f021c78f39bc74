/* Gratuitous ARP and owner resolution on the home link over AF_PACKET (see arp.h). */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/if_ether.h>
#include <linux/if_packet.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "arp.h"
#include "counters.h"
#include "event.h"
#include "log.h"

/* Something pending for one address: copies of an announcement still to
 * send, or Requests still to send while looking for the owner. */
struct arp_job {
	struct arp_job *next;
	struct arp *a;
	struct mip_timer timer;
	struct in_addr ip;
	uint8_t mac[ETH_ALEN];
	unsigned left;
	bool resolving;
};

struct arp {
	int fd;
	struct ev_io io;
	struct ev_loop *loop;
	int ifindex;
	char ifname[IF_NAMESIZE];
	uint8_t hw[ETH_ALEN];
	struct in_addr src;
	unsigned count;
	struct arp_job *jobs;
};

static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero[ETH_ALEN];

static const char *mac_str(const uint8_t *m, char *buf, size_t n)
{
	snprintf(buf, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* One broadcast ARP Request: sender @sha/@spa, target protocol address @tpa. */
static int arp_send(struct arp *a, const uint8_t *sha, struct in_addr spa, struct in_addr tpa)
{
	struct ether_arp p;
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = a->ifindex, .sll_halen = ETH_ALEN,
	};

	memset(&p, 0, sizeof(p));
	p.arp_hrd = htons(ARPHRD_ETHER);
	p.arp_pro = htons(ETH_P_IP);
	p.arp_hln = ETH_ALEN;
	p.arp_pln = 4;
	p.arp_op = htons(ARPOP_REQUEST);
	memcpy(p.arp_sha, sha, ETH_ALEN);
	memcpy(p.arp_spa, &spa, 4);
	memcpy(p.arp_tpa, &tpa, 4);     /* target hardware address: unused, zero */
	memcpy(to.sll_addr, bcast, ETH_ALEN);
	if (sendto(a->fd, &p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		log_warn("arp", "cannot send an ARP packet on %s", a->ifname);
		return -1;
	}
	return 0;
}

static struct arp_job *job_find(struct arp *a, struct in_addr ip)
{
	struct arp_job *j;

	for (j = a->jobs; j; j = j->next)
		if (j->ip.s_addr == ip.s_addr)
			break;
	return j;
}

static void job_free(struct arp_job *j)
{
	struct arp *a = j->a;
	struct arp_job **pp;

	for (pp = &a->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	timer_cancel(&a->loop->timers, &j->timer);
	free(j);
}

/* Send the job's next packet and arm its timer; frees it when done. */
static int job_step(struct arp_job *j)
{
	struct arp *a = j->a;
	char ip[INET_ADDRSTRLEN];
	int rc = 0;

	if (j->left == 0) {
		if (j->resolving)
			log_debug("arp", "no answer for %s on %s: no gratuitous ARP",
				  inet_ntop(AF_INET, &j->ip, ip, sizeof(ip)), a->ifname);
		job_free(j);
		return 0;
	}
	j->left--;
	if (j->resolving) {
		rc = arp_send(a, a->hw, a->src, j->ip);
	} else {
		rc = arp_send(a, j->mac, j->ip, j->ip);
		if (rc == 0)
			mip_count(MIP_CTR_HA_GRATUITOUS_ARPS);
	}
	/* a resolution waits one more interval for the last answer */
	if ((j->left > 0 || j->resolving) &&
	    timer_schedule(&a->loop->timers, &j->timer, mip_now_ms() + ARP_INTERVAL_MS) == 0)
		return rc;
	job_free(j);
	return rc;
}

static void job_timer(struct mip_timer *t)
{
	job_step(container_of(t, struct arp_job, timer));
}

static struct arp_job *job_new(struct arp *a, struct in_addr ip)
{
	struct arp_job *j = job_find(a, ip);

	if (j) {
		timer_cancel(&a->loop->timers, &j->timer);
		return j;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		log_warnx("arp", "out of memory");
		return NULL;
	}
	j->a = a;
	j->ip = ip;
	timer_init(&j->timer, job_timer);
	j->next = a->jobs;
	a->jobs = j;
	return j;
}

static int announce(struct arp_job *j, const uint8_t *mac)
{
	struct arp *a = j->a;
	char ip[INET_ADDRSTRLEN], m[18];

	memcpy(j->mac, mac ? mac : a->hw, ETH_ALEN);
	j->resolving = false;
	j->left = a->count;
	log_info("arp", "gratuitous ARP on %s: %s is at %s%s (%u copies)", a->ifname,
		 inet_ntop(AF_INET, &j->ip, ip, sizeof(ip)), mac_str(j->mac, m, sizeof(m)),
		 mac ? "" : " (ours)", a->count);
	timer_cancel(&a->loop->timers, &j->timer);
	return job_step(j);
}

int arp_announce(struct arp *a, struct in_addr ip, const uint8_t *mac)
{
	struct arp_job *j;

	if (a->count == 0)
		return 0;
	j = job_new(a, ip);
	return j ? announce(j, mac) : -1;
}

int arp_announce_owner(struct arp *a, struct in_addr ip)
{
	char s[INET_ADDRSTRLEN];
	struct arp_job *j;

	if (a->count == 0)
		return 0;
	j = job_new(a, ip);
	if (!j)
		return -1;
	j->resolving = true;
	j->left = a->count;
	log_debug("arp", "looking for %s on %s", inet_ntop(AF_INET, &ip, s, sizeof(s)), a->ifname);
	return job_step(j);
}

void arp_cancel(struct arp *a, struct in_addr ip)
{
	struct arp_job *j = job_find(a, ip);

	if (j)
		job_free(j);
}

/* ARP packets on the link: an answer (or any packet) from an address being
 * resolved gives its owner's link-layer address. */
static void arp_readable(struct ev_io *io, uint32_t events)
{
	struct arp *a = container_of(io, struct arp, io);

	(void)events;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_ll from = { .sll_family = AF_PACKET };
		socklen_t fl = sizeof(from);
		struct ether_arp p;
		struct in_addr spa;
		struct arp_job *j;
		ssize_t n = recvfrom(a->fd, &p, sizeof(p), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("arp", "recvfrom on %s", a->ifname);
			return;
		}
		if ((size_t)n < sizeof(p) || from.sll_pkttype == PACKET_OUTGOING ||
		    p.arp_hrd != htons(ARPHRD_ETHER) || p.arp_pro != htons(ETH_P_IP) ||
		    p.arp_hln != ETH_ALEN || p.arp_pln != 4)
			continue;
		memcpy(&spa, p.arp_spa, 4);
		j = job_find(a, spa);
		if (!j || !j->resolving || memcmp(p.arp_sha, a->hw, ETH_ALEN) == 0 ||
		    memcmp(p.arp_sha, bcast, ETH_ALEN) == 0 || memcmp(p.arp_sha, zero, ETH_ALEN) == 0)
			continue;
		announce(j, p.arp_sha);
	}
}

struct arp *arp_open(const char *ifname, struct in_addr src, unsigned count, struct ev_loop *loop)
{
	struct arp *a = calloc(1, sizeof(*a));
	struct sockaddr_ll me = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP) };
	struct ifreq ifr;

	if (!a) {
		log_warnx("arp", "out of memory");
		return NULL;
	}
	a->fd = -1;
	a->loop = loop;
	a->src = src;
	a->count = count;
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	a->ifindex = (int)if_nametoindex(ifname);
	if (a->ifindex == 0) {
		log_warn("arp", "no interface %s", ifname);
		goto fail;
	}
	a->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (a->fd < 0) {
		log_warn("arp", "cannot open a packet socket");
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(a->fd, SIOCGIFHWADDR, &ifr) < 0) {
		log_warn("arp", "cannot read the link-layer address of %s", ifname);
		goto fail;
	}
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		log_warnx("arp", "%s is not an Ethernet interface: no ARP there", ifname);
		goto fail;
	}
	memcpy(a->hw, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	me.sll_ifindex = a->ifindex;
	if (bind(a->fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		log_warn("arp", "cannot bind the packet socket to %s", ifname);
		goto fail;
	}
	a->io.fd = a->fd;
	a->io.cb = arp_readable;
	if (ev_add(loop, &a->io, EPOLLIN) < 0)
		goto fail;
	return a;
fail:
	if (a->fd >= 0)
		close(a->fd);
	free(a);
	return NULL;
}

void arp_close(struct arp *a)
{
	struct arp_job *j;

	if (!a)
		return;
	while ((j = a->jobs)) {
		a->jobs = j->next;
		timer_cancel(&a->loop->timers, &j->timer);
		free(j);
	}
	ev_del(a->loop, &a->io);
	close(a->fd);
	free(a);
}

const uint8_t *arp_hwaddr(const struct arp *a)
{
	return a->hw;
}
