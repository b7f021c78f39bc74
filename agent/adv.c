/* Agent Advertisements and Solicitations on the advertising interfaces (see adv.h). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "adv.h"
#include "auth.h"
#include "counters.h"
#include "event.h"
#include "ifaddr.h"
#include "log.h"
#include "timer.h"

#define ADV_ICMP_FILTER 1               /* SOL_RAW option (linux/icmp.h) */
#define ADV_DOWN_POLL_MS 1000           /* link state poll while an interface is down */
#define ADV_FIRST_MAX_MS 500            /* the first advertisement after start-up */

struct adv_if {
	struct adv *adv;
	char name[IF_NAMESIZE];
	int ifindex;
	const struct conf_adv_if *conf;
	bool home, foreign;
	struct ev_io io;                /* raw ICMP socket bound to the interface */
	struct mip_timer periodic;      /* next unsolicited advertisement */
	struct mip_timer soon;          /* a delayed response / early advertisement */
	bool soon_solicited;
	unsigned initial_left;
	bool was_up;
	uint64_t last_mcast_ms;
	uint16_t next_seq;
	uint16_t last_flags;
	uint32_t sent, sent_solicited, solicitations;
};

struct adv {
	const struct conf *c;
	struct ev_loop *loop;
	struct adv_if *ifs;
	size_t n;
	struct ifaddr_cache ifc;
	bool (*busy)(void *arg, int ifindex);
	void *busy_arg;
	struct mip_buf out;
};

static const char *ntoa(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* Uniform in [lo, hi] milliseconds, from the strong generator. */
static uint64_t adv_rand_ms(uint64_t lo, uint64_t hi)
{
	uint32_t r = 0;

	if (hi <= lo)
		return lo;
	if (mip_random(&r, sizeof(r)) < 0)
		r = (uint32_t)mip_now_ms() * 2654435761u;
	return lo + r % (hi - lo + 1);
}

static bool adv_active(const struct adv_if *i)
{
	return i->conf->advertise;
}

/* ---- composing one advertisement ---- */

static uint16_t adv_flags(const struct adv_if *i, bool offers_coa)
{
	const struct conf *c = i->adv->c;
	uint16_t f = 0;

	if (i->foreign && offers_coa) {
		f |= MIP_ADV_F;
		if (c->fa.registration_required)
			f |= MIP_ADV_R;
		if (i->adv->busy && i->adv->busy(i->adv->busy_arg, i->ifindex))
			f |= MIP_ADV_B;
		if (c->fa.reverse_tunnel)
			f |= MIP_ADV_T;
		if (c->fa.encaps_minimal)
			f |= MIP_ADV_M;
		if (c->fa.encaps_gre)
			f |= MIP_ADV_G;
	}
	if (i->home) {
		f |= MIP_ADV_H;
		if (!(f & MIP_ADV_F)) {
			if (c->ha.encaps_minimal)
				f |= MIP_ADV_M;
			if (c->ha.encaps_gre)
				f |= MIP_ADV_G;
		}
	}
	return f;
}

/* The care-of addresses of @i usable now, in configuration order (§2.1.1,
 * faCOATable: only while the address's interface is up). */
static unsigned adv_coas(struct adv_if *i, struct in_addr *out)
{
	unsigned n = 0;

	if (!i->foreign)
		return 0;
	for (size_t j = 0; j < i->conf->n_coas && n < MIP_ADV_MAX_COAS; j++)
		if (ifaddr_usable(&i->adv->ifc, i->conf->coas[j].addr))
			out[n++] = i->conf->coas[j].addr;
	return n;
}

/* Build the advertisement for @i from its primary address @prim into the
 * output buffer; returns its flags, or -1 when there is nothing to send. */
static int adv_compose(struct adv_if *i, const struct ifaddr_entry *prim)
{
	struct adv *a = i->adv;
	struct mip_agent_adv m;

	memset(&m, 0, sizeof(m));
	m.n_coas = adv_coas(i, m.coas);
	m.flags = adv_flags(i, m.n_coas > 0);
	if (!(m.flags & (MIP_ADV_F | MIP_ADV_H)))
		return -1;      /* §2.1.1: at least one of F and H */
	m.code = (uint8_t)(a->c->fa.enabled ? a->c->fa.icmp_code : MIP_ADV_CODE_MOBILITY);
	m.lifetime = (uint16_t)i->conf->adv_lifetime;
	m.n_addrs = 1;
	m.addrs[0].addr = prim->addr;
	m.addrs[0].preference = 0;
	m.seq = i->next_seq;
	m.reg_lifetime = (uint16_t)i->conf->max_lifetime;
	if (i->conf->prefix_length_inclusion) {
		m.prefix_lengths = true;
		m.n_prefix_lengths = 1;
		m.prefix_len[0] = prim->plen;
	}
	mip_buf_reset(&a->out);
	if (mip_adv_build(&a->out, &m) < 0)
		return -1;
	return m.flags;
}

/* ---- sending ---- */

static int adv_sendmsg(struct adv_if *i, struct in_addr src)
{
	struct adv *a = i->adv;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = i->conf->adv_address };
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))] = { 0 };
	struct in_pktinfo ipi = { .ipi_ifindex = i->ifindex, .ipi_spec_dst = src };
	struct iovec iov = { .iov_base = a->out.data, .iov_len = a->out.len };
	struct msghdr mh = {
		.msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(ipi));
	memcpy(CMSG_DATA(cm), &ipi, sizeof(ipi));
	return sendmsg(i->io.fd, &mh, 0) < 0 ? -1 : 0;
}

