/* The mipagent daemon (see daemon.h). */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <arpa/inet.h>
#include "adv.h"
#include "conf_edit.h"
#include "ctl.h"
#include "daemon.h"
#include "dp.h"
#include "dp_fa.h"
#include "fa.h"
#include "fa_msg.h"
#include "instance.h"
#include "outq.h"
#include "pidfile.h"
#include "priv.h"
#include "reload.h"
#include "sdnotify.h"
#include "sec.h"
#include "state.h"
#include "log.h"
#include "net.h"
#include "wire.h"
#ifdef HAVE_SNMP
#include "snmp_agent.h"

static struct mip_snmp *daemon_snmp;    /* the AgentX subagent, if configured */
#endif

#define RECV_BATCH NET_BATCH        /* datagrams per loop turn */

static void usage(FILE *f)
{
	fprintf(f, "usage: mipagent [-fnvhV] [-c FILE] [-d LEVEL] [-p PIDFILE]\n"
		"  -c FILE   configuration file (default " MIP_CONF_DEFAULT_PATH ")\n"
		"  -f        stay in the foreground and log to stderr\n"
		"  -p FILE   write the process id to FILE once started\n"
		"  -n        check the configuration and exit (-v: print it normalised)\n"
		"  -d LEVEL  log level: 0 error, 1 warning, 2 info, 3 debug\n"
		"  -h        this help;  -V  version\n");
}

int daemon_parse_args(struct mip_daemon *d, int argc, char **argv)
{
	int c;

	memset(d, 0, sizeof(*d));
	d->conf_path = MIP_CONF_DEFAULT_PATH;
	d->debug_level = -1;
	d->udp_fd = d->sig_fd = -1;
	while ((c = getopt(argc, argv, "c:fnvd:p:hV")) != -1) {
		switch (c) {
		case 'c': d->conf_path = optarg; break;
		case 'f': d->foreground = true; break;
		case 'n': d->check_only = true; break;
		case 'p': d->pid_file = optarg; break;
		case 'v': d->verbose = true; break;
		case 'd': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > 3) {
				fprintf(stderr, "mipagent: -d takes a level from 0 to 3\n");
				return -1;
			}
			d->debug_level = (int)v;
			break;
		}
		case 'h': usage(stdout); return 1;
		case 'V': printf("mipagent %s\n", PACKAGE_VERSION); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static struct conf *daemon_load_conf(const char *path)
{
	struct conf *c = conf_parse_file(path, stderr);

	if (c && conf_check(c, stderr) != 0) {
		conf_free(c);
		c = NULL;
	}
	return c;
}

static void daemon_udp_readable(struct ev_io *io, uint32_t events)
{
	struct mip_daemon *d = container_of(io, struct mip_daemon, udp_io);
	static struct net_rx_batch rb;  /* RECV_BATCH datagrams per recvmmsg(); too big for the stack */
	struct mip_pkt_info pi;
	int want = RECV_BATCH;

	if (d->fa && (events & EPOLLERR))
		fa_handle_errors(d->fa);        /* ICMP errors about relayed requests */
	for (int tries = 0; want > 0 && tries < RECV_BATCH; tries++) {
		int got = net_udp_recv_batch(d->udp_fd, &rb, (unsigned)want);

		if (got < 0) {
			if (d->fa && fa_msg_icmp_errno(errno)) {
				fa_handle_errors(d->fa);
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("net", "recvmmsg");
			return;
		}
		for (int i = 0; i < got; i++) {
			const uint8_t *buf;
			ssize_t n = net_rx_datagram(&rb, (unsigned)i, &pi, &buf);

			if (n < 0)
				continue;       /* truncated: larger than any registration message */
			if (!sec_admit(d->sec, buf, (size_t)n, &pi))
				continue;       /* rate limited, before parsing (sec.h) */
			if (n > 0 && buf[0] == MIP_MSG_REG_REQUEST && !d->conf->mip_enable) {
				log_debug("net", "mipEnable is disabled: a registration request is dropped");
				continue;
			}
			/* requests on a foreign agent interface and every reply: the foreign agent */
			if (n > 0 && buf[0] == MIP_MSG_REG_REQUEST && d->fa && fa_is_fa_interface(d->fa, pi.ifindex))
				fa_handle_request(d->fa, buf, (size_t)n, &pi);
			else if (n > 0 && buf[0] == MIP_MSG_REG_REPLY && d->fa)
				fa_handle_reply(d->fa, buf, (size_t)n, &pi);
			else if (n > 0 && buf[0] == MIP_MSG_REG_REQUEST && d->ha_up)
				ha_handle_request(&d->ha, buf, (size_t)n, &pi);
			else
				log_debug("net", "ignored a datagram of type %u", n > 0 ? buf[0] : 0);
		}
		if (got < want)
			return;         /* drained: epoll says when more comes */
		want -= got;
	}
}

static void daemon_signal(struct ev_io *io, uint32_t events)
{
	struct mip_daemon *d = container_of(io, struct mip_daemon, sig_io);
	struct signalfd_siginfo si;

	(void)events;
	while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_info("main", "signal %u: shutting down", si.ssi_signo);
			ev_stop(&d->loop);
			break;
		case SIGHUP:
			log_info("main", "SIGHUP: reloading the configuration");
			reload_config(d, NULL);
			break;
		default:
			break;
		}
	}
}

