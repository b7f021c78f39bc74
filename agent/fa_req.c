/* Foreign agent: Registration Requests from mobile nodes (RFC 5944 §3.7.2,
 * RFC 3024 §4.2.1, RFC 2794 §3).  The validity checks run in the RFC's
 * order: §3.7.2.1 (poorly formed 70, care-of address 77, Mobile-Foreign
 * authentication 67), then policy (65, 69, 72, 73), reverse tunnelling in
 * RFC 3024's order (75, 76, and 74 last; both delivery styles are
 * supported, so never 79), then resources (66).  A valid
 * request is relayed to its home agent from the care-of address with a
 * Foreign-Home extension when we share an SA with the home agent. */
#include "config.h"
#include <string.h>
#include <arpa/inet.h>
#include "adv.h"
#include "auth.h"
#include "counters.h"
#include "fa_int.h"
#include "fa_msg.h"
#include "ifaddr.h"
#include "log.h"
#include "notify.h"

/* One request being processed; @pe describes it (and its sender) the way a
 * pending entry would, and becomes one when the request is relayed. */
struct fa_req {
	const uint8_t *msg;
	size_t len;
	const struct mip_pkt_info *pi;
	const struct fa_iface *ifc;
	struct mip_reg_request rq;
	enum mip_parse_result pr;
	struct fa_pending pe;
	struct fa_seen seen;
	bool have_seen;
};

static bool is_dereg(const struct mip_reg_request *rq)
{
	return rq->lifetime == 0;
}

/* §3.7.2: not more than one such denial per second to the same node. */
static bool fa_deny_allowed(struct mip_fa *fa, struct in_addr who, uint8_t code)
{
	uint64_t now = fa->mono_now();

	for (unsigned i = 0; i < FA_DENY_CACHE; i++)
		if (fa->denied[i].ms && fa->denied[i].who.s_addr == who.s_addr &&
		    fa->denied[i].code == code && now - fa->denied[i].ms < FA_DENY_INTERVAL_MS)
			return false;
	fa->denied[fa->denied_next].who = who;
	fa->denied[fa->denied_next].code = code;
	fa->denied[fa->denied_next].ms = now ? now : 1;
	fa->denied_next = (fa->denied_next + 1) % FA_DENY_CACHE;
	return true;
}

void fa_deny(struct mip_fa *fa, const struct fa_pending *pe, uint8_t code, uint16_t lifetime)
{
	struct mip_reg_reply rp = {
		.code = code, .lifetime = lifetime, .hoa = pe->key.hoa, .ha = pe->key.ha, .id = pe->id,
	};
	struct mip_buf *b = &fa->out;
	char h[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN];

	fa_count_code(code);
	log_flood(LOG_LVL_INFO, "fa", "denied %s (home agent %s): %u %s", fa_ntoa(pe->key.hoa, h),
		  fa_ntoa(pe->key.ha, a), code, mip_code_str(code));
	if (!fa_deny_allowed(fa, pe->key.hoa.s_addr ? pe->key.hoa : pe->src, code)) {
		log_debug("fa", "denial %u to %s not sent: one per second", code, h);
		return;
	}
	mip_buf_reset(b);
	mip_build_reply(b, &rp);
	if (pe->key.nai_len)
		mip_build_nai(b, pe->key.nai, pe->key.nai_len);
	if (pe->mn) {
		const struct conf_sa *sa = pe->mn_sa ? pe->mn_sa : &pe->mn->sas[0];

		mip_auth_append(b, MIP_EXT_MN_FA, 0, sa->spi, sa->alg, sa->key, sa->keylen);
	}
	if (!mip_buf_ok(b)) {
		log_warnx("fa", "cannot build a reply");
		return;
	}
	fa_send_to_mn(fa, pe, b->data, b->len);
}

static void fa_violation(struct fa_req *r, enum mip_violation_reason why, uint32_t spi)
{
	struct mip_event ev = {
		.type = MIP_EV_SEC_VIOLATION, .hoa = r->rq.hoa, .coa = r->rq.coa, .peer = r->pi->src,
		.spi = spi, .id = r->rq.id, .reason = why,
	};

	mip_count(MIP_CTR_SEC_TOTAL_VIOLATIONS);
	notify(&ev);
}

/* Is @coa offered on the request's interface now? */
static bool fa_coa_offered(struct mip_fa *fa, const struct fa_iface *ifc, struct in_addr coa)
{
	if (fa->adv)
		return adv_coa_offered(fa->adv, ifc->ifindex, coa);
	for (size_t i = 0; i < ifc->conf->n_coas; i++)
		if (ifc->conf->coas[i].addr.s_addr == coa.s_addr)
			return true;
	return false;
}

