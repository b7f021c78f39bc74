/* UDP socket with IP_PKTINFO for registration messages (see net.h). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <arpa/inet.h>
#include "log.h"
#include "net.h"

int net_udp_open(struct in_addr addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;

	if (fd < 0) {
		log_warn("net", "socket");
		return -1;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) < 0) {
		log_warn("net", "setsockopt");
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		log_warn("net", "bind %s:%u", inet_ntoa(addr), port);
		close(fd);
		return -1;
	}
	return fd;
}

/* The addressing of a received datagram from its source and IP_PKTINFO. */
static void net_pkt_info(const struct sockaddr_in *from, struct msghdr *mh, struct mip_pkt_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->src = from->sin_addr;
	pi->sport = ntohs(from->sin_port);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo ipi;

			memcpy(&ipi, CMSG_DATA(c), sizeof(ipi));
			pi->dst = ipi.ipi_addr;
			pi->ifindex = ipi.ipi_ifindex;
			/* for a broadcast the local address differs from the header's */
			pi->unicast = ipi.ipi_addr.s_addr == ipi.ipi_spec_dst.s_addr &&
				      !net_is_broadcast_or_multicast(ipi.ipi_addr);
		}
	}
}

ssize_t net_udp_recv(int fd, uint8_t *buf, size_t size, struct mip_pkt_info *pi)
{
	struct sockaddr_in from;
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	ssize_t n = recvmsg(fd, &mh, 0);

	if (n < 0)
		return -1;
	net_pkt_info(&from, &mh, pi);
	if (mh.msg_flags & MSG_TRUNC) {
		errno = EMSGSIZE;
		return -1;
	}
	return n;
}

int net_udp_recv_batch(int fd, struct net_rx_batch *rb, unsigned max)
{
	if (max > NET_BATCH)
		max = NET_BATCH;
	for (unsigned i = 0; i < max; i++) {
		struct msghdr *mh = &rb->mm[i].msg_hdr;

		rb->iov[i].iov_base = rb->data[i];
		rb->iov[i].iov_len = sizeof(rb->data[i]);
		mh->msg_name = &rb->from[i];
		mh->msg_namelen = sizeof(rb->from[i]);
		mh->msg_iov = &rb->iov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = rb->ctl[i].buf;
		mh->msg_controllen = sizeof(rb->ctl[i].buf);
		mh->msg_flags = 0;
	}
	return recvmmsg(fd, rb->mm, max, 0, NULL);
}

ssize_t net_rx_datagram(struct net_rx_batch *rb, unsigned i, struct mip_pkt_info *pi,
			const uint8_t **p)
{
	struct msghdr *mh = &rb->mm[i].msg_hdr;

	net_pkt_info(&rb->from[i], mh, pi);
	*p = rb->data[i];
	if (mh->msg_flags & MSG_TRUNC) {
		errno = EMSGSIZE;
		return -1;
	}
	return (ssize_t)rb->mm[i].msg_len;
}

/* Address @mh to @pi's destination, from its source when it names one. */
static void net_tx_prepare(struct msghdr *mh, struct sockaddr_in *to, struct iovec *iov, void *cbuf,
			   size_t cbuf_len, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons(pi->dport);
	to->sin_addr = pi->dst;
	iov->iov_base = (void *)p;
	iov->iov_len = len;
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = to;
	mh->msg_namelen = sizeof(*to);
	mh->msg_iov = iov;
	mh->msg_iovlen = 1;
	if (pi->src.s_addr != INADDR_ANY) {
		struct in_pktinfo ipi = { .ipi_spec_dst = pi->src };
		struct cmsghdr *c;

		memset(cbuf, 0, cbuf_len);
		mh->msg_control = cbuf;
		mh->msg_controllen = cbuf_len;
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(ipi));
		memcpy(CMSG_DATA(c), &ipi, sizeof(ipi));
	}
}

unsigned net_udp_send_batch(int fd, const struct mip_pkt_info *pi, uint8_t *const *p,
			    const size_t *len, unsigned n)
{
	struct mmsghdr mm[NET_BATCH];
	struct sockaddr_in to[NET_BATCH];
	struct iovec iov[NET_BATCH];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl[NET_BATCH];
	unsigned failed = 0;

	while (n > 0) {
		unsigned m = n < NET_BATCH ? n : NET_BATCH, i = 0;

		for (unsigned k = 0; k < m; k++) {
			net_tx_prepare(&mm[k].msg_hdr, &to[k], &iov[k], ctl[k].buf, sizeof(ctl[k].buf),
				       &pi[k], p[k], len[k]);
			mm[k].msg_len = 0;
		}
		while (i < m) {
			int r = sendmmsg(fd, mm + i, m - i, 0);

			if (r > 0) {
				i += (unsigned)r;
				continue;
			}
			/* datagram i failed: say so and go on with the next */
			log_warn("net", "sendmsg to %s:%u", inet_ntoa(pi[i].dst), pi[i].dport);
			failed++;
			i++;
		}
		pi += m;
		p += m;
		len += m;
		n -= m;
	}
	return failed;
}

int net_udp_send(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	int fd = *(int *)ctx;
	struct sockaddr_in to;
	struct iovec iov;
	struct msghdr mh;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl;

	net_tx_prepare(&mh, &to, &iov, ctl.buf, sizeof(ctl.buf), pi, p, len);
	if (sendmsg(fd, &mh, 0) < 0) {
		log_warn("net", "sendmsg to %s:%u", inet_ntoa(pi->dst), pi->dport);
		return -1;
	}
	return 0;
}

int net_is_broadcast_or_multicast(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return h == INADDR_ANY || h == INADDR_BROADCAST || IN_MULTICAST(h);
}
