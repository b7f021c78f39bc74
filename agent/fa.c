/* The foreign agent: set-up, interfaces, packet I/O and counters (see fa.h). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "adv.h"
#include "counters.h"
#include "event.h"
#include "fa_int.h"
#include "fa_msg.h"
#include "log.h"
#include "outq.h"

const char *fa_ntoa(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

const struct fa_iface *fa_iface(const struct mip_fa *fa, int ifindex)
{
	for (size_t i = 0; i < fa->n_ifs; i++)
		if (fa->ifs[i].ifindex == ifindex && ifindex > 0)
			return &fa->ifs[i];
	return NULL;
}

bool fa_is_fa_interface(const struct mip_fa *fa, int ifindex)
{
	return fa && fa_iface(fa, ifindex) != NULL;
}

void fa_count_code(uint8_t code)
{
	switch (code) {
	case MIP_CODE_FA_UNSPECIFIED: mip_count(MIP_CTR_FA_REASON_UNSPECIFIED); break;
	case MIP_CODE_FA_PROHIBITED: mip_count(MIP_CTR_FA_ADM_PROHIBITED); break;
	case MIP_CODE_FA_RESOURCES: mip_count(MIP_CTR_FA_INSUFFICIENT_RESOURCE); break;
	case MIP_CODE_FA_MN_AUTH: mip_count(MIP_CTR_FA_MN_AUTH_FAILURE); break;
	case MIP_CODE_FA_HA_AUTH: mip_count(MIP_CTR_FA_HA_AUTH_FAILURE); break;
	case MIP_CODE_FA_LIFETIME: mip_count(MIP_CTR_FA_LIFETIME_TOO_LONG); break;
	case MIP_CODE_FA_POOR_REQUEST: mip_count(MIP_CTR_FA_POORLY_FORMED_REQUESTS); break;
	case MIP_CODE_FA_POOR_REPLY: mip_count(MIP_CTR_FA_POORLY_FORMED_REPLIES); break;
	case MIP_CODE_FA_ENCAPS: mip_count(MIP_CTR_FA_ENCAPS_UNAVAILABLE); break;
	case MIP_CODE_FA_VJ: mip_count(MIP_CTR_FA_VJ_UNAVAILABLE); break;
	case MIP_CODE_FA_REVTUN_UNAVAIL:
	case MIP_CODE_FA_REVTUN_MANDATORY:
	case MIP_CODE_FA_TOO_DISTANT:
	case MIP_CODE_FA_DELIVERY_STYLE: mip_count(MIP_CTR_FA_REVTUN_DENIED); break;
	case MIP_CODE_FA_BAD_COA: mip_count(MIP_CTR_FA_BAD_COA); break;
	case MIP_CODE_FA_TIMEOUT: mip_count(MIP_CTR_FA_TIMEOUTS); break;
	default:
		if (code >= 80 && code <= 95)
			mip_count(MIP_CTR_FA_HA_UNREACHABLE);
		else
			mip_count(MIP_CTR_FA_REASON_UNSPECIFIED);
		break;
	}
}

bool fa_iface_busy(const struct fa_iface *ifc)
{
	return ifc->conf->visitor_limit && ifc->n_visitors >= ifc->conf->visitor_limit;
}

/* faIsBusy: no interface accepts another visitor (all advertise B). */
bool fa_is_busy(const struct mip_fa *fa)
{
	for (size_t i = 0; i < fa->n_ifs; i++)
		if (!fa_iface_busy(&fa->ifs[i]))
			return false;
	return fa->n_ifs > 0;
}

static bool fa_busy_cb(void *arg, int ifindex)
{
	const struct fa_iface *ifc = fa_iface(arg, ifindex);

	return ifc && fa_iface_busy(ifc);
}

static void fa_iface_busy_check(struct mip_fa *fa, struct fa_iface *ifc)
{
	bool busy = fa_iface_busy(ifc);

	if (busy == ifc->was_busy)
		return;
	ifc->was_busy = busy;
	log_info("fa", "%s %s: %zu visitors, limit %u", ifc->conf->name,
		 busy ? "busy" : "no longer busy", ifc->n_visitors, ifc->conf->visitor_limit);
	if (fa->adv)
		adv_busy_changed(fa->adv, ifc->ifindex);
}

