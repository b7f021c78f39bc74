/* Semantic checks and defaults of a parsed configuration, and its look-ups (see conf.h). */
#include "config.h"
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include "conf.h"
#include "log.h"

#define CONF_DEFAULT_LIFETIME 1800
#define CONF_DEFAULT_TOLERANCE 7
#define CONF_MAX_TOLERANCE 3600
#define CONF_MAX_BINDINGS 65535

/* Problems are collected and printed sorted by line, so they come out in
 * file order whichever pass found them. */
struct problem {
	long line;
	size_t seq;
	char msg[240];
};

struct cctx {
	struct conf *c;
	struct problem *v;
	size_t n, cap;
	size_t lost;      /* problems that could not be stored (out of memory) */
};

static void problem(struct cctx *k, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void problem(struct cctx *k, long line, const char *fmt, ...)
{
	va_list ap;

	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16;
		struct problem *v = realloc(k->v, cap * sizeof(*v));

		if (!v) {
			k->lost++;
			return;
		}
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n].line = line;
	k->v[k->n].seq = k->n;
	va_start(ap, fmt);
	vsnprintf(k->v[k->n].msg, sizeof(k->v[k->n].msg), fmt, ap);
	va_end(ap);
	k->n++;
}

static int problem_cmp(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int report(struct cctx *k, FILE *err)
{
	const char *name = k->c->path ? k->c->path : "(config)";
	size_t i;

	if (k->n > 1)
		qsort(k->v, k->n, sizeof(*k->v), problem_cmp);
	for (i = 0; err && i < k->n; i++) {
		if (k->v[i].line > 0)
			fprintf(err, "%s:%ld: %s\n", name, k->v[i].line, k->v[i].msg);
		else
			fprintf(err, "%s: %s\n", name, k->v[i].msg);
	}
	if (err && k->lost)
		fprintf(err, "%s: out of memory (%zu more problems)\n", name, k->lost);
	free(k->v);
	return (int)(k->n + k->lost);
}

/* ---- helpers ---- */

static uint32_t host(struct in_addr a)
{
	return ntohl(a.s_addr);
}

static uint32_t prefix_mask(unsigned len)
{
	return len == 0 ? 0 : len >= 32 ? 0xffffffffu : ~(0xffffffffu >> len);
}

bool conf_prefix_contains(const struct conf_prefix *p, struct in_addr a)
{
	uint32_t m;

	if (p->len > 32)
		return false;
	m = prefix_mask(p->len);
	return (host(a) & m) == (host(p->addr) & m);
}

static const char *addr_str(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* "a.b.c.d" for a single node, "a.b.c.d-e.f.g.h" for a range. */
static const char *node_str(const struct conf_node *n, char *buf, size_t size)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (n->first.s_addr == n->last.s_addr)
		snprintf(buf, size, "%s", addr_str(n->first, a));
	else
		snprintf(buf, size, "%s-%s", addr_str(n->first, a), addr_str(n->last, b));
	return buf;
}

static bool is_unicast(struct in_addr a)
{
	uint32_t h = host(a);

	return h != 0 && h != 0xffffffffu && (h >> 28) != 0xe;
}

/* @what: the element name shown in messages ("home-network", ...). */
static void check_prefix(struct cctx *k, const struct conf_prefix *p, const char *what, long line)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	struct in_addr net;

	if (p->len > 32) {
		problem(k, line, "%s has prefix length %u (at most 32)", what, p->len);
		return;
	}
	net.s_addr = htonl(host(p->addr) & prefix_mask(p->len));
	if (net.s_addr != p->addr.s_addr)
		problem(k, line, "%s %s/%u has host bits set; the prefix is %s/%u", what,
			addr_str(p->addr, a), p->len, addr_str(net, b), p->len);
}

static void check_path(struct cctx *k, char **path, const char *def, const char *what, size_t max)
{
	if (!*path) {
		*path = strdup(def);
		if (!*path) {
			problem(k, 0, "out of memory");
			return;
		}
	}
	if ((*path)[0] != '/')
		problem(k, 0, "%s \"%.100s\" is not an absolute path", what, *path);
	else if (max && strlen(*path) > max)
		problem(k, 0, "%s is longer than %zu characters", what, max);
}

