/* Foreign agent: Registration Replies from home agents (RFC 5944 §3.7.3),
 * ICMP errors about relayed requests (codes 80-88) and pending requests
 * that time out (code 78). */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <sys/socket.h>
#include "auth.h"
#include "counters.h"
#include "fa_int.h"
#include "fa_msg.h"
#include "log.h"
#include "notify.h"

static void fa_reply_violation(const struct mip_reg_reply *rp, struct in_addr from,
			       enum mip_violation_reason why, uint32_t spi)
{
	struct mip_event ev = {
		.type = MIP_EV_SEC_VIOLATION, .hoa = rp->hoa, .peer = from, .spi = spi, .id = rp->id,
		.reason = why,
	};

	mip_count(MIP_CTR_SEC_TOTAL_VIOLATIONS);
	notify(&ev);
}

/* §3.7.3.1: exactly one valid Foreign-Home extension when we share an SA
 * with the home agent and the reply grants a lifetime (or carries one). */
static bool fa_reply_fa_ha_ok(struct mip_fa *fa, const struct mip_reg_reply *rp, const uint8_t *p,
			      const struct mip_pkt_info *pi, const struct fa_pending *pe)
{
	const struct conf_peer *peer = conf_find_peer(fa->c, pi->src);
	const struct mip_ext_auth *e = &rp->ext.fa_ha;
	const struct conf_sa *sa;

	if (!peer)
		peer = conf_find_peer(fa->c, pe->key.ha);
	if (!peer || (rp->lifetime == 0 && rp->ext.n_fa_ha == 0))
		return true;
	sa = e->present ? conf_find_sa(peer->sas, peer->n_sas, e->spi) : NULL;
	if (rp->ext.n_fa_ha == 1 && sa && mip_auth_verify(sa->alg, sa->key, sa->keylen, p, e))
		return true;
	fa_reply_violation(rp, pi->src, rp->ext.n_fa_ha != 1 ? MIP_VIOL_MISSING_EXT :
			   !sa ? MIP_VIOL_BAD_SPI : MIP_VIOL_BAD_AUTHENTICATOR, e->spi);
	return false;
}

/* §3.7.3.2: the reply up to its Mobile-Home extension, then MN-FA. */
static int fa_reply_relay(struct mip_fa *fa, const struct fa_pending *pe, const struct mip_reg_reply *rp,
			  const uint8_t *p, size_t len)
{
	struct mip_buf *b = &fa->out;
	size_t keep = rp->ext.mn_ha.present ? fa_msg_auth_end(&rp->ext) :
		      fa_msg_fa_ha_start(&rp->ext, len);

	mip_buf_reset(b);
	mip_buf_put(b, p, keep);
	if (pe->mn) {
		const struct conf_sa *sa = pe->mn_sa ? pe->mn_sa : &pe->mn->sas[0];

		mip_auth_append(b, MIP_EXT_MN_FA, 0, sa->spi, sa->alg, sa->key, sa->keylen);
	}
	if (!mip_buf_ok(b))
		return -1;
	fa_send_to_mn(fa, pe, b->data, b->len);
	return 0;
}

static void fa_reply_update_visitors(struct mip_fa *fa, struct fa_pending *pe,
				     const struct mip_reg_reply *rp)
{
	const struct fa_iface *ifc = fa_iface(fa, pe->ifindex);
	unsigned max = ifc ? ifc->conf->max_lifetime : fa->fc->max_lifetime;
	struct fa_vupdate u = { .p = pe, .hoa = rp->hoa, .ha = rp->ha };

	if (!mip_code_accepted(rp->code))
		return;         /* §3.7.2: a denial leaves the visitor entry as it was */
	if (u.hoa.s_addr == INADDR_ANY)
		u.hoa = pe->key.hoa;
	if (rp->lifetime == 0) {
		fa_visitor_dereg(fa, u.hoa, u.ha, pe->ifindex);
		return;
	}
	/* §3.7.3.2: the smaller of the granted lifetime and our maximum */
	u.lifetime = rp->lifetime;
	if (rp->lifetime == MIP_LIFETIME_INFINITE ? max != MIP_LIFETIME_INFINITE : rp->lifetime > max)
		u.lifetime = (uint16_t)max;
	fa_visitor_accept(fa, &u);
}

