/* The foreign agent's link-layer side: a packet socket (AF_PACKET,
 * SOCK_DGRAM) with a BPF filter for UDP to port 434 that records the source
 * MAC address and IP TTL of each datagram by (interface, IP source, UDP
 * source port), since the UDP socket tells neither, and that sends the
 * foreign agent's datagrams to mobile nodes straight to their MAC address,
 * so the agent never ARPs for a visitor's home address. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "event.h"
#include "fa_int.h"
#include "log.h"

#define FA_LINK_RING 512        /* datagrams remembered */
#define FA_LINK_MAX_AGE_MS 5000

struct fa_link_rec {
	int ifindex;
	struct in_addr src;
	uint16_t sport;
	struct fa_seen seen;
	uint64_t when;
};

struct fa_link {
	struct mip_fa *fa;
	struct ev_io io;
	struct fa_link_rec ring[FA_LINK_RING];
	unsigned next;
};

/* IPv4, UDP, not a later fragment, destination port 434 (the program runs
 * on the network header: SOCK_DGRAM). */
static struct sock_filter fa_link_bpf[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),                  /* protocol */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 6),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),                  /* fragment offset */
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),                 /* X = header length */
	BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),                  /* UDP destination port */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MIP_UDP_PORT, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0xffff),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

static void fa_link_record(struct fa_link *l, const uint8_t *p, size_t n, const struct sockaddr_ll *sll)
{
	struct fa_link_rec *r;
	size_t hl;

	if (sll->sll_pkttype == PACKET_OUTGOING || sll->sll_halen != 6 || n < 20 ||
	    (p[0] >> 4) != 4 || (hl = (size_t)(p[0] & 0xf) * 4) < 20 || n < hl + 8 ||
	    !fa_iface(l->fa, sll->sll_ifindex))
		return;
	r = &l->ring[l->next++ % FA_LINK_RING];
	r->ifindex = sll->sll_ifindex;
	memcpy(&r->src.s_addr, p + 12, 4);
	r->sport = mip_get_u16(p + hl);
	memcpy(r->seen.mac, sll->sll_addr, 6);
	r->seen.ttl = p[8];
	r->when = l->fa->mono_now();
}

/* Read everything queued (the kernel hands a frame to packet sockets before
 * the UDP socket gets its datagram, so after this the request is here). */
static void fa_link_drain(struct fa_link *l)
{
	uint8_t buf[2048];

	for (int i = 0; i < 256; i++) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		ssize_t n = recvfrom(l->io.fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&sll, &sl);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("fa", "packet socket recvfrom");
			return;
		}
		fa_link_record(l, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf), &sll);
	}
}

static void fa_link_readable(struct ev_io *io, uint32_t events)
{
	(void)events;
	fa_link_drain(container_of(io, struct fa_link, io));
}

bool fa_link_lookup(struct fa_link *l, int ifindex, struct in_addr src, uint16_t sport,
		    struct fa_seen *out)
{
	uint64_t now;

	if (!l)
		return false;
	fa_link_drain(l);
	now = l->fa->mono_now();
	for (unsigned k = 1; k <= FA_LINK_RING; k++) {
		const struct fa_link_rec *r = &l->ring[(l->next - k) % FA_LINK_RING];

		if (!r->when || now - r->when > FA_LINK_MAX_AGE_MS)
			break;
		if (r->ifindex == ifindex && r->src.s_addr == src.s_addr && r->sport == sport) {
			*out = r->seen;
			return true;
		}
	}
	return false;
}

int fa_link_send(struct fa_link *l, int ifindex, const uint8_t *mac, const uint8_t *ip, size_t len)
{
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = ifindex, .sll_halen = 6,
	};

	if (mac)
		memcpy(to.sll_addr, mac, 6);
	else
		memset(to.sll_addr, 0xff, 6);
	if (sendto(l->io.fd, ip, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		log_warn("fa", "cannot send to a mobile node on interface %d", ifindex);
		return -1;
	}
	return 0;
}

struct fa_link *fa_link_open(struct mip_fa *fa)
{
	struct sock_fprog prog = {
		.len = sizeof(fa_link_bpf) / sizeof(fa_link_bpf[0]), .filter = fa_link_bpf,
	};
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	struct fa_link *l = calloc(1, sizeof(*l));
	int fd;

	if (!l) {
		log_warnx("fa", "out of memory");
		return NULL;
	}
	l->fa = fa;
	/* protocol 0 until the filter is attached, so nothing unfiltered queues */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("fa", "packet socket");
		free(l);
		return NULL;
	}
	l->io.fd = fd;
	l->io.cb = fa_link_readable;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 || ev_add(fa->loop, &l->io, EPOLLIN) < 0) {
		log_warn("fa", "setting up the packet socket");
		close(fd);
		free(l);
		return NULL;
	}
	return l;
}

void fa_link_close(struct fa_link *l)
{
	if (!l)
		return;
	ev_del(l->fa->loop, &l->io);
	close(l->io.fd);
	free(l);
}
