/* The configuration's element tables (conf.h): the root <mipagent>, <general>,
 * <peer> with its <ipsec>, <snmp>, <data-plane> and <limits>, and the
 * security associations that mobile nodes, visitors and peers share.  The
 * agents' own elements are in conf_elems_ha.c and conf_elems_fa.c. */
#include "config.h"
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <libxml/tree.h>
#include "conf.h"
#include "conf_parse_int.h"
#include "log.h"

#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* ---- growable arrays ---- */

/* Append a zeroed element to the array *@arrp (any T **) of *@n elements of
 * @size bytes; the capacity doubles whenever *@n reaches a power of two.
 * The pointer is copied with memcpy, not read through a void **. */
void *append(void *arrp, size_t *n, size_t size)
{
	char *a;

	memcpy(&a, arrp, sizeof(a));
	if (*n >= (SIZE_MAX / 2) / size)
		return NULL;
	if ((*n & (*n - 1)) == 0) {
		size_t cap = *n ? *n * 2 : 1;

		a = realloc(a, cap * size);
		if (!a)
			return NULL;
		memcpy(arrp, &a, sizeof(a));
	}
	memset(a + *n * size, 0, size);
	return a + (*n)++ * size;
}

/* ---- <security-association> ---- */

#define SA_OFF(f) offsetof(struct conf_sa, f)
const struct attr_def sa_attrs[] = {
	{ "spi", parse_u32, SA_OFF(spi), 0, UINT32_MAX, ATTR_REQUIRED },
	{ "algorithm", parse_alg, SA_OFF(alg), 0, 0, 0 },
	{ "key", parse_key, 0, 0, 0, ATTR_REQUIRED | ATTR_SECRET },
	{ "replay-method", parse_replay, SA_OFF(replay), 0, 0, 0 },
	{ "timestamp-tolerance", parse_uint, SA_OFF(tolerance), 1, 3600, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

void *new_sa(struct pctx *p, xmlNode *n, struct conf_sa **sas, size_t *n_sas)
{
	struct conf_sa *sa = append(sas, n_sas, sizeof(*sa));

	if (!sa)
		return oom(p, n);
	sa->line = int_line(n);
	return sa;
}

static void *open_peer_sa(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_peer *peer = parent;

	return new_sa(p, n, &peer->sas, &peer->n_sas);
}

static const struct elem_def peer_sa_elem = {
	"security-association", sa_attrs, NULL, open_peer_sa, NULL, false,
};

/* ---- <ipsec> of a peer (xfrm.h) ---- */

/* IPsec algorithm names and their SADB numbers (linux/pfkeyv2.h): the bits
 * of an XFRM template's ealgos / aalgos masks. */
static const struct {
	const char *name;
	bool auth;
	uint8_t sadb;
} ipsec_algs[] = {
	{ "3des-cbc", false, 3 }, { "null", false, 11 }, { "aes-cbc", false, 12 },
	{ "aes-ctr", false, 13 }, { "aes-ccm", false, 16 }, { "aes-gcm", false, 20 },
	{ "hmac-md5", true, 2 }, { "hmac-sha1", true, 3 }, { "hmac-sha256", true, 5 },
	{ "hmac-sha384", true, 6 }, { "hmac-sha512", true, 7 }, { "aes-xcbc", true, 9 },
};
#define IPSEC_N_ALGS (sizeof(ipsec_algs) / sizeof(ipsec_algs[0]))

const char *conf_ipsec_algs_str(const struct conf_ipsec_policy *p, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < IPSEC_N_ALGS; i++) {
		uint32_t mask = ipsec_algs[i].auth ? p->aalgos : p->ealgos;
		int n;

		if (!(mask & (1u << ipsec_algs[i].sadb)))
			continue;
		n = snprintf(buf + o, len - o, "%s%s", o ? " " : "", ipsec_algs[i].name);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	return buf;
}

/* algorithms="aes-cbc hmac-sha256 ...": into a struct conf_ipsec_policy (@dst). */
static const char *parse_ipsec_algs(const struct attr_def *a, const char *s, void *dst, char *why,
				    size_t whylen)
{
	struct conf_ipsec_policy *p = dst;
	uint32_t e = 0, au = 0;

	(void)a;
	while (*s) {
		size_t n = strcspn(s, " \t"), i;

		for (i = 0; n && i < IPSEC_N_ALGS; i++)
			if (strlen(ipsec_algs[i].name) == n && !strncmp(s, ipsec_algs[i].name, n))
				break;
		if (n && i == IPSEC_N_ALGS) {
			snprintf(why, whylen, "unknown IPsec algorithm \"%.*s\"", n > 20 ? 20 : (int)n, s);
			return why;
		}
		if (n)
			*(ipsec_algs[i].auth ? &au : &e) |= 1u << ipsec_algs[i].sadb;
		s += n;
		s += strspn(s, " \t");
	}
	if (!e && !au)
		return "no algorithm named";
	p->ealgos = e;
	p->aalgos = au;
	return NULL;
}

static const char *parse_ipsec_mode(const struct attr_def *a, const char *s, void *dst, char *why,
				    size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (strcmp(s, "transport") && strcmp(s, "tunnel"))
		return "not an IPsec mode (transport, tunnel)";
	*(bool *)dst = !strcmp(s, "tunnel");
	return NULL;
}

static const char *parse_ipsec_proto(const struct attr_def *a, const char *s, void *dst, char *why,
				     size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (strcmp(s, "esp") && strcmp(s, "ah"))
		return "not an IPsec protocol (esp, ah)";
	*(bool *)dst = !strcmp(s, "ah");
	return NULL;
}

static const char *parse_ipsec_level(const struct attr_def *a, const char *s, void *dst, char *why,
				     size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (strcmp(s, "required") && strcmp(s, "use"))
		return "not an IPsec level (required, use)";
	*(bool *)dst = !strcmp(s, "use");
	return NULL;
}

#define IPP_OFF(f) offsetof(struct conf_ipsec_policy, f)
static const struct attr_def ipsec_policy_attrs[] = {
	{ "mode", parse_ipsec_mode, IPP_OFF(tunnel), 0, 0, 0 },
	{ "protocol", parse_ipsec_proto, IPP_OFF(ah), 0, 0, 0 },
	{ "level", parse_ipsec_level, IPP_OFF(optional), 0, 0, 0 },
	{ "reqid", parse_u32, IPP_OFF(reqid), 1, UINT32_MAX, 0 },
	{ "spi", parse_u32, IPP_OFF(spi), 256, UINT32_MAX, 0 },
	{ "algorithms", parse_ipsec_algs, 0, 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_ipsec_policy(xmlNode *n, void *parent, enum conf_ipsec_traffic t)
{
	struct conf_ipsec_policy *pol = &((struct conf_ipsec *)parent)->policy[t];

	pol->present = true;
	pol->line = int_line(n);
	return pol;
}

static void *open_ipsec_request(struct pctx *p, xmlNode *n, void *parent)
{
	(void)p;
	return open_ipsec_policy(n, parent, CONF_IPSEC_REQUEST);
}

static void *open_ipsec_reply(struct pctx *p, xmlNode *n, void *parent)
{
	(void)p;
	return open_ipsec_policy(n, parent, CONF_IPSEC_REPLY);
}

static void *open_ipsec_forward(struct pctx *p, xmlNode *n, void *parent)
{
	(void)p;
	return open_ipsec_policy(n, parent, CONF_IPSEC_FORWARD);
}

static void *open_ipsec_reverse(struct pctx *p, xmlNode *n, void *parent)
{
	(void)p;
	return open_ipsec_policy(n, parent, CONF_IPSEC_REVERSE);
}

static const struct elem_def ipsec_request_elem = {
	"registration-request", ipsec_policy_attrs, NULL, open_ipsec_request, NULL, true,
};
static const struct elem_def ipsec_reply_elem = {
	"registration-reply", ipsec_policy_attrs, NULL, open_ipsec_reply, NULL, true,
};
static const struct elem_def ipsec_forward_elem = {
	"forward-tunnel", ipsec_policy_attrs, NULL, open_ipsec_forward, NULL, true,
};
static const struct elem_def ipsec_reverse_elem = {
	"reverse-tunnel", ipsec_policy_attrs, NULL, open_ipsec_reverse, NULL, true,
};

static const struct attr_def ipsec_attrs[] = {
	{ "local-address", parse_addr, offsetof(struct conf_ipsec, local), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_ipsec(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_peer *peer = parent;

	(void)p;
	peer->ipsec.present = true;
	peer->ipsec.line = int_line(n);
	return &peer->ipsec;
}

static const struct elem_def *const ipsec_children[] = {
	&ipsec_request_elem, &ipsec_reply_elem, &ipsec_forward_elem, &ipsec_reverse_elem, NULL
};
static const struct elem_def ipsec_elem = {
	"ipsec", ipsec_attrs, ipsec_children, open_ipsec, NULL, true,
};

/* <peer address=""> */
static const struct attr_def peer_attrs[] = {
	{ "address", parse_addr, offsetof(struct conf_peer, addr), 0, 0, ATTR_REQUIRED },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_peer(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf *c = parent;
	struct conf_peer *peer = append(&c->peers, &c->n_peers, sizeof(*peer));

	if (!peer)
		return oom(p, n);
	peer->line = int_line(n);
	return peer;
}

static const struct elem_def *const peer_children[] = { &peer_sa_elem, &ipsec_elem, NULL };
static const struct elem_def peer_elem = {
	"peer", peer_attrs, peer_children, open_peer, NULL, false,
};

/* <general> */
#define GEN_OFF(f) offsetof(struct conf, f)
static const struct attr_def general_attrs[] = {
	{ "log-level", parse_loglevel, GEN_OFF(log_level), 0, 0, 0 },
	{ "state-dir", parse_path, GEN_OFF(state_dir), 0, 0, 0 },
	{ "control-socket", parse_path, GEN_OFF(control_socket), 0, SUN_PATH_MAX, 0 },
	{ "allow-reserved-spi", parse_bool, GEN_OFF(allow_reserved_spi), 0, 0, 0 },
	{ "state-fsync", parse_bool, GEN_OFF(state_fsync), 0, 0, 0 },
	{ "user", parse_user, GEN_OFF(user), 0, 0, 0 },
	{ "mip-enable", parse_bool, GEN_OFF(mip_enable), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};
static const struct elem_def general_elem = {
	"general", general_attrs, NULL, NULL, NULL, true,
};

/* <snmp agentx-socket="" ping-interval=""> */
#define SNMP_OFF(f) offsetof(struct conf_snmp, f)
static const struct attr_def snmp_attrs[] = {
	{ "agentx-socket", parse_agentx, SNMP_OFF(agentx_socket), 0, SUN_PATH_MAX, 0 },
	{ "ping-interval", parse_uint, SNMP_OFF(ping_interval), 1, 3600, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_snmp(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf *c = parent;

	(void)p;
	c->snmp.enabled = true;
	c->snmp.line = int_line(n);
	return &c->snmp;
}

static const struct elem_def snmp_elem = {
	"snmp", snmp_attrs, NULL, open_snmp, NULL, true,
};

/* <data-plane backend="" tunnel-mtu="" gratuitous-arp-count=""> */
#define DP_OFF(f) offsetof(struct conf_data_plane, f)
static const struct attr_def dp_attrs[] = {
	{ "backend", parse_backend, DP_OFF(backend), 0, 0, 0 },
	{ "tunnel-mtu", parse_uint, DP_OFF(tunnel_mtu), 576, 65515, 0 },
	{ "gratuitous-arp-count", parse_uint, DP_OFF(gratuitous_arp_count), 0, 10, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_dp(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf *c = parent;

	(void)p;
	c->dp.present = true;
	c->dp.line = int_line(n);
	c->dp.tunnel_mtu = MIP_CONF_DEFAULT_TUNNEL_MTU;
	c->dp.gratuitous_arp_count = MIP_CONF_DEFAULT_GARP_COUNT;
	return &c->dp;
}

static const struct elem_def dp_elem = {
	"data-plane", dp_attrs, NULL, open_dp, NULL, true,
};

/* <limits> */
void conf_limits_defaults(struct conf_limits *l)
{
	l->source_rate = MIP_CONF_DEFAULT_SOURCE_RATE;
	l->source_burst = MIP_CONF_DEFAULT_SOURCE_BURST;
	l->rate = MIP_CONF_DEFAULT_RATE;
	l->burst = MIP_CONF_DEFAULT_BURST;
	l->trusted_rate = MIP_CONF_DEFAULT_TRUSTED_RATE;
	l->trusted_burst = MIP_CONF_DEFAULT_TRUSTED_BURST;
	l->max_sources = MIP_CONF_DEFAULT_MAX_SOURCES;
	l->log_rate = MIP_CONF_DEFAULT_LOG_RATE;
	l->log_burst = MIP_CONF_DEFAULT_LOG_BURST;
	l->max_pending = MIP_CONF_DEFAULT_MAX_PENDING_TOTAL;
	l->socket_buffer = MIP_CONF_DEFAULT_SOCKET_BUFFER;
}

#define LIM_OFF(f) offsetof(struct conf_limits, f)
static const struct attr_def limits_attrs[] = {
	{ "source-rate", parse_uint, LIM_OFF(source_rate), 0, 1000000, 0 },
	{ "source-burst", parse_uint, LIM_OFF(source_burst), 1, 1000000, 0 },
	{ "rate", parse_uint, LIM_OFF(rate), 0, 10000000, 0 },
	{ "burst", parse_uint, LIM_OFF(burst), 1, 10000000, 0 },
	{ "trusted-rate", parse_uint, LIM_OFF(trusted_rate), 0, 10000000, 0 },
	{ "trusted-burst", parse_uint, LIM_OFF(trusted_burst), 1, 10000000, 0 },
	{ "max-sources", parse_uint, LIM_OFF(max_sources), 1, 1048576, 0 },
	{ "log-rate", parse_uint, LIM_OFF(log_rate), 0, 100000, 0 },
	{ "log-burst", parse_uint, LIM_OFF(log_burst), 1, 100000, 0 },
	{ "max-pending", parse_uint, LIM_OFF(max_pending), 0, 1048576, 0 },
	{ "socket-buffer", parse_uint, LIM_OFF(socket_buffer), 0, 1u << 30, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_limits(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf *c = parent;

	(void)p;
	conf_limits_defaults(&c->limits);
	c->limits.present = true;
	c->limits.line = int_line(n);
	return &c->limits;
}

static const struct elem_def limits_elem = {
	"limits", limits_attrs, NULL, open_limits, NULL, true,
};

/* <mipagent>: the root.  New roles go into root_children. */
static const struct attr_def no_attrs[] = { { NULL, NULL, 0, 0, 0, 0 } };
static const struct elem_def *const root_children[] = {
	&general_elem, &ha_elem, &fa_elem, &peer_elem, &snmp_elem, &dp_elem, &limits_elem, NULL
};
const struct elem_def root_elem = {
	"mipagent", no_attrs, root_children, NULL, NULL, true,
};
