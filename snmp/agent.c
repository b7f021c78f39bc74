/* The AgentX subagent (see snmp_agent.h): Net-SNMP set up as a subagent,
 * its descriptors and timeouts driven by the daemon's event loop, its log
 * routed into ours, and one handler serving mipMIBObjects from snmp/mib.c.
 *
 * Event loop: after every Net-SNMP read, timeout, alarm or trap, the
 * descriptors Net-SNMP wants (snmp_select_info2) are compared with those
 * registered with epoll and registered again when they changed (always after
 * alarms, which reopen sessions), and a timer is armed for Net-SNMP's next
 * timeout or alarm, so a reconnect after the master restarts is picked up at
 * once.  Alarms run from that timer (NETSNMP_DS_LIB_ALARM_DONT_USE_SIG: no
 * SIGALRM).  The AgentX session has a 1 s timeout and no retries.  A master
 * that goes away costs nothing; but Net-SNMP does the AgentX Ping, Close,
 * Open and Register synchronously, so a master that accepts connections and
 * does not answer (stopped, hung) can stall the loop for up to about 3 s
 * (Ping, Close, Open) once per ping interval until it answers again.
 *
 * SET: the handler takes a request through Net-SNMP's phases (for an AgentX
 * subagent: TestSet = RESERVE1 + RESERVE2, CommitSet = ACTION, UndoSet =
 * UNDO, CleanupSet = COMMIT or FREE); snmp/set.c validates the whole request
 * in RESERVE1/RESERVE2 and ACTION applies it with one reload_commit(). */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_sysORTable.h>
#include <net-snmp/library/large_fd_set.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include "daemon.h"
#include "fa.h"
#include "log.h"
#include "notify.h"
#include "reload.h"
#include "snmp_agent.h"
#include "snmp_int.h"

#define SNMP_APP "mipagent"
#define SNMP_SESSION_TIMEOUT_S 1
#define SNMP_DRAIN_MAX 8                /* reads of Net-SNMP's descriptors per wake-up */

static const oid mip_objects_oid[] = { 1, 3, 6, 1, 2, 1, 44, 1 };
static oid mip_mib_oid[] = { 1, 3, 6, 1, 2, 1, 44 };

/* Net-SNMP is process-global, so is its log routing: one subagent at most. */
static struct mip_snmp *snmp_active;

/* ---------------------------------------------------------------- logging */

static char log_line[512];
static size_t log_len;

static void snmp_log_emit(int prio, const char *msg)
{
	struct mip_snmp *s = snmp_active;

	/* Watch the session state to keep a master that is away from flooding
	 * the log: warn once, then stay quiet until connected again. */
	if (s && strstr(msg, "AgentX subagent connected")) {
		s->connected = true;
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID,
				       NETSNMP_DS_AGENT_NO_CONNECTION_WARNINGS, 0);
		log_info("snmp", "connected to the AgentX master %s (%s)", s->socket_path, msg);
		return;
	}
	if (s && strstr(msg, "Failed to connect to the agentx master")) {
		s->connected = false;
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID,
				       NETSNMP_DS_AGENT_NO_CONNECTION_WARNINGS, 1);
		log_warnx("snmp", "cannot connect to the AgentX master %s; retrying every %u s "
			  "(further attempts are not logged)", s->socket_path, s->ping_interval);
		return;
	}
	if (s && strstr(msg, "master disconnected us"))
		s->connected = false;
	if (prio <= LOG_ERR)
		log_err("snmp", "%s", msg);
	else if (prio == LOG_WARNING)
		log_warnx("snmp", "%s", msg);
	else if (prio <= LOG_INFO)
		log_info("snmp", "%s", msg);
	else
		log_debug("snmp", "%s", msg);
}

/* Net-SNMP may log a line in pieces: emit whole lines only. */
static int snmp_log_cb(int major, int minor, void *serverarg, void *clientarg)
{
	const struct snmp_log_message *m = serverarg;
	const char *p;

	(void)major, (void)minor, (void)clientarg;
	if (!m || !m->msg)
		return 0;
	for (p = m->msg; *p; p++) {
		if (*p == '\n' || log_len == sizeof(log_line) - 1) {
			log_line[log_len] = '\0';
			if (log_len)
				snmp_log_emit(m->priority, log_line);
			log_len = 0;
			if (*p == '\n')
				continue;
		}
		log_line[log_len++] = *p;
	}
	return 0;
}