void fa_iface_visitors(struct mip_fa *fa, int ifindex, int delta)
{
	for (size_t i = 0; i < fa->n_ifs; i++) {
		struct fa_iface *ifc = &fa->ifs[i];

		if (ifc->ifindex != ifindex)
			continue;
		if (delta > 0)
			ifc->n_visitors++;
		else if (ifc->n_visitors > 0)
			ifc->n_visitors--;
		fa_iface_busy_check(fa, ifc);
		return;
	}
}

void fa_busy_check(struct mip_fa *fa)
{
	for (size_t i = 0; i < fa->n_ifs; i++)
		fa_iface_busy_check(fa, &fa->ifs[i]);
}

/* §3.7.2.3: to the node's IP source (255.255.255.255 when it had none), from
 * our address on its link, to its UDP source port, at its link-layer address. */
void fa_send_to_mn(struct mip_fa *fa, const struct fa_pending *pe, const uint8_t *p, size_t len)
{
	struct in_addr dst = pe->src;
	const uint8_t *mac;
	char d[INET_ADDRSTRLEN];

	if (dst.s_addr == INADDR_ANY)
		dst.s_addr = INADDR_BROADCAST;
	mip_buf_reset(&fa->pkt);
	fa_msg_udp4(&fa->pkt, pe->local, dst, MIP_UDP_PORT, pe->sport, FA_REPLY_TTL, fa->ip_id++, p, len);
	if (!mip_buf_ok(&fa->pkt)) {
		log_warnx("fa", "cannot build a datagram to %s", fa_ntoa(dst, d));
		return;
	}
	mac = pe->have_mac && dst.s_addr != INADDR_BROADCAST ? pe->mac : NULL;
	if ((fa->replies ? outq_send_frame(fa->replies, pe->ifindex, mac, fa->pkt.data, fa->pkt.len) :
	     fa->io.to_mn(fa->io.ctx, pe->ifindex, mac, fa->pkt.data, fa->pkt.len)) == 0)
		log_debug("fa", "reply code %u to %s:%u on interface %d", len > 1 ? p[1] : 0,
			  fa_ntoa(dst, d), pe->sport, pe->ifindex);
}

/* The relay to a home agent through the port-434 socket (IP_PKTINFO for the
 * care-of address as source).  An ICMP error about an earlier datagram fails
 * the next send once (the socket error is cleared by that failure; the
 * queued error itself is read by the event loop): the send is tried again. */
static int fa_udp_to_ha(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	struct mip_fa *fa = ctx;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(pi->dport), .sin_addr = pi->dst };
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))] = { 0 };
	struct in_pktinfo ipi = { .ipi_spec_dst = pi->src };
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
	struct msghdr mh = {
		.msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(ipi));
	memcpy(CMSG_DATA(cm), &ipi, sizeof(ipi));
	for (int tries = 0; tries < 2; tries++) {
		if (sendmsg(fa->udp_fd, &mh, 0) >= 0)
			return 0;
		if (!fa_msg_icmp_errno(errno) || tries)
			break;
	}
	return -errno;
}

static int fa_to_mn(void *ctx, int ifindex, const uint8_t *mac, const uint8_t *ip, size_t len)
{
	struct mip_fa *fa = ctx;

	return fa_link_send(fa->link, ifindex, mac, ip, len);
}

void fa_set_home_agent(struct mip_fa *fa,
		       void (*fn)(void *arg, const uint8_t *p, size_t len, const struct mip_pkt_info *pi),
		       void *arg)
{
	fa->ha_fn = fn;
	fa->ha_arg = arg;
}

struct mip_fa *fa_open(const struct conf *c, struct ev_loop *loop, int udp_fd, struct adv *adv)
{
	struct mip_fa *fa = calloc(1, sizeof(*fa));
	int on = 1;