static void check_general(struct cctx *k)
{
	struct conf *c = k->c;

	if (c->log_level < LOG_LVL_ERR || c->log_level > LOG_LVL_DEBUG)
		problem(k, 0, "log-level %d is not a log level", c->log_level);
	check_path(k, &c->state_dir, MIP_CONF_DEFAULT_STATE_DIR, "state-dir", 0);
	check_path(k, &c->control_socket, MIP_CONF_DEFAULT_SOCKET, "control-socket",
		   sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
}

/* ---- security associations ---- */

static int sa_cmp(const void *a, const void *b)
{
	const struct conf_sa *x = *(const struct conf_sa *const *)a;
	const struct conf_sa *y = *(const struct conf_sa *const *)b;

	if (x->spi != y->spi)
		return x->spi < y->spi ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

/* Duplicate SPIs in one list, in O(n log n) (a node may have many SAs). */
static void check_spi_dups(struct cctx *k, struct conf_sa *sas, size_t n)
{
	const struct conf_sa **v;
	size_t i;

	if (n < 2)
		return;
	v = malloc(n * sizeof(*v));
	if (!v) {
		problem(k, 0, "out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		v[i] = &sas[i];
	qsort(v, n, sizeof(*v), sa_cmp);
	for (i = 1; i < n; i++)
		if (v[i]->spi == v[i - 1]->spi)
			problem(k, v[i]->line, "duplicate SPI %u (also at line %d)", v[i]->spi,
				v[i - 1]->line);
	free(v);
}

static void check_sas(struct cctx *k, struct conf_sa *sas, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct conf_sa *sa = &sas[i];

		if (!sa->alg)
			sa->alg = MIP_AUTH_HMAC_MD5;
		if (!sa->replay)
			sa->replay = MIP_REPLAY_TIMESTAMPS;
		if (!sa->tolerance)
			sa->tolerance = CONF_DEFAULT_TOLERANCE;
		if (sa->spi < 256 && !k->c->allow_reserved_spi)
			problem(k, sa->line,
				"SPI %u is reserved (0-255); set allow-reserved-spi to allow it", sa->spi);
		if (sa->tolerance > CONF_MAX_TOLERANCE)
			problem(k, sa->line, "timestamp-tolerance %u out of range (1-%d)",
				sa->tolerance, CONF_MAX_TOLERANCE);
		if (sa->keylen == 0 || sa->keylen > MIP_KEY_MAX)
			problem(k, sa->line, "SPI %u has no valid key (1-%d bytes)", sa->spi, MIP_KEY_MAX);
	}
	check_spi_dups(k, sas, n);
}

/* ---- home agent ---- */

static void check_interface(struct cctx *k, const struct conf_home_agent *ha)
{
	const char *s = ha->interface;
	size_t len = strnlen(s, sizeof(ha->interface));

	if (len == 0)
		return;   /* optional */
	if (len == sizeof(ha->interface)) {
		problem(k, ha->line, "interface name longer than %zu characters",
			sizeof(ha->interface) - 1);
		return;
	}
	if (!strcmp(s, ".") || !strcmp(s, "..") || strpbrk(s, "/: \t\n\r\v\f"))
		problem(k, ha->line, "interface name \"%s\" is not valid", s);
}

static void check_lifetime(struct cctx *k, unsigned v, long line)
{
	if (v < 1 || v > MIP_LIFETIME_INFINITE)
		problem(k, line, "max-registration-lifetime %u out of range (1-%d)", v,
			MIP_LIFETIME_INFINITE);
}

static void check_bindings(struct cctx *k, unsigned v, long line)
{
	if (v < 1)
		problem(k, line, "max-bindings must be at least 1");
	else if (v > CONF_MAX_BINDINGS)
		problem(k, line, "max-bindings %u out of range (1-%d)", v, CONF_MAX_BINDINGS);
}

static bool home_network_set(const struct conf_home_agent *ha)
{
	return ha->home_network.len != 0 || ha->home_network.addr.s_addr != 0;
}

/* Is the whole node inside the home network or one virtual network? */
static bool node_at_home(const struct conf_home_agent *ha, const struct conf_node *n)
{
	size_t i;

	if (home_network_set(ha) && conf_prefix_contains(&ha->home_network, n->first) &&
	    conf_prefix_contains(&ha->home_network, n->last))
		return true;
	for (i = 0; i < ha->n_virtual_networks; i++)
		if (conf_prefix_contains(&ha->virtual_networks[i], n->first) &&
		    conf_prefix_contains(&ha->virtual_networks[i], n->last))
			return true;
	return false;
}

static void check_node(struct cctx *k, const struct conf_home_agent *ha, struct conf_node *n)
{
	char s[40], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	bool valid = host(n->first) <= host(n->last);

	node_str(n, s, sizeof(s));
	if (!valid)
		problem(k, n->line, "mobile-node first %s is after last %s", addr_str(n->first, a),
			addr_str(n->last, b));
	if (n->nai && n->first.s_addr != n->last.s_addr)
		problem(k, n->line, "nai is only allowed on a single mobile-node, not on a range");
	if (n->max_lifetime)
		check_lifetime(k, n->max_lifetime, n->line);
	if (n->max_bindings > CONF_MAX_BINDINGS)
		check_bindings(k, n->max_bindings, n->line);
	if (valid && (home_network_set(ha) || ha->n_virtual_networks) && !node_at_home(ha, n))
		problem(k, n->line,
			"mobile-node %s is outside the home network and every virtual network", s);
	if (valid && host(ha->address) >= host(n->first) && host(ha->address) <= host(n->last))
		problem(k, n->line, "mobile-node %s includes the home agent address %s", s,
			addr_str(ha->address, a));
	if (n->n_sas == 0)
		problem(k, n->line, "mobile-node %s has no security-association", s);
	check_sas(k, n->sas, n->n_sas);
}

static int node_cmp(const void *a, const void *b)
{
	const struct conf_node *x = a, *y = b;

	if (x->first.s_addr != y->first.s_addr)
		return host(x->first) < host(y->first) ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

static void report_overlap(struct cctx *k, const struct conf_node *x, const struct conf_node *y)
{
	const struct conf_node *early = x->line <= y->line ? x : y;
	const struct conf_node *late = early == x ? y : x;
	char a[40], b[40];

	node_str(late, a, sizeof(a));
	node_str(early, b, sizeof(b));
	if (x->first.s_addr == x->last.s_addr && y->first.s_addr == y->last.s_addr)
		problem(k, late->line, "duplicate mobile-node %s (also at line %d)", a, early->line);
	else
		problem(k, late->line, "mobile-node %s overlaps mobile-node %s at line %d", a, b,
			early->line);
}

static bool overlaps(const struct conf_node *top, const struct conf_node *n)
{
	return top && host(n->first) <= host(top->last);
}

/* Sort by first address; then a node overlaps an earlier one iff it starts
 * at or before the highest last address seen so far.  Each node is compared
 * with the two earlier nodes reaching highest, so every overlapping node is
 * reported in O(n log n), though not every overlapping pair. */
static void check_overlaps(struct cctx *k, struct conf_home_agent *ha)
{
	const struct conf_node *top = NULL, *second = NULL;
	size_t i;

	if (ha->n_nodes > 1)
		qsort(ha->nodes, ha->n_nodes, sizeof(*ha->nodes), node_cmp);
	for (i = 0; i < ha->n_nodes; i++) {
		const struct conf_node *n = &ha->nodes[i];

		if (host(n->first) > host(n->last))
			continue;
		if (overlaps(top, n))
			report_overlap(k, top, n);
		if (overlaps(second, n))
			report_overlap(k, second, n);
		if (!top || host(n->last) > host(top->last)) {
			second = top;
			top = n;
		} else if (!second || host(n->last) > host(second->last)) {
			second = n;
		}
	}
}

static int nai_cmp(const void *a, const void *b)
{
	const struct conf_node *x = *(const struct conf_node *const *)a;
	const struct conf_node *y = *(const struct conf_node *const *)b;
	int r = strcmp(x->nai, y->nai);

	return r ? r : (x->line > y->line) - (x->line < y->line);
}

static void check_nai_dups(struct cctx *k, const struct conf_home_agent *ha)
{
	const struct conf_node **v;
	size_t i, n = 0;

	v = malloc((ha->n_nodes ? ha->n_nodes : 1) * sizeof(*v));
	if (!v) {
		problem(k, 0, "out of memory");
		return;
	}
	for (i = 0; i < ha->n_nodes; i++)
		if (ha->nodes[i].nai)
			v[n++] = &ha->nodes[i];
	if (n > 1)
		qsort(v, n, sizeof(*v), nai_cmp);
	for (i = 1; i < n; i++)
		if (!strcmp(v[i]->nai, v[i - 1]->nai))
			problem(k, v[i]->line, "duplicate nai %.100s (also at line %d)", v[i]->nai,
				v[i - 1]->line);
	free(v);
}

static void check_ha(struct cctx *k, struct conf_home_agent *ha)
{
	char a[INET_ADDRSTRLEN];
	size_t i;

	if (!is_unicast(ha->address))
		problem(k, ha->line, "home-agent address %s is not a unicast address",
			addr_str(ha->address, a));
	check_interface(k, ha);
	if (!home_network_set(ha))
		problem(k, ha->line, "home-agent needs a home-network");
	else
		check_prefix(k, &ha->home_network, "home-network",
			     ha->home_network.line ? ha->home_network.line : ha->line);
	for (i = 0; i < ha->n_virtual_networks; i++) {
		const struct conf_prefix *v = &ha->virtual_networks[i];

		check_prefix(k, v, "virtual-network", v->line ? v->line : ha->line);
	}
	for (i = 0; i < ha->n_access; i++)
		check_prefix(k, &ha->access[i].net, ha->access[i].permit ? "permit network" :
			     "deny network", ha->access[i].line);
	if (!ha->max_lifetime)
		ha->max_lifetime = CONF_DEFAULT_LIFETIME;
	if (!ha->max_bindings)
		ha->max_bindings = 1;
	check_lifetime(k, ha->max_lifetime, ha->line);
	check_bindings(k, ha->max_bindings, ha->line);
	for (i = 0; i < ha->n_nodes; i++)
		check_node(k, ha, &ha->nodes[i]);
	check_overlaps(k, ha);
	check_nai_dups(k, ha);
}

/* ---- peers ---- */

static int peer_cmp(const void *a, const void *b)
{
	const struct conf_peer *x = a, *y = b;

	if (x->addr.s_addr != y->addr.s_addr)
		return host(x->addr) < host(y->addr) ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

/* <ipsec> of @p: something to protect, and our end for tunnel mode (by
 * default the home agent's address). */
static void check_ipsec(struct cctx *k, struct conf_peer *p)
{
	struct conf_ipsec *ip = &p->ipsec;
	char a[INET_ADDRSTRLEN], l[INET_ADDRSTRLEN];
	bool any = false, tunnel = false;

	if (!ip->present)
		return;
	for (int t = 0; t < CONF_IPSEC_N; t++) {
		any |= ip->policy[t].present;
		tunnel |= ip->policy[t].present && ip->policy[t].tunnel;
	}
	addr_str(p->addr, a);
	for (int t = 0; t < CONF_IPSEC_N; t++) {
		static const char *const names[CONF_IPSEC_N] = {
			"registration-request", "registration-reply", "forward-tunnel", "reverse-tunnel"
		};
		const struct conf_ipsec_policy *pol = &ip->policy[t];
		/* outbound: the home agent's replies and forward tunnel, the
		 * foreign agent's requests and reverse tunnel */
		bool out = (k->c->ha.enabled && (t == CONF_IPSEC_REPLY || t == CONF_IPSEC_FORWARD)) ||
			   (k->c->fa.enabled && (t == CONF_IPSEC_REQUEST || t == CONF_IPSEC_REVERSE));

		if (pol->present && pol->tunnel && pol->optional && out)
			problem(k, pol->line, "<%s> of peer %s: level \"use\" with mode \"tunnel\" is "
				"not allowed for outgoing traffic (the kernel refuses it)", names[t], a);
	}
	if (!any)
		problem(k, ip->line, "<ipsec> of peer %s names no traffic (registration-request, "
			"registration-reply, forward-tunnel, reverse-tunnel)", a);
	if (ip->local.s_addr == INADDR_ANY && k->c->ha.enabled)
		ip->local = k->c->ha.address;
	if (ip->local.s_addr != INADDR_ANY && !is_unicast(ip->local))
		problem(k, ip->line, "<ipsec> local-address %s is not a unicast address",
			addr_str(ip->local, l));
	else if (ip->local.s_addr == INADDR_ANY && tunnel)
		problem(k, ip->line, "<ipsec> of peer %s: tunnel mode needs local-address (our end "
			"of the IPsec tunnel)", a);
}

static void check_peers(struct cctx *k)
{
	struct conf *c = k->c;
	char a[INET_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < c->n_peers; i++) {
		struct conf_peer *p = &c->peers[i];

		addr_str(p->addr, a);
		if (!is_unicast(p->addr))
			problem(k, p->line, "peer address %s is not a unicast address", a);
		if (p->n_sas == 0)
			problem(k, p->line, "peer %s has no security-association", a);
		check_sas(k, p->sas, p->n_sas);
		check_ipsec(k, p);
	}
	if (c->n_peers > 1)
		qsort(c->peers, c->n_peers, sizeof(*c->peers), peer_cmp);
	for (i = 1; i < c->n_peers; i++)
		if (c->peers[i].addr.s_addr == c->peers[i - 1].addr.s_addr)
			problem(k, c->peers[i].line, "duplicate peer %s (also at line %d)",
				addr_str(c->peers[i].addr, a), c->peers[i - 1].line);
}

/* ---- advertising interfaces and the foreign agent ---- */

static void check_ifname(struct cctx *k, const char *s, size_t size, long line)
{
	size_t len = strnlen(s, size);

	if (len == size)
		problem(k, line, "interface name longer than %zu characters", size - 1);
	else if (len == 0 || !strcmp(s, ".") || !strcmp(s, "..") || strpbrk(s, "/: \t\n\r\v\f"))
		problem(k, line, "interface name \"%s\" is not valid", s);
}

/* RFC 1256 §4 defaults and ranges; @role_lifetime: the role's maximum. */
static void check_adv_if(struct cctx *k, struct conf_adv_if *i, unsigned role_lifetime)
{
	check_ifname(k, i->name, sizeof(i->name), i->line);
	if (!i->max_interval)
		i->max_interval = i->min_interval > MIP_CONF_DEFAULT_MAX_ADV_INTERVAL ?
				  i->min_interval : MIP_CONF_DEFAULT_MAX_ADV_INTERVAL;
	if (!i->min_interval)
		i->min_interval = i->max_interval * 3 / 4 < 3 ? 3 : i->max_interval * 3 / 4;
	if (!i->adv_lifetime)
		i->adv_lifetime = i->max_interval * 3 > 9000 ? 9000 : i->max_interval * 3;
	if (!i->max_lifetime)
		i->max_lifetime = role_lifetime;
	if (i->min_interval > i->max_interval)
		problem(k, i->line, "interface %s: min-interval %u is above max-interval %u", i->name,
			i->min_interval, i->max_interval);
	if (i->adv_lifetime < i->max_interval)
		problem(k, i->line, "interface %s: advertisement-lifetime %u is below max-interval %u",
			i->name, i->adv_lifetime, i->max_interval);
}

static bool adv_if_same(const struct conf_adv_if *a, const struct conf_adv_if *b)
{
	return a->advertise == b->advertise && a->adv_address.s_addr == b->adv_address.s_addr &&
	       a->min_interval == b->min_interval && a->max_interval == b->max_interval &&
	       a->adv_lifetime == b->adv_lifetime && a->max_lifetime == b->max_lifetime &&
	       a->prefix_length_inclusion == b->prefix_length_inclusion &&
	       a->solicitation_only == b->solicitation_only;
}

static void check_fa_if(struct cctx *k, struct conf_foreign_agent *fa, struct conf_adv_if *i)
{
	char a[INET_ADDRSTRLEN];

	check_adv_if(k, i, fa->max_lifetime);
	if (!i->visitor_limit_set)
		i->visitor_limit = fa->visitor_limit;
	if (i->n_coas == 0)
		problem(k, i->line, "interface %s offers no care-of-address", i->name);
	for (size_t j = 0; j < i->n_coas; j++) {
		if (!is_unicast(i->coas[j].addr))
			problem(k, i->coas[j].line, "care-of-address %s is not a unicast address",
				addr_str(i->coas[j].addr, a));
		for (size_t m = 0; m < j; m++)
			if (i->coas[m].addr.s_addr == i->coas[j].addr.s_addr)
				problem(k, i->coas[j].line, "duplicate care-of-address %s (also at line %d)",
					addr_str(i->coas[j].addr, a), i->coas[m].line);
	}
	if (i->n_coas > 32)
		problem(k, i->line, "interface %s offers more than 32 care-of addresses", i->name);
	for (struct conf_adv_if *o = fa->ifaces; o < i; o++)
		if (!strcmp(o->name, i->name))
			problem(k, i->line, "duplicate interface %s (also at line %d)", i->name, o->line);
}

static void check_visitor(struct cctx *k, struct conf_foreign_agent *fa, struct conf_visitor *v)
{
	char a[INET_ADDRSTRLEN];

	addr_str(v->addr, a);
	if (v->addr.s_addr == INADDR_ANY ? !v->nai : !is_unicast(v->addr))
		problem(k, v->line, "visitor address %s is not a unicast address%s", a,
			v->addr.s_addr == INADDR_ANY ? " (0.0.0.0 needs a nai)" : "");
	if (v->n_sas == 0)
		problem(k, v->line, "visitor %s has no security-association", v->nai ? v->nai : a);
	check_sas(k, v->sas, v->n_sas);
	for (struct conf_visitor *o = fa->visitors; o < v; o++)
		if (o->addr.s_addr == v->addr.s_addr &&
		    (v->addr.s_addr != INADDR_ANY || !strcmp(o->nai, v->nai)))
			problem(k, v->line, "duplicate visitor %s (also at line %d)", v->nai ? v->nai : a,
				o->line);
}

static void check_fa(struct cctx *k, struct conf_foreign_agent *fa)
{
	size_t i;

	if (!fa->max_lifetime)
		fa->max_lifetime = MIP_CONF_DEFAULT_FA_LIFETIME;
	check_lifetime(k, fa->max_lifetime, fa->line);
	if (fa->reverse_tunnel_required && !fa->reverse_tunnel)
		problem(k, fa->line, "reverse-tunnel-required needs reverse-tunnel");
	if (fa->n_ifaces == 0)
		problem(k, fa->line, "foreign-agent needs at least one <interface>");
	for (i = 0; i < fa->n_ifaces; i++)
		check_fa_if(k, fa, &fa->ifaces[i]);
	for (i = 0; i < fa->n_visitors; i++)
		check_visitor(k, fa, &fa->visitors[i]);
	for (i = 0; i < fa->n_ha_access; i++)
		check_prefix(k, &fa->ha_access[i].net, fa->ha_access[i].permit ? "permit network" :
			     "deny network", fa->ha_access[i].line);
}

/* The home agent's advertisements go on its home link only (§2.3: H there). */
static void check_ha_adv(struct cctx *k, struct conf *c)
{
	struct conf_adv_if *i = c->ha.adv;
	const struct conf_adv_if *f;

	if (!i)
		return;
	check_adv_if(k, i, c->ha.max_lifetime);
	if (strcmp(i->name, c->ha.interface))
		problem(k, i->line, "home-agent interface %s is not the home link interface%s%s", i->name,
			c->ha.interface[0] ? " " : " (set the interface attribute)", c->ha.interface);
	f = c->fa.enabled ? conf_find_fa_if(&c->fa, i->name) : NULL;
	if (f && !adv_if_same(i, f))
		problem(k, i->line, "interface %s: advertisement settings differ from line %d (one "
			"advertisement carries both roles)", i->name, f->line);
}

/* <snmp>: defaults (the socket path was checked by the parser). */
static void check_snmp(struct cctx *k)
{
	struct conf_snmp *s = &k->c->snmp;

	if (!s->enabled)
		return;
	if (!s->agentx_socket) {
		s->agentx_socket = strdup(MIP_CONF_DEFAULT_AGENTX);
		if (!s->agentx_socket)
			problem(k, s->line, "out of memory");
	}
	if (!s->ping_interval)
		s->ping_interval = MIP_CONF_DEFAULT_PING_INTERVAL;
}

/* <data-plane>: defaults when the element is absent (the parser sets them
 * for the attributes an element leaves out). */
static void check_dp(struct cctx *k)
{
	struct conf_data_plane *dp = &k->c->dp;

	if (dp->present)
		return;
	dp->backend = CONF_DP_AUTO;
	dp->tunnel_mtu = MIP_CONF_DEFAULT_TUNNEL_MTU;
	dp->gratuitous_arp_count = MIP_CONF_DEFAULT_GARP_COUNT;
}

int conf_check(struct conf *c, FILE *err)
{
	struct cctx k = { .c = c };

	check_general(&k);
	check_snmp(&k);
	check_dp(&k);
	if (!c->limits.present)
		conf_limits_defaults(&c->limits);
	if (!c->ha.enabled && !c->fa.enabled)
		problem(&k, 0, "no role enabled: configure a <home-agent> or a <foreign-agent>");
	if (c->ha.enabled)
		check_ha(&k, &c->ha);
	if (c->fa.enabled)
		check_fa(&k, &c->fa);
	if (c->ha.enabled)
		check_ha_adv(&k, c);
	check_peers(&k);
	return report(&k, err);
}

/* ---- look-ups ---- */

const struct conf_node *conf_find_node(const struct conf_home_agent *ha, struct in_addr hoa)
{
	uint32_t a = host(hoa);
	size_t lo = 0, hi = ha->n_nodes;

	/* lo: the number of nodes whose first address is <= a */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (host(ha->nodes[mid].first) <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || a > host(ha->nodes[lo - 1].last))
		return NULL;
	return &ha->nodes[lo - 1];
}

const struct conf_sa *conf_find_sa(const struct conf_sa *sas, size_t n, uint32_t spi)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sas[i].spi == spi)
			return &sas[i];
	return NULL;
}

const struct conf_peer *conf_find_peer(const struct conf *c, struct in_addr addr)
{
	uint32_t a = host(addr);
	size_t lo = 0, hi = c->n_peers;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t m = host(c->peers[mid].addr);

		if (m == a)
			return &c->peers[mid];
		if (m < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct conf_adv_if *conf_find_fa_if(const struct conf_foreign_agent *fa, const char *name)
{
	for (size_t i = 0; i < fa->n_ifaces; i++)
		if (!strcmp(fa->ifaces[i].name, name))
			return &fa->ifaces[i];
	return NULL;
}

const struct conf_visitor *conf_find_visitor(const struct conf_foreign_agent *fa, struct in_addr hoa,
					     const uint8_t *nai, size_t nai_len)
{
	for (size_t i = 0; i < fa->n_visitors; i++) {
		const struct conf_visitor *v = &fa->visitors[i];

		if (hoa.s_addr != INADDR_ANY ? v->addr.s_addr == hoa.s_addr :
		    (v->nai && nai && strlen(v->nai) == nai_len && !memcmp(v->nai, nai, nai_len)))
			return v;
	}
	return NULL;
}