/* ---------------------------------------------------------------- the handler */

static void snmp_ctx(struct mip_snmp *s, struct mib_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->conf = s->d->conf;
	ctx->ha = s->d->ha_up ? &s->d->ha : NULL;
	ctx->fa = s->d->fa;
	ctx->adv = s->d->adv;
	ctx->now_ms = mip_now_ms;
	ctx->start_ms = s->start_ms;
	ctx->violations = s->violations;
	ctx->vindex = s->vindex;
	ctx->rows = s->rows;
}

static void snmp_set_value(netsnmp_variable_list *vb, const struct mib_value *v)
{
	long l;
	u_long u;

	switch (v->type) {
	case MIB_INTEGER:
		l = v->i;
		snmp_set_var_typed_value(vb, ASN_INTEGER, &l, sizeof(l));
		break;
	case MIB_COUNTER32:
	case MIB_GAUGE32:
	case MIB_TIMETICKS:
		u = v->u;
		snmp_set_var_typed_value(vb, v->type == MIB_COUNTER32 ? ASN_COUNTER :
					 v->type == MIB_GAUGE32 ? ASN_GAUGE : ASN_TIMETICKS,
					 &u, sizeof(u));
		break;
	case MIB_IPADDRESS:
		snmp_set_var_typed_value(vb, ASN_IPADDRESS, v->octets, 4);
		break;
	case MIB_OCTETS:
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, v->octets, v->len);
		break;
	case MIB_OTHER_TYPE:
		break;
	}
}

/* Net-SNMP OID -> ours, for comparisons: an OID longer than any of ours is
 * cut (no OID of ours lies between the two), a sub-id beyond 32 bits ends it
 * as .4294967295.4294967295 (after every OID of ours with that prefix).
 * Returns false when the OID was changed (it cannot name an instance). */
static bool snmp_oid_in(const oid *name, size_t len, uint32_t *out, size_t *out_len)
{
	bool exact = len <= MIB_OID_MAX - 1;

	if (len > MIB_OID_MAX - 1)
		len = MIB_OID_MAX - 1;
	for (size_t i = 0; i < len; i++) {
		if (name[i] > UINT32_MAX) {
			out[i] = out[i + 1] = UINT32_MAX;
			*out_len = i + 2;
			return false;
		}
		out[i] = (uint32_t)name[i];
	}
	*out_len = len;
	return exact;
}

/* ---------------------------------------------------------------- SET */

static int snmp_err(enum mib_err e)
{
	switch (e) {
	case MIB_ERR_NONE: return SNMP_ERR_NOERROR;
	case MIB_ERR_WRONG_TYPE: return SNMP_ERR_WRONGTYPE;
	case MIB_ERR_WRONG_LENGTH: return SNMP_ERR_WRONGLENGTH;
	case MIB_ERR_WRONG_VALUE: return SNMP_ERR_WRONGVALUE;
	case MIB_ERR_NO_CREATION: return SNMP_ERR_NOCREATION;
	case MIB_ERR_NOT_WRITABLE: return SNMP_ERR_NOTWRITABLE;
	case MIB_ERR_INCONSISTENT_NAME: return SNMP_ERR_INCONSISTENTNAME;
	case MIB_ERR_INCONSISTENT_VALUE: return SNMP_ERR_INCONSISTENTVALUE;
	case MIB_ERR_RESOURCE_UNAVAILABLE: return SNMP_ERR_RESOURCEUNAVAILABLE;
	case MIB_ERR_COMMIT_FAILED: return SNMP_ERR_COMMITFAILED;
	case MIB_ERR_UNDO_FAILED: return SNMP_ERR_UNDOFAILED;
	}
	return SNMP_ERR_GENERR;
}

/* A Net-SNMP varbind as set.c sees it (@name: room for MIB_OID_MAX). */
static void snmp_setvb(const netsnmp_variable_list *vb, uint32_t *name, struct mib_setvb *out)
{
	memset(out, 0, sizeof(*out));
	snmp_oid_in(vb->name, vb->name_length, name, &out->len);
	out->name = name;
	switch (vb->type) {
	case ASN_INTEGER:
		out->type = MIB_INTEGER;
		out->i = (int32_t)*vb->val.integer;
		break;
	case ASN_OCTET_STR:
	case ASN_IPADDRESS:
		out->type = vb->type == ASN_OCTET_STR ? MIB_OCTETS : MIB_IPADDRESS;
		out->octets = vb->val.string;
		out->olen = vb->val_len;
		break;
	case ASN_COUNTER:
	case ASN_GAUGE:
	case ASN_TIMETICKS:
		out->type = vb->type == ASN_COUNTER ? MIB_COUNTER32 : vb->type == ASN_GAUGE ?
			    MIB_GAUGE32 : MIB_TIMETICKS;
		out->u = (uint32_t)*vb->val.integer;
		break;
	default:
		out->type = MIB_OTHER_TYPE;
		break;
	}
}

