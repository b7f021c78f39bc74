/* Security hardening glue for the daemon (see sec.h). */
#include "config.h"
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "counters.h"
#include "daemon.h"
#include "event.h"
#include "fa.h"
#include "log.h"
#include "notify.h"
#include "priv.h"
#include "ratelimit.h"
#include "reload.h"
#include "sec.h"
#include "wire.h"
#include "xfrm.h"

#define SEC_TICK_MS 1000
#define SEC_TRUST_SLACK_MS 10000        /* a source stays known this long after its binding ends */

struct mip_sec {
	struct mip_daemon *d;
	struct ratelimit *rl;
	struct mip_xfrm *xfrm;
	struct mip_timer tick;
	bool listening, hooked;
	bool global_dropping, trusted_dropping;
};

static void sec_count_log_suppressed(void)
{
	mip_count(MIP_CTR_LOG_SUPPRESSED);
}

static void rl_limits_of(const struct conf_limits *l, struct rl_limits *r)
{
	r->source_rate = l->source_rate;
	r->source_burst = l->source_burst;
	r->rate = l->rate;
	r->burst = l->burst;
	r->trusted_rate = l->trusted_rate;
	r->trusted_burst = l->trusted_burst;
	r->max_sources = l->max_sources;
}

/* Room for bursts: received datagrams waiting for the loop, and replies to
 * strangers waiting for address resolution (a flood from spoofed on-link
 * addresses must not leave no room for the replies to known nodes). */
