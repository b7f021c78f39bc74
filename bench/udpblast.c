/* Benchmark traffic: a UDP blaster (sendmmsg) and counter (recvmmsg) for bench/dataplane.sh. */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * udpblast send DST PORT SIZE SECONDS   send SIZE-byte UDP payloads as fast as possible
 * udpblast recv PORT IDLE_MS MAX_SECONDS   count until IDLE_MS without traffic
 * send prints "sent PKTS"; recv prints "recv PKTS BYTES SECONDS" (first to last packet).
 */

#define BATCH 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int do_send(const char *dst, int port, int size, double secs)
{
	static char buf[65536];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct mmsghdr m[BATCH];
	struct iovec iov = { buf, (size_t)size };
	unsigned long long sent = 0;
	double end;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), sz = 4 << 20, pmtu = IP_PMTUDISC_DONT;

	if (fd < 0 || inet_pton(AF_INET, dst, &sa.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("udpblast send");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
	memset(buf, 0x5a, sizeof(buf));
	memset(m, 0, sizeof(m));
	for (int i = 0; i < BATCH; i++) {
		m[i].msg_hdr.msg_iov = &iov;
		m[i].msg_hdr.msg_iovlen = 1;
	}
	end = now() + secs;
	while (now() < end) {
		int n = sendmmsg(fd, m, BATCH, 0);

		if (n > 0)
			sent += (unsigned long long)n;
		else if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR) {
			perror("sendmmsg");
			return 1;
		}
	}
	printf("sent %llu\n", sent);
	return 0;
}

static int do_recv(int port, int idle_ms, double max_secs)
{
	static char bufs[BATCH][2048];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct timeval tv = { 0, idle_ms * 1000 };
	unsigned long long pkts = 0, bytes = 0;
	double first = 0, last = 0, start = now();
	int fd = socket(AF_INET, SOCK_DGRAM, 0), sz = 8 << 20;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("udpblast recv");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int n;

		memset(m, 0, sizeof(m));
		for (int i = 0; i < BATCH; i++) {
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, m, BATCH, MSG_WAITFORONE, NULL);
		if (n > 0) {
			last = now();
			if (!pkts)
				first = last;
			pkts += (unsigned long long)n;
			for (int i = 0; i < n; i++)
				bytes += m[i].msg_len;
			continue;
		}
		if (errno == EINTR)
			continue;
		/* timeout: idle */
		if (pkts || now() - start > max_secs)
			break;
	}
	printf("recv %llu %llu %.6f\n", pkts, bytes, last - first);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "send"))
		return do_send(argv[2], atoi(argv[3]), atoi(argv[4]), atof(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "recv"))
		return do_recv(atoi(argv[2]), atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: udpblast send DST PORT SIZE SECONDS | recv PORT IDLE_MS MAX_SECONDS\n");
	return 2;
}