static int snmp_commit(void *arg, struct conf *edited, FILE *err)
{
	struct mip_snmp *s = arg;

	return reload_commit(s->d, edited, err);
}

static void snmp_txn_end(struct mip_snmp *s)
{
	mib_txn_free(s->txn);
	s->txn = NULL;
}

static void snmp_set(struct mip_snmp *s, const struct mib_ctx *ctx, netsnmp_agent_request_info *reqinfo,
		     netsnmp_request_info *requests)
{
	netsnmp_request_info *r;
	struct mib_setvb *vbs = NULL;
	uint32_t (*names)[MIB_OID_MAX] = NULL;
	size_t n = 0, bad = 0, i;
	char why[256];
	enum mib_err e;

	switch (reqinfo->mode) {
	case MODE_SET_RESERVE1:
		snmp_txn_end(s);        /* a request abandoned by the master */
		for (r = requests; r; r = r->next) {
			uint32_t name[MIB_OID_MAX];
			struct mib_setvb vb;

			snmp_setvb(r->requestvb, name, &vb);
			e = mib_set_check(&vb);
			if (e != MIB_ERR_NONE)
				netsnmp_set_request_error(reqinfo, r, snmp_err(e));
		}
		return;
	case MODE_SET_RESERVE2:
		snmp_txn_end(s);
		for (r = requests; r; r = r->next)
			n++;
		vbs = calloc(n ? n : 1, sizeof(*vbs));
		names = calloc(n ? n : 1, sizeof(*names));
		if (!vbs || !names) {
			netsnmp_set_request_error(reqinfo, requests, SNMP_ERR_RESOURCEUNAVAILABLE);
			goto out;
		}
		for (r = requests, i = 0; r; r = r->next, i++)
			snmp_setvb(r->requestvb, names[i], &vbs[i]);
		e = mib_set_prepare(ctx, vbs, n, &s->txn, &bad, why, sizeof(why));
		if (e != MIB_ERR_NONE) {
			log_info("snmp", "set refused (%s, varbind %zu): %s", mib_err_name(e), bad + 1, why);
			for (r = requests, i = 0; r && i < bad; r = r->next, i++)
				;
			netsnmp_set_request_error(reqinfo, r ? r : requests, snmp_err(e));
		}
		goto out;
	case MODE_SET_ACTION:
		if (!s->txn) {
			netsnmp_set_request_error(reqinfo, requests, SNMP_ERR_GENERR);
			return;
		}
		e = mib_set_apply(s->txn, s->d->conf, s->rows, snmp_commit, s, why, sizeof(why));
		if (e != MIB_ERR_NONE) {
			log_warnx("snmp", "set not applied (%s): %s", mib_err_name(e), why);
			netsnmp_set_request_error(reqinfo, requests, snmp_err(e));
		} else {
			log_info("snmp", "set applied: %s", mib_txn_summary(s->txn));
		}
		return;
	case MODE_SET_UNDO:
		if (s->txn) {
			e = mib_set_undo(s->txn, s->rows, snmp_commit, s);
			if (e != MIB_ERR_NONE) {
				log_warnx("snmp", "set could not be undone: %s", mib_txn_summary(s->txn));
				netsnmp_set_request_error(reqinfo, requests, snmp_err(e));
			} else {
				log_info("snmp", "set undone: %s", mib_txn_summary(s->txn));
			}
		}
		snmp_txn_end(s);
		return;
	case MODE_SET_COMMIT:
	case MODE_SET_FREE:
		snmp_txn_end(s);
		return;
	default:
		netsnmp_set_request_error(reqinfo, requests, SNMP_ERR_GENERR);
		return;
	}
out:
	free(vbs);
	free(names);
}

/* ---------------------------------------------------------------- the handler */

