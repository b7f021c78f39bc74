/* The home agent's element tables (conf.h): <home-agent>, its
 * <virtual-network>s, <care-of-access> and <mobile-node>s.  Its <interface>
 * shares the foreign agent's table in conf_elems_fa.c. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <libxml/tree.h>
#include "conf.h"
#include "conf_parse_int.h"

/* A <mobile-node>'s <security-association> (sa_attrs: conf_elems.c) */
static void *open_node_sa(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_node *node = parent;

	return new_sa(p, n, &node->sas, &node->n_sas);
}

static const struct elem_def node_sa_elem = {
	"security-association", sa_attrs, NULL, open_node_sa, NULL, false,
};

/* <virtual-network prefix=""/> */
static const struct attr_def vnet_attrs[] = {
	{ "prefix", parse_prefix, 0, 1, 32, ATTR_REQUIRED },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_vnet(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_home_agent *ha = parent;
	struct conf_prefix *v = append(&ha->virtual_networks, &ha->n_virtual_networks, sizeof(*v));

	if (!v)
		return oom(p, n);
	v->line = int_line(n);
	return v;
}

static const struct elem_def vnet_elem = {
	"virtual-network", vnet_attrs, NULL, open_vnet, NULL, false,
};

/* <care-of-access default=""> <permit network=""/> <deny network=""/> */
const struct attr_def access_entry_attrs[] = {
	{ "network", parse_prefix, offsetof(struct conf_access, net), 0, 32, ATTR_REQUIRED },
	{ NULL, NULL, 0, 0, 0, 0 },
};

void *new_access(struct pctx *p, xmlNode *n, struct conf_access **list, size_t *count, bool permit)
{
	struct conf_access *e = append(list, count, sizeof(*e));

	if (!e)
		return oom(p, n);
	e->permit = permit;
	e->line = int_line(n);
	e->net.line = e->line;
	return e;
}

static void *open_access(struct pctx *p, xmlNode *n, void *parent, bool permit)
{
	struct conf_home_agent *ha = parent;

	return new_access(p, n, &ha->access, &ha->n_access, permit);
}

static void *open_permit(struct pctx *p, xmlNode *n, void *parent)
{
	return open_access(p, n, parent, true);
}

static void *open_deny(struct pctx *p, xmlNode *n, void *parent)
{
	return open_access(p, n, parent, false);
}

static const struct elem_def permit_elem = {
	"permit", access_entry_attrs, NULL, open_permit, NULL, false,
};
static const struct elem_def deny_elem = {
	"deny", access_entry_attrs, NULL, open_deny, NULL, false,
};

static const struct attr_def access_attrs[] = {
	{ "default", parse_permit, offsetof(struct conf_home_agent, access_default_permit), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};
static const struct elem_def *const access_children[] = { &permit_elem, &deny_elem, NULL };
static const struct elem_def access_elem = {
	"care-of-access", access_attrs, access_children, NULL, NULL, true,
};

/* <mobile-node> */
#define NODE_OFF(f) offsetof(struct conf_node, f)
enum { NODE_ADDRESS, NODE_FIRST, NODE_LAST };
static const struct attr_def node_attrs[] = {
	[NODE_ADDRESS] = { "address", parse_addr, NODE_OFF(first), 0, 0, 0 },
	[NODE_FIRST] = { "first", parse_addr, NODE_OFF(first), 0, 0, 0 },
	[NODE_LAST] = { "last", parse_addr, NODE_OFF(last), 0, 0, 0 },
	{ "nai", parse_nai, NODE_OFF(nai), 0, 0, 0 },
	{ "max-registration-lifetime", parse_uint, NODE_OFF(max_lifetime), 1, 65535, 0 },
	{ "max-bindings", parse_uint, NODE_OFF(max_bindings), 1, 65535, 0 },
	{ "roam", parse_bool, NODE_OFF(roam), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_node(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_home_agent *ha = parent;
	struct conf_node *node = append(&ha->nodes, &ha->n_nodes, sizeof(*node));

	if (!node)
		return oom(p, n);
	node->roam = true;
	node->line = int_line(n);
	return node;
}

static void done_node(struct pctx *p, xmlNode *n, void *obj, unsigned seen)
{
	struct conf_node *node = obj;
	bool addr = seen & (1u << NODE_ADDRESS);
	bool first = seen & (1u << NODE_FIRST), last = seen & (1u << NODE_LAST);

	if (addr && (first || last))
		perr(p, line_of(n), "<mobile-node> has both address and first/last");
	else if (addr)
		node->last = node->first;
	else if (first != last)
		perr(p, line_of(n), "<mobile-node> needs both first and last");
	else if (!first)
		perr(p, line_of(n), "<mobile-node> needs an address, or first and last");
}

static const struct elem_def *const node_children[] = { &node_sa_elem, NULL };
static const struct elem_def node_elem = {
	"mobile-node", node_attrs, node_children, open_node, done_node, false,
};

/* <home-agent> */
#define HA_OFF(f) offsetof(struct conf_home_agent, f)
static const struct attr_def ha_attrs[] = {
	{ "address", parse_addr, HA_OFF(address), 0, 0, ATTR_REQUIRED },
	{ "interface", parse_ifname, HA_OFF(interface), 0, 0, 0 },
	{ "home-network", parse_prefix, HA_OFF(home_network), 1, 32, 0 },
	{ "max-registration-lifetime", parse_uint, HA_OFF(max_lifetime), 1, 65535, 0 },
	{ "max-bindings", parse_uint, HA_OFF(max_bindings), 1, 65535, 0 },
	{ "max-total-bindings", parse_uint, HA_OFF(max_total_bindings), 0, UINT_MAX, 0 },
	{ "reverse-tunnel", parse_bool, HA_OFF(reverse_tunnel), 0, 0, 0 },
	{ "reverse-tunnel-required", parse_bool, HA_OFF(reverse_tunnel_required), 0, 0, 0 },
	{ "minimal-encapsulation", parse_bool, HA_OFF(encaps_minimal), 0, 0, 0 },
	{ "gre-encapsulation", parse_bool, HA_OFF(encaps_gre), 0, 0, 0 },
	{ "broadcast", parse_bool, HA_OFF(broadcast), 0, 0, 0 },
	{ "collocated", parse_bool, HA_OFF(collocated), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_ha(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf *c = parent;
	struct conf_home_agent *ha = &c->ha;

	(void)p;
	ha->enabled = true;
	ha->line = int_line(n);
	ha->home_network.line = ha->line;
	ha->max_lifetime = 1800;
	ha->max_bindings = 1;
	ha->max_total_bindings = 0;
	ha->reverse_tunnel = true;
	ha->reverse_tunnel_required = false;
	ha->encaps_minimal = true;
	ha->encaps_gre = true;
	ha->broadcast = false;
	ha->collocated = true;
	ha->access_default_permit = true;
	return ha;
}

static const struct elem_def *const ha_children[] = {
	&vnet_elem, &access_elem, &node_elem, &ha_if_elem, NULL
};
const struct elem_def ha_elem = {
	"home-agent", ha_attrs, ha_children, open_ha, NULL, true,
};