static int daemon_signals(struct mip_daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_fd < 0) {
		log_warn("main", "signalfd");
		return -1;
	}
	d->sig_io.fd = d->sig_fd;
	d->sig_io.cb = daemon_signal;
	return ev_add(&d->loop, &d->sig_io, EPOLLIN);
}

/* End of a loop turn: commit the state, then send the turn's replies. */
static void daemon_turn_end(struct ev_loop *loop, void *arg)
{
	struct mip_daemon *d = arg;

	(void)loop;
	outq_flush(d->outq);
}

static void daemon_commit(void *arg)
{
	struct mip_daemon *d = arg;

	if (state_commit(d->state) < 0)
		log_warnx("main", "the state could not be committed; replies go out anyway");
}

/* A request a foreign agent interface received for our own home agent address. */
static void daemon_ha_request(void *arg, const uint8_t *p, size_t len, const struct mip_pkt_info *pi)
{
	struct mip_daemon *d = arg;

	if (d->ha_up)
		ha_handle_request(&d->ha, p, len, pi);
}

/* mipEnable disabled(2) (<general mip-enable="false">) stops agent discovery
 * too: agent discovery follows reloads through this hook and, while
 * disabled, is given a copy of the configuration in which no interface
 * advertises (kept until the next swap).  Registration requests are dropped
 * in daemon_udp_readable(); replies to requests relayed before still pass. */
static struct conf *adv_quiet;

static void daemon_adv_apply(const struct conf *old, const struct conf *new, void *arg)
{
	struct conf *prev = adv_quiet, *q = new->mip_enable ? NULL : conf_copy(new);

	if (q) {
		for (size_t i = 0; i < q->fa.n_ifaces; i++)
			q->fa.ifaces[i].advertise = false;
		if (q->ha.adv)
			q->ha.adv->advertise = false;
	}
	if (!new->mip_enable && (old == new || old->mip_enable))
		log_info("main", "mipEnable is disabled: registration requests are dropped%s",
			 q ? ", advertisements stop" : "; advertisements go on (out of memory)");
	else if (new->mip_enable && old != new && !old->mip_enable)
		log_info("main", "mipEnable is enabled: registrations and advertisements resume");
	adv_reload_apply(old, q ? q : new, arg);
	adv_quiet = q;
	conf_free(prev);
}

