/* Benchmark baseline: a bare UDP request/reply reflector with the daemon's
 * socket batching and no processing.  It uses the daemon's own socket code
 * (net.c): epoll, recvmmsg() of up to NET_BATCH datagrams with IP_PKTINFO,
 * and one sendmmsg() of the replies from the address each request was sent
 * to, per loop turn, exactly as mipagent's receive loop and reply queue do.
 * A request comes back shaped like a Registration Reply (type 3, code 0, the
 * request's home address, home agent and identification, then its
 * extensions) so the load generator matches it to its node; its
 * authenticator is the request's, which the generator counts as bad.
 *
 * usage: reflector [PORT]   (default 434); SIGTERM/SIGINT: print
 * "reflected N" and exit.
 *        reflector -s PORT  a sink: binds PORT and never reads, to measure
 *                           how fast the load generator alone sends. */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "net.h"
#include "wire.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static struct net_rx_batch rb;
	static uint8_t out[NET_BATCH][NET_RX_SIZE];
	struct mip_pkt_info pi[NET_BATCH];
	uint8_t *p[NET_BATCH];
	size_t len[NET_BATCH];
	struct in_addr any = { .s_addr = INADDR_ANY };
	struct epoll_event ev = { .events = EPOLLIN };
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned long long reflected = 0;
	bool sink = argc > 2 && strcmp(argv[1], "-s") == 0;
	int port = argc > 1 ? atoi(argv[argc - 1]) : MIP_UDP_PORT, fd, ep, size = 8 << 20;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = net_udp_open(any, (uint16_t)port);
	if (sink) {
		while (!stop && fd >= 0)
			pause();
		return fd < 0;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("reflector");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	for (unsigned i = 0; i < NET_BATCH; i++)
		p[i] = out[i];
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		int got;
		unsigned n = 0;

		if (epoll_wait(ep, &ev, 1, -1) <= 0)
			continue;
		got = net_udp_recv_batch(fd, &rb, NET_BATCH);
		for (int i = 0; i < got; i++) {
			const uint8_t *q;
			ssize_t l = net_rx_datagram(&rb, (unsigned)i, &pi[n], &q);
			struct mip_pkt_info in = pi[n];

			if (l < MIP_RRQ_FIXED_LEN)
				continue;
			/* the reply's addressing, as the home agent answers */
			pi[n].src = in.dst;
			pi[n].dst = in.src;
			pi[n].sport = in.dport;
			pi[n].dport = in.sport;
			out[n][0] = MIP_MSG_REG_REPLY;
			out[n][1] = 0;
			memcpy(out[n] + 2, q + 2, 10);                  /* lifetime, home address, home agent */
			memcpy(out[n] + 12, q + 16, (size_t)l - 16);    /* identification, extensions */
			len[n] = (size_t)l - 4;
			n++;
		}
		net_udp_send_batch(fd, pi, p, len, n);
		reflected += n;
	}
	printf("reflected %llu\n", reflected);
	return 0;
}
