/* The foreign agent's element tables (conf.h): <foreign-agent>, its
 * <visitor>s and <home-agent-access>, and the advertising <interface> of
 * both agents. */
#include "config.h"
#include <arpa/inet.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/tree.h>
#include "conf.h"
#include "conf_parse_int.h"

/* maAdvAddress: the all-systems group or the limited broadcast (RFC 1256). */
static const char *parse_adv_address(const struct attr_def *a, const char *s, void *dst,
				     char *why, size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (strcmp(s, "224.0.0.1") && strcmp(s, "255.255.255.255"))
		return "not 224.0.0.1 or 255.255.255.255";
	inet_pton(AF_INET, s, dst);
	return NULL;
}

/* The Code of Agent Advertisements: 16 (mobility agent only) or 0 (router). */
static const char *parse_icmp_code(const struct attr_def *a, const char *s, void *dst,
				   char *why, size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (strcmp(s, "16") && strcmp(s, "0"))
		return "not 16 or 0";
	*(unsigned *)dst = s[0] == '0' ? 0 : 16;
	return NULL;
}

/* <interface name=""> (both roles; visitor-limit on a foreign agent's only) */
#define AIF_OFF(f) offsetof(struct conf_adv_if, f)
#define AIF_VISITOR_LIMIT 9     /* index of visitor-limit below */
static const struct attr_def adv_if_attrs[] = {
	{ "name", parse_ifname, AIF_OFF(name), 0, 0, ATTR_REQUIRED },
	{ "advertise", parse_bool, AIF_OFF(advertise), 0, 0, 0 },
	{ "advertisement-address", parse_adv_address, AIF_OFF(adv_address), 0, 0, 0 },
	{ "min-interval", parse_uint, AIF_OFF(min_interval), 3, 1800, 0 },
	{ "max-interval", parse_uint, AIF_OFF(max_interval), 4, 1800, 0 },
	{ "advertisement-lifetime", parse_uint, AIF_OFF(adv_lifetime), 4, 9000, 0 },
	{ "max-registration-lifetime", parse_uint, AIF_OFF(max_lifetime), 1, 65535, 0 },
	{ "prefix-length-inclusion", parse_bool, AIF_OFF(prefix_length_inclusion), 0, 0, 0 },
	{ "response-solicitation-only", parse_bool, AIF_OFF(solicitation_only), 0, 0, 0 },
	{ "visitor-limit", parse_uint, AIF_OFF(visitor_limit), 0, UINT_MAX, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

/* An interface's own visitor limit, kept apart from the inherited default. */
static void done_fa_if(struct pctx *p, xmlNode *n, void *obj, unsigned seen)
{
	(void)p, (void)n;
	((struct conf_adv_if *)obj)->visitor_limit_set = seen & (1u << AIF_VISITOR_LIMIT);
}

static void done_ha_if(struct pctx *p, xmlNode *n, void *obj, unsigned seen)
{
	(void)obj;
	if (seen & (1u << AIF_VISITOR_LIMIT))
		perr(p, line_of(n), "<interface> visitor-limit: only on a foreign agent's interface");
}

static void adv_if_defaults(struct conf_adv_if *i, xmlNode *n)
{
	i->advertise = true;
	i->adv_address.s_addr = htonl(0xe0000001);     /* 224.0.0.1 */
	i->line = int_line(n);
}

static void *open_fa_if(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_foreign_agent *fa = parent;
	struct conf_adv_if *i = append(&fa->ifaces, &fa->n_ifaces, sizeof(*i));

	if (!i)
		return oom(p, n);
	adv_if_defaults(i, n);
	return i;
}

static void *open_ha_if(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_home_agent *ha = parent;

	ha->adv = calloc(1, sizeof(*ha->adv));
	if (!ha->adv)
		return oom(p, n);
	adv_if_defaults(ha->adv, n);
	return ha->adv;
}

/* <care-of-address address=""/> */
static const struct attr_def coa_attrs[] = {
	{ "address", parse_addr, offsetof(struct conf_coa, addr), 0, 0, ATTR_REQUIRED },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_coa(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_adv_if *i = parent;
	struct conf_coa *coa = append(&i->coas, &i->n_coas, sizeof(*coa));

	if (!coa)
		return oom(p, n);
	coa->line = int_line(n);
	return coa;
}

static const struct elem_def coa_elem = {
	"care-of-address", coa_attrs, NULL, open_coa, NULL, false,
};
static const struct elem_def *const fa_if_children[] = { &coa_elem, NULL };
static const struct elem_def fa_if_elem = {
	"interface", adv_if_attrs, fa_if_children, open_fa_if, done_fa_if, false,
};
const struct elem_def ha_if_elem = {
	"interface", adv_if_attrs, NULL, open_ha_if, done_ha_if, true,
};

/* <visitor address="" nai=""> <security-association/> </visitor> */
static const struct attr_def visitor_attrs[] = {
	{ "address", parse_addr, offsetof(struct conf_visitor, addr), 0, 0, ATTR_REQUIRED },
	{ "nai", parse_nai, offsetof(struct conf_visitor, nai), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_visitor(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_foreign_agent *fa = parent;
	struct conf_visitor *v = append(&fa->visitors, &fa->n_visitors, sizeof(*v));

	if (!v)
		return oom(p, n);
	v->line = int_line(n);
	return v;
}

static void *open_visitor_sa(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_visitor *v = parent;

	return new_sa(p, n, &v->sas, &v->n_sas);
}

static const struct elem_def visitor_sa_elem = {
	"security-association", sa_attrs, NULL, open_visitor_sa, NULL, false,
};
static const struct elem_def *const visitor_children[] = { &visitor_sa_elem, NULL };
static const struct elem_def visitor_elem = {
	"visitor", visitor_attrs, visitor_children, open_visitor, NULL, false,
};

/* <home-agent-access default=""> <permit network=""/> <deny network=""/> */
static void *open_fa_access(struct pctx *p, xmlNode *n, void *parent, bool permit)
{
	struct conf_foreign_agent *fa = parent;

	return new_access(p, n, &fa->ha_access, &fa->n_ha_access, permit);
}

static void *open_fa_permit(struct pctx *p, xmlNode *n, void *parent)
{
	return open_fa_access(p, n, parent, true);
}

static void *open_fa_deny(struct pctx *p, xmlNode *n, void *parent)
{
	return open_fa_access(p, n, parent, false);
}

static const struct elem_def fa_permit_elem = {
	"permit", access_entry_attrs, NULL, open_fa_permit, NULL, false,
};
static const struct elem_def fa_deny_elem = {
	"deny", access_entry_attrs, NULL, open_fa_deny, NULL, false,
};
static const struct attr_def fa_access_attrs[] = {
	{ "default", parse_permit, offsetof(struct conf_foreign_agent, ha_access_default_permit),
	  0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};
static const struct elem_def *const fa_access_children[] = { &fa_permit_elem, &fa_deny_elem, NULL };
static const struct elem_def fa_access_elem = {
	"home-agent-access", fa_access_attrs, fa_access_children, NULL, NULL, true,
};

/* <foreign-agent> */
#define FA_OFF(f) offsetof(struct conf_foreign_agent, f)
static const struct attr_def fa_attrs[] = {
	{ "registration-required", parse_bool, FA_OFF(registration_required), 0, 0, 0 },
	{ "visitor-limit", parse_uint, FA_OFF(visitor_limit), 0, UINT_MAX, 0 },
	{ "max-registration-lifetime", parse_uint, FA_OFF(max_lifetime), 1, 65535, 0 },
	{ "pending-timeout", parse_uint, FA_OFF(pending_timeout), 1, 3600, 0 },
	{ "max-pending-per-node", parse_uint, FA_OFF(max_pending), 1, 1000, 0 },
	{ "reverse-tunnel", parse_bool, FA_OFF(reverse_tunnel), 0, 0, 0 },
	{ "reverse-tunnel-required", parse_bool, FA_OFF(reverse_tunnel_required), 0, 0, 0 },
	{ "minimal-encapsulation", parse_bool, FA_OFF(encaps_minimal), 0, 0, 0 },
	{ "gre-encapsulation", parse_bool, FA_OFF(encaps_gre), 0, 0, 0 },
	{ "icmp-code", parse_icmp_code, FA_OFF(icmp_code), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_fa(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf *c = parent;
	struct conf_foreign_agent *fa = &c->fa;

	(void)p;
	fa->enabled = true;
	fa->line = int_line(n);
	fa->max_lifetime = MIP_CONF_DEFAULT_FA_LIFETIME;
	fa->pending_timeout = MIP_CONF_DEFAULT_PENDING_TIMEOUT;
	fa->max_pending = MIP_CONF_DEFAULT_MAX_PENDING;
	fa->reverse_tunnel = true;
	fa->encaps_minimal = true;
	fa->encaps_gre = true;
	fa->icmp_code = 16;
	fa->ha_access_default_permit = true;
	return fa;
}

static const struct elem_def *const fa_children[] = {
	&fa_if_elem, &visitor_elem, &fa_access_elem, NULL
};
const struct elem_def fa_elem = {
	"foreign-agent", fa_attrs, fa_children, open_fa, NULL, true,
};
