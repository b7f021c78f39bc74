/* Registration socket I/O: UDP port 434 with IP_PKTINFO, behind an ops
 * struct so tests can capture what would be sent. */
#ifndef MIP_NET_H
#define MIP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* Addressing of one datagram: for a received one, where it came from and
 * was sent to; for one to send, its source and destination. */
struct mip_pkt_info {
	struct in_addr src, dst;
	uint16_t sport, dport;          /* host order */
	int ifindex;                    /* 0: any */
	bool unicast;                   /* received: dst is one of our unicast addresses */
};

struct mip_io_ops {
	/** Send @p as a UDP datagram addressed as @pi says; 0 or -1. */
	int (*send)(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len);
	void *ctx;
};

/** Open a non-blocking UDP socket bound to @addr:@port with IP_PKTINFO. */
int net_udp_open(struct in_addr addr, uint16_t port);
/** Receive one datagram with its addressing; returns its length, or -1
 *  (errno EAGAIN when there is nothing more to read). */
ssize_t net_udp_recv(int fd, uint8_t *buf, size_t size, struct mip_pkt_info *pi);
/** The send op for a socket opened by net_udp_open (@ctx is &fd). */
int net_udp_send(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len);
/** True for 0.0.0.0, 255.255.255.255 and multicast addresses. */
int net_is_broadcast_or_multicast(struct in_addr a);

#endif