/* Send one multicast/broadcast advertisement on @i now; false if the
 * interface cannot advertise at the moment (down, no address, no role). */
static bool adv_send(struct adv_if *i, bool solicited)
{
	struct adv *a = i->adv;
	const struct ifaddr_entry *prim;
	char s[INET_ADDRSTRLEN], fl[16];
	int flags;

	ifaddr_refresh(&a->ifc, false);
	prim = ifaddr_primary(&a->ifc, i->name);
	if (!prim || !prim->up || i->io.fd < 0) {
		if (i->was_up)
			log_info("adv", "%s is down or has no address: advertisements stop", i->name);
		i->was_up = false;
		return false;
	}
	if (!i->was_up) {
		/* (again) an advertising interface: the first few faster (RFC 1256 §4.1) */
		i->initial_left = ADV_MAX_INITIAL;
		i->was_up = true;
		log_info("adv", "advertising on %s from %s", i->name, ntoa(prim->addr, s));
	}
	flags = adv_compose(i, prim);
	if (flags < 0)
		return false;
	if (adv_sendmsg(i, prim->addr) < 0) {
		log_warn("adv", "cannot send an advertisement on %s", i->name);
		return false;
	}
	log_debug("adv", "%s: advertisement seq %u flags %s%s", i->name, i->next_seq,
		  mip_adv_flags_str((uint16_t)flags, fl), solicited ? " (solicited)" : "");
	i->last_flags = (uint16_t)flags;
	i->next_seq = mip_adv_seq_next(i->next_seq);
	i->last_mcast_ms = mip_now_ms();
	i->sent++;
	mip_count(MIP_CTR_MA_ADVS_SENT);
	if (solicited) {
		i->sent_solicited++;
		mip_count(MIP_CTR_MA_ADVS_FOR_SOLICITATION);
	}
	return true;
}

/* Arm the periodic timer with a fresh random interval (RFC 1256 §4.1). */
static void adv_reschedule(struct adv_if *i, uint64_t now)
{
	uint64_t d;

	if (!adv_active(i) || i->conf->solicitation_only) {
		timer_cancel(&i->adv->loop->timers, &i->periodic);
		return;
	}
	d = adv_rand_ms((uint64_t)i->conf->min_interval * 1000, (uint64_t)i->conf->max_interval * 1000);
	if (i->initial_left) {
		if (d > ADV_MAX_INITIAL_INTERVAL_MS)
			d = ADV_MAX_INITIAL_INTERVAL_MS;
		i->initial_left--;
	}
	timer_schedule(&i->adv->loop->timers, &i->periodic, now + d);
}

static void adv_periodic(struct mip_timer *t)
{
	struct adv_if *i = container_of(t, struct adv_if, periodic);
	uint64_t now = mip_now_ms();

	if (!adv_send(i, false)) {
		timer_schedule(&i->adv->loop->timers, &i->periodic, now + ADV_DOWN_POLL_MS);
		return;
	}
	adv_reschedule(i, now);
}