static int daemon_start(struct mip_daemon *d)
{
	struct mip_io_ops io = { .send = outq_send };
	struct in_addr any = { .s_addr = INADDR_ANY };

	if (ev_init(&d->loop) < 0 || daemon_signals(d) < 0)
		return -1;
	d->state = state_open(d->conf->state_dir, d->conf->state_fsync);
	if (!d->state)
		return -1;
	/* claim the control socket before the data plane cleans up leftovers:
	 * a second instance must not touch the routes of the running one (its
	 * clients are served once the loop runs, after the start-up) */
	d->ctl = ctl_server_open(d->conf->control_socket, &d->loop, d);
	if (!d->ctl || instance_lock_netns() < 0)
		return -1;
	d->udp_fd = net_udp_open(any, MIP_UDP_PORT);
	if (d->udp_fd < 0 || !(d->outq = calloc(1, sizeof(*d->outq))))
		return -1;
	d->outq->fd = d->udp_fd;
	d->outq->before_flush = daemon_commit;
	d->outq->arg = d;
	io.ctx = d->outq;
	d->loop.turn_end = daemon_turn_end;
	d->loop.turn_arg = d;
	d->udp_io.fd = d->udp_fd;
	d->udp_io.cb = daemon_udp_readable;
	if (ev_add(&d->loop, &d->udp_io, EPOLLIN) < 0)
		return -1;
	if (d->conf->ha.enabled) {
		if (ha_init(&d->ha, d->conf, &d->loop.timers, &io) < 0) {
			log_warnx("main", "cannot set up the home agent");
			return -1;
		}
		d->ha_up = true;
		char addr[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &d->conf->ha.address, addr, sizeof(addr));
		inet_ntop(AF_INET, &d->conf->ha.home_network.addr, net, sizeof(net));
		log_info("main", "home agent %s on %s, home network %s/%u, %zu mobile node entries",
			 addr, d->conf->ha.interface, net, d->conf->ha.home_network.len,
			 d->conf->ha.n_nodes);
	}
	d->dp = dp_open(d->conf, &d->loop);
	if (!d->dp)
		return -1;
	if (d->ha_up)
		dp_serve_bindings(d->dp, &d->ha.nodes);
	if (d->conf->fa.enabled && !(d->dp_fa = dp_fa_open(d->conf, &d->loop)))
		return -1;
	if (!(d->sec = sec_open(d)))       /* before the restore: IPsec policies of bindings */
		return -1;
	if (d->ha_up && state_restore(d->state, &d->ha) < 0)
		return -1;
	state_listen(d->state);
	d->adv = adv_open(d->conf, &d->loop);
	if (!d->adv)
		return -1;
	if (d->conf->fa.enabled) {
		d->fa = fa_open(d->conf, &d->loop, d->udp_fd, d->adv);
		if (!d->fa)
			return -1;
		fa_set_home_agent(d->fa, daemon_ha_request, d);
		/* its replies, like the home agent's, wait for the state commit */
		fa_hold_replies(d->fa, d->outq);
		if (state_restore_visitors(d->state, d->fa) < 0)
			return -1;
	}
	/* agent discovery and the foreign agent follow configuration reloads */
	if ((d->dp_fa && reload_hook_add(NULL, dp_fa_reload_apply, d->dp_fa) < 0) ||
	    reload_hook_add(adv_reload_check, daemon_adv_apply, d->adv) < 0 ||
	    (d->fa && reload_hook_add(fa_reload_check, fa_reload_apply, d->fa) < 0))
		return -1;
	if (!d->conf->mip_enable)
		daemon_adv_apply(d->conf, d->conf, d->adv);
#ifdef HAVE_SNMP
	if (d->conf->snmp.enabled && !(daemon_snmp = mip_snmp_open(d, &d->loop)))
		return -1;
#else
	if (d->conf->snmp.enabled)
		log_warnx("main", "built without Net-SNMP: <snmp> ignored");
#endif
	return 0;
}

static void daemon_stop(struct mip_daemon *d)
{
	sdnotify("STOPPING=1");
#ifdef HAVE_SNMP
	mip_snmp_close(daemon_snmp);
	daemon_snmp = NULL;
#endif
	ctl_server_close(d->ctl);
	if (d->outq)
		outq_flush(d->outq);
	state_close(d->state);
	free(d->outq);
	reload_hook_del(fa_reload_apply, d->fa);
	reload_hook_del(daemon_adv_apply, d->adv);
	reload_hook_del(dp_fa_reload_apply, d->dp_fa);
	fa_close(d->fa);
	adv_close(d->adv);
	conf_free(adv_quiet);
	adv_quiet = NULL;
	dp_fa_close(d->dp_fa);
	dp_close(d->dp);
	sec_close(d->sec);
	if (d->ha_up)
		ha_free(&d->ha);
	if (d->udp_fd >= 0)
		close(d->udp_fd);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	ev_free(&d->loop);
	conf_free(d->conf);
	reload_cleanup();
	instance_unlock_netns();
	if (d->pid_file)
		pidfile_remove(d->pid_file);
}

int daemon_run(struct mip_daemon *d)
{
	int rc = 1;

	d->conf = daemon_load_conf(d->conf_path);
	if (!d->conf)
		return 1;
	if (d->check_only) {
		if (d->verbose)
			conf_print(d->conf, stdout);
		else
			fprintf(stderr, "%s: configuration OK\n", d->conf_path);
		conf_free(d->conf);
		return 0;
	}
	log_init("mipagent", d->foreground, d->debug_level >= 0 ? d->debug_level : d->conf->log_level);
	if (priv_check_conf_file(d->conf_path, stderr) < 0) {     /* it holds keys */
		conf_free(d->conf);
		return 1;
	}
	reload_init(d);         /* before daemon() changes directory */
	if (!d->foreground && daemon(0, 0) < 0) {
		log_warn("main", "daemon");
		conf_free(d->conf);
		return 1;
	}
	if (daemon_start(d) == 0) {
		log_info("main", "mipagent %s started", PACKAGE_VERSION);
		if (d->pid_file)
			pidfile_write(d->pid_file);
		if (sec_drop_privileges(d->sec) == 0) {        /* priv.h */
			sdnotifyf("READY=1\nSTATUS=running, %zu binding(s)",
				  d->ha_up ? d->ha.bindings.count : 0);
			rc = ev_run(&d->loop) == 0 ? 0 : 1;
		}
	}
	daemon_stop(d);
	log_info("main", "stopped");
	return rc;
}