/* §3.7.2.2: the relayed request comes from the care-of address offered to
 * the node (for a co-located one, the first we offer on its link). */
static struct in_addr fa_relay_source(struct mip_fa *fa, const struct fa_req *r)
{
	if (fa_coa_offered(fa, r->ifc, r->rq.coa))
		return r->rq.coa;
	for (size_t i = 0; i < r->ifc->conf->n_coas; i++)
		if (fa_coa_offered(fa, r->ifc, r->ifc->conf->coas[i].addr))
			return r->ifc->conf->coas[i].addr;
	return r->pe.local;
}

/* Our address on the node's link: where it sent the request, unless it was
 * a multicast or broadcast address (§3.7.2.3). */
static struct in_addr fa_local_address(struct mip_fa *fa, const struct fa_req *r)
{
	const struct ifaddr_entry *e;

	if (r->pi->unicast || !fa->adv)
		return r->pi->dst;
	e = ifaddr_primary(adv_ifaddrs(fa->adv), r->ifc->conf->name);
	return e ? e->addr : r->pi->dst;
}

static void fa_req_describe(struct mip_fa *fa, struct fa_req *r)
{
	struct fa_pending *pe = &r->pe;

	pe->fa = fa;
	pe->key.hoa = r->rq.hoa;
	pe->key.ha = r->rq.ha;
	pe->key.id_low = (uint32_t)r->rq.id;
	if (r->rq.ext.nai && r->rq.ext.nai_len <= FA_NAI_MAX) {
		pe->key.nai_len = (uint8_t)r->rq.ext.nai_len;
		memcpy(pe->key.nai, r->rq.ext.nai, r->rq.ext.nai_len);
	}
	pe->coa = r->rq.coa;
	pe->id = r->rq.id;
	pe->flags = r->rq.flags;
	pe->lifetime = r->rq.lifetime;
	pe->src = r->pi->src;
	pe->sport = r->pi->sport;
	pe->ifindex = r->pi->ifindex;
	pe->local = fa_local_address(fa, r);
	pe->edeliv = fa_msg_has_ext(r->msg, r->len, MIP_RRQ_FIXED_LEN, FA_EXT_ENCAP_DELIVERY) > 0;
	r->have_seen = fa_link_lookup(fa->link, r->pi->ifindex, r->pi->src, r->pi->sport, &r->seen);
	if (r->have_seen) {
		memcpy(pe->mac, r->seen.mac, 6);
		pe->have_mac = true;
	}
}

/* §3.7.2.1, RFC 3024 §3.3: structure; returns 70 or 0. */
static uint8_t fa_check_form(const struct fa_req *r)
{
	const struct mip_reg_request *rq = &r->rq;
	int edsx = fa_msg_has_ext(r->msg, r->len, MIP_RRQ_FIXED_LEN, FA_EXT_ENCAP_DELIVERY);

	if (r->pr == MIP_PARSE_MALFORMED || edsx < 0)
		return MIP_CODE_FA_POOR_REQUEST;
	if (fa_msg_auth_end(&rq->ext) == 0)             /* no authorization-enabling extension */
		return MIP_CODE_FA_POOR_REQUEST;
	if (rq->hoa.s_addr == INADDR_ANY && !rq->ext.nai)   /* RFC 2794 */
		return MIP_CODE_FA_POOR_REQUEST;
	if (rq->ext.nai && rq->ext.nai_len > FA_NAI_MAX)
		return MIP_CODE_FA_POOR_REQUEST;
	if (edsx > 0 && !(rq->flags & MIP_RRQ_T))          /* RFC 3024 §3.3 */
		return MIP_CODE_FA_POOR_REQUEST;
	if (!is_dereg(rq) && !(rq->flags & MIP_RRQ_D) &&
	    (rq->coa.s_addr == INADDR_ANY || net_is_broadcast_or_multicast(rq->coa)))
		return MIP_CODE_FA_POOR_REQUEST;
	return 0;
}

/* §3.7.2.1: the Mobile-Foreign authentication when we share an SA with
 * the node; false (after the 67 reply) when it fails. */
