/* The rtnetlink module's core (see nl.h): the netlink sockets, helpers, and the crash cleanup. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/object.h>
#include "log.h"
#include "nl.h"
#include "nl_int.h"

#define NL_STATE_FILE "dataplane.entries"      /* written by versions before the marks */

const char *knl_ntoa(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

struct nl_addr *knl_addr4(struct in_addr a, int prefixlen)
{
	struct nl_addr *na = nl_addr_build(AF_INET, &a, sizeof(a));

	if (na)
		nl_addr_set_prefixlen(na, prefixlen);
	return na;
}

/* ---- open, close */

struct knl *knl_open(const char *state_dir)
{
	struct knl *nl = calloc(1, sizeof(*nl));
	int err;

	if (!nl) {
		log_warnx("nl", "out of memory");
		return NULL;
	}
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		log_warnx("nl", "cannot allocate a netlink socket");
		goto fail;
	}
	err = nl_connect(nl->sk, NETLINK_ROUTE);
	nl->qsk = err < 0 ? NULL : nl_socket_alloc();
	if (nl->qsk) {
		nl_socket_disable_auto_ack(nl->qsk);
		nl_socket_disable_seq_check(nl->qsk);
		err = nl_connect(nl->qsk, NETLINK_ROUTE);
	} else if (err >= 0) {
		err = -NLE_NOMEM;
	}
	if (err < 0) {
		log_warnx("nl", "cannot connect to rtnetlink: %s", nl_geterror(err));
		goto fail;
	}
	if (state_dir) {
		size_t len = strlen(state_dir) + sizeof("/" NL_STATE_FILE);

		nl->state_path = malloc(len);
		if (!nl->state_path) {
			log_warnx("nl", "out of memory");
			goto fail;
		}
		snprintf(nl->state_path, len, "%s/%s", state_dir, NL_STATE_FILE);
		if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
			log_warn("nl", "cannot create the state directory %s", state_dir);
	}
	return nl;
fail:
	knl_close(nl);
	return NULL;
}

void knl_close(struct knl *nl)
{
	struct knl_tunnel *t, *next;

	if (!nl)
		return;
	for (t = nl->tunnels; t; t = next) {
		next = t->next;
		free(t);
	}
	if (nl->sk)
		nl_socket_free(nl->sk);
	if (nl->qsk)
		nl_socket_free(nl->qsk);
	free(nl->state_path);
	free(nl);
}

/* ---- crash cleanup */

int knl_leftovers_remove(struct knl *nl, const struct knl_leftover *lo)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int n = 0, err = lo->read(nl->sk, &cache);

	if (err < 0) {
		log_warnx("nl", "cannot read the %ss: %s", lo->what, nl_geterror(err));
		return 0;
	}
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		char desc[128];

		if (!lo->ours(nl, o))
			continue;
		err = lo->del(nl, o);
		if (err < 0 && err != -NLE_OBJ_NOTFOUND)
			log_warnx("nl", "cannot delete a leftover %s: %s", lo->what, nl_geterror(err));
		else if (err == 0) {
			lo->describe(o, desc, sizeof(desc));
			log_info("nl", "removed the leftover %s %s", lo->what, desc);
			n++;
		}
	}
	nl_cache_free(cache);
	return n;
}

int knl_cleanup(struct knl *nl)
{
	/* entries first: they are keyed by interface names the links may own */
	int n = knl_cleanup_neighs(nl);

	n += knl_cleanup_rules(nl);
	n += knl_cleanup_routes(nl);
	n += knl_cleanup_links(nl);
	return n;
}
