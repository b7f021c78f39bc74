/* mipflood: a flood of bogus datagrams to UDP port 434 from spoofed source
 * addresses, as fast as it can (or at a given rate), for the flood benchmark
 * (bench/flood.sh) and the security integration test.  Raw socket with
 * IP_HDRINCL: run it only inside a network namespace made for the test.
 *
 * The datagrams are, in turn: Registration Requests for home addresses of a
 * configured range with a wrong authenticator, requests for unknown home
 * addresses, and garbage (random type and length).  Source addresses cycle
 * through the given prefixes (default the documentation prefixes
 * 198.51.100.0/24 and 203.0.113.0/24), skipping network and broadcast
 * addresses and any address given with -x.
 *
 * usage: mipflood -d DEST [-s PREFIX]... [-x ADDR]... [-H FIRST -n COUNT]
 *                 [-t SECONDS] [-r RATE] [-S SPI]
 * prints "sent N datagrams in T s (R/s) from S source addresses" */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/random.h>
#include <sys/socket.h>

#define BATCH 64
#define VARIANTS 1024           /* distinct payloads, made once */
#define MAX_SRC 65536
#define MAX_PAYLOAD 600

struct pkt {
	uint8_t b[sizeof(struct iphdr) + sizeof(struct udphdr) + MAX_PAYLOAD];
	size_t len;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: fast, seeded from getrandom() */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: mipflood -d DEST [-s PREFIX]... [-x ADDR]... [-H FIRST -n COUNT] "
		"[-t SECONDS] [-r RATE] [-S SPI]\n");
	exit(64);
}

/* Add the host addresses of PREFIX (a.b.c.d/len, len 16-32) to @src. */
static int add_prefix(const char *s, uint32_t *src, size_t *n, const uint32_t *ex, size_t nex)
{
	char buf[64], *slash;
	struct in_addr a;
	unsigned len = 32;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		len = (unsigned)atoi(slash + 1);
	}
	if (inet_pton(AF_INET, buf, &a) != 1 || len < 16 || len > 32)
		return -1;
	{
		uint32_t base = ntohl(a.s_addr) & (len ? ~0u << (32 - len) : 0);
		uint32_t count = len == 32 ? 1 : 1u << (32 - len);

		for (uint32_t i = 0; i < count && *n < MAX_SRC; i++) {
			uint32_t h = base + i;
			bool skip = len < 31 && (i == 0 || i == count - 1);

			for (size_t k = 0; k < nex && !skip; k++)
				skip = ex[k] == h;
			if (!skip)
				src[(*n)++] = htonl(h);
		}
	}
	return 0;
}

static void make_payload(struct pkt *p, unsigned kind, uint32_t first, uint32_t count,
			 uint32_t ha, uint32_t spi)
{
	uint8_t *u = p->b + sizeof(struct iphdr) + sizeof(struct udphdr);
	size_t n;

	if (kind == 2) {                /* garbage */
		n = (size_t)(rnd() % MAX_PAYLOAD);
		for (size_t i = 0; i < n; i++)
			u[i] = (uint8_t)rnd();
	} else {                        /* a request with an MN-HA extension */
		uint32_t hoa = kind == 0 && count ? first + (uint32_t)(rnd() % count) :
			       0xc6120000u + (uint32_t)(rnd() & 0xffff);   /* 198.18/16: no such node */
		uint64_t id = rnd();
		uint32_t v;

		u[0] = 1;
		u[1] = (uint8_t)(rnd() & 0x02);         /* sometimes T */
		u[2] = 0x01;
		u[3] = 0x2c;                            /* lifetime 300 */
		v = htonl(hoa);
		memcpy(u + 4, &v, 4);
		memcpy(u + 8, &ha, 4);
		v = (uint32_t)rnd();
		memcpy(u + 12, &v, 4);
		memcpy(u + 16, &id, 8);
		u[24] = 32;                             /* Mobile-Home authentication */
		u[25] = 4 + 16;
		v = htonl(spi);
		memcpy(u + 26, &v, 4);
		for (int i = 0; i < 16; i++)
			u[30 + i] = (uint8_t)rnd();     /* a wrong authenticator */
		n = 46;
	}
	p->len = sizeof(struct iphdr) + sizeof(struct udphdr) + n;
}