static bool fa_check_mn_auth(struct mip_fa *fa, struct fa_req *r)
{
	const struct conf_visitor *v = conf_find_visitor(fa->fc, r->rq.hoa, r->rq.ext.nai,
							 r->rq.ext.nai_len);
	const struct mip_ext_auth *e = &r->rq.ext.mn_fa;
	const struct conf_sa *sa;

	r->pe.mn = v;
	if (!v)
		return true;
	sa = e->present ? conf_find_sa(v->sas, v->n_sas, e->spi) : NULL;
	if (r->rq.ext.n_mn_fa != 1 || !sa || !mip_auth_verify(sa->alg, sa->key, sa->keylen, r->msg, e)) {
		fa_violation(r, !e->present || r->rq.ext.n_mn_fa != 1 ? MIP_VIOL_MISSING_EXT :
				!sa ? MIP_VIOL_BAD_SPI : MIP_VIOL_BAD_AUTHENTICATOR, e->spi);
		fa_deny(fa, &r->pe, MIP_CODE_FA_MN_AUTH, r->rq.lifetime);
		return false;
	}
	r->pe.mn_sa = sa;
	return true;
}

static bool fa_ha_permitted(const struct conf_foreign_agent *fc, struct in_addr ha)
{
	for (size_t i = 0; i < fc->n_ha_access; i++)
		if (conf_prefix_contains(&fc->ha_access[i].net, ha))
			return fc->ha_access[i].permit;
	return fc->ha_access_default_permit;
}

/* Policy, reverse tunnelling and resources; returns a denial code or 0. */
static uint8_t fa_policy(struct mip_fa *fa, const struct fa_req *r)
{
	const struct conf_foreign_agent *fc = fa->fc;
	const struct mip_reg_request *rq = &r->rq;
	uint8_t f = rq->flags;
	bool t = f & MIP_RRQ_T;

	if (!fa_ha_permitted(fc, rq->ha))
		return MIP_CODE_FA_PROHIBITED;
	if (rq->lifetime > r->ifc->conf->max_lifetime)
		return MIP_CODE_FA_LIFETIME;
	if (((f & MIP_RRQ_M) && (f & MIP_RRQ_G)) || ((f & MIP_RRQ_M) && !fc->encaps_minimal) ||
	    ((f & MIP_RRQ_G) && !fc->encaps_gre))
		return MIP_CODE_FA_ENCAPS;
	if (f & MIP_RRQ_r)      /* RFC 2002's V bit: Van Jacobson compression */
		return MIP_CODE_FA_VJ;
	/* RFC 3024 §4.2.1.  The Encapsulating Delivery Style (T set, checked by
	 * fa_check_form()) is supported whenever reverse tunnelling is (74
	 * below); 79 is never needed. */
	if (!t && fc->reverse_tunnel_required && !is_dereg(rq))
		return MIP_CODE_FA_REVTUN_MANDATORY;
	if (t && r->have_seen && r->seen.ttl != 255)
		return MIP_CODE_FA_TOO_DISTANT;
	if (t && !fc->reverse_tunnel)
		return MIP_CODE_FA_REVTUN_UNAVAIL;
	/* resources: pending requests of the node, the interface's visitor limit (B bit) */
	if (!fa_pending_find(fa, &r->pe.key) && fa_pending_of_node(fa, &r->pe.key) >= fc->max_pending)
		return MIP_CODE_FA_RESOURCES;
	if (!is_dereg(rq) && fa_iface_busy(r->ifc) &&
	    !fa_visitor_find(fa, rq->hoa, rq->ha, r->ifc->ifindex))
		return MIP_CODE_FA_RESOURCES;
	return 0;
}

