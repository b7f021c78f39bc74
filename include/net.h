/* Registration socket I/O: UDP port 434 with IP_PKTINFO, behind an ops
 * struct so tests can capture what would be sent. */
#ifndef MIP_NET_H
#define MIP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

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
/* Batched receive: up to NET_BATCH datagrams of up to NET_RX_SIZE bytes
 * with one recvmmsg().  Allocate once (it is large) and reuse. */
#define NET_BATCH 128
#define NET_RX_SIZE 4096

struct net_rx_batch {
	struct mmsghdr mm[NET_BATCH];
	struct iovec iov[NET_BATCH];
	struct sockaddr_in from[NET_BATCH];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl[NET_BATCH];
	uint8_t data[NET_BATCH][NET_RX_SIZE];
};

/** Receive up to @max (at most NET_BATCH) datagrams; returns how many, or
 *  -1 with errno as recvmsg() sets it (EAGAIN: nothing to read). */
int net_udp_recv_batch(int fd, struct net_rx_batch *rb, unsigned max);
/** Datagram @i of the last batch: its addressing in @pi, its bytes in *@p;
 *  returns its length, or -1 (errno EMSGSIZE) when it was truncated. */
ssize_t net_rx_datagram(struct net_rx_batch *rb, unsigned i, struct mip_pkt_info *pi,
			const uint8_t **p);
/** Send @n datagrams addressed as @pi[i] says with as few sendmmsg() calls
 *  as possible; a datagram that fails is logged and skipped, as
 *  net_udp_send() does.  Returns how many failed. */
unsigned net_udp_send_batch(int fd, const struct mip_pkt_info *pi, uint8_t *const *p,
			    const size_t *len, unsigned n);
/** The send op for a socket opened by net_udp_open (@ctx is &fd). */
int net_udp_send(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len);
/** True for 0.0.0.0, 255.255.255.255 and multicast addresses. */
int net_is_broadcast_or_multicast(struct in_addr a);

#endif
