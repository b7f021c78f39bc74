/* Control-socket records of the foreign agent and agent discovery (see ctl_fa.h). */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include "adv.h"
#include "ctl_fa.h"
#include "timer.h"

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

static const char *ntoa(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *ifname(int ifindex, char *buf)
{
	if (!if_indextoname((unsigned)ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "%d", ifindex);
	return buf;
}

static const char *mac_str(const uint8_t *m, bool known, char *buf)
{
	if (!known)
		return "-";
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

void ctl_fa_start(struct ctl_fa_cursor *cur, struct in_addr filter)
{
	memset(cur, 0, sizeof(*cur));
	cur->filter = filter;
	if (filter.s_addr) {
		/* start the walk just before the filtered address */
		cur->started = true;
		cur->hoa.s_addr = htonl(ntohl(filter.s_addr) - 1);
		cur->ha.s_addr = INADDR_BROADCAST;
		cur->ifindex = 0x7fffffff;
		cur->pkey.hoa = cur->hoa;
		cur->pkey.id_low = UINT32_MAX;
		cur->pkey.ha.s_addr = INADDR_BROADCAST;
		cur->pkey.nai_len = FA_NAI_MAX;
		memset(cur->pkey.nai, 0xff, sizeof(cur->pkey.nai));
	}
}

static bool past_filter(const struct ctl_fa_cursor *cur, struct in_addr hoa)
{
	return cur->filter.s_addr && hoa.s_addr != cur->filter.s_addr;
}

static void visitor_record(struct mip_buf *out, const struct fa_visitor *v, uint64_t now)
{
	char h[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];
	char i[IF_NAMESIZE], m[18];

	out_printf(out, "visitor hoa=%s ha=%s coa=%s src=%s sport=%u interface=%s mac=%s flags=0x%02x "
		   "delivery=%s id=%016llx requested=%u lifetime=%u remaining=%u\n", ntoa(v->hoa, h),
		   ntoa(v->ha, a), ntoa(v->coa, c), ntoa(v->src, s), v->sport, ifname(v->ifindex, i),
		   mac_str(v->mac, v->have_mac, m), v->flags, v->edeliv ? "encapsulating" : "direct",
		   (unsigned long long)v->id, v->requested,
		   v->lifetime, fa_visitor_remaining(v, now));
}

static void pending_record(struct mip_buf *out, const struct fa_pending *p, uint64_t now)
{
	char h[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];
	char i[IF_NAMESIZE], nai[FA_NAI_MAX + 1];
	size_t k;

	for (k = 0; k < p->key.nai_len; k++)        /* one field: no blanks or '=' */
		nai[k] = p->key.nai[k] > ' ' && p->key.nai[k] < 0x7f && p->key.nai[k] != '=' ?
			 (char)p->key.nai[k] : '?';
	nai[k] = '\0';
	out_printf(out, "pending hoa=%s ha=%s coa=%s nai=%s id=%016llx src=%s sport=%u interface=%s "
		   "flags=0x%02x lifetime=%u age-ms=%llu expires-ms=%llu\n", ntoa(p->key.hoa, h),
		   ntoa(p->key.ha, a), ntoa(p->coa, c), k ? nai : "-", (unsigned long long)p->id,
		   ntoa(p->src, s), p->sport, ifname(p->ifindex, i), p->flags, p->lifetime,
		   (unsigned long long)(now - p->created_ms),
		   (unsigned long long)(timer_pending(&p->timer) && p->timer.when > now ?
					p->timer.when - now : 0));
}

bool ctl_fa_next(const struct mip_fa *fa, struct ctl_fa_cursor *cur, bool pending,
		 struct mip_buf *out, uint64_t now_ms)
{
	if (!fa)
		return false;
	if (pending) {
		const struct fa_pending *p = cur->started ? fa_pending_next(fa, &cur->pkey)
							  : fa_pending_first(fa);

		if (!p || past_filter(cur, p->key.hoa))
			return false;
		cur->started = true;
		cur->pkey = p->key;
		pending_record(out, p, now_ms);
		return true;
	}
	{
		const struct fa_visitor *v = cur->started ? fa_visitor_next(fa, cur->hoa, cur->ha, cur->ifindex)
							  : fa_visitor_first(fa);

		if (!v || past_filter(cur, v->hoa))
			return false;
		cur->started = true;
		cur->hoa = v->hoa;
		cur->ha = v->ha;
		cur->ifindex = v->ifindex;
		visitor_record(out, v, now_ms);
		return true;
	}
}

void ctl_fa_advertisements(struct adv *adv, struct mip_buf *out)
{
	struct adv_row r;
	uint64_t now = mip_now_ms();

	for (size_t k = 0; adv_row_get(adv, k, &r); k++) {
		char a[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN], fl[16], coas[MIP_ADV_MAX_COAS * 16 + 2] = "";
		size_t o = 0;

		for (unsigned j = 0; j < r.n_coas && o + INET_ADDRSTRLEN + 1 < sizeof(coas); j++)
			o += (size_t)snprintf(coas + o, sizeof(coas) - o, "%s%s", j ? "," : "",
					      ntoa(r.coas[j], c));
		out_printf(out, "advertisement interface=%s address=%s/%u up=%s roles=%s%s next-seq=%u "
			   "flags=%s sent=%u sent-for-solicitation=%u solicitations=%u lifetime=%u "
			   "interval=%u-%u next-in-ms=%llu coas=%s\n", r.ifname, ntoa(r.address, a), r.plen,
			   r.up ? "yes" : "no", r.home ? "H" : "", r.foreign ? "F" : "", r.next_seq,
			   mip_adv_flags_str(r.last_flags, fl), r.sent, r.sent_solicited, r.solicitations,
			   r.conf->adv_lifetime, r.conf->min_interval, r.conf->max_interval,
			   (unsigned long long)(r.next_ms > now ? r.next_ms - now : 0), o ? coas : "-");
	}
}