static int snmp_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
			netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	struct mip_snmp *s = handler->myvoid;
	struct mib_ctx ctx;

	(void)reginfo;
	snmp_ctx(s, &ctx);
	if (reqinfo->mode != MODE_GET && reqinfo->mode != MODE_GETNEXT) {
		snmp_set(s, &ctx, reqinfo, requests);
		return SNMP_ERR_NOERROR;
	}
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		netsnmp_variable_list *vb = r->requestvb;
		uint32_t name[MIB_OID_MAX], out[MIB_OID_MAX];
		size_t len, out_len;
		struct mib_value v;
		enum mib_status st;

		if (r->processed)
			continue;
		switch (reqinfo->mode) {
		case MODE_GET:
			if (!snmp_oid_in(vb->name, vb->name_length, name, &len))
				st = MIB_NO_SUCH_OBJECT;
			else
				st = mib_get(&ctx, name, len, &v);
			if (st == MIB_OK)
				snmp_set_value(vb, &v);
			else
				netsnmp_set_request_error(reqinfo, r, st == MIB_NO_SUCH_INSTANCE ?
							  SNMP_NOSUCHINSTANCE : SNMP_NOSUCHOBJECT);
			break;
		case MODE_GETNEXT:
			/* nothing of ours after it: leave it unanswered, the
			 * agent moves on to the next registration */
			snmp_oid_in(vb->name, vb->name_length, name, &len);
			if (mib_getnext(&ctx, name, len, out, &out_len, &v) != MIB_OK)
				break;
			{
				oid o[MIB_OID_MAX];

				for (size_t i = 0; i < out_len; i++)
					o[i] = out[i];
				snmp_set_var_objid(vb, o, out_len);
			}
			snmp_set_value(vb, &v);
			break;
		default:
			break;
		}
	}
	return SNMP_ERR_NOERROR;
}

/* The foreign agent's visitor events keep faVisitorTable's index. */
static void snmp_fa_listener(const struct mip_event *ev, void *arg)
{
	struct mip_snmp *s = arg;
	struct mib_vkey k = { .src = ev->peer, .hoa = ev->hoa, .ha = ev->ha, .ifindex = ev->ifindex };

	if (ev->type == MIP_EV_VISITOR_ADDED) {
		if (mib_vindex_add(s->vindex, &k) < 0)
			log_warnx("snmp", "out of memory: a visitor is missing from faVisitorTable");
	} else if (ev->type == MIP_EV_VISITOR_REMOVED) {
		mib_vindex_del(s->vindex, &k);
	}
}

static int snmp_fa_open(struct mip_snmp *s)
{
	const struct fa_visitor *v;

	s->vindex = mib_vindex_new();
	s->rows = mib_rows_new();
	if (!s->vindex || !s->rows) {
		log_warnx("snmp", "out of memory");
		return -1;
	}
	if (!s->d->fa)
		return 0;
	for (v = fa_visitor_first(s->d->fa); v; v = fa_visitor_next(s->d->fa, v->hoa, v->ha, v->ifindex)) {
		struct mib_vkey k = { .src = v->src, .hoa = v->hoa, .ha = v->ha, .ifindex = v->ifindex };

		if (mib_vindex_add(s->vindex, &k) < 0)
			return -1;
	}
	if (notify_listen(snmp_fa_listener, s) < 0) {
		log_warnx("snmp", "cannot listen for visitor events (listener table full)");
		return -1;
	}
	s->fa_listening = true;
	return 0;
}

/* ---------------------------------------------------------------- event loop */

static void snmp_readable(struct ev_io *io, uint32_t events);

/* Register Net-SNMP's descriptors and its next timeout with the loop.  When
 * the set of descriptors is unchanged nothing is touched (the common case:
 * one AgentX request after another).  @full re-registers everything anyway:
 * after Net-SNMP's alarms, which may close a session and open another under
 * the same number (epoll drops closed descriptors by itself).  A slot given
 * a new descriptor is "dirty": an event already collected in this loop turn
 * may be for its old one, so its next event is checked with poll() first. */
