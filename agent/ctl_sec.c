/* Control-socket records of the peers and their IPsec policies (see ctl_sec.h). */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <arpa/inet.h>
#include "ctl_sec.h"
#include "daemon.h"
#include "sec.h"
#include "xfrm.h"

static void out_printf(struct mip_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_printf(struct mip_buf *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		mip_buf_put(b, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* "request,reply,...": the kinds of traffic @ip protects, or "-". */
static const char *protects(const struct conf_ipsec *ip, char *buf, size_t len)
{
	static const char *const names[CONF_IPSEC_N] = { "request", "reply", "forward", "reverse" };
	size_t o = 0;

	buf[0] = '\0';
	for (int t = 0; ip->present && t < CONF_IPSEC_N; t++)
		if (ip->policy[t].present && o + 10 < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "", names[t]);
	return o ? buf : "-";
}

void ctl_sec_peers(struct mip_daemon *d, struct in_addr filter, struct mip_buf *out)
{
	const struct conf *c = d->conf;
	struct mip_xfrm *x = sec_xfrm(d->sec);

	for (size_t i = 0; i < c->n_peers; i++) {
		const struct conf_peer *p = &c->peers[i];
		struct xfrm_peer_stats st;
		char a[INET_ADDRSTRLEN], l[INET_ADDRSTRLEN], prot[64];
		unsigned total = 0;

		if (filter.s_addr != INADDR_ANY && filter.s_addr != p->addr.s_addr)
			continue;
		xfrm_peer_stats(x, p->addr, &st);
		for (int t = 0; t < CONF_IPSEC_N; t++)
			total += st.installed[t];
		inet_ntop(AF_INET, &p->addr, a, sizeof(a));
		if (p->ipsec.local.s_addr != INADDR_ANY)
			inet_ntop(AF_INET, &p->ipsec.local, l, sizeof(l));
		else
			snprintf(l, sizeof(l), "-");
		out_printf(out, "peer address=%s sas=%zu ipsec=%s local=%s bindings=%u tunnels=%u "
			   "visitors=%u policies=%u request=%u reply=%u forward=%u reverse=%u failed=%u\n",
			   a, p->n_sas, protects(&p->ipsec, prot, sizeof(prot)),
			   p->ipsec.present ? l : "-", st.bindings, st.tunnels, st.visitors, total,
			   st.installed[CONF_IPSEC_REQUEST], st.installed[CONF_IPSEC_REPLY],
			   st.installed[CONF_IPSEC_FORWARD], st.installed[CONF_IPSEC_REVERSE], st.failed);
	}
}