static void adv_soon_fire(struct mip_timer *t)
{
	struct adv_if *i = container_of(t, struct adv_if, soon);

	if (adv_send(i, i->soon_solicited))
		adv_reschedule(i, mip_now_ms());    /* the interval timer restarts (RFC 1256 §4.1) */
	i->soon_solicited = false;
}

/* An advertisement soon: after a small random delay, never closer than
 * ADV_MIN_GAP_MS to the previous one; several requests share one. */
static void adv_soon(struct adv_if *i, bool solicited)
{
	uint64_t now = mip_now_ms(), when;

	i->soon_solicited |= solicited;
	if (timer_pending(&i->soon))
		return;
	when = now + adv_rand_ms(0, ADV_RESPONSE_DELAY_MS);
	if (i->last_mcast_ms && when < i->last_mcast_ms + ADV_MIN_GAP_MS)
		when = i->last_mcast_ms + ADV_MIN_GAP_MS;
	timer_schedule(&i->adv->loop->timers, &i->soon, when);
}

/* ---- solicitations ---- */

static void adv_readable(struct ev_io *io, uint32_t events)
{
	struct adv_if *i = container_of(io, struct adv_if, io);
	uint8_t buf[1500];
	struct sockaddr_in from;
	char s[INET_ADDRSTRLEN];

	(void)events;
	for (int k = 0; k < 32; k++) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(io->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		size_t hl;

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("adv", "recvfrom on %s", i->name);
			return;
		}
		if (n < 20 || (buf[0] >> 4) != 4 || (hl = (size_t)(buf[0] & 0xf) * 4) < 20 ||
		    (size_t)n < hl || !mip_sol_parse(buf + hl, (size_t)n - hl))
			continue;
		i->solicitations++;
		mip_count(MIP_CTR_MA_SOLICITATIONS);
		log_debug("adv", "%s: solicitation from %s (ttl %u)", i->name, ntoa(from.sin_addr, s),
			  buf[8]);
		if (adv_active(i))
			adv_soon(i, true);
	}
}

/* ---- sockets and set-up ---- */

static int adv_join(int fd, int ifindex, uint32_t group)
{
	struct ip_mreqn mr = { .imr_ifindex = ifindex };

	mr.imr_multiaddr.s_addr = htonl(group);
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0 && errno != EADDRINUSE)
		return -1;
	return 0;
}

static int adv_socket(struct adv_if *i)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	uint32_t filter = ~(1u << MIP_ICMP_ROUTER_SOL);
	struct ip_mreqn mif = { .imr_ifindex = i->ifindex };
	int one = 1, ttl = 1, zero = 0;

	if (fd < 0) {
		log_warn("adv", "raw ICMP socket");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, i->name, (socklen_t)strlen(i->name) + 1) < 0 ||
	    setsockopt(fd, SOL_RAW, ADV_ICMP_FILTER, &filter, sizeof(filter)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mif, sizeof(mif)) < 0) {
		log_warn("adv", "setting up the ICMP socket on %s", i->name);
		close(fd);
		return -1;
	}
	/* §2.3: solicitations to the Mobile-Agents group; RFC 1256: all-routers */
	if (adv_join(fd, i->ifindex, 0xe000000b) < 0 || adv_join(fd, i->ifindex, 0xe0000002) < 0)
		log_warn("adv", "cannot join 224.0.0.11 / 224.0.0.2 on %s", i->name);
	return fd;
}

static struct adv_if *adv_find_name(struct adv *a, const char *name)
{
	for (size_t k = 0; k < a->n; k++)
		if (!strcmp(a->ifs[k].name, name))
			return &a->ifs[k];
	return NULL;
}

