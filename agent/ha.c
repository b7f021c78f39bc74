/* Home agent registration processing (see ha.h).  The checks follow RFC 5944
 * §3.8.2.1 in order: authentication (a), identification (b), foreign agent
 * authentication (c, d), then the home agent address and policy. */
#include "config.h"
#include <arpa/inet.h>
#include <string.h>
#include <time.h>
#include "auth.h"
#include "counters.h"
#include "ha.h"
#include "log.h"
#include "notify.h"
#include "wire.h"

#define NTP_UNIX_OFFSET 2208988800u

/* The home agent whose binding timers fire (one per process). */
static struct mip_ha *ha_active;

/* One request being processed. */
struct ha_req {
	const uint8_t *msg;
	const struct mip_pkt_info *pi;
	struct mip_reg_request rq;
	const struct conf_node *cn;
	struct mip_node *node;          /* set once the request is authenticated */
	const struct conf_sa *sa;       /* SA that authenticates the reply */
	const struct conf_peer *peer;   /* foreign agent sharing an SA, or NULL */
	const struct conf_sa *peer_sa;
	bool authenticated;
	uint64_t now_ms;                /* monotonic time of the request, 0: not read yet */
};

/* The monotonic time of request @r, read once per request. */
static uint64_t ha_req_now(struct mip_ha *ha, struct ha_req *r)
{
	if (!r->now_ms)
		r->now_ms = ha->mono_now();
	return r->now_ms;
}

uint64_t mip_ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec + NTP_UNIX_OFFSET) << 32 |
	       (uint64_t)(((uint64_t)ts.tv_nsec << 32) / 1000000000u);
}

static bool is_dereg(const struct mip_reg_request *rq)
{
	return rq->lifetime == 0 || rq->coa.s_addr == rq->hoa.s_addr;
}

