/* Least privilege.  Once started (sockets bound, devices and the state
 * store open) the daemon keeps only CAP_NET_ADMIN (routes, tunnels, XFRM,
 * sysctls under net), CAP_NET_RAW (ICMP, ARP and packet sockets) and
 * CAP_NET_BIND_SERVICE (port 434, again after a reload), drops every other
 * capability from its bounding set, sets no_new_privs and, with
 * <general user="NAME">, runs as that user (and its groups), keeping the
 * three capabilities across the change with PR_SET_KEEPCAPS.  Before the
 * change it gives the user the state directory and its files, the
 * configuration file (so reload and run-time changes keep working) and the
 * control socket's own directory when it is /run/mipagent.
 *
 * The configuration file holds keys: the daemon refuses to start with one
 * that others may read or write. */
#ifndef MIP_PRIV_H
#define MIP_PRIV_H

#include <stdio.h>

struct conf;

/** 0 if @path may hold keys (no access for others), else -1 with the
 *  reason on @err (and in the log). */
int priv_check_conf_file(const char *path, FILE *err);
/** Drop to the capabilities above and, if @c names one, to the user. */
int priv_drop(const struct conf *c, const char *conf_path);
/** The three capabilities kept, as a CapEff mask. */
unsigned long long priv_kept_caps(void);

#endif