void fa_handle_reply(struct mip_fa *fa, const uint8_t *p, size_t len, const struct mip_pkt_info *pi)
{
	struct mip_reg_reply rp;
	enum mip_parse_result pr = mip_parse_reply(p, len, &rp);
	struct fa_pending *pe;
	char h[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];

	if (pr == MIP_PARSE_SHORT) {
		mip_count(MIP_CTR_FA_DISCARDED);
		return;
	}
	pe = fa_pending_match(fa, rp.hoa, (uint32_t)rp.id, rp.ha, rp.ext.nai, rp.ext.nai_len);
	if (!pe || pr == MIP_PARSE_UNKNOWN_EXT) {
		/* §3.7.3.1: no pending request, or low 32 bits of the id differ */
		log_debug("fa", "discarded a reply for %s from %s: %s", fa_ntoa(rp.hoa, h),
			  fa_ntoa(pi->src, s), pe ? "unrecognised extension" : "no pending request");
		mip_count(MIP_CTR_FA_DISCARDED);
		return;
	}
	if (pr == MIP_PARSE_MALFORMED) {
		fa_deny(fa, pe, MIP_CODE_FA_POOR_REPLY, pe->lifetime);
		fa_pending_end(pe, "poorly-formed-reply");
		return;
	}
	mip_count(MIP_CTR_FA_REPLIES_RECEIVED);
	if (!fa_reply_fa_ha_ok(fa, &rp, p, pi, pe)) {
		fa_deny(fa, pe, MIP_CODE_FA_HA_AUTH, pe->lifetime);
		fa_pending_end(pe, "home-agent-auth-failed");
		return;
	}
	if (fa_reply_relay(fa, pe, &rp, p, len) < 0) {
		log_warnx("fa", "cannot build the relayed reply for %s", fa_ntoa(rp.hoa, h));
		fa_pending_end(pe, "relay-failed");
		return;
	}
	mip_count(MIP_CTR_FA_REPLIES_RELAYED);
	log_info("fa", "reply %u (%s) for %s relayed, lifetime %u", rp.code, mip_code_str(rp.code),
		 fa_ntoa(rp.hoa, h), rp.lifetime);
	fa_reply_update_visitors(fa, pe, &rp);
	fa_pending_end(pe, mip_code_accepted(rp.code) ? "accepted" : "denied");
}

void fa_pending_timeout(struct mip_timer *t)
{
	struct fa_pending *pe = container_of(t, struct fa_pending, timer);
	char h[INET_ADDRSTRLEN];

	log_info("fa", "no reply from home agent %s for %s", fa_ntoa(pe->key.ha, h), fa_ntoa(pe->key.hoa, h));
	fa_deny(pe->fa, pe, MIP_CODE_FA_TIMEOUT, pe->lifetime);
	fa_pending_end(pe, "timeout");
}

/* One ICMP error from the error queue: @q is the quoted start of the UDP
 * payload we sent to @dst. */
static void fa_icmp_error(struct mip_fa *fa, const struct sock_extended_err *ee, struct in_addr dst,
			  const uint8_t *q, size_t n)
{
	struct in_addr hoa, off = { 0 };
	struct fa_pending *pe;
	char h[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN], o[INET_ADDRSTRLEN];
	uint8_t code;

	if (ee->ee_origin != SO_EE_ORIGIN_ICMP || n < 8 || q[0] != MIP_MSG_REG_REQUEST)
		return;         /* not about a request we relayed (e.g. a reply) */
	memcpy(&hoa.s_addr, q + 4, 4);
	if (n >= MIP_RRQ_FIXED_LEN)
		pe = fa_pending_match(fa, hoa, mip_get_u32(q + 20), dst, NULL, 0);
	else
		pe = fa_pending_latest(fa, hoa, dst);
	if (!pe || pe->key.ha.s_addr != dst.s_addr)
		return;
	{
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)SO_EE_OFFENDER(ee);

		if (sin->sin_family == AF_INET)
			off = sin->sin_addr;
	}
	code = fa_msg_icmp_code(ee->ee_type, ee->ee_code);
	log_info("fa", "ICMP type %u code %u from %s about the request of %s to %s", ee->ee_type,
		 ee->ee_code, fa_ntoa(off, o), fa_ntoa(hoa, h), fa_ntoa(dst, a));
	fa_deny(fa, pe, code, pe->lifetime);
	fa_pending_end(pe, "icmp-error");
}

void fa_handle_errors(struct mip_fa *fa)
{
	for (int i = 0; i < 64; i++) {
		uint8_t buf[600], cbuf[512];
		struct sockaddr_in to;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = {
			.msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		ssize_t n = recvmsg(fa->udp_fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("fa", "reading the error queue");
			return;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR)
				fa_icmp_error(fa, (const struct sock_extended_err *)(const void *)CMSG_DATA(c),
					      to.sin_addr, buf, (size_t)n);
	}
}
