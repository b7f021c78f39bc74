/* The mipagent daemon: options, start-up, the event loop and shutdown. */
#ifndef MIP_DAEMON_H
#define MIP_DAEMON_H

#include <stdbool.h>
#include "conf.h"
#include "event.h"
#include "ha.h"

struct mip_daemon {
	const char *conf_path;
	bool foreground;
	bool check_only;          /* -n */
	bool verbose;             /* -v: with -n, print the normalised config */
	const char *pid_file;     /* -p */
	int debug_level;          /* -d, -1: from the config */
	struct conf *conf;
	struct ev_loop loop;
	struct mip_ha ha;
	bool ha_up;
	int udp_fd;
	struct ev_io udp_io;
	int sig_fd;
	struct ev_io sig_io;
	struct ctl_server *ctl;   /* control socket */
	struct dp *dp;            /* the data plane (dp.h) */
	struct mip_state *state;  /* durable bindings (state.h) */
	struct outq *outq;        /* replies held until the state is committed */
	struct mip_fa *fa;        /* the foreign agent (fa.h), or NULL */
	struct adv *adv;          /* agent advertisements (adv.h) */
	struct dp_fa *dp_fa;      /* the foreign agent's data plane (dp_fa.h) */
	struct mip_sec *sec;      /* rate limits, IPsec policies, privileges (sec.h) */
};

/** Parse the command line; returns 0, 1 (exit with success: -h / -V) or -1. */
int daemon_parse_args(struct mip_daemon *d, int argc, char **argv);
/** Run the daemon as the options say; returns the process exit status. */
int daemon_run(struct mip_daemon *d);

#endif