int main(int argc, char **argv)
{
	static uint32_t src[MAX_SRC], ex[256];
	static struct pkt pkts[VARIANTS], out[BATCH];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(434) };
	size_t nsrc = 0, nex = 0, si = 0;
	const char *prefixes[16];
	int nprefix = 0, c, fd, on = 1;
	double secs = 10, rate = 0, t0, t;
	uint32_t first = 0, count = 0, spi = 256;
	unsigned long long sent = 0, errors = 0;

	while ((c = getopt(argc, argv, "d:s:x:H:n:t:r:S:h")) != -1) {
		struct in_addr a;

		switch (c) {
		case 'd':
			if (inet_pton(AF_INET, optarg, &to.sin_addr) != 1)
				usage();
			break;
		case 's':
			if (nprefix < 16)
				prefixes[nprefix++] = optarg;
			break;
		case 'x':
			if (inet_pton(AF_INET, optarg, &a) != 1 || nex == 256)
				usage();
			ex[nex++] = ntohl(a.s_addr);
			break;
		case 'H':
			if (inet_pton(AF_INET, optarg, &a) != 1)
				usage();
			first = ntohl(a.s_addr);
			break;
		case 'n': count = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 't': secs = atof(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'S': spi = (uint32_t)strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!to.sin_addr.s_addr || optind != argc)
		usage();
	if (!nprefix) {
		prefixes[nprefix++] = "198.51.100.0/24";
		prefixes[nprefix++] = "203.0.113.0/24";
	}
	for (int i = 0; i < nprefix; i++)
		if (add_prefix(prefixes[i], src, &nsrc, ex, nex) < 0) {
			fprintf(stderr, "mipflood: bad prefix %s (a.b.c.d/16..32)\n", prefixes[i]);
			return 64;
		}
	if (!nsrc) {
		fprintf(stderr, "mipflood: no source address left\n");
		return 64;
	}
	if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state) || !rng_state)
		rng_state = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &on, sizeof(on)) < 0) {
		perror("mipflood: raw socket");
		return 1;
	}
	for (unsigned i = 0; i < VARIANTS; i++) {
		struct iphdr *ip = (struct iphdr *)pkts[i].b;
		struct udphdr *udp = (struct udphdr *)(pkts[i].b + sizeof(*ip));

		make_payload(&pkts[i], i % 3, first, count, to.sin_addr.s_addr, spi);
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->tot_len = htons((uint16_t)pkts[i].len);     /* the kernel fills the checksum */
		ip->daddr = to.sin_addr.s_addr;
		udp->source = htons(434);
		udp->dest = htons(434);
		udp->len = htons((uint16_t)(pkts[i].len - sizeof(*ip)));
		udp->check = 0;                                 /* none (IPv4) */
	}
	t0 = now_s();
	for (unsigned v = 0; (t = now_s()) - t0 < secs; ) {
		int n;

		if (rate > 0 && sent >= (t - t0) * rate) {
			usleep(200);
			continue;
		}
		for (int i = 0; i < BATCH; i++, v = (v + 1) % VARIANTS) {
			struct iphdr *ip;

			out[i] = pkts[v];
			ip = (struct iphdr *)out[i].b;
			ip->saddr = src[si];
			ip->id = (uint16_t)rnd();
			si = (si + 1) % nsrc;
			iov[i].iov_base = out[i].b;
			iov[i].iov_len = out[i].len;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_name = &to;
			mm[i].msg_hdr.msg_namelen = sizeof(to);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = sendmmsg(fd, mm, BATCH, 0);
		if (n < 0) {
			errors++;
			if (errno != ENOBUFS && errno != EAGAIN) {
				perror("mipflood: sendmmsg");
				return 1;
			}
			continue;
		}
		sent += (unsigned long long)n;
	}
	t = now_s() - t0;
	printf("sent %llu datagrams in %.2f s (%.0f/s) from %zu source addresses; %llu send errors\n",
	       sent, t, sent / t, nsrc, errors);
	close(fd);
	return 0;
}