static void snmp_sync(struct mip_snmp *s, bool full)
{
	netsnmp_large_fd_set set;
	struct timeval tv = { 0, 0 };
	int numfds = 0, block = 1, fds[SNMP_MAX_FDS];
	size_t n = 0;
	bool same;

	netsnmp_large_fd_set_init(&set, FD_SETSIZE);
	NETSNMP_LARGE_FD_ZERO(&set);
	snmp_select_info2(&numfds, &set, &tv, &block);
	for (int fd = 0; fd < numfds; fd++) {
		if (!NETSNMP_LARGE_FD_ISSET(fd, &set))
			continue;
		if (n == SNMP_MAX_FDS) {
			if (!s->warned_fds)
				log_warnx("snmp", "more than %d Net-SNMP descriptors; ignoring the rest",
					  SNMP_MAX_FDS);
			s->warned_fds = true;
			break;
		}
		fds[n++] = fd;
	}
	netsnmp_large_fd_set_cleanup(&set);
	same = !full && n == s->n_fds;
	for (size_t i = 0; same && i < n; i++)
		same = s->fds[i].used && s->fds[i].io.fd == fds[i];
	if (!same) {
		for (size_t i = 0; i < SNMP_MAX_FDS; i++) {
			if (s->fds[i].used)
				ev_del(s->loop, &s->fds[i].io);
			s->fds[i].used = false;
		}
		for (size_t i = 0; i < n; i++) {
			s->fds[i].io.fd = fds[i];
			s->fds[i].io.cb = snmp_readable;
			s->fds[i].dirty = true;
			s->fds[i].used = ev_add(s->loop, &s->fds[i].io, EPOLLIN) == 0;
		}
		s->n_fds = n;
	}
	if (block) {
		timer_cancel(&s->loop->timers, &s->timer);
	} else {
		uint64_t ms = (uint64_t)tv.tv_sec * 1000 + ((uint64_t)tv.tv_usec + 999) / 1000;

		timer_schedule(&s->loop->timers, &s->timer, mip_now_ms() + ms);
	}
}

void mip_snmp_sync(struct mip_snmp *s)
{
	snmp_sync(s, false);
}

/* A descriptor is readable.  Alarms are not run here but from the timer,
 * which snmp_sync() arms for them too: they may wait synchronously for the
 * master (ping, reconnect) and so drain descriptors whose events are still
 * pending in this loop turn. */
static void snmp_readable(struct ev_io *io, uint32_t events)
{
	struct snmp_fd *f = container_of(io, struct snmp_fd, io);
	struct mip_snmp *s = f->s;
	netsnmp_large_fd_set set;

	(void)events;
	if (!f->used)
		return;
	if (f->dirty) {                 /* never block on a descriptor not ready */
		struct pollfd p = { .fd = io->fd, .events = POLLIN };

		f->dirty = false;
		if (poll(&p, 1, 0) <= 0)
			return;
	}
	netsnmp_large_fd_set_init(&set, FD_SETSIZE);
	NETSNMP_LARGE_FD_ZERO(&set);
	NETSNMP_LARGE_FD_SET(io->fd, &set);
	snmp_read2(&set);
	netsnmp_check_outstanding_agent_requests();
	/* A request from the master goes on through Net-SNMP's internal
	 * callback pipes (to the agent and its answer back) before the reply
	 * leaves: follow it here rather than over two more loop turns. */
	for (int k = 0; k < SNMP_DRAIN_MAX; k++) {
		struct pollfd p[SNMP_MAX_FDS];
		size_t n = 0;
		bool any = false;

		for (size_t i = 0; i < s->n_fds; i++)
			if (s->fds[i].used)
				p[n++] = (struct pollfd){ .fd = s->fds[i].io.fd, .events = POLLIN };
		if (poll(p, n, 0) <= 0)
			break;
		NETSNMP_LARGE_FD_ZERO(&set);
		for (size_t i = 0; i < n; i++)
			if (p[i].revents & POLLIN) {
				NETSNMP_LARGE_FD_SET(p[i].fd, &set);
				any = true;
				/* an event of it may already be collected in this turn */
				for (size_t j = 0; j < s->n_fds; j++)
					if (s->fds[j].used && s->fds[j].io.fd == p[i].fd)
						s->fds[j].dirty = true;
			}
		if (!any)
			break;
		snmp_read2(&set);
		netsnmp_check_outstanding_agent_requests();
	}
	netsnmp_large_fd_set_cleanup(&set);
	snmp_sync(s, false);
}

/* Net-SNMP's next timeout or alarm is due. */
static void snmp_timeout_cb(struct mip_timer *t)
{
	struct mip_snmp *s = container_of(t, struct mip_snmp, timer);

	snmp_timeout();
	run_alarms();
	netsnmp_check_outstanding_agent_requests();
	snmp_sync(s, true);
}

/* ---------------------------------------------------------------- open / close */

