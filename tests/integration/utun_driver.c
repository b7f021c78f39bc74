/* Test driver for the userspace tunnel engine: opens a utun and adds the entries given on the command line. */
#include "config.h"
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include "encap.h"
#include "event.h"
#include "log.h"
#include "utun.h"

/*
 * usage: utun_driver [-n PATTERN] [-m MTU] [-t TTL] [-v] ENTRY...
 *   fwd INNER_DST LOCAL REMOTE ENCAP
 *   rev INNER_SRC LOCAL REMOTE ENCAP
 *   decap REMOTE LOCAL INNER_SRC INNER_DST      (0.0.0.0: any)
 *   decaprev REMOTE LOCAL INNER_SRC INNER_DST   (the same, on into the reverse tunnel)
 * ENCAP is ipip, minimal or gre.  Prints "ready IFNAME MTU" once the device
 * exists, a JSON line of counters on SIGUSR1, and again on SIGTERM/SIGINT
 * before exiting.
 */

static struct utun *u;
static struct ev_loop loop;

static void die(const char *m)
{
	fprintf(stderr, "utun_driver: %s\n", m);
	exit(2);
}

static struct in_addr addr(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		die("bad address");
	return a;
}

static enum dp_encap encap(const char *s)
{
	if (!strcmp(s, "ipip"))
		return DP_ENCAP_IPIP;
	if (!strcmp(s, "minimal"))
		return DP_ENCAP_MINIMAL;
	if (!strcmp(s, "gre"))
		return DP_ENCAP_GRE;
	die("bad encapsulation");
	return DP_ENCAP_IPIP;
}

static void print_stats(void)
{
	struct utun_stats s;

	utun_get_stats(u, &s);
	printf("{\"encap_pkts\": %llu, \"encap_bytes\": %llu, \"decap_pkts\": %llu, "
	       "\"decap_bytes\": %llu, \"no_route\": %llu, \"bad_inner\": %llu, "
	       "\"too_big\": %llu, \"icmp_relayed\": %llu, \"send_errors\": %llu, "
	       "\"loop_drops\": %llu, \"decap_bad\": %llu, \"decap_filtered\": %llu, "
	       "\"fragmented\": %llu, \"icmp_sent\": %llu, \"rev_decap\": %llu}\n",
	       (unsigned long long)s.encap_pkts, (unsigned long long)s.encap_bytes,
	       (unsigned long long)s.decap_pkts, (unsigned long long)s.decap_bytes,
	       (unsigned long long)s.no_route, (unsigned long long)s.bad_inner,
	       (unsigned long long)s.too_big, (unsigned long long)s.icmp_relayed,
	       (unsigned long long)s.send_errors, (unsigned long long)s.loop_drops,
	       (unsigned long long)s.decap_bad, (unsigned long long)s.decap_filtered,
	       (unsigned long long)s.fragmented, (unsigned long long)s.icmp_sent,
	       (unsigned long long)s.rev_decap);
	fflush(stdout);
}

static void on_signal(struct ev_io *io, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	if (read(io->fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	print_stats();
	if (si.ssi_signo != SIGUSR1)
		ev_stop(&loop);
}

int main(int argc, char **argv)
{
	const char *pattern = "utun%d";
	int mtu = 0, ttl = 0, level = LOG_LVL_WARN, opt, i;
	struct ev_io sio;
	sigset_t ss;

	while ((opt = getopt(argc, argv, "n:m:t:v")) != -1) {
		switch (opt) {
		case 'n':
			pattern = optarg;
			break;
		case 'm':
			mtu = atoi(optarg);
			break;
		case 't':
			ttl = atoi(optarg);
			break;
		case 'v':
			level = LOG_LVL_DEBUG;
			break;
		default:
			die("usage: utun_driver [-n PATTERN] [-m MTU] [-t TTL] [-v] ENTRY...");
		}
	}
	log_init("utun_driver", true, level);
	if (ev_init(&loop) < 0)
		die("ev_init");
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	sio.fd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	sio.cb = on_signal;
	if (sio.fd < 0 || ev_add(&loop, &sio, EPOLLIN) < 0)
		die("signalfd");
	u = utun_open(pattern, &loop, mtu);
	if (!u)
		die("utun_open failed");
	if (ttl && utun_set_ttl(u, ttl) < 0)
		die("bad ttl");
	for (i = optind; i < argc;) {
		const char *k = argv[i];
		int rc;

		if (!strcmp(k, "fwd") && i + 4 < argc) {
			rc = utun_fwd_add(u, addr(argv[i + 1]), addr(argv[i + 2]), addr(argv[i + 3]),
					  encap(argv[i + 4]));
			i += 5;
		} else if (!strcmp(k, "rev") && i + 4 < argc) {
			rc = utun_rev_add(u, addr(argv[i + 1]), addr(argv[i + 2]), addr(argv[i + 3]),
					  encap(argv[i + 4]));
			i += 5;
		} else if (!strcmp(k, "decap") && i + 4 < argc) {
			rc = utun_decap_add(u, addr(argv[i + 1]), addr(argv[i + 2]), addr(argv[i + 3]),
					    addr(argv[i + 4]));
			i += 5;
		} else if (!strcmp(k, "decaprev") && i + 4 < argc) {
			rc = utun_decap_add_reverse(u, addr(argv[i + 1]), addr(argv[i + 2]),
						    addr(argv[i + 3]), addr(argv[i + 4]));
			i += 5;
		} else {
			die("bad entry");
		}
		if (rc < 0)
			die("adding an entry failed");
	}
	printf("ready %s %d\n", utun_ifname(u), utun_mtu(u));
	fflush(stdout);
	ev_run(&loop);
	utun_close(u);
	ev_free(&loop);
	return 0;
}