static int adv_add(struct adv *a, const struct conf_adv_if *ci, bool home, bool foreign)
{
	struct adv_if *i = adv_find_name(a, ci->name);

	if (i) {                /* both roles on one link: one advertisement */
		i->home |= home;
		i->foreign |= foreign;
		if (foreign)
			i->conf = ci;
		return 0;
	}
	i = &a->ifs[a->n++];
	memset(i, 0, sizeof(*i));
	i->adv = a;
	snprintf(i->name, sizeof(i->name), "%s", ci->name);
	i->conf = ci;
	i->home = home;
	i->foreign = foreign;
	i->io.fd = -1;
	i->io.cb = adv_readable;
	timer_init(&i->periodic, adv_periodic);
	timer_init(&i->soon, adv_soon_fire);
	i->ifindex = (int)if_nametoindex(ci->name);
	if (i->ifindex <= 0) {
		log_err("adv", "interface %s does not exist", ci->name);
		return -1;
	}
	i->io.fd = adv_socket(i);
	if (i->io.fd < 0 || ev_add(a->loop, &i->io, EPOLLIN) < 0)
		return -1;
	return 0;
}

struct adv *adv_open(const struct conf *c, struct ev_loop *loop)
{
	struct adv *a = calloc(1, sizeof(*a));
	size_t max = (c->fa.enabled ? c->fa.n_ifaces : 0) + 1;
	uint64_t now = mip_now_ms();

	if (!a || !(a->ifs = calloc(max, sizeof(*a->ifs))) || mip_buf_init(&a->out, 256) < 0) {
		log_warnx("adv", "out of memory");
		if (a)
			free(a->ifs);
		free(a);
		return NULL;
	}
	a->c = c;
	a->loop = loop;
	for (size_t k = 0; c->fa.enabled && k < c->fa.n_ifaces; k++)
		if (adv_add(a, &c->fa.ifaces[k], false, true) < 0)
			goto fail;
	if (c->ha.enabled && c->ha.adv && adv_add(a, c->ha.adv, true, false) < 0)
		goto fail;
	ifaddr_refresh(&a->ifc, true);
	for (size_t k = 0; k < a->n; k++) {
		struct adv_if *i = &a->ifs[k];

		if (adv_active(i) && !i->conf->solicitation_only)
			timer_schedule(&loop->timers, &i->periodic, now + adv_rand_ms(0, ADV_FIRST_MAX_MS));
		log_info("adv", "%s: %s%s%s to %s every %u-%u s, lifetime %u s", i->name,
			 i->home ? "home agent" : "", i->home && i->foreign ? " and " : "",
			 i->foreign ? "foreign agent" : "",
			 i->conf->adv_address.s_addr == INADDR_BROADCAST ? "255.255.255.255" : "224.0.0.1",
			 i->conf->min_interval, i->conf->max_interval, i->conf->adv_lifetime);
	}
	return a;
fail:
	adv_close(a);
	return NULL;
}

void adv_close(struct adv *a)
{
	if (!a)
		return;
	for (size_t k = 0; k < a->n; k++) {
		struct adv_if *i = &a->ifs[k];

		timer_cancel(&a->loop->timers, &i->periodic);
		timer_cancel(&a->loop->timers, &i->soon);
		if (i->io.fd >= 0) {
			ev_del(a->loop, &i->io);
			close(i->io.fd);
		}
	}
	ifaddr_free(&a->ifc);
	mip_buf_free(&a->out);
	free(a->ifs);
	free(a);
}

void adv_set_busy_cb(struct adv *a, bool (*busy)(void *arg, int ifindex), void *arg)
{
	a->busy = busy;
	a->busy_arg = arg;
}

void adv_busy_changed(struct adv *a, int ifindex)
{
	for (size_t k = 0; k < a->n; k++) {
		struct adv_if *i = &a->ifs[k];

		if (i->ifindex == ifindex && i->foreign && adv_active(i) && !i->conf->solicitation_only)
			adv_soon(i, false);
	}
}

struct ifaddr_cache *adv_ifaddrs(struct adv *a)
{
	ifaddr_refresh(&a->ifc, false);
	return &a->ifc;
}

bool adv_coa_offered(struct adv *a, int ifindex, struct in_addr coa)
{
	ifaddr_refresh(&a->ifc, false);
	for (size_t k = 0; k < a->n; k++) {
		const struct adv_if *i = &a->ifs[k];

		if (i->ifindex != ifindex || !i->foreign)
			continue;
		for (size_t j = 0; j < i->conf->n_coas; j++)
			if (i->conf->coas[j].addr.s_addr == coa.s_addr)
				return ifaddr_usable(&a->ifc, coa);
	}
	return false;
}