/* §3.7.2.2: record the pending request and relay it. */
static void fa_relay(struct mip_fa *fa, struct fa_req *r)
{
	struct fa_pending *p = fa_pending_find(fa, &r->pe.key);
	const struct conf_peer *peer = conf_find_peer(fa->c, r->rq.ha);
	size_t keep = fa_msg_auth_end(&r->rq.ext);
	struct mip_pkt_info to = { .dst = r->rq.ha, .sport = MIP_UDP_PORT, .dport = MIP_UDP_PORT };
	struct mip_buf *b = &fa->out;
	uint64_t wait;
	char h[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];
	int rc;

	if (!p && !(p = fa_pending_new(fa, &r->pe.key))) {
		fa_deny(fa, &r->pe, MIP_CODE_FA_RESOURCES, r->rq.lifetime);
		return;
	}
	/* a retransmission updates the entry (same key) */
	{
		struct fa_pending keep_hdr = *p;

		*p = r->pe;
		p->rb = keep_hdr.rb;
		p->timer = keep_hdr.timer;
		p->created_ms = keep_hdr.created_ms;
		p->state = keep_hdr.state;
	}
	p->peer_sa = peer ? &peer->sas[0] : NULL;
	/* process and remove what follows the authorization-enabling extension
	 * (MN-FA, Encapsulating Delivery Style, ...), then FA-HA (§3.7.2.2) */
	mip_buf_reset(b);
	mip_buf_put(b, r->msg, keep);
	if (p->peer_sa && !is_dereg(&r->rq))
		mip_auth_append(b, MIP_EXT_FA_HA, 0, p->peer_sa->spi, p->peer_sa->alg, p->peer_sa->key,
				p->peer_sa->keylen);
	if (!mip_buf_ok(b)) {
		fa_deny(fa, p, MIP_CODE_FA_UNSPECIFIED, r->rq.lifetime);
		fa_pending_end(p, "build-failed");
		return;
	}
	to.src = fa_relay_source(fa, r);
	rc = fa->io.to_ha(fa->io.ctx, &to, b->data, b->len);
	if (rc < 0) {
		uint8_t code = fa_msg_errno_code(-rc);

		log_info("fa", "cannot relay to home agent %s: %s", fa_ntoa(r->rq.ha, a), strerror(-rc));
		fa_deny(fa, p, code, r->rq.lifetime);
		fa_pending_end(p, "send-failed");
		return;
	}
	mip_count(MIP_CTR_FA_REG_RELAYED);
	wait = (uint64_t)fa->fc->pending_timeout * 1000;
	if (r->rq.lifetime && (uint64_t)r->rq.lifetime * 1000 < wait)
		wait = (uint64_t)r->rq.lifetime * 1000;
	timer_schedule(fa->timers, &p->timer, fa->mono_now() + wait);
	log_debug("fa", "relayed %s id %016llx to home agent %s from %s%s", fa_ntoa(r->rq.hoa, h),
		  (unsigned long long)r->rq.id, fa_ntoa(r->rq.ha, a), fa_ntoa(to.src, s),
		  p->peer_sa && !is_dereg(&r->rq) ? " with FA-HA" : "");
}

void fa_handle_request(struct mip_fa *fa, const uint8_t *p, size_t len, const struct mip_pkt_info *pi)
{
	struct fa_req r;
	char h[INET_ADDRSTRLEN];
	uint8_t code;

	memset(&r, 0, sizeof(r));
	r.msg = p;
	r.len = len;
	r.pi = pi;
	r.ifc = fa_iface(fa, pi->ifindex);
	r.pr = mip_parse_request(p, len, &r.rq);
	if (!r.ifc || r.pr == MIP_PARSE_SHORT || r.pr == MIP_PARSE_UNKNOWN_EXT) {
		/* §1.8: an unrecognised extension 0-127 discards the message */
		log_debug("fa", "discarded a request from %s: %s", fa_ntoa(pi->src, h),
			  r.pr == MIP_PARSE_UNKNOWN_EXT ? "unrecognised extension" : "too short");
		mip_count(MIP_CTR_FA_DISCARDED);
		return;
	}
	fa_req_describe(fa, &r);
	/* §3.7.2: a home agent address of ours is never relayed */
	if (fa->adv ? ifaddr_find(adv_ifaddrs(fa->adv), r.rq.ha) != NULL : false) {
		if (fa->ha_fn && fa->c->ha.enabled && r.rq.ha.s_addr == fa->c->ha.address.s_addr)
			fa->ha_fn(fa->ha_arg, p, len, pi);
		else
			fa_deny(fa, &r.pe, FA_CODE_INVALID_HA, r.rq.lifetime);
		return;
	}
	mip_count(MIP_CTR_FA_REG_REQUESTS);
	code = fa_check_form(&r);
	if (!code && !(r.rq.flags & MIP_RRQ_D) && !is_dereg(&r.rq) &&
	    !fa_coa_offered(fa, r.ifc, r.rq.coa))
		code = MIP_CODE_FA_BAD_COA;
	if (code) {
		fa_deny(fa, &r.pe, code, r.rq.lifetime);
		return;
	}
	if (!fa_check_mn_auth(fa, &r))
		return;
	code = fa_policy(fa, &r);
	if (code) {
		fa_deny(fa, &r.pe, code, code == MIP_CODE_FA_LIFETIME ?
			(uint16_t)r.ifc->conf->max_lifetime : r.rq.lifetime);
		return;
	}
	fa_relay(fa, &r);
}