	if (!fa || mip_buf_init(&fa->out, 512) < 0 || mip_buf_init(&fa->pkt, 600) < 0 ||
	    !(fa->ifs = calloc(c->fa.n_ifaces ? c->fa.n_ifaces : 1, sizeof(*fa->ifs)))) {
		log_warnx("fa", "out of memory");
		goto fail;
	}
	fa->c = c;
	fa->fc = &c->fa;
	fa->loop = loop;
	fa->timers = &loop->timers;
	fa->adv = adv;
	fa->udp_fd = udp_fd;
	fa->mono_now = mip_now_ms;
	fa_tables_init(fa);
	for (size_t i = 0; i < c->fa.n_ifaces; i++) {
		fa->ifs[i].conf = &c->fa.ifaces[i];
		fa->ifs[i].ifindex = (int)if_nametoindex(c->fa.ifaces[i].name);
		if (fa->ifs[i].ifindex <= 0) {
			log_err("fa", "interface %s does not exist", c->fa.ifaces[i].name);
			goto fail;
		}
		fa->n_ifs++;
	}
	if (udp_fd >= 0) {
		/* ICMP errors about relayed requests (§3.7.3: codes 80-95) */
		if (setsockopt(udp_fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)) < 0) {
			log_warn("fa", "IP_RECVERR");
			goto fail;
		}
		fa->link = fa_link_open(fa);
		if (!fa->link)
			goto fail;
		fa->io.to_ha = fa_udp_to_ha;
		fa->io.to_mn = fa_to_mn;
		fa->io.ctx = fa;
	}
	if (adv)
		adv_set_busy_cb(adv, fa_busy_cb, fa);
	log_info("fa", "foreign agent on %zu interface(s), max lifetime %u, visitor limit %u (defaults "
		 "of the interfaces)", fa->n_ifs, c->fa.max_lifetime, c->fa.visitor_limit);
	return fa;
fail:
	fa_close(fa);
	return NULL;
}

void fa_set_io(struct mip_fa *fa, const struct fa_io_ops *io)
{
	fa->io = *io;
}

void fa_hold_replies(struct mip_fa *fa, struct outq *q)
{
	q->frame_send = fa->io.to_mn;
	q->frame_ctx = fa->io.ctx;
	fa->replies = q;
}

const char *fa_visitor_ifname(const struct fa_visitor *v)
{
	const struct fa_iface *ifc = fa_iface(v->fa, v->ifindex);

	return ifc ? ifc->conf->name : "";
}

void fa_close(struct mip_fa *fa)
{
	if (!fa)
		return;
	if (fa->ifs)
		fa_tables_free(fa);
	if (fa->adv)
		adv_set_busy_cb(fa->adv, NULL, NULL);
	fa_link_close(fa->link);
	mip_buf_free(&fa->out);
	mip_buf_free(&fa->pkt);
	free(fa->ifs);
	free(fa);
}

/* ---- reload (reload.h): the same interfaces, re-resolved pointers ---- */

int fa_reload_check(const struct conf *old, const struct conf *new, FILE *err, void *arg)
{
	const char *why = NULL;

	(void)arg;
	if (old->fa.enabled != new->fa.enabled)
		why = new->fa.enabled ? "enabling the foreign agent" : "disabling the foreign agent";
	else if (old->fa.n_ifaces != new->fa.n_ifaces)
		why = "a change of the foreign agent's interfaces";
	for (size_t i = 0; !why && i < new->fa.n_ifaces; i++)
		if (strcmp(old->fa.ifaces[i].name, new->fa.ifaces[i].name))
			why = "a change of the foreign agent's interfaces";
	if (!why)
		return 0;
	if (err)
		fprintf(err, "%s needs a restart\n", why);
	log_warnx("fa", "reload refused: %s needs a restart", why);
	return -1;
}

void fa_reload_apply(const struct conf *old, const struct conf *new, void *arg)
{
	struct mip_fa *fa = arg;
	const struct fa_pending *cp;

	(void)old;
	fa->c = new;
	fa->fc = &new->fa;
	for (size_t i = 0; i < fa->n_ifs; i++)
		fa->ifs[i].conf = &new->fa.ifaces[i];
	/* pending requests keep their security associations by SPI */
	for (cp = fa_pending_first(fa); cp; cp = fa_pending_next(fa, &cp->key)) {
		struct fa_pending *p = (struct fa_pending *)cp;
		const struct conf_peer *peer = conf_find_peer(new, p->key.ha);
		uint32_t spi = p->mn_sa ? p->mn_sa->spi : 0;

		p->peer_sa = peer ? &peer->sas[0] : NULL;
		p->mn = conf_find_visitor(&new->fa, p->key.hoa, p->key.nai, p->key.nai_len);
		p->mn_sa = p->mn && spi ? conf_find_sa(p->mn->sas, p->mn->n_sas, spi) : NULL;
	}
	fa_busy_check(fa);
	log_info("fa", "configuration reloaded: max lifetime %u, visitor limit %u (defaults of the "
		 "interfaces)", new->fa.max_lifetime, new->fa.visitor_limit);
}