static int snmp_persist_dir(struct mip_snmp *s, const char *state_dir)
{
	int n = snprintf(s->persist_dir, sizeof(s->persist_dir), "%s/snmp",
			 state_dir ? state_dir : MIP_CONF_DEFAULT_STATE_DIR);

	if (n < 0 || (size_t)n >= sizeof(s->persist_dir)) {
		log_warnx("snmp", "state directory path too long");
		return -1;
	}
	if (mkdir(s->persist_dir, 0700) < 0 && errno != EEXIST) {
		log_warn("snmp", "cannot create %s", s->persist_dir);
		return -1;
	}
	return 0;
}

struct mip_snmp *mip_snmp_open(struct mip_daemon *d, struct ev_loop *loop)
{
	const struct conf_snmp *cs = &d->conf->snmp;
	netsnmp_handler_registration *reg;
	struct mip_snmp *s;

	if (snmp_active) {
		log_warnx("snmp", "the subagent is already running");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		log_warn("snmp", "calloc");
		return NULL;
	}
	s->d = d;
	s->loop = loop;
	s->ping_interval = cs->ping_interval;
	snprintf(s->socket_path, sizeof(s->socket_path), "%s", cs->agentx_socket);
	timer_init(&s->timer, snmp_timeout_cb);
	for (size_t i = 0; i < SNMP_MAX_FDS; i++)
		s->fds[i].s = s;
	s->violations = mib_violations_new(SNMP_MAX_VIOLATORS);
	if (!s->violations || snmp_persist_dir(s, d->conf->state_dir) < 0) {
		mib_violations_free(s->violations);
		free(s);
		return NULL;
	}
	snmp_active = s;
	if (snmp_trap_init(s) < 0 || snmp_fa_open(s) < 0)
		goto fail;

	/* Net-SNMP's log into ours, nothing on stderr; no MIB files parsed */
	snmp_disable_log();
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, snmp_log_cb, NULL);
	snmp_enable_calllog();
	setenv("MIBS", "", 0);
	set_persistent_directory(s->persist_dir);

	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, s->socket_path);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	if (init_agent(SNMP_APP) != 0) {
		log_warnx("snmp", "cannot initialise the Net-SNMP agent library");
		goto fail;
	}
	/* init_agent() resets the ping interval: set it (and the session
	 * timeout and retries) afterwards, before init_snmp() connects */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
			   (int)s->ping_interval);
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_TIMEOUT, SNMP_SESSION_TIMEOUT_S);
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_RETRIES, 0);
	s->start_ms = mip_now_ms() - (uint64_t)netsnmp_get_agent_uptime() * 10;

	reg = netsnmp_create_handler_registration("mipMIBObjects", snmp_handler, mip_objects_oid,
						  OID_LENGTH(mip_objects_oid), HANDLER_CAN_RWRITE);
	if (!reg) {
		log_warnx("snmp", "cannot create the mipMIBObjects registration");
		goto fail;
	}
	reg->handler->myvoid = s;
	if (netsnmp_register_handler(reg) != MIB_REGISTERED_OK) {
		log_warnx("snmp", "cannot register mipMIBObjects");
		goto fail;
	}
	register_sysORTable(mip_mib_oid, OID_LENGTH(mip_mib_oid),
			    "MIP-MIB (RFC 2006): the mipagent Mobile IPv4 agent");
	init_snmp(SNMP_APP);            /* reads the configuration, then connects */
	snmp_sync(s, true);
	log_info("snmp", "AgentX subagent for MIP-MIB via %s, ping interval %u s",
		 s->socket_path, s->ping_interval);
	return s;
fail:
	mip_snmp_close(s);
	return NULL;
}

void mip_snmp_close(struct mip_snmp *s)
{
	if (!s)
		return;
	snmp_trap_close(s);
	if (s->fa_listening)
		notify_unlisten(snmp_fa_listener, s);
	timer_cancel(&s->loop->timers, &s->timer);
	for (size_t i = 0; i < SNMP_MAX_FDS; i++)
		if (s->fds[i].used)
			ev_del(s->loop, &s->fds[i].io);
	snmp_shutdown(SNMP_APP);
	snmp_txn_end(s);
	mib_vindex_free(s->vindex);
	mib_rows_free(s->rows);
	snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, snmp_log_cb, NULL, 1);
	snmp_disable_log();
	mib_violations_free(s->violations);
	if (snmp_active == s)
		snmp_active = NULL;
	free(s);
}
