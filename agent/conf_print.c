/* Normalised, deterministic text form of a configuration; keys are never shown (see conf.h). */
#include "config.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "conf.h"
#include "log.h"

static const char *yesno(bool b)
{
	return b ? "true" : "false";
}

static const char *level_name(int level)
{
	static const char *const names[] = {
		[LOG_LVL_ERR] = "error", [LOG_LVL_WARN] = "warning",
		[LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug",
	};

	if (level < 0 || level >= (int)(sizeof(names) / sizeof(names[0])))
		return "?";
	return names[level];
}

/* A path or NAI: as is, or double-quoted with escapes if it has blanks or quotes. */
static void print_str(FILE *out, const char *s)
{
	if (!strpbrk(s, " \t\"\\")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static const char *ntoa(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void print_prefix(FILE *out, const struct conf_prefix *p)
{
	char a[INET_ADDRSTRLEN];

	fprintf(out, "%s/%u", ntoa(p->addr, a), p->len);
}

static void print_sas(FILE *out, const struct conf_sa *sas, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct conf_sa *sa = &sas[i];
		const char *alg = mip_auth_alg_name(sa->alg);
		const char *replay = mip_replay_name(sa->replay);

		fprintf(out, "  security-association spi %u algorithm %s replay-method %s", sa->spi,
			alg ? alg : "?", replay ? replay : "?");
		if (sa->replay == MIP_REPLAY_TIMESTAMPS)
			fprintf(out, " timestamp-tolerance %u", sa->tolerance);
		fprintf(out, " key <hidden>\n");
	}
}

static void print_node(FILE *out, const struct conf_home_agent *ha, const struct conf_node *n)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	fprintf(out, "mobile-node %s", ntoa(n->first, a));
	if (n->last.s_addr != n->first.s_addr)
		fprintf(out, "-%s", ntoa(n->last, b));
	if (n->nai) {
		fprintf(out, " nai ");
		print_str(out, n->nai);
	}
	fprintf(out, " max-registration-lifetime %u max-bindings %u roam %s\n",
		n->max_lifetime ? n->max_lifetime : ha->max_lifetime,
		n->max_bindings ? n->max_bindings : ha->max_bindings, yesno(n->roam));
	print_sas(out, n->sas, n->n_sas);
}

static void print_adv_if(FILE *out, const char *indent, const struct conf_adv_if *i, bool foreign);

static void print_ha(FILE *out, const struct conf_home_agent *ha)
{
	char a[INET_ADDRSTRLEN];
	size_t i;

	fprintf(out, "home-agent address %s", ntoa(ha->address, a));
	if (ha->interface[0])
		fprintf(out, " interface %.*s", (int)sizeof(ha->interface), ha->interface);
	fprintf(out, " home-network ");
	print_prefix(out, &ha->home_network);
	fprintf(out, " max-registration-lifetime %u max-bindings %u max-total-bindings %u",
		ha->max_lifetime, ha->max_bindings, ha->max_total_bindings);
	fprintf(out, " reverse-tunnel %s reverse-tunnel-required %s", yesno(ha->reverse_tunnel),
		yesno(ha->reverse_tunnel_required));
	fprintf(out, " minimal-encapsulation %s gre-encapsulation %s broadcast %s collocated %s\n",
		yesno(ha->encaps_minimal), yesno(ha->encaps_gre), yesno(ha->broadcast),
		yesno(ha->collocated));
	for (i = 0; i < ha->n_virtual_networks; i++) {
		fprintf(out, "virtual-network ");
		print_prefix(out, &ha->virtual_networks[i]);
		fputc('\n', out);
	}
	fprintf(out, "care-of-access default %s\n", ha->access_default_permit ? "permit" : "deny");
	for (i = 0; i < ha->n_access; i++) {
		fprintf(out, "  %s ", ha->access[i].permit ? "permit" : "deny");
		print_prefix(out, &ha->access[i].net);
		fputc('\n', out);
	}
	for (i = 0; i < ha->n_nodes; i++)
		print_node(out, ha, &ha->nodes[i]);
	if (ha->adv)
		print_adv_if(out, "", ha->adv, false);
}

/* @foreign: a foreign agent's interface (with its visitor limit). */
static void print_adv_if(FILE *out, const char *indent, const struct conf_adv_if *i, bool foreign)
{
	char a[INET_ADDRSTRLEN];

	fprintf(out, "%sinterface %s advertise %s advertisement-address %s min-interval %u "
		"max-interval %u advertisement-lifetime %u max-registration-lifetime %u "
		"prefix-length-inclusion %s response-solicitation-only %s", indent, i->name,
		yesno(i->advertise), ntoa(i->adv_address, a), i->min_interval, i->max_interval,
		i->adv_lifetime, i->max_lifetime, yesno(i->prefix_length_inclusion),
		yesno(i->solicitation_only));
	if (foreign)
		fprintf(out, " visitor-limit %u", i->visitor_limit);
	fputc('\n', out);
	for (size_t j = 0; j < i->n_coas; j++)
		fprintf(out, "%s  care-of-address %s\n", indent, ntoa(i->coas[j].addr, a));
}

static void print_fa(FILE *out, const struct conf_foreign_agent *fa)
{
	char a[INET_ADDRSTRLEN];
	size_t i;

	fprintf(out, "foreign-agent registration-required %s visitor-limit %u "
		"max-registration-lifetime %u pending-timeout %u max-pending-per-node %u",
		yesno(fa->registration_required), fa->visitor_limit, fa->max_lifetime,
		fa->pending_timeout, fa->max_pending);
	fprintf(out, " reverse-tunnel %s reverse-tunnel-required %s minimal-encapsulation %s "
		"gre-encapsulation %s icmp-code %u\n", yesno(fa->reverse_tunnel),
		yesno(fa->reverse_tunnel_required), yesno(fa->encaps_minimal), yesno(fa->encaps_gre),
		fa->icmp_code);
	for (i = 0; i < fa->n_ifaces; i++)
		print_adv_if(out, "", &fa->ifaces[i], true);
	fprintf(out, "home-agent-access default %s\n", fa->ha_access_default_permit ? "permit" : "deny");
	for (i = 0; i < fa->n_ha_access; i++) {
		fprintf(out, "  %s ", fa->ha_access[i].permit ? "permit" : "deny");
		print_prefix(out, &fa->ha_access[i].net);
		fputc('\n', out);
	}
	for (i = 0; i < fa->n_visitors; i++) {
		fprintf(out, "visitor %s", ntoa(fa->visitors[i].addr, a));
		if (fa->visitors[i].nai) {
			fprintf(out, " nai ");
			print_str(out, fa->visitors[i].nai);
		}
		fputc('\n', out);
		print_sas(out, fa->visitors[i].sas, fa->visitors[i].n_sas);
	}
}

static const char *backend_name(enum conf_dp_backend b)
{
	switch (b) {
	case CONF_DP_KERNEL: return "kernel";
	case CONF_DP_USERSPACE: return "userspace";
	case CONF_DP_AUTO: break;
	}
	return "auto";
}

/* A peer's <ipsec>: one line per kind of traffic protected. */
static void print_ipsec(FILE *out, const struct conf_ipsec *ip)
{
	static const char *const names[CONF_IPSEC_N] = {
		[CONF_IPSEC_REQUEST] = "registration-request", [CONF_IPSEC_REPLY] = "registration-reply",
		[CONF_IPSEC_FORWARD] = "forward-tunnel", [CONF_IPSEC_REVERSE] = "reverse-tunnel",
	};
	char a[INET_ADDRSTRLEN], algs[256];

	if (!ip->present)
		return;
	fprintf(out, "  ipsec local-address %s\n", ip->local.s_addr ? ntoa(ip->local, a) : "any");
	for (int t = 0; t < CONF_IPSEC_N; t++) {
		const struct conf_ipsec_policy *p = &ip->policy[t];

		if (!p->present)
			continue;
		fprintf(out, "  ipsec %s protocol %s mode %s level %s", names[t], p->ah ? "ah" : "esp",
			p->tunnel ? "tunnel" : "transport", p->optional ? "use" : "required");
		if (p->reqid)
			fprintf(out, " reqid %u", p->reqid);
		if (p->spi)
			fprintf(out, " spi %u", p->spi);
		conf_ipsec_algs_str(p, algs, sizeof(algs));
		fprintf(out, " algorithms ");
		print_str(out, algs[0] ? algs : "any");
		fputc('\n', out);
	}
}

static void print_limits(FILE *out, const struct conf_limits *l)
{
	fprintf(out, "limits source-rate %u source-burst %u rate %u burst %u trusted-rate %u "
		"trusted-burst %u max-sources %u log-rate %u log-burst %u max-pending %u "
		"socket-buffer %u\n", l->source_rate, l->source_burst, l->rate, l->burst,
		l->trusted_rate, l->trusted_burst, l->max_sources, l->log_rate, l->log_burst,
		l->max_pending, l->socket_buffer);
}

void conf_print(const struct conf *c, FILE *out)
{
	char a[INET_ADDRSTRLEN];
	size_t i;

	fprintf(out, "general log-level %s state-dir ", level_name(c->log_level));
	print_str(out, c->state_dir ? c->state_dir : MIP_CONF_DEFAULT_STATE_DIR);
	fprintf(out, " control-socket ");
	print_str(out, c->control_socket ? c->control_socket : MIP_CONF_DEFAULT_SOCKET);
	fprintf(out, " allow-reserved-spi %s state-fsync %s%s\n", yesno(c->allow_reserved_spi),
		yesno(c->state_fsync), c->mip_enable ? "" : " mip-enable no");
	if (c->user) {
		fprintf(out, "general user ");
		print_str(out, c->user);
		fputc('\n', out);
	}
	if (c->ha.enabled)
		print_ha(out, &c->ha);
	if (c->fa.enabled)
		print_fa(out, &c->fa);
	for (i = 0; i < c->n_peers; i++) {
		fprintf(out, "peer %s\n", ntoa(c->peers[i].addr, a));
		print_sas(out, c->peers[i].sas, c->peers[i].n_sas);
		print_ipsec(out, &c->peers[i].ipsec);
	}
	if (c->snmp.enabled) {
		fprintf(out, "snmp agentx-socket ");
		print_str(out, c->snmp.agentx_socket ? c->snmp.agentx_socket : MIP_CONF_DEFAULT_AGENTX);
		fprintf(out, " ping-interval %u\n", c->snmp.ping_interval);
	}
	if (c->dp.present)
		fprintf(out, "data-plane backend %s tunnel-mtu %u gratuitous-arp-count %u\n",
			backend_name(c->dp.backend), c->dp.tunnel_mtu, c->dp.gratuitous_arp_count);
	if (c->limits.present)
		print_limits(out, &c->limits);
}
