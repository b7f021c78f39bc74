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
	memset(pi, 0, sizeof(*pi));
	pi->src = from.sin_addr;
	pi->sport = ntohs(from.sin_port);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
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
	if (mh.msg_flags & MSG_TRUNC) {
		errno = EMSGSIZE;
		return -1;
	}
	return n;
}

int net_udp_send(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	int fd = *(int *)ctx;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(pi->dport), .sin_addr = pi->dst };
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
	struct msghdr mh = {
		.msg_name = &to, .msg_namelen = sizeof(to),
		.msg_iov = &iov, .msg_iovlen = 1,
	};

	if (pi->src.s_addr != INADDR_ANY) {
		struct in_pktinfo ipi = { .ipi_spec_dst = pi->src };
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(ipi));
		memcpy(CMSG_DATA(c), &ipi, sizeof(ipi));
	}
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