/* ---- rows ---- */

size_t adv_count(const struct adv *a)
{
	return a ? a->n : 0;
}

bool adv_row_get(struct adv *a, size_t k, struct adv_row *r)
{
	struct adv_if *i;
	const struct ifaddr_entry *prim;

	if (!a || k >= a->n)
		return false;
	i = &a->ifs[k];
	ifaddr_refresh(&a->ifc, false);
	prim = ifaddr_primary(&a->ifc, i->name);
	memset(r, 0, sizeof(*r));
	snprintf(r->ifname, sizeof(r->ifname), "%s", i->name);
	r->ifindex = i->ifindex;
	if (prim) {
		r->address = prim->addr;
		r->plen = prim->plen;
		r->up = prim->up;
	}
	r->conf = i->conf;
	r->home = i->home;
	r->foreign = i->foreign;
	r->next_seq = i->next_seq;
	r->last_flags = i->last_flags;
	r->sent = i->sent;
	r->sent_solicited = i->sent_solicited;
	r->solicitations = i->solicitations;
	r->next_ms = timer_pending(&i->periodic) ? i->periodic.when : 0;
	r->n_coas = adv_coas(i, r->coas);
	return true;
}

bool adv_row_find(struct adv *a, struct in_addr addr, bool next, struct adv_row *out)
{
	struct adv_row r;
	bool found = false;

	for (size_t k = 0; adv_row_get(a, k, &r); k++) {
		uint32_t h = ntohl(r.address.s_addr), want = ntohl(addr.s_addr);

		if (r.address.s_addr == INADDR_ANY)
			continue;
		if (next ? h <= want : h != want)
			continue;
		if (!found || h < ntohl(out->address.s_addr)) {
			*out = r;
			found = true;
		}
	}
	return found;
}

/* ---- reload (reload.h) ---- */

/* The advertising interface @name of @c and its roles; NULL if none. */
static const struct conf_adv_if *adv_conf_if(const struct conf *c, const char *name, bool *home,
					     bool *foreign)
{
	const struct conf_adv_if *f = c->fa.enabled ? conf_find_fa_if(&c->fa, name) : NULL;
	const struct conf_adv_if *h = c->ha.enabled && c->ha.adv && !strcmp(c->ha.adv->name, name) ?
				      c->ha.adv : NULL;

	*home = h != NULL;
	*foreign = f != NULL;
	return f ? f : h;
}

static size_t adv_conf_count(const struct conf *c)
{
	size_t n = c->fa.enabled ? c->fa.n_ifaces : 0;
	bool home, foreign;

	if (c->ha.enabled && c->ha.adv && !(adv_conf_if(c, c->ha.adv->name, &home, &foreign) && foreign))
		n++;
	return n;
}

int adv_reload_check(const struct conf *old, const struct conf *new, FILE *err, void *arg)
{
	struct adv *a = arg;
	bool ok = adv_conf_count(new) == a->n;

	(void)old;
	for (size_t k = 0; ok && k < a->n; k++) {
		bool home, foreign;

		ok = adv_conf_if(new, a->ifs[k].name, &home, &foreign) && home == a->ifs[k].home &&
		     foreign == a->ifs[k].foreign;
	}
	if (ok)
		return 0;
	if (err)
		fprintf(err, "a change of the advertising interfaces or their roles needs a restart\n");
	log_warnx("adv", "reload refused: the advertising interfaces or their roles changed");
	return -1;
}

void adv_reload_apply(const struct conf *old, const struct conf *new, void *arg)
{
	struct adv *a = arg;
	uint64_t now = mip_now_ms();

	(void)old;
	a->c = new;
	for (size_t k = 0; k < a->n; k++) {
		struct adv_if *i = &a->ifs[k];
		bool home, foreign;

		i->conf = adv_conf_if(new, i->name, &home, &foreign);
		if (!adv_active(i) || i->conf->solicitation_only)
			timer_cancel(&a->loop->timers, &i->periodic);
		else if (!timer_pending(&i->periodic))
			timer_schedule(&a->loop->timers, &i->periodic, now + adv_rand_ms(0, ADV_FIRST_MAX_MS));
	}
}