static void sec_socket_buffer(struct mip_sec *s, unsigned bytes)
{
	int v = bytes > (unsigned)INT32_MAX / 2 ? INT32_MAX / 2 : (int)bytes;

	if (!bytes || s->d->udp_fd < 0)
		return;
	/* the FORCE variants pass net.core.[rw]mem_max (CAP_NET_ADMIN) */
	if (setsockopt(s->d->udp_fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0 &&
	    setsockopt(s->d->udp_fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0)
		log_warn("sec", "cannot set the receive buffer to %u bytes", bytes);
	if (setsockopt(s->d->udp_fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0 &&
	    setsockopt(s->d->udp_fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) < 0)
		log_warn("sec", "cannot set the send buffer to %u bytes", bytes);
}

static void sec_apply_limits(struct mip_sec *s, const struct conf_limits *l)
{
	struct rl_limits r;

	rl_limits_of(l, &r);
	if (rl_configure(s->rl, &r) < 0)
		log_warnx("sec", "out of memory: the rate limits stay as they were");
	log_flood_limit(l->log_rate, l->log_burst);
	sec_socket_buffer(s, l->socket_buffer);
}

/* Sources of accepted registrations become known for as long as they last. */
static void sec_event(const struct mip_event *ev, void *arg)
{
	struct mip_sec *s = arg;
	uint64_t now = mip_now_ms(), until;
	bool visitor = ev->type == MIP_EV_VISITOR_ADDED || ev->type == MIP_EV_VISITOR_RENEWED;

	if (ev->type != MIP_EV_BINDING_ADDED && ev->type != MIP_EV_BINDING_RENEWED && !visitor)
		return;
	until = ev->lifetime == MIP_LIFETIME_INFINITE ? UINT64_MAX :
		now + (uint64_t)ev->lifetime * 1000 + SEC_TRUST_SLACK_MS;
	if (ev->peer.s_addr != INADDR_ANY)
		rl_trust(s->rl, ev->peer, until);
	if (visitor && ev->ha.s_addr != INADDR_ANY)
		rl_trust(s->rl, ev->ha, until);
}

static void sec_tick(struct mip_timer *t)
{
	struct mip_sec *s = container_of(t, struct mip_sec, tick);
	uint64_t now = mip_now_ms();

	log_flood_tick();
	rl_expire(s->rl, now);
	timer_schedule(&s->d->loop.timers, &s->tick, now + SEC_TICK_MS);
}

static int sec_reload_check(const struct conf *old, const struct conf *new, FILE *err, void *arg)
{
	struct mip_sec *s = arg;
	const char *path = reload_conf_path();

	if (path && priv_check_conf_file(path, err) < 0)
		return -1;
	if ((old->user == NULL) != (new->user == NULL) ||
	    (old->user && strcmp(old->user, new->user))) {
		log_warnx("conf", "general user changed: it takes effect at the next restart");
		fprintf(err, "warning: general user changed: it takes effect at the next restart\n");
	}
	return s->xfrm ? xfrm_reload_check(old, new, err, s->xfrm) : 0;
}

static void sec_reload_apply(const struct conf *old, const struct conf *new, void *arg)
{
	struct mip_sec *s = arg;

	sec_apply_limits(s, &new->limits);
	if (s->xfrm)
		xfrm_reload_apply(old, new, s->xfrm);
}

struct mip_sec *sec_open(struct mip_daemon *d)
{
	struct mip_sec *s = calloc(1, sizeof(*s));
	struct rl_limits r;

	if (!s) {
		log_warnx("sec", "out of memory");
		return NULL;
	}
	s->d = d;
	rl_limits_of(&d->conf->limits, &r);
	s->rl = rl_new(&r);
	if (!s->rl) {
		log_warnx("sec", "out of memory");
		goto fail;
	}
	log_flood_hook(sec_count_log_suppressed);
	sec_apply_limits(s, &d->conf->limits);
	s->xfrm = xfrm_open(d->conf, &d->loop);
	if (!s->xfrm)
		goto fail;
	if (notify_listen(sec_event, s) < 0) {
		log_warnx("sec", "cannot listen to binding events: too many listeners");
		goto fail;
	}
	s->listening = true;
	if (reload_hook_add(sec_reload_check, sec_reload_apply, s) < 0) {
		log_warnx("sec", "cannot follow configuration reloads: too many hooks");
		goto fail;
	}
	s->hooked = true;
	timer_init(&s->tick, sec_tick);
	timer_schedule(&d->loop.timers, &s->tick, mip_now_ms() + SEC_TICK_MS);
	{
		const struct conf_limits *l = &d->conf->limits;

		log_info("sec", "admission control: %u/s (burst %u) per unknown source, %u/s (burst %u) "
			 "for all of them, %u/s for known sources, %u sources tracked; log limit %u/s",
			 l->source_rate, l->source_burst, l->rate, l->burst, l->trusted_rate,
			 l->max_sources, l->log_rate);
	}
	return s;
fail:
	sec_close(s);
	return NULL;
}

void sec_close(struct mip_sec *s)
{
	if (!s)
		return;
	if (s->hooked)
		reload_hook_del(sec_reload_apply, s);
	if (s->listening)
		notify_unlisten(sec_event, s);
	if (timer_pending(&s->tick))
		timer_cancel(&s->d->loop.timers, &s->tick);
	log_flood_tick();
	log_flood_hook(NULL);
	xfrm_close(s->xfrm);
	rl_free(s->rl);
	free(s);
}

static void sec_dropped(struct mip_sec *s, enum rl_verdict v, const struct mip_pkt_info *pi)
{
	const struct conf_limits *l = &s->d->conf->limits;
	char a[INET_ADDRSTRLEN];

	switch (v) {
	case RL_DROP_SOURCE:
		mip_count(MIP_CTR_RL_DROPPED_SOURCE);
		if (rl_first_drop(s->rl))
			log_flood(LOG_LVL_WARN, "sec", "rate limit: dropping datagrams from %s (more than "
				  "%u/s)", inet_ntop(AF_INET, &pi->src, a, sizeof(a)), l->source_rate);
		break;
	case RL_DROP_GLOBAL:
		mip_count(MIP_CTR_RL_DROPPED_GLOBAL);
		if (!s->global_dropping)
			log_flood(LOG_LVL_WARN, "sec", "rate limit: unknown sources send more than %u "
				  "datagrams/s: dropping", l->rate);
		s->global_dropping = true;
		break;
	case RL_DROP_TRUSTED:
		mip_count(MIP_CTR_RL_DROPPED_TRUSTED);
		if (!s->trusted_dropping)
			log_flood(LOG_LVL_WARN, "sec", "rate limit: known sources send more than %u "
				  "datagrams/s: dropping", l->trusted_rate);
		s->trusted_dropping = true;
		break;
	case RL_PASS:
		break;
	}
}

bool sec_admit(struct mip_sec *s, const uint8_t *p, size_t n, const struct mip_pkt_info *pi)
{
	struct mip_daemon *d = s->d;
	bool peer = d->conf->n_peers && conf_find_peer(d->conf, pi->src);
	uint64_t now = mip_now_ms();
	enum rl_verdict v = rl_admit(s->rl, pi->src, peer, now);

	if (v != RL_PASS) {
		sec_dropped(s, v, pi);
		return false;
	}
	if (peer || rl_trusted(s->rl, pi->src, now))
		s->trusted_dropping = false;
	else
		s->global_dropping = false;
	/* the IPsec policies this request's answer or relay goes out under */
	if (n >= MIP_RRQ_FIXED_LEN && p[0] == MIP_MSG_REG_REQUEST) {
		struct in_addr ha;

		if (peer && d->ha_up)
			xfrm_peer_used(s->xfrm, pi->src, XFRM_ROLE_HA);
		memcpy(&ha, p + 8, sizeof(ha));
		if (d->fa && fa_is_fa_interface(d->fa, pi->ifindex) && conf_find_peer(d->conf, ha))
			xfrm_peer_used(s->xfrm, ha, XFRM_ROLE_FA);
	}
	return true;
}

int sec_drop_privileges(struct mip_sec *s)
{
	const char *path = reload_conf_path();

	return priv_drop(s->d->conf, path ? path : s->d->conf_path);
}

struct mip_xfrm *sec_xfrm(struct mip_sec *s)
{
	return s ? s->xfrm : NULL;
}