static const char *ip(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void ha_violation(struct ha_req *r, enum mip_violation_reason reason, uint32_t spi)
{
	struct mip_event ev = {
		.type = MIP_EV_SEC_VIOLATION, .hoa = r->rq.hoa, .coa = r->rq.coa,
		.peer = r->pi->src, .spi = spi, .id = r->rq.id, .reason = reason,
	};

	mip_count(MIP_CTR_SEC_TOTAL_VIOLATIONS);
	notify(&ev);
}

static enum mip_counter code_counter(uint8_t code)
{
	switch (code) {
	case MIP_CODE_ACCEPTED: return MIP_CTR_HA_REG_ACCEPTED;
	case MIP_CODE_ACCEPTED_NO_SIMUL: return MIP_CTR_HA_MULTI_BINDING_UNSUPPORTED;
	case MIP_CODE_HA_PROHIBITED: return MIP_CTR_HA_ADM_PROHIBITED;
	case MIP_CODE_HA_RESOURCES: return MIP_CTR_HA_INSUFFICIENT_RESOURCE;
	case MIP_CODE_HA_MN_AUTH: return MIP_CTR_HA_MN_AUTH_FAILURE;
	case MIP_CODE_HA_FA_AUTH: return MIP_CTR_HA_FA_AUTH_FAILURE;
	case MIP_CODE_HA_ID_MISMATCH: return MIP_CTR_HA_ID_MISMATCH;
	case MIP_CODE_HA_POOR_REQUEST: return MIP_CTR_HA_POORLY_FORMED;
	case MIP_CODE_HA_TOO_MANY_BINDINGS: return MIP_CTR_HA_TOO_MANY_BINDINGS;
	case MIP_CODE_HA_UNKNOWN_HA: return MIP_CTR_HA_UNKNOWN_HA;
	case MIP_CODE_HA_REVTUN_UNAVAIL:
	case MIP_CODE_HA_REVTUN_MANDATORY:
	case MIP_CODE_HA_ENCAPS: return MIP_CTR_HA_DENIED_OTHER;
	default: return MIP_CTR_HA_REASON_UNSPECIFIED;
	}
}

/* A new nonce for the high-order bits of the reply (RFC 5944 §5.7.2). */
static uint32_t ha_new_nonce(struct mip_node *n)
{
	uint32_t v;

	if (mip_random(&v, sizeof(v)) < 0)
		v = (uint32_t)mip_ntp_now() ^ (n->nonce * 2654435761u);
	n->nonce = v;
	n->nonce_valid = true;
	return v;
}

/* The Identification of a reply (RFC 5944 §5.7): the low-order 32 bits always
 * come from the request. */
static uint64_t ha_reply_id(struct mip_ha *ha, struct ha_req *r, uint8_t code)
{
	uint64_t low = r->rq.id & 0xffffffffu;

	if (r->sa->replay == MIP_REPLAY_NONCES) {
		/* only an authenticated request may move the node's nonce on */
		if (r->node && r->authenticated)
			return (uint64_t)ha_new_nonce(r->node) << 32 | low;
		if (r->node && r->node->nonce_valid)
			return (uint64_t)r->node->nonce << 32 | low;
		return r->rq.id;
	}
	if (code == MIP_CODE_HA_ID_MISMATCH)
		return (ha->ntp_now() & 0xffffffff00000000ull) | low;
	return r->rq.id;
}

static void ha_send_reply(struct mip_ha *ha, struct ha_req *r, uint8_t code, uint16_t lifetime)
{
	const struct conf_home_agent *hc = &ha->conf->ha;
	struct mip_reg_reply rp = {
		.code = code,
		.lifetime = mip_code_accepted(code) ? lifetime : 0,
		.hoa = r->rq.hoa,
		.ha = hc->address,      /* §3.8.3.2: our unicast address unless the request named it */
		.id = ha_reply_id(ha, r, code),
	};
	struct mip_pkt_info to = {
		.src = r->pi->dst, .dst = r->pi->src,
		.sport = r->pi->dport, .dport = r->pi->sport,
	};
	struct mip_buf *b = &ha->out;

	/* §3.8.3.1: a request to a broadcast or multicast address is answered
	 * from our unicast address */
	if (!r->pi->unicast || code == MIP_CODE_HA_UNKNOWN_HA)
		to.src = hc->address;
	mip_buf_reset(b);
	mip_build_reply(b, &rp);
	if (r->rq.ext.nai)      /* RFC 2794 §3: a request's NAI comes back in the reply */
		mip_build_nai(b, r->rq.ext.nai, r->rq.ext.nai_len);
	mip_auth_append(b, MIP_EXT_MN_HA, 0, r->sa->spi, r->sa->alg, r->sa->key, r->sa->keylen);
	/* §3.8.3.3 e / §3.5.4: FA-HA for a foreign agent sharing an SA, never on deregistration */
	if (r->peer && r->peer_sa && !is_dereg(&r->rq))
		mip_auth_append(b, MIP_EXT_FA_HA, 0, r->peer_sa->spi, r->peer_sa->alg,
				r->peer_sa->key, r->peer_sa->keylen);
	if (!mip_buf_ok(b)) {
		log_warnx("reg", "cannot build the reply");
		return;
	}
	if (ha->io.send(ha->io.ctx, &to, b->data, b->len) == 0)
		mip_count(r->rq.lifetime == 0 ? MIP_CTR_HA_DEREG_REPLIES : MIP_CTR_HA_REG_REPLIES);
}

/* Count, log and answer a request. */
static void ha_reply(struct mip_ha *ha, struct ha_req *r, uint8_t code, uint16_t lifetime)
{
	char a[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];

	mip_count(code_counter(code));
	if (r->node) {
		if (mip_code_accepted(code)) {
			r->node->ctr.accepted++;
			r->node->ctr.recent_accepted_ms = ha_req_now(ha, r);
		} else {
			r->node->ctr.denied++;
			r->node->ctr.recent_denied_ms = ha_req_now(ha, r);
			r->node->ctr.recent_denied_code = code;
		}
	}
	/* the addresses are formatted only for a line that will be written */
	if (mip_code_accepted(code)) {
		if (log_debug_enabled("reg"))
			log_debug("reg", "accepted %s care-of %s lifetime %u", ip(r->rq.hoa, a),
				  ip(r->rq.coa, c), lifetime);
	} else if (log_get_level() >= LOG_LVL_INFO) {
		log_flood(LOG_LVL_INFO, "reg", "denied %s care-of %s: %u %s", ip(r->rq.hoa, a),
			  ip(r->rq.coa, c), code, mip_code_str(code));
	}
	ha_send_reply(ha, r, code, lifetime);
}

static void ha_event(enum mip_event_type type, const struct mip_binding *b)
{
	struct mip_event ev = {
		.type = type, .hoa = b->node->hoa, .coa = b->coa, .peer = b->src,
		.port = b->src_port, .id = b->id, .lifetime = b->lifetime, .flags = b->flags,
	};

	notify(&ev);
}

/* Account the service time of @b up to @now (haOverallServiceTime). */
static void ha_account(struct mip_binding *b, uint64_t now)
{
	if (now > b->granted_ms)
		b->node->ctr.service_time += (uint32_t)((now - b->granted_ms) / 1000);
	b->granted_ms = now;
}

static void ha_binding_remove(struct mip_ha *ha, struct mip_binding *b, enum mip_event_type why)
{
	timer_cancel(ha->timers, &b->expiry);
	ha_account(b, ha->mono_now());
	ha_event(why, b);
	binding_del(&ha->bindings, b);
}

/* The expiry timer fired; a renewal may have moved the end of the binding
 * on since the timer was armed (ha_arm): then it waits for the new end. */
static void ha_binding_expired(struct mip_timer *t)
{
	struct mip_binding *b = container_of(t, struct mip_binding, expiry);
	uint64_t end = b->granted_ms + (uint64_t)b->lifetime * 1000;

	if (b->lifetime != MIP_LIFETIME_INFINITE && end > t->when &&
	    timer_schedule(ha_active->timers, t, end) == 0)
		return;
	mip_count(MIP_CTR_HA_BINDINGS_EXPIRED);
	ha_binding_remove(ha_active, b, MIP_EV_BINDING_EXPIRED);
}

/* Arm @b's expiry for @when.  A renewal moves the end later: the timer then
 * stays where it is and moves on when it fires, so re-registrations cost no
 * heap work (a binding is re-armed at most once per lifetime). */
static int ha_arm(struct mip_ha *ha, struct mip_binding *b, uint64_t when)
{
	if (timer_pending(&b->expiry) && b->expiry.when <= when)
		return 0;
	return timer_schedule(ha->timers, &b->expiry, when);
}

static unsigned node_max_lifetime(const struct conf_home_agent *hc, const struct conf_node *cn)
{
	return cn->max_lifetime ? cn->max_lifetime : hc->max_lifetime;
}

static unsigned node_max_bindings(const struct conf_home_agent *hc, const struct conf_node *cn)
{
	return cn->max_bindings ? cn->max_bindings : hc->max_bindings;
}

/* §3.8.2.1 a: the Mobile-Home authentication.  Returns true to go on. */
static bool ha_check_mn_auth(struct mip_ha *ha, struct ha_req *r)
{
	const struct mip_ext_auth *e = &r->rq.ext.mn_ha;

	if (!e->present) {
		/* no authorization-enabling extension: silently discard */
		ha_violation(r, MIP_VIOL_MISSING_EXT, 0);
		mip_count(MIP_CTR_HA_DISCARDED);
		return false;
	}
	r->sa = conf_find_sa(r->cn->sas, r->cn->n_sas, e->spi);
	if (!r->sa) {
		/* answer with an SA the node is likely to have (§3.8.2.1 a) */
		r->sa = &r->cn->sas[0];
		ha_violation(r, MIP_VIOL_BAD_SPI, e->spi);
		ha_reply(ha, r, MIP_CODE_HA_MN_AUTH, 0);
		return false;
	}
	if (!mip_auth_verify(r->sa->alg, r->sa->key, r->sa->keylen, r->msg, e)) {
		ha_violation(r, MIP_VIOL_BAD_AUTHENTICATOR, e->spi);
		ha_reply(ha, r, MIP_CODE_HA_MN_AUTH, 0);
		return false;
	}
	return true;
}

/* §5.7: is the Identification fresh under the SA's replay method? */
static bool ha_id_valid(struct mip_ha *ha, const struct ha_req *r)
{
	uint32_t high = (uint32_t)(r->rq.id >> 32);

	if (r->sa->replay == MIP_REPLAY_NONCES)
		return r->node->nonce_valid && high == r->node->nonce;
	{
		uint32_t now = (uint32_t)(ha->ntp_now() >> 32);
		uint32_t diff = high > now ? high - now : now - high;

		return diff <= r->sa->tolerance && r->rq.id > r->node->last_id;
	}
}

/* A foreign agent sharing an SA with us relayed the request: every reply to
 * it carries a Foreign-Home extension (§3.8.1, §3.8.3.3 e), made with the SA
 * the request named if we have it, else the peer's first. */
static void ha_find_peer(struct mip_ha *ha, struct ha_req *r)
{
	const struct mip_ext_auth *e = &r->rq.ext.fa_ha;

	r->peer = conf_find_peer(ha->conf, r->pi->src);
	if (!r->peer)
		return;
	if (e->present)
		r->peer_sa = conf_find_sa(r->peer->sas, r->peer->n_sas, e->spi);
	if (!r->peer_sa)
		r->peer_sa = &r->peer->sas[0];
}

/* §3.8.2.1 c, d: the Foreign-Home authentication.  Returns true to go on. */
static bool ha_check_fa_auth(struct mip_ha *ha, struct ha_req *r)
{
	const struct mip_ext_auth *e = &r->rq.ext.fa_ha;

	if (!r->peer) {
		if (r->rq.ext.n_fa_ha) {
			ha_violation(r, MIP_VIOL_NO_SA, e->spi);
			mip_count(MIP_CTR_HA_DISCARDED);
			return false;
		}
		return true;
	}
	if (r->rq.lifetime == 0)
		return true;    /* the FA-HA check MAY be skipped on deregistration */
	{
		const struct conf_sa *sa = e->present ?
			conf_find_sa(r->peer->sas, r->peer->n_sas, e->spi) : NULL;

		if (r->rq.ext.n_fa_ha != 1 || !sa ||
		    !mip_auth_verify(sa->alg, sa->key, sa->keylen, r->msg, e)) {
			ha_violation(r, !e->present ? MIP_VIOL_MISSING_EXT :
					!sa ? MIP_VIOL_BAD_SPI : MIP_VIOL_BAD_AUTHENTICATOR, e->spi);
			ha_reply(ha, r, MIP_CODE_HA_FA_AUTH, 0);
			return false;
		}
	}
	return true;
}

static bool is_home_broadcast(const struct conf_home_agent *hc, struct in_addr dst)
{
	uint32_t mask = hc->home_network.len ? ~0u << (32 - hc->home_network.len) : 0;
	uint32_t bcast = ntohl(hc->home_network.addr.s_addr) | ~mask;

	return net_is_broadcast_or_multicast(dst) || ntohl(dst.s_addr) == bcast;
}

/* Policy after authentication; returns a denial code or 0. */
static uint8_t ha_policy(struct mip_ha *ha, const struct ha_req *r)
{
	const struct conf_home_agent *hc = &ha->conf->ha;
	const struct mip_reg_request *rq = &r->rq;
	uint8_t f = rq->flags;

	if (!r->pi->unicast || is_home_broadcast(hc, r->pi->dst) ||
	    rq->ha.s_addr != hc->address.s_addr)
		return MIP_CODE_HA_UNKNOWN_HA;
	if (r->cn->nai && rq->ext.nai &&
	    (strlen(r->cn->nai) != rq->ext.nai_len || memcmp(r->cn->nai, rq->ext.nai, rq->ext.nai_len)))
		return MIP_CODE_HA_PROHIBITED;
	if (is_dereg(rq))
		return 0;
	if (rq->coa.s_addr == INADDR_ANY || net_is_broadcast_or_multicast(rq->coa))
		return MIP_CODE_HA_POOR_REQUEST;
	if (!r->cn->roam)
		return MIP_CODE_HA_PROHIBITED;
	for (size_t i = 0; i < hc->n_access; i++)
		if (conf_prefix_contains(&hc->access[i].net, rq->coa)) {
			if (!hc->access[i].permit)
				return MIP_CODE_HA_PROHIBITED;
			goto access_ok;
		}
	if (!hc->access_default_permit)
		return MIP_CODE_HA_PROHIBITED;
access_ok:
	if ((f & MIP_RRQ_D) && !hc->collocated)
		return MIP_CODE_HA_PROHIBITED;
	if (((f & MIP_RRQ_M) && (f & MIP_RRQ_G)) || ((f & MIP_RRQ_M) && !hc->encaps_minimal) ||
	    ((f & MIP_RRQ_G) && !hc->encaps_gre))
		return MIP_CODE_HA_ENCAPS;
	if ((f & MIP_RRQ_T) && !hc->reverse_tunnel)
		return MIP_CODE_HA_REVTUN_UNAVAIL;
	if (!(f & MIP_RRQ_T) && hc->reverse_tunnel_required)
		return MIP_CODE_HA_REVTUN_MANDATORY;
	if (!binding_find(r->node, rq->coa)) {
		bool simul = (f & MIP_RRQ_S) && node_max_bindings(hc, r->cn) > 1;

		if (simul && r->node->n_bindings >= node_max_bindings(hc, r->cn))
			return MIP_CODE_HA_TOO_MANY_BINDINGS;
		if (hc->max_total_bindings && ha->bindings.count >= hc->max_total_bindings &&
		    !(r->node->n_bindings && !simul))
			return MIP_CODE_HA_RESOURCES;
	}
	return 0;
}

/* §3.8.2.2: code 1 when simultaneous bindings were asked for but are not
 * available to this node. */
static uint8_t ha_accept_code(const struct mip_ha *ha, const struct ha_req *r)
{
	if ((r->rq.flags & MIP_RRQ_S) && node_max_bindings(&ha->conf->ha, r->cn) <= 1)
		return MIP_CODE_ACCEPTED_NO_SIMUL;
	return MIP_CODE_ACCEPTED;
}

/* A request equal in home address, care-of address and Identification to an
 * accepted current one: answered again without extending its lifetime. */
static struct mip_binding *ha_duplicate(const struct ha_req *r)
{
	struct mip_binding *b;

	if (is_dereg(&r->rq))
		return NULL;
	b = binding_find(r->node, r->rq.coa);
	return b && b->id == r->rq.id ? b : NULL;
}

static void ha_remove_all(struct mip_ha *ha, struct mip_node *n, struct mip_binding *keep)
{
	struct mip_binding *b = n->bindings, *next;

	for (; b; b = next) {
		next = b->next;
		if (b != keep)
			ha_binding_remove(ha, b, MIP_EV_BINDING_REMOVED);
	}
}

static void ha_accept(struct mip_ha *ha, struct ha_req *r)
{
	const struct conf_home_agent *hc = &ha->conf->ha;
	const struct mip_reg_request *rq = &r->rq;
	unsigned max = node_max_lifetime(hc, r->cn);
	uint16_t granted = rq->lifetime > max ? (uint16_t)max : rq->lifetime;
	bool simul = (rq->flags & MIP_RRQ_S) && node_max_bindings(hc, r->cn) > 1;
	uint64_t now = ha_req_now(ha, r);
	struct mip_binding *b;
	bool fresh = false;

	if (r->sa->replay == MIP_REPLAY_TIMESTAMPS && rq->id > r->node->last_id)
		r->node->last_id = rq->id;
	if (is_dereg(rq)) {
		if (rq->coa.s_addr == rq->hoa.s_addr)
			ha_remove_all(ha, r->node, NULL);
		else if ((b = binding_find(r->node, rq->coa)))
			ha_binding_remove(ha, b, MIP_EV_BINDING_REMOVED);
		ha_reply(ha, r, MIP_CODE_ACCEPTED, 0);
		return;
	}
	b = binding_find(r->node, rq->coa);
	if (!simul)
		ha_remove_all(ha, r->node, b);
	if (b) {
		ha_account(b, now);
	} else if ((b = binding_add(&ha->bindings, r->node, rq->coa))) {
		fresh = true;
		timer_init(&b->expiry, ha_binding_expired);
	} else {
		ha_reply(ha, r, MIP_CODE_HA_RESOURCES, 0);
		return;
	}
	b->src = r->pi->src;
	b->src_port = r->pi->sport;
	b->id = rq->id;
	b->flags = rq->flags;
	b->lifetime = granted;
	b->granted_ms = now;
	if (granted == MIP_LIFETIME_INFINITE) {
		timer_cancel(ha->timers, &b->expiry);
	} else if (ha_arm(ha, b, now + (uint64_t)granted * 1000) < 0) {
		ha_binding_remove(ha, b, MIP_EV_BINDING_REMOVED);
		ha_reply(ha, r, MIP_CODE_HA_RESOURCES, 0);
		return;
	}
	ha_event(fresh ? MIP_EV_BINDING_ADDED : MIP_EV_BINDING_RENEWED, b);
	ha_reply(ha, r, ha_accept_code(ha, r), granted);
}

void ha_handle_request(struct mip_ha *ha, const uint8_t *p, size_t len,
		       const struct mip_pkt_info *pi)
{
	struct ha_req r = { .msg = p, .pi = pi };
	enum mip_parse_result pr = mip_parse_request(p, len, &r.rq);
	struct mip_binding *dup;
	char a[INET_ADDRSTRLEN];
	uint8_t code;

	if (pr == MIP_PARSE_SHORT || pr == MIP_PARSE_UNKNOWN_EXT) {
		log_debug("reg", "discarded a request from %s: %s", ip(pi->src, a),
			  pr == MIP_PARSE_SHORT ? "too short or not a request"
						: "unrecognised non-skippable extension");
		mip_count(MIP_CTR_HA_DISCARDED);
		return;
	}
	mip_count(r.rq.lifetime == 0 ? MIP_CTR_HA_DEREG_REQUESTS : MIP_CTR_HA_REG_REQUESTS);
	ha_find_peer(ha, &r);
	r.cn = conf_find_node(&ha->conf->ha, r.rq.hoa);
	if (!r.cn) {
		/* no security association with this node: silently discard */
		ha_violation(&r, MIP_VIOL_NO_SA, r.rq.ext.mn_ha.spi);
		mip_count(MIP_CTR_HA_DISCARDED);
		return;
	}
	if (pr == MIP_PARSE_MALFORMED) {
		r.sa = &r.cn->sas[0];
		r.node = node_find(&ha->nodes, r.rq.hoa);
		ha_reply(ha, &r, MIP_CODE_HA_POOR_REQUEST, 0);
		return;
	}
	if (!ha_check_mn_auth(ha, &r))
		return;
	r.authenticated = true;
	r.node = node_get(&ha->nodes, r.rq.hoa, r.cn);
	if (!r.node) {
		ha_reply(ha, &r, MIP_CODE_HA_RESOURCES, 0);
		return;
	}
	dup = ha_duplicate(&r);
	if (!dup && !ha_id_valid(ha, &r)) {
		ha_violation(&r, MIP_VIOL_BAD_ID, r.sa->spi);
		ha_reply(ha, &r, MIP_CODE_HA_ID_MISMATCH, 0);
		return;
	}
	if (!ha_check_fa_auth(ha, &r))
		return;
	if (dup) {
		uint32_t left = binding_remaining(dup, ha_req_now(ha, &r));

		ha_reply(ha, &r, ha_accept_code(ha, &r),
			 (uint16_t)(left < r.rq.lifetime ? left : r.rq.lifetime));
		return;
	}
	code = ha_policy(ha, &r);
	if (code) {
		ha_reply(ha, &r, code, 0);
		return;
	}
	ha_accept(ha, &r);
}

int ha_restore_binding(struct mip_ha *ha, const struct ha_saved *s)
{
	const struct conf_node *cn = conf_find_node(&ha->conf->ha, s->hoa);
	uint64_t now = ha->mono_now();
	struct mip_node *n;
	struct mip_binding *b;

	if (!cn || !(n = node_get(&ha->nodes, s->hoa, cn)))
		return -1;
	if (binding_find(n, s->coa) || !(b = binding_add(&ha->bindings, n, s->coa)))
		return -1;
	timer_init(&b->expiry, ha_binding_expired);
	b->src = s->src;
	b->src_port = s->src_port;
	b->id = s->id;
	b->flags = s->flags;
	b->lifetime = s->lifetime;
	if (s->lifetime != MIP_LIFETIME_INFINITE) {
		uint64_t used = (uint64_t)s->lifetime * 1000 > s->remaining_ms ?
				(uint64_t)s->lifetime * 1000 - s->remaining_ms : 0;

		b->granted_ms = now > used ? now - used : 0;
		if (timer_schedule(ha->timers, &b->expiry, now + s->remaining_ms) < 0) {
			binding_del(&ha->bindings, b);
			return -1;
		}
	} else {
		b->granted_ms = now;
	}
	if (s->id > n->last_id)
		n->last_id = s->id;
	ha_event(MIP_EV_BINDING_ADDED, b);
	return 0;
}

size_t ha_clear_bindings(struct mip_ha *ha, struct in_addr hoa)
{
	size_t before = ha->bindings.count;

	if (hoa.s_addr != INADDR_ANY) {
		struct mip_node *n = node_find(&ha->nodes, hoa);

		if (n)
			ha_remove_all(ha, n, NULL);
	} else {
		struct mip_binding *b;

		while ((b = binding_first(&ha->bindings)))
			ha_binding_remove(ha, b, MIP_EV_BINDING_REMOVED);
	}
	return before - ha->bindings.count;
}

int ha_init(struct mip_ha *ha, const struct conf *c, struct timer_heap *timers,
	    const struct mip_io_ops *io)
{
	memset(ha, 0, sizeof(*ha));
	ha->conf = c;
	ha->timers = timers;
	ha->io = *io;
	ha->ntp_now = mip_ntp_now;
	ha->mono_now = mip_now_ms;
	binding_table_init(&ha->bindings);
	if (node_table_init(&ha->nodes) < 0 || mip_buf_init(&ha->out, 256) < 0) {
		node_table_free(&ha->nodes);
		return -1;
	}
	ha_active = ha;
	return 0;
}

void ha_free(struct mip_ha *ha)
{
	struct mip_binding *b;

	while ((b = binding_first(&ha->bindings))) {
		timer_cancel(ha->timers, &b->expiry);
		binding_del(&ha->bindings, b);
	}
	node_table_free(&ha->nodes);
	mip_buf_free(&ha->out);
	if (ha_active == ha)
		ha_active = NULL;
}
